//! PostgreSQL's SQL for each change. Every change is a native ALTER; hazards follow what
//! PostgreSQL actually does: a type change rewrites the table unless it only widens a varchar,
//! SET NOT NULL and new constraints scan it under an exclusive lock, CREATE INDEX without
//! CONCURRENTLY blocks writes while it builds.

use super::routine;
use crate::ddl::{self, AlterTable};
use crate::plan::{Hazard, PlanError, Step};
use crate::sql::{self, step};
use strata_core::Dialect;
use strata_schema::routine::{Domain, Function};
use strata_schema::{default_constraint_name, Change, Column, Constraint, Index, Sequence, Table, TableChange};

const D: Dialect = Dialect::Postgres;

/// `serial` and friends for auto-increment columns of the integer types.
fn column_type(column: &Column) -> Result<String, PlanError> {
    if !column.autoincrement {
        return Ok(column.data_type.clone());
    }
    match column.data_type.as_str() {
        "integer" => Ok("serial".to_string()),
        "bigint" => Ok("bigserial".to_string()),
        "smallint" => Ok("smallserial".to_string()),
        other => Err(PlanError::Unsupported { dialect: D, what: format!("auto-increment column of type {other}") }),
    }
}

fn column_sql(column: &Column) -> Result<String, PlanError> {
    let mut sql = format!("{} {}{}", D.ident(&column.name), column_type(column)?, sql::column_extras(D, column));
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    Ok(sql)
}

pub fn steps(change: &Change) -> Result<Vec<Step>, PlanError> {
    match change {
        Change::CreateTable(table) => create_table(table),
        Change::DropTable(table) => {
            one(format!("drop table {}", table.name), ddl::drop(D, "TABLE", &table.name), &[Hazard::Destructive])
        }
        Change::RenameTable { from, to, before } => rename_table(from, to, before),
        Change::RenameColumn { table, from, to, before } => rename_column(table, from, to, before),
        Change::AlterTable { from, to, changes } => alter_table(from, to, changes),
        Change::CreateView(view) => Ok(vec![sql::create_view_step(D, view)]),
        Change::DropView(view) => Ok(vec![sql::drop_view_step(D, view)]),
        // An extension belongs to the database, not to one tenant's schema: created if missing,
        // never dropped on a tenant's behalf (others on the database may use it).
        Change::CreateExtension(name) => {
            one(format!("create extension {name}"), format!("CREATE EXTENSION IF NOT EXISTS {};", D.ident(name)), &[])
        }
        Change::DropExtension(name) => Err(unsupported(format!(
            "dropping extension {name}: it belongs to the database and other tenants may use it; drop it by hand"
        ))),
        Change::CreateDomain(domain) => {
            one(format!("create domain {}", domain.name), routine::create_domain(domain), &[])
        }
        Change::DropDomain(domain) => {
            one(format!("drop domain {}", domain.name), routine::drop_domain(domain), &[Hazard::Destructive])
        }
        Change::AlterDomain { from, to } => alter_domain(from, to),
        Change::CreateAggregate(aggregate) => {
            one(format!("create aggregate {}", aggregate.identity), routine::create_aggregate(aggregate), &[])
        }
        Change::DropAggregate(aggregate) => {
            one(format!("drop aggregate {}", aggregate.identity), routine::drop_aggregate(aggregate), &[])
        }
        Change::CreateFunction(function) => create_function(function, false),
        Change::ReplaceFunction(function) => create_function(function, true),
        Change::DropFunction(function) => {
            one(format!("drop function {}", function.identity()), routine::drop_function(function), &[])
        }
        Change::CreateTrigger(trigger) => {
            one(format!("create trigger {} on {}", trigger.name, trigger.table), routine::create_trigger(trigger), &[])
        }
        Change::DropTrigger(trigger) => {
            one(format!("drop trigger {} on {}", trigger.name, trigger.table), routine::drop_trigger(trigger), &[])
        }
        Change::CreateStatistics(statistics) => {
            one(format!("create statistics {}", statistics.name), statistics_sql(statistics), &[])
        }
        Change::DropStatistics(statistics) => {
            one(format!("drop statistics {}", statistics.name), ddl::drop(D, "STATISTICS", &statistics.name), &[])
        }
        Change::CreateEnum { name, labels } => one(
            format!("create type {name}"),
            format!("CREATE TYPE {} AS ENUM ({});", D.ident(name), literals(labels)),
            &[],
        ),
        Change::DropEnum { name, .. } => {
            one(format!("drop type {name}"), ddl::drop(D, "TYPE", name), &[Hazard::Destructive])
        }
        Change::AlterEnum { name, from, to } => alter_enum(name, from, to),
        Change::CreateSequence(sequence) => one(
            format!("create sequence {}", sequence.name),
            format!("CREATE SEQUENCE {}{};", D.ident(&sequence.name), sequence_options(sequence)),
            &[],
        ),
        Change::DropSequence(sequence) => one(
            format!("drop sequence {}", sequence.name),
            ddl::drop(D, "SEQUENCE", &sequence.name),
            &[Hazard::Destructive],
        ),
        Change::AlterSequence { to, .. } => one(
            format!("alter sequence {}", to.name),
            format!("ALTER SEQUENCE {}{};", D.ident(&to.name), sequence_options(to)),
            &[],
        ),
    }
}

/// A change carried out by one statement.
fn one(summary: String, sql: String, hazards: &[Hazard]) -> Result<Vec<Step>, PlanError> {
    Ok(vec![step(summary, sql, hazards)])
}

fn unsupported(what: String) -> PlanError {
    PlanError::Unsupported { dialect: D, what }
}

fn create_table(table: &Table) -> Result<Vec<Step>, PlanError> {
    let columns = table.columns.iter().map(column_sql).collect::<Result<Vec<String>, PlanError>>()?;
    let mut create = sql::create_table_sql(D, table, &table.name, columns, false);
    if let Some(key) = &table.partition_by {
        create = format!("{} PARTITION BY {key};", create.trim_end_matches(';'));
    }
    let mut text = vec![create];
    text.extend(table.indexes.iter().map(|i| sql::create_index_sql(D, &table.name, i)));
    if table.comment.is_some() {
        text.push(sql::comment_sql(D, "TABLE", &D.ident(&table.name), table.comment.as_deref()));
    }
    for column in table.columns.iter().filter(|c| c.comment.is_some()) {
        let target = format!("{}.{}", D.ident(&table.name), D.ident(&column.name));
        text.push(sql::comment_sql(D, "COLUMN", &target, column.comment.as_deref()));
    }
    // A partition is made as a table of its own and attached, as pg_dump does: its
    // columns, defaults and indexes are exactly the declared ones.
    if let Some(of) = &table.partition_of {
        text.push(attach_sql(&table.name, of));
    }
    one(format!("create table {}", table.name), text.join("\n"), &[])
}

fn rename_table(from: &str, to: &str, before: &Table) -> Result<Vec<Step>, PlanError> {
    let mut renamed = strata_schema::Schema::default();
    renamed.tables.insert(before.name.clone(), before.clone());
    renamed.rename_table(from, to);
    let mut steps = vec![sql::rename_table_step(D, from, to)];
    steps.extend(rename_default_names(before, &renamed.tables[to]));
    Ok(steps)
}

fn rename_column(table: &str, from: &str, to: &str, before: &Table) -> Result<Vec<Step>, PlanError> {
    let mut renamed = strata_schema::Schema::default();
    renamed.tables.insert(table.to_string(), before.clone());
    renamed.rename_column(table, from, to);
    let mut steps = vec![sql::rename_column_step(D, table, from, to)];
    steps.extend(rename_default_names(before, &renamed.tables[table]));
    Ok(steps)
}

fn alter_table(from: &Table, to: &Table, changes: &[TableChange]) -> Result<Vec<Step>, PlanError> {
    if from.partition_by != to.partition_by {
        return Err(unsupported(format!(
            "changing how table {} is partitioned (create a new table and move the rows)",
            to.name
        )));
    }
    let mut steps = Vec::new();
    if let (Some(of), true) = (&from.partition_of, from.partition_of != to.partition_of) {
        steps.push(step(
            format!("detach partition {} from {}", to.name, of.parent),
            AlterTable::new(D, &of.parent).detach_partition(&to.name).statement(),
            &[],
        ));
    }
    for change in changes {
        steps.extend(alter(from, to, change)?);
    }
    if let (Some(of), true) = (&to.partition_of, from.partition_of != to.partition_of) {
        // The rows already in the table must fit the bound.
        steps.push(step(
            format!("attach partition {} to {}", to.name, of.parent),
            attach_sql(&to.name, of),
            &[Hazard::DataDependent],
        ));
    }
    Ok(steps)
}

fn alter_domain(from: &Domain, to: &Domain) -> Result<Vec<Step>, PlanError> {
    match routine::alter_domain(from, to) {
        // New checks are verified against the rows of every column of the domain.
        Some(sql) => one(format!("alter domain {}", to.name), sql, &[Hazard::DataDependent]),
        None => Err(unsupported(format!(
            "changing the base type of domain {} (create a new domain and move the columns)",
            to.name
        ))),
    }
}

/// Bodies are checked at creation unless told otherwise (pg_dump does the same): a SQL function
/// may read tables or functions created later in the same migration.
fn create_function(function: &Function, or_replace: bool) -> Result<Vec<Step>, PlanError> {
    let verb = if or_replace { "replace" } else { "create" };
    one(
        format!("{verb} function {}", function.identity()),
        format!("SET check_function_bodies = false;\n{}", routine::create_function(function, or_replace)),
        &[],
    )
}

fn statistics_sql(statistics: &strata_schema::Statistics) -> String {
    let kinds = if statistics.kinds.is_empty() { String::new() } else { format!(" ({})", statistics.kinds.join(", ")) };
    let columns: Vec<String> = statistics
        .columns
        .iter()
        .map(|c| if c.chars().all(|ch| ch.is_alphanumeric() || ch == '_') { D.ident(c) } else { format!("({c})") })
        .collect();
    format!(
        "CREATE STATISTICS {}{kinds} ON {} FROM {};",
        D.ident(&statistics.name),
        columns.join(", "),
        D.ident(&statistics.table)
    )
}

fn attach_sql(table: &str, of: &strata_schema::PartitionOf) -> String {
    AlterTable::new(D, &of.parent).attach_partition(table, &of.bound).statement()
}

/// PostgreSQL keeps a constraint's name through renames; the names it would choose for the renamed
/// table or column follow, so the database looks as if created that way.
fn rename_default_names(before: &Table, after: &Table) -> Option<Step> {
    let statements: Vec<String> = before
        .constraints()
        .iter()
        .zip(after.constraints().iter())
        .filter(|(old, _)| old.name().is_none())
        .map(|(old, new)| (default_constraint_name(before, old), default_constraint_name(after, new)))
        .filter(|(old, new)| old != new)
        .map(|(old, new)| AlterTable::new(D, &after.name).rename_constraint(&old, &new).statement())
        .collect();
    (!statements.is_empty())
        .then(|| step(format!("rename constraints of {} after it", after.name), statements.join("\n"), &[]))
}

fn alter(from: &Table, to: &Table, change: &TableChange) -> Result<Vec<Step>, PlanError> {
    let t = D.ident(&to.name);
    let name = &to.name;
    Ok(match change {
        TableChange::AddColumn(column) => {
            let mut hazards = Vec::new();
            if !column.nullable && column.default.is_none() {
                hazards.push(Hazard::DataDependent);
            }
            // A volatile default, a generated or an identity column fills every row: a rewrite.
            if column.default.as_deref().is_some_and(is_volatile)
                || column.generated.is_some()
                || column.identity.is_some()
            {
                hazards.push(Hazard::Rewrite);
            }
            let mut sql = AlterTable::new(D, name).add_column(&column_sql(column)?).statement();
            if column.comment.is_some() {
                let target = format!("{t}.{}", D.ident(&column.name));
                sql.push_str(&format!("\n{}", sql::comment_sql(D, "COLUMN", &target, column.comment.as_deref())));
            }
            vec![step(format!("add column {name}.{}", column.name), sql, &hazards)]
        }
        TableChange::DropColumn(column) => vec![step(
            format!("drop column {name}.{}", column.name),
            AlterTable::new(D, name).drop_column(&column.name).statement(),
            &[Hazard::Destructive],
        )],
        TableChange::ModifyColumn { from: old, to: new } => modify_column(name, old, new)?,
        TableChange::AddConstraint(constraint) => {
            let mut hazards = vec![Hazard::DataDependent];
            if !matches!(constraint, Constraint::ForeignKey(_)) {
                hazards.push(Hazard::Rewrite);
            }
            vec![step(
                format!("add {} on {name}", kind(constraint)),
                AlterTable::new(D, name).add(&sql::constraint_sql(D, constraint)).statement(),
                &hazards,
            )]
        }
        TableChange::DropConstraint(constraint) => {
            let constraint_name =
                constraint.name().map(str::to_string).unwrap_or_else(|| default_constraint_name(from, constraint));
            vec![step(
                format!("drop {} {constraint_name} on {name}", kind(constraint)),
                AlterTable::new(D, name).drop_constraint(&constraint_name).statement(),
                &[],
            )]
        }
        TableChange::CreateIndex(index) => vec![create_index(name, index)],
        TableChange::RenameIndex { from, to } => vec![step(
            format!("rename index {from} to {}", to.name),
            format!("ALTER INDEX {} RENAME TO {};", D.ident(from), D.ident(&to.name)),
            &[],
        )],
        TableChange::DropIndex(index) => {
            vec![step(format!("drop index {}", index.name), ddl::drop(D, "INDEX", &index.name), &[])]
        }
        TableChange::SetComment(comment) => {
            vec![step(format!("comment on table {name}"), sql::comment_sql(D, "TABLE", &t, comment.as_deref()), &[])]
        }
    })
}

fn literals(labels: &[String]) -> String {
    labels.iter().map(|l| D.quote_literal(l)).collect::<Vec<_>>().join(", ")
}

/// Every option spelled out, so the sequence is the same whatever the server's defaults.
fn sequence_options(s: &Sequence) -> String {
    format!(
        " AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
        s.data_type,
        s.increment,
        s.min,
        s.max,
        s.start,
        s.cache,
        if s.cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

/// PostgreSQL can add labels anywhere but never remove or reorder them: existing rows may hold
/// them. Anything but additions needs a hand-written migration.
fn alter_enum(name: &str, from: &[String], to: &[String]) -> Result<Vec<Step>, PlanError> {
    let kept: Vec<&String> = to.iter().filter(|l| from.contains(l)).collect();
    if kept.len() != from.len() || !kept.iter().zip(from).all(|(a, b)| *a == b) {
        return Err(PlanError::Unsupported {
            dialect: D,
            what: format!("removing or reordering labels of enum {name} (write that migration by hand)"),
        });
    }
    let mut statements = Vec::new();
    for (position, label) in to.iter().enumerate().filter(|(_, l)| !from.contains(l)) {
        let placement = match to[..position].last() {
            Some(previous) => format!(" AFTER {}", D.quote_literal(previous)),
            None => match to.get(position + 1) {
                Some(next) => format!(" BEFORE {}", D.quote_literal(next)),
                None => String::new(),
            },
        };
        statements.push(format!("ALTER TYPE {} ADD VALUE {}{placement};", D.ident(name), D.quote_literal(label)));
    }
    Ok(vec![step(format!("add labels to {name}"), statements.join("\n"), &[])])
}

/// An index on an existing table blocks writes while it builds; a unique one may fail on data.
fn create_index(table: &str, index: &Index) -> Step {
    let mut hazards = vec![Hazard::Rewrite];
    if index.unique {
        hazards.push(Hazard::DataDependent);
    }
    step(format!("create index {} on {table}", index.name), sql::create_index_sql(D, table, index), &hazards)
}

fn kind(constraint: &Constraint) -> &'static str {
    match constraint {
        Constraint::PrimaryKey(_) => "primary key",
        Constraint::Unique(_) => "unique constraint",
        Constraint::Check(_) => "check",
        Constraint::ForeignKey(_) => "foreign key",
    }
}

/// Defaults evaluated per row: adding a column with one rewrites the table.
fn is_volatile(default: &str) -> bool {
    let lower = default.to_ascii_lowercase();
    ["random(", "gen_random_uuid(", "uuid_generate", "clock_timestamp(", "nextval("].iter().any(|f| lower.contains(f))
}

fn modify_column(table: &str, old: &Column, new: &Column) -> Result<Vec<Step>, PlanError> {
    if old.autoincrement != new.autoincrement {
        return Err(PlanError::Unsupported {
            dialect: D,
            what: format!("turning auto-increment on or off for {table}.{} (write that migration by hand)", new.name),
        });
    }
    let what = format!("{table}.{}", new.name);
    let alter = |action: String| AlterTable::new(D, table).alter_column(&new.name, &action).statement();
    // PostgreSQL 15 cannot change a generation expression in place: the column is made anew.
    if old.generated != new.generated && new.generated.is_some() {
        let mut hazards = vec![Hazard::Rewrite];
        if old.generated.is_none() {
            hazards.push(Hazard::Destructive);
        }
        let sql = AlterTable::new(D, table).drop_column(&new.name).add_column(&column_sql(new)?).statements();
        return Ok(vec![step(format!("recreate generated column {what}"), sql, &hazards)]);
    }
    let mut steps = Vec::new();
    if old.generated.is_some() && new.generated.is_none() {
        steps.push(step(format!("stop generating {what}"), alter("DROP EXPRESSION".into()), &[]));
    }
    if old.identity.is_some() && new.identity.is_none() {
        steps.push(step(format!("drop identity of {what}"), alter("DROP IDENTITY".into()), &[]));
    }
    let retyped = old.data_type != new.data_type || old.collation != new.collation;
    // An old default may not cast to the new type; it goes first and the new one comes after.
    let default_out_of_the_way = retyped && old.default.is_some();
    if default_out_of_the_way {
        steps.push(step(format!("drop default of {what}"), alter("DROP DEFAULT".into()), &[]));
    }
    if retyped {
        steps.push(retype(&what, &alter, old, new));
    }
    if old.default != new.default || default_out_of_the_way {
        match &new.default {
            Some(default) => {
                steps.push(step(format!("set default of {what}"), alter(format!("SET DEFAULT {default}")), &[]))
            }
            None if !default_out_of_the_way => {
                steps.push(step(format!("drop default of {what}"), alter("DROP DEFAULT".into()), &[]))
            }
            None => {}
        }
    }
    if old.nullable != new.nullable {
        steps.push(if new.nullable {
            step(format!("allow NULL in {what}"), alter("DROP NOT NULL".into()), &[])
        } else {
            step(
                format!("forbid NULL in {what}"),
                alter("SET NOT NULL".into()),
                &[Hazard::DataDependent, Hazard::Rewrite],
            )
        });
    }
    if old.comment != new.comment {
        let target = format!("{}.{}", D.ident(table), D.ident(&new.name));
        steps.push(step(
            format!("comment on column {what}"),
            sql::comment_sql(D, "COLUMN", &target, new.comment.as_deref()),
            &[],
        ));
    }
    match (old.identity, new.identity) {
        (None, Some(identity)) => {
            let sql = alter(format!("ADD{}", sql::identity_sql(identity)));
            steps.push(step(format!("make {what} an identity"), sql, &[Hazard::Rewrite]));
        }
        (Some(a), Some(b)) if a != b => {
            let kind = if b == strata_schema::Identity::Always { "ALWAYS" } else { "BY DEFAULT" };
            steps.push(step(format!("change identity of {what}"), alter(format!("SET GENERATED {kind}")), &[]));
        }
        _ => {}
    }
    Ok(steps)
}

/// `ALTER COLUMN ... TYPE`: a new type, a new collation, or both.
fn retype(what: &str, alter: &dyn Fn(String) -> String, old: &Column, new: &Column) -> Step {
    let mut hazards = sql::type_change_hazards(D, &old.data_type, &new.data_type);
    if old.data_type == new.data_type {
        hazards = vec![Hazard::Rewrite]; // a new collation rebuilds the column's indexes
    }
    // Without COLLATE the column takes the new type's default collation (and a type without
    // one, numeric, refuses any COLLATE).
    let collate = new.collation.as_ref().map(|c| format!(" COLLATE {}", D.ident(c))).unwrap_or_default();
    let (ty, c) = (&new.data_type, D.ident(&new.name));
    // Into a string type every type has an assignment cast, which refuses a value too long
    // ("value too long for type character varying(32)") where an explicit `::varchar(32)` cuts it
    // in silence: no USING there, so the engine's assignment rules decide and a row is never cut.
    let using = if is_string_type(ty) { String::new() } else { format!(" USING {c}::{ty}") };
    step(format!("change type of {what} to {ty}"), alter(format!("TYPE {ty}{collate}{using}")), &hazards)
}

/// `text`, `character varying(32)`, `character(1)`, `varchar`, `bpchar`: the types an explicit
/// cast truncates into.
fn is_string_type(data_type: &str) -> bool {
    let base = data_type.split('(').next().unwrap_or_default().trim().to_ascii_lowercase();
    matches!(base.as_str(), "text" | "character varying" | "varchar" | "character" | "char" | "bpchar")
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_schema::interpret::{Interpreter, Mode};
    use strata_schema::parse::parse_statements;
    use strata_schema::{diff, Schema};

    #[test]
    fn an_extension_comes_before_what_uses_it_and_is_never_dropped() {
        let pg = |sql: &str| {
            let interpreter = Interpreter::new(crate::engine(D), Mode::Declarative);
            let mut schema = Schema::default();
            for located in parse_statements(D, sql).unwrap() {
                interpreter.apply(&mut schema, &located.statement).unwrap();
            }
            schema
        };
        let with = pg("CREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE TABLE t (id integer, token text DEFAULT gen_random_uuid()::text);");
        let without = pg("CREATE TABLE t (id integer);");
        let up = crate::plan::plan(D, &diff(&without, &with)).unwrap();
        assert_eq!(up[0].sql, "CREATE EXTENSION IF NOT EXISTS pgcrypto;");
        assert!(crate::plan::plan(D, &diff(&with, &without)).is_err());
        assert_eq!(
            strata_schema::hash::root(&with),
            strata_schema::hash::root(&{
                let mut same = with.clone();
                same.extensions.clear();
                same
            })
        );
    }
}
