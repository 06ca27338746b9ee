//! What `strata commit` writes: for each layer whose declarative state differs from its committed
//! migrations replayed, the next migration.
//!
//! Layers are processed dependencies first. For a layer L with required layers R, the desired state
//! is the composition of R + L and the current state is the replay of the migrations of R + L
//! (including those just generated for R). Since every layer of R already replays to its
//! declarative state, the difference is exactly L's change. Everything is rendered symbolically, so
//! one migration serves every tenant whatever its variables.

use std::collections::BTreeMap;
use std::path::Path;

use super::{order::dag_order, sum, Migration, MigrationError, MigrationKey};
use strata_core::atomic_file::write_atomic;
use strata_core::Dialect;
use strata_dialect::online::{online_down, plan_online, without_index_drops, Online};
use strata_dialect::plan::{plan, PlanError, Step};
use strata_project::compose::{render, restore_symbols, ComposeError, Composition, RenderContext};
use strata_project::project::{LayerId, Project};
use strata_project::resolve::solver::Resolver;
use strata_project::resolve::{self, ResolveError};
use strata_project::source::Source;
use strata_schema::interpret::Mode;
use strata_schema::{diff_with_renames, Renames, Schema};

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Release(#[from] super::releases::ReleaseError),
    /// Releases whose migrations need more than their ranges promise, one per line.
    #[error("{0}")]
    Inconsistent(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Replays migrations (rendered for `context`) into a model, recording each object's owner.
pub fn replay(
    dialect: Dialect,
    migrations: &[&Migration],
    context: &RenderContext,
) -> Result<Composition, ComposeError> {
    let mut composition = Composition::default();
    replay_into(&mut composition, dialect, migrations, context)?;
    Ok(composition)
}

fn replay_into(
    composition: &mut Composition,
    dialect: Dialect,
    migrations: &[&Migration],
    context: &RenderContext,
) -> Result<(), ComposeError> {
    for migration in migrations {
        let sql = render(dialect, &migration.up_path, &migration.up, context)?;
        composition.apply_sql(dialect, Mode::Replay, &migration.key.layer, &migration.up_path, &sql)?;
    }
    Ok(())
}

/// The desired state of `layers`: each layer's declarative files, except a layer the tenant has at
/// an older release, whose migrations up to that release are the only source of that version.
pub fn desired(
    project: &Project,
    all: &BTreeMap<LayerId, Vec<Migration>>,
    layers: &[LayerId],
    limits: &BTreeMap<LayerId, u32>,
    context: &RenderContext,
) -> Result<Composition, GenerateError> {
    let mut composition = Composition::default();
    for layer in layers {
        let migrations = all.get(layer).map(Vec::as_slice).unwrap_or_default();
        match limits.get(layer) {
            Some(limit) if (*limit as usize) < migrations.len() => {
                let released: Vec<&Migration> = migrations.iter().filter(|m| m.key.seq <= *limit).collect();
                replay_into(&mut composition, project.config.dialect, &released, context)?;
            }
            _ => composition.add_layer(project, layer, context)?,
        }
    }
    Ok(composition)
}

/// The committed migrations of every layer the project has, each folder checked against its sum.
pub fn load_all(project: &Project, source: &dyn Source) -> Result<BTreeMap<LayerId, Vec<Migration>>, MigrationError> {
    load_all_with_drafts(project, source, &Default::default())
}

/// [`load_all`], where `drafts` (migration files not yet committed to git) may differ from sums.
pub fn load_all_with_drafts(
    project: &Project,
    source: &dyn Source,
    drafts: &std::collections::BTreeSet<String>,
) -> Result<BTreeMap<LayerId, Vec<Migration>>, MigrationError> {
    let mut all = BTreeMap::new();
    for layer in project.all_layers() {
        let migrations = super::load_layer_with_drafts(source, &layer, drafts)?;
        all.insert(layer, migrations);
    }
    Ok(all)
}

/// The migrations to add, given the committed ones. `message` names them when given.
pub fn generate(
    project: &Project,
    mut all: BTreeMap<LayerId, Vec<Migration>>,
    message: Option<&str>,
) -> Result<Vec<Migration>, GenerateError> {
    let packages = project.packages().map(|p| p.id.clone());
    let mut work: Vec<(LayerId, Vec<LayerId>, BTreeMap<LayerId, u32>)> = Vec::new();
    for layer in resolve::order_layers(project, packages)? {
        let closure = resolve::layer_closure(project, &layer)?;
        work.push((layer, closure, BTreeMap::new()));
    }
    let resolver = Resolver::of(project);
    for tenant in project.tenants.values() {
        // Every tenant must resolve, so a commit never records a fleet that cannot be applied;
        // only tenants with an overlay (now or before) have migrations of their own.
        let resolution = resolve::resolve_tenant_with(project, &resolver, &tenant.id)?;
        let layer = tenant.layer();
        let files = &tenant.files;
        let has_overlay = !files.schema.is_empty() || !files.sql_patches.is_empty() || !files.yaml_patches.is_empty();
        if has_overlay || all.get(&layer).is_some_and(|m| !m.is_empty()) {
            work.push((layer, resolution.layers, resolution.limits));
        }
    }
    let mut new = Vec::new();
    for (layer, layers, limits) in work {
        for migration in next_migrations(project, &all, &layer, &layers, &limits, message)? {
            all.entry(layer.clone()).or_default().push(migration.clone());
            new.push(migration);
        }
    }
    Ok(new)
}

/// The next migrations of a layer: one, or on PostgreSQL with online steps (`online: true`, or an
/// index declared `CONCURRENTLY`) the transactional part and then a `no-transaction` one with the
/// online steps.
fn next_migrations(
    project: &Project,
    all: &BTreeMap<LayerId, Vec<Migration>>,
    layer: &LayerId,
    layers: &[LayerId],
    limits: &BTreeMap<LayerId, u32>,
    message: Option<&str>,
) -> Result<Vec<Migration>, GenerateError> {
    let dialect = project.config.dialect;
    let desired = desired(project, all, layers, limits, &RenderContext::Symbolic)?;
    let current = replay(dialect, &dag_order(layers, all, limits)?, &RenderContext::Symbolic)?;
    let renames = project.renames(layer);
    let up_changes = diff_with_renames(&current.schema, &desired.schema, &renames);
    if up_changes.is_empty() {
        return Ok(Vec::new());
    }
    let online = Online { everything: project.config.online, declared_concurrent: &desired.schema.concurrent_indexes };
    let planned = plan_online(dialect, &up_changes, online)?;
    // Some changes have no automatic reverse (PostgreSQL cannot remove an enum label): the down
    // file then says so, and rollback refuses it instead of guessing. What the online migration
    // built, its own down drops.
    let down_changes = down_changes(&current.schema, &desired.schema, &renames);
    let down = plan(dialect, &without_index_drops(down_changes, &planned.online_indexes));
    let existing = all.get(layer).map_or(0, Vec::len) as u32;
    let mut made = Vec::new();
    if !planned.steps.is_empty() {
        made.push(migration(project, all, (layer, layers), (existing + 1, false), message, (&planned.steps, down))?);
    }
    if !planned.online.is_empty() {
        let seq = existing + 1 + made.len() as u32;
        let down = Ok(online_down(dialect, &planned.online_indexes));
        let message = message.map(|m| format!("{m} online"));
        made.push(migration(project, all, (layer, layers), (seq, true), message.as_deref(), (&planned.online, down))?);
    }
    Ok(made)
}

/// One generated migration of `layer` numbered `seq`, from its up steps and down steps (or why
/// it has no down).
fn migration(
    project: &Project,
    all: &BTreeMap<LayerId, Vec<Migration>>,
    (layer, layers): (&LayerId, &[LayerId]),
    (seq, no_transaction): (u32, bool),
    message: Option<&str>,
    (up_steps, down_steps): (&[Step], Result<Vec<Step>, PlanError>),
) -> Result<Migration, GenerateError> {
    let dialect = project.config.dialect;
    let slug = match (seq, message) {
        (1, _) => "init".to_string(),
        (_, Some(message)) => super::file::slugify(message),
        _ => super::file::slugify(&up_steps.iter().map(|s| s.summary.as_str()).collect::<Vec<_>>().join(" ")),
    };
    let mut migration = Migration::new(
        MigrationKey { layer: layer.clone(), seq },
        slug,
        requires(all, layer, layers),
        up_steps.iter().flat_map(|s| s.hazards.iter().copied()).collect(),
        super::file::Directives { no_transaction, ..Default::default() },
    );
    let header = migration.header();
    migration.up = format!("{header}{}", body(dialect, up_steps));
    migration.down = Some(match down_steps {
        Ok(steps) => format!("{header}{}", body(dialect, &steps)),
        Err(why) => format!("{header}-- strata:irreversible {why}\n"),
    });
    Ok(migration)
}

/// What a new migration of `layer` builds on: the newest migration of every other layer it
/// stands on (`layers`), generated or hand-written alike.
pub(crate) fn requires(
    all: &BTreeMap<LayerId, Vec<Migration>>,
    layer: &LayerId,
    layers: &[LayerId],
) -> Vec<MigrationKey> {
    layers
        .iter()
        .filter(|l| *l != layer)
        .filter_map(|l| {
            all.get(l).filter(|m| !m.is_empty()).map(|m| MigrationKey { layer: l.clone(), seq: m.len() as u32 })
        })
        .collect()
}

/// The steps of the up migration from `current` to `desired`, as `commit` plans them.
pub fn up_steps(
    dialect: Dialect,
    current: &Schema,
    desired: &Schema,
    renames: &Renames,
) -> Result<Vec<Step>, PlanError> {
    plan(dialect, &diff_with_renames(current, desired, renames))
}

/// The steps of the down migration that undoes [`up_steps`].
pub fn down_steps(
    dialect: Dialect,
    current: &Schema,
    desired: &Schema,
    renames: &Renames,
) -> Result<Vec<Step>, PlanError> {
    plan(dialect, &down_changes(current, desired, renames))
}

/// The changes that take `desired` back to `current`, renames reversed.
fn down_changes(current: &Schema, desired: &Schema, renames: &Renames) -> Vec<strata_schema::Change> {
    diff_with_renames(desired, current, &renames.reversed())
}

/// The body of a migration file as `commit` writes it: each step under its summary comment.
pub fn body(dialect: Dialect, steps: &[Step]) -> String {
    let parts: Vec<String> = steps.iter().map(|s| format!("-- {}\n{}\n", s.summary, s.sql)).collect();
    restore_symbols(dialect, &parts.join("\n"))
}

/// Writes new migrations and changed files of migration folders (releases.yaml) under `root`, and
/// rewrites the sum of every folder that changed. Each file is written whole ([`write_atomic`]);
/// [`paths_written`] names them all beforehand.
pub fn write(root: &Path, new: &[Migration], other_files: &[(String, String)]) -> Result<Vec<String>, GenerateError> {
    let mut written = Vec::new();
    for (path, text) in files_of(new, other_files) {
        let full = root.join(&path);
        let failed = |source| GenerateError::Write { path: path.clone(), source };
        full.parent().map_or(Ok(()), std::fs::create_dir_all).map_err(failed)?;
        write_atomic(&full, text).map_err(|e| failed(e.source))?;
        written.push(path);
    }
    for dir in folders_of(&written) {
        written.push(resum(root, &dir)?);
    }
    Ok(written)
}

/// Every path [`write`] writes for the same arguments.
pub fn paths_written(new: &[Migration], other_files: &[(String, String)]) -> Vec<String> {
    let files: Vec<String> = files_of(new, other_files).into_iter().map(|(path, _)| path).collect();
    let sums: Vec<String> = folders_of(&files).iter().map(|dir| sum_path(dir)).collect();
    files.into_iter().chain(sums).collect()
}

/// The files of the `new` migrations after `other_files`.
fn files_of(new: &[Migration], other_files: &[(String, String)]) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = other_files.to_vec();
    for migration in new {
        files.push((migration.up_path.clone(), migration.up.clone()));
        if let Some(down) = &migration.down {
            files.push((migration.down_path(), down.clone()));
        }
    }
    files
}

/// The folders of `paths`, each once, in the order they first appear.
fn folders_of(paths: &[String]) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    for path in paths {
        let dir = path.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// The sum file of the folder `dir`.
pub fn sum_path(dir: &str) -> String {
    format!("{dir}/{}", sum::SUM_FILE)
}

/// Rewrites the sum file of one migration folder for the files it holds now; returns its path.
pub fn resum(root: &Path, dir: &str) -> Result<String, GenerateError> {
    let worktree = strata_project::source::WorkTree::new(root);
    let mut folder = Vec::new();
    for entry in worktree.list(dir).map_err(MigrationError::from)? {
        if !entry.is_dir && entry.name != sum::SUM_FILE {
            let text =
                worktree.read(&format!("{dir}/{}", entry.name)).map_err(MigrationError::from)?.unwrap_or_default();
            folder.push((entry.name, text));
        }
    }
    let path = sum_path(dir);
    write_atomic(&root.join(&path), sum::render(&folder))
        .map_err(|e| GenerateError::Write { path: path.clone(), source: e.source })?;
    Ok(path)
}
