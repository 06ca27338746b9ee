//! MySQL/MariaDB tenants: a database each. `GET_LOCK` keyed by the tenant's database serialises
//! runners on one tenant only and is released when a runner's connection drops. MySQL commits
//! DDL statement by statement, so a migration cannot be rolled back: one that fails is recorded
//! as `failed`, and later applies to that tenant stop until `strata repair`.

use std::time::Instant;

use sqlx::mysql::{MySql, MySqlConnection};
use sqlx::Connection;

use super::session::{self, Session};
use super::{DbError, HistoryRow, MigrationRun, RunOutcome};
use crate::transactional::{Queries, Spelling};
use crate::HistoryState;
use strata_core::Dialect;

const HISTORY_DDL: &str = "CREATE TABLE IF NOT EXISTS strata_history (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  layer VARCHAR(255) NOT NULL,
  seq INT NOT NULL,
  checksum CHAR(64) NOT NULL,
  commit_sha CHAR(40) NOT NULL,
  state VARCHAR(16) NOT NULL,
  schema_hash CHAR(64),
  applied_at DATETIME(3) NOT NULL,
  applied_by VARCHAR(255),
  duration_ms BIGINT
)";

pub struct MySqlTenant {
    pub(crate) conn: MySqlConnection,
    target: String,
    database: String,
}

impl MySqlTenant {
    fn error(&self, e: sqlx::Error) -> DbError {
        query_error(&self.target, e)
    }

    /// Connects, enters the tenant's database (creating it when asked) and takes the tenant's
    /// lock. `None` when the database does not exist and `create` is false.
    pub async fn open(
        url: &str,
        database: &str,
        label: &str,
        create: bool,
        session: &Session,
    ) -> Result<Option<Self>, DbError> {
        let conn = session::mysql(url, label, &session.timeouts).await?;
        Self::open_on(conn, database, label, create, session).await
    }

    /// [`open`](Self::open) on a connection already made to the tenant's server.
    pub async fn open_on(
        conn: MySqlConnection,
        database: &str,
        label: &str,
        create: bool,
        session: &Session,
    ) -> Result<Option<Self>, DbError> {
        let lock_timeout = session.tenant_lock;
        let mut tenant = MySqlTenant { conn, target: label.to_string(), database: database.to_string() };
        // The lock comes first, so that two runners never both provision the tenant.
        let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
            .bind(format!("strata:{database}"))
            .bind(lock_timeout.as_secs_f64())
            .fetch_one(&mut tenant.conn)
            .await
            .map_err(|e| tenant.error(e))?;
        if locked != Some(1) {
            return Err(DbError::Locked { target: tenant.target.clone(), waited: lock_timeout });
        }
        let exists = sqlx::query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
            .bind(database)
            .fetch_optional(&mut tenant.conn)
            .await
            .map_err(|e| tenant.error(e))?;
        let quoted = Dialect::Mysql.quote_ident(database);
        if exists.is_none() {
            if !create {
                return Ok(None);
            }
            sqlx::raw_sql(&format!("CREATE DATABASE IF NOT EXISTS {quoted}"))
                .execute(&mut tenant.conn)
                .await
                .map_err(|e| tenant.error(e))?;
        }
        sqlx::raw_sql(&format!("USE {quoted}")).execute(&mut tenant.conn).await.map_err(|e| tenant.error(e))?;
        Ok(Some(tenant))
    }

    /// Gives the tenant's lock back and returns the connection for another tenant; `None` when
    /// it is not in a state to be reused (it is then closed, which releases the lock too).
    pub async fn release(mut self) -> Option<MySqlConnection> {
        let released: Result<Option<i64>, _> = sqlx::query_scalar("SELECT RELEASE_LOCK(?)")
            .bind(format!("strata:{}", self.database))
            .fetch_one(&mut self.conn)
            .await;
        // Prepared statements name `strata_history` unqualified: prepared in this tenant's
        // database, they must not be reused in the next one's.
        let cleared = self.conn.clear_cached_statements().await;
        (matches!(released, Ok(Some(1))) && cleared.is_ok()).then_some(self.conn)
    }

    pub async fn history(&mut self) -> Result<Vec<HistoryRow>, DbError> {
        let target = self.target.clone();
        Queries::<MySql>::history(&mut self.conn, (HISTORY_EXISTS, HISTORY), &|e| query_error(&target, e)).await
    }

    pub async fn inspect(&mut self) -> Result<strata_schema::Schema, DbError> {
        strata_dialect::mysql::inspect(&mut self.conn, &self.database)
            .await
            .map_err(|source| DbError::Inspect { target: self.target.clone(), source })
    }

    pub async fn settle(&mut self, id: &str, state: Option<HistoryState>) -> Result<(), DbError> {
        let target = self.target.clone();
        Queries::<MySql>::settle(&mut self.conn, SPELLING.set_state, SPELLING.delete, id, state, &|e| {
            query_error(&target, e)
        })
        .await
    }

    /// `adopt`: records `runs` as baselined, none of their SQL run.
    pub async fn baseline(&mut self, runs: &[MigrationRun<'_>]) -> Result<(), DbError> {
        let target = self.target.clone();
        Queries::<MySql>::baseline(&mut self.conn, &SPELLING, runs, &target, &|e| query_error(&target, e)).await
    }

    /// Runs a down migration and forgets the migration. MySQL commits the DDL as it goes, so the
    /// row is marked `reverting` first and removed once the down has run: a down that fails or is
    /// cut off (a kill, a lost connection) leaves `reverting`, which the next rollback, apply or
    /// `repair` settles against the live schema instead of running the whole down a second time.
    pub async fn revert(&mut self, id: &str, sql: &str) -> Result<(), DbError> {
        sqlx::query(SPELLING.set_state)
            .bind(HistoryState::Reverting.as_str())
            .bind(id)
            .execute(&mut self.conn)
            .await
            .map_err(|e| self.error(e))?;
        sqlx::raw_sql(sql)
            .execute(&mut self.conn)
            .await
            .map_err(|e| DbError::migration(format!("{id} (down)"), e, crate::transactional::DOWN_UNFINISHED))?;
        sqlx::query(SPELLING.delete).bind(id).execute(&mut self.conn).await.map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Sets a migration's own bounds (`-- strata:timeout`) for the session; returns the statement
    /// that puts the environment's back. MySQL's DDL commits itself, so `no-transaction` changes
    /// nothing here.
    async fn set_timeouts(&mut self, run: &MigrationRun<'_>) -> Result<Option<String>, sqlx::Error> {
        if run.lock_timeout.is_none() && run.statement_timeout.is_none() {
            return Ok(None);
        }
        let (lock, innodb): (i64, i64) = sqlx::query_as(
            "SELECT CAST(@@SESSION.lock_wait_timeout AS SIGNED), CAST(@@SESSION.innodb_lock_wait_timeout AS SIGNED)",
        )
        .fetch_one(&mut self.conn)
        .await?;
        let mut restore = format!("SET SESSION lock_wait_timeout = {lock}, innodb_lock_wait_timeout = {innodb}");
        if let Some(wait) = run.lock_timeout {
            let seconds = wait.as_secs().max(1);
            let set = format!("SET SESSION lock_wait_timeout = {seconds}, innodb_lock_wait_timeout = {seconds}");
            sqlx::raw_sql(&set).execute(&mut self.conn).await?;
        }
        // MariaDB only (MySQL has no such variable; there the client's bound rules).
        let previous: Option<f64> = sqlx::query_scalar("SELECT CAST(@@SESSION.max_statement_time AS DOUBLE)")
            .fetch_one(&mut self.conn)
            .await
            .ok();
        if let (Some(limit), Some(previous)) = (run.statement_timeout, previous) {
            sqlx::raw_sql(&format!("SET SESSION max_statement_time = {}", limit.as_secs_f64()))
                .execute(&mut self.conn)
                .await?;
            restore.push_str(&format!(", max_statement_time = {previous}"));
        }
        Ok(Some(restore))
    }

    /// A seed is data, which InnoDB can take back: it commits with its history row or not at all,
    /// so a kill or a failing statement never leaves rows that a rerun would insert again.
    async fn run_seed(&mut self, run: &MigrationRun<'_>, started: Instant) -> Result<RunOutcome, DbError> {
        sqlx::raw_sql("START TRANSACTION").execute(&mut self.conn).await.map_err(|e| self.error(e))?;
        let ran = sqlx::raw_sql(run.sql).execute(&mut self.conn).await;
        let recorded = match ran {
            Ok(_) => {
                let took = started.elapsed().as_millis() as i64;
                Queries::<MySql>::insert(&mut self.conn, &SPELLING, run, HistoryState::Applied.as_str(), took).await
            }
            Err(e) => Err(e),
        };
        match recorded {
            Ok(()) => {
                sqlx::raw_sql("COMMIT").execute(&mut self.conn).await.map_err(|e| DbError::migration(run.id, e, ""))?;
                Ok(RunOutcome::Applied)
            }
            Err(e) => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await;
                Err(DbError::migration(run.id, e, " (rolled back: none of its rows stay)"))
            }
        }
    }

    /// Runs one migration; MySQL cannot roll DDL back, so its row is written `running` first and
    /// then given the outcome: a failure stays `failed`, and a run cut off between the DDL and the
    /// outcome (a kill, a lost connection) leaves `running`, which the next apply settles against
    /// the live schema instead of running the DDL a second time.
    pub async fn run(&mut self, run: &MigrationRun<'_>) -> Result<RunOutcome, DbError> {
        let started = Instant::now();
        sqlx::raw_sql(HISTORY_DDL).execute(&mut self.conn).await.map_err(|e| self.error(e))?;
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM strata_history WHERE id = ?")
            .bind(run.id)
            .fetch_optional(&mut self.conn)
            .await
            .map_err(|e| self.error(e))?;
        match state.as_deref().map(HistoryState::parse) {
            Some(Ok((state, _))) if state.is_done() => return Ok(RunOutcome::AlreadyApplied),
            // A cut-off `no-transaction` run taken up again has its row.
            Some(_) if run.resume.is_some() => {}
            Some(_) => return Err(DbError::FailedBefore { target: self.target.clone(), id: run.id.to_string() }),
            None => {}
        }
        if run.seed {
            return self.run_seed(run, started).await;
        }
        if let Some(statements) = run.statements {
            return self.run_statements(run, statements).await;
        }
        Queries::<MySql>::insert(&mut self.conn, &SPELLING, run, HistoryState::Running.as_str(), 0)
            .await
            .map_err(|e| self.error(e))?;
        let restore = self.set_timeouts(run).await.map_err(|e| DbError::migration(run.id, e, ""))?;
        let outcome = sqlx::raw_sql(run.sql).execute(&mut self.conn).await;
        if let Some(restore) = restore {
            sqlx::raw_sql(&restore).execute(&mut self.conn).await.map_err(|e| self.error(e))?;
        }
        let state = if outcome.is_ok() { HistoryState::Applied } else { HistoryState::Failed };
        Queries::<MySql>::set_outcome(&mut self.conn, &SPELLING, run.id, state.as_str(), started)
            .await
            .map_err(|e| self.error(e))?;
        match outcome {
            Ok(_) => Ok(RunOutcome::Applied),
            Err(e) => Err(DbError::migration(run.id, e, RECORDED_FAILED)),
        }
    }
}

impl MySqlTenant {
    /// `-- strata:no-transaction`: each statement sent on its own with its progress, as on the
    /// other engines (a DML statement commits with its progress, InnoDB; DDL commits itself), so
    /// a kill lets at most the statement in flight finish on the server and the rerun resumes
    /// after the last one recorded.
    async fn run_statements(&mut self, run: &MigrationRun<'_>, statements: &[String]) -> Result<RunOutcome, DbError> {
        let restore = self.set_timeouts(run).await.map_err(|e| DbError::migration(run.id, e, ""))?;
        let target = self.target.clone();
        let outcome =
            Queries::<MySql>::run_outside(&mut self.conn, &SPELLING, run, statements, &|e| query_error(&target, e))
                .await;
        if let Some(restore) = restore {
            sqlx::raw_sql(&restore).execute(&mut self.conn).await.map_err(|e| self.error(e))?;
        }
        outcome
    }
}

fn query_error(target: &str, e: sqlx::Error) -> DbError {
    DbError::query(target, e)
}

/// The history's queries. Only `baseline` opens a transaction (rows only, InnoDB); `run` and
/// `revert` cannot, their DDL commits as it goes.
const SPELLING: Spelling = Spelling {
    begin: "START TRANSACTION",
    history_ddl: HISTORY_DDL,
    find: "SELECT 1 FROM strata_history WHERE id = ?",
    any: "SELECT 1 FROM strata_history LIMIT 1",
    insert: "INSERT INTO strata_history (id, layer, seq, checksum, commit_sha, state, schema_hash, applied_at, applied_by, duration_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), ?, ?)",
    delete: "DELETE FROM strata_history WHERE id = ?",
    set_state: "UPDATE strata_history SET state = ? WHERE id = ?",
    set_outcome: "UPDATE strata_history SET state = ?, duration_ms = ? WHERE id = ?",
    check: None,
    timeouts: None,
};

/// What a failed MySQL migration leaves: its DDL may have committed in part.
const RECORDED_FAILED: &str = " (recorded as failed; run `strata repair`)";

/// A row when the tenant has a history table.
const HISTORY_EXISTS: &str =
    "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'strata_history'";

/// The history, columns named and typed alike on every engine (see `history_rows`).
const HISTORY: &str = "SELECT id, layer, CAST(seq AS SIGNED) AS seq, checksum, commit_sha, state, schema_hash, \
             CAST(DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS CHAR) AS applied_at, applied_by, duration_ms \
             FROM strata_history ORDER BY applied_at, seq";
