//! Fuzz target `sums`: a migration folder: strata.sum, file names and `-- strata:` header
//! directives. The input goes through `strata_fuzz::sums`, which tests/fuzz_regressions.rs replays
//! on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_fuzz::sums(data));
