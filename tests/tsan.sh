#!/usr/bin/env bash
# ThreadSanitizer run of the free-running code: configures build-tsan with
# -fsanitize=thread (no benchmarks), builds vfiosim and vfiosim_tsan_tests (the
# stress and parallel-exploration tests only: tests/CMakeLists.txt), then runs
#  - a short `vfiosim stress` on both variants (shared mm, every revoke kind),
#  - the stress gtests (not StressBug.*: their injected race is exactly what
#    TSan reports),
# with halt_on_error=1 and only TBB-internal suppressions (tests/tsan.supp).
#  - parallel exploration: `vfiosim run --jobs=2` (exhaustive, DPOR, random,
#    PCT) and the ParallelFor/ExploreParallel gtests. The explorer hands work to
#    TBB through a std::mutex and capture-less tasks (sim/explore/parallel_for.cc)
#    because libtbb is not instrumented: tbb::parallel_for's hand-off is invisible
#    to TSan and its inlined frames escape the `race:tbb::detail::` suppression.
# Registered in ctest as `tsan` when configured with -DVFIOSIM_TSAN_TESTS=ON.
#   tests/tsan.sh [BUILD_DIR]     (default: build-tsan next to the sources)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-tsan}
STRESS_SECONDS=${TSAN_STRESS_SECONDS:-1}
t0=$(date +%s)
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVFIOSIM_ONE_SHOT=ON \
    -DVFIOSIM_SANITIZE=thread -DVFIOSIM_BENCH=OFF -DVFIOSIM_TSAN_TESTS=OFF "${launcher[@]}" >/dev/null
fi
ninja -C "$BUILD" vfiosim vfiosim_tsan_tests
t1=$(date +%s)
export TSAN_OPTIONS="suppressions=$SRC/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1"
echo "== tsan: stress (${STRESS_SECONDS}s per configuration)"
"$BUILD/vfiosim" stress --variant=both --stress_leaf=4k,1g --stress_duration="$STRESS_SECONDS" \
  --stress_threads=2 --stress_revokers=2 --stress_bar_size=64M --stress_hang_seconds=60
"$BUILD/vfiosim" stress --variant=both --stress_leaf=2m --stress_duration="$STRESS_SECONDS" \
  --stress_threads=3 --stress_shared_mm --stress_mappings=2 --stress_bar_size=64M --stress_hang_seconds=60
echo "== tsan: parallel exploration"
# Exit 0 or 1 (a sampled run may miss a `sometimes`): anything else is a TSan
# report (exit 66) or a crash.
# (Bounded: a schedule of this scenario costs ~20 ms under TSan on a busy
# machine. 400 schedules still give both workers work: exhaustive search cuts
# the tree into ~32 subtrees for --jobs=2, random and PCT run chunks of 64.)
for args in "--schedules=400" "--reduction=dpor --schedules=400" "--explore=random --schedules=400" \
            "--explore=pct --schedules=400"; do
  rc=0
  # shellcheck disable=SC2086
  "$BUILD/vfiosim" run --jobs=2 $args "$SRC/scenarios/three-thread-fault-mem-pm.scn" >/dev/null || rc=$?
  [ "$rc" -le 1 ] || { echo "tsan: vfiosim run --jobs=2 $args: exit $rc" >&2; exit 1; }
done
rc=0
"$BUILD/vfiosim" run --jobs=2 --bug=fault-ignores-revoked "$SRC/scenarios/bugs/fault-ignores-revoked.scn" >/dev/null || rc=$?
[ "$rc" -eq 1 ] || { echo "tsan: expected FAIL (exit 1) from the mutant, got exit $rc" >&2; exit 1; }
echo "== tsan: gtests"
"$BUILD/tests/vfiosim_tsan_tests" --gtest_filter='-StressBug.*'
echo "== tsan: clean (build $((t1 - t0))s, runs $(( $(date +%s) - t1 ))s)"
