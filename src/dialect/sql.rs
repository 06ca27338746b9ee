//! DDL text every engine writes the same way, parameterised by the dialect's quoting.

use std::collections::BTreeSet;

use super::plan::{Hazard, Step};
use super::Dialect;
use crate::schema::{Constraint, Index, Table};

/// Key or index parts: names quoted as needed, expressions as they are, ` DESC` kept.
pub fn list(d: Dialect, parts: &[String]) -> String {
    parts.iter().map(|p| index_part(d, p)).collect::<Vec<_>>().join(", ")
}

fn index_part(d: Dialect, part: &str) -> String {
    let (body, desc) = match part.strip_suffix(" DESC") {
        Some(body) => (body, " DESC"),
        None => (part, ""),
    };
    if body.chars().all(|c| c.is_alphanumeric() || c == '_') {
        format!("{}{desc}", d.ident(body))
    } else {
        format!("{body}{desc}")
    }
}

fn named(d: Dialect, name: Option<&str>) -> String {
    name.map(|n| format!("CONSTRAINT {} ", d.ident(n))).unwrap_or_default()
}

/// A table constraint as written in CREATE TABLE or after `ALTER TABLE ... ADD`.
pub fn constraint_sql(d: Dialect, constraint: &Constraint) -> String {
    let name = named(d, constraint.name());
    match constraint {
        Constraint::PrimaryKey(pk) => format!("{name}PRIMARY KEY ({})", list(d, &pk.columns)),
        Constraint::Unique(u) => format!("{name}UNIQUE ({})", list(d, &u.columns)),
        Constraint::Check(c) => format!("{name}CHECK ({})", c.expr),
        Constraint::ForeignKey(fk) => {
            let mut sql = format!(
                "{name}FOREIGN KEY ({}) REFERENCES {} ({})",
                list(d, &fk.columns),
                d.ident(&fk.ref_table),
                list(d, &fk.ref_columns)
            );
            if let Some(action) = &fk.on_delete {
                sql.push_str(&format!(" ON DELETE {action}"));
            }
            if let Some(action) = &fk.on_update {
                sql.push_str(&format!(" ON UPDATE {action}"));
            }
            sql
        }
    }
}

/// `CREATE TABLE name (...)` from the dialect's column definitions; `inline_pk` says the primary
/// key is already written on its column.
pub fn create_table_sql(d: Dialect, table: &Table, name: &str, columns: Vec<String>, inline_pk: bool) -> String {
    let mut lines = columns;
    for constraint in table.constraints() {
        if !(inline_pk && matches!(constraint, Constraint::PrimaryKey(_))) {
            lines.push(constraint_sql(d, &constraint));
        }
    }
    format!("CREATE TABLE {} (\n  {}\n);", d.ident(name), lines.join(",\n  "))
}

pub fn create_index_sql(d: Dialect, table: &str, index: &Index) -> String {
    let mut sql = format!(
        "CREATE {}INDEX {} ON {} ({})",
        if index.unique { "UNIQUE " } else { "" },
        d.ident(&index.name),
        d.ident(table),
        list(d, &index.columns)
    );
    if let Some(predicate) = &index.predicate {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    sql.push(';');
    sql
}

pub fn step(summary: String, sql: String, hazards: &[Hazard]) -> Step {
    Step { summary, sql, hazards: hazards.iter().copied().collect::<BTreeSet<_>>() }
}
