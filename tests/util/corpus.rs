//! The real-world corpus (`../shared/corpus` beside the repository, or `STRATA_CORPUS_DIR`): data
//! of this machine, read unchanged. Missing, it skips with one line — and fails under `CI=true`.

use std::path::PathBuf;

/// The corpus folder, or `None` (with one line on stderr) outside CI when it is missing.
pub fn dir() -> Option<PathBuf> {
    let dir = std::env::var_os("STRATA_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus")));
    if dir.is_dir() {
        return Some(dir);
    }
    let message = format!("the corpus is not at {} (set STRATA_CORPUS_DIR)", dir.display());
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true and {message}");
    }
    eprintln!("skipping: {message}");
    None
}

/// A file of the corpus, by its path inside it.
pub fn read(file: &str) -> Option<String> {
    let path = dir()?.join(file);
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// The states of one schema history (`evolution/<folder>`), in version order (v1.2 before v1.10),
/// as (version, SQL).
pub fn history(folder: &str) -> Option<Vec<(String, String)>> {
    let dir = dir()?.join("evolution").join(folder);
    let mut states: Vec<(Vec<u32>, String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name.strip_prefix('v')?.strip_suffix(".sql")?.to_string();
            let key = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
            Some((key, version, std::fs::read_to_string(entry.path()).ok()?))
        })
        .collect();
    states.sort();
    Some(states.into_iter().map(|(_, version, sql)| (version, sql)).collect())
}
