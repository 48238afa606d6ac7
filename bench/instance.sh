# shellcheck shell=bash
# Sourced by the bench scripts (which set $build): a callwardend configuration for a throw-away
# instance.
#   callwarden_config DIR PORT DURABILITY TOKEN_SHA256 [THREADS]
#     -> writes DIR/callwarden.json (server.threads = THREADS, default 32) and keys
#   SQLITE_PROCESS_LOCK=shared|exclusive  store.sqlite_process_lock (default: the service's
#     default, shared)
callwarden_config() {
  local dir=$1 port=$2 durability=$3 hash=$4 threads=${5:-32}
  local lock=${SQLITE_PROCESS_LOCK:-shared}
  mkdir -p "$dir/keys"
  cat > "$dir/callwarden.json" <<JSON
{
  "server": {"host": "127.0.0.1", "port": $port, "threads": $threads},
  "store": {"url": "sqlite:$dir/callwarden.db", "sqlite_process_lock": "$lock"},
  "auth": {"keys": [{"name": "bench", "sha256": "$hash", "scopes": ["dialer"]}]},
  "policy": {"rules": "$PWD/data/rules/us.json", "data_dir": "$PWD/data"},
  "audit": {"dir": "$dir/audit", "kek_file": "$dir/keys/kek", "signing_key_file": "$dir/keys/sk",
            "check_durability": "$durability"},
  "log": {"level": "warn"}
}
JSON
  # shellcheck disable=SC2154  # set by the sourcing script
  "$build/bin/callwarden" keys init --config="$dir/callwarden.json" >/dev/null
}

# The request both scripts send: a collection check, so the calling windows, the internal
# do-not-call list, consent, the Reg F ledger read and the audit record all run.
# shellcheck disable=SC2034  # used by the scripts that source this
check_body='{"to":"+13125550142","purpose":"debt_collection","subject_id":"S-1","debts":["D1"],"at":"2026-07-15T16:00:00Z"}'
