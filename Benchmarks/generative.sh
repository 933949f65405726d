#!/usr/bin/env bash
# The generative models side by side with PyTorch on full Fashion-MNIST, same architectures, optimisers,
# batch sizes and epochs (see Benchmarks/generative_torch.py): the dense autoencoder's test MSE, the VAE's test
# negative ELBO (nats), and the DCGAN's Fréchet distance to the test images and class coverage, both computed by
# Cortex in the features of one Fashion-MNIST classifier (trained once into --work) for Cortex's samples and
# PyTorch's alike. Prints a markdown table.
#
#   Benchmarks/generative.sh [--epochs "3 10 10 5"] [--work DIR] [--models ae,vae,gan] [--seed 0]
#
# Epochs: the feature classifier's, the AE's, the VAE's and the GAN's. PYTHON (default /opt/torch-venv/bin/python)
# must have torch. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset inside this script, so OpenBLAS picks its own
# kernel for the CPU, as for PyTorch's own libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="3 10 10 5"; work="bench-generative"; models="ae,vae,gan"; seed=0
while [ $# -gt 0 ]; do
    case "$1" in
        --epochs) epochs="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        --models) models="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        *) echo "usage: $0 [--epochs \"C AE VAE GAN\"] [--work DIR] [--models ae,vae,gan] [--seed N]" >&2; exit 2 ;;
    esac
done
PYTHON="${PYTHON:-/opt/torch-venv/bin/python}"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
swift build -c release --product cortex >&2
read -r c ae vae gan <<< "$epochs"
mkdir -p "$work"
cortex_log="$work/cortex-seed$seed.log"; torch_log="$work/torch-seed$seed.log"
.build/release/cortex bench generative --work "$work" --epochs $c $ae $vae $gan --models "$models" --seed "$seed" | tee "$cortex_log" >&2
"$PYTHON" Benchmarks/generative_torch.py --work "$work" --epochs $ae $vae $gan --models "$models" --seed "$seed" | tee "$torch_log" >&2
if [ -f "$work/torch-gan-samples.npy" ] && [[ "$models" == *gan* ]]; then
    .build/release/cortex bench generative --work "$work" --models none --score-samples "$work/torch-gan-samples.npy" | tee -a "$torch_log" >&2
fi
value() { { grep "^RESULT $1 " "$2" || true; } | tail -1 | awk '{print $3}'; }
echo "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; seed $seed; $(grep '^cortex' "$cortex_log" | head -1); $(head -1 "$torch_log")"
echo
echo "| measure | Cortex | PyTorch | Cortex / PyTorch |"
echo "|---|---|---|---|"
row() {
    local a b; a=$(value "$2" "$cortex_log"); b=$(value "$3" "$torch_log")
    [ -n "$a" ] && [ -n "$b" ] && echo "| $1 | $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }') |"
    return 0
}
row "AE test MSE per pixel ($ae epochs)" ae_test_mse ae_test_mse
row "VAE test negative ELBO, nats ($vae epochs)" vae_test_negative_elbo vae_test_negative_elbo
row "DCGAN Fréchet distance, classifier features ($gan epochs)" gan_fid torch-gan-samples_fid
row "DCGAN smallest class share of 1000 samples" gan_coverage_min torch-gan-samples_coverage_min
