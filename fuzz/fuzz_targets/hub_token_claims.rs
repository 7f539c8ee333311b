//! Fuzz target `hub_token_claims`: see `ssewire_hub::fuzz::token_claims`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ssewire_hub::fuzz::token_claims(data));
