#!/usr/bin/env python3
"""find_pfn lookup time vs number of phys_vec ranges, linear vs indexed (log-log).
usage: find_pfn.py BENCH.json OUT.png"""
import re
import sys

from common import figure, load_gbench, machine_note, save


def main(src, out):
    runs, ctx = load_gbench(src)
    fig, ax = figure("vfio_pci_dma_buf_find_pfn(): one order-0 lookup", "phys_vec ranges", "time per lookup (ns)")
    for impl, style in (("Linear", "o-"), ("Indexed", "s-")):
        pts = sorted((int(m.group(1)), r["cpu_ns"]) for n, r in runs.items()
                     if (m := re.fullmatch(r"BM_FindPfn%s/(\d+)" % impl, n)))
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style,
                    label={"Linear": "linear walk (kernel)", "Indexed": "indexed (prefix sums + binary search)"}[impl])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend()
    save(fig, out, machine_note(ctx))


if __name__ == "__main__":
    main(*sys.argv[1:3])
