//! The committed migrations of each layer: file format, integrity sums, order, generation.

pub mod file;
pub mod generate;
pub mod hand;
pub mod lint;
pub mod order;
pub mod releases;
pub mod sum;

use std::collections::{BTreeMap, BTreeSet};

pub use file::{Migration, MigrationKey};

use strata_project::project::LayerId;
use strata_project::source::{Source, SourceError};

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(
        "{dir}/{}: {mismatch}; restore the committed files (a released migration is never edited: add a new one)",
        sum::SUM_FILE
    )]
    Sum { dir: String, mismatch: sum::SumMismatch },
    #[error("{dir}: migrations without a {} (run `strata commit` to write it)", sum::SUM_FILE)]
    MissingSum { dir: String },
    #[error("{path}: not a migration file name (expected NNNN_<slug>.up.sql or .down.sql)")]
    BadName { path: String },
    #[error("{path}: a folder inside a migration folder, which holds only NNNN_<slug>.up.sql / .down.sql, strata.sum and releases.yaml; move it out")]
    Folder { path: String },
    #[error("{dir}: migration {seq:04} is missing (sequences start at 0001 and have no gaps)")]
    Gap { dir: String, seq: u32 },
    #[error("{dir}: two migrations numbered {seq:04} ({a} and {b}), as when two branches each add one; renumber the one not yet merged: delete its files, run `strata rehash`, then `strata commit`")]
    Duplicate { dir: String, seq: u32, a: String, b: String },
    #[error("{dir}: {path} has no matching .up.sql")]
    DownWithoutUp { dir: String, path: String },
    #[error("{path}:{line}: {message}")]
    Header { path: String, line: usize, message: String },
    #[error("{id} requires {required}, which {why}")]
    Requirement { id: String, required: String, why: String },
    #[error("migration order has a cycle: {0}")]
    Cycle(String),
}

/// Files a migration folder may hold besides migrations.
const OTHER_FILES: [&str; 2] = [sum::SUM_FILE, "releases.yaml"];

/// The migrations of one layer, in sequence order, after checking the folder against its sum.
pub fn load_layer(source: &dyn Source, layer: &LayerId) -> Result<Vec<Migration>, MigrationError> {
    load_layer_with_drafts(source, layer, &BTreeSet::new())
}

/// [`load_layer`], where the files of `drafts` (repository paths of migrations not yet committed
/// to git) may differ from the sum: a hand-written migration is written before `commit` sums it.
pub fn load_layer_with_drafts(
    source: &dyn Source,
    layer: &LayerId,
    drafts: &BTreeSet<String>,
) -> Result<Vec<Migration>, MigrationError> {
    let dir = layer.migrations_dir();
    let mut files: Vec<(String, String)> = Vec::new();
    for entry in source.list(&dir)? {
        if entry.is_dir {
            return Err(MigrationError::Folder { path: format!("{dir}/{}", entry.name) });
        }
        if entry.name != sum::SUM_FILE {
            let text = source.read(&format!("{dir}/{}", entry.name))?.unwrap_or_default();
            files.push((entry.name, text));
        }
    }
    if files.is_empty() {
        return Ok(Vec::new());
    }
    // Two branches that each added the next migration: say so before the sum (which both changed).
    let mut ups: BTreeMap<u32, &str> = BTreeMap::new();
    for (name, _) in &files {
        if let Some((seq, _, file::Direction::Up)) = file::parse_file_name(name) {
            if let Some(previous) = ups.insert(seq, name) {
                return Err(MigrationError::Duplicate { dir, seq, a: previous.to_string(), b: name.clone() });
            }
        }
    }
    match source.read(&format!("{dir}/{}", sum::SUM_FILE))? {
        None => return Err(MigrationError::MissingSum { dir }),
        Some(text) => {
            let is_draft = |name: &str| drafts.contains(&format!("{dir}/{name}"));
            sum::verify_with_drafts(&text, &files, &is_draft)
                .map_err(|mismatch| MigrationError::Sum { dir: dir.clone(), mismatch })?
        }
    }
    parse_folder(layer, &dir, files)
}

fn parse_folder(layer: &LayerId, dir: &str, files: Vec<(String, String)>) -> Result<Vec<Migration>, MigrationError> {
    let mut ups: BTreeMap<u32, (String, String, String)> = BTreeMap::new();
    let mut downs: BTreeMap<u32, (String, String)> = BTreeMap::new();
    for (name, text) in files {
        if OTHER_FILES.contains(&name.as_str()) {
            continue;
        }
        let path = format!("{dir}/{name}");
        let (seq, slug, direction) =
            file::parse_file_name(&name).ok_or_else(|| MigrationError::BadName { path: path.clone() })?;
        let slot = match direction {
            file::Direction::Up => ups.insert(seq, (slug, name.clone(), text)).map(|(_, n, _)| n),
            file::Direction::Down => downs.insert(seq, (name.clone(), text)).map(|(n, _)| n),
        };
        if let Some(previous) = slot {
            return Err(MigrationError::Duplicate { dir: dir.to_string(), seq, a: previous, b: name });
        }
    }
    let mut migrations = Vec::with_capacity(ups.len());
    for (expected, (seq, (slug, name, up))) in (1..).zip(ups) {
        if seq != expected {
            return Err(MigrationError::Gap { dir: dir.to_string(), seq: expected });
        }
        let down = match downs.remove(&seq) {
            Some((down_name, text)) if down_name == format!("{seq:04}_{slug}.down.sql") => Some(text),
            Some((down_name, _)) => {
                return Err(MigrationError::DownWithoutUp { dir: dir.to_string(), path: down_name })
            }
            None => None,
        };
        let up_path = format!("{dir}/{name}");
        let key = MigrationKey { layer: layer.clone(), seq };
        let migration = Migration::from_up_file(key, &slug, &up_path, up, down)
            .map_err(|e| MigrationError::Header { path: up_path.clone(), line: e.line, message: e.message })?;
        migrations.push(migration);
    }
    if let Some((_, (name, _))) = downs.into_iter().next() {
        return Err(MigrationError::DownWithoutUp { dir: dir.to_string(), path: name });
    }
    Ok(migrations)
}
