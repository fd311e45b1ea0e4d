#!/usr/bin/env bash
# Regenerates every PNG of docs/img/ from fresh runs (or from given JSON files):
#   tools/plot/all.sh                      # runs the benchmarks and a stress, then plots
#   BENCH_JSON=b.json STRESS_JSON=s.json tools/plot/all.sh   # plots existing results
# BUILD (default build) holds vfiosim and bench/vfiosim_bench.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT=${OUT:-$ROOT/docs/img}
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import matplotlib' 2>/dev/null; then PY=$p; break; fi
  done
fi
[ -n "$PY" ] || { echo "all.sh: no python3 with matplotlib (apt-get install python3-matplotlib)" >&2; exit 2; }
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
if [ -z "${BENCH_JSON:-}" ]; then
  BENCH_JSON=$TMP/bench.json
  "$BUILD/bench/vfiosim_bench" --benchmark_out="$BENCH_JSON" --benchmark_out_format=json \
    --benchmark_filter='BM_FindPfn|BM_FaultIn1GiB|BM_FaultLatency|BM_Explore' >&2
fi
if [ -z "${STRESS_JSON:-}" ]; then
  STRESS_JSON=$TMP/stress.json
  "$BUILD/vfiosim" stress --variant=both --stress_leaf=4k,2m,1g --stress_duration=2 --stress_format=json >"$STRESS_JSON"
fi
cd "$ROOT/tools/plot"
"$PY" find_pfn.py "$BENCH_JSON" "$OUT/find_pfn.png"
"$PY" fault_in.py "$BENCH_JSON" "$OUT/fault_in.png"
"$PY" latency_cdf.py "$STRESS_JSON" "$OUT/fault_latency_cdf.png"
"$PY" explore.py "$BENCH_JSON" "$OUT/explore.png"
