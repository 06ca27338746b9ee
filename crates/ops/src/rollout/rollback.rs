//! `strata rollback`: bring one tenant back to what a commit holds by running the down files of
//! everything applied since, newest first. Every down file is checked before any is run: a missing
//! or irreversible one, or a migration edited since it was applied, stops the rollback untouched.
//! A dry run shows the down SQL; otherwise the caller confirms the plan before anything runs.
//! A rollback that stopped part-way through a down (MySQL's DDL commits as it goes, so a kill
//! leaves the row `reverting`) is finished by running it again: the live schema says whether that
//! down took effect or not, and anything between is left to `repair`.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::rerender::is_migration;
use crate::snapshot::{Seed, Snapshot, SEED_PREFIX};
use crate::Error;
use strata_db::session::Session;
use strata_db::tenant::TenantDb;
use strata_db::{HistoryRow, HistoryState};
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
    /// What the rollback settled on its own (a down an earlier run left unfinished), said so that
    /// nothing happens silently.
    pub notes: Vec<String>,
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
    /// The down file, for messages.
    #[serde(skip)]
    pub path: String,
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
    refuse_unsettled_ups(&history, (&env.name, tenant_id))?;
    let mut planned = downs(&source, tenant, &env.name, &going)?;
    // A down an earlier rollback left unfinished is settled by the live schema first: it took
    // effect (the row is forgotten and counts as reverted) or none of it did (the row is applied
    // again, and the down runs again if it is planned).
    let unfinished = match history.iter().find(|r| r.state == HistoryState::Reverting && is_migration(&r.id)) {
        Some(row) => Some((row, unfinished_down(&source, tenant, (&env.name, &history), row, &mut db).await?)),
        None => None,
    };
    let mut notes = Vec::new();
    if let Some((row, took_effect)) = unfinished {
        notes.push(match took_effect {
            true => format!(
                "{} was being rolled back when its down stopped, and the live schema matches the state before it: its down had taken effect, recorded as rolled back",
                row.id
            ),
            false => format!(
                "{} was being rolled back when its down stopped before any of it took effect: still applied{}",
                row.id,
                if planned.iter().any(|s| s.id == row.id) { ", its down runs again" } else { "" }
            ),
        });
        if took_effect {
            planned.retain(|s| s.id != row.id);
        }
    }
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
        notes,
    };
    let everything = !going.is_empty() && going.len() == migrations.len();
    if dry_run {
        return Ok(report);
    }
    // What the live schema shows is recorded whether or not the rest is confirmed: it is a fact,
    // as `apply` records it, not a change.
    if let Some((row, took_effect)) = unfinished {
        db.settle(&row.id, (!took_effect).then_some(HistoryState::Applied)).await?;
        if took_effect {
            report.reverted.push(row.id.clone());
        }
    }
    if !report.planned.is_empty()
        && !confirm(&Confirmation {
            tenant: tenant_id,
            planned: &report.planned,
            everything,
            hazards: &report.hazards,
        })?
    {
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

/// A migration an apply left `failed` or `running` may be partly there: its down would undo what
/// perhaps never ran, so the rollback refuses, touching nothing, until it is settled.
fn refuse_unsettled_ups(history: &[HistoryRow], (env, tenant): (&str, &str)) -> Result<(), Error> {
    let unsettled =
        history.iter().find(|r| is_migration(&r.id) && matches!(r.state, HistoryState::Failed | HistoryState::Running));
    match unsettled {
        Some(row) => Err(Error::Usage(format!(
            "{} {} on tenant {tenant}; settle it first (`strata apply --env {env} --tenant {tenant}` does where the live schema shows the outcome, else `strata repair --env {env} --tenant {tenant}`); nothing was rolled back",
            row.id,
            row.state.what_happened()
        ))),
        None => Ok(()),
    }
}

/// Whether the down of `row` (left `reverting` by a rollback that stopped part-way) took effect,
/// by the live schema: `true` when it matches the state without the migration, `false` when it
/// matches the state with it. A schema between the two, or a down holding data statements (whose
/// effect no schema shows), is refused, naming what is left, for `repair`.
async fn unfinished_down(
    source: &Snapshot,
    tenant: &Tenant,
    (env, history): (&str, &[HistoryRow]),
    row: &HistoryRow,
    db: &mut TenantDb,
) -> Result<bool, Error> {
    let dialect = source.project.config.dialect;
    let tenant_id = &tenant.id;
    let repair = format!("strata repair --env {env} --tenant {tenant_id}");
    let step = downs(source, tenant, env, &[row])?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Usage(format!("{} has no down file to finish", row.id)))?;
    let unwitnessed = strata_schema::parse::unwitnessed_statements(dialect, &step.sql)
        .map_err(|e| Error::Usage(format!("{}:{}: {}", step.path, e.line, e.message)))?;
    if !unwitnessed.is_empty() {
        return Err(Error::Usage(format!(
            "{} was being rolled back when its down stopped, and {} holds {} the schema cannot witness: they may or may not have run, so strata will not decide. Look at the tenant's rows, then record it with `{repair} --mark rolled-back` (its down took effect) or `--mark applied` (the migration is still there; the rollback runs its down again)",
            row.id,
            step.path,
            strata_core::count(unwitnessed.len(), "data statement")
        )));
    }
    let order = source.tenant_order(tenant)?;
    let context = RenderContext::for_tenant(tenant, Some(env));
    let standing = super::repair::standing(dialect, (&order, history), &row.id, &context, db).await?;
    match (standing.matches_before, standing.matches_after) {
        (true, _) => Ok(true),
        (false, true) => Ok(false),
        (false, false) => {
            let mut left = standing.missing_for_before;
            left.extend(standing.invalid_indexes.iter().map(|i| format!("index {i} is INVALID")));
            Err(Error::Usage(format!(
                "{} was being rolled back when its down stopped, and the live schema matches neither the state before it nor after it (left for its down to undo: {}); finish it by hand, then record it with `{repair} --mark rolled-back`, or put it back and record `--mark applied`",
                row.id,
                left.join("; ")
            )))
        }
    }
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
        planned.push(RollbackStep { id: row.id.clone(), path: down_path, sql, statements });
    }
    Ok(planned)
}
