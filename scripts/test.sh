#!/usr/bin/env bash
# Runs every check: prettier, lint, type check, all jest tests (stores on SQLite, and on
# PostgreSQL when given a connection; the sandbox checked with the kubectl binary; backend routes
# over real HTTP), and the browser tests in Debian's Chromium against a portal they start
# themselves on free ports with a temporary database (e2e/portal.mjs; the demo's ports and
# .data/ are left alone, so this runs while ./scripts/start.sh does), and the production test:
# `yarn build:backend`, unpacked and installed as packages/backend/Dockerfile does, run with
# app-config.production.yaml on PostgreSQL (e2e/production.test.mjs; it needs PostgreSQL even
# without --postgres: postgresql://postgres@127.0.0.1:5432 then).
#
#   scripts/test.sh [--postgres postgresql://user@host:port]
#
# With --postgres (or DELIVERY_TEST_POSTGRES_URL) the PostgreSQL variants run, and an unreachable
# server fails the run. Installs what it needs (toolchain, packages, Chromium) first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POSTGRES_URL="${DELIVERY_TEST_POSTGRES_URL:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) POSTGRES_URL="$2"; shift 2 ;;
    --postgres=*) POSTGRES_URL="${1#--postgres=}"; shift ;;
    *) echo "test: unknown argument $1" >&2; exit 2 ;;
  esac
done

. "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
mkdir -p test-results
step() { printf '\n==> %s\n' "$*"; }

step "Chromium for the browser tests"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test: $CHROMIUM_PATH is missing; install Debian's chromium package (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
fi
"$CHROMIUM_PATH" --version
export CHROMIUM_PATH

step "Prometheus for the metrics provider tests"
if [ ! -x /usr/bin/prometheus ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  else
    echo "test: /usr/bin/prometheus is missing; install Debian's prometheus package" >&2
    exit 1
  fi
fi
# (head closing the pipe early must not fail the run under pipefail)
prometheus_version="$(/usr/bin/prometheus --version 2>&1)" || true
echo "${prometheus_version%%$'\n'*}"

for bin in kubectl; do
  command -v "$bin" >/dev/null || { echo "test: the $bin binary is required (the sandbox is checked with it)" >&2; exit 1; }
done
kubectl_version="$(kubectl version --client 2>/dev/null)" || true
echo "${kubectl_version%%$'\n'*}"

if [ -n "$POSTGRES_URL" ]; then
  step "PostgreSQL at $POSTGRES_URL"
  # TestDatabases picks PostgreSQL from BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING.
  major="$(node -e '
    const { Client } = require("pg");
    const c = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 5000 });
    c.connect()
      .then(() => c.query("show server_version_num"))
      .then(r => { console.log(Math.floor(Number(r.rows[0].server_version_num) / 10000)); return c.end(); })
      .catch(e => { console.error(`test: PostgreSQL at ${process.argv[1]} is unreachable: ${e.message}`); process.exit(1); });
  ' "$POSTGRES_URL")"
  echo "PostgreSQL $major"
  export "BACKSTAGE_TEST_DATABASE_POSTGRES${major}_CONNECTION_STRING=$POSTGRES_URL"
  # The built backend's test (e2e/production.test.mjs) creates its databases there.
  export DELIVERY_TEST_POSTGRES_URL="$POSTGRES_URL"
else
  echo "test: no --postgres given: store tests run on SQLite only" >&2
fi

step "Prettier"
yarn prettier:check
step "Generated API types, router and client match the OpenAPI spec"
yarn generate:openapi --check
step "Lint"
yarn lint:all
step "Type check"
yarn tsc

step "Unit, store, sandbox (kubectl) and backend route tests"
export CI=true BACKSTAGE_TEST_DISABLE_DOCKER=1
jest_status=0
yarn backstage-cli repo test --verbose --json --outputFile="$ROOT/test-results/jest.json" || jest_status=$?

step "Browser tests (Playwright in $CHROMIUM_PATH, on a portal of their own) and the built backend in production mode"
e2e_status=0
# One file at a time: building the backend bundle beside a browser and a portal starves two
# cores (the browser test timed out with the demo also running).
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$ROOT/test-results/e2e.tap" \
  e2e/*.test.mjs || e2e_status=$?

node -e '
  const fs = require("fs");
  const jest = JSON.parse(fs.readFileSync("test-results/jest.json", "utf8"));
  const tap = fs.readFileSync("test-results/e2e.tap", "utf8");
  const count = key => Number((tap.match(new RegExp(`^# ${key} (\\d+)`, "m")) || [0, 0])[1]);
  const passed = jest.numPassedTests + count("pass");
  const failed = jest.numFailedTests + count("fail") + jest.numRuntimeErrorTestSuites;
  console.log(`\njest: ${jest.numPassedTests} passed, ${jest.numFailedTests} failed in ${jest.numTotalTestSuites} suites; browser: ${count("pass")} passed, ${count("fail")} failed`);
  console.log(`${passed} passed, ${failed} failed`);
'
[ "$jest_status" = 0 ] && [ "$e2e_status" = 0 ]
