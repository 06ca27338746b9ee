//! `strata repair`: after a migration failed, was cut off, or stopped part-way through its down on
//! an engine whose DDL is not transactional (MySQL), compare the tenant's live schema with the
//! state before and after that migration, and record what the user says happened: applied (the
//! migration is there after all), or rolled back (forgotten, to run again). A mark the live schema
//! contradicts is refused unless forced.

use std::path::Path;
use std::time::Duration;

use crate::snapshot::Snapshot;
use crate::Error;
use strata_db::session::Session;
use strata_db::tenant::TenantDb;
use strata_db::HistoryState;
use strata_dialect::plan::plan;
use strata_migrations::generate::replay;
use strata_project::compose::RenderContext;
use strata_schema::{diff, hash, Schema};

/// Where a tenant's live schema stands against its failed migration.
pub(crate) struct Standing {
    /// Nothing of it took effect: it can run again.
    pub matches_before: bool,
    /// All of it took effect: it can be recorded as applied.
    pub matches_after: bool,
    /// What the live schema lacks or has beyond the state after it, as plan steps.
    pub missing_for_after: Vec<String>,
    /// What the live schema lacks or has beyond the state before it, as plan steps: what is left
    /// for a down that stopped part-way to undo.
    pub missing_for_before: Vec<String>,
    /// Indexes a failed `CREATE INDEX CONCURRENTLY` left INVALID (PostgreSQL).
    pub invalid_indexes: Vec<String>,
}

/// Compares the live schema with the tenant's schema as its history says, without and with the
/// failed migration `failed`: what ran is not a prefix of the order when a later layer's
/// migrations ran before it (apply order).
pub(crate) async fn standing(
    dialect: strata_core::Dialect,
    (order, history): (&[&strata_migrations::Migration], &[strata_db::HistoryRow]),
    failed: &str,
    context: &RenderContext,
    db: &mut TenantDb,
) -> Result<Standing, Error> {
    let done: std::collections::BTreeSet<&str> =
        history.iter().filter(|r| r.state.is_done()).map(|r| r.id.as_str()).collect();
    let before: Vec<_> = order.iter().copied().filter(|m| done.contains(m.id().as_str())).collect();
    let after: Vec<_> = order.iter().copied().filter(|m| done.contains(m.id().as_str()) || m.id() == failed).collect();
    compare(dialect, (&before, &after), context, db).await
}

/// Compares the live schema with the replays of `before` and `after`.
pub(crate) async fn compare(
    dialect: strata_core::Dialect,
    (before, after): (&[&strata_migrations::Migration], &[&strata_migrations::Migration]),
    context: &RenderContext,
    db: &mut TenantDb,
) -> Result<Standing, Error> {
    let before = replay(dialect, before, context)?.schema;
    let after = replay(dialect, after, context)?.schema;
    let live: Schema = db.inspect().await?;
    let invalid_indexes = db.invalid_indexes().await?;
    // An INVALID index is left out of the live schema but is there: never "nothing took effect".
    let matches_before = hash::root(&live) == hash::root(&before) && invalid_indexes.is_empty();
    let matches_after = hash::root(&live) == hash::root(&after);
    let steps_to = |state: &Schema| match plan(dialect, &diff(&live, state)) {
        Ok(steps) => steps.into_iter().map(|s| s.summary).collect(),
        Err(e) => vec![e.to_string()],
    };
    let (missing_for_after, missing_for_before) = (steps_to(&after), steps_to(&before));
    Ok(Standing { matches_before, matches_after, missing_for_after, missing_for_before, invalid_indexes })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Applied,
    RolledBack,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RepairReport {
    pub format_version: u32,
    pub tenant: String,
    /// The failed migration, if there is one.
    pub migration: Option<String>,
    /// Its row's state: `failed`, `running` (cut off) or `reverting` (its down stopped part-way).
    pub state: Option<HistoryState>,
    pub live_matches_before: bool,
    pub live_matches_after: bool,
    /// What the live schema lacks or has beyond the state after the migration, as plan steps.
    pub missing_for_after: Vec<String>,
    /// What the live schema lacks or has beyond the state before it: what a down that stopped
    /// part-way left to undo.
    pub missing_for_before: Vec<String>,
    /// What was recorded, if a mark was given.
    pub recorded: Option<String>,
    /// PostgreSQL indexes left INVALID by a failed `CREATE INDEX CONCURRENTLY`: not in the live
    /// schema the states are compared with, but there, and to be dropped before it runs again.
    pub invalid_indexes: Vec<String>,
}

pub async fn repair(
    repo_dir: &Path,
    env_name: &str,
    reference: &str,
    tenant_id: &str,
    mark: Option<Mark>,
    force: bool,
) -> Result<RepairReport, Error> {
    let view = Snapshot::load(repo_dir, reference)?;
    let env = view.project.environment(env_name)?;
    let tenant = *view
        .select(env, &[tenant_id.to_string()])?
        .first()
        .ok_or_else(|| Error::Usage(format!("tenant {tenant_id} is not in environment {env_name}")))?;
    let order = view.tenant_order(tenant)?;
    let target = view.target(env, tenant)?;
    let mut db = TenantDb::open(&target, false, &Session::new(env.manifest.timeouts, Duration::from_secs(30)))
        .await?
        .ok_or_else(|| Error::Usage(format!("{} does not exist", target.label())))?;
    let history = db.history().await?;
    let mut report = RepairReport {
        format_version: 1,
        tenant: tenant_id.to_string(),
        migration: None,
        state: None,
        live_matches_before: false,
        live_matches_after: false,
        missing_for_after: Vec::new(),
        missing_for_before: Vec::new(),
        recorded: None,
        invalid_indexes: Vec::new(),
    };
    // Only a migration's row is repair's: apply computes a converging step (`vars:`) again, and
    // a seed commits with its row or not at all.
    let unsettled = history.iter().find(|r| r.state.is_unsettled() && crate::rerender::is_migration(&r.id));
    let Some(failed) = unsettled else { return Ok(report) };
    report.migration = Some(failed.id.clone());
    report.state = Some(failed.state);
    order.iter().position(|m| m.id() == failed.id).ok_or_else(|| {
        Error::Usage(format!(
            "{} failed on tenant {tenant_id} but commit {} does not contain it",
            failed.id,
            super::short(&view.commit_sha)
        ))
    })?;
    let context = RenderContext::for_tenant(tenant, Some(&env.name));
    let standing = standing(view.project.config.dialect, (&order, &history), &failed.id, &context, &mut db).await?;
    report.invalid_indexes = standing.invalid_indexes;
    report.live_matches_before = standing.matches_before;
    report.live_matches_after = standing.matches_after;
    report.missing_for_after = standing.missing_for_after;
    report.missing_for_before = standing.missing_for_before;
    if let Some(mark) = mark {
        let (consistent, state, word) = match mark {
            Mark::Applied => (report.live_matches_after, Some(HistoryState::Applied), "applied"),
            Mark::RolledBack => (report.live_matches_before, None, "rolled back"),
        };
        if !consistent && !force {
            return Err(Error::Usage(format!(
                "the live schema of tenant {tenant_id} does not match {} {word}; fix it by hand, or pass --force",
                failed.id
            )));
        }
        db.settle(&failed.id, state).await?;
        report.recorded = Some(format!("{} marked {word}", failed.id));
    }
    Ok(report)
}
