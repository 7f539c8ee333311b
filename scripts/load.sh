#!/usr/bin/env bash
# Bounded load test of the broadcast hub (tools/loadtest: `ssewire-loadtest hub`): N concurrent
# EventSource subscribers on loopback against serve_hub in a child process; memory per idle
# subscriber, events/s delivered, and Last-Event-ID resumption after half the clients drop.
# See docs/load.md.
#
#   bash scripts/load.sh                                   10 000 subscribers (under 2 minutes)
#   bash scripts/load.sh --subscribers 200 --events 20     quick smoke run
#   bash scripts/load.sh --variant hyper --touch-heap      other options: ssewire-loadtest hub --help
#
# Writes docs/load-results.md. Exit status: 0 pass, 1 a check failed, 2 error or timeout.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each subscriber holds one socket in the driver and one in the server: raise the soft limit
# on open files to the hard one (asking for at least 65536 when the hard limit allows more).
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ]; then
  ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || true
else
  ulimit -n "$hard" 2>/dev/null || true
fi
soft=$(ulimit -n)
if [ "$soft" != unlimited ] && [ "$soft" -lt 65536 ]; then
  echo "load: open-files limit $soft (hard $hard): room for about $((soft - 64)) subscribers" >&2
fi

exec cargo run --release -p ssewire-loadtest -- hub \
  --markdown docs/load-results.md "$@"
