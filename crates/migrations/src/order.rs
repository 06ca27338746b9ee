//! A tenant's migrations as a DAG (DESIGN §2): each depends on the previous one of its layer and on
//! the migrations its header requires; Kahn's order with ties broken by (layer kind, layer name,
//! sequence). The order is a pure function of the repository at a commit.

use std::collections::{BTreeMap, BTreeSet};

use super::{Migration, MigrationError, MigrationKey};
use strata_core::order::kahn_order;
use strata_project::project::LayerId;

/// All migrations of `layers` (for a layer in `limits`, those up to that sequence: the release a
/// tenant is on), in application order.
pub fn dag_order<'m>(
    layers: &[LayerId],
    migrations: &'m BTreeMap<LayerId, Vec<Migration>>,
    limits: &BTreeMap<LayerId, u32>,
) -> Result<Vec<&'m Migration>, MigrationError> {
    let mut by_key: BTreeMap<&MigrationKey, &Migration> = BTreeMap::new();
    for layer in layers {
        let limit = limits.get(layer).copied().unwrap_or(u32::MAX);
        for migration in migrations.get(layer).into_iter().flatten().filter(|m| m.key.seq <= limit) {
            by_key.insert(&migration.key, migration);
        }
    }
    let mut edges: BTreeMap<&MigrationKey, BTreeSet<&MigrationKey>> = BTreeMap::new();
    for (key, migration) in &by_key {
        let mut deps = BTreeSet::new();
        if key.seq > 1 {
            let previous = MigrationKey { layer: key.layer.clone(), seq: key.seq - 1 };
            deps.insert(by_key.get_key_value(&previous).map(|(k, _)| *k).expect("layers have no gaps"));
        }
        for required in &migration.requires {
            let Some((dep, _)) = by_key.get_key_value(required) else {
                let why = if limits.get(&required.layer).is_some_and(|limit| required.seq > *limit) {
                    format!("is newer than the version of {} this tenant is on", required.layer)
                } else if layers.contains(&required.layer) {
                    "does not exist at this commit".to_string()
                } else {
                    format!("belongs to {}, a layer this tenant does not have", required.layer)
                };
                return Err(MigrationError::Requirement { id: migration.id(), required: required.to_string(), why });
            };
            deps.insert(*dep);
        }
        edges.insert(*key, deps);
    }
    let order = kahn_order(&edges).map_err(|cycle| {
        MigrationError::Cycle(cycle.iter().map(ToString::to_string).collect::<Vec<_>>().join(" requires "))
    })?;
    Ok(order.into_iter().map(|k| by_key[k]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(layer: &LayerId, seq: u32, requires: &[(LayerId, u32)]) -> Migration {
        let key = MigrationKey { layer: layer.clone(), seq };
        let mut m = Migration::from_up_file(key, "x", "p", String::new(), None).unwrap();
        m.requires = requires.iter().map(|(l, s)| MigrationKey { layer: l.clone(), seq: *s }).collect();
        m
    }

    #[test]
    fn requirements_pull_migrations_of_other_layers_forward() {
        let (t, a, b) = (LayerId::template("party"), LayerId::module("a"), LayerId::module("b"));
        let mut all = BTreeMap::new();
        all.insert(t.clone(), vec![migration(&t, 1, &[]), migration(&t, 2, &[(b.clone(), 1)])]);
        all.insert(a.clone(), vec![migration(&a, 1, &[(t.clone(), 2)])]);
        all.insert(b.clone(), vec![migration(&b, 1, &[(t.clone(), 1)])]);
        let order: Vec<String> = dag_order(&[t.clone(), a.clone(), b.clone()], &all, &BTreeMap::new())
            .unwrap()
            .iter()
            .map(|m| m.key.to_string())
            .collect();
        assert_eq!(order, ["template.party/0001", "module.b/0001", "template.party/0002", "module.a/0001"]);
    }

    #[test]
    fn a_requirement_outside_the_tenant_is_an_error() {
        let (t, a) = (LayerId::template("party"), LayerId::module("a"));
        let mut all = BTreeMap::new();
        all.insert(t.clone(), vec![migration(&t, 1, &[(a.clone(), 1)])]);
        let err = dag_order(&[t], &all, &BTreeMap::new()).unwrap_err();
        assert!(err.to_string().contains("a layer this tenant does not have"), "{err}");
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    #[test]
    fn a_limit_stops_a_layer_at_its_release_and_names_a_requirement_beyond_it() {
        let (t, a) = (LayerId::template("party"), LayerId::module("a"));
        let m = |layer: &LayerId, seq: u32, requires: Vec<MigrationKey>| {
            let mut m =
                Migration::from_up_file(MigrationKey { layer: layer.clone(), seq }, "x", "p", String::new(), None)
                    .unwrap();
            m.requires = requires;
            m
        };
        let mut all = BTreeMap::new();
        all.insert(t.clone(), vec![m(&t, 1, vec![]), m(&t, 2, vec![]), m(&t, 3, vec![])]);
        all.insert(a.clone(), vec![m(&a, 1, vec![MigrationKey { layer: t.clone(), seq: 1 }])]);
        let limits = BTreeMap::from([(t.clone(), 1)]);
        let order: Vec<String> =
            dag_order(&[t.clone(), a.clone()], &all, &limits).unwrap().iter().map(|m| m.key.to_string()).collect();
        assert_eq!(order, ["template.party/0001", "module.a/0001"]);
        all.insert(a.clone(), vec![m(&a, 1, vec![MigrationKey { layer: t.clone(), seq: 3 }])]);
        let err = dag_order(&[t, a], &all, &limits).unwrap_err();
        assert!(err.to_string().contains("is newer than the version of template.party this tenant is on"), "{err}");
    }
}
