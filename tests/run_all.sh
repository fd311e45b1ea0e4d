#!/usr/bin/env bash
# The whole test suite, in stages, each timed:
#   1. setup and build      ./setup.sh (install deps, build in build/)
#   2. ctest                every test of build/
#   3. asan+ubsan           tests/sanitizers.sh: the whole ctest suite in build-asan/
#   4. tsan                 tests/tsan.sh: stress + parallel exploration in build-tsan/
#   5. fuzz                 tests/fuzz.sh: each libFuzzer target for 60 s in build-fuzz/
# VFIOSIM_SANITIZERS=0 skips stages 3 and 4, VFIOSIM_FUZZ=0 stage 5;
# VFIOSIM_SOAK=1 makes them soak runs: 30 min per fuzz target, 60 s of TSan
# stress per configuration (FUZZ_SECONDS / TSAN_STRESS_SECONDS override both),
# and the differential soundness test (Soundness/Generated.Shard/*) checks 4000
# generated scenarios instead of 320 (24 under the sanitizers).
# A failing stage does not stop the later ones (except a failed build); the exit
# status is 1 if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
if [ "${VFIOSIM_SOAK:-0}" = 1 ]; then
  export FUZZ_SECONDS=${FUZZ_SECONDS:-1800} TSAN_STRESS_SECONDS=${TSAN_STRESS_SECONDS:-60}
fi
summary=()
failed=0

# stage NAME COMMAND...: runs one stage, records its time and result.
stage() {
  local name=$1
  shift
  echo "== $name ($(date +%T))"
  local s rc
  s=$(date +%s)
  "$@"
  rc=$?
  local took=$(( $(date +%s) - s ))
  if [ $rc -eq 0 ]; then
    summary+=("$(printf '%-18s ok      %5ds' "$name" "$took")")
  else
    summary+=("$(printf '%-18s FAILED  %5ds (exit %d)' "$name" "$took" "$rc")")
    failed=1
  fi
  echo "== $name: $([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in ${took}s"
  return $rc
}
skip() { summary+=("$(printf '%-18s skipped (%s)' "$1" "$2")"); echo "== $1: skipped ($2)"; }
report() {
  echo "== summary"
  printf '   %s\n' "${summary[@]}"
  echo "== all done in $(( $(date +%s) - t0 ))s: $([ $failed -eq 0 ] && echo PASS || echo FAIL)"
}

if ! stage "setup and build" ./setup.sh; then
  report
  exit 1
fi
stage "ctest" bash -c 'cd build && ctest --output-on-failure -j"$(nproc)" --timeout 600'

if [ "${VFIOSIM_SANITIZERS:-1}" != 0 ]; then
  stage "asan+ubsan" tests/sanitizers.sh
  # ---- TSan stage (stress + parallel exploration), maintained in tests/tsan.sh.
  if [ -x tests/tsan.sh ]; then
    stage "tsan" tests/tsan.sh
  else
    skip "tsan" "tests/tsan.sh not present"
  fi
else
  skip "asan+ubsan" "VFIOSIM_SANITIZERS=0"
  skip "tsan" "VFIOSIM_SANITIZERS=0"
fi

if [ "${VFIOSIM_FUZZ:-1}" != 0 ]; then
  stage "fuzz" tests/fuzz.sh
else
  skip "fuzz" "VFIOSIM_FUZZ=0"
fi

report
exit $failed
