//! The project at one commit: manifests, layer sources and migrations read from the commit's git
//! objects, resolved per tenant, with each tenant's place (its target) in an environment.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::Error;
use strata_db::tenant::Target;
use strata_migrations::{order::dag_order, Migration};
use strata_project::project::{Environment, LayerId, Project, Tenant};
use strata_project::resolve::solver::Resolver;
use strata_project::source::CommitTree;

/// A project as it is at one commit, with every migration its tenants may need: what apply,
/// status, drift, rollback and repair read, and nothing outside the commit's git objects.
pub struct Snapshot {
    pub commit_sha: String,
    pub root: PathBuf,
    pub project: Project,
    pub migrations: BTreeMap<LayerId, Vec<Migration>>,
    /// One solver for the fleet: tenants asking the same thing are solved once.
    resolver: Resolver,
    /// The checksum of every migration, computed once for the fleet.
    checksums: HashMap<String, String>,
}

impl Snapshot {
    /// Reads and checks a commit: manifests, names, sums. Nothing outside the git objects is read.
    pub fn load(repo_dir: &Path, reference: &str) -> Result<Self, Error> {
        let repo = strata_project::git::open(repo_dir)?;
        let commit = strata_project::git::resolve_commit(&repo, reference)?;
        let source = CommitTree::new(&repo, &commit).map_err(strata_project::git::GitError::from)?;
        let project = Project::load(&source)?;
        let migrations = strata_migrations::generate::load_all(&project, &source)?;
        let root = repo.workdir().unwrap_or(repo_dir).to_path_buf();
        let resolver = Resolver::of(&project);
        let checksums = migrations.values().flatten().map(|m| (m.id(), m.checksum())).collect();
        Ok(Self { commit_sha: commit.id().to_string(), root, project, migrations, resolver, checksums })
    }

    /// A migration's checksum (sha256 of its up file as committed).
    pub fn checksum(&self, migration: &Migration) -> String {
        self.checksums.get(&migration.id()).cloned().unwrap_or_else(|| migration.checksum())
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
        let mut chosen = crate::place::members(&self.project, env)?;
        chosen.retain(|tenant| only.is_empty() || only.contains(&tenant.id));
        Ok(chosen)
    }

    /// The tenant's migrations in application order, up to the versions it resolves to.
    pub fn tenant_order(&self, tenant: &Tenant) -> Result<Vec<&Migration>, Error> {
        Ok(self.tenant_work(tenant)?.0)
    }

    /// The tenant's migrations in order, and the seed files of its layers in layer order.
    pub fn tenant_work(&self, tenant: &Tenant) -> Result<(Vec<&Migration>, Vec<Seed>), Error> {
        let resolution = strata_project::resolve::resolve_tenant_with(&self.project, &self.resolver, &tenant.id)?;
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
        crate::place::target(&self.project, &self.root, env, tenant)
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
