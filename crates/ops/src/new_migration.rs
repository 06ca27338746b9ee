//! `strata migration new LAYER NAME`: writes the next hand-written up/down pair of a layer and
//! rewrites its folder's sum, so the pair is part of the stream at once (commit records it; no
//! `rehash` by hand). Nothing is committed: the user writes the SQL first.

use std::path::Path;

use strata_migrations::generate::{generate, write};
use strata_migrations::hand::new_pair;
use strata_migrations::releases::NeedsVersion;
use strata_migrations::Migration;
use strata_project::project::{LayerId, Project};
use strata_project::source::WorkTree;

use crate::Error;

/// What `migration new` wrote, and what the user should know about it.
#[derive(Debug)]
pub struct NewMigration {
    pub migration: Migration,
    /// The layer's released version that this migration goes beyond: commit needs a bump.
    pub needs_version: Option<NeedsVersion>,
    /// Declarative changes of the layer not yet committed: `commit` numbers them after this one.
    pub pending: Option<String>,
}

pub fn new_migration(repo_dir: &Path, layer: &str, name: &str) -> Result<NewMigration, Error> {
    let source = WorkTree::new(repo_dir);
    let project = Project::load(&source)?;
    let layer = layer_named(&project, layer)?;
    let all = crate::work_tree::migrations(repo_dir, &project)?;
    // Known before writing: whether declarative changes wait, so the user can order them.
    let pending = generate(&project, all.clone(), None)
        .ok()
        .and_then(|new| new.into_iter().find(|m| m.key.layer == layer))
        .map(|m| m.up_path);
    let migration = new_pair(&project, &all, &layer, name)?;
    write(repo_dir, std::slice::from_ref(&migration), &[])?;
    let needs_version = crate::check::needing_versions(&project, &all, std::slice::from_ref(&migration))
        .into_iter()
        .find(|n| n.layer == layer);
    Ok(NewMigration { migration, needs_version, pending })
}

/// `module.donations`, `template.party`, `tenant.nrna`, or a bare module name.
fn layer_named(project: &Project, text: &str) -> Result<LayerId, Error> {
    let layer = LayerId::parse(text).unwrap_or_else(|| LayerId::module(text));
    let exists = match layer.kind {
        strata_project::project::LayerKind::Tenant => project.tenants.contains_key(&layer.name),
        _ => project.package(&layer).is_some(),
    };
    if exists {
        return Ok(layer);
    }
    let known: Vec<String> = project.all_layers().map(|l| l.to_string()).collect();
    Err(Error::Usage(format!(
        "no layer '{text}' (write template.<name>, module.<name> or tenant.<id>; this repository has {})",
        known.join(", ")
    )))
}
