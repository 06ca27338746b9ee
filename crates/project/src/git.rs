//! The git operations strata needs, on git2: open, resolve a ref, commit managed paths, check that
//! a commit would not sweep up unrelated work.

use std::path::Path;

use git2::{Commit, IndexAddOption, Oid, Repository, Signature, Status, StatusOptions};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path} is not inside a git repository (run `git init` or `strata init`)")]
    NotARepository { path: String },
    #[error("unknown ref '{reference}': no commit, branch or tag of that name in this repository{}", shallow_note(*.shallow))]
    UnknownRef { reference: String, shallow: bool },
    #[error("unmerged files; resolve the merge first: {}", .0.join(", "))]
    Unmerged(Vec<String>),
    #[error("changes outside strata's paths would be left out of the schema commit: {}; commit or stash them, or pass --allow-dirty", .0.join(", "))]
    Dirty(Vec<String>),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{path}: {why}; wait for it to finish")]
    Locked { path: String, why: String },
}

/// A shallow clone (CI checks out one commit by default) lacks the history a ref may name.
fn shallow_note(shallow: bool) -> &'static str {
    if shallow {
        "; this is a shallow clone, which may not hold it: fetch the history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)"
    } else {
        ""
    }
}

/// Repository paths `strata commit` stages: manifests, layer sources, migrations and the JSON
/// Schemas editors read.
pub const MANAGED_PATHS: [&str; 7] = [
    "strata.yaml",
    "templates",
    "modules",
    "tenants",
    "environments",
    "migrations",
    crate::project::json_schema::SCHEMA_DIR,
];

fn is_managed(path: &str) -> bool {
    MANAGED_PATHS.iter().any(|m| path == *m || path.strip_prefix(m).is_some_and(|rest| rest.starts_with('/')))
}

pub fn open(dir: &Path) -> Result<Repository, GitError> {
    Repository::open(dir).map_err(|_| GitError::NotARepository { path: dir.display().to_string() })
}

/// A commit from any revision git understands: a full or short hash, a branch, a tag, `HEAD~1`.
pub fn resolve_commit<'r>(repo: &'r Repository, reference: &str) -> Result<Commit<'r>, GitError> {
    repo.revparse_single(reference)
        .and_then(|object| object.peel_to_commit())
        .map_err(|_| GitError::UnknownRef { reference: reference.to_string(), shallow: repo.is_shallow() })
}

/// Migration files the work tree has that HEAD does not (new, untracked or only staged): drafts,
/// such as a hand-written pair from `strata migration new` whose SQL is still being written.
pub fn draft_migrations(repo: &Repository) -> Result<std::collections::BTreeSet<String>, GitError> {
    let mut options = StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true).pathspec("migrations");
    let statuses = repo.statuses(Some(&mut options))?;
    Ok(statuses
        .iter()
        .filter(|entry| entry.status().intersects(Status::WT_NEW | Status::INDEX_NEW))
        .filter_map(|entry| entry.path().map(str::to_string))
        .collect())
}

/// An exclusive hold on a repository for `strata commit`: two commits in one work tree would both
/// number their migration 0003. The operating system releases it when the process ends, even
/// when it is killed, so it never goes stale.
pub struct RepositoryLock {
    _file: std::fs::File,
}

/// Takes the repository's commit lock (`.git/strata-commit.lock`), or says who holds it.
pub fn lock(repo: &Repository) -> Result<RepositoryLock, GitError> {
    let path = repo.path().join("strata-commit.lock");
    let held = |why: String| GitError::Locked { path: path.display().to_string(), why };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| held(e.to_string()))?;
    match file.try_lock() {
        Ok(()) => Ok(RepositoryLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(held("another strata commit is running in this repository".into()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(held(e.to_string())),
    }
}

/// The user's configured identity, else a neutral one, so that a fresh machine can still commit.
fn signature(repo: &Repository) -> Result<Signature<'static>, GitError> {
    match repo.signature() {
        Ok(signature) => Ok(signature.to_owned()),
        Err(_) => Ok(Signature::now("strata", "strata@localhost")?),
    }
}

/// Refuses when the tree has unmerged files, or (unless `allow_dirty`) tracked changes outside
/// [`MANAGED_PATHS`]; untracked files elsewhere are never staged, so they do not count.
pub fn check_committable(repo: &Repository, allow_dirty: bool) -> Result<(), GitError> {
    let mut options = StatusOptions::new();
    options.include_untracked(false);
    let statuses = repo.statuses(Some(&mut options))?;
    let mut unmerged = Vec::new();
    let mut dirty = Vec::new();
    for entry in statuses.iter() {
        let path = entry.path().unwrap_or("?").to_string();
        if entry.status().contains(Status::CONFLICTED) {
            unmerged.push(path);
        } else if !is_managed(&path) && entry.status() != Status::CURRENT && !entry.status().contains(Status::IGNORED) {
            dirty.push(path);
        }
    }
    if !unmerged.is_empty() {
        return Err(GitError::Unmerged(unmerged));
    }
    if !dirty.is_empty() && !allow_dirty {
        return Err(GitError::Dirty(dirty));
    }
    Ok(())
}

/// Stages additions, edits and deletions under `paths` and commits them. `None` when the result
/// would equal HEAD: strata never makes an empty commit.
pub fn commit_paths(repo: &Repository, paths: &[&str], message: &str) -> Result<Option<Oid>, GitError> {
    let mut index = repo.index()?;
    index.add_all(paths.iter(), IndexAddOption::DEFAULT, None)?;
    index.update_all(paths.iter(), None)?;
    index.write()?;
    let tree_id = index.write_tree()?;
    let parent = match repo.head() {
        Ok(head) => Some(head.peel_to_commit()?),
        Err(_) => None,
    };
    if parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id)?;
    let signature = signature(repo)?;
    let parents: Vec<&Commit> = parent.iter().collect();
    Ok(Some(repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_paths_are_folders_not_prefixes() {
        assert!(is_managed("strata.yaml"));
        assert!(is_managed("modules/events/schema/01.sql"));
        assert!(!is_managed("modules2/x"));
        assert!(!is_managed("README.md"));
    }
}
