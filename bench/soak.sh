#!/usr/bin/env bash
# The soak test (not in CI: it takes minutes): one Switchboard (the bench
# config), rounds of connection churn and traffic from sb-loadgen, and the
# server's RSS and open descriptors sampled after every round. Exits 1 when
# they keep growing after the warm-up round.
#
#   bench/soak.sh                          # 5 minutes, 500 clients per round
#   bench/soak.sh --minutes 30 --conns 2000 --round 10
#
# Options go to `sb-loadgen soak` (see `sb-loadgen soak --help`). Env: SB_WORKERS, BUILD.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_prepare
start_server switchboard
status=0
"$LOADGEN" soak --port "$SERVER_PORT" --server-pid "$SERVER_PID" --label switchboard "$@" ||
  status=$?
stop_server
exit "$status"
