#!/usr/bin/env bash
# POST /v1/calls/check under wrk, against nginx answering a fixed JSON body on the same
# machine in the same run, so the result is a ratio that does not depend on the machine.
#
#   bench/http_check.sh [BUILD_DIR]      (default build; needs a Release build of callwardend)
#
# Prints requests/s at 32 connections for both servers, their ratio, and p99 latency at 4
# connections. Every check callwarden answers is a real decision: rule evaluation, a ledger
# read and a durable (fsync'd, group-committed) audit record.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${DURATION:-10s}
command -v wrk >/dev/null && command -v nginx >/dev/null || scripts/deps --with-test-tools
work=$(mktemp -d /var/tmp/cw-http-bench.XXXXXX)
cleanup() {
  [[ -n "${cw_pid:-}" ]] && kill "$cw_pid" 2>/dev/null || true
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

token=bench-token-$RANDOM$RANDOM
hash=$(printf %s "$token" | sha256sum | cut -d' ' -f1)
mkdir -p "$work/keys"
cat > "$work/callwarden.json" <<JSON
{
  "server": {"host": "127.0.0.1", "port": 18080, "threads": 32},
  "store": {"url": "sqlite:$work/callwarden.db"},
  "auth": {"keys": [{"name": "bench", "sha256": "$hash", "scopes": ["dialer"]}]},
  "policy": {"rules": "$PWD/data/rules/us.json", "data_dir": "$PWD/data"},
  "audit": {"dir": "$work/audit", "kek_file": "$work/keys/kek", "signing_key_file": "$work/keys/sk"},
  "log": {"level": "warn"}
}
JSON
"$build/bin/callwarden" keys init --config="$work/callwarden.json" >/dev/null
"$build/bin/callwardend" --config="$work/callwarden.json" 2>"$work/callwardend.log" &
cw_pid=$!

# A collection check: window, internal do-not-call list, consent, the Reg F ledger read and
# the audit record all run. (A telemarketing check would also need a fresh national list.)
body='{"to":"+13125550142","purpose":"debt_collection","subject_id":"S-1","debts":["D1"],"at":"2026-07-15T16:00:00Z"}'
# nginx answers with a body of the same size and shape as callwarden's.
answer='{"decision":"allow","decision_id":"dec_00000000000000000000000000000000","jurisdictions":["US","US-IL"],"next_allowed_at":"2026-07-15T16:00:00Z","policy_version":"us-2026.11.1","reasons":[],"zones":["America/Chicago"]}'
cat > "$work/nginx.conf" <<NGINX
daemon on;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18081;
    location / { default_type application/json; return 200 '$answer'; }
  }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"

cat > "$work/check.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA
for _ in $(seq 50); do curl -sf localhost:18080/healthz >/dev/null && break; sleep 0.1; done
curl -sf -XPOST -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d "$body" \
  localhost:18080/v1/calls/check | grep -q '"decision":"allow"' || { echo "callwarden did not answer" >&2; exit 1; }

run() {  # connections url -> wrk output
  wrk -t2 -c"$1" -d"$duration" --latency -s "$work/check.lua" "$2"
}
rps() { awk '/^Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }

cw32=$(run 32 http://127.0.0.1:18080/v1/calls/check)
ng32=$(run 32 http://127.0.0.1:18081/v1/calls/check)
cw4=$(run 4 http://127.0.0.1:18080/v1/calls/check)
ng4=$(run 4 http://127.0.0.1:18081/v1/calls/check)
cw_rps=$(echo "$cw32" | rps)
ng_rps=$(echo "$ng32" | rps)
echo "callwarden  32 connections: $cw_rps req/s   4 connections p99: $(echo "$cw4" | p99)"
echo "nginx       32 connections: $ng_rps req/s   4 connections p99: $(echo "$ng4" | p99)"
echo "ratio callwarden/nginx at 32 connections: $(awk -v a="$cw_rps" -v b="$ng_rps" 'BEGIN {printf "%.3f", a / b}')"
errors=$(echo "$cw32$cw4" | awk '/Non-2xx|Socket errors/' || true)
[[ -z "$errors" ]] || echo "callwarden errors: $errors"
