"""PyTorch's side of `cortex bench train`: training throughput (samples/s) of the same MLP and CNN on
the bundled Fashion-MNIST subset, batch 64, Adam, float32 on the CPU.

    /opt/torch-venv/bin/python Benchmarks/train_torch.py [--epochs 3]

Run it next to `swift run -c release cortex bench train` on the same machine and compare.
"""
import argparse, gzip, os, struct, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

ap = argparse.ArgumentParser(); ap.add_argument('--epochs', type=int, default=3); args = ap.parse_args()
root = os.path.join(os.path.dirname(__file__), '..', 'Sources', 'CortexCLI', 'Resources', 'fashion-mnist-subset')
def idx(name):
    data = gzip.open(os.path.join(root, name)).read()
    dims = data[3]; shape = struct.unpack('>' + 'I' * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
x = torch.from_numpy(idx('train-images-idx3-ubyte.gz').astype(np.float32) / 255).unsqueeze(1)
y = torch.from_numpy(idx('train-labels-idx1-ubyte.gz').astype(np.int64))
torch.manual_seed(0)
models = {
    'mlp': lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)),
    'cnn': lambda: nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 10)),
}
print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, {len(x)} images, batch 64')
for name, make in models.items():
    model = make(); opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    best = 0.0
    for epoch in range(args.epochs):
        order = torch.randperm(len(x)); start = time.perf_counter()
        for i in range(0, len(x), 64):
            idx_ = order[i:i + 64]
            loss = F.cross_entropy(model(x[idx_]), y[idx_])
            opt.zero_grad(); loss.backward(); opt.step()
        best = max(best, len(x) / (time.perf_counter() - start))
    print(f'{name}: {best:8.0f} samples/s (best of {args.epochs} epochs)')
