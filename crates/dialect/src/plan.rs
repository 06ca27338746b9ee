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

/// What each engine implements: the steps (SQL and hazards) that carry out one change. Each
/// implementation matches [`Change`] exhaustively, so a new kind of change does not compile until
/// every planner says what it does with it.
pub trait Planner: Sync {
    fn steps(&self, change: &Change) -> Result<Vec<Step>, PlanError>;
}

/// Enum types, sequences, domains, routines, triggers, statistics and extensions are modelled
/// for PostgreSQL only (the interpreter refuses them elsewhere).
pub fn postgres_only(dialect: Dialect) -> PlanError {
    PlanError::Unsupported {
        dialect,
        what: "enum types, sequences, domains, functions, triggers, statistics and extensions (PostgreSQL only)".into(),
    }
}

/// The kinds of [`Change`] only PostgreSQL has, as one pattern for the other engines' planners.
/// Named one by one, so that a new kind of change still does not compile until someone decides
/// whether it belongs here.
macro_rules! postgres_only_changes {
    () => {
        Change::CreateEnum { .. }
            | Change::DropEnum { .. }
            | Change::AlterEnum { .. }
            | Change::CreateSequence(_)
            | Change::DropSequence(_)
            | Change::AlterSequence { .. }
            | Change::CreateExtension(_)
            | Change::DropExtension(_)
            | Change::CreateDomain(_)
            | Change::DropDomain(_)
            | Change::AlterDomain { .. }
            | Change::CreateAggregate(_)
            | Change::DropAggregate(_)
            | Change::CreateFunction(_)
            | Change::DropFunction(_)
            | Change::ReplaceFunction(_)
            | Change::CreateTrigger(_)
            | Change::DropTrigger(_)
            | Change::CreateStatistics(_)
            | Change::DropStatistics(_)
    };
}
pub(crate) use postgres_only_changes;

/// The steps that turn one schema into another, for a dialect.
pub fn plan(dialect: Dialect, changes: &[Change]) -> Result<Vec<Step>, PlanError> {
    let planner = crate::planner(dialect);
    Ok(changes.iter().map(|change| planner.steps(change)).collect::<Result<Vec<_>, _>>()?.concat())
}
