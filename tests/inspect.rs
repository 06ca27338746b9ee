//! `strata inspect` round trips: a database loaded directly from a real project's schema file (no
//! strata involved) is inspected into files, the files become a template, the template is applied
//! to an empty tenant, and the tenant's catalog equals the loaded database's. On PostgreSQL
//! (Pagila, Chinook) and MariaDB (Chinook), and on both engines' starters as strata applied them.

mod util;

use sqlx::{Connection, MySqlConnection, PgConnection};
use util::engines::{with_database, DEFAULT_MYSQL_URL, DEFAULT_PG_URL};
use util::servers::{init_starter, ok, Server, MARIADB, POSTGRES};
use util::Repo;

/// A project of one template whose `schema/` is what `strata inspect` wrote, one tenant, its
/// environment on `variable`'s server; the tenant is applied.
fn template_from_inspect(dialect: &str, url: &str, schema: Option<&str>, variable: &str, target: &str) -> Repo {
    let repo = Repo::with_files(&[
        ("strata.yaml", &format!("name: inspected\ndialect: {dialect}\n")),
        ("templates/app/template.yaml", "name: app\nversion: 1.0.0\n"),
        ("tenants/one/tenant.yaml", "template: app\n"),
        (
            "environments/test.yaml",
            &format!(
                "url: ${{{variable}}}\nisolation: {}\ntarget: \"{target}\"\ncreate_missing: true\n",
                if dialect == "postgres" { "schema" } else { "database" }
            ),
        ),
    ]);
    let mut args = vec!["inspect", "--url", url, "--out", "templates/app/schema"];
    if let Some(schema) = schema {
        args.extend(["--schema", schema]);
    }
    let said = repo.ok(&args);
    assert!(said.contains(&format!("{dialect} files to templates/app/schema")), "{said}");
    repo.commit("the inspected schema as the template");
    let applied = repo.ok(&["apply", "--env", "test"]);
    assert!(applied.contains("1 migrated"), "{applied}");
    let drift = repo.run(&["drift", "--env", "test"]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    repo
}

async fn postgres_round_trip(file: &str, loaded_from: &str) {
    let Some(mut admin) = util::engines::postgres().await else { return };
    let Some(sql) = util::corpus::read(file) else { return };
    let url = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
    let prefix = format!("insp_{}_{loaded_from}", std::process::id());
    let source = format!("{prefix}_source");
    for statement in
        [format!("DROP DATABASE IF EXISTS {source}"), format!("CREATE DATABASE {source} TEMPLATE template0")]
    {
        sqlx::raw_sql(&statement).execute(&mut admin).await.expect("a database to load into");
    }
    let source_url = with_database(&url, &source);
    let mut loaded = PgConnection::connect(&source_url).await.expect("connect");
    sqlx::raw_sql(&sql).execute(&mut loaded).await.expect("the file loads as it is");
    std::env::set_var("STRATA_TEST_PG_URL", &url);
    let target = format!("{prefix}_{{{{ tenant.id }}}}");
    tokio::task::block_in_place(|| {
        template_from_inspect("postgres", &source_url, Some("public"), "STRATA_TEST_PG_URL", &target)
    });
    let expected = util::catalog::postgres(&mut loaded, "public").await;
    let actual = util::catalog::postgres(&mut admin, &format!("{prefix}_one")).await;
    assert!(expected.len() > 20, "{file}: the loaded database holds {} objects", expected.len());
    if let Some(difference) = util::catalog::difference(&actual, &expected) {
        panic!("{file}: the tenant differs from the inspected database:\n{difference}");
    }
    drop(loaded);
    for statement in
        [format!("DROP DATABASE {source} WITH (FORCE)"), format!("DROP SCHEMA IF EXISTS {prefix}_one CASCADE")]
    {
        sqlx::raw_sql(&statement).execute(&mut admin).await.expect("clean up");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pagila_round_trips_through_inspect_on_postgres() {
    postgres_round_trip("pagila.postgres.sql", "pagila").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chinook_round_trips_through_inspect_on_postgres() {
    postgres_round_trip("chinook.postgres.sql", "chinook").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chinook_round_trips_through_inspect_on_mariadb() {
    let Some(mut admin) = util::engines::mysql().await else { return };
    let Some(sql) = util::corpus::read("chinook.mysql.sql") else { return };
    let url = std::env::var("STRATA_TEST_MYSQL_URL").unwrap_or_else(|_| DEFAULT_MYSQL_URL.to_string());
    let prefix = format!("insp_{}_chinook", std::process::id());
    let source = format!("{prefix}_source");
    for statement in [format!("DROP DATABASE IF EXISTS {source}"), format!("CREATE DATABASE {source}")] {
        sqlx::raw_sql(&statement).execute(&mut admin).await.expect("a database to load into");
    }
    let source_url = with_database(&url, &source);
    let mut loaded = MySqlConnection::connect(&source_url).await.expect("connect");
    sqlx::raw_sql(&sql).execute(&mut loaded).await.expect("the file loads as it is");
    std::env::set_var("STRATA_TEST_MYSQL_URL", &url);
    let target = format!("{prefix}_{{{{ tenant.id }}}}");
    tokio::task::block_in_place(|| template_from_inspect("mysql", &source_url, None, "STRATA_TEST_MYSQL_URL", &target));
    let expected = util::catalog::mysql(&mut loaded, &source).await;
    let actual = util::catalog::mysql(&mut admin, &format!("{prefix}_one")).await;
    assert!(expected.len() > 20, "the loaded database holds {} objects", expected.len());
    if let Some(difference) = util::catalog::difference(&actual, &expected) {
        panic!("chinook on MariaDB: the tenant differs from the inspected database:\n{difference}");
    }
    for statement in [format!("DROP DATABASE {source}"), format!("DROP DATABASE IF EXISTS {prefix}_one")] {
        sqlx::raw_sql(&statement).execute(&mut admin).await.expect("clean up");
    }
}

/// The starter of `server`'s dialect, applied by strata; its richest tenant (`nrna`: three modules
/// and an overlay) inspected into a template of another project and applied there: the two
/// tenants' catalogs are equal.
async fn the_starter_round_trips_through_inspect(server: &Server) {
    if !server.ready().await {
        return;
    }
    let family = format!("insp_starter_{}_", server.dialect);
    server.drop_prefixed(&family).await;
    let prefix = format!("{family}{}", std::process::id());
    let url = server.url();
    let starter = init_starter(server.dialect, &prefix);
    starter.git_commit_all("test tenants get a prefix of their own");
    ok(&starter, &url, &["commit", "-m", "first release"]);
    ok(&starter, &url, &["apply", "--env", "local", "--tenant", "nrna"]);
    let applied = format!("{prefix}_nrna");
    let target = format!("{prefix}_copy_{{{{ tenant.id }}}}");
    let copy = format!("{prefix}_copy_one");
    let (expected, actual) = if server.postgres() {
        std::env::set_var("STRATA_TEST_PG_URL", &url);
        tokio::task::block_in_place(|| {
            template_from_inspect("postgres", &url, Some(&applied), "STRATA_TEST_PG_URL", &target)
        });
        let mut conn = PgConnection::connect(&url).await.expect("connect");
        (util::catalog::postgres(&mut conn, &applied).await, util::catalog::postgres(&mut conn, &copy).await)
    } else {
        std::env::set_var("STRATA_TEST_MYSQL_URL", &url);
        let source_url = with_database(&url, &applied);
        tokio::task::block_in_place(|| {
            template_from_inspect("mysql", &source_url, None, "STRATA_TEST_MYSQL_URL", &target)
        });
        let mut conn = MySqlConnection::connect(&url).await.expect("connect");
        (util::catalog::mysql(&mut conn, &applied).await, util::catalog::mysql(&mut conn, &copy).await)
    };
    // Both hold a strata_history table of the same shape (inspect leaves it out; apply makes it).
    assert!(expected.len() > 20, "the starter tenant holds {} objects", expected.len());
    if let Some(difference) = util::catalog::difference(&actual, &expected) {
        panic!("the {} starter: the copy differs from the inspected tenant:\n{difference}", server.dialect);
    }
    server.drop_prefixed(&prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_postgres_starter_round_trips_through_inspect() {
    the_starter_round_trips_through_inspect(&POSTGRES).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mysql_starter_round_trips_through_inspect() {
    the_starter_round_trips_through_inspect(&MARIADB).await;
}

/// What cannot be inspected is refused before anything is written: a flag of the other engine,
/// and a schema with nothing in it.
#[tokio::test(flavor = "multi_thread")]
async fn inspect_refuses_the_other_engines_flag_and_an_empty_schema() {
    let repo = Repo::with_files(&[]);
    let run = repo.run(&["inspect", "--url", "mysql://root@127.0.0.1:3306/test", "--schema", "tenant_acme"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--schema is for PostgreSQL; MySQL reads a database: --database D"), "{}", run.stderr);
    let Some(mut admin) = util::engines::postgres().await else { return };
    let empty = format!("insp_empty_{}", std::process::id());
    sqlx::raw_sql(&format!("CREATE SCHEMA {empty}")).execute(&mut admin).await.expect("create");
    let url = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
    let run = tokio::task::block_in_place(|| repo.run(&["inspect", "--url", &url, "--schema", &empty, "--out", "x"]));
    sqlx::raw_sql(&format!("DROP SCHEMA {empty}")).execute(&mut admin).await.expect("drop");
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains(&format!("schema {empty} holds no table")), "{}", run.stderr);
    assert!(!repo.path().join("x").exists(), "nothing written");
}
