#!/usr/bin/env bash
# Mutation testing of the two cores, ssewire-parser and ssewire-encoder (cargo-mutants).
# Every mutant is tested against the whole workspace's fast test binaries: the corpus under
# every chunking, the properties, the fuzz replays, the snapshots, and the crates' own tests.
#
#   scripts/mutants.sh                               all mutants (about 200)
#   scripts/mutants.sh --file parser/src/line.rs     only these files' mutants
#
# Results: target/mutants/mutants.out/{caught,missed,timeout,unviable}.txt
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo mutants --version >/dev/null 2>&1; then
  echo "mutants: installing cargo-mutants"
  cargo install cargo-mutants --locked --quiet
fi
tests=(--all-features
  --test streaming --test limits --test memory --test roundtrip
  --test corpus --test properties --test fuzz_regressions --test snapshots)
files=("$@")
# `**`: the sources sit in subdirectories too (parser/src/scan/, parser/src/parser/).
[ ${#files[@]} -gt 0 ] || files=(--file 'parser/src/**/*.rs' --file 'encoder/src/**/*.rs')
# CI=true makes insta fail on a changed snapshot instead of writing a .snap.new beside it.
export CI=true
# A failing property needs no shrinking here: it only has to fail.
export PROPTEST_MAX_SHRINK_ITERS=0
# A mutant that loops while a buffer grows must die of a cap, not take the machine's memory.
ulimit -v $((8 * 1024 * 1024))
# cargo-mutants 27 runs its baseline over the mutated packages only, whatever
# --test-workspace says; so the baseline is run here, over the same tests the mutants get.
echo "== baseline: the test set passes on the unmutated tree"
cargo test --profile mutants --workspace "${tests[@]}" >/dev/null
cargo mutants \
  "${files[@]}" --test-workspace=true --baseline skip \
  --profile mutants --timeout 60 --gitignore true \
  --output target/mutants \
  -- "${tests[@]}"
