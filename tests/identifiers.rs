//! Names inside the schema that the engine would not keep as written (#25 item 6): longer than
//! PostgreSQL's 63 bytes or MySQL's 64 characters, or equal to another name of one namespace under
//! the engine's case folding (SQLite, MySQL). Each passed `commit`, then failed at apply (MySQL,
//! SQLite) or drifted forever (PostgreSQL cuts a long name silently). Now `check` refuses it
//! (exit 3) and `commit` writes nothing, both naming the file and line. What the engines accept
//! still works: PostgreSQL's quoted `"Foo"` beside `foo`, and a 63-byte PostgreSQL table whose
//! unnamed constraints PostgreSQL names by cutting, applied on the real server with no drift.

mod util;

use util::engines::DEFAULT_PG_URL;
use util::Repo;

/// `check` exits 3 for a problem it found (README, exit codes).
const PROBLEM: i32 = 3;

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

/// `check` refuses the schema with exit 3 and `commit` refuses to write, both saying every piece
/// of `expected`; the repository is as it was.
fn refused(dialect: &str, schema: &str, expected: &[&str]) {
    let repo = project(dialect, schema, None);
    let (head, status) = (repo.head(), repo.git_status());
    let check = repo.run(&["check"]);
    let said = format!("{}{}", check.stdout, check.stderr);
    assert_eq!(check.code, PROBLEM, "{said}");
    let commit = repo.run(&["commit", "-m", "refused"]);
    assert_ne!(commit.code, 0, "{}{}", commit.stdout, commit.stderr);
    for needle in expected {
        assert!(said.contains(needle), "check: expected `{needle}` in:\n{said}");
        assert!(commit.stderr.contains(needle), "commit: expected `{needle}` in:\n{}", commit.stderr);
    }
    assert_eq!((repo.head(), repo.git_status()), (head, status), "nothing is committed or written");
    assert!(!repo.path().join("migrations").exists(), "no migration is written");
}

#[test]
fn sqlite_tables_equal_but_for_case_are_refused() {
    refused(
        "sqlite",
        "CREATE TABLE Foo (id integer);\nCREATE TABLE \"FOO\" (id integer);\n",
        &[&format!("{SCHEMA}:2:"), "table FOO and table Foo are one name to SQLite"],
    );
}

#[test]
fn sqlite_columns_equal_but_for_case_are_refused() {
    refused(
        "sqlite",
        "-- members\nCREATE TABLE t (a integer, \"A\" text);\n",
        &[&format!("{SCHEMA}:2:"), "column t.A and column t.a are one name to SQLite"],
    );
}

#[test]
fn mysql_columns_equal_but_for_case_are_refused() {
    refused(
        "mysql",
        "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (id int, Email varchar(100), email varchar(100));\n",
        &[&format!("{SCHEMA}:2:"), "column t.email and column t.Email are one name to MySQL/MariaDB"],
    );
}

#[test]
fn mysql_index_names_equal_but_for_case_are_refused() {
    refused(
        "mysql",
        "CREATE TABLE t (a int, b int);\nCREATE INDEX t_idx ON t (a);\nCREATE INDEX T_IDX ON t (b);\n",
        &[&format!("{SCHEMA}:3:"), "index T_IDX and index t_idx are one name to MySQL/MariaDB"],
    );
}

#[test]
fn a_postgres_table_name_over_63_bytes_is_refused() {
    let name = "a".repeat(64);
    refused(
        "postgres",
        &format!("CREATE TABLE ok (id integer);\nCREATE TABLE {name} (id integer);\n"),
        &[&format!("{SCHEMA}:2: table {name}: the name is 64 bytes long; PostgreSQL keeps 63 bytes")],
    );
}

#[test]
fn a_mysql_column_name_over_64_characters_is_refused() {
    let name = "c".repeat(65);
    refused(
        "mysql",
        &format!("CREATE TABLE ok (id int);\nCREATE TABLE t (id int, {name} int);\n"),
        &[&format!("{SCHEMA}:2: column t.{name}: the name is 65 characters long; MySQL/MariaDB refuses names over 64")],
    );
}

#[test]
fn a_mysql_foreign_key_the_engine_would_name_too_long_is_refused() {
    let table = "t".repeat(60);
    refused(
        "mysql",
        &format!("CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE {table} (p_id int REFERENCES p (id));\n"),
        &[&format!("{SCHEMA}:2: constraint {table}_ibfk_1"), "give the foreign key a shorter name"],
    );
}

#[test]
fn postgres_keeps_quoted_case_apart() {
    let repo = project("postgres", "CREATE TABLE \"Foo\" (id integer);\nCREATE TABLE foo (id integer);\n", None);
    let check = repo.run(&["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    repo.commit("two tables");
    let migration = repo.read("migrations/templates/base/0001_init.up.sql");
    assert!(migration.contains("\"Foo\"") && migration.contains("TABLE foo"), "{migration}");
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
