//! A `strata commit` killed halfway leaves some files rewritten and others not (a release without
//! its sum, a migration its folder's sum does not list), which every later command refuses. Each
//! file is written whole; the journal makes the set whole: before writing, commit records what
//! every file it is about to write held, in `.git/strata-commit.journal`. The next commit that
//! finds a journal (under the repository lock, so its writer is dead) puts those files back as
//! they were, unless the killed commit's git commit had landed, in which case the work tree is
//! already as after and the journal is merely forgotten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::Repository;
use serde::{Deserialize, Serialize};
use strata_core::atomic_file::write_atomic;

use crate::Error;

const JOURNAL_FILE: &str = "strata-commit.journal";

/// What the journal holds: the commit HEAD named when the writing began, and each file's content
/// then (`None`: there was no such file).
#[derive(Serialize, Deserialize)]
struct Record {
    head: Option<String>,
    files: BTreeMap<String, Option<String>>,
}

/// An open journal: the files it names are being written.
pub struct Journal {
    path: PathBuf,
}

/// What [`recover`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovered {
    /// No commit was cut short.
    Nothing,
    /// A commit was cut short after its git commit: nothing to undo.
    Landed,
    /// A commit was cut short before its git commit: this many files were put back.
    RolledBack(usize),
}

impl Journal {
    /// Records the present content of `paths` (relative to `root`) before they are written.
    pub fn begin(repo: &Repository, root: &Path, paths: &[String]) -> Result<Journal, Error> {
        let mut files = BTreeMap::new();
        for path in paths {
            let full = root.join(path);
            let before = match std::fs::read_to_string(&full) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => return Err(Error::File { path: full.display().to_string(), source }),
            };
            files.insert(path.clone(), before);
        }
        let path = repo.path().join(JOURNAL_FILE);
        let record = Record { head: head_of(repo), files };
        let text = serde_json::to_string(&record)
            .map_err(|source| Error::Json { what: path.display().to_string(), source })?;
        write_atomic(&path, text)?;
        Ok(Journal { path })
    }

    /// The commit is done: nothing is left to undo.
    pub fn finish(self) -> Result<(), Error> {
        std::fs::remove_file(&self.path).map_err(|source| Error::File { path: self.path.display().to_string(), source })
    }
}

/// Undoes what a commit killed while writing left (see the module's note). Call with the
/// repository lock held.
pub fn recover(repo: &Repository, root: &Path) -> Result<Recovered, Error> {
    let path = repo.path().join(JOURNAL_FILE);
    let file_error = |source| Error::File { path: path.display().to_string(), source };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Recovered::Nothing),
        Err(source) => return Err(file_error(source)),
    };
    let record: Record = serde_json::from_str(&text).map_err(|source| Error::Json {
        what: format!(
            "{} (left by a killed `strata commit`; remove it once the work tree is as you want it)",
            path.display()
        ),
        source,
    })?;
    let recovered = if head_of(repo) != record.head {
        Recovered::Landed
    } else {
        remove_stale_git_locks(repo, &path)?;
        for (file, before) in &record.files {
            let full = root.join(file);
            match before {
                Some(text) => write_atomic(&full, text)?,
                None => match std::fs::remove_file(&full) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(Error::File { path: full.display().to_string(), source: e })
                    }
                    _ => {}
                },
            }
        }
        Recovered::RolledBack(record.files.len())
    };
    std::fs::remove_file(&path).map_err(file_error)?;
    Ok(recovered)
}

fn head_of(repo: &Repository) -> Option<String> {
    repo.head().ok().and_then(|head| head.target()).map(|oid| oid.to_string())
}

/// git's own lock files that the killed commit took while staging and committing (the index, the
/// branch HEAD names): git never removes a stale one, so every later commit would fail on it. One
/// made after the journal was written is the killed commit's; an older one belongs to someone
/// else and is left alone.
fn remove_stale_git_locks(repo: &Repository, journal: &Path) -> Result<(), Error> {
    let Ok(since) = std::fs::metadata(journal).and_then(|meta| meta.modified()) else { return Ok(()) };
    let mut locks = vec![repo.path().join("index.lock"), repo.path().join("HEAD.lock")];
    if let Ok(Some(branch)) = repo.find_reference("HEAD").map(|head| head.symbolic_target().map(str::to_string)) {
        locks.push(repo.commondir().join(format!("{branch}.lock")));
    }
    for lock in locks {
        let made_since = std::fs::metadata(&lock).and_then(|meta| meta.modified()).is_ok_and(|made| made >= since);
        if made_since {
            std::fs::remove_file(&lock).map_err(|source| Error::File { path: lock.display().to_string(), source })?;
        }
    }
    Ok(())
}
