//! #18: reliability as figures, one row per engine, printed by `.ci/run` after the tests.
//!
//! A fleet of 200 tenants (the starter's template and modules, seeds included) goes through
//! releases on the real binary, in a real git repository, on SQLite files and on the local
//! PostgreSQL and MariaDB:
//! - (a) rollouts killed with SIGKILL at seeded random points (after a random number of tenants
//!   reported, plus a random few milliseconds, so that other tenants are mid-migration), each
//!   rerun until one finishes;
//! - (b) one release applied by 4 runners at once, the next by 4 shard runners at once;
//! - (c) on the servers, one release whose server connection is cut mid-rollout (a proxy in the
//!   test resets every connection and refuses new ones for a while), then rerun;
//! - (d) a release of two hand-written data migrations, a multi-statement one and a
//!   `no-transaction` batched one, each pausing between its statements, killed while tenants are
//!   in the pause; a `no-transaction` run recorded its progress and resumes after its last
//!   statement done, any other tenant whose run was cut between data statements must stop for a
//!   person (never be settled by its schema), who looks at the rows and marks it for a rerun.
//!
//! Then every tenant is counted: converged (a last `apply` finds it up to date), duplicate history
//! rows, a live schema that differs from what its history replays to (`drift`), tenant locks
//! still held, seed rows inserted twice, rows a data migration recorded as applied never wrote,
//! and panics of any run. The test fails unless the
//! fleet converged with zeros; the row goes to `target/tmp/reliability/` for `.ci/run` to print.
//! `STRATA_FIGURES_KILLS` multiplies the kills (default 20 on SQLite and PostgreSQL, 10 on
//! MariaDB); `STRATA_FIGURES_SEED` picks another sequence of kill points.

mod util;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection;
use util::proxy::Proxy;
use util::servers::{Server, MARIADB, POSTGRES};
use util::Repo;

/// The fleet's size: 200, or `STRATA_FIGURES_TENANTS` to try a change quickly.
fn tenants() -> usize {
    std::env::var("STRATA_FIGURES_TENANTS").ok().and_then(|s| s.parse().ok()).unwrap_or(200)
}

/// A small deterministic generator (xorshift64*): the kill points of a run, reproducible by seed.
struct Rng(u64);

impl Rng {
    fn new(salt: u64) -> Self {
        let seed = std::env::var("STRATA_FIGURES_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(18);
        Rng((seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)).max(1))
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        low + self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % (high - low + 1)
    }
}

/// Where the fleet lives.
enum Engine {
    Sqlite,
    Server { server: &'static Server, prefix: String },
}

struct Fleet {
    repo: Repo,
    engine: Engine,
    /// The URL strata is given (`DATABASE_URL`); a proxy's during (c).
    url: String,
    tenants: Vec<String>,
    release: usize,
    /// Runs that panicked (exit 101 or "panicked" on stderr).
    panics: usize,
}

/// How one run ended.
enum Ended {
    Killed,
    Finished,
}

impl Fleet {
    /// The starter of `dialect` with its three tenants replaced by 200, committed as a first release.
    async fn new(engine: Engine) -> Fleet {
        let (repo, url) = match &engine {
            Engine::Sqlite => (Repo::init(), String::new()),
            Engine::Server { server, prefix } => {
                // What an earlier, killed run of this test left.
                server.drop_prefixed("figures_").await;
                (util::servers::init_starter(server.dialect, prefix), server.url())
            }
        };
        for starter in ["demo", "nrna", "uml"] {
            std::fs::remove_dir_all(repo.path().join("tenants").join(starter)).expect("starter tenant");
        }
        let modules = ["[events]", "[donations, events]", "[donations, events, volunteers]", "[]"];
        let tenants: Vec<String> = (1..=tenants()).map(|i| format!("t{i:03}")).collect();
        for (i, tenant) in tenants.iter().enumerate() {
            repo.write(
                &format!("tenants/{tenant}/tenant.yaml"),
                &format!(
                    "template: party\nmodules: {}\nvars: {{ display_name: \"Tenant {i}\", currency: \"EUR\" }}\n",
                    modules[i % modules.len()]
                ),
            );
        }
        repo.git_commit_all("a fleet of 200 tenants");
        let mut fleet = Fleet { repo, engine, url, tenants, release: 1, panics: 0 };
        fleet.ok(&["commit", "-m", "first release"]);
        fleet
    }

    fn engine_name(&self) -> &'static str {
        match &self.engine {
            Engine::Sqlite => "SQLite",
            Engine::Server { server, .. } if server.postgres() => "PostgreSQL",
            Engine::Server { .. } => "MariaDB",
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
        command.arg("--repo").arg(self.repo.path()).args(args).current_dir(self.repo.path());
        command.env("DATABASE_URL", &self.url);
        command
    }

    /// Runs strata to its end and counts a panic.
    fn run(&mut self, args: &[&str]) -> util::Run {
        let run: util::Run = tokio::task::block_in_place(|| self.command(args).output()).expect("strata runs").into();
        self.count_panic(run.code, &run.stderr);
        run
    }

    fn ok(&mut self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "strata {args:?}:\n{}{}", run.stdout, run.stderr);
        run.stdout
    }

    fn count_panic(&mut self, code: i32, stderr: &str) {
        if code == 101 || stderr.contains("panicked") {
            eprintln!("a run panicked:\n{stderr}");
            self.panics += 1;
        }
    }

    /// A release with a new table (and index) in the template, and a seed for it: the template's
    /// schema files are portable SQL, so one text serves every engine.
    fn next_release(&mut self) {
        self.release += 1;
        let n = self.release;
        self.repo.write(
            &format!("templates/party/schema/9{n}_release_{n}.sql"),
            &format!(
                "CREATE TABLE release_{n} (id INTEGER PRIMARY KEY, label VARCHAR(64) NOT NULL);\nCREATE INDEX release_{n}_label_idx ON release_{n} (label);\n"
            ),
        );
        self.repo.write(
            &format!("templates/party/seed/9{n}_release_{n}.sql"),
            &format!("INSERT INTO release_{n} (id, label) VALUES (1, 'one'), (2, 'two');\n"),
        );
        self.ok(&["commit", "--bump", "minor", "-m", &format!("release {n}")]);
    }

    /// `apply` started, 4 tenants at a time, with its output to read line by line.
    fn spawn_apply(&self) -> (std::process::Child, std::process::ChildStdout) {
        let mut child = self
            .command(&["apply", "--env", "local", "--concurrency", "4"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("strata runs");
        let stdout = child.stdout.take().expect("stdout");
        (child, stdout)
    }

    /// `apply`, killed with SIGKILL once `after` tenants have reported and `delay` more has
    /// passed; or its exit code, when it finished first.
    fn apply_killed(&mut self, after: u64, delay: Duration) -> Ended {
        let (mut child, stdout) = self.spawn_apply();
        let mut reported = 0;
        let mut killed = false;
        tokio::task::block_in_place(|| {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                reported += u64::from(line.contains(": applied") || line.contains(": FAILED"));
                if reported >= after {
                    std::thread::sleep(delay);
                    killed = child.kill().is_ok();
                    break;
                }
            }
        });
        let output = tokio::task::block_in_place(|| child.wait_with_output()).expect("strata ends");
        match (killed, output.status.code()) {
            // Killed after it had exited on its own: it finished.
            (true, Some(code)) | (false, Some(code)) => {
                self.count_panic(code, &String::from_utf8_lossy(&output.stderr));
                Ended::Finished
            }
            (true, None) => Ended::Killed,
            (false, None) => panic!("strata ended by a signal nobody sent"),
        }
    }

    /// (a): rollouts killed at `kills` seeded points, each rerun; a release that finishes before
    /// its share of kills is followed by the next release.
    fn kill_rollouts(&mut self, kills: usize, rng: &mut Rng) -> usize {
        let mut done = 0;
        let per_release = kills.div_ceil(2).max(1);
        let segment = (2 * self.tenants.len() / per_release).max(2) as u64;
        loop {
            let mut in_release = 0;
            while in_release < per_release && done < kills {
                let after = rng.between(1, segment);
                let delay = Duration::from_millis(rng.between(0, 30));
                match self.apply_killed(after, delay) {
                    Ended::Killed => {
                        done += 1;
                        in_release += 1;
                    }
                    Ended::Finished => break,
                }
            }
            if done >= kills {
                break;
            }
            // The release was finished (or had its kills): one rerun finishes it, then the next.
            self.ok(&["apply", "--env", "local"]);
            self.next_release();
        }
        done
    }

    /// (b): one release applied by 4 runners at once, the next by 4 shard runners at once. Says
    /// how many tenants were migrated by exactly one runner, of how many.
    fn concurrent_runners(&mut self) -> String {
        let mut said = Vec::new();
        for sharded in [false, true] {
            self.next_release();
            let children: Vec<_> = (1..=4)
                .map(|i| {
                    let report = format!("runner{i}.json");
                    let shard = format!("{i}/4");
                    let mut args = vec!["apply", "--env", "local", "--report", &report];
                    if sharded {
                        args.extend(["--shard", &shard]);
                    }
                    self.command(&args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("strata runs")
                })
                .collect();
            for child in children {
                let output = tokio::task::block_in_place(|| child.wait_with_output()).expect("strata ends");
                self.count_panic(output.status.code().unwrap_or(-1), &String::from_utf8_lossy(&output.stderr));
            }
            // Exactly once is per step: on SQLite the tenant lock is each step's transaction, so
            // one runner may run a tenant's migration and another its seed, each once.
            let mut runs = std::collections::BTreeMap::<(String, String), usize>::new();
            let mut failures = Vec::new();
            for i in 1..=4 {
                let report: serde_json::Value =
                    serde_json::from_str(&self.repo.read(&format!("runner{i}.json"))).expect("a report");
                for outcome in report["tenants"].as_array().expect("tenants") {
                    let tenant = outcome["tenant"].as_str().unwrap_or_default();
                    if let Some(error) = outcome["error"].as_str() {
                        failures.push(format!("runner {i}: {tenant}: {error}"));
                    }
                    for id in outcome["applied"].as_array().into_iter().flatten() {
                        let id = id.as_str().unwrap_or_default().to_string();
                        *runs.entry((tenant.to_string(), id)).or_default() += 1;
                    }
                }
            }
            let once = runs.values().filter(|n| **n == 1).count();
            let label = if sharded { "4 shards" } else { "4 runners" };
            // Each tenant gets the release's migration and its seed.
            let steps = 2 * self.tenants.len();
            said.push(format!("{label}: {once}/{steps} steps once"));
            let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
            assert!(
                once == steps && twice.is_empty(),
                "{label}: every step run by exactly one runner ({once} of {steps}): {twice:?}\n{}",
                failures.join("\n")
            );
        }
        said.join(", ")
    }

    /// (c): the server's connections cut after a few tenants and refused for two seconds, then
    /// a rerun. Says how many tenants failed meanwhile and how many the rerun converged.
    async fn server_restart(&mut self) -> String {
        let Engine::Server { server, .. } = &self.engine else { return "n/a (embedded)".into() };
        let url = server.url();
        let upstream = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).expect("host:port").to_string();
        let proxy = Proxy::start(&upstream).await;
        self.url = url.replacen(&upstream, &format!("127.0.0.1:{}", proxy.port), 1);
        self.next_release();
        let (child, stdout) = self.spawn_apply();
        let lines = tokio::task::block_in_place(|| {
            let mut lines = Vec::new();
            let mut cut_at = None;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.len() == 10 {
                    proxy.cut();
                    cut_at = Some(Instant::now());
                }
                if cut_at.is_some_and(|at| at.elapsed() > Duration::from_secs(2)) {
                    proxy.restore();
                }
                lines.push(line);
            }
            lines
        });
        proxy.restore();
        let output = tokio::task::block_in_place(|| child.wait_with_output()).expect("strata ends");
        self.count_panic(output.status.code().unwrap_or(-1), &String::from_utf8_lossy(&output.stderr));
        let failed = lines.iter().filter(|l| l.contains(": FAILED")).count();
        assert!(failed > 0, "the cut failed some tenants:\n{}", lines.join("\n"));
        let rerun = self.run(&["apply", "--env", "local", "--report", "rerun.json"]);
        assert_eq!(rerun.code, 0, "the rerun converges:\n{}{}", rerun.stdout, rerun.stderr);
        self.url = url;
        format!("{failed} failed while cut, rerun: 0 failed")
    }

    /// The statement that pauses a migration between its data statements (about 0.15 s).
    fn pause(&self) -> &'static str {
        match &self.engine {
            Engine::Sqlite => {
                "WITH RECURSIVE pause(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM pause WHERE n < 500000) SELECT count(*) FROM pause;"
            }
            Engine::Server { server, .. } if server.postgres() => "SELECT pg_sleep(0.15);",
            Engine::Server { .. } => "SELECT SLEEP(0.15);",
        }
    }

    /// A hand-written migration of the template with `up` and `down`, made by `migration new`.
    fn hand_written(&mut self, name: &str, up: &str, down: &str) {
        let created = self.ok(&["migration", "new", "template.party", name]);
        let path = created.lines().next().expect("the up path").trim().to_string();
        self.repo.write(&path, &format!("{}{up}", self.repo.read(&path)));
        let down_path = path.replace(".up.sql", ".down.sql");
        self.repo.write(&down_path, &format!("{}{down}", self.repo.read(&down_path)));
    }

    /// (d): `kills` releases, each of two data migrations that relabel the rows of the two newest
    /// release tables (`A1`, `B1`, then `A2`, ...), pausing between their statements, and each
    /// rollout killed while tenants pause. After each kill the rerun resumes a `no-transaction`
    /// run that recorded its progress, and must stop every other tenant cut between data
    /// statements; the test does what a person would (the statements set values, so running them
    /// again is safe): `repair --mark rolled-back`, and apply again. Says how many kills landed,
    /// how many tenants resumed, how many stopped for a decision, and how many rows a migration
    /// recorded as applied lacks.
    async fn cut_between_statements(&mut self, kills: usize, rng: &mut Rng) -> String {
        let (a, b) = (self.release, self.release - 1);
        let pause = self.pause();
        let (mut landed, mut resumed, mut stopped) = (0, 0, 0);
        let segment = (self.tenants.len() / 2).max(2) as u64;
        for round in 1..=kills {
            let relabel = |table: usize| {
                format!(
                    "UPDATE release_{table} SET label = 'A{round}' WHERE id = 1;\n{pause}\nUPDATE release_{table} SET label = 'B{round}' WHERE id = 2;\n"
                )
            };
            let back = |table: usize| format!("UPDATE release_{table} SET label = 'before' WHERE id IN (1, 2);\n");
            self.hand_written(&format!("relabel {round} in one go"), &relabel(a), &back(a));
            self.hand_written(
                &format!("relabel {round} in batches"),
                &format!("-- strata:no-transaction\n{}", relabel(b)),
                &back(b),
            );
            self.ok(&["commit", "--bump", "minor", "-m", &format!("relabel {round}")]);
            let after = rng.between(1, segment);
            if let Ended::Killed = self.apply_killed(after, Duration::from_millis(rng.between(50, 250))) {
                landed += 1;
            }
            let (resumed_now, stopped_now) = self.settle_cut_tenants();
            (resumed, stopped) = (resumed + resumed_now, stopped + stopped_now);
        }
        // Every tenant recorded every migration applied: its rows must say so.
        let mut lost = 0;
        for tenant in &self.tenants {
            for table in [a, b] {
                // CHAR(n) is MySQL's only text cast; PostgreSQL pads it, hence the trim below.
                let sql = format!("SELECT CAST(label AS CHAR(8)) FROM release_{table} ORDER BY id");
                let labels = self.texts(tenant, &sql).await;
                let want = [format!("A{kills}"), format!("B{kills}")];
                lost += labels.iter().zip(&want).filter(|(got, want)| got.trim() != want.as_str()).count();
            }
        }
        format!("{landed} kills: {resumed} resumed, {stopped} stopped for repair, {lost} rows lost")
    }

    /// Reruns the rollout until it finishes; each tenant that stops because its run was cut
    /// between data statements is marked for a rerun, as a person who looked would. Any other
    /// failure fails the test. Returns how many tenants resumed a cut-off run, and how many
    /// stopped.
    fn settle_cut_tenants(&mut self) -> (usize, usize) {
        let (mut resumed, mut stopped) = (0, 0);
        loop {
            let run = self.run(&["apply", "--env", "local", "--report", "cut.json"]);
            let report: serde_json::Value = serde_json::from_str(&self.repo.read("cut.json")).expect("a report");
            let notes = report["tenants"].as_array().into_iter().flatten().flat_map(|t| t["notes"].as_array());
            resumed += notes.flatten().filter(|n| n.as_str().is_some_and(|n| n.contains("; resumed "))).count();
            if run.code == 0 {
                return (resumed, stopped);
            }
            let failed: Vec<(String, String)> = report["tenants"]
                .as_array()
                .expect("tenants")
                .iter()
                .filter(|t| t["status"] == "failed")
                .map(|t| {
                    (
                        t["tenant"].as_str().unwrap_or_default().to_string(),
                        t["error"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            assert!(!failed.is_empty(), "the rollout failed with no failed tenant:\n{}{}", run.stdout, run.stderr);
            for (tenant, error) in failed {
                assert!(error.contains("the schema cannot witness"), "{tenant} failed otherwise: {error}");
                self.ok(&["repair", "--env", "local", "--tenant", &tenant, "--mark", "rolled-back"]);
                stopped += 1;
            }
        }
    }

    /// The first column of `sql` in one tenant's database.
    async fn texts(&self, tenant: &str, sql: &str) -> Vec<String> {
        match &self.engine {
            Engine::Sqlite => tokio::task::block_in_place(|| self.repo.column(tenant, sql)),
            Engine::Server { server, prefix } => server.texts_in(&format!("{prefix}_{tenant}"), sql).await,
        }
    }

    /// Whether the tenant's lock is free: nothing a killed runner held is still held.
    async fn lock_free(&self, tenant: &str) -> bool {
        match &self.engine {
            Engine::Sqlite => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(self.repo.tenant_db(tenant))
                    .busy_timeout(Duration::ZERO);
                let Ok(mut conn) = sqlx::SqliteConnection::connect_with(&options).await else { return false };
                let taken = sqlx::raw_sql("BEGIN IMMEDIATE; ROLLBACK;").execute(&mut conn).await.is_ok();
                taken
            }
            Engine::Server { server, prefix } if server.postgres() => {
                // strata's key (`strata:<target label>`), taken and let go again by this session.
                let key = format!("strata:schema {prefix}_{tenant}");
                let taken = server
                    .texts_in("public", &format!("SELECT CAST(pg_try_advisory_lock(hashtext('{key}')) AS TEXT)"))
                    .await;
                taken == ["true"]
            }
            Engine::Server { server, prefix } => {
                let name = format!("{prefix}_{tenant}");
                let free = server.texts_in(&name, &format!("SELECT CAST(IS_FREE_LOCK('strata:{name}') AS CHAR)")).await;
                free == ["1"]
            }
        }
    }

    /// Counts every tenant and writes the row.
    async fn figures(&mut self, kills: usize, (concurrent, restart, cut): (&str, &str, &str)) -> Row {
        let last = self.run(&["apply", "--env", "local", "--report", "last.json"]);
        assert_eq!(last.code, 0, "{}{}", last.stdout, last.stderr);
        let report: serde_json::Value = serde_json::from_str(&self.repo.read("last.json")).expect("a report");
        let converged = report["summary"]["up_to_date"].as_u64().unwrap_or_default() as usize;
        let drift = self.run(&["drift", "--env", "local", "--json"]);
        let drift: serde_json::Value = serde_json::from_str(&drift.stdout).expect("drift JSON");
        let diverged = drift["tenants"]
            .as_array()
            .expect("tenants")
            .iter()
            .filter(|t| !t["problem"].is_null() || t["differences"].as_array().is_some_and(|d| !d.is_empty()))
            .count();
        let mut duplicates = 0;
        let mut leaked = 0;
        let mut seeded_twice = 0;
        for tenant in &self.tenants {
            let counts =
                self.texts(tenant, "SELECT CAST(count(*) - count(DISTINCT id) AS CHAR(20)) FROM strata_history").await;
            duplicates += counts.concat().trim().parse::<usize>().unwrap_or(1);
            leaked += usize::from(!self.lock_free(tenant).await);
            let roles = self.texts(tenant, "SELECT CAST(count(*) AS CHAR(20)) FROM roles").await.concat();
            seeded_twice += usize::from(roles.trim() != "3");
            for n in 2..=self.release {
                let rows = self.texts(tenant, &format!("SELECT CAST(count(*) AS CHAR(20)) FROM release_{n}")).await;
                seeded_twice += usize::from(rows.concat().trim() != "2");
            }
        }
        Row {
            engine: self.engine_name(),
            tenants: self.tenants.len(),
            kills,
            releases: self.release,
            converged,
            duplicates,
            diverged,
            leaked,
            seeded_twice,
            panics: self.panics,
            concurrent: concurrent.to_string(),
            restart: restart.to_string(),
            cut: cut.to_string(),
        }
    }

    async fn drop_all(&self) {
        if let Engine::Server { server, prefix } = &self.engine {
            server.drop_prefixed(prefix).await;
        }
    }
}

struct Row {
    engine: &'static str,
    tenants: usize,
    kills: usize,
    releases: usize,
    converged: usize,
    duplicates: usize,
    diverged: usize,
    leaked: usize,
    seeded_twice: usize,
    panics: usize,
    concurrent: String,
    restart: String,
    cut: String,
}

impl Row {
    fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            self.engine,
            self.kills,
            self.releases,
            self.converged,
            self.tenants,
            self.duplicates,
            self.diverged,
            self.leaked,
            self.seeded_twice,
            self.panics,
            self.concurrent,
            self.restart,
            self.cut
        )
    }
}

/// The table's head, written once for `.ci/run` to print above the rows.
const HEAD: &str = "| engine | SIGKILLs | releases | converged | duplicate history rows | schema ≠ history | leaked locks | seeds twice | panics | concurrent runners | connections cut | cut between data statements |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";

fn kills(default: usize) -> usize {
    let factor = std::env::var("STRATA_FIGURES_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    default * factor
}

async fn figures_of(engine: Engine, kills: usize, salt: u64, file: &str) {
    let started = Instant::now();
    let mut fleet = Fleet::new(engine).await;
    let mut rng = Rng::new(salt);
    let killed = fleet.kill_rollouts(kills, &mut rng);
    assert_eq!(killed, kills, "every kill landed mid-rollout");
    // One rerun after the last kill converges every tenant.
    fleet.ok(&["apply", "--env", "local"]);
    let concurrent = fleet.concurrent_runners();
    let restart = fleet.server_restart().await;
    let cut = fleet.cut_between_statements(3, &mut rng).await;
    assert!(cut.ends_with(", 0 rows lost"), "{cut}");
    let row = fleet.figures(killed, (&concurrent, &restart, &cut)).await;
    fleet.drop_all().await;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("reliability");
    std::fs::create_dir_all(&dir).expect("figures folder");
    std::fs::write(dir.join("0-head.md"), HEAD).expect("head");
    std::fs::write(dir.join(file), row.markdown()).expect("row");
    eprintln!("{HEAD}{}({:.0} s)", row.markdown(), started.elapsed().as_secs_f64());
    assert_eq!(row.converged, row.tenants, "every tenant converged");
    assert_eq!(
        (row.duplicates, row.diverged, row.leaked, row.seeded_twice, row.panics),
        (0, 0, 0, 0, 0),
        "duplicates, diverged, leaked locks, seeds twice, panics"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn figures_on_sqlite() {
    figures_of(Engine::Sqlite, kills(20), 1, "1-sqlite.md").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn figures_on_postgres() {
    if !POSTGRES.ready().await {
        return;
    }
    let prefix = format!("figures_{}", std::process::id());
    figures_of(Engine::Server { server: &POSTGRES, prefix }, kills(20), 2, "2-postgres.md").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn figures_on_mariadb() {
    if !MARIADB.ready().await {
        return;
    }
    let prefix = format!("figures_{}", std::process::id());
    figures_of(Engine::Server { server: &MARIADB, prefix }, kills(10), 3, "3-mariadb.md").await;
}
