//! Fuzz target `encode`: see `ssewire_conformance::fuzz::encode`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ssewire_conformance::fuzz::encode(data));
