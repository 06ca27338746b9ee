//! PostgreSQL: the SQL for each change (plan.rs, with routines and domains in routine.rs) and
//! reading a live schema back into the model (inspect.rs).

mod inspect;
mod plan;
mod routine;

pub use inspect::{inspect, invalid_indexes};
use strata_core::Dialect;
use strata_schema::{Engine, Table};

/// PostgreSQL: its table rules for the model and its planner.
pub struct Postgres;

impl Engine for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn normalize_table(&self, table: &mut Table) {
        normalize_table(table)
    }
}

/// Model what PostgreSQL does to a table: constraint names it would choose itself mean "unnamed".
fn normalize_table(table: &mut Table) {
    crate::sql::forget_default_names(table, |_| false);
}

impl crate::plan::Planner for Postgres {
    fn steps(&self, change: &strata_schema::Change) -> Result<Vec<crate::plan::Step>, crate::plan::PlanError> {
        plan::steps(change)
    }
}
