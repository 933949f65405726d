"""PyTorch's side of `cortex bench gemm`: GFLOP/s of torch.matmul on the same square sizes.

    /opt/torch-venv/bin/python Benchmarks/gemm_torch.py [--sizes 256 512 1024 2048] [--seconds 1]

Run it right after `swift run -c release cortex bench gemm` on the same machine and compare ratios.
"""
import argparse, time
import torch

ap = argparse.ArgumentParser()
ap.add_argument('--sizes', type=int, nargs='+', default=[256, 512, 1024, 2048])
ap.add_argument('--seconds', type=float, default=1.0)
args = ap.parse_args()
torch.set_num_threads(torch.get_num_threads())
print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
print('size    torch.matmul GFLOP/s')
for n in args.sizes:
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    torch.matmul(a, b, out=out)
    samples, start = [], time.perf_counter()
    while time.perf_counter() - start < args.seconds or len(samples) < 3:
        t0 = time.perf_counter(); torch.matmul(a, b, out=out); samples.append(time.perf_counter() - t0)
    samples.sort()
    print(f'{n:<7d} {2 * n ** 3 / samples[len(samples) // 2] / 1e9:20.1f}')
