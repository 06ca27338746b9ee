//! Where a tenant lands is its own place (#25 item 6): a tenant named or valued like a system
//! schema or database, two tenants whose database URLs name the same database, and a SQLite file
//! inside `.git/` were migrated into; each is now refused by `check` (exit 3) naming the
//! environment file and the tenant, with nothing written. None needs a server: `check` compares
//! rendered targets and URLs.

mod util;

use util::Repo;

/// `check` exits 3 for a problem it found (README, exit codes).
const PROBLEM: i32 = 3;

/// A one-table project of `dialect` with `env` as `environments/prod.yaml` and one tenant per
/// `(id, db)`, `db` its `vars.db`.
fn project(dialect: &str, env: &str, tenants: &[(&str, &str)]) -> Repo {
    let strata = format!("name: t\ndialect: {dialect}\n");
    let mut files: Vec<(String, String)> = vec![
        ("strata.yaml".into(), strata),
        ("templates/base/template.yaml".into(), "name: base\nversion: 1.0.0\n".into()),
        ("templates/base/schema/01.sql".into(), "CREATE TABLE t (id integer);\n".into()),
        ("environments/prod.yaml".into(), env.into()),
    ];
    for (id, db) in tenants {
        files.push((format!("tenants/{id}/tenant.yaml"), format!("template: base\nvars: {{ db: \"{db}\" }}\n")));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    Repo::with_files(&files)
}

/// `check` refuses the repository with exit 3, saying every piece of `expected`, changing nothing.
fn refused_by_check(repo: &Repo, expected: &[&str]) {
    let (head, status) = (repo.head(), repo.git_status());
    let run = repo.run(&["check"]);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, PROBLEM, "{said}");
    for needle in expected {
        assert!(said.contains(needle), "expected `{needle}` in:\n{said}");
    }
    assert_eq!((repo.head(), repo.git_status()), (head, status), "nothing is committed or written");
}

const PG_SCHEMAS: &str = "url: ${STRATA_TARGETS_PG}\nisolation: schema\ntarget: \"{{ tenant.id }}\"\n";
const MYSQL_DATABASES: &str = "url: ${STRATA_TARGETS_MYSQL}\nisolation: schema\ntarget: \"{{ tenant.vars.db }}\"\n";

#[test]
fn a_tenant_named_like_a_postgres_system_schema_is_refused() {
    for id in ["information_schema", "pg_catalog", "pg_temp_1"] {
        let repo = project("postgres", PG_SCHEMAS, &[(id, "x")]);
        refused_by_check(&repo, &["environments/prod.yaml", &format!("tenant {id}"), "system schema of PostgreSQL"]);
    }
}

#[test]
fn a_tenant_named_public_is_refused_but_an_environment_may_name_public_itself() {
    let repo = project("postgres", PG_SCHEMAS, &[("public", "x")]);
    refused_by_check(&repo, &["environments/prod.yaml", "tenant public", "every user of the server shares"]);
    let single =
        project("postgres", "url: ${STRATA_TARGETS_PG}\nisolation: schema\ntarget: public\n", &[("solo", "x")]);
    let run = single.run(&["check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn a_tenant_valued_like_a_mysql_system_database_is_refused() {
    for db in ["mysql", "sys", "information_schema", "Performance_Schema"] {
        let repo = project("mysql", MYSQL_DATABASES, &[("acme", db)]);
        refused_by_check(&repo, &["environments/prod.yaml", "tenant acme", "system database of MySQL/MariaDB"]);
    }
}

#[test]
fn two_mysql_tenants_whose_databases_differ_only_in_case_are_refused() {
    let repo = project("mysql", MYSQL_DATABASES, &[("acme", "Shop"), ("beta", "shop")]);
    refused_by_check(&repo, &["environments/prod.yaml", "tenants acme and beta both render"]);
}

#[test]
fn two_tenants_whose_database_urls_name_one_database_are_refused() {
    let env = "url: \"postgres://app:${STRATA_TARGETS_PW}@db.example/{{ tenant.vars.db }}\"\nisolation: database\ntarget: \"t_{{ tenant.id }}\"\n";
    let repo = project("postgres", env, &[("acme", "shared"), ("beta", "shared")]);
    refused_by_check(&repo, &["environments/prod.yaml", "tenants acme and beta both render", "db.example/shared"]);
}

#[test]
fn a_tenant_database_url_naming_a_template_database_is_refused() {
    let env =
        "url: \"postgres://app@db.example/{{ tenant.vars.db }}\"\nisolation: database\ntarget: \"t_{{ tenant.id }}\"\n";
    let repo = project("postgres", env, &[("acme", "template1")]);
    refused_by_check(&repo, &["environments/prod.yaml", "tenant acme", "template database of PostgreSQL"]);
}

#[test]
fn a_sqlite_target_inside_git_is_refused() {
    let env = "isolation: database\ntarget: \"{{ tenant.vars.db }}\"\ncreate_missing: true\n";
    let repo = project("sqlite", env, &[("acme", ".git/refs/heads/zz")]);
    refused_by_check(&repo, &["environments/prod.yaml", "tenant acme", "inside `.git`"]);
    assert!(!repo.path().join(".git/refs/heads/zz").exists());
}
