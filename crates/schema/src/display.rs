//! Parsed SQL printed back as SQL that reads as the same values. sqlparser prints a string
//! literal without knowing how it was escaped: it leaves a doubled quote and a backslash before a
//! quote as they are, taking them for escapes already written. So the value `a''b` (two quotes)
//! prints as `'a''b'`, which reads back as `a'b`, and the value `a\'; DROP TABLE t; --` prints
//! as `'a\'; DROP TABLE t; -- '`, which PostgreSQL ends after `a\` and then runs the rest. Every
//! literal holding a quote or a backslash is printed here with the dialect's own quoting, through
//! a placeholder that sqlparser prints as it is.

use std::ops::ControlFlow;

use sqlparser::ast::{Value, ValueWithSpan, VisitMut, VisitorMut};
use strata_core::Dialect;

/// Private-use characters around a placeholder's number: text no engine's catalog prints.
const OPEN: char = '\u{F8FE}';
const CLOSE: char = '\u{F8FF}';

/// `node` as SQL whose every string literal reads back as the value it holds.
pub fn exact<T: VisitMut + std::fmt::Display + Clone>(dialect: Dialect, node: &T) -> String {
    let mut literals = Literals { values: Vec::new() };
    let mut copy = node.clone();
    let _ = copy.visit(&mut literals);
    if literals.values.is_empty() {
        return node.to_string();
    }
    let mut text = copy.to_string();
    for (n, value) in literals.values.iter().enumerate() {
        text = text.replacen(&format!("'{OPEN}{n}{CLOSE}'"), &dialect.quote_literal(value), 1);
    }
    text
}

/// A string literal as SQL: what [`exact`] prints for one.
pub fn literal(dialect: Dialect, value: &Value) -> Option<String> {
    match value {
        Value::SingleQuotedString(text) | Value::DoubleQuotedString(text) => Some(dialect.quote_literal(text)),
        Value::EscapedStringLiteral(text) => Some(dialect.quote_literal(text)),
        _ => None,
    }
}

/// A token as SQL: sqlparser prints a token's text between its quotes as it is, so a literal or a
/// quoted name holding its own quote would end early.
pub fn token(dialect: Dialect, token: &sqlparser::tokenizer::Token) -> String {
    use sqlparser::tokenizer::Token;
    match token {
        Token::SingleQuotedString(text) | Token::EscapedStringLiteral(text) => dialect.quote_literal(text),
        Token::DoubleQuotedString(text) if dialect == Dialect::Mysql => dialect.quote_literal(text),
        Token::DoubleQuotedString(text) => format!("\"{}\"", text.replace('"', "\"\"")),
        Token::Word(word) if word.quote_style == Some('"') => format!("\"{}\"", word.value.replace('"', "\"\"")),
        Token::Word(word) if word.quote_style == Some('`') => format!("`{}`", word.value.replace('`', "``")),
        other => other.to_string(),
    }
}

/// Swaps every literal sqlparser would misprint for a numbered placeholder.
struct Literals {
    values: Vec<String>,
}

impl VisitorMut for Literals {
    type Break = ();

    fn pre_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<()> {
        if let Value::SingleQuotedString(text) | Value::DoubleQuotedString(text) = &mut value.value {
            if text.contains(['\'', '"', '\\']) || text.contains([OPEN, CLOSE]) {
                let placeholder = format!("{OPEN}{}{CLOSE}", self.values.len());
                self.values.push(std::mem::replace(text, placeholder.clone()));
                value.value = Value::SingleQuotedString(placeholder);
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::parser::Parser;

    fn round_trip(dialect: Dialect, sql: &str) -> String {
        let statements = Parser::parse_sql(dialect.parser().as_ref(), sql).expect("parses");
        exact(dialect, &statements[0])
    }

    #[test]
    fn literals_read_back_as_the_values_they_hold() {
        // sqlparser alone prints these so that they read back otherwise.
        let sql = "SELECT 'a\\''; DROP TABLE q; -- ' AS v";
        assert_eq!(round_trip(Dialect::Postgres, sql), "SELECT 'a\\''; DROP TABLE q; -- ' AS v");
        assert_eq!(round_trip(Dialect::Postgres, "SELECT 'a''''b'"), "SELECT 'a''''b'");
        assert_eq!(round_trip(Dialect::Sqlite, "SELECT 'it''s'"), "SELECT 'it''s'");
        // MySQL reads backslashes as escapes: `'a\\b'` is the value `a\b`.
        assert_eq!(round_trip(Dialect::Mysql, "SELECT 'a\\\\b', \"q\\\"\""), "SELECT 'a\\\\b', 'q\"'");
        assert_eq!(round_trip(Dialect::Postgres, "SELECT 'plain', 1"), "SELECT 'plain', 1");
    }

    #[test]
    fn tokens_read_back_as_the_tokens_they_are() {
        let text = "SELECT 'it''s', \"a\"\"b\", E'x\\\\y'";
        let tokens =
            sqlparser::tokenizer::Tokenizer::new(Dialect::Postgres.parser().as_ref(), text).tokenize().unwrap();
        let printed: String = tokens.iter().map(|t| token(Dialect::Postgres, t)).collect();
        assert_eq!(printed, "SELECT 'it''s', \"a\"\"b\", 'x\\y'");
    }
}
