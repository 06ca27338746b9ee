//! Tenant databases: connections, the `strata_history` table (DESIGN §6), locks and the execution
//! of one migration. One file per engine.

pub mod crowded;
pub mod mysql;
pub mod peek;
pub mod postgres;
pub mod scratch;
pub mod session;
pub mod slots;
pub mod sqlite;
pub mod tenant;
pub mod transactional;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A connection could not be made. Text only, redacted: a driver's connect error may echo the
    /// URL with its password, and a source kept here would carry it past the redaction.
    #[error("{target}: {message} (is the server of the environment's `url:` up, and does it accept this user?)")]
    Connect { target: String, message: String },
    /// The server had no connection slot free, tried again with pauses until the connect timeout
    /// (see `crowded`). Text only, redacted, as for `Connect`.
    #[error("{target}: {message} (the server had no connection to spare, even after waiting; lower --concurrency or raise the server's limit)")]
    Crowded { target: String, message: String },
    /// The server's session would read strata's SQL otherwise than it is written.
    #[error("{target}: {why}; strata sends no SQL to such a session")]
    Refused { target: String, why: String },
    /// A query of strata's own (history, locks, scratch schemas) failed; the driver's error is kept
    /// as the source, so a caller can read its SQLSTATE.
    #[error("{target}: {}", strata_core::url::redact(&.source.to_string()))]
    Query {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    /// The live schema could not be read back into the model.
    #[error("{target}: {source}")]
    Inspect {
        target: String,
        #[source]
        source: strata_dialect::InspectError,
    },
    /// A migration's own SQL failed; `note` says what was recorded (MySQL keeps a `failed` row).
    #[error("{id} failed: {}{note}", strata_core::url::redact(&.source.to_string()))]
    Migration {
        id: String,
        #[source]
        source: sqlx::Error,
        note: &'static str,
    },
    /// A migration ran but left rows that its foreign keys refuse (SQLite checks them afterwards).
    #[error("{id} failed: leaves {rows} rows violating foreign keys ({check})")]
    ForeignKeys { id: String, rows: usize, check: &'static str },
    /// The server did not answer within a bound: the connection is abandoned, and a
    /// transactional engine rolls back what it had begun.
    #[error("{target}: no answer from the server within {after} while {what} (see `timeouts:` in the environment file); the tenant is retried by the next run")]
    Timeout { target: String, what: &'static str, after: String },
    /// A statement waited longer than the lock timeout for a lock another session holds.
    #[error("{id} failed: waited {waited} for a lock (lock timeout){}; nothing was changed, the next run retries it", blocker_note(.blocker))]
    LockTimeout { id: String, waited: String, blocker: Option<String> },
    #[error("{target}: another runner holds this tenant's lock (waited {waited:?}; see --lock-timeout)")]
    Locked { target: String, waited: std::time::Duration },
    /// `adopt` found a history after all (another runner began on the tenant meanwhile).
    #[error(
        "{target}: strata_history is not empty; a baseline is only recorded for a tenant strata has never migrated"
    )]
    HasHistory { target: String },
    #[error(
        "{target}: {id} failed earlier and may be half applied (MySQL DDL is not transactional); run `strata repair`"
    )]
    FailedBefore { target: String, id: String },
}

fn blocker_note(blocker: &Option<String>) -> String {
    blocker.as_ref().map(|b| format!(", held by {b}")).unwrap_or_default()
}

/// Where a migration stands in a tenant's history: applied; baselined (`adopt` found the tenant's
/// schema already had it, so its SQL never ran here); or (on MySQL, whose DDL commits as it goes)
/// failed, cut off or half rolled back, and possibly half applied until it is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryState {
    Applied,
    Baselined,
    Failed,
    /// Written before statements that commit on their own (MySQL's DDL, a `no-transaction`
    /// migration) and replaced by the outcome: a row left `running` is a run that was cut off
    /// (killed, its connection lost), settled like a failure.
    Running,
    /// Written before a down whose statements commit on their own (MySQL's DDL, a
    /// `no-transaction` down) and removed with the row once it has run: a row left `reverting` is
    /// a rollback that failed or was cut off, settled against the live schema like a cut-off up.
    Reverting,
}

impl HistoryState {
    /// The word stored in `strata_history.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryState::Applied => "applied",
            HistoryState::Baselined => "baselined",
            HistoryState::Failed => "failed",
            HistoryState::Running => "running",
            HistoryState::Reverting => "reverting",
        }
    }

    /// Whether the row needs settling before anything else runs: it failed, was cut off, or its
    /// rollback did not finish.
    pub fn is_unsettled(self) -> bool {
        matches!(self, HistoryState::Failed | HistoryState::Running | HistoryState::Reverting)
    }

    /// How a message says what became of an unsettled row's run.
    pub fn what_happened(self) -> &'static str {
        match self {
            HistoryState::Running => "was cut off",
            HistoryState::Reverting => "was being rolled back when its down stopped",
            _ => "had failed",
        }
    }

    /// Whether the tenant's schema has the migration (run here, or there before strata came).
    pub fn is_done(self) -> bool {
        matches!(self, HistoryState::Applied | HistoryState::Baselined)
    }

    /// The state a stored word stands for, and the count of statements done when the word carries
    /// one (`running:3`: a `no-transaction` run records its progress in the state column, which
    /// existing fleets' tables already have and whose MySQL width, 16, holds it). A bare word has
    /// no count: a row written before progress was recorded, or by a run not statement by
    /// statement. Any other word is damaged history.
    pub fn parse(stored: &str) -> Result<(Self, Option<usize>), String> {
        let (word, done) = match stored.split_once(':') {
            Some((word, count)) => match count.parse::<usize>() {
                Ok(done) if matches!(word, "running" | "failed") => (word, Some(done)),
                _ => {
                    return Err(format!("strata_history.state holds {stored:?}, whose statement count is not a number"))
                }
            },
            None => (stored, None),
        };
        Self::parse_word(word).map(|state| (state, done))
    }

    /// How a state is stored with the count of statements done (see [`parse`](Self::parse)).
    pub fn with_progress(self, done: usize) -> String {
        format!("{}:{done}", self.as_str())
    }

    fn parse_word(word: &str) -> Result<Self, String> {
        match word {
            "applied" => Ok(HistoryState::Applied),
            "baselined" => Ok(HistoryState::Baselined),
            "failed" => Ok(HistoryState::Failed),
            "running" => Ok(HistoryState::Running),
            "reverting" => Ok(HistoryState::Reverting),
            other => Err(format!(
                "strata_history.state holds {other:?}, which is not applied, baselined, failed, running or reverting"
            )),
        }
    }
}

impl std::fmt::Display for HistoryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `strata_history`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryRow {
    pub id: String,
    pub layer: String,
    pub seq: i64,
    pub checksum: String,
    pub commit_sha: String,
    pub state: HistoryState,
    pub schema_hash: Option<String>,
    pub applied_at: String,
    pub applied_by: Option<String>,
    pub duration_ms: Option<i64>,
    /// A `no-transaction` run's statements done (its state word `running:N` or `failed:N`); none
    /// for a row that records no progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statements_done: Option<usize>,
}

/// What the executor needs to run and record one migration for one tenant.
#[derive(Debug, Clone)]
pub struct MigrationRun<'a> {
    pub id: &'a str,
    pub layer: &'a str,
    pub seq: u32,
    pub checksum: &'a str,
    /// Rendered for this tenant.
    pub sql: &'a str,
    pub commit_sha: &'a str,
    pub schema_hash: &'a str,
    /// `-- strata:no-transaction`: `sql` split into statements, run one at a time outside a
    /// transaction, each recording its progress; a failure is recorded as `failed` (what ran
    /// before it stays).
    pub statements: Option<&'a [String]>,
    /// A cut-off `no-transaction` run taken up again: its row exists (written `running` by the
    /// earlier run) and this many of `statements` are known done.
    pub resume: Option<usize>,
    /// `-- strata:timeout`: this migration's bounds in place of the environment's.
    pub lock_timeout: Option<std::time::Duration>,
    pub statement_timeout: Option<std::time::Duration>,
    /// A seed: data only, so on MySQL too it commits with its history row or not at all.
    pub seed: bool,
}

/// Whether a run did the work or found another runner had done it meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Applied,
    AlreadyApplied,
}

impl DbError {
    /// A failed connection to `target`, with any password in the driver's message redacted.
    pub(crate) fn connect(target: &str, e: sqlx::Error) -> Self {
        let (target, message) = (target.to_string(), strata_core::url::redact(&e.to_string()));
        match crowded::is_crowded(&e) {
            true => DbError::Crowded { target, message },
            false => DbError::Connect { target, message },
        }
    }

    /// A failed query of strata's own on `target`.
    pub(crate) fn query(target: &str, source: sqlx::Error) -> Self {
        DbError::Query { target: target.to_string(), source }
    }

    /// A migration whose SQL failed, with what was recorded about it.
    pub(crate) fn migration(id: impl Into<String>, source: sqlx::Error, note: &'static str) -> Self {
        DbError::Migration { id: id.into(), source, note }
    }
}

/// Who applied a migration, for the history table: the OS user, else "strata".
pub fn applied_by() -> String {
    std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "strata".to_string())
}

/// `strata_history` rows from any engine's query, whose columns are selected with one set of names
/// and types (text, bigint) everywhere. A damaged row (a column whose type was changed by hand) is
/// an error of that tenant, never a panic.
pub(crate) fn history_rows<R>(rows: &[R]) -> Result<Vec<HistoryRow>, sqlx::Error>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter()
        .map(|row| {
            let (state, statements_done) = HistoryState::parse(&row.try_get::<String, _>("state")?)
                .map_err(|message| sqlx::Error::Decode(message.into()))?;
            Ok(HistoryRow {
                id: row.try_get("id")?,
                layer: row.try_get("layer")?,
                seq: row.try_get("seq")?,
                checksum: row.try_get("checksum")?,
                commit_sha: row.try_get("commit_sha")?,
                state,
                schema_hash: row.try_get("schema_hash")?,
                applied_at: row.try_get("applied_at")?,
                applied_by: row.try_get("applied_by")?,
                duration_ms: row.try_get("duration_ms")?,
                statements_done,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::HistoryState;

    #[test]
    fn a_state_word_carries_the_statements_done_and_a_bare_word_none() {
        assert_eq!(HistoryState::parse("running:3"), Ok((HistoryState::Running, Some(3))));
        assert_eq!(HistoryState::parse("failed:0"), Ok((HistoryState::Failed, Some(0))));
        assert_eq!(HistoryState::parse("running"), Ok((HistoryState::Running, None)));
        assert_eq!(HistoryState::Running.with_progress(12), "running:12");
        assert!(HistoryState::parse("running:x").is_err());
        assert!(HistoryState::parse("applied:3").is_err(), "only a run in progress or failed counts statements");
    }
}
