//! Real-world schemas nobody here wrote (../shared/corpus/, read unchanged): Chinook on SQLite,
//! PostgreSQL and MariaDB becomes a template of 20 tenants; commit -> verify -> apply -> no drift,
//! then a realistic change -> commit -> verify -> apply -> still no drift.

mod util;

use util::engines::{DEFAULT_MYSQL_URL, DEFAULT_PG_URL};
use util::Repo;

const TENANTS: usize = 20;

struct Case {
    dialect: &'static str,
    file: &'static str,
    /// The environment file's settings besides `target`.
    environment: &'static str,
    /// A realistic edit of the file: (text to find, replacement).
    change: (&'static str, &'static str),
}

fn run_case(case: &Case, url: Option<&str>, prefix: &str) {
    let Some(schema) = util::corpus::read(case.file) else { return };
    let mut files: Vec<(String, String)> = vec![
        ("strata.yaml".into(), format!("name: chinook\ndialect: {}\n", case.dialect)),
        ("templates/chinook/template.yaml".into(), "name: chinook\nversion: 1.0.0\n".into()),
        ("templates/chinook/schema/01_chinook.sql".into(), schema.clone()),
        (
            "environments/test.yaml".into(),
            format!("{}target: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n", case.environment),
        ),
    ];
    for i in 0..TENANTS {
        files.push((format!("tenants/c{i:02}/tenant.yaml"), "template: chinook\n".into()));
    }
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    let repo = Repo::with_files(&borrowed);
    let mut verify = vec!["verify", "--base", "HEAD"];
    if let Some(url) = url {
        verify.extend(["--dev-url", url]);
    }
    let check = |stage: &str| {
        let run = repo.run(&verify);
        assert_eq!(run.code, 0, "{} {stage}: verify\n{}", case.file, run.stdout);
        let out = repo.ok(&["apply", "--env", "test"]);
        assert!(out.contains(&format!("{TENANTS} tenants")), "{out}");
        let drift = repo.run(&["drift", "--env", "test"]);
        assert_eq!(drift.code, 0, "{} {stage}: drift\n{}", case.file, drift.stdout);
        assert!(drift.stdout.contains(": 0 drifted"), "{}", drift.stdout);
    };
    repo.commit("chinook as it is");
    check("as is");
    let (find, replace) = case.change;
    assert!(schema.contains(find), "{}: `{find}` not found", case.file);
    let path = "templates/chinook/schema/01_chinook.sql";
    repo.write(path, &schema.replacen(find, replace, 1));
    repo.write("templates/chinook/template.yaml", "name: chinook\nversion: 1.1.0\n");
    repo.commit("album release year");
    check("after the change");
}

fn drop_namespaces(url: &str, postgres: bool, prefix: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for i in 0..TENANTS {
            util::engines::drop_namespace(url, postgres, &format!("{prefix}_c{i:02}")).await;
        }
    });
}

/// A case on a server, its schemas (PostgreSQL) or databases (MySQL) dropped before and after.
async fn on_server(case: Case, url: String, prefix: String, postgres: bool) {
    tokio::task::spawn_blocking(move || {
        drop_namespaces(&url, postgres, &prefix);
        run_case(&case, Some(&url), &prefix);
        drop_namespaces(&url, postgres, &prefix);
    })
    .await
    .unwrap();
}

#[test]
fn chinook_on_sqlite() {
    let case = Case {
        dialect: "sqlite",
        file: "chinook.sqlite.sql",
        environment: "isolation: database\n",
        change: (
            "    [Title] NVARCHAR(160)  NOT NULL,\n",
            "    [Title] NVARCHAR(160)  NOT NULL,\n    [ReleaseYear] INTEGER,\n",
        ),
    };
    // SQLite targets are files relative to the repository.
    run_case(&case, None, ".strata/chinook");
}

#[tokio::test(flavor = "multi_thread")]
async fn chinook_on_postgres_with_a_schema_per_tenant() {
    if util::engines::postgres().await.is_none() {
        return;
    }
    let url = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
    std::env::set_var("STRATA_TEST_PG_URL", &url);
    let prefix = format!("chinook_{}", std::process::id());
    let case = Case {
        dialect: "postgres",
        file: "chinook.postgres.sql",
        environment: "url: ${STRATA_TEST_PG_URL}\nisolation: schema\n",
        change: ("    title VARCHAR(160) NOT NULL,\n", "    title VARCHAR(160) NOT NULL,\n    release_year INT,\n"),
    };
    on_server(case, url, prefix, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chinook_on_mariadb_with_a_database_per_tenant() {
    if util::engines::mysql().await.is_none() {
        return;
    }
    let url = std::env::var("STRATA_TEST_MYSQL_URL").unwrap_or_else(|_| DEFAULT_MYSQL_URL.to_string());
    std::env::set_var("STRATA_TEST_MYSQL_URL", &url);
    let prefix = format!("chinook_{}", std::process::id());
    let case = Case {
        dialect: "mysql",
        file: "chinook.mysql.sql",
        environment: "url: ${STRATA_TEST_MYSQL_URL}\nisolation: database\n",
        change: (
            "    `Title` NVARCHAR(160) NOT NULL,\n",
            "    `Title` NVARCHAR(160) NOT NULL,\n    `ReleaseYear` INT,\n",
        ),
    };
    on_server(case, url, prefix, false).await;
}

/// Pagila's pg_dump unchanged as the template of 20 tenants on PostgreSQL (a schema each):
/// the pg_dump noise is listed once, commit -> verify -> apply -> no drift; then a changed
/// function body and a new column -> commit -> verify -> apply -> still no drift.
#[tokio::test(flavor = "multi_thread")]
async fn pagila_on_postgres_with_a_schema_per_tenant() {
    if util::engines::postgres().await.is_none() {
        return;
    }
    let Some(schema) = util::corpus::read("pagila.postgres.sql") else { return };
    let url = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
    std::env::set_var("STRATA_TEST_PG_URL", &url);
    let prefix = format!("pagila_{}", std::process::id());
    let (u, p) = (url.clone(), prefix.clone());
    tokio::task::spawn_blocking(move || {
        drop_namespaces(&u, true, &p);
        let mut files: Vec<(String, String)> = vec![
            ("strata.yaml".into(), "name: pagila\ndialect: postgres\n".into()),
            ("templates/pagila/template.yaml".into(), "name: pagila\nversion: 1.0.0\n".into()),
            ("templates/pagila/schema/01_pagila.sql".into(), schema.clone()),
            (
                "environments/test.yaml".into(),
                format!("url: ${{STRATA_TEST_PG_URL}}\nisolation: schema\ntarget: \"{p}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"),
            ),
        ];
        for i in 0..TENANTS {
            files.push((format!("tenants/c{i:02}/tenant.yaml"), "template: pagila\n".into()));
        }
        let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
        let repo = Repo::with_files(&borrowed);
        let plan = repo.ok(&["plan"]);
        assert_eq!(
            plan.matches("ignored 119 session and ownership statements in schema files: 2 GRANT/REVOKE, 105 OWNER TO, 11 SET, 1 set_config").count(),
            1,
            "{plan}"
        );
        let check = |stage: &str| {
            let verify = repo.run(&["verify", "--base", "HEAD", "--dev-url", &u]);
            assert_eq!(verify.code, 0, "pagila {stage}: verify\n{}", verify.stdout);
            let out = repo.ok(&["apply", "--env", "test"]);
            assert!(out.contains(&format!("{TENANTS} tenants")) && out.contains(" 0 failed"), "{out}");
            let drift = repo.run(&["drift", "--env", "test"]);
            assert_eq!(drift.code, 0, "pagila {stage}: drift\n{}", drift.stdout);
        };
        repo.commit("pagila as it is");
        check("as is");
        let path = "templates/pagila/schema/01_pagila.sql";
        let changed = schema
            .replacen("NEW.last_update = CURRENT_TIMESTAMP;", "NEW.last_update = clock_timestamp();", 1)
            .replacen("    last_name text NOT NULL,\n", "    last_name text NOT NULL,\n    nickname text,\n", 1);
        assert_ne!(changed, schema, "the change applies to the file");
        repo.write(path, &changed);
        repo.write("templates/pagila/template.yaml", "name: pagila\nversion: 1.1.0\n");
        repo.commit("clock and nickname");
        let up = std::fs::read_dir(repo.path().join("migrations/templates/pagila"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("0002_") && p.to_string_lossy().ends_with(".up.sql"))
            .unwrap();
        let up = std::fs::read_to_string(up).unwrap();
        assert!(up.contains("CREATE OR REPLACE FUNCTION last_updated()"), "{up}");
        assert!(up.contains("ADD COLUMN nickname text"), "{up}");
        check("after the change");
        drop_namespaces(&u, true, &p);
    })
    .await
    .unwrap();
}

/// Pagila's generated migrations, applied to an empty schema and read back, have the Merkle root
/// of the file as parsed.
#[tokio::test]
async fn pagila_migrations_rebuild_the_file_merkle_root() {
    let Some(schema) = util::corpus::read("pagila.postgres.sql") else { return };
    let Some(mut scratch) = util::engines::Scratch::new(strata::dialect::Dialect::Postgres).await else { return };
    let dialect = strata::dialect::Dialect::Postgres;
    let declared = util::roundtrip::parse(dialect, &schema);
    let up = util::roundtrip::migration(dialect, &strata::schema::Schema::default(), &declared).unwrap();
    scratch.run(&up).await.unwrap();
    let live = scratch.inspect().await;
    scratch.cleanup().await;
    assert_eq!(declared.tables.len(), 70, "69 tables and the partitioned parent");
    assert_eq!(declared.views.len(), 8);
    assert_eq!(
        strata::schema::hash::root(&live),
        strata::schema::hash::root(&declared),
        "{:#?}",
        strata::schema::compare::differences(&live, &declared)
    );
}
