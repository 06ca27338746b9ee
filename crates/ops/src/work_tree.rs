//! The migrations of a repository's work tree, as the commands that read it (check, plan, verify,
//! commit, migration new) load them: every folder checked against its sum, except the files git
//! does not have yet (a hand-written migration being written), which `commit` sums.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use strata_migrations::generate::load_all_with_drafts;
use strata_migrations::Migration;
use strata_project::project::{LayerId, Project};
use strata_project::source::WorkTree;

use crate::Error;

/// Migration files of the work tree that HEAD does not have (none outside a git repository).
pub fn drafts(repo_dir: &Path) -> BTreeSet<String> {
    strata_project::git::open(repo_dir)
        .ok()
        .and_then(|repo| strata_project::git::draft_migrations(&repo).ok())
        .unwrap_or_default()
}

/// Every layer's migrations in the work tree at `repo_dir`.
pub fn migrations(repo_dir: &Path, project: &Project) -> Result<BTreeMap<LayerId, Vec<Migration>>, Error> {
    Ok(load_all_with_drafts(project, &WorkTree::new(repo_dir), &drafts(repo_dir))?)
}
