//! Which layers a tenant is made of, and in what order.
//!
//! For now a module set is the closure over `requires`, checked against version ranges and
//! `conflicts` with the single version each module has in the work tree; the versioned SAT solver
//! of DESIGN §2 replaces [`closure`] without changing its callers.

pub mod graph;
pub mod topo;

use std::collections::{BTreeMap, BTreeSet};

use crate::project::{LayerId, LayerKind, Project};

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{path}: tenant '{tenant}' uses template '{template}', which does not exist (no templates/{template}/template.yaml)")]
    UnknownTemplate { tenant: String, template: String, path: String },
    #[error("{path}: {who} needs module '{module}', which does not exist (no modules/{module}/module.yaml)")]
    UnknownModule { who: String, module: String, path: String },
    #[error("{path}: {who} requires {module} {range}, but {module} is version {version}")]
    Version { who: String, module: String, range: String, version: String, path: String },
    #[error("{path}: {who} conflicts with {other}, which {tenant} also needs ({reason})")]
    Conflict { who: String, other: String, tenant: String, reason: String, path: String },
    #[error("dependency cycle: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" requires "))]
    Cycle(Vec<LayerId>),
}

/// A tenant's layers in application order, and for each the reason it is there.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub tenant: String,
    pub layers: Vec<LayerId>,
    pub reasons: BTreeMap<LayerId, String>,
}

/// The layer a `requires:` key points at: `template.<name>` or a module name.
pub(crate) fn required_layer(key: &str) -> LayerId {
    match key.strip_prefix("template.") {
        Some(name) => LayerId::template(name),
        None => LayerId::module(key),
    }
}

/// Direct dependencies of a template or module, with their ranges, as declared.
fn requirements(project: &Project, id: &LayerId) -> Vec<(LayerId, semver::VersionReq)> {
    project
        .package(id)
        .map(|p| p.manifest.requires.iter().map(|(k, r)| (required_layer(k), r.clone())).collect())
        .unwrap_or_default()
}

/// Adds `id` and everything it requires to `set`, checking that each exists and fits its range.
fn closure(
    project: &Project,
    start: &[(LayerId, String)],
    set: &mut BTreeMap<LayerId, String>,
) -> Result<(), ResolveError> {
    let mut stack: Vec<(LayerId, String)> = start.to_vec();
    while let Some((id, reason)) = stack.pop() {
        if set.contains_key(&id) {
            continue;
        }
        let package = project.package(&id).expect("callers and requirements() check existence");
        for (dep, range) in requirements(project, &id) {
            let Some(dep_package) = project.package(&dep) else {
                return Err(ResolveError::UnknownModule {
                    who: id.to_string(),
                    module: dep.name.clone(),
                    path: package.manifest_path.clone(),
                });
            };
            if !range.matches(&dep_package.manifest.version) {
                return Err(ResolveError::Version {
                    who: id.to_string(),
                    module: dep.to_string(),
                    range: range.to_string(),
                    version: dep_package.manifest.version.to_string(),
                    path: package.manifest_path.clone(),
                });
            }
            stack.push((dep, format!("required by {id}")));
        }
        set.insert(id, reason);
    }
    Ok(())
}

fn check_conflicts(project: &Project, tenant: &str, set: &BTreeMap<LayerId, String>) -> Result<(), ResolveError> {
    for id in set.keys() {
        let package = project.package(id).expect("set members exist");
        for other in &package.manifest.conflicts {
            let other_id = required_layer(other);
            if let Some(reason) = set.get(&other_id) {
                return Err(ResolveError::Conflict {
                    who: id.to_string(),
                    other: other_id.to_string(),
                    tenant: format!("tenant {tenant}"),
                    reason: reason.clone(),
                    path: package.manifest_path.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Orders layers so each comes after what it requires; the tenant layer, if present, comes last.
pub fn order_layers(
    project: &Project,
    layers: impl IntoIterator<Item = LayerId>,
) -> Result<Vec<LayerId>, ResolveError> {
    let members: BTreeSet<LayerId> = layers.into_iter().collect();
    let edges: BTreeMap<LayerId, BTreeSet<LayerId>> = members
        .iter()
        .map(|id| {
            let deps: BTreeSet<LayerId> = if id.kind == LayerKind::Tenant {
                members.iter().filter(|m| m.kind != LayerKind::Tenant).cloned().collect()
            } else {
                requirements(project, id).into_iter().map(|(d, _)| d).filter(|d| members.contains(d)).collect()
            };
            (id.clone(), deps)
        })
        .collect();
    topo::kahn_order(&edges).map_err(ResolveError::Cycle)
}

/// A template or module and everything it transitively requires, in order: the layers its SQL
/// may build on.
pub fn layer_closure(project: &Project, id: &LayerId) -> Result<Vec<LayerId>, ResolveError> {
    let mut set = BTreeMap::new();
    closure(project, &[(id.clone(), "itself".to_string())], &mut set)?;
    order_layers(project, set.into_keys())
}

/// The layers of one tenant: its template, the template's modules, its own modules, everything
/// they require, and its own overlay.
pub fn resolve_tenant(project: &Project, tenant_id: &str) -> Result<Resolution, ResolveError> {
    let tenant = &project.tenants[tenant_id];
    let path = tenant.manifest_path.clone();
    let template_name = &tenant.manifest.template;
    let Some(template) = project.templates.get(template_name) else {
        return Err(ResolveError::UnknownTemplate {
            tenant: tenant_id.to_string(),
            template: template_name.clone(),
            path,
        });
    };
    let mut wanted = vec![(template.id.clone(), "the tenant's template".to_string())];
    for module in &template.manifest.modules {
        if !project.modules.contains_key(module) {
            return Err(ResolveError::UnknownModule {
                who: template.id.to_string(),
                module: module.clone(),
                path: template.manifest_path.clone(),
            });
        }
        wanted.push((LayerId::module(module), format!("every tenant of {} gets it", template.id)));
    }
    for (module, range) in tenant.manifest.modules.entries() {
        let Some(package) = project.modules.get(&module) else {
            return Err(ResolveError::UnknownModule { who: format!("tenant {tenant_id}"), module, path });
        };
        if !range.matches(&package.manifest.version) {
            return Err(ResolveError::Version {
                who: format!("tenant {tenant_id}"),
                module: package.id.to_string(),
                range: range.to_string(),
                version: package.manifest.version.to_string(),
                path,
            });
        }
        wanted.push((package.id.clone(), "named by the tenant".to_string()));
    }
    let mut set = BTreeMap::new();
    // Reasons of direct choices win over "required by": push them last so they pop first.
    wanted.reverse();
    closure(project, &wanted, &mut set)?;
    check_conflicts(project, tenant_id, &set)?;
    set.insert(tenant.layer(), "the tenant's own overlay".to_string());
    let layers = order_layers(project, set.keys().cloned())?;
    Ok(Resolution { tenant: tenant_id.to_string(), layers, reasons: set })
}
