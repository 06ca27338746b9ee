//! `commit`: the migrations the declarative schema needs, written beside their sums and release
//! records and committed to git with the sources. Everything that can fail on bad input happens
//! before any file is written.

use std::collections::BTreeMap;
use std::path::Path;

use strata_dialect::plan::Hazard;
use strata_migrations::generate::{generate, load_all, write, GenerateError};
use strata_migrations::lint::lint;
use strata_migrations::{releases, Migration};
use strata_project::git;
use strata_project::project::{LayerId, Project};
use strata_project::source::WorkTree;

use crate::Error;

#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// Commit message; also names the migrations (`0002_<slug>`).
    pub message: Option<String>,
    /// Commit even when files outside strata's paths have uncommitted changes.
    pub allow_dirty: bool,
    /// Reviewed exceptions to the lint policy, recorded in every new migration with that hazard.
    pub allow: Vec<(Hazard, String)>,
}

/// What `commit` wrote.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The new migrations, in the order they were numbered.
    pub migrations: Vec<Migration>,
    /// The git commit, or `None` when nothing changed.
    pub commit: Option<String>,
}

pub fn commit(repo_dir: &Path, options: &CommitOptions) -> Result<Committed, Error> {
    let repo = git::open(repo_dir)?;
    git::check_committable(&repo, options.allow_dirty)?;
    let root = repo.workdir().unwrap_or(repo_dir).to_path_buf();
    let source = WorkTree::new(&root);
    let project = Project::load(&source)?;
    let mut all = load_all(&project, &source)?;
    let mut new = generate(&project, all.clone(), options.message.as_deref())?;
    for migration in &mut new {
        for (hazard, reason) in &options.allow {
            migration.allow(*hazard, reason);
        }
    }
    refuse_lint_errors(&project, &new)?;
    for migration in &new {
        all.entry(migration.key.layer.clone()).or_default().push(migration.clone());
    }
    let counts: BTreeMap<LayerId, u32> = all.iter().map(|(l, m)| (l.clone(), m.len() as u32)).collect();
    let recorded = releases::record(&project, &counts).map_err(GenerateError::from)?;
    refuse_inconsistent_releases(&project, &recorded, &all)?;
    write(&root, &new, &releases::files(&project, &recorded))?;
    let message = commit_message(options.message.as_deref(), &new);
    let commit = git::commit_paths(&repo, &git::MANAGED_PATHS, &message)?;
    Ok(Committed { migrations: new, commit: commit.map(|oid| oid.to_string()) })
}

/// The lint policy holds at `commit` as at `verify`: a new migration with a hazard the policy makes
/// an error, and no `--allow` for it, is refused before anything is written.
fn refuse_lint_errors(project: &Project, new: &[Migration]) -> Result<(), Error> {
    let refused: Vec<String> = new
        .iter()
        .flat_map(|migration| {
            lint(project.config.dialect, &project.config.lint, migration)
                .into_iter()
                .filter(|finding| finding.is_error())
                .map(|finding| finding.explain(&migration.up_path))
        })
        .collect();
    match refused.is_empty() {
        true => Ok(()),
        false => Err(Error::Policy(format!("nothing was written or committed:\n{}", refused.join("\n")))),
    }
}

/// A release is forever: one this commit records whose migrations need more than its ranges
/// promise is refused now (releases recorded earlier are `check`'s and `verify`'s to report).
fn refuse_inconsistent_releases(
    project: &Project,
    recorded: &BTreeMap<LayerId, Vec<strata_project::project::Release>>,
    all: &BTreeMap<LayerId, Vec<Migration>>,
) -> Result<(), Error> {
    let mut released = project.clone();
    for (layer, list) in recorded {
        let package = match layer.kind {
            strata_project::project::LayerKind::Template => released.templates.get_mut(&layer.name),
            _ => released.modules.get_mut(&layer.name),
        };
        if let Some(package) = package {
            package.releases = list.clone();
        }
    }
    let newest: Vec<(&LayerId, &semver::Version)> =
        recorded.iter().filter_map(|(layer, list)| Some((layer, &list.last()?.version))).collect();
    let problems: Vec<String> = releases::inconsistencies(&released, all)
        .into_iter()
        .filter(|p| newest.iter().any(|(layer, version)| p.layer == **layer && p.version == **version))
        .map(|p| p.message)
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(GenerateError::Inconsistent(problems.join("\n")).into())
    }
}

fn commit_message(message: Option<&str>, new: &[Migration]) -> String {
    match (message, new.len()) {
        (Some(message), _) => message.to_string(),
        (None, 0) => "strata: update schema sources".to_string(),
        (None, n) => {
            let ids: Vec<String> = new.iter().map(|m| format!("- {}", m.id())).collect();
            format!("strata: {n} migration{}\n\n{}", if n == 1 { "" } else { "s" }, ids.join("\n"))
        }
    }
}
