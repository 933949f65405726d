"""PyTorch references for Cortex's generative models: the VAE's loss terms (Bernoulli and Gaussian decoders,
with their gradients), ConvTranspose2d in the DCGAN generator's geometries (1×1 → 7×7 → 14 → 28), with
input, weight and bias gradients, and three whole DCGAN training steps (unconditional and conditional: both
networks, both Adam optimisers, BatchNorm's running statistics) from given weights, images and noise. Run with a PyTorch venv outside the repository:
    /opt/torch-venv/bin/python generate_torch.py > torch_reference.json"""
import json
import math

import torch
import torch.nn as nn
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


def gan_case(name, classes, steps=3, batch=6, latent=4, width=4, size=12):
    """DCGAN as CortexModels' GAN (the noise's label one-hot rows follow the noise; the discriminator's label planes
    follow the image's channels), training as GANStep.update: a discriminator step on real and detached generated
    images, then a generator step through the updated discriminator. Every input is rounded to float32 first, so
    Cortex starts from exactly these numbers."""
    extra = classes or 0
    G = nn.Sequential(nn.ConvTranspose2d(latent + extra, 2 * width, size // 4), nn.BatchNorm2d(2 * width), nn.ReLU(),
                      nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
                      nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(1 + extra, width, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(2 * width * (size // 4) ** 2, 1))
    for module in list(G.modules()) + list(D.modules()):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0, 0.02)
        if isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1, 0.02)
    with torch.no_grad():
        for p in list(G.parameters()) + list(D.parameters()):
            p.copy_(p.float().double())
    initial = {"generator": [flat(p) for p in G.parameters()], "discriminator": [flat(p) for p in D.parameters()]}
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    inputs, losses = [], []
    for _ in range(steps):
        images = torch.rand(batch, 1, size, size).float().double()
        noise = torch.randn(batch, latent).float().double()
        labels = torch.randint(0, classes, (batch,)) if classes else None
        inputs.append({"images": flat(images), "noise": flat(noise), "labels": labels.tolist() if classes else None})
        one_hot = F.one_hot(labels, classes).double() if classes else None
        g_in = torch.cat([noise, one_hot], 1) if classes else noise
        discriminate = (lambda x: D(torch.cat([x, one_hot[:, :, None, None].expand(-1, -1, size, size)], 1)).flatten()) if classes \
            else (lambda x: D(x).flatten())
        real = images * 2 - 1
        fake = G(g_in[:, :, None, None])
        ones, zeros = torch.ones(batch), torch.zeros(batch)
        real_logits, fake_logits = discriminate(real), discriminate(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(real_logits, ones) + F.binary_cross_entropy_with_logits(fake_logits, zeros)
        opt_d.zero_grad(); d_loss.backward(); opt_d.step()
        g_loss = F.binary_cross_entropy_with_logits(discriminate(fake), ones)
        opt_g.zero_grad(); g_loss.backward(); opt_g.step()
        losses.append({"d_loss": d_loss.item(), "g_loss": g_loss.item(), "d_real": real_logits.sigmoid().mean().item(),
                       "d_fake": fake_logits.sigmoid().mean().item()})
    norms = lambda net: [t for m in net.modules() if isinstance(m, nn.BatchNorm2d) for t in (flat(m.running_mean), flat(m.running_var))]
    return {"name": name, "classes": classes, "latent": latent, "width": width, "size": size, "initial": initial,
            "steps": inputs, "values": losses,
            "final": {"generator": [flat(p) for p in G.parameters()], "discriminator": [flat(p) for p in D.parameters()]},
            "running": {"generator": norms(G), "discriminator": norms(D)}}


print(json.dumps({
    "generator": f"generate_torch.py (torch {torch.__version__}, float64)",
    "vae": [vae_case("bernoulli, β 1", "bernoulli", 4, 10, 3, 1.0), vae_case("bernoulli, β 4", "bernoulli", 3, 7, 2, 4.0),
            vae_case("gaussian, β 0.5", "gaussian", 5, 6, 4, 0.5)],
    "conv_transpose": [transpose_case("1×1 → 7×7 (k7, s1, p0)", 2, 6, 5, 1, 7, 1, 0),
                       transpose_case("7×7 → 14×14 (k4, s2, p1)", 2, 5, 4, 7, 4, 2, 1),
                       transpose_case("14×14 → 28×28 (k4, s2, p1)", 1, 4, 1, 14, 4, 2, 1)],
    "gan": [gan_case("DCGAN, 3 steps", None), gan_case("conditional DCGAN, 3 classes, 3 steps", 3)],
}))
