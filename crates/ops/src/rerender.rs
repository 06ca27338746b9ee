//! Tenant variables changed after a tenant applied its migrations.
//!
//! A migration is shared by tenants and rendered for each with its id, `vars` and `labels`, so a
//! changed value (`currency: USD` → `EUR`) makes the tenant's migrations render to another schema
//! than the one its database has. Nothing else would notice: no migration is new, `apply` would
//! find the tenant up to date, and `drift` would report it forever.
//!
//! strata converges such a tenant with one generated step: the migrations it applied, rendered as
//! they were when it applied them (its `tenant.yaml` at the commit in each history row, read from
//! git) and as they render now, replayed in the model; the difference is planned like any change
//! and recorded in the history as `vars:<commit>-<hash>`. `plan` shows the same step for the work
//! tree against HEAD, so it is reviewed with the change of `tenant.yaml`, and `apply` runs it
//! before the tenant's pending migrations. A step that would lose data is refused: a dropped
//! table is a decision for a migration someone writes, not a side effect of editing a value.
//!
//! Why not a migration file in the tenant's overlay: it would be replayed for a fresh database (or
//! a restore) too, where the shared migrations already render with today's values; the step only
//! makes sense for a database that ran them with yesterday's.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use strata_core::Dialect;
use strata_db::HistoryRow;
use strata_dialect::plan::{Hazard, Step};
use strata_migrations::Migration;
use strata_project::compose::{render, Composition, RenderContext};
use strata_project::project::{Project, Tenant};
use strata_project::source::CommitTree;
use strata_schema::interpret::Mode;
use strata_schema::{hash, Schema};

use crate::snapshot::{short, SEED_PREFIX};

/// History ids of converging steps start with this.
pub const VARS_PREFIX: &str = "vars:";

/// Whether a history row is a migration's (not a seed's, not a converging step's).
pub fn is_migration(id: &str) -> bool {
    !id.starts_with(SEED_PREFIX) && !id.starts_with(VARS_PREFIX)
}

/// Whether any of the migrations renders differently for different tenants.
pub fn templated(order: &[&Migration]) -> bool {
    order.iter().any(|m| m.up.contains("{{") || m.up.contains("{%"))
}

/// The step that takes one tenant's schema from its old variables to its new ones.
#[derive(Debug, Clone)]
pub struct Converge {
    /// `vars:<commit>-<hash>`
    pub id: String,
    pub steps: Vec<Step>,
    /// The steps' SQL, one after another.
    pub sql: String,
    /// The schema hash after it: the applied migrations rendered with today's values.
    pub schema_hash: String,
}

/// The migrations of `order` a tenant's history has done, as indices into `order`, and the last
/// done row that says what the schema was rendered with (a migration's or a converging step's).
pub fn applied<'h>(order: &[&Migration], history: &'h [HistoryRow]) -> (Vec<usize>, Option<&'h HistoryRow>) {
    let done: Vec<&HistoryRow> = history.iter().filter(|r| r.state.is_done()).collect();
    let positions =
        order.iter().enumerate().filter(|(_, m)| done.iter().any(|r| r.id == m.id())).map(|(index, _)| index).collect();
    let last = done.into_iter().rev().find(|r| !r.id.starts_with(SEED_PREFIX));
    (positions, last)
}

/// The schema hash of the applied migrations rendered now: taken from the hashes after each
/// migration of `order` when they are its first ones, else replayed.
pub fn hash_now(
    dialect: Dialect,
    order: &[&Migration],
    sqls: &[impl AsRef<str>],
    hashes: &[String],
    positions: &[usize],
) -> Result<String, String> {
    if positions.iter().enumerate().all(|(i, p)| i == *p) {
        if let Some(last) = positions.len().checked_sub(1) {
            return Ok(hashes[last].clone());
        }
    }
    let sequence: Vec<(&Migration, &str)> = positions.iter().map(|p| (order[*p], sqls[*p].as_ref())).collect();
    replay(dialect, &sequence).map(|schema| hash::root(&schema))
}

/// The cheap test, on hashes apply computes anyway: does the last recorded row's schema hash
/// differ from what it would be with today's values? A migration's row holds the hash after it
/// in the order (every migration before it ran first), so it is compared with today's hash at the
/// same place; a converging step's holds the hash of every migration applied then. A row from
/// before hashes were kept says nothing.
pub fn recorded_differs(
    dialect: Dialect,
    order: &[&Migration],
    (sqls, hashes): (&[impl AsRef<str>], &[String]),
    positions: &[usize],
    last: Option<&HistoryRow>,
) -> Result<bool, String> {
    let Some((last, recorded)) = last.and_then(|r| Some((r, r.schema_hash.as_deref()?))) else { return Ok(false) };
    let expected = match order.iter().position(|m| m.id() == last.id) {
        Some(at) => hashes[at].clone(),
        None => hash_now(dialect, order, sqls, hashes, positions)?,
    };
    Ok(recorded != expected)
}

/// Replays rendered migrations into the model.
fn replay(dialect: Dialect, sequence: &[(&Migration, &str)]) -> Result<Schema, String> {
    let mut model = Composition::default();
    for (migration, sql) in sequence {
        model
            .apply_sql(dialect, Mode::Replay, &migration.key.layer, &migration.up_path, sql)
            .map_err(|e| e.to_string())?;
    }
    Ok(model.schema)
}

/// Migrations, each rendered with its own context, replayed into the model.
fn rendered_schema(dialect: Dialect, sequence: &[(&Migration, &RenderContext)]) -> Result<Schema, String> {
    let mut rendered = Vec::with_capacity(sequence.len());
    for (migration, context) in sequence {
        rendered.push(render(dialect, &migration.up_path, &migration.up, context).map_err(|e| e.to_string())?);
    }
    let sequence: Vec<(&Migration, &str)> =
        sequence.iter().zip(&rendered).map(|((m, _), sql)| (*m, sql.as_str())).collect();
    replay(dialect, &sequence)
}

/// Migrations all rendered with one context, replayed: what `commit` replays.
fn replay_all(dialect: Dialect, migrations: &[&Migration], context: &RenderContext) -> Result<Schema, String> {
    strata_migrations::generate::replay(dialect, migrations, context).map(|c| c.schema).map_err(|e| e.to_string())
}

/// The steps from the schema rendered with the old values to the one rendered with the new; a
/// step that loses data is refused, naming the tenant's file.
pub fn steps(dialect: Dialect, before: &Schema, after: &Schema, tenant_file: &str) -> Result<Vec<Step>, String> {
    let steps = strata_migrations::generate::up_steps(dialect, before, after, &Default::default())
        .map_err(|e| format!("{tenant_file}: converging the tenant to its new variables: {e}"))?;
    if let Some(lost) = steps.iter().find(|s| s.hazards.contains(&Hazard::Destructive)) {
        return Err(format!(
            "{tenant_file}: with its new variables the tenant's migrations render to a schema without data it has ({}); strata does not drop data for a changed variable: keep the old value, or write a migration that makes the change",
            lost.summary
        ));
    }
    Ok(steps)
}

/// The tenant's file, for messages.
pub fn tenant_file(tenant: &Tenant) -> String {
    format!("tenants/{}/tenant.yaml", tenant.id)
}

/// The project at past commits, read from git once per commit: what a tenant's variables were
/// when a history row was written.
pub struct Past {
    root: PathBuf,
    projects: RefCell<HashMap<String, Rc<Result<Project, String>>>>,
}

impl Past {
    pub fn new(root: &Path) -> Self {
        Past { root: root.to_path_buf(), projects: RefCell::default() }
    }

    /// The tenant's render context at `commit`.
    pub fn context(&self, commit: &str, tenant: &str, env: &str) -> Result<RenderContext, String> {
        let project =
            self.projects.borrow_mut().entry(commit.to_string()).or_insert_with(|| Rc::new(self.load(commit))).clone();
        let project = project.as_ref().as_ref().map_err(Clone::clone)?;
        let tenant = project.tenants.get(tenant).ok_or_else(|| {
            format!(
                "commit {} has no tenants/{tenant}/tenant.yaml, though it applied the tenant's migrations",
                short(commit)
            )
        })?;
        Ok(RenderContext::for_tenant(tenant, Some(env)))
    }

    fn load(&self, commit: &str) -> Result<Project, String> {
        let repo = strata_project::git::open(&self.root).map_err(|e| e.to_string())?;
        let found = strata_project::git::resolve_commit(&repo, commit).map_err(|_| {
            format!(
                "commit {} applied this tenant's migrations and this clone does not have it (a shallow clone?): fetch it (`git fetch --unshallow`) so strata can tell what the tenant's variables were",
                short(commit)
            )
        })?;
        let source = CommitTree::new(&repo, &found).map_err(|e| e.to_string())?;
        Project::load(&source).map_err(|e| format!("reading commit {}: {e}", short(commit)))
    }
}

/// What converges a tenant whose applied migrations render differently now than when it applied
/// them, or nothing. Each migration is rendered with the tenant's values at the commit of its
/// history row, or of the last converging step after it (which rendered it with that commit's).
pub fn converge(
    dialect: Dialect,
    (tenant, env): (&Tenant, &str),
    (order, history): (&[&Migration], &[HistoryRow]),
    positions: &[usize],
    (now, hash_now): (&RenderContext, &str),
    (past, commit): (&Past, &str),
) -> Result<Option<Converge>, String> {
    let done: Vec<&HistoryRow> = history.iter().filter(|r| r.state.is_done()).collect();
    let mut then = Vec::with_capacity(positions.len());
    for position in positions {
        let migration = order[*position];
        let id = migration.id();
        let Some(at) = done.iter().position(|r| r.id == id) else { continue };
        let rendered_at = done[at..].iter().rev().find(|r| r.id.starts_with(VARS_PREFIX)).unwrap_or(&done[at]);
        then.push((migration, past.context(&rendered_at.commit_sha, &tenant.id, env)?));
    }
    let before = rendered_schema(dialect, &then.iter().map(|(m, c)| (*m, c)).collect::<Vec<_>>())?;
    let applied: Vec<&Migration> = positions.iter().map(|p| order[*p]).collect();
    let after = replay_all(dialect, &applied, now)?;
    if before == after {
        return Ok(None);
    }
    let steps = steps(dialect, &before, &after, &tenant_file(tenant))?;
    if steps.is_empty() {
        return Ok(None);
    }
    Ok(Some(Converge {
        id: format!("{VARS_PREFIX}{}-{}", short(commit), &hash_now[..hash_now.len().min(12)]),
        sql: strata_migrations::generate::body(dialect, &steps),
        steps,
        schema_hash: hash_now.to_string(),
    }))
}

/// A tenant whose changed variables (work tree against HEAD) change what its committed
/// migrations render to: what `apply` will run to converge it, or why it will refuse.
#[derive(Debug, Clone)]
pub struct Rerendered {
    pub tenant: String,
    /// `tenants/<id>/tenant.yaml`
    pub file: String,
    pub steps: Vec<Step>,
    /// Why `apply` will not converge it (a step would lose data, or it does not render).
    pub refused: Option<String>,
}

/// The tenants whose `tenant.yaml` changed since `reference` (HEAD for `plan` and `check`, the
/// merge base for `verify`) in a way that changes their schema: the reference's migrations for
/// each, rendered with its values there and with those in the work tree. Without a readable
/// reference there is no rendering that tenants applied to compare with.
pub fn since(project: &Project, repo_dir: &Path, reference: &str, only: Option<&str>) -> Vec<Rerendered> {
    let Ok(head) = crate::snapshot::Snapshot::load(repo_dir, reference) else { return Vec::new() };
    let dialect = project.config.dialect;
    let mut found = Vec::new();
    for (id, now) in project.tenants.iter().filter(|(id, _)| only.is_none_or(|o| o == id.as_str())) {
        let Some(before) = head.project.tenants.get(id) else { continue };
        if before.manifest.vars == now.manifest.vars && before.manifest.labels == now.manifest.labels {
            continue;
        }
        let Ok(order) = head.tenant_order(before) else { continue };
        if !templated(&order) {
            continue;
        }
        let file = tenant_file(now);
        let (then, today) = (RenderContext::for_tenant(before, None), RenderContext::for_tenant(now, None));
        let schemas = replay_all(dialect, &order, &then).and_then(|b| Ok((b, replay_all(dialect, &order, &today)?)));
        let (steps, refused) = match schemas.and_then(|(b, a)| steps(dialect, &b, &a, &file)) {
            Ok(steps) if steps.is_empty() => continue,
            Ok(steps) => (steps, None),
            Err(why) => (Vec::new(), Some(why)),
        };
        found.push(Rerendered { tenant: id.clone(), file, steps, refused });
    }
    found
}
