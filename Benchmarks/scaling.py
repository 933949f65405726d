"""A cost model of data-parallel training: predicted speed-up from 2 to 64 nodes for the MLP, the CNN and the GPT
of Benchmarks/workloads.py, from measured step times and a ring all-reduce over a stated network.

One step on N nodes (each node a machine like this one, one rank using all its cores, the per-node batch fixed as
the global batch grows, i.e. weak scaling) takes

    T(N) = T_compute + T_allreduce(N),   T_allreduce(N) = 2(N - 1) * latency + 2(N - 1)/N * gradient_bytes / bandwidth

(the ring all-reduce of PyTorch's DDP and Horovod: N - 1 reduce-scatter and N - 1 all-gather steps, each moving
1/N of the gradient). Cortex does not yet overlap the all-reduce with backward, so the two add up; the speed-up is
N * T_compute / T(N). Compute times are one-node step times at the workload's batch, from the README's side-by-side
table (samples or tokens per second on this project's 2-core machine). The networks are stated, not measured: 10
Gigabit Ethernet (1.25 GB/s, 25 us per message) and 100 Gb/s InfiniBand (12.5 GB/s, 2 us).

    python3 Benchmarks/scaling.py              # prints the markdown table for the README
"""

def linear(n_in, n_out):
    return n_in * n_out + n_out


def parameters():
    mlp = linear(784, 512) + linear(512, 256) + linear(256, 10)
    cnn = (32 * 9 + 32) + (64 * 32 * 9 + 64) + linear(1600, 128) + linear(128, 10)
    d, ffn, blocks, vocab, positions = 128, 512, 4, 65, 64
    block = (3 * d * d + 3 * d) + linear(d, d) + 2 * (2 * d) + linear(d, ffn) + linear(ffn, d)
    gpt = vocab * d + positions * d + blocks * block + 2 * d + linear(d, vocab)
    return {"mlp": mlp, "cnn": cnn, "gpt": gpt}


# One-node throughput (README, native table) and the batch of one step.
MEASURED = {
    "mlp": (129_366, 128, "samples/s"),
    "cnn": (10_413, 64, "samples/s"),
    "gpt": (49_006, 16 * 64, "tokens/s"),
}
NETWORKS = [("10 GbE", 1.25e9, 25e-6), ("100 Gb/s InfiniBand", 12.5e9, 2e-6)]
NODES = [2, 4, 8, 16, 32, 64]


def allreduce_seconds(nodes, size_bytes, bandwidth, latency):
    return 2 * (nodes - 1) * latency + 2 * (nodes - 1) / nodes * size_bytes / bandwidth


def main():
    counts = parameters()
    print("| workload | parameters | gradient | step on one node | network | " + " | ".join(f"{n} nodes" for n in NODES) + " |")
    print("|---|---|---|---|---|" + "---|" * len(NODES))
    for name, (rate, batch, unit) in MEASURED.items():
        step = batch / rate
        size = 4 * counts[name]
        for network, bandwidth, latency in NETWORKS:
            speedups = [n * step / (step + allreduce_seconds(n, size, bandwidth, latency)) for n in NODES]
            print(f"| {name} | {counts[name]:,} | {size / 1e6:.2f} MB | {step * 1e3:.2f} ms | {network} | "
                  + " | ".join(f"{s:.1f}x" for s in speedups) + " |")


if __name__ == "__main__":
    main()
