//! Where each tenant of an environment stands against a commit.

use std::path::Path;
use std::time::Duration;

use super::check_history;
use crate::snapshot::{short, Snapshot};
use crate::Error;
use strata_db::session::Session;
use strata_db::tenant::TenantDb;
use strata_db::HistoryState;

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

pub async fn status(repo_dir: &Path, env_name: &str, reference: &str, only: &[String]) -> Result<StatusReport, Error> {
    let view = Snapshot::load(repo_dir, reference)?;
    let env = view.project.environment(env_name)?;
    let mut tenants = Vec::new();
    // One query per tenant over a kept connection where the server is shared (as `apply` looks).
    let session = Session::new(env.manifest.timeouts, Duration::from_secs(5));
    let peeker = strata_db::peek::Peeker::new(session);
    let rollouts = super::LastRun::of_environment(&view.root, &env.name);
    for tenant in view.select(env, only)? {
        let (order, seeds) = view.tenant_work(tenant)?;
        let target = view.target(env, tenant)?;
        let history = match peeker.history(&target).await? {
            Some(rows) => Some(rows),
            None => match TenantDb::open(&target, false, &session).await? {
                Some(mut db) => Some(db.history().await?),
                None => None,
            },
        };
        let rows = history.as_deref().unwrap_or_default();
        let migrations = rows.iter().filter(|r| !r.id.starts_with(crate::snapshot::SEED_PREFIX));
        let applied = migrations.clone().filter(|r| r.state.is_done()).count();
        let baselined = migrations.filter(|r| r.state == HistoryState::Baselined).count();
        let known = rows.iter().filter(|r| order.iter().any(|m| m.id() == r.id)).count();
        tenants.push(TenantState {
            tenant: tenant.id.clone(),
            provisioned: history.is_some(),
            applied,
            baselined,
            pending: order.len().saturating_sub(known),
            failed: rows.iter().filter(|r| r.state == HistoryState::Failed).count(),
            last_commit: rows.last().map(|r| r.commit_sha.clone()),
            last_applied_at: rows.last().map(|r| r.applied_at.clone()),
            problem: check_history(&view, tenant, &order, rows).err(),
            last_failure: last_failure(rows, &rollouts, &tenant.id),
            changed_seeds: seeds.iter().filter_map(|seed| crate::seeds::changed_note(seed, rows)).collect(),
        });
    }
    peeker.close().await;
    Ok(StatusReport { format_version: 1, commit: view.commit_sha.clone(), environment: env.name.clone(), tenants })
}

/// The failed row of a tenant's history, else its error in the last rollout recorded here.
fn last_failure(rows: &[strata_db::HistoryRow], rollouts: &[super::LastRun], tenant: &str) -> Option<String> {
    if let Some(row) = rows.iter().rev().find(|r| r.state == HistoryState::Failed) {
        return Some(format!(
            "{} failed at {} (commit {}); run `strata repair`",
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
