//! Hand-written migrations (`strata migration new LAYER NAME`): the next numbered up/down pair of
//! a layer's stream, headed like a generated one (its id and the migrations of the layers it
//! builds on), with a body the user writes. It runs as written; `commit` numbers declarative
//! changes after it and never renumbers it.

use std::collections::BTreeMap;

use strata_project::project::{LayerId, LayerKind, Project};
use strata_project::resolve::{self, solver::Resolver};

use super::file::slugify;
use super::generate::GenerateError;
use super::{Migration, MigrationKey};

/// What the up file says below its header.
const UP_BODY: &str = "\
-- Hand-written: runs as written, with its history row, in one transaction.
-- Data statements (INSERT, UPDATE, DELETE, SELECT, DO, CALL) run and leave the schema model alone;
-- DDL here must also be in the layer's declared schema, or `verify` says which file to update.
-- Directives, one per line in the header above:
--   -- strata:no-transaction              each statement on its own (CREATE INDEX CONCURRENTLY)
--   -- strata:timeout lock=5s statement=10min
--   -- strata:allow <hazard> <reason>

";

/// What the down file says below its header.
const DOWN_BODY: &str = "\
-- The reverse of the up file (empty when it changed data only). When there is none, replace
-- these lines with one `-- strata:irreversible <reason>`: rollback then refuses with it.

";

/// The next pair of `layer`, named after `name`, given the migrations every layer has now.
pub fn new_pair(
    project: &Project,
    all: &BTreeMap<LayerId, Vec<Migration>>,
    layer: &LayerId,
    name: &str,
) -> Result<Migration, GenerateError> {
    let layers = match layer.kind {
        LayerKind::Tenant => resolve::resolve_tenant_with(project, &Resolver::of(project), &layer.name)?.layers,
        _ => resolve::layer_closure(project, layer)?,
    };
    let seq = all.get(layer).map_or(0, Vec::len) as u32 + 1;
    let requires = super::generate::requires(all, layer, &layers);
    let slug = match slugify(name) {
        slug if slug.is_empty() => "hand_written".to_string(),
        slug => slug,
    };
    let key = MigrationKey { layer: layer.clone(), seq };
    let mut migration = Migration::new(key, slug, requires, Default::default(), Default::default());
    let header = migration.header();
    migration.up = format!("{header}{UP_BODY}");
    migration.down = Some(format!("{header}{DOWN_BODY}"));
    Ok(migration)
}
