//! Which layers a tenant is made of, and in what order.
//!
//! A tenant's module set is chosen by a SAT solver over released versions ([`solver`]); the
//! layers are then ordered by Kahn's algorithm (`strata_core::order`). Generating a layer's own migrations
//! uses [`layer_closure`]: what the layer's newest version requires, at its newest versions.

pub mod graph;
pub mod solver;

use std::collections::{BTreeMap, BTreeSet};

use strata_core::order::kahn_order;

use crate::project::{LayerId, LayerKind, Project};

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{path}: tenant '{tenant}' uses template '{template}', which does not exist (no templates/{template}/template.yaml)")]
    UnknownTemplate { tenant: String, template: String, path: String },
    #[error("{path}: {who} needs module '{module}', which does not exist (no modules/{module}/module.yaml)")]
    UnknownModule { who: String, module: String, path: String },
    #[error("{path}: {who} requires {module} {range}, but {module} is version {version}")]
    Version { who: String, module: String, range: String, version: String, path: String },
    #[error("{path}: tenant {tenant} has no valid set of modules:\n{report}")]
    Unsolvable { tenant: String, path: String, report: String },
    #[error("dependency cycle: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" requires "))]
    Cycle(Vec<LayerId>),
}

/// A tenant's layers in application order, the version chosen for each template and module, the
/// last migration of each layer the tenant receives (for a version below the newest), and why
/// each layer is there.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub tenant: String,
    pub layers: Vec<LayerId>,
    pub versions: BTreeMap<LayerId, semver::Version>,
    pub limits: BTreeMap<LayerId, u32>,
    pub reasons: BTreeMap<LayerId, String>,
}

/// The layer a `requires:` key points at: `template.<name>` or a module name.
pub fn required_layer(key: &str) -> LayerId {
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
    kahn_order(&edges).map_err(ResolveError::Cycle)
}

/// A template or module and everything it transitively requires, in order: the layers its SQL
/// may build on.
pub fn layer_closure(project: &Project, id: &LayerId) -> Result<Vec<LayerId>, ResolveError> {
    let mut set = BTreeMap::new();
    closure(project, &[(id.clone(), "itself".to_string())], &mut set)?;
    order_layers(project, set.into_keys())
}

/// The layers of one tenant (see [`resolve_tenant_with`]), with a solver of its own.
pub fn resolve_tenant(project: &Project, tenant_id: &str) -> Result<Resolution, ResolveError> {
    resolve_tenant_with(project, &solver::Resolver::of(project), tenant_id)
}

/// The layers of one tenant: its template, the template's modules, its own modules with the
/// ranges it allows, everything they require, one version each as the solver chooses, and its
/// own overlay last. Pass one [`solver::Resolver`] for a whole fleet: identical inputs are solved
/// once.
pub fn resolve_tenant_with(
    project: &Project,
    resolver: &solver::Resolver,
    tenant_id: &str,
) -> Result<Resolution, ResolveError> {
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
    let mut wants: solver::Wants = vec![(template.id.clone(), semver::VersionReq::STAR)];
    let mut named = Vec::new();
    for module in &template.manifest.modules {
        if !project.modules.contains_key(module) {
            return Err(ResolveError::UnknownModule {
                who: template.id.to_string(),
                module: module.clone(),
                path: template.manifest_path.clone(),
            });
        }
        wants.push((LayerId::module(module), semver::VersionReq::STAR));
    }
    for (module, range) in tenant.manifest.modules.entries() {
        if !project.modules.contains_key(&module) {
            return Err(ResolveError::UnknownModule { who: format!("tenant {tenant_id}"), module, path });
        }
        named.push(LayerId::module(&module));
        wants.push((LayerId::module(&module), range));
    }
    check_requirements_exist(project)?;
    let chosen = resolver.solve(&wants).map_err(|report| {
        let report = with_files(project, &report);
        ResolveError::Unsolvable { tenant: tenant_id.to_string(), path, report }
    })?;
    let mut reasons = BTreeMap::new();
    for layer in chosen.keys() {
        let reason = if *layer == template.id {
            "the tenant's template".to_string()
        } else if named.contains(layer) {
            "named by the tenant".to_string()
        } else if template.manifest.modules.contains(&layer.name) {
            format!("every tenant of {} gets it", template.id)
        } else {
            let by =
                chosen.iter().find(|(_, c)| c.requires.iter().any(|(r, _)| r == layer)).map(|(l, _)| l.to_string());
            format!("required by {}", by.unwrap_or_else(|| "a chosen layer".to_string()))
        };
        reasons.insert(layer.clone(), reason);
    }
    reasons.insert(tenant.layer(), "the tenant's own overlay".to_string());
    let edges: BTreeMap<LayerId, BTreeSet<LayerId>> = chosen
        .iter()
        .map(|(layer, candidate)| {
            (
                layer.clone(),
                candidate.requires.iter().map(|(r, _)| r.clone()).filter(|r| chosen.contains_key(r)).collect(),
            )
        })
        .chain(std::iter::once((tenant.layer(), chosen.keys().cloned().collect())))
        .collect();
    let layers = kahn_order(&edges).map_err(ResolveError::Cycle)?;
    let versions = chosen.iter().map(|(l, c)| (l.clone(), c.version.clone())).collect();
    let limits = chosen.iter().filter_map(|(l, c)| Some((l.clone(), c.upto?))).collect();
    Ok(Resolution { tenant: tenant_id.to_string(), layers, versions, limits, reasons })
}

/// The solver's report, followed by the files that declare what it speaks of.
fn with_files(project: &Project, report: &str) -> String {
    let mut files = Vec::new();
    for package in project.packages() {
        let named = report.split(|c: char| c.is_whitespace() || c == ',').any(|w| w == package.id.to_string());
        if named {
            files.push(package.manifest_path.clone());
            if !package.releases.is_empty() {
                files.push(package.releases_path());
            }
        }
    }
    if files.is_empty() {
        report.to_string()
    } else {
        format!("{}\nDeclared in: {}", report.trim_end(), files.join(", "))
    }
}

/// Every `requires:` names a template or module that exists, so that an unknown name is reported
/// against the file that wrote it rather than as "no candidates" deep in a solver report.
fn check_requirements_exist(project: &Project) -> Result<(), ResolveError> {
    for package in project.packages() {
        for (dep, _) in requirements(project, &package.id) {
            if project.package(&dep).is_none() {
                return Err(ResolveError::UnknownModule {
                    who: package.id.to_string(),
                    module: dep.name,
                    path: package.manifest_path.clone(),
                });
            }
        }
    }
    Ok(())
}
