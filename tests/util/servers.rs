//! The two test servers as a project's engine: their URL, whether they are up, tenants made on them
//! by plain SQL (as another tool would have) and dropped again, and strata run with the project's
//! `DATABASE_URL` pointing at them.

use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::Connection;

use super::engines::{DEFAULT_MYSQL_URL, DEFAULT_PG_URL};
use super::{Repo, Run};

pub struct Server {
    /// The `--dialect` of `strata init`.
    pub dialect: &'static str,
    variable: &'static str,
    default_url: &'static str,
}

pub const POSTGRES: Server =
    Server { dialect: "postgres", variable: "STRATA_TEST_PG_URL", default_url: DEFAULT_PG_URL };
pub const MARIADB: Server =
    Server { dialect: "mysql", variable: "STRATA_TEST_MYSQL_URL", default_url: DEFAULT_MYSQL_URL };

impl Server {
    pub fn url(&self) -> String {
        std::env::var(self.variable).unwrap_or_else(|_| self.default_url.to_string())
    }

    pub fn postgres(&self) -> bool {
        self.dialect == "postgres"
    }

    /// Whether the server answers (outside CI a missing server skips the test, see `engines`).
    pub async fn ready(&self) -> bool {
        match self.postgres() {
            true => super::engines::postgres().await.is_some(),
            false => super::engines::mysql().await.is_some(),
        }
    }

    /// A tenant made without strata: its schema (PostgreSQL) or database (MySQL) created and `sql`
    /// run in it, in one round trip.
    pub async fn create_tenant(&self, name: &str, sql: &str) {
        let result = if self.postgres() {
            let mut conn = PgConnection::connect(&self.url()).await.expect("connect");
            let script = format!("CREATE SCHEMA \"{name}\"; SET search_path TO \"{name}\";\n{sql}");
            sqlx::raw_sql(&script).execute(&mut conn).await.map(|_| ())
        } else {
            let mut conn = MySqlConnection::connect(&self.url()).await.expect("connect");
            let script = format!("CREATE DATABASE `{name}`; USE `{name}`;\n{sql}");
            sqlx::raw_sql(&script).execute(&mut conn).await.map(|_| ())
        };
        result.unwrap_or_else(|e| panic!("creating {name} by plain SQL: {e}"));
    }

    /// Runs `sql` in a tenant's schema or database.
    pub async fn execute_in(&self, name: &str, sql: &str) {
        let result = if self.postgres() {
            let mut conn = PgConnection::connect(&self.url()).await.expect("connect");
            sqlx::raw_sql(&format!("SET search_path TO \"{name}\";\n{sql}")).execute(&mut conn).await.map(|_| ())
        } else {
            let mut conn = MySqlConnection::connect(&self.url()).await.expect("connect");
            sqlx::raw_sql(&format!("USE `{name}`;\n{sql}")).execute(&mut conn).await.map(|_| ())
        };
        result.unwrap_or_else(|e| panic!("{sql} in {name}: {e}"));
    }

    /// The first column of a query run in a tenant's schema or database, as text.
    pub async fn texts_in(&self, name: &str, sql: &str) -> Vec<String> {
        if self.postgres() {
            let mut conn = PgConnection::connect(&self.url()).await.expect("connect");
            sqlx::raw_sql(&format!("SET search_path TO \"{name}\"")).execute(&mut conn).await.expect("search_path");
            sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
        } else {
            let mut conn = MySqlConnection::connect(&self.url()).await.expect("connect");
            sqlx::raw_sql(&format!("USE `{name}`")).execute(&mut conn).await.expect("use");
            sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
    }

    /// Drops every schema (PostgreSQL) or database (MySQL) whose name starts with `prefix`: what a
    /// test made, and what an earlier, killed run of it left.
    pub async fn drop_prefixed(&self, prefix: &str) {
        let names = self.prefixed(prefix).await;
        if self.postgres() {
            let mut conn = PgConnection::connect(&self.url()).await.expect("connect");
            for name in names {
                let sql = format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE");
                sqlx::raw_sql(&sql).execute(&mut conn).await.expect("drop schema");
            }
        } else {
            let mut conn = MySqlConnection::connect(&self.url()).await.expect("connect");
            for name in names {
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{name}`")).execute(&mut conn).await.expect("drop");
            }
        }
    }

    /// The schemas (PostgreSQL) or databases (MySQL) whose name starts with `prefix`.
    pub async fn prefixed(&self, prefix: &str) -> Vec<String> {
        let pattern = format!("{}%", prefix.replace('_', "\\_"));
        if self.postgres() {
            let mut conn = PgConnection::connect(&self.url()).await.expect("connect");
            sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1")
                .bind(&pattern)
                .fetch_all(&mut conn)
                .await
                .expect("list schemas")
        } else {
            let mut conn = MySqlConnection::connect(&self.url()).await.expect("connect");
            sqlx::query_scalar(
                "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
            )
            .bind(&pattern)
            .fetch_all(&mut conn)
            .await
            .expect("list databases")
        }
    }
}

/// `strata init` of the dialect's starter in a fresh directory, its tenants' schemas or databases
/// named `<prefix>_<tenant>` (tests on one server keep to names of their own); the target change is
/// left uncommitted, for the caller's own changes to go in with it.
pub fn init_starter(dialect: &str, prefix: &str) -> Repo {
    let repo = Repo::with_files(&[]);
    let run = repo.run(&["init", ".", "--dialect", dialect]);
    assert_eq!(run.code, 0, "init --dialect {dialect}: {}{}", run.stdout, run.stderr);
    let environment = repo.read("environments/local.yaml");
    assert!(environment.contains("url: ${DATABASE_URL}"), "{environment}");
    repo.write("environments/local.yaml", &environment.replace("\"tenant_{{", &format!("\"{prefix}_{{{{")));
    repo
}

/// Runs strata with `DATABASE_URL` set for that process only (the tests of both engines run at
/// once in one process).
pub fn strata(repo: &Repo, url: &str, args: &[&str]) -> Run {
    let output = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
            .arg("--repo")
            .arg(repo.path())
            .args(args)
            .current_dir(repo.path())
            .env("DATABASE_URL", url)
            .output()
    });
    output.expect("strata runs").into()
}

/// `strata` started in the background with `DATABASE_URL`, its output dropped: a run a test
/// kills while it works.
pub fn spawn(repo: &Repo, url: &str, args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("--repo")
        .arg(repo.path())
        .args(args)
        .env("DATABASE_URL", url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("strata runs")
}

/// [`strata`], which must succeed; its standard output.
pub fn ok(repo: &Repo, url: &str, args: &[&str]) -> String {
    let run = strata(repo, url, args);
    assert_eq!(run.code, 0, "strata {args:?}:\n{}{}", run.stdout, run.stderr);
    run.stdout
}

/// A starter of `server`'s dialect whose tenants are named `<name>_<pid>_<tenant>` (what an earlier
/// run of the same test left dropped first), committed as "first release"; `None` when the server
/// is not there. Returns the repository and the tenants' prefix.
pub async fn first_release(server: &Server, name: &str) -> Option<(Repo, String)> {
    if !server.ready().await {
        return None;
    }
    let prefix = format!("{name}_{}", std::process::id());
    server.drop_prefixed(&format!("{name}_")).await;
    let repo = init_starter(server.dialect, &prefix);
    repo.git_commit_all("test tenants get a prefix of their own");
    ok(&repo, &server.url(), &["commit", "-m", "first release"]);
    Some((repo, prefix))
}
