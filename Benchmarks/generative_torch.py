"""PyTorch's side of `cortex bench generative`: the same dense autoencoder, VAE and DCGAN, trained on full
Fashion-MNIST with the same architectures, optimisers, batch sizes and epochs, printing `RESULT name value` lines
for the AE's test MSE and the VAE's test negative ELBO, and writing 10,000 DCGAN samples to a .npy that Cortex
scores with its own classifier (Fréchet distance and class coverage), so both frameworks' images are judged by one
yardstick. Run with a Python that has torch, outside the repository:

    /opt/torch-venv/bin/python Benchmarks/generative_torch.py [--data-dir D] [--work W] [--epochs 10 10 5] [--models ae,vae,gan]

Models (as CortexModels' Autoencoder, VariationalAutoencoder and GAN):
- AE: 784-512-128-32 (ReLU) and back, logits out; loss MSE of sigmoid(logits); Adam 1e-3, batch 128.
- VAE: 784-512-256 (ReLU) to a 16-dimensional Gaussian code, 16-256-512-784 back, Bernoulli decoder; loss
  BCE-with-logits summed per image plus KL, mean over the batch; Adam 1e-3, batch 128; test negative ELBO with
  one code per image, in nats.
- DCGAN: generator ConvTranspose2d(64->128, 7) BN ReLU, ConvTranspose2d(128->64, 4, 2, 1) BN ReLU,
  ConvTranspose2d(64->1, 4, 2, 1) tanh; discriminator Conv2d(1->64, 4, 2, 1) LeakyReLU(0.2), Conv2d(64->128, 4, 2, 1)
  BN LeakyReLU(0.2), Linear(6272 -> 1); N(0, 0.02) conv weights, N(1, 0.02) BN scales; Adam 2e-4, betas (0.5, 0.999),
  batch 64; a discriminator step on real and detached generated images, then a generator step (non-saturating).
"""
import argparse, gzip, os, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('--data-dir', default='/usr/share/datasets/fashion-mnist')
ap.add_argument('--work', default='bench-generative')
ap.add_argument('--epochs', type=int, nargs=3, default=[10, 10, 5], metavar=('AE', 'VAE', 'GAN'))
ap.add_argument('--models', default='ae,vae,gan')
ap.add_argument('--seed', type=int, default=0)
args = ap.parse_args()
torch.set_num_threads(2)
torch.manual_seed(args.seed)
os.makedirs(args.work, exist_ok=True)


def idx(name):
    with gzip.open(os.path.join(args.data_dir, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


train = torch.tensor(idx('train-images-idx3-ubyte.gz'), dtype=torch.float32).div(255).unsqueeze(1)
test = torch.tensor(idx('t10k-images-idx3-ubyte.gz'), dtype=torch.float32).div(255).unsqueeze(1)
print(f'torch {torch.__version__}, {torch.get_num_threads()} threads; Fashion-MNIST {len(train)} + {len(test)}', flush=True)


def batches(n, size, generator):
    order = torch.randperm(n, generator=generator)
    return [order[i:i + size] for i in range(0, n, size)]


def mlp(widths):
    layers = []
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


models = set(args.models.split(','))
g = torch.Generator().manual_seed(args.seed)

if 'ae' in models:
    start = time.time()
    # The code is the encoder's last Linear, with no activation, as Cortex's Autoencoder.
    ae = nn.Sequential(nn.Flatten(), mlp([784, 512, 128, 32]), mlp([32, 128, 512, 784]))
    opt = torch.optim.Adam(ae.parameters(), lr=1e-3)
    for epoch in range(args.epochs[0]):
        for index in batches(len(train), 128, g):
            x = train[index]
            loss = F.mse_loss(torch.sigmoid(ae(x)), x.flatten(1))
            opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        mse = sum(F.mse_loss(torch.sigmoid(ae(test[i:i + 1000])), test[i:i + 1000].flatten(1), reduction='sum').item()
                  for i in range(0, len(test), 1000)) / test.numel()
    print(f'RESULT ae_test_mse {mse:.6f} ({args.epochs[0]} epochs, {time.time() - start:.0f} s)', flush=True)

if 'vae' in models:
    start = time.time()

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU())
            self.mean, self.log_var = nn.Linear(256, 16), nn.Linear(256, 16)
            self.decoder = mlp([16, 256, 512, 784])

        def terms(self, x, generator=None):
            h = self.encoder(x.flatten(1))
            mean, log_var = self.mean(h), self.log_var(h)
            z = mean + torch.exp(0.5 * log_var) * torch.randn(mean.shape, generator=generator)
            logits = self.decoder(z)
            reconstruction = F.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction='none').sum(1).mean()
            kl = (-0.5 * (1 + log_var - mean ** 2 - log_var.exp()).sum(1)).mean()
            return reconstruction, kl

    vae = VAE()
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    for epoch in range(args.epochs[1]):
        for index in batches(len(train), 128, g):
            reconstruction, kl = vae.terms(train[index])
            loss = reconstruction + kl
            opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        eval_g = torch.Generator().manual_seed(1)
        parts = [vae.terms(test[i:i + 1000], eval_g) for i in range(0, len(test), 1000)]
        reconstruction = sum(p[0].item() for p in parts) / len(parts)
        kl = sum(p[1].item() for p in parts) / len(parts)
    print(f'RESULT vae_test_negative_elbo {reconstruction + kl:.4f} (reconstruction {reconstruction:.4f}, kl {kl:.4f} nats; '
          f'{args.epochs[1]} epochs, {time.time() - start:.0f} s)', flush=True)

if 'gan' in models:
    start = time.time()
    G = nn.Sequential(nn.ConvTranspose2d(64, 128, 7), nn.BatchNorm2d(128), nn.ReLU(),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0, 0.02)
        if isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1, 0.02)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    for epoch in range(args.epochs[2]):
        for index in batches(len(train), 64, g):
            real = train[index] * 2 - 1
            n = len(real)
            fake = G(torch.randn(n, 64, 1, 1))
            ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)
            d_loss = F.binary_cross_entropy_with_logits(D(real), ones) + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
            opt_d.zero_grad(); d_loss.backward(); opt_d.step()
            g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
            opt_g.zero_grad(); g_loss.backward(); opt_g.step()
        print(f'gan epoch {epoch + 1}: d_loss {d_loss.item():.3f} g_loss {g_loss.item():.3f}', flush=True)
    G.eval()
    with torch.no_grad():
        samples = torch.cat([(G(torch.randn(1000, 64, 1, 1)) + 1) / 2 for _ in range(10)])
    path = os.path.join(args.work, 'torch-gan-samples.npy')
    np.save(path, samples.numpy().astype(np.float32))
    print(f'RESULT gan_samples {path} ({args.epochs[2]} epochs, {time.time() - start:.0f} s)', flush=True)
