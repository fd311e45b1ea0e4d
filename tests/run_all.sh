#!/usr/bin/env bash
# The whole test suite: set up (install deps, build), then ctest.
# VFIOSIM_SOAK=1 adds the long soak runs; VFIOSIM_SANITIZERS=0 skips the
# sanitizer builds.
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { echo "== $1 ($(date +%T))"; }
t0=$(date +%s)
stage "setup and build"
./setup.sh
stage "ctest"
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 600)
echo "== all done in $(( $(date +%s) - t0 ))s"
