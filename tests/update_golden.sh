#!/usr/bin/env bash
# Regenerates tests/golden/scenarios.txt (and tests/golden/diff.txt): for every scenarios/**/*.scn, the
# verdict line and the number of distinct outcomes of
# `vfiosim run --jobs=2 --keep-going FILE` (the whole space, plus the file's `# test-options:`), as
# tests/check_scenario.sh compares them. Review the diff before committing it:
# a changed count means the reduction or the semantics changed.
#
#   tests/update_golden.sh [VFIOSIM]      (default: build/vfiosim; or $VFIOSIM)
#
# tests/golden/bugs.txt (which invariant each mutant must break) is curated by
# hand; this script only reports bug scenarios that are missing from it.
set -euo pipefail
cd "$(dirname "$0")/.."
vfiosim=${1:-${VFIOSIM:-build/vfiosim}}
[ -x "$vfiosim" ] || { echo "update_golden: no vfiosim at $vfiosim (build first: ./setup.sh)" >&2; exit 2; }
out=tests/golden/scenarios.txt
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  echo "# Golden verdicts of the scenario suite (tests/scenarios.cmake, tests/check_scenario.sh)."
  echo "# <path under scenarios/>  <verdict line of vfiosim run --jobs=2 --keep-going>  outcomes=<distinct outcomes>"
  echo "# Regenerate with tests/update_golden.sh; review the diff."
} >"$tmp"
fail=0
while IFS= read -r rel; do
  file=scenarios/$rel
  read -r -a topts <<<"$(sed -n 's/^[[:space:]]*#[[:space:]]*test-options:[[:space:]]*//p' "$file" | head -1)"
  set +e
  res=$("$vfiosim" run --jobs=2 --keep-going "${topts[@]}" "$file" 2>/dev/null)
  rc=$?
  set -e
  v=$(echo "$res" | grep '^verdict: ' | tail -1)
  n=$(echo "$res" | sed -n 's/^Outcomes (\([0-9]*\),.*/\1/p' | head -1)
  if [ $rc -ne 0 ]; then
    echo "update_golden: $rel exits $rc ($v): fix it" >&2
    fail=1
  fi
  echo "$rel  $v  outcomes=${n:-?}" >>"$tmp"
done < <(cd scenarios && find . -name '*.scn' | sed 's|^\./||' | LC_ALL=C sort)
mv "$tmp" "$out"
trap - EXIT
echo "update_golden: wrote $out ($(grep -vc '^#' "$out") scenarios)"
# tests/golden/diff.txt: the last line of `vfiosim diff` (legacy against dmabuf)
# per scenario, as tests/check_diff.sh compares it.
dout=tests/golden/diff.txt
{
  echo "# Golden \`vfiosim diff --jobs=2 FILE\` lines (legacy against dmabuf) of the scenario suite"
  echo "# (tests/scenarios.cmake, tests/check_diff.sh). Regenerate with tests/update_golden.sh."
  while IFS= read -r rel; do
    echo "$rel  $("$vfiosim" diff --jobs=2 "scenarios/$rel" 2>/dev/null | tail -1)"
  done < <(cd scenarios && find . -name '*.scn' | sed 's|^\./||' | LC_ALL=C sort)
} >"$dout"
echo "update_golden: wrote $dout"
for f in scenarios/bugs/*.scn; do
  [ -e "$f" ] || continue
  b=$(basename "$f" .scn)
  awk -v b="$b" '!/^[[:space:]]*#/ && $1 == b { found=1 } END { exit !found }' tests/golden/bugs.txt ||
    echo "update_golden: note: $b has no line in tests/golden/bugs.txt" >&2
done
exit $fail
