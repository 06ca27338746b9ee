//! The one-query look at a tenant that a fleet rollout takes first: its history, read through a
//! pooled connection per server, without a lock. A tenant that already has every migration of the
//! commit is done after that query — a release with nothing to do for most tenants costs one
//! round trip per tenant. Anything else (a pending migration, no schema yet, any error) goes the
//! full way: a connection of its own, the tenant lock, the history read again under it.
//!
//! No lock is needed for the look: another runner can only add rows, never remove them, so a
//! history that already holds everything stays complete.

use std::cell::RefCell;
use std::collections::HashMap;

use sqlx::Connection;

use super::session::{self, bounded, Session};
use super::tenant::{ServerConnection as Idle, Target};
use super::{history_rows, DbError, HistoryRow};
use strata_core::Dialect;

/// Idle connections by server URL, used for the look and then for the tenant's migrations. The
/// rollout runs at most `concurrency` tenants at once and each holds at most one connection, so a
/// server never sees more than that many; a connection that fails is dropped, not returned. (A hand-made pool rather than sqlx's: a refused connection
/// must fail the tenant at once, not be retried until an acquire timeout.)
pub struct Peeker {
    idle: RefCell<HashMap<String, Vec<Idle>>>,
    session: Session,
}

impl Peeker {
    pub fn new(session: Session) -> Self {
        Self { idle: RefCell::new(HashMap::new()), session }
    }

    fn server(target: &Target) -> Option<&str> {
        match target {
            Target::Postgres { url, schema: Some(_), .. } | Target::Mysql { url, .. } => Some(url),
            Target::SqliteFile(_) | Target::Postgres { schema: None, .. } => None,
        }
    }

    /// A kept connection to the tenant's server, if there is one.
    pub fn take(&self, target: &Target) -> Option<Idle> {
        let url = Self::server(target)?;
        self.idle.borrow_mut().get_mut(url).and_then(Vec::pop)
    }

    /// Keeps a connection for the next tenant on the same server.
    pub fn give_back(&self, target: &Target, conn: Idle) {
        if let Some(url) = Self::server(target) {
            self.idle.borrow_mut().entry(url.to_string()).or_default().push(conn);
        }
    }

    /// The tenant's history, or `None` when this path cannot tell (no shared server, no schema or
    /// history table yet, any database error): the caller then takes the full path.
    pub async fn history(&self, target: &Target) -> Result<Option<Vec<HistoryRow>>, DbError> {
        let limit = self.session.timeouts.connect + self.session.step();
        bounded(limit, &target.label(), "reading the history", self.look(target)).await
    }

    async fn look(&self, target: &Target) -> Result<Option<Vec<HistoryRow>>, DbError> {
        let connect = DbError::connect;
        let timeouts = &self.session.timeouts;
        // Every tenant with a file or a database of its own: nothing to share.
        let (url, label) = match target {
            Target::Postgres { url, label, schema: Some(_) } | Target::Mysql { url, label, .. } => (url, label),
            Target::SqliteFile(_) | Target::Postgres { schema: None, .. } => return Ok(None),
        };
        let conn = match self.take(target) {
            Some(conn) => conn,
            None => match target {
                Target::Postgres { .. } => Idle::Postgres(session::postgres_url(url, label, timeouts).await?),
                _ => Idle::Mysql(session::mysql(url, label, timeouts).await?),
            },
        };
        let (result, conn) = match (conn, target) {
            (Idle::Postgres(mut conn), Target::Postgres { schema: Some(schema), .. }) => {
                let sql = format!(
                    "SELECT id, layer, seq, checksum, commit_sha, state, schema_hash, \
                     to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS applied_at, applied_by, duration_ms \
                     FROM {}.strata_history ORDER BY applied_at, seq",
                    Dialect::Postgres.quote_ident(schema)
                );
                let result = sqlx::query(&sql).fetch_all(&mut conn).await.and_then(|rows| history_rows(&rows));
                (result, Idle::Postgres(conn))
            }
            (Idle::Mysql(mut conn), Target::Mysql { database, .. }) => {
                let sql = format!(
                    "SELECT id, layer, CAST(seq AS SIGNED) AS seq, checksum, commit_sha, state, schema_hash, \
                     CAST(DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS CHAR) AS applied_at, applied_by, duration_ms \
                     FROM {}.strata_history ORDER BY applied_at, seq",
                    Dialect::Mysql.quote_ident(database)
                );
                let result = sqlx::query(&sql).fetch_all(&mut conn).await.and_then(|rows| history_rows(&rows));
                (result, Idle::Mysql(conn))
            }
            _ => return Ok(None),
        };
        match result {
            Ok(rows) => {
                self.give_back(target, conn);
                Ok(Some(rows))
            }
            // A missing schema, database or table is a tenant to provision: the full path's job.
            // (PostgreSQL needs no rollback here: a failed statement outside a transaction
            // leaves the session usable.)
            Err(sqlx::Error::Database(_)) => {
                self.give_back(target, conn);
                Ok(None)
            }
            // A row that does not decode (a damaged history): the connection is fine, the
            // tenant's history is not.
            Err(e @ (sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_))) => {
                self.give_back(target, conn);
                Err(DbError::query(label, e))
            }
            Err(e) => Err(connect(label, e)),
        }
    }

    /// Closes the idle connections (politely: the servers see a terminate message).
    pub async fn close(&self) {
        let idle: Vec<Idle> = self.idle.borrow_mut().drain().flat_map(|(_, list)| list).collect();
        for conn in idle {
            // A connection that cannot close cleanly (or in time) is dropped anyway.
            let close = async {
                match conn {
                    Idle::Postgres(conn) => conn.close().await,
                    Idle::Mysql(conn) => conn.close().await,
                }
            };
            let _ = tokio::time::timeout(self.session.timeouts.connect, close).await;
        }
    }
}
