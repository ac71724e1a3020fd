#!/usr/bin/env bash
# One scenario against Switchboard (N workers), Switchboard (1 worker) and the
# Node reference (socket.io) in the same run; prints the figures and the ratios.
#
#   bench/run.sh fanout --members 1000 --rate 0 --window 32
#   bench/run.sh notify --users 10000 --rate 2000
#   bench/run.sh idle --conns 10000 --hold 30
#   SERVERS="switchboard node" SB_WORKERS=2 bench/run.sh acks --clients 100
#   bench/run.sh cluster --members 1000 --rate 0 --window 32   # two nodes + redis-server
#
# Options after the scenario go to sb-loadgen (see `sb-loadgen <scenario> --help`).
# Env: SERVERS, SB_WORKERS (default nproc), BUILD, BENCH_NICE, RESULTS (append the
# JSON lines to this file).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || { sed -n '2,14p' "$0"; exit 2; }
scenario=$1; shift
bench_prepare
out=$(mktemp /tmp/sb-bench.XXXXXX.jsonl)
if [ "$scenario" = cluster ]; then
  bench_cluster "$@" | tee "$out"
else
  bench_scenario "$scenario" "$@" | tee "$out"
fi
python3 "$BENCH_DIR/report.py" compare "$out"
[ -n "${RESULTS:-}" ] && cat "$out" >>"$RESULTS"
rm -f "$out"
