//! `strata rollback`: bring one tenant back to what a commit holds by running the down files of
//! everything applied since, newest first. Every down file is checked before any is run: a missing
//! or irreversible one, or a migration edited since it was applied, stops the rollback untouched.
//! A dry run shows the down SQL; otherwise the caller confirms the plan before anything runs.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::rerender::is_migration;
use crate::snapshot::{Seed, Snapshot, SEED_PREFIX};
use crate::Error;
use strata_db::session::Session;
use strata_db::tenant::TenantDb;
use strata_db::HistoryRow;
use strata_migrations::generate::replay;
use strata_project::compose::{render, RenderContext};
use strata_project::project::Tenant;

#[derive(Debug, Clone, serde::Serialize)]
pub struct RollbackReport {
    pub format_version: u32,
    pub tenant: String,
    /// Nothing was run: `planned` is what would be.
    pub dry_run: bool,
    /// The down migrations to run, newest first, rendered for the tenant.
    pub planned: Vec<RollbackStep>,
    /// Migration ids reverted, in the order they were reverted.
    pub reverted: Vec<String>,
    /// Seeds forgotten because the rollback dropped a table they fill (or, for a seed whose
    /// tables cannot be read off its SQL, because their layer has no migration left): the next
    /// apply runs them again.
    pub reseeded: Vec<String>,
    /// The data the plan drops, counted on the tenant before anything runs.
    pub hazards: Vec<Hazard>,
}

/// A table or column the rollback drops, with what is in it now.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hazard {
    /// `table events` or `column members.email`.
    pub drops: String,
    /// Rows of a table, non-null values of a column; `None` where they could not be counted.
    pub count: Option<i64>,
}

impl Hazard {
    /// Whether data goes with it: rows or values counted, or a count that could not be made.
    pub fn loses_data(&self) -> bool {
        self.count != Some(0)
    }
}

/// `table badges (2 rows)`, `column members.nickname (3 non-null values)`.
impl std::fmt::Display for Hazard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = if self.drops.starts_with("table") { "row" } else { "non-null value" };
        match self.count {
            Some(n) => write!(f, "{} ({})", self.drops, strata_core::count(n.max(0) as usize, unit)),
            None => write!(f, "{} (its {unit}s could not be counted)", self.drops),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RollbackStep {
    pub id: String,
    pub sql: String,
    /// `-- strata:no-transaction` migrations: the down's statements, run one at a time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statements: Option<Vec<String>>,
}

/// How far back: to what a commit holds, or by a number of migrations.
#[derive(Debug, Clone)]
pub enum Goal {
    /// The tenant keeps exactly the migrations this commit holds for it.
    Commit(String),
    /// The newest N migrations of the tenant's history go.
    Steps(usize),
}

/// What the caller is asked before anything runs: the plan, and whether it takes the tenant back
/// to before its first migration (every table of its layers dropped).
pub struct Confirmation<'a> {
    pub tenant: &'a str,
    pub planned: &'a [RollbackStep],
    pub everything: bool,
    /// The tables and columns the plan drops; one that [loses data](Hazard::loses_data) makes
    /// the plan destructive.
    pub hazards: &'a [Hazard],
}

/// `from` is the commit whose down files are used (it must hold every migration to revert).
/// Every down file is checked first; then `confirm` sees the plan (not in a dry run) and nothing
/// runs unless it says yes.
pub async fn rollback(
    repo_dir: &Path,
    (env_name, tenant_id): (&str, &str),
    from: &str,
    goal: &Goal,
    dry_run: bool,
    confirm: &mut dyn FnMut(&Confirmation) -> Result<bool, Error>,
) -> Result<RollbackReport, Error> {
    let source = Snapshot::load(repo_dir, from)?;
    let env = source.project.environment(env_name)?;
    let tenant = *source
        .select(env, &[tenant_id.to_string()])?
        .first()
        .ok_or_else(|| Error::Usage(format!("tenant {tenant_id} is not in environment {env_name}")))?;
    let target = source.target(env, tenant)?;
    let mut db = TenantDb::open(&target, false, &Session::new(env.manifest.timeouts, Duration::from_secs(30)))
        .await?
        .ok_or_else(|| Error::Usage(format!("{} does not exist", target.label())))?;
    let history = db.history().await?;
    // Seed rows are the tenant's data: rollback runs no seed backwards. But a layer rolled back
    // past its first migration has no tables left for them, so its seeds are forgotten (below)
    // and the next apply seeds it again. A converging step (`vars:`) is not run backwards either:
    // the downs render with today's values, which it made true.
    let migrations: Vec<&HistoryRow> = history.iter().filter(|r| is_migration(&r.id)).collect();
    let going: Vec<&HistoryRow> = match goal {
        Goal::Commit(to) => {
            let kept = Snapshot::load(repo_dir, to)?;
            let keep: BTreeSet<String> = match kept.project.tenants.get(tenant_id) {
                Some(t) => kept.tenant_order(t)?.iter().map(|m| m.id()).collect(),
                None => BTreeSet::new(),
            };
            migrations.iter().rev().filter(|r| !keep.contains(&r.id)).copied().collect()
        }
        Goal::Steps(steps) => migrations.iter().rev().take(*steps).copied().collect(),
    };
    let planned = downs(&source, tenant, &env.name, &going)?;
    let going_ids: BTreeSet<&str> = going.iter().map(|r| r.id.as_str()).collect();
    let (order, seeds) = source.tenant_work(tenant)?;
    let context = RenderContext::for_tenant(tenant, Some(&env.name));
    let dialect = source.project.config.dialect;
    let dropping = Dropping::between(dialect, (&order, &history), &going_ids, &context)?;
    let mut report = RollbackReport {
        format_version: 1,
        tenant: tenant_id.to_string(),
        dry_run,
        planned,
        reverted: Vec::new(),
        reseeded: Vec::new(),
        hazards: dropping.counted(dialect, &mut db).await,
    };
    let everything = !going.is_empty() && going.len() == migrations.len();
    if dry_run || report.planned.is_empty() {
        return Ok(report);
    }
    let confirmation =
        Confirmation { tenant: tenant_id, planned: &report.planned, everything, hazards: &report.hazards };
    if !confirm(&confirmation)? {
        return Err(Error::Usage(format!("rollback of tenant {tenant_id} not confirmed; nothing was run")));
    }
    for step in &report.planned {
        db.revert(&step.id, &step.sql, step.statements.as_deref()).await?;
        report.reverted.push(step.id.clone());
    }
    for seed in seeds_to_forget(dialect, &history, &report.reverted, (&seeds, &context), &dropping.tables) {
        db.settle(&seed, None).await?;
        report.reseeded.push(seed);
    }
    Ok(report)
}

/// The tables and columns a rollback drops: the schema of the tenant's migrations with and
/// without the ones that go.
struct Dropping {
    tables: BTreeSet<String>,
    columns: Vec<(String, String)>,
}

impl Dropping {
    fn between(
        dialect: strata_core::Dialect,
        (order, history): (&[&strata_migrations::Migration], &[HistoryRow]),
        going: &BTreeSet<&str>,
        context: &RenderContext,
    ) -> Result<Self, Error> {
        let done: BTreeSet<&str> = history.iter().filter(|r| r.state.is_done()).map(|r| r.id.as_str()).collect();
        let before: Vec<_> = order.iter().copied().filter(|m| done.contains(m.id().as_str())).collect();
        let after: Vec<_> = before.iter().copied().filter(|m| !going.contains(m.id().as_str())).collect();
        let before = replay(dialect, &before, context)?.schema;
        let after = replay(dialect, &after, context)?.schema;
        let tables = before.tables.keys().filter(|t| !after.tables.contains_key(*t)).cloned().collect();
        let columns = before
            .tables
            .iter()
            .filter_map(|(name, table)| Some((name, table, after.tables.get(name)?)))
            .flat_map(|(name, table, kept)| {
                table
                    .columns
                    .iter()
                    .filter(|c| !kept.columns.iter().any(|k| k.name == c.name))
                    .map(move |c| (name.clone(), c.name.clone()))
            })
            .collect();
        Ok(Dropping { tables, columns })
    }

    /// Each dropped table's rows and each dropped column's non-null values, counted now.
    async fn counted(&self, dialect: strata_core::Dialect, db: &mut TenantDb) -> Vec<Hazard> {
        let mut hazards = Vec::new();
        for table in &self.tables {
            let count = db.count(&format!("SELECT COUNT(*) FROM {}", dialect.quote_ident(table))).await.ok();
            hazards.push(Hazard { drops: format!("table {table}"), count });
        }
        for (table, column) in &self.columns {
            let sql = format!("SELECT COUNT({}) FROM {}", dialect.quote_ident(column), dialect.quote_ident(table));
            hazards.push(Hazard { drops: format!("column {table}.{column}"), count: db.count(&sql).await.ok() });
        }
        hazards
    }
}

/// The seed rows to forget after `reverted` went: a seed that fills a table the rollback dropped
/// would never fill it again, and one that fills tables still there must not run twice. A seed
/// whose tables cannot be read off its SQL is forgotten when its layer has no migration left.
fn seeds_to_forget(
    dialect: strata_core::Dialect,
    history: &[HistoryRow],
    reverted: &[String],
    (seeds, context): (&[Seed], &RenderContext),
    dropped: &BTreeSet<String>,
) -> Vec<String> {
    let emptied = seeds_of_emptied_layers(history, reverted);
    history
        .iter()
        .filter(|r| r.id.starts_with(SEED_PREFIX))
        .filter(|r| {
            let written = seeds
                .iter()
                .find(|s| s.id == r.id)
                .and_then(|s| render(dialect, &s.path, &s.text, context).ok())
                .map(|sql| strata_schema::parse::written_tables(dialect, &sql))
                .unwrap_or_default();
            match written.is_empty() {
                true => emptied.contains(&r.id),
                false => written.iter().any(|t| dropped.contains(t)),
            }
        })
        .map(|r| r.id.clone())
        .collect()
}

/// The seed rows (`seed:<layer>/...`) of every layer none of whose migrations the tenant has left.
fn seeds_of_emptied_layers(history: &[HistoryRow], reverted: &[String]) -> Vec<String> {
    let layer_of = |id: &str| id.split_once('/').map(|(layer, _)| layer.to_string());
    let left: BTreeSet<String> = history
        .iter()
        .filter(|r| is_migration(&r.id) && !reverted.contains(&r.id))
        .filter_map(|r| layer_of(&r.id))
        .collect();
    let emptied: BTreeSet<String> =
        reverted.iter().filter_map(|id| layer_of(id)).filter(|l| !left.contains(l)).collect();
    history
        .iter()
        .filter_map(|r| Some((r, layer_of(r.id.strip_prefix(SEED_PREFIX)?)?)))
        .filter(|(_, layer)| emptied.contains(layer))
        .map(|(r, _)| r.id.clone())
        .collect()
}

/// The down file of each migration that goes, rendered for the tenant; refused (nothing run) where
/// one is missing or irreversible, or its migration was edited since it was applied.
fn downs(source: &Snapshot, tenant: &Tenant, env: &str, going: &[&HistoryRow]) -> Result<Vec<RollbackStep>, Error> {
    let dialect = source.project.config.dialect;
    let context = RenderContext::for_tenant(tenant, Some(env));
    let tenant_id = &tenant.id;
    let mut planned = Vec::with_capacity(going.len());
    for row in going {
        let migration = source.migrations.values().flatten().find(|m| m.id() == row.id).ok_or_else(|| {
            Error::Usage(format!("{} is applied to tenant {tenant_id} but commit {} does not contain it; roll back from a commit that does (--commit)", row.id, super::short(&source.commit_sha)))
        })?;
        if migration.checksum() != row.checksum {
            return Err(Error::Usage(format!(
                "{} was edited since it was applied to tenant {tenant_id}; its down file cannot be trusted",
                migration.up_path
            )));
        }
        let down_path = migration.down_path();
        let down = migration
            .down
            .as_deref()
            .ok_or_else(|| Error::Usage(format!("{down_path} is missing: {} cannot be rolled back", row.id)))?;
        if let Some(why) = migration.irreversible() {
            return Err(Error::Usage(format!("{down_path}: {} is irreversible ({why})", row.id)));
        }
        let sql = render(dialect, &down_path, down, &context)?;
        let statements = match migration.directives.no_transaction {
            true => Some(
                strata_schema::parse::split_statements(dialect, &sql)
                    .map_err(|e| Error::Usage(format!("{down_path}:{}: {}", e.line, e.message)))?,
            ),
            false => None,
        };
        planned.push(RollbackStep { id: row.id.clone(), sql, statements });
    }
    Ok(planned)
}
