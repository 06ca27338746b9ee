//! PostgreSQL tenants: a schema each (`isolation: schema`) or a database each (`isolation:
//! database`). A session-level advisory lock keyed by the tenant's target serialises runners on
//! one tenant only, and the server releases it if a runner dies; each migration and its history
//! row commit in one transaction.

use std::time::{Duration, Instant};

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection, Postgres};
use sqlx::Connection;

use super::session::{self, Session};
use super::transactional::{Queries, Spelling, Timeouts};
use super::{DbError, HistoryRow, MigrationRun, RunOutcome};
use crate::HistoryState;
use strata_core::duration::show;
use strata_core::Dialect;

const HISTORY_DDL: &str = "CREATE TABLE IF NOT EXISTS strata_history (
  id TEXT PRIMARY KEY,
  layer TEXT NOT NULL,
  seq BIGINT NOT NULL,
  checksum TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  state TEXT NOT NULL,
  schema_hash TEXT,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  applied_by TEXT,
  duration_ms BIGINT
)";

pub struct PgTenant {
    pub(crate) conn: PgConnection,
    /// For messages: "schema t_nrna" — never the URL.
    target: String,
    /// The tenant's schema (`public` when the tenant has a database of its own).
    schema: String,
    /// The session's lock timeout, for messages.
    lock: Duration,
}

impl PgTenant {
    fn error(&self, e: sqlx::Error) -> DbError {
        query_error(&self.target, e)
    }

    /// Connects, enters the tenant's schema (creating it when asked) and takes the tenant's lock.
    /// `None` when the schema does not exist and `create` is false.
    pub async fn open(
        url: &str,
        schema: Option<&str>,
        label: &str,
        create: bool,
        session: &Session,
    ) -> Result<Option<Self>, DbError> {
        let connect_error = |e: sqlx::Error| DbError::connect(label, e);
        let options = PgConnectOptions::from_str(url).map_err(connect_error)?;
        // A tenant with a database of its own: create it from the server's maintenance database.
        if let (None, Some(database)) = (schema, options.get_database()) {
            let maintenance = options.clone().database("postgres");
            let mut admin = session::postgres(&maintenance, label, &session.timeouts).await?;
            // Another runner may be creating it: CREATE is not safe against that on its own.
            lock(&mut admin, &format!("strata:{label}"), session.tenant_lock, label).await?;
            let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(database)
                .fetch_optional(&mut admin)
                .await
                .map_err(connect_error)?;
            if exists.is_none() {
                if !create {
                    return Ok(None);
                }
                let sql = format!("CREATE DATABASE {}", Dialect::Postgres.quote_ident(database));
                sqlx::raw_sql(&sql).execute(&mut admin).await.map_err(connect_error)?;
            }
        }
        let conn = session::postgres(&options, label, &session.timeouts).await?;
        Self::open_on(conn, schema, label, create, session).await
    }

    /// [`open`](Self::open) on a connection already made to the tenant's server (kept from an
    /// earlier tenant: connecting costs a server process start each time).
    pub async fn open_on(
        conn: PgConnection,
        schema: Option<&str>,
        label: &str,
        create: bool,
        session: &Session,
    ) -> Result<Option<Self>, DbError> {
        let schema_name = schema.unwrap_or("public").to_string();
        let mut tenant = PgTenant { conn, target: label.to_string(), schema: schema_name, lock: session.timeouts.lock };
        // The lock comes first: two runners must not both create the schema (PostgreSQL's
        // IF NOT EXISTS does not protect against that).
        lock(&mut tenant.conn, &format!("strata:{label}"), session.tenant_lock, label).await?;
        if let Some(schema) = schema {
            let exists = sqlx::query("SELECT 1 FROM pg_namespace WHERE nspname = $1")
                .bind(schema)
                .fetch_optional(&mut tenant.conn)
                .await
                .map_err(|e| tenant.error(e))?;
            if exists.is_none() {
                if !create {
                    return Ok(None);
                }
                let sql = format!("CREATE SCHEMA IF NOT EXISTS {}", Dialect::Postgres.quote_ident(schema));
                sqlx::raw_sql(&sql).execute(&mut tenant.conn).await.map_err(|e| tenant.error(e))?;
            }
            let sql = format!("SET search_path TO {}", Dialect::Postgres.quote_ident(schema));
            sqlx::raw_sql(&sql).execute(&mut tenant.conn).await.map_err(|e| tenant.error(e))?;
        }
        Ok(Some(tenant))
    }

    /// Gives the tenant's lock back and returns the connection for another tenant; `None` when
    /// it is not in a state to be reused (it is then closed, which releases the lock too).
    pub async fn release(mut self) -> Option<PgConnection> {
        let key = format!("strata:{}", self.target);
        let unlocked: Result<bool, _> =
            sqlx::query_scalar("SELECT pg_advisory_unlock(hashtext($1))").bind(key).fetch_one(&mut self.conn).await;
        let reset = sqlx::raw_sql("RESET search_path; RESET check_function_bodies").execute(&mut self.conn).await;
        // Prepared statements name `strata_history` unqualified: prepared under this tenant's
        // search_path, they are not kept for the next tenant.
        let cleared = self.conn.clear_cached_statements().await;
        (matches!(unlocked, Ok(true)) && reset.is_ok() && cleared.is_ok()).then_some(self.conn)
    }

    pub async fn history(&mut self) -> Result<Vec<HistoryRow>, DbError> {
        let target = self.target.clone();
        Queries::<Postgres>::history(&mut self.conn, (HISTORY_EXISTS, HISTORY), &|e| query_error(&target, e)).await
    }

    pub async fn inspect(&mut self) -> Result<strata_schema::Schema, DbError> {
        strata_dialect::postgres::inspect(&mut self.conn, &self.schema)
            .await
            .map_err(|source| DbError::Inspect { target: self.target.clone(), source })
    }

    pub async fn invalid_indexes(&mut self) -> Result<Vec<String>, DbError> {
        strata_dialect::postgres::invalid_indexes(&mut self.conn, &self.schema)
            .await
            .map_err(|source| DbError::Inspect { target: self.target.clone(), source })
    }

    pub async fn settle(&mut self, id: &str, state: Option<HistoryState>) -> Result<(), DbError> {
        let target = self.target.clone();
        Queries::<Postgres>::settle(&mut self.conn, SPELLING.set_state, SPELLING.delete, id, state, &|e| {
            query_error(&target, e)
        })
        .await
    }

    /// `adopt`: records `runs` as baselined, none of their SQL run.
    pub async fn baseline(&mut self, runs: &[MigrationRun<'_>]) -> Result<(), DbError> {
        let target = self.target.clone();
        Queries::<Postgres>::baseline(&mut self.conn, &SPELLING, runs, &target, &|e| query_error(&target, e)).await
    }

    pub async fn revert(&mut self, id: &str, sql: &str, statements: Option<&[String]>) -> Result<(), DbError> {
        let target = self.target.clone();
        Queries::<Postgres>::revert(&mut self.conn, &SPELLING, (id, sql, statements), &|e| query_error(&target, e))
            .await
    }

    /// Runs one migration and records it in one transaction. A lock timeout names the session
    /// that held the lock, read after the rollback (the holder usually still holds it).
    pub async fn run(&mut self, run: &MigrationRun<'_>) -> Result<RunOutcome, DbError> {
        let target = self.target.clone();
        let result = Queries::<Postgres>::run(&mut self.conn, &SPELLING, run, &|e| query_error(&target, e)).await;
        match result {
            Err(DbError::Migration { source: sqlx::Error::Database(e), .. })
                if e.code().as_deref() == Some("55P03") =>
            {
                Err(DbError::LockTimeout {
                    id: run.id.to_string(),
                    waited: show(self.lock),
                    blocker: self.blocker().await,
                })
            }
            other => other,
        }
    }

    /// The oldest other session holding a lock on a relation of the tenant's schema: its pid,
    /// state, how long its transaction has been open, and its last query.
    async fn blocker(&mut self) -> Option<String> {
        let row: Option<(i32, String, f64, String)> =
            sqlx::query_as(BLOCKER).bind(&self.schema).fetch_optional(&mut self.conn).await.ok()?;
        row.map(|(pid, state, seconds, query)| {
            format!(
                "pid {pid} ({state}, transaction open {seconds:.0} s): {}",
                query.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        })
    }
}

fn query_error(target: &str, e: sqlx::Error) -> DbError {
    DbError::query(target, e)
}

const SPELLING: Spelling = Spelling {
    begin: "BEGIN",
    history_ddl: HISTORY_DDL,
    find: "SELECT 1 FROM strata_history WHERE id = $1",
    any: "SELECT 1 FROM strata_history LIMIT 1",
    insert: "INSERT INTO strata_history (id, layer, seq, checksum, commit_sha, state, schema_hash, applied_by, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    delete: "DELETE FROM strata_history WHERE id = $1",
    set_state: "UPDATE strata_history SET state = $1 WHERE id = $2",
    set_outcome: "UPDATE strata_history SET state = $1, duration_ms = $2 WHERE id = $3",
    check: None,
    timeouts: Some(Timeouts { set: set_timeouts, reset: "RESET lock_timeout; RESET statement_timeout" }),
};

/// `SET [LOCAL] lock_timeout = '5000ms'; ...` for the bounds a migration sets. `RESET` returns to
/// the session's own, which the environment gave at connect.
fn set_timeouts(local: bool, lock: Option<Duration>, statement: Option<Duration>) -> String {
    let scope = if local { "LOCAL " } else { "" };
    [("lock_timeout", lock), ("statement_timeout", statement)]
        .into_iter()
        .filter_map(|(name, value)| Some(format!("SET {scope}{name} = '{}ms'", value?.as_millis())))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A session-level advisory lock, tried until `timeout`; released when the connection ends.
async fn lock(conn: &mut PgConnection, key: &str, timeout: Duration, target: &str) -> Result<(), DbError> {
    let started = Instant::now();
    loop {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| query_error(target, e))?;
        if locked {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(DbError::Locked { target: target.to_string(), waited: timeout });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Who holds a lock in the tenant's schema; the query text is cut short for a message.
const BLOCKER: &str = "SELECT a.pid, COALESCE(a.state, ''), \
    COALESCE(EXTRACT(EPOCH FROM now() - a.xact_start)::float8, 0), left(COALESCE(a.query, ''), 200) \
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
    JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE l.granted AND n.nspname = $1 AND a.pid <> pg_backend_pid() \
    ORDER BY a.xact_start NULLS LAST LIMIT 1";

/// A row when the tenant has a history table.
const HISTORY_EXISTS: &str = "SELECT 1 WHERE to_regclass('strata_history') IS NOT NULL";

/// The history, columns named and typed alike on every engine (see `history_rows`).
const HISTORY: &str = "SELECT id, layer, seq, checksum, commit_sha, state, schema_hash, \
             to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS applied_at, applied_by, duration_ms \
             FROM strata_history ORDER BY applied_at, seq";
