//! Names PostgreSQL makes up for constraints written without one (#25 item 6): on a table whose
//! name is near the 63-byte limit, the server cuts them to 63 bytes. strata expected the uncut
//! names and read the cut ones back as differences: apply, then drift forever. A 63-byte table
//! with every kind of unnamed constraint now applies on the real server with no drift.

mod util;

use util::engines::DEFAULT_PG_URL;
use util::Repo;

const SCHEMA: &str = "templates/base/schema/01.sql";

/// A project of `dialect` whose template is `schema`, with one tenant and `env` (if any) as
/// `environments/test.yaml`.
fn project(dialect: &str, schema: &str, env: Option<&str>) -> Repo {
    let strata = format!("name: t\ndialect: {dialect}\n");
    let mut files = vec![
        ("strata.yaml", strata.as_str()),
        ("templates/base/template.yaml", "name: base\nversion: 1.0.0\n"),
        (SCHEMA, schema),
        ("tenants/acme/tenant.yaml", "template: base\n"),
    ];
    files.extend(env.map(|env| ("environments/test.yaml", env)));
    Repo::with_files(&files)
}

/// A 63-byte table with a primary key, a unique key, a foreign key and a check, none named:
/// PostgreSQL cuts the names it gives them to 63 bytes, and strata expects those cut names.
#[tokio::test]
async fn a_63_byte_postgres_name_applies_and_does_not_drift() {
    if util::engines::postgres().await.is_none() {
        return;
    }
    let url = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
    std::env::set_var("STRATA_TEST_PG_URL", &url);
    let prefix = format!("strata_identifiers_{}", std::process::id());
    let table = "a".repeat(63);
    let schema = format!(
        "CREATE TABLE p (id integer PRIMARY KEY);\n\
         CREATE TABLE {table} (id integer PRIMARY KEY, p_id integer REFERENCES p (id), code text UNIQUE, n integer CHECK (n > 0));\n"
    );
    let env = format!(
        "url: ${{STRATA_TEST_PG_URL}}\nisolation: schema\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"
    );
    let repo = project("postgres", &schema, Some(&env));
    let tenant = format!("{prefix}_acme");
    util::engines::drop_namespace(&url, true, &tenant).await;
    repo.commit("long names");
    let applied = repo.run(&["apply", "--env", "test"]);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    let drift = repo.run(&["drift", "--env", "test"]);
    util::engines::drop_namespace(&url, true, &tenant).await;
    assert_eq!(drift.code, 0, "no drift after apply:\n{}{}", drift.stdout, drift.stderr);
}
