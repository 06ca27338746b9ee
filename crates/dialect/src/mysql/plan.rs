//! MySQL's SQL for each change. MySQL commits every DDL statement on its own, so all changes to
//! one table become one `ALTER TABLE` with several clauses: it either happens whole or not at all,
//! and a failed migration never leaves a table half-altered (foreign-key drops alone go first, in
//! a statement of their own, as MariaDB requires). Indexes live in CREATE TABLE as keys.
//! Constraints carry the names MariaDB gives them (see `normalize_table`), written out explicitly
//! so that a later migration can drop them by name.

use crate::ddl::{self, AlterTable};
use crate::plan::{postgres_only, postgres_only_changes, Hazard, PlanError, Step};
use crate::sql::{self, step};
use strata_core::Dialect;
use strata_schema::{normalize, Change, Column, Constraint, Index, Table, TableChange};

const D: Dialect = Dialect::Mysql;

fn column_sql(column: &Column) -> String {
    let mut sql = format!("{} {}{}", D.ident(&column.name), column.data_type, sql::column_extras(D, column));
    // MariaDB takes neither NOT NULL nor DEFAULT on a generated column.
    if column.generated.is_some() {
        return sql;
    }
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        // Literals and CURRENT_TIMESTAMP stand bare; other expressions need parentheses.
        if normalize::is_literal(default) || default == "CURRENT_TIMESTAMP" {
            sql.push_str(&format!(" DEFAULT {default}"));
        } else {
            sql.push_str(&format!(" DEFAULT ({default})"));
        }
    }
    // Only CURRENT_TIMESTAMP (with its precision) is allowed here, and bare.
    if let Some(on_update) = &column.on_update {
        sql.push_str(&format!(" ON UPDATE {on_update}"));
    }
    if column.autoincrement {
        sql.push_str(" AUTO_INCREMENT");
    }
    if let Some(comment) = &column.comment {
        sql.push_str(&format!(" COMMENT {}", D.quote_literal(comment)));
    }
    sql
}

fn key_sql(index: &Index) -> String {
    format!(
        "{}KEY {} ({})",
        if index.unique { "UNIQUE " } else { "" },
        D.ident(&index.name),
        sql::list(D, &index.columns)
    )
}

pub fn steps(change: &Change) -> Result<Vec<Step>, PlanError> {
    Ok(match change {
        Change::CreateTable(table) => {
            let mut lines: Vec<String> = table.columns.iter().map(column_sql).collect();
            lines.extend(table.constraints().iter().map(|c| sql::constraint_sql(D, c)));
            lines.extend(table.indexes.iter().map(key_sql));
            let comment =
                table.comment.as_ref().map(|c| format!(" COMMENT={}", D.quote_literal(c))).unwrap_or_default();
            let sql = format!("CREATE TABLE {} (\n  {}\n){comment};", D.ident(&table.name), lines.join(",\n  "));
            vec![step(format!("create table {}", table.name), sql, &[])]
        }
        Change::DropTable(table) => {
            vec![step(format!("drop table {}", table.name), ddl::drop(D, "TABLE", &table.name), &[Hazard::Destructive])]
        }
        Change::AlterTable { to, changes, .. } => vec![alter(to, changes)],
        Change::RenameTable { from, to, .. } => vec![sql::rename_table_step(D, from, to)],
        Change::RenameColumn { table, from, to, .. } => vec![sql::rename_column_step(D, table, from, to)],
        Change::CreateView(view) => vec![sql::create_view_step(D, view)],
        Change::DropView(view) => vec![sql::drop_view_step(D, view)],
        postgres_only_changes!() => return Err(postgres_only(D)),
    })
}

fn alter(to: &Table, changes: &[TableChange]) -> Step {
    let mut clauses = AlterTable::new(D, &to.name);
    // MariaDB cannot drop a foreign key and add one of the same name in one statement.
    let mut fk_drops = AlterTable::new(D, &to.name);
    let mut hazards = Vec::new();
    for change in changes {
        match change {
            TableChange::DropIndex(index) => {
                clauses.drop_index(&index.name);
            }
            TableChange::RenameIndex { from, to } => {
                clauses.rename_index(from, &to.name);
            }
            // Every constraint but the primary key has its engine name in the model.
            TableChange::DropConstraint(constraint) => match constraint {
                Constraint::PrimaryKey(_) => {
                    clauses.clause("DROP PRIMARY KEY".to_string());
                }
                Constraint::ForeignKey(_) => {
                    fk_drops.drop_foreign_key(constraint.name().unwrap_or_default());
                }
                Constraint::Check(_) | Constraint::Unique(_) => {
                    clauses.drop_constraint(constraint.name().unwrap_or_default());
                }
            },
            TableChange::DropColumn(column) => {
                clauses.drop_column(&column.name);
                hazards.push(Hazard::Destructive);
            }
            // MariaDB cannot change how a column is generated in place: it is made anew.
            TableChange::ModifyColumn { from: old, to: new }
                if old.generated != new.generated && (old.generated.is_some() || new.generated.is_some()) =>
            {
                clauses.drop_column(&new.name).add_column(&column_sql(new));
                hazards.push(Hazard::Rewrite);
                if old.generated.is_none() {
                    hazards.push(Hazard::Destructive);
                }
            }
            TableChange::ModifyColumn { from: old, to: new } => {
                clauses.clause(format!("MODIFY COLUMN {}", column_sql(new)));
                if old.data_type != new.data_type {
                    hazards.extend(sql::type_change_hazards(D, &old.data_type, &new.data_type));
                }
                if old.nullable && !new.nullable {
                    hazards.extend([Hazard::Rewrite, Hazard::DataDependent]);
                }
            }
            TableChange::AddColumn(column) => {
                clauses.add_column(&column_sql(column));
            }
            TableChange::AddConstraint(constraint) => {
                clauses.add(&match constraint {
                    Constraint::PrimaryKey(pk) => format!("PRIMARY KEY ({})", sql::list(D, &pk.columns)),
                    other => sql::constraint_sql(D, other),
                });
                hazards.push(Hazard::DataDependent);
                if matches!(constraint, Constraint::PrimaryKey(_)) {
                    hazards.push(Hazard::Rewrite);
                }
            }
            TableChange::SetComment(comment) => {
                clauses.clause(format!("COMMENT = {}", D.quote_literal(comment.as_deref().unwrap_or_default())));
            }
            TableChange::CreateIndex(index) => {
                clauses.add(&key_sql(index));
                if index.unique {
                    hazards.push(Hazard::DataDependent);
                }
            }
        }
    }
    let sql = match (fk_drops.is_empty(), clauses.is_empty()) {
        (true, _) => clauses.block(),
        (false, true) => fk_drops.block(),
        (false, false) => format!("{}\n{}", fk_drops.block(), clauses.block()),
    };
    step(format!("alter table {} ({} changes)", to.name, changes.len()), sql, &hazards)
}
