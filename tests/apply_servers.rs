//! The skeleton's loop on the servers: commit -> apply -> edit a module -> commit -> apply by
//! commit hash, on PostgreSQL with a schema per tenant and on MariaDB with a database per tenant.

mod util;

use sqlx::Connection;
use util::engines::{DEFAULT_MYSQL_URL, DEFAULT_PG_URL};
use util::Repo;

struct Engine {
    dialect: &'static str,
    variable: &'static str,
    default_url: &'static str,
    isolation: &'static str,
    template: &'static str,
    events: &'static str,
}

const POSTGRES: Engine = Engine {
    dialect: "postgres",
    variable: "STRATA_TEST_PG_URL",
    default_url: DEFAULT_PG_URL,
    isolation: "schema",
    template: "CREATE TABLE members (id serial PRIMARY KEY, email text NOT NULL, currency text DEFAULT {{ tenant.vars.currency | sql_literal }});\n",
    events: "CREATE TABLE events (id serial PRIMARY KEY, title text NOT NULL, member_id integer REFERENCES members (id));\n",
};

const MARIADB: Engine = Engine {
    dialect: "mysql",
    variable: "STRATA_TEST_MYSQL_URL",
    default_url: DEFAULT_MYSQL_URL,
    isolation: "database",
    template: "CREATE TABLE members (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL, currency VARCHAR(3) DEFAULT {{ tenant.vars.currency | sql_literal }});\n",
    events: "CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(100) NOT NULL, member_id INT REFERENCES members (id));\n",
};

/// The columns of a table in a tenant's schema/database, read through the server's catalog.
async fn columns(engine: &Engine, url: &str, namespace: &str, table: &str) -> Vec<String> {
    let query = "FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY 1";
    if engine.dialect == "postgres" {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let sql = format!("SELECT column_name::text {query}");
        sqlx::query_scalar(&sql).bind(namespace).bind(table).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
        let sql = format!("SELECT CAST(column_name AS CHAR(64)) {}", query.replace("$1", "?").replace("$2", "?"));
        sqlx::query_scalar(&sql).bind(namespace).bind(table).fetch_all(&mut conn).await.unwrap()
    }
}

async fn history(engine: &Engine, url: &str, namespace: &str) -> Vec<(String, String)> {
    let sql = format!("SELECT id, commit_sha FROM {namespace}.strata_history ORDER BY applied_at, seq");
    if engine.dialect == "postgres" {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_as(&sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
        sqlx::query_as(&sql).fetch_all(&mut conn).await.unwrap()
    }
}

async fn drop_namespaces(engine: &Engine, url: &str, namespaces: &[String]) {
    for namespace in namespaces {
        if engine.dialect == "postgres" {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {namespace} CASCADE")).execute(&mut conn).await.unwrap();
        } else {
            let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {namespace}")).execute(&mut conn).await.unwrap();
        }
    }
}

async fn the_loop_runs_on(engine: &Engine) {
    let url = std::env::var(engine.variable).unwrap_or_else(|_| engine.default_url.to_string());
    let reachable = if engine.dialect == "postgres" {
        util::engines::postgres().await.is_some()
    } else {
        util::engines::mysql().await.is_some()
    };
    if !reachable {
        return;
    }
    let prefix = format!("strata_e2e_{}_{}", std::process::id(), engine.dialect);
    let repo = Repo::with_files(&[
        ("strata.yaml", &format!("name: e2e\ndialect: {}\n", engine.dialect)),
        ("templates/base/template.yaml", "name: base\nversion: 1.0.0\n"),
        ("templates/base/schema/01_members.sql", engine.template),
        ("modules/events/module.yaml", "name: events\nversion: 1.0.0\nrequires: { template.base: \"^1\" }\n"),
        ("modules/events/schema/01_events.sql", engine.events),
        ("tenants/alpha/tenant.yaml", "template: base\nmodules: [events]\nvars: { currency: USD }\n"),
        ("tenants/beta/tenant.yaml", "template: base\nvars: { currency: EUR }\n"),
        ("tenants/beta/patches/01_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));\n"),
        (
            "environments/test.yaml",
            &format!(
                "url: ${{{}}}\nisolation: {}\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n",
                engine.variable, engine.isolation
            ),
        ),
    ]);
    std::env::set_var(engine.variable, &url);
    let (alpha, beta) = (format!("{prefix}_alpha"), format!("{prefix}_beta"));
    drop_namespaces(engine, &url, &[alpha.clone(), beta.clone()]).await;

    let first = repo.commit("initial schema");
    let out = repo.ok(&["apply", "--env", "test"]);
    assert!(out.contains("2 tenants, 2 migrated"), "{out}");
    assert_eq!(columns(engine, &url, &alpha, "events").await, ["id", "member_id", "title"]);
    assert_eq!(columns(engine, &url, &beta, "notes").await, ["body", "id"]);
    assert!(columns(engine, &url, &beta, "events").await.is_empty(), "beta has no events");
    assert!(repo.ok(&["apply", "--env", "test"]).contains("0 migrated, 2 up to date"));

    let schema = "modules/events/schema/01_events.sql";
    repo.write(schema, &repo.read(schema).replace("title ", "capacity INTEGER, title "));
    repo.write("modules/events/module.yaml", &repo.read("modules/events/module.yaml").replace("1.0.0", "1.1.0"));
    let second = repo.commit("event capacity");
    assert!(repo.ok(&["apply", "--env", "test", "--commit", &first]).contains("0 migrated, 2 up to date"));
    let out = repo.ok(&["apply", "--env", "test", "--commit", &second]);
    assert!(
        out.contains("alpha: applied module.events/0002_event_capacity\n") && out.contains("beta: up to date\n"),
        "{out}"
    );
    assert!(columns(engine, &url, &alpha, "events").await.contains(&"capacity".to_string()));
    let rows = history(engine, &url, &alpha).await;
    assert_eq!(rows.last().unwrap(), &("module.events/0002_event_capacity".to_string(), second.clone()));
    assert!(rows[..rows.len() - 1].iter().all(|(_, sha)| *sha == first), "{rows:?}");
    let status = repo.ok(&["status", "--env", "test"]);
    assert!(status.contains("2 up to date, 0 behind"), "{status}");
    // The URL never reaches output.
    assert!(!out.contains(&url) && !status.contains(&url));
    drop_namespaces(engine, &url, &[alpha, beta]).await;
}

#[tokio::test]
async fn the_loop_runs_on_postgres_with_a_schema_per_tenant() {
    the_loop_runs_on(&POSTGRES).await;
}

#[tokio::test]
async fn the_loop_runs_on_mariadb_with_a_database_per_tenant() {
    the_loop_runs_on(&MARIADB).await;
}
