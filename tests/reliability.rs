//! #18, the defects found by trying to break strata, each with the test that reproduces it: one
//! tenant's damaged history is that tenant's named problem in every command, a state directory
//! that cannot be written (a read-only checkout) does not turn a good rollout into a failure, and
//! verify's scratch schemas neither collide nor pile up.

mod util;

use util::servers::{first_release, init_starter, ok, Server, MARIADB, POSTGRES};
use util::Repo;

/// Damages one tenant's history the way a hand edit would: `seq` no longer an integer.
fn damage_history(repo: &Repo, tenant: &str) {
    repo.execute(tenant, "UPDATE strata_history SET seq = 'x' WHERE id LIKE 'template.%'");
}

#[test]
fn a_damaged_history_is_that_tenants_named_problem_in_apply_status_and_drift() {
    let repo = Repo::init();
    repo.commit("first release");
    repo.ok(&["apply", "--env", "local"]);
    damage_history(&repo, "nrna");

    let apply = repo.run(&["apply", "--env", "local"]);
    assert_eq!(apply.code, 4, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("nrna: FAILED") && apply.stdout.contains("decoding column \"seq\""),
        "{}",
        apply.stdout
    );
    assert!(apply.stdout.contains("demo: up to date") && apply.stdout.contains("uml: up to date"), "{}", apply.stdout);

    // Before: status failed as a whole (exit 1) for the one tenant.
    let status = repo.run(&["status", "--env", "local"]);
    assert_eq!(status.code, 0, "{}{}", status.stdout, status.stderr);
    assert!(status.stdout.contains("! nrna: its history cannot be read:"), "{}", status.stdout);
    assert!(status.stdout.lines().any(|l| l.starts_with("demo ")), "{}", status.stdout);

    let drift = repo.run(&["drift", "--env", "local"]);
    assert_eq!(drift.code, 3, "{}", drift.stdout);
    assert!(drift.stdout.contains("nrna: cannot check:") && drift.stdout.contains("uml: no drift"), "{}", drift.stdout);
}

#[test]
fn a_state_directory_that_cannot_be_written_is_a_warning_after_the_report() {
    let repo = Repo::init();
    repo.commit("first release");
    // A folder under a regular file can never be made: as good as a read-only root, even for root.
    repo.write("not-a-folder", "");
    let report = repo.path().join("report.json");
    let run = repo.run(&[
        "apply",
        "--env",
        "local",
        "--state-dir",
        "not-a-folder/state",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "every tenant migrated is a success: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("3 tenants, 3 migrated"), "{}", run.stdout);
    assert!(
        run.stdout.contains("warning: ") && run.stdout.contains("--state-dir or STRATA_STATE_DIR"),
        "{}",
        run.stdout
    );
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["summary"]["migrated"], 3);
    assert_eq!(written["warnings"].as_array().map(Vec::len), Some(1));

    // A state directory elsewhere keeps what .strata/ would: the last failure, for status and
    // --only-failed.
    repo.execute("uml", "CREATE TABLE blocker (id INTEGER)");
    repo.write(
        "templates/party/schema/02_committees.sql",
        &format!("{}CREATE TABLE blocker (id INTEGER);\n", repo.read("templates/party/schema/02_committees.sql")),
    );
    repo.write(
        "templates/party/template.yaml",
        &repo.read("templates/party/template.yaml").replace("version: 1.0.0", "version: 1.1.0"),
    );
    repo.commit("a table uml already has");
    let state = repo.path().join("elsewhere");
    let failed = repo.run(&["apply", "--env", "local", "--state-dir", state.to_str().unwrap()]);
    assert_eq!(failed.code, 4, "{}", failed.stdout);
    assert!(state.join("rollouts/local.json").exists(), "remembered where it was told");
    assert!(!repo.path().join(".strata/rollouts/local.json").exists(), "and not in .strata/");
    let status = repo.ok(&["status", "--env", "local", "--state-dir", state.to_str().unwrap()]);
    assert!(status.contains("! uml: the last rollout"), "{status}");
    repo.execute("uml", "DROP TABLE blocker");
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["--repo", repo.path().to_str().unwrap(), "apply", "--env", "local", "--only-failed"])
        .env("STRATA_STATE_DIR", &state)
        .output()
        .unwrap();
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(again.contains("uml: applied template.party/0002_") && !again.contains("nrna"), "{again}");
}

/// Two verifies at once on one dev server (in containers both were PID 1, and the scratch names
/// were keyed by it) each get their own scratch; one a killed verify left long ago is dropped.
async fn scratch_schemas_neither_collide_nor_pile_up(server: &Server) {
    let Some((repo, _)) = first_release(server, &format!("scratch_{}", server.dialect)).await else { return };
    let stale = format!("strata_dev_t1000_{:x}", std::process::id());
    server.drop_prefixed(&stale).await;
    server.create_tenant(&stale, "").await;
    let url = server.url();
    let (a, b) = repo.run_twice_at_once(&["verify", "--base", "HEAD~1", "--dev-url", &url]);
    assert_eq!((a.code, b.code), (0, 0), "{}{}\n{}{}", a.stdout, a.stderr, b.stdout, b.stderr);
    assert_eq!(server.prefixed(&stale).await, Vec::<String>::new(), "the stale scratch is dropped");
}

#[tokio::test(flavor = "multi_thread")]
async fn scratch_schemas_on_postgres() {
    scratch_schemas_neither_collide_nor_pile_up(&POSTGRES).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn scratch_databases_on_mariadb() {
    scratch_schemas_neither_collide_nor_pile_up(&MARIADB).await;
}

/// Two `strata commit` at once in one work tree numbered their migrations alike (`0002_a` and
/// `0002_b`) and broke the stream. One holds the repository now; the other waits its turn or says
/// who holds it, and the stream stays whole.
#[test]
fn two_commits_at_once_never_number_a_migration_twice() {
    for round in 0..3 {
        let repo = Repo::init();
        repo.commit("first release");
        let path = "modules/events/schema/01_events.sql";
        repo.write(path, &repo.read(path).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n"));
        let spawn = |message: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
                .args(["--repo", repo.path().to_str().unwrap(), "commit", "--bump", "minor", "-m", message])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("capacity a"), spawn("capacity b"));
        let runs: Vec<util::Run> = [a, b].into_iter().map(|c| c.wait_with_output().unwrap().into()).collect();
        for run in &runs {
            let refused = run.stderr.contains("another strata commit is running in this repository");
            assert!(run.code == 0 || refused, "round {round}: {}{}", run.stdout, run.stderr);
        }
        let files = std::fs::read_dir(repo.path().join("migrations/modules/events")).unwrap();
        let second: Vec<String> = files
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with("0002_") && name.ends_with(".up.sql"))
            .collect();
        assert_eq!(second.len(), 1, "round {round}: one 0002, not {second:?}");
        repo.ok(&["check"]);
        assert_eq!(repo.git_status(), Vec::<String>::new(), "round {round}: nothing left half-committed");
    }
}

/// A `COMMIT` inside a seed (or a migration strata runs in its transaction) committed rows without
/// their history row. `check` refuses it, naming the file and line; a `no-transaction` migration
/// may commit as it goes, and a savepoint rollback is no transaction control.
#[test]
fn transaction_control_in_a_seed_or_a_transactional_migration_is_refused_at_check() {
    let repo = Repo::init();
    repo.commit("first release");
    let seed = "templates/party/seed/01_roles.sql";
    let original = repo.read(seed);
    repo.write(seed, &format!("{original}COMMIT;\nINSERT INTO roles (name) VALUES ('late');\n"));
    let check = repo.run(&["check"]);
    assert_eq!(check.code, 3, "{}{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("templates/party/seed/01_roles.sql:6: `COMMIT` ends strata's transaction early"),
        "{}",
        check.stdout
    );
    repo.write(seed, &original);

    let created = repo.ok(&["migration", "new", "module.events", "batched backfill"]);
    let up = created.lines().next().unwrap().to_string();
    let header = repo.read(&up);
    let batched =
        "UPDATE events SET venue = 'tbd' WHERE venue IS NULL;\nCOMMIT;\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\n";
    repo.write(&up, &format!("{header}{batched}"));
    let check = repo.run(&["check"]);
    assert_eq!(check.code, 3, "{}", check.stdout);
    assert!(check.stdout.contains(&format!("{up}:")) && check.stdout.contains("`COMMIT`"), "{}", check.stdout);
    assert!(!check.stdout.contains("`ROLLBACK`"), "a savepoint rollback is fine: {}", check.stdout);
    repo.write(&up, &format!("{header}-- strata:no-transaction\n{batched}"));
    let check = repo.run(&["check"]);
    assert!(!check.stdout.contains("ends strata's transaction"), "{}", check.stdout);
}

/// Rolled back to before its first migration and applied again, a tenant had its tables back with
/// no seed rows: the `seed:` history row survived the rollback. A layer rolled back past its first
/// migration now forgets its seeds, and the next apply seeds it again.
#[test]
fn a_tenant_rolled_back_to_nothing_is_seeded_again_by_the_next_apply() {
    let repo = Repo::init();
    repo.commit("first release");
    repo.ok(&["apply", "--env", "local"]);
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM roles"), ["3"]);
    let out = repo.ok(&["rollback", "--env", "local", "--tenant", "nrna", "--to", "HEAD~1", "--yes"]);
    assert!(out.contains("nrna: forgot seed:template.party/01_roles.sql"), "{out}");
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM strata_history"), ["0"]);
    repo.ok(&["apply", "--env", "local"]);
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM roles"), ["3"], "seeded again");

    // A rollback that leaves the layer's tables keeps its seed: its rows are still there.
    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &repo.read(path).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n"));
    repo.ok(&["commit", "--bump", "minor", "-m", "capacity"]);
    repo.ok(&["apply", "--env", "local"]);
    let out = repo.ok(&["rollback", "--env", "local", "--tenant", "nrna", "--steps", "1", "--yes"]);
    assert!(!out.contains("forgot"), "{out}");
    assert!(repo.ok(&["apply", "--env", "local"]).contains("nrna: applied module.events/0002_capacity\n"));
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM roles"), ["3"], "never seeded twice");
}

/// On PostgreSQL a history whose `seq` was changed to text (a hand edit) is that tenant's named
/// problem too, said as a damaged history rather than as a server that does not answer.
#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_history_on_postgres_is_named_as_such() {
    let server = &POSTGRES;
    let Some((repo, prefix)) = first_release(server, "damaged").await else { return };
    let url = server.url();
    ok(&repo, &url, &["apply", "--env", "local"]);
    server.execute_in(&format!("{prefix}_uml"), "ALTER TABLE strata_history ALTER COLUMN seq TYPE text").await;
    let status = ok(&repo, &url, &["status", "--env", "local"]);
    assert!(
        status.contains("! uml: its history cannot be read:") && status.contains("decoding column \"seq\""),
        "{status}"
    );
    assert!(!status.contains("is the server"), "not a connection problem: {status}");
    let apply = util::servers::strata(&repo, &url, &["apply", "--env", "local"]);
    assert_eq!(apply.code, 4, "{}", apply.stdout);
    assert!(apply.stdout.contains("uml: FAILED") && apply.stdout.contains("nrna: up to date"), "{}", apply.stdout);
    server.drop_prefixed(&prefix).await;
}

/// On MySQL a seed ran autocommitted before its history row: a failing (or killed) seed left rows
/// that the rerun inserted again, or a `failed` row only `repair` could settle. A seed is data,
/// which InnoDB takes back: it now commits with its history row or not at all.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_seed_on_mariadb_leaves_no_rows_and_reruns_cleanly() {
    let server = &MARIADB;
    if !server.ready().await {
        return;
    }
    let prefix = format!("seedtx_{}", std::process::id());
    server.drop_prefixed("seedtx_").await;
    let repo = init_starter("mysql", &prefix);
    let seed = "templates/party/seed/01_roles.sql";
    let good = repo.read(seed);
    // The second statement fails on the unique name: the first one's rows must not stay.
    repo.write(seed, &format!("{good}INSERT INTO roles (name, description) VALUES ('admin', 'twice');\n"));
    repo.git_commit_all("a prefix of its own, a seed that fails half way");
    let url = server.url();
    ok(&repo, &url, &["commit", "-m", "first release"]);
    let failed = util::servers::strata(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    assert_eq!(failed.code, 4, "{}{}", failed.stdout, failed.stderr);
    assert!(failed.stdout.contains("rolled back: none of its rows stay"), "{}", failed.stdout);
    let uml = format!("{prefix}_uml");
    assert_eq!(server.texts_in(&uml, "SELECT CAST(count(*) AS CHAR) FROM roles").await, ["0"]);
    assert_eq!(
        server.texts_in(&uml, "SELECT CAST(count(*) AS CHAR) FROM strata_history WHERE id LIKE 'seed:%'").await,
        ["0"]
    );
    repo.write(seed, &good);
    ok(&repo, &url, &["commit", "-m", "the seed fixed"]);
    ok(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    assert_eq!(server.texts_in(&uml, "SELECT CAST(count(*) AS CHAR) FROM roles").await, ["3"], "once");
    server.drop_prefixed(&prefix).await;
}

/// After a kill, MySQL tenants whose DDL had run but whose history said `failed` needed `repair`
/// one tenant at a time, though their live schema plainly matched the state after the
/// migration. apply now settles that by itself and says so; only a schema between the two states
/// is left to `repair`.
#[tokio::test(flavor = "multi_thread")]
async fn apply_settles_a_failed_migration_the_live_schema_shows_done() {
    let server = &MARIADB;
    let Some((repo, prefix)) = first_release(server, "settle").await else { return };
    let url = server.url();
    ok(&repo, &url, &["apply", "--env", "local", "--tenant", "uml", "--tenant", "nrna"]);
    // As a kill between the DDL and its history row leaves it.
    let failed = "UPDATE strata_history SET state = 'failed' WHERE id = 'module.donations/0001_init'";
    server.execute_in(&format!("{prefix}_uml"), failed).await;
    // And one whose schema is neither: part of it undone by hand.
    server.execute_in(&format!("{prefix}_nrna"), failed).await;
    server.execute_in(&format!("{prefix}_nrna"), "DROP TABLE donations").await;

    let run = util::servers::strata(&repo, &url, &["apply", "--env", "local", "--tenant", "uml", "--tenant", "nrna"]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("uml: note: module.donations/0001_init had failed, but the live schema matches the state after it: recorded as applied"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nrna: FAILED") && run.stdout.contains("create table donations"), "{}", run.stdout);
    assert!(run.stdout.contains("settle it with `strata repair --env local --tenant nrna`"), "{}", run.stdout);
    let status = ok(&repo, &url, &["status", "--env", "local", "--tenant", "uml"]);
    assert!(!status.contains('!'), "uml is settled: {status}");
    server.drop_prefixed(&prefix).await;
}

/// A concurrency of 0 was taken (and quietly made 1); option values and environment settings that
/// cannot mean anything are refused before anything runs, naming the option or the file.
#[test]
fn a_concurrency_of_zero_is_refused_before_anything_runs() {
    let repo = Repo::init();
    repo.commit("first release");
    let run = repo.run(&["apply", "--env", "local", "--concurrency", "0"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("'--concurrency <CONCURRENCY>': must be at least 1"), "{}", run.stderr);
    assert!(!repo.tenant_db("demo").exists(), "nothing ran");
    let environment = "environments/local.yaml";
    repo.write(environment, &format!("{}rollout: {{ concurrency: 0 }}\n", repo.read(environment)));
    let check = repo.run(&["check"]);
    assert_ne!(check.code, 0);
    assert!(
        check.stderr.contains("environments/local.yaml: rollout.concurrency must be at least 1"),
        "{}",
        check.stderr
    );
}

/// Changes one of a tenant's variables in its `tenant.yaml` (the work tree).
fn set_var(repo: &Repo, tenant: &str, from: &str, to: &str) {
    let path = format!("tenants/{tenant}/tenant.yaml");
    let text = repo.read(&path);
    assert!(text.contains(from), "{path} has {from}: {text}");
    repo.write(&path, &text.replace(from, to));
}

/// Item 7: a changed variable used to reach nothing (`plan` "No changes", `apply` up to date,
/// `drift` exit 3 forever). Now `plan` shows the step that converges the tenant, `apply` runs it
/// once, before any pending migration, and a change back to an old value converges again.
#[test]
fn a_changed_tenant_variable_is_planned_and_converged_once_by_apply() {
    let repo = Repo::init();
    repo.commit("first release");
    repo.ok(&["apply", "--env", "local"]);
    repo.execute("nrna", "INSERT INTO donations (amount_cents) VALUES (500)");
    let default_of =
        |tenant| repo.column(tenant, "SELECT dflt_value FROM pragma_table_info('donations') WHERE name = 'currency'");

    set_var(&repo, "nrna", "currency: \"USD\"", "currency: \"EUR\"");
    let plan = repo.ok(&["plan"]);
    assert!(
        plan.contains("changed variables: tenants/nrna/tenant.yaml: apply converges the tenant's schema"),
        "{plan}"
    );
    assert!(plan.contains("DEFAULT 'EUR'"), "{plan}");
    let json: serde_json::Value = serde_json::from_str(&repo.ok(&["plan", "--format", "json"])).unwrap();
    let tenants: Vec<&str> =
        json["rerendered"].as_array().unwrap().iter().map(|r| r["tenant"].as_str().unwrap()).collect();
    assert_eq!(tenants, ["nrna"], "only the tenant whose value changed");
    let committed = repo.ok(&["commit", "-m", "nrna takes euros"]);
    assert!(
        committed.contains("tenants/nrna/tenant.yaml  (changed variables: apply converges the tenant)"),
        "{committed}"
    );
    let out = repo.ok(&["apply", "--env", "local"]);
    assert!(out.contains("nrna: applied vars:"), "{out}");
    assert!(out.contains("nrna: note: tenants/nrna/tenant.yaml: its variables changed"), "{out}");
    assert!(out.contains("uml: up to date") && out.contains("demo: up to date"), "{out}");
    assert_eq!(default_of("nrna"), ["'EUR'"]);
    assert_eq!(default_of("uml"), ["'NPR'"], "another tenant is untouched");
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM donations"), ["1"], "the rows survive");
    assert_eq!(repo.run(&["drift", "--env", "local"]).code, 0, "no drift once converged");
    assert!(repo.ok(&["apply", "--env", "local"]).contains("3 up to date"), "the step runs once");

    // A second change on top, with a new migration in the same commit: the converging step runs
    // first, and the new migration renders with the new value.
    set_var(&repo, "nrna", "currency: \"EUR\"", "currency: \"GBP\"");
    let path = "modules/donations/schema/01_donations.sql";
    repo.write(path, &repo.read(path).replace("  currency TEXT", "  note TEXT,\n  currency TEXT"));
    repo.ok(&["commit", "--bump", "minor", "-m", "pounds, and a note"]);
    let out = repo.ok(&["apply", "--env", "local"]);
    let line = out.lines().find(|l| l.starts_with("nrna: applied ")).unwrap_or_default();
    assert!(
        line.starts_with("nrna: applied vars:") && line.ends_with(", module.donations/0002_pounds_and_a_note"),
        "{out}"
    );
    assert_eq!(default_of("nrna"), ["'GBP'"]);

    // Back to the first value: the oldest rows' hashes are not mistaken for today's state.
    set_var(&repo, "nrna", "currency: \"GBP\"", "currency: \"USD\"");
    repo.ok(&["commit", "-m", "back to dollars"]);
    assert!(repo.ok(&["apply", "--env", "local"]).contains("nrna: applied vars:"));
    assert_eq!(default_of("nrna"), ["'USD'"]);
    let steps = repo.column("nrna", "SELECT id FROM strata_history WHERE id LIKE 'vars:%' ORDER BY applied_at, rowid");
    assert_eq!(steps.len(), 3, "one step per change: {steps:?}");
    assert_eq!(repo.run(&["drift", "--env", "local"]).code, 0);
    assert!(repo.ok(&["status", "--env", "local"]).contains("3 up to date, 0 behind"));

    // A step's row left failed (as a lost outcome leaves it) is not repair's to settle: apply
    // computes the step again from the rows before it and runs it under the same id.
    repo.execute("nrna", &format!("UPDATE strata_history SET state = 'failed' WHERE id = '{}'", steps[2]));
    assert!(repo.ok(&["repair", "--env", "local", "--tenant", "nrna"]).contains("nothing to repair"));
    let out = repo.ok(&["apply", "--env", "local"]);
    assert!(out.contains(&format!("nrna: applied {}", steps[2])), "{out}");
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM strata_history WHERE state <> 'applied'"), ["0"]);
    assert_eq!(default_of("nrna"), ["'USD'"]);
}

/// A variable that names a table would, changed, drop the old table with its rows: `check`,
/// `verify` and `plan` say so before the merge, and `apply` refuses that tenant only.
#[test]
fn a_variable_change_that_would_drop_data_is_refused_before_and_at_apply() {
    let repo = Repo::init();
    repo.write(
        "tenants/nrna/patches/02_ledger.sql",
        "CREATE TABLE {{ tenant.vars.ledger | sql_ident }} (id INTEGER PRIMARY KEY);\n",
    );
    set_var(&repo, "nrna", "currency: \"USD\"", "currency: \"USD\", ledger: \"ledger_a\"");
    repo.commit("first release");
    repo.ok(&["apply", "--env", "local"]);
    repo.execute("nrna", "INSERT INTO ledger_a (id) VALUES (1)");

    set_var(&repo, "nrna", "ledger_a", "ledger_b");
    let refusal = "tenants/nrna/tenant.yaml: with its new variables the tenant's migrations render to a schema without data it has (drop table ledger_a)";
    let check = repo.run(&["check"]);
    assert_eq!(check.code, 3, "{}{}", check.stdout, check.stderr);
    assert!(check.stdout.contains(refusal), "{}", check.stdout);
    let head = repo.head();
    let commit = repo.run(&["commit", "-m", "rename the ledger"]);
    assert_eq!(commit.code, 3, "{}{}", commit.stdout, commit.stderr);
    assert!(commit.stderr.contains(refusal), "{}", commit.stderr);
    assert_eq!(repo.head(), head, "nothing was committed");
    assert!(repo.ok(&["plan"]).contains(refusal));
    repo.git_commit_all("rename nrna's ledger by its variable");
    let verify = repo.run(&["verify", "--base", "HEAD~1"]);
    assert_ne!(verify.code, 0);
    assert!(verify.stdout.contains(refusal), "{}", verify.stdout);
    let apply = repo.run(&["apply", "--env", "local"]);
    assert_eq!(apply.code, 4, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stdout.contains(&format!("nrna: FAILED after 0 migrations: {refusal}")), "{}", apply.stdout);
    assert!(apply.stdout.contains("2 up to date, 1 failed"), "{}", apply.stdout);
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM ledger_a"), ["1"], "nothing was dropped");
}

/// Item 7 on a server: the converging step is planned for the engine, runs in the tenant's
/// schema or database only, and leaves no drift.
async fn a_changed_variable_converges_on(server: &Server, name: &str) {
    let Some((repo, prefix)) = first_release(server, name).await else { return };
    let url = server.url();
    ok(&repo, &url, &["apply", "--env", "local"]);
    set_var(&repo, "nrna", "currency: \"USD\"", "currency: \"EUR\"");
    ok(&repo, &url, &["commit", "-m", "nrna takes euros"]);
    let out = ok(&repo, &url, &["apply", "--env", "local"]);
    assert!(out.contains("nrna: applied vars:") && out.contains("2 up to date"), "{out}");
    let current = match server.postgres() {
        true => "current_schema()",
        false => "DATABASE()",
    };
    let default_in = |tenant: &str| {
        let query = format!(
            "SELECT CAST(column_default AS CHAR(64)) FROM information_schema.columns WHERE table_schema = {current} AND table_name = 'donations' AND column_name = 'currency'"
        );
        let schema = format!("{prefix}_{tenant}");
        async move { server.texts_in(&schema, &query).await.concat() }
    };
    assert!(default_in("nrna").await.contains("EUR"), "{}", default_in("nrna").await);
    assert!(default_in("uml").await.contains("NPR"), "{}", default_in("uml").await);
    let drift = util::servers::strata(&repo, &url, &["drift", "--env", "local"]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    assert!(ok(&repo, &url, &["apply", "--env", "local"]).contains("3 up to date"));
    server.drop_prefixed(&prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_variable_converges_on_postgres() {
    a_changed_variable_converges_on(&POSTGRES, "varspg").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_variable_converges_on_mariadb() {
    a_changed_variable_converges_on(&MARIADB, "varsmy").await;
}

/// Item 1, found again by the figures: on MySQL (and in a `no-transaction` migration on
/// PostgreSQL) the history row was written after the statements, so a kill between them left the
/// DDL done and no row; the rerun ran it again and failed ("already exists"), and only the run
/// after that settled it. The row is now written `running` first: the rerun sees the run was cut
/// off and settles it against the live schema at once.
async fn a_run_killed_between_its_ddl_and_its_outcome_is_settled_by_the_rerun(server: &Server, name: &str) {
    let Some((repo, prefix)) = first_release(server, name).await else { return };
    let url = server.url();
    ok(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let schema = "templates/party/schema/03_meetings.sql";
    let core = repo.read(schema);
    repo.write(schema, &format!("{core}CREATE TABLE audit_marks (id INTEGER PRIMARY KEY, note VARCHAR(64));\n"));
    let created = ok(&repo, &url, &["migration", "new", "template.party", "audit marks"]);
    let up = created.lines().next().expect("the up path").to_string();
    let (header, sleep) = match server.postgres() {
        // The rerun resumes a `no-transaction` run at the pause, which runs again: kept short.
        true => ("-- strata:no-transaction\n", "SELECT pg_sleep(5);"),
        false => ("", "SELECT SLEEP(30);"),
    };
    repo.write(
        &up,
        &format!(
            "{}{header}CREATE TABLE audit_marks (id INTEGER PRIMARY KEY, note VARCHAR(64));\n{sleep}\n",
            repo.read(&up)
        ),
    );
    let down = up.replace(".up.sql", ".down.sql");
    repo.write(&down, &format!("{}DROP TABLE audit_marks;\n", repo.read(&down)));
    ok(&repo, &url, &["commit", "--bump", "minor", "-m", "audit marks"]);

    // Killed while the migration sleeps: the table is made, the outcome never written.
    let mut child = util::servers::spawn(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let uml = format!("{prefix}_uml");
    let id = up.rsplit('/').next().unwrap_or_default().trim_end_matches(".up.sql").to_string();
    let state = format!("SELECT CAST(state AS CHAR(16)) FROM strata_history WHERE id = 'template.party/{id}'");
    let started = std::time::Instant::now();
    while server.texts_in(&uml, &state).await.is_empty() {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the migration never started");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(server.texts_in(&uml, &state).await.concat().trim().starts_with("running"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    child.kill().expect("kill");
    child.wait().expect("killed");

    let status = ok(&repo, &url, &["status", "--env", "local", "--tenant", "uml"]);
    assert!(status.contains(&format!("template.party/{id} was cut off")), "{status}");
    let rerun = util::servers::strata(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    assert_eq!(rerun.code, 0, "one rerun settles it:\n{}{}", rerun.stdout, rerun.stderr);
    // A `no-transaction` run recorded its progress: the table made, it resumes at the pause.
    let settled = match server.postgres() {
        true => {
            "was cut off after 1 of 2 statements: the live schema shows statement 2 had not taken effect; resumed at it"
        }
        false => "was cut off, but the live schema matches the state after it: recorded as applied",
    };
    assert!(rerun.stdout.contains(&format!("uml: note: template.party/{id} {settled}")), "{}", rerun.stdout);
    assert_eq!(server.texts_in(&uml, &state).await.concat().trim(), "applied");
    server.drop_prefixed(&prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_on_mariadb_is_settled_by_the_rerun() {
    a_run_killed_between_its_ddl_and_its_outcome_is_settled_by_the_rerun(&MARIADB, "cutmy").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_no_transaction_run_on_postgres_is_settled_by_the_rerun() {
    a_run_killed_between_its_ddl_and_its_outcome_is_settled_by_the_rerun(&POSTGRES, "cutpg").await;
}

/// `strata init` then `apply`, the commit skipped: the seeds ran on empty databases and every
/// tenant failed ("no such table: roles"), leaving empty database files. Now apply says what to
/// do first, and creates nothing.
#[test]
fn apply_before_the_first_commit_says_to_commit_and_creates_nothing() {
    let repo = Repo::init();
    let run = repo.run(&["apply", "--env", "local"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("has no migrations yet: `strata commit` writes them from the schema files"),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join(".strata/local").exists(), "no tenant database was created");
}

/// A converging step's row left failed, whose effect a later migration's run recorded (its
/// schema hash renders with the new values): nothing is left to converge, so apply forgets the
/// row and says so, instead of keeping a failure that `status` would show forever.
#[test]
fn a_failed_converging_step_that_a_later_run_made_true_is_forgotten() {
    let repo = Repo::init();
    repo.commit("first release");
    repo.ok(&["apply", "--env", "local"]);
    set_var(&repo, "nrna", "currency: \"USD\"", "currency: \"EUR\"");
    repo.ok(&["commit", "-m", "nrna takes euros"]);
    repo.ok(&["apply", "--env", "local"]);
    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &repo.read(path).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n"));
    repo.ok(&["commit", "--bump", "minor", "-m", "capacity"]);
    repo.ok(&["apply", "--env", "local"]);
    let step =
        repo.column("nrna", "SELECT id FROM strata_history WHERE id LIKE 'vars:%' ORDER BY applied_at, rowid").concat();
    repo.execute("nrna", &format!("UPDATE strata_history SET state = 'failed' WHERE id = '{step}'"));
    let out = repo.ok(&["apply", "--env", "local"]);
    let said = format!("nrna: note: {step} had failed, and the tenant's schema has its variables now: forgotten");
    assert!(out.contains(&said), "{out}");
    assert!(out.contains("nrna: up to date"), "nothing ran: {out}");
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM strata_history WHERE state <> 'applied'"), ["0"]);
}
