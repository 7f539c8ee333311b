#!/usr/bin/env bash
# A fuzzing campaign: every target (or those named) for SECONDS each, then a summary of
# executions per second, coverage and crashes.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      default: 600 seconds, all four targets
#   FUZZ_PARALLEL=2 fuzz/run.sh 600         run two targets at a time (one per core)
#
# Needs a nightly toolchain (rustup's `nightly`, which this machine image has; cargo-fuzz builds
# with sanitizers only there). Installs cargo-fuzz if it is missing. Crashes land in
# fuzz/artifacts/<target>/; keep each (renamed) in fuzz/regressions/<target>/ once fixed.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse_chunked differential roundtrip encode hub_publish_form hub_subscribe_query hub_token_claims)
parallel=${FUZZ_PARALLEL:-1}

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain (rustup toolchain install nightly); cannot fuzz" >&2
  exit 3
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

echo "== seeds from the conformance cases"
cargo run -q --release --manifest-path ../Cargo.toml -p ssewire-conformance --example fuzz_seeds -- "$PWD/corpus"
echo "== build (release, sanitizers)"
cargo +nightly fuzz build -O

mkdir -p logs
run_one() {
  local target=$1 extra=()
  [ -f "$target.options" ] && grep -q '^dict' "$target.options" && extra+=(-dict=sse.dict)
  mkdir -p "corpus/$target" "regressions/$target" "artifacts/$target"
  # -print_final_stats gives the totals the summary reads; a crash stops the target early.
  cargo +nightly fuzz run -O "$target" "corpus/$target" "regressions/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "${extra[@]}" \
    >"logs/$target.log" 2>&1 || true
}

running=0
for target in "${targets[@]}"; do
  echo "== $target: ${seconds}s"
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

echo
printf '%-14s %12s %10s %8s %8s %8s\n' target executions exec/s edges features crashes
status=0
for target in "${targets[@]}"; do
  log="logs/$target.log"
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  edges=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  features=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  crashes=$(find "artifacts/$target" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) | wc -l)
  printf '%-14s %12s %10s %8s %8s %8s\n' "$target" "$runs" "$speed" "$edges" "$features" "$crashes"
  if [ "$crashes" -gt 0 ]; then
    status=1
    find "artifacts/$target" -type f | sed 's/^/    /'
    grep -m1 -A3 'panicked at' "$log" | sed 's/^/    /' || true
  fi
done
echo "logs: fuzz/logs/<target>.log"
exit $status
