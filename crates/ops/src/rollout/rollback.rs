//! `strata rollback`: bring one tenant back to what a commit holds by running the down files of
//! everything applied since, newest first. Every down file is checked before any is run: a missing
//! or irreversible one, or a migration edited since it was applied, stops the rollback untouched.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::snapshot::Snapshot;
use crate::Error;
use strata_db::session::Session;
use strata_db::tenant::TenantDb;
use strata_project::compose::{render, RenderContext};

#[derive(Debug, Clone, serde::Serialize)]
pub struct RollbackReport {
    pub format_version: u32,
    pub tenant: String,
    /// Migration ids reverted, in the order they were reverted.
    pub reverted: Vec<String>,
}

/// `from` is the commit whose down files are used (it must hold every migration to revert);
/// `to` is the commit whose migrations the tenant keeps.
pub async fn rollback(
    repo_dir: &Path,
    env_name: &str,
    tenant_id: &str,
    from: &str,
    to: &str,
) -> Result<RollbackReport, Error> {
    let source = Snapshot::load(repo_dir, from)?;
    let goal = Snapshot::load(repo_dir, to)?;
    let env = source.project.environment(env_name)?;
    let tenant = *source
        .select(env, &[tenant_id.to_string()])?
        .first()
        .ok_or_else(|| Error::Usage(format!("tenant {tenant_id} is not in environment {env_name}")))?;
    let keep: BTreeSet<String> = match goal.project.tenants.get(tenant_id) {
        Some(t) => goal.tenant_order(t)?.iter().map(|m| m.id()).collect(),
        None => BTreeSet::new(),
    };
    let target = source.target(env, tenant)?;
    let mut db = TenantDb::open(&target, false, &Session::new(env.manifest.timeouts, Duration::from_secs(30)))
        .await?
        .ok_or_else(|| Error::Usage(format!("{} does not exist", target.label())))?;
    let history = db.history().await?;
    let dialect = source.project.config.dialect;
    let context = RenderContext::for_tenant(tenant, Some(&env.name));
    let mut plan = Vec::new();
    // Seed data is not taken back: a seed ran once and its rows are the tenant's now.
    for row in history.iter().rev().filter(|r| !keep.contains(&r.id) && !r.id.starts_with(crate::snapshot::SEED_PREFIX))
    {
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
        plan.push((row.id.clone(), render(dialect, &down_path, down, &context)?));
    }
    let mut report = RollbackReport { format_version: 1, tenant: tenant_id.to_string(), reverted: Vec::new() };
    for (id, sql) in plan {
        db.revert(&id, &sql).await?;
        report.reverted.push(id);
    }
    Ok(report)
}
