//! PostgreSQL: the SQL for each change (plan.rs) and reading a live schema back into the model
//! (inspect.rs).

mod inspect;
mod plan;

pub use inspect::inspect;
pub use plan::steps;

use crate::schema::{Constraint, Table};

/// PostgreSQL's reserved key words (the "reserved" column of its key word appendix): the names
/// that must be quoted.
#[rustfmt::skip]
pub const KEYWORDS: &[&str] = &[
    "ALL", "ANALYSE", "ANALYZE", "AND", "ANY", "ARRAY", "AS", "ASC", "ASYMMETRIC", "AUTHORIZATION", "BINARY", "BOTH",
    "CASE", "CAST", "CHECK", "COLLATE", "COLLATION", "COLUMN", "CONCURRENTLY", "CONSTRAINT", "CREATE", "CROSS",
    "CURRENT_CATALOG", "CURRENT_DATE", "CURRENT_ROLE", "CURRENT_SCHEMA", "CURRENT_TIME", "CURRENT_TIMESTAMP",
    "CURRENT_USER", "DEFAULT", "DEFERRABLE", "DESC", "DISTINCT", "DO", "ELSE", "END", "EXCEPT", "FALSE", "FETCH", "FOR",
    "FOREIGN", "FREEZE", "FROM", "FULL", "GRANT", "GROUP", "HAVING", "ILIKE", "IN", "INITIALLY", "INNER", "INTERSECT",
    "INTO", "IS", "ISNULL", "JOIN", "LATERAL", "LEADING", "LEFT", "LIKE", "LIMIT", "LOCALTIME", "LOCALTIMESTAMP",
    "NATURAL", "NOT", "NOTNULL", "NULL", "OFFSET", "ON", "ONLY", "OR", "ORDER", "OUTER", "OVERLAPS", "PLACING",
    "PRIMARY", "REFERENCES", "RETURNING", "RIGHT", "SELECT", "SESSION_USER", "SIMILAR", "SOME", "SYMMETRIC",
    "SYSTEM_USER", "TABLE", "TABLESAMPLE", "THEN", "TO", "TRAILING", "TRUE", "UNION", "UNIQUE", "USER", "USING",
    "VARIADIC", "VERBOSE", "WHEN", "WHERE", "WINDOW", "WITH",
];

/// The name PostgreSQL gives a constraint created without one. Strata writes unnamed constraints
/// without a name too, and reads these names back as "unnamed", so both sides agree.
pub fn default_constraint_name(table: &Table, constraint: &Constraint) -> String {
    let t = &table.name;
    match constraint {
        Constraint::PrimaryKey(_) => format!("{t}_pkey"),
        Constraint::Unique(u) => format!("{t}_{}_key", u.columns.join("_")),
        Constraint::ForeignKey(fk) => format!("{t}_{}_fkey", fk.columns.join("_")),
        Constraint::Check(check) => {
            // One referenced column names the check after it; otherwise just the table.
            let words: Vec<&str> = check.expr.split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
            let mentioned: Vec<&str> =
                table.columns.iter().map(|c| c.name.as_str()).filter(|name| words.contains(name)).collect();
            match mentioned.as_slice() {
                [one] => format!("{t}_{one}_check"),
                _ => format!("{t}_check"),
            }
        }
    }
}

/// A constraint named what PostgreSQL would have named it anyway is the same as an unnamed one:
/// the catalog cannot tell them apart, so neither does the model.
pub fn forget_default_names(table: &mut Table) {
    let snapshot = table.clone();
    let generated =
        |constraint: Constraint| constraint.name() == Some(default_constraint_name(&snapshot, &constraint).as_str());
    if let Some(pk) = &mut table.primary_key {
        if generated(Constraint::PrimaryKey(pk.clone())) {
            pk.name = None;
        }
    }
    for unique in &mut table.uniques {
        if generated(Constraint::Unique(unique.clone())) {
            unique.name = None;
        }
    }
    for check in &mut table.checks {
        if generated(Constraint::Check(check.clone())) {
            check.name = None;
        }
    }
    for fk in &mut table.foreign_keys {
        if generated(Constraint::ForeignKey(fk.clone())) {
            fk.name = None;
        }
    }
}
