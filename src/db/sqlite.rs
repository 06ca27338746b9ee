//! SQLite tenants: one file each. A migration and its history row commit in one `BEGIN IMMEDIATE`
//! transaction, which is also the tenant lock: a second runner waits up to the busy timeout.
//! Foreign-key enforcement is off while migrating (a table rebuild must not cascade deletes) and
//! `PRAGMA foreign_key_check` runs before commit instead.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};

use super::{DbError, HistoryRow, MigrationRun, RunOutcome};
use crate::db::history_row;

const HISTORY_DDL: &str = "CREATE TABLE IF NOT EXISTS strata_history (
  id TEXT PRIMARY KEY,
  layer TEXT NOT NULL,
  seq INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  state TEXT NOT NULL,
  schema_hash TEXT,
  applied_at TEXT NOT NULL,
  applied_by TEXT,
  duration_ms INTEGER
)";

pub struct SqliteTenant {
    path: PathBuf,
    conn: SqliteConnection,
}

impl SqliteTenant {
    fn target(&self) -> String {
        self.path.display().to_string()
    }

    fn query_error(&self, e: sqlx::Error) -> DbError {
        DbError::Query { target: self.target(), message: e.to_string() }
    }

    /// Opens a tenant's file; `None` when it does not exist and `create` is false.
    pub async fn open(path: &Path, create: bool, lock_timeout: Duration) -> Result<Option<Self>, DbError> {
        let target = path.display().to_string();
        if !path.exists() {
            if !create {
                return Ok(None);
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| DbError::Connect { target: target.clone(), message: e.to_string() })?;
            }
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|e| DbError::Connect { target: target.clone(), message: e.to_string() })?
            .filename(path)
            .create_if_missing(create)
            .foreign_keys(false)
            .busy_timeout(lock_timeout);
        let conn = SqliteConnection::connect_with(&options)
            .await
            .map_err(|e| DbError::Connect { target: target.clone(), message: e.to_string() })?;
        Ok(Some(Self { path: path.to_path_buf(), conn }))
    }

    /// History rows in the order they were applied; empty before the first migration.
    pub async fn history(&mut self) -> Result<Vec<HistoryRow>, DbError> {
        let exists = sqlx::query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'strata_history'")
            .fetch_optional(&mut self.conn)
            .await
            .map_err(|e| self.query_error(e))?;
        if exists.is_none() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT id, layer, seq, checksum, commit_sha, state, schema_hash, applied_at, applied_by, duration_ms \
             FROM strata_history ORDER BY applied_at, rowid",
        )
        .fetch_all(&mut self.conn)
        .await
        .map_err(|e| self.query_error(e))?;
        Ok(rows.iter().map(|row| history_row!(row)).collect())
    }

    pub async fn inspect(&mut self) -> Result<crate::schema::Schema, DbError> {
        crate::dialect::sqlite::inspect(&mut self.conn)
            .await
            .map_err(|e| DbError::Query { target: self.target(), message: e.to_string() })
    }

    pub async fn settle(&mut self, id: &str, state: Option<&str>) -> Result<(), DbError> {
        let query = match state {
            Some(state) => sqlx::query("UPDATE strata_history SET state = ? WHERE id = ?").bind(state).bind(id),
            None => sqlx::query("DELETE FROM strata_history WHERE id = ?").bind(id),
        };
        query.execute(&mut self.conn).await.map_err(|e| self.query_error(e))?;
        Ok(())
    }

    /// Runs a down migration and forgets the migration, in one transaction.
    pub async fn revert(&mut self, id: &str, sql: &str) -> Result<(), DbError> {
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut self.conn).await.map_err(|e| self.query_error(e))?;
        let result = async {
            sqlx::raw_sql(sql)
                .execute(&mut self.conn)
                .await
                .map_err(|e| DbError::Migration { id: format!("{id} (down)"), message: e.to_string() })?;
            sqlx::query("DELETE FROM strata_history WHERE id = ?")
                .bind(id)
                .execute(&mut self.conn)
                .await
                .map_err(|e| self.query_error(e))?;
            Ok(())
        }
        .await;
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        sqlx::raw_sql(end).execute(&mut self.conn).await.map_err(|e| self.query_error(e))?;
        result
    }

    /// Runs one migration and records it, atomically, under the database's write lock.
    pub async fn run(&mut self, run: &MigrationRun<'_>) -> Result<RunOutcome, DbError> {
        let started = Instant::now();
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut self.conn).await.map_err(|e| self.query_error(e))?;
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
        sqlx::raw_sql(HISTORY_DDL).execute(&mut self.conn).await.map_err(|e| self.query_error(e))?;
        // Another runner may have applied it while this one waited for the lock.
        let done = sqlx::query("SELECT 1 FROM strata_history WHERE id = ?")
            .bind(run.id)
            .fetch_optional(&mut self.conn)
            .await
            .map_err(|e| self.query_error(e))?;
        if done.is_some() {
            return Ok(RunOutcome::AlreadyApplied);
        }
        let failed = |message: String| DbError::Migration { id: run.id.to_string(), message };
        sqlx::raw_sql(run.sql).execute(&mut self.conn).await.map_err(|e| failed(e.to_string()))?;
        let violations = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut self.conn)
            .await
            .map_err(|e| failed(e.to_string()))?;
        if let Some(row) = violations.first() {
            let table: String = row.try_get(0).unwrap_or_default();
            return Err(failed(format!(
                "leaves {} rows violating foreign keys (first in table {table})",
                violations.len()
            )));
        }
        sqlx::query(
            "INSERT INTO strata_history (id, layer, seq, checksum, commit_sha, state, schema_hash, applied_at, applied_by, duration_ms) \
             VALUES (?, ?, ?, ?, ?, 'applied', ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?, ?)",
        )
        .bind(run.id)
        .bind(run.layer)
        .bind(run.seq)
        .bind(run.checksum)
        .bind(run.commit_sha)
        .bind(run.schema_hash)
        .bind(super::applied_by())
        .bind(started.elapsed().as_millis() as i64)
        .execute(&mut self.conn)
        .await
        .map_err(|e| self.query_error(e))?;
        Ok(RunOutcome::Applied)
    }
}
