#!/usr/bin/env bash
# Trains on the full Fashion-MNIST (60,000 training images, evaluated on the 10,000 test images)
# with the `cortex` command and prints test accuracy and wall time for an MLP and a CNN with fewer
# than 100,000 parameters. Needs Debian's dataset-fashion-mnist (installed here if missing).
# Not a test: it takes minutes. Usage: Benchmarks/fashion-mnist.sh [mlp|cnn|all]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup dataset-fashion-mnist
swift build -c release --product cortex >/dev/null
cortex=.build/release/cortex
which=${1:-all}

run() {  # name, then cortex train arguments
  local name=$1; shift
  local start=$SECONDS
  "$cortex" train --data fashion-mnist --output "runs/bench-$name" "$@" > "runs/bench-$name.log" 2>&1 || { tail -5 "runs/bench-$name.log"; exit 1; }
  local accuracy
  accuracy=$(grep -o 'test accuracy [0-9.]*' "runs/bench-$name.log" | awk '{print $3}')
  local params
  params=$(grep -o 'with [0-9]* parameters' "runs/bench-$name.log" | awk '{print $2}')
  printf '%-4s %9s parameters  test accuracy %s  wall time %d s\n' "$name" "$params" "$accuracy" $((SECONDS - start))
}

mkdir -p runs
echo "Fashion-MNIST, full training set, $(nproc) cores, $(date -u +%Y-%m-%d)"
if [ "$which" = all ] || [ "$which" = mlp ]; then
  run mlp --model mlp --hidden 256,128 --epochs 20 --batch-size 128 --lr 1e-3 --schedule cosine --seed 0
fi
if [ "$which" = all ] || [ "$which" = cnn ]; then
  run cnn --model cnn --epochs 15 --batch-size 64 --lr 2e-3 --schedule cosine --seed 0
fi
