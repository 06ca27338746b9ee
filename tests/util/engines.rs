//! Scratch databases on the real engines for schema tests: a SQLite file in a temp dir, a uniquely
//! named schema on the PostgreSQL at `STRATA_TEST_PG_URL`, or a uniquely named database on the
//! MariaDB/MySQL at `STRATA_TEST_MYSQL_URL`. With `CI=true` an unreachable
//! server fails the test; elsewhere the test prints one line saying which server was missing and
//! skips, so `cargo test` passes on a machine with only Rust and git.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::Connection;
use strata::dialect::Dialect;
use strata::schema::Schema;

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

/// A connection to a test server, or `None` (with one line on stderr) outside CI.
async fn connect<C: Connection>(server: &str, variable: &str, default: &str) -> Option<C> {
    let url = std::env::var(variable).unwrap_or_else(|_| default.to_string());
    match C::connect(&url).await {
        Ok(conn) => Some(conn),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true and {server} is unreachable at {}: {e}", strata_core::url::redact(&url))
        }
        Err(e) => {
            eprintln!("skipping: {server} is not reachable at {} ({e})", strata_core::url::redact(&url));
            None
        }
    }
}

pub async fn postgres() -> Option<PgConnection> {
    connect("PostgreSQL", "STRATA_TEST_PG_URL", DEFAULT_PG_URL).await
}

pub async fn mysql() -> Option<MySqlConnection> {
    connect("MariaDB/MySQL", "STRATA_TEST_MYSQL_URL", DEFAULT_MYSQL_URL).await
}

/// `url` with another database in its path (the query string kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base.rsplit_once('/').expect("a URL with a database");
    query.map_or_else(|| format!("{server}/{database}"), |q| format!("{server}/{database}?{q}"))
}

/// Drops a tenant's schema (PostgreSQL) or database (MySQL) that a test made through `url`.
pub async fn drop_namespace(url: &str, postgres: bool, name: &str) {
    if postgres {
        let mut conn = PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE")).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = MySqlConnection::connect(url).await.unwrap();
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{name}`")).execute(&mut conn).await.unwrap();
    }
}

pub enum Scratch {
    Sqlite { _dir: tempfile::TempDir, conn: SqliteConnection },
    Postgres { conn: PgConnection, schema: String },
    Mysql { conn: MySqlConnection, database: String },
}

impl Scratch {
    /// An empty database of the dialect, or `None` when its server is not there (outside CI).
    pub async fn new(dialect: Dialect) -> Option<Self> {
        match dialect {
            Dialect::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let options = SqliteConnectOptions::new()
                    .filename(dir.path().join("t.db"))
                    .create_if_missing(true)
                    .foreign_keys(false);
                Some(Scratch::Sqlite { conn: SqliteConnection::connect_with(&options).await.unwrap(), _dir: dir })
            }
            Dialect::Postgres => {
                let mut conn = postgres().await?;
                let schema = unique_name("strata_test");
                let sql = format!("CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\";");
                sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
                Some(Scratch::Postgres { conn, schema })
            }
            Dialect::Mysql => {
                let mut conn = mysql().await?;
                let database = unique_name("strata_test");
                let sql = format!("CREATE DATABASE `{database}`; USE `{database}`;");
                sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
                Some(Scratch::Mysql { conn, database })
            }
        }
    }

    /// Runs SQL in one transaction, the way `apply` does on these engines.
    pub async fn run(&mut self, sql: &str) -> Result<(), String> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        let result = match self {
            Scratch::Sqlite { conn, .. } => {
                sqlx::raw_sql(&format!("BEGIN IMMEDIATE;\n{sql};\nCOMMIT;")).execute(&mut *conn).await.map(|_| ())
            }
            Scratch::Postgres { conn, .. } => {
                sqlx::raw_sql(&format!("BEGIN;\n{sql};\nCOMMIT;")).execute(&mut *conn).await.map(|_| ())
            }
            // DDL commits itself on MySQL; there is no transaction to wrap it in.
            Scratch::Mysql { conn, .. } => sqlx::raw_sql(sql).execute(&mut *conn).await.map(|_| ()),
        };
        if let Err(e) = result {
            let rollback = match self {
                Scratch::Sqlite { conn, .. } => sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.map(|_| ()),
                Scratch::Postgres { conn, .. } => sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.map(|_| ()),
                Scratch::Mysql { .. } => Ok(()),
            };
            drop(rollback); // there may be no transaction left to roll back
            return Err(format!("{e}\n--- while running:\n{sql}"));
        }
        Ok(())
    }

    /// The first column of a query's rows, as text.
    pub async fn texts(&mut self, sql: &str) -> Vec<String> {
        match self {
            Scratch::Sqlite { conn, .. } => sqlx::query_scalar(sql).fetch_all(&mut *conn).await.unwrap(),
            Scratch::Postgres { conn, .. } => sqlx::query_scalar(sql).fetch_all(&mut *conn).await.unwrap(),
            Scratch::Mysql { conn, .. } => sqlx::query_scalar(sql).fetch_all(&mut *conn).await.unwrap(),
        }
    }

    pub async fn inspect(&mut self) -> Schema {
        match self {
            Scratch::Sqlite { conn, .. } => strata::dialect::sqlite::inspect(conn).await.unwrap(),
            Scratch::Postgres { conn, schema } => strata::dialect::postgres::inspect(conn, schema).await.unwrap(),
            Scratch::Mysql { conn, database } => strata::dialect::mysql::inspect(conn, database).await.unwrap(),
        }
    }

    /// Drops what the scratch made on a server (a temp dir cleans itself).
    pub async fn cleanup(self) {
        match self {
            Scratch::Sqlite { .. } => {}
            Scratch::Postgres { mut conn, schema } => {
                sqlx::raw_sql(&format!("DROP SCHEMA \"{schema}\" CASCADE")).execute(&mut conn).await.unwrap();
            }
            Scratch::Mysql { mut conn, database } => {
                sqlx::raw_sql(&format!("DROP DATABASE `{database}`")).execute(&mut conn).await.unwrap();
            }
        }
    }
}
