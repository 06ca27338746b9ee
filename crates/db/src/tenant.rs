//! Where a tenant lives and a connection to it, whatever the engine.

use std::path::PathBuf;

use super::mysql::MySqlTenant;
use super::postgres::PgTenant;
use super::session::{bounded, Session};
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

/// A tenant's database under its lock, whatever the engine. Every step is bounded
/// ([`Session::step`]); after a step that timed out the connection is in an unknown state and is
/// only dropped, never used again (dropping it ends the server's transaction and the lock).
pub struct TenantDb {
    engine: Engine,
    session: Session,
    label: String,
    abandoned: bool,
}

enum Engine {
    Sqlite(SqliteTenant),
    Postgres(PgTenant),
    Mysql(MySqlTenant),
}

impl TenantDb {
    fn new(engine: Engine, session: &Session, target: &Target) -> Self {
        Self { engine, session: *session, label: target.label(), abandoned: false }
    }

    /// Connects under the tenant's lock; `None` when the tenant's database does not exist and
    /// `create` is false.
    pub async fn open(target: &Target, create: bool, session: &Session) -> Result<Option<Self>, DbError> {
        let opened = async {
            Ok(match target {
                Target::SqliteFile(path) => {
                    SqliteTenant::open(path, create, session.tenant_lock).await?.map(Engine::Sqlite)
                }
                Target::Postgres { url, schema, label } => {
                    PgTenant::open(url, schema.as_deref(), label, create, session).await?.map(Engine::Postgres)
                }
                Target::Mysql { url, database, label } => {
                    MySqlTenant::open(url, database, label, create, session).await?.map(Engine::Mysql)
                }
            })
        };
        let engine = bounded(session.open(), &target.label(), "opening the tenant", opened).await?;
        Ok(engine.map(|engine| Self::new(engine, session, target)))
    }

    /// [`open`](Self::open) on a kept connection to the tenant's server.
    pub async fn open_on(
        target: &Target,
        conn: ServerConnection,
        create: bool,
        session: &Session,
    ) -> Result<Option<Self>, DbError> {
        let opened = async {
            Ok(match (target, conn) {
                (Target::Postgres { schema, label, .. }, ServerConnection::Postgres(conn)) => {
                    PgTenant::open_on(conn, schema.as_deref(), label, create, session).await?.map(Engine::Postgres)
                }
                (Target::Mysql { database, label, .. }, ServerConnection::Mysql(conn)) => {
                    MySqlTenant::open_on(conn, database, label, create, session).await?.map(Engine::Mysql)
                }
                _ => return Ok(Self::open(target, create, session).await?.map(|db| db.engine)),
            })
        };
        let engine = bounded(session.open(), &target.label(), "opening the tenant", opened).await?;
        Ok(engine.map(|engine| Self::new(engine, session, target)))
    }

    /// One step, bounded; a step that timed out abandons the connection.
    async fn step<T>(
        &mut self,
        what: &'static str,
        work: impl AsyncFnOnce(&mut Engine) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.step_within(self.session.step(), what, work).await
    }

    /// [`step`](Self::step) with its own bound.
    async fn step_within<T>(
        &mut self,
        limit: std::time::Duration,
        what: &'static str,
        work: impl AsyncFnOnce(&mut Engine) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        if self.abandoned {
            return Err(DbError::Timeout { target: self.label.clone(), what, after: "an earlier step".into() });
        }
        let result = bounded(limit, &self.label, what, work(&mut self.engine)).await;
        if matches!(result, Err(DbError::Timeout { .. })) {
            self.abandoned = true;
        }
        result
    }

    /// Releases the tenant's lock and hands back a server connection fit for the next tenant.
    pub async fn release(self) -> Option<ServerConnection> {
        if self.abandoned {
            return None;
        }
        let release = async {
            match self.engine {
                Engine::Sqlite(_) => None,
                Engine::Postgres(db) => db.release().await.map(ServerConnection::Postgres),
                Engine::Mysql(db) => db.release().await.map(ServerConnection::Mysql),
            }
        };
        tokio::time::timeout(self.session.step(), release).await.ok().flatten()
    }

    pub async fn history(&mut self) -> Result<Vec<HistoryRow>, DbError> {
        self.step("reading the history", async |engine| match engine {
            Engine::Sqlite(db) => db.history().await,
            Engine::Postgres(db) => db.history().await,
            Engine::Mysql(db) => db.history().await,
        })
        .await
    }

    /// The live schema, read into the model.
    pub async fn inspect(&mut self) -> Result<strata_schema::Schema, DbError> {
        self.step("reading the schema", async |engine| match engine {
            Engine::Sqlite(db) => db.inspect().await,
            Engine::Postgres(db) => db.inspect().await,
            Engine::Mysql(db) => db.inspect().await,
        })
        .await
    }

    /// The number `sql` (one row of one integer) counts: what a rollback shows of the rows and
    /// values it is about to drop.
    pub async fn count(&mut self, sql: &str) -> Result<i64, DbError> {
        let target = self.label.clone();
        self.step("counting rows", async |engine| {
            let counted = match engine {
                Engine::Sqlite(db) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut db.conn).await,
                Engine::Postgres(db) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut db.conn).await,
                Engine::Mysql(db) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut db.conn).await,
            };
            counted.map_err(|source| DbError::Query { target, source })
        })
        .await
    }

    /// Indexes a failed `CREATE INDEX CONCURRENTLY` left INVALID (PostgreSQL; none elsewhere).
    pub async fn invalid_indexes(&mut self) -> Result<Vec<String>, DbError> {
        self.step("reading invalid indexes", async |engine| match engine {
            Engine::Postgres(db) => db.invalid_indexes().await,
            Engine::Sqlite(_) | Engine::Mysql(_) => Ok(Vec::new()),
        })
        .await
    }

    /// `repair`: a failed migration found applied after all (`Some("applied")`), or undone and
    /// forgotten so that the next apply runs it again (`None`).
    pub async fn settle(&mut self, id: &str, state: Option<HistoryState>) -> Result<(), DbError> {
        self.step("settling a migration", async |engine| match engine {
            Engine::Sqlite(db) => db.settle(id, state).await,
            Engine::Postgres(db) => db.settle(id, state).await,
            Engine::Mysql(db) => db.settle(id, state).await,
        })
        .await
    }

    /// `adopt`: records `runs` (rendered for the tenant, never run) as baselined, in one
    /// transaction, refused if the history is no longer empty.
    pub async fn baseline(&mut self, runs: &[MigrationRun<'_>]) -> Result<(), DbError> {
        self.step("recording the baseline", async |engine| match engine {
            Engine::Sqlite(db) => db.baseline(runs).await,
            Engine::Postgres(db) => db.baseline(runs).await,
            Engine::Mysql(db) => db.baseline(runs).await,
        })
        .await
    }

    /// Runs a down migration (rendered for the tenant) and forgets its migration; `statements` (a
    /// `no-transaction` migration's down) run one at a time. Where the down's statements commit
    /// on their own (those, and MySQL's DDL), a failure or a cut-off run leaves the migration
    /// `reverting`.
    pub async fn revert(&mut self, id: &str, sql: &str, statements: Option<&[String]>) -> Result<(), DbError> {
        self.step("running a down migration", async |engine| match engine {
            Engine::Sqlite(db) => db.revert(id, sql, statements).await,
            Engine::Postgres(db) => db.revert(id, sql, statements).await,
            Engine::Mysql(db) => db.revert(id, sql).await,
        })
        .await
    }

    pub async fn run(&mut self, run: &MigrationRun<'_>) -> Result<RunOutcome, DbError> {
        // The client's bound follows the migration's own (`-- strata:timeout`), statement by
        // statement when it runs outside a transaction.
        let timeouts = self.session.timeouts;
        let per_statement =
            run.statement_timeout.unwrap_or(timeouts.statement) + run.lock_timeout.unwrap_or(timeouts.lock);
        let statements = run.statements.map_or(1, |s| s.len().max(1)) as u32;
        let limit = self.session.step().max(per_statement * statements + timeouts.connect);
        self.step_within(limit, "running a migration", async |engine| match engine {
            Engine::Sqlite(db) => db.run(run).await,
            Engine::Postgres(db) => db.run(run).await,
            Engine::Mysql(db) => db.run(run).await,
        })
        .await
    }
}
