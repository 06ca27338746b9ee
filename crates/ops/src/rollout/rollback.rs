//! `strata rollback`: bring one tenant back to what a commit holds by running the down files of
//! everything applied since, newest first. Every down file is checked before any is run: a missing
//! or irreversible one, or a migration edited since it was applied, stops the rollback untouched.
//! A dry run shows the down SQL; otherwise the caller confirms the plan before anything runs.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::rerender::is_migration;
use crate::snapshot::{Snapshot, SEED_PREFIX};
use crate::Error;
use strata_db::session::Session;
use strata_db::tenant::TenantDb;
use strata_db::HistoryRow;
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
    /// Seeds forgotten because their layer was rolled back past its first migration: the next
    /// apply runs them again.
    pub reseeded: Vec<String>,
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
    let mut report = RollbackReport {
        format_version: 1,
        tenant: tenant_id.to_string(),
        dry_run,
        planned,
        reverted: Vec::new(),
        reseeded: Vec::new(),
    };
    let everything = !going.is_empty() && going.len() == migrations.len();
    if dry_run || report.planned.is_empty() {
        return Ok(report);
    }
    if !confirm(&Confirmation { tenant: tenant_id, planned: &report.planned, everything })? {
        return Err(Error::Usage(format!("rollback of tenant {tenant_id} not confirmed; nothing was run")));
    }
    for step in &report.planned {
        db.revert(&step.id, &step.sql, step.statements.as_deref()).await?;
        report.reverted.push(step.id.clone());
    }
    for seed in seeds_of_emptied_layers(&history, &report.reverted) {
        db.settle(&seed, None).await?;
        report.reseeded.push(seed);
    }
    Ok(report)
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
