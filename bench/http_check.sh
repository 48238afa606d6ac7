#!/usr/bin/env bash
# POST /v1/calls/check under wrk, against nginx answering a fixed JSON body on the same
# machine in the same run, so the results are ratios that do not depend on the machine.
#
#   bench/http_check.sh [BUILD_DIR]      (default build; use a Release build of callwardend)
#   DURATION=10s  length of each wrk run
#   FLUSHED_THREADS=8, WRITTEN_THREADS=8  server.threads of each instance. No check holds a
#                  thread through its flush (docs/adr/0002, addendum), and every thread beyond
#                  those busy costs context switches per request (docs/PERFORMANCE.md, session 5)
#   SQLITE_PROCESS_LOCK=exclusive  run both instances with store.sqlite_process_lock exclusive
#                  (a single-process deployment; the default, shared, lets other processes in)
#   DNC_FILE=PATH  import this file (one 10-digit number per line) as the national do-not-call
#                  list of both instances first, to see what a big list costs a check
#
# Two callwardend instances run side by side, one per audit.check_durability setting
# (docs/adr/0002-check-record-durability.md): "flushed" answers once the check's audit record
# is fdatasync'd, "written" once it is written to the file. For each, and for nginx, it prints
# requests/s at 32 connections, the ratio to nginx, the CPU time the server spent per request
# at 32 connections (all its threads, user + system), and p50/p99 latency at 4 connections.
# Every check callwarden answers is a real decision: calling windows, the do-not-call lists,
# consent, the Reg F ledger read, recording policy and a sealed audit record.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/instance.sh
duration=${DURATION:-10s}
command -v wrk >/dev/null && command -v nginx >/dev/null || scripts/deps --with-test-tools
work=$(mktemp -d /var/tmp/cw-http-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

token=bench-token-$RANDOM$RANDOM
hash=$(printf %s "$token" | sha256sum | cut -d' ' -f1)

start_callwarden() {  # name port durability threads
  local dir="$work/$1"
  callwarden_config "$dir" "$2" "$3" "$hash" "$4"
  if [[ -n "${DNC_FILE:-}" ]]; then
    "$build/bin/callwarden" dnc import --config="$dir/callwarden.json" --list national \
      --obtained "$(date -u +%F)" "$DNC_FILE" >/dev/null
  fi
  "$build/bin/callwardend" --config="$dir/callwarden.json" 2>"$dir/callwardend.log" &
  pids+=($!)
  server_pid[$1]=$!
}
declare -A server_pid
start_callwarden flushed 18080 flushed "${FLUSHED_THREADS:-8}"
start_callwarden written 18082 written "${WRITTEN_THREADS:-8}"

# (A telemarketing check would also need a fresh national list.)
body=$check_body
# nginx answers with a body of the same size and shape as callwarden's.
answer='{"decision":"allow","decision_id":"dec_00000000000000000000000000000000","jurisdictions":["US","US-IL"],"next_allowed_at":"2026-07-15T16:00:00Z","policy_version":"us-2026.12.1","reasons":[],"recording":{"announce":true,"basis":"all_party_consent","channels":"dual","record":true,"rules":["US-IL/recording-all-party"]},"zones":["America/Chicago"]}'
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
for port in 18080 18082; do
  for _ in $(seq 50); do curl -sf "localhost:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf -XPOST -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d "$body" "localhost:$port/v1/calls/check" | grep -q '"decision":"allow"' ||
    { echo "callwarden on $port did not answer" >&2; exit 1; }
done

run() {  # connections url -> wrk output (GET /healthz plain, anything else the check)
  local script=(-s "$work/check.lua")
  [[ $2 == */healthz ]] && script=()
  wrk -t2 -c"$1" -d"$duration" --latency "${script[@]}" "$2"
}
cpu_ticks() {  # pids... -> user + system clock ticks so far, summed
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}
rps() { awk '/^Requests\/sec/ {print $2}'; }
pct() { awk -v p="$1%" '$1 == p {print $2}'; }

server_pid[nginx]=$(pgrep -f "nginx: worker process" -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')
declare -A r32 r4 cpu
hz=$(getconf CLK_TCK)
server_pid[healthz]=${server_pid[written]}
# The last row is the HTTP layer alone: GET /healthz on the `written` instance (no decision,
# no audit record, a shorter answer).
for target in nginx:18081/v1/calls/check flushed:18080/v1/calls/check \
  written:18082/v1/calls/check healthz:18082/healthz; do
  name=${target%%:*}
  url="http://127.0.0.1:${target#*:}"
  # shellcheck disable=SC2086  # nginx has several worker pids
  t0=$(cpu_ticks ${server_pid[$name]})
  r32[$name]=$(run 32 "$url")
  t1=$(cpu_ticks ${server_pid[$name]})
  n=$(echo "${r32[$name]}" | awk '/requests in/ {print $1}')
  cpu[$name]=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$n" 'BEGIN {printf "%.0f", t * 1e6 / hz / n}')
  r4[$name]=$(run 4 "$url")
done
ng_rps=$(echo "${r32[nginx]}" | rps)
printf '%-28s %12s %8s %12s %10s %10s\n' server "req/s@32" ratio "CPU µs/req" "p50@4" "p99@4"
for name in nginx flushed written healthz; do
  case $name in
    nginx) label=nginx ;;
    healthz) label="callwarden GET /healthz" ;;
    *) label="callwarden ($name)" ;;
  esac
  r=$(echo "${r32[$name]}" | rps)
  printf '%-28s %12s %8s %12s %10s %10s\n' "$label" "$r" \
    "$(awk -v a="$r" -v b="$ng_rps" 'BEGIN {printf "%.3f", a / b}')" "${cpu[$name]}" \
    "$(echo "${r4[$name]}" | pct 50)" "$(echo "${r4[$name]}" | pct 99)"
  errors=$(echo "${r32[$name]}${r4[$name]}" | awk '/Non-2xx|Socket errors/' || true)
  [[ -z "$errors" ]] || echo "  errors: $errors"
done
