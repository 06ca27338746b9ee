//! #25: commands cut short — killed with SIGKILL, interrupted by a signal, or unable to write
//! their report — leave every file whole and the next run able to finish the work.

mod util;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use util::Repo;

/// A small deterministic generator (xorshift64*): the kill points, reproducible.
struct Rng(u64);

impl Rng {
    /// A number in `0..=high`.
    fn up_to(&mut self, high: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % (high + 1)
    }
}

/// The content of each of `paths` in the work tree, `None` where there is no such file.
fn contents(repo: &Repo, paths: &[String]) -> BTreeMap<String, Option<Vec<u8>>> {
    paths.iter().map(|p| (p.clone(), std::fs::read(repo.path().join(p)).ok())).collect()
}

/// When each of `paths` was last modified: the first write of a commit changes one of them.
fn modified(repo: &Repo, paths: &[String]) -> Vec<Option<std::time::SystemTime>> {
    paths.iter().map(|p| std::fs::metadata(repo.path().join(p)).and_then(|m| m.modified()).ok()).collect()
}

/// A new table in the template and an uncommitted edit of its manifest: `commit --bump` rewrites
/// the manifest (its version), the folder's releases.yaml and sums, and writes a migration pair.
fn edit_the_template(repo: &Repo) {
    let schema = "templates/party/schema/03_meetings.sql";
    repo.write(schema, &format!("{}CREATE TABLE minutes (id INTEGER PRIMARY KEY);\n", repo.read(schema)));
    let manifest = "templates/party/template.yaml";
    repo.write(manifest, &format!("{}# the user's own note, not yet committed\n", repo.read(manifest)));
}

/// Back to the released state, then the same uncommitted edit.
fn reset_to(repo: &Repo, base: &str) {
    for args in [&["reset", "-q", "--hard", base][..], &["clean", "-q", "-fd", "templates", "migrations"]] {
        let run = repo.git_cli(args);
        assert_eq!(run.code, 0, "git {args:?}: {}", run.stderr);
    }
    edit_the_template(repo);
}

fn spawn_commit(repo: &Repo) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["--repo", &repo.path().display().to_string(), "commit", "--bump", "minor", "-m", "minutes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("strata runs")
}

/// Temporary files strata left anywhere in the work tree (outside .git).
fn temporaries(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list").map(|e| e.expect("entry")) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().expect("type").is_dir() && name != ".git" {
            found.extend(temporaries(&entry.path()));
        } else if name.ends_with(".strata-tmp") {
            found.push(entry.path().display().to_string());
        }
    }
    found
}

#[test]
fn a_commit_killed_at_any_moment_leaves_each_file_as_before_or_after_and_the_next_commit_succeeds() {
    let repo = Repo::init();
    repo.commit("first release");
    let base = repo.head();

    // What an uninterrupted commit writes, and how long it takes: the kills spread over that time.
    edit_the_template(&repo);
    let started = Instant::now();
    let reference = spawn_commit(&repo).wait_with_output().expect("strata ends");
    let took = started.elapsed();
    assert!(reference.status.success(), "the uninterrupted commit: {}", String::from_utf8_lossy(&reference.stderr));
    let changed = repo.git_cli(&["diff", "--name-only", &base, "HEAD"]).stdout;
    let changed: Vec<String> = changed.lines().map(str::to_string).collect();
    assert!(changed.iter().any(|p| p.ends_with("releases.yaml")), "{changed:?}");
    assert!(changed.iter().any(|p| p.ends_with("template.yaml")), "{changed:?}");
    let after = contents(&repo, &changed);

    // Half the kills at a random moment of the whole run, half in its short writing phase: right
    // after the first file changed, plus up to 2 ms.
    let window = took.as_micros() as u64 + 10_000;
    let mut rng = Rng(25);
    let mut killed = 0;
    for round in 0..40 {
        reset_to(&repo, &base);
        let before = contents(&repo, &changed);
        let stamps = modified(&repo, &changed);
        let mut child = spawn_commit(&repo);
        if round % 2 == 0 {
            std::thread::sleep(Duration::from_micros(rng.up_to(window)));
        } else {
            while child.try_wait().expect("running").is_none() && modified(&repo, &changed) == stamps {}
            std::thread::sleep(Duration::from_micros(rng.up_to(2_000)));
        }
        killed += usize::from(child.kill().is_ok() && child.wait().expect("ends").code().is_none());
        for (path, now) in contents(&repo, &changed) {
            assert!(
                now == before[&path] || now == after[&path],
                "round {round}: {path} is neither as before nor as after the commit: {:?}",
                now.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            );
        }
        let next = repo.run(&["commit", "--bump", "minor", "-m", "minutes"]);
        assert_eq!(next.code, 0, "round {round}: the commit after a kill: {}{}", next.stdout, next.stderr);
        assert_eq!(temporaries(repo.path()), Vec::<String>::new(), "round {round}: temporaries left behind");
        let status: Vec<String> = repo.git_status().into_iter().filter(|s| !s.ends_with(".db")).collect();
        assert!(status.is_empty(), "round {round}: the commit after a kill left changes: {status:?}");
    }
    assert!(killed >= 20, "most commits were killed, not finished first: {killed} of 40");
    // The history the rounds left is one any other command accepts.
    repo.ok(&["check"]);
}

#[test]
fn a_report_that_cannot_be_written_after_a_good_rollout_is_a_warning_naming_it() {
    let repo = Repo::init();
    repo.commit("first release");
    // The report's folder exists when apply starts, so it is not refused up front; the name in it
    // leads under a regular file, where no file can ever be made (not even by root).
    repo.write("not-a-folder", "");
    let reports = repo.path().join("reports");
    std::fs::create_dir(&reports).expect("folder");
    let report = reports.join("report.json");
    std::os::unix::fs::symlink(repo.path().join("not-a-folder/report.json"), &report).expect("link");
    let run = repo.run(&["apply", "--env", "local", "--report", report.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "every tenant migrated is a success: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("3 tenants, 3 migrated"), "{}", run.stdout);
    assert!(
        run.stderr.contains("warning: the report was not written: ")
            && run.stderr.contains(&report.display().to_string()),
        "{}",
        run.stderr
    );
    let left: Vec<String> = std::fs::read_dir(&reports)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["report.json"], "nothing half-written beside the report");
    assert!(std::fs::symlink_metadata(&report).expect("meta").file_type().is_symlink(), "the link is untouched");
}

/// A SQLite fleet of 30 tenants whose seed takes a while per tenant (SQLite has no sleep: a big
/// recursive insert), committed.
fn slow_fleet() -> Repo {
    let mut files: Vec<(String, String)> = vec![
        ("strata.yaml".into(), "name: fleet\ndialect: sqlite\n".into()),
        ("templates/base/template.yaml".into(), "name: base\nversion: 1.0.0\n".into()),
        ("templates/base/schema/01.sql".into(), "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\n".into()),
        (
            "templates/base/seed/01_items.sql".into(),
            "INSERT INTO items (id, name) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150000) SELECT i, 'item' FROM n;\n".into(),
        ),
        (
            "environments/local.yaml".into(),
            "isolation: database\ntarget: \".strata/local/{{ tenant.id }}.db\"\ncreate_missing: true\n".into(),
        ),
        (".gitignore".into(), ".strata/\n".into()),
    ];
    for i in 1..=30 {
        files.push((format!("tenants/t{i:02}/tenant.yaml"), "template: base\n".into()));
    }
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    let repo = Repo::with_files(&borrowed);
    repo.commit("initial schema");
    repo
}

/// `apply` of the slow fleet, sent `signal` once three tenants have reported: it must end with
/// `code`, its summary, its report and no tenant half-applied; a rerun converges the rest.
fn a_signal_ends_apply_with_its_summary_and_report(signal: i32, name: &str, code: i32) {
    use std::io::{BufRead, BufReader};
    let repo = slow_fleet();
    let report = repo.path().join("report.json");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["--repo", &repo.path().display().to_string(), "apply", "--env", "local", "--concurrency", "1"])
        .args(["--report", &report.display().to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("strata runs");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut log = String::new();
    while log.matches(": applied").count() < 3 {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).expect("read") > 0, "apply ended before three tenants: {log}");
        log.push_str(&line);
    }
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0, "kill");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("read");
    log.push_str(&rest);
    let output = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{name}: {log}{stderr}");
    assert!(log.contains(&format!("HALTED: interrupted by {name}")), "{log}");
    assert!(log.contains("commit ") && log.contains("30 tenants, "), "the summary: {log}");
    assert!(stderr.contains(&format!("{name}: no further tenant starts")), "{stderr}");

    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    let with = |status: &str| -> Vec<String> {
        let tenants = written["tenants"].as_array().expect("tenants");
        tenants
            .iter()
            .filter(|t| t["status"] == status)
            .map(|t| t["tenant"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let (migrated, skipped) = (with("migrated"), with("skipped"));
    assert!(migrated.len() >= 3 && !skipped.is_empty(), "{name}: {written}");
    assert_eq!(migrated.len() + skipped.len(), 30, "no tenant failed or was lost: {written}");
    for tenant in &migrated {
        let states = repo.column(tenant, "SELECT state FROM strata_history");
        assert!(states.len() == 2 && states.iter().all(|s| s == "applied"), "{tenant}: {states:?}");
    }
    for tenant in &skipped {
        let db = repo.tenant_db(tenant);
        assert!(
            !db.exists() || repo.tables_of(tenant).is_empty(),
            "{tenant} was not started: {:?}",
            repo.tables_of(tenant)
        );
    }

    let rerun = repo.run(&["apply", "--env", "local", "--concurrency", "4"]);
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    assert!(
        rerun.stdout.contains(&format!(
            "30 tenants, {} migrated, {} up to date, 0 failed",
            skipped.len(),
            migrated.len()
        )),
        "{}",
        rerun.stdout
    );
}

#[test]
fn sigterm_during_apply_finishes_the_running_tenants_reports_and_exits_143() {
    a_signal_ends_apply_with_its_summary_and_report(libc::SIGTERM, "SIGTERM", 143);
}

#[test]
fn sigint_during_apply_finishes_the_running_tenants_reports_and_exits_130() {
    a_signal_ends_apply_with_its_summary_and_report(libc::SIGINT, "SIGINT", 130);
}
