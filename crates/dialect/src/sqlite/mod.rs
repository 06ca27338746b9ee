//! SQLite: the SQL for each change (plan.rs) and reading a live database back into the model
//! (inspect.rs).

mod inspect;
mod plan;

pub use inspect::inspect;
pub use plan::steps;
use strata_core::Dialect;
use strata_schema::{Engine, Table};

/// SQLite: what the engine does to a table on its own, for the model.
pub struct Rules;

impl Engine for Rules {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    /// SQLite names nothing and adds nothing on its own.
    fn normalize_table(&self, _table: &mut Table) {}
}
