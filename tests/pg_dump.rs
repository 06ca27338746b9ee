//! Today's `pg_dump --schema-only` as a template, as it is: a database holding every kind of
//! object a PostgreSQL schema commonly has (tests/fixtures/postgres_features.sql) is dumped by the
//! machine's pg_dump; the dump becomes a template; `strata commit`, `verify --dev-url` and `apply`
//! take it to two tenants, whose catalogs then equal the dumped database's; `drift` finds nothing.
//! A second change on top (a column, an index) goes the same way.

mod util;

use sqlx::Connection;
use util::engines::DEFAULT_PG_URL;
use util::Repo;

const FEATURES: &str = include_str!("fixtures/postgres_features.sql");

/// The machine's pg_dump, or `None` (a line on stderr) outside CI.
fn pg_dump(url: &str) -> Option<String> {
    let output = std::process::Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", "--no-privileges", "-n", "public", url])
        .output();
    match output {
        Ok(output) if output.status.success() => Some(String::from_utf8(output.stdout).unwrap()),
        Ok(output) => panic!("pg_dump failed: {}", String::from_utf8_lossy(&output.stderr)),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => panic!("CI=true and pg_dump cannot run: {e}"),
        Err(e) => {
            eprintln!("skipping: pg_dump cannot run ({e})");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pg_dump_is_a_template_as_it_is() {
    let Some(mut admin) = util::engines::postgres().await else { return };
    let url = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
    let prefix = format!("dump_{}", std::process::id());
    let source = format!("{prefix}_source");
    for sql in [format!("DROP DATABASE IF EXISTS {source}"), format!("CREATE DATABASE {source} TEMPLATE template0")] {
        sqlx::raw_sql(&sql).execute(&mut admin).await.unwrap();
    }
    let source_url = util::engines::with_database(&url, &source);
    let mut conn = sqlx::PgConnection::connect(&source_url).await.unwrap();
    sqlx::raw_sql(FEATURES).execute(&mut conn).await.unwrap();
    let Some(dump) = pg_dump(&source_url) else { return };
    assert!(dump.contains("CREATE SCHEMA public;") && dump.contains("OWNED BY"), "a pg_dump of today");
    std::env::set_var("STRATA_TEST_PG_URL", &url);
    let repo = Repo::with_files(&[
        ("strata.yaml", "name: app\ndialect: postgres\n"),
        ("templates/app/template.yaml", "name: app\nversion: 1.0.0\n"),
        ("templates/app/schema/schema.sql", &dump),
        (
            "environments/test.yaml",
            &format!("url: ${{STRATA_TEST_PG_URL}}\nisolation: schema\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"),
        ),
        ("tenants/a/tenant.yaml", "template: app\n"),
        ("tenants/b/tenant.yaml", "template: app\n"),
    ]);
    let step = |label: &str| {
        let verify = repo.run(&["verify", "--base", "HEAD~1", "--dev-url", &url]);
        assert_eq!(verify.code, 0, "{label}: verify\n{}{}", verify.stdout, verify.stderr);
        repo.ok(&["apply", "--env", "test"]);
        let drift = repo.run(&["drift", "--env", "test"]);
        assert_eq!(drift.code, 0, "{label}: drift\n{}{}", drift.stdout, drift.stderr);
    };
    tokio::task::block_in_place(|| {
        repo.commit("the dump as it is");
        step("the dump");
    });
    let expected = util::catalog::postgres(&mut conn, "public").await;
    assert!(expected.len() > 40, "the source holds {} objects", expected.len());
    for tenant in ["a", "b"] {
        let actual = util::catalog::postgres(&mut admin, &format!("{prefix}_{tenant}")).await;
        if let Some(difference) = util::catalog::difference(&actual, &expected) {
            panic!("tenant {tenant} differs from the dumped database:\n{difference}");
        }
    }
    // A second change, on the source and in the template alike.
    let change = "ALTER TABLE item ADD COLUMN sku text; CREATE INDEX item_sku ON item (sku) WHERE sku IS NOT NULL;";
    sqlx::raw_sql(change).execute(&mut conn).await.unwrap();
    let Some(dump) = pg_dump(&source_url) else { return };
    tokio::task::block_in_place(|| {
        repo.write("templates/app/schema/schema.sql", &dump);
        repo.write("templates/app/template.yaml", "name: app\nversion: 1.1.0\n");
        repo.commit("sku");
        step("the second change");
    });
    let expected = util::catalog::postgres(&mut conn, "public").await;
    for tenant in ["a", "b"] {
        let actual = util::catalog::postgres(&mut admin, &format!("{prefix}_{tenant}")).await;
        if let Some(difference) = util::catalog::difference(&actual, &expected) {
            panic!("after the second change, tenant {tenant} differs from the dumped database:\n{difference}");
        }
    }
    drop(conn);
    for sql in [
        format!("DROP DATABASE {source} WITH (FORCE)"),
        format!("DROP SCHEMA IF EXISTS {prefix}_a CASCADE"),
        format!("DROP SCHEMA IF EXISTS {prefix}_b CASCADE"),
    ] {
        sqlx::raw_sql(&sql).execute(&mut admin).await.unwrap();
    }
}
