#!/usr/bin/env bash
# The README's test command: installs what the tests need and this machine lacks, then runs
# every test of the workspace (extra arguments go to cargo test).
#
# Needed beyond Rust: redis-server (Debian package), which the cluster transport's tests start
# on a free port of their own (hub/tests/support/redis.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "test.sh: installing redis-server (Debian package) for the cluster transport's tests" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq redis-server >/dev/null
fi

cargo test --workspace --all-features "$@"
