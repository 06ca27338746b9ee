//! Fuzz target `manifests`: the YAML manifests of a repository (strata.yaml, template, module,
//! tenant, environment, releases) through load, validation, resolve, compose and generate. The
//! input goes through `strata_fuzz::manifests`, which tests/fuzz_regressions.rs replays on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_fuzz::manifests(data));
