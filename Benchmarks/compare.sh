#!/usr/bin/env bash
# Cortex against PyTorch, JAX and ONNX Runtime on the comparison workloads, in one run: every round runs
# each workload once per framework, one process each (so each reports its own peak memory), frameworks
# alternating; the table gives medians over the rounds and, against each peer, the median of the
# same-round ratios. The peers come from a Python outside the repository (PYTHON, default
# /opt/torch-venv/bin/python); JAX and ONNX Runtime join where that Python has them.
#
#   Benchmarks/compare.sh [--rounds 3] [--seconds 5] [--workloads "mlp cnn lstm gpt mlp-infer cnn-infer"] [--isa avx2]
#                         [--cortex-coretype NAME]
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for every process of the run (Cortex and the peers), so
# OpenBLAS picks its own kernel for this CPU; the table names the kernel and the CPU. --isa avx2 stands in for
# an AVX2-only machine: Cortex's kernels (CORTEX_ISA), OpenBLAS (Haswell), PyTorch (ATEN_CPU_CAPABILITY, MKL,
# oneDNN) and XLA are all capped at AVX2; ONNX Runtime has no such switch and keeps its AVX-512 kernels. The
# caches and clock stay this machine's. --cortex-coretype NAME sets OPENBLAS_CORETYPE for Cortex's processes only
# (Prescott: what Debian 12's OpenBLAS runs on a CPU it does not know), to show Cortex's speed does not hang on it.
# Each row ends with the goal it is held to (docs: the any-machine issue) and whether this run met it.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 seconds=5 workloads="mlp cnn lstm gpt mlp-infer cnn-infer" isa=native coretype=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --workloads) workloads="$2"; shift 2 ;;
        --isa) isa="$2"; shift 2 ;;
        --cortex-coretype) coretype="$2"; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--seconds S] [--workloads \"...\"] [--isa avx2] [--cortex-coretype NAME]" >&2; exit 2 ;;
    esac
done
python="${PYTHON:-/opt/torch-venv/bin/python}"
[ -x "$python" ] || { echo "no Python with PyTorch at $python (set PYTHON)" >&2; exit 1; }
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
case "$isa" in
    native) ;;
    avx2) export CORTEX_ISA=avx2 OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 \
                 ONEDNN_MAX_CPU_ISA=AVX2 XLA_FLAGS=--xla_cpu_max_isa=AVX2 ;;
    *) echo "--isa must be native or avx2" >&2; exit 2 ;;
esac

swift build -c release --product cortex >&2
cortex=.build/release/cortex
cortex_env=()
[ -n "$coretype" ] && cortex_env=(OPENBLAS_CORETYPE="$coretype")
peers="torch"
"$python" -c "import jax" 2>/dev/null && peers="$peers jax"
"$python" -c "import onnxruntime" 2>/dev/null && peers="$peers ort1 ort2"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
header=$(env "${cortex_env[@]}" "$cortex" bench workload mlp-infer --seconds 0.1 | head -1)
kernel=$(echo "$header" | sed -n 's/.*OpenBLAS kernel \([^,]*\),.*/\1/p')
compute=$(echo "$header" | sed -n 's/^cortex [^,]*, \(.*\), OpenBLAS kernel.*/\1/p')
versions=$("$python" -c "
import importlib
out = []
for m in ['torch', 'jax', 'onnxruntime']:
    try: out.append(m + ' ' + importlib.import_module(m).__version__)
    except ImportError: pass
print(', '.join(out))")

for round in $(seq 1 "$rounds"); do
    for workload in $workloads; do
        for framework in cortex $peers; do
            # ONNX Runtime runs inference only.
            case "$framework:$workload" in ort*:mlp|ort*:cnn|ort*:lstm|ort*:gpt) continue ;; esac
            if [ "$framework" = cortex ]; then
                line=$(env "${cortex_env[@]}" "$cortex" bench workload "$workload" --seconds "$seconds" | grep '^RESULT')
            else
                line=$("$python" Benchmarks/workloads.py "$framework" "$workload" --seconds "$seconds" 2>/dev/null | grep '^RESULT')
            fi
            echo "round $round: $framework $line" >&2
            echo "$round $framework $line" >> "$results"
        done
    done
done

python3 - "$results" "$rounds" "$kernel" "$versions" "$isa" "$compute" "$coretype" <<'EOF'
import statistics, subprocess, sys
path, rounds, kernel, versions, isa, compute, coretype = sys.argv[1:8]
rows = [line.split() for line in open(path)]
# round framework RESULT workload value unit peak
data = {}
for r, fw, _, w, value, unit, peak in rows:
    data.setdefault(w, {}).setdefault(fw, {})[int(r)] = (float(value), unit, float(peak))
cpu = next((l.split(':', 1)[1].strip() for l in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines()
            if l.startswith('Model name')), 'unknown CPU')
names = {'cortex': 'Cortex', 'torch': 'PyTorch', 'jax': 'JAX', 'ort1': 'ORT 1 thread', 'ort2': 'ORT 2 threads'}
print(f'{cpu}, {subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()} cores; OpenBLAS kernel {kernel}'
      + (f' (OPENBLAS_CORETYPE={coretype} for Cortex)' if coretype else ' (as installed)') + f'; Cortex: {compute}; '
      f'{versions}; {rounds} alternating rounds, medians (peak memory in MiB in brackets)'
      + ('; instruction sets capped at AVX2 (ONNX Runtime not capped)' if isa == 'avx2' else '') + '.\n')
print('| workload | ' + ' | '.join(names[f] for f in names) + ' | Cortex against each peer (median of same-round ratios; for latency, Cortex\'s time over the peer\'s) | goal |')
print('|---|' + '---|' * len(names) + '---|---|')
# The goals: training throughput against a named peer, batch-1 latency against ONNX Runtime's better thread count,
# and peak memory below PyTorch's.
goals = {'mlp': ('jax', 1.15), 'cnn': ('torch', 2.0), 'lstm': ('torch', 1.3), 'gpt': ('torch', 1.5)}
def same_round(by, peer_of_round):
    return statistics.median(by['cortex'][r][0] / peer_of_round(r) for r in by['cortex'] if peer_of_round(r) is not None)
for w, by in data.items():
    unit = next(iter(by['cortex'].values()))[1]
    lower_is_better = unit == 'us'
    cells = []
    for f in names:
        if f not in by: cells.append('–'); continue
        med = statistics.median(v for v, _, _ in by[f].values())
        peak = statistics.median(p for _, _, p in by[f].values())
        cells.append(f'{med:,.1f} ({peak:.0f})' if lower_is_better else f'{med:,.0f} ({peak:.0f})')
    ratios = []
    for f in names:
        if f == 'cortex' or f not in by: continue
        same = [by['cortex'][r][0] / by[f][r][0] for r in by['cortex'] if r in by[f]]
        ratio = statistics.median(same)
        # Throughput: how many times the peer's; latency: Cortex's time as a fraction of the peer's.
        ratios.append((f'time {ratio:.2f}× ' if lower_is_better else f'{ratio:.2f}× ') + names[f])
    goal = '–'
    if w in goals and goals[w][0] in by:
        peer, bar = goals[w]
        ratio = same_round(by, lambda r: by[peer][r][0] if r in by[peer] else None)
        goal = f'≥ {bar:g}× {names[peer]}: {ratio:.2f}× ' + ('met' if ratio >= bar else 'NOT met')
    elif lower_is_better and 'ort1' in by:
        best = lambda r: min(by[f][r][0] for f in ('ort1', 'ort2') if f in by and r in by[f]) if r in by['ort1'] else None
        ratio = same_round(by, best)
        goal = f'≤ 0.8× ORT best: {ratio:.2f}× ' + ('met' if ratio <= 0.8 else 'NOT met')
    if 'torch' in by:
        mine, theirs = (statistics.median(p for _, _, p in by[f].values()) for f in ('cortex', 'torch'))
        goal += f'; memory {"below" if mine < theirs else "NOT below"} PyTorch\'s'
    print(f'| {w} ({unit}) | ' + ' | '.join(cells) + ' | ' + ', '.join(ratios) + f' | {goal} |')
EOF
