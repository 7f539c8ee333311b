//! Fuzz target `differential`: see `ssewire_conformance::fuzz::differential`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ssewire_conformance::fuzz::differential(data));
