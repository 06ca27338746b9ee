//! The engines strata speaks, and what every layer needs to know about each: which sqlparser
//! dialect reads its SQL, how names are folded and quoted, how literals are written.

use serde::{Deserialize, Serialize};
use sqlparser::ast::Ident;

use crate::keywords;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
        })
    }
}

impl Dialect {
    pub fn parser(self) -> Box<dyn sqlparser::dialect::Dialect> {
        match self {
            Dialect::Sqlite => Box::new(sqlparser::dialect::SQLiteDialect {}),
            Dialect::Postgres => Box::new(sqlparser::dialect::PostgreSqlDialect {}),
            Dialect::Mysql => Box::new(sqlparser::dialect::MySqlDialect {}),
        }
    }

    /// The name an identifier denotes: PostgreSQL folds unquoted names to lower case; SQLite and
    /// MySQL keep the spelling (both compare some names ignoring case; the schema model refuses two
    /// spellings of one name rather than folding them).
    pub fn normalize_ident(self, ident: &Ident) -> String {
        match (self, ident.quote_style) {
            (Dialect::Postgres, None) => ident.value.to_lowercase(),
            _ => ident.value.clone(),
        }
    }

    /// The schema unqualified names live in, which a tenant's own schema or file stands for.
    pub fn default_schema(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => Some("main"),
            Dialect::Postgres => Some("public"),
            Dialect::Mysql => None,
        }
    }

    /// PostgreSQL and MySQL make primary-key columns NOT NULL; SQLite (for legacy reasons) does not.
    pub fn primary_key_implies_not_null(self) -> bool {
        self != Dialect::Sqlite
    }

    /// Always-correct quoting; generated SQL uses [`Dialect::ident`], which quotes only when needed.
    pub fn quote_ident(self, name: &str) -> String {
        match self {
            Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A name as it appears in generated SQL: bare when it is a plain lower-case word that is not a
    /// keyword, quoted otherwise.
    pub fn ident(self, name: &str) -> String {
        let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if plain && !self.is_keyword(name) {
            name.to_string()
        } else {
            self.quote_ident(name)
        }
    }

    /// Words that need quoting as names: each engine's reserved words.
    fn is_keyword(self, name: &str) -> bool {
        let upper = name.to_ascii_uppercase();
        match self {
            Dialect::Sqlite => keywords::SQLITE.binary_search(&upper.as_str()).is_ok(),
            Dialect::Postgres => keywords::POSTGRES.binary_search(&upper.as_str()).is_ok(),
            Dialect::Mysql => keywords::MYSQL.binary_search(&upper.as_str()).is_ok(),
        }
    }

    pub fn quote_literal(self, value: &str) -> String {
        match self {
            Dialect::Mysql => format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''")),
            _ => format!("'{}'", value.replace('\'', "''")),
        }
    }

    /// A tenant's value as a string literal that means the same whatever the session says about
    /// backslashes. PostgreSQL reads a backslash in `'...'` as an escape when
    /// `standard_conforming_strings` is off, where `'a\'` never ends; an `E'...'` literal escapes
    /// it on every setting. (MySQL's [`Dialect::quote_literal`] relies on backslash escapes, which
    /// strata's sessions keep on; SQLite has none.)
    pub fn quote_value(self, value: &str) -> String {
        match self {
            Dialect::Postgres if value.contains('\\') => {
                format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
            }
            _ => self.quote_literal(value),
        }
    }
}

/// A PostgreSQL dollar-quote tag for `body`: `preferred` when the body cannot end it early, else
/// the first free `$strata$`, `$strata1$`, ... (pg_dump's rule, plus the overlap it misses: a body
/// ending in `$strata` would close `$strata$` before the body ends).
pub fn dollar_tag(body: &str, preferred: &str) -> String {
    let closes_early = |tag: &str| format!("{body}{tag}").find(tag) != Some(body.len());
    if !closes_early(preferred) {
        return preferred.to_string();
    }
    (0usize..)
        .map(|n| if n == 0 { "$strata$".to_string() } else { format!("$strata{n}$") })
        .find(|tag| !closes_early(tag))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        let d = Dialect::Sqlite;
        assert_eq!(d.ident("members"), "members");
        assert_eq!(d.ident("name"), "name");
        assert!(keywords::SQLITE.windows(2).all(|w| w[0] < w[1]), "sorted for binary search");
        assert!(keywords::POSTGRES.windows(2).all(|w| w[0] < w[1]), "sorted for binary search");
        assert!(keywords::MYSQL.windows(2).all(|w| w[0] < w[1]), "sorted for binary search");
        assert_eq!(d.ident("order"), "\"order\"");
        assert_eq!(d.ident("Artist"), "\"Artist\"");
        assert_eq!(d.ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(Dialect::Mysql.ident("a`b"), "`a``b`");
        assert_eq!(d.quote_literal("O'Brien"), "'O''Brien'");
        assert_eq!(Dialect::Mysql.quote_literal("a\\'"), "'a\\\\'''");
    }

    #[test]
    fn values_are_literals_whatever_the_session_says_of_backslashes() {
        assert_eq!(Dialect::Postgres.quote_value("it's"), "'it''s'");
        assert_eq!(Dialect::Postgres.quote_value("a\\'b"), "E'a\\\\''b'");
        assert_eq!(Dialect::Sqlite.quote_value("a\\"), "'a\\'");
        assert_eq!(Dialect::Mysql.quote_value("a\\"), "'a\\\\'");
    }

    #[test]
    fn a_dollar_tag_never_closes_inside_its_body() {
        assert_eq!(dollar_tag("select 1", "$$"), "$$");
        assert_eq!(dollar_tag("x $$ y", "$$"), "$strata$");
        assert_eq!(dollar_tag("a $strata$ b", "$strata$"), "$strata1$");
        // The body's end and the tag would close the quote one character early.
        assert_eq!(dollar_tag("ends in $strata", "$strata$"), "$strata1$");
        assert_eq!(dollar_tag("ends in $", "$$"), "$strata$");
    }
}
