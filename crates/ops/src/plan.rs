//! What `strata commit` would write, and which tenants it would reach: the pending plan that
//! `strata plan` renders for a pull request. Tenants whose compositions are identical (same
//! layers at the same versions and limits) are one group, since they receive the same migrations.

use std::collections::{BTreeMap, BTreeSet};

use crate::Error;
use strata_migrations::generate::generate;
use strata_migrations::lint::{lint, Finding};
use strata_migrations::order::dag_order;
use strata_migrations::releases::NeedsVersion;
use strata_migrations::Migration;
use strata_project::project::{LayerId, LayerKind, Project};
use strata_project::resolve::resolve_tenant_with;
use strata_project::resolve::solver::Resolver;

/// A migration `commit` would write, with its lint verdicts.
#[derive(Debug, Clone)]
pub struct PendingMigration {
    pub migration: Migration,
    pub findings: Vec<Finding>,
}

/// Tenants that resolve to the same composition, and the pending migrations they would receive.
#[derive(Debug, Clone)]
pub struct TenantGroup {
    pub tenants: Vec<String>,
    /// Layers in application order with the version each resolves to (a tenant overlay has none).
    pub composition: Vec<(LayerId, Option<semver::Version>)>,
    /// Ids of pending migrations, in the order they would run.
    pub migrations: Vec<String>,
}

impl TenantGroup {
    /// `template party 1.0.0 + membership 1.2.0 + overlay nrna`
    pub fn label(&self) -> String {
        composition_label(&self.composition)
    }
}

/// What makes tenants alike: their layers with versions, without the tenant's own layer when it
/// has no overlay (no files, no migrations), so that plain tenants of one kind form one group.
pub fn composition_of(
    project: &Project,
    all: &BTreeMap<LayerId, Vec<Migration>>,
    resolution: &strata_project::resolve::Resolution,
) -> Vec<(LayerId, Option<semver::Version>)> {
    resolution
        .layers
        .iter()
        .filter(|layer| {
            layer.kind != LayerKind::Tenant
                || all.get(*layer).is_some_and(|m| !m.is_empty())
                || project
                    .layer_files(layer)
                    .is_some_and(|f| !f.schema.is_empty() || !f.sql_patches.is_empty() || !f.yaml_patches.is_empty())
        })
        .map(|l| (l.clone(), resolution.versions.get(l).cloned()))
        .collect()
}

/// A composition in words: `template party 1.0.0 + membership 1.2.0 + overlay nrna`.
pub fn composition_label(composition: &[(LayerId, Option<semver::Version>)]) -> String {
    let parts: Vec<String> = composition
        .iter()
        .map(|(layer, version)| {
            let name = match layer.kind {
                LayerKind::Template => format!("template {}", layer.name),
                LayerKind::Module => layer.name.clone(),
                LayerKind::Tenant => format!("overlay {}", layer.name),
            };
            match version {
                Some(version) => format!("{name} {version}"),
                None => name,
            }
        })
        .collect();
    parts.join(" + ")
}

#[derive(Debug, Clone)]
pub struct PendingPlan {
    pub migrations: Vec<PendingMigration>,
    /// Groups that receive at least one pending migration, largest first.
    pub groups: Vec<TenantGroup>,
    /// Tenants considered (all, or the one asked for).
    pub tenants: usize,
    /// Tenants no pending migration reaches.
    pub unaffected: usize,
    /// Layers (of the tenants considered) whose change needs a new version before `commit`.
    pub needs_version: Vec<NeedsVersion>,
    /// Up files of hand-written migrations not yet committed: `commit` records them as written.
    pub hand_written: Vec<String>,
}

/// The pending plan of the work tree at `repo_dir`, for every tenant or only `only`.
pub fn pending(project: &Project, repo_dir: &std::path::Path, only: Option<&str>) -> Result<PendingPlan, Error> {
    if let Some(id) = only {
        if !project.tenants.contains_key(id) {
            return Err(Error::Usage(format!("unknown tenant '{id}' (no tenants/{id}/tenant.yaml)")));
        }
    }
    let drafts = crate::work_tree::drafts(repo_dir);
    let source = strata_project::source::WorkTree::new(repo_dir);
    let mut all = strata_migrations::generate::load_all_with_drafts(project, &source, &drafts)?;
    let new = generate(project, all.clone(), None)?;
    let mut needs_version = crate::check::needing_versions(project, &all, &new);
    for migration in &new {
        all.entry(migration.key.layer.clone()).or_default().push(migration.clone());
    }
    let new_ids: BTreeSet<String> = new.iter().map(Migration::id).collect();
    let resolver = Resolver::of(project);
    type Key = (Vec<(LayerId, Option<semver::Version>)>, BTreeMap<LayerId, u32>);
    let mut by_composition: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    let tenants: Vec<&String> = project.tenants.keys().filter(|id| only.is_none_or(|o| o == id.as_str())).collect();
    for id in &tenants {
        let resolution = resolve_tenant_with(project, &resolver, id)?;
        let composition = composition_of(project, &all, &resolution);
        by_composition.entry((composition, resolution.limits)).or_default().push((*id).clone());
    }
    let mut groups = Vec::new();
    let mut unaffected = 0;
    let used: BTreeSet<&LayerId> = by_composition.keys().flat_map(|(c, _)| c.iter().map(|(l, _)| l)).collect();
    needs_version.retain(|n| used.contains(&n.layer));
    for ((composition, limits), members) in by_composition {
        let layers: Vec<LayerId> = composition.iter().map(|(l, _)| l.clone()).collect();
        let migrations: Vec<String> = dag_order(&layers, &all, &limits)?
            .into_iter()
            .map(Migration::id)
            .filter(|id| new_ids.contains(id))
            .collect();
        if migrations.is_empty() {
            unaffected += members.len();
        } else {
            groups.push(TenantGroup { tenants: members, composition, migrations });
        }
    }
    groups.sort_by(|a, b| b.tenants.len().cmp(&a.tenants.len()).then_with(|| a.label().cmp(&b.label())));
    let reached: BTreeSet<&String> = groups.iter().flat_map(|g| &g.migrations).collect();
    let dialect = project.config.dialect;
    let migrations = new
        .into_iter()
        .filter(|m| only.is_none() || reached.contains(&m.id()))
        .map(|migration| PendingMigration { findings: lint(dialect, &project.config.lint, &migration), migration })
        .collect();
    let hand_written = drafts.into_iter().filter(|path| path.ends_with(".up.sql")).collect();
    Ok(PendingPlan { migrations, groups, tenants: tenants.len(), unaffected, needs_version, hand_written })
}

/// Seed files the work tree changed since HEAD: what `apply` will rerun, keep or refuse on tenants
/// that ran them (none without a first commit).
pub fn changed_seeds_since_head(repo_dir: &std::path::Path) -> Result<Vec<crate::seeds::ChangedSeed>, Error> {
    let repo = strata_project::git::open(repo_dir)?;
    let Some(head) = repo.head().ok().and_then(|h| h.peel_to_commit().ok()) else { return Ok(Vec::new()) };
    let at_head = strata_project::source::CommitTree::new(&repo, &head).map_err(strata_project::git::GitError::from)?;
    let work_tree = strata_project::source::WorkTree::new(repo.workdir().unwrap_or(repo_dir));
    crate::seeds::changed_seeds(&at_head, &work_tree).map_err(Error::Usage)
}
