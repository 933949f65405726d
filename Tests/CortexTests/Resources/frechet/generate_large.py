"""The Fréchet distance at the 2048 dimensions of Inception features, computed the way the FID reference code
does (numpy.cov, scipy.linalg.sqrtm), for Cortex's frechetDistance. The inputs are not stored: both sides draw
them from SplitMix64 (value k of a stream is mix(seed + (k + 1) · 0x9E3779B97F4A7C15), its top 53 bits as a
double in [0, 1)). Run: python3 generate_large.py > reference-large.json (NumPy and SciPy)."""
import json
import numpy as np
from scipy import linalg

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(seed, count):
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.arange(1, count + 1, dtype=np.uint64) * GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def fid(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


n, m, d = 2500, 2300, 2048
# a: uniform on [-1, 1); b: uniform on [-1.1, 1.5), the same law stretched by 1.3 and shifted by 0.2. Each value is
# drawn as u · scale + shift, the form the Swift test computes too, so both round alike.
a = splitmix64(11, n * d).reshape(n, d) * 2 - 1
b = splitmix64(12, m * d).reshape(m, d) * 2.6 - 1.1
print(json.dumps({"generator": "generate_large.py (numpy.cov, scipy.linalg.sqrtm)",
                  "a": {"rows": n, "seed": 11, "scale": 2, "shift": -1},
                  "b": {"rows": m, "seed": 12, "scale": 2.6, "shift": -1.1},
                  "dimensions": d, "fid": fid(a, b),
                  "first": [float(a[0, 0]), float(a[0, 1]), float(b[0, 0])]}))
