//! Per-engine knowledge, one folder per engine: the rules an engine applies to tables on its own
//! (the model's [`Engine`] seam), the SQL that carries out each schema change (`plan.rs`), and
//! reading a live schema back into the model (`inspect.rs`).

mod catalog;
pub mod ddl;
pub mod mysql;
pub mod online;
pub mod plan;
pub mod postgres;
pub mod sql;
pub mod sqlite;

use plan::Planner;
pub use strata_core::Dialect;
use strata_schema::Engine;

/// Tables strata owns in every tenant database; they are not part of the tenant's schema.
pub const INTERNAL_TABLES: [&str; 1] = ["strata_history"];

/// Reading a live database into the model failed.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("cannot read the database catalog: {0}")]
    Query(#[source] sqlx::Error),
    /// A catalog row lacks a column or holds another type than the queries were written for.
    #[error("cannot read the database catalog: catalog column {column}: {source}")]
    Column {
        column: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("{object}: its definition in the database cannot be read: {message}")]
    Parse { object: String, message: String },
    #[error("{object}: this kind of object is not supported by the schema model yet")]
    Unsupported { object: String },
}

/// The table rules of an engine, for reading SQL into the model.
pub fn engine(dialect: Dialect) -> &'static dyn Engine {
    match dialect {
        Dialect::Sqlite => &sqlite::Sqlite,
        Dialect::Postgres => &postgres::Postgres,
        Dialect::Mysql => &mysql::Mysql,
    }
}

/// The planner of an engine: the SQL that carries out each change.
pub fn planner(dialect: Dialect) -> &'static dyn Planner {
    match dialect {
        Dialect::Sqlite => &sqlite::Sqlite,
        Dialect::Postgres => &postgres::Postgres,
        Dialect::Mysql => &mysql::Mysql,
    }
}
