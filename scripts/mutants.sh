#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the two cores, ssewire-parser and ssewire-encoder, their
# SIMD and SWAR kernels included (parser/src/scan/*.rs, encoder/src/scan.rs), and of the http
# crate's codec (http/src/stream.rs: EventStream and SseDecoder).
#
#   scripts/mutants.sh                                      every file (about 650 mutants)
#   scripts/mutants.sh --file parser/src/scan/swar.rs       only these files' mutants
#   scripts/mutants.sh --file 'parser/src/scan/*.rs' --jobs 1    (other cargo-mutants options pass through)
#
# Each mutant of parser/ or encoder/ runs every test that can catch it: the crates' unit tests
# (`--lib`: the kernels against a byte model, the fast-path counters), the corpus under every
# chunking, the corpus and properties once per kernel (tests/kernels.rs), the properties, the
# fuzz replays, the snapshots, and the crates' integration tests. A mutant of the http codec
# runs the http crate's tests. Doctests are left out (slow to build); what they show has a test.
# The hub crate is never built.
#
# Results: target/mutants/core/mutants.out and target/mutants/http/mutants.out
# ({caught,missed,timeout,unviable}.txt). docs/proof.md has the figures and the equivalents.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo mutants --version >/dev/null 2>&1; then
  echo "mutants: installing cargo-mutants"
  cargo install cargo-mutants --locked --quiet
fi

core_packages=(-p ssewire-parser -p ssewire-encoder -p ssewire-conformance)
core_tests=(--lib
  --test streaming --test limits --test memory --test roundtrip
  --test corpus --test properties --test kernels --test fuzz_regressions --test snapshots)
http_packages=(-p ssewire-http)
http_tests=(--lib --tests)

# The files asked for, split by the test set they need; other arguments go to cargo-mutants.
core_files=() http_files=() options=()
while [ $# -gt 0 ]; do
  case "$1" in
    --file | -f)
      case "$2" in
        http/*) http_files+=(--file "$2") ;;
        *) core_files+=(--file "$2") ;;
      esac
      shift 2
      ;;
    *)
      options+=("$1")
      shift
      ;;
  esac
done
if [ ${#core_files[@]} -eq 0 ] && [ ${#http_files[@]} -eq 0 ]; then
  # `**`: the sources sit in subdirectories too (parser/src/scan/, parser/src/parser/).
  core_files=(--file 'parser/src/**/*.rs' --file 'encoder/src/**/*.rs')
  http_files=(--file 'http/src/stream.rs')
fi

# CI=true makes insta fail on a changed snapshot instead of writing a .snap.new beside it.
export CI=true
# A failing property needs no shrinking here: it only has to fail.
export PROPTEST_MAX_SHRINK_ITERS=0
# A mutant that loops while a buffer grows must die of a cap, not take the machine's memory.
ulimit -v $((8 * 1024 * 1024))

# One set of files, tested by one set of packages and tests.
run() {
  local name=$1 && shift
  local -n files=$1 packages=$2 tests=$3
  [ ${#files[@]} -gt 0 ] || return 0
  # cargo-mutants runs its baseline over the mutated packages only; so the baseline is run
  # here, over the same tests the mutants get.
  echo "== $name: baseline (the test set passes on the unmutated tree)"
  cargo test --profile mutants --all-features "${packages[@]}" "${tests[@]}" >/dev/null
  local test_packages=()
  for ((i = 1; i < ${#packages[@]}; i += 2)); do test_packages+=(--test-package "${packages[i]}"); done
  # The timeouts bound the scratch tree's first build (all dependencies) and a mutant that
  # loops; the tests themselves take a few seconds. `--all-features` for every cargo call, so
  # the test step reuses what the build step built (one build per mutant, not two).
  cargo mutants \
    "${files[@]}" "${test_packages[@]}" --baseline skip \
    --profile mutants --timeout 20 --build-timeout 600 --gitignore true \
    --cargo-arg=--all-features \
    --output "target/mutants/$name" "${options[@]}" \
    -- "${tests[@]}" || status=$?
}
status=0
run core core_files core_packages core_tests
run http http_files http_packages http_tests
exit $status
