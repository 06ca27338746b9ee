//! Where each tenant of an environment stands against a commit.

use std::path::Path;
use std::time::Duration;

use super::check_history;
use crate::snapshot::{short, Snapshot};
use crate::Error;
use strata_db::session::Session;
use strata_db::tenant::TenantDb;
use strata_db::HistoryState;
use strata_migrations::Migration;
use strata_project::compose::{render, RenderContext};

#[derive(Debug, Clone, serde::Serialize)]
pub struct TenantState {
    pub tenant: String,
    /// False when the tenant's database does not exist yet.
    pub provisioned: bool,
    /// Migrations the tenant has: run by strata, or baselined by `adopt`.
    pub applied: usize,
    /// Of those, the ones `adopt` recorded without running (the schema had them already).
    pub baselined: usize,
    pub pending: usize,
    pub failed: usize,
    pub last_commit: Option<String>,
    pub last_applied_at: Option<String>,
    /// A history that does not match the commit (tampering, unknown migrations).
    pub problem: Option<String>,
    /// Why the tenant failed last: a `failed` row of its history (MySQL), else the last rollout
    /// recorded here (a failure on PostgreSQL and SQLite rolls back and leaves no row).
    pub last_failure: Option<String>,
    /// Seeds whose file changed since they ran on the tenant, and what `apply` does about it.
    pub changed_seeds: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusReport {
    pub format_version: u32,
    pub commit: String,
    pub environment: String,
    pub tenants: Vec<TenantState>,
}

pub async fn status(
    repo_dir: &Path,
    (env_name, reference): (&str, &str),
    only: &[String],
    state_dir: Option<&Path>,
) -> Result<StatusReport, Error> {
    let view = Snapshot::load(repo_dir, reference)?;
    let env = view.project.environment(env_name)?;
    let mut tenants = Vec::new();
    // One query per tenant over a kept connection where the server is shared (as `apply` looks).
    let session = Session::new(env.manifest.timeouts, Duration::from_secs(5));
    let peeker = strata_db::peek::Peeker::new(session);
    let rollouts = super::LastRun::of_environment(&super::state_dir(&view.root, state_dir), &env.name);
    for tenant in view.select(env, only)? {
        let (order, seeds) = view.tenant_work(tenant)?;
        let target = view.target(env, tenant)?;
        // A tenant whose history cannot be read (a server down, a damaged row) is that tenant's
        // problem, said in its row; the others are still reported.
        let history = match read_history(&peeker, &target, &session).await {
            Ok(history) => history,
            Err(e) => {
                tenants.push(TenantState::unreadable(&tenant.id, e.to_string()));
                continue;
            }
        };
        let rows = history.as_deref().unwrap_or_default();
        let migrations = rows.iter().filter(|r| crate::rerender::is_migration(&r.id));
        let applied = migrations.clone().filter(|r| r.state.is_done()).count();
        let baselined = migrations.filter(|r| r.state == HistoryState::Baselined).count();
        let known = rows.iter().filter(|r| order.iter().any(|m| m.id() == r.id)).count();
        tenants.push(TenantState {
            tenant: tenant.id.clone(),
            provisioned: history.is_some(),
            applied,
            baselined,
            pending: order.len().saturating_sub(known),
            failed: rows.iter().filter(|r| r.state.is_unsettled()).count(),
            last_commit: rows.last().map(|r| r.commit_sha.clone()),
            last_applied_at: rows.last().map(|r| r.applied_at.clone()),
            problem: check_history(&view, tenant, &order, rows).err(),
            last_failure: last_failure(rows, &rollouts, &tenant.id, &|id| {
                statement_count(
                    view.project.config.dialect,
                    &order,
                    id,
                    &RenderContext::for_tenant(tenant, Some(&env.name)),
                )
            }),
            changed_seeds: seeds.iter().filter_map(|seed| crate::seeds::changed_note(seed, rows)).collect(),
        });
    }
    peeker.close().await;
    Ok(StatusReport { format_version: 1, commit: view.commit_sha.clone(), environment: env.name.clone(), tenants })
}

/// A tenant's history, `None` when its database does not exist.
async fn read_history(
    peeker: &strata_db::peek::Peeker,
    target: &strata_db::tenant::Target,
    session: &Session,
) -> Result<Option<Vec<strata_db::HistoryRow>>, strata_db::DbError> {
    if let Some(rows) = peeker.history(target).await? {
        return Ok(Some(rows));
    }
    match TenantDb::open(target, false, session).await? {
        Some(mut db) => Ok(Some(db.history().await?)),
        None => Ok(None),
    }
}

impl TenantState {
    /// A tenant whose history could not be read, and why.
    fn unreadable(tenant: &str, why: String) -> Self {
        TenantState {
            tenant: tenant.to_string(),
            provisioned: true,
            applied: 0,
            baselined: 0,
            pending: 0,
            failed: 0,
            last_commit: None,
            last_applied_at: None,
            problem: Some(format!("its history cannot be read: {why}")),
            last_failure: None,
            changed_seeds: Vec::new(),
        }
    }
}

/// How many statements a migration of `order` has, rendered for a tenant, when it renders.
fn statement_count(
    dialect: strata_core::Dialect,
    order: &[&Migration],
    id: &str,
    context: &RenderContext,
) -> Option<usize> {
    let migration = order.iter().find(|m| m.id() == id)?;
    let sql = render(dialect, &migration.up_path, &migration.up, context).ok()?;
    strata_schema::parse::split_statements(dialect, &sql).ok().map(|s| s.len())
}

/// The failed row of a tenant's history, else its error in the last rollout recorded here;
/// `statements` counts a migration's statements, for a row that recorded its progress.
fn last_failure(
    rows: &[strata_db::HistoryRow],
    rollouts: &[super::LastRun],
    tenant: &str,
    statements: &dyn Fn(&str) -> Option<usize>,
) -> Option<String> {
    let unsettled = rows.iter().rev().find(|r| r.state.is_unsettled());
    if let Some((row, done)) = unsettled.and_then(|r| r.statements_done.map(|done| (r, done))) {
        let of = statements(&row.id).map(|total| format!(" of {total}")).unwrap_or_default();
        return Some(format!(
            "{} {} after {done}{of} statements at {} (commit {}); the next apply resumes it",
            row.id,
            row.state.what_happened(),
            row.applied_at,
            short(&row.commit_sha)
        ));
    }
    if let Some(row) = unsettled {
        let (what, settles) = match row.state {
            HistoryState::Running => ("was cut off", "the next apply settles it"),
            HistoryState::Reverting => (
                "was being rolled back when its down stopped",
                "running the rollback again finishes it (the next apply settles it too)",
            ),
            _ => ("failed", "the next apply settles it"),
        };
        return Some(format!(
            "{} {what} at {} (commit {}); {settles} when the live schema shows the outcome, else `strata repair`",
            row.id,
            row.applied_at,
            short(&row.commit_sha)
        ));
    }
    rollouts.iter().find_map(|run| {
        let error = match run.errors.get(tenant) {
            Some(error) => error.clone(),
            None if run.failed.iter().any(|t| t == tenant) => "(its message was not recorded)".to_string(),
            None => return None,
        };
        Some(format!("the last rollout (commit {}) failed: {error}", short(&run.commit)))
    })
}
