//! Migrations against the declared schema, on a real engine: for every distinct composition, its
//! migrations run on a scratch database and the result, read back, must equal the composed
//! declarative model. Each down migration is checked once, where it first runs: up, down, and the
//! schema read back must equal the one before the up.
//!
//! Tenants with the same layers, versions and limits share one replay; when the project's SQL uses
//! tenant variables, the values it uses are part of what makes a composition distinct.

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::{composition_label, composition_of};
use strata_core::Dialect;
use strata_db::scratch::Scratch;
use strata_db::DbError;
use strata_migrations::generate::desired;
use strata_migrations::order::dag_order;
use strata_migrations::Migration;
use strata_project::compose::{render, RenderContext};
use strata_project::project::{LayerId, Project, Tenant};
use strata_project::resolve::solver::Resolver;
use strata_project::resolve::{layer_closure, resolve_tenant_with};
use strata_schema::compare::differences;

#[derive(Debug, Default)]
pub struct ReplayReport {
    /// Distinct compositions replayed, and the tenants they stand for.
    pub groups: usize,
    pub tenants: usize,
    pub problems: Vec<String>,
    pub downs_checked: usize,
    pub down_problems: Vec<String>,
    /// Down files that are missing or declared irreversible: reported, not failed.
    pub down_notes: Vec<String>,
}

/// Which parts of a tenant's context the project's SQL reads.
#[derive(Default)]
struct Uses {
    id: bool,
    vars: bool,
    labels: bool,
}

fn templated(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// What of the render context can change the SQL, over every templated file of the project.
fn uses(project: &Project, all: &BTreeMap<LayerId, Vec<Migration>>) -> Uses {
    let mut texts: Vec<&str> = Vec::new();
    for layer in all.keys() {
        if let Some(files) = project.layer_files(layer) {
            texts.extend(files.schema.iter().chain(&files.sql_patches).map(|f| f.text.as_str()));
        }
    }
    texts.extend(all.values().flatten().flat_map(|m| std::iter::once(m.up.as_str()).chain(m.down.as_deref())));
    let templated: Vec<&str> = texts.into_iter().filter(|t| templated(t)).collect();
    Uses {
        id: templated.iter().any(|t| t.contains("tenant.id")),
        vars: templated.iter().any(|t| t.contains("tenant.vars")),
        labels: templated.iter().any(|t| t.contains("tenant.labels")),
    }
}

type GroupKey = (Vec<(LayerId, Option<semver::Version>)>, BTreeMap<LayerId, u32>, String);

/// Replays every distinct composition of the project's resolvable tenants.
pub async fn run(
    project: &Project,
    all: &BTreeMap<LayerId, Vec<Migration>>,
    dev_url: Option<&str>,
) -> Result<ReplayReport, DbError> {
    let uses = uses(project, all);
    let resolver = Resolver::of(project);
    let mut groups: BTreeMap<GroupKey, Vec<&Tenant>> = BTreeMap::new();
    for tenant in project.tenants.values() {
        // An unresolvable tenant is the resolution check's to report.
        let Ok(resolution) = resolve_tenant_with(project, &resolver, &tenant.id) else { continue };
        let composition = composition_of(project, all, &resolution);
        let manifest = &tenant.manifest;
        let values = format!(
            "{:?}",
            (
                uses.id.then_some(&tenant.id),
                uses.vars.then_some(&manifest.vars),
                uses.labels.then_some(&manifest.labels)
            )
        );
        groups.entry((composition, resolution.limits, values)).or_default().push(tenant);
    }
    let mut report = ReplayReport { groups: groups.len(), ..ReplayReport::default() };
    let mut downs_done = BTreeSet::new();
    // A template or module no tenant uses yet is replayed on its own closure, with symbolic
    // variables, so that its migrations are proven before the first tenant takes it.
    let used: BTreeSet<&LayerId> = groups.keys().flat_map(|(c, _, _)| c.iter().map(|(l, _)| l)).collect();
    for package in project.packages() {
        if used.contains(&package.id) {
            continue;
        }
        let Ok(layers) = layer_closure(project, &package.id) else { continue };
        let group = format!("{} (used by no tenant, replayed with its requirements)", package.id);
        let replay = Replay { project, group: &group, context: RenderContext::Symbolic, dev_url };
        replay.run(all, &layers, &BTreeMap::new(), &mut downs_done, &mut report).await?;
        report.groups += 1;
    }
    for ((composition, limits, _), tenants) in &groups {
        report.tenants += tenants.len();
        let ids: Vec<&str> = tenants.iter().map(|t| t.id.as_str()).collect();
        let more = if ids.len() > 5 { format!(" and {} more", ids.len() - 5) } else { String::new() };
        let group =
            format!("{} (tenants {}{more})", composition_label(composition), ids[..ids.len().min(5)].join(", "));
        let layers: Vec<LayerId> = composition.iter().map(|(l, _)| l.clone()).collect();
        let replay = Replay { project, group: &group, context: RenderContext::for_tenant(tenants[0], None), dev_url };
        replay.run(all, &layers, limits, &mut downs_done, &mut report).await?;
    }
    Ok(report)
}

/// One composition's replay.
struct Replay<'a> {
    project: &'a Project,
    group: &'a str,
    context: RenderContext,
    dev_url: Option<&'a str>,
}

impl Replay<'_> {
    fn dialect(&self) -> Dialect {
        self.project.config.dialect
    }

    async fn run(
        &self,
        all: &BTreeMap<LayerId, Vec<Migration>>,
        layers: &[LayerId],
        limits: &BTreeMap<LayerId, u32>,
        downs_done: &mut BTreeSet<String>,
        report: &mut ReplayReport,
    ) -> Result<(), DbError> {
        let expected = match desired(self.project, all, layers, limits, &self.context) {
            Ok(composition) => composition.schema,
            Err(e) => {
                report.problems.push(format!("{}: the declared schema does not compose: {e}", self.group));
                return Ok(());
            }
        };
        let order = match dag_order(layers, all, limits) {
            Ok(order) => order,
            Err(e) => {
                report.problems.push(format!("{}: {e}", self.group));
                return Ok(());
            }
        };
        let mut scratch = Scratch::create(self.dialect(), self.dev_url).await?;
        for (index, migration) in order.iter().enumerate() {
            let check_down = downs_done.insert(migration.id());
            let before = if check_down { Some(scratch.inspect().await?) } else { None };
            if let Err(problem) = self.execute(&mut scratch, migration, &migration.up_path, &migration.up).await {
                report.problems.push(format!("{}: {problem}", self.group));
                return scratch.discard().await;
            }
            let Some(before) = before else { continue };
            if !self.down_restores(&mut scratch, migration, &before, report).await? {
                // The scratch state is no longer what the ups made: start again without the downs.
                scratch.discard().await?;
                scratch = Scratch::create(self.dialect(), self.dev_url).await?;
                for earlier in &order[..=index] {
                    if let Err(problem) = self.execute(&mut scratch, earlier, &earlier.up_path, &earlier.up).await {
                        report.problems.push(format!("{}: {problem}", self.group));
                        return scratch.discard().await;
                    }
                }
            }
        }
        let replayed = scratch.inspect().await?;
        scratch.discard().await?;
        let differs = differences(&replayed, &expected);
        if !differs.is_empty() {
            report.problems.push(format!(
                "{}: the migrations do not reproduce the declared schema:\n    - {}",
                self.group,
                differs.join("\n    - ")
            ));
        }
        Ok(())
    }

    /// Renders and runs one file of `migration` as `apply` would (statement by statement under
    /// `-- strata:no-transaction`); its path and the engine's message on failure.
    async fn execute(
        &self,
        scratch: &mut Scratch,
        migration: &Migration,
        path: &str,
        text: &str,
    ) -> Result<(), String> {
        let dialect = self.dialect();
        let sql = render(dialect, path, text, &self.context).map_err(|e| e.to_string())?;
        let failed = |e: String| format!("{path} fails on a scratch {dialect} database: {e}");
        if !migration.directives.no_transaction {
            return scratch.execute(&sql).await.map_err(failed);
        }
        let statements = strata_schema::parse::split_statements(dialect, &sql)
            .map_err(|e| format!("{path}:{}: {}", e.line, e.message))?;
        for statement in statements {
            scratch.execute(&statement).await.map_err(failed)?;
        }
        Ok(())
    }

    /// Runs the down file, compares with `before`, and runs the up again. `false` when the down
    /// failed or left another schema (reported), so the scratch state must be rebuilt.
    async fn down_restores(
        &self,
        scratch: &mut Scratch,
        migration: &Migration,
        before: &strata_schema::Schema,
        report: &mut ReplayReport,
    ) -> Result<bool, DbError> {
        let path = migration.down_path();
        let Some(down) = &migration.down else {
            report.down_notes.push(format!("{}: no down file ({path})", migration.id()));
            return Ok(true);
        };
        if let Some(why) = migration.irreversible() {
            report.down_notes.push(format!("{path}: irreversible: {why}"));
            return Ok(true);
        }
        report.downs_checked += 1;
        if let Err(problem) = self.execute(scratch, migration, &path, down).await {
            report.down_problems.push(problem);
            return Ok(false);
        }
        let after = scratch.inspect().await?;
        let differs = differences(&after, before);
        if !differs.is_empty() {
            report.down_problems.push(format!(
                "{path} does not restore the schema before {}:\n    - {}",
                migration.id(),
                differs.join("\n    - ")
            ));
            return Ok(false);
        }
        if let Err(problem) = self.execute(scratch, migration, &migration.up_path, &migration.up).await {
            report.down_problems.push(format!("{problem} (after its down ran)"));
            return Ok(false);
        }
        Ok(true)
    }
}
