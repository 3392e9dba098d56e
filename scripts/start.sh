#!/usr/bin/env bash
# Starts the portal with demo data: the sandbox (GitHub on :7010, clusters uat/canary/production
# on :7011-:7013, simulated traffic on :7014, Jenkins on :7015, PagerDuty on :7016), the backend on :7007 (SQLite under .data/,
# flagd gRPC sync on :8015, which the sandbox's simulated services read their flags from) and the frontend on :3000.
# Installs what it needs first. Ctrl-C stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
mkdir -p .data

# Each child runs in its own process group so that stopping it stops everything it started.
set -m
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for port in 7010 7011 7012 7013 7014 7015 7016 7007 8015 3000; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "start: port $port is already in use; stop whatever holds it (another portal?) and retry" >&2
    exit 1
  fi
done

# The simulated services evaluate their flags through OpenFeature's flagd provider, streaming
# from the portal's gRPC sync (delivery.flags.sync.grpc.port); they retry until it is up.
# The sandbox GitHub sends signed webhooks (the demo's DORA history, then what changes) to the
# backend's events endpoint with delivery.dora.github.webhookSecret; it retries until it is up.
export DELIVERY_DEMO_WEBHOOK_SECRET=sandbox-demo-webhook-secret
SANDBOX_FLAGS_PORT=8015 \
  SANDBOX_GITHUB_WEBHOOK_URL=http://localhost:7007/api/events/http/github \
  SANDBOX_GITHUB_WEBHOOK_SECRET="$DELIVERY_DEMO_WEBHOOK_SECRET" \
  yarn workspace @internal/sandbox start &
pids+=($!)
# The backend reads the sandbox at start-up; wait until its last server answers.
for _ in $(seq 1 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/7016) 2>/dev/null; then break; fi
  sleep 0.2
done

NODE_ENV=development yarn backstage-cli repo start "$@" &
pids+=($!)
wait -n "${pids[@]}"
