#!/usr/bin/env bash
# Installs vfiosim's build dependencies (Debian 12 packages) and builds it.
# A fast no-op when everything is already there. Run as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")"

PKGS=(g++ cmake ninja-build pkg-config libtbb-dev libabsl-dev libboost-dev nlohmann-json3-dev libgtest-dev
      libgmock-dev libbenchmark-dev python3 python3-matplotlib spin parallel)  # spin: bench/spin/anchor.pml; parallel: docs/scale-out.md
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD=${BUILD:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$BUILD" ${NINJA_FLAGS:-}
