#!/bin/sh
# Installs the JavaScript adapters' libraries, exactly as pinned in package-lock.json, into
# benches/adapters/js/node_modules (git-ignored). Idempotent: `npm ci` starts from a clean
# node_modules each time. Some pinned versions declare a newer Node than 20 in `engines` (npm
# warns; they run on Node 20 all the same, which is why they are here).
set -eu
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "install.sh: node is not installed" >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error
