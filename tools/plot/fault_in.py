#!/usr/bin/env python3
"""Fault-in of a 1 GiB BAR mapping per leaf size, and one fault's latency per
variant and leaf size (log scale). usage: fault_in.py BENCH.json OUT.png"""
import re
import sys

from common import figure, load_gbench, machine_note, save

LEAF = {4096: "4K", 2097152: "2M", 1073741824: "1G"}


def main(src, out):
    runs, ctx = load_gbench(src)
    fig, ax = figure("Faulting in a 1 GiB BAR mapping (dmabuf variant)", "largest leaf allowed", "time (µs)")
    pts = sorted((int(m.group(1)), r["cpu_ns"] / 1e3) for n, r in runs.items()
                 if (m := re.fullmatch(r"BM_FaultIn1GiB/(\d+)", n)))
    if pts:
        bars = ax.bar([LEAF.get(p[0], str(p[0])) for p in pts], [p[1] for p in pts], color=["#4c72b0", "#55a868", "#c44e52"])
        for b, p in zip(bars, pts):
            ax.annotate("%.3g µs" % p[1], (b.get_x() + b.get_width() / 2, b.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    # One fault's latency, legacy vs dmabuf, as an inset table-like second axis.
    lat = {}
    for n, r in runs.items():
        m = re.fullmatch(r"BM_FaultLatency/(\w+)/(\d+)", n)
        if m:
            lat[(m.group(1), int(m.group(2)))] = r["cpu_ns"]
    if lat:
        ins = ax.inset_axes([0.58, 0.55, 0.4, 0.4])
        leaves = sorted({k[1] for k in lat})
        w = 0.38
        for i, v in enumerate(("legacy", "dmabuf")):
            ins.bar([j + (i - 0.5) * w for j in range(len(leaves))], [lat.get((v, l), 0) for l in leaves], w, label=v)
        ins.set_xticks(range(len(leaves)), [LEAF.get(l, str(l)) for l in leaves], fontsize=7)
        ins.set_title("one fault (ns)", fontsize=8)
        ins.tick_params(labelsize=7)
        ins.legend(fontsize=6)
    save(fig, out, machine_note(ctx))


if __name__ == "__main__":
    main(*sys.argv[1:3])
