#!/bin/sh
# Data-parallel throughput on this machine, side by side in one session: one process with two threads against
# `mpirun -np 2` with one thread each, at the same global batch, with the gradient all-reduce after backward
# (--bucket-kb 0, one message) and overlapped with backward in buckets. Full Fashion-MNIST (Debian's
# dataset-fashion-mnist), 3 epochs each; prints the median epoch time (validation included) as samples/s.
#
#   Benchmarks/data-parallel.sh [mlp|cnn ...]
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset inside this script (they slow OpenBLAS on some machines);
# tests and CI keep them.
set -eu
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
cd "$(dirname "$0")/.."
swift build -c release --product cortex >/dev/null
cortex="$PWD/.build/release/cortex"
root=""
[ "$(id -u)" = 0 ] && root="--allow-run-as-root"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Median epoch seconds of a run directory's history.csv, as samples/s over the 60,000 training images.
rate() {
    python3 - "$1/history.csv" <<'EOF'
import csv, statistics, sys
seconds = statistics.median(float(row["seconds"]) for row in csv.DictReader(open(sys.argv[1])))
print(f"{60000 / seconds:,.0f} samples/s ({seconds:.3f} s per epoch)")
EOF
}

models="${*:-mlp cnn}"
for model in $models; do
    case "$model" in
        mlp) options="--model mlp --hidden 512,256"; global=128; buckets="0 1024 256" ;;
        cnn) options="--model cnn"; global=64; buckets="0 64" ;;
        *) echo "unknown model $model (mlp or cnn)" >&2; exit 2 ;;
    esac
    half=$((global / 2))
    CORTEX_NUM_THREADS=2 "$cortex" train --data fashion-mnist $options --epochs 3 --batch-size $global --output "$out/one" --overwrite >/dev/null
    echo "$model, global batch $global, one process with 2 threads: $(rate "$out/one")"
    for kb in $buckets; do
        mpirun -np 2 $root -x CORTEX_NUM_THREADS=1 "$cortex" train --data fashion-mnist $options --epochs 3 --batch-size $half \
            --bucket-kb "$kb" --output "$out/two" --overwrite >/dev/null
        label="buckets of $kb KiB"
        [ "$kb" = 0 ] && label="one all-reduce after backward"
        echo "$model, global batch $global, mpirun -np 2 with 1 thread each, $label: $(rate "$out/two")"
    done
done
