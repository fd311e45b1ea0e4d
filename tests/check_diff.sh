#!/usr/bin/env bash
# Checks `vfiosim diff` (legacy against dmabuf) on one scenario; run by ctest
# (tests/scenarios.cmake, test diff/<path>).
#
#   check_diff.sh VFIOSIM SCN_ROOT REL GOLDEN_TXT
#
#  - the last line equals the line for REL in GOLDEN_TXT (`diff: SAME|DIFFERENT ...`),
#    and the exit status agrees with it (0 SAME, 1 DIFFERENT or bounded);
#  - every `only-a:`/`only-b:` witness replays: `vfiosim run <that side's options>
#    --replay=<id>` ends with the outcome the line names (exit 0, or 1 with an
#    `=> expect:` line for an expectation that fails in that schedule) or violates the
#    invariant it names (exit 1);
#  - stdout is byte-identical for --jobs=1 and --jobs=2.
# tests/update_golden.sh regenerates GOLDEN_TXT.
set -uo pipefail

die() { echo "check_diff: $*" >&2; exit 1; }
[ $# -eq 4 ] || die "usage: $0 VFIOSIM SCN_ROOT REL GOLDEN_TXT"
vfiosim=$1 root=$2 rel=$3 golden=$4
file=$root/$rel
[ -x "$vfiosim" ] || die "no vfiosim binary at $vfiosim"
[ -f "$file" ] || die "no scenario file $file"
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT

"$vfiosim" diff --jobs=2 "$file" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -le 1 ] || { cat "$tmp/err" >&2; die "$rel: vfiosim diff exited with status $rc"; }
actual=$(tail -1 "$tmp/out")
expected=$(awk -v r="$rel" '$1 == r { $1 = ""; sub(/^ +/, ""); print; exit }' "$golden")
if [ -z "$expected" ]; then
  echo "check_diff: $rel has no line in $golden; add (or run tests/update_golden.sh):" >&2
  echo "$rel  $actual" >&2
  exit 1
fi
if [ "$expected" != "$actual" ]; then
  cat "$tmp/out" >&2
  die "$rel: want '$expected', got '$actual'"
fi
want_rc=1
case "$actual" in "diff: SAME "*[0-9]) want_rc=0 ;; esac
[ $rc -eq $want_rc ] || die "$rel: exit status $rc with '$actual' (want $want_rc)"

status=0
for side in A B; do
  lower=$(echo "$side" | tr AB ab)
  opts=$(sed -n "s/^  $side: \(.*\) ([a-z0-9_]*, [a-z0-9_]*): .*/\1/p" "$tmp/out" | head -1)
  [ -n "$opts" ] || die "$rel: no side $side line in the output"
  read -r -a oarr <<<"$opts"
  while IFS= read -r line; do
    what=${line#only-$lower: }
    id=${what##* schedule=}
    what=${what% schedule=*}
    "$vfiosim" run "${oarr[@]}" --replay="$id" "$file" >"$tmp/replay" 2>&1
    r=$?
    case "$what" in
      violation=*)
        inv=${what#violation=}
        if [ $r -ne 1 ] || ! grep -q "^=> $inv: " "$tmp/replay"; then
          echo "check_diff: $rel: '$line' does not replay to $inv (run $opts --replay=$id, exit $r)" >&2
          status=1
        fi ;;
      *)
        # Exit 1 is fine when an expectation fails in that schedule (`=> expect:`).
        if { [ $r -ne 0 ] && ! { [ $r -eq 1 ] && grep -q "^=> expect:" "$tmp/replay"; }; } ||
           ! grep -qxF "outcome: $what" "$tmp/replay"; then
          echo "check_diff: $rel: '$line' does not replay to that outcome (run $opts --replay=$id, exit $r)" >&2
          status=1
        fi ;;
    esac
  done < <(grep "^only-$lower: " "$tmp/out")
done

"$vfiosim" diff --jobs=1 "$file" >"$tmp/out1" 2>/dev/null
if ! cmp -s "$tmp/out" "$tmp/out1"; then
  diff -u "$tmp/out1" "$tmp/out" --label "--jobs=1" --label "--jobs=2" | head -40 >&2
  die "$rel: diff output differs between --jobs=1 and --jobs=2"
fi
[ $status -eq 0 ] && echo "ok: $rel: $actual"
exit $status
