//! A fleet rollout against servers that misbehave: one that stops answering mid-rollout, a table
//! lock held by an application's transaction, a server that refuses everyone. Each must end as
//! bounded per-tenant failures (or one message), never a hang, and a later run converges. A
//! server (or role) with few connection slots gets a rollout no wider than it has room for, and a
//! connection it turns away is tried again (#25 item 10).

mod util;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};
use util::proxy::Proxy;
use util::Repo;

const TIMEOUTS: &str = "timeouts: { connect: 1s, statement: 2s, lock: 1s }\n";

/// The PostgreSQL test server's URL, or `None` when it is not there (outside CI).
async fn server() -> Option<String> {
    util::engines::postgres().await?;
    Some(std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| util::engines::DEFAULT_PG_URL.to_string()))
}

/// A PostgreSQL project of `tenants` tenants, schema per tenant, whose URL comes from `variable`.
fn project(prefix: &str, tenants: usize, variable: &str, rollout: &str) -> Repo {
    let mut files = vec![
        ("strata.yaml".to_string(), "name: faults\ndialect: postgres\n".to_string()),
        ("templates/base/template.yaml".to_string(), "name: base\nversion: 1.0.0\n".to_string()),
        ("templates/base/schema/01.sql".to_string(), "CREATE TABLE t (id integer PRIMARY KEY);\n".to_string()),
        (
            "environments/test.yaml".to_string(),
            format!("url: ${{{variable}}}\nisolation: schema\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n{TIMEOUTS}{rollout}"),
        ),
    ];
    for n in 0..tenants {
        files.push((format!("tenants/t{n:02}/tenant.yaml"), "template: base\n".to_string()));
    }
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    Repo::with_files(&borrowed)
}

/// Adds a column to the template: a second release for every tenant.
fn second_release(repo: &Repo) {
    repo.write("templates/base/schema/01.sql", "CREATE TABLE t (id integer PRIMARY KEY, note text);\n");
    repo.write("templates/base/template.yaml", "name: base\nversion: 1.1.0\n");
    repo.commit("note");
}

/// `host:port` of a URL such as `postgres://user@127.0.0.1:5432/db`.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split('/').next().unwrap_or(rest).to_string()
}

async fn drop_schemas(url: &str, prefix: &str, tenants: usize) {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    for n in 0..tenants {
        let sql = format!("DROP SCHEMA IF EXISTS {prefix}_t{n:02} CASCADE");
        sqlx::raw_sql(&sql).execute(&mut conn).await.expect("drop schema");
    }
}

async fn has_note(url: &str, schema: &str) -> bool {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    let found: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 't' AND column_name = 'note'",
    )
    .bind(schema)
    .fetch_optional(&mut conn)
    .await
    .expect("catalog");
    found.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stops_answering_mid_rollout_fails_tenants_in_bounded_time_and_a_rerun_converges() {
    let Some(url) = server().await else { return };
    let upstream = host_port(&url);
    let proxy = Proxy::start(&upstream).await;
    let proxied = url.replacen(&upstream, &format!("127.0.0.1:{}", proxy.port), 1);
    let prefix = format!("strata_frozen_{}", std::process::id());
    let tenants = 12;
    let repo = project(&prefix, tenants, "STRATA_FROZEN_URL", "rollout: { concurrency: 1 }\n");
    std::env::set_var("STRATA_FROZEN_URL", &proxied);
    repo.commit("initial");
    let first = tokio::task::block_in_place(|| repo.run(&["apply", "--env", "test"]));
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    second_release(&repo);

    // The server stops answering once the first tenant has been migrated.
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["--repo", &repo.path().display().to_string(), "apply", "--env", "test"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strata runs");
    let stdout = child.stdout.take().expect("stdout");
    let lines = tokio::task::block_in_place(|| {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.is_empty() {
                proxy.freeze();
            }
            lines.push(line);
        }
        lines
    });
    let status = tokio::task::block_in_place(|| child.wait()).expect("strata ends");
    let elapsed = started.elapsed();
    let said = lines.join("\n");
    assert_eq!(status.code(), Some(4), "failed tenants are exit 4:\n{said}");
    let failed: Vec<&String> = lines.iter().filter(|l| l.contains("FAILED")).collect();
    assert!(failed.len() >= tenants - 2, "the tenants after the freeze failed:\n{said}");
    assert!(failed.iter().all(|l| l.contains("no answer from the server within")), "each says it timed out:\n{said}");
    // One tenant at a time, each bounded by its connect or step timeout (1 s + 2 s + 1 s + 1 s).
    let bound = Duration::from_secs(5 * tenants as u64 + 10);
    eprintln!("frozen after the first tenant: {} of {tenants} failed, the run ended after {elapsed:?}", failed.len());
    assert!(elapsed < bound, "the rollout took {elapsed:?}, more than {bound:?}:\n{said}");

    proxy.thaw();
    let rerun = tokio::task::block_in_place(|| repo.run(&["apply", "--env", "test"]));
    assert_eq!(rerun.code, 0, "the rerun converges:\n{}{}", rerun.stdout, rerun.stderr);
    for n in 0..tenants {
        assert!(has_note(&url, &format!("{prefix}_t{n:02}")).await, "t{n:02} got the second release");
    }
    drop_schemas(&url, &prefix, tenants).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_table_lock_fails_its_tenant_within_the_lock_timeout_and_never_queues_the_application() {
    let Some(url) = server().await else { return };
    let prefix = format!("strata_locked_{}", std::process::id());
    let repo = project(&prefix, 3, "STRATA_LOCKED_URL", "");
    std::env::set_var("STRATA_LOCKED_URL", &url);
    repo.commit("initial");
    let first = tokio::task::block_in_place(|| repo.run(&["apply", "--env", "test"]));
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    second_release(&repo);

    // The application holds a read lock on t00's table in an open transaction.
    let mut holder = PgConnection::connect(&url).await.expect("connect");
    sqlx::raw_sql(&format!("BEGIN; SELECT count(*) FROM {prefix}_t00.t")).execute(&mut holder).await.expect("hold");
    let repo_path = repo.path().to_path_buf();
    let apply = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(["--repo", &repo_path.display().to_string(), "apply", "--env", "test"])
            .output()
            .expect("strata runs")
    });
    // Once strata's ALTER waits for the lock, another application query arrives on the table.
    let mut app = PgConnection::connect(&url).await.expect("connect");
    let waiting = "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT l.granted AND n.nspname = $1";
    let schema = format!("{prefix}_t00");
    let mut queued = None;
    for _ in 0..200 {
        let count: i64 = sqlx::query_scalar(waiting).bind(&schema).fetch_one(&mut app).await.expect("pg_locks");
        if count > 0 {
            let asked = Instant::now();
            sqlx::raw_sql(&format!("SELECT count(*) FROM {schema}.t")).execute(&mut app).await.expect("app query");
            queued = Some(asked.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let output = apply.await.expect("apply thread");
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let queued = queued.expect("strata's ALTER was seen waiting for the lock");
    eprintln!("the application's query waited {queued:?} behind strata's ALTER");
    assert!(queued < Duration::from_millis(2500), "the application waited {queued:?} behind strata:\n{said}");
    assert_eq!(output.status.code(), Some(4), "{said}");
    let line = said.lines().find(|l| l.starts_with("t00:")).unwrap_or_default();
    assert!(line.contains("waited 1s for a lock") && line.contains("held by pid"), "t00 says what blocked it:\n{said}");
    assert!(line.contains("SELECT count(*)"), "the blocking session's query is named:\n{said}");
    assert!(said.contains("t01: applied") && said.contains("t02: applied"), "the other tenants migrate:\n{said}");

    sqlx::raw_sql("COMMIT").execute(&mut holder).await.expect("release");
    let rerun = tokio::task::block_in_place(|| repo.run(&["apply", "--env", "test"]));
    assert_eq!(rerun.code, 0, "the next run retries t00:\n{}{}", rerun.stdout, rerun.stderr);
    assert!(has_note(&url, &schema).await);
    drop_schemas(&url, &prefix, 3).await;
}

#[test]
fn a_server_that_refuses_everyone_is_one_message_not_one_per_tenant() {
    let prefix = format!("strata_refused_{}", std::process::id());
    let repo = project(&prefix, 20, "STRATA_REFUSED_URL", "");
    // Nothing listens on port 1; and a password that must never be printed.
    std::env::set_var("STRATA_REFUSED_URL", "postgres://postgres:Sup3rSecret@127.0.0.1:1/postgres");
    repo.commit("initial");
    let run = repo.run(&["apply", "--env", "test"]);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, 4, "{said}");
    assert_eq!(said.matches("cannot reach the server of environment test").count(), 1, "{said}");
    assert!(said.contains("127.0.0.1:1") && !said.contains("Sup3rSecret"), "the server, not its password:\n{said}");
    assert!(!said.contains("FAILED"), "no tenant was tried:\n{said}");
}

/// A role of the test server allowed `limit` connections (not a superuser: PostgreSQL holds only
/// other roles to a connection limit), able to create schemas; and the URL that logs in as it.
async fn limited_role(url: &str, role: &str, limit: usize) -> String {
    let mut admin = PgConnection::connect(url).await.expect("connect");
    let sql = format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN CONNECTION LIMIT {limit}; \
         DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO {role}', current_database()); END $$"
    );
    sqlx::raw_sql(&sql).execute(&mut admin).await.expect("create the role");
    let database = url.rsplit('/').next().unwrap_or("postgres").split('?').next().unwrap_or("postgres");
    format!("postgres://{role}@{}/{database}", host_port(url))
}

/// Drops what the role made, then the role.
async fn drop_role(url: &str, role: &str, prefix: &str, tenants: usize) {
    drop_schemas(url, prefix, tenants).await;
    let mut admin = PgConnection::connect(url).await.expect("connect");
    let sql = format!("DROP OWNED BY {role}; DROP ROLE {role}");
    sqlx::raw_sql(&sql).execute(&mut admin).await.expect("drop the role");
}

/// 12 tenants 10 at once, as a role allowed 3 connections: the rollout is clamped to what the
/// role has to spare and says so, and every tenant is applied. (It used to fail most of them with
/// "too many connections for role".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_wider_than_the_role_allows_is_clamped_and_applies_every_tenant() {
    let Some(url) = server().await else { return };
    let role = format!("strata_limited_{}", std::process::id());
    let prefix = format!("strata_limited_{}", std::process::id());
    let limited = limited_role(&url, &role, 3).await;
    let repo = project(&prefix, 12, "STRATA_LIMITED_URL", "");
    std::env::set_var("STRATA_LIMITED_URL", &limited);
    repo.commit("initial");
    let run = tokio::task::block_in_place(|| repo.run(&["apply", "--env", "test", "--concurrency", "10"]));
    let said = format!("{}{}", run.stdout, run.stderr);
    drop_role(&url, &role, &prefix, 12).await;
    assert_eq!(run.code, 0, "{said}");
    assert!(
        said.contains("concurrency 10 clamped to ")
            && said.contains(&format!("role {role}'s CONNECTION LIMIT 3, 0 in use")),
        "{said}"
    );
    assert!(said.contains("12 migrated"), "{said}");
}

/// Every slot of the role taken by another client for a moment: the rollout's connections are
/// turned away ("too many connections for role") and tried again with pauses, and get in once the
/// other client is gone, within the connect timeout. (They used to fail at once.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_turned_away_for_want_of_slots_is_tried_again() {
    let Some(url) = server().await else { return };
    let role = format!("strata_crowded_{}", std::process::id());
    let prefix = format!("strata_crowded_{}", std::process::id());
    let limited = limited_role(&url, &role, 2).await;
    let repo = project(&prefix, 2, "STRATA_CROWDED_URL", "");
    // Room for the pauses (0.1 s, 0.2 s, 0.4 s... 3.1 s in all) to outlast the other client.
    let environment = repo.read("environments/test.yaml").replace("connect: 1s", "connect: 5s");
    repo.write("environments/test.yaml", &environment);
    std::env::set_var("STRATA_CROWDED_URL", &limited);
    repo.commit("initial");
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(PgConnection::connect(&limited).await.expect("the role's slots"));
    }
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("--repo")
        .arg(repo.path())
        .args(["apply", "--env", "test", "--concurrency", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strata runs");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for conn in held {
        conn.close().await.expect("close");
    }
    let output = tokio::task::block_in_place(|| run.wait_with_output()).expect("strata ends");
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    drop_role(&url, &role, &prefix, 2).await;
    assert_eq!(output.status.code(), Some(0), "{said}");
    assert!(said.contains("2 migrated"), "{said}");
}

/// The same on MariaDB, as a user created `WITH MAX_USER_CONNECTIONS 3`: the session's
/// `max_user_connections` shows the user's own limit, and the rollout keeps to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_wider_than_the_mariadb_user_allows_is_clamped_and_applies_every_tenant() {
    if util::engines::mysql().await.is_none() {
        return;
    }
    let url = std::env::var("STRATA_TEST_MYSQL_URL").unwrap_or_else(|_| util::engines::DEFAULT_MYSQL_URL.to_string());
    let user = format!("strata_lim_{}", std::process::id());
    let mut admin = sqlx::MySqlConnection::connect(&url).await.expect("connect");
    let sql = format!(
        "DROP USER IF EXISTS '{user}'@'%'; CREATE USER '{user}'@'%' WITH MAX_USER_CONNECTIONS 3; \
         GRANT ALL PRIVILEGES ON `{}\\_%`.* TO '{user}'@'%'",
        user.replace('_', "\\_")
    );
    sqlx::raw_sql(&sql).execute(&mut admin).await.expect("create the user");
    let repo = project(&user, 12, "STRATA_LIMITED_MYSQL_URL", "");
    repo.write("strata.yaml", "name: faults\ndialect: mysql\n");
    let environment = repo.read("environments/test.yaml").replace("isolation: schema", "isolation: database");
    repo.write("environments/test.yaml", &environment);
    std::env::set_var("STRATA_LIMITED_MYSQL_URL", format!("mysql://{user}@{}/", host_port(&url)));
    repo.commit("initial");
    let run = tokio::task::block_in_place(|| repo.run(&["apply", "--env", "test", "--concurrency", "10"]));
    let said = format!("{}{}", run.stdout, run.stderr);
    for n in 0..12 {
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{user}_t{n:02}`")).execute(&mut admin).await.expect("drop");
    }
    sqlx::raw_sql(&format!("DROP USER '{user}'@'%'")).execute(&mut admin).await.expect("drop the user");
    assert_eq!(run.code, 0, "{said}");
    assert!(said.contains("concurrency 10 clamped to ") && said.contains("max_user_connections 3, 0 in use"), "{said}");
    assert!(said.contains("12 migrated"), "{said}");
}
