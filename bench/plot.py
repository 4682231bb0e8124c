#!/usr/bin/env python3
"""plot.py RESULTS.json OUT.svg -- draws bench/run.py's results as an SVG
with two grouped bar charts on logarithmic axes: time per operation and
memory per task, one bar per system.  Standard library only."""

import json
import math
import sys

SYSTEMS = ["asyncc", "handwritten", "libuv", "node", "python"]
LABELS = {"asyncc": "asyncc", "handwritten": "hand-written C", "libuv": "libuv",
          "node": "Node.js", "python": "asyncio"}
COLORS = {"asyncc": "#1f77b4", "handwritten": "#7f7f7f", "libuv": "#2ca02c",
          "node": "#ff7f0e", "python": "#9467bd"}
CHARTS = [
    ("Time per operation (ns, log scale)", "ns_per_op",
     [("await_chain", "await"), ("spawn_gather", "spawn+finish"),
      ("ping_pong", "queue hop")]),
    ("Memory per task (bytes, log scale)", "bytes_per_task",
     [("spawn_gather", "spawned task"), ("sleepers", "sleeping task")]),
]
W, H, PAD, LEGEND = 760, 300, 60, 24


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;")


def chart(results, title, key, groups, y0):
    # Only the charted workloads set the axis: others share the key (the
    # microseconds of a round trip between loops would squash the bars).
    charted = {w for w, _ in groups}
    by = {(r["workload"], r["system"]): r.get(key) for r in results
          if key in r and r["workload"] in charted}
    values = [v for v in by.values() if v and v > 0]
    if not values:
        return [], 0
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    if hi <= lo:
        hi = lo * 10
    plot_h = H - 2 * PAD
    def y(v):
        return y0 + PAD + plot_h * (1 - (math.log10(v) - math.log10(lo)) /
                                    (math.log10(hi) - math.log10(lo)))
    out = ['<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>'
           % (PAD, y0 + 30, esc(title))]
    decade = lo
    while decade <= hi:
        yy = y(decade)
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                   % (PAD, yy, W - 20, yy))
        out.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end">%g</text>'
                   % (PAD - 6, yy + 4, decade))
        decade *= 10
    group_w = (W - PAD - 20) / len(groups)
    bar_w = group_w / (len(SYSTEMS) + 1)
    for gi, (workload, label) in enumerate(groups):
        gx = PAD + gi * group_w
        out.append('<text x="%.1f" y="%d" font-size="12" text-anchor="middle">%s</text>'
                   % (gx + group_w / 2, y0 + H - PAD + 18, esc(label)))
        for si, system in enumerate(SYSTEMS):
            v = by.get((workload, system))
            if not v or v <= 0:
                continue
            x = gx + bar_w * (si + 0.5)
            top = y(v)
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s">'
                       '<title>%s: %.3g</title></rect>'
                       % (x, top, bar_w * 0.9, y(lo) - top, COLORS[system],
                          LABELS[system], v))
            out.append('<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle">%.3g</text>'
                       % (x + bar_w * 0.45, top - 3, v))
    return out, H


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py RESULTS.json OUT.svg")
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    results = doc["results"]
    parts, y0 = [], LEGEND + 10
    for title, key, groups in CHARTS:
        body, h = chart(results, title, key, groups, y0)
        parts += body
        y0 += h
    legend = []
    for i, system in enumerate(SYSTEMS):
        x = PAD + i * 130
        legend.append('<rect x="%d" y="8" width="12" height="12" fill="%s"/>'
                      '<text x="%d" y="18" font-size="12">%s</text>'
                      % (x, COLORS[system], x + 16, LABELS[system]))
    m = doc.get("machine", {})
    note = "%s, %s cores; %s" % (m.get("cpu", "?"), m.get("cores", "?"), m.get("date", ""))
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif">' % (W, y0 + 20),
           '<rect width="100%" height="100%" fill="white"/>'] + legend + parts + [
           '<text x="%d" y="%d" font-size="10" fill="#666">%s</text>' % (PAD, y0 + 10, esc(note)),
           '</svg>']
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
