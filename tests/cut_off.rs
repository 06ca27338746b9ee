//! Runs cut off between their statements (#25 item 3): a migration holding data statements that
//! was cut off (or failed) after some of them is never settled by comparing schemas, since its
//! schema looks the same whether its rows were written or not. A `no-transaction` migration
//! records its progress statement by statement, each data statement with its progress, so the
//! rerun resumes after the last one done; a migration that records none stops the tenant, names
//! the statements that may or may not have run, and `repair --mark` records what a person found.
//! A rollback killed part-way through a down on MariaDB (#25 item 7) is finished by running it
//! again: the down's row is `reverting` meanwhile, settled by the live schema.

mod util;

use util::Repo;

/// A starter whose events hold 1,000 rows, and a `no-transaction` migration that inserts a row and
/// backfills the rest in two batches with a pause (a long query) between them, where a kill lands.
fn backfill_release() -> (Repo, String) {
    let repo = Repo::init();
    repo.commit("first release");
    repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    repo.execute(
        "nrna",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
         INSERT INTO events (title, starts_at) SELECT 'event ' || i, '2026-01-01' FROM n",
    );
    let created = repo.ok(&["migration", "new", "module.events", "batched backfill"]);
    let up = created.lines().next().expect("the up path").to_string();
    let batches = "-- strata:no-transaction\n\
                   INSERT INTO events (title, starts_at, venue) VALUES ('kickoff', '2026-01-01', 'tbd');\n\
                   UPDATE events SET venue = 'tbd' WHERE venue IS NULL AND id <= 500;\n\
                   WITH RECURSIVE pause(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM pause WHERE n < 20000000) SELECT count(*) FROM pause;\n\
                   UPDATE events SET venue = 'tbd' WHERE venue IS NULL AND id > 500;\n";
    repo.write(&up, &format!("{}{batches}", repo.read(&up)));
    repo.ok(&["commit", "--bump", "minor", "-m", "batched backfill"]);
    let id = format!("module.events/{}", up.rsplit('/').next().unwrap_or_default().trim_end_matches(".up.sql"));
    (repo, id)
}

/// Kills `strata apply` of nrna while its migration works between the two batches: the insert
/// and the first batch written, the history row `running:2` (two statements done).
fn cut_off_after_the_first_batch(repo: &Repo, id: &str) {
    let mut child = util::servers::spawn(repo, "", &["apply", "--env", "local", "--tenant", "nrna"]);
    let started = std::time::Instant::now();
    let state = format!("SELECT count(*) FROM strata_history WHERE id = '{id}' AND state = 'running:2'");
    while repo.column("nrna", "SELECT count(*) FROM events WHERE venue = 'tbd'") != ["501"]
        || repo.column("nrna", &state) != ["1"]
    {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the first batch never ran");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("killed");
}

/// The rerun takes up where the kill left: the pause (its transaction never committed) and the
/// second batch run, the insert and the first batch do not run again (one `kickoff` row, 1,001
/// events), and every row is backfilled without `repair`.
#[test]
fn a_backfill_cut_off_between_its_batches_resumes_after_the_last_batch_done() {
    let (repo, id) = backfill_release();
    cut_off_after_the_first_batch(&repo, &id);
    let status = repo.ok(&["status", "--env", "local", "--tenant", "nrna"]);
    assert!(status.contains(&format!("{id} was cut off after 2 of 4 statements")), "{status}");
    let apply = repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    assert!(
        apply.contains(&format!("nrna: note: {id} was cut off after 2 of 4 statements: statement 3 writes rows and commits with its progress, so it had not run; resumed at it"))
            && apply.contains(&format!("nrna: applied {id}")),
        "{apply}"
    );
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM events WHERE title = 'kickoff'"), ["1"]);
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM events"), ["1001"]);
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM events WHERE venue = 'tbd'"), ["1001"]);
    assert_eq!(repo.column("nrna", &format!("SELECT state FROM strata_history WHERE id = '{id}'")), ["applied"]);
    assert_eq!(repo.run(&["drift", "--env", "local", "--tenant", "nrna"]).code, 0);
}

/// A migration that records no progress (a row written before strata counted statements, here
/// set by hand) is still never settled by its schema: the tenant stops until `repair` decides.
#[test]
fn a_backfill_cut_off_without_its_progress_stops_the_tenant_until_repair_decides() {
    let (repo, id) = backfill_release();
    cut_off_after_the_first_batch(&repo, &id);
    repo.execute("nrna", &format!("UPDATE strata_history SET state = 'running' WHERE id = '{id}'"));
    let apply = repo.run(&["apply", "--env", "local", "--tenant", "nrna"]);
    assert_eq!(apply.code, 4, "the tenant stops:\n{}{}", apply.stdout, apply.stderr);
    let said = format!("{}{}", apply.stdout, apply.stderr);
    assert!(
        said.contains(&format!("{id} was cut off and holds 4 data statements the schema cannot witness"))
            && said.contains("strata repair --env local --tenant nrna --mark applied"),
        "{said}"
    );
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM events WHERE venue IS NULL"), ["500"], "nothing settled");
    repo.ok(&["repair", "--env", "local", "--tenant", "nrna", "--mark", "applied"]);
    repo.execute("nrna", "UPDATE events SET venue = 'tbd' WHERE venue IS NULL");
    let apply = repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    assert!(apply.contains("nrna: up to date"), "{apply}");
}

/// The starter applied to nrna, with two audit tables added to the events module's schema (not
/// yet committed).
fn with_audit_tables_declared() -> Repo {
    let repo = Repo::init();
    repo.commit("first release");
    repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &format!("{}{AUDIT_TABLES}", repo.read(path)));
    repo
}

const AUDIT_TABLES: &str =
    "CREATE TABLE audit_a (id INTEGER PRIMARY KEY);\nCREATE TABLE audit_b (id INTEGER PRIMARY KEY);\n";

/// A statement that writes no rows may have completed without its progress: the live schema
/// says so. On SQLite with the row set by hand as a kill leaves it: the table the recorded
/// progress lacks is there (resumed after it, the insert runs once), or the schema is neither
/// before nor after the statement (the tenant stops for `repair`).
#[test]
fn a_cut_off_ddl_statement_is_resumed_at_or_after_by_the_live_schema() {
    let repo = with_audit_tables_declared();
    let created = repo.ok(&["migration", "new", "module.events", "audit tables"]);
    let up = created.lines().next().expect("the up path").to_string();
    let body = format!("-- strata:no-transaction\n{AUDIT_TABLES}INSERT INTO audit_a (id) VALUES (1);\n");
    repo.write(&up, &format!("{}{body}", repo.read(&up)));
    let down = up.replace(".up.sql", ".down.sql");
    repo.write(&down, &format!("{}DROP TABLE audit_b;\nDROP TABLE audit_a;\n", repo.read(&down)));
    repo.ok(&["commit", "--bump", "minor", "-m", "audit tables"]);
    repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    let id = format!("module.events/{}", up.rsplit('/').next().unwrap_or_default().trim_end_matches(".up.sql"));
    let set = |state: &str| format!("UPDATE strata_history SET state = '{state}' WHERE id = '{id}'");

    // audit_b made, its progress never recorded, the insert not run.
    repo.execute("nrna", &set("running:1"));
    repo.execute("nrna", "DELETE FROM audit_a");
    let apply = repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    assert!(
        apply.contains(&format!("nrna: note: {id} was cut off after 1 of 3 statements: the live schema shows statement 2 had taken effect; resumed after it"))
            && apply.contains(&format!("nrna: applied {id}")),
        "{apply}"
    );
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM audit_a"), ["1"]);

    // audit_b there but not audit_a, which the progress says is the next statement: neither.
    repo.execute("nrna", &set("running:0"));
    repo.execute("nrna", "DROP TABLE audit_a");
    let stuck = repo.run(&["apply", "--env", "local", "--tenant", "nrna"]);
    assert_eq!(stuck.code, 4, "{}{}", stuck.stdout, stuck.stderr);
    let said = format!("{}{}", stuck.stdout, stuck.stderr);
    assert!(
        said.contains(&format!("{id} was cut off after 0 of 3 statements, and the live schema matches neither the state before statement 1 nor after it"))
            && said.contains("settle it with `strata repair --env local --tenant nrna`"),
        "{said}"
    );
    assert_eq!(repo.column("nrna", &format!("SELECT state FROM strata_history WHERE id = '{id}'")), ["running:0"]);
}

/// On PostgreSQL and MariaDB: a column added, a row inserted and a first batch backfilled, then a
/// pause where the run is killed, then the second batch. The rerun resumes at the pause (which
/// changes no schema, so it runs again) and runs the second batch only.
async fn a_backfill_killed_between_its_batches_resumes_on(server: &util::servers::Server, name: &str) {
    use util::servers::{first_release, ok, strata};
    let Some((repo, prefix)) = first_release(server, name).await else { return };
    let url = server.url();
    ok(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let uml = format!("{prefix}_uml");
    server.execute_in(&uml, "INSERT INTO roles (name) VALUES ('a'), ('b'), ('c'), ('d')").await;
    let count = |filter: &'static str| {
        let sql = format!("SELECT CAST(COUNT(*) AS CHAR(12)) FROM roles WHERE {filter}");
        let uml = uml.clone();
        async move { server.texts_in(&uml, &sql).await.concat().trim().to_string() }
    };
    let before = count("1 = 1").await.parse::<u32>().expect("a count");
    let schema = "templates/party/schema/01_members.sql";
    repo.write(schema, &format!("{}ALTER TABLE roles ADD COLUMN weight INT NULL;\n", repo.read(schema)));
    let created = ok(&repo, &url, &["migration", "new", "template.party", "role weight"]);
    let up = created.lines().next().expect("the up path").to_string();
    let sleep = if server.postgres() { "SELECT pg_sleep(4);" } else { "SELECT SLEEP(4);" };
    let body = format!(
        "-- strata:no-transaction\nALTER TABLE roles ADD COLUMN weight INT NULL;\n\
         INSERT INTO roles (name, weight) VALUES ('kickoff', 0);\n\
         UPDATE roles SET weight = 1 WHERE weight IS NULL AND name < 'c';\n\
         {sleep}\n\
         UPDATE roles SET weight = 2 WHERE weight IS NULL;\n"
    );
    repo.write(&up, &format!("{}{body}", repo.read(&up)));
    let down = up.replace(".up.sql", ".down.sql");
    repo.write(
        &down,
        &format!(
            "{}DELETE FROM roles WHERE name = 'kickoff';\nALTER TABLE roles DROP COLUMN weight;\n",
            repo.read(&down)
        ),
    );
    ok(&repo, &url, &["commit", "--bump", "minor", "-m", "role weight"]);
    let id = format!("template.party/{}", up.rsplit('/').next().unwrap_or_default().trim_end_matches(".up.sql"));

    let mut child = util::servers::spawn(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let state = format!("SELECT CAST(state AS CHAR(16)) FROM strata_history WHERE id = '{id}'");
    let started = std::time::Instant::now();
    while server.texts_in(&uml, &state).await.concat().trim() != "running:3" {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the first batch never ran");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().expect("kill");
    child.wait().expect("killed");
    assert_eq!(count("weight = 2").await, "0", "killed before the second batch");

    let status = ok(&repo, &url, &["status", "--env", "local", "--tenant", "uml"]);
    assert!(status.contains(&format!("{id} was cut off after 3 of 5 statements")), "{status}");
    // The server ends (PostgreSQL) or finishes (MariaDB) the dead client's pause, then lets the
    // tenant's lock go: the rerun waits for it.
    let rerun = strata(&repo, &url, &["apply", "--env", "local", "--tenant", "uml", "--lock-timeout", "30s"]);
    let said = format!("{}{}", rerun.stdout, rerun.stderr);
    assert_eq!(rerun.code, 0, "{said}");
    assert!(
        rerun.stdout.contains(&format!("uml: note: {id} was cut off after 3 of 5 statements: the live schema shows statement 4 had not taken effect; resumed at it"))
            && rerun.stdout.contains(&format!("uml: applied {id}")),
        "{said}"
    );
    assert_eq!(count("name = 'kickoff'").await, "1", "the insert ran once");
    assert_eq!(count("1 = 1").await, (before + 1).to_string());
    assert_eq!(count("weight IS NULL").await, "0");
    assert_eq!(server.texts_in(&uml, &state).await.concat().trim(), "applied");
    assert_eq!(strata(&repo, &url, &["drift", "--env", "local", "--tenant", "uml"]).code, 0);
    server.drop_prefixed(&prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_killed_between_its_batches_resumes_on_postgres() {
    a_backfill_killed_between_its_batches_resumes_on(&util::servers::POSTGRES, "resumepg").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_killed_between_its_batches_resumes_on_mariadb() {
    a_backfill_killed_between_its_batches_resumes_on(&util::servers::MARIADB, "resumemy").await;
}

/// On MariaDB, where DDL commits on its own: `ADD COLUMN` then a backfill, killed between them.
/// The live schema matches the state after the migration, which used to record it applied with
/// the backfill never run.
#[tokio::test(flavor = "multi_thread")]
async fn an_add_column_and_backfill_cut_off_on_mariadb_is_not_settled_by_its_schema() {
    use util::servers::{first_release, ok, strata, MARIADB};
    let server = &MARIADB;
    let Some((repo, prefix)) = first_release(server, "cutoffmy").await else { return };
    let url = server.url();
    ok(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let uml = format!("{prefix}_uml");
    server.execute_in(&uml, "INSERT INTO roles (name) VALUES ('a'), ('b')").await;
    let schema = "templates/party/schema/01_members.sql";
    repo.write(schema, &format!("{}ALTER TABLE roles ADD COLUMN weight INT NULL;\n", repo.read(schema)));
    let created = ok(&repo, &url, &["migration", "new", "template.party", "role weight"]);
    let up = created.lines().next().expect("the up path").to_string();
    let body = "ALTER TABLE roles ADD COLUMN weight INT NULL;\nSELECT SLEEP(30);\nUPDATE roles SET weight = 1;\n";
    repo.write(&up, &format!("{}{body}", repo.read(&up)));
    let down = up.replace(".up.sql", ".down.sql");
    repo.write(&down, &format!("{}ALTER TABLE roles DROP COLUMN weight;\n", repo.read(&down)));
    ok(&repo, &url, &["commit", "--bump", "minor", "-m", "role weight"]);
    let id = format!("template.party/{}", up.rsplit('/').next().unwrap_or_default().trim_end_matches(".up.sql"));

    let mut child = util::servers::spawn(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let started = std::time::Instant::now();
    let column = "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'roles' AND COLUMN_NAME = 'weight'";
    while server.texts_in(&uml, column).await != ["1"] {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the migration never started");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    child.kill().expect("kill");
    child.wait().expect("killed");

    let apply = strata(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let said = format!("{}{}", apply.stdout, apply.stderr);
    assert_eq!(apply.code, 4, "{said}");
    assert!(said.contains(&format!("{id} was cut off and holds 1 data statement the schema cannot witness")), "{said}");
    // Whether the server ran the backfill after its client was gone is what strata cannot know
    // (MariaDB goes on with a dead client's statements); the person looks and finishes it.
    server.execute_in(&uml, "UPDATE roles SET weight = 1 WHERE weight IS NULL").await;
    ok(&repo, &url, &["repair", "--env", "local", "--tenant", "uml", "--mark", "applied"]);
    ok(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let unweighted = "SELECT CAST(COUNT(*) AS CHAR) FROM roles WHERE weight IS NULL";
    assert_eq!(server.texts_in(&uml, unweighted).await, ["0"]);
    assert_eq!(strata(&repo, &url, &["drift", "--env", "local", "--tenant", "uml"]).code, 0);
    server.drop_prefixed(&prefix).await;
}

/// A down that drops two tables with a pause between them, killed in the pause: the history row
/// says `reverting` (it used to say `applied`, and the rerun ran the whole down again: "Unknown
/// table"). The rerun of the same rollback finishes it, apply brings the migration back, and the
/// tenant has no drift.
#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_killed_in_its_down_on_mariadb_is_finished_by_running_it_again() {
    use util::servers::{first_release, ok, strata, MARIADB};
    let server = &MARIADB;
    let Some((repo, prefix)) = first_release(server, "unrevmy").await else { return };
    let url = server.url();
    ok(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let schema = "templates/party/schema/03_meetings.sql";
    let tables = "CREATE TABLE audit_a (id INTEGER PRIMARY KEY);\nCREATE TABLE audit_b (id INTEGER PRIMARY KEY);\n";
    repo.write(schema, &format!("{}{tables}", repo.read(schema)));
    let created = ok(&repo, &url, &["migration", "new", "template.party", "audit tables"]);
    let up = created.lines().next().expect("the up path").to_string();
    repo.write(&up, &format!("{}{tables}", repo.read(&up)));
    let down = up.replace(".up.sql", ".down.sql");
    let drops = "DROP TABLE audit_b;\nSELECT SLEEP(5);\nDROP TABLE audit_a;\n";
    repo.write(&down, &format!("{}{drops}", repo.read(&down)));
    ok(&repo, &url, &["commit", "--bump", "minor", "-m", "audit tables"]);
    ok(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    let id = format!("template.party/{}", up.rsplit('/').next().unwrap_or_default().trim_end_matches(".up.sql"));

    let rollback = ["rollback", "--env", "local", "--tenant", "uml", "--steps", "1", "--yes"];
    let mut child = util::servers::spawn(&repo, &url, &rollback);
    let uml = format!("{prefix}_uml");
    let state = format!("SELECT CAST(state AS CHAR(16)) FROM strata_history WHERE id = '{id}'");
    let table_b = "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit_b'";
    let started = std::time::Instant::now();
    while server.texts_in(&uml, table_b).await != ["0"] {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the down never started");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(server.texts_in(&uml, &state).await, ["reverting"], "the down records that it runs");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    child.kill().expect("kill");
    child.wait().expect("killed");

    let status = ok(&repo, &url, &["status", "--env", "local", "--tenant", "uml"]);
    assert!(status.contains(&format!("{id} was being rolled back when its down stopped")), "{status}");
    let rerun = strata(&repo, &url, &rollback);
    let said = format!("{}{}", rerun.stdout, rerun.stderr);
    assert_eq!(rerun.code, 0, "the rerun finishes the rollback:\n{said}");
    // MariaDB runs a dead client's statements to their end: the down took effect after all.
    assert!(
        rerun.stdout.contains(&format!("uml: note: {id} was being rolled back when its down stopped, and the live schema matches the state before it"))
            && rerun.stdout.contains(&format!("uml: reverted {id}")),
        "{said}"
    );
    assert!(server.texts_in(&uml, &state).await.is_empty(), "the migration is forgotten");
    let apply = ok(&repo, &url, &["apply", "--env", "local", "--tenant", "uml"]);
    assert!(apply.contains(&format!("uml: applied {id}")), "{apply}");
    let drift = strata(&repo, &url, &["drift", "--env", "local", "--tenant", "uml"]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    server.drop_prefixed(&prefix).await;
}

/// The three ways a down can have stopped, on SQLite with the history row set by hand as a
/// stopped down leaves it: nothing of it ran (the rerun runs it again), part of it ran (the rerun
/// refuses and names what is left, `repair` says what it found), all of it ran (the rerun, or an
/// apply, records it and goes on).
#[test]
fn a_down_that_stopped_is_settled_by_the_live_schema() {
    let repo = with_audit_tables_declared();
    repo.ok(&["commit", "--bump", "minor", "-m", "audit tables"]);
    repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    let id = repo.column("nrna", "SELECT id FROM strata_history WHERE id LIKE 'module.events/0002%'").concat();
    let stopped = format!("UPDATE strata_history SET state = 'reverting' WHERE id = '{id}'");
    let rollback = ["rollback", "--env", "local", "--tenant", "nrna", "--steps", "1", "--yes"];
    let tables = "SELECT count(*) FROM sqlite_master WHERE name IN ('audit_a', 'audit_b')";

    // Stopped before any of it ran: the rerun runs the down again.
    repo.execute("nrna", &stopped);
    let status = repo.ok(&["status", "--env", "local", "--tenant", "nrna"]);
    assert!(status.contains(&format!("{id} was being rolled back when its down stopped")), "{status}");
    let out = repo.ok(&rollback);
    assert!(out.contains(&format!("nrna: note: {id} was being rolled back when its down stopped before any of it took effect: still applied, its down runs again")), "{out}");
    assert!(out.contains(&format!("nrna: reverted {id}")), "{out}");
    assert_eq!(repo.column("nrna", tables), ["0"]);

    // Stopped half way: refused, naming what is left, until it is finished.
    repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    repo.execute("nrna", &stopped);
    repo.execute("nrna", "DROP TABLE audit_b");
    let refused = repo.run(&rollback);
    assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("matches neither the state before it nor after it (left for its down to undo: ")
            && refused.stderr.contains("audit_a"),
        "{}",
        refused.stderr
    );
    assert_eq!(repo.column("nrna", &format!("SELECT state FROM strata_history WHERE id = '{id}'")), ["reverting"]);
    let repair = repo.ok(&["repair", "--env", "local", "--tenant", "nrna"]);
    assert!(
        repair.contains(&format!("tenant nrna: {id} was being rolled back when its down stopped"))
            && repair.contains("left for its down to undo: ")
            && repair.contains("run the rollback again"),
        "{repair}"
    );

    // Finished by hand: apply finds the migration gone, forgets it and runs it again.
    repo.execute("nrna", "DROP TABLE audit_a");
    let apply = repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    assert!(apply.contains(&format!("nrna: note: {id} was being rolled back when its down stopped, and the live schema matches the state before it: its down had taken effect, so it runs again")), "{apply}");
    assert!(apply.contains(&format!("nrna: applied {id}")), "{apply}");
    assert_eq!(repo.run(&["drift", "--env", "local", "--tenant", "nrna"]).code, 0);
}
