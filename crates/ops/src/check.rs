//! `strata check`: everything that can be known without a database — the manifests load, no
//! requires cycle, every tenant resolves, every migration folder matches its sum, releases are
//! consistent, and no change lands in a version that is already released. `verify` runs the same checks first, through the same functions.

use std::collections::BTreeMap;
use std::path::Path;

use strata_migrations::generate::generate;
use strata_migrations::releases::{self, inconsistencies, NeedsVersion};
use strata_migrations::Migration;
use strata_project::placement::check_placement;
use strata_project::project::{LayerId, Project};
use strata_project::resolve::solver::Resolver;
use strata_project::resolve::{order_layers, resolve_tenant_with};
use strata_project::source::WorkTree;

use crate::Error;

/// What `check` found in the work tree.
#[derive(Debug)]
pub struct CheckReport {
    pub project: Project,
    /// Every problem, each naming its file.
    pub problems: Vec<String>,
    /// How many tenants have no valid layer set.
    pub unresolved_tenants: usize,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the work tree of `repo_dir`; a repository that cannot be read at all is an error.
pub fn check(repo_dir: &Path) -> Result<CheckReport, Error> {
    let source = WorkTree::new(repo_dir);
    let project = Project::load(&source)?;
    let mut problems = cycles(&project);
    // Migrations are read (and their sums checked) for the release consistency check.
    let migrations = crate::work_tree::migrations(repo_dir, &project)?;
    problems.extend(inconsistencies(&project, &migrations).iter().map(ToString::to_string));
    problems.extend(misplaced_values(&project, &migrations));
    problems.extend(transaction_control(&project, &migrations));
    problems.extend(shared_places(&project));
    let unresolved = unresolved(&project);
    let unresolved_tenants = unresolved.len();
    problems.extend(unresolved);
    // What `commit` would write decides whether a released version needs a bump; when the
    // problems above stop generation, its error would only repeat them.
    let new = match generate(&project, migrations.clone(), None) {
        Ok(new) => new,
        Err(e) if problems.is_empty() => {
            problems.push(e.to_string());
            Vec::new()
        }
        Err(_) => Vec::new(),
    };
    problems.extend(needing_versions(&project, &migrations, &new).iter().map(ToString::to_string));
    // A changed variable whose converging step `apply` would refuse (it drops data).
    let rerendered = crate::rerender::since(&project, repo_dir, "HEAD", None);
    problems.extend(rerendered.into_iter().filter_map(|r| r.refused));
    // One cause is found once per tenant it reaches (a requires cycle, a missing module): said once.
    let mut seen = std::collections::BTreeSet::new();
    problems.retain(|problem| seen.insert(problem.clone()));
    Ok(CheckReport { project, problems, unresolved_tenants })
}

/// Template expressions that are not quoted or stand in a SQL comment, in every SQL file of every
/// layer and migration: found here rather than when some tenant's render reaches the file.
pub fn misplaced_values(project: &Project, migrations: &BTreeMap<LayerId, Vec<Migration>>) -> Vec<String> {
    let mut files: Vec<(String, &str)> = Vec::new();
    for layer in project.all_layers() {
        if let Some(layer_files) = project.layer_files(&layer) {
            let sql = layer_files.schema.iter().chain(&layer_files.seed).chain(&layer_files.sql_patches);
            files.extend(sql.map(|f| (f.path.clone(), f.text.as_str())));
        }
    }
    for migration in migrations.values().flatten() {
        files.push((migration.up_path.clone(), &migration.up));
        files.extend(migration.down.as_deref().map(|text| (migration.down_path(), text)));
    }
    let dialect = project.config.dialect;
    files.iter().filter_map(|(path, text)| check_placement(dialect, path, text).err().map(|e| e.to_string())).collect()
}

/// Layers whose manifest declares a released version although the work tree asks more of it:
/// the `committed` migrations plus the `new` ones `commit` would write go beyond the release, or
/// its requires/conflicts changed. `commit` refuses these (or bumps them with `--bump`).
pub fn needing_versions(
    project: &Project,
    committed: &BTreeMap<LayerId, Vec<Migration>>,
    new: &[Migration],
) -> Vec<NeedsVersion> {
    let mut counts: BTreeMap<LayerId, u32> = committed.iter().map(|(l, m)| (l.clone(), m.len() as u32)).collect();
    for migration in new {
        *counts.entry(migration.key.layer.clone()).or_default() += 1;
    }
    releases::needing_versions(project, &counts)
}

/// `BEGIN`, `COMMIT` or `ROLLBACK` in a seed or a migration that runs in strata's transaction:
/// it would end that transaction early, leaving rows or DDL committed without their history row.
/// A `no-transaction` migration may hold them (its statements run one by one anyway).
pub fn transaction_control(project: &Project, migrations: &BTreeMap<LayerId, Vec<Migration>>) -> Vec<String> {
    let mut files: Vec<(String, &str)> = Vec::new();
    for layer in project.all_layers() {
        if let Some(layer_files) = project.layer_files(&layer) {
            files.extend(layer_files.seed.iter().map(|f| (f.path.clone(), f.text.as_str())));
        }
    }
    for migration in migrations.values().flatten().filter(|m| !m.directives.no_transaction) {
        files.push((migration.up_path.clone(), &migration.up));
        files.extend(migration.down.as_deref().map(|text| (migration.down_path(), text)));
    }
    let dialect = project.config.dialect;
    let mut problems = Vec::new();
    for (path, text) in files {
        // A seed is run only by `apply`, on every tenant: what cannot even be split into
        // statements (an unterminated string or comment) is said here, with its line, instead.
        let statements = match strata_schema::parse::split_statements(dialect, text) {
            Ok(statements) => statements,
            Err(e) => {
                problems.push(format!("{path}:{}: SQL syntax error: {}", e.line, e.message));
                continue;
            }
        };
        for statement in statements.iter().filter(|s| is_transaction_control(s)) {
            let line = text.find(statement.as_str()).map_or(1, |at| text[..at].matches('\n').count() + 1);
            let word = statement.split_whitespace().next().unwrap_or_default().to_uppercase();
            problems.push(format!(
                "{path}:{line}: `{word}` ends strata's transaction early, leaving what ran before it without its history row; remove it (a migration that must commit as it goes says `-- strata:no-transaction`)"
            ));
        }
    }
    problems
}

/// `BEGIN [WORK|TRANSACTION]`, `START TRANSACTION`, `COMMIT`, `ROLLBACK` (not `ROLLBACK TO` a
/// savepoint), `END [WORK|TRANSACTION]` as whole statements.
fn is_transaction_control(statement: &str) -> bool {
    let words: Vec<String> = statement.split_whitespace().map(str::to_uppercase).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        words.as_slice(),
        ["BEGIN"]
            | ["BEGIN", "WORK" | "TRANSACTION"]
            | ["START", "TRANSACTION", ..]
            | ["COMMIT", ..]
            | ["ABORT", ..]
            | ["END", "WORK" | "TRANSACTION"]
    ) || (words.first() == Some(&"ROLLBACK") && !words.contains(&"TO"))
}

/// Environments where two tenants render the same target, or a target leaves its place.
pub fn shared_places(project: &Project) -> Vec<String> {
    project
        .environments
        .values()
        .filter_map(|env| crate::place::places(project, env).err().map(|e| e.to_string()))
        .collect()
}

/// A requires cycle among all templates and modules, found even if no tenant uses them.
pub fn cycles(project: &Project) -> Vec<String> {
    order_layers(project, project.packages().map(|p| p.id.clone())).err().map(|e| e.to_string()).into_iter().collect()
}

/// Why each tenant that does not resolve does not.
pub fn unresolved(project: &Project) -> Vec<String> {
    let resolver = Resolver::of(project);
    project
        .tenants
        .keys()
        .filter_map(|id| resolve_tenant_with(project, &resolver, id).err().map(|e| e.to_string()))
        .collect()
}

/// Why a layer's declared schema and its migrations differ, and the two ways out: the declared
/// schema changed (commit it), or a hand-written migration changed the schema without it.
pub fn differs(pending: &Migration) -> String {
    let layer = &pending.key.layer;
    let steps: Vec<&str> =
        pending.up.lines().filter(|l| l.starts_with("-- ") && !l.starts_with("-- strata:")).map(|l| &l[3..]).collect();
    format!(
        "{layer}: its declared schema ({}/{}/) and its migrations replayed differ; commit would write {} ({}). If you changed the declared schema, run `strata commit`; if a hand-written migration made this change, update the declared schema to match it",
        layer.kind.folder(),
        layer.name,
        pending.up_path,
        steps.join("; ")
    )
}
