#!/usr/bin/env bash
# The Zaqar peer: the real OpenStack Zaqar 23.0.1 server, run unauthenticated
# on Redis on 127.0.0.1, so tidings can be measured beside it on the same
# machine in the same run.
#
#   bench/peer.sh setup    venv with zaqar==23.0.1, redis, uwsgi (idempotent)
#   bench/peer.sh start    Redis on 127.0.0.1:$REDIS_PORT (flushed), then Zaqar
#                          under uWSGI (4 processes x 1 thread, "Connection:
#                          close", as devstack deploys it) on 127.0.0.1:$ZAQAR_PORT
#   bench/peer.sh stop     stops exactly what start started, by PID
#   bench/peer.sh status
#   bench/peer.sh pids     "uwsgi-master-pid,redis-pid" (for RSS sampling)
#
# Knobs (environment):
#   ZAQAR_PEER_DIR   state: config, logs, PID files   ($HOME/.cache/tidings-bench/zaqar)
#   ZAQAR_PEER_VENV  an existing venv with zaqar + uwsgi to use instead of
#                    $ZAQAR_PEER_DIR/venv (setup then only checks it)
#   ZAQAR_PORT=28883  REDIS_PORT=6390  ZAQAR_PROCESSES=4  ZAQAR_THREADS=1
#   PYTHON=python3   interpreter that creates the venv
# Needs redis-server (Debian: apt-get install redis-server) and, for setup,
# network access to PyPI.
set -euo pipefail
STATE=${ZAQAR_PEER_DIR:-$HOME/.cache/tidings-bench/zaqar}
VENV=${ZAQAR_PEER_VENV:-$STATE/venv}
ZAQAR_PORT=${ZAQAR_PORT:-28883}
REDIS_PORT=${REDIS_PORT:-6390}
PROCESSES=${ZAQAR_PROCESSES:-4}
THREADS=${ZAQAR_THREADS:-1}
RUN=$STATE/run
LOGS=$STATE/logs

say() { echo "peer: $*" >&2; }

venv_ok() {
  [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/uwsgi" ] &&
    "$VENV/bin/python" -c 'import zaqar, redis' 2>/dev/null
}

setup() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    { say "redis-server/redis-cli missing (Debian: apt-get install redis-server)"; return 1; }
  if venv_ok; then say "using venv $VENV"; return 0; fi
  if [ -n "${ZAQAR_PEER_VENV:-}" ]; then
    say "ZAQAR_PEER_VENV=$VENV lacks zaqar, redis or uwsgi"; return 1
  fi
  mkdir -p "$STATE"
  [ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
  # Pinned to the release the comparison is about; uwsgi builds from source.
  "$VENV/bin/pip" install -q 'zaqar==23.0.1' redis uwsgi
  "$VENV/bin/pip" freeze > "$STATE/versions.txt"
  venv_ok && say "venv ready at $VENV"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_config() {
  # Zaqar's WSGI module reads only the standard paths, ~/zaqar.conf among
  # them, hence HOME=$STATE for uWSGI below.
  cat > "$STATE/zaqar.conf" <<EOF
[DEFAULT]
# Empty means no authentication (there is no "noauth" value).
auth_strategy =
admin_mode = false
pooling = false
debug = false
log_file = $LOGS/zaqar.log

[drivers]
transport = wsgi
message_store = redis
management_store = redis

[drivers:message_store:redis]
uri = redis://127.0.0.1:$REDIS_PORT

[drivers:management_store:redis]
uri = redis://127.0.0.1:$REDIS_PORT

[drivers:transport:wsgi]
bind = 127.0.0.1
port = $ZAQAR_PORT

[storage]
# Without the notifier stage subscriptions are stored but nothing is sent.
message_pipeline = zaqar.notification.notifier

[notification]
require_confirmation = false
EOF
  cat > "$RUN/uwsgi.ini" <<EOF
[uwsgi]
; devstack's Zaqar settings: http router, harakiri 60, the WSGI module,
; master, "Connection: close" on every answer. Added: threads for the
; notifier, one app per worker, clean stop on TERM, a pidfile.
http = 127.0.0.1:$ZAQAR_PORT
harakiri = 60
processes = $PROCESSES
threads = $THREADS
module = zaqar.transport.wsgi.app:application
virtualenv = $VENV
master = true
add-header = Connection: close
enable-threads = true
lazy-apps = true
die-on-term = true
listen = 1024
disable-logging = true
pidfile = $RUN/uwsgi.pid
env = HOME=$STATE
EOF
}

start() {
  venv_ok || { say "no usable venv at $VENV; run: bench/peer.sh setup"; return 1; }
  mkdir -p "$RUN" "$LOGS"
  if pid_alive "$RUN/uwsgi.pid"; then say "already running"; return 0; fi
  write_config
  if ! pid_alive "$RUN/redis.pid"; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --protected-mode yes --daemonize yes --pidfile "$RUN/redis.pid" \
      --logfile "$LOGS/redis.log" --dir "$RUN"
  fi
  local up=0
  for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && { up=1; break; }; sleep 0.1
  done
  [ "$up" = 1 ] || { say "redis did not start; see $LOGS/redis.log"; return 1; }
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  setsid "$VENV/bin/uwsgi" --ini "$RUN/uwsgi.ini" > "$LOGS/uwsgi.out" 2>&1 < /dev/null &
  for _ in $(seq 150); do
    if curl -s -o /dev/null "http://127.0.0.1:$ZAQAR_PORT/"; then
      say "zaqar on http://127.0.0.1:$ZAQAR_PORT (uWSGI $PROCESSES x $THREADS), redis on :$REDIS_PORT"
      return 0
    fi
    sleep 0.2
  done
  say "zaqar did not answer within 30 s; see $LOGS"
  return 1
}

descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}

stop_pidfile() {  # stop_pidfile FILE NAME
  [ -f "$1" ] || return 0
  local p kids k
  p=$(cat "$1")
  if kill -0 "$p" 2>/dev/null; then
    kids=$(descendants "$p")
    kill -TERM "$p" 2>/dev/null || true
    # Workers stuck in webhook retry sleeps may ignore the master: after
    # 15 s, KILL the master and the workers recorded before, by PID.
    for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
    kill -KILL "$p" 2>/dev/null || true
    say "stopped $2 (pid $p)"
  fi
  rm -f "$1"
}

stop() {
  stop_pidfile "$RUN/uwsgi.pid" zaqar
  stop_pidfile "$RUN/redis.pid" redis
}

status() {
  local f
  for f in "$RUN"/uwsgi.pid "$RUN"/redis.pid; do
    if pid_alive "$f"; then echo "$(basename "$f" .pid): running, pid $(cat "$f")"
    else echo "$(basename "$f" .pid): stopped"; fi
  done
}

pids() {
  pid_alive "$RUN/uwsgi.pid" && pid_alive "$RUN/redis.pid" || return 1
  echo "$(cat "$RUN/uwsgi.pid"),$(cat "$RUN/redis.pid")"
}

case "${1:-}" in
  setup) setup ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  pids) pids ;;
  *) sed -n 2,22p "$0"; exit 2 ;;
esac
