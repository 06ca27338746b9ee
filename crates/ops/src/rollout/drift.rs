//! `drift`: each tenant's live schema against what its applied migrations make (DESIGN §5), object
//! by object. The expected schema is the tenant's applied migrations, rendered for it and read into
//! the model in order; pending migrations are not drift, a hand-made index or column is.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use super::check_history;
use crate::snapshot::Snapshot;
use crate::Error;
use strata_db::session::Session;
use strata_db::tenant::TenantDb;
use strata_project::compose::{render, Composition, RenderContext};
use strata_schema::compare::differences;
use strata_schema::interpret::Mode;

#[derive(Debug, Clone, serde::Serialize)]
pub struct TenantDrift {
    pub tenant: String,
    /// False when the tenant's database does not exist yet (nothing to compare).
    pub provisioned: bool,
    /// Migrations of the commit not applied yet: not drift, but said.
    pub pending: usize,
    /// One line per object that differs from the expected schema; empty means no drift.
    pub differences: Vec<String>,
    /// A history that does not match the commit, or a database that could not be read.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DriftReport {
    pub format_version: u32,
    /// The commit compared with, in full.
    pub commit: String,
    pub environment: String,
    pub tenants: Vec<TenantDrift>,
}

impl DriftReport {
    /// Whether any tenant differs or could not be checked.
    pub fn found(&self) -> bool {
        self.tenants.iter().any(|t| !t.differences.is_empty() || t.problem.is_some())
    }
}

pub async fn drift(repo_dir: &Path, env_name: &str, reference: &str, only: &[String]) -> Result<DriftReport, Error> {
    let view = Snapshot::load(repo_dir, reference)?;
    let env = view.project.environment(env_name)?;
    let dialect = view.project.config.dialect;
    let mut tenants = Vec::new();
    for tenant in view.select(env, only)? {
        let order = view.tenant_order(tenant)?;
        let target = view.target(env, tenant)?;
        let mut state = TenantDrift {
            tenant: tenant.id.clone(),
            provisioned: false,
            pending: 0,
            differences: Vec::new(),
            problem: None,
        };
        let result: Result<(), String> = async {
            let Some(mut db) =
                TenantDb::open(&target, false, &Session::new(env.manifest.timeouts, Duration::from_secs(5)))
                    .await
                    .map_err(|e| e.to_string())?
            else {
                state.pending = order.len();
                return Ok(());
            };
            state.provisioned = true;
            let history = db.history().await.map_err(|e| e.to_string())?;
            check_history(&view, tenant, &order, &history)?;
            let applied: BTreeSet<&str> = history.iter().map(|r| r.id.as_str()).collect();
            let context = RenderContext::for_tenant(tenant, Some(&env.name));
            let mut expected = Composition::default();
            for migration in order.iter().filter(|m| applied.contains(m.id().as_str())) {
                let sql = render(dialect, &migration.up_path, &migration.up, &context).map_err(|e| e.to_string())?;
                expected
                    .apply_sql(dialect, Mode::Replay, &migration.key.layer, &migration.up_path, &sql)
                    .map_err(|e| e.to_string())?;
            }
            state.pending = order.iter().filter(|m| !applied.contains(m.id().as_str())).count();
            let live = db.inspect().await.map_err(|e| e.to_string())?;
            state.differences = differences(&live, &expected.schema);
            Ok(())
        }
        .await;
        state.problem = result.err();
        tenants.push(state);
    }
    Ok(DriftReport { format_version: 1, commit: view.commit_sha.clone(), environment: env.name.clone(), tenants })
}
