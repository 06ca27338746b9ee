//! Where a tenant lives and a connection to it, whatever the engine.

use std::path::PathBuf;
use std::time::Duration;

use super::mysql::MySqlTenant;
use super::postgres::PgTenant;
use super::sqlite::SqliteTenant;
use super::{DbError, HistoryRow, HistoryState, MigrationRun, RunOutcome};

/// A tenant's database, resolved from the environment for one tenant. URLs are already expanded
/// from `${VAR}`; `label` is what messages show, never a URL.
#[derive(Debug, Clone)]
pub enum Target {
    SqliteFile(PathBuf),
    Postgres { url: String, schema: Option<String>, label: String },
    Mysql { url: String, database: String, label: String },
}

impl Target {
    pub fn label(&self) -> String {
        match self {
            Target::SqliteFile(path) => path.display().to_string(),
            Target::Postgres { label, .. } | Target::Mysql { label, .. } => label.clone(),
        }
    }
}

/// A connection to a server that serves many tenants (PostgreSQL schemas, MySQL databases), kept
/// between tenants.
pub enum ServerConnection {
    Postgres(sqlx::postgres::PgConnection),
    Mysql(sqlx::mysql::MySqlConnection),
}

pub enum TenantDb {
    Sqlite(SqliteTenant),
    Postgres(PgTenant),
    Mysql(MySqlTenant),
}

impl TenantDb {
    /// Connects under the tenant's lock; `None` when the tenant's database does not exist and
    /// `create` is false.
    pub async fn open(target: &Target, create: bool, lock_timeout: Duration) -> Result<Option<Self>, DbError> {
        Ok(match target {
            Target::SqliteFile(path) => SqliteTenant::open(path, create, lock_timeout).await?.map(TenantDb::Sqlite),
            Target::Postgres { url, schema, label } => {
                PgTenant::open(url, schema.as_deref(), label, create, lock_timeout).await?.map(TenantDb::Postgres)
            }
            Target::Mysql { url, database, label } => {
                MySqlTenant::open(url, database, label, create, lock_timeout).await?.map(TenantDb::Mysql)
            }
        })
    }

    /// [`open`](Self::open) on a kept connection to the tenant's server.
    pub async fn open_on(
        target: &Target,
        conn: ServerConnection,
        create: bool,
        lock_timeout: Duration,
    ) -> Result<Option<Self>, DbError> {
        Ok(match (target, conn) {
            (Target::Postgres { schema, label, .. }, ServerConnection::Postgres(conn)) => {
                PgTenant::open_on(conn, schema.as_deref(), label, create, lock_timeout).await?.map(TenantDb::Postgres)
            }
            (Target::Mysql { database, label, .. }, ServerConnection::Mysql(conn)) => {
                MySqlTenant::open_on(conn, database, label, create, lock_timeout).await?.map(TenantDb::Mysql)
            }
            _ => Self::open(target, create, lock_timeout).await?,
        })
    }

    /// Releases the tenant's lock and hands back a server connection fit for the next tenant.
    pub async fn release(self) -> Option<ServerConnection> {
        match self {
            TenantDb::Sqlite(_) => None,
            TenantDb::Postgres(db) => db.release().await.map(ServerConnection::Postgres),
            TenantDb::Mysql(db) => db.release().await.map(ServerConnection::Mysql),
        }
    }

    pub async fn history(&mut self) -> Result<Vec<HistoryRow>, DbError> {
        match self {
            TenantDb::Sqlite(db) => db.history().await,
            TenantDb::Postgres(db) => db.history().await,
            TenantDb::Mysql(db) => db.history().await,
        }
    }

    /// The live schema, read into the model.
    pub async fn inspect(&mut self) -> Result<strata_schema::Schema, DbError> {
        match self {
            TenantDb::Sqlite(db) => db.inspect().await,
            TenantDb::Postgres(db) => db.inspect().await,
            TenantDb::Mysql(db) => db.inspect().await,
        }
    }

    /// `repair`: a failed migration found applied after all (`Some("applied")`), or undone and
    /// forgotten so that the next apply runs it again (`None`).
    pub async fn settle(&mut self, id: &str, state: Option<HistoryState>) -> Result<(), DbError> {
        match self {
            TenantDb::Sqlite(db) => db.settle(id, state).await,
            TenantDb::Postgres(db) => db.settle(id, state).await,
            TenantDb::Mysql(db) => db.settle(id, state).await,
        }
    }

    /// Runs a down migration (rendered for the tenant) and forgets the migration.
    pub async fn revert(&mut self, id: &str, sql: &str) -> Result<(), DbError> {
        match self {
            TenantDb::Sqlite(db) => db.revert(id, sql).await,
            TenantDb::Postgres(db) => db.revert(id, sql).await,
            TenantDb::Mysql(db) => db.revert(id, sql).await,
        }
    }

    pub async fn run(&mut self, run: &MigrationRun<'_>) -> Result<RunOutcome, DbError> {
        match self {
            TenantDb::Sqlite(db) => db.run(run).await,
            TenantDb::Postgres(db) => db.run(run).await,
            TenantDb::Mysql(db) => db.run(run).await,
        }
    }
}
