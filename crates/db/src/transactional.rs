//! What SQLite and PostgreSQL share: each migration and its history row commit in one
//! transaction; a down migration and the removal of its row too. One implementation over sqlx's
//! `Database`, each engine giving only its spelling. MySQL, whose DDL commits itself, keeps its own
//! run and revert; reading and settling the history, and recording a baseline (rows only, no DDL
//! inside the transaction), serve it too.

use std::time::{Duration, Instant};

use sqlx::{Database, Encode, Executor, IntoArguments, Type};

use super::{history_rows, DbError, HistoryRow, HistoryState, MigrationRun, RunOutcome};

/// The SQL in which the transactional engines differ.
pub struct Spelling {
    /// How a transaction starts (SQLite takes the write lock at once with `BEGIN IMMEDIATE`).
    pub begin: &'static str,
    pub history_ddl: &'static str,
    /// One parameter: the migration id.
    pub find: &'static str,
    /// A row when the history has any.
    pub any: &'static str,
    /// Nine parameters: id, layer, seq, checksum, commit_sha, state, schema_hash, applied_by,
    /// duration_ms.
    pub insert: &'static str,
    /// One parameter: the migration id.
    pub delete: &'static str,
    /// Two parameters: state, id.
    pub set_state: &'static str,
    /// Three parameters: state, duration_ms, id: a `running` row's outcome.
    pub set_outcome: &'static str,
    /// A query run before commit whose rows, if any, fail the migration (SQLite's
    /// `PRAGMA foreign_key_check`, since its rebuilds run with foreign keys off).
    pub check: Option<&'static str>,
    /// How a migration's own timeouts are set (`local`: for the transaction only) and reset;
    /// `None` where the engine has no such bounds (SQLite).
    pub timeouts: Option<Timeouts>,
}

/// An engine's spelling of per-migration timeouts.
pub struct Timeouts {
    pub set: fn(local: bool, lock: Option<Duration>, statement: Option<Duration>) -> String,
    pub reset: &'static str,
}

/// What a failed `no-transaction` migration leaves, for its error.
pub const RECORDED_FAILED: &str =
    "; recorded as failed with the statements before it done: the next apply resumes at the one that failed";

/// What a down left unfinished leaves (its statements commit as they go): the row `reverting`.
pub const DOWN_UNFINISHED: &str =
    " (its row stays `reverting`: run the rollback again to finish it, or settle it with `strata repair`)";

fn has_timeouts(run: &MigrationRun<'_>) -> bool {
    run.lock_timeout.is_some() || run.statement_timeout.is_some()
}

/// This module's queries on one engine. The bounds sqlx needs are stated once, on the block.
pub struct Queries<DB>(std::marker::PhantomData<DB>);

impl<DB: Database> Queries<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    /// Ends a transaction: commit when `keep`, else roll back.
    async fn finish(conn: &mut DB::Connection, keep: bool) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(if keep { "COMMIT" } else { "ROLLBACK" }).execute(&mut *conn).await.map(|_| ())
    }

    /// Runs one migration and records it, atomically. Another runner may have applied it while this
    /// one waited for the lock: the history is checked again inside the transaction.
    pub async fn run(
        conn: &mut DB::Connection,
        spelling: &Spelling,
        run: &MigrationRun<'_>,
        error: &dyn Fn(sqlx::Error) -> DbError,
    ) -> Result<RunOutcome, DbError> {
        if let Some(statements) = run.statements {
            return Self::run_outside(conn, spelling, run, statements, error).await;
        }
        let started = Instant::now();
        sqlx::raw_sql(spelling.begin).execute(&mut *conn).await.map_err(error)?;
        let result = async {
            sqlx::raw_sql(spelling.history_ddl).execute(&mut *conn).await.map_err(error)?;
            let done = sqlx::query::<DB>(spelling.find).bind(run.id).fetch_optional(&mut *conn).await.map_err(error)?;
            if done.is_some() {
                return Ok(RunOutcome::AlreadyApplied);
            }
            let failed = |e: sqlx::Error| DbError::migration(run.id, e, "");
            if let Some(timeouts) = spelling.timeouts.as_ref().filter(|_| has_timeouts(run)) {
                let set = (timeouts.set)(true, run.lock_timeout, run.statement_timeout);
                sqlx::raw_sql(&set).execute(&mut *conn).await.map_err(failed)?;
            }
            sqlx::raw_sql(run.sql).execute(&mut *conn).await.map_err(failed)?;
            if let Some(check) = spelling.check {
                let violations = sqlx::query::<DB>(check).fetch_all(&mut *conn).await.map_err(failed)?;
                if !violations.is_empty() {
                    return Err(DbError::ForeignKeys { id: run.id.to_string(), rows: violations.len(), check });
                }
            }
            let took = started.elapsed().as_millis() as i64;
            Self::insert(conn, spelling, run, HistoryState::Applied.as_str(), took).await.map_err(error)?;
            Ok(RunOutcome::Applied)
        }
        .await;
        let finished = Self::finish(conn, matches!(result, Ok(RunOutcome::Applied))).await;
        match (result, finished) {
            (Ok(outcome), Ok(())) => Ok(outcome),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(DbError::migration(run.id, e, "")),
        }
    }

    /// `-- strata:no-transaction`: a `running:0` row first, each statement on its own followed by
    /// its progress (`running:N`, N statements done), then the outcome. A data statement commits
    /// with its progress or not at all, so a run cut off after it is never taken for one cut off
    /// before it; any other statement may need no transaction block (`CREATE INDEX CONCURRENTLY`)
    /// and runs alone, then its progress. A failure is recorded as `failed:N`, since what ran
    /// before it cannot be taken back; a run cut off leaves `running:N`; the next apply resumes
    /// either (`run.resume`).
    pub async fn run_outside(
        conn: &mut DB::Connection,
        spelling: &Spelling,
        run: &MigrationRun<'_>,
        statements: &[String],
        error: &dyn Fn(sqlx::Error) -> DbError,
    ) -> Result<RunOutcome, DbError> {
        let started = Instant::now();
        let first = match run.resume {
            Some(done) => done,
            None => {
                sqlx::raw_sql(spelling.history_ddl).execute(&mut *conn).await.map_err(error)?;
                let find = sqlx::query::<DB>(spelling.find).bind(run.id).fetch_optional(&mut *conn).await;
                if find.map_err(error)?.is_some() {
                    return Ok(RunOutcome::AlreadyApplied);
                }
                let running = HistoryState::Running.with_progress(0);
                Self::insert(conn, spelling, run, &running, 0).await.map_err(error)?;
                0
            }
        };
        let timeouts = spelling.timeouts.as_ref().filter(|_| has_timeouts(run));
        if let Some(timeouts) = timeouts {
            let set = (timeouts.set)(false, run.lock_timeout, run.statement_timeout);
            sqlx::raw_sql(&set).execute(&mut *conn).await.map_err(|e| DbError::migration(run.id, e, ""))?;
        }
        let mut outcome = Ok(());
        for (index, statement) in statements.iter().enumerate().skip(first) {
            let progress = HistoryState::Running.with_progress(index + 1);
            if let Err(e) = Self::step(conn, spelling, run.id, statement, &progress).await {
                outcome = Err((index, e));
                break;
            }
        }
        if let Some(timeouts) = timeouts {
            sqlx::raw_sql(timeouts.reset).execute(&mut *conn).await.map_err(error)?;
        }
        let state = match &outcome {
            Ok(()) => HistoryState::Applied.as_str().to_string(),
            Err((done, _)) => HistoryState::Failed.with_progress(*done),
        };
        Self::set_outcome(conn, spelling, run.id, &state, started).await.map_err(error)?;
        match outcome {
            Ok(()) => Ok(RunOutcome::Applied),
            Err((_, e)) => Err(DbError::migration(run.id, e, RECORDED_FAILED)),
        }
    }

    /// One statement of a `no-transaction` run and its progress: a data statement in one
    /// transaction with it (InnoDB's too), any other alone and then its progress.
    async fn step(
        conn: &mut DB::Connection,
        spelling: &Spelling,
        id: &str,
        statement: &str,
        progress: &str,
    ) -> Result<(), sqlx::Error> {
        let record = sqlx::query::<DB>(spelling.set_state).bind(progress).bind(id);
        if !strata_schema::parse::is_unwitnessed(statement) {
            sqlx::raw_sql(statement).execute(&mut *conn).await?;
            return record.execute(&mut *conn).await.map(|_| ());
        }
        sqlx::raw_sql(spelling.begin).execute(&mut *conn).await?;
        let ran = match sqlx::raw_sql(statement).execute(&mut *conn).await {
            Ok(_) => record.execute(&mut *conn).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let finished = Self::finish(conn, ran.is_ok()).await;
        ran.and(finished)
    }

    /// Replaces a `running` row's state with the outcome, and records how long the run took.
    pub async fn set_outcome(
        conn: &mut DB::Connection,
        spelling: &Spelling,
        id: &str,
        state: &str,
        started: Instant,
    ) -> Result<(), sqlx::Error> {
        sqlx::query::<DB>(spelling.set_outcome)
            .bind(state)
            .bind(started.elapsed().as_millis() as i64)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map(|_| ())
    }

    /// One history row; `state` as stored (see [`HistoryState::parse`]).
    pub async fn insert(
        conn: &mut DB::Connection,
        spelling: &Spelling,
        run: &MigrationRun<'_>,
        state: &str,
        duration_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query::<DB>(spelling.insert)
            .bind(run.id)
            .bind(run.layer)
            .bind(i64::from(run.seq))
            .bind(run.checksum)
            .bind(run.commit_sha)
            .bind(state)
            .bind(run.schema_hash)
            .bind(super::applied_by().as_str())
            .bind(duration_ms)
            .execute(&mut *conn)
            .await
            .map(|_| ())
    }

    /// `adopt`: records `runs` as baselined, none of their SQL run, in one transaction — and only
    /// if the history is still empty under the tenant's lock. The history table is created first,
    /// outside the transaction, because MySQL commits any DDL (and so the transaction) at once.
    pub async fn baseline(
        conn: &mut DB::Connection,
        spelling: &Spelling,
        runs: &[MigrationRun<'_>],
        target: &str,
        error: &dyn Fn(sqlx::Error) -> DbError,
    ) -> Result<(), DbError> {
        sqlx::raw_sql(spelling.history_ddl).execute(&mut *conn).await.map_err(error)?;
        sqlx::raw_sql(spelling.begin).execute(&mut *conn).await.map_err(error)?;
        let result = async {
            let any = sqlx::query::<DB>(spelling.any).fetch_optional(&mut *conn).await.map_err(error)?;
            if any.is_some() {
                return Err(DbError::HasHistory { target: target.to_string() });
            }
            for run in runs {
                Self::insert(conn, spelling, run, HistoryState::Baselined.as_str(), 0).await.map_err(error)?;
            }
            Ok(())
        }
        .await;
        Self::finish(conn, result.is_ok()).await.map_err(error)?;
        result
    }

    /// Runs a down migration and forgets the migration, in one transaction; a `no-transaction`
    /// down's statements commit one by one, so its row is marked `reverting` first and stays so
    /// if one fails or the run is cut off (see [`DOWN_UNFINISHED`]).
    pub async fn revert(
        conn: &mut DB::Connection,
        spelling: &Spelling,
        (id, sql, statements): (&str, &str, Option<&[String]>),
        error: &dyn Fn(sqlx::Error) -> DbError,
    ) -> Result<(), DbError> {
        if let Some(statements) = statements {
            let reverting = HistoryState::Reverting.as_str();
            sqlx::query::<DB>(spelling.set_state).bind(reverting).bind(id).execute(&mut *conn).await.map_err(error)?;
            for statement in statements {
                sqlx::raw_sql(statement)
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| DbError::migration(format!("{id} (down)"), e, DOWN_UNFINISHED))?;
            }
            sqlx::query::<DB>(spelling.delete).bind(id).execute(&mut *conn).await.map_err(error)?;
            return Ok(());
        }
        sqlx::raw_sql(spelling.begin).execute(&mut *conn).await.map_err(error)?;
        let result = async {
            sqlx::raw_sql(sql)
                .execute(&mut *conn)
                .await
                .map_err(|e| DbError::migration(format!("{id} (down)"), e, ""))?;
            sqlx::query::<DB>(spelling.delete).bind(id).execute(&mut *conn).await.map_err(error)?;
            Ok(())
        }
        .await;
        Self::finish(conn, result.is_ok()).await.map_err(error)?;
        result
    }

    /// `repair`: mark a failed migration (`Some(state)`) or forget it (`None`). No transaction is
    /// involved, so MySQL uses it too.
    pub async fn settle(
        conn: &mut DB::Connection,
        set_state: &str,
        delete: &str,
        id: &str,
        state: Option<HistoryState>,
        error: &dyn Fn(sqlx::Error) -> DbError,
    ) -> Result<(), DbError> {
        let query = match state {
            Some(state) => sqlx::query::<DB>(set_state).bind(state.as_str()).bind(id),
            None => sqlx::query::<DB>(delete).bind(id),
        };
        query.execute(&mut *conn).await.map_err(error)?;
        Ok(())
    }

    /// The tenant's history, oldest first; none when `exists` (a query that returns a row only if
    /// `strata_history` exists) finds no table. No transaction is involved, so MySQL uses it too.
    pub async fn history(
        conn: &mut DB::Connection,
        (exists, select): (&str, &str),
        error: &dyn Fn(sqlx::Error) -> DbError,
    ) -> Result<Vec<HistoryRow>, DbError>
    where
        for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
        for<'r> String: sqlx::Decode<'r, DB> + Type<DB>,
        for<'r> i64: sqlx::Decode<'r, DB>,
    {
        if sqlx::query::<DB>(exists).fetch_optional(&mut *conn).await.map_err(error)?.is_none() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query::<DB>(select).fetch_all(&mut *conn).await.map_err(error)?;
        history_rows(&rows).map_err(error)
    }
}
