//! MySQL and MariaDB: the SQL for each change (plan.rs), reading a live database back into the
//! model (inspect.rs), and what the engine does to a table on its own (normalize_table).

mod inspect;
mod plan;

pub use inspect::inspect;
use strata_core::Dialect;
use strata_schema::{Engine, Index, Table};

/// MySQL and MariaDB: its table rules for the model and its planner.
pub struct Mysql;

impl Engine for Mysql {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn normalize_table(&self, table: &mut Table) {
        normalize_table(table)
    }
}

/// What MariaDB does to a table, applied to the model after every statement so that declared
/// and introspected schemas agree and every constraint has the name a later DROP needs:
/// - the primary key is always named PRIMARY (the model leaves it unnamed);
/// - a unique constraint is a unique index, named after its first column unless named;
/// - a foreign key without an index starting with its columns gets one, named after the
///   constraint if it was named, else after its first column;
/// - an unnamed foreign key is `<table>_ibfk_<n>`, an unnamed table check `CONSTRAINT_<n>`
///   (a column's own check is named after the column, see the interpreter).
fn normalize_table(table: &mut Table) {
    if let Some(pk) = &mut table.primary_key {
        pk.name = None;
    }
    for unique in std::mem::take(&mut table.uniques) {
        let name = unique.name.unwrap_or_else(|| free_index_name(table, &unique.columns[0]));
        table.indexes.push(Index::new(&name, unique.columns, true));
    }
    for fk in table.foreign_keys.clone() {
        let covers =
            |columns: &[String]| columns.len() >= fk.columns.len() && columns[..fk.columns.len()] == fk.columns[..];
        let covered = table.primary_key.as_ref().is_some_and(|pk| covers(&pk.columns))
            || table.indexes.iter().any(|i| covers(&i.columns));
        if !covered {
            let name = fk.name.clone().unwrap_or_else(|| free_index_name(table, &fk.columns[0]));
            table.indexes.push(Index::new(&name, fk.columns.clone(), false));
        }
    }
    let prefix = format!("{}_ibfk_", table.name);
    let mut next_fk = table
        .foreign_keys
        .iter()
        .filter_map(|fk| fk.name.as_deref()?.strip_prefix(&prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    for fk in table.foreign_keys.iter_mut().filter(|fk| fk.name.is_none()) {
        next_fk += 1;
        fk.name = Some(format!("{prefix}{next_fk}"));
    }
    for index in 0..table.checks.len() {
        if table.checks[index].name.is_none() {
            let taken = |name: &str| table.checks.iter().any(|c| c.name.as_deref() == Some(name));
            let name = (1..)
                .map(|n| format!("CONSTRAINT_{n}"))
                .find(|n| !taken(n))
                .expect("an unbounded range has a free name");
            table.checks[index].name = Some(name);
        }
    }
}
/// MySQL names an unnamed key after its first column, then `<column>_2`, `<column>_3`...
fn free_index_name(table: &Table, column: &str) -> String {
    let taken = |name: &str| table.indexes.iter().any(|i| i.name == name);
    if !taken(column) {
        return column.to_string();
    }
    (2..).map(|n| format!("{column}_{n}")).find(|name| !taken(name)).expect("an unbounded range has a free name")
}

impl crate::plan::Planner for Mysql {
    fn steps(&self, change: &strata_schema::Change) -> Result<Vec<crate::plan::Step>, crate::plan::PlanError> {
        plan::steps(change)
    }
}
