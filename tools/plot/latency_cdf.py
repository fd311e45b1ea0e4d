#!/usr/bin/env python3
"""CDF of the host-time latency of a faulting read under `vfiosim stress`, one
curve per variant and leaf size. usage: latency_cdf.py STRESS.json OUT.png"""
import sys

from common import figure, load_stress, save


def main(src, out):
    runs = load_stress(src)
    fig, ax = figure("Fault latency under stress (faulting reads vs. a revoker)", "latency (ns, log)", "fraction of faults ≤ x")
    styles = {"legacy": "--", "dmabuf": "-"}
    colors = {"4k": "#4c72b0", "2m": "#55a868", "1g": "#c44e52"}
    note = None
    for r in runs:
        for leaf, h in sorted(r.get("fault_latency_ns", {}).items()):
            total = float(h["count"])
            if total < 50:
                continue
            xs, ys, acc = [], [], 0
            for edge, n in h["buckets"]:
                acc += n
                xs.append(max(edge, 1))
                ys.append(acc / total)
            ax.step(xs, ys, where="post", linestyle=styles.get(r["variant"], "-"), color=colors.get(leaf, None),
                    label="%s, %s leaves (n=%d, p99=%d ns)" % (r["variant"], leaf, h["count"], h["p99"]))
        note = "%d faulting threads + %d revoker(s), %.1f s per run" % (r["faulters"], r["revokers"], r["seconds"])
    ax.set_xscale("log")
    ax.set_ylim(0, 1.01)
    ax.legend(fontsize=7, loc="lower right")
    save(fig, out, note)


if __name__ == "__main__":
    main(*sys.argv[1:3])
