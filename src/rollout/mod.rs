//! Applying a commit to an environment's tenants, and reporting where each tenant stands.
//!
//! Everything is read from the git objects of one commit: manifests, layer sources and
//! migrations. A tenant's failure is recorded and the rollout moves on to the next tenant; one
//! tenant's database is never touched on behalf of another.

pub mod drift;
pub mod repair;
pub mod rollback;
pub mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::compose::{render, render_name, Composition, RenderContext};
use crate::db::tenant::{Target, TenantDb};
use crate::db::{HistoryRow, MigrationRun, RunOutcome};
use crate::dialect::Dialect;
use crate::migrations::{self, order::dag_order, Migration};
use crate::project::{Environment, Isolation, LayerId, Project, Tenant, TenantSelector};
use crate::resolve::solver::{Catalog, Resolver};
use crate::schema::hash;
use crate::schema::parse::Mode;
use crate::source::CommitTree;
use crate::Error;

/// A project as it is at one commit, with every migration its tenants may need.
pub struct CommitView {
    pub commit_sha: String,
    pub root: PathBuf,
    pub project: Project,
    pub migrations: BTreeMap<LayerId, Vec<Migration>>,
    /// One solver for the fleet: tenants asking the same thing are solved once.
    resolver: Resolver,
}

impl CommitView {
    /// Reads and checks a commit: manifests, names, sums. Nothing outside the git objects is read.
    pub fn load(repo_dir: &Path, reference: &str) -> Result<Self, Error> {
        let repo = crate::git::open(repo_dir)?;
        let commit = crate::git::resolve_commit(&repo, reference)?;
        let source = CommitTree::new(&repo, &commit).map_err(crate::git::GitError::from)?;
        let project = Project::load(&source)?;
        let migrations = migrations::generate::load_all(&project, &source)?;
        let root = repo.workdir().unwrap_or(repo_dir).to_path_buf();
        let resolver = Resolver::new(Catalog::of(&project));
        Ok(Self { commit_sha: commit.id().to_string(), root, project, migrations, resolver })
    }

    /// The tenants of an environment, narrowed to `only` when given.
    pub fn select<'a>(&'a self, env: &Environment, only: &[String]) -> Result<Vec<&'a Tenant>, Error> {
        for id in only {
            if !self.project.tenants.contains_key(id) {
                return Err(Error::Usage(format!(
                    "unknown tenant '{id}' (no tenants/{id}/tenant.yaml at commit {})",
                    short(&self.commit_sha)
                )));
            }
        }
        let mut chosen = Vec::new();
        for tenant in self.project.tenants.values() {
            let in_env = match &env.manifest.tenants {
                TenantSelector::All(star) if star == "*" => true,
                TenantSelector::All(other) => {
                    return Err(Error::Usage(format!(
                        "{}: `tenants: {other}` must be \"*\", a list of ids or {{ labels: ... }}",
                        env.path
                    )))
                }
                TenantSelector::Ids(ids) => ids.contains(&tenant.id),
                TenantSelector::Labels(selector) => {
                    selector.labels.iter().all(|(k, v)| tenant.manifest.labels.get(k) == Some(v))
                }
            };
            if in_env && tenant.is_in(&env.name) && (only.is_empty() || only.contains(&tenant.id)) {
                chosen.push(tenant);
            }
        }
        Ok(chosen)
    }

    /// The tenant's migrations in application order, up to the versions it resolves to.
    pub fn tenant_order(&self, tenant: &Tenant) -> Result<Vec<&Migration>, Error> {
        Ok(self.tenant_work(tenant)?.0)
    }

    /// The tenant's migrations in order, and the seed files of its layers in layer order.
    pub fn tenant_work(&self, tenant: &Tenant) -> Result<(Vec<&Migration>, Vec<Seed>), Error> {
        let resolution = crate::resolve::resolve_tenant_with(&self.project, &self.resolver, &tenant.id)?;
        let order = dag_order(&resolution.layers, &self.migrations, &resolution.limits)?;
        let seeds = resolution
            .layers
            .iter()
            .filter_map(|layer| Some((layer, self.project.layer_files(layer)?)))
            .flat_map(|(layer, files)| {
                files.seed.iter().map(move |file| Seed {
                    id: format!("{SEED_PREFIX}{layer}/{}", file.path.rsplit('/').next().unwrap_or(&file.path)),
                    layer: layer.to_string(),
                    path: file.path.clone(),
                    text: file.text.clone(),
                })
            })
            .collect();
        Ok((order, seeds))
    }

    /// Where the tenant lives: the environment's `target` rendered for it (a file relative to the
    /// repository on SQLite, a schema or database name elsewhere) and the URL from `${VAR}`.
    pub fn target(&self, env: &Environment, tenant: &Tenant) -> Result<Target, Error> {
        let context = RenderContext::for_tenant(tenant, Some(&env.name));
        let name = render_name(&env.path, &env.manifest.target, &context)?;
        let dialect = self.project.config.dialect;
        if dialect == Dialect::Sqlite {
            return Ok(Target::SqliteFile(self.root.join(name)));
        }
        let valid = !name.is_empty()
            && name.len() <= 63
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(Error::Usage(format!(
                "{}: target `{name}` of tenant {} is not a valid schema or database name",
                env.path, tenant.id
            )));
        }
        let Some(url) = &env.manifest.url else {
            return Err(Error::Usage(format!("{}: `url: ${{SOME_VARIABLE}}` is required for {dialect}", env.path)));
        };
        // With one database per tenant the URL is a template too.
        let url = match env.manifest.isolation {
            Isolation::Database if dialect == Dialect::Postgres => render_name(&env.path, url, &context)?,
            _ => url.clone(),
        };
        let url = crate::db::url::expand(&url).map_err(|m| Error::Usage(format!("{}: {m}", env.path)))?;
        Ok(match (dialect, env.manifest.isolation) {
            (Dialect::Postgres, Isolation::Schema) => {
                Target::Postgres { url, schema: Some(name.clone()), label: format!("schema {name}") }
            }
            (Dialect::Postgres, Isolation::Database) => {
                Target::Postgres { url, schema: None, label: format!("database of tenant {}", tenant.id) }
            }
            _ => Target::Mysql { url, database: name.clone(), label: format!("database {name}") },
        })
    }
}

/// History ids of seed files start with this; they are data, not migrations.
pub const SEED_PREFIX: &str = "seed:";

/// A layer's `seed/*.sql` file: data a tenant gets once, after its migrations (DESIGN §1).
#[derive(Debug, Clone)]
pub struct Seed {
    /// `seed:template.party/01_roles.sql`
    pub id: String,
    pub layer: String,
    pub path: String,
    pub text: String,
}

pub fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// Checks applied history against the commit: every applied migration must exist there with the
/// same checksum, and none may be in a failed state.
pub fn check_history(
    view: &CommitView,
    tenant: &Tenant,
    order: &[&Migration],
    history: &[HistoryRow],
) -> Result<(), String> {
    let known: BTreeMap<String, &Migration> = order.iter().map(|m| (m.id(), *m)).collect();
    for row in history.iter().filter(|r| !r.id.starts_with(SEED_PREFIX)) {
        let Some(migration) = known.get(&row.id) else {
            return Err(format!(
                "tenant {} has {} applied (from commit {}), which commit {} does not contain; apply a commit that has it, or roll back",
                tenant.id,
                row.id,
                short(&row.commit_sha),
                short(&view.commit_sha)
            ));
        };
        let checksum = migration.checksum();
        if checksum != row.checksum {
            return Err(format!(
                "{} was applied with checksum {} but {} at commit {} has checksum {}: a committed migration was edited",
                row.id,
                short(&row.checksum),
                migration.up_path,
                short(&view.commit_sha),
                short(&checksum)
            ));
        }
        if row.state != "applied" {
            return Err(format!(
                "{} is in state '{}'; run `strata repair` for tenant {}",
                row.id, row.state, tenant.id
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    UpToDate,
    Migrated,
    Failed,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TenantOutcome {
    pub tenant: String,
    pub status: TenantStatus,
    pub applied: Vec<String>,
    pub error: Option<String>,
    pub duration_ms: u128,
}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub env: String,
    pub reference: String,
    pub tenants: Vec<String>,
    pub dry_run: bool,
    pub lock_timeout: Duration,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ApplyReport {
    pub commit: String,
    pub environment: String,
    pub tenants: Vec<TenantOutcome>,
}

impl ApplyReport {
    pub fn failed(&self) -> usize {
        self.tenants.iter().filter(|t| t.status == TenantStatus::Failed).count()
    }
}

/// Applies a commit to an environment; `on_tenant` sees each outcome as it happens.
pub async fn apply(
    repo_dir: &Path,
    options: &ApplyOptions,
    on_tenant: &mut dyn FnMut(&TenantOutcome),
) -> Result<ApplyReport, Error> {
    let view = CommitView::load(repo_dir, &options.reference)?;
    let env = view.project.environment(&options.env)?;
    let tenants = view.select(env, &options.tenants)?;
    // Resolution and order problems are the commit's, not a tenant's: refuse before touching any.
    let mut work = Vec::new();
    for tenant in tenants {
        let (order, seeds) = view.tenant_work(tenant)?;
        let target = view.target(env, tenant)?;
        work.push((tenant, order, seeds, target));
    }
    let mut report =
        ApplyReport { commit: view.commit_sha.clone(), environment: env.name.clone(), tenants: Vec::new() };
    for (tenant, order, seeds, target) in work {
        let started = Instant::now();
        let result = apply_tenant(&view, env, tenant, (&order, &seeds), &target, options).await;
        let (status, applied, error) = match result {
            Ok(applied) if applied.is_empty() => (TenantStatus::UpToDate, applied, None),
            Ok(applied) => (TenantStatus::Migrated, applied, None),
            Err((applied, error)) => (TenantStatus::Failed, applied, Some(error)),
        };
        let outcome = TenantOutcome {
            tenant: tenant.id.clone(),
            status,
            applied,
            error,
            duration_ms: started.elapsed().as_millis(),
        };
        on_tenant(&outcome);
        report.tenants.push(outcome);
    }
    Ok(report)
}

/// The ids applied, or those applied before the failure and the failure.
async fn apply_tenant(
    view: &CommitView,
    env: &Environment,
    tenant: &Tenant,
    (order, seeds): (&[&Migration], &[Seed]),
    target: &Target,
    options: &ApplyOptions,
) -> Result<Vec<String>, (Vec<String>, String)> {
    let mut applied = Vec::new();
    let fail = |applied: &Vec<String>, e: String| (applied.clone(), e);
    let create = env.manifest.create_missing && !options.dry_run;
    let db = TenantDb::open(target, create, options.lock_timeout).await.map_err(|e| fail(&applied, e.to_string()))?;
    let (mut db, history) = match db {
        Some(mut db) => {
            let history = db.history().await.map_err(|e| fail(&applied, e.to_string()))?;
            (Some(db), history)
        }
        None if options.dry_run => (None, Vec::new()),
        None => {
            return Err(fail(
                &applied,
                format!("{} does not exist and {} does not set create_missing: true", target.label(), env.path),
            ));
        }
    };
    check_history(view, tenant, order, &history).map_err(|e| fail(&applied, e))?;
    let done: BTreeSet<&str> = history.iter().map(|r| r.id.as_str()).collect();
    if order.iter().all(|m| done.contains(m.id().as_str())) && seeds.iter().all(|seed| done.contains(seed.id.as_str()))
    {
        return Ok(applied);
    }
    let dialect = view.project.config.dialect;
    let context = RenderContext::for_tenant(tenant, Some(&env.name));
    // The model follows along so each history row can carry the schema's Merkle root.
    let mut model = Composition::default();
    for migration in order {
        let id = migration.id();
        let sql =
            render(dialect, &migration.up_path, &migration.up, &context).map_err(|e| fail(&applied, e.to_string()))?;
        model
            .apply_sql(dialect, Mode::Replay, &migration.key.layer, &migration.up_path, &sql)
            .map_err(|e| fail(&applied, e.to_string()))?;
        if done.contains(id.as_str()) {
            continue;
        }
        // A dry run (the only case without a database) lists what would run.
        let Some(db) = db.as_mut().filter(|_| !options.dry_run) else {
            applied.push(id);
            continue;
        };
        let layer = migration.key.layer.to_string();
        let checksum = migration.checksum();
        let schema_hash = hash::root(&model.schema);
        let run = MigrationRun {
            id: &id,
            layer: &layer,
            seq: migration.key.seq,
            checksum: &checksum,
            sql: &sql,
            commit_sha: &view.commit_sha,
            schema_hash: &schema_hash,
        };
        match db.run(&run).await {
            Ok(RunOutcome::Applied) => applied.push(id),
            Ok(RunOutcome::AlreadyApplied) => {}
            Err(e) => return Err(fail(&applied, e.to_string())),
        }
    }
    // Seeds last, once each: the data a tenant's layers start it with.
    for seed in seeds.iter().filter(|seed| !done.contains(seed.id.as_str())) {
        let Some(db) = db.as_mut().filter(|_| !options.dry_run) else {
            applied.push(seed.id.clone());
            continue;
        };
        let sql = render(dialect, &seed.path, &seed.text, &context).map_err(|e| fail(&applied, e.to_string()))?;
        let (checksum, schema_hash) = (crate::migrations::sum::checksum(&seed.text), hash::root(&model.schema));
        let run = MigrationRun {
            id: &seed.id,
            layer: &seed.layer,
            seq: 0,
            checksum: &checksum,
            sql: &sql,
            commit_sha: &view.commit_sha,
            schema_hash: &schema_hash,
        };
        match db.run(&run).await {
            Ok(RunOutcome::Applied) => applied.push(seed.id.clone()),
            Ok(RunOutcome::AlreadyApplied) => {}
            Err(e) => return Err(fail(&applied, e.to_string())),
        }
    }
    Ok(applied)
}
