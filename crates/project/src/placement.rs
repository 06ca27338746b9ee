//! Where a tera expression may stand in a SQL file. A value reaches SQL only through a quoting
//! filter (`sql_literal`, `sql_ident`), and never inside a comment: the filters quote for a string
//! literal or an identifier, and a comment ends at a newline, not at a quote, so a value there is
//! text no filter can make safe. Refusing (rather than stripping comments before rendering) keeps
//! the rendered migration the text the user wrote, line for line.
//!
//! The scan knows SQL's comments (`--`, nested `/* */`, MySQL's `#`) and skips string literals and
//! quoted identifiers, where `--` is data.

use strata_core::Dialect;

use crate::compose::ComposeError;

/// Checks every `{{ ... }}` and `{% ... %}` of `text`, the file at `path`.
pub fn check_placement(dialect: Dialect, path: &str, text: &str) -> Result<(), ComposeError> {
    if let Some(at) = expression_in_comment(dialect, text) {
        return Err(ComposeError::InComment { path: path.to_string(), line: line_of(text, at) });
    }
    check_quoted(path, text)
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// Every `{{ expr }}` ends with a quoting filter.
fn check_quoted(path: &str, text: &str) -> Result<(), ComposeError> {
    let mut offset = 0;
    while let Some(start) = text[offset..].find("{{").map(|s| offset + s) {
        let Some(len) = text[start..].find("}}") else { break };
        let inner = text[start + 2..start + len].trim_matches(|c: char| c == '-' || c.is_whitespace());
        let last_filter = inner.rsplit('|').next().map(str::trim);
        let quoted = inner.contains('|') && matches!(last_filter, Some("sql_literal" | "sql_ident"));
        if !quoted {
            let line = line_of(text, start);
            return Err(ComposeError::RawVariable { path: path.to_string(), line, expr: inner.to_string() });
        }
        offset = start + len + 2;
    }
    Ok(())
}

/// The byte offset of the first tera expression inside a SQL comment.
fn expression_in_comment(dialect: Dialect, text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let end = if rest.starts_with("--") || (dialect == Dialect::Mysql && rest.starts_with('#')) {
            let end = rest.find('\n').map_or(text.len(), |n| i + n);
            if let Some(at) = expression_between(text, i, end) {
                return Some(at);
            }
            end
        } else if rest.starts_with("/*") {
            // PostgreSQL nests them, and counting depth is harmless elsewhere (a `/*` inside a
            // comment is rare and only makes the comment longer).
            let end = crate::seal::block_comment_end(text.as_bytes(), i, true);
            if let Some(at) = expression_between(text, i, end) {
                return Some(at);
            }
            end
        } else if let Some(quote @ (b'\'' | b'"' | b'`')) = bytes.get(i).copied() {
            quoted_end(bytes, i, quote, dialect == Dialect::Mysql)
        } else {
            i + rest.chars().next().map_or(1, char::len_utf8)
        };
        i = end;
    }
    None
}

fn expression_between(text: &str, start: usize, end: usize) -> Option<usize> {
    let comment = &text[start..end];
    [comment.find("{{"), comment.find("{%")].into_iter().flatten().min().map(|at| start + at)
}

/// The end of a string literal or quoted identifier opening at `start`; a doubled quote is an
/// escaped one, and on MySQL so is a backslash before it.
fn quoted_end(bytes: &[u8], start: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if backslash_escapes && bytes[i] == b'\\' && quote == b'\'' {
            i += 2;
        } else if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(dialect: Dialect, text: &str) -> Result<(), String> {
        check_placement(dialect, "f.sql", text).map_err(|e| e.to_string())
    }

    #[test]
    fn expressions_in_comments_are_refused_with_their_line() {
        let line = "CREATE TABLE t (id int);\n-- seeded for {{ tenant.vars.currency | sql_literal }}\n";
        assert!(placed(Dialect::Postgres, line).unwrap_err().starts_with("f.sql:2: "));
        let block = "/* outer /* inner */ still {{ tenant.id | sql_ident }} */ SELECT 1;";
        assert!(placed(Dialect::Postgres, block).is_err());
        assert!(placed(Dialect::Mysql, "# {% if tenant.vars.x %}\nSELECT 1;").is_err());
        assert!(placed(Dialect::Sqlite, "/* {{ tenant.id | sql_ident }}").is_err(), "an unclosed comment too");
    }

    #[test]
    fn expressions_outside_comments_pass_and_quotes_hide_comment_marks() {
        let text = "INSERT INTO t VALUES ('--', {{ tenant.vars.a | sql_literal }}); -- plain comment\n\
                    SELECT \"a--b\", 'it''s', {{ tenant.id | sql_literal }};";
        assert_eq!(placed(Dialect::Postgres, text), Ok(()));
        assert_eq!(placed(Dialect::Mysql, "SELECT 'x\\'--', {{ tenant.id | sql_literal }};"), Ok(()));
        assert_eq!(
            placed(Dialect::Postgres, "SELECT 1 # 2, {{ tenant.id | sql_literal }};"),
            Ok(()),
            "# is no comment on PostgreSQL"
        );
        assert!(placed(Dialect::Postgres, "SELECT {{ tenant.id }};").unwrap_err().contains("raw value"));
    }
}
