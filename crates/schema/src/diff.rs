//! `from -> to` as an ordered list of neutral changes. Which SQL carries a change out (native ALTER
//! or a table rebuild) is the dialect's decision, not the diff's.

use std::collections::{BTreeMap, BTreeSet};

use super::model::*;
use strata_core::order::kahn_order;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `before` is the table as it was, for engines that rename derived names along.
    RenameTable {
        from: String,
        to: String,
        before: Box<Table>,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
        before: Box<Table>,
    },
    CreateEnum {
        name: String,
        labels: Vec<String>,
    },
    DropEnum {
        name: String,
        labels: Vec<String>,
    },
    /// Labels differ; only adding labels keeps existing rows valid (the planner decides).
    AlterEnum {
        name: String,
        from: Vec<String>,
        to: Vec<String>,
    },
    CreateSequence(Sequence),
    DropSequence(Sequence),
    AlterSequence {
        from: Sequence,
        to: Sequence,
    },
    CreateView(View),
    DropView(View),
    CreateExtension(String),
    DropExtension(String),
    CreateDomain(super::routine::Domain),
    DropDomain(super::routine::Domain),
    AlterDomain {
        from: super::routine::Domain,
        to: super::routine::Domain,
    },
    CreateAggregate(super::routine::Aggregate),
    DropAggregate(super::routine::Aggregate),
    CreateFunction(super::routine::Function),
    DropFunction(super::routine::Function),
    /// Same identity and result type, another body or attributes: `CREATE OR REPLACE`.
    ReplaceFunction(super::routine::Function),
    CreateTrigger(super::routine::Trigger),
    DropTrigger(super::routine::Trigger),
    CreateStatistics(Statistics),
    DropStatistics(Statistics),
    /// A new table, with its indexes.
    CreateTable(Table),
    DropTable(Table),
    /// A table that exists on both sides but differs.
    AlterTable {
        from: Box<Table>,
        to: Box<Table>,
        changes: Vec<TableChange>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableChange {
    AddColumn(Column),
    DropColumn(Column),
    ModifyColumn {
        from: Column,
        to: Column,
    },
    CreateIndex(Index),
    DropIndex(Index),
    /// The same index under another name.
    RenameIndex {
        from: String,
        to: Index,
    },
    AddConstraint(Constraint),
    DropConstraint(Constraint),
    /// The table's comment, `None` to remove it.
    SetComment(Option<String>),
}

/// Renames a layer asks for (`renames:` in its yaml). Strata never guesses a rename: without a
/// hint, a renamed column is a dropped one and a new one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Renames {
    /// old table name -> new
    #[serde(default)]
    pub tables: BTreeMap<String, String>,
    /// table (by its new name) -> old column name -> new
    #[serde(default)]
    pub columns: BTreeMap<String, BTreeMap<String, String>>,
}

impl Renames {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }

    /// The hints that undo these, for down migrations.
    pub fn reversed(&self) -> Renames {
        let old_name = |table: &String| -> String {
            self.tables
                .iter()
                .find(|(_, new)| *new == table)
                .map(|(old, _)| old.clone())
                .unwrap_or_else(|| table.clone())
        };
        Renames {
            tables: self.tables.iter().map(|(old, new)| (new.clone(), old.clone())).collect(),
            columns: self
                .columns
                .iter()
                .map(|(table, cols)| (old_name(table), cols.iter().map(|(o, n)| (n.clone(), o.clone())).collect()))
                .collect(),
        }
    }
}

/// [`diff`] after the hinted renames that apply: a table or column is renamed only where `from`
/// has the old name and not the new one and `to` the reverse, so a hint left in a yaml after its
/// migration is harmless.
pub fn diff_with_renames(from: &Schema, to: &Schema, renames: &Renames) -> Vec<Change> {
    let mut renamed = from.clone();
    let mut changes = Vec::new();
    for (old, new) in &renames.tables {
        let applies = renamed.tables.contains_key(old)
            && !renamed.tables.contains_key(new)
            && to.tables.contains_key(new)
            && !to.tables.contains_key(old);
        if applies {
            let before = Box::new(renamed.tables[old].clone());
            renamed.rename_table(old, new);
            changes.push(Change::RenameTable { from: old.clone(), to: new.clone(), before });
        }
    }
    for (table, columns) in &renames.columns {
        for (old, new) in columns {
            let has =
                |schema: &Schema, column: &str| schema.tables.get(table).is_some_and(|t| t.column(column).is_some());
            if has(&renamed, old) && !has(&renamed, new) && has(to, new) && !has(to, old) {
                let before = Box::new(renamed.tables[table].clone());
                renamed.rename_column(table, old, new);
                changes.push(Change::RenameColumn { table: table.clone(), from: old.clone(), to: new.clone(), before });
            }
        }
    }
    changes.extend(diff(&renamed, to));
    changes
}

/// Every change from `from` to `to`, in an order in which each step is valid when it runs. The
/// differs below each find one kind of change; this is the ordering pass:
/// 1. what hooks onto other objects and changes goes first (triggers, extended statistics), then
///    the views that must be remade, dependents first, then routines nothing needs any more;
/// 2. types (enums, extensions, domains, sequences), the routines tables may call, created tables
///    (referenced ones first), altered tables, the remaining routines;
/// 3. dropped tables (referencing ones first), the routines they used, dropped types;
/// 4. views made anew (what they read first), then triggers and statistics.
pub fn diff(from: &Schema, to: &Schema) -> Vec<Change> {
    let remade = remade_views(from, to);
    let routines = routine_changes(from, to);
    let created: Vec<&Table> = to.tables.values().filter(|t| !from.tables.contains_key(&t.name)).collect();
    let dropped: Vec<&Table> = from.tables.values().filter(|t| !to.tables.contains_key(&t.name)).collect();
    let mut changes = unhooks(from, to);
    let mut view_drops = views_in_order(from.views.values().filter(|v| remade.contains(v.name.as_str())));
    view_drops.reverse();
    changes.extend(view_drops.into_iter().map(|v| Change::DropView(v.clone())));
    changes.extend(routines.early_drops);
    changes.extend(enum_changes(from, to));
    // Extensions before domains, sequences and functions: those may come from them.
    changes.extend(to.extensions.difference(&from.extensions).map(|e| Change::CreateExtension(e.clone())));
    changes.extend(domain_changes(from, to));
    changes.extend(sequence_changes(from, to));
    // Functions that name no table in their signature come before the tables: a default, a
    // generated column or a check may call them (their bodies are not checked at creation).
    changes.extend(routines.before_tables);
    changes.extend(by_references(&created).into_iter().map(|t| Change::CreateTable(t.clone())));
    changes.extend(table_alters(from, to));
    changes.extend(routines.after_tables);
    let mut table_drops = by_references(&dropped);
    table_drops.reverse();
    changes.extend(table_drops.into_iter().map(|t| Change::DropTable(t.clone())));
    // Functions a dropped or changed column may have used go once the tables no longer need them.
    changes.extend(routines.late_drops);
    changes.extend(type_drops(from, to));
    changes.extend(from.extensions.difference(&to.extensions).map(|e| Change::DropExtension(e.clone())));
    let kept = |v: &View| from.views.get(&v.name) == Some(v) && !remade.contains(v.name.as_str());
    changes.extend(
        views_in_order(to.views.values().filter(|v| !kept(v))).into_iter().map(|v| Change::CreateView(v.clone())),
    );
    changes.extend(hooks(from, to));
    changes
}

/// Triggers and extended statistics that change are dropped first and made again last, after
/// what they use (dropping a column would drop statistics on it anyway).
fn unhooks(from: &Schema, to: &Schema) -> Vec<Change> {
    let triggers = from.triggers.iter().filter(|(key, t)| to.triggers.get(*key) != Some(*t));
    let statistics = from.statistics.iter().filter(|(name, s)| to.statistics.get(*name) != Some(*s));
    triggers
        .map(|(_, t)| Change::DropTrigger(t.clone()))
        .chain(statistics.map(|(_, s)| Change::DropStatistics(s.clone())))
        .collect()
}

/// The other half of [`unhooks`].
fn hooks(from: &Schema, to: &Schema) -> Vec<Change> {
    let triggers = to.triggers.iter().filter(|(key, t)| from.triggers.get(*key) != Some(*t));
    let statistics = to.statistics.iter().filter(|(name, s)| from.statistics.get(*name) != Some(*s));
    triggers
        .map(|(_, t)| Change::CreateTrigger(t.clone()))
        .chain(statistics.map(|(_, s)| Change::CreateStatistics(s.clone())))
        .collect()
}

/// Views of `from` that are dropped and (if still declared) made anew. A view is made anew only
/// when its query changes or what it reads goes away or changes type: a table it reads is
/// dropped, a column it names is dropped, retyped or generated otherwise. Anything else a table
/// goes through (a new column, index, constraint or default) leaves its views alone. A view that
/// reads a remade view is remade too.
fn remade_views<'s>(from: &'s Schema, to: &Schema) -> BTreeSet<&'s str> {
    let unreadable: Vec<(&str, Vec<&str>)> = from
        .tables
        .values()
        .map(|t| match to.tables.get(&t.name) {
            None => (t.name.as_str(), vec!["*"]),
            Some(new) => (t.name.as_str(), columns_views_cannot_follow(t, new)),
        })
        .filter(|(_, columns)| !columns.is_empty())
        .collect();
    let remade = |v: &View| {
        to.views.get(&v.name) != Some(v)
            || unreadable
                .iter()
                .any(|(table, columns)| v.reads(table) && columns.iter().any(|c| *c == "*" || mentions(&v.query, c)))
    };
    let mut remade_views: BTreeSet<&str> = from.views.values().filter(|v| remade(v)).map(|v| v.name.as_str()).collect();
    loop {
        let more: Vec<&str> = from
            .views
            .values()
            .filter(|v| !remade_views.contains(v.name.as_str()) && remade_views.iter().any(|r| v.reads(r)))
            .map(|v| v.name.as_str())
            .collect();
        if more.is_empty() {
            return remade_views;
        }
        remade_views.extend(more);
    }
}

fn enum_changes(from: &Schema, to: &Schema) -> Vec<Change> {
    let mut changes = Vec::new();
    for (name, labels) in &to.enums {
        match from.enums.get(name) {
            None => changes.push(Change::CreateEnum { name: name.clone(), labels: labels.clone() }),
            Some(old) if old != labels => {
                changes.push(Change::AlterEnum { name: name.clone(), from: old.clone(), to: labels.clone() })
            }
            Some(_) => {}
        }
    }
    changes
}

fn domain_changes(from: &Schema, to: &Schema) -> Vec<Change> {
    let mut changes = Vec::new();
    for domain in to.domains.values() {
        match from.domains.get(&domain.name) {
            None => changes.push(Change::CreateDomain(domain.clone())),
            Some(old) if old != domain => changes.push(Change::AlterDomain { from: old.clone(), to: domain.clone() }),
            Some(_) => {}
        }
    }
    changes
}

fn sequence_changes(from: &Schema, to: &Schema) -> Vec<Change> {
    let mut changes = Vec::new();
    for sequence in to.sequences.values() {
        match from.sequences.get(&sequence.name) {
            None => changes.push(Change::CreateSequence(sequence.clone())),
            Some(old) if old != sequence => {
                changes.push(Change::AlterSequence { from: old.clone(), to: sequence.clone() })
            }
            Some(_) => {}
        }
    }
    changes
}

/// Sequences, domains and enum types no longer declared, once nothing uses them.
fn type_drops(from: &Schema, to: &Schema) -> Vec<Change> {
    let sequences = from.sequences.values().filter(|s| !to.sequences.contains_key(&s.name));
    let domains = from.domains.values().filter(|d| !to.domains.contains_key(&d.name));
    let enums = from.enums.iter().filter(|(name, _)| !to.enums.contains_key(*name));
    sequences
        .map(|s| Change::DropSequence(s.clone()))
        .chain(domains.map(|d| Change::DropDomain(d.clone())))
        .chain(enums.map(|(name, labels)| Change::DropEnum { name: name.clone(), labels: labels.clone() }))
        .collect()
}

/// Tables in both schemas that differ.
fn table_alters(from: &Schema, to: &Schema) -> Vec<Change> {
    let mut changes = Vec::new();
    for table in to.tables.values() {
        if let Some(old) = from.tables.get(&table.name) {
            let table_changes = diff_table(old, table);
            // Partitioning has no change of its own: the planner compares the two tables.
            let repartitioned = old.partition_by != table.partition_by || old.partition_of != table.partition_of;
            if !table_changes.is_empty() || repartitioned {
                changes.push(Change::AlterTable {
                    from: Box::new(old.clone()),
                    to: Box::new(table.clone()),
                    changes: table_changes,
                });
            }
        }
    }
    changes
}

/// Columns of a table that a view reading them cannot outlive: dropped, retyped, or generated
/// otherwise.
fn columns_views_cannot_follow<'t>(from: &'t Table, to: &Table) -> Vec<&'t str> {
    from.columns
        .iter()
        .filter(|c| match to.column(&c.name) {
            None => true,
            Some(new) => new.data_type != c.data_type || new.collation != c.collation || new.generated != c.generated,
        })
        .map(|c| c.name.as_str())
        .collect()
}

/// Function and aggregate changes, by where they go among the others.
#[derive(Default)]
struct RoutineChanges {
    before_tables: Vec<Change>,
    after_tables: Vec<Change>,
    early_drops: Vec<Change>,
    late_drops: Vec<Change>,
}

/// Functions whose arguments or result name a table (its row type) are made after the tables
/// and dropped before them; the others are made before the tables and dropped after them.
fn routine_changes(from: &Schema, to: &Schema) -> RoutineChanges {
    let names_table = |f: &super::routine::Function, schema: &Schema| {
        let signature = f.args.iter().map(|a| a.data_type.as_str()).chain(f.returns.as_deref());
        signature.into_iter().any(|t| schema.tables.keys().any(|table| mentions(t, table)))
    };
    let mut routines = RoutineChanges::default();
    let create = |routines: &mut RoutineChanges, change: Change, function: &super::routine::Function| {
        if names_table(function, to) {
            routines.after_tables.push(change);
        } else {
            routines.before_tables.push(change);
        }
    };
    let drop = |routines: &mut RoutineChanges, function: &super::routine::Function| {
        let change = Change::DropFunction(function.clone());
        if names_table(function, from) {
            routines.early_drops.push(change);
        } else {
            routines.late_drops.push(change);
        }
    };
    for (key, function) in &to.functions {
        match from.functions.get(key) {
            None => create(&mut routines, Change::CreateFunction(function.clone()), function),
            Some(old) if old == function => {}
            // Another result type cannot be replaced in place: dropped first, whatever it names.
            Some(old) if old.returns != function.returns || old.args != function.args => {
                routines.early_drops.push(Change::DropFunction(old.clone()));
                create(&mut routines, Change::CreateFunction(function.clone()), function);
            }
            Some(_) => create(&mut routines, Change::ReplaceFunction(function.clone()), function),
        }
    }
    for (key, function) in &from.functions {
        if !to.functions.contains_key(key) {
            drop(&mut routines, function);
        }
    }
    // Aggregates are made of functions: made after all of them, dropped before any.
    for (key, aggregate) in &from.aggregates {
        if to.aggregates.get(key) != Some(aggregate) {
            routines.early_drops.insert(0, Change::DropAggregate(aggregate.clone()));
        }
    }
    for (key, aggregate) in &to.aggregates {
        if from.aggregates.get(key) != Some(aggregate) {
            routines.after_tables.push(Change::CreateAggregate(aggregate.clone()));
        }
    }
    routines
}

/// Views before the views that read them (name order where they do not, or in a cycle).
fn views_in_order<'a>(views: impl Iterator<Item = &'a View>) -> Vec<&'a View> {
    let views: Vec<&View> = views.collect();
    let names: BTreeSet<&str> = views.iter().map(|v| v.name.as_str()).collect();
    let edges: BTreeMap<&str, BTreeSet<&str>> = views
        .iter()
        .map(|v| (v.name.as_str(), names.iter().copied().filter(|n| *n != v.name && v.reads(n)).collect()))
        .collect();
    let by_name: BTreeMap<&str, &View> = views.iter().map(|v| (v.name.as_str(), *v)).collect();
    let order = kahn_order(&edges).unwrap_or_else(|_| names.iter().copied().collect());
    order.into_iter().map(|n| by_name[n]).collect()
}

/// Referenced tables before referencing ones; a reference cycle falls back to name order, which
/// engines that check references at creation reject with their own message.
fn by_references<'a>(tables: &[&'a Table]) -> Vec<&'a Table> {
    let names: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let edges: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| (t.name.as_str(), t.referenced_tables().filter(|r| names.contains(r)).collect()))
        .collect();
    let by_name: BTreeMap<&str, &Table> = tables.iter().map(|t| (t.name.as_str(), *t)).collect();
    let order = kahn_order(&edges).unwrap_or_else(|_| names.iter().copied().collect());
    order.into_iter().map(|n| by_name[n]).collect()
}

/// In an order every engine can run: indexes and constraints go before the columns they use, and
/// come back after the columns they need.
fn diff_table(from: &Table, to: &Table) -> Vec<TableChange> {
    let mut changes = Vec::new();
    let same_definition = |a: &Index, b: &Index| Index { name: b.name.clone(), ..a.clone() } == *b;
    let dropped: Vec<&Index> = from.indexes.iter().filter(|i| to.index(&i.name) != Some(*i)).collect();
    let created: Vec<&Index> = to.indexes.iter().filter(|i| from.index(&i.name) != Some(*i)).collect();
    // Only a name that is gone on one side and new on the other, for an unchanged definition;
    // each new index is the new name of at most one old one.
    let mut renames: Vec<(&Index, &Index)> = Vec::new();
    for old in &dropped {
        let new = created.iter().find(|new| {
            same_definition(old, new)
                && to.index(&old.name).is_none()
                && from.index(&new.name).is_none()
                && !renames.iter().any(|(_, taken)| taken.name == new.name)
        });
        if let Some(new) = new {
            renames.push((old, new));
        }
    }
    let renamed = |old: &Index| renames.iter().find(|(o, _)| o.name == old.name).map(|(_, new)| *new);
    for index in &dropped {
        if renamed(index).is_none() {
            changes.push(TableChange::DropIndex((*index).clone()));
        }
    }
    // A check on a column whose type changes is taken down and put back around the change:
    // engines rewrite it for the new type otherwise (PostgreSQL adds casts), or refuse the change.
    let retyped: Vec<&str> = from
        .columns
        .iter()
        .filter(|c| to.column(&c.name).is_some_and(|n| n.data_type != c.data_type))
        .map(|c| c.name.as_str())
        .collect();
    let rebuilt =
        |c: &Constraint| matches!(c, Constraint::Check(check) if retyped.iter().any(|col| mentions(&check.expr, col)));
    let (old_constraints, new_constraints) = (from.constraints(), to.constraints());
    for constraint in old_constraints.iter().filter(|c| !new_constraints.contains(c) || rebuilt(c)) {
        changes.push(TableChange::DropConstraint(constraint.clone()));
    }
    for column in &from.columns {
        match to.column(&column.name) {
            None => changes.push(TableChange::DropColumn(column.clone())),
            Some(new) if new != column => {
                changes.push(TableChange::ModifyColumn { from: column.clone(), to: new.clone() })
            }
            Some(_) => {}
        }
    }
    for column in &to.columns {
        if from.column(&column.name).is_none() {
            changes.push(TableChange::AddColumn(column.clone()));
        }
    }
    for constraint in new_constraints.iter().filter(|c| !old_constraints.contains(c) || rebuilt(c)) {
        changes.push(TableChange::AddConstraint(constraint.clone()));
    }
    let mut renamed_to = Vec::new();
    for index in &dropped {
        if let Some(new) = renamed(index) {
            changes.push(TableChange::RenameIndex { from: index.name.clone(), to: new.clone() });
            renamed_to.push(new.name.clone());
        }
    }
    for index in created.iter().filter(|i| !renamed_to.contains(&i.name)) {
        changes.push(TableChange::CreateIndex((*index).clone()));
    }
    if from.comment != to.comment {
        changes.push(TableChange::SetComment(to.comment.clone()));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpret::declared_sqlite as schema;

    #[test]
    fn a_view_is_made_anew_only_when_what_it_reads_changes() {
        let views = |a: &str, b: &str| -> Vec<String> {
            let view = "\nCREATE VIEW v AS SELECT id, a FROM t;";
            let changes = diff(&schema(&format!("{a}{view}")), &schema(&format!("{b}{view}")));
            changes
                .iter()
                .filter_map(|c| match c {
                    Change::DropView(v) => Some(format!("-{}", v.name)),
                    Change::CreateView(v) => Some(format!("+{}", v.name)),
                    _ => None,
                })
                .collect()
        };
        let t = "CREATE TABLE t (id INTEGER, a TEXT, b TEXT);";
        assert!(views(t, "CREATE TABLE t (id INTEGER, a TEXT, b TEXT, c TEXT);\nCREATE INDEX t_c ON t (c);").is_empty());
        assert!(views(t, "CREATE TABLE t (id INTEGER, a TEXT NOT NULL DEFAULT 'x', b INTEGER);").is_empty());
        assert_eq!(
            views(t, "CREATE TABLE t (id INTEGER, a INTEGER, b TEXT);"),
            ["-v", "+v"],
            "a column it reads is retyped"
        );
        assert_eq!(views(t, "CREATE TABLE t (id INTEGER, b TEXT);\nCREATE TABLE u (a TEXT);"), ["-v", "+v"]);
    }

    #[test]
    fn identical_schemas_and_column_order_give_no_change() {
        let a = schema("CREATE TABLE t (a INTEGER, b TEXT);");
        let b = schema("CREATE TABLE t (b text, a integer);");
        assert!(diff(&a, &b).is_empty());
    }

    #[test]
    fn referenced_tables_are_created_first_and_dropped_last() {
        let empty = Schema::default();
        let full = schema(
            "CREATE TABLE child (p INTEGER REFERENCES parent(id));\nCREATE TABLE parent (id INTEGER PRIMARY KEY);",
        );
        let names = |changes: Vec<Change>| -> Vec<String> {
            changes
                .into_iter()
                .map(|c| match c {
                    Change::CreateTable(t) => format!("+{}", t.name),
                    Change::DropTable(t) => format!("-{}", t.name),
                    Change::AlterTable { to, .. } => format!("~{}", to.name),
                    other => format!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(names(diff(&empty, &full)), ["+parent", "+child"]);
        assert_eq!(names(diff(&full, &empty)), ["-child", "-parent"]);
    }

    #[test]
    fn table_changes_are_listed_per_kind() {
        let a = schema("CREATE TABLE t (a INTEGER, b TEXT);\nCREATE INDEX t_b ON t (b);");
        let b = schema("CREATE TABLE t (a INTEGER NOT NULL, c TEXT, UNIQUE (a));\nCREATE INDEX t_c ON t (c);");
        let Change::AlterTable { changes, .. } = &diff(&a, &b)[0] else { panic!("expected an alter") };
        let kinds: Vec<&str> = changes
            .iter()
            .map(|c| match c {
                TableChange::AddColumn(_) => "add",
                TableChange::DropColumn(_) => "drop",
                TableChange::ModifyColumn { .. } => "modify",
                TableChange::CreateIndex(_) => "create-index",
                TableChange::DropIndex(_) => "drop-index",
                TableChange::RenameIndex { .. } => "rename-index",
                TableChange::AddConstraint(_) => "add-constraint",
                TableChange::DropConstraint(_) => "drop-constraint",
                TableChange::SetComment(_) => "comment",
            })
            .collect();
        assert_eq!(kinds, ["drop-index", "modify", "drop", "add", "add-constraint", "create-index"]);
    }

    #[test]
    fn hinted_renames_replace_drop_and_add_and_stale_hints_do_nothing() {
        let a = schema("CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE t (id INTEGER, phone TEXT REFERENCES p (id));\nCREATE INDEX t_phone ON t (phone);");
        let b = schema("CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE people (id INTEGER, mobile TEXT REFERENCES p (id));\nCREATE INDEX t_phone ON people (mobile);");
        let renames = Renames {
            tables: BTreeMap::from([("t".into(), "people".into())]),
            columns: BTreeMap::from([("people".into(), BTreeMap::from([("phone".into(), "mobile".into())]))]),
        };
        let changes = diff_with_renames(&a, &b, &renames);
        let shown: Vec<String> = changes
            .iter()
            .map(|c| match c {
                Change::RenameTable { from, to, .. } => format!("table {from} -> {to}"),
                Change::RenameColumn { table, from, to, .. } => format!("column {table}.{from} -> {to}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(shown, ["table t -> people", "column people.phone -> mobile"]);
        assert_eq!(diff_with_renames(&b, &a, &renames.reversed()).len(), 2, "the reversed hints undo it");
        assert!(diff_with_renames(&b, &b, &renames).is_empty(), "a hint whose rename is done does nothing");
        assert_eq!(diff(&a, &b).len(), 2, "without hints: drop t, create people");
    }
}
