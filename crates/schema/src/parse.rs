//! SQL text -> statements with line numbers -> changes to a [`Schema`].
//!
//! One interpreter serves declarative files and migration replay: a schema file is a sequence of
//! DDL statements applied to an empty model, and a layer's migrations are the same applied in
//! order. Declarative files may only hold DDL the model understands; migrations may also hold data
//! statements, which leave the model unchanged.

use std::collections::BTreeSet;

use sqlparser::ast::{Ident, Statement};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Span, Token, TokenWithSpan, Tokenizer, Whitespace};

use super::extra;
use strata_core::Dialect;

/// A parse failure at a line of the rendered text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: u64,
    pub message: String,
}

/// The statements of `sql` as the text it holds, each without its `;`, comments and blank text
/// between them dropped: what a `-- strata:no-transaction` migration sends one at a time (a
/// server runs a multi-statement string in one implicit transaction). Strings, quoted names,
/// dollar-quoted bodies and comments are tokens, so a `;` inside them does not split.
pub fn split_statements(dialect: Dialect, sql: &str) -> Result<Vec<String>, SyntaxError> {
    let parser_dialect = dialect.parser();
    let tokens = sqlparser::tokenizer::Tokenizer::new(parser_dialect.as_ref(), sql)
        .tokenize_with_location()
        .map_err(|e| SyntaxError { line: e.location.line, message: e.message })?;
    unclosed_comment(sql, &tokens)?;
    // Byte offset of each line's start, to turn (line, column in characters) into a slice.
    let starts: Vec<usize> = std::iter::once(0).chain(sql.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let offset = |location: sqlparser::tokenizer::Location| -> usize {
        let start = starts.get((location.line.max(1) - 1) as usize).copied().unwrap_or(sql.len());
        let line = &sql[start..];
        start + line.char_indices().nth((location.column.max(1) - 1) as usize).map_or(line.len(), |(i, _)| i)
    };
    let mut statements = Vec::new();
    let mut begin: Option<usize> = None;
    let mut end = 0;
    for token in &tokens {
        match &token.token {
            Token::SemiColon => {
                if let Some(from) = begin.take() {
                    statements.push(sql[from..end].to_string());
                }
            }
            Token::Whitespace(_) | Token::EOF => {}
            _ => {
                begin.get_or_insert(offset(token.span.start));
                end = offset(token.span.end);
            }
        }
    }
    if let Some(from) = begin {
        statements.push(sql[from..end].to_string());
    }
    Ok(statements)
}

/// The statements of `sql` whose effect no schema shows: they change rows, run code or grant
/// rights. A run cut off after one of them looks, by its schema, exactly like a run cut off
/// before it, so only a person who looks at the rows can say whether it ran. (`SELECT` reads;
/// a `SELECT` whose function writes is the one form this cannot see.)
pub fn unwitnessed_statements(dialect: Dialect, sql: &str) -> Result<Vec<String>, SyntaxError> {
    Ok(split_statements(dialect, sql)?.into_iter().filter(|statement| is_unwitnessed(statement)).collect())
}

/// Whether one statement (as `split_statements` gives it) writes rows rather than schema, by its
/// first word: see [`unwitnessed_statements`].
pub fn is_unwitnessed(statement: &str) -> bool {
    const UNWITNESSED: &[&str] = &[
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "TRUNCATE", "COPY", "LOAD", "CALL", "DO",
        "EXECUTE", "WITH", "GRANT", "REVOKE", "HANDLER",
    ];
    let word = statement.split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or_default();
    UNWITNESSED.contains(&word.to_ascii_uppercase().as_str())
}

/// The tables a seed's statements write: the name after `INSERT INTO`, `REPLACE INTO`, `UPDATE`
/// and `DELETE FROM` (the last part of a qualified name, as the tenant's schema holds it).
pub fn written_tables(dialect: Dialect, sql: &str) -> BTreeSet<String> {
    let parser = dialect.parser();
    let Ok(tokens) = Tokenizer::new(parser.as_ref(), sql).tokenize() else { return BTreeSet::new() };
    let words: Vec<&Token> = tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))).collect();
    let keyword =
        |t: &Token, k: &str| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k));
    let mut tables = BTreeSet::new();
    for (i, token) in words.iter().enumerate() {
        let name_at = match words.get(i + 1) {
            Some(_) if keyword(token, "INTO") || keyword(token, "UPDATE") => Some(i + 1),
            Some(next) if keyword(token, "DELETE") && keyword(next, "FROM") => Some(i + 2),
            _ => None,
        };
        let Some(mut at) = name_at else { continue };
        // `schema.table`: the table is the last part.
        while matches!((words.get(at + 1), words.get(at + 2)), (Some(Token::Period), Some(Token::Word(_)))) {
            at += 2;
        }
        if let Some(Token::Word(word)) = words.get(at) {
            tables.insert(dialect.normalize_ident(&Ident {
                value: word.value.clone(),
                quote_style: word.quote_style,
                span: Span::empty(),
            }));
        }
    }
    tables
}

/// SQLite reads a `/*` that is never closed as a comment to the end of the text, and so does
/// sqlparser's SQLite dialect: every statement after it would vanish without a word. The other
/// dialects' tokenizers refuse it; this refuses it on SQLite too. Terminated, the last comment
/// is `/*` + its text + `*/` at the very end; unterminated, its text runs to the end instead.
fn unclosed_comment(sql: &str, tokens: &[TokenWithSpan]) -> Result<(), SyntaxError> {
    let blank = |t: &&TokenWithSpan| {
        matches!(t.token, Token::EOF | Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab))
    };
    match tokens.iter().rev().find(|t| !blank(t)) {
        Some(TokenWithSpan { token: Token::Whitespace(Whitespace::MultiLineComment(text)), span })
            if !sql.trim_end().ends_with(&format!("/*{text}*/")) =>
        {
            Err(SyntaxError {
                line: span.start.line,
                message: "a `/*` comment is never closed, so it would hide everything after it; close it with `*/`"
                    .to_string(),
            })
        }
        _ => Ok(()),
    }
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
    // Tokenized here rather than by the parser, whose error would lose the line (an unterminated
    // string is reported where it starts, not at line 1).
    let tokens = sqlparser::tokenizer::Tokenizer::new(parser_dialect.as_ref(), &sql)
        .tokenize_with_location()
        .map_err(|e| SyntaxError { line: e.location.line.max(1), message: e.to_string() })?;
    unclosed_comment(&sql, &tokens)?;
    let mut parser = Parser::new(parser_dialect.as_ref()).with_tokens_with_locations(tokens);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_comment_or_string_is_refused_at_the_line_it_opens() {
        let hidden = "CREATE TABLE a (id INTEGER);\n/* b follows\nCREATE TABLE b (id INTEGER);\n";
        assert_eq!(parse_statements(Dialect::Sqlite, hidden).unwrap_err().line, 2);
        assert_eq!(split_statements(Dialect::Sqlite, hidden).unwrap_err().line, 2);
        // The other dialects' tokenizers refuse it themselves, at the end of the text.
        assert!(
            parse_statements(Dialect::Postgres, hidden).is_err() && parse_statements(Dialect::Mysql, hidden).is_err()
        );
        assert!(parse_statements(Dialect::Sqlite, "/*/").is_err(), "`/*/` opens a comment only");
        assert!(parse_statements(Dialect::Sqlite, "CREATE TABLE a (id INTEGER); /* closed */ \n").is_ok());
        let string = "CREATE TABLE a (id INTEGER);\n\nCREATE TABLE b (t TEXT DEFAULT 'x);\n";
        assert_eq!(parse_statements(Dialect::Sqlite, string).unwrap_err().line, 3);
    }

    #[test]
    fn statements_split_at_semicolons_outside_strings_bodies_and_comments() {
        let sql = "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON a (x);\n\
                   DO $$ BEGIN PERFORM 1; END $$;\n-- a; comment\nUPDATE a SET note = 'x; y' -- trailing\n;\n\n  ";
        assert_eq!(
            split_statements(Dialect::Postgres, sql).unwrap(),
            ["CREATE INDEX CONCURRENTLY a_idx ON a (x)", "DO $$ BEGIN PERFORM 1; END $$", "UPDATE a SET note = 'x; y'",]
        );
        assert_eq!(split_statements(Dialect::Sqlite, "SELECT 'é';VACUUM").unwrap(), ["SELECT 'é'", "VACUUM"]);
    }
}
