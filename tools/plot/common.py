"""Shared helpers of the tools/plot scripts: Google Benchmark JSON and
`vfiosim stress --stress_format=json` readers, and a matplotlib Agg setup."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load_gbench(path):
    """{name: run} for the iteration runs of a Google Benchmark JSON file
    (times converted to ns in 'real_ns' / 'cpu_ns')."""
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        k = _UNIT_NS[b.get("time_unit", "ns")]
        b["real_ns"] = b["real_time"] * k
        b["cpu_ns"] = b["cpu_time"] * k
        out[b["name"]] = b
    return out, data.get("context", {})


def load_stress(path):
    with open(path) as f:
        return json.load(f)["runs"]


def figure(title, xlabel, ylabel):
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    return fig, ax


def save(fig, path, note=None):
    if note:
        fig.text(0.99, 0.01, note, ha="right", va="bottom", fontsize=7, color="0.4")
    fig.tight_layout()
    fig.savefig(path)
    print("wrote", path, file=sys.stderr)


def machine_note(ctx):
    if not ctx:
        return None
    return "%s, %s CPUs, %s" % (ctx.get("host_name", "?"), ctx.get("num_cpus", "?"), ctx.get("date", "")[:10])
