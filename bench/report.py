#!/usr/bin/env python3
"""Turns sb-loadgen JSON lines into comparison tables, gnuplot charts and BENCHMARKS.md.

  report.py compare RESULTS.jsonl
  report.py markdown RESULTS.jsonl --out BENCHMARKS.md --charts bench/results --meta meta.json
"""
import argparse
import json
import os
import subprocess
import sys
from collections import OrderedDict

ORDER = ["switchboard", "switchboard-1w", "node"]
NAMES = {
    "switchboard": "Switchboard ({w} workers)",
    "switchboard-1w": "Switchboard (1 worker)",
    "node": "Node socket.io (1 process)",
}

# (key, heading, higher_is_better, format)
COLUMNS = {
    "idle": [("connected", "connected", True, "{:.0f}"),
             ("connect_rate", "connects/s", True, "{:,.0f}"),
             ("rss_per_conn_kib", "RSS/conn KiB", False, "{:.2f}"),
             ("held", "held", True, "{:.0f}"),
             ("server_cpu_pct", "server CPU % (idle)", False, "{:.1f}")],
    "fanout": [("deliveries_per_s", "deliveries/s", True, "{:,.0f}"),
               ("messages_per_s", "msgs/s", True, "{:,.1f}"),
               ("p50_ms", "p50 ms", False, "{:.2f}"),
               ("p99_ms", "p99 ms", False, "{:.2f}"),
               ("p999_ms", "p99.9 ms", False, "{:.2f}"),
               ("max_ms", "max ms", False, "{:.2f}"),
               ("deliveries_missing", "missing", False, "{:.0f}"),
               ("server_cpu_pct", "server CPU %", None, "{:.0f}"),
               ("server_us_per_op", "server CPU µs/delivery", None, "{:.2f}")],
    "notify": [("sent_per_s", "sent/s", True, "{:,.0f}"),
               ("p50_ms", "p50 ms", False, "{:.2f}"),
               ("p99_ms", "p99 ms", False, "{:.2f}"),
               ("p999_ms", "p99.9 ms", False, "{:.2f}"),
               ("max_ms", "max ms", False, "{:.2f}"),
               ("deliveries_missing", "missing", False, "{:.0f}"),
               ("posts_failed", "failed POSTs", False, "{:.0f}"),
               ("server_cpu_pct", "server CPU %", None, "{:.0f}"),
               ("server_us_per_op", "server CPU µs/notify", None, "{:.1f}")],
    "acks": [("round_trips_per_s", "round trips/s", True, "{:,.0f}"),
             ("p50_ms", "p50 ms", False, "{:.2f}"),
             ("p99_ms", "p99 ms", False, "{:.2f}"),
             ("p999_ms", "p99.9 ms", False, "{:.2f}"),
             ("max_ms", "max ms", False, "{:.2f}"),
             ("server_cpu_pct", "server CPU %", None, "{:.0f}"),
             ("server_us_per_op", "server CPU µs/round trip", None, "{:.1f}")],
    "sse": [("deliveries_per_s", "deliveries/s", True, "{:,.0f}"),
            ("p50_ms", "p50 ms", False, "{:.2f}"),
            ("p99_ms", "p99 ms", False, "{:.2f}"),
            ("p999_ms", "p99.9 ms", False, "{:.2f}")],
}
# The cluster case is a fan-out over two nodes: the same columns, CPU summed over both.
COLUMNS["cluster"] = [(k, {"server CPU %": "CPU % (both nodes)",
                           "server CPU µs/delivery": "CPU µs/delivery (both nodes)"}.get(h, h), hb, f)
                      for k, h, hb, f in COLUMNS["fanout"]]
# The figure each scenario's ratio column is about.
HEADLINE = {"idle": "rss_per_conn_kib", "fanout": "deliveries_per_s",
            "cluster": "deliveries_per_s", "notify": "p99_ms",
            "acks": "round_trips_per_s", "sse": "deliveries_per_s"}


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(derive(json.loads(line)))
    return rows


def derive(r):
    """Server CPU time per operation: a fairer figure than a rate when the
    closed loop or the shared cores bound the rate."""
    rate = {"fanout": "deliveries_per_s", "cluster": "deliveries_per_s",
            "acks": "round_trips_per_s",
            "notify": "sent_per_s"}.get(r.get("scenario"))
    if rate and r.get(rate) and r.get("server_cpu_pct") is not None:
        r["server_us_per_op"] = r["server_cpu_pct"] / 100 / r[rate] * 1e6
    return r


def by_case(rows):
    cases = OrderedDict()
    for r in rows:
        cases.setdefault(r.get("case", r["scenario"]), []).append(r)
    for c in cases.values():
        c.sort(key=lambda r: ORDER.index(r["label"]) if r["label"] in ORDER else 99)
    return cases


def fmt(fmtstr, v):
    if v is None:
        return "–"
    try:
        return fmtstr.format(v)
    except (ValueError, TypeError):
        return str(v)


def ratio(r, ref, key, higher):
    a, b = r.get(key), ref.get(key)
    if a is None or b is None or higher is None:
        return None
    if higher:
        return a / b if b else None
    return b / a if a else None


def name(label, workers):
    return NAMES.get(label, label).format(w=workers)


def table(case_rows, workers, markdown=True):
    scen = case_rows[0]["scenario"]
    skipped = [f"- skipped for {name(r['label'], workers)}: {r.get('reason', '')}"
               for r in case_rows if r.get("skipped")]
    case_rows = [r for r in case_rows if not r.get("skipped")]
    if not case_rows:
        return skipped
    if case_rows[0].get("case") == "max-conns":
        return max_conns_table(case_rows) + skipped
    cols = COLUMNS.get(scen, [])
    ref = next((r for r in case_rows if r["label"] == "node"), None)
    head = HEADLINE.get(scen)
    hcol = next((c for c in cols if c[0] == head), None)
    headers = ["server"] + [c[1] for c in cols]
    if ref and hcol:
        headers.append(f"{hcol[1]}: × better than Node")
    lines = []
    if markdown:
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|")
    else:
        lines.append("  ".join(f"{h:>14}" for h in headers))
    for r in case_rows:
        cells = [name(r["label"], workers)] + [fmt(c[3], r.get(c[0])) for c in cols]
        if ref and hcol:
            x = ratio(r, ref, hcol[0], hcol[2])
            cells.append("–" if x is None else f"{x:.2f}×")
        if markdown:
            lines.append("| " + " | ".join(cells) + " |")
        else:
            lines.append("  ".join(f"{c:>14}" for c in cells))
    if skipped:
        lines += [""] + skipped
    return lines


def max_conns_table(rs):
    """Several load generator processes against one server: one combined row."""
    req = sum(r.get("requested", 0) for r in rs)
    ok = sum(r.get("connected", 0) for r in rs)
    held = sum(r.get("held", 0) for r in rs)
    timed_out = sum(r.get("connect_timed_out", 0) for r in rs)
    failed = sum(r.get("connect_failed", 0) for r in rs)
    before = min(r.get("server_rss_before_kib", 0) for r in rs)
    after = max(r.get("server_rss_after_kib", 0) for r in rs)
    cpu = max(r.get("server_cpu_pct", 0) for r in rs)
    per = (after - before) / ok if ok else 0
    fd = rs[0].get("fd_limit")
    return [
        "| load generators | attempted | connected | held | failed | timed out | server RSS after | RSS/conn KiB | server CPU % while holding | open files limit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(rs)} | {req:,} | {ok:,} | {held:,} | {failed:,} | {timed_out:,} | "
        f"{after / 1024:.1f} MiB | {per:.2f} | {cpu:.1f} | {fd} |",
    ]


def compare(args):
    rows = load(args.results)
    workers = os.environ.get("SB_WORKERS", str(os.cpu_count()))
    for case, rs in by_case(rows).items():
        print(f"\n== {case}")
        for line in table(rs, workers, markdown=False):
            print(line)
        scen = rs[0]["scenario"]
        head = HEADLINE.get(scen)
        ref = next((r for r in rs if r["label"] == "node"), None)
        if ref and head:
            for r in rs:
                if r["label"] == "node":
                    continue
                col = next(c for c in COLUMNS[scen] if c[0] == head)
                x = ratio(r, ref, head, col[2])
                if x is not None:
                    print(f"ratio {case} {r['label']}/node ({col[1]}, >1 = better than Node): {x:.2f}")


# ------------------------------------------------------------------ charts

def gnuplot(script, cwd):
    subprocess.run(["gnuplot"], input=script, text=True, cwd=cwd, check=True)


def bar_chart(path, title, ylabel, groups, series, values, logscale=False):
    """groups: x labels; series: bar names; values[g][s] -> number or None."""
    d = os.path.dirname(path)
    dat = path[:-4] + ".dat"
    with open(dat, "w") as f:
        f.write("group " + " ".join(f'"{s}"' for s in series) + "\n")
        for g in groups:
            f.write(f'"{g}" ' + " ".join("NaN" if values[g].get(s) is None else str(values[g][s])
                                          for s in series) + "\n")
    plots = ", ".join(
        f"'{os.path.basename(dat)}' using {i + 2}:xtic(1) title columnheader({i + 2})"
        for i in range(len(series)))
    gnuplot(f"""
set terminal pngcairo size 900,520 font 'sans,10' noenhanced
set output '{os.path.basename(path)}'
set title '{title}'
set ylabel '{ylabel}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key below
set yrange [{'1e-2' if logscale else '0'}:*]
{'set logscale y' if logscale else ''}
plot {plots}
""", d)
    os.remove(dat)


def charts(rows, outdir, workers):
    os.makedirs(outdir, exist_ok=True)
    cases = by_case(rows)
    made = []
    labels = [l for l in ORDER if any(r["label"] == l for r in rows)]
    series = [name(l, workers) for l in labels]

    def vals(case_list, key, transform=lambda v: v):
        out = OrderedDict()
        for c in case_list:
            out[c] = {}
            for r in cases[c]:
                if r.get(key) is not None:
                    out[c][name(r["label"], workers)] = transform(r[key])
        return out

    fan = [c for c in cases if cases[c][0]["scenario"] == "fanout" and
           not cases[c][0].get("target_rate")]
    if fan:
        v = vals(fan, "deliveries_per_s")
        groups = [f"{cases[c][0]['members']} members" for c in fan]
        v = OrderedDict((g, v[c]) for g, c in zip(groups, fan))
        p = os.path.join(outdir, "fanout_deliveries.png")
        bar_chart(p, "Room fan-out, publisher as fast as delivered (higher is better)",
                  "deliveries per second", groups, series, v)
        made.append(("Room fan-out throughput", p))
    idle = [c for c in cases if cases[c][0]["scenario"] == "idle" and c == "idle"]
    if idle:
        v = vals(idle, "rss_per_conn_kib")
        p = os.path.join(outdir, "rss_per_conn.png")
        bar_chart(p, "Server resident memory per idle WebSocket connection (lower is better)",
                  "KiB per connection", ["idle"], series, v)
        made.append(("Memory per idle connection", p))
    lat_cases = [c for c in cases if cases[c][0]["scenario"] in ("fanout", "notify", "acks") and
                 (cases[c][0]["scenario"] != "fanout" or cases[c][0].get("target_rate"))]
    for c in lat_cases:
        rs = cases[c]
        groups = ["p50", "p99", "p99.9", "max"]
        v = OrderedDict((g, {}) for g in groups)
        for r in rs:
            for g, k in zip(groups, ["p50_ms", "p99_ms", "p999_ms", "max_ms"]):
                if r.get(k) is not None:
                    v[g][name(r["label"], workers)] = r[k]
        p = os.path.join(outdir, f"latency_{c}.png")
        bar_chart(p, f"Latency, {c} (lower is better, log scale)", "milliseconds", groups,
                  series, v, logscale=True)
        made.append((f"Latency: {c}", p))
    return made


# ---------------------------------------------------------------- markdown

def markdown(args):
    rows = load(args.results)
    meta = json.load(open(args.meta)) if args.meta else {}
    workers = meta.get("sb_workers", os.environ.get("SB_WORKERS", str(os.cpu_count())))
    cases = by_case(rows)
    made = charts(rows, args.charts, workers)
    rel = lambda p: os.path.relpath(p, os.path.dirname(os.path.abspath(args.out)))
    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append("Written by `bench/run-all.sh` (do not edit by hand: rerun it). Every figure below")
    L.append("comes from one run in which each scenario was played against Switchboard with")
    L.append(f"{workers} workers, Switchboard with 1 worker and the reference server on the Node")
    L.append("`socket.io` package (one Node process: Node runs JavaScript on one thread), one")
    L.append("after the other, with the same load generator (`bench/loadgen`, C++) on the same")
    L.append("machine. Ratios are against Node in that same run.")
    L.append("")
    L.append("## Machine and run")
    L.append("")
    for k, label in [("date", "date"), ("cpu", "CPU"), ("nproc", "cores (nproc)"),
                     ("mem", "memory"), ("kernel", "kernel"), ("node", "Node.js"),
                     ("socketio", "socket.io (reference)"), ("commit", "Switchboard commit"),
                     ("fd_limit", "open files limit (ulimit -n, hard limit)"),
                     ("nice", "scheduling"), ("load_before", "load average before"),
                     ("load_after", "load average after")]:
        if k in meta:
            L.append(f"- {label}: {meta[k]}")
    L.append("")
    if meta.get("command"):
        L.append("Command:")
        L.append("")
        L.append("```sh")
        L.append(meta["command"])
        L.append("```")
        L.append("")
    if meta.get("noise"):
        L.append(meta["noise"])
        L.append("")
    notes = os.path.join(os.path.dirname(args.out) or ".", "bench", "results", "notes.md")
    summary = summarize(cases)
    if summary:
        L.append("## Against the targets")
        L.append("")
        L += summary
        L.append("")
    L.append("## Results")
    L.append("")
    for case, rs in cases.items():
        r0 = rs[0]
        L.append(f"### {case}")
        L.append("")
        if r0.get("command"):
            L.append(f"`{r0['command']}`")
            L.append("")
        desc = describe(r0)
        if desc:
            L.append(desc)
            L.append("")
        L += table(rs, workers)
        L.append("")
        errs = [f"{r['label']}: {r['errors']}" for r in rs
                if r.get("errors") and not r.get("skipped")]
        if errs:
            L.append("Errors seen by the load generator: " + "; ".join(errs))
            L.append("")
    if made:
        L.append("## Charts")
        L.append("")
        for title, p in made:
            L.append(f"![{title}]({rel(p)})")
            L.append("")
    if os.path.exists(notes):
        L.append(open(notes).read().rstrip())
        L.append("")
    with open(args.out, "w") as f:
        f.write("\n".join(L))
    print(f"wrote {args.out} and {len(made)} charts in {args.charts}", file=sys.stderr)


def describe(r):
    s = r["scenario"]
    if r.get("case") == "max-conns":
        return (f"Two `sb-loadgen idle` processes at once (a process cannot hold more sockets "
                f"than its open-files limit, {r.get('fd_limit')}), {r.get('requested')} "
                "connections each, against one Switchboard; held 20 s. What stops it is in the "
                "notes below.")
    if s == "sse":
        return (f"{r.get('clients')} `GET /sse/<stream>` streams; a publisher POSTs events at "
                f"{r.get('target_rate')}/s. The Node column is the reference's minimal SSE "
                "endpoint (plain `http`: socket.io has no SSE); Switchboard serves the stream "
                "from its SSE gateway (`[[sse.streams]]`, `POST /api/sse/<stream>`). At most "
                "clients × rate deliveries/s can be made: a server that keeps up shows that.")
    if s == "idle":
        return (f"{r.get('requested')} Socket.IO clients over WebSocket connect "
                f"({r.get('sources')} loopback source addresses) and stay idle for "
                f"{r.get('hold_seconds')} s, answering pings. RSS per connection = (server "
                "VmRSS after - before) / connected.")
    if s == "fanout":
        mode = (f"{r.get('target_rate')} messages/s" if r.get("target_rate")
                else f"as fast as delivered ({r.get('window')} messages in flight)")
        return (f"{r.get('members')} members in one room; one publisher socket emits "
                f"`to_room` at {mode}; every member gets each message (`socket.to(room).emit`). "
                "Latency from a steady-clock timestamp in the payload to its arrival at a member.")
    if s == "cluster":
        mode = (f"{r.get('target_rate')} messages/s" if r.get("target_rate")
                else f"as fast as delivered ({r.get('window')} messages in flight)")
        return (f"Two nodes of each server joined through one `redis-server` (Switchboard: "
                "`[cluster]` over a Redis broker; Node: `@socket.io/redis-adapter`); "
                f"{r.get('members')} members in one room, half on each node; the publisher on "
                f"the first node emits `to_room` at {mode}. Every delivery on the second node "
                "crossed Redis. CPU is both nodes' together (redis-server not counted).")
    if s == "notify":
        return (f"{r.get('users')} users connected with an HS256 JWT (each in room `user:<sub>`); "
                f"`POST /api/emit {{\"user\": ...}}` to a random user at {r.get('target_rate')}/s "
                f"over {r.get('http_conns')} keep-alive connections. Latency from the POST to "
                "the user's socket.")
    if s == "acks":
        return (f"{r.get('clients')} clients, each with {r.get('window')} emit(s) in flight; "
                "the server acks with the arguments. Latency = round trip.")
    return ""


def summarize(cases):
    L = []
    get = lambda case, label: next((r for r in cases.get(case, []) if r["label"] == label), None)
    fan = next((c for c in cases if c.startswith("fanout-max") and "1000" in c), None)
    if fan and get(fan, "node") and get(fan, "switchboard"):
        n, s = get(fan, "node"), get(fan, "switchboard")
        s1 = get(fan, "switchboard-1w")
        L.append(f"- Room fan-out to 1,000 members (target ≥ 10× Node): Switchboard "
                 f"{s['deliveries_per_s']:,.0f}/s vs Node {n['deliveries_per_s']:,.0f}/s = "
                 f"**{s['deliveries_per_s'] / n['deliveries_per_s']:.1f}×**"
                 + (f"; with 1 worker {s1['deliveries_per_s']:,.0f}/s = "
                    f"{s1['deliveries_per_s'] / n['deliveries_per_s']:.1f}×" if s1 else "") + ".")
    cl = next((c for c in cases if c.startswith("cluster")), None)
    if cl and get(cl, "node") and get(cl, "switchboard") and get(cl, "node").get("deliveries_per_s"):
        n, s = get(cl, "node"), get(cl, "switchboard")
        L.append(f"- Cluster fan-out, two nodes through Redis, {s.get('members')} members: "
                 f"Switchboard {s['deliveries_per_s']:,.0f}/s vs Node "
                 f"{n['deliveries_per_s']:,.0f}/s = "
                 f"**{s['deliveries_per_s'] / n['deliveries_per_s']:.1f}×**.")
    if get("idle", "node") and get("idle", "switchboard"):
        n, s = get("idle", "node"), get("idle", "switchboard")
        if s["rss_per_conn_kib"] > 0:
            L.append(f"- RSS per idle WebSocket connection (target ≤ 1/10 of Node): Switchboard "
                     f"{s['rss_per_conn_kib']:.2f} KiB vs Node {n['rss_per_conn_kib']:.2f} KiB = "
                     f"**1/{n['rss_per_conn_kib'] / s['rss_per_conn_kib']:.1f}**.")
    nc = next((c for c in cases if c.startswith("notify")), None)
    if nc and get(nc, "node") and get(nc, "switchboard"):
        n, s = get(nc, "node"), get(nc, "switchboard")
        L.append(f"- Per-user notify p99 at {s['target_rate']:.0f}/s (target: lower than Node): "
                 f"Switchboard {s['p99_ms']:.2f} ms vs Node {n['p99_ms']:.2f} ms "
                 f"(p50 {s['p50_ms']:.2f} vs {n['p50_ms']:.2f} ms).")
    mc = next((c for c in cases if c.startswith("max-conns")), None)
    if mc:
        total = sum(r.get("connected", 0) for r in cases[mc])
        req = sum(r.get("requested", 0) for r in cases[mc])
        fd = cases[mc][0].get("fd_limit")
        why = (f": the server ran out of file descriptors (open-files limit {fd} per process)"
               if fd and total < req and total >= 0.95 * fd else "")
        L.append(f"- Concurrent connections held by one node (target ≥ 100,000): "
                 f"{total:,} of {req:,} attempted{why}; see the notes.")
    return L


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("results")
    m = sub.add_parser("markdown")
    m.add_argument("results")
    m.add_argument("--out", required=True)
    m.add_argument("--charts", required=True)
    m.add_argument("--meta")
    args = ap.parse_args()
    {"compare": compare, "markdown": markdown}[args.cmd](args)


if __name__ == "__main__":
    main()
