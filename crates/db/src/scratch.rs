//! Throwaway databases for `verify`: migrations are replayed on a real engine and the result is
//! read back, so what is compared is what the engine made of the SQL, not what strata thinks it
//! means. SQLite uses an in-memory database; PostgreSQL a fresh schema and MySQL a fresh database
//! on the server of `--dev-url`, dropped again afterwards.

use crate::session;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use strata_core::duration::Timeouts;

use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::Connection;

use super::DbError;
use strata_core::Dialect;
use strata_schema::Schema;

pub enum Scratch {
    Sqlite(SqliteConnection),
    Postgres { conn: PgConnection, schema: String },
    Mysql { conn: MySqlConnection, database: String },
}

/// What every scratch name starts with; the rest is `<seconds since 1970>_<random>`.
const PREFIX: &str = "strata_dev_t";

/// A scratch name no other verify picks: random (containers all run as PID 1), with the time it
/// was made, so that one a killed verify left behind can be told stale and dropped.
fn unique_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // std's hasher keys are random per process; the counter makes calls within it differ.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(NEXT.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    format!("{PREFIX}{}_{:016x}", now_seconds(), hasher.finish())
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Scratch schemas older than this were left by a verify that was killed: no verify runs so long.
const STALE_AFTER_SECONDS: u64 = 6 * 3600;

/// Whether a scratch name is stale.
fn is_stale(name: &str, now: u64) -> bool {
    let Some(rest) = name.strip_prefix(PREFIX) else { return false };
    let seconds = rest.split('_').next().and_then(|s| s.parse::<u64>().ok());
    seconds.is_some_and(|made| made + STALE_AFTER_SECONDS < now)
}

const LABEL: &str = "dev database";

fn connect_error(e: sqlx::Error) -> DbError {
    DbError::connect(LABEL, e)
}

/// Drops the stale scratch schemas or databases `listed` names; best effort (another verify may
/// be dropping the same one, or the user may lack the right), never the reason a verify fails.
async fn drop_stale<C>(conn: &mut C, listed: &str, drop: impl Fn(&str) -> String)
where
    C: Connection,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
    for<'r> String: sqlx::Decode<'r, C::Database> + sqlx::Type<C::Database>,
    for<'q> <C::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, C::Database>,
    (String,): for<'r> sqlx::FromRow<'r, <C::Database as sqlx::Database>::Row>,
{
    let Ok(names) = sqlx::query_as::<_, (String,)>(listed).fetch_all(&mut *conn).await else { return };
    let now = now_seconds();
    for (name,) in names.into_iter().filter(|(name,)| is_stale(name, now)) {
        let _ = sqlx::raw_sql(&drop(&name)).execute(&mut *conn).await;
    }
}

impl Scratch {
    /// A new empty scratch database; `dev_url` is required for the server engines.
    pub async fn create(dialect: Dialect, dev_url: Option<&str>) -> Result<Self, DbError> {
        let url = || {
            dev_url.ok_or_else(|| DbError::Connect {
                target: LABEL.to_string(),
                message: format!("replaying {dialect} migrations needs --dev-url (a server strata may create and drop scratch schemas on)"),
            })
        };
        Ok(match dialect {
            Dialect::Sqlite => {
                // Foreign keys off, as when applying: table rebuilds must not cascade.
                let options =
                    SqliteConnectOptions::from_str("sqlite::memory:").map_err(connect_error)?.foreign_keys(false);
                Scratch::Sqlite(SqliteConnection::connect_with(&options).await.map_err(connect_error)?)
            }
            Dialect::Postgres => {
                let mut conn = session::postgres_url(url()?, LABEL, &Timeouts::default()).await?;
                let listed = "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, 'strata_dev_t')";
                drop_stale(&mut conn, listed, |name| {
                    format!("DROP SCHEMA IF EXISTS {} CASCADE", dialect.quote_ident(name))
                })
                .await;
                let schema = unique_name();
                let quoted = dialect.quote_ident(&schema);
                sqlx::raw_sql(&format!("CREATE SCHEMA {quoted}; SET search_path TO {quoted}"))
                    .execute(&mut conn)
                    .await
                    .map_err(connect_error)?;
                Scratch::Postgres { conn, schema }
            }
            Dialect::Mysql => {
                let mut conn = session::mysql(url()?, LABEL, &Timeouts::default()).await?;
                let listed = "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata WHERE schema_name LIKE 'strata\\_dev\\_t%'";
                drop_stale(&mut conn, listed, |name| format!("DROP DATABASE IF EXISTS {}", dialect.quote_ident(name)))
                    .await;
                let database = unique_name();
                let quoted = dialect.quote_ident(&database);
                sqlx::raw_sql(&format!("CREATE DATABASE {quoted}")).execute(&mut conn).await.map_err(connect_error)?;
                sqlx::raw_sql(&format!("USE {quoted}")).execute(&mut conn).await.map_err(connect_error)?;
                Scratch::Mysql { conn, database }
            }
        })
    }

    /// Runs SQL text (several statements); the engine's message on failure.
    pub async fn execute(&mut self, sql: &str) -> Result<(), String> {
        let result = match self {
            Scratch::Sqlite(conn) => sqlx::raw_sql(sql).execute(conn).await.map(drop),
            Scratch::Postgres { conn, .. } => sqlx::raw_sql(sql).execute(conn).await.map(drop),
            Scratch::Mysql { conn, .. } => sqlx::raw_sql(sql).execute(conn).await.map(drop),
        };
        result.map_err(|e| strata_core::url::redact(&e.to_string()))
    }

    /// The scratch database read back into the model.
    pub async fn inspect(&mut self) -> Result<Schema, DbError> {
        let result = match self {
            Scratch::Sqlite(conn) => strata_dialect::sqlite::inspect(conn).await,
            Scratch::Postgres { conn, schema } => strata_dialect::postgres::inspect(conn, schema).await,
            Scratch::Mysql { conn, database } => strata_dialect::mysql::inspect(conn, database).await,
        };
        result.map_err(|source| DbError::Inspect { target: LABEL.to_string(), source })
    }

    /// Drops what was created on a server; an in-memory SQLite database goes with its connection.
    pub async fn discard(self) -> Result<(), DbError> {
        let query = |e: sqlx::Error| DbError::query(LABEL, e);
        match self {
            Scratch::Sqlite(conn) => conn.close().await.map_err(query),
            Scratch::Postgres { mut conn, schema } => {
                let sql = format!("DROP SCHEMA {} CASCADE", Dialect::Postgres.quote_ident(&schema));
                sqlx::raw_sql(&sql).execute(&mut conn).await.map_err(query)?;
                conn.close().await.map_err(query)
            }
            Scratch::Mysql { mut conn, database } => {
                let sql = format!("DROP DATABASE {}", Dialect::Mysql.quote_ident(&database));
                sqlx::raw_sql(&sql).execute(&mut conn).await.map_err(query)?;
                conn.close().await.map_err(query)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_names_differ_and_age() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() <= 63, "a PostgreSQL and MySQL name: {a}");
        let now = now_seconds();
        assert!(!is_stale(&a, now), "a fresh one is kept");
        assert!(is_stale(&a, now + STALE_AFTER_SECONDS + 1));
        assert!(is_stale("strata_dev_t1000_00ff", now));
        // Names of other tools, or of older strata versions (keyed by PID), are never touched.
        assert!(!is_stale("strata_dev_1_0", now));
        assert!(!is_stale("tenant_demo", now));
    }
}
