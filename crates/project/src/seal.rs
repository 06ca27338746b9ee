//! The last step of rendering a SQL file: every tenant value stays the one token its filter made.
//!
//! `sql_literal` and `sql_ident` quote a value for where it stands alone, but the text around it
//! decides what it means. Inside a PostgreSQL dollar quote (a function body, a `DO` block) a
//! value holding the quote's tag ends the body early and the rest of the value runs as SQL; inside
//! a string literal, a quoted name or a comment, the value's own quotes end it. So the filters
//! mark what they return, and [`seal`] reads the rendered file as the engine's lexer does, each
//! marked value opaque:
//! - a value in code stands as it is;
//! - a value inside a dollar quote is code of the body (PL/pgSQL and SQL bodies lex alike), and
//!   the quote takes a tag that the body cannot end early, chosen from the rendered content as
//!   pg_dump does (the tag the file wrote, unless a value holds it);
//! - a value inside a string literal, a quoted name or a comment, or glued to a quote, is refused:
//!   no quoting makes it safe there.
//!
//! Then the marks are removed. The mark is NUL, which SQL text never carries (PostgreSQL cannot),
//! so the filters refuse a value holding one and `render` a file holding one.

use strata_core::dialect::dollar_tag;
use strata_core::Dialect;

/// What the filters wrap their output in.
pub(crate) const MARK: char = '\0';

/// A filter's output, marked for [`seal`].
pub(crate) fn marked(quoted: String) -> String {
    format!("{MARK}{quoted}{MARK}")
}

/// Where a value was found that no quoting makes safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misplaced {
    StringLiteral,
    QuotedName,
    Comment,
}

impl std::fmt::Display for Misplaced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Misplaced::StringLiteral => "inside (or beside) a string literal",
            Misplaced::QuotedName => "inside a quoted name",
            Misplaced::Comment => "inside a comment",
        })
    }
}

/// A value that [`seal`] refused: what it stood in, and the line of the rendered file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub inside: Misplaced,
    pub line: usize,
}

/// The rendered `text` with its marks removed and every dollar quote that holds a value tagged so
/// that the value cannot end it; or where a value stands that no quoting guards.
pub fn seal(dialect: Dialect, text: &str) -> Result<String, Refused> {
    if !text.contains(MARK) {
        return Ok(text.to_string());
    }
    Lexer { dialect, text }
        .code(0, text.len())
        .map_err(|(inside, at)| Refused { inside, line: text[..at].matches('\n').count() + 1 })
}

type Scan<T> = Result<T, (Misplaced, usize)>;

struct Lexer<'t> {
    dialect: Dialect,
    text: &'t str,
}

impl Lexer<'_> {
    /// `text[start..end]` as code: values stand as they are, dollar quotes holding one are tagged
    /// anew, and everything else is copied once its end is found.
    fn code(&self, start: usize, end: usize) -> Scan<String> {
        let bytes = &self.text.as_bytes()[..end];
        let mut out = String::with_capacity(end - start);
        let (mut i, mut copied) = (start, start);
        while i < end {
            let next = bytes.get(i + 1).copied();
            i = match bytes[i] {
                0 => {
                    let close = self.value_end(i, end);
                    self.beside_quote(i, close)?;
                    out.push_str(&self.text[copied..i]);
                    out.push_str(&self.text[i + 1..close - 1]);
                    copied = close;
                    close
                }
                b'\'' => self.quoted_end(i, end, b'\'', self.backslash_escapes(i), Misplaced::StringLiteral)?,
                b'"' if self.dialect == Dialect::Mysql => {
                    self.quoted_end(i, end, b'"', true, Misplaced::StringLiteral)?
                }
                b'"' => self.quoted_end(i, end, b'"', false, Misplaced::QuotedName)?,
                b'`' if self.dialect != Dialect::Postgres => {
                    self.quoted_end(i, end, b'`', false, Misplaced::QuotedName)?
                }
                b'[' if self.dialect == Dialect::Sqlite => {
                    self.quoted_end(i, end, b']', false, Misplaced::QuotedName)?
                }
                b'-' if next == Some(b'-') => self.line_comment_end(i, end)?,
                b'#' if self.dialect == Dialect::Mysql => self.line_comment_end(i, end)?,
                b'/' if next == Some(b'*') => self.block_comment_end(i, end)?,
                b'$' if self.dialect == Dialect::Postgres => match self.dollar_tag_at(i) {
                    Some(tag) => {
                        let (after, sealed) = self.dollar_quote(i, end, tag)?;
                        if let Some(sealed) = sealed {
                            out.push_str(&self.text[copied..i]);
                            out.push_str(&sealed);
                            copied = after;
                        }
                        after
                    }
                    None => i + 1,
                },
                _ => i + 1,
            };
        }
        out.push_str(&self.text[copied..end]);
        Ok(out)
    }

    /// The index just past the mark that closes the value opening at `at`.
    fn value_end(&self, at: usize, end: usize) -> usize {
        self.text[at + 1..end].find(MARK).map_or(end, |n| at + 1 + n + 1)
    }

    /// A value glued to a quote would merge with it (`'a'` then `'` reads as one literal `a'...`).
    fn beside_quote(&self, open: usize, close: usize) -> Scan<()> {
        let bytes = self.text.as_bytes();
        let quotes = [b'\'', b'"', b'`'];
        let before = open.checked_sub(1).map(|b| bytes[b]);
        let after = bytes.get(close).copied();
        if before.is_some_and(|b| quotes.contains(&b)) || after.is_some_and(|b| quotes.contains(&b)) {
            return Err((Misplaced::StringLiteral, open));
        }
        Ok(())
    }

    /// Backslashes escape in every MySQL string, and in PostgreSQL's `E'...'` only (strata's
    /// sessions set `standard_conforming_strings = on`).
    fn backslash_escapes(&self, quote: usize) -> bool {
        let bytes = self.text.as_bytes();
        match self.dialect {
            Dialect::Mysql => true,
            Dialect::Sqlite => false,
            Dialect::Postgres => {
                let prefix = quote.checked_sub(1).map(|p| bytes[p]);
                let before_prefix = quote.checked_sub(2).map(|p| bytes[p]);
                matches!(prefix, Some(b'E' | b'e')) && !before_prefix.is_some_and(is_ident_byte)
            }
        }
    }

    /// The end of a quoted token opening at `start` (a doubled closing quote is an escaped one).
    fn quoted_end(&self, start: usize, end: usize, close: u8, backslashes: bool, inside: Misplaced) -> Scan<usize> {
        let bytes = self.text.as_bytes();
        let mut i = start + 1;
        while i < end {
            match bytes[i] {
                0 => return Err((inside, i)),
                b'\\' if backslashes => {
                    if bytes.get(i + 1) == Some(&0) {
                        return Err((inside, i + 1));
                    }
                    i += 2;
                }
                b if b == close && bytes.get(i + 1) == Some(&close) && i + 1 < end => i += 2,
                b if b == close => return Ok(i + 1),
                _ => i += 1,
            }
        }
        Ok(end)
    }

    fn line_comment_end(&self, start: usize, end: usize) -> Scan<usize> {
        let stop = self.text[start..end].find('\n').map_or(end, |n| start + n);
        self.no_value(start, stop, Misplaced::Comment)?;
        Ok(stop)
    }

    /// PostgreSQL nests block comments; MySQL and SQLite end one at the first `*/`.
    fn block_comment_end(&self, start: usize, end: usize) -> Scan<usize> {
        let nests = self.dialect == Dialect::Postgres;
        let stop = block_comment_end(&self.text.as_bytes()[..end], start, nests);
        self.no_value(start, stop, Misplaced::Comment)?;
        Ok(stop)
    }

    fn no_value(&self, start: usize, stop: usize, inside: Misplaced) -> Scan<()> {
        match self.text[start..stop].find(MARK) {
            Some(n) => Err((inside, start + n)),
            None => Ok(()),
        }
    }

    /// `$tag$` or `$$` opening a dollar quote at `at`; `$1` and the `$` inside a name
    /// (`a$b$`) do not.
    fn dollar_tag_at(&self, at: usize) -> Option<&str> {
        let bytes = self.text.as_bytes();
        if at.checked_sub(1).is_some_and(|p| is_ident_byte(bytes[p])) {
            return None;
        }
        let mut i = at + 1;
        if bytes.get(i).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_' || *b >= 0x80) {
            while bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80) {
                i += 1;
            }
        }
        (bytes.get(i) == Some(&b'$')).then(|| &self.text[at..=i])
    }

    /// The dollar quote opening at `start` with `tag`: the index after it, and its new text when a
    /// value stands in it. A tag inside a value does not close the quote, which is the point.
    fn dollar_quote(&self, start: usize, end: usize, tag: &str) -> Scan<(usize, Option<String>)> {
        let body_start = start + tag.len();
        let mut i = body_start;
        let mut holds_value = false;
        let mut closed = false;
        while i < end {
            if self.text.as_bytes()[i] == 0 {
                holds_value = true;
                i = self.value_end(i, end);
            } else if self.text[i..end].starts_with(tag) {
                closed = true;
                break;
            } else {
                i += 1;
            }
        }
        let (body_end, after) = if closed { (i, i + tag.len()) } else { (end, end) };
        if !holds_value {
            return Ok((after, None));
        }
        if !closed {
            // Never closed: the engine will say so, but a value must not sit in what follows.
            return Err((Misplaced::StringLiteral, body_start));
        }
        let body = self.code(body_start, body_end)?;
        let tag = dollar_tag(&body, tag);
        Ok((after, Some(format!("{tag}{body}{tag}"))))
    }
}

/// The end of the block comment opening at `start` (the end of `bytes` when it never closes);
/// `nests` where `/*` inside a comment opens another, as on PostgreSQL.
pub(crate) fn block_comment_end(bytes: &[u8], start: usize, nests: bool) -> usize {
    let (mut depth, mut i) = (0usize, start);
    while i + 1 < bytes.len() {
        match &bytes[i..i + 2] {
            b"/*" if nests || depth == 0 => {
                depth += 1;
                i += 2;
            }
            b"*/" => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Letters, digits, `_`, `$` and every non-ASCII byte continue a PostgreSQL name.
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: &str) -> String {
        marked(v.to_string())
    }

    #[test]
    fn a_value_in_code_loses_its_marks_only() {
        let text = format!("INSERT INTO t VALUES ({}, {});", value("'a''b'"), value("\"x\""));
        assert_eq!(seal(Dialect::Sqlite, &text), Ok("INSERT INTO t VALUES ('a''b', \"x\");".to_string()));
    }

    #[test]
    fn a_value_holding_the_dollar_tag_gets_a_tag_of_its_own() {
        let text = format!(
            "CREATE FUNCTION f() RETURNS text AS $strata$ BEGIN RETURN {}; END $strata$ LANGUAGE plpgsql;",
            value("'x$strata$; DROP SCHEMA s'")
        );
        let sealed = seal(Dialect::Postgres, &text).unwrap();
        assert_eq!(
            sealed,
            "CREATE FUNCTION f() RETURNS text AS $strata1$ BEGIN RETURN 'x$strata$; DROP SCHEMA s'; END $strata1$ LANGUAGE plpgsql;"
        );
        // A hand-written `$$` body, and a value ending in part of the tag.
        let text = format!("DO $$ BEGIN PERFORM {}; END $$;", value("'$$'"));
        assert_eq!(seal(Dialect::Postgres, &text).unwrap(), "DO $strata$ BEGIN PERFORM '$$'; END $strata$;");
        // A body without values keeps its text, `$1` and names with `$` are no quotes.
        let text = format!("SELECT a$b$, $1, {} FROM t;", value("'$x$'"));
        assert_eq!(seal(Dialect::Postgres, &text).unwrap(), "SELECT a$b$, $1, '$x$' FROM t;");
    }

    #[test]
    fn nested_dollar_quotes_are_sealed_from_the_inside_out() {
        let text = format!("DO $a$ BEGIN EXECUTE $b$ SELECT {} $b$; END $a$;", value("'$b$ $a$'"));
        let sealed = seal(Dialect::Postgres, &text).unwrap();
        assert_eq!(sealed, "DO $strata1$ BEGIN EXECUTE $strata$ SELECT '$b$ $a$' $strata$; END $strata1$;");
    }

    #[test]
    fn a_value_inside_a_literal_a_name_or_a_comment_is_refused() {
        let refused = |dialect, text: String| seal(dialect, &text).map_err(|r| r.inside);
        let v = value("'x'");
        assert_eq!(refused(Dialect::Sqlite, format!("SELECT 'a {v}';")), Err(Misplaced::StringLiteral));
        assert_eq!(refused(Dialect::Postgres, format!("SELECT \"a {v}\";")), Err(Misplaced::QuotedName));
        assert_eq!(refused(Dialect::Mysql, format!("SELECT \"a {v}\";")), Err(Misplaced::StringLiteral));
        assert_eq!(refused(Dialect::Mysql, format!("SELECT 1; # {v}\n")), Err(Misplaced::Comment));
        assert_eq!(refused(Dialect::Postgres, format!("/* a /* b */ {v} */ SELECT 1;")), Err(Misplaced::Comment));
        assert_eq!(refused(Dialect::Sqlite, format!("SELECT [{v}];")), Err(Misplaced::QuotedName));
        assert_eq!(refused(Dialect::Sqlite, format!("SELECT {v}'';")), Err(Misplaced::StringLiteral));
        // A MySQL backslash escapes the quote; PostgreSQL's only in E'...'.
        assert_eq!(refused(Dialect::Mysql, format!("SELECT 'a\\' {v}';")), Err(Misplaced::StringLiteral));
        assert!(refused(Dialect::Postgres, format!("SELECT 'a\\', {v};")).is_ok());
        assert_eq!(refused(Dialect::Postgres, format!("SELECT E'a\\', {v}';")), Err(Misplaced::StringLiteral));
        // A comment after the value is fine; the line is the rendered file's.
        let text = format!("SELECT {v}; -- ok\nSELECT '{v}';");
        assert_eq!(seal(Dialect::Sqlite, &text), Err(Refused { inside: Misplaced::StringLiteral, line: 2 }));
    }
}
