#!/usr/bin/env bash
# libFuzzer stage: builds the fuzz/ targets with clang-14 (-fsanitize=fuzzer,
# address,undefined) in build-fuzz/ and runs each for FUZZ_SECONDS seconds (60),
# two at a time. Run by tests/run_all.sh (skipped there with VFIOSIM_FUZZ=0).
#
#   tests/fuzz.sh                          the CI run: 60 s per target
#   FUZZ_SECONDS=3600 tests/fuzz.sh        the long run (docs/reliability.md)
#   FUZZ_TARGETS=scenario_fuzzer tests/fuzz.sh
#
# Corpora grow in build-fuzz/corpus/<target> (kept between runs); the seeds are
# every scenarios/**/*.scn (scenario_fuzzer), a few hand-made schedule ids
# (replay_fuzzer), `vfiosim run --format=json` reports (json_fuzzer), and the
# inputs of past findings (fuzz/regressions/<target>/). A crash,
# a sanitizer report, a violated property, a leak, a >25 s input or >2 GB RSS
# fails the stage; the input is saved in build-fuzz/artifacts/ and the command to
# reproduce it is printed. Figures go to build-fuzz/fuzz-stats.txt.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${FUZZ_BUILD:-$SRC/build-fuzz}
SECS=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-scenario_fuzzer replay_fuzzer json_fuzzer}
CXX_FUZZ=${FUZZ_CXX:-clang++-14}
CC_FUZZ=${FUZZ_CC:-clang-14}

if ! command -v "$CXX_FUZZ" >/dev/null 2>&1 ||
   [ -z "$(ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "fuzz.sh: installing clang-14 and libclang-rt-14-dev" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev \
      ccache >/dev/null
  else
    echo "fuzz.sh: needs $CXX_FUZZ and libclang-rt-14-dev (apt-get install clang-14 libclang-rt-14-dev)" >&2
    exit 1
  fi
fi
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

t0=$(date +%s)
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=$CC_FUZZ CXX=$CXX_FUZZ cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVFIOSIM_ONE_SHOT=ON \
    -DVFIOSIM_FUZZ=ON -DVFIOSIM_TESTS=OFF -DVFIOSIM_BENCH=OFF "${launcher[@]}" >/dev/null
fi
# shellcheck disable=SC2086
ninja -C "$BUILD" ${NINJA_FLAGS:-} $TARGETS vfiosim
t1=$(date +%s)
echo "fuzz.sh: built in $((t1 - t0))s"

# ---- seeds
seeds=$BUILD/seeds
rm -rf "$seeds"
mkdir -p "$seeds/scenario_fuzzer" "$seeds/replay_fuzzer" "$seeds/json_fuzzer" "$BUILD/artifacts"
i=0
while IFS= read -r -d '' f; do
  cp "$f" "$seeds/scenario_fuzzer/$(printf '%03d' $i)-$(basename "$f")"
  i=$((i + 1))
done < <(find "$SRC/scenarios" -name '*.scn' -print0 | sort -z)
# replay: <scenario byte> <mode|bug byte> <schedule id>
for s in 0 1 2 3 5 8 13 21 34; do
  printf "\\x$(printf %02x $s)\\x00" >"$seeds/replay_fuzzer/raw-$s"
  printf "\\x$(printf %02x $s)\\x01\\x00\\x01\\x00\\x01\\x02" >"$seeds/replay_fuzzer/mapped-$s"
  printf "\\x$(printf %02x $s)\\x03\\x01\\x01\\x00\\x00" >"$seeds/replay_fuzzer/bug-$s"
done
printf '\x00\x00!!' >"$seeds/replay_fuzzer/bad-char"
for f in fault-vs-revoke.scn three-thread-fault-mem-pm.scn bugs/fork-escapes-zap.scn; do
  [ -f "$SRC/scenarios/$f" ] || continue
  "$BUILD/vfiosim" run --format=json --jobs=1 --schedules=50 "$SRC/scenarios/$f" \
    >"$seeds/json_fuzzer/$(basename "$f" .scn).json" 2>/dev/null || true
  "$BUILD/vfiosim" run --format=json --jobs=1 --schedules=50 --bug=no-zap-on-revoke "$SRC/scenarios/$f" \
    >"$seeds/json_fuzzer/$(basename "$f" .scn)-bug.json" 2>/dev/null || true
done
printf '{"a":[1,2.5,-3e10,"x\\u00e9",true,false,null,{}]}' >"$seeds/json_fuzzer/small.json"
# Inputs that once failed (fuzz/regressions/<target>/): run first, every time.
for d in "$SRC"/fuzz/regressions/*/; do
  t=$(basename "$d")
  [ -d "$seeds/$t" ] && cp "$d"* "$seeds/$t/" 2>/dev/null
done

# ---- runs
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:abort_on_error=1}
stats=$BUILD/fuzz-stats.txt
: >"$stats"
run_one() {
  local t=$1 corpus=$BUILD/corpus/$1 log=$BUILD/$1.log
  mkdir -p "$corpus"
  local dict=()
  [ "$t" = scenario_fuzzer ] && dict=(-dict="$SRC/fuzz/scenario.dict")
  echo "fuzz.sh: $t for ${SECS}s (log: $log)"
  if "$BUILD/fuzz/$t" "${dict[@]}" -max_total_time="$SECS" -timeout=25 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" \
       "$corpus" "$seeds/$t" >"$log" 2>&1; then
    local n cov
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "$t: ok, ${n:-?} inputs in ${SECS}s, $cov, corpus $(find "$corpus" -type f | wc -l) files" |
      tee -a "$stats"
    return 0
  fi
  echo "$t: FAILED" | tee -a "$stats"
  { grep -E 'ERROR|SUMMARY|property violated|Test unit written' -A3 "$log" || tail -20 "$log"; } | head -40 >&2
  local a
  a=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //' || true)
  [ -n "$a" ] && echo "reproduce: $BUILD/fuzz/$t $a" >&2
  return 1
}
status=0
pids=()
names=()
for t in $TARGETS; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  if [ ${#pids[@]} -ge "${FUZZ_PARALLEL:-2}" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
echo "fuzz.sh: done in $(( $(date +%s) - t1 ))s of fuzzing; $([ $status -eq 0 ] && echo clean || echo FAILURES)"
exit $status
