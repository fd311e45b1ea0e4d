#!/usr/bin/env python3
"""Compares two Google Benchmark JSON runs (what Debian's libbenchmark-tools
compare.py does for `benchmarks`, without scipy): per benchmark name in both,
old and new time, the change, and the user counters that changed.
usage: compare.py OLD.json NEW.json [--threshold=PCT]"""
import json
import sys

UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
SKIP = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads", "iterations", "real_time",
        "cpu_time", "time_unit", "family_index", "per_family_instance_index", "aggregate_name", "aggregate_unit",
        "label", "error_occurred", "error_message"}


def load(path):
    with open(path) as f:
        d = json.load(f)
    out = {}
    for b in d.get("benchmarks", []):
        if b.get("run_type", "iteration") == "iteration" and not b.get("error_occurred"):
            out[b["name"]] = b
    return out


def fmt(ns):
    for unit, k in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= k:
            return "%.3g %s" % (ns / k, unit)
    return "%.3g ns" % ns


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    threshold = 5.0
    for a in argv:
        if a.startswith("--threshold="):
            threshold = float(a.split("=", 1)[1])
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    old, new = load(args[0]), load(args[1])
    names = [n for n in new if n in old]
    if not names:
        print("no benchmark in common", file=sys.stderr)
        return 2
    w = max(len(n) for n in names)
    print("%-*s %12s %12s %9s %9s" % (w, "Benchmark", "old (cpu)", "new (cpu)", "cpu", "real"))
    worse = 0
    for n in names:
        o, e = old[n], new[n]
        ko, ke = UNIT[o.get("time_unit", "ns")], UNIT[e.get("time_unit", "ns")]
        oc, ec = o["cpu_time"] * ko, e["cpu_time"] * ke
        orl, erl = o["real_time"] * ko, e["real_time"] * ke
        dc = (ec - oc) / oc * 100 if oc else 0
        dr = (erl - orl) / orl * 100 if orl else 0
        mark = " <-- slower" if dc > threshold else ""
        worse += dc > threshold
        print("%-*s %12s %12s %+8.1f%% %+8.1f%%%s" % (w, n, fmt(oc), fmt(ec), dc, dr, mark))
        for k in sorted(set(o) & set(e) - SKIP):
            if isinstance(o[k], (int, float)) and isinstance(e[k], (int, float)) and o[k] != e[k] and o[k]:
                print("%-*s   %s: %.4g -> %.4g (%+.1f%%)" % (w, "", k, o[k], e[k], (e[k] - o[k]) / o[k] * 100))
    for n in sorted(set(old) - set(new)):
        print("%-*s only in %s" % (w, n, args[0]))
    for n in sorted(set(new) - set(old)):
        print("%-*s only in %s" % (w, n, args[1]))
    print("%d of %d benchmarks more than %.0f%% slower (CPU time)" % (worse, len(names), threshold))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
