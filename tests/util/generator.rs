//! Generated schemas for the closed-loop property and the engine round trips: every kind of change
//! the planners emit comes out of the difference of two of them (see [`change_kinds`], whose
//! exhaustive match breaks the build when a planner learns a change this generator does not make).
//!
//! A schema is a few slots (tables t0..t2, columns c0..c3, two index slots per table, PostgreSQL
//! types and routines), each present or not and with varying definitions, so that two independent
//! draws differ in creations, drops and modifications of the same names.

use proptest::prelude::*;
use strata::dialect::Dialect;
use strata::schema::{Change, Column, TableChange};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Type {
    Int,
    BigInt,
    Text,
    Decimal,
    Bool,
}

#[derive(Debug, Clone)]
pub struct ColumnDesc {
    pub ty: Type,
    pub not_null: bool,
    pub default: bool,
    pub collate: bool,
}

#[derive(Debug, Clone)]
pub struct IndexDesc {
    pub slots: Vec<usize>,
    pub unique: bool,
    pub desc: bool,
    pub partial: bool,
    pub expression: bool,
    /// Another name for the same definition: a rename.
    pub alt_name: bool,
}

#[derive(Debug, Clone)]
pub struct ForeignKeyDesc {
    pub target: usize,
    pub action: u8,
    pub named: bool,
    /// 0: not deferrable, 1: deferrable, 2: initially deferred (not on MySQL).
    pub deferral: u8,
}

#[derive(Debug, Clone)]
pub struct TableDesc {
    pub columns: Vec<Option<ColumnDesc>>,
    pub reference: Option<ForeignKeyDesc>,
    /// Which check on `id` (0: none), and whether it is named.
    pub check: u8,
    pub check_named: bool,
    /// A check on c0 where c0 is numeric.
    pub c0_check: bool,
    /// A unique constraint over these slots, and whether it is named.
    pub unique: Option<(Vec<usize>, bool)>,
    pub indexes: Vec<Option<IndexDesc>>,
    /// A generated column `g` (0: none, 1: id * 2, 2: id + 1), stored or virtual.
    pub generated: u8,
    pub generated_stored: bool,
    /// PostgreSQL: `id` is an identity column (0: no, 1: always, 2: by default).
    pub identity: u8,
    /// `id` counts itself (SERIAL, AUTO_INCREMENT, AUTOINCREMENT).
    pub autoincrement: bool,
    /// A comment on the table (0: none) and one on c0 (not on SQLite, which keeps none).
    pub comment: u8,
    pub c0_comment: u8,
    /// MySQL: a `stamp DATETIME(6)` column (0: none, 1: defaulting to the time of insert, 2: also
    /// set on every update with `ON UPDATE CURRENT_TIMESTAMP(6)`).
    pub stamp: u8,
}

/// PostgreSQL's objects beyond tables.
#[derive(Debug, Clone)]
pub struct PgDesc {
    /// Labels of enum `mood` (0: no type); t0 has a `mood` column when there is one.
    pub enum_labels: u8,
    pub sequence: u8,
    /// Domain `posint` (0: none); t1 has a `posint` column when there is one.
    pub domain: u8,
    /// Trigger function body variant (0: none), and whether t0 has a trigger calling it.
    pub function: u8,
    pub trigger: bool,
    /// A SQL function and an aggregate over it.
    pub aggregate: bool,
    /// The `pg_trgm` extension, and a hash index on t0.c0 when it is text.
    pub extension: bool,
    /// Extended statistics on t1 (0: none, 1: all kinds over id and c0, 2: dependencies over id and an expression).
    pub statistics: u8,
}

#[derive(Debug, Clone)]
pub struct SchemaDesc {
    pub tables: Vec<Option<TableDesc>>,
    /// A view over t0 (0: none, 1: ids, 2: ids and c0 with a filter).
    pub view: u8,
    pub pg: PgDesc,
}

/// A column of slot `slot`. Types change between draws, so each slot keeps to types every engine
/// casts between: booleans only in c1, with integers and text.
fn column(slot: usize) -> BoxedStrategy<ColumnDesc> {
    let ty = if slot == 1 {
        prop_oneof![Just(Type::Int), Just(Type::Text), Just(Type::Bool)].boxed()
    } else {
        prop_oneof![Just(Type::Int), Just(Type::BigInt), Just(Type::Text), Just(Type::Decimal)].boxed()
    };
    (ty, any::<bool>(), any::<bool>(), proptest::bool::weighted(0.15))
        .prop_map(|(ty, not_null, default, collate)| ColumnDesc { ty, not_null, default, collate })
        .boxed()
}

fn index() -> impl Strategy<Value = IndexDesc> {
    (
        proptest::collection::vec(0usize..4, 1..3),
        any::<bool>(),
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.15),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(slots, unique, desc, partial, expression, alt_name)| IndexDesc {
            slots,
            unique,
            desc,
            partial,
            expression,
            alt_name,
        })
}

fn table() -> impl Strategy<Value = TableDesc> {
    let columns = (0..4).map(|slot| proptest::option::weighted(0.7, column(slot))).collect::<Vec<_>>();
    let reference = proptest::option::weighted(0.4, (0usize..3, 0u8..3, any::<bool>(), 0u8..3))
        .prop_map(|r| r.map(|(target, action, named, deferral)| ForeignKeyDesc { target, action, named, deferral }));
    let indexes = proptest::collection::vec(proptest::option::weighted(0.5, index()), 2);
    let unique = proptest::option::weighted(0.25, (proptest::collection::vec(0usize..4, 1..3), any::<bool>()));
    (
        columns,
        reference,
        (0u8..5, any::<bool>(), proptest::bool::weighted(0.3)),
        unique,
        indexes,
        (0u8..3, any::<bool>()),
        prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        (proptest::bool::weighted(0.25), 0u8..3, 0u8..3, 0u8..3),
    )
        .prop_map(
            |(
                columns,
                reference,
                (check, check_named, c0_check),
                unique,
                indexes,
                generated,
                identity,
                (autoincrement, comment, c0_comment, stamp),
            )| TableDesc {
                columns,
                reference,
                check,
                check_named,
                c0_check,
                unique,
                indexes,
                generated: generated.0,
                generated_stored: generated.1,
                identity,
                autoincrement,
                comment,
                c0_comment,
                stamp,
            },
        )
}

fn pg() -> impl Strategy<Value = PgDesc> {
    (0u8..4, 0u8..4, 0u8..3, 0u8..3, any::<bool>(), any::<bool>(), proptest::bool::weighted(0.2), 0u8..3).prop_map(
        |(enum_labels, sequence, domain, function, trigger, aggregate, extension, statistics)| PgDesc {
            enum_labels,
            sequence,
            domain,
            function,
            trigger,
            aggregate,
            extension,
            statistics,
        },
    )
}

pub fn schema() -> impl Strategy<Value = SchemaDesc> {
    (proptest::collection::vec(proptest::option::weighted(0.75, table()), 3), 0u8..3, pg())
        .prop_map(|(tables, view, pg)| SchemaDesc { tables, view, pg })
}

fn type_sql(dialect: Dialect, ty: Type) -> &'static str {
    match (dialect, ty) {
        (_, Type::Int) => "INTEGER",
        (_, Type::BigInt) => "BIGINT",
        (Dialect::Mysql, Type::Text) => "VARCHAR(100)",
        (_, Type::Text) => "TEXT",
        (_, Type::Decimal) => "DECIMAL(10,2)",
        (_, Type::Bool) => "BOOLEAN",
    }
}

fn default_sql(ty: Type) -> &'static str {
    match ty {
        Type::Int | Type::BigInt => "7",
        Type::Text => "'x'",
        Type::Decimal => "1.50",
        Type::Bool => "TRUE",
    }
}

fn collation(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "NOCASE",
        Dialect::Postgres => "\"C\"",
        Dialect::Mysql => "utf8mb4_bin",
    }
}

fn id_check(variant: u8) -> Option<&'static str> {
    match variant {
        1 => Some("id > 0"),
        2 => Some("(id >= 0) = (id IS NOT NULL)"),
        3 => Some("id BETWEEN 0 AND 1000000"),
        4 => Some("NOT (id IN (13, 666))"),
        _ => None,
    }
}

/// The declarative SQL of a generated schema; parts the dialect or the rest of the schema cannot
/// have (a reference to a missing table, an index on a missing column) are left out.
pub fn render(dialect: Dialect, desc: &SchemaDesc) -> String {
    let pg = dialect == Dialect::Postgres;
    let mut sql = Vec::new();
    let labels = ["sad", "ok", "happy", "ecstatic"];
    let has_enum = pg && desc.pg.enum_labels > 0;
    let has_domain = pg && desc.pg.domain > 0;
    if pg && desc.pg.extension {
        sql.push("CREATE EXTENSION IF NOT EXISTS pg_trgm;".to_string());
    }
    if has_enum {
        let n = usize::from(desc.pg.enum_labels) + 1;
        let list: Vec<String> = labels[..n].iter().map(|l| format!("'{l}'")).collect();
        sql.push(format!("CREATE TYPE mood AS ENUM ({});", list.join(", ")));
    }
    if pg {
        match desc.pg.sequence {
            1 => sql.push("CREATE SEQUENCE s0;".to_string()),
            2 => sql.push("CREATE SEQUENCE s0 INCREMENT BY 5 START WITH 100;".to_string()),
            3 => sql.push("CREATE SEQUENCE s0 AS integer MAXVALUE 1000 CYCLE;".to_string()),
            _ => {}
        }
        match desc.pg.domain {
            1 => sql.push("CREATE DOMAIN posint AS integer CHECK (VALUE > 0);".to_string()),
            2 => sql.push(
                "CREATE DOMAIN posint AS integer DEFAULT 1 CONSTRAINT posint_check CHECK (VALUE >= 0);".to_string(),
            ),
            _ => {}
        }
    }
    for (t, table) in desc.tables.iter().enumerate() {
        let Some(table) = table else { continue };
        sql.extend(table_sql(dialect, desc, t, table, has_enum && t == 0, has_domain && t == 1));
    }
    let text_c0 = |t: &TableDesc| matches!(&t.columns[0], Some(ColumnDesc { ty: Type::Text, .. }));
    if desc.tables[0].as_ref().is_some_and(|t0| pg && desc.pg.extension && text_c0(t0)) {
        sql.push("CREATE INDEX t0_hash ON t0 USING hash (c0);".to_string());
    }
    if let (1 | 2, Some(t0)) = (desc.view, &desc.tables[0]) {
        let c0 = t0.columns[0].is_some();
        sql.push(match (desc.view, c0) {
            (2, true) => "CREATE VIEW v0 AS SELECT id, c0 AS first FROM t0 WHERE id > 10;".to_string(),
            _ => "CREATE VIEW v0 AS SELECT id FROM t0;".to_string(),
        });
    }
    if pg {
        if desc.pg.function > 0 {
            let stamp = if desc.pg.function == 1 { "now()" } else { "clock_timestamp()" };
            sql.push(format!(
                "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.id := NEW.id;\n  PERFORM {stamp};\n  RETURN NEW;\nEND;\n$$;"
            ));
            if desc.pg.trigger && desc.tables[0].is_some() {
                sql.push(
                    "CREATE TRIGGER t0_touch BEFORE UPDATE ON t0 FOR EACH ROW EXECUTE FUNCTION touch();".to_string(),
                );
            }
        }
        if desc.tables[1].as_ref().is_some_and(|t1| t1.columns[0].is_some()) {
            match desc.pg.statistics {
                1 => sql.push("CREATE STATISTICS t1_stats ON id, c0 FROM t1;".to_string()),
                2 => sql.push("CREATE STATISTICS t1_stats (dependencies) ON id, (id * 2) FROM t1;".to_string()),
                _ => {}
            }
        }
        if desc.pg.aggregate {
            sql.push(
                "CREATE FUNCTION cat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1 || $2 $$;"
                    .to_string(),
            );
            sql.push("CREATE AGGREGATE concat_all(text) (STYPE = text, SFUNC = cat, INITCOND = '');".to_string());
        }
    }
    sql.join("\n")
}

fn table_sql(
    dialect: Dialect,
    desc: &SchemaDesc,
    t: usize,
    table: &TableDesc,
    mood: bool,
    posint: bool,
) -> Vec<String> {
    let pg = dialect == Dialect::Postgres;
    // PostgreSQL refuses to turn a serial on or off (hand work): there t2's key is always a
    // serial and the others may be identities; elsewhere any key may count itself.
    let id = match (dialect, t, table.identity, table.autoincrement) {
        (Dialect::Postgres, 2, _, _) => "id SERIAL PRIMARY KEY",
        (Dialect::Postgres, _, 1, _) => "id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        (Dialect::Postgres, _, 2, _) => "id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        (Dialect::Sqlite, _, _, true) => "id INTEGER PRIMARY KEY AUTOINCREMENT",
        (Dialect::Mysql, _, _, true) => "id INTEGER PRIMARY KEY AUTO_INCREMENT",
        _ => "id INTEGER PRIMARY KEY",
    };
    let mut lines = vec![id.to_string()];
    for (c, column) in table.columns.iter().enumerate() {
        let Some(column) = column else { continue };
        let mut line = format!("c{c} {}", type_sql(dialect, column.ty));
        if column.collate && column.ty == Type::Text {
            line.push_str(&format!(" COLLATE {}", collation(dialect)));
        }
        if column.not_null {
            line.push_str(" NOT NULL");
        }
        if column.default {
            line.push_str(&format!(" DEFAULT {}", default_sql(column.ty)));
        }
        lines.push(line);
    }
    // MariaDB refuses a generated column over an AUTO_INCREMENT one.
    if table.generated > 0 && !(dialect == Dialect::Mysql && table.autoincrement) {
        let expr = if table.generated == 1 { "id * 2" } else { "id + 1" };
        // PostgreSQL 15 has stored generated columns only.
        let kind = if table.generated_stored || pg { "STORED" } else { "VIRTUAL" };
        lines.push(format!("g BIGINT GENERATED ALWAYS AS ({expr}) {kind}"));
    }
    if dialect == Dialect::Mysql && table.stamp > 0 {
        let on_update = if table.stamp == 2 { " ON UPDATE CURRENT_TIMESTAMP(6)" } else { "" };
        lines.push(format!("stamp DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6){on_update}"));
    }
    if mood {
        lines.push("m mood DEFAULT 'sad'".to_string());
    }
    if posint {
        lines.push("d posint".to_string());
    }
    // Only earlier tables (or itself): MySQL refuses a reference to a table not created yet.
    if let Some(fk) = table.reference.as_ref().filter(|fk| fk.target <= t && desc.tables[fk.target].is_some()) {
        let action = match fk.action {
            1 => " ON DELETE CASCADE",
            2 => " ON DELETE SET NULL",
            _ => "",
        };
        lines.push(format!("ref_{} INTEGER", fk.target));
        let name = if fk.named { format!("CONSTRAINT t{t}_parent ") } else { String::new() };
        let deferral = match (dialect, fk.deferral) {
            (Dialect::Mysql, _) | (_, 0) => "",
            (_, 1) => " DEFERRABLE",
            _ => " DEFERRABLE INITIALLY DEFERRED",
        };
        lines.push(format!("{name}FOREIGN KEY (ref_{}) REFERENCES t{} (id){action}{deferral}", fk.target, fk.target));
    }
    // ... and a check on one.
    let counting = dialect == Dialect::Mysql && table.autoincrement;
    if let Some(check) = id_check(table.check).filter(|_| !counting) {
        let name = if table.check_named { format!("CONSTRAINT t{t}_id_ok ") } else { String::new() };
        lines.push(format!("{name}CHECK ({check})"));
    }
    let numeric_c0 = matches!(&table.columns[0], Some(ColumnDesc { ty: Type::Int | Type::BigInt | Type::Decimal, .. }));
    if table.c0_check && numeric_c0 {
        lines.push("CHECK (c0 >= 0)".to_string());
    }
    let present = |slots: &[usize]| -> Vec<usize> {
        let mut kept: Vec<usize> = slots.iter().copied().filter(|s| table.columns[*s].is_some()).collect();
        kept.dedup();
        kept
    };
    if let Some((slots, named)) = &table.unique {
        let slots = present(slots);
        if !slots.is_empty() {
            let columns: Vec<String> = slots.iter().map(|s| format!("c{s}")).collect();
            let name = if *named { format!("CONSTRAINT t{t}_uq ") } else { String::new() };
            lines.push(format!("{name}UNIQUE ({})", columns.join(", ")));
        }
    }
    let comment = |n: u8| ["", "first words", "it's other words"][usize::from(n)];
    let mysql = dialect == Dialect::Mysql;
    if let (true, 1 | 2, Some(c0)) = (mysql, table.c0_comment, lines.iter_mut().find(|l| l.starts_with("c0 "))) {
        c0.push_str(&format!(" COMMENT '{}'", comment(table.c0_comment).replace('\'', "''")));
    }
    let table_comment = match (mysql, table.comment) {
        (true, 1 | 2) => format!(" COMMENT='{}'", comment(table.comment).replace('\'', "''")),
        _ => String::new(),
    };
    let mut sql = vec![format!("CREATE TABLE t{t} (\n  {}\n){table_comment};", lines.join(",\n  "))];
    if pg && table.comment > 0 {
        sql.push(format!("COMMENT ON TABLE t{t} IS '{}';", comment(table.comment).replace('\'', "''")));
    }
    if pg && table.c0_comment > 0 && table.columns[0].is_some() {
        sql.push(format!("COMMENT ON COLUMN t{t}.c0 IS '{}';", comment(table.c0_comment).replace('\'', "''")));
    }
    let mut seen: Vec<Vec<usize>> = Vec::new();
    for (slot, index) in table.indexes.iter().enumerate() {
        let Some(index) = index else { continue };
        let slots = present(&index.slots);
        // MariaDB has neither partial nor expression indexes.
        let expression = index.expression && dialect != Dialect::Mysql;
        if slots.is_empty() || seen.contains(&slots) {
            continue;
        }
        seen.push(slots.clone());
        let mut columns: Vec<String> = slots.iter().map(|s| format!("c{s}")).collect();
        if expression {
            columns = vec![format!("({} + 1)", "id")];
        } else if index.desc {
            columns[0].push_str(" DESC");
        }
        let name = format!("t{t}_{}{slot}", if index.alt_name { "j" } else { "i" });
        let mut line = format!(
            "CREATE {}INDEX {name} ON t{t} ({})",
            if index.unique { "UNIQUE " } else { "" },
            columns.join(", ")
        );
        if index.partial && dialect != Dialect::Mysql {
            line.push_str(" WHERE id > 0");
        }
        line.push(';');
        sql.push(line);
    }
    sql
}

/// The kinds of change a planner may be given, one name per kind (a column modification per
/// aspect that changes). The match is exhaustive on purpose: a new kind of change does not compile
/// until it is named here, and the coverage test then asks the generator for it.
pub fn change_kinds(change: &Change) -> Vec<String> {
    let one = |k: &str| vec![k.to_string()];
    match change {
        Change::RenameTable { .. } => one("rename table"),
        Change::RenameColumn { .. } => one("rename column"),
        Change::CreateEnum { .. } => one("create enum"),
        Change::DropEnum { .. } => one("drop enum"),
        Change::AlterEnum { .. } => one("alter enum"),
        Change::CreateSequence(_) => one("create sequence"),
        Change::DropSequence(_) => one("drop sequence"),
        Change::AlterSequence { .. } => one("alter sequence"),
        Change::CreateView(_) => one("create view"),
        Change::DropView(_) => one("drop view"),
        Change::CreateExtension(_) => one("create extension"),
        Change::DropExtension(_) => one("drop extension"),
        Change::CreateDomain(_) => one("create domain"),
        Change::DropDomain(_) => one("drop domain"),
        Change::AlterDomain { .. } => one("alter domain"),
        Change::CreateAggregate(_) => one("create aggregate"),
        Change::DropAggregate(_) => one("drop aggregate"),
        Change::CreateFunction(_) => one("create function"),
        Change::DropFunction(_) => one("drop function"),
        Change::ReplaceFunction(_) => one("replace function"),
        Change::CreateTrigger(_) => one("create trigger"),
        Change::DropTrigger(_) => one("drop trigger"),
        Change::CreateStatistics(_) => one("create statistics"),
        Change::DropStatistics(_) => one("drop statistics"),
        Change::CreateTable(_) => one("create table"),
        Change::DropTable(_) => one("drop table"),
        Change::AlterTable { changes, .. } => changes.iter().flat_map(table_change_kinds).collect(),
    }
}

fn table_change_kinds(change: &TableChange) -> Vec<String> {
    let one = |k: &str| vec![k.to_string()];
    match change {
        TableChange::AddColumn(_) => one("add column"),
        TableChange::DropColumn(_) => one("drop column"),
        TableChange::ModifyColumn { from, to } => column_aspects(from, to),
        TableChange::CreateIndex(_) => one("create index"),
        TableChange::DropIndex(_) => one("drop index"),
        TableChange::RenameIndex { .. } => one("rename index"),
        TableChange::AddConstraint(c) => one(&format!("add {}", constraint_kind(c))),
        TableChange::DropConstraint(c) => one(&format!("drop {}", constraint_kind(c))),
        TableChange::SetComment(_) => one("comment on table"),
    }
}

fn constraint_kind(constraint: &strata::schema::Constraint) -> &'static str {
    match constraint {
        strata::schema::Constraint::PrimaryKey(_) => "primary key",
        strata::schema::Constraint::Unique(_) => "unique",
        strata::schema::Constraint::Check(_) => "check",
        strata::schema::Constraint::ForeignKey(_) => "foreign key",
    }
}

fn column_aspects(from: &Column, to: &Column) -> Vec<String> {
    let Column {
        name: _,
        data_type,
        nullable,
        default,
        autoincrement,
        generated,
        identity,
        collation,
        comment,
        on_update,
    } = from;
    let mut aspects = Vec::new();
    let mut note = |changed: bool, aspect: &str| {
        if changed {
            aspects.push(format!("modify column {aspect}"));
        }
    };
    note(*data_type != to.data_type, "type");
    note(*nullable != to.nullable, "nullability");
    note(*default != to.default, "default");
    note(*autoincrement != to.autoincrement, "auto-increment");
    note(*generated != to.generated, "generation");
    note(*identity != to.identity, "identity");
    note(*collation != to.collation, "collation");
    note(*comment != to.comment, "comment");
    note(*on_update != to.on_update, "on update");
    aspects
}
