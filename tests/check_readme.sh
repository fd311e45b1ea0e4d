#!/usr/bin/env bash
# Runs every `$ build/vfiosim ...` sample of markdown files (a fenced block whose
# first line is the command, the rest its stdout) and compares the output, so the
# docs' examples cannot drift from what the tool prints. Run by ctest.
#   check_readme.sh VFIOSIM SRC_ROOT FILE.md...
set -uo pipefail
[ $# -ge 3 ] || { echo "usage: $0 VFIOSIM SRC_ROOT FILE.md..." >&2; exit 2; }
vfiosim=$1 root=$2
shift 2
cd "$root" || exit 2
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT

check_md() {
  local md=$1 dir="$work/$(basename "$1")" status=0 s
  mkdir -p "$dir"
  # One file per sample: line 1 the command (without "$ build/vfiosim "), then the output.
  awk -v dir="$dir" '
    /^```/ { if (in_) { in_ = 0; close(f) } else { fence = 1 } ; next }
    fence && /^\$ build\/vfiosim / { n++; f = sprintf("%s/%03d", dir, n); in_ = 1; fence = 0
                                    sub(/^\$ build\/vfiosim /, ""); print > f; next }
    { fence = 0 }
    in_ { print > f }' "$md"
  local samples=("$dir"/[0-9]*)
  [ -e "${samples[0]}" ] || { echo "check_readme: no '\$ build/vfiosim' sample in $md" >&2; return 1; }
  for s in "${samples[@]}"; do
    read -r -a args < <(head -1 "$s")
    tail -n +2 "$s" >"$s.want"
    "$vfiosim" "${args[@]}" >"$s.got" 2>/dev/null
    if ! diff -u "$s.want" "$s.got" >"$s.diff"; then
      echo "check_readme: $md: 'vfiosim ${args[*]}' prints something else than the sample:" >&2
      cat "$s.diff" >&2
      status=1
    fi
  done
  return $status
}

status=0
for md in "$@"; do check_md "$md" || status=1; done
exit $status
