//! `commit`: the migrations the declarative schema needs, written beside their sums and release
//! records and committed to git with the sources. Everything that can fail on bad input happens
//! before any file is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use strata_dialect::plan::Hazard;
use strata_migrations::generate::{generate, paths_written, resum, sum_path, write, GenerateError};
use strata_migrations::lint::lint;
use strata_migrations::releases::{Bump, NeedsVersion};
use strata_migrations::{releases, Migration};
use strata_project::git;
use strata_project::project::{LayerId, Project};
use strata_project::source::{Source, WorkTree};

use crate::commit_journal::{self, Journal, Recovered};
use crate::Error;

#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// Commit message; also names the migrations (`0002_<slug>`).
    pub message: Option<String>,
    /// Commit even when files outside strata's paths have uncommitted changes.
    pub allow_dirty: bool,
    /// Reviewed exceptions to the lint policy, recorded in every new migration with that hazard.
    pub allow: Vec<(Hazard, String)>,
    /// Raise the `version:` of every layer whose change would land in a released version.
    pub bump: Option<Bump>,
}

/// What `commit` wrote.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The new migrations, in the order they were numbered.
    pub migrations: Vec<Migration>,
    /// The git commit, or `None` when nothing changed.
    pub commit: Option<String>,
    /// Layers whose `version:` `--bump` raised.
    pub bumped: Vec<Bumped>,
    /// Hand-written migrations (up files) this commit records for the first time.
    pub hand_written: Vec<String>,
    /// Tenant files whose changed variables change the tenant's schema: `apply` converges them.
    pub rerendered: Vec<String>,
    /// What an earlier commit, killed while writing, left and this one undid first.
    pub recovered: Recovered,
}

/// A manifest whose `version:` `--bump` raised.
#[derive(Debug, Clone)]
pub struct Bumped {
    pub manifest: String,
    pub from: semver::Version,
    pub to: semver::Version,
}

pub fn commit(repo_dir: &Path, options: &CommitOptions) -> Result<Committed, Error> {
    let repo = git::open(repo_dir)?;
    let _held = git::lock(&repo)?;
    let root = repo.workdir().unwrap_or(repo_dir).to_path_buf();
    remove_stale_temporaries(&root)?;
    let recovered = commit_journal::recover(&repo, &root)?;
    git::check_committable(&repo, options.allow_dirty)?;
    let source = WorkTree::new(&root);
    let mut project = Project::load(&source)?;
    // Hand-written migrations not yet in git may differ from their sums; they are summed below.
    let drafts = crate::work_tree::drafts(&root);
    let mut all = strata_migrations::generate::load_all_with_drafts(&project, &source, &drafts)?;
    let mut new = generate(&project, all.clone(), options.message.as_deref())?;
    for migration in &mut new {
        for (hazard, reason) in &options.allow {
            migration.allow(*hazard, reason);
        }
    }
    refuse_undoing_drafts(&project, &all, &new, &drafts)?;
    refuse_lint_errors(&project, &new)?;
    // A changed variable is committed with its tenant file; one whose converging step would drop
    // data is refused here as `check` refuses it, before anything is written.
    let rerendered = crate::rerender::since(&project, &root, "HEAD", None);
    if let Some(why) = rerendered.iter().find_map(|r| r.refused.clone()) {
        return Err(Error::Policy(why));
    }
    let (bumped, manifests): (Vec<Bumped>, Vec<String>) = match options.bump {
        Some(bump) => {
            let needing = crate::check::needing_versions(&project, &all, &new);
            bump_versions(&mut project, &source, &needing, bump)?.into_iter().unzip()
        }
        None => Default::default(),
    };
    for migration in &new {
        all.entry(migration.key.layer.clone()).or_default().push(migration.clone());
    }
    let counts: BTreeMap<LayerId, u32> = all.iter().map(|(l, m)| (l.clone(), m.len() as u32)).collect();
    let recorded = releases::record(&project, &counts).map_err(GenerateError::from)?;
    refuse_inconsistent_releases(&project, &recorded, &all)?;
    let mut files = releases::files(&project, &recorded);
    files.extend(bumped.iter().map(|b| b.manifest.clone()).zip(manifests));
    let draft_dirs: BTreeSet<&str> =
        drafts.iter().filter_map(|path| path.rsplit_once('/').map(|(dir, _)| dir)).collect();
    let mut paths = paths_written(&new, &files);
    paths.extend(draft_dirs.iter().map(|dir| sum_path(dir)));
    let journal = Journal::begin(&repo, &root, &paths)?;
    let written = write_and_commit(&repo, &root, (&new, &files), &draft_dirs, &bumped, options);
    let commit = match written {
        Ok(commit) => {
            journal.finish()?;
            commit
        }
        Err(e) => {
            // A full disk or a lost permission halfway: put the files back now. Should that fail
            // too, the journal stays and the next commit tries again; the first error is the one
            // to report.
            let _ = commit_journal::recover(&repo, &root);
            return Err(e);
        }
    };
    let hand_written = drafts.into_iter().filter(|path| path.ends_with(".up.sql")).collect();
    let rerendered = rerendered.into_iter().map(|r| r.file).collect();
    Ok(Committed {
        migrations: new,
        commit: commit.map(|oid| oid.to_string()),
        bumped,
        hand_written,
        rerendered,
        recovered,
    })
}

/// The files of the commit, then the git commit of every managed path.
fn write_and_commit(
    repo: &git2::Repository,
    root: &Path,
    (new, files): (&[Migration], &[(String, String)]),
    draft_dirs: &BTreeSet<&str>,
    bumped: &[Bumped],
    options: &CommitOptions,
) -> Result<Option<git2::Oid>, Error> {
    write(root, new, files)?;
    for dir in draft_dirs {
        resum(root, dir)?;
    }
    let message = commit_message(options.message.as_deref(), new, bumped);
    Ok(git::commit_paths(repo, &git::MANAGED_PATHS, &message)?)
}

/// A commit killed while writing leaves a temporary file beside the one it was replacing; it
/// would be staged with the managed paths, or summed with its migration folder. The repository
/// lock is held, so no other commit is writing one now.
fn remove_stale_temporaries(root: &Path) -> Result<(), Error> {
    for managed in git::MANAGED_PATHS {
        let dir = root.join(managed);
        strata_core::atomic_file::remove_stale_temporaries(&dir)
            .map_err(|source| Error::File { path: dir.display().to_string(), source })?;
    }
    Ok(())
}

/// Raises the version of each layer in `needing`, in `project` and in the text of its manifest
/// (returned with its new text, written with the rest, so nothing is written if a later step
/// refuses).
fn bump_versions(
    project: &mut Project,
    source: &dyn Source,
    needing: &[NeedsVersion],
    bump: Bump,
) -> Result<Vec<(Bumped, String)>, Error> {
    let mut bumped = Vec::new();
    for needed in needing {
        let Some(package) = project.package_mut(&needed.layer) else { continue };
        let next = bump.next(&needed.version);
        let text = source.read(&needed.path)?.unwrap_or_default();
        let text = releases::set_version(&text, &next).ok_or_else(|| {
            Error::Usage(format!("{}: no top-level `version:` line for --bump to raise; edit it by hand", needed.path))
        })?;
        package.manifest.version = next.clone();
        bumped.push((Bumped { manifest: needed.path.clone(), from: needed.version.clone(), to: next }, text));
    }
    Ok(bumped)
}

/// A hand-written migration that changes the schema without the declared schema saying so would
/// be undone by the migration generated after it: refused, saying which files to update.
/// Told apart from a declarative change that merely waits (numbered after the draft) by what
/// `commit` would write without the drafts: the steps only their presence adds undo them.
fn refuse_undoing_drafts(
    project: &Project,
    all: &BTreeMap<LayerId, Vec<Migration>>,
    new: &[Migration],
    drafts: &BTreeSet<String>,
) -> Result<(), Error> {
    if drafts.is_empty() {
        return Ok(());
    }
    let mut without = all.clone();
    for migrations in without.values_mut() {
        migrations.retain(|m| !drafts.contains(&m.up_path));
    }
    let plain = generate(project, without, None)?;
    let steps = |m: &Migration| -> BTreeSet<String> {
        m.up.lines().filter(|l| l.starts_with("-- ") && !l.starts_with("-- strata:")).map(str::to_string).collect()
    };
    let undoing: Vec<String> = new
        .iter()
        .filter(|m| {
            let before = plain.iter().find(|p| p.key.layer == m.key.layer).map(steps).unwrap_or_default();
            !steps(m).is_subset(&before)
        })
        .map(crate::check::differs)
        .collect();
    match undoing.is_empty() {
        true => Ok(()),
        false => Err(Error::Policy(format!("{}; nothing was written or committed", undoing.join("\n")))),
    }
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
        // One line per refused migration, each naming its file and the `--allow` spelling.
        false => Err(Error::Policy(format!("{}; nothing was written or committed", refused.join("\n")))),
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
        if let Some(package) = released.package_mut(layer) {
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

/// The user's message, or one listing the new migrations; either way followed by the versions
/// `--bump` raised, so the history says why a manifest changed.
fn commit_message(message: Option<&str>, new: &[Migration], bumped: &[Bumped]) -> String {
    let mut text = match (message, new.len()) {
        (Some(message), _) => message.to_string(),
        (None, 0) => "strata: update schema sources".to_string(),
        (None, n) => {
            let ids: Vec<String> = new.iter().map(|m| format!("- {}", m.id())).collect();
            format!("strata: {n} migration{}\n\n{}", if n == 1 { "" } else { "s" }, ids.join("\n"))
        }
    };
    if !bumped.is_empty() {
        let lines: Vec<String> = bumped.iter().map(|b| format!("- {}: {} -> {}", b.manifest, b.from, b.to)).collect();
        text.push_str(&format!("\n\nVersions raised by --bump:\n{}", lines.join("\n")));
    }
    text
}
