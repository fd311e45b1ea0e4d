#!/usr/bin/env bash
# Prints the Spin-anchor scenario: N CPU threads each read P 4 KiB pages of one
# BAR mapping while an admin thread clears and sets PCI_COMMAND.MEM (dmabuf
# variant). The same race as anchor.pml, for vfiosim. bench/spin/anchor-NxP.scn
# are this script's output (BM_SpinAnchor/<N>x<P> explores them):
#   bench/spin/anchor.sh 3 2 > bench/spin/anchor-3x2.scn
set -euo pipefail
n=${1:?usage: anchor.sh THREADS PAGES} p=${2:?usage: anchor.sh THREADS PAGES}
echo "scenario spin-anchor-${n}x${p}"
echo "title \"$n CPU threads read $p pages each of one BAR mapping while MEM is cleared and set (bench/spin/anchor.pml)\""
echo "variant dmabuf"
echo
echo "device gpu"
echo "  bar 0 size=64K mem64"
echo "end"
echo
echo "setup"
echo "  p  = process"
echo "  fd = open gpu in p"
echo "  va = mmap p fd bar=0 len=64K"
echo "end"
for ((t = 0; t < n; t++)); do
  echo
  echo "thread cpu$t"
  for ((k = 0; k < p; k++)); do printf '  r%d = read p va+0x%x\n' "$k" $((k * 4096)); done
  echo "end"
done
echo
echo "thread admin"
echo "  c0 = command fd mem=0"
echo "  c1 = command fd mem=1"
echo "end"
echo
echo "# A read returns the BAR's value (0) or SIGBUS (the buffer is revoked while"
echo "# MEM is off); never the master-abort 0xffffffff of a stale PTE."
for ((t = 0; t < n; t++)); do
  for ((k = 0; k < p; k++)); do echo "expect always cpu$t.r$k in {0, SIGBUS}"; done
done
echo "expect always admin.c0 == ok && admin.c1 == ok"
