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

/// Scratch names are unique per process and call, so parallel CI jobs on one server never meet.
fn unique_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("strata_dev_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

const LABEL: &str = "dev database";

fn connect_error(e: sqlx::Error) -> DbError {
    DbError::connect(LABEL, e)
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
