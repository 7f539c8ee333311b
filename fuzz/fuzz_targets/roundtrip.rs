//! Fuzz target `roundtrip`: see `ssewire_conformance::fuzz::roundtrip`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ssewire_conformance::fuzz::roundtrip(data));
