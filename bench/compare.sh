#!/usr/bin/env bash
# Compares two Google Benchmark JSON runs of vfiosim_bench:
#   bench/compare.sh OLD.json NEW.json
# (made with --benchmark_out=F --benchmark_out_format=json). Uses Debian's
# libbenchmark-tools compare.py (with its Mann-Whitney test when runs have
# repetitions) when it is installed with scipy, else bench/compare.py.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,6p' "$0" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
GB=/usr/share/benchmark/compare.py
if [ -f "$GB" ] && /usr/bin/python3 -c 'import scipy, numpy' 2>/dev/null && [ -z "${VFIOSIM_SIMPLE_COMPARE:-}" ]; then
  exec /usr/bin/python3 "$GB" benchmarks "$1" "$2"
fi
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
exec "$PY" "$HERE/compare.py" "$@"
