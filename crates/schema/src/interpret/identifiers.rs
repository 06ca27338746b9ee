//! The names a statement leaves in the model, checked after every statement (declarative files and
//! migration replay alike) against the engine's rules: none longer than the engine keeps, none the
//! engine would take for another name of the same namespace. Either would pass `commit` and fail
//! (MySQL) or drift forever (PostgreSQL's silent truncation) at apply.
//!
//! Only what the statement touched is looked at: the table it created or changed and the objects
//! it created or renamed; everything else passed when its own statement was applied.

use std::collections::HashMap;

use sqlparser::ast::{self, AlterTableOperation, Statement};

use super::{ApplyError, Interpreter};
use crate::model::*;
use crate::names::{folded, same_name, NameLimit};
use crate::parse::Parsed;
use strata_core::{Dialect, SYMBOL_PREFIX};

impl Interpreter {
    /// The objects a statement gave a new name (renames do not create, so they are not in the
    /// statement's created list).
    pub(super) fn renamed(&self, statement: &Parsed) -> Vec<ObjectRef> {
        let Parsed::Sql(statement) = statement else { return Vec::new() };
        match statement.as_ref() {
            Statement::AlterTable(alter) => {
                let Ok(table) = self.object_name(&alter.name) else { return Vec::new() };
                alter
                    .operations
                    .iter()
                    .filter_map(|op| match op {
                        AlterTableOperation::RenameTable {
                            table_name: ast::RenameTableNameKind::As(new) | ast::RenameTableNameKind::To(new),
                        } => self.object_name(new).ok().map(ObjectRef::Table),
                        AlterTableOperation::RenameColumn { new_column_name, .. } => {
                            Some(ObjectRef::Column(table.clone(), self.name(new_column_name)))
                        }
                        AlterTableOperation::RenameConstraint { new_name, .. } => {
                            Some(ObjectRef::Constraint(table.clone(), self.name(new_name)))
                        }
                        _ => None,
                    })
                    .collect()
            }
            Statement::RenameTable(renames) => {
                renames.iter().filter_map(|r| self.object_name(&r.new_name).ok().map(ObjectRef::Table)).collect()
            }
            Statement::AlterIndex { operation: ast::AlterIndexOperation::RenameIndex { index_name }, .. } => {
                self.object_name(index_name).ok().map(ObjectRef::Index).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Checks `table` (the table the statement created or changed, as the engine left it) and the
/// objects the statement created or renamed.
pub(super) fn check(
    dialect: Dialect,
    schema: &Schema,
    table: Option<&Table>,
    subjects: &[ObjectRef],
) -> Result<(), ApplyError> {
    if let Some(table) = table {
        for (object, name) in table_names(table) {
            check_length(dialect, &object, name)?;
        }
        check_table_namespaces(dialect, table)?;
    }
    for object in subjects {
        if let Some(name) = own_name(object) {
            check_length(dialect, object, name)?;
        }
    }
    check_schema_namespaces(dialect, schema, table, subjects)
}

/// Whether a name is a tenant value not rendered yet (symbolic rendering), whose real length and
/// spelling are only known, and checked, when it is rendered for a tenant.
fn is_symbolic(name: &str) -> bool {
    name.contains(SYMBOL_PREFIX)
}

/// Refuses a name longer than the engine keeps.
fn check_length(dialect: Dialect, object: &ObjectRef, name: &str) -> Result<(), ApplyError> {
    let Some(limit) = NameLimit::of(dialect) else { return Ok(()) };
    match limit.exceeded_by(name) {
        Some(length) if !is_symbolic(name) => Err(ApplyError::TooLong {
            object: object.clone(),
            length,
            limit,
            dialect,
            engine_named: is_engine_foreign_key_name(dialect, object),
        }),
        _ => Ok(()),
    }
}

/// A MySQL foreign key named `<table>_ibfk_<n>`: the name the engine (and the model after it)
/// gives a foreign key written without one.
fn is_engine_foreign_key_name(dialect: Dialect, object: &ObjectRef) -> bool {
    let ObjectRef::Constraint(table, name) = object else { return false };
    dialect == Dialect::Mysql && name.strip_prefix(&format!("{table}_ibfk_")).is_some_and(|n| n.parse::<u32>().is_ok())
}

/// The name an object goes by in its namespace (a function's without its argument types);
/// `None` for extensions, whose names are the extension's own.
fn own_name(object: &ObjectRef) -> Option<&str> {
    match object {
        ObjectRef::Table(name)
        | ObjectRef::Enum(name)
        | ObjectRef::Sequence(name)
        | ObjectRef::View(name)
        | ObjectRef::Index(name)
        | ObjectRef::Statistics(name)
        | ObjectRef::Domain(name)
        | ObjectRef::Column(_, name)
        | ObjectRef::Constraint(_, name)
        | ObjectRef::Trigger(_, name) => Some(name),
        ObjectRef::Function(identity) => identity.split('(').next(),
        ObjectRef::Extension(_) => None,
    }
}

/// Every name a table holds: its own, its columns', its indexes' and its named constraints'.
fn table_names(table: &Table) -> Vec<(ObjectRef, &str)> {
    let t = &table.name;
    let mut names = vec![(ObjectRef::Table(t.clone()), t.as_str())];
    names.extend(table.columns.iter().map(|c| (ObjectRef::Column(t.clone(), c.name.clone()), c.name.as_str())));
    names.extend(table.indexes.iter().map(|i| (ObjectRef::Index(i.name.clone()), i.name.as_str())));
    let constraints = (table.primary_key.iter().map(|k| &k.name))
        .chain(table.uniques.iter().map(|u| &u.name))
        .chain(table.checks.iter().map(|c| &c.name))
        .chain(table.foreign_keys.iter().map(|f| &f.name));
    names.extend(constraints.flatten().map(|n| (ObjectRef::Constraint(t.clone(), n.clone()), n.as_str())));
    names
}

/// Names that share a namespace inside one table: columns (SQLite, MySQL), indexes and check
/// constraints (MySQL), and the constraint names PostgreSQL chooses itself.
fn check_table_namespaces(dialect: Dialect, table: &Table) -> Result<(), ApplyError> {
    let t = &table.name;
    let columns = table.columns.iter().map(|c| (ObjectRef::Column(t.clone(), c.name.clone()), c.name.as_str()));
    match dialect {
        Dialect::Sqlite => first_clash(dialect, columns),
        Dialect::Mysql => {
            first_clash(dialect, columns)?;
            first_clash(dialect, table.indexes.iter().map(|i| (ObjectRef::Index(i.name.clone()), i.name.as_str())))?;
            let checks = table.checks.iter().filter_map(|c| c.name.as_deref());
            first_clash(dialect, checks.map(|n| (ObjectRef::Constraint(t.clone(), n.to_string()), n)))
        }
        Dialect::Postgres => check_postgres_chosen_names(table),
    }
}

/// PostgreSQL numbers a name it chooses when the table already has it (`t_check1`), a name the
/// model cannot predict and would read back as a difference forever: two multi-column checks
/// without names, or two foreign keys whose column lists are cut to the same 63 bytes.
fn check_postgres_chosen_names(table: &Table) -> Result<(), ApplyError> {
    let mut seen: HashMap<String, bool> = HashMap::new();
    for constraint in table.constraints() {
        let chosen = constraint.name().is_none();
        let name = constraint.name().map_or_else(|| default_constraint_name(table, &constraint), str::to_string);
        match seen.insert(name.clone(), chosen) {
            Some(other_chosen) if chosen || other_chosen => {
                return Err(ApplyError::ChosenNameTaken { table: table.name.clone(), name })
            }
            _ => {}
        }
    }
    Ok(())
}

/// The first name of `names` that the engine takes for an earlier one.
fn first_clash<'n>(dialect: Dialect, names: impl Iterator<Item = (ObjectRef, &'n str)>) -> Result<(), ApplyError> {
    let mut seen: HashMap<String, ObjectRef> = HashMap::new();
    for (object, name) in names.filter(|(_, name)| !is_symbolic(name)) {
        if let Some(first) = seen.insert(folded(dialect, name), object.clone()) {
            return Err(ApplyError::SameName { first, second: object, dialect });
        }
    }
    Ok(())
}

/// Names that share a namespace across the schema: tables and views (and SQLite's indexes) and
/// MySQL's foreign keys, which InnoDB keeps per database.
fn check_schema_namespaces(
    dialect: Dialect,
    schema: &Schema,
    table: Option<&Table>,
    subjects: &[ObjectRef],
) -> Result<(), ApplyError> {
    if dialect == Dialect::Postgres {
        return Ok(());
    }
    let relation = |object: &ObjectRef| match object {
        ObjectRef::Table(_) | ObjectRef::View(_) => true,
        ObjectRef::Index(_) => dialect == Dialect::Sqlite,
        _ => false,
    };
    let table_subject = table.map(|t| ObjectRef::Table(t.name.clone()));
    for subject in subjects.iter().chain(&table_subject).filter(|o| relation(o)) {
        clash_with(dialect, subject, relations(dialect, schema))?;
    }
    if let (Dialect::Mysql, Some(table)) = (dialect, table) {
        for fk in table.foreign_keys.iter().filter_map(|fk| fk.name.as_deref()) {
            let subject = ObjectRef::Constraint(table.name.clone(), fk.to_string());
            clash_with(dialect, &subject, foreign_keys(schema))?;
        }
    }
    Ok(())
}

/// What an object of a schema-wide namespace is, to name it in a message without building a
/// reference for every object looked at.
#[derive(Clone, Copy)]
enum Kind<'s> {
    Table,
    View,
    Index,
    ForeignKeyOf(&'s str),
}

impl Kind<'_> {
    fn object(self, name: &str) -> ObjectRef {
        match self {
            Kind::Table => ObjectRef::Table(name.to_string()),
            Kind::View => ObjectRef::View(name.to_string()),
            Kind::Index => ObjectRef::Index(name.to_string()),
            Kind::ForeignKeyOf(table) => ObjectRef::Constraint(table.to_string(), name.to_string()),
        }
    }
}

/// Refuses `subject` when another object of `namespace` goes by the same name to the engine.
fn clash_with<'s>(
    dialect: Dialect,
    subject: &ObjectRef,
    namespace: impl Iterator<Item = (&'s str, Kind<'s>)>,
) -> Result<(), ApplyError> {
    let Some(name) = own_name(subject).filter(|name| !is_symbolic(name)) else { return Ok(()) };
    for (other_name, kind) in namespace {
        let first = || kind.object(other_name);
        if same_name(dialect, name, other_name) && first() != *subject {
            return Err(ApplyError::SameName { first: first(), second: subject.clone(), dialect });
        }
    }
    Ok(())
}

/// Tables and views, and on SQLite indexes, which share their namespace.
fn relations(dialect: Dialect, schema: &Schema) -> impl Iterator<Item = (&str, Kind<'_>)> {
    let tables = schema.tables.keys().map(|t| (t.as_str(), Kind::Table));
    let views = schema.views.keys().map(|v| (v.as_str(), Kind::View));
    let indexes = schema.tables.values().flat_map(|t| &t.indexes).filter(move |_| dialect == Dialect::Sqlite);
    tables.chain(views).chain(indexes.map(|i| (i.name.as_str(), Kind::Index)))
}

/// Every named foreign key of the schema.
fn foreign_keys(schema: &Schema) -> impl Iterator<Item = (&str, Kind<'_>)> {
    schema.tables.values().flat_map(|t| {
        t.foreign_keys.iter().filter_map(|fk| Some((fk.name.as_deref()?, Kind::ForeignKeyOf(t.name.as_str()))))
    })
}

#[cfg(test)]
mod tests {
    use super::super::Mode;
    use super::*;
    use crate::parse::parse_statements;

    /// The first error applying `sql` to an empty model, as the engine's own rules read it.
    fn refusal(dialect: Dialect, sql: &str) -> Option<ApplyError> {
        let interpreter = Interpreter::new(crate::engine::as_written(dialect), Mode::Replay);
        let mut schema = Schema::default();
        let statements = parse_statements(dialect, sql).unwrap();
        statements.iter().map(|l| interpreter.apply(&mut schema, &l.statement)).find_map(Result::err)
    }

    #[test]
    fn names_over_the_limit_are_refused_where_the_engine_has_one() {
        let long = "a".repeat(64);
        for sql in [
            format!("CREATE TABLE {long} (id int);"),
            format!("CREATE TABLE t (id int, {long} int);"),
            format!("CREATE TABLE t (id int, CONSTRAINT {long} CHECK (id > 0));"),
            format!("CREATE TABLE t (id int);\nCREATE INDEX {long} ON t (id);"),
            format!("CREATE VIEW {long} AS SELECT 1 AS one;"),
            format!("CREATE TABLE t (id int);\nALTER TABLE t RENAME TO {long};"),
            format!("CREATE TABLE t (id int);\nALTER TABLE t RENAME COLUMN id TO {long};"),
        ] {
            assert!(matches!(refusal(Dialect::Postgres, &sql), Some(ApplyError::TooLong { .. })), "{sql}");
            assert_eq!(refusal(Dialect::Sqlite, &sql), None, "SQLite has no limit: {sql}");
        }
        assert!(matches!(
            refusal(Dialect::Postgres, &format!("CREATE SEQUENCE {long};")),
            Some(ApplyError::TooLong { length: 64, .. })
        ));
        assert_eq!(refusal(Dialect::Postgres, &format!("CREATE TABLE {} (id int);", "a".repeat(63))), None);
        assert_eq!(refusal(Dialect::Mysql, &format!("CREATE TABLE {long} (id int);")), None, "64 characters");
        let over = format!("CREATE TABLE t (id int, {} int);", "a".repeat(65));
        assert!(matches!(refusal(Dialect::Mysql, &over), Some(ApplyError::TooLong { length: 65, .. })));
    }

    #[test]
    fn a_symbolic_name_waits_for_its_tenant() {
        let name = format!("\"{SYMBOL_PREFIX}tenant.vars.{}__\"", "a".repeat(60));
        assert_eq!(refusal(Dialect::Postgres, &format!("CREATE TABLE {name} (id int);")), None);
    }

    #[test]
    fn names_the_engine_folds_together_are_refused() {
        let same = |dialect, sql: &str| matches!(refusal(dialect, sql), Some(ApplyError::SameName { .. }));
        assert!(same(Dialect::Sqlite, "CREATE TABLE Foo (id int);\nCREATE TABLE \"FOO\" (id int);"));
        assert!(same(Dialect::Sqlite, "CREATE TABLE t (a int, A int);"));
        assert!(same(Dialect::Sqlite, "CREATE TABLE t (a int);\nCREATE VIEW T AS SELECT 1 AS one;"));
        assert!(same(Dialect::Sqlite, "CREATE TABLE t (a int);\nCREATE INDEX T ON t (a);"));
        assert!(same(Dialect::Sqlite, "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN \"A\" int;"));
        assert!(same(Dialect::Sqlite, "CREATE TABLE t (a int);\nCREATE TABLE u (a int);\nALTER TABLE u RENAME TO T;"));
        assert!(same(Dialect::Mysql, "CREATE TABLE t (Email text, email text);"));
        assert!(same(
            Dialect::Mysql,
            "CREATE TABLE t (a int, b int);\nCREATE INDEX ix ON t (a);\nCREATE INDEX IX ON t (b);"
        ));
        assert!(same(Dialect::Mysql, "CREATE TABLE Foo (id int);\nCREATE TABLE foo (id int);"));
        assert!(same(
            Dialect::Mysql,
            "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE a (p int, CONSTRAINT fk FOREIGN KEY (p) REFERENCES p (id));\n\
             CREATE TABLE b (p int, CONSTRAINT FK FOREIGN KEY (p) REFERENCES p (id));"
        ));
        // PostgreSQL keeps quoted case: two tables.
        assert_eq!(refusal(Dialect::Postgres, "CREATE TABLE \"Foo\" (id int);\nCREATE TABLE foo (id int);"), None);
        // Letters outside ASCII are not folded by SQLite.
        assert_eq!(refusal(Dialect::Sqlite, "CREATE TABLE t (\"é\" int, \"É\" int);"), None);
    }

    #[test]
    fn both_spellings_and_the_engine_are_named() {
        let error = refusal(Dialect::Sqlite, "CREATE TABLE Foo (id int);\nCREATE TABLE \"FOO\" (id int);").unwrap();
        assert_eq!(
            error.to_string(),
            "table FOO and table Foo are one name to SQLite, which ignores case in names; rename one of them"
        );
        let error = refusal(Dialect::Postgres, &format!("CREATE TABLE {} (id int);", "a".repeat(64))).unwrap();
        assert!(error.to_string().contains("the name is 64 bytes long; PostgreSQL keeps 63 bytes"), "{error}");
    }

    #[test]
    fn constraint_names_postgres_would_number_are_refused() {
        let sql = "CREATE TABLE t (a int, b int, CHECK (a > b), CHECK (a < b + 10));";
        assert!(matches!(refusal(Dialect::Postgres, sql), Some(ApplyError::ChosenNameTaken { .. })));
        let named = "CREATE TABLE t (a int, b int, CHECK (a > b), CONSTRAINT t_range CHECK (a < b + 10));";
        assert_eq!(refusal(Dialect::Postgres, named), None);
        // A long table's chosen names are cut the way PostgreSQL cuts them, not refused.
        let long = format!("CREATE TABLE {} (id int PRIMARY KEY, x int CHECK (x > 0));", "a".repeat(63));
        assert_eq!(refusal(Dialect::Postgres, &long), None);
    }
}
