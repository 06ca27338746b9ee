//! Every kind of change through the user's path, on each engine: a repository whose template is
//! schema A (plus a table of rows that must survive), `commit`, `verify --dev-url`, `apply` to two
//! tenants, rows inserted; then B: `commit`, `verify`, `apply`, `drift` clean; then a second change
//! on top (so the replayed history is read again): `commit`, `verify`, `apply`, `drift` clean; then
//! `rollback` to the first commit and `drift` clean again. The rows are there after every step.
//! Every pair of the hand-written corpus (one per kind of change, `util::pairs`) on every engine
//! that has what it declares.

mod util;

use sqlx::Connection;
use strata::dialect::Dialect;
use util::engines::{DEFAULT_MYSQL_URL, DEFAULT_PG_URL};
use util::pairs::{for_dialect, unsupported, PAIRS};
use util::Repo;

const KEEP: &str = "CREATE TABLE keep (id INTEGER PRIMARY KEY, note VARCHAR(20));";
const KEEP_MORE: &str = "CREATE TABLE keep (id INTEGER PRIMARY KEY, note VARCHAR(20), more VARCHAR(20));";

struct Engine {
    dialect: Dialect,
    url: Option<String>,
}

impl Engine {
    fn environment(&self, prefix: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("isolation: database\ntarget: \".strata/{prefix}_{{{{ tenant.id }}}}.db\"\ncreate_missing: true\n"),
            Dialect::Postgres => format!(
                "url: ${{STRATA_TEST_PG_URL}}\nisolation: schema\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"
            ),
            Dialect::Mysql => format!(
                "url: ${{STRATA_TEST_MYSQL_URL}}\nisolation: database\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"
            ),
        }
    }

    /// Runs SQL in a tenant, returning the first column of the rows as text.
    async fn query(&self, repo: &Repo, prefix: &str, tenant: &str, sql: &str) -> Result<Vec<String>, String> {
        let target = format!("{prefix}_{tenant}");
        match self.dialect {
            Dialect::Sqlite => {
                let path = repo.path().join(format!(".strata/{target}.db"));
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await.map_err(|e| e.to_string())?;
                sqlx::query_scalar(sql).fetch_all(&mut conn).await.map_err(|e| e.to_string())
            }
            Dialect::Postgres => {
                let mut conn =
                    sqlx::PgConnection::connect(self.url.as_deref().unwrap()).await.map_err(|e| e.to_string())?;
                sqlx::raw_sql(&format!("SET search_path TO \"{target}\""))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query_scalar(sql).fetch_all(&mut conn).await.map_err(|e| e.to_string())
            }
            Dialect::Mysql => {
                let mut conn =
                    sqlx::MySqlConnection::connect(self.url.as_deref().unwrap()).await.map_err(|e| e.to_string())?;
                sqlx::raw_sql(&format!("USE `{target}`")).execute(&mut conn).await.map_err(|e| e.to_string())?;
                sqlx::query_scalar(sql).fetch_all(&mut conn).await.map_err(|e| e.to_string())
            }
        }
    }

    async fn cleanup(&self, prefix: &str) {
        if let Some(url) = &self.url {
            for tenant in ["a", "b"] {
                util::engines::drop_namespace(url, self.dialect == Dialect::Postgres, &format!("{prefix}_{tenant}"))
                    .await;
            }
        }
    }
}

/// One kind of change through the whole path; the first step that goes wrong, if one does.
async fn walk(engine: &Engine, kind: &str, a: &str, b: &str, prefix: &str) -> Result<(), String> {
    let dialect = engine.dialect;
    let keep = |more: bool| for_dialect(dialect, if more { KEEP_MORE } else { KEEP });
    let repo = tokio::task::block_in_place(|| {
        Repo::with_files(&[
            // Every kind of change, drops included: the engines are under test here, the lint policy in
            // tests/verify_gate.rs.
            ("strata.yaml", &format!("name: matrix\ndialect: {dialect}\nlint: {{ destructive: warn }}\n")),
            ("templates/app/template.yaml", "name: app\nversion: 1.0.0\n"),
            ("templates/app/schema/schema.sql", &format!("{}\n{a}", keep(false))),
            ("environments/test.yaml", &engine.environment(prefix)),
            ("tenants/a/tenant.yaml", "template: app\n"),
            ("tenants/b/tenant.yaml", "template: app\n"),
        ])
    });
    let run = |args: &[&str]| {
        let run = tokio::task::block_in_place(|| repo.run(args));
        if run.code == 0 {
            Ok(run.stdout)
        } else {
            Err(format!("{kind}: strata {args:?} exited {}:\n{}{}", run.code, run.stdout, run.stderr))
        }
    };
    let mut verify = vec!["verify", "--base", "HEAD"];
    if let Some(url) = &engine.url {
        verify.extend(["--dev-url", url.as_str()]);
    }
    let step = |label: &str, version: &str, schema: String| -> Result<String, String> {
        repo.write("templates/app/schema/schema.sql", &schema);
        repo.write("templates/app/template.yaml", &format!("name: app\nversion: {version}\n"));
        let hash = run(&["commit", "-m", label])?.lines().last().unwrap_or_default().trim().to_string();
        run(&verify)?;
        run(&["apply", "--env", "test"])?;
        run(&["drift", "--env", "test"])?;
        Ok(hash)
    };
    let first = step("A", "1.0.0", format!("{}\n{a}", keep(false)))?;
    for tenant in ["a", "b"] {
        engine
            .query(&repo, prefix, tenant, "INSERT INTO keep (id, note) VALUES (1, 'one'), (2, 'two')")
            .await
            .map(|_| ())?;
    }
    step("B", "1.1.0", format!("{}\n{b}", keep(false)))?;
    rows_survive(engine, &repo, prefix, &format!("{kind}: after B")).await?;
    step("second change", "1.2.0", format!("{}\n{b}", keep(true)))?;
    rows_survive(engine, &repo, prefix, &format!("{kind}: after the second change")).await?;
    engine
        .query(&repo, prefix, "a", "SELECT COALESCE(more, 'none') FROM keep")
        .await
        .map_err(|e| format!("{kind}: no second change: {e}"))?;
    for tenant in ["a", "b"] {
        run(&["rollback", "--env", "test", "--tenant", tenant, "--to", &first, "--yes"])?;
    }
    run(&["drift", "--env", "test"])?;
    if engine.query(&repo, prefix, "b", "SELECT COALESCE(more, 'none') FROM keep").await.is_ok() {
        return Err(format!("{kind}: the rollback left the second change in place"));
    }
    rows_survive(engine, &repo, prefix, &format!("{kind}: after the rollback")).await
}

async fn rows_survive(engine: &Engine, repo: &Repo, prefix: &str, label: &str) -> Result<(), String> {
    for tenant in ["a", "b"] {
        let notes = engine.query(repo, prefix, tenant, "SELECT note FROM keep ORDER BY id").await?;
        if notes != ["one", "two"] {
            return Err(format!("{label}: tenant {tenant}'s rows are {notes:?}"));
        }
    }
    Ok(())
}

async fn every_kind_of_change_goes_through(dialect: Dialect) {
    let url = match dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => {
            if util::engines::postgres().await.is_none() {
                return;
            }
            let url = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
            std::env::set_var("STRATA_TEST_PG_URL", &url);
            Some(url)
        }
        Dialect::Mysql => {
            if util::engines::mysql().await.is_none() {
                return;
            }
            let url = std::env::var("STRATA_TEST_MYSQL_URL").unwrap_or_else(|_| DEFAULT_MYSQL_URL.to_string());
            std::env::set_var("STRATA_TEST_MYSQL_URL", &url);
            Some(url)
        }
    };
    let engine = Engine { dialect, url };
    let (mut failures, mut walked) = (Vec::new(), 0);
    for (n, (kind, a, b)) in PAIRS.iter().enumerate() {
        // A pair without a change has nothing to commit.
        if unsupported(dialect, kind) || a == b {
            continue;
        }
        walked += 1;
        let prefix = format!("mx_{}_{n}", std::process::id());
        engine.cleanup(&prefix).await;
        if let Err(e) = walk(&engine, kind, &for_dialect(dialect, a), &for_dialect(dialect, b), &prefix).await {
            failures.push(e);
        }
        engine.cleanup(&prefix).await;
    }
    eprintln!(
        "{dialect}: {} of {walked} changes through commit, verify, apply, drift, a second change, rollback",
        walked - failures.len()
    );
    assert!(walked >= 60, "{dialect}: only {walked} pairs walked");
    assert!(failures.is_empty(), "{} of {walked} failed on {dialect}:\n{}", failures.len(), failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_change_through_the_cli_on_sqlite() {
    every_kind_of_change_goes_through(Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_change_through_the_cli_on_postgres() {
    every_kind_of_change_goes_through(Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_change_through_the_cli_on_mysql() {
    every_kind_of_change_goes_through(Dialect::Mysql).await;
}
