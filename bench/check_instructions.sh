#!/usr/bin/env bash
# User-space instructions callwardend executes per POST /v1/calls/check, counted by callgrind.
#
#   bench/check_instructions.sh [BUILD_DIR]     (default build)
#
# Wall-clock figures on a shared two-core VM move by a fifth between runs; instruction counts
# repeat to a tenth of a percent, so this is the figure to compare two builds by. It counts
# what the process runs in user space (all its threads), not the kernel's work (system calls,
# context switches, the disk): bench/http_check.sh measures those. The daemon answers N1 and
# then N2 checks on one keep-alive connection in two runs; (I2 - I1) / (N2 - N1) leaves out
# start-up. callgrind has no SHA extensions, so OpenSSL's hashing counts more than on
# hardware that has them.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/instance.sh
command -v valgrind >/dev/null || scripts/deps --with-test-tools
n1=${N1:-200}
n2=${N2:-2200}
work=$(mktemp -d /var/tmp/cw-instr-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
token=bench-token-$RANDOM$RANDOM
hash=$(printf %s "$token" | sha256sum | cut -d' ' -f1)

instructions() {  # checks -> total instructions of one daemon run
  local dir="$work/run-$1" port=18090
  callwarden_config "$dir" "$port" written "$hash"
  valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
    "$build/bin/callwardend" --config="$dir/callwarden.json" 2>"$dir/valgrind.log" &
  local pid=$!
  for _ in $(seq 300); do curl -sf "localhost:$port/healthz" >/dev/null && break; sleep 0.2; done
  python3 - "$1" "$port" "$token" "$check_body" <<'PY'
import http.client, sys
n, port, token, body = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    c.request("POST", "/v1/calls/check", body,
              {"Content-Type": "application/json", "Authorization": "Bearer " + token})
    r = c.getresponse()
    answer = r.read()
    if r.status != 200 or b'"decision":"allow"' not in answer:
        sys.exit("unexpected answer: %d %s" % (r.status, answer))
PY
  kill -TERM "$pid"
  wait "$pid" || true
  awk '/^(summary|totals):/ {print $2; exit}' "$dir/callgrind.out"
}

i1=$(instructions "$n1")
i2=$(instructions "$n2")
echo "instructions per check: $(( (i2 - i1) / (n2 - n1) ))  ($n1 checks: $i1, $n2 checks: $i2)"
