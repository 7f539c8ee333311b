#!/usr/bin/env bash
# The client benchmark: time to first event and events/s for one stream of 100,000 small
# events over loopback HTTP/1.1 and HTTPS, ssewire-http's EventSource against
# reqwest-eventsource and eventsource-client in the same run (src/bin/client-bench.rs).
# Usage: bash benches/client.sh [--events N] [--runs R]   (defaults 100000 and 5)
# Writes the table to benches/target/client-bench.md; docs/performance.md ("Client") quotes it.
# About 2 minutes on 2 cores after the build. Run it on a quiet machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
cargo build --profile clients --features clients --bin client-bench
./target/clients/client-bench --markdown target/client-bench.md "$@"
