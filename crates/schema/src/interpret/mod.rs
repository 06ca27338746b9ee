//! Statements -> changes to a [`Schema`]: one interpreter serves declarative files and migration
//! replay. A schema file is a sequence of DDL statements applied to an empty model, and a layer's
//! migrations are the same applied in order. Declarative files may only hold DDL the model
//! understands; migrations may also hold data statements, which leave the model unchanged. The
//! effect of each kind of object lives in its own file.

mod alter;
mod identifiers;
mod routines;
mod table;
mod types;
mod view;

use sqlparser::ast::{self, Expr, ObjectName, Statement};

use crate::model::*;
use crate::names::{engine_name, NameLimit};
use crate::normalize;
use crate::parse::Parsed;
use crate::{extra, Engine};
use strata_core::Dialect;

/// What went wrong applying one statement; the caller adds file, line and owning layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("{0} already exists")]
    Exists(ObjectRef),
    #[error("{0} does not exist")]
    Missing(ObjectRef),
    #[error("{0}")]
    Unsupported(String),
    #[error("{object}: the name is {length} {} long; {}", .limit.unit(), over_limit(*.dialect, *.limit, *.engine_named))]
    TooLong { object: ObjectRef, length: usize, limit: NameLimit, dialect: Dialect, engine_named: bool },
    #[error("{second} and {first} are one name to {}, which ignores case in names; rename one of them", engine_name(*.dialect))]
    SameName { first: ObjectRef, second: ObjectRef, dialect: Dialect },
    #[error("table {table}: two of its constraints would be named {name} by PostgreSQL, which numbers the second (a name the schema cannot say, so it would differ forever); name them")]
    ChosenNameTaken { table: String, name: String },
}

/// What the engine does with a name over its limit, and what to do about it.
fn over_limit(dialect: Dialect, limit: NameLimit, engine_named: bool) -> String {
    let consequence = match dialect {
        Dialect::Postgres => {
            format!("PostgreSQL keeps {limit} and would cut it silently, so the database would never match the schema")
        }
        _ => format!("{} refuses names over {limit}", engine_name(dialect)),
    };
    let remedy = match engine_named {
        true => {
            "it is the name the engine gives a foreign key written without one: give the foreign key a shorter name"
        }
        false => "shorten it",
    };
    format!("{consequence}; {remedy}")
}

/// Whether data statements are allowed (migrations) or an error (declarative schema files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Declarative,
    Replay,
}

/// Applies statements to a schema model for one engine.
pub struct Interpreter {
    pub dialect: Dialect,
    pub mode: Mode,
    engine: &'static dyn Engine,
}

impl Interpreter {
    /// An interpreter that reads SQL the way `engine` runs it.
    pub fn new(engine: &'static dyn Engine, mode: Mode) -> Self {
        Interpreter { dialect: engine.dialect(), mode, engine }
    }

    fn name(&self, ident: &ast::Ident) -> String {
        self.dialect.normalize_ident(ident)
    }

    /// The last part of a possibly qualified name (`public.members` -> `members`): schema
    /// qualifiers are tenant-local and resolved by isolation, not by the model.
    /// An object's name. The default schema (`public` on PostgreSQL, `main` on SQLite) is
    /// tenant-local: with `isolation: schema` every tenant is a schema of its own, so
    /// `public.members` is each tenant's members. Any other qualifier names a place outside the
    /// tenant, which the model does not hold.
    fn object_name(&self, name: &ObjectName) -> Result<String, ApplyError> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|part| match part {
                ast::ObjectNamePart::Identifier(ident) => Ok(self.name(ident)),
                _ => Err(ApplyError::Unsupported(format!("unsupported object name {name}"))),
            })
            .collect::<Result<_, _>>()?;
        match parts.as_slice() {
            [object] => Ok(object.clone()),
            [schema, object] if self.dialect.default_schema() == Some(schema.as_str()) => Ok(object.clone()),
            _ => Err(ApplyError::Unsupported(format!(
                "{name} is outside the tenant's schema; objects in other schemas or databases are not supported"
            ))),
        }
    }

    fn postgres_only(&self, what: &str) -> Result<(), ApplyError> {
        if self.dialect == Dialect::Postgres {
            Ok(())
        } else {
            Err(ApplyError::Unsupported(format!("{what} is PostgreSQL's; not supported for {}", self.dialect)))
        }
    }

    /// A sequence with PostgreSQL's defaults filled in.
    fn sequence(&self, name: &str, options: &[ast::SequenceOptions]) -> Result<Sequence, ApplyError> {
        let number = |e: &Expr| -> Result<i64, ApplyError> {
            let text = normalize::expr(self.dialect, e);
            text.parse()
                .map_err(|_| ApplyError::Unsupported(format!("sequence {name}: `{text}` is not a whole number")))
        };
        let (mut data_type, mut increment, mut min, mut max, mut start, mut cache, mut cycle) =
            ("bigint".to_string(), 1, None, None, None, 1, false);
        for option in options {
            match option {
                ast::SequenceOptions::DataType(dt) => data_type = normalize::data_type(self.dialect, dt).0,
                ast::SequenceOptions::IncrementBy(e, _) => increment = number(e)?,
                ast::SequenceOptions::MinValue(e) => min = e.as_ref().map(number).transpose()?,
                ast::SequenceOptions::MaxValue(e) => max = e.as_ref().map(number).transpose()?,
                ast::SequenceOptions::StartWith(e, _) => start = Some(number(e)?),
                ast::SequenceOptions::Cache(e) => cache = number(e)?,
                ast::SequenceOptions::Cycle(no) => cycle = !no,
                other => {
                    return Err(ApplyError::Unsupported(format!(
                        "sequence {name}: option `{other}` is not supported yet"
                    )))
                }
            }
        }
        let type_max = match data_type.as_str() {
            "smallint" => i64::from(i16::MAX),
            "integer" => i64::from(i32::MAX),
            _ => i64::MAX,
        };
        let (min, max) = if increment > 0 {
            (min.unwrap_or(1), max.unwrap_or(type_max))
        } else {
            (min.unwrap_or(-type_max - 1), max.unwrap_or(-1))
        };
        let start = start.unwrap_or(if increment > 0 { min } else { max });
        Ok(Sequence { name: name.to_string(), data_type, start, increment, min, max, cache, cycle })
    }

    fn expr(&self, expr: &Expr) -> String {
        normalize::expr(self.dialect, expr)
    }

    fn names(&self, idents: &[ast::Ident]) -> Vec<String> {
        idents.iter().map(|i| self.name(i)).collect()
    }

    fn index_columns(&self, columns: &[ast::IndexColumn]) -> Vec<String> {
        columns
            .iter()
            .map(|c| {
                let mut text = match &c.column.expr {
                    Expr::Identifier(ident) => self.name(ident),
                    // An expression that prints as one word (`true`) must not pass for a column.
                    other => match self.expr(other) {
                        word if word.chars().all(|ch| ch.is_alphanumeric() || ch == '_') => format!("({word})"),
                        text => text,
                    },
                };
                let desc = c.column.options.sort == Some(ast::OrderBySort::Desc);
                if desc {
                    text.push_str(" DESC");
                }
                // NULLS LAST is the default ascending, NULLS FIRST descending.
                match c.column.options.nulls_first {
                    Some(true) if !desc => text.push_str(" NULLS FIRST"),
                    Some(false) if desc => text.push_str(" NULLS LAST"),
                    _ => {}
                }
                text
            })
            .collect()
    }

    /// Applies one statement. Returns the objects it created, so that composition can record
    /// which layer owns them.
    pub fn apply(&self, schema: &mut Schema, statement: &Parsed) -> Result<Vec<ObjectRef>, ApplyError> {
        let (created, touched) = match statement {
            Parsed::Sql(statement) => {
                let touched = match statement.as_ref() {
                    Statement::CreateTable(create) => Some(&create.name),
                    Statement::AlterTable(alter) => Some(&alter.name),
                    Statement::CreateIndex(create) => Some(&create.table_name),
                    _ => None,
                };
                (self.apply_statement(schema, statement)?, touched)
            }
            Parsed::Extra(extra) => {
                let touched = match extra {
                    extra::Statement::AlterTable { name, .. } => Some(name),
                    _ => None,
                };
                (self.apply_extra(schema, extra)?, touched)
            }
        };
        let mut subjects = self.renamed(statement);
        // A renamed table is the table the statement leaves behind.
        let touched = subjects
            .iter()
            .find_map(|o| match o {
                ObjectRef::Table(new) => Some(new.clone()),
                _ => None,
            })
            .or_else(|| touched.and_then(|name| self.object_name(name).ok()));
        if let Some(table) = touched.as_ref().and_then(|name| schema.tables.get_mut(name)) {
            self.engine.normalize_table(table);
        }
        subjects.extend(created.iter().cloned());
        let table = touched.as_ref().and_then(|name| schema.tables.get(name));
        identifiers::check(self.dialect, schema, table, &subjects)?;
        Ok(created)
    }

    fn apply_statement(&self, schema: &mut Schema, statement: &Statement) -> Result<Vec<ObjectRef>, ApplyError> {
        match statement {
            Statement::CreateTable(create) => self.create_table(schema, create),
            Statement::CreateIndex(create) => self.create_index(schema, create),
            Statement::AlterTable(alter) => {
                let table = self.object_name(&alter.name)?;
                let mut created = Vec::new();
                for op in &alter.operations {
                    created.extend(self.alter_table(schema, &table, op)?);
                }
                Ok(created)
            }
            Statement::CreateType {
                name,
                representation: Some(ast::UserDefinedTypeRepresentation::Enum { labels }),
            } => self.create_enum(schema, name, labels),
            Statement::AlterType(alter) => self.alter_enum(schema, alter),
            Statement::CreateSequence { name, sequence_options, if_not_exists, .. } => {
                self.create_sequence(schema, name, sequence_options, *if_not_exists)
            }
            Statement::CreateView(create) => self.create_view(schema, create),
            Statement::CreateDomain(create) => self.create_domain(schema, create),
            Statement::DropDomain(drop) => self.drop_domain(schema, drop),
            Statement::CreateExtension(create) => self.create_extension(schema, create),
            Statement::DropExtension(drop) => self.drop_extension(schema, drop),
            Statement::CreateAggregate(create) => self.create_aggregate(schema, create),
            Statement::CreateFunction(create) => self.create_function(schema, create),
            Statement::DropFunction(drop) => self.drop_function(schema, drop),
            Statement::CreateTrigger(create) => self.create_trigger(schema, create),
            Statement::DropTrigger(drop) => self.drop_trigger(schema, drop),
            Statement::AlterIndex { name, operation: ast::AlterIndexOperation::RenameIndex { index_name } } => {
                self.rename_index(schema, name, index_name)?;
                Ok(Vec::new())
            }
            Statement::Comment { object_type, object_name, comment, .. } => {
                self.comment(schema, *object_type, object_name, comment.clone())?;
                Ok(Vec::new())
            }
            Statement::RenameTable(renames) => {
                for rename in renames {
                    let (old, new) = (self.object_name(&rename.old_name)?, self.object_name(&rename.new_name)?);
                    if !schema.tables.contains_key(&old) {
                        return Err(ApplyError::Missing(ObjectRef::Table(old)));
                    }
                    if schema.tables.contains_key(&new) {
                        return Err(ApplyError::Exists(ObjectRef::Table(new)));
                    }
                    schema.rename_table(&old, &new);
                }
                Ok(Vec::new())
            }
            Statement::Drop { object_type, if_exists, names, .. } => {
                for name in names {
                    self.drop(schema, *object_type, *if_exists, &self.object_name(name)?)?;
                }
                Ok(Vec::new())
            }
            // A migration's data statements run as written and change no object: a backfill, a
            // data move, a check (`SELECT`), a procedure, statistics.
            statement if is_data(statement) && self.mode == Mode::Replay => Ok(Vec::new()),
            statement if is_data(statement) => Err(ApplyError::Unsupported(
                "data statements belong in seed/*.sql or a hand-written migration, not in schema files".to_string(),
            )),
            other => {
                let text = other.to_string();
                let head: String = text.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
                Err(ApplyError::Unsupported(format!("statement not supported by the schema model yet: {head} ...")))
            }
        }
    }
}

/// Statements that read or write rows (or statistics) and leave every object as it was.
fn is_data(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Insert(_)
            | Statement::Update { .. }
            | Statement::Delete(_)
            | Statement::Merge(_)
            | Statement::Query(_)
            | Statement::Call(_)
            | Statement::Truncate(_)
            | Statement::Analyze(_)
            | Statement::Vacuum(_)
            | Statement::Pragma { .. }
            | Statement::Lock(_)
            | Statement::LockTables { .. }
            | Statement::Copy { .. }
    )
}

/// A table that a statement names but the model does not have.
fn missing_table(name: &str) -> ApplyError {
    ApplyError::Missing(ObjectRef::Table(name.to_string()))
}

fn table<'s>(schema: &'s Schema, name: &str) -> Result<&'s Table, ApplyError> {
    schema.tables.get(name).ok_or_else(|| missing_table(name))
}

fn table_mut<'s>(schema: &'s mut Schema, name: &str) -> Result<&'s mut Table, ApplyError> {
    schema.tables.get_mut(name).ok_or_else(|| missing_table(name))
}

/// A SQLite schema read from declarative SQL, for the schema modules' unit tests.
#[cfg(test)]
pub(crate) fn declared_sqlite(sql: &str) -> Schema {
    use crate::parse::parse_statements;
    let interpreter = Interpreter::new(crate::engine::as_written(Dialect::Sqlite), Mode::Declarative);
    let mut schema = Schema::default();
    for located in parse_statements(Dialect::Sqlite, sql).unwrap() {
        interpreter.apply(&mut schema, &located.statement).unwrap();
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_statements, parse_with_session_statements};

    #[test]
    fn online_statements_replay_to_the_schema_they_make() {
        let interpreter = Interpreter::new(crate::engine::as_written(Dialect::Postgres), Mode::Replay);
        let mut schema = Schema::default();
        let sql = "CREATE TABLE b (id bigint PRIMARY KEY);\n\
                   CREATE TABLE a (id bigint PRIMARY KEY, b_id bigint, x int);\n\
                   CREATE INDEX CONCURRENTLY a_x_idx ON a (x);\n\
                   ALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES b (id) NOT VALID;\n\
                   ALTER TABLE a ADD CONSTRAINT a_x_check CHECK (x > 0) NOT VALID;\n\
                   ALTER TABLE a VALIDATE CONSTRAINT a_b_fk;\n\
                   ALTER TABLE a VALIDATE CONSTRAINT a_x_check;\n\
                   DROP INDEX CONCURRENTLY IF EXISTS a_x_idx;";
        for located in parse_statements(Dialect::Postgres, sql).unwrap() {
            interpreter.apply(&mut schema, &located.statement).unwrap();
        }
        let a = &schema.tables["a"];
        assert!(a.indexes.is_empty(), "{:?}", a.indexes);
        assert_eq!(a.foreign_keys.len(), 1);
        assert_eq!(a.checks.len(), 1);
        let missing = parse_statements(Dialect::Postgres, "ALTER TABLE a VALIDATE CONSTRAINT nope").unwrap();
        assert!(interpreter.apply(&mut schema, &missing[0].statement).is_err(), "an unknown constraint is named");
    }

    fn build(mode: Mode, sql: &str) -> Result<Schema, ApplyError> {
        let interpreter = Interpreter::new(crate::engine::as_written(Dialect::Sqlite), mode);
        let mut schema = Schema::default();
        for located in parse_statements(Dialect::Sqlite, sql).unwrap() {
            interpreter.apply(&mut schema, &located.statement)?;
        }
        Ok(schema)
    }

    #[test]
    fn session_statements_are_recognised_and_left_out() {
        let sql = "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\
                   CREATE TABLE t (id integer);\nALTER TABLE public.t OWNER TO postgres;\n\
                   ALTER TYPE public.mood OWNER TO postgres;\nCOMMENT ON SCHEMA public IS 'x';\n\
                   REVOKE USAGE ON SCHEMA public FROM PUBLIC;\nGRANT ALL ON SCHEMA public TO PUBLIC;\n\
                   CREATE SCHEMA public;\nCOMMENT ON TABLE t IS 'kept';\n\\restrict AbC\n";
        let (statements, session) = parse_with_session_statements(Dialect::Postgres, sql).unwrap();
        assert_eq!(statements.iter().map(|s| s.line).collect::<Vec<_>>(), [3, 10], "the table, its comment");
        let kinds: Vec<(u64, &str)> = session.iter().map(|s| (s.line, s.kind)).collect();
        assert_eq!(
            kinds,
            [
                (1, "SET"),
                (2, "set_config"),
                (4, "OWNER TO"),
                (5, "OWNER TO"),
                (6, "COMMENT ON"),
                (7, "GRANT/REVOKE"),
                (8, "GRANT/REVOKE"),
                (9, "CREATE SCHEMA"),
                (11, "\\restrict")
            ]
        );
    }

    #[test]
    fn columns_keys_and_indexes_reach_the_model() {
        let schema = build(
            Mode::Declarative,
            "CREATE TABLE members (id INTEGER PRIMARY KEY AUTOINCREMENT, email text NOT NULL UNIQUE, \
             org_id integer REFERENCES orgs(id) ON DELETE CASCADE, joined TEXT DEFAULT (datetime('now')));\n\
             CREATE UNIQUE INDEX members_email_idx ON members (email DESC) WHERE email IS NOT NULL;",
        )
        .unwrap();
        let t = &schema.tables["members"];
        assert_eq!(t.primary_key.as_ref().unwrap().columns, ["id"]);
        assert!(t.column("id").unwrap().autoincrement);
        assert_eq!(t.column("email").unwrap().data_type, "TEXT");
        assert!(!t.column("email").unwrap().nullable);
        assert_eq!(t.uniques[0].columns, ["email"]);
        assert_eq!(t.foreign_keys[0].ref_table, "orgs");
        assert_eq!(t.foreign_keys[0].on_delete.as_deref(), Some("CASCADE"));
        assert_eq!(t.column("joined").unwrap().default.as_deref(), Some("datetime('now')"));
        let index = t.index("members_email_idx").unwrap();
        assert!(index.unique);
        assert_eq!(index.columns, ["email DESC"]);
        assert_eq!(index.predicate.as_deref(), Some("email IS NOT NULL"));
    }

    #[test]
    fn replay_follows_alters_renames_and_drops() {
        let schema = build(
            Mode::Replay,
            "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);\nINSERT INTO a VALUES (1, 'x');\n\
             ALTER TABLE a ADD COLUMN y INTEGER NOT NULL DEFAULT 0;\nCREATE INDEX a_y ON a (y);\n\
             ALTER TABLE a RENAME TO b;\nALTER TABLE b DROP COLUMN x;\nDROP INDEX a_y;",
        )
        .unwrap();
        let b = &schema.tables["b"];
        assert_eq!(b.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["id", "y"]);
        assert!(b.indexes.is_empty());
        assert!(!schema.tables.contains_key("a"));
    }

    #[test]
    fn declarative_files_refuse_data_and_duplicates() {
        assert!(matches!(build(Mode::Declarative, "INSERT INTO a VALUES (1);"), Err(ApplyError::Unsupported(_))));
        assert_eq!(
            build(Mode::Declarative, "CREATE TABLE a (id INTEGER);\nCREATE TABLE a (id INTEGER);"),
            Err(ApplyError::Exists(ObjectRef::Table("a".into())))
        );
        assert_eq!(
            build(Mode::Declarative, "CREATE INDEX i ON nope (x);"),
            Err(ApplyError::Missing(ObjectRef::Table("nope".into())))
        );
    }

    #[test]
    fn what_the_model_does_not_keep_is_refused_not_dropped() {
        let refused = |dialect: Dialect, sql: &str| {
            let interpreter = Interpreter::new(crate::engine::as_written(dialect), Mode::Declarative);
            let mut schema = Schema::default();
            let statements = parse_statements(dialect, sql).unwrap();
            statements.iter().map(|l| interpreter.apply(&mut schema, &l.statement)).find_map(Result::err)
        };
        for (dialect, sql) in [
            (Dialect::Postgres, "CREATE UNLOGGED TABLE t (a int);"),
            (Dialect::Postgres, "CREATE TABLE t (a int) WITH (fillfactor = 70);"),
            (Dialect::Postgres, "CREATE TABLE p (a int);\nCREATE TABLE t (b int) INHERITS (p);"),
            (Dialect::Postgres, "CREATE TABLE p (a int PRIMARY KEY);\nCREATE TABLE t (a int REFERENCES p (a) MATCH PARTIAL);"),
            (Dialect::Postgres, "CREATE TABLE t (a int UNIQUE DEFERRABLE);"),
            (Dialect::Mysql, "CREATE TABLE t (a int) ENGINE=MyISAM;"),
            (Dialect::Mysql, "CREATE TABLE p (a int PRIMARY KEY);\nCREATE TABLE t (a int, FOREIGN KEY (a) REFERENCES p (a) MATCH FULL);"),
            (Dialect::Sqlite, "CREATE TABLE t (a INTEGER PRIMARY KEY) WITHOUT ROWID;"),
        ] {
            assert!(matches!(refused(dialect, sql), Some(ApplyError::Unsupported(_))), "{dialect}: {sql}");
        }
        let dump = "CREATE TABLE t (a int) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;";
        assert_eq!(refused(Dialect::Mysql, dump), None, "mysqldump's bookkeeping is not schema");
    }

    #[test]
    fn statements_carry_their_line() {
        let located =
            parse_statements(Dialect::Sqlite, "-- c\nCREATE TABLE a (id INTEGER);\n\n\nCREATE TABLE b (id INTEGER);")
                .unwrap();
        assert_eq!(located.iter().map(|l| l.line).collect::<Vec<_>>(), [2, 5]);
        let err = parse_statements(Dialect::Sqlite, "CREATE TABLE a (id INTEGER);\nCREATE TABLE (;").unwrap_err();
        assert_eq!(err.line, 2);
    }
}
