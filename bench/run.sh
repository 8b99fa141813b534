#!/usr/bin/env bash
# The benchmark runbook in one command: the loopback ceiling, tidings on
# SQLite, on PostgreSQL and beside a large seeded database, and the real
# Zaqar server, all on this machine in one run, then the report.
#
#   bench/run.sh            full run (about 15-20 minutes), report in bench/results/
#   bench/run.sh --smoke    seconds-long CI check (also SMOKE=1); fails on any
#                           missing result, any lost delivery, or no report
#
# Every knob is an environment variable; see bench/README.md for the list.
# Only loopback addresses are used; everything started here is stopped on
# exit, by PID.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SMOKE=${SMOKE:-0}
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) echo "unknown argument $arg (try --smoke)" >&2; exit 2 ;;
  esac
done

# ---- knobs ---------------------------------------------------------------
if [ "$SMOKE" = 1 ]; then d() { echo "$2"; }; else d() { echo "$1"; }; fi
#                         full        smoke
PROFILE=${PROFILE:-$(d    release     debug)}
REPS=${REPS:-$(d          3           1)}
DURATION=${DURATION:-$(d  10          1)}
WARMUP=${WARMUP:-$(d      2           0.5)}
CONC=${CONC:-32}
W2_SUBS=${W2_SUBS:-$(d    100         5)}
W2_MSGS=${W2_MSGS:-$(d    200         5)}
W9_SUBS=${W9_SUBS:-$(d    100         5)}
W9_MSGS=${W9_MSGS:-$(d    200         5)}
AMQP=${AMQP:-auto}                      # auto | 0: W9 needs a RabbitMQ at AMQP_URL
AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
W3_SUBS=${W3_SUBS:-$(d    10000       50)}
W8_SUBS=${W8_SUBS:-$(d    10000       200)}
W8_MSGS=${W8_MSGS:-$(d    50          5)}   # matching messages (1% of W8_SUBS each)
W8_PROBE=${W8_PROBE:-$(d  50          5)}   # messages routed one at a time (nothing matches)
W8_BATCH=${W8_BATCH:-$(d  200         10)}  # messages routed together (nothing matches)
W4_DURATION=${W4_DURATION:-$DURATION}
W5_SUBS=${W5_SUBS:-$(d    1000        5)}
W7_MESSAGES=${W7_MESSAGES:-$(d 1000000 2000)}
W7_SUBSCRIPTIONS=${W7_SUBSCRIPTIONS:-$(d 100000 200)}
FANOUT_TIMEOUT=${FANOUT_TIMEOUT:-$(d 120 30)}
SETUP_TIMEOUT=${SETUP_TIMEOUT:-$(d 300 60)}  # bound on creating a fan-out's subscriptions
FANOUT_IDLE=${FANOUT_IDLE:-$(d 20 10)}
SETTLE=${SETTLE:-$(d      1           0.2)}
PEER=${PEER:-$(d          1           0)}
STEPS=${STEPS:-"ceiling sqlite postgres seeded zaqar"}  # which parts to run
ALL_WORKLOADS="w1 w2 w3 w4 w5 w6 w7 w8 w9"
WORKLOADS=${WORKLOADS:-$ALL_WORKLOADS}  # which workloads to run within those parts
POSTGRES=${POSTGRES:-auto}              # auto | 0
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ZAQAR_W3_MAX_W2_S=${ZAQAR_W3_MAX_W2_S:-60}  # skip Zaqar W3 when its W2 took longer
# Zaqar's Redis store creates subscriptions in time quadratic in their number
# (here: 1,000 in 20 s, 2,000 in 92 s), so 10,000 would take most of an hour.
ZAQAR_W3_SUBS=${ZAQAR_W3_SUBS:-$(d 1000 50)}
MAX_SECONDS=${MAX_SECONDS:-$(d 1800 300)}   # budget: later steps are skipped, not run late
QUIET_WAIT=${QUIET_WAIT:-$(d 1 0)}      # wait (bounded) for an idle machine before each rep
QUIET_MAX=${QUIET_MAX:-10}
QUIET_PCT=${QUIET_PCT:-20}
TIDINGS_PORT=${TIDINGS_PORT:-28881}
CEILING_PORT=${CEILING_PORT:-28882}
export ZAQAR_PORT=${ZAQAR_PORT:-28883}
export REDIS_PORT=${REDIS_PORT:-6390}
SINK_PORT=${SINK_PORT:-28890}
SMTP_PORT=${SMTP_PORT:-28825}

TS=$(date -u +%Y%m%d-%H%M%S)
if [ "$SMOKE" = 1 ]; then
  RUN_DIR=${RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tidings-bench-smoke.XXXXXX")}
  OUT_DIR=${OUT_DIR:-$RUN_DIR/report}
else
  RUN_DIR=${RUN_DIR:-$HERE/results/tmp/$TS}
  OUT_DIR=${OUT_DIR:-$HERE/results}
fi
RAW=$RUN_DIR/raw
mkdir -p "$RUN_DIR" "$RAW"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tidings-bench-work.XXXXXX")

log() { printf '[%s +%4ss] %s\n' "$(date -u +%T)" "$SECONDS" "$*" | tee -a "$RUN_DIR/run.log" >&2; }
note() { echo "$*" >> "$RUN_DIR/notes.txt"; log "note: $*"; }
fail() { echo "$*" >> "$RUN_DIR/failures.txt"; log "FAILED: $*"; }

# ---- cleanup: everything we start is recorded and stopped by PID ---------
PIDS=()
PEER_STARTED=0
PG_DB=""
stop_pid() {  # stop_pid PID: TERM, up to 15 s, then KILL
  local p=$1
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
cleanup() {
  local p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  PIDS=()
  if [ "$PEER_STARTED" = 1 ]; then "$HERE/peer.sh" stop >/dev/null 2>&1 || true; PEER_STARTED=0; fi
  if [ -n "$PG_DB" ]; then
    timeout 30 psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    PG_DB=""
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---- binaries --------------------------------------------------------------
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "$PROFILE" = release ]; then CARGO_PROFILE=(--release); else CARGO_PROFILE=(); fi
build() {  # build PACKAGE
  log "building $1 ($PROFILE)"
  (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET_DIR cargo build -q "${CARGO_PROFILE[@]}" -p "$1" --bin "$1") ||
    { log "cargo build -p $1 failed"; exit 2; }
}
if [ -z "${TIDINGS_BIN:-}" ]; then build tidings; TIDINGS_BIN=$TARGET_DIR/$PROFILE/tidings
else note "tidings binary given by TIDINGS_BIN, not built from this tree"; fi
if [ -z "${BENCH_BIN:-}" ]; then build tidings-bench; BENCH_BIN=$TARGET_DIR/$PROFILE/tidings-bench; fi
for b in "$TIDINGS_BIN" "$BENCH_BIN"; do
  [ -x "$b" ] || { log "not an executable: $b"; exit 2; }
done
# The budget covers the workloads, not the builds: a cold build on a busy
# machine must not spend it before the first workload starts.
BUDGET_T0=$SECONDS

# ---- preflight ---------------------------------------------------------------
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$TIDINGS_PORT" "$CEILING_PORT" "$SINK_PORT" "$SMTP_PORT"; do
  if port_busy "$p"; then log "port 127.0.0.1:$p is in use; set the *_PORT knobs"; exit 2; fi
done
PG_HOST=$(sed -E 's#^[a-z]+://([^@/]*@)?(\[[^]]*\]|[^:/?]*).*#\2#' <<< "$PG_URL")
case "$PG_HOST" in
  127.*|localhost|'[::1]') ;;
  *) log "refusing non-loopback PG_URL host '$PG_HOST'"; exit 2 ;;
esac
AMQP_HOST=$(sed -E 's#^amqps?://([^@/]*@)?(\[[^]]*\]|[^:/?]*).*#\2#' <<< "$AMQP_URL")
AMQP_PORT=$(sed -nE 's#^amqps?://([^@/]*@)?[^:/?]*:([0-9]+).*#\2#p' <<< "$AMQP_URL")
case "$AMQP_HOST" in
  127.*|localhost) ;;
  *) log "refusing non-loopback AMQP_URL host '$AMQP_HOST'"; exit 2 ;;
esac
amqp_up() { [ "$AMQP" != 0 ] && port_busy "${AMQP_PORT:-5672}"; }

{
  echo "mode=$([ "$SMOKE" = 1 ] && echo smoke || echo full)"
  echo "reps=$REPS"; echo "duration_s=$DURATION"; echo "warmup_s=$WARMUP"; echo "connections=$CONC"
  echo "w2=${W2_SUBS}x${W2_MSGS}"; echo "w3=${W3_SUBS}x1"; echo "w5=${W5_SUBS}x1"; echo "w9=${W9_SUBS}x${W9_MSGS}"
  echo "w8=${W8_SUBS} subscriptions, ${W8_PROBE}+${W8_BATCH} routed-only and ${W8_MSGS} matching messages"
  echo "w7=${W7_MESSAGES} messages, ${W7_SUBSCRIPTIONS} subscriptions"
  echo "steps=$STEPS"; echo "workloads=$WORKLOADS"
  echo "profile=$PROFILE"; echo "started_utc=$TS"; echo "loadavg_at_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RUN_DIR/params.txt"
log "run directory $RUN_DIR"
[ "$WORKLOADS" = "$ALL_WORKLOADS" ] || note "only workloads $WORKLOADS were run (WORKLOADS); the others say not run"
[ "$SMOKE" = 1 ] && note "smoke run: tiny counts and durations, debug builds allowed; the verdicts below only show the pipeline works"

# ---- helpers -----------------------------------------------------------------
busy_pct() {  # % of all CPUs busy over 2 s
  local a0 i0 a1 i1
  read -r a0 i0 < <(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8, $5+$6}' /proc/stat)
  sleep 2
  read -r a1 i1 < <(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8, $5+$6}' /proc/stat)
  echo $(( 100 * ((a1 - a0) - (i1 - i0)) / ((a1 - a0) > 0 ? (a1 - a0) : 1) ))
}
quiet() {  # bounded wait for a quiet machine; logged either way
  [ "$QUIET_WAIT" = 1 ] || return 0
  local t0=$SECONDS b
  while :; do
    b=$(busy_pct)
    if [ "$b" -lt "$QUIET_PCT" ]; then echo "$1: quiet (busy ${b}%) after $((SECONDS - t0)) s" >> "$RUN_DIR/noise.log"; return 0; fi
    if [ $((SECONDS - t0)) -ge "$QUIET_MAX" ]; then
      echo "$1: NOT quiet (busy ${b}%, load $(cut -d' ' -f1 /proc/loadavg)) after $QUIET_MAX s" >> "$RUN_DIR/noise.log"; return 0
    fi
  done
}
over_budget() { [ $((SECONDS - BUDGET_T0)) -ge "$MAX_SECONDS" ]; }
wl_on() { case " $WORKLOADS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
step_on() { case " $STEPS " in *" $1 "*) return 0 ;; *) note "step $1 not in STEPS"; return 1 ;; esac; }

# wl SYSTEM DB WORKLOAD MODE REP TIMEOUT_S -- tidings-bench arguments...
# Runs one repetition, keeps its output under raw/, and its JSON line as
# <system>-<db>-<workload>-<mode>-<rep>.json for the report.
wl() {
  local name="$1-$2-$3-$4-$5" limit=$6 rc
  wl_on "$3" || return 1
  shift 7
  if over_budget; then note "$name skipped: the run's time budget (MAX_SECONDS=$MAX_SECONDS) is spent"; return 1; fi
  quiet "$name"
  timeout -k 5 "$limit" "$BENCH_BIN" "$@" > "$RAW/$name.out" 2> "$RAW/$name.err"
  rc=$?
  grep '^JSON ' "$RAW/$name.out" | tail -1 | cut -c6- > "$RUN_DIR/$name.json"
  if [ "$rc" = 0 ] && [ -s "$RUN_DIR/$name.json" ]; then
    log "$name: $(grep -oE '"(rps|p99_ms|deliveries_per_s|time_to_last_s|emails_per_s|lost|duplicates|rss_mb|peak_rss_mb|total_s|errors|non_2xx|routing_cpu_ms_per_msg|routing_batched_cpu_ms_per_msg|misrouted)":[^,}]*' "$RUN_DIR/$name.json" | tr '\n' ' ')"
    return 0
  fi
  rm -f "$RUN_DIR/$name.json"
  [ "$rc" = 124 ] && rc="timeout after ${limit}s"
  fail "$name ($rc): $(tail -1 "$RAW/$name.err" 2>/dev/null)"
  return 1
}
reps() { seq 1 "$REPS"; }

start_bg() {  # start_bg NAME LOGFILE CMD... ; sets BG_PID
  "${@:3}" > "$2" 2>&1 < /dev/null &
  BG_PID=$!
  PIDS+=("$BG_PID")
}
forget_pid() {
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

TIDINGS_PID=""
TIDINGS_URL=http://127.0.0.1:$TIDINGS_PORT
start_tidings() {  # start_tidings LABEL DATABASE_URL
  log "starting tidings ($1)"
  start_bg tidings "$RAW/tidings-$1.log" env -u TIDINGS_CONFIG \
    TIDINGS_BIND="127.0.0.1:$TIDINGS_PORT" TIDINGS_DATABASE_URL="$2" \
    TIDINGS_WEBHOOK_ALLOW_NETS=127.0.0.0/8 TIDINGS_REQUIRE_CONFIRMATION=none \
    TIDINGS_MAIL_URL="smtp://127.0.0.1:$SMTP_PORT" TIDINGS_LOG="${TIDINGS_LOG:-warn}" \
    "$TIDINGS_BIN" serve
  TIDINGS_PID=$BG_PID
  local code
  for _ in $(seq 300); do
    kill -0 "$TIDINGS_PID" 2>/dev/null || break
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Client-ID: 3381af92-2b9e-11e3-b191-71861300734c' \
      -H 'X-Project-Id: bench' "$TIDINGS_URL/v2/ping" 2>/dev/null)
    [ "$code" = 204 ] && return 0
    sleep 0.1
  done
  fail "tidings ($1) did not come up: $(tail -1 "$RAW/tidings-$1.log")"
  stop_tidings
  return 1
}
stop_tidings() {
  [ -n "$TIDINGS_PID" ] || return 0
  local t0=$SECONDS
  stop_pid "$TIDINGS_PID"; forget_pid "$TIDINGS_PID"; TIDINGS_PID=""
  log "tidings stopped ($((SECONDS - t0)) s)"
}

post() {  # post SYSTEM DB MODE URL [--close]
  local r
  for r in $(reps); do
    wl "$1" "$2" w1 "$3" "$r" $((${DURATION%.*} + 60)) -- post --url "$4" --queue "w1-$3-$r" \
      --concurrency "$CONC" --duration "$DURATION" --warmup "$WARMUP" "${@:5}"
  done
}
fanout() {  # fanout SYSTEM DB WORKLOAD URL PIDS SUBS MSGS
  local r
  for r in $(reps); do
    wl "$1" "$2" "$3" run "$r" $((SETUP_TIMEOUT + FANOUT_TIMEOUT + 240)) -- fanout --url "$4" \
      --pids "$5" --subs "$6" --msgs "$7" --sink-port "$SINK_PORT" --timeout "$FANOUT_TIMEOUT" \
      --idle "$FANOUT_IDLE" --settle "$SETTLE" --setup-timeout "$SETUP_TIMEOUT"
  done
}
idle_rss() {  # idle_rss SYSTEM DB PIDS
  local r
  wl_on w6 || return 0
  sleep "$(d 3 1)"   # let start-up work (migrations, first sweep) finish
  for r in $(reps); do wl "$1" "$2" w6 idle "$r" 30 -- rss --pids "$3"; sleep 1; done
}

# ---- 1. the loopback ceiling ---------------------------------------------------
log "== ceiling"
if step_on ceiling; then
  start_bg ceiling "$RAW/ceiling.log" "$BENCH_BIN" ceiling --bind "127.0.0.1:$CEILING_PORT"
  CEILING_PID=$BG_PID
  for _ in $(seq 100); do port_busy "$CEILING_PORT" && break; sleep 0.05; done
  post ceiling none ka "http://127.0.0.1:$CEILING_PORT"
  post ceiling none close "http://127.0.0.1:$CEILING_PORT" --close
  stop_pid "$CEILING_PID"; forget_pid "$CEILING_PID"
fi

# ---- 2. tidings on SQLite -------------------------------------------------------
log "== tidings / SQLite"
if step_on sqlite && start_tidings sqlite "sqlite://$WORK/sqlite.db?mode=rwc"; then
  idle_rss tidings sqlite "$TIDINGS_PID"
  post tidings sqlite ka "$TIDINGS_URL"
  post tidings sqlite close "$TIDINGS_URL" --close
  fanout tidings sqlite w2 "$TIDINGS_URL" "$TIDINGS_PID" "$W2_SUBS" "$W2_MSGS"
  fanout tidings sqlite w3 "$TIDINGS_URL" "$TIDINGS_PID" "$W3_SUBS" 1
  for r in $(reps); do
    wl tidings sqlite w8 run "$r" $((SETUP_TIMEOUT + 3 * FANOUT_TIMEOUT + 240)) -- routed-fanout \
      --url "$TIDINGS_URL" --pids "$TIDINGS_PID" --subs "$W8_SUBS" --msgs "$W8_MSGS" \
      --probe-msgs "$W8_PROBE" --batch-msgs "$W8_BATCH" --sink-port "$SINK_PORT" \
      --timeout "$FANOUT_TIMEOUT" --idle "$FANOUT_IDLE" --settle "$SETTLE" --setup-timeout "$SETUP_TIMEOUT"
  done
  if amqp_up; then
    for r in $(reps); do
      wl tidings sqlite w9 run "$r" $((SETUP_TIMEOUT + FANOUT_TIMEOUT + 240)) -- amqp-fanout \
        --url "$TIDINGS_URL" --amqp-url "$AMQP_URL" --pids "$TIDINGS_PID" --subs "$W9_SUBS" \
        --msgs "$W9_MSGS" --timeout "$FANOUT_TIMEOUT" --idle "$FANOUT_IDLE" --settle "$SETTLE" \
        --setup-timeout "$SETUP_TIMEOUT"
    done
  else
    note "W9 (AMQP fan-out) not run: no RabbitMQ at AMQP_URL (or AMQP=0)"
  fi
  # W4 runs at half the keep-alive rate just measured: busy, not saturated.
  W1=$("$BENCH_BIN" pick --field rps "$RUN_DIR"/tidings-sqlite-w1-ka-*.json 2>/dev/null)
  if ! wl_on w4; then
    :
  elif [ -n "$W1" ]; then
    RATE=$(awk -v r="$W1" 'BEGIN { x = int(r / 2); print (x < 1 ? 1 : x) }')
    echo "w4_rate=$RATE" >> "$RUN_DIR/params.txt"
    for r in $(reps); do
      wl tidings sqlite w4 run "$r" $((${W4_DURATION%.*} + 180)) -- latency --url "$TIDINGS_URL" \
        --rate "$RATE" --duration "$W4_DURATION" --sink-port "$SINK_PORT" --timeout 120 --idle 15
    done
  else
    fail "tidings-sqlite-w4: no W1 keep-alive result to take the rate from"
  fi
  for r in $(reps); do
    wl tidings sqlite w5 run "$r" 300 -- email --url "$TIDINGS_URL" --smtp-port "$SMTP_PORT" \
      --subs "$W5_SUBS" --msgs 1 --timeout "$FANOUT_TIMEOUT" --idle "$FANOUT_IDLE"
  done
  stop_tidings
fi

# ---- 3. tidings on PostgreSQL ---------------------------------------------------
log "== tidings / PostgreSQL"
if ! step_on postgres; then
  :
elif [ "$POSTGRES" = 0 ]; then
  note "PostgreSQL runs skipped (POSTGRES=0)"
elif ! command -v psql >/dev/null || ! timeout 10 psql "$PG_URL" -Atqc 'select 1' >/dev/null 2>&1; then
  note "PostgreSQL runs skipped: no server answering at PG_URL"
else
  PG_DB="tidings_bench_${TS//-/_}"
  if timeout 30 psql "$PG_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null 2>"$RAW/psql.err"; then
    if start_tidings postgres "${PG_URL%/*}/$PG_DB"; then
      post tidings postgres ka "$TIDINGS_URL"
      post tidings postgres close "$TIDINGS_URL" --close
      fanout tidings postgres w2 "$TIDINGS_URL" "$TIDINGS_PID" "$W2_SUBS" "$W2_MSGS"
      stop_tidings
    fi
    timeout 30 psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 && PG_DB=""
  else
    fail "creating PostgreSQL database $PG_DB: $(tail -1 "$RAW/psql.err")"; PG_DB=""
  fi
fi

# ---- 4. W7: the same after seeding a large SQLite database ------------------------
log "== tidings / SQLite after seeding (W7)"
if step_on seeded && wl_on w7 && start_tidings seeded "sqlite://$WORK/seeded.db?mode=rwc"; then
  if wl tidings seeded w7 seed 1 "$(d 1200 120)" -- seed --url "$TIDINGS_URL" \
      --messages "$W7_MESSAGES" --subscriptions "$W7_SUBSCRIPTIONS"; then
    post tidings seeded ka "$TIDINGS_URL"
    fanout tidings seeded w2 "$TIDINGS_URL" "$TIDINGS_PID" "$W2_SUBS" "$W2_MSGS"
  fi
  stop_tidings
fi

# ---- 5. the Zaqar peer ------------------------------------------------------------
log "== Zaqar peer"
if ! step_on zaqar; then
  :
elif [ "$PEER" != 1 ]; then
  note "Zaqar peer not run (PEER=$PEER)"
elif over_budget; then
  note "Zaqar peer skipped: the run's time budget is spent"
elif ! timeout 900 "$HERE/peer.sh" setup > "$RAW/peer-setup.log" 2>&1; then
  note "Zaqar peer not available: setup failed ($(tail -1 "$RAW/peer-setup.log")); no Zaqar figures in this run"
else
  PEER_STARTED=1
  if timeout 120 "$HERE/peer.sh" start > "$RAW/peer-start.log" 2>&1 && ZPIDS=$("$HERE/peer.sh" pids); then
    ZURL=http://127.0.0.1:$ZAQAR_PORT
    idle_rss zaqar redis "$ZPIDS"
    post zaqar redis ka "$ZURL"
    post zaqar redis close "$ZURL" --close
    fanout zaqar redis w2 "$ZURL" "$ZPIDS" "$W2_SUBS" "$W2_MSGS"
    ZW2=$("$BENCH_BIN" pick --field time_to_last_s "$RUN_DIR"/zaqar-redis-w2-run-*.json 2>/dev/null)
    if [ -n "$ZW2" ] && awk -v t="$ZW2" -v m="$ZAQAR_W3_MAX_W2_S" 'BEGIN { exit !(t <= m) }'; then
      [ "$ZAQAR_W3_SUBS" != "$W3_SUBS" ] &&
        note "Zaqar W3 uses $ZAQAR_W3_SUBS subscribers, not $W3_SUBS: Zaqar creates subscriptions in quadratic time (ZAQAR_W3_SUBS)"
      fanout zaqar redis w3 "$ZURL" "$ZPIDS" "$ZAQAR_W3_SUBS" 1
    else
      note "Zaqar W3 skipped: its W2 took ${ZW2:-?} s (limit ZAQAR_W3_MAX_W2_S=$ZAQAR_W3_MAX_W2_S)"
    fi
  else
    note "Zaqar peer did not start ($(tail -1 "$RAW/peer-start.log")); no Zaqar figures in this run"
  fi
  "$HERE/peer.sh" stop > "$RAW/peer-stop.log" 2>&1 || true
  PEER_STARTED=0
fi

# ---- 6. the report ---------------------------------------------------------------
echo "wall_s=$SECONDS" >> "$RUN_DIR/params.txt"
[ -s "$RUN_DIR/failures.txt" ] && while read -r f; do note "failed: $f"; done < "$RUN_DIR/failures.txt"
log "== report"
if ! (cd "$ROOT" && "$BENCH_BIN" report --run-dir "$RUN_DIR" --out-dir "$OUT_DIR" > "$RAW/report.out" 2> "$RAW/report.err"); then
  log "report could not be written: $(tail -1 "$RAW/report.err")"
  exit 1
fi
REPORT_MD=$(grep -oE '"markdown":"[^"]*"' "$RAW/report.out" | cut -d'"' -f4)
log "report: $REPORT_MD"

# ---- smoke verdict ---------------------------------------------------------------
if [ "$SMOKE" = 1 ]; then
  bad=0
  [ -s "$RUN_DIR/failures.txt" ] && { log "smoke: workloads failed (see above)"; bad=1; }
  expected="ceiling:ceiling-none-w1-ka ceiling:ceiling-none-w1-close sqlite:tidings-sqlite-w6-idle
    sqlite:tidings-sqlite-w1-ka sqlite:tidings-sqlite-w1-close sqlite:tidings-sqlite-w2-run
    sqlite:tidings-sqlite-w3-run sqlite:tidings-sqlite-w8-run sqlite:tidings-sqlite-w4-run sqlite:tidings-sqlite-w5-run
    seeded:tidings-seeded-w7-seed seeded:tidings-seeded-w1-ka seeded:tidings-seeded-w2-run"
  amqp_up && expected="$expected sqlite:tidings-sqlite-w9-run"
  for e in $expected; do
    case " $STEPS " in *" ${e%%:*} "*) ;; *) continue ;; esac
    w=${e#*:}; w=${w#*-*-}; wl_on "${w%%-*}" || continue
    ls "$RUN_DIR/${e#*:}"-*.json >/dev/null 2>&1 || { log "smoke: no result for ${e#*:}"; bad=1; }
  done
  for f in "$RUN_DIR"/*-w[234589]-run-*.json; do
    [ -e "$f" ] || continue
    lost=$("$BENCH_BIN" pick --field lost --agg max "$f" 2>/dev/null)
    [ "${lost:-x}" = 0 ] || { log "smoke: $(basename "$f") lost ${lost:-?} deliveries"; bad=1; }
  done
  for f in "$RUN_DIR"/*-w8-run-*.json; do
    [ -e "$f" ] || continue
    wrong=$("$BENCH_BIN" pick --field misrouted --agg max "$f" 2>/dev/null)
    [ "${wrong:-x}" = 0 ] || { log "smoke: $(basename "$f") misrouted ${wrong:-?} deliveries"; bad=1; }
  done
  [ -s "$REPORT_MD" ] || { log "smoke: report missing"; bad=1; }
  if [ "$bad" = 0 ]; then log "smoke: OK in ${SECONDS}s"; else log "smoke: FAILED"; fi
  exit "$bad"
fi
if [ -s "$RUN_DIR/failures.txt" ]; then log "done in ${SECONDS}s, with failures (listed in the report)"; else log "done in ${SECONDS}s"; fi
