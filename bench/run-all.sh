#!/usr/bin/env bash
# Runs the whole benchmark set against Switchboard (N workers), Switchboard
# (1 worker) and the Node reference, then rewrites BENCHMARKS.md and the PNG
# charts in bench/results/. About 10 minutes on 2 cores.
#
#   bench/run-all.sh                 # the full set
#   BENCH_NICE=-10 bench/run-all.sh  # on a machine shared with other work
#   QUICK=1 bench/run-all.sh         # short durations, smaller counts (smoke run)
#
# Env: SB_WORKERS (default nproc), BUILD, BENCH_NICE, QUICK, BENCH_NOTE (a
# sentence about the conditions, copied into BENCHMARKS.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_prepare
command -v gnuplot >/dev/null || { echo "bench: gnuplot is needed (scripts/install-deps.sh --bench)" >&2; exit 1; }

RESULTS_DIR=$BENCH_DIR/results
mkdir -p "$RESULTS_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$RESULTS_DIR/results-$stamp.jsonl
: >"$OUT"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "${QUICK:-0}" = 1 ]; then
  IDLE_N=2000 HOLD=5 DUR=4 USERS=2000 MAXC=3000
else
  IDLE_N=10000 HOLD=30 DUR=10 USERS=10000 MAXC=15000
fi

# case <name> <scenario> [loadgen options]: all servers, JSON lines tagged with the
# command that reproduces them.
case_() {
  local name=$1 scenario=$2; shift 2
  local cmd="bench/run.sh $scenario $*"
  echo "== $name: $cmd" >&2
  bench_scenario "$scenario" --case "$name" "$@" | tag "$cmd" | tee -a "$OUT"
}
tag() {
  python3 -c '
import json, sys
for line in sys.stdin:
    if line.startswith("{"):
        d = json.loads(line); d["command"] = sys.argv[1]; print(json.dumps(d), flush=True)' "$1"
}

case_ idle idle --conns "$IDLE_N" --hold "$HOLD"
for m in 100 1000 5000; do
  case_ "fanout-max-$m" fanout --members "$m" --rate 0 --window 32 --duration "$DUR"
done
case_ fanout-rate-20x1000 fanout --members 1000 --rate 20 --duration "$DUR"
case_ notify-2000 notify --users "$USERS" --rate 2000 --duration "$DUR"
case_ acks-100 acks --clients 100 --window 1 --duration "$DUR"
case_ sse sse --clients 1000 --rate 50 --duration "$DUR"
cmd="bench/run.sh cluster --members 1000 --rate 0 --window 32 --duration $DUR"
echo "== cluster-1000: $cmd" >&2
bench_cluster --case cluster-1000 --members 1000 --rate 0 --window 32 --duration "$DUR" |
  tag "$cmd" | tee -a "$OUT"

# As many connections as one Switchboard process takes: two load generator
# processes (each is bound by the same open-files limit as the server).
echo "== max-conns: 2 x $MAXC connections to one Switchboard ($SB_WORKERS workers)" >&2
start_server switchboard
pids=()
for i in 1 2; do
  run_loadgen idle "switchboard-loadgen$i" --case max-conns --conns "$MAXC" --hold 20 \
    --connect-timeout 60 --concurrency 512 >"$RESULTS_DIR/.maxc$i" &
  pids+=($!)
done
wait "${pids[@]}" || true   # not a bare `wait`: the server is a child too
sleep 1
stop_server
cat "$RESULTS_DIR"/.maxc1 "$RESULTS_DIR"/.maxc2 |
  tag "two concurrent: sb-loadgen idle --conns $MAXC --hold 20 --connect-timeout 60 --concurrency 512" |
  tee -a "$OUT"
rm -f "$RESULTS_DIR"/.maxc1 "$RESULTS_DIR"/.maxc2

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_NOTE=${BENCH_NOTE:-}   # free text for BENCHMARKS.md (e.g. how noisy the machine was)
cp "$OUT" "$RESULTS_DIR/latest.jsonl"
python3 - "$RESULTS_DIR/meta.json" <<PY
import json, subprocess, sys, os, platform
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
sio = json.load(open("$BENCH_DIR/reference/node_modules/socket.io/package.json"))["version"]
commit = subprocess.run(["git", "-C", "$ROOT", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "-C", "$ROOT", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
meta = {
  "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
  "cpu": cpu, "nproc": os.cpu_count(), "mem": mem, "kernel": platform.release(),
  "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
  "socketio": sio, "commit": commit + (" (with local changes)" if dirty else ""),
  "fd_limit": "$FD_LIMIT (hard $(ulimit -Hn))", "sb_workers": "$SB_WORKERS",
  "nice": "servers and load generator at nice $BENCH_NICE" if "$BENCH_NICE" != "0" else "default priority",
  "load_before": "$load_before", "load_after": "$load_after",
  "command": "bench/run-all.sh" + (" (QUICK=1)" if "${QUICK:-0}" == "1" else "")
             + (" with BENCH_NICE=$BENCH_NICE" if "$BENCH_NICE" != "0" else ""),
  "noise": os.environ.get("BENCH_NOTE", ""),
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PY
python3 "$BENCH_DIR/report.py" markdown "$OUT" --out "$ROOT/BENCHMARKS.md" \
  --charts "$RESULTS_DIR" --meta "$RESULTS_DIR/meta.json"
