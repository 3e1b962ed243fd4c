#!/usr/bin/env python3
"""Medians over runs of loadgen/bench/cost.sh: summary.py OUT_DIR -> a Markdown table.

Files are named MODE-PLAYERS-RUN.json (with MODE-PLAYERS-RUN.json.load beside them)."""
import json, pathlib, statistics, sys, collections

runs = collections.defaultdict(list)
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    mode, players, _ = f.stem.rsplit("-", 2)
    report = json.loads(f.read_text())
    load = pathlib.Path(str(f) + ".load").read_text().split() if pathlib.Path(str(f) + ".load").exists() else []
    runs[(mode, int(players))].append((report, load))

labels = ["gateway", "worker", "nats", "redis", "postgres"]
print("| mode | players | runs | " + " | ".join(labels) + " | **total** | extra | load (1-min avg, start/end of each run) |")
print("|---" * (len(labels) + 6) + "|")
for (mode, players), rs in sorted(runs.items()):
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    per = {l: med([p["us_per_player_second"] for r, _ in rs for p in r["procs"] if p["label"] == l]) for l in labels}
    total = med([r["procs_total_us_per_player_second"] for r, _ in rs])
    if mode == "direct":
        extra = "tick lateness p99 %s µs, missed ticks %s" % (
            "/".join("%.0f" % (r["tick_lateness"]["p99_us"] or float("nan")) for r, _ in rs),
            "/".join(str(r["missed_ticks"]) for r, _ in rs))
    else:
        extra = "pipeline p99 %s µs, down %s B/s" % (
            "/".join("%.0f" % ((r.get("gateway_pipeline") or {}).get("p99_us") or float("nan")) for r, _ in rs),
            "/".join("%.0f" % r["down_bytes_per_sec"]["mean"] for r, _ in rs))
    loads = ", ".join("/".join(l[i] for i in (0, 3) if len(l) > i) for _, l in rs)
    cells = " | ".join("%.0f µs" % per[l] for l in labels)
    print(f"| {mode} | {players} | {len(rs)} | {cells} | **{total:.0f} µs** | {extra} | {loads} |")
