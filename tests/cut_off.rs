//! Runs cut off between their statements (#25 item 3): a migration holding data statements that
//! was cut off (or failed) after some of them is never settled by comparing schemas, since its
//! schema looks the same whether its rows were written or not. The tenant stops, names the
//! statements that may or may not have run, and `repair --mark` records what a person found.

mod util;

use util::Repo;

/// A starter whose events hold 1,000 rows, and a `no-transaction` batched backfill of them with a
/// pause (a long query) between its batches, where a kill lands.
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
                   UPDATE events SET venue = 'tbd' WHERE venue IS NULL AND id <= 500;\n\
                   WITH RECURSIVE pause(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM pause WHERE n < 20000000) SELECT count(*) FROM pause;\n\
                   UPDATE events SET venue = 'tbd' WHERE venue IS NULL AND id > 500;\n";
    repo.write(&up, &format!("{}{batches}", repo.read(&up)));
    repo.ok(&["commit", "--bump", "minor", "-m", "batched backfill"]);
    let id = format!("module.events/{}", up.rsplit('/').next().unwrap_or_default().trim_end_matches(".up.sql"));
    (repo, id)
}

/// Kills `strata apply` of nrna while its migration works between the two batches: the first
/// batch written, the history row `running`.
fn cut_off_after_the_first_batch(repo: &Repo, id: &str) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["--repo", &repo.path().display().to_string(), "apply", "--env", "local", "--tenant", "nrna"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("strata runs");
    let started = std::time::Instant::now();
    let state = format!("SELECT count(*) FROM strata_history WHERE id = '{id}' AND state = 'running'");
    while repo.column("nrna", "SELECT count(*) FROM events WHERE venue = 'tbd'") != ["500"]
        || repo.column("nrna", &state) != ["1"]
    {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the first batch never ran");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("killed");
}

#[test]
fn a_backfill_cut_off_between_its_batches_stops_the_tenant_until_repair_decides() {
    let (repo, id) = backfill_release();
    cut_off_after_the_first_batch(&repo, &id);
    let apply = repo.run(&["apply", "--env", "local", "--tenant", "nrna"]);
    assert_eq!(apply.code, 4, "the tenant stops:\n{}{}", apply.stdout, apply.stderr);
    let said = format!("{}{}", apply.stdout, apply.stderr);
    assert!(
        said.contains(&format!("{id} was cut off and holds 3 data statements the schema cannot witness"))
            && said.contains("`UPDATE events SET venue = 'tbd' WHERE venue IS NULL AND id <= 500`")
            && said.contains("strata repair --env local --tenant nrna --mark applied"),
        "{said}"
    );
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM events WHERE venue IS NULL"), ["500"], "nothing settled");
    assert_eq!(repo.column("nrna", &format!("SELECT state FROM strata_history WHERE id = '{id}'")), ["running"]);

    // A person looked: half of it ran. Rolled back, the next apply runs all of it (each batch
    // skips what is done), and every row is backfilled.
    repo.ok(&["repair", "--env", "local", "--tenant", "nrna", "--mark", "rolled-back"]);
    let out = repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    assert!(out.contains(&format!("nrna: applied {id}")), "{out}");
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM events WHERE venue = 'tbd'"), ["1000"]);
    assert_eq!(repo.run(&["drift", "--env", "local", "--tenant", "nrna"]).code, 0);
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
