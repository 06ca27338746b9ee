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
    /// MySQL keep the spelling (SQLite compares case-insensitively, which the model does not yet).
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
}
