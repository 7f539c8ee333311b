//! Fuzz target `hub_publish_form`: see `ssewire_hub::fuzz::publish_form`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ssewire_hub::fuzz::publish_form(data));
