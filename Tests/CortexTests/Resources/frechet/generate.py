"""Reference Fréchet distances computed the way the FID reference code does (numpy.cov, scipy.linalg.sqrtm),
for Cortex's frechetDistance. Run: python3 generate.py > reference.json (NumPy and SciPy; seed fixed)."""
import json
import numpy as np
from scipy import linalg

rng = np.random.default_rng(7)


def fid(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


cases = []
for name, n, m, d, shift, stretch in [("near", 60, 80, 5, 0.1, 1.0), ("shifted and stretched", 50, 40, 8, 1.5, 2.0),
                                     ("more dimensions than needed", 30, 30, 12, 0.0, 1.0)]:
    a = rng.normal(0, 1, (n, d)) @ rng.normal(0, 1, (d, d)) * 0.5
    b = (rng.normal(0, 1, (m, d)) * stretch + shift) @ rng.normal(0, 1, (d, d)) * 0.5
    cases.append({"name": name, "a": a.tolist(), "b": b.tolist(), "fid": fid(a, b)})
print(json.dumps({"generator": "generate.py (numpy.cov, scipy.linalg.sqrtm)", "cases": cases}))
