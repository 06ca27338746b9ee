//! SQLite tenants: one file each. A migration and its history row commit in one `BEGIN IMMEDIATE`
//! transaction, which is also the tenant lock: a second runner waits up to the busy timeout.
//! Foreign-key enforcement is off while migrating (a table rebuild must not cascade deletes) and
//! `PRAGMA foreign_key_check` runs before commit instead.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqliteConnection};
use sqlx::Connection;

use super::transactional::{Queries, Spelling};
use super::{DbError, HistoryRow, MigrationRun, RunOutcome};
use crate::HistoryState;

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
    pub(crate) conn: SqliteConnection,
}

impl SqliteTenant {
    fn target(&self) -> String {
        self.path.display().to_string()
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
        let target = self.target();
        Queries::<Sqlite>::history(&mut self.conn, (HISTORY_EXISTS, HISTORY), &|e| query_error(&target, e)).await
    }

    pub async fn inspect(&mut self) -> Result<strata_schema::Schema, DbError> {
        strata_dialect::sqlite::inspect(&mut self.conn)
            .await
            .map_err(|source| DbError::Inspect { target: self.target(), source })
    }

    pub async fn settle(&mut self, id: &str, state: Option<HistoryState>) -> Result<(), DbError> {
        let target = self.target();
        Queries::<Sqlite>::settle(&mut self.conn, SPELLING.set_state, SPELLING.delete, id, state, &|e| {
            query_error(&target, e)
        })
        .await
    }

    /// `adopt`: records `runs` as baselined, none of their SQL run.
    pub async fn baseline(&mut self, runs: &[MigrationRun<'_>]) -> Result<(), DbError> {
        let target = self.target();
        Queries::<Sqlite>::baseline(&mut self.conn, &SPELLING, runs, &target, &|e| query_error(&target, e)).await
    }

    pub async fn revert(&mut self, id: &str, sql: &str, statements: Option<&[String]>) -> Result<(), DbError> {
        let target = self.target();
        Queries::<Sqlite>::revert(&mut self.conn, &SPELLING, (id, sql, statements), &|e| query_error(&target, e)).await
    }

    /// Runs one migration and records it, atomically, under the database's write lock.
    pub async fn run(&mut self, run: &MigrationRun<'_>) -> Result<RunOutcome, DbError> {
        let target = self.target();
        Queries::<Sqlite>::run(&mut self.conn, &SPELLING, run, &|e| query_error(&target, e)).await
    }
}

fn query_error(target: &str, e: sqlx::Error) -> DbError {
    DbError::query(target, e)
}

/// `BEGIN IMMEDIATE` takes SQLite's write lock at once: it is the tenant lock.
const SPELLING: Spelling = Spelling {
    begin: "BEGIN IMMEDIATE",
    history_ddl: HISTORY_DDL,
    find: "SELECT 1 FROM strata_history WHERE id = ?",
    any: "SELECT 1 FROM strata_history LIMIT 1",
    insert: "INSERT INTO strata_history (id, layer, seq, checksum, commit_sha, state, schema_hash, applied_at, applied_by, duration_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?, ?)",
    delete: "DELETE FROM strata_history WHERE id = ?",
    set_state: "UPDATE strata_history SET state = ? WHERE id = ?",
    set_outcome: "UPDATE strata_history SET state = ?, duration_ms = ? WHERE id = ?",
    check: Some("PRAGMA foreign_key_check"),
    timeouts: None,
};

/// A row when the tenant has a history table.
const HISTORY_EXISTS: &str = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'strata_history'";

/// The history, columns named and typed alike on every engine (see `history_rows`).
const HISTORY: &str =
    "SELECT id, layer, seq, checksum, commit_sha, state, schema_hash, applied_at, applied_by, duration_ms \
             FROM strata_history ORDER BY applied_at, rowid";
