//! Per-engine knowledge: how names are quoted and folded, which sqlparser dialect reads the
//! project's SQL, and (in one file per engine) the SQL that carries out each schema change.

pub mod mysql;
pub mod plan;
pub mod postgres;
pub mod sql;
pub mod sqlite;

use serde::{Deserialize, Serialize};
use sqlparser::ast::Ident;

/// Tables strata owns in every tenant database; they are not part of the tenant's schema.
pub const INTERNAL_TABLES: [&str; 1] = ["strata_history"];

/// Reading a live database into the model failed.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("cannot read the database catalog: {0}")]
    Query(String),
    #[error("{object}: its definition in the database cannot be read: {message}")]
    Parse { object: String, message: String },
    #[error("{object}: this kind of object is not supported by the schema model yet")]
    Unsupported { object: String },
}

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

    /// What the engine does to a table on its own (names it chooses, indexes it adds), applied to
    /// the model after every statement so declared and introspected schemas agree.
    pub fn normalize_table(self, table: &mut crate::schema::Table) {
        match self {
            Dialect::Sqlite => {}
            Dialect::Postgres => postgres::normalize_table(table),
            Dialect::Mysql => mysql::normalize_table(table),
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
            Dialect::Sqlite => sqlite::KEYWORDS.binary_search(&upper.as_str()).is_ok(),
            Dialect::Postgres => postgres::KEYWORDS.binary_search(&upper.as_str()).is_ok(),
            Dialect::Mysql => mysql::KEYWORDS.binary_search(&upper.as_str()).is_ok(),
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
        assert!(sqlite::KEYWORDS.windows(2).all(|w| w[0] < w[1]), "sorted for binary search");
        assert!(postgres::KEYWORDS.windows(2).all(|w| w[0] < w[1]), "sorted for binary search");
        assert!(mysql::KEYWORDS.windows(2).all(|w| w[0] < w[1]), "sorted for binary search");
        assert_eq!(d.ident("order"), "\"order\"");
        assert_eq!(d.ident("Artist"), "\"Artist\"");
        assert_eq!(d.ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(Dialect::Mysql.ident("a`b"), "`a``b`");
        assert_eq!(d.quote_literal("O'Brien"), "'O''Brien'");
        assert_eq!(Dialect::Mysql.quote_literal("a\\'"), "'a\\\\'''");
    }
}
