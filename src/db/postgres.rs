//! PostgreSQL tenants: a schema each (`isolation: schema`) or a database each (`isolation:
//! database`). A session-level advisory lock keyed by the tenant's target serialises runners on
//! one tenant only, and the server releases it if a runner dies; each migration and its history
//! row commit in one transaction.

use std::time::{Duration, Instant};

use sqlx::postgres::PgConnection;
use sqlx::Connection;

use super::{DbError, HistoryRow, MigrationRun, RunOutcome};
use crate::db::history_row;
use crate::dialect::Dialect;

const HISTORY_DDL: &str = "CREATE TABLE IF NOT EXISTS strata_history (
  id TEXT PRIMARY KEY,
  layer TEXT NOT NULL,
  seq INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  state TEXT NOT NULL,
  schema_hash TEXT,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  applied_by TEXT,
  duration_ms BIGINT
)";

pub struct PgTenant {
    conn: PgConnection,
    /// For messages: "schema t_nrna" — never the URL.
    target: String,
    /// The tenant's schema (`public` when the tenant has a database of its own).
    schema: String,
}

impl PgTenant {
    fn error(&self, e: sqlx::Error) -> DbError {
        DbError::Query { target: self.target.clone(), message: super::url::redact(&e.to_string()) }
    }

    /// Connects, enters the tenant's schema (creating it when asked) and takes the tenant's lock.
    /// `None` when the schema does not exist and `create` is false.
    pub async fn open(
        url: &str,
        schema: Option<&str>,
        label: &str,
        create: bool,
        lock_timeout: Duration,
    ) -> Result<Option<Self>, DbError> {
        let connect_error = |e: sqlx::Error| DbError::Connect {
            target: label.to_string(),
            message: super::url::redact(&e.to_string()),
        };
        let conn = PgConnection::connect(url).await.map_err(connect_error)?;
        let mut tenant = PgTenant { conn, target: label.to_string(), schema: schema.unwrap_or("public").to_string() };
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
        tenant.lock(&format!("strata:{label}"), lock_timeout).await?;
        Ok(Some(tenant))
    }

    async fn lock(&mut self, key: &str, timeout: Duration) -> Result<(), DbError> {
        let started = Instant::now();
        loop {
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
                .bind(key)
                .fetch_one(&mut self.conn)
                .await
                .map_err(|e| self.error(e))?;
            if locked {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(DbError::Locked { target: self.target.clone(), waited: timeout });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn history(&mut self) -> Result<Vec<HistoryRow>, DbError> {
        let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass('strata_history')::text")
            .fetch_one(&mut self.conn)
            .await
            .map_err(|e| self.error(e))?;
        if exists.is_none() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT id, layer, seq::bigint AS seq, checksum, commit_sha, state, schema_hash, \
             to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS applied_at, applied_by, duration_ms \
             FROM strata_history ORDER BY applied_at, seq",
        )
        .fetch_all(&mut self.conn)
        .await
        .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(|row| history_row!(row)).collect())
    }

    pub async fn inspect(&mut self) -> Result<crate::schema::Schema, DbError> {
        crate::dialect::postgres::inspect(&mut self.conn, &self.schema)
            .await
            .map_err(|e| DbError::Query { target: self.target.clone(), message: e.to_string() })
    }

    pub async fn settle(&mut self, id: &str, state: Option<&str>) -> Result<(), DbError> {
        let query = match state {
            Some(state) => sqlx::query("UPDATE strata_history SET state = $1 WHERE id = $2").bind(state).bind(id),
            None => sqlx::query("DELETE FROM strata_history WHERE id = $1").bind(id),
        };
        query.execute(&mut self.conn).await.map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Runs a down migration and forgets the migration, in one transaction.
    pub async fn revert(&mut self, id: &str, sql: &str) -> Result<(), DbError> {
        sqlx::raw_sql("BEGIN").execute(&mut self.conn).await.map_err(|e| self.error(e))?;
        let result = async {
            sqlx::raw_sql(sql)
                .execute(&mut self.conn)
                .await
                .map_err(|e| DbError::Migration { id: format!("{id} (down)"), message: e.to_string() })?;
            sqlx::query("DELETE FROM strata_history WHERE id = $1")
                .bind(id)
                .execute(&mut self.conn)
                .await
                .map_err(|e| self.error(e))?;
            Ok(())
        }
        .await;
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        sqlx::raw_sql(end).execute(&mut self.conn).await.map_err(|e| self.error(e))?;
        result
    }

    /// Runs one migration and records it in one transaction.
    pub async fn run(&mut self, run: &MigrationRun<'_>) -> Result<RunOutcome, DbError> {
        let started = Instant::now();
        sqlx::raw_sql(&format!("BEGIN; {HISTORY_DDL}")).execute(&mut self.conn).await.map_err(|e| self.error(e))?;
        let result = self.run_in_transaction(run, started).await;
        let end = if matches!(result, Ok(RunOutcome::Applied)) { "COMMIT" } else { "ROLLBACK" };
        let finished = sqlx::raw_sql(end).execute(&mut self.conn).await;
        match (result, finished) {
            (Ok(outcome), Ok(_)) => Ok(outcome),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(DbError::Migration { id: run.id.to_string(), message: e.to_string() }),
        }
    }

    async fn run_in_transaction(&mut self, run: &MigrationRun<'_>, started: Instant) -> Result<RunOutcome, DbError> {
        let done = sqlx::query("SELECT 1 FROM strata_history WHERE id = $1")
            .bind(run.id)
            .fetch_optional(&mut self.conn)
            .await
            .map_err(|e| self.error(e))?;
        if done.is_some() {
            return Ok(RunOutcome::AlreadyApplied);
        }
        sqlx::raw_sql(run.sql)
            .execute(&mut self.conn)
            .await
            .map_err(|e| DbError::Migration { id: run.id.to_string(), message: e.to_string() })?;
        sqlx::query(
            "INSERT INTO strata_history (id, layer, seq, checksum, commit_sha, state, schema_hash, applied_by, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, 'applied', $6, $7, $8)",
        )
        .bind(run.id)
        .bind(run.layer)
        .bind(run.seq as i32)
        .bind(run.checksum)
        .bind(run.commit_sha)
        .bind(run.schema_hash)
        .bind(super::applied_by())
        .bind(started.elapsed().as_millis() as i64)
        .execute(&mut self.conn)
        .await
        .map_err(|e| self.error(e))?;
        Ok(RunOutcome::Applied)
    }
}
