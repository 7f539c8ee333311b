//! Fuzz target `hub_subscribe_query`: see `ssewire_hub::fuzz::subscribe_query`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ssewire_hub::fuzz::subscribe_query(data));
