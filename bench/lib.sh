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

# start_server <switchboard|switchboard-1w|node> [redis-url]: sets SERVER_PID and
# SERVER_PORT. With a Redis URL the server joins a cluster through it
# (Switchboard: [[brokers]] + [cluster]; Node: @socket.io/redis-adapter).
start_server() {
  local kind=$1 redis=${2:-} log config=$BENCH_DIR/switchboard.bench.toml
  SERVER_PORT=$(free_port)
  log=$(mktemp /tmp/sb-bench-server.XXXXXX.log)
  SERVER_LOG=$log
  if [ -n "$redis" ] && [ "$kind" != node ]; then
    config=$(mktemp /tmp/sb-bench-cluster.XXXXXX.toml)
    cat "$BENCH_DIR/switchboard.bench.toml" - >"$config" <<TOML

[[brokers]]
name = "cluster"
kind = "redis"
url = "$redis"

[cluster]
enabled = true
broker = "cluster"
TOML
  fi
  case $kind in
    switchboard)
      "${NICE[@]}" "$SB_BIN" --config "$config" \
        --port "$SERVER_PORT" --workers "$SB_WORKERS" >"$log" 2>&1 &
      ;;
    switchboard-1w)
      "${NICE[@]}" "$SB_BIN" --config "$config" \
        --port "$SERVER_PORT" --workers 1 >"$log" 2>&1 &
      ;;
    node)
      (cd "$BENCH_DIR/reference" && exec "${NICE[@]}" node server.mjs --port "$SERVER_PORT" \
        ${redis:+--redis "$redis"} >"$log" 2>&1) &
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
# A throwaway redis-server on a free port (no persistence): sets REDIS_PID, REDIS_URL.
start_redis() {
  local port
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize no --loglevel warning >/dev/null 2>&1 &
  REDIS_PID=$!
  REDIS_URL=redis://127.0.0.1:$port
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: redis-server did not start" >&2
  return 1
}

stop_redis() {
  [ -n "${REDIS_PID:-}" ] || return 0
  kill "$REDIS_PID" 2>/dev/null || true
  wait "$REDIS_PID" 2>/dev/null || true
  REDIS_PID=
}

# bench_cluster [options]: for every server in $SERVERS, two nodes of it joined
# through one redis-server; the load generator's cluster scenario spreads the
# room's members over both. JSON lines to stdout.
bench_cluster() {
  local s pid1 port1 log1
  start_redis || return 1
  for s in $SERVERS; do
    start_server "$s" "$REDIS_URL" || continue
    pid1=$SERVER_PID port1=$SERVER_PORT log1=$SERVER_LOG
    if start_server "$s" "$REDIS_URL"; then
      "${NICE[@]}" "$LOADGEN" cluster --port "$port1" --server-pid "$pid1" \
        --port2 "$SERVER_PORT" --server-pid2 "$SERVER_PID" --label "$s" "$@" ||
        echo "bench: cluster against $s exited $?" >&2
      stop_server
    fi
    SERVER_PID=$pid1 SERVER_LOG=$log1
    stop_server
  done
  stop_redis
}
trap 'stop_server; stop_redis' EXIT
