//! SQLite: the SQL for each change (plan.rs) and reading a live database back into the model
//! (inspect.rs).

mod inspect;
mod plan;

pub use inspect::inspect;
use strata_core::Dialect;
use strata_schema::{Engine, Table};

/// SQLite: its table rules for the model and its planner.
pub struct Sqlite;

impl Engine for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    /// SQLite names nothing and adds nothing on its own.
    fn normalize_table(&self, _table: &mut Table) {}
}

impl crate::plan::Planner for Sqlite {
    fn steps(&self, change: &strata_schema::Change) -> Result<Vec<crate::plan::Step>, crate::plan::PlanError> {
        plan::steps(change)
    }
}
