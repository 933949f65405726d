"""PyTorch references for Cortex's generative models: the VAE's loss terms (Bernoulli and Gaussian decoders,
with their gradients) and ConvTranspose2d in the DCGAN generator's geometries (1×1 → 7×7 → 14 → 28), with
input, weight and bias gradients. Run with a PyTorch venv outside the repository:
    /opt/torch-venv/bin/python generate_torch.py > torch_reference.json"""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(20261130)
torch.set_default_dtype(torch.float64)


def flat(t):
    t = t.detach()
    return {"shape": list(t.shape), "values": [float(f"{x:.10g}") for x in t.reshape(-1).tolist()]}


def vae_case(name, likelihood, batch, features, latent, beta):
    x = torch.rand(batch, features)
    if likelihood == "bernoulli":
        x = (x > 0.5).double() * 0.9 + 0.05  # targets inside (0, 1), not only 0 and 1
    decoded = torch.randn(batch, features, requires_grad=True)   # logits (Bernoulli) or means (Gaussian)
    mean = torch.randn(batch, latent, requires_grad=True)
    log_var = (torch.randn(batch, latent) * 0.5).requires_grad_()
    if likelihood == "bernoulli":
        reconstruction = F.binary_cross_entropy_with_logits(decoded, x, reduction="none").sum(1).mean()
    else:  # unit variance: −log N(x; μ, 1) summed over features
        reconstruction = (0.5 * (x - decoded) ** 2 + 0.5 * math.log(2 * math.pi)).sum(1).mean()
    kl = (-0.5 * (1 + log_var - mean ** 2 - log_var.exp()).sum(1)).mean()
    loss = reconstruction + beta * kl
    loss.backward()
    return {"name": name, "likelihood": likelihood, "beta": beta, "target": flat(x), "decoded": flat(decoded),
            "mean": flat(mean), "log_variance": flat(log_var), "reconstruction": float(reconstruction.detach()), "kl": float(kl.detach()),
            "decoded_grad": flat(decoded.grad), "mean_grad": flat(mean.grad), "log_variance_grad": flat(log_var.grad)}


def transpose_case(name, batch, cin, cout, size, kernel, stride, padding):
    x = torch.randn(batch, cin, size, size, requires_grad=True)
    w = (torch.randn(cin, cout, kernel, kernel) * 0.2).requires_grad_()
    b = torch.randn(cout, requires_grad=True)
    y = F.conv_transpose2d(x, w, b, stride=stride, padding=padding)
    upstream = torch.randn_like(y)
    (y * upstream).sum().backward()
    return {"name": name, "stride": stride, "padding": padding, "input": flat(x), "weight": flat(w), "bias": flat(b),
            "output": flat(y), "upstream": flat(upstream), "input_grad": flat(x.grad), "weight_grad": flat(w.grad),
            "bias_grad": flat(b.grad)}


print(json.dumps({
    "generator": f"generate_torch.py (torch {torch.__version__}, float64)",
    "vae": [vae_case("bernoulli, β 1", "bernoulli", 4, 10, 3, 1.0), vae_case("bernoulli, β 4", "bernoulli", 3, 7, 2, 4.0),
            vae_case("gaussian, β 0.5", "gaussian", 5, 6, 4, 0.5)],
    "conv_transpose": [transpose_case("1×1 → 7×7 (k7, s1, p0)", 2, 6, 5, 1, 7, 1, 0),
                       transpose_case("7×7 → 14×14 (k4, s2, p1)", 2, 5, 4, 7, 4, 2, 1),
                       transpose_case("14×14 → 28×28 (k4, s2, p1)", 1, 4, 1, 14, 4, 2, 1)],
}))
