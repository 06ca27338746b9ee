//! SQL text -> statements with line numbers -> changes to a [`Schema`].
//!
//! One interpreter serves declarative files and migration replay: a schema file is a sequence of
//! DDL statements applied to an empty model, and a layer's migrations are the same applied in
//! order. Declarative files may only hold DDL the model understands; migrations may also hold data
//! statements, which leave the model unchanged.

use sqlparser::ast::{
    self, AlterTableOperation, ColumnOption, CreateIndex, Expr, ObjectName, ObjectType, ReferentialAction, Statement,
    TableConstraint,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::extra;
use super::model::*;
use super::normalize;
use super::routine::{Aggregate, Domain, Function, Trigger};
use crate::dialect::Dialect;

/// What went wrong applying one statement; the caller adds file, line and owning layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("{0} already exists")]
    Exists(ObjectRef),
    #[error("{0} does not exist")]
    Missing(ObjectRef),
    #[error("{0}")]
    Unsupported(String),
}

/// A parse failure at a line of the rendered text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: u64,
    pub message: String,
}

/// One statement and the line it starts on (1-based).
#[derive(Debug, Clone)]
pub struct Located {
    pub line: u64,
    pub statement: Parsed,
}

/// A statement read by sqlparser, or by [`extra`] where sqlparser cannot read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Sql(Box<Statement>),
    Extra(extra::Statement),
}

/// Splits SQL into statements, recording where each starts (sqlparser's own spans are incomplete,
/// so the parser is driven statement by statement). Session and ownership statements are left out
/// (see [`parse_with_session_statements`]).
pub fn parse_statements(dialect: Dialect, sql: &str) -> Result<Vec<Located>, SyntaxError> {
    Ok(parse_with_session_statements(dialect, sql)?.0)
}

/// A statement that changes no object of a tenant's schema, as dump tools write them around the
/// DDL: `SET`, `SELECT pg_catalog.set_config(...)`, `ALTER ... OWNER TO`, `COMMENT ON`, `GRANT`,
/// `REVOKE`. Recognised by its words, before parsing, since sqlparser cannot parse every form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStatement {
    pub line: u64,
    /// `SET`, `set_config`, `OWNER TO`, `COMMENT ON`, `GRANT/REVOKE`, `CREATE SCHEMA` (the
    /// tenant's own)
    pub kind: &'static str,
}

/// [`parse_statements`], and the session statements it left out.
pub fn parse_with_session_statements(
    dialect: Dialect,
    sql: &str,
) -> Result<(Vec<Located>, Vec<SessionStatement>), SyntaxError> {
    let parser_dialect = dialect.parser();
    let syntax = |e: sqlparser::parser::ParserError, line: u64| SyntaxError { line, message: e.to_string() };
    let (sql, mut session) = without_psql_commands(sql);
    let mut parser = Parser::new(parser_dialect.as_ref()).try_with_sql(&sql).map_err(|e| syntax(e, 1))?;
    let mut statements = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let next = parser.peek_token();
        if next.token == Token::EOF {
            break;
        }
        let line = next.span.start.line.max(1);
        if let Some(kind) = session_statement(dialect, &parser) {
            session.push(SessionStatement { line, kind });
            while !matches!(parser.peek_token().token, Token::SemiColon | Token::EOF) {
                parser.next_token();
            }
            continue;
        }
        let start = parser.index();
        let parsed = parser.parse_statement();
        if matches!(&parsed, Ok(Statement::CreateView(v)) if v.materialized) {
            skip_with_data(&mut parser);
        }
        let complete = matches!(parser.peek_token().token, Token::SemiColon | Token::EOF);
        let statement = match parsed {
            Ok(statement) if complete => Parsed::Sql(Box::new(statement)),
            // What sqlparser cannot read (or reads only in part), read by `extra`.
            failed => match read_extra(dialect, &mut parser, start) {
                Some(statement) => Parsed::Extra(statement),
                None => match (failed, reparse(dialect, &mut parser, start)) {
                    (_, Some(statement)) => Parsed::Sql(Box::new(statement)),
                    (Err(e), None) => return Err(syntax(e, line)),
                    (Ok(_), None) => {
                        let after = parser.peek_token();
                        return Err(SyntaxError {
                            line: after.span.start.line,
                            message: format!("expected ';' before {}", after.token),
                        });
                    }
                },
            },
        };
        statements.push(Located { line, statement });
        let after = parser.peek_token();
        if after.token != Token::SemiColon && after.token != Token::EOF {
            return Err(SyntaxError {
                line: after.span.start.line,
                message: format!("expected ';' before {}", after.token),
            });
        }
    }
    session.sort_by_key(|s| s.line);
    Ok((statements, session))
}

/// pg_dump (15.14 and later) brackets its output in `\restrict KEY` / `\unrestrict KEY`, psql
/// commands that are not SQL: their lines are blanked (so line numbers stay) and counted.
fn without_psql_commands(sql: &str) -> (std::borrow::Cow<'_, str>, Vec<SessionStatement>) {
    let is_command = |line: &str| {
        let mut words = line.split_whitespace();
        matches!(words.next(), Some("\\restrict" | "\\unrestrict")) && words.next().is_some() && words.next().is_none()
    };
    if !sql.lines().any(is_command) {
        return (std::borrow::Cow::Borrowed(sql), Vec::new());
    }
    let mut session = Vec::new();
    let mut kept = Vec::new();
    for (n, line) in sql.split('\n').enumerate() {
        if is_command(line) {
            session.push(SessionStatement { line: n as u64 + 1, kind: "\\restrict" });
            kept.push("");
        } else {
            kept.push(line);
        }
    }
    (std::borrow::Cow::Owned(kept.join("\n")), session)
}

/// `WITH [NO] DATA` after a materialized view says whether it is filled now: not schema.
fn skip_with_data(parser: &mut Parser) {
    let words = |n: usize| match parser.peek_nth_token(n).token {
        Token::Word(w) => w.value.to_uppercase(),
        _ => String::new(),
    };
    if words(0) == "WITH" && (words(1) == "DATA" || (words(1) == "NO" && words(2) == "DATA")) {
        let count = if words(1) == "NO" { 3 } else { 2 };
        for _ in 0..count {
            parser.next_token();
        }
    }
}

/// The tokens of the statement starting at `start`, up to its `;`, read by [`extra`]; on success
/// the parser is moved to that `;`.
fn read_extra(dialect: Dialect, parser: &mut Parser, start: usize) -> Option<extra::Statement> {
    let (tokens, end) = statement_tokens(parser, start);
    let statement = extra::parse(dialect, &tokens)?;
    move_to(parser, end);
    Some(statement)
}

/// The tokens of the statement that starts at token `start`, up to its `;`, and where they end.
fn statement_tokens(parser: &Parser, start: usize) -> (Vec<TokenWithSpan>, usize) {
    let mut tokens = Vec::new();
    let mut end = start;
    loop {
        let token = parser.token_at(end).clone();
        if matches!(token.token, Token::SemiColon | Token::EOF) {
            return (tokens, end);
        }
        tokens.push(token);
        end += 1;
    }
}

/// Moves the parser to token `index`, past a statement read another way.
fn move_to(parser: &mut Parser, index: usize) {
    while parser.index() > index {
        parser.prev_token();
    }
    while parser.index() < index {
        parser.next_token();
    }
}

/// A statement sqlparser reads once rewritten: a trigger with literal arguments, or pg_dump's
/// `CREATE INDEX ... ON ONLY parent` (the partitioned index that partitions attach to).
fn reparse(dialect: Dialect, parser: &mut Parser, start: usize) -> Option<Statement> {
    reparse_trigger_with_literal_arguments(dialect, parser, start)
        .or_else(|| reparse_index_on_only(dialect, parser, start))
}

fn reparse_index_on_only(dialect: Dialect, parser: &mut Parser, start: usize) -> Option<Statement> {
    let (tokens, end) = statement_tokens(parser, start);
    let mut tokens: Vec<Token> = tokens.into_iter().map(|t| t.token).collect();
    let word = |t: &Token, w: &str| matches!(t, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(w));
    let words: Vec<usize> = (0..tokens.len()).filter(|i| !matches!(tokens[*i], Token::Whitespace(_))).collect();
    let only = words.windows(2).find(|w| word(&tokens[w[0]], "ON") && word(&tokens[w[1]], "ONLY"))?[1];
    let is_index = words.iter().take(3).any(|i| word(&tokens[*i], "INDEX")) && word(&tokens[words[0]], "CREATE");
    if !is_index {
        return None;
    }
    tokens.remove(only);
    let parser_dialect = dialect.parser();
    let statement = Parser::new(parser_dialect.as_ref()).with_tokens(tokens).parse_statement().ok()?;
    move_to(parser, end);
    Some(statement)
}

/// `CREATE TRIGGER ... EXECUTE FUNCTION f('a', 'b')`: sqlparser reads a trigger function's
/// arguments as types, so string arguments (pg_dump's `tsvector_update_trigger('fulltext', ...)`)
/// fail. They are read again as quoted names holding the literal, which [`Trigger`] turns back.
fn reparse_trigger_with_literal_arguments(dialect: Dialect, parser: &mut Parser, start: usize) -> Option<Statement> {
    let (tokens, end) = statement_tokens(parser, start);
    let words: Vec<String> = tokens
        .iter()
        .filter_map(|t| match &t.token {
            Token::Word(w) => Some(w.value.to_uppercase()),
            _ => None,
        })
        .collect();
    if words.len() < 2 || words[0] != "CREATE" || !words.iter().take(3).any(|w| w == "TRIGGER") {
        return None;
    }
    let text: String = tokens
        .iter()
        .map(|t| match &t.token {
            Token::SingleQuotedString(s) => format!("\"'{}'\"", s.replace('\'', "''").replace('"', "\"\"")),
            other => other.to_string(),
        })
        .collect();
    let parser_dialect = dialect.parser();
    let statement = Parser::new(parser_dialect.as_ref()).try_with_sql(&text).ok()?.parse_statement().ok()?;
    move_to(parser, end);
    Some(statement)
}

/// The kind of session statement the parser is at, judged by the words up to the next `;`.
fn session_statement(dialect: Dialect, parser: &Parser) -> Option<&'static str> {
    let mut words: Vec<String> = Vec::new();
    for n in 0.. {
        match parser.peek_nth_token(n).token {
            Token::SemiColon | Token::EOF => break,
            Token::Word(word) => words.push(word.value.to_uppercase()),
            _ => {}
        }
    }
    let has = |a: &str, b: &str| words.windows(2).any(|w| w[0] == a && w[1] == b);
    match words.first()?.as_str() {
        "SET" | "RESET" => Some("SET"),
        "GRANT" | "REVOKE" => Some("GRANT/REVOKE"),
        // Comments on tables, columns and views are the schema's; the others are ignored.
        "COMMENT" if words.get(1).is_some_and(|w| w == "ON") && !commented_object_is_modelled(&words) => {
            Some("COMMENT ON")
        }
        "SELECT" if words.iter().any(|w| w == "SET_CONFIG") => Some("set_config"),
        "ALTER" if has("OWNER", "TO") => Some("OWNER TO"),
        "ALTER" if has("DEFAULT", "PRIVILEGES") => Some("GRANT/REVOKE"),
        // pg_dump creates the schema it dumps; a tenant's own schema exists before its SQL runs.
        "CREATE" if words.len() == 3 && words[1] == "SCHEMA" => {
            dialect.default_schema().filter(|own| words[2].eq_ignore_ascii_case(own)).map(|_| "CREATE SCHEMA")
        }
        _ => None,
    }
}

/// `COMMENT ON TABLE | COLUMN | VIEW | MATERIALIZED VIEW`: comments the model keeps.
fn commented_object_is_modelled(words: &[String]) -> bool {
    matches!(words.get(2).map(String::as_str), Some("TABLE" | "COLUMN" | "VIEW" | "MATERIALIZED"))
}

/// Whether data statements are allowed (migrations) or an error (declarative schema files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Declarative,
    Replay,
}

/// Applies statements to a schema model for one dialect.
pub struct Interpreter {
    pub dialect: Dialect,
    pub mode: Mode,
}

impl Interpreter {
    pub(super) fn name(&self, ident: &ast::Ident) -> String {
        self.dialect.normalize_ident(ident)
    }

    /// The last part of a possibly qualified name (`public.members` -> `members`): schema
    /// qualifiers are tenant-local and resolved by isolation, not by the model.
    /// An object's name. The default schema (`public` on PostgreSQL, `main` on SQLite) is
    /// tenant-local: with `isolation: schema` every tenant is a schema of its own, so
    /// `public.members` is each tenant's members. Any other qualifier names a place outside the
    /// tenant, which the model does not hold.
    pub(super) fn object_name(&self, name: &ObjectName) -> Result<String, ApplyError> {
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

    pub(super) fn postgres_only(&self, what: &str) -> Result<(), ApplyError> {
        if self.dialect == Dialect::Postgres {
            Ok(())
        } else {
            Err(ApplyError::Unsupported(format!("{what} is PostgreSQL's; not supported for {}", self.dialect)))
        }
    }

    /// A sequence with PostgreSQL's defaults filled in.
    pub(super) fn sequence(&self, name: &str, options: &[ast::SequenceOptions]) -> Result<Sequence, ApplyError> {
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

    pub(super) fn expr(&self, expr: &Expr) -> String {
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
        if let Some(table) = touched.and_then(|name| schema.tables.get_mut(&self.object_name(name).ok()?)) {
            self.dialect.normalize_table(table);
        }
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
            } => {
                self.postgres_only("CREATE TYPE")?;
                let name = self.object_name(name)?;
                if schema.enums.contains_key(&name) {
                    return Err(ApplyError::Exists(ObjectRef::Enum(name)));
                }
                schema.enums.insert(name.clone(), labels.iter().map(|l| l.value.clone()).collect());
                Ok(vec![ObjectRef::Enum(name)])
            }
            Statement::AlterType(alter) => {
                self.postgres_only("ALTER TYPE")?;
                let name = self.object_name(&alter.name)?;
                let labels =
                    schema.enums.get_mut(&name).ok_or_else(|| ApplyError::Missing(ObjectRef::Enum(name.clone())))?;
                let ast::AlterTypeOperation::AddValue(add) = &alter.operation else {
                    return Err(ApplyError::Unsupported(format!("ALTER TYPE {name}: only ADD VALUE is supported yet")));
                };
                if labels.contains(&add.value.value) {
                    return if add.if_not_exists {
                        Ok(Vec::new())
                    } else {
                        Err(ApplyError::Exists(ObjectRef::Enum(name)))
                    };
                }
                let at = match &add.position {
                    Some(ast::AlterTypeAddValuePosition::Before(l)) => labels.iter().position(|x| *x == l.value),
                    Some(ast::AlterTypeAddValuePosition::After(l)) => {
                        labels.iter().position(|x| *x == l.value).map(|p| p + 1)
                    }
                    None => Some(labels.len()),
                };
                let at = at.ok_or_else(|| {
                    ApplyError::Unsupported(format!("ALTER TYPE {name}: no such label to place it by"))
                })?;
                labels.insert(at, add.value.value.clone());
                Ok(Vec::new())
            }
            Statement::CreateSequence { name, sequence_options, if_not_exists, .. } => {
                self.postgres_only("CREATE SEQUENCE")?;
                let name = self.object_name(name)?;
                if schema.sequences.contains_key(&name) {
                    return if *if_not_exists {
                        Ok(Vec::new())
                    } else {
                        Err(ApplyError::Exists(ObjectRef::Sequence(name)))
                    };
                }
                let sequence = self.sequence(&name, sequence_options)?;
                schema.sequences.insert(name.clone(), sequence);
                Ok(vec![ObjectRef::Sequence(name)])
            }
            Statement::CreateView(create) => {
                let name = self.object_name(&create.name)?;
                if schema.views.contains_key(&name) && !create.or_replace {
                    return if create.if_not_exists {
                        Ok(Vec::new())
                    } else {
                        Err(ApplyError::Exists(ObjectRef::View(name)))
                    };
                }
                let columns: Vec<ast::Ident> = create.columns.iter().map(|c| c.name.clone()).collect();
                let query = super::view::canonical_query(self.dialect, &create.query, &columns);
                schema.views.insert(
                    name.clone(),
                    View {
                        name: name.clone(),
                        query,
                        materialized: create.materialized,
                        indexes: Vec::new(),
                        comment: None,
                    },
                );
                Ok(vec![ObjectRef::View(name)])
            }
            Statement::CreateDomain(create) => {
                self.postgres_only("CREATE DOMAIN")?;
                let name = self.object_name(&create.name)?;
                if schema.domains.contains_key(&name) {
                    return Err(ApplyError::Exists(ObjectRef::Domain(name)));
                }
                let mut checks = Vec::new();
                for constraint in &create.constraints {
                    let TableConstraint::Check(check) = constraint else {
                        return Err(ApplyError::Unsupported(format!(
                            "domain {name}: only CHECK constraints are supported"
                        )));
                    };
                    let constraint_name =
                        check.name.as_ref().map(|n| self.name(n)).unwrap_or_else(|| format!("{name}_check"));
                    checks.push(Check { name: Some(constraint_name), expr: self.expr(&check.expr) });
                }
                checks.sort();
                let domain = Domain {
                    name: name.clone(),
                    data_type: normalize::data_type(self.dialect, &create.data_type).0,
                    default: create.default.as_ref().map(|d| self.expr(d)),
                    checks,
                };
                schema.domains.insert(name.clone(), domain);
                Ok(vec![ObjectRef::Domain(name)])
            }
            Statement::CreateAggregate(create) => {
                self.postgres_only("CREATE AGGREGATE")?;
                let name = self.object_name(&create.name)?;
                let aggregate = Aggregate::from_ast(name, create);
                let key = aggregate.identity.clone();
                if schema.aggregates.contains_key(&key) && !create.or_replace {
                    return Err(ApplyError::Exists(ObjectRef::Function(key)));
                }
                schema.aggregates.insert(key.clone(), aggregate);
                Ok(vec![ObjectRef::Function(key)])
            }
            Statement::CreateExtension(create) => {
                self.postgres_only("CREATE EXTENSION")?;
                let name = create.name.value.to_lowercase();
                if !schema.extensions.insert(name.clone()) && !create.if_not_exists {
                    return Err(ApplyError::Exists(ObjectRef::Extension(name)));
                }
                Ok(vec![ObjectRef::Extension(name)])
            }
            Statement::DropExtension(drop) => {
                for name in &drop.names {
                    let name = name.value.to_lowercase();
                    if !schema.extensions.remove(&name) && !drop.if_exists {
                        return Err(ApplyError::Missing(ObjectRef::Extension(name)));
                    }
                }
                Ok(Vec::new())
            }
            Statement::DropDomain(drop) => {
                let name = self.object_name(&drop.name)?;
                if schema.domains.remove(&name).is_none() && !drop.if_exists {
                    return Err(ApplyError::Missing(ObjectRef::Domain(name)));
                }
                Ok(Vec::new())
            }
            Statement::CreateFunction(create) => {
                self.postgres_only("CREATE FUNCTION")?;
                let name = self.object_name(&create.name)?;
                let function = Function::from_ast(name, create).map_err(ApplyError::Unsupported)?;
                let key = function.identity();
                if schema.functions.contains_key(&key) && !create.or_replace {
                    return Err(ApplyError::Exists(ObjectRef::Function(key)));
                }
                schema.functions.insert(key.clone(), function);
                Ok(vec![ObjectRef::Function(key)])
            }
            Statement::DropFunction(drop) => {
                for desc in &drop.func_desc {
                    let name = self.object_name(&desc.name)?;
                    let types: Vec<String> = desc
                        .args
                        .iter()
                        .flatten()
                        .filter(|a| !matches!(a.mode, Some(ast::ArgMode::Out)))
                        .map(|a| normalize::data_type(self.dialect, &a.data_type).0)
                        .collect();
                    let key = format!("{name}({})", types.join(", "));
                    if schema.functions.remove(&key).is_none() && !drop.if_exists {
                        return Err(ApplyError::Missing(ObjectRef::Function(key)));
                    }
                }
                Ok(Vec::new())
            }
            Statement::CreateTrigger(create) => {
                self.postgres_only("CREATE TRIGGER")?;
                let name = self.object_name(&create.name)?;
                let table = self.object_name(&create.table_name)?;
                if !schema.tables.contains_key(&table) {
                    return Err(ApplyError::Missing(ObjectRef::Table(table)));
                }
                let trigger = Trigger::from_ast(name.clone(), table.clone(), create);
                let key = trigger.key();
                if schema.triggers.contains_key(&key) && !create.or_replace {
                    return Err(ApplyError::Exists(ObjectRef::Trigger(table, name)));
                }
                schema.triggers.insert(key, trigger);
                Ok(vec![ObjectRef::Trigger(table, name)])
            }
            Statement::DropTrigger(drop) => {
                let name = self.object_name(&drop.trigger_name)?;
                let Some(table) = &drop.table_name else {
                    return Err(ApplyError::Unsupported(format!("DROP TRIGGER {name} needs ON <table>")));
                };
                let table = self.object_name(table)?;
                if schema.triggers.remove(&format!("{table}.{name}")).is_none() && !drop.if_exists {
                    return Err(ApplyError::Missing(ObjectRef::Trigger(table, name)));
                }
                Ok(Vec::new())
            }
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
            Statement::Insert(_) | Statement::Update { .. } | Statement::Delete(_) | Statement::Pragma { .. }
                if self.mode == Mode::Replay =>
            {
                Ok(Vec::new())
            }
            Statement::Insert(_) | Statement::Update { .. } | Statement::Delete(_) => Err(ApplyError::Unsupported(
                "data statements belong in seed/*.sql or a hand-written migration, not in schema files".to_string(),
            )),
            other => {
                let text = other.to_string();
                let head: String = text.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
                Err(ApplyError::Unsupported(format!("statement not supported by the schema model yet: {head} ...")))
            }
        }
    }

    fn create_table(&self, schema: &mut Schema, create: &ast::CreateTable) -> Result<Vec<ObjectRef>, ApplyError> {
        let name = self.object_name(&create.name)?;
        if schema.tables.contains_key(&name) {
            if create.if_not_exists {
                return Ok(Vec::new());
            }
            return Err(ApplyError::Exists(ObjectRef::Table(name)));
        }
        if create.query.is_some() || create.like.is_some() || create.clone.is_some() {
            return Err(ApplyError::Unsupported(format!("CREATE TABLE {name} AS/LIKE/CLONE is not declarative DDL")));
        }
        let mut table = Table::new(&name);
        for column in &create.columns {
            self.add_column(&mut table, column)?;
        }
        self.table_kind_is_plain(&name, create)?;
        // MySQL's `COMMENT='...'` table option.
        let options = match &create.table_options {
            ast::CreateTableOptions::Plain(options) => options.as_slice(),
            _ => &[],
        };
        let comment = options.iter().find_map(|o| match o {
            ast::SqlOption::Comment(ast::CommentDef::WithEq(c) | ast::CommentDef::WithoutEq(c)) => Some(c.clone()),
            _ => None,
        });
        if let Some(comment) = create.comment.as_ref().map(ToString::to_string).or(comment) {
            if self.dialect != Dialect::Mysql {
                return Err(ApplyError::Unsupported(format!(
                    "table {name}: COMMENT in CREATE TABLE is MySQL's; write COMMENT ON TABLE"
                )));
            }
            table.comment = Some(comment).filter(|c| !c.is_empty());
        }
        for constraint in &create.constraints {
            self.add_constraint(&mut table, constraint)?;
        }
        if let Some(key) = &create.partition_by {
            self.postgres_only("PARTITION BY")?;
            table.partition_by = Some(partition_key(&key.to_string()));
        }
        if let Some(parent) = &create.partition_of {
            let Some(bound) = &create.for_values else {
                return Err(ApplyError::Unsupported(format!("{name}: PARTITION OF without FOR VALUES")));
            };
            let parent = self.object_name(parent)?;
            // A partition has its parent's columns, whether the statement lists them or not.
            if create.columns.is_empty() {
                let of =
                    schema.tables.get(&parent).ok_or_else(|| ApplyError::Missing(ObjectRef::Table(parent.clone())))?;
                table.columns = of.columns.clone();
            }
            table.partition_of = Some(PartitionOf { parent, bound: self.bound(bound) });
        }
        let mut created = vec![ObjectRef::Table(name.clone())];
        created.extend(table.columns.iter().map(|c| ObjectRef::Column(name.clone(), c.name.clone())));
        schema.tables.insert(name, table);
        Ok(created)
    }

    /// What a `CREATE TABLE` says that the model does not keep is refused, never dropped: a
    /// temporary, unlogged or inheriting table, storage parameters, an engine other than InnoDB,
    /// SQLite's WITHOUT ROWID and STRICT. Dump tools' bookkeeping (MySQL's AUTO_INCREMENT=N, the
    /// default character set and collation every table repeats) is not schema.
    fn table_kind_is_plain(&self, name: &str, create: &ast::CreateTable) -> Result<(), ApplyError> {
        let refuse = |what: String| Err(ApplyError::Unsupported(format!("table {name}: {what} is not supported yet")));
        if create.temporary || create.unlogged {
            return refuse("a TEMPORARY or UNLOGGED table".to_string());
        }
        if create.inherits.is_some() {
            return refuse("INHERITS".to_string());
        }
        if !create.sqlite_table_options.options.is_empty() {
            return refuse("WITHOUT ROWID / STRICT".to_string());
        }
        let options = match &create.table_options {
            ast::CreateTableOptions::None => return Ok(()),
            ast::CreateTableOptions::Plain(options) => options,
            other => return refuse(format!("`{other}`")),
        };
        for option in options {
            let text = option.to_string();
            let upper = text.to_uppercase().replace(' ', "");
            let bookkeeping = [
                "AUTO_INCREMENT",
                "DEFAULTCHARSET",
                "CHARSET",
                "CHARACTERSET",
                "DEFAULTCHARACTERSET",
                "COLLATE",
                "DEFAULTCOLLATE",
                "COMMENT",
            ];
            if upper.starts_with("ENGINE") {
                if !upper.ends_with("INNODB") {
                    return refuse(format!("`{text}` (tables are InnoDB)"));
                }
            } else if !bookkeeping.iter().any(|b| upper.starts_with(b)) {
                return refuse(format!("table option `{text}`"));
            }
        }
        Ok(())
    }

    /// A partition bound in one spelling: literal casts dropped, timestamps in UTC.
    fn bound(&self, bound: &ast::ForValues) -> String {
        let values = |values: &[ast::PartitionBoundValue]| -> String {
            let texts: Vec<String> = values
                .iter()
                .map(|v| match v {
                    ast::PartitionBoundValue::Expr(e) => normalize::timestamp_in_utc(&self.expr(e)),
                    ast::PartitionBoundValue::MinValue => "MINVALUE".to_string(),
                    ast::PartitionBoundValue::MaxValue => "MAXVALUE".to_string(),
                })
                .collect();
            texts.join(", ")
        };
        match bound {
            ast::ForValues::From { from, to } => format!("FOR VALUES FROM ({}) TO ({})", values(from), values(to)),
            ast::ForValues::In(list) => {
                let texts: Vec<String> = list.iter().map(|e| normalize::timestamp_in_utc(&self.expr(e))).collect();
                format!("FOR VALUES IN ({})", texts.join(", "))
            }
            ast::ForValues::With { modulus, remainder } => {
                format!("FOR VALUES WITH (modulus {modulus}, remainder {remainder})")
            }
            ast::ForValues::Default => "DEFAULT".to_string(),
        }
    }

    pub(super) fn add_column(&self, table: &mut Table, def: &ast::ColumnDef) -> Result<ObjectRef, ApplyError> {
        let name = self.name(&def.name);
        if table.column(&name).is_some() {
            return Err(ApplyError::Exists(ObjectRef::Column(table.name.clone(), name)));
        }
        let name_of_column = name.clone();
        let (data_type, serial) = normalize::data_type(self.dialect, &def.data_type);
        // A serial column is NOT NULL on PostgreSQL whether or not the file says so.
        let mut column = Column::new(&name, &data_type);
        let mut character_set = None;
        column.nullable = !serial;
        column.autoincrement = serial;
        for option in &def.options {
            // `CONSTRAINT name` before a column's constraint: sqlparser keeps it beside the
            // option, or (for some) inside it.
            let constraint_name =
                |inner: &Option<ast::Ident>| option.name.as_ref().or(inner.as_ref()).map(|n| self.name(n));
            match &option.option {
                ColumnOption::Null => column.nullable = true,
                ColumnOption::NotNull => column.nullable = false,
                // DEFAULT NULL is what a column without a default has.
                ColumnOption::Default(expr) => column.default = Some(self.expr(expr)).filter(|d| d != "NULL"),
                ColumnOption::PrimaryKey(pk) => {
                    self.not_deferrable(pk.characteristics.as_ref(), &format!("primary key of {}", table.name))?;
                    if table.primary_key.is_some() {
                        return Err(ApplyError::Unsupported(format!("table {} has more than one primary key", table.name)));
                    }
                    table.primary_key = Some(PrimaryKey { name: constraint_name(&pk.name), columns: vec![name.clone()] });
                    if self.dialect.primary_key_implies_not_null() {
                        column.nullable = false;
                    }
                }
                ColumnOption::Unique(unique) => {
                    self.not_deferrable(unique.characteristics.as_ref(), &format!("unique constraint on {}.{name}", table.name))?;
                    table.uniques.push(UniqueKey { name: constraint_name(&unique.name), columns: vec![name.clone()] })
                }
                ColumnOption::ForeignKey(fk) => {
                    let foreign = self.foreign_key(constraint_name(&fk.name), vec![name.clone()], fk)?;
                    table.foreign_keys.push(foreign);
                }
                ColumnOption::Check(check) => {
                    // MariaDB names a column's own check after the column.
                    let name = constraint_name(&check.name);
                    let name = name.or_else(|| (self.dialect == Dialect::Mysql).then(|| name_of_column.clone()));
                    table.checks.push(Check { name, expr: self.expr(&check.expr) })
                }
                ColumnOption::Generated { generation_expr: Some(expr), generation_expr_mode, .. } => {
                    // MySQL and SQLite default to VIRTUAL; PostgreSQL has only STORED.
                    let stored = self.dialect == Dialect::Postgres
                        || *generation_expr_mode == Some(ast::GeneratedExpressionMode::Stored);
                    column.generated = Some(Generated { expr: self.expr(expr), stored });
                }
                ColumnOption::Generated { generation_expr: None, generated_as, .. } => {
                    column.identity = Some(match generated_as {
                        ast::GeneratedAs::ByDefault => Identity::ByDefault,
                        _ => Identity::Always,
                    });
                    // Identity columns are NOT NULL on PostgreSQL.
                    column.nullable = false;
                }
                ColumnOption::CharacterSet(charset) => character_set = Some(charset.to_string()),
                ColumnOption::Comment(text) if self.dialect == Dialect::Mysql => column.comment = Some(text.clone()),
                ColumnOption::Collation(collation) => {
                    column.collation = collation.0.last().map(|part| match part {
                        ast::ObjectNamePart::Identifier(ident) => ident.value.clone(),
                        other => other.to_string(),
                    });
                }
                ColumnOption::DialectSpecific(tokens)
                    if tokens.iter().any(|t| matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTOINCREMENT") || w.value.eq_ignore_ascii_case("AUTO_INCREMENT"))) =>
                {
                    column.autoincrement = true;
                }
                other => {
                    return Err(ApplyError::Unsupported(format!("column option `{other}` on {}.{name} is not supported yet", table.name)));
                }
            }
        }
        // MariaDB spells out the character set of a collated column; the collation implies it.
        // NVARCHAR / NCHAR are MySQL's national character types: utf8mb3, which MariaDB and MySQL
        // report as varchar/char with that set's default collation.
        if self.dialect == Dialect::Mysql {
            if let Some(plain) = normalize::mysql_national(&column.data_type) {
                column.data_type = plain;
                column.collation.get_or_insert_with(|| "utf8mb3_general_ci".to_string());
            }
        }
        if let Some(charset) = character_set {
            let implied = column.collation.as_deref().is_some_and(|c| c.starts_with(&format!("{charset}_")));
            if !implied {
                return Err(ApplyError::Unsupported(format!(
                    "CHARACTER SET {charset} on {}.{name} without a collation of that set is not supported yet",
                    table.name
                )));
            }
        }
        table.columns.push(column);
        Ok(ObjectRef::Column(table.name.clone(), name))
    }

    fn add_constraint(&self, table: &mut Table, constraint: &TableConstraint) -> Result<Option<ObjectRef>, ApplyError> {
        let name_of = |n: &Option<ast::Ident>| n.as_ref().map(|n| self.name(n));
        let created = |n: &Option<String>| n.as_ref().map(|n| ObjectRef::Constraint(table.name.clone(), n.clone()));
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                self.not_deferrable(pk.characteristics.as_ref(), &format!("primary key of {}", table.name))?;
                if table.primary_key.is_some() {
                    return Err(ApplyError::Unsupported(format!("table {} has more than one primary key", table.name)));
                }
                let pk = PrimaryKey { name: name_of(&pk.name), columns: self.index_columns(&pk.columns) };
                let made = created(&pk.name);
                if self.dialect.primary_key_implies_not_null() {
                    for column in table.columns.iter_mut().filter(|c| pk.columns.contains(&c.name)) {
                        column.nullable = false;
                    }
                }
                table.primary_key = Some(pk);
                Ok(made)
            }
            TableConstraint::Unique(u) => {
                self.not_deferrable(u.characteristics.as_ref(), &format!("unique constraint on {}", table.name))?;
                if u.nulls_distinct == ast::NullsDistinctOption::NotDistinct {
                    return Err(ApplyError::Unsupported(format!(
                        "unique constraint on {}: NULLS NOT DISTINCT is supported on unique indexes; write one",
                        table.name
                    )));
                }
                let name = name_of(&u.name).or_else(|| name_of(&u.index_name));
                let unique = UniqueKey { name, columns: self.index_columns(&u.columns) };
                let made = created(&unique.name);
                table.uniques.push(unique);
                Ok(made)
            }
            TableConstraint::ForeignKey(fk) => {
                let foreign = self.foreign_key(name_of(&fk.name), self.names(&fk.columns), fk)?;
                let made = created(&foreign.name);
                table.foreign_keys.push(foreign);
                Ok(made)
            }
            // MySQL's `KEY name (columns)` inside CREATE TABLE is an index.
            TableConstraint::Index(index) => {
                let columns = self.index_columns(&index.columns);
                let name = match &index.name {
                    Some(name) => self.name(name),
                    None => columns.first().cloned().unwrap_or_default(),
                };
                if table.index(&name).is_some() {
                    return Err(ApplyError::Exists(ObjectRef::Index(name)));
                }
                table.indexes.push(Index::new(&name, columns, false));
                Ok(Some(ObjectRef::Index(name)))
            }
            TableConstraint::Check(c) => {
                let check = Check { name: name_of(&c.name), expr: self.expr(&c.expr) };
                let made = created(&check.name);
                table.checks.push(check);
                Ok(made)
            }
            other => {
                Err(ApplyError::Unsupported(format!("constraint `{other}` on {} is not supported yet", table.name)))
            }
        }
    }

    /// A foreign key with its match kind and deferral; what an engine would drop is refused.
    fn foreign_key(
        &self,
        name: Option<String>,
        columns: Vec<String>,
        fk: &ast::ForeignKeyConstraint,
    ) -> Result<ForeignKey, ApplyError> {
        let label = || format!("foreign key ({}) to {}", columns.join(", "), fk.foreign_table);
        let match_full = match fk.match_kind {
            None | Some(ast::ConstraintReferenceMatchKind::Simple) => false,
            Some(ast::ConstraintReferenceMatchKind::Full) => true,
            Some(ast::ConstraintReferenceMatchKind::Partial) => {
                return Err(ApplyError::Unsupported(format!("{}: MATCH PARTIAL is not supported", label())))
            }
        };
        if match_full && self.dialect != Dialect::Postgres {
            return Err(ApplyError::Unsupported(format!("{}: {} ignores MATCH FULL", label(), self.dialect)));
        }
        let deferrable = self.deferral(fk.characteristics.as_ref(), &label())?;
        if deferrable.is_some() && self.dialect == Dialect::Mysql {
            return Err(ApplyError::Unsupported(format!("{}: MySQL has no deferrable constraints", label())));
        }
        Ok(ForeignKey {
            name,
            columns,
            ref_table: self.object_name(&fk.foreign_table)?,
            ref_columns: self.names(&fk.referred_columns),
            on_delete: action(fk.on_delete),
            on_update: action(fk.on_update),
            match_full,
            deferrable,
        })
    }

    /// Keys are not deferrable in the model: a deferrable one is refused rather than lost.
    fn not_deferrable(
        &self,
        characteristics: Option<&ast::ConstraintCharacteristics>,
        what: &str,
    ) -> Result<(), ApplyError> {
        match self.deferral(characteristics, what)? {
            None => Ok(()),
            Some(_) => Err(ApplyError::Unsupported(format!("{what}: DEFERRABLE keys are not supported yet"))),
        }
    }

    /// `DEFERRABLE [INITIALLY ...]`; `NOT ENFORCED` is refused, it would be lost.
    pub(super) fn deferral(
        &self,
        characteristics: Option<&ast::ConstraintCharacteristics>,
        what: &str,
    ) -> Result<Option<Deferral>, ApplyError> {
        let Some(c) = characteristics else { return Ok(None) };
        if c.enforced == Some(false) {
            return Err(ApplyError::Unsupported(format!("{what}: NOT ENFORCED is not supported")));
        }
        let deferred = c.initially == Some(ast::DeferrableInitial::Deferred);
        match (c.deferrable, deferred) {
            (Some(false), true) => {
                Err(ApplyError::Unsupported(format!("{what}: NOT DEFERRABLE cannot be INITIALLY DEFERRED")))
            }
            (Some(false) | None, false) => Ok(None),
            (_, true) => Ok(Some(Deferral::InitiallyDeferred)),
            (Some(true), false) => Ok(Some(Deferral::InitiallyImmediate)),
        }
    }

    fn create_index(&self, schema: &mut Schema, create: &CreateIndex) -> Result<Vec<ObjectRef>, ApplyError> {
        let Some(name) = &create.name else {
            return Err(ApplyError::Unsupported(
                "an index needs a name, so that later changes can refer to it".to_string(),
            ));
        };
        let name = self.object_name(name)?;
        if schema.index_owner(&name).is_some() {
            if create.if_not_exists {
                return Ok(Vec::new());
            }
            return Err(ApplyError::Exists(ObjectRef::Index(name)));
        }
        let table_name = self.object_name(&create.table_name)?;
        let columns = self.index_columns(&create.columns);
        // btree is the default access method; only another one is part of the index's meaning.
        let method = create.using.as_ref().map(|m| m.to_string().to_lowercase()).filter(|m| m != "btree");
        if method.is_some() {
            self.postgres_only("USING <index method>")?;
        }
        let mut opclasses: Vec<Option<String>> = create
            .columns
            .iter()
            .map(|c| c.operator_class.as_ref().and_then(|o| o.0.last()?.as_ident().map(|i| self.name(i))))
            .collect();
        if opclasses.iter().all(Option::is_none) {
            opclasses.clear();
        }
        let nulls_not_distinct = create.nulls_distinct == Some(false);
        if !opclasses.is_empty() || !create.include.is_empty() || nulls_not_distinct {
            self.postgres_only("operator classes, INCLUDE and NULLS NOT DISTINCT")?;
        }
        if !create.with.is_empty() {
            return Err(ApplyError::Unsupported(format!(
                "index {name}: WITH (storage parameters) is not supported yet"
            )));
        }
        let index = Index {
            predicate: create.predicate.as_ref().map(|p| self.expr(p)),
            method,
            opclasses,
            include: self.names(&create.include),
            nulls_not_distinct,
            ..Index::new(&name, columns, create.unique)
        };
        // A materialized view may have indexes of its own.
        if let Some(view) = schema.views.get_mut(&table_name).filter(|v| v.materialized) {
            view.indexes.push(index);
            return Ok(vec![ObjectRef::Index(name)]);
        }
        let table = schema
            .tables
            .get_mut(&table_name)
            .ok_or_else(|| ApplyError::Missing(ObjectRef::Table(table_name.clone())))?;
        for column in &index.columns {
            let plain = column.trim_end_matches(" DESC");
            let is_name = plain.chars().all(|c| c.is_alphanumeric() || c == '_');
            if is_name && table.column(plain).is_none() {
                return Err(ApplyError::Missing(ObjectRef::Column(table_name.clone(), plain.to_string())));
            }
        }
        table.indexes.push(index);
        Ok(vec![ObjectRef::Index(name)])
    }

    pub(super) fn alter_table(
        &self,
        schema: &mut Schema,
        table_name: &str,
        op: &AlterTableOperation,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        let missing = || ApplyError::Missing(ObjectRef::Table(table_name.to_string()));
        if let AlterTableOperation::RenameTable { table_name: new } = op {
            let new_name = match new {
                ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n) => self.object_name(n)?,
            };
            if schema.tables.contains_key(&new_name) {
                return Err(ApplyError::Exists(ObjectRef::Table(new_name)));
            }
            if !schema.tables.contains_key(table_name) {
                return Err(missing());
            }
            schema.rename_table(table_name, &new_name);
            return Ok(Vec::new());
        }
        if let AlterTableOperation::RenameColumn { old_column_name, new_column_name } = op {
            let (old, new) = (self.name(old_column_name), self.name(new_column_name));
            let table = schema.tables.get(table_name).ok_or_else(missing)?;
            if table.column(&old).is_none() {
                return Err(ApplyError::Missing(ObjectRef::Column(table_name.to_string(), old)));
            }
            if table.column(&new).is_some() {
                return Err(ApplyError::Exists(ObjectRef::Column(table_name.to_string(), new)));
            }
            schema.rename_column(table_name, &old, &new);
            return Ok(Vec::new());
        }
        if let AlterTableOperation::AttachPartitionOf { partition, for_values } = op {
            self.postgres_only("ATTACH PARTITION")?;
            if !schema.tables.contains_key(table_name) {
                return Err(missing());
            }
            let child = self.object_name(partition)?;
            let bound = self.bound(for_values);
            let partition =
                schema.tables.get_mut(&child).ok_or_else(|| ApplyError::Missing(ObjectRef::Table(child.clone())))?;
            partition.partition_of = Some(PartitionOf { parent: table_name.to_string(), bound });
            return Ok(Vec::new());
        }
        let table = schema.tables.get_mut(table_name).ok_or_else(missing)?;
        match op {
            AlterTableOperation::AddColumn { column_def, if_not_exists, .. } => {
                if *if_not_exists && table.column(&self.name(&column_def.name)).is_some() {
                    return Ok(Vec::new());
                }
                Ok(vec![self.add_column(table, column_def)?])
            }
            AlterTableOperation::DropColumn { column_names, if_exists, .. } => {
                for ident in column_names {
                    let name = self.name(ident);
                    if table.column(&name).is_none() {
                        if *if_exists {
                            continue;
                        }
                        return Err(ApplyError::Missing(ObjectRef::Column(table_name.to_string(), name)));
                    }
                    table.drop_column(&name);
                    // Extended statistics over a dropped column go with it.
                    schema
                        .statistics
                        .retain(|_, s| s.table != table_name || !s.columns.iter().any(|c| mentions(c, &name)));
                }
                Ok(Vec::new())
            }
            AlterTableOperation::AddConstraint { constraint, .. } => {
                Ok(self.add_constraint(table, constraint)?.into_iter().collect())
            }
            _ => self.alter_more(schema, table_name, op),
        }
    }

    fn drop(&self, schema: &mut Schema, kind: ObjectType, if_exists: bool, name: &str) -> Result<(), ApplyError> {
        let found = match kind {
            ObjectType::Table => {
                // A table's triggers and owned sequences go with it.
                schema.triggers.retain(|_, t| t.table != name);
                schema.owned_sequences.retain(|_, owner| owner.table != name);
                schema.statistics.retain(|_, s| s.table != name);
                schema.tables.remove(name).is_some()
            }
            ObjectType::View | ObjectType::MaterializedView => schema.views.remove(name).is_some(),
            ObjectType::Type => schema.enums.remove(name).is_some(),
            ObjectType::Sequence => {
                schema.sequences.remove(name).is_some() || schema.owned_sequences.remove(name).is_some()
            }
            ObjectType::Index => {
                let owner = schema.tables.values_mut().find(|t| t.index(name).is_some());
                let found = owner.map(|t| t.indexes.retain(|i| i.name != name)).is_some();
                let on_view = schema.views.values_mut().find(|v| v.indexes.iter().any(|i| i.name == name));
                found || on_view.map(|v| v.indexes.retain(|i| i.name != name)).is_some()
            }
            other => return Err(ApplyError::Unsupported(format!("DROP {other} is not supported yet"))),
        };
        if found || if_exists {
            Ok(())
        } else {
            Err(ApplyError::Missing(match kind {
                ObjectType::Table => ObjectRef::Table(name.to_string()),
                ObjectType::Type => ObjectRef::Enum(name.to_string()),
                ObjectType::Sequence => ObjectRef::Sequence(name.to_string()),
                ObjectType::View | ObjectType::MaterializedView => ObjectRef::View(name.to_string()),
                _ => ObjectRef::Index(name.to_string()),
            }))
        }
    }
}

/// `RANGE (payment_date)`: the method in capitals, one space, the key without spaces (sqlparser
/// and `pg_get_partkeydef` space it differently).
fn partition_key(text: &str) -> String {
    let compact: String = text.split_whitespace().collect();
    match compact.find('(') {
        Some(at) => format!("{} {}", compact[..at].to_uppercase(), &compact[at..]),
        None => compact.to_uppercase(),
    }
}

/// NO ACTION is every engine's default, so it is stored as "no action given".
fn action(action: Option<ReferentialAction>) -> Option<String> {
    match action {
        None | Some(ReferentialAction::NoAction) => None,
        Some(other) => Some(other.to_string()),
    }
}

/// A SQLite schema read from declarative SQL, for the schema modules' unit tests.
#[cfg(test)]
pub(crate) fn declared_sqlite(sql: &str) -> Schema {
    let interpreter = Interpreter { dialect: Dialect::Sqlite, mode: Mode::Declarative };
    let mut schema = Schema::default();
    for located in parse_statements(Dialect::Sqlite, sql).unwrap() {
        interpreter.apply(&mut schema, &located.statement).unwrap();
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(mode: Mode, sql: &str) -> Result<Schema, ApplyError> {
        let interpreter = Interpreter { dialect: Dialect::Sqlite, mode };
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
            let interpreter = Interpreter { dialect, mode: Mode::Declarative };
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
