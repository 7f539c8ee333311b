#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build: every target, with its options file and dictionary.
# $SRC/ssewire is this repository; $OUT is where the engine expects binaries.
cd "$SRC/ssewire"
cargo fuzz build -O --fuzz-dir fuzz
for target in parse_chunked differential roundtrip encode; do
  cp "fuzz/target/x86_64-unknown-linux-gnu/release/$target" "$OUT/"
  cp "fuzz/$target.options" "$OUT/"
done
cp fuzz/sse.dict "$OUT/"
