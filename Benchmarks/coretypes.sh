#!/usr/bin/env bash
# Cortex's training speed whatever kernel OpenBLAS is told to run: the same workloads with OPENBLAS_CORETYPE unset
# (as installed), Prescott (the SSE3 kernels Debian 12's OpenBLAS falls back to on a CPU it does not know), SkylakeX
# and Haswell, alternating in each round, medians. Each setting's speed is shown as a fraction of the best; the
# goal is 0.9 or more for every setting. The GEMM line says which GEMM each setting ran (Cortex uses its own kernels
# where OpenBLAS's are narrower than the CPU).
#   Benchmarks/coretypes.sh [--rounds 5] [--seconds 3] [--workloads "mlp lstm"]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 seconds=3 workloads="mlp lstm"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --workloads) workloads="$2"; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--seconds S] [--workloads \"...\"]" >&2; exit 2 ;;
    esac
done
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
swift build -c release --product cortex >&2
cortex=.build/release/cortex
settings="installed Prescott SkylakeX Haswell"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for setting in $settings; do
    environment=(); [ "$setting" != installed ] && environment=(OPENBLAS_CORETYPE="$setting")
    echo "$setting: $(env "${environment[@]}" "$cortex" bench workload mlp-infer --seconds 0.1 | head -1 | sed 's/^cortex [^,]*, //')"
done
for round in $(seq 1 "$rounds"); do
    for workload in $workloads; do
        for setting in $settings; do
            environment=(); [ "$setting" != installed ] && environment=(OPENBLAS_CORETYPE="$setting")
            value=$(env "${environment[@]}" "$cortex" bench workload "$workload" --seconds "$seconds" | awk '/^RESULT/ {print $3, $4}')
            echo "$round $workload $setting $value" | tee -a "$results" >&2
        done
    done
done
python3 - "$results" "$settings" <<'PY'
import collections, statistics, subprocess, sys
rows = [line.split() for line in open(sys.argv[1])]
settings = sys.argv[2].split()
cpu = next((l.split(':', 1)[1].strip() for l in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines()
            if l.startswith('Model name')), 'unknown CPU')
data = collections.defaultdict(lambda: collections.defaultdict(list))
for _, workload, setting, value, unit in rows:
    data[(workload, unit)][setting].append(float(value))
print(f'\n{cpu}; medians of {len(next(iter(data.values()))[settings[0]])} alternating rounds\n')
print('| workload | ' + ' | '.join(f'OPENBLAS_CORETYPE {s}' if s != 'installed' else 'as installed' for s in settings) + ' | worst / best |')
print('|---|' + '---|' * len(settings) + '---|')
for (workload, unit), by in data.items():
    medians = {s: statistics.median(by[s]) for s in settings}
    best = max(medians.values())
    cells = [f'{medians[s]:,.0f} ({medians[s] / best:.2f})' for s in settings]
    print(f'| {workload} ({unit}) | ' + ' | '.join(cells) + f' | {min(medians.values()) / best:.2f} |')
PY
