# Shared by bench/run.sh and bench/run-all.sh (sourced, not run).
# Starts and stops the servers under test and runs the load generator.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SB_BIN=${SB_BIN:-$BUILD/switchboard}
LOADGEN=${LOADGEN:-$BUILD/bench/loadgen/sb-loadgen}
SB_WORKERS=${SB_WORKERS:-$(nproc)}
SERVERS=${SERVERS:-"switchboard switchboard-1w node"}
BENCH_NICE=${BENCH_NICE:-0}   # e.g. -10 on a shared machine (needs root)
NICE=()
[ "$BENCH_NICE" != 0 ] && NICE=(nice -n "$BENCH_NICE")

# Raises the open-file limit as far as the hard limit allows; prints it.
bench_raise_limits() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  FD_LIMIT=$(ulimit -n)
  echo "bench: open files limit $FD_LIMIT (hard $(ulimit -Hn)), nproc $(nproc), nice $BENCH_NICE" >&2
}

# Builds the server and the load generator, installs the reference's npm modules.
bench_prepare() {
  bench_raise_limits
  if [ ! -x "$SB_BIN" ] || [ ! -x "$LOADGEN" ] || [ "${BENCH_REBUILD:-0}" = 1 ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSB_TESTS=OFF >/dev/null
    cmake --build "$BUILD" -j"${JOBS:-2}" --target switchboard sb-loadgen
  fi
  if [ ! -d "$BENCH_DIR/reference/node_modules" ] ||
     [ "$BENCH_DIR/reference/package-lock.json" -nt "$BENCH_DIR/reference/node_modules" ]; then
    (cd "$BENCH_DIR/reference" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server <switchboard|switchboard-1w|node>: sets SERVER_PID and SERVER_PORT.
start_server() {
  local kind=$1 log
  SERVER_PORT=$(free_port)
  log=$(mktemp /tmp/sb-bench-server.XXXXXX.log)
  SERVER_LOG=$log
  case $kind in
    switchboard)
      "${NICE[@]}" "$SB_BIN" --config "$BENCH_DIR/switchboard.bench.toml" \
        --port "$SERVER_PORT" --workers "$SB_WORKERS" >"$log" 2>&1 &
      ;;
    switchboard-1w)
      "${NICE[@]}" "$SB_BIN" --config "$BENCH_DIR/switchboard.bench.toml" \
        --port "$SERVER_PORT" --workers 1 >"$log" 2>&1 &
      ;;
    node)
      (cd "$BENCH_DIR/reference" && exec "${NICE[@]}" node server.mjs --port "$SERVER_PORT" \
        >"$log" 2>&1) &
      ;;
    *) echo "unknown server $kind" >&2; return 1 ;;
  esac
  SERVER_PID=$!
  # `nice` execs the program, so the pid is the server's own.
  for _ in $(seq 100); do
    if curl -fs "http://127.0.0.1:$SERVER_PORT/healthz" >/dev/null 2>&1; then
      sleep 0.5   # let the RSS settle before a scenario reads it
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "bench: $kind exited:" >&2; cat "$log" >&2; return 1
    fi
    sleep 0.1
  done
  echo "bench: $kind did not start" >&2; cat "$log" >&2
  return 1
}

stop_server() {
  [ -n "${SERVER_PID:-}" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  # A crash shows in the log: keep it in the output.
  if grep -qiE "sanitizer|segmentation|abort|terminate" "$SERVER_LOG" 2>/dev/null; then
    echo "bench: server log shows a failure:" >&2; tail -20 "$SERVER_LOG" >&2
  fi
  rm -f "$SERVER_LOG"
  SERVER_PID=
}

# run_loadgen <scenario> <label> [options]: one JSON line on stdout.
run_loadgen() {
  local scenario=$1 label=$2; shift 2
  "${NICE[@]}" "$LOADGEN" "$scenario" --port "$SERVER_PORT" --server-pid "$SERVER_PID" \
    --label "$label" "$@"
}

# bench_scenario <scenario> [options]: every server in $SERVERS, JSON lines to stdout.
bench_scenario() {
  local scenario=$1; shift
  local s
  for s in $SERVERS; do
    start_server "$s" || continue
    run_loadgen "$scenario" "$s" "$@" || echo "bench: $scenario against $s exited $?" >&2
    stop_server
  done
}
trap 'stop_server' EXIT
