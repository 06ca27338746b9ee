//! Committed history against the merge base: a migration that exists at the base must still exist,
//! unchanged, and keep its number. The sum files catch an edit made without `strata commit`; this
//! catches one made with a rewritten sum, which is how a released migration silently changes. A
//! merged seed file edited without a mark (`-- strata:rerun` / `-- strata:keep`) is refused too.

use std::collections::BTreeSet;
use std::path::Path;

use git2::{BranchType, Repository};

use strata_migrations::sum::{normalized, SUM_FILE};
use strata_project::project::Project;
use strata_project::source::{CommitTree, Source, WorkTree};

/// The base a branch is compared with, and what differs.
pub struct BaseComparison {
    /// `main (merge base 1a2b3c4d5e6f)`
    pub base: String,
    /// Migration file paths present at the merge base: every other migration is new.
    pub base_files: BTreeSet<String>,
    pub problems: Vec<String>,
}

/// Why no comparison was possible (no repository, no base): the check is skipped, not failed.
pub type NoBase = String;

/// `reference`, else the upstream of the current branch, else `main`, `origin/main`, `master`.
fn base_commit<'r>(repo: &'r Repository, reference: Option<&str>) -> Result<(String, git2::Commit<'r>), NoBase> {
    if let Some(reference) = reference {
        let commit = strata_project::git::resolve_commit(repo, reference).map_err(|e| e.to_string())?;
        return Ok((reference.to_string(), commit));
    }
    let upstream = repo
        .head()
        .ok()
        .and_then(|head| head.shorthand().map(str::to_string))
        .and_then(|name| repo.find_branch(&name, BranchType::Local).ok())
        .and_then(|branch| branch.upstream().ok())
        .and_then(|upstream| Some((upstream.name().ok()??.to_string(), upstream.get().peel_to_commit().ok()?)));
    if let Some(found) = upstream {
        return Ok(found);
    }
    for name in ["main", "origin/main", "master", "origin/master"] {
        if let Ok(commit) = strata_project::git::resolve_commit(repo, name) {
            return Ok((name.to_string(), commit));
        }
    }
    Err("no base to compare with (no upstream, main or master); pass --base REF".to_string())
}

/// Every file below `migrations/` of a source, recursively, as `(path, text)`.
fn migration_files(source: &dyn Source) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    let mut dirs = vec!["migrations".to_string()];
    while let Some(dir) = dirs.pop() {
        for entry in source.list(&dir).map_err(|e| e.to_string())? {
            let path = format!("{dir}/{}", entry.name);
            if entry.is_dir {
                dirs.push(path);
            } else {
                let text = source.read(&path).map_err(|e| e.to_string())?.unwrap_or_default();
                files.push((path, text));
            }
        }
    }
    Ok(files)
}

/// Compares the work tree's migrations with those at the merge base of HEAD and the base.
pub fn compare(repo_dir: &Path, project: &Project, reference: Option<&str>) -> Result<BaseComparison, NoBase> {
    let repo = strata_project::git::open(repo_dir).map_err(|e| e.to_string())?;
    let (name, base) = base_commit(&repo, reference)?;
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let merge_base = match head {
        Some(head) => repo.merge_base(head.id(), base.id()).map_err(|e| format!("no merge base with {name}: {e}"))?,
        None => base.id(),
    };
    let merge_base = repo.find_commit(merge_base).map_err(|e| e.to_string())?;
    let at_base = CommitTree::new(&repo, &merge_base).map_err(|e| e.to_string())?;
    let base_files = migration_files(&at_base)?;
    let work_tree = WorkTree::new(repo.workdir().unwrap_or(repo_dir));
    let mut problems = Vec::new();
    for (path, text) in &base_files {
        if path.ends_with(SUM_FILE) {
            continue; // changes whenever a migration is added; the sum check covers it
        }
        let now = work_tree.read(path).map_err(|e| e.to_string())?.map(|t| normalized(&t));
        let before = normalized(text);
        let problem = match now {
            None => Some("was removed or renumbered".to_string()),
            // Releases are append-only: a new release may follow, a recorded one never changes.
            Some(now) if path.ends_with("releases.yaml") && !now.starts_with(&before) => {
                Some("rewrites a recorded release (releases are append-only)".to_string())
            }
            Some(now) if !path.ends_with("releases.yaml") && now != before => {
                Some("was edited; a merged migration is never changed: add a new one".to_string())
            }
            _ => None,
        };
        if let Some(problem) = problem {
            problems.push(format!("{path} {problem}"));
        }
    }
    // A merged seed may have run: an edit must say whether tenants run it again or keep its rows.
    let seeds = crate::seeds::changed_seeds(&at_base, &work_tree)?;
    problems.extend(seeds.iter().filter(|seed| seed.mark.is_none()).map(ToString::to_string));
    // A tenant's changed variables that `apply` would refuse to converge (a step drops data).
    let rerendered = crate::rerender::since(project, repo_dir, &merge_base.id().to_string(), None);
    problems.extend(rerendered.into_iter().filter_map(|r| r.refused));
    let short = merge_base.id().to_string()[..12].to_string();
    Ok(BaseComparison {
        base: format!("{name} (merge base {short})"),
        base_files: base_files.into_iter().map(|(path, _)| path).collect(),
        problems,
    })
}
