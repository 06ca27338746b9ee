//! SQLite's SQL for each change. SQLite's ALTER TABLE can add a plain column, drop an
//! unconstrained one and rename; everything else goes through the documented 12-step rebuild
//! (create the new table, copy, drop, rename, recreate indexes), which the executor runs with
//! foreign-key enforcement off and a `foreign_key_check` before commit.

use std::collections::BTreeSet;

use crate::ddl::{self, AlterTable};
use crate::plan::{postgres_only, postgres_only_changes, Hazard, PlanError, Step};
use crate::sql::{self, step};
use strata_core::Dialect;
use strata_schema::{normalize, Change, Column, Index, Table, TableChange};

const D: Dialect = Dialect::Sqlite;

fn column_sql(table: &Table, column: &Column) -> String {
    let mut sql = format!("{} {}{}", D.ident(&column.name), column.data_type, sql::column_extras(D, column));
    if inline_primary_key(table).is_some_and(|c| c == column.name) {
        sql.push_str(" PRIMARY KEY");
        if column.autoincrement {
            sql.push_str(" AUTOINCREMENT");
        }
    }
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        sql.push_str(&format!(" DEFAULT {}", default_sql(default)));
    }
    sql
}

/// SQLite takes a literal or CURRENT_* bare; any other default expression in parentheses.
fn default_sql(default: &str) -> String {
    if normalize::is_literal(default) || is_current_time(default) {
        default.to_string()
    } else {
        format!("({default})")
    }
}

fn is_current_time(default: &str) -> bool {
    matches!(default.to_ascii_uppercase().as_str(), "CURRENT_TIME" | "CURRENT_DATE" | "CURRENT_TIMESTAMP")
}

/// A single-column unnamed primary key is written on its column (AUTOINCREMENT requires it).
fn inline_primary_key(table: &Table) -> Option<&str> {
    match &table.primary_key {
        Some(pk) if pk.name.is_none() && pk.columns.len() == 1 => Some(pk.columns[0].as_str()),
        _ => None,
    }
}

fn create_table_sql(table: &Table, name: &str) -> String {
    let columns = table.columns.iter().map(|c| column_sql(table, c)).collect();
    sql::create_table_sql(D, table, name, columns, inline_primary_key(table).is_some())
}

fn create_index_sql(table: &str, index: &Index) -> String {
    sql::create_index_sql(D, table, index)
}

pub fn steps(change: &Change) -> Result<Vec<Step>, PlanError> {
    Ok(match change {
        Change::CreateTable(table) => {
            let mut sql = vec![create_table_sql(table, &table.name)];
            sql.extend(table.indexes.iter().map(|i| create_index_sql(&table.name, i)));
            vec![step(format!("create table {}", table.name), sql.join("\n"), &[])]
        }
        Change::DropTable(table) => {
            vec![step(format!("drop table {}", table.name), ddl::drop(D, "TABLE", &table.name), &[Hazard::Destructive])]
        }
        Change::RenameTable { from, to, .. } => vec![sql::rename_table_step(D, from, to)],
        Change::RenameColumn { table, from, to, .. } => vec![sql::rename_column_step(D, table, from, to)],
        Change::AlterTable { from, to, changes } => {
            if changes.iter().all(|c| natively_alterable(from, to, c)) {
                changes.iter().map(|c| native_step(&to.name, c)).collect()
            } else {
                vec![rebuild(from, to, changes)]
            }
        }
        Change::CreateView(view) => vec![sql::create_view_step(D, view)],
        Change::DropView(view) => vec![sql::drop_view_step(D, view)],
        postgres_only_changes!() => return Err(postgres_only(D)),
    })
}

/// Whether `ALTER TABLE` (or CREATE/DROP INDEX) can do this change in place.
fn natively_alterable(from: &Table, to: &Table, change: &TableChange) -> bool {
    match change {
        TableChange::CreateIndex(_) | TableChange::DropIndex(_) | TableChange::RenameIndex { .. } => true,
        // SQLite refuses to drop a column that a key, index or constraint names. Index drops run
        // first, so only the indexes that stay count; keys and checks are unchanged here, or the
        // change list holds a constraint change and the table is rebuilt anyway.
        TableChange::DropColumn(column) => {
            let mut remaining = from.clone();
            remaining.indexes.retain(|i| to.index(&i.name) == Some(i));
            !remaining.column_is_constrained(&column.name)
        }
        // ADD COLUMN: no PRIMARY KEY, NOT NULL only with a default, and the default a constant.
        TableChange::AddColumn(column) => {
            let constant_default = column.default.as_deref().is_none_or(normalize::is_literal);
            // ... and no STORED generated column.
            let stored = column.generated.as_ref().is_some_and(|g| g.stored);
            !column.autoincrement && (column.nullable || column.default.is_some()) && constant_default && !stored
        }
        TableChange::ModifyColumn { .. } | TableChange::AddConstraint(_) | TableChange::DropConstraint(_) => false,
        // SQLite keeps no comments: the interpreter refuses them, so none reaches here.
        TableChange::SetComment(_) => true,
    }
}

fn native_step(table: &str, change: &TableChange) -> Step {
    match change {
        TableChange::AddColumn(column) => {
            let sql = AlterTable::new(D, table).add_column(&column_sql(&Table::new(table), column)).statement();
            step(format!("add column {table}.{}", column.name), sql, &[])
        }
        TableChange::DropColumn(column) => step(
            format!("drop column {table}.{}", column.name),
            AlterTable::new(D, table).drop_column(&column.name).statement(),
            &[Hazard::Destructive],
        ),
        TableChange::CreateIndex(index) => {
            let hazards: &[Hazard] = if index.unique { &[Hazard::DataDependent] } else { &[] };
            step(format!("create index {} on {table}", index.name), create_index_sql(table, index), hazards)
        }
        // SQLite has no RENAME INDEX.
        TableChange::RenameIndex { from, to } => step(
            format!("rename index {from} to {}", to.name),
            format!("{}\n{}", ddl::drop(D, "INDEX", from), create_index_sql(table, to)),
            &[],
        ),
        TableChange::DropIndex(index) => {
            step(format!("drop index {}", index.name), ddl::drop(D, "INDEX", &index.name), &[])
        }
        TableChange::ModifyColumn { .. } | TableChange::AddConstraint(_) | TableChange::DropConstraint(_) => {
            unreachable!("natively_alterable() sends these to rebuild()")
        }
        TableChange::SetComment(_) => {
            step(format!("comment on table {table}"), "-- SQLite keeps no comments".into(), &[])
        }
    }
}

/// The 12-step procedure of https://sqlite.org/lang_altertable.html#otheralter, steps 4-9.
fn rebuild(from: &Table, to: &Table, changes: &[TableChange]) -> Step {
    let temp = format!("_strata_new_{}", to.name);
    // Generated columns compute themselves; they cannot be inserted into.
    let common: Vec<String> = to
        .columns
        .iter()
        .filter(|c| c.generated.is_none() && from.column(&c.name).is_some())
        .map(|c| D.ident(&c.name))
        .collect();
    let mut sql = vec![
        create_table_sql(to, &temp),
        format!(
            "INSERT INTO {} ({cols}) SELECT {cols} FROM {};",
            D.ident(&temp),
            D.ident(&from.name),
            cols = common.join(", ")
        ),
        ddl::drop(D, "TABLE", &from.name),
        // Views and triggers that read the table stay as they are: the legacy rename leaves
        // their text alone instead of checking it against a table that is briefly gone.
        "PRAGMA legacy_alter_table = 1;".to_string(),
        AlterTable::new(D, &temp).rename_to(&to.name).statement(),
        "PRAGMA legacy_alter_table = 0;".to_string(),
    ];
    sql.extend(to.indexes.iter().map(|i| create_index_sql(&to.name, i)));
    let mut hazards = BTreeSet::from([Hazard::Rewrite]);
    for change in changes {
        match change {
            TableChange::DropColumn(_) => {
                hazards.insert(Hazard::Destructive);
            }
            TableChange::ModifyColumn { from, to } => {
                if from.data_type != to.data_type {
                    hazards.insert(Hazard::Destructive);
                }
                if from.nullable && !to.nullable {
                    hazards.insert(Hazard::DataDependent);
                }
            }
            TableChange::AddColumn(column) if !column.nullable && column.default.is_none() => {
                hazards.insert(Hazard::DataDependent);
            }
            TableChange::AddConstraint(_) => {
                hazards.insert(Hazard::DataDependent);
            }
            TableChange::CreateIndex(index) if index.unique => {
                hazards.insert(Hazard::DataDependent);
            }
            TableChange::AddColumn(_)
            | TableChange::CreateIndex(_)
            | TableChange::DropIndex(_)
            | TableChange::RenameIndex { .. }
            | TableChange::DropConstraint(_)
            | TableChange::SetComment(_) => {}
        }
    }
    Step { summary: format!("rebuild table {} ({} changes)", to.name, changes.len()), sql: sql.join("\n"), hazards }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_schema::interpret::{Interpreter, Mode};
    use strata_schema::parse::parse_statements;
    use strata_schema::{diff, Schema};

    fn schema(sql: &str) -> Schema {
        let interpreter = Interpreter::new(crate::engine(D), Mode::Replay);
        let mut schema = Schema::default();
        for located in parse_statements(D, sql).unwrap() {
            interpreter.apply(&mut schema, &located.statement).unwrap();
        }
        schema
    }

    /// Planning a -> b and replaying the SQL on a gives b: the generated SQL means what the diff says.
    fn assert_round_trip(a: &str, b: &str) -> Vec<Step> {
        let (from, to) = (schema(a), schema(b));
        let steps = steps_for(&from, &to);
        let sql: Vec<String> = steps.iter().map(|s| s.sql.clone()).collect();
        let replayed = schema(&format!("{a}\n{}", sql.join("\n")));
        assert!(diff(&replayed, &to).is_empty(), "replay of\n{}\ndiffers: {:?}", sql.join("\n"), diff(&replayed, &to));
        steps
    }

    fn steps_for(from: &Schema, to: &Schema) -> Vec<Step> {
        crate::plan::plan(D, &diff(from, to)).unwrap()
    }

    #[test]
    fn plain_changes_use_native_alter() {
        let steps = assert_round_trip(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\nCREATE INDEX t_a ON t (a);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER NOT NULL DEFAULT 0);\nCREATE INDEX t_b ON t (b);",
        );
        let sql: Vec<&str> = steps.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            sql,
            ["DROP INDEX t_a;", "ALTER TABLE t ADD COLUMN b INTEGER NOT NULL DEFAULT 0;", "CREATE INDEX t_b ON t (b);"]
        );
        assert!(steps.iter().all(|s| s.hazards.is_empty()));
    }

    #[test]
    fn an_indexed_column_dropped_with_its_index_needs_no_rebuild() {
        let steps = assert_round_trip(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\nCREATE INDEX t_a ON t (a);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        );
        let sql: Vec<&str> = steps.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sql, ["DROP INDEX t_a;", "ALTER TABLE t DROP COLUMN a;"]);
    }

    #[test]
    fn type_changes_rebuild_the_table_and_say_so() {
        let steps = assert_round_trip(
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);\nCREATE INDEX t_a ON t (a);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER NOT NULL);\nCREATE INDEX t_a ON t (a);",
        );
        assert_eq!(steps.len(), 1);
        assert!(steps[0].sql.starts_with("CREATE TABLE _strata_new_t"));
        let hazards: Vec<Hazard> = steps[0].hazards.iter().copied().collect();
        assert_eq!(hazards, [Hazard::Destructive, Hazard::Rewrite, Hazard::DataDependent]);
    }

    #[test]
    fn dropping_tables_and_constrained_columns_is_destructive() {
        let steps = assert_round_trip(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT, y TEXT);\nCREATE INDEX a_x ON a (x);\nCREATE TABLE b (id INTEGER);",
            "CREATE TABLE a (id INTEGER PRIMARY KEY, y TEXT);",
        );
        assert!(steps.iter().all(|s| s.hazards.contains(&Hazard::Destructive) || s.summary.starts_with("drop index")));
        assert!(steps.iter().any(|s| s.sql == "DROP TABLE b;"));
    }

    #[test]
    fn create_table_renders_every_constraint() {
        let steps = assert_round_trip(
            "",
            "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE \"Order\" (a INTEGER, b TEXT, PRIMARY KEY (a, b), \
             CONSTRAINT b_u UNIQUE (b), CHECK (a > 0), FOREIGN KEY (a) REFERENCES p (id) ON DELETE CASCADE);",
        );
        assert!(steps[1].sql.contains("CREATE TABLE \"Order\""), "{}", steps[1].sql);
    }
}
