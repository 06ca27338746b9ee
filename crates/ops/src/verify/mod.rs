//! `strata verify`, the pull-request gate: every check `check` and `plan` know, the committed
//! history against the merge base, layer isolation, the lint policy, and replay of the migrations
//! on a scratch database. Each check reports by name; a check whose input failed an earlier
//! check is skipped, saying which.

pub mod history;
pub mod isolation;
pub mod replay;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::Error;
use strata_core::Dialect;
use strata_migrations::generate::generate;
use strata_migrations::lint::lint;
use strata_migrations::{load_layer_with_drafts, Migration};
use strata_project::project::{LayerId, Project};
use strata_project::source::WorkTree;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub name: CheckName,
    pub description: &'static str,
    pub status: Status,
    pub summary: String,
    pub details: Vec<String>,
}

/// The checks, in the order they run and are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckName {
    Manifests,
    Cycles,
    Resolution,
    Sums,
    Releases,
    History,
    Uncommitted,
    Isolation,
    Replay,
    Down,
    Lint,
}

impl CheckName {
    pub const ALL: [CheckName; 11] = [
        CheckName::Manifests,
        CheckName::Cycles,
        CheckName::Resolution,
        CheckName::Sums,
        CheckName::Releases,
        CheckName::History,
        CheckName::Uncommitted,
        CheckName::Isolation,
        CheckName::Replay,
        CheckName::Down,
        CheckName::Lint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Manifests => "manifests",
            CheckName::Cycles => "cycles",
            CheckName::Resolution => "resolution",
            CheckName::Sums => "sums",
            CheckName::Releases => "releases",
            CheckName::History => "history",
            CheckName::Uncommitted => "uncommitted",
            CheckName::Isolation => "isolation",
            CheckName::Replay => "replay",
            CheckName::Down => "down",
            CheckName::Lint => "lint",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            CheckName::Manifests => "manifests and names are valid",
            CheckName::Cycles => "no requires cycle among templates and modules",
            CheckName::Resolution => "every tenant resolves to a valid module set",
            CheckName::Sums => "every strata.sum matches its migrations",
            CheckName::Releases => "recorded releases match their migrations and ranges",
            CheckName::History => "no merged migration was edited, removed or renumbered",
            CheckName::Uncommitted => "every declarative change has its migration",
            CheckName::Isolation => "each layer uses only objects of layers it requires",
            CheckName::Replay => "migrations reproduce the declared schema on a scratch database",
            CheckName::Down => "every down migration restores the schema before its up",
            CheckName::Lint => "new migrations pass the lint policy",
        }
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Branch, tag or commit the work is compared with; default the upstream, else main.
    pub base: Option<String>,
    /// A server strata may create and drop scratch schemas or databases on (PostgreSQL, MySQL).
    pub dev_url: Option<String>,
    /// Checks the user chose not to run (`--skip`): reported as skipped, never as passed.
    pub skip: Vec<CheckName>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub format_version: u32,
    pub passed: bool,
    pub checks: Vec<CheckResult>,
    /// What the reader should know that is no check's verdict (statements ignored).
    pub notes: Vec<String>,
}

impl Report {
    fn record(&mut self, name: CheckName, status: Status, summary: impl Into<String>, details: Vec<String>) {
        let description = name.description();
        self.checks.push(CheckResult { name, description, status, summary: summary.into(), details });
    }

    /// Pass when `details` is empty, else fail with them.
    fn verdict(&mut self, name: CheckName, ok: impl Into<String>, failed: impl Into<String>, details: Vec<String>) {
        if details.is_empty() {
            self.record(name, Status::Pass, ok, details);
        } else {
            self.record(name, Status::Fail, failed, details);
        }
    }

    fn skip_rest(&mut self, why: &str) {
        for name in CheckName::ALL {
            if !self.checks.iter().any(|c| c.name == name) {
                self.record(name, Status::Skip, why, Vec::new());
            }
        }
    }

    fn finish(mut self, skip: &[CheckName]) -> Self {
        self.skip_rest("not run");
        for check in self.checks.iter_mut().filter(|c| skip.contains(&c.name)) {
            check.status = Status::Skip;
            check.summary = "skipped with --skip".to_string();
            check.details.clear();
        }
        self.checks.sort_by_key(|c| c.name);
        self.passed = self.checks.iter().all(|c| c.status != Status::Fail);
        self
    }
}

/// `2 templates, 3 modules, 5 tenants, 1 environment`
fn counts(project: &Project) -> String {
    format!(
        "{}, {}, {}, {}",
        strata_core::count(project.templates.len(), "template"),
        strata_core::count(project.modules.len(), "module"),
        strata_core::count(project.tenants.len(), "tenant"),
        strata_core::count(project.environments.len(), "environment")
    )
}

/// Runs every check on the work tree of `repo_dir`.
pub async fn verify(repo_dir: &Path, options: &Options) -> Result<Report, Error> {
    let mut report = Report { format_version: 1, passed: false, checks: Vec::new(), notes: Vec::new() };
    let source = WorkTree::new(repo_dir);
    let project = match Project::load(&source) {
        Ok(project) => project,
        Err(e) => {
            report.record(CheckName::Manifests, Status::Fail, "the repository does not load", vec![e.to_string()]);
            report.skip_rest("needs valid manifests");
            return Ok(report.finish(&options.skip));
        }
    };
    report.record(CheckName::Manifests, Status::Pass, counts(&project), Vec::new());
    if project.config.lint.session_statements == strata_project::project::LintLevel::Warn {
        report.notes.extend(strata_project::compose::ignored_summary(
            &strata_project::compose::ignored_session_statements(&project),
        ));
    }
    let cycles = crate::check::cycles(&project);
    let acyclic = cycles.is_empty();
    report.verdict(CheckName::Cycles, "none", "a requires cycle", cycles);
    let unresolved = crate::check::unresolved(&project);
    let resolvable = unresolved.is_empty();
    let failing = unresolved.len();
    report.verdict(
        CheckName::Resolution,
        format!("{} resolve", strata_core::count(project.tenants.len(), "tenant")),
        format!("{failing} of {} do not resolve", strata_core::count(project.tenants.len(), "tenant")),
        unresolved,
    );

    let (all, sum_problems) = load_every_layer(&project, &source, &crate::work_tree::drafts(repo_dir));
    let sums_ok = sum_problems.is_empty();
    let folders = all.values().filter(|m| !m.is_empty()).count();
    report.verdict(
        CheckName::Sums,
        format!("{} checked", strata_core::count(folders, "migration folder")),
        "mismatch",
        sum_problems,
    );
    if sums_ok {
        let mut problems: Vec<String> =
            strata_migrations::releases::inconsistencies(&project, &all).iter().map(ToString::to_string).collect();
        // Declarative changes not yet committed are the `uncommitted` check's to explain.
        problems.extend(crate::check::needing_versions(&project, &all, &[]).iter().map(ToString::to_string));
        report.verdict(CheckName::Releases, "consistent", "inconsistent", problems);
    }

    let base = history::compare(repo_dir, &project, options.base.as_deref());
    match &base {
        Ok(base) => {
            let summary = format!("against {}", base.base);
            report.verdict(CheckName::History, summary.clone(), summary, base.problems.clone());
        }
        // A base the user named and that does not resolve is a broken gate, not a skipped check.
        Err(why) if options.base.is_some() => {
            report.record(CheckName::History, Status::Fail, "--base does not resolve", vec![why.clone()])
        }
        Err(why) => report.record(CheckName::History, Status::Skip, why.clone(), Vec::new()),
    }

    if !(acyclic && resolvable && sums_ok) {
        report.skip_rest("needs the checks above to pass");
        return Ok(report.finish(&options.skip));
    }
    let committed = uncommitted_check(&mut report, &project, &all);
    report.verdict(
        CheckName::Isolation,
        "every layer keeps to what it requires",
        "a layer reaches beyond what it requires",
        isolation::check(&project),
    );
    if committed {
        replay_checks(&mut report, &project, &all, options).await?;
    } else {
        // Replaying would only repeat the uncommitted difference, composition by composition.
        for name in [CheckName::Replay, CheckName::Down] {
            report.record(name, Status::Skip, "commit the declarative changes first", Vec::new());
        }
    }
    lint_check(&mut report, &project, &all, base.as_ref().ok());
    Ok(report.finish(&options.skip))
}

/// Whether every layer's declared schema is committed as migrations; says which are not.
fn uncommitted_check(report: &mut Report, project: &Project, all: &BTreeMap<LayerId, Vec<Migration>>) -> bool {
    match generate(project, all.clone(), None) {
        Ok(new) => {
            let needing = crate::check::needing_versions(project, all, &new);
            let details: Vec<String> = new
                .iter()
                .map(|m| match needing.iter().find(|n| n.layer == m.key.layer) {
                    Some(needed) => format!("{needed}. {}", crate::check::differs(m)),
                    None => crate::check::differs(m),
                })
                .collect();
            report.verdict(
                CheckName::Uncommitted,
                "none",
                format!("{} without migrations", strata_core::count(details.len(), "layer")),
                details,
            );
            new.is_empty()
        }
        Err(e) => {
            report.record(
                CheckName::Uncommitted,
                Status::Fail,
                "the declared schema does not compile",
                vec![e.to_string()],
            );
            false
        }
    }
}

/// Every layer's migrations, each folder checked against its sum; the problems of those that fail.
fn load_every_layer(
    project: &Project,
    source: &WorkTree,
    drafts: &std::collections::BTreeSet<String>,
) -> (BTreeMap<LayerId, Vec<Migration>>, Vec<String>) {
    let mut all = BTreeMap::new();
    let mut problems = Vec::new();
    for layer in project.all_layers() {
        match load_layer_with_drafts(source, &layer, drafts) {
            Ok(migrations) => {
                all.insert(layer, migrations);
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    (all, problems)
}

async fn replay_checks(
    report: &mut Report,
    project: &Project,
    all: &BTreeMap<LayerId, Vec<Migration>>,
    options: &Options,
) -> Result<(), Error> {
    let dialect = project.config.dialect;
    let skipped = [CheckName::Replay, CheckName::Down].iter().all(|c| options.skip.contains(c));
    if dialect != Dialect::Sqlite && options.dev_url.is_none() {
        // A gate that did not replay has not checked the migrations: that fails, unless the user
        // says so (`--skip replay,down`) and the verdict counts it.
        let (status, why) = match skipped {
            true => (Status::Skip, "skipped with --skip".to_string()),
            false => (
                Status::Fail,
                format!("{dialect} needs --dev-url or STRATA_DEV_URL (a server strata may create and drop scratch schemas on), or --skip replay,down"),
            ),
        };
        report.record(CheckName::Replay, status, why, Vec::new());
        report.record(CheckName::Down, Status::Skip, "needs replay", Vec::new());
        return Ok(());
    }
    if skipped {
        return Ok(());
    }
    if let Some(problem) = options.dev_url.as_deref().and_then(|url| strata_core::url::check_scheme(dialect, url).err())
    {
        report.record(CheckName::Replay, Status::Fail, format!("--dev-url {problem}"), Vec::new());
        report.record(CheckName::Down, Status::Skip, "needs replay", Vec::new());
        return Ok(());
    }
    let replayed = replay::run(project, all, options.dev_url.as_deref()).await?;
    let engine =
        if dialect == Dialect::Sqlite { "in-memory SQLite".to_string() } else { format!("{dialect} on --dev-url") };
    report.verdict(
        CheckName::Replay,
        format!(
            "{} of {} replayed on {engine}",
            strata_core::count(replayed.groups, "distinct composition"),
            strata_core::count(replayed.tenants, "tenant")
        ),
        format!("{} failed", strata_core::count(replayed.problems.len(), "composition")),
        replayed.problems,
    );
    let summary = format!("{} checked", strata_core::count(replayed.downs_checked, "down migration"));
    if !replayed.down_problems.is_empty() {
        report.record(
            CheckName::Down,
            Status::Fail,
            format!("{} failed", strata_core::count(replayed.down_problems.len(), "down migration")),
            replayed.down_problems,
        );
    } else if !replayed.down_notes.is_empty() {
        report.record(
            CheckName::Down,
            Status::Warn,
            format!("{summary}; {} without a reverse", strata_core::count(replayed.down_notes.len(), "migration")),
            replayed.down_notes,
        );
    } else {
        report.record(CheckName::Down, Status::Pass, summary, Vec::new());
    }
    Ok(())
}

/// The lint policy over migrations that are new since the base (all of them without a base).
fn lint_check(
    report: &mut Report,
    project: &Project,
    all: &BTreeMap<LayerId, Vec<Migration>>,
    base: Option<&history::BaseComparison>,
) {
    let new: Vec<&Migration> =
        all.values().flatten().filter(|m| base.is_none_or(|b| !b.base_files.contains(&m.up_path))).collect();
    let (scope, all_of_them) = if base.is_some() { ("new migration", "") } else { ("migration", " (no base: all)") };
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for migration in &new {
        for finding in lint(project.config.dialect, &project.config.lint, migration) {
            let line = finding.explain(&migration.up_path);
            if finding.is_error() {
                errors.push(line);
            } else if finding.is_warning() {
                warnings.push(line);
            }
        }
    }
    let checked = format!("{}{all_of_them}", strata_core::count(new.len(), scope));
    if !errors.is_empty() {
        errors.extend(warnings);
        report.record(CheckName::Lint, Status::Fail, format!("{checked} checked; policy errors"), errors);
    } else if !warnings.is_empty() {
        report.record(CheckName::Lint, Status::Warn, format!("{checked} checked; warnings"), warnings);
    } else {
        report.record(CheckName::Lint, Status::Pass, format!("{checked} checked"), Vec::new());
    }
}
