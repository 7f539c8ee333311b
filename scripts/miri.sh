#!/usr/bin/env bash
# Runs the parser's and the encoder's tests under Miri, which checks the unsafe sites
# (parser/src/scan/sse2.rs and scan/avx2.rs: SSE2 and AVX2 loads, the SSE2 ones also run by the
# encoder's split; parser/src/utf8.rs: str::from_utf8_unchecked and String::from_utf8_unchecked
# on bytes the scan found ASCII) for undefined behaviour: out-of-bounds reads, invalid UTF-8 in
# a str, and so on.
# Installs the nightly toolchain's miri component if it is missing. Takes a few minutes.
# Usage: bash scripts/miri.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^miri'; then
  rustup component add miri --toolchain nightly
fi
# The SSE2 path (x86_64) and the portable SWAR path (forced with a non-x86_64 target would need a
# cross std; the SWAR masks are checked against the SSE2 ones and a byte model in the unit tests).
# streaming.rs runs every kind of line (BOM, CR/LF splits, UTF-8 split across chunks, invalid
# UTF-8, carried lines, both levels) through both unsafe sites. limits.rs (hostile megabyte inputs)
# and memory.rs (a counting allocator) are left out: under Miri they take most of an hour and
# reach no unsafe code that streaming.rs does not.
cargo +nightly miri test -p ssewire-parser --lib --test streaming
# The AVX2 kernel (parser/src/scan/avx2.rs): the unit tests again, built for AVX2 so that the
# kernel is known present at compile time and Miri interprets its intrinsics; among them, the
# test that feeds generated streams through both kernels and compares every step. Its own
# target directory keeps both builds cached.
RUSTFLAGS="-C target-feature=+avx2" CARGO_TARGET_DIR=target/miri-avx2 \
  cargo +nightly miri test -p ssewire-parser --lib
# The encoder's split (encoder/src/scan.rs), which runs the parser's SSE2 line-end mask on
# 64-byte blocks (the encoder has no unsafe of its own); its unit tests split text at every
# line-end position around the block edges, with Miri-sized sweeps.
cargo +nightly miri test -p ssewire-encoder --lib
