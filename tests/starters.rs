//! Day one on a server engine: `strata init --dialect postgres|mysql` writes a starter a competent
//! user of that engine would write, and it goes through the whole loop on a real server — check,
//! commit, verify against a dev database, apply, drift — then a second release on top.

mod util;

use sqlx::Connection;
use util::engines::{DEFAULT_MYSQL_URL, DEFAULT_PG_URL};
use util::{Repo, Run};

struct Server {
    dialect: &'static str,
    variable: &'static str,
    default_url: &'static str,
}

const POSTGRES: Server = Server { dialect: "postgres", variable: "STRATA_TEST_PG_URL", default_url: DEFAULT_PG_URL };
const MARIADB: Server = Server { dialect: "mysql", variable: "STRATA_TEST_MYSQL_URL", default_url: DEFAULT_MYSQL_URL };

impl Server {
    fn url(&self) -> String {
        std::env::var(self.variable).unwrap_or_else(|_| self.default_url.to_string())
    }

    /// The schemas (PostgreSQL) or databases (MySQL) the starter's tenants get under `prefix`.
    async fn drop_tenants(&self, prefix: &str) {
        for tenant in ["demo", "nrna", "uml"] {
            let name = format!("{prefix}_{tenant}");
            if self.dialect == "postgres" {
                let mut conn = sqlx::PgConnection::connect(&self.url()).await.expect("connect");
                let sql = format!("DROP SCHEMA IF EXISTS {name} CASCADE");
                sqlx::raw_sql(&sql).execute(&mut conn).await.expect("drop schema");
            } else {
                let mut conn = sqlx::MySqlConnection::connect(&self.url()).await.expect("connect");
                let sql = format!("DROP DATABASE IF EXISTS {name}");
                sqlx::raw_sql(&sql).execute(&mut conn).await.expect("drop database");
            }
        }
    }
}

/// `strata init` of the dialect's starter in a fresh directory.
fn init(dialect: &str) -> Repo {
    let repo = Repo::with_files(&[]);
    let run = repo.run(&["init", ".", "--dialect", dialect]);
    assert_eq!(run.code, 0, "init --dialect {dialect}: {}{}", run.stdout, run.stderr);
    repo
}

/// Runs strata with `DATABASE_URL` set for that process only (the tests of both engines run at
/// once in this process).
fn ok(repo: &Repo, url: &str, args: &[&str]) -> String {
    let output = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
            .arg("--repo")
            .arg(repo.path())
            .args(args)
            .current_dir(repo.path())
            .env("DATABASE_URL", url)
            .output()
    });
    let run: Run = output.expect("strata runs").into();
    assert_eq!(run.code, 0, "strata {args:?}:\n{}{}", run.stdout, run.stderr);
    run.stdout
}

async fn the_starter_goes_through_the_loop(server: &Server) {
    let ready = match server.dialect {
        "postgres" => util::engines::postgres().await.is_some(),
        _ => util::engines::mysql().await.is_some(),
    };
    if !ready {
        return;
    }
    let repo = init(server.dialect);
    // The starter reads its URL from DATABASE_URL; this test's tenants get names of their own.
    let prefix = format!("starter_{}_{}", server.dialect, std::process::id());
    let environment = repo.read("environments/local.yaml");
    assert!(environment.contains("url: ${DATABASE_URL}"), "{environment}");
    repo.write("environments/local.yaml", &environment.replace("\"tenant_{{", &format!("\"{prefix}_{{{{")));
    repo.git_commit_all("test tenants get a prefix of their own");
    let url = server.url();

    ok(&repo, &url, &["check"]);
    ok(&repo, &url, &["commit", "-m", "first release"]);
    ok(&repo, &url, &["verify", "--base", "HEAD~1", "--dev-url", &url]);
    let applied = ok(&repo, &url, &["apply", "--env", "local"]);
    assert!(applied.contains("3 tenants, 3 migrated"), "{applied}");
    ok(&repo, &url, &["drift", "--env", "local"]);

    // A second release on top: a column in the template, a tenant of its own kind.
    let members = repo.read("templates/party/schema/01_members.sql");
    let column = if server.dialect == "postgres" { "  phone text,\n" } else { "  phone VARCHAR(40),\n" };
    let extra = if server.dialect == "postgres" { "  nickname text,\n" } else { "  nickname VARCHAR(80),\n" };
    repo.write("templates/party/schema/01_members.sql", &members.replacen(column, &format!("{column}{extra}"), 1));
    let template = repo.read("templates/party/template.yaml");
    repo.write("templates/party/template.yaml", &template.replace("version: 1.0.0", "version: 1.1.0"));
    ok(&repo, &url, &["commit", "-m", "nickname"]);
    ok(&repo, &url, &["verify", "--base", "HEAD~1", "--dev-url", &url]);
    let second = ok(&repo, &url, &["apply", "--env", "local"]);
    assert!(second.contains("3 tenants, 3 migrated"), "{second}");
    ok(&repo, &url, &["drift", "--env", "local"]);
    server.drop_tenants(&prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_postgres_starter_goes_through_the_loop() {
    the_starter_goes_through_the_loop(&POSTGRES).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mysql_starter_goes_through_the_loop() {
    the_starter_goes_through_the_loop(&MARIADB).await;
}
