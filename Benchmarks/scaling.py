"""A cost model of data-parallel training: predicted speed-up from 2 to 64 nodes for the MLP, the CNN and the GPT
of Benchmarks/workloads.py, from measured step times and a ring all-reduce over a stated network.

One step on N nodes (each node a machine like this one, one rank using all its cores, the per-node batch fixed as
the global batch grows, i.e. weak scaling) takes

    T(N) = T_compute + T_allreduce(N),   T_allreduce(N) = 2(N - 1) * latency + 2(N - 1)/N * gradient_bytes / bandwidth

(the ring all-reduce of PyTorch's DDP and Horovod: N - 1 reduce-scatter and N - 1 all-gather steps, each moving
1/N of the gradient); the speed-up is N * T_compute / T(N).

Overlapped, as Cortex's gradient buckets run: the parameters, last first, are cut into buckets of at least 256 KiB
(a tensor is never split); backward (two thirds of a step) completes gradients at a pace proportional to their
size, last layer first; each bucket's all-reduce starts once its last gradient is complete and the previous
bucket's all-reduce has ended, and the step ends when backward and the last all-reduce have. This assumes the
network moves a bucket while backward computes (an offloading network card or a progress thread); on this
machine's shared memory MPI progresses only inside MPI calls, and buckets gained 0-3% (Benchmarks/data-parallel.sh). Compute times are one-node step times at the workload's batch, from the README's side-by-side
table (samples or tokens per second on this project's 2-core machine). The networks are stated, not measured: 10
Gigabit Ethernet (1.25 GB/s, 25 us per message) and 100 Gb/s InfiniBand (12.5 GB/s, 2 us).

    python3 Benchmarks/scaling.py              # prints the markdown table for the README
"""

def parameters():
    """Each workload's parameter tensors in the order the model registers them (weights, then biases)."""
    def linear(n_in, n_out):
        return [n_in * n_out, n_out]
    mlp = linear(784, 512) + linear(512, 256) + linear(256, 10)
    cnn = [32 * 9, 32, 64 * 32 * 9, 64] + linear(1600, 128) + linear(128, 10)
    d, ffn, blocks, vocab, positions = 128, 512, 4, 65, 64
    block = [d, d] + linear(d, 3 * d) + linear(d, d) + [d, d] + linear(d, ffn) + linear(ffn, d)
    gpt = [vocab * d, positions * d] + blocks * block + [d, d] + linear(d, vocab)
    return {"mlp": mlp, "cnn": cnn, "gpt": gpt}


BUCKET_BYTES = 256 * 1024


def buckets(tensors):
    """Bucket sizes in values, in the order they are sent: the parameters last first, each bucket closed once it
    holds at least BUCKET_BYTES."""
    sizes, current = [], 0
    for count in reversed(tensors):
        current += count
        if 4 * current >= BUCKET_BYTES:
            sizes.append(current)
            current = 0
    if current:
        sizes.append(current)
    return sizes


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


def step_seconds(step, nodes, tensors, bandwidth, latency, overlapped):
    total = sum(tensors)
    if not overlapped:
        return step + allreduce_seconds(nodes, 4 * total, bandwidth, latency)
    forward, backward = step / 3, 2 * step / 3
    produced, network_free = 0, 0.0
    for size in buckets(tensors):
        produced += size
        ready = forward + backward * produced / total
        network_free = max(ready, network_free) + allreduce_seconds(nodes, 4 * size, bandwidth, latency)
    return max(step, network_free)


def main():
    tensors = parameters()
    print("| workload | parameters | gradient | step on one node | network | all-reduce | "
          + " | ".join(f"{n} nodes" for n in NODES) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(NODES))
    for name, (rate, batch, unit) in MEASURED.items():
        step = batch / rate
        count = sum(tensors[name])
        for network, bandwidth, latency in NETWORKS:
            for overlapped in (False, True):
                speedups = [n * step / step_seconds(step, n, tensors[name], bandwidth, latency, overlapped) for n in NODES]
                how = f"{len(buckets(tensors[name]))} buckets, overlapped" if overlapped else "after backward"
                print(f"| {name} | {count:,} | {4 * count / 1e6:.2f} MB | {step * 1e3:.2f} ms | {network} | {how} | "
                      + " | ".join(f"{s:.1f}x" for s in speedups) + " |")


if __name__ == "__main__":
    main()
