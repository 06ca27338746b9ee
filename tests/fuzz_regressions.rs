//! The fuzz targets' inputs replayed on stable, without nightly or cargo-fuzz: every seed of
//! `fuzz/corpus/<target>/` and every crash kept in `tests/fixtures/fuzz/<target>/` (where
//! `.ci/fuzz` copies them) goes through the same function the target calls (`fuzz/src/lib.rs`),
//! and none may panic; errors are ordinary answers.

#[path = "../fuzz/src/lib.rs"]
mod fuzz_inputs;

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The files of a folder, sorted; none when it does not exist (a target without kept crashes).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Replays every input of `target`; all panics are reported together, each with its file.
fn replay(target: &str) {
    let (_, run) = fuzz_inputs::TARGETS.iter().find(|(name, _)| *name == target).expect("a known target");
    let seeds = inputs(&Path::new(ROOT).join("fuzz/corpus").join(target));
    assert!(!seeds.is_empty(), "fuzz/corpus/{target}/ holds no seed");
    let kept = inputs(&Path::new(ROOT).join("tests/fixtures/fuzz").join(target));
    let mut panics = Vec::new();
    for path in seeds.iter().chain(&kept) {
        let data = std::fs::read(path).unwrap();
        if let Err(payload) = std::panic::catch_unwind(|| run(&data)) {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panics.push(format!("{}: {message}", path.display()));
        }
    }
    assert!(
        panics.is_empty(),
        "{target}: {} of {} inputs panic:\n{}",
        panics.len(),
        seeds.len() + kept.len(),
        panics.join("\n")
    );
}

#[test]
fn every_target_has_a_test() {
    let names: Vec<&str> = fuzz_inputs::TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["manifests", "patch_yaml", "sql_model", "sums"]);
}

#[test]
fn manifests_inputs_do_not_panic() {
    replay("manifests");
}

#[test]
fn patch_yaml_inputs_do_not_panic() {
    replay("patch_yaml");
}

#[test]
fn sql_model_inputs_do_not_panic() {
    replay("sql_model");
}

#[test]
fn sums_inputs_do_not_panic() {
    replay("sums");
}

/// The multi-file format the seeds use: `@@ <path>` lines start files.
#[test]
fn multi_file_inputs_split_at_marker_lines() {
    let files = fuzz_inputs::split_files(b"total x\n@@ a.sql\nSELECT 1;\n@@ b.sql\n", "strata.sum");
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    assert_eq!(files, [("strata.sum", &b"total x\n"[..]), ("a.sql", b"SELECT 1;\n"), ("b.sql", b"")]);
}
