#!/usr/bin/env bash
# The full benchmark run: every workload, every implementation, then the report.
# Usage: bash benches/run.sh [criterion filter]   e.g. bash benches/run.sh parse/small
# Takes about 20 minutes on 2 cores. Rewrites the generated parts of docs/performance.md (the
# criterion tables, the targets, and the whole-process table of benches/process.sh) and
# docs/performance.svg. Run it on a quiet machine: ratios are measured in the same run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
rm -f target/criterion/not-timed.tsv
cargo bench --bench parse --bench encode -- "$@"
cargo run --release --bin report
# The whole-process comparison on a full run only (a filtered run is for one group).
[ $# -gt 0 ] || { bash "$here/process.sh"; bash "$here/instructions.sh"; }
