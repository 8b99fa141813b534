#!/usr/bin/env bash
# schemathesis against a live tidings on loopback: token mode (a fresh
# SQLite database and an admin token of its own), every check but the two
# that judge the schema's strictness (negative_data_rejection,
# positive_data_acceptance: the document admits more than Zaqar's
# validation takes, and says so in its 400s), the coverage and fuzzing
# phases. No 5xx, and every answer matches GET /v2/openapi.json.
#
#   tests/schemathesis/run.sh SCHEMATHESIS TIDINGS [MAX_EXAMPLES] [MAX_SECONDS]
#
# CI (.ci/run) runs it short; docs/security.md records a longer run.
set -euo pipefail

absolute() {
    echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
}
schemathesis="$(absolute "$1")"
tidings="$(absolute "$2")"
examples="${3:-5}"
seconds="${4:-40}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

export TIDINGS_DATABASE_URL="sqlite://$work/tidings.db?mode=rwc"
# `token create` prints the token alone on stdout (its note goes to stderr).
token="$("$tidings" token create --project schemathesis --role admin --description schemathesis 2>/dev/null | tail -n 1)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
TIDINGS_AUTH=token TIDINGS_PROJECT_RATE_LIMIT=0 TIDINGS_BIND="127.0.0.1:$port" \
    TIDINGS_MAIL_URL="file://$work/mail" "$tidings" serve >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
done

# One worker: hypothesis on CPython 3.11 can trip over its own source
# parsing when several threads generate at once.
# From the scratch folder: schemathesis keeps its .hypothesis/ there.
status=0
cd "$work"
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here" "$schemathesis" run \
    "http://127.0.0.1:$port/v2/openapi.json" \
    -H "X-Auth-Token: $token" \
    -H "Client-ID: 3381af92-2b9e-11e3-b191-71861300734c" \
    --checks all --exclude-checks negative_data_rejection,positive_data_acceptance \
    --phases coverage,fuzzing --max-examples "$examples" --max-time "$seconds" \
    --seed 1 -w 1 --wait-for-schema 30 || status=$?
if grep -q "panicked" "$work/serve.log"; then
    echo "tidings panicked during the run:" >&2
    grep -A3 "panicked" "$work/serve.log" >&2
    status=1
fi
exit "$status"
