#!/usr/bin/env bash
# Runs the parser's and the encoder's unit tests, and the properties, under Miri, which checks
# the unsafe sites for undefined behaviour (out-of-bounds reads, invalid UTF-8 in a str, ...):
# parser/src/scan/sse2.rs and scan/avx2.rs (SSE2 and AVX2 loads; the SSE2 ones are also the
# encoder's split) and parser/src/utf8.rs (from_utf8_unchecked on bytes the scan found ASCII).
# Installs the nightly toolchain's miri component if it is missing. Slow: on the shared 2-core
# machine the parser steps take 2 to 5 minutes each, the encoder's about 11, and the properties
# step more than 25 (docs/proof.md has the results and what did not finish).
# Usage: bash scripts/miri.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^miri'; then
  rustup +nightly component add miri
fi
# A handful of cases per property: Miri checks memory, not arithmetic, and runs each case
# thousands of times slower than native code. Isolation off: proptest reads its regressions
# file from disk.
export PROPTEST_CASES="${PROPTEST_CASES:-4}"
export MIRIFLAGS="-Zmiri-disable-isolation ${MIRIFLAGS:-}"

step() { printf '\n== miri: %s\n' "$*"; }

# The SSE2 kernel (the x86_64 baseline) and, forced in the unit tests, SWAR. streaming.rs runs
# every kind of line (BOM, CR/LF splits, UTF-8 split across chunks, invalid UTF-8, carried
# lines, both levels) through both unsafe sites. limits.rs (hostile megabyte inputs) and
# memory.rs (a counting allocator) are left out: under Miri they take most of an hour and reach
# no unsafe code that streaming.rs does not.
step "parser: unit tests and streaming.rs (SSE2, SWAR)"
cargo +nightly miri test -p ssewire-parser --lib --test streaming
# The AVX2 kernel: Miri reports AVX2 present only in a build for it, where it then interprets
# the intrinsics; its own target directory keeps both builds cached.
step "parser: unit tests built for AVX2"
RUSTFLAGS="-C target-feature=+avx2" CARGO_TARGET_DIR=target/miri-avx2 \
  cargo +nightly miri test -p ssewire-parser --lib
# The encoder's split runs the parser's SSE2 line-end mask on 64-byte blocks (the encoder has
# no unsafe of its own).
step "encoder: unit tests"
cargo +nightly miri test -p ssewire-encoder --lib
# The properties (generated streams, block-edge layouts, encoder round trips) at PROPTEST_CASES
# cases each, and once per kernel (kernels.rs, whose corpus run is left to the native tests).
step "properties, and properties per kernel (PROPTEST_CASES=$PROPTEST_CASES)"
cargo +nightly miri test -p ssewire-conformance --test properties --test kernels
