//! Fleet rollout: waves and the circuit breaker, shards, a crash in the middle and the rerun,
//! `--only-failed`, the JSON report, dry runs per group. On real SQLite files (and PostgreSQL for
//! the crash), through the real binary.

mod util;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};

use serde_json::Value;
use util::Repo;

const TEMPLATE: &str = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX items_name_idx ON items (name);\nCREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items (id), body TEXT);\n";

/// A SQLite project of `tenants` tenants t01.., with `rollout` settings in its environment.
fn fleet(tenants: usize, rollout: &str) -> Repo {
    let mut files: Vec<(String, String)> = vec![
        ("strata.yaml".into(), "name: fleet\ndialect: sqlite\n".into()),
        ("templates/base/template.yaml".into(), "name: base\nversion: 1.0.0\n".into()),
        ("templates/base/schema/01.sql".into(), TEMPLATE.into()),
        (
            "environments/local.yaml".into(),
            format!("isolation: database\ntarget: \".strata/local/{{{{ tenant.id }}}}.db\"\ncreate_missing: true\n{rollout}"),
        ),
        (".gitignore".into(), ".strata/\n".into()),
    ];
    for i in 1..=tenants {
        let tier = if i % 2 == 0 { "paid" } else { "free" };
        files.push((format!("tenants/t{i:02}/tenant.yaml"), format!("template: base\nlabels: {{ tier: {tier} }}\n")));
    }
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    let repo = Repo::with_files(&borrowed);
    repo.commit("initial schema");
    repo
}

/// Makes a tenant's first migration fail: its database already has a table named `items`.
fn sabotage(repo: &Repo, tenant: &str) {
    std::fs::create_dir_all(repo.path().join(".strata/local")).unwrap();
    std::fs::File::create(repo.tenant_db(tenant)).unwrap();
    repo.execute(tenant, "CREATE TABLE items (x TEXT);");
}

fn read_report(repo: &Repo, name: &str) -> Value {
    serde_json::from_str(&repo.read(name)).unwrap()
}

fn tenants_with(report: &Value, status: &str) -> BTreeSet<String> {
    report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == status)
        .map(|t| t["tenant"].as_str().unwrap().to_string())
        .collect()
}

fn ids(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_wave_reaching_max_failures_halts_the_rollout_and_later_waves_are_untouched() {
    let rollout = "rollout:\n  max_failures: 2\n  waves:\n    - tenants: [t01, t02]\n    - labels: { tier: paid }\n";
    let repo = fleet(8, rollout);
    sabotage(&repo, "t01");
    sabotage(&repo, "t02");
    let run = repo.run(&["apply", "--env", "local", "--report", "report.json"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("HALTED: 2 tenants failed in wave 1, reaching max_failures 2"), "{}", run.stdout);
    let report = read_report(&repo, "report.json");
    assert!(report["halted"].as_str().unwrap().contains("no further tenant was started"));
    assert_eq!(tenants_with(&report, "failed"), ids(&["t01", "t02"]));
    // Waves 2 (the paid tenants) and 3 (the rest) never started: no database was even created.
    let skipped = tenants_with(&report, "skipped");
    assert_eq!(skipped.len(), 6);
    for tenant in &skipped {
        assert!(!repo.tenant_db(tenant).exists(), "{tenant} was touched");
    }
    let waves: Vec<(u64, u64)> = report["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["tenants"].as_u64().unwrap(), w["skipped"].as_u64().unwrap()))
        .collect();
    assert_eq!(waves, [(2, 0), (3, 3), (3, 3)], "wave 1: t01 t02; wave 2: the paid t04 t06 t08; wave 3: the rest");

    // Below the threshold, the next wave starts.
    let run = repo.run(&["apply", "--env", "local", "--max-failures", "3", "--report", "again.json"]);
    assert_eq!(run.code, 4, "the two sabotaged tenants still fail");
    let again = read_report(&repo, "again.json");
    assert!(again["halted"].is_null());
    assert_eq!(tenants_with(&again, "migrated").len(), 6);

    // --only-failed retries exactly the tenants that failed last time.
    for tenant in ["t01", "t02"] {
        repo.execute(tenant, "DROP TABLE items;");
    }
    let run = repo.run(&["apply", "--env", "local", "--only-failed", "--report", "retry.json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let retry = read_report(&repo, "retry.json");
    assert_eq!(tenants_with(&retry, "migrated"), ids(&["t01", "t02"]));
    assert_eq!(retry["summary"]["tenants"], 2);
}

#[test]
fn two_shards_cover_every_tenant_exactly_once() {
    let repo = fleet(12, "");
    let mut seen = BTreeSet::new();
    for shard in ["1/2", "2/2"] {
        let file = format!("shard{}.json", &shard[..1]);
        repo.ok(&["apply", "--env", "local", "--shard", shard, "--report", &file]);
        let report = read_report(&repo, &file);
        assert_eq!(report["shard"], shard);
        let migrated = tenants_with(&report, "migrated");
        assert!(!migrated.is_empty(), "shard {shard} has tenants");
        assert!(seen.is_disjoint(&migrated), "{migrated:?} already applied by another shard");
        seen.extend(migrated);
    }
    assert_eq!(seen.len(), 12);
    for i in 1..=12 {
        let tenant = format!("t{i:02}");
        assert_eq!(repo.column(&tenant, "SELECT id FROM strata_history"), ["template.base/0001_init"], "{tenant}");
    }
    // Overlapping runners (a retried shard, the whole environment) find nothing to do.
    assert!(repo.ok(&["apply", "--env", "local", "--shard", "1/2"]).contains(" 0 migrated"));
    assert!(repo.ok(&["apply", "--env", "local"]).contains("12 tenants, 0 migrated, 12 up to date"));
}

/// Starts `apply` and kills it (SIGKILL) once three tenants report applied: a crash mid-rollout.
fn kill_after_three_tenants(repo: &std::path::Path, env: &str, concurrency: &str) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("--repo")
        .arg(repo)
        .args(["apply", "--env", env, "--concurrency", concurrency])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut applied = 0;
    while applied < 3 {
        let line = lines.next().expect("output before the end").unwrap();
        applied += usize::from(line.contains(": applied"));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn killed_in_the_middle_a_rerun_converges_without_duplicates() {
    let repo = fleet(40, "");
    kill_after_three_tenants(repo.path(), "local", "2");
    let done: Vec<usize> = (1..=40).filter(|i| repo.tenant_db(&format!("t{i:02}")).exists()).collect();
    assert!(done.len() < 40, "killed before the end ({} tenants touched)", done.len());

    let run = repo.run(&["apply", "--env", "local", "--report", "rerun.json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let rerun = read_report(&repo, "rerun.json");
    assert_eq!(rerun["summary"]["migrated"].as_u64().unwrap() + rerun["summary"]["up_to_date"].as_u64().unwrap(), 40);
    for i in 1..=40 {
        let tenant = format!("t{i:02}");
        assert_eq!(repo.column(&tenant, "SELECT id FROM strata_history"), ["template.base/0001_init"], "{tenant}");
        assert_eq!(repo.tables_of(&tenant), ["items", "notes", "strata_history"]);
    }
}

#[test]
fn the_json_report_has_the_documented_shape_and_dry_runs_print_sql_per_group() {
    let repo = fleet(5, "rollout:\n  concurrency: 3\n  waves:\n    - percent: 20\n");
    let dry = repo.ok(&["apply", "--env", "local", "--dry-run"]);
    assert!(dry.contains("-- 5 tenants: "), "{dry}");
    assert_eq!(dry.matches("CREATE TABLE items").count(), 1, "the SQL once for the group:\n{dry}");
    assert!(dry.contains("5 tenants, 5 would migrate, 0 up to date"), "a dry run migrates nothing: {dry}");
    let dry_json: Value = serde_json::from_str(&repo.ok(&["--json", "apply", "--env", "local", "--dry-run"])).unwrap();
    assert_eq!(dry_json["summary"]["migrated"], 0);
    assert_eq!(dry_json["summary"]["pending"], 5);
    assert!(dry_json["tenants"].as_array().unwrap().iter().all(|t| t["status"] == "pending"), "{dry_json}");
    assert!(!repo.path().join(".strata").exists(), "a dry run touches nothing");

    repo.ok(&["apply", "--env", "local", "--report", "report.json"]);
    let report = read_report(&repo, "report.json");
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["concurrency"], 3);
    assert_eq!(report["waves"].as_array().unwrap().len(), 2, "20% of 5 is one tenant, then the rest");
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md")).unwrap();
    let section = &doc[doc.find("## `strata apply").expect("docs/json.md documents apply")..];
    let mut keys = BTreeSet::new();
    collect_keys(&report, &mut keys);
    for key in keys {
        assert!(section.contains(&format!("`{key}`")), "docs/json.md (apply) does not document `{key}`");
    }
}

fn collect_keys(value: &Value, keys: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                keys.insert(key.clone());
                collect_keys(inner, keys);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_keys(i, keys)),
        _ => {}
    }
}

/// The same crash on PostgreSQL, a schema per tenant: each migration and its history row commit
/// together, so the tenants the kill interrupted are untouched and the rerun finishes them.
#[tokio::test(flavor = "multi_thread")]
async fn killed_on_postgres_a_rerun_converges_without_duplicates() {
    use sqlx::Connection;
    if util::engines::postgres().await.is_none() {
        return;
    }
    let url = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| util::engines::DEFAULT_PG_URL.to_string());
    std::env::set_var("STRATA_TEST_PG_URL", &url);
    let prefix = format!("strata_kill_{}", std::process::id());
    let tenants = 30;
    let mut files: Vec<(String, String)> = vec![
        ("strata.yaml".into(), "name: kill\ndialect: postgres\n".into()),
        ("templates/base/template.yaml".into(), "name: base\nversion: 1.0.0\n".into()),
        ("templates/base/schema/01.sql".into(), TEMPLATE.replace("INTEGER PRIMARY KEY", "serial PRIMARY KEY")),
        (
            "environments/test.yaml".into(),
            format!("url: ${{STRATA_TEST_PG_URL}}\nisolation: schema\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"),
        ),
    ];
    for i in 1..=tenants {
        files.push((format!("tenants/t{i:02}/tenant.yaml"), "template: base\n".into()));
    }
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    let repo = Repo::with_files(&borrowed);
    repo.commit("initial schema");
    let repo_path = repo.path().to_path_buf();
    tokio::task::spawn_blocking(move || kill_after_three_tenants(&repo_path, "test", "4")).await.unwrap();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let provisioned: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE $1")
        .bind(format!("{prefix}_%"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(provisioned < tenants, "killed before the end ({provisioned} schemas)");

    let run = tokio::task::spawn_blocking(move || repo.run(&["apply", "--env", "test"])).await.unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for i in 1..=tenants {
        let schema = format!("{prefix}_t{i:02}");
        let ids: Vec<String> = sqlx::query_scalar(&format!("SELECT id FROM {schema}.strata_history"))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{schema}: {e}"));
        assert_eq!(ids, ["template.base/0001_init"], "{schema}");
        let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = $1")
            .bind(&schema)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(tables, 3, "{schema}: items, notes, strata_history");
    }
    for i in 1..=tenants {
        sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {prefix}_t{i:02} CASCADE")).execute(&mut conn).await.unwrap();
    }
}

#[test]
fn a_deadline_stops_starting_tenants_and_the_next_run_continues() {
    let repo = fleet(6, "rollout: { concurrency: 1 }\n");
    let halted = repo.run(&["apply", "--env", "local", "--deadline", "0s", "--report", "deadline.json"]);
    assert_eq!(halted.code, 4, "a halted rollout is exit 4:\n{}{}", halted.stdout, halted.stderr);
    assert!(halted.stdout.contains("HALTED: the deadline (0s) passed"), "{}", halted.stdout);
    let report = read_report(&repo, "deadline.json");
    assert_eq!(tenants_with(&report, "skipped").len(), 6, "no tenant started: {report}");
    let rerun = repo.ok(&["apply", "--env", "local", "--deadline", "10min"]);
    assert!(rerun.contains("6 tenants, 6 migrated"), "{rerun}");
}

#[test]
fn durations_are_checked_when_the_command_is_read() {
    let repo = fleet(1, "");
    for (flag, value) in [("--lock-timeout", "2147484"), ("--deadline", "soon")] {
        let run = repo.run(&["apply", "--env", "local", flag, value]);
        assert_eq!(run.code, 2, "{flag} {value}: {}", run.stderr);
        assert!(run.stderr.contains(value), "the value is named: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}
