//! DDL text every engine writes the same way, parameterised by the dialect's quoting.

use std::collections::BTreeSet;

use super::plan::{Hazard, Step};
use super::Dialect;
use crate::ddl::AlterTable;
use strata_schema::{default_constraint_name, Column, Constraint, Deferral, Identity, Index, Table, View};

/// Key or index parts: names quoted as needed, expressions as they are, ` DESC` kept.
pub fn list(d: Dialect, parts: &[String]) -> String {
    parts.iter().map(|p| index_part(d, p)).collect::<Vec<_>>().join(", ")
}

fn index_part(d: Dialect, part: &str) -> String {
    index_part_with(d, part, None)
}

/// A key part with its operator class: `expr opclass DESC NULLS LAST`.
fn index_part_with(d: Dialect, part: &str, opclass: Option<&str>) -> String {
    let mut body = part;
    let mut order = String::new();
    for suffix in [" NULLS FIRST", " NULLS LAST", " DESC"] {
        if let Some(rest) = body.strip_suffix(suffix) {
            order = format!("{suffix}{order}");
            body = rest;
        }
    }
    let opclass = opclass.map(|o| format!(" {}", d.ident(o))).unwrap_or_default();
    if body.chars().all(|c| c.is_alphanumeric() || c == '_') {
        format!("{}{opclass}{order}", d.ident(body))
    } else if let Some((column, length)) = prefix_part(d, body) {
        format!("{}({length}){order}", d.ident(column))
    } else {
        // An expression key part stands in parentheses of its own (MySQL 8 requires them; they
        // keep `id + 1` one key part everywhere).
        format!("({body}){opclass}{order}")
    }
}

/// MySQL's prefix key part `email(50)`: the column and the length.
fn prefix_part(d: Dialect, part: &str) -> Option<(&str, &str)> {
    if d != Dialect::Mysql {
        return None;
    }
    let (column, rest) = part.split_once('(')?;
    let length = rest.strip_suffix(')')?;
    let plain = !column.is_empty() && column.chars().all(|c| c.is_alphanumeric() || c == '_');
    (plain && !length.is_empty() && length.chars().all(|c| c.is_ascii_digit())).then_some((column, length))
}

/// An index's key parts, each with its operator class.
pub fn index_key(d: Dialect, index: &Index) -> String {
    let parts = index.columns.iter().enumerate();
    let parts = parts.map(|(i, part)| index_part_with(d, part, index.opclasses.get(i).and_then(|o| o.as_deref())));
    parts.collect::<Vec<_>>().join(", ")
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
            if fk.match_full {
                sql.push_str(" MATCH FULL");
            }
            if let Some(action) = &fk.on_delete {
                sql.push_str(&format!(" ON DELETE {action}"));
            }
            if let Some(action) = &fk.on_update {
                sql.push_str(&format!(" ON UPDATE {action}"));
            }
            match fk.deferrable {
                Some(Deferral::InitiallyImmediate) => sql.push_str(" DEFERRABLE"),
                Some(Deferral::InitiallyDeferred) => sql.push_str(" DEFERRABLE INITIALLY DEFERRED"),
                None => {}
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
    let method = index.method.as_ref().map(|m| format!(" USING {m}")).unwrap_or_default();
    let mut sql = format!(
        "CREATE {}INDEX {} ON {}{method} ({})",
        if index.unique { "UNIQUE " } else { "" },
        d.ident(&index.name),
        d.ident(table),
        index_key(d, index)
    );
    if !index.include.is_empty() {
        sql.push_str(&format!(" INCLUDE ({})", list(d, &index.include)));
    }
    if index.nulls_not_distinct {
        sql.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(predicate) = &index.predicate {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    sql.push(';');
    sql
}

/// `COMMENT ON <kind> <name> IS '...'` (PostgreSQL), `IS NULL` to remove it.
pub fn comment_sql(d: Dialect, kind: &str, name: &str, comment: Option<&str>) -> String {
    let text = comment.map(|c| d.quote_literal(c)).unwrap_or_else(|| "NULL".to_string());
    format!("COMMENT ON {kind} {name} IS {text};")
}

pub fn step(summary: String, sql: String, hazards: &[Hazard]) -> Step {
    Step { summary, sql, hazards: hazards.iter().copied().collect::<BTreeSet<_>>() }
}

/// A constraint named what the engine would have named it anyway is the same as an unnamed one:
/// the catalog cannot tell them apart, so neither does the model. `also_generated` recognises the
/// engine's other automatic names.
pub fn forget_default_names(table: &mut Table, also_generated: impl Fn(&str) -> bool) {
    let snapshot = table.clone();
    let generated = |constraint: Constraint| {
        constraint.name().is_some_and(|n| also_generated(n) || n == default_constraint_name(&snapshot, &constraint))
    };
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

/// What changing a column's type costs: widening a string or integer type keeps every value
/// (PostgreSQL widens a varchar in the catalog alone; anything else copies the table), any other
/// change may lose or reject data and rewrites the table.
pub fn type_change_hazards(d: Dialect, old: &str, new: &str) -> Vec<Hazard> {
    let (varchar, text, integers): (&str, &str, &[&str]) = match d {
        Dialect::Postgres => ("character varying", "text", &["smallint", "integer", "bigint"]),
        Dialect::Mysql => ("varchar", "text", &["tinyint", "smallint", "mediumint", "int", "bigint"]),
        Dialect::Sqlite => ("VARCHAR", "TEXT", &[]),
    };
    let length =
        |t: &str| -> Option<u64> { t.strip_prefix(varchar)?.strip_prefix('(')?.strip_suffix(')')?.parse().ok() };
    let widens_text = match (length(old), length(new)) {
        (Some(a), Some(b)) => b >= a,
        (Some(_), None) => new == varchar || new == text,
        _ => false,
    };
    let rank = |t: &str| integers.iter().position(|x| *x == t);
    let widens_integer = matches!((rank(old), rank(new)), (Some(a), Some(b)) if b > a);
    match (widens_text, widens_integer) {
        (true, _) if d == Dialect::Postgres => Vec::new(),
        (true, _) | (_, true) => vec![Hazard::Rewrite],
        _ => vec![Hazard::Destructive, Hazard::Rewrite],
    }
}

/// What follows a column's type: its collation, and how it is generated.
pub fn column_extras(d: Dialect, column: &Column) -> String {
    let mut sql = String::new();
    if let Some(collation) = &column.collation {
        sql.push_str(&format!(" COLLATE {}", d.ident(collation)));
    }
    if let Some(generated) = &column.generated {
        let kind = if generated.stored { "STORED" } else { "VIRTUAL" };
        sql.push_str(&format!(" GENERATED ALWAYS AS ({}) {kind}", generated.expr));
    }
    if let Some(identity) = column.identity {
        sql.push_str(identity_sql(identity));
    }
    sql
}

pub fn identity_sql(identity: Identity) -> &'static str {
    match identity {
        Identity::Always => " GENERATED ALWAYS AS IDENTITY",
        Identity::ByDefault => " GENERATED BY DEFAULT AS IDENTITY",
    }
}

/// A view holds no data of its own: making one anew loses nothing.
/// A view, and a materialized view's indexes with it.
pub fn create_view_step(d: Dialect, view: &View) -> Step {
    let kind = if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
    let mut sql = format!("CREATE {kind} {} AS {};", d.ident(&view.name), view.query);
    for index in &view.indexes {
        sql.push('\n');
        sql.push_str(&create_index_sql(d, &view.name, index));
    }
    if let Some(comment) = &view.comment {
        sql.push_str(&format!("\nCOMMENT ON {kind} {} IS {};", d.ident(&view.name), d.quote_literal(comment)));
    }
    step(format!("create view {}", view.name), sql, &[])
}

pub fn drop_view_step(d: Dialect, view: &View) -> Step {
    let kind = if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
    step(format!("drop view {}", view.name), crate::ddl::drop(d, kind, &view.name), &[])
}

/// `ALTER TABLE ... RENAME TO` (MySQL: `RENAME TABLE`).
pub fn rename_table_step(d: Dialect, from: &str, to: &str) -> Step {
    let sql = match d {
        Dialect::Mysql => format!("RENAME TABLE {} TO {};", d.ident(from), d.ident(to)),
        _ => AlterTable::new(d, from).rename_to(to).statement(),
    };
    step(format!("rename table {from} to {to}"), sql, &[])
}

pub fn rename_column_step(d: Dialect, table: &str, from: &str, to: &str) -> Step {
    step(
        format!("rename column {table}.{from} to {to}"),
        AlterTable::new(d, table).rename_column(from, to).statement(),
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_changes_are_judged_by_what_the_engine_does() {
        let pg = |a, b| type_change_hazards(Dialect::Postgres, a, b);
        assert_eq!(pg("character varying(10)", "character varying(20)"), []);
        assert_eq!(pg("character varying(10)", "text"), []);
        assert_eq!(pg("integer", "bigint"), [Hazard::Rewrite]);
        assert_eq!(pg("bigint", "integer"), [Hazard::Destructive, Hazard::Rewrite]);
        assert_eq!(pg("character varying(20)", "character varying(10)"), [Hazard::Destructive, Hazard::Rewrite]);
        assert_eq!(pg("text", "integer"), [Hazard::Destructive, Hazard::Rewrite]);
        let my = |a, b| type_change_hazards(Dialect::Mysql, a, b);
        assert_eq!(my("varchar(10)", "varchar(20)"), [Hazard::Rewrite]);
        assert_eq!(my("int", "bigint"), [Hazard::Rewrite]);
        assert_eq!(my("bigint", "int"), [Hazard::Destructive, Hazard::Rewrite]);
    }
}
