#!/usr/bin/env bash
# Checks one scenario file against vfiosim; run by ctest (tests/scenarios.cmake).
#
#   check_scenario.sh golden      VFIOSIM SCN_ROOT REL GOLDEN_TXT
#       `vfiosim run --jobs=2 --keep-going FILE` (the whole space) exits 0 and its verdict line and Outcomes count
#       equal the line for REL in GOLDEN_TXT (GenMC-style pinned counts).
#   check_scenario.sh determinism VFIOSIM SCN_ROOT REL
#       stdout is byte-identical for --jobs=1 and --jobs=2.
#   check_scenario.sh bug-clean   VFIOSIM SCN_ROOT REL
#       the bug scenario passes without the bug (exit 0).
#   check_scenario.sh bug-caught  VFIOSIM SCN_ROOT REL BUGS_TXT [EXTRA-OPTIONS...]
#       --bug=<name> (name = file name without .scn) exits 1 and the verdict says
#       reason=<one of the invariants BUGS_TXT lists for the bug>. EXTRA-OPTIONS
#       (e.g. --explore=pct --schedules=2000 --seed=1) are passed to vfiosim.
#   check_scenario.sh bug-replay  VFIOSIM SCN_ROOT REL
#       replaying the failing schedule id printed for --bug=<name> exits 1 with
#       the same trace table and violation ("=> <invariant>: <message>") line (or
#       "=> expect:<line>: ..." for a mutant caught by an expectation);
#       every other reported id (each Violation line's shortest schedule)
#       replays to a violation of that line's invariant.
#   check_scenario.sh coverage    VFIOSIM SCN_ROOT BUGS_TXT
#       every mutant of `vfiosim list bugs` has SCN_ROOT/bugs/<name>.scn or
#       SCN_ROOT/history/<name>.scn (a bug the kernel really had, docs/history.md)
#       and a line in BUGS_TXT.
#
# A scenario may carry a line `# test-options: <vfiosim options>` (e.g.
# `--schedules=5000` for one whose space is too large to explore in CI): those
# options are added to every run of it here and in tests/update_golden.sh.
set -uo pipefail

die() { echo "check_scenario: $*" >&2; exit 1; }

if [ "${1:-}" = coverage ]; then
  [ $# -eq 4 ] || die "usage: $0 coverage VFIOSIM SCN_ROOT BUGS_TXT"
  vfiosim=$2 root=$3 bugs_txt=$4
  names=$("$vfiosim" list bugs | awk '/^[a-z]/ { print $1 }') || die "vfiosim list bugs failed"
  [ -n "$names" ] || die "vfiosim list bugs printed no mutant"
  status=0
  for b in $names; do
    [ -f "$root/bugs/$b.scn" ] || [ -f "$root/history/$b.scn" ] ||
      { echo "mutant $b has no scenario: add scenarios/bugs/$b.scn or scenarios/history/$b.scn" >&2; status=1; }
    awk -v b="$b" '!/^[[:space:]]*#/ && $1 == b { f=1 } END { exit !f }' "$bugs_txt" ||
      { echo "mutant $b has no line in $bugs_txt" >&2; status=1; }
  done
  for f in "$root"/bugs/*.scn "$root"/history/*.scn; do
    [ -f "$f" ] || continue
    b=$(basename "$f" .scn)
    echo "$names" | grep -qx "$b" ||
      { echo "scenarios/$(basename "$(dirname "$f")")/$b.scn names no catalogued mutant" >&2; status=1; }
  done
  [ $status -eq 0 ] && echo "ok: $(echo "$names" | wc -l) mutants, each with a scenario and an expected invariant"
  exit $status
fi

[ $# -ge 4 ] || die "usage: $0 MODE VFIOSIM SCN_ROOT REL [...]"
mode=$1 vfiosim=$2 root=$3 rel=$4
shift 4
file=$root/$rel
[ -x "$vfiosim" ] || die "no vfiosim binary at $vfiosim"
[ -f "$file" ] || die "no scenario file $file"

# Options from a `# test-options:` line of the scenario.
read -r -a topts <<<"$(sed -n 's/^[[:space:]]*#[[:space:]]*test-options:[[:space:]]*//p' "$file" | head -1)"

# run OUTFILE ARGS...: runs vfiosim, stdout to OUTFILE, stderr shown on failure; sets rc.
run() {
  local out=$1
  shift
  echo "+ $vfiosim run $* $file" >&2
  "$vfiosim" run "$@" "$file" >"$out" 2>"$out.err"
  rc=$?
  if [ $rc -gt 2 ]; then
    cat "$out.err" >&2
    die "vfiosim crashed or was killed (exit status $rc)"
  fi
}

verdict_of() { grep '^verdict: ' "$1" | tail -1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bug=$(basename "$rel" .scn)

# The expected reasons for a bug from bugs.txt: "<bug> <inv>[|<inv>...] <random> <pct>".
expected_reasons() {
  awk -v b="$bug" '!/^[[:space:]]*#/ && $1 == b { print $2; exit }' "$1"
}

case "$mode" in
golden)
  [ $# -eq 1 ] || die "golden needs GOLDEN_TXT"
  golden=$1
  run "$tmp/out" --jobs=2 --keep-going "${topts[@]}"
  v=$(verdict_of "$tmp/out")
  n=$(sed -n 's/^Outcomes (\([0-9]*\),.*/\1/p' "$tmp/out" | head -1)
  actual="$rel  $v  outcomes=${n:-?}"
  if [ $rc -ne 0 ]; then
    cat "$tmp/out"
    cat "$tmp/out.err" >&2
    die "$rel: vfiosim exited with status $rc (want 0: every expectation must hold)"
  fi
  expected=$(awk -v r="$rel" '$1 == r { print; exit }' "$golden")
  if [ -z "$expected" ]; then
    echo "check_scenario: $rel has no line in $golden." >&2
    echo "  Add this line (or run tests/update_golden.sh and review the diff):" >&2
    echo "  $actual" >&2
    exit 1
  fi
  # Compare with runs of blanks normalised.
  norm() { tr -s ' \t' '  '; }
  if [ "$(echo "$expected" | norm)" != "$(echo "$actual" | norm)" ]; then
    echo "check_scenario: $rel does not match its golden line:" >&2
    diff -u <(echo "$expected") <(echo "$actual") --label "golden ($golden)" --label "actual" >&2
    echo "If the change in schedules/outcomes is intended (a reduction or semantics change)," >&2
    echo "update the golden file with tests/update_golden.sh and commit the diff." >&2
    echo "--- full output:" >&2
    cat "$tmp/out" >&2
    exit 1
  fi
  echo "ok: $actual"
  ;;

determinism)
  run "$tmp/j1" --jobs=1 "${topts[@]}"
  rc1=$rc
  run "$tmp/j2" --jobs=2 "${topts[@]}"
  rc2=$rc
  if ! cmp -s "$tmp/j1" "$tmp/j2"; then
    echo "check_scenario: $rel: stdout differs between --jobs=1 and --jobs=2:" >&2
    diff -u "$tmp/j1" "$tmp/j2" --label "--jobs=1" --label "--jobs=2" >&2
    exit 1
  fi
  [ $rc1 -eq $rc2 ] || die "$rel: exit status $rc1 with --jobs=1 but $rc2 with --jobs=2"
  echo "ok: $rel: identical stdout ($(wc -l <"$tmp/j1") lines) with --jobs=1 and --jobs=2"
  ;;

bug-clean)
  run "$tmp/out" --jobs=2 "${topts[@]}"
  if [ $rc -ne 0 ]; then
    cat "$tmp/out"
    die "$rel: without --bug=$bug the scenario must PASS (exit 0), got exit $rc: $(verdict_of "$tmp/out")"
  fi
  echo "ok: $(verdict_of "$tmp/out")"
  ;;

bug-caught)
  [ $# -ge 1 ] || die "bug-caught needs BUGS_TXT"
  bugs_txt=$1
  shift
  want=$(expected_reasons "$bugs_txt")
  if [ -z "$want" ]; then
    die "$bug has no line in $bugs_txt; add '<bug> <invariant>[|<invariant>] <random yes|no> <pct yes|no>'"
  fi
  run "$tmp/out" --jobs=2 "--bug=$bug" "${topts[@]}" "$@"
  v=$(verdict_of "$tmp/out")
  if [ $rc -ne 1 ]; then
    cat "$tmp/out"
    die "$rel: --bug=$bug $* must FAIL (exit 1), got exit $rc: $v"
  fi
  reason=$(echo "$v" | sed -n 's/.* reason=\([^ ]*\).*/\1/p')
  ok=no
  IFS='|' read -r -a alts <<<"$want"
  for a in "${alts[@]}"; do [ "$reason" = "$a" ] && ok=yes; done
  if [ $ok != yes ]; then
    grep -E '^(Violation|Observation)' "$tmp/out" >&2
    die "$rel: --bug=$bug $*: verdict reason is '$reason', want $want ($v)"
  fi
  echo "ok: $v"
  ;;

bug-replay)
  run "$tmp/out" --jobs=2 "--bug=$bug" "${topts[@]}"
  [ $rc -eq 1 ] || die "$rel: --bug=$bug must FAIL (exit 1) to have a schedule to replay, got exit $rc"
  id=$(grep -o 'replay with --replay=[^;) ]*' "$tmp/out" | head -1 | sed 's/.*--replay=//')
  [ -n "$id" ] || { cat "$tmp/out"; die "$rel: no 'replay with --replay=<id>' in the failure report"; }
  want=$(grep '^=> ' "$tmp/out" | tail -1)
  [ -n "$want" ] || { cat "$tmp/out"; die "$rel: no '=> <invariant>: <message>' line in the failure report"; }
  run "$tmp/replay" --jobs=2 "--bug=$bug" "${topts[@]}" "--replay=$id"
  got=$(grep '^=> ' "$tmp/replay" | tail -1)
  if [ $rc -ne 1 ] || [ "$got" != "$want" ]; then
    cat "$tmp/replay"
    die "$rel: --replay=$id: exit $rc (want 1), violation '$got' (want '$want')"
  fi
  # The same trace, step for step: the table after the header line.
  # "Failing schedule: " (an invariant) or "Failing schedule for expect:<line>: " (an expectation).
  sed -n '/^Failing schedule\( for [^ ]*\)\{0,1\}: /,/^=> /p' "$tmp/out" | tail -n +2 >"$tmp/trace.want"
  sed -n '/^Replay of schedule=/,/^=> /p' "$tmp/replay" | tail -n +2 >"$tmp/trace.got"
  [ -s "$tmp/trace.want" ] || { cat "$tmp/out"; die "$rel: no trace table after 'Failing schedule:'"; }
  if ! cmp -s "$tmp/trace.want" "$tmp/trace.got"; then
    diff "$tmp/trace.want" "$tmp/trace.got" >&2
    die "$rel: --replay=$id gives a different trace from the one reported"
  fi
  # Every other id the report names: "Violation <inv> in N schedules: ... (shortest: schedule=<id>, ...)".
  while read -r inv sid; do
    run "$tmp/replay2" --jobs=1 "--bug=$bug" "${topts[@]}" "--replay=$sid"
    got2=$(grep '^=> ' "$tmp/replay2" | tail -1)
    if [ $rc -ne 1 ] || [ "${got2#=> }" = "$got2" ] || [ "${got2#=> $inv:}" = "$got2" ]; then
      cat "$tmp/replay2"
      die "$rel: --replay=$sid (shortest $inv): exit $rc, '$got2' (want exit 1, '=> $inv: ...')"
    fi
  done < <(sed -n 's/^Violation \([^ ]*\) in .*(shortest: schedule=\([^,) ]*\).*/\1 \2/p' "$tmp/out")
  echo "ok: schedule=$id replays to: $got"
  ;;

*)
  die "unknown mode '$mode'"
  ;;
esac
