"""Reference contrastive-divergence updates for Cortex's RBM, computed in NumPy (float64) from the formulas of
Hinton's "A Practical Guide to Training RBMs" (2010), with every random number recorded so that the Swift test
feeds the same ones. Run: python3 generate.py > cd_reference.json (NumPy only; seed fixed)."""
import json
import numpy as np

rng = np.random.default_rng(20261130)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0, x)


def case(name, kind, batch, visible, hidden, k, persistent):
    W = rng.normal(0, 0.5, (hidden, visible))
    b = rng.normal(0, 0.3, visible)
    c = rng.normal(0, 0.3, hidden)
    if kind == "bernoulli":
        v0 = (rng.random((batch, visible)) < 0.4).astype(float)
    else:
        v0 = rng.normal(0, 1, (batch, visible))
    chain = None
    if persistent:
        chain = (rng.random((batch + 1, visible)) < 0.5).astype(float) if kind == "bernoulli" else rng.normal(0, 1, (batch + 1, visible))
    uniforms, noises = [], []

    def uniform(shape):
        u = rng.random(shape)
        uniforms.append(u)
        return u

    def noise(shape):
        z = rng.normal(0, 1, shape)
        noises.append(z)
        return z

    def p_h(v):
        return sigmoid(v @ W.T + c)

    def mean_v(h):
        a = h @ W + b
        return sigmoid(a) if kind == "bernoulli" else a

    def sample_v(m):
        return (uniform(m.shape) < m).astype(float) if kind == "bernoulli" else m + noise(m.shape)

    def sample_h(p):
        return (uniform(p.shape) < p).astype(float)

    def free_energy(v):
        hidden_term = softplus(v @ W.T + c).sum(1)
        visible_term = -(v @ b) if kind == "bernoulli" else 0.5 * ((v - b) ** 2).sum(1)
        return visible_term - hidden_term

    positive = p_h(v0)
    h = sample_h(p_h(chain) if persistent else positive)
    means = mean_v(h)
    for _ in range(1, k):
        h = sample_h(p_h(sample_v(means)))
        means = mean_v(h)
    negative = p_h(means)
    grad_W = negative.T @ means / means.shape[0] - positive.T @ v0 / batch
    grad_b = means.mean(0) - v0.mean(0)
    grad_c = negative.mean(0) - positive.mean(0)
    next_chain = sample_v(means) if persistent else None
    back = mean_v(p_h(v0))
    reconstruction = ((v0 - back) ** 2).sum(1).mean()
    gap = free_energy(v0).mean() - free_energy(means).mean()

    def flat(a):
        return None if a is None else {"shape": list(a.shape), "values": [float(x) for x in np.asarray(a).ravel()]}

    return {
        "name": name, "visible_units": kind, "k": k,
        "weight": flat(W), "visible_bias": flat(b), "hidden_bias": flat(c), "data": flat(v0), "chain": flat(chain),
        "uniforms": [flat(u) for u in uniforms], "noises": [flat(z) for z in noises],
        "weight_grad": flat(grad_W), "visible_bias_grad": flat(grad_b), "hidden_bias_grad": flat(grad_c),
        "next_chain": flat(next_chain), "reconstruction_error": float(reconstruction), "free_energy_gap": float(gap),
    }


cases = [
    case("bernoulli CD-1", "bernoulli", 5, 6, 4, 1, False),
    case("bernoulli CD-3", "bernoulli", 4, 7, 5, 3, False),
    case("bernoulli PCD-2", "bernoulli", 5, 6, 4, 2, True),
    case("gaussian CD-1", "gaussian", 6, 5, 3, 1, False),
    case("gaussian PCD-2", "gaussian", 4, 5, 3, 2, True),
]
print(json.dumps({"generator": "generate.py (NumPy " + np.__version__ + ", float64)", "cases": cases}))
