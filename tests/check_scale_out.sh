#!/usr/bin/env bash
# The GNU parallel recipe of docs/scale-out.md, run as written (with this build's
# vfiosim and a smaller scenario): N shards in parallel, then `vfiosim merge`. The
# merged verdict line must equal the single run's, for a PASS and for a FAIL
# (a planted bug, whose merge must fail with the same reason). Run by ctest.
#   check_scale_out.sh VFIOSIM SRC_ROOT
set -uo pipefail
die() { echo "check_scale_out: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 VFIOSIM SRC_ROOT"
vfiosim=$(realpath "$1") root=$(cd "$2" && pwd)
command -v parallel >/dev/null || die "GNU parallel is not installed (setup.sh installs it: package parallel)"
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
# check SCENARIO [OPTIONS...]: sharded and merged equals the single run.
check() {
  local name=$1 scn=$root/scenarios/$1
  shift
  local N=5 opts="$*"
  rm -f "$tmp"/shard-*.json
  (cd "$tmp" && parallel --will-cite -j2 "'$vfiosim' run --jobs=1 $opts --shard={}/$N --format=json '$scn' > shard-{}.json" \
     ::: $(seq 0 $((N - 1)))) >/dev/null 2>&1
  local n
  n=$(ls "$tmp"/shard-*.json 2>/dev/null | wc -l)
  [ "$n" -eq $N ] || die "$scn $opts: $n of $N shard reports written"
  local merged single
  merged=$("$vfiosim" merge "$tmp"/shard-*.json 2>&1 | tail -1)
  # shellcheck disable=SC2086
  single=$("$vfiosim" run --jobs=1 $opts "$scn" 2>&1 | tail -1)
  [ "$merged" = "$single" ] || die "$scn $opts: merged '$merged', single run '$single'"
  echo "ok: $name $opts: $single"
}
check huge-4k-misaligned.scn --keep-going
check fault-vs-revoke.scn --keep-going
check bugs/no-zap-on-revoke.scn --keep-going --bug=no-zap-on-revoke
