//! `adopt`: take over tenants whose schema exists already (made by hand, by another tool, by a
//! dump) without running anything on them — Flyway's `baseline`, Atlas's `--baseline`.
//!
//! For each selected tenant with no history, its live schema is compared with what its migrations
//! up to the commit make (rendered for it and replayed in the model, as `drift` does). Equal: those
//! migrations and its seeds are recorded as `baselined` at that commit, in one transaction under the
//! tenant's lock, and the next `apply` runs only what comes after. Different: each object that
//! differs is named and nothing is recorded for that tenant. A tenant strata has already migrated
//! is refused: a baseline over applied history would hide what actually ran there.

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::apply::default_concurrency;
use super::replays::{rendered, Replays};
use crate::snapshot::{short, Seed, Snapshot};
use crate::Error;
use strata_db::session::Session;
use strata_db::tenant::TenantDb;
use strata_db::{HistoryRow, HistoryState, MigrationRun};
use strata_migrations::Migration;
use strata_project::compose::{render, RenderContext};
use strata_project::project::{Environment, Tenant};
use strata_schema::compare::differences;

#[derive(Debug, Clone, Default)]
pub struct AdoptOptions {
    pub env: String,
    pub reference: String,
    /// The tenants to adopt; empty means every tenant of the environment.
    pub tenants: Vec<String>,
    /// Compare and report, record nothing.
    pub dry_run: bool,
    pub lock_timeout: Duration,
    /// Tenants compared at once; default from the environment file, else as `apply`.
    pub concurrency: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdoptStatus {
    /// Its schema matched: the baseline is recorded.
    Adopted,
    /// Dry run: its schema matches, the baseline would be recorded.
    WouldAdopt,
    /// Adopted by an earlier run: its whole history is a baseline.
    AlreadyAdopted,
    /// Its schema differs from what the migrations make: nothing recorded.
    Differs,
    /// Not a tenant to adopt (strata has migrated it, or its database does not exist).
    Refused,
    /// It could not be read or written (connection, lock, a migration the model cannot replay).
    Failed,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TenantAdoption {
    pub tenant: String,
    pub status: AdoptStatus,
    /// The migrations and seeds recorded as baselined (or that would be).
    pub baselined: Vec<String>,
    /// Differs: one line per object, live against expected.
    pub differences: Vec<String>,
    /// Why it was refused or failed.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AdoptReport {
    pub format_version: u32,
    pub commit: String,
    pub environment: String,
    pub dry_run: bool,
    pub tenants: Vec<TenantAdoption>,
}

impl AdoptReport {
    /// Tenants with this status.
    pub fn count(&self, status: AdoptStatus) -> usize {
        self.tenants.iter().filter(|t| t.status == status).count()
    }
}

/// Compares and baselines the selected tenants, at most `concurrency` at a time; `on_tenant` sees
/// each result as it comes.
pub async fn adopt(
    repo_dir: &Path,
    options: &AdoptOptions,
    on_tenant: &mut dyn FnMut(&TenantAdoption),
) -> Result<AdoptReport, Error> {
    let view = Snapshot::load(repo_dir, &options.reference)?;
    let env = view.project.environment(&options.env)?;
    let tenants = view.select(env, &options.tenants)?;
    crate::place::places(&view.project, env)?;
    for tenant in &tenants {
        view.tenant_work(tenant)?;
        view.target(env, tenant)?;
    }
    let concurrency =
        options.concurrency.or(env.manifest.rollout.concurrency).unwrap_or_else(default_concurrency).max(1);
    let adopter = Adopter { view: &view, env, options, replays: Replays::default() };
    let mut queue = tenants.iter();
    let mut running = FuturesUnordered::new();
    let mut results = Vec::with_capacity(tenants.len());
    loop {
        while running.len() < concurrency {
            let Some(tenant) = queue.next() else { break };
            running.push(adopter.tenant(tenant));
        }
        let Some(result) = running.next().await else { break };
        on_tenant(&result);
        results.push(result);
    }
    // Reported in the environment's order, whatever order they finished in.
    results.sort_by_key(|r| tenants.iter().position(|t| t.id == r.tenant));
    Ok(AdoptReport {
        format_version: 1,
        commit: view.commit_sha.clone(),
        environment: env.name.clone(),
        dry_run: options.dry_run,
        tenants: results,
    })
}

/// What every tenant's adoption shares.
struct Adopter<'a> {
    view: &'a Snapshot,
    env: &'a Environment,
    options: &'a AdoptOptions,
    replays: Replays,
}

impl TenantAdoption {
    fn new(tenant: &Tenant, status: AdoptStatus, reason: Option<String>) -> Self {
        TenantAdoption { tenant: tenant.id.clone(), status, baselined: Vec::new(), differences: Vec::new(), reason }
    }
}

impl Adopter<'_> {
    async fn tenant(&self, tenant: &Tenant) -> TenantAdoption {
        self.adopt(tenant).await.unwrap_or_else(|e| TenantAdoption::new(tenant, AdoptStatus::Failed, Some(e)))
    }

    async fn adopt(&self, tenant: &Tenant) -> Result<TenantAdoption, String> {
        let (view, env) = (self.view, self.env);
        let (order, seeds) = view.tenant_work(tenant).map_err(|e| e.to_string())?;
        let target = view.target(env, tenant).map_err(|e| e.to_string())?;
        let session = Session::new(env.manifest.timeouts, self.options.lock_timeout);
        let Some(mut db) = TenantDb::open(&target, false, &session).await.map_err(|e| e.to_string())? else {
            let creates = match env.manifest.create_missing {
                true => "`strata apply` creates and migrates it".to_string(),
                false => format!("`strata apply` creates it once {} says create_missing: true", env.path),
            };
            let reason = format!("{} does not exist: there is nothing to adopt ({creates})", target.label());
            return Ok(TenantAdoption::new(tenant, AdoptStatus::Refused, Some(reason)));
        };
        let result = self.compare_and_record(tenant, (&order, &seeds), &mut db).await;
        db.release().await;
        result
    }

    /// Under the tenant's lock: its history, its live schema against the expected one, and the
    /// baseline when they match.
    async fn compare_and_record(
        &self,
        tenant: &Tenant,
        (order, seeds): (&[&Migration], &[Seed]),
        db: &mut TenantDb,
    ) -> Result<TenantAdoption, String> {
        let history = db.history().await.map_err(|e| e.to_string())?;
        if !history.is_empty() {
            return Ok(already(tenant, &history));
        }
        let dialect = self.view.project.config.dialect;
        let context = RenderContext::for_tenant(tenant, Some(&self.env.name));
        let sqls = rendered(dialect, order, &context)?;
        let (replayed, _) = self.replays.get(dialect, order, &sqls).await?;
        let live = db.inspect().await.map_err(|e| e.to_string())?;
        if strata_schema::hash::leaves(&live).is_empty() && !order.is_empty() {
            let reason = "its schema is empty: there is nothing to adopt (`strata apply` migrates it)".to_string();
            return Ok(TenantAdoption::new(tenant, AdoptStatus::Refused, Some(reason)));
        }
        let differ = differences(&live, &replayed.schema);
        if !differ.is_empty() {
            let reason = format!(
                "its schema is not what the migrations up to commit {} make: adopted nothing",
                short(&self.view.commit_sha)
            );
            return Ok(TenantAdoption {
                differences: differ,
                ..TenantAdoption::new(tenant, AdoptStatus::Differs, Some(reason))
            });
        }
        let ids: Vec<String> = order.iter().map(|m| m.id()).collect();
        let baselined: Vec<String> = ids.iter().cloned().chain(seeds.iter().map(|s| s.id.clone())).collect();
        if self.options.dry_run {
            return Ok(TenantAdoption { baselined, ..TenantAdoption::new(tenant, AdoptStatus::WouldAdopt, None) });
        }
        let layers: Vec<String> = order.iter().map(|m| m.key.layer.to_string()).collect();
        let checksums: Vec<String> = order.iter().map(|m| self.view.checksum(m)).collect();
        let empty = strata_schema::hash::root(&Default::default());
        let final_hash = replayed.hashes.last().unwrap_or(&empty);
        let seed_checksums: Vec<String> = seeds.iter().map(|s| strata_migrations::sum::checksum(&s.text)).collect();
        // Seeds are checked for rendering (a seed that cannot render would fail `apply` later)
        // but never run: an adopted tenant has its data.
        for seed in seeds {
            render(dialect, &seed.path, &seed.text, &context).map_err(|e| e.to_string())?;
        }
        let mut runs: Vec<MigrationRun> = Vec::with_capacity(order.len() + seeds.len());
        for (index, migration) in order.iter().enumerate() {
            runs.push(MigrationRun {
                id: &ids[index],
                layer: &layers[index],
                seq: migration.key.seq,
                checksum: &checksums[index],
                sql: sqls.get(index).map(Cow::as_ref).unwrap_or_default(),
                commit_sha: &self.view.commit_sha,
                schema_hash: &replayed.hashes[index],
                statements: None,
                resume: None,
                lock_timeout: None,
                statement_timeout: None,
                seed: false,
            });
        }
        for (seed, checksum) in seeds.iter().zip(&seed_checksums) {
            runs.push(MigrationRun {
                id: &seed.id,
                layer: &seed.layer,
                seq: 0,
                checksum,
                sql: "",
                commit_sha: &self.view.commit_sha,
                schema_hash: final_hash,
                statements: None,
                resume: None,
                lock_timeout: None,
                statement_timeout: None,
                seed: true,
            });
        }
        db.baseline(&runs).await.map_err(|e| e.to_string())?;
        Ok(TenantAdoption { baselined, ..TenantAdoption::new(tenant, AdoptStatus::Adopted, None) })
    }
}

/// A tenant with history: adopted before when it has a baseline (whatever `apply` ran since),
/// else refused by name.
fn already(tenant: &Tenant, history: &[HistoryRow]) -> TenantAdoption {
    if let Some(baseline) = history.iter().find(|row| row.state == HistoryState::Baselined) {
        let since = history.iter().filter(|row| row.state != HistoryState::Baselined).count();
        let since = if since > 0 { format!("; {since} run by strata since") } else { String::new() };
        let reason = format!("baselined at commit {}{since}", short(&baseline.commit_sha));
        return TenantAdoption::new(tenant, AdoptStatus::AlreadyAdopted, Some(reason));
    }
    let applied = history.len();
    let reason = format!(
        "tenant {} already has a strata history ({applied} migrations and seeds run by strata): adopt is for tenants strata has never migrated; use `strata status` and `strata drift`",
        tenant.id
    );
    TenantAdoption::new(tenant, AdoptStatus::Refused, Some(reason))
}
