#!/usr/bin/env bash
# Benchmarks the deployment routes and the pipeline with two delivery backend replicas on
# PostgreSQL against the sandbox (loopback only, random ports). Prints figures; asserts nothing.
#
#   scripts/bench.sh [--postgres postgresql://user@host:port] [--clients 20] [--seconds 10]
#                    [--max-requests 20000] [--only scheduler|github|flags|rollback|dora|ephemeral]
#
# PostgreSQL defaults to DELIVERY_BENCH_POSTGRES_URL, else postgresql://postgres@127.0.0.1:5432;
# the benchmark creates a database of its own there and drops it at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
exec node --require @backstage/cli/config/nodeTransform.cjs scripts/bench/deployments.ts "$@"
