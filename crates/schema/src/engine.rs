//! The one thing the model needs from an engine: what it does to a table on its own (names it
//! chooses, indexes it adds), mirrored after every statement so that a declared schema and the
//! same schema read back from a live database are equal. The model defines the seam; each
//! engine's rules live with its planner in `strata-dialect`.

use strata_core::Dialect;

use crate::Table;

pub trait Engine: Sync {
    /// The engine whose rules these are.
    fn dialect(&self) -> Dialect;

    /// Applied to a table after every statement that creates or alters it.
    fn normalize_table(&self, table: &mut Table);
}

/// For the model's own unit tests: an engine that names and adds nothing (SQLite's rules; each
/// engine's own rules are tested with it in `strata-dialect`).
#[cfg(test)]
pub(crate) struct AsWritten(pub Dialect);

#[cfg(test)]
impl Engine for AsWritten {
    fn dialect(&self) -> Dialect {
        self.0
    }

    fn normalize_table(&self, _table: &mut Table) {}
}

#[cfg(test)]
pub(crate) fn as_written(dialect: Dialect) -> &'static dyn Engine {
    match dialect {
        Dialect::Sqlite => &AsWritten(Dialect::Sqlite),
        Dialect::Postgres => &AsWritten(Dialect::Postgres),
        Dialect::Mysql => &AsWritten(Dialect::Mysql),
    }
}
