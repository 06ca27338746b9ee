//! The dialect-neutral schema model (DESIGN §4). Names are stored normalised by the dialect at
//! parse time, types and expressions in one canonical spelling, so that two schemas that mean the
//! same thing compare equal whatever text produced them.

use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    /// PostgreSQL enum types: name -> labels in their order.
    pub enums: BTreeMap<String, Vec<String>>,
    /// Free-standing sequences (a serial column's own sequence belongs to the column).
    pub sequences: BTreeMap<String, Sequence>,
    pub views: BTreeMap<String, View>,
    /// PostgreSQL functions by identity (`name(argtypes)`).
    pub functions: BTreeMap<String, super::routine::Function>,
    /// Triggers by `table.name`.
    pub triggers: BTreeMap<String, super::routine::Trigger>,
    /// PostgreSQL extended statistics (`CREATE STATISTICS`).
    pub statistics: BTreeMap<String, Statistics>,
    /// PostgreSQL domains.
    pub domains: BTreeMap<String, super::routine::Domain>,
    /// PostgreSQL aggregates by identity.
    pub aggregates: BTreeMap<String, super::routine::Aggregate>,
    /// PostgreSQL extensions the schema needs. They are the database's, shared by the tenant
    /// schemas in it: created when missing, never hashed, read back or dropped for one tenant.
    pub extensions: std::collections::BTreeSet<String>,
    /// Sequences `ALTER SEQUENCE ... OWNED BY` gave to a column whose default is not (yet) their
    /// `nextval`: pg_dump's way of writing a serial column, which the column becomes when the
    /// default comes. Not objects of their own: never compared or hashed.
    pub owned_sequences: BTreeMap<String, OwnedSequence>,
    /// Indexes the declared schema creates `CONCURRENTLY` (PostgreSQL): how `commit` builds them
    /// (online, outside a transaction), not part of the index. Never compared or hashed.
    pub concurrent_indexes: std::collections::BTreeSet<String>,
}

/// `CREATE STATISTICS name (kinds) ON columns FROM table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statistics {
    pub name: String,
    pub table: String,
    /// `ndistinct`, `dependencies`, `mcv` in that order; empty when all three (the default).
    pub kinds: Vec<String>,
    /// Column names or canonical expressions.
    pub columns: Vec<String>,
}

/// The column a sequence belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedSequence {
    pub table: String,
    pub column: String,
}

/// A view; its query is canonical text (see `schema::view`), so it compares by meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub name: String,
    pub query: String,
    pub materialized: bool,
    /// A materialized view's indexes (PostgreSQL).
    pub indexes: Vec<Index>,
    /// `COMMENT ON VIEW` (PostgreSQL).
    pub comment: Option<String>,
}

impl View {
    /// Whether the view reads a table (word match on its query).
    pub fn reads(&self, table: &str) -> bool {
        mentions(&self.query, table)
    }
}

/// A sequence with every option resolved to its value, so that spelling out a default and
/// leaving it out compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub name: String,
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// In declaration order; order is kept for rendering but is never a difference.
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<UniqueKey>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    /// PostgreSQL: `RANGE (payment_date)` for a partitioned table.
    pub partition_by: Option<String>,
    /// PostgreSQL: the partitioned table this one is a partition of, and its bound.
    pub partition_of: Option<PartitionOf>,
    /// `COMMENT ON TABLE` (PostgreSQL), `COMMENT = '...'` (MySQL).
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOf {
    pub parent: String,
    /// `FOR VALUES FROM ('2022-01-01 00:00:00+00') TO (...)`, timestamps in UTC.
    pub bound: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub nullable: bool,
    pub default: Option<String>,
    pub autoincrement: bool,
    /// `GENERATED ALWAYS AS (expr) STORED|VIRTUAL`
    pub generated: Option<Generated>,
    /// `GENERATED ALWAYS|BY DEFAULT AS IDENTITY`
    pub identity: Option<Identity>,
    /// Where it differs from the table's or database's default.
    pub collation: Option<String>,
    /// `COMMENT ON COLUMN` (PostgreSQL), `COMMENT '...'` (MySQL).
    pub comment: Option<String>,
    /// MySQL `ON UPDATE CURRENT_TIMESTAMP[(n)]`: the value the column takes whenever its row is
    /// updated (PostgreSQL does that with a trigger, SQLite not at all).
    pub on_update: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub expr: String,
    pub stored: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Always,
    ByDefault,
}

impl Column {
    pub fn new(name: &str, data_type: &str) -> Self {
        Column {
            name: name.to_string(),
            data_type: data_type.to_string(),
            nullable: true,
            default: None,
            autoincrement: false,
            generated: None,
            identity: None,
            collation: None,
            comment: None,
            on_update: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PrimaryKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UniqueKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Check {
    pub name: Option<String>,
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// `None` means NO ACTION, the default of every engine.
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    /// `MATCH FULL` (PostgreSQL): a row with some but not all key columns NULL is refused.
    pub match_full: bool,
    /// `DEFERRABLE [INITIALLY DEFERRED]` (PostgreSQL, SQLite); `None` is NOT DEFERRABLE.
    pub deferrable: Option<Deferral>,
}

/// When a deferrable constraint is checked unless a transaction says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Deferral {
    InitiallyImmediate,
    InitiallyDeferred,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    /// Column names, or expression text for expression indexes; ` DESC` appended where descending.
    pub columns: Vec<String>,
    pub unique: bool,
    pub predicate: Option<String>,
    /// PostgreSQL's access method when not the default `btree` (`gist`, `gin`, ...).
    pub method: Option<String>,
    /// PostgreSQL: the operator class of each key part where one is given (`jsonb_path_ops`);
    /// empty when none is.
    pub opclasses: Vec<Option<String>>,
    /// PostgreSQL: `INCLUDE (...)` columns, stored in the index but not part of its key.
    pub include: Vec<String>,
    /// PostgreSQL 15: `NULLS NOT DISTINCT`, a unique index that allows one NULL.
    pub nulls_not_distinct: bool,
}

impl Index {
    /// A plain b-tree index over key parts.
    pub fn new(name: &str, columns: Vec<String>, unique: bool) -> Self {
        Index {
            name: name.to_string(),
            columns,
            unique,
            predicate: None,
            method: None,
            opclasses: Vec::new(),
            include: Vec::new(),
            nulls_not_distinct: false,
        }
    }
}

/// A table-level constraint of any kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(UniqueKey),
    Check(Check),
    ForeignKey(ForeignKey),
}

impl Constraint {
    /// The name given in the schema; `None` leaves naming to the engine.
    pub fn name(&self) -> Option<&str> {
        match self {
            Constraint::PrimaryKey(c) => c.name.as_deref(),
            Constraint::Unique(c) => c.name.as_deref(),
            Constraint::Check(c) => c.name.as_deref(),
            Constraint::ForeignKey(c) => c.name.as_deref(),
        }
    }
}

/// Names one object of a schema, for messages and ownership.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectRef {
    Table(String),
    Enum(String),
    Sequence(String),
    View(String),
    Column(String, String),
    Index(String),
    Constraint(String, String),
    Function(String),
    Trigger(String, String),
    Statistics(String),
    Domain(String),
    Extension(String),
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::Table(t) => write!(f, "table {t}"),
            ObjectRef::Enum(e) => write!(f, "type {e}"),
            ObjectRef::Sequence(q) => write!(f, "sequence {q}"),
            ObjectRef::View(v) => write!(f, "view {v}"),
            ObjectRef::Column(t, c) => write!(f, "column {t}.{c}"),
            ObjectRef::Index(i) => write!(f, "index {i}"),
            ObjectRef::Constraint(t, c) => write!(f, "constraint {c} on {t}"),
            ObjectRef::Function(name) => write!(f, "function {name}"),
            ObjectRef::Domain(name) => write!(f, "domain {name}"),
            ObjectRef::Extension(name) => write!(f, "extension {name}"),
            ObjectRef::Trigger(t, name) => write!(f, "trigger {name} on {t}"),
            ObjectRef::Statistics(name) => write!(f, "statistics {name}"),
        }
    }
}

impl Table {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            partition_by: None,
            partition_of: None,
            comment: None,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// Primary key, unique, check and foreign-key constraints, in a canonical order.
    pub fn constraints(&self) -> Vec<Constraint> {
        let mut all: Vec<Constraint> = self.primary_key.iter().cloned().map(Constraint::PrimaryKey).collect();
        all.extend(self.uniques.iter().cloned().map(Constraint::Unique));
        all.extend(self.checks.iter().cloned().map(Constraint::Check));
        all.extend(self.foreign_keys.iter().cloned().map(Constraint::ForeignKey));
        all.sort();
        all
    }

    /// Tables this one references through foreign keys (other than itself).
    /// Tables this one needs to exist first: those its foreign keys reference, its partition parent.
    pub fn referenced_tables(&self) -> impl Iterator<Item = &str> {
        self.foreign_keys
            .iter()
            .map(|fk| fk.ref_table.as_str())
            .chain(self.partition_of.iter().map(|p| p.parent.as_str()))
            .filter(move |t| *t != self.name)
    }

    /// Whether a column is named by a key, constraint or index, which SQLite's DROP COLUMN refuses.
    pub fn column_is_constrained(&self, column: &str) -> bool {
        let named = |cols: &[String]| cols.iter().any(|c| c == column);
        self.primary_key.as_ref().is_some_and(|pk| named(&pk.columns))
            || self.uniques.iter().any(|u| named(&u.columns))
            || self.foreign_keys.iter().any(|fk| named(&fk.columns))
            || self
                .indexes
                .iter()
                .any(|i| named(&i.columns) || named(&i.include) || i.columns.iter().any(|e| mentions(e, column)))
            || self.checks.iter().any(|c| mentions(&c.expr, column))
    }
}

/// Whether expression text mentions an identifier (word-boundary match, quotes ignored).
pub fn mentions(expr: &str, ident: &str) -> bool {
    expr.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == ident)
}

impl Schema {
    /// The table owning an index, by index name (index names are schema-wide).
    pub fn index_owner(&self, index: &str) -> Option<&Table> {
        self.tables.values().find(|t| t.index(index).is_some())
    }

    /// Renames a table and every foreign key that points at it, as the engines do (InnoDB also
    /// renames the foreign keys it named `<table>_ibfk_<n>` itself).
    pub fn rename_table(&mut self, old: &str, new: &str) {
        let Some(mut table) = self.tables.remove(old) else { return };
        table.name = new.to_string();
        let engine_prefix = format!("{old}_ibfk_");
        for fk in &mut table.foreign_keys {
            if let Some(number) = fk.name.as_deref().and_then(|n| n.strip_prefix(&engine_prefix)) {
                fk.name = Some(format!("{new}_ibfk_{number}"));
            }
        }
        self.tables.insert(new.to_string(), table);
        for fk in self.tables.values_mut().flat_map(|t| t.foreign_keys.iter_mut()) {
            if fk.ref_table == old {
                fk.ref_table = new.to_string();
            }
        }
        for statistics in self.statistics.values_mut().filter(|s| s.table == old) {
            statistics.table = new.to_string();
        }
    }

    /// Renames a column and every key, index, check and foreign key that names it, as the engines do.
    pub fn rename_column(&mut self, table: &str, old: &str, new: &str) {
        let rename = |names: &mut Vec<String>| {
            for name in names.iter_mut() {
                *name = rename_in_expr(name, old, new);
            }
        };
        if let Some(t) = self.tables.get_mut(table) {
            for column in t.columns.iter_mut().filter(|c| c.name == old) {
                column.name = new.to_string();
            }
            if let Some(pk) = &mut t.primary_key {
                rename(&mut pk.columns);
            }
            t.uniques.iter_mut().for_each(|u| rename(&mut u.columns));
            t.foreign_keys.iter_mut().for_each(|fk| rename(&mut fk.columns));
            for check in &mut t.checks {
                check.expr = rename_in_expr(&check.expr, old, new);
            }
            for index in &mut t.indexes {
                rename(&mut index.columns);
                rename(&mut index.include);
                index.predicate = index.predicate.as_deref().map(|p| rename_in_expr(p, old, new));
            }
        }
        for fk in self.tables.values_mut().flat_map(|t| t.foreign_keys.iter_mut()) {
            if fk.ref_table == table {
                rename(&mut fk.ref_columns);
            }
        }
        for statistics in self.statistics.values_mut().filter(|s| s.table == table) {
            rename(&mut statistics.columns);
        }
    }
}

impl Table {
    /// Drops a column and what cannot outlive it: indexes and constraints that name it (what
    /// PostgreSQL and MySQL do; SQLite refuses, so its plans drop those first).
    pub fn drop_column(&mut self, name: &str) {
        self.columns.retain(|c| c.name != name);
        let names = |cols: &[String]| cols.iter().any(|c| c == name || mentions(c, name));
        if self.primary_key.as_ref().is_some_and(|pk| names(&pk.columns)) {
            self.primary_key = None;
        }
        self.uniques.retain(|u| !names(&u.columns));
        self.foreign_keys.retain(|fk| !names(&fk.columns));
        self.checks.retain(|c| !mentions(&c.expr, name));
        self.indexes.retain(|i| {
            !names(&i.columns) && !names(&i.include) && !i.predicate.as_deref().is_some_and(|p| mentions(p, name))
        });
    }
}

/// Replaces an identifier in expression text, outside string literals, keeping its quoting.
pub fn rename_in_expr(expr: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\'' {
                        break;
                    }
                }
            }
            '"' | '`' => {
                let word: String = chars.by_ref().take_while(|d| *d != c).collect();
                let word = if word == old { new.to_string() } else { word };
                out.push(c);
                out.push_str(&word);
                out.push(c);
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut word = c.to_string();
                while let Some(&d) = chars.peek().filter(|d| d.is_alphanumeric() || **d == '_') {
                    word.push(d);
                    chars.next();
                }
                out.push_str(if word == old { new } else { &word });
            }
            other => out.push(other),
        }
    }
    out
}

/// The name PostgreSQL gives a constraint created without one, which is strata's convention on
/// every engine: unnamed constraints are written under this name where the engine would choose a
/// less predictable one (MySQL) and read back as "unnamed", so both sides agree. A name that would
/// pass PostgreSQL's 63 bytes is shortened the way the server shortens it, so that the live name
/// still reads back as "unnamed".
pub fn default_constraint_name(table: &Table, constraint: &Constraint) -> String {
    let t = &table.name;
    let name = |columns: Option<&str>, label: &str| crate::names::postgres_object_name(t, columns, label);
    match constraint {
        Constraint::PrimaryKey(_) => name(None, "pkey"),
        Constraint::Unique(u) => name(Some(&u.columns.join("_")), "key"),
        Constraint::ForeignKey(fk) => name(Some(&fk.columns.join("_")), "fkey"),
        Constraint::Check(check) => {
            // One referenced column names the check after it; otherwise just the table.
            let words: Vec<&str> = check.expr.split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
            let mentioned: Vec<&str> =
                table.columns.iter().map(|c| c.name.as_str()).filter(|name| words.contains(name)).collect();
            match mentioned.as_slice() {
                [one] => name(Some(one), "check"),
                _ => name(None, "check"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_reach_every_reference_but_not_string_literals() {
        assert_eq!(rename_in_expr("(a > 0) AND (ab = 'a')", "a", "b"), "(b > 0) AND (ab = 'a')");
        assert_eq!(rename_in_expr("lower(\"a\") DESC", "a", "b"), "lower(\"b\") DESC");
    }
}
