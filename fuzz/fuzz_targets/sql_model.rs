//! Fuzz target `sql_model`: SQL text -> the dialect-neutral model in every dialect, planned from
//! nothing and replayed. The input goes through `strata_fuzz::sql_model`, which
//! tests/fuzz_regressions.rs replays on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_fuzz::sql_model(data));
