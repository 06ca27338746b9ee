//! Merkle hashes of a schema (DESIGN §5): one leaf per object of the normalised model, leaves in
//! key order, one root for the whole schema. Column order is not part of a table's meaning, so
//! columns hash in name order.

use sha2::{Digest, Sha256};

use super::model::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Leaves `(key, hash)` sorted by key. Extensions are not leaves: they are the database's, shared
/// by every tenant schema in it, so no tenant's schema can be said to have or lack one.
pub fn leaves(schema: &Schema) -> Vec<(String, String)> {
    let mut leaves = Vec::new();
    for table in schema.tables.values() {
        let mut columns = table.columns.clone();
        columns.sort_by(|a, b| a.name.cmp(&b.name));
        let mut constrained = table.clone();
        constrained.columns = columns;
        constrained.indexes = Vec::new();
        constrained.uniques.sort();
        constrained.checks.sort();
        constrained.foreign_keys.sort();
        leaves.push((format!("table:{}", table.name), hex(&Sha256::digest(format!("{constrained:?}")))));
        for index in &table.indexes {
            leaves.push((format!("index:{}", index.name), hex(&Sha256::digest(format!("{}:{index:?}", table.name)))));
        }
    }
    for (name, labels) in &schema.enums {
        leaves.push((format!("enum:{name}"), hex(&Sha256::digest(format!("{labels:?}")))));
    }
    for sequence in schema.sequences.values() {
        leaves.push((format!("sequence:{}", sequence.name), hex(&Sha256::digest(format!("{sequence:?}")))));
    }
    for view in schema.views.values() {
        leaves.push((format!("view:{}", view.name), hex(&Sha256::digest(format!("{view:?}")))));
    }
    for (name, domain) in &schema.domains {
        leaves.push((format!("domain:{name}"), hex(&Sha256::digest(format!("{domain:?}")))));
    }
    for (key, aggregate) in &schema.aggregates {
        leaves.push((format!("aggregate:{key}"), hex(&Sha256::digest(format!("{aggregate:?}")))));
    }
    for (key, function) in &schema.functions {
        leaves.push((format!("function:{key}"), hex(&Sha256::digest(format!("{function:?}")))));
    }
    for (key, trigger) in &schema.triggers {
        leaves.push((format!("trigger:{key}"), hex(&Sha256::digest(format!("{trigger:?}")))));
    }
    for (name, statistics) in &schema.statistics {
        leaves.push((format!("statistics:{name}"), hex(&Sha256::digest(format!("{statistics:?}")))));
    }
    leaves.sort();
    leaves
}

/// The root over all leaves.
pub fn root(schema: &Schema) -> String {
    let mut hasher = Sha256::new();
    for (key, hash) in leaves(schema) {
        hasher.update(key.as_bytes());
        hasher.update(b"\0");
        hasher.update(hash.as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}
