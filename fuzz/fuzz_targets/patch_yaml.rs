//! Fuzz target `patch_yaml`: a tenant's structured overlay patches (patches/*.yaml), loaded and
//! composed in every dialect. The input goes through `strata_fuzz::patch_yaml`, which
//! tests/fuzz_regressions.rs replays on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_fuzz::patch_yaml(data));
