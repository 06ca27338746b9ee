//! Real schema histories through the user's path (`../shared/corpus/evolution/`, Temporal's, read
//! unchanged): a repository takes every state in order as its template's schema, `strata commit`
//! writes the migration, `strata apply` runs it on two tenants, and after each step each tenant's
//! catalog equals a plain load of that state into an empty database (`util::catalog`, read with
//! the engine's own catalog functions).

mod util;

use sqlx::Connection;
use util::engines::{DEFAULT_MYSQL_URL, DEFAULT_PG_URL};
use util::Repo;

const TENANTS: [&str; 2] = ["a", "b"];

struct History {
    folder: &'static str,
    dialect: &'static str,
    /// SQL every database needs before a state loads (an extension).
    prelude: Option<&'static str>,
}

/// Takes a repository through every state; returns how many states went through and the first
/// failure.
async fn walk(history: &History, url: &str, prefix: &str) -> (usize, usize, Option<String>) {
    let Some(states) = util::corpus::history(history.folder) else { return (0, 0, None) };
    let prelude = history.prelude.and_then(util::corpus::read);
    let postgres = history.dialect == "postgres";
    let (variable, isolation) =
        if postgres { ("STRATA_TEST_PG_URL", "schema") } else { ("STRATA_TEST_MYSQL_URL", "database") };
    std::env::set_var(variable, url);
    let mut files = vec![
        // A real history drops tables and columns its team reviewed: warn, as its team chose.
        ("strata.yaml".to_string(), format!("name: temporal\ndialect: {}\nlint: {{ destructive: warn }}\n", history.dialect)),
        ("templates/temporal/template.yaml".to_string(), "name: temporal\nversion: 0.0.0\n".to_string()),
        (
            "environments/test.yaml".to_string(),
            format!("url: ${{{variable}}}\nisolation: {isolation}\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"),
        ),
    ];
    for tenant in TENANTS {
        files.push((format!("tenants/{tenant}/tenant.yaml"), "template: temporal\n".to_string()));
    }
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    let repo = tokio::task::block_in_place(|| Repo::with_files(&borrowed));
    let load = format!("{prefix}_load");
    let total = states.len();
    for (step, (version, sql)) in states.iter().enumerate() {
        let label = format!("{} v{version}", history.folder);
        repo.write("templates/temporal/schema/schema.sql", sql);
        repo.write("templates/temporal/template.yaml", &format!("name: temporal\nversion: 1.{step}.0\n"));
        let commit = tokio::task::block_in_place(|| repo.run(&["commit", "-m", &format!("temporal v{version}")]));
        if commit.code != 0 {
            return (step, total, Some(format!("{label}: commit: {}{}", commit.stdout, commit.stderr)));
        }
        let apply = tokio::task::block_in_place(|| repo.run(&["apply", "--env", "test"]));
        if apply.code != 0 {
            return (step, total, Some(format!("{label}: apply: {}{}", apply.stdout, apply.stderr)));
        }
        let (expected, actual) = if postgres {
            fingerprints_postgres(url, &load, prelude.as_deref(), sql, prefix).await
        } else {
            fingerprints_mysql(url, &load, sql, prefix).await
        };
        let expected = match expected {
            Ok(lines) if lines.len() < 10 => panic!("{label}: a plain load holds {} objects", lines.len()),
            Ok(lines) => lines,
            Err(e) => return (step, total, Some(format!("{label}: the plain load failed: {e}"))),
        };
        for (tenant, lines) in TENANTS.iter().zip(actual) {
            if let Some(difference) = util::catalog::difference(&lines, &expected) {
                return (
                    step,
                    total,
                    Some(format!("{label}: tenant {tenant} differs from a plain load:\n{difference}")),
                );
            }
        }
    }
    (total, total, None)
}

/// A plain load of `sql` into a fresh database (its `public` schema, as pg_dump wrote it), and
/// each tenant's schema.
async fn fingerprints_postgres(
    url: &str,
    load: &str,
    prelude: Option<&str>,
    sql: &str,
    prefix: &str,
) -> (Result<Vec<String>, String>, Vec<Vec<String>>) {
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {load}")).execute(&mut admin).await.unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE {load} TEMPLATE template0")).execute(&mut admin).await.unwrap();
    let expected = {
        let mut conn = sqlx::PgConnection::connect(&util::engines::with_database(url, load)).await.unwrap();
        let setup = format!("DROP SCHEMA public CASCADE;\n{}", prelude.unwrap_or_default());
        sqlx::raw_sql(&setup).execute(&mut conn).await.unwrap();
        match sqlx::raw_sql(sql).execute(&mut conn).await {
            Ok(_) => Ok(util::catalog::postgres(&mut conn, "public").await),
            Err(e) => Err(e.to_string()),
        }
    };
    let mut actual = Vec::new();
    for tenant in TENANTS {
        actual.push(util::catalog::postgres(&mut admin, &format!("{prefix}_{tenant}")).await);
    }
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {load} WITH (FORCE)")).execute(&mut admin).await.unwrap();
    (expected, actual)
}

async fn fingerprints_mysql(
    url: &str,
    load: &str,
    sql: &str,
    prefix: &str,
) -> (Result<Vec<String>, String>, Vec<Vec<String>>) {
    let mut admin = sqlx::MySqlConnection::connect(url).await.unwrap();
    let setup = format!("DROP DATABASE IF EXISTS `{load}`; CREATE DATABASE `{load}`; USE `{load}`;");
    sqlx::raw_sql(&setup).execute(&mut admin).await.unwrap();
    let expected = match sqlx::raw_sql(sql).execute(&mut admin).await {
        Ok(_) => Ok(util::catalog::mysql(&mut admin, load).await),
        Err(e) => Err(e.to_string()),
    };
    let mut actual = Vec::new();
    for tenant in TENANTS {
        actual.push(util::catalog::mysql(&mut admin, &format!("{prefix}_{tenant}")).await);
    }
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{load}`")).execute(&mut admin).await.unwrap();
    (expected, actual)
}

async fn drop_tenants(url: &str, postgres: bool, prefix: &str) {
    for tenant in TENANTS {
        util::engines::drop_namespace(url, postgres, &format!("{prefix}_{tenant}")).await;
    }
}

async fn history_goes_through(history: History) {
    let postgres = history.dialect == "postgres";
    let reachable =
        if postgres { util::engines::postgres().await.is_some() } else { util::engines::mysql().await.is_some() };
    if !reachable {
        return;
    }
    let (variable, default) =
        if postgres { ("STRATA_TEST_PG_URL", DEFAULT_PG_URL) } else { ("STRATA_TEST_MYSQL_URL", DEFAULT_MYSQL_URL) };
    let url = std::env::var(variable).unwrap_or_else(|_| default.to_string());
    let prefix = format!("evo_{}_{}", std::process::id(), history.folder.replace('-', "_").replace("temporal_", ""));
    if let Some(prelude) = history.prelude.and_then(util::corpus::read) {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(&prelude).execute(&mut conn).await.unwrap();
    }
    drop_tenants(&url, postgres, &prefix).await;
    let (through, total, failure) = walk(&history, &url, &prefix).await;
    drop_tenants(&url, postgres, &prefix).await;
    eprintln!(
        "{}: {through} of {total} states through commit + apply, each tenant equal to a plain load",
        history.folder
    );
    if let Some(failure) = failure {
        panic!("{failure}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn temporal_postgres_history() {
    history_goes_through(History { folder: "temporal-postgres", dialect: "postgres", prelude: None }).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn temporal_visibility_postgres_history() {
    let prelude = Some("evolution/temporal-visibility-postgres/prelude.sql");
    history_goes_through(History { folder: "temporal-visibility-postgres", dialect: "postgres", prelude }).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn temporal_mysql_history() {
    history_goes_through(History { folder: "temporal-mysql", dialect: "mysql", prelude: None }).await;
}
