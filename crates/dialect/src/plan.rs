//! Steps of SQL with the hazards a reviewer must see (DESIGN §3 `-- strata:hazards`).

use std::collections::BTreeSet;
use std::fmt;

use super::Dialect;
use strata_schema::Change;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hazard {
    /// Data is lost: a dropped table or column, a narrowed type.
    Destructive,
    /// The whole table is rewritten or locked while the step runs.
    Rewrite,
    /// Whether the step succeeds depends on the rows present (a new NOT NULL, UNIQUE or CHECK).
    DataDependent,
}

impl Hazard {
    pub fn as_str(self) -> &'static str {
        match self {
            Hazard::Destructive => "destructive",
            Hazard::Rewrite => "rewrite",
            Hazard::DataDependent => "data-dependent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Hazard::Destructive, Hazard::Rewrite, Hazard::DataDependent].into_iter().find(|h| h.as_str() == text)
    }
}

impl serde::Serialize for Hazard {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change carried out: its statements (each ending in `;`), a one-line summary, hazards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub summary: String,
    pub sql: String,
    pub hazards: BTreeSet<Hazard>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("generating {dialect} SQL is not supported yet: {what}")]
    Unsupported { dialect: Dialect, what: String },
}

/// Enum types, sequences, functions and triggers are modelled for PostgreSQL only.
pub fn postgres_only(dialect: Dialect) -> PlanError {
    PlanError::Unsupported { dialect, what: "enum types, sequences, functions and triggers (PostgreSQL only)".into() }
}

/// The steps that turn one schema into another, for a dialect.
pub fn plan(dialect: Dialect, changes: &[Change]) -> Result<Vec<Step>, PlanError> {
    let steps_of = match dialect {
        Dialect::Sqlite => super::sqlite::steps,
        Dialect::Postgres => super::postgres::steps,
        Dialect::Mysql => super::mysql::steps,
    };
    Ok(changes.iter().map(steps_of).collect::<Result<Vec<_>, _>>()?.concat())
}
