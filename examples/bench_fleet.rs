//! Fleet rollout benchmark (issue "Fleet rollout"): N tenant schemas on the local PostgreSQL (and
//! M databases on the local MariaDB) get a realistic base — 16 tables with indexes and foreign
//! keys, an enum, a trigger function with a trigger per table — and then one follow-up migration.
//! strata's `apply` is timed against, in the same run and on the same SQL:
//!   (a) a shell loop with one `psql` / `mysql` process per tenant, and
//!   (b) one `psql` / `mysql` session streaming every tenant's SQL, a transaction per tenant (the floor).
//! Then `apply` reruns with nothing pending, against the floor of one query per tenant over one
//! connection. Peak memory is read for a run over half the fleet and one over the whole fleet.
//!
//! cargo run --release --example bench_fleet [-- --tenants 1000 --mysql-tenants 200]
//! Servers: STRATA_TEST_PG_URL / STRATA_TEST_MYSQL_URL (defaults: the local test servers).

#[path = "common/mod.rs"]
mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{child_mode, git_commit_all, measure, write};
use sqlx::Connection;

const TABLES: [&str; 16] = [
    "accounts",
    "users",
    "addresses",
    "categories",
    "products",
    "product_images",
    "carts",
    "cart_items",
    "orders",
    "order_items",
    "payments",
    "invoices",
    "shipments",
    "reviews",
    "coupons",
    "audit_log",
];

#[derive(Clone, Copy, PartialEq)]
enum Engine {
    Postgres,
    Mariadb,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mariadb => "mysql",
        }
    }
}

/// The base schema: each table references the one before it; an enum status, checks, indexes,
/// and on PostgreSQL a trigger function keeping `updated_at`, with a trigger on every table.
fn base_schema(engine: Engine) -> String {
    let mut sql = String::new();
    if engine == Engine::Postgres {
        sql.push_str("CREATE TYPE record_status AS ENUM ('new', 'active', 'archived', 'deleted');\n");
    }
    for (i, table) in TABLES.iter().enumerate() {
        let mut columns = vec![match engine {
            Engine::Postgres => "id bigserial PRIMARY KEY".to_string(),
            Engine::Mariadb => "id BIGINT AUTO_INCREMENT PRIMARY KEY".to_string(),
        }];
        if i > 0 {
            let parent = TABLES[i - 1];
            columns.push(format!("{parent}_id BIGINT NOT NULL REFERENCES {parent} (id) ON DELETE CASCADE"));
        }
        match engine {
            Engine::Postgres => columns.extend([
                "name text NOT NULL".to_string(),
                "amount numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0)".to_string(),
                "status record_status NOT NULL DEFAULT 'new'".to_string(),
                "created_at timestamptz NOT NULL DEFAULT now()".to_string(),
                "updated_at timestamptz".to_string(),
            ]),
            Engine::Mariadb => columns.extend([
                "name VARCHAR(200) NOT NULL".to_string(),
                "amount DECIMAL(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0)".to_string(),
                "status VARCHAR(16) NOT NULL DEFAULT 'new'".to_string(),
                "created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP".to_string(),
                "updated_at DATETIME".to_string(),
            ]),
        }
        sql.push_str(&format!("CREATE TABLE {table} (\n  {}\n);\n", columns.join(",\n  ")));
        if i > 0 {
            sql.push_str(&format!("CREATE INDEX {table}_{p}_idx ON {table} ({p}_id);\n", p = TABLES[i - 1]));
        }
        sql.push_str(&format!("CREATE INDEX {table}_created_idx ON {table} (created_at);\n"));
    }
    if engine == Engine::Postgres {
        sql.push_str("CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$;\n");
        for table in TABLES {
            sql.push_str(&format!(
                "CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION touch_updated_at();\n"
            ));
        }
    }
    sql
}

/// The follow-up change: a column on three tables and an index.
fn follow_up(schema: &str) -> String {
    let mut changed = schema.to_string();
    for table in ["orders", "payments", "reviews"] {
        let head = format!("CREATE TABLE {table} (\n");
        let at = changed.find(&head).unwrap() + head.len();
        changed.insert_str(at, "  note VARCHAR(500),\n");
    }
    changed.push_str("CREATE INDEX orders_name_idx ON orders (name);\n");
    changed
}

struct Bench {
    engine: Engine,
    url: String,
    tenants: usize,
    prefix: String,
}

impl Bench {
    fn namespace(&self, kind: &str, i: usize) -> String {
        format!("{}{kind}_{i:05}", self.prefix)
    }

    fn cli(&self) -> Command {
        match self.engine {
            Engine::Postgres => {
                let mut c = Command::new("psql");
                c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", &self.url]);
                c
            }
            Engine::Mariadb => {
                // mysql://user[:password]@host:port/db
                let rest = self.url.trim_start_matches("mysql://");
                let (auth, host) = rest.split_once('@').unwrap_or(("root", rest));
                let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
                let host = host.split('/').next().unwrap_or("127.0.0.1:3306");
                let (host, port) = host.split_once(':').unwrap_or((host, "3306"));
                let mut c = Command::new("mysql");
                c.args(["-h", host, "-P", port, "-u", user, "--batch"]);
                if !password.is_empty() {
                    c.env("MYSQL_PWD", password);
                }
                c
            }
        }
    }

    /// One tenant's script for the baselines: create its namespace, enter it, run `sql` in a
    /// transaction (a no-op for MySQL's DDL, which commits itself).
    fn tenant_script(&self, namespace: &str, sql: &str, create: bool) -> String {
        match self.engine {
            Engine::Postgres => format!(
                "{}SET search_path TO {namespace};\nBEGIN;\n{sql}\nCOMMIT;\n",
                if create { format!("CREATE SCHEMA {namespace};\n") } else { String::new() }
            ),
            Engine::Mariadb => format!(
                "{}USE {namespace};\n{sql}\n",
                if create { format!("CREATE DATABASE {namespace};\n") } else { String::new() }
            ),
        }
    }

    fn run_cli(&self, script: &str) {
        let mut child = self.cli().stdin(Stdio::piped()).stdout(Stdio::null()).spawn().expect("the database CLI runs");
        child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "the baseline script failed");
    }

    /// (a): one CLI process per tenant.
    fn loop_baseline(&self, sql: &str, create: bool) -> Duration {
        let started = Instant::now();
        for i in 0..self.tenants {
            self.run_cli(&self.tenant_script(&self.namespace("a", i), sql, create));
        }
        started.elapsed()
    }

    /// (b): one CLI session for every tenant.
    fn stream_baseline(&self, sql: &str, create: bool) -> Duration {
        let script: String =
            (0..self.tenants).map(|i| self.tenant_script(&self.namespace("b", i), sql, create)).collect();
        let started = Instant::now();
        self.run_cli(&script);
        started.elapsed()
    }

    async fn drop_all(&self) {
        let statement = |name: &str| match self.engine {
            Engine::Postgres => format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
            Engine::Mariadb => format!("DROP DATABASE IF EXISTS {name}"),
        };
        let names: Vec<String> = ["a", "b", "s"]
            .iter()
            .flat_map(|k| (0..self.tenants).map(move |i| (k, i)))
            .map(|(k, i)| self.namespace(k, i))
            .collect();
        match self.engine {
            Engine::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                // One statement at a time: a schema's CASCADE takes a lock per object.
                for name in names {
                    sqlx::raw_sql(&statement(&name)).execute(&mut conn).await.unwrap();
                }
                // Thousands of dropped schemas leave the catalogs full of dead rows; on a server
                // without autovacuum every later catalog query would pay for them. Best effort:
                // it needs the catalogs' owner.
                for catalog in [
                    "pg_class",
                    "pg_attribute",
                    "pg_depend",
                    "pg_trigger",
                    "pg_type",
                    "pg_constraint",
                    "pg_index",
                    "pg_attrdef",
                ] {
                    let _ = sqlx::raw_sql(&format!("VACUUM FULL {catalog}")).execute(&mut conn).await;
                }
            }
            Engine::Mariadb => {
                let mut conn = sqlx::MySqlConnection::connect(&self.url).await.unwrap();
                for name in names {
                    sqlx::raw_sql(&statement(&name)).execute(&mut conn).await.unwrap();
                }
            }
        }
    }

    /// The floor of a release with nothing to do: one query per tenant over one connection.
    async fn one_query_floor(&self) -> Duration {
        let started = Instant::now();
        match self.engine {
            Engine::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                for i in 0..self.tenants {
                    let sql = format!("SELECT id, checksum, state FROM {}.strata_history", self.namespace("s", i));
                    sqlx::query(&sql).fetch_all(&mut conn).await.unwrap();
                }
            }
            Engine::Mariadb => {
                let mut conn = sqlx::MySqlConnection::connect(&self.url).await.unwrap();
                for i in 0..self.tenants {
                    let sql = format!("SELECT id, checksum, state FROM {}.strata_history", self.namespace("s", i));
                    sqlx::query(&sql).fetch_all(&mut conn).await.unwrap();
                }
            }
        }
        started.elapsed()
    }

    /// A strata repository of the fleet: environment `all` (every tenant) and `half`.
    fn repository(&self, root: &Path) {
        let engine = self.engine.name();
        write(root, "strata.yaml", &format!("name: fleet-bench\ndialect: {engine}\n"));
        write(root, "templates/shop/template.yaml", "name: shop\nversion: 1.0.0\n");
        write(root, "templates/shop/schema/01_shop.sql", &base_schema(self.engine));
        let (isolation, variable) = match self.engine {
            Engine::Postgres => ("schema", "BENCH_PG_URL"),
            Engine::Mariadb => ("database", "BENCH_MYSQL_URL"),
        };
        let ids: Vec<String> = (0..self.tenants).map(|i| format!("t{i:05}")).collect();
        let target = format!("{}s_{{{{ tenant.id | replace(from='t', to='') }}}}", self.prefix);
        let env = |tenants: &str| {
            format!("url: ${{{variable}}}\nisolation: {isolation}\ntarget: \"{target}\"\ncreate_missing: true\ntenants: {tenants}\n")
        };
        write(root, "environments/all.yaml", &env("\"*\""));
        write(root, "environments/half.yaml", &env(&format!("[{}]", ids[..self.tenants / 2].join(", "))));
        for id in &ids {
            write(root, &format!("tenants/{id}/tenant.yaml"), "template: shop\n");
        }
        git_commit_all(root, "fleet");
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn migration_sql(root: &Path, seq: u32) -> String {
    let dir = root.join("migrations/templates/shop");
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with(&format!("{seq:04}_"))
                && p.to_string_lossy().ends_with(".up.sql")
        })
        .unwrap();
    std::fs::read_to_string(entry).unwrap()
}

fn timings(report: &Path) -> String {
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let t = &value["timings"];
    format!(
        "plan {:.0} ms, parse {:.0} ms ({} sequence(s) parsed), database {:.1} s summed over {} concurrent tenants, {} settled by one query",
        t["plan_ms"].as_f64().unwrap_or(0.0),
        t["parse_ms"].as_f64().unwrap_or(0.0),
        t["parsed_sequences"],
        t["database_ms"].as_f64().unwrap_or(0.0) / 1000.0,
        value["concurrency"],
        t["one_query_tenants"]
    )
}

async fn run(engine: Engine, url: String, tenants: usize) {
    let prefix = format!("bf{}_", std::process::id() % 10_000);
    let bench = Bench { engine, url: url.clone(), tenants, prefix };
    let dir = tempfile::Builder::new().prefix("strata-bench-fleet-").tempdir().unwrap();
    let root = dir.path();
    std::env::set_var(if engine == Engine::Postgres { "BENCH_PG_URL" } else { "BENCH_MYSQL_URL" }, &url);
    bench.repository(root);
    bench.drop_all().await;
    assert_eq!(measure(root, &["commit", "-m", "base"]).code, 0);
    println!("\n== {} : {tenants} tenants, base of {} tables ==", engine.name(), TABLES.len());
    let base = migration_sql(root, 1);

    let b = bench.stream_baseline(&base, true);
    let a = bench.loop_baseline(&base, true);
    let report = root.join("report.json");
    let report_arg = report.to_string_lossy().to_string();
    let half = measure(root, &["apply", "--env", "half", "--report", &report_arg]);
    assert_eq!(half.code, 0, "apply to half the fleet");
    let all = measure(root, &["apply", "--env", "all", "--report", &report_arg]);
    assert_eq!(all.code, 0, "apply to the fleet");
    let strata = half.wall + all.wall;
    println!(
        "base migration (per tenant: {}, 16 tables with indexes, foreign keys and checks{}):",
        if engine == Engine::Postgres { "schema" } else { "database" },
        if engine == Engine::Postgres { ", an enum, a trigger function and a trigger per table" } else { "" }
    );
    println!("  (b) one session, floor   {:>7.1} s  {:>7.1} tenants/s", secs(b), tenants as f64 / secs(b));
    println!("  (a) process per tenant   {:>7.1} s  {:>7.1} tenants/s", secs(a), tenants as f64 / secs(a));
    println!(
        "  strata apply             {:>7.1} s  {:>7.1} tenants/s   x{:.2} of (b), x{:.2} of (a)",
        secs(strata),
        tenants as f64 / secs(strata),
        secs(strata) / secs(b),
        secs(strata) / secs(a)
    );
    println!("    where strata's time went (whole-fleet run): {}", timings(&report));
    println!(
        "    peak memory: {:.1} MB managing {} tenants, {:.1} MB managing {tenants} (x{:.2} for twice the fleet)",
        half.peak_mb(),
        tenants / 2,
        all.peak_mb(),
        all.peak_mb() / half.peak_mb()
    );

    let schema_path = "templates/shop/schema/01_shop.sql";
    let changed = follow_up(&std::fs::read_to_string(root.join(schema_path)).unwrap());
    write(root, schema_path, &changed);
    write(root, "templates/shop/template.yaml", "name: shop\nversion: 1.1.0\n");
    assert_eq!(measure(root, &["commit", "-m", "notes"]).code, 0);
    let second = migration_sql(root, 2);
    let b2 = bench.stream_baseline(&second, false);
    let a2 = bench.loop_baseline(&second, false);
    let s2 = measure(root, &["apply", "--env", "all", "--report", &report_arg]);
    assert_eq!(s2.code, 0);
    println!("follow-up migration (3 columns, 1 index):");
    println!(
        "  (b) {:.2} s   (a) {:.2} s   strata {:.2} s: x{:.2} of (b), x{:.2} of (a)",
        secs(b2),
        secs(a2),
        secs(s2.wall),
        secs(s2.wall) / secs(b2),
        secs(s2.wall) / secs(a2)
    );
    println!("    {}", timings(&report));

    let floor = bench.one_query_floor().await;
    let rerun = measure(root, &["apply", "--env", "all", "--report", &report_arg]);
    assert_eq!(rerun.code, 0);
    println!("nothing pending:");
    println!(
        "  one query per tenant over one connection {:.2} s; strata apply {:.2} s (x{:.2}; target under 1 s and at most x3)",
        secs(floor),
        secs(rerun.wall),
        secs(rerun.wall) / secs(floor)
    );
    println!("    {}", timings(&report));
    bench.drop_all().await;
}

fn main() -> std::process::ExitCode {
    if let Some(code) = child_mode() {
        return code;
    }
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (pg_tenants, mysql_tenants) = (flag("--tenants", 1000), flag("--mysql-tenants", 200));
    let pg =
        std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let my = std::env::var("STRATA_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(run(Engine::Postgres, pg, pg_tenants));
    runtime.block_on(run(Engine::Mariadb, my, mysql_tenants));
    std::process::ExitCode::SUCCESS
}
