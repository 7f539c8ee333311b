//! Fuzz target `parse_chunked`: see `ssewire_conformance::fuzz::parse_chunked`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ssewire_conformance::fuzz::parse_chunked(data));
