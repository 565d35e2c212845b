#![no_main]
//! libFuzzer entry point; the body is [`strata_fuzz_targets::log`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_fuzz_targets::log(data));
