//! The skeleton's loop on the servers: commit -> apply -> edit a module -> commit -> apply by
//! commit hash, on PostgreSQL with a schema per tenant and on MariaDB with a database per tenant.

mod util;

use sqlx::Connection;
use util::engines::{DEFAULT_MYSQL_URL, DEFAULT_PG_URL};
use util::Repo;

struct Engine {
    dialect: &'static str,
    /// PostgreSQL with a database (not a schema) per tenant.
    database_per_tenant: bool,
    variable: &'static str,
    default_url: &'static str,
    isolation: &'static str,
    template: &'static str,
    events: &'static str,
}

const POSTGRES: Engine = Engine {
    dialect: "postgres",
    database_per_tenant: false,
    variable: "STRATA_TEST_PG_URL",
    default_url: DEFAULT_PG_URL,
    isolation: "schema",
    template: "CREATE TABLE members (id serial PRIMARY KEY, email text NOT NULL, currency text DEFAULT {{ tenant.vars.currency | sql_literal }});\n",
    events: "CREATE TABLE events (id serial PRIMARY KEY, title text NOT NULL, member_id integer REFERENCES members (id));\n",
};

const MARIADB: Engine = Engine {
    dialect: "mysql",
    database_per_tenant: false,
    variable: "STRATA_TEST_MYSQL_URL",
    default_url: DEFAULT_MYSQL_URL,
    isolation: "database",
    template: "CREATE TABLE members (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL, currency VARCHAR(3) DEFAULT {{ tenant.vars.currency | sql_literal }});\n",
    events: "CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(100) NOT NULL, member_id INT REFERENCES members (id));\n",
};

const POSTGRES_DATABASES: Engine = Engine { database_per_tenant: true, isolation: "database", ..POSTGRES };

/// Where a tenant's tables are: a URL to connect to and the schema that holds them.
fn location(engine: &Engine, url: &str, namespace: &str) -> (String, String) {
    if engine.database_per_tenant {
        let server = url.rsplit_once('/').map(|(server, _)| server).unwrap();
        (format!("{server}/{namespace}"), "public".to_string())
    } else {
        (url.to_string(), namespace.to_string())
    }
}

/// The columns of a table in a tenant's schema/database, read through the server's catalog.
async fn columns(engine: &Engine, url: &str, namespace: &str, table: &str) -> Vec<String> {
    let (url, namespace) = location(engine, url, namespace);
    let (url, namespace) = (url.as_str(), namespace.as_str());
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
    let (url, namespace) = location(engine, url, namespace);
    let url = url.as_str();
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
        if engine.database_per_tenant {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {namespace} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        } else if engine.dialect == "postgres" {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {namespace} CASCADE")).execute(&mut conn).await.unwrap();
        } else {
            let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {namespace}")).execute(&mut conn).await.unwrap();
        }
    }
}

/// The environment file: one URL for the server, or (a database per tenant) a URL template.
fn environment(engine: &Engine, prefix: &str) -> String {
    let url = if engine.database_per_tenant {
        format!("\"${{STRATA_TEST_PG_SERVER}}/{prefix}_{{{{ tenant.id }}}}\"")
    } else {
        format!("${{{}}}", engine.variable)
    };
    format!(
        "url: {url}\nisolation: {}\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n",
        engine.isolation
    )
}

/// The server's URL, exported for the child processes, or `None` (outside CI) when it is down.
async fn server(engine: &Engine) -> Option<String> {
    let url = std::env::var(engine.variable).unwrap_or_else(|_| engine.default_url.to_string());
    let reachable = if engine.dialect == "postgres" {
        util::engines::postgres().await.is_some()
    } else {
        util::engines::mysql().await.is_some()
    };
    if !reachable {
        return None;
    }
    std::env::set_var(engine.variable, &url);
    // Only PostgreSQL runs set the server part: a MariaDB run setting it would race them.
    if engine.dialect == "postgres" {
        std::env::set_var("STRATA_TEST_PG_SERVER", url.rsplit_once('/').map(|(server, _)| server).unwrap());
    }
    Some(url)
}

/// A repository with the engine's base template and `test` environment, plus `files`.
fn project(engine: &Engine, prefix: &str, files: &[(&str, &str)]) -> Repo {
    let mut all: Vec<(String, String)> = vec![
        ("strata.yaml".into(), format!("name: e2e\ndialect: {}\n", engine.dialect)),
        ("templates/base/template.yaml".into(), "name: base\nversion: 1.0.0\n".into()),
        ("templates/base/schema/01_members.sql".into(), engine.template.into()),
        ("environments/test.yaml".into(), environment(engine, prefix)),
    ];
    all.extend(files.iter().map(|(p, c)| (p.to_string(), c.to_string())));
    let borrowed: Vec<(&str, &str)> = all.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    Repo::with_files(&borrowed)
}

const EVENTS_MODULE: &str = "name: events\nversion: 1.0.0\nrequires: { template.base: \"^1\" }\n";

async fn the_loop_runs_on(engine: &Engine) {
    let Some(url) = server(engine).await else { return };
    let prefix = format!("strata_e2e_{}_{}_{}", std::process::id(), engine.dialect, engine.isolation);
    let repo = project(
        engine,
        &prefix,
        &[
            ("modules/events/module.yaml", EVENTS_MODULE),
            ("modules/events/schema/01_events.sql", engine.events),
            ("tenants/alpha/tenant.yaml", "template: base\nmodules: [events]\nvars: { currency: USD }\n"),
            ("tenants/beta/tenant.yaml", "template: base\nvars: { currency: EUR }\n"),
            ("tenants/beta/patches/01_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));\n"),
        ],
    );
    let (alpha, beta) = (format!("{prefix}_alpha"), format!("{prefix}_beta"));
    drop_namespaces(engine, &url, &[alpha.clone(), beta.clone()]).await;

    let first = repo.commit("initial schema");
    assert_verify_passes_on_the_server(engine, &repo, &url);
    let out = repo.ok(&["apply", "--env", "test"]);
    assert!(out.contains("2 tenants, 2 migrated"), "{out}");
    assert_eq!(columns(engine, &url, &alpha, "events").await, ["id", "member_id", "title"]);
    assert_eq!(columns(engine, &url, &beta, "notes").await, ["body", "id"]);
    assert!(columns(engine, &url, &beta, "events").await.is_empty(), "beta has no events");
    assert!(repo.ok(&["apply", "--env", "test"]).contains("0 migrated, 2 up to date"));
    assert!(repo.ok(&["drift", "--env", "test"]).contains("2 tenants in test at commit"), "no drift after apply");

    let schema = "modules/events/schema/01_events.sql";
    repo.write(schema, &repo.read(schema).replace("title ", "capacity INTEGER, title "));
    repo.write("modules/events/module.yaml", &repo.read("modules/events/module.yaml").replace("1.0.0", "1.1.0"));
    let second = repo.commit("event capacity");
    assert_verify_passes_on_the_server(engine, &repo, &url);
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
    // Back to the first commit, and forward again.
    let back = repo.ok(&["rollback", "--env", "test", "--tenant", "alpha", "--to", &first, "--yes"]);
    assert!(back.contains("alpha: reverted module.events/0002_event_capacity"), "{back}");
    assert!(!columns(engine, &url, &alpha, "events").await.contains(&"capacity".to_string()));
    assert!(history(engine, &url, &alpha).await.iter().all(|(_, sha)| *sha == first));
    assert!(repo.ok(&["apply", "--env", "test"]).contains("alpha: applied module.events/0002_event_capacity"));
    drop_namespaces(engine, &url, &[alpha, beta]).await;
}

/// `verify --dev-url`: the migrations replayed on the real server reproduce the declared schema,
/// every down reverses its up, and the URL is never printed.
fn assert_verify_passes_on_the_server(engine: &Engine, repo: &Repo, url: &str) {
    let run = repo.run(&["verify", "--base", "HEAD", "--dev-url", url]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let replayed = format!("replayed on {} on --dev-url", engine.dialect);
    assert!(run.stdout.contains(&replayed), "{}", run.stdout);
    assert!(run.stdout.lines().any(|l| l.starts_with("pass  down") && !l.contains(" 0 down")), "{}", run.stdout);
    assert!(!run.stdout.contains(url));
}

#[tokio::test]
async fn the_loop_runs_on_postgres_with_a_schema_per_tenant() {
    the_loop_runs_on(&POSTGRES).await;
}

#[tokio::test]
async fn the_loop_runs_on_postgres_with_a_database_per_tenant() {
    the_loop_runs_on(&POSTGRES_DATABASES).await;
}

#[tokio::test]
async fn the_loop_runs_on_mariadb_with_a_database_per_tenant() {
    the_loop_runs_on(&MARIADB).await;
}

/// A tenant whose migration fails stops there; the others are migrated; the rollout says exit 4.
async fn a_failure_stays_with_its_tenant(engine: &Engine) -> Option<(Repo, String, String)> {
    let url = server(engine).await?;
    let prefix = format!("strata_fail_{}_{}", std::process::id(), engine.dialect);
    let repo = project(
        engine,
        &prefix,
        &[
            ("tenants/good/tenant.yaml", "template: base\nvars: { currency: USD }\n"),
            ("tenants/bad/tenant.yaml", "template: base\nvars: { currency: EUR }\n"),
        ],
    );
    let (good, bad) = (format!("{prefix}_good"), format!("{prefix}_bad"));
    drop_namespaces(engine, &url, &[good.clone(), bad.clone()]).await;
    repo.commit("initial");
    repo.ok(&["apply", "--env", "test"]);
    // Two rows with one email in bad's members make a new unique index fail there only.
    let insert = format!("INSERT INTO {bad}.members (email) VALUES ('x@example.org'), ('x@example.org')");
    if engine.dialect == "postgres" {
        sqlx::raw_sql(&insert).execute(&mut sqlx::PgConnection::connect(&url).await.unwrap()).await.unwrap();
    } else {
        sqlx::raw_sql(&insert).execute(&mut sqlx::MySqlConnection::connect(&url).await.unwrap()).await.unwrap();
    }
    repo.write("templates/base/schema/02_email.sql", "CREATE UNIQUE INDEX members_email_key ON members (email);\n");
    repo.write("templates/base/template.yaml", "name: base\nversion: 1.1.0\n");
    repo.commit("unique email");
    let run = repo.run(&["apply", "--env", "test"]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("good: applied template.base/0002_unique_email"), "{}", run.stdout);
    assert!(run.stdout.contains("bad: FAILED after 0 migrations"), "{}", run.stdout);
    Some((repo, url, bad))
}

#[tokio::test]
async fn a_failing_migration_on_postgres_leaves_its_tenant_unchanged() {
    let Some((repo, url, bad)) = a_failure_stays_with_its_tenant(&POSTGRES).await else { return };
    let rows = history(&POSTGRES, &url, &bad).await;
    assert_eq!(rows.len(), 1, "no history row for the failed migration: {rows:?}");
    // Nothing was recorded, so the next apply simply tries again.
    assert_eq!(repo.run(&["apply", "--env", "test", "--tenant", "bad"]).code, 4);
    let prefix = bad.trim_end_matches("_bad").to_string();
    drop_namespaces(&POSTGRES, &url, &[format!("{prefix}_good"), bad]).await;
}

#[tokio::test]
async fn a_failing_migration_on_mariadb_is_recorded_failed_and_stops_the_tenant() {
    let Some((repo, url, bad)) = a_failure_stays_with_its_tenant(&MARIADB).await else { return };
    let rows = history(&MARIADB, &url, &bad).await;
    assert_eq!(rows.last().unwrap().0, "template.base/0002_unique_email");
    // Nothing of it took effect (the index never came to be): apply settles that by itself,
    // says so, and runs it again, which fails again on the same rows.
    let run = repo.run(&["apply", "--env", "test", "--tenant", "bad"]);
    assert_eq!(run.code, 4);
    assert!(
        run.stdout.contains(
            "bad: note: template.base/0002_unique_email had failed before any of it took effect: it runs again"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Duplicate entry"), "{}", run.stdout);

    let status = repo.ok(&["status", "--env", "test"]);
    assert!(status.contains("! bad: template.base/0002_unique_email failed at "), "{status}");
    assert!(status.contains("run `strata repair`"), "{status}");
    // repair compares the live schema: the index never came to be.
    let report = repo.ok(&["repair", "--env", "test", "--tenant", "bad"]);
    assert!(report.contains("template.base/0002_unique_email failed"), "{report}");
    assert!(report.contains("matches the state before it: nothing of it took effect"), "{report}");
    let refused = repo.run(&["repair", "--env", "test", "--tenant", "bad", "--mark", "applied"]);
    assert_ne!(refused.code, 0, "marking it applied contradicts the live schema");
    assert!(refused.stderr.contains("does not match template.base/0002_unique_email applied"), "{}", refused.stderr);
    let done = repo.ok(&["repair", "--env", "test", "--tenant", "bad", "--mark", "rolled-back"]);
    assert!(done.contains("recorded: template.base/0002_unique_email marked rolled back"), "{done}");
    // With the duplicate gone, the next apply runs it again and succeeds.
    let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(&format!(
        "DELETE FROM {bad}.members WHERE id = (SELECT MAX(id) FROM (SELECT id FROM {bad}.members) m)"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    assert!(repo
        .ok(&["apply", "--env", "test", "--tenant", "bad"])
        .contains("bad: applied template.base/0002_unique_email"));
    assert!(repo.ok(&["repair", "--env", "test", "--tenant", "bad"]).contains("nothing to repair"));
    let prefix = bad.trim_end_matches("_bad").to_string();
    drop_namespaces(&MARIADB, &url, &[format!("{prefix}_good"), bad]).await;
}

#[tokio::test]
async fn a_password_in_the_url_never_reaches_the_output() {
    if util::engines::postgres().await.is_none() {
        return;
    }
    let base = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
    // The machine's PostgreSQL trusts local connections, so any password is accepted.
    let secret = "s3cret-Pa55word";
    let url = base.replacen("postgres://postgres@", &format!("postgres://postgres:{secret}@"), 1);
    assert!(url.contains(secret), "the test URL carries the password: {}", strata_core::url::redact(&url));
    let prefix = format!("strata_pw_{}", std::process::id());
    let repo = Repo::with_files(&[
        ("strata.yaml", "name: pw\ndialect: postgres\n"),
        ("templates/base/template.yaml", "name: base\nversion: 1.0.0\n"),
        ("templates/base/schema/01.sql", "CREATE TABLE t (id integer);\n"),
        ("tenants/one/tenant.yaml", "template: base\n"),
        ("environments/test.yaml", &format!("url: ${{STRATA_PW_URL}}\nisolation: schema\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n")),
        ("environments/broken.yaml", &format!("url: ${{STRATA_PW_BROKEN_URL}}\nisolation: schema\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\n")),
    ]);
    std::env::set_var("STRATA_PW_URL", &url);
    // A server that is not there: the error must still not show the password.
    std::env::set_var("STRATA_PW_BROKEN_URL", format!("postgres://postgres:{secret}@127.0.0.1:1/postgres"));
    repo.commit("initial");
    let mut said = String::new();
    for args in [
        &["apply", "--env", "test"][..],
        &["status", "--env", "test"],
        &["apply", "--env", "broken"],
        &["status", "--env", "broken"],
        &["apply", "--env", "test", "--json"],
    ] {
        let run = repo.run(args);
        said.push_str(&run.stdout);
        said.push_str(&run.stderr);
    }
    assert!(said.contains("schema"), "the commands ran: {said}");
    assert!(!said.contains(secret), "the password leaked:\n{said}");
    drop_namespaces(&POSTGRES, &url, &[format!("{prefix}_one")]).await;
}

#[tokio::test]
async fn postgres_with_a_database_per_tenant_creates_and_migrates_them() {
    if util::engines::postgres().await.is_none() {
        return;
    }
    let base = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
    let server = base.rsplit_once('/').map(|(server, _)| server.to_string()).unwrap();
    let prefix = format!("strata_db_{}", std::process::id());
    let repo = Repo::with_files(&[
        ("strata.yaml", "name: dbs\ndialect: postgres\n"),
        ("templates/base/template.yaml", "name: base\nversion: 1.0.0\n"),
        ("templates/base/schema/01.sql", POSTGRES.template),
        ("tenants/one/tenant.yaml", "template: base\nvars: { currency: USD }\n"),
        ("tenants/two/tenant.yaml", "template: base\nvars: { currency: NPR }\n"),
        (
            "environments/test.yaml",
            &format!("url: \"${{STRATA_TEST_PG_SERVER}}/{prefix}_{{{{ tenant.id }}}}\"\nisolation: database\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"),
        ),
    ]);
    std::env::set_var("STRATA_TEST_PG_SERVER", &server);
    repo.commit("initial");
    let out = repo.ok(&["apply", "--env", "test"]);
    assert!(out.contains("2 tenants, 2 migrated"), "{out}");
    for (tenant, currency) in [("one", "'USD'::text"), ("two", "'NPR'::text")] {
        let mut conn = sqlx::PgConnection::connect(&format!("{server}/{prefix}_{tenant}")).await.unwrap();
        let default: String = sqlx::query_scalar("SELECT column_default::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'members' AND column_name = 'currency'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(default, currency, "{tenant} got its own variables in its own database");
    }
    assert!(repo.ok(&["apply", "--env", "test"]).contains("0 migrated, 2 up to date"));
    let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
    for tenant in ["one", "two"] {
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {prefix}_{tenant} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

/// Two `apply` processes at once on one environment: every migration is applied exactly once.
async fn concurrent_applies_on(engine: &Engine) {
    let Some(url) = server(engine).await else { return };
    let prefix = format!("strata_conc_{}_{}", std::process::id(), engine.dialect);
    let tenants = ["t1", "t2", "t3", "t4"];
    let tenant_files: Vec<String> = tenants.iter().map(|t| format!("tenants/{t}/tenant.yaml")).collect();
    let mut files =
        vec![("modules/events/module.yaml", EVENTS_MODULE), ("modules/events/schema/01_events.sql", engine.events)];
    files.extend(
        tenant_files.iter().map(|p| (p.as_str(), "template: base\nmodules: [events]\nvars: { currency: USD }\n")),
    );
    let repo = project(engine, &prefix, &files);
    let namespaces: Vec<String> = tenants.iter().map(|t| format!("{prefix}_{t}")).collect();
    drop_namespaces(engine, &url, &namespaces).await;
    repo.commit("initial");
    let (a, b) = repo.run_twice_at_once(&["apply", "--env", "test"]);
    assert!(a.code == 0 && b.code == 0, "{}{}\n{}\n{}", a.stdout, b.stdout, a.stderr, b.stderr);
    for namespace in &namespaces {
        let ids: Vec<String> = history(engine, &url, namespace).await.into_iter().map(|(id, _)| id).collect();
        assert_eq!(
            ids,
            ["template.base/0001_init", "module.events/0001_init"],
            "{namespace}: each migration exactly once"
        );
    }
    drop_namespaces(engine, &url, &namespaces).await;
}

#[tokio::test]
async fn two_concurrent_applies_on_postgres_apply_each_migration_once() {
    concurrent_applies_on(&POSTGRES).await;
}

#[tokio::test]
async fn two_concurrent_applies_on_mariadb_apply_each_migration_once() {
    concurrent_applies_on(&MARIADB).await;
}
