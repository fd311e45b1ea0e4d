#!/usr/bin/env python3
"""Exploration throughput: steps/s per scenario (one job) and the wall-clock
speedup of BM_ExploreParallel/2 over /1. usage: explore.py BENCH.json OUT.png"""
import re
import sys

import matplotlib.pyplot as plt

from common import load_gbench, machine_note, save


def main(src, out):
    runs, ctx = load_gbench(src)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.5), dpi=120, gridspec_kw={"width_ratios": [3, 1]})
    # Steps per CPU-second of the exploring thread: what one core does, even on
    # a shared machine (the wall-clock rate is in the JSON too).
    scen = sorted(((m.group(1), r.get("steps_per_cpu_second", r.get("steps_per_second", 0))) for n, r in runs.items()
                   if (m := re.fullmatch(r"BM_Explore/(.+)", n))), key=lambda p: p[1])
    if scen:
        a1.barh([s[0] for s in scen], [s[1] / 1e6 for s in scen], color="#4c72b0")
        a1.axvline(1.0, color="#c44e52", linestyle="--", label="goal: 1M steps/s per core")
        a1.legend(fontsize=7)
    a1.set_xlabel("million steps per CPU-second (exhaustive, 1 job)")
    a1.set_title("Exploration throughput per scenario")
    a1.tick_params(axis="y", labelsize=6)
    a1.grid(True, axis="x", alpha=0.3)
    par = sorted((int(m.group(1)), r["real_ns"]) for n, r in runs.items()
                 if (m := re.fullmatch(r"BM_ExploreParallel/(\d+)", n)))
    if par:
        base = par[0][1]
        a2.bar([str(p[0]) for p in par], [base / p[1] for p in par], color="#55a868")
        a2.axhline(1.8, color="#c44e52", linestyle="--", label="goal 1.8x at 2 jobs")
        a2.legend(fontsize=7)
        load = ctx.get("load_avg")
        if load:
            # Wall-clock speedup needs idle cores: say how busy the machine was.
            a2.text(0.5, 0.5, "load average\n%.1f on %s CPUs" % (load[0], ctx.get("num_cpus", "?")),
                    transform=a2.transAxes, ha="center", fontsize=8, color="0.25")
    a2.set_xlabel("jobs (TBB workers)")
    a2.set_ylabel("speedup (wall clock)")
    a2.set_title("Parallel exploration")
    a2.grid(True, axis="y", alpha=0.3)
    save(fig, out, machine_note(ctx))


if __name__ == "__main__":
    main(*sys.argv[1:3])
