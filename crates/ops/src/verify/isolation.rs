//! Layer isolation (DESIGN §1): a template's or module's SQL may use only objects of the layers it
//! (transitively) requires. Each layer is composed with exactly that closure; whatever it reaches
//! beyond is named together with the layer that owns it, so a module's migrations are valid for
//! every tenant that uses it, whatever else that tenant has.

use std::collections::BTreeMap;

use strata_project::compose::{compose, ComposeError, Composition, RenderContext};
use strata_project::project::{LayerId, Project};
use strata_project::resolve::layer_closure;
use strata_schema::interpret::ApplyError;
use strata_schema::ObjectRef;

/// One line per violation; empty when every layer keeps to what it requires.
pub fn check(project: &Project) -> Vec<String> {
    let packages: Vec<&strata_project::project::Package> = project.packages().collect();
    let mut compositions: BTreeMap<LayerId, Result<Composition, ComposeError>> = BTreeMap::new();
    let mut closures: BTreeMap<LayerId, Vec<LayerId>> = BTreeMap::new();
    for package in &packages {
        // A requires problem (cycle, unknown module) is the cycles/resolution checks' to report.
        let Ok(closure) = layer_closure(project, &package.id) else { continue };
        compositions.insert(package.id.clone(), compose(project, &closure, &RenderContext::Symbolic));
        closures.insert(package.id.clone(), closure);
    }
    // Who creates what, from every layer that composed: the owner a violation names.
    let mut owners: BTreeMap<ObjectRef, LayerId> = BTreeMap::new();
    for composition in compositions.values().flatten() {
        owners.extend(composition.owners.iter().map(|(o, l)| (o.clone(), l.clone())));
    }
    let known: Vec<String> = owners
        .keys()
        .filter_map(|o| match o {
            ObjectRef::Table(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let owner_note = |object: &ObjectRef, layer: &LayerId| match owners.get(object) {
        Some(owner) if owner != layer => {
            let manifest = project.package(layer).map(|p| p.manifest_path.as_str()).unwrap_or_default();
            format!("; it belongs to {owner}, which {layer} does not require (add it to `requires` in {manifest})")
        }
        _ => String::new(),
    };
    let mut problems = Vec::new();
    for (layer, composition) in &compositions {
        match composition {
            Err(ComposeError::Statement { path, line, error: ApplyError::Missing(object), .. }) => {
                problems.push(format!("{path}:{line}: {layer} uses {object}{}", owner_note(object, layer)));
            }
            // Other failures (syntax, collisions) are the declarative check's to report.
            Err(_) => {}
            Ok(composition) => {
                for (object, owner) in &composition.owners {
                    if owner != layer {
                        continue;
                    }
                    for used in references(composition, object, &known) {
                        if !composition.schema.tables.contains_key(&used) {
                            let target = ObjectRef::Table(used);
                            problems
                                .push(format!("{layer}: {object} references {target}{}", owner_note(&target, layer)));
                        }
                    }
                }
            }
        }
    }
    problems
}

/// Tables an object of the composition refers to: foreign-key targets, and those of the `known`
/// tables (any layer's) that a view reads.
fn references(composition: &Composition, object: &ObjectRef, known: &[String]) -> Vec<String> {
    let schema = &composition.schema;
    match object {
        ObjectRef::Table(name) => schema
            .tables
            .get(name)
            .map(|t| t.foreign_keys.iter().map(|fk| fk.ref_table.clone()).collect())
            .unwrap_or_default(),
        ObjectRef::Constraint(table, name) => schema
            .tables
            .get(table)
            .map(|t| {
                t.foreign_keys
                    .iter()
                    .filter(|fk| fk.name.as_deref() == Some(name))
                    .map(|fk| fk.ref_table.clone())
                    .collect()
            })
            .unwrap_or_default(),
        // Words of a view's query that no layer creates as a table are columns or functions.
        ObjectRef::View(name) => match schema.views.get(name) {
            Some(view) => known.iter().filter(|t| view.reads(t)).cloned().collect(),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}
