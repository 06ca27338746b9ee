//! Connections to servers, made one way everywhere, and the bounds on every wait. A server that
//! stops answering (frozen, partitioned, overloaded) must cost one tenant a timeout, never hang a
//! rollout: connects are bounded here, statements and lock waits are bounded by the server
//! (session settings sent with the connection) and, in case the server cannot even say so, by
//! the client ([`bounded`]).

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;

use super::tenant::Target;
use super::{crowded, DbError};
use strata_core::duration::{show, Timeouts};

/// What a tenant's connection may wait for: the environment's timeouts, and strata's own
/// per-tenant lock (another runner working on the same tenant; `--lock-timeout`).
#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub timeouts: Timeouts,
    pub tenant_lock: Duration,
}

impl Session {
    pub fn new(timeouts: Timeouts, tenant_lock: Duration) -> Self {
        Self { timeouts, tenant_lock }
    }

    /// The client's bound on one step against a server: the server's own bounds (a statement, the
    /// lock it may wait for) plus a connect timeout's worth of slack for the answer to arrive.
    pub fn step(&self) -> Duration {
        self.timeouts.statement + self.timeouts.lock + self.timeouts.connect
    }

    /// The client's bound on opening a tenant: connecting, strata's lock, provisioning.
    pub fn open(&self) -> Duration {
        self.timeouts.connect + self.tenant_lock + self.step()
    }
}

/// `future`, or [`DbError::Timeout`] once `limit` has passed: `what` says what was waited for.
pub async fn bounded<T>(
    limit: Duration,
    target: &str,
    what: &'static str,
    future: impl Future<Output = Result<T, DbError>>,
) -> Result<T, DbError> {
    match tokio::time::timeout(limit, future).await {
        Ok(result) => result,
        Err(_) => Err(DbError::Timeout { target: target.to_string(), what, after: show(limit) }),
    }
}

/// A PostgreSQL connection whose session bounds each statement and each lock wait; the settings
/// travel in the startup packet, so they cost no round trip.
pub async fn postgres(options: &PgConnectOptions, target: &str, timeouts: &Timeouts) -> Result<PgConnection, DbError> {
    let ms = |d: Duration| format!("{}ms", d.as_millis());
    let options = options.clone().options([
        // Literals mean what the SQL standard says: a backslash is a character, never an
        // escape that ends a literal early (strata's own SQL and the filters rely on it).
        ("standard_conforming_strings", "on".to_string()),
        ("statement_timeout", ms(timeouts.statement)),
        ("lock_timeout", ms(timeouts.lock)),
        // The server notices a vanished strata (and drops its locks) within a minute or so.
        ("tcp_keepalives_idle", "30".to_string()),
        ("tcp_keepalives_interval", "10".to_string()),
        ("tcp_keepalives_count", "3".to_string()),
    ]);
    let connect = async {
        // A server (or role) out of connection slots is asked again a few times: see `crowded`.
        let mut conn = crowded::retry(timeouts.connect, || PgConnection::connect_with(&options))
            .await
            .map_err(|e| DbError::connect(target, e))?;
        // A killed strata's statement would otherwise run to its end (a `pg_sleep`, an index
        // build), holding the tenant's lock and its table locks with nobody to report to: the
        // server checks every 2 s that the client is still there and cancels it. PostgreSQL 14
        // has the setting; an older server refuses it, which costs nothing but the check, and it
        // cannot travel in the startup packet, where that refusal would fail the connection.
        let _ = sqlx::raw_sql("SET client_connection_check_interval = '2s'").execute(&mut conn).await;
        // A pooler in between may drop startup settings: a session where backslashes still
        // escape is refused rather than sent literals it would read otherwise.
        let conforming: String = sqlx::query_scalar("SELECT current_setting('standard_conforming_strings')")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| DbError::connect(target, e))?;
        if conforming != "on" {
            return Err(DbError::Refused {
                target: target.to_string(),
                why: "the session keeps standard_conforming_strings off after strata set it on (a connection pooler?)"
                    .to_string(),
            });
        }
        Ok(conn)
    };
    bounded(timeouts.connect, target, "connecting", connect).await
}

/// [`postgres`] from a URL.
pub async fn postgres_url(url: &str, target: &str, timeouts: &Timeouts) -> Result<PgConnection, DbError> {
    let options = PgConnectOptions::from_str(url).map_err(|e| DbError::connect(target, e))?;
    postgres(&options, target, timeouts).await
}

/// A MySQL/MariaDB connection whose session bounds lock waits (metadata and row locks) and, on
/// MariaDB, statements; MySQL itself bounds only `SELECT`s, so there the client's bound rules.
pub async fn mysql(url: &str, target: &str, timeouts: &Timeouts) -> Result<MySqlConnection, DbError> {
    let options = MySqlConnectOptions::from_str(url).map_err(|e| DbError::connect(target, e))?;
    let connect = async {
        let mut conn = crowded::retry(timeouts.connect, || MySqlConnection::connect_with(&options))
            .await
            .map_err(|e| DbError::connect(target, e))?;
        // Whole seconds, at least one: the server's unit.
        let lock = timeouts.lock.as_secs().max(1);
        // The SQL mode strata's quoting relies on: backslashes escape in literals (a mode
        // without them would read `'a\\'` as two backslashes) and `"` quotes strings, not names.
        let sql = format!(
            "SET SESSION lock_wait_timeout = {lock}, innodb_lock_wait_timeout = {lock}, sql_mode = {}",
            "TRIM(BOTH ',' FROM REPLACE(REPLACE(REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), \
             ',NO_BACKSLASH_ESCAPES,', ','), ',ANSI_QUOTES,', ','), ',ANSI,', ','))"
        );
        sqlx::raw_sql(&sql).execute(&mut conn).await.map_err(|e| DbError::connect(target, e))?;
        let statement = format!("SET SESSION max_statement_time = {}", timeouts.statement.as_secs_f64());
        // MariaDB only; MySQL has no such variable and says so, which is fine.
        let _ = sqlx::raw_sql(&statement).execute(&mut conn).await;
        Ok(conn)
    };
    bounded(timeouts.connect, target, "connecting", connect).await
}

/// The server a tenant's connection goes to, as one key per server: the URL every tenant of a
/// shared server uses, or for PostgreSQL databases of their own, the server's maintenance
/// database (where each tenant's connection starts). `None` for a SQLite file.
pub fn server_of(target: &Target) -> Option<String> {
    match target {
        Target::SqliteFile(_) => None,
        Target::Postgres { url, schema: Some(_), .. } | Target::Mysql { url, .. } => Some(url.clone()),
        Target::Postgres { url, schema: None, .. } => {
            let options = PgConnectOptions::from_str(url).ok()?;
            let host = format!("{}:{}", options.get_host(), options.get_port());
            Some(format!("postgres://{}@{host}/postgres", options.get_username()))
        }
    }
}

/// Connects to the server of `target` once and closes: what every tenant's connection would
/// meet first (a refused connection, a wrong password, TLS, an unknown host).
pub async fn reach(target: &Target, timeouts: &Timeouts) -> Result<(), DbError> {
    let label = "the server";
    match target {
        Target::SqliteFile(_) => Ok(()),
        Target::Postgres { url, schema, .. } => {
            let mut options = PgConnectOptions::from_str(url).map_err(|e| DbError::connect(label, e))?;
            if schema.is_none() {
                options = options.database("postgres");
            }
            let conn = postgres(&options, label, timeouts).await?;
            let _ = tokio::time::timeout(timeouts.connect, conn.close()).await;
            Ok(())
        }
        Target::Mysql { url, .. } => {
            let conn = mysql(url, label, timeouts).await?;
            let _ = tokio::time::timeout(timeouts.connect, conn.close()).await;
            Ok(())
        }
    }
}
