//! #17: hand-written migrations through the binary, in git repositories, on every engine. A
//! backfill written with `strata migration new` after a declarative column fills the rows that
//! were there before apply; `-- strata:no-transaction` runs `CREATE INDEX CONCURRENTLY` on
//! PostgreSQL, and a failing one is left failed, its INVALID index named by `repair`, and settled;
//! `-- strata:irreversible` stops rollback with its reason; a hand-written schema change the
//! declared schema does not make is refused, saying what to update.

mod util;

use util::servers::{first_release, ok, strata, Server, MARIADB, POSTGRES};
use util::Repo;

/// Appends SQL to the up file `migration new` wrote (its first line of output).
fn write_up(repo: &Repo, created: &str, sql: &str) -> String {
    let up = created.lines().next().expect("the up path").to_string();
    repo.write(&up, &format!("{}{sql}", repo.read(&up)));
    up
}

async fn a_backfill_fills_the_rows_that_were_there(server: &Server) {
    let Some((repo, prefix)) = first_release(server, &format!("hand_{}", server.dialect)).await else { return };
    let url = server.url();
    ok(&repo, &url, &["apply", "--env", "local"]);
    let nrna = format!("{prefix}_nrna");
    server.execute_in(&nrna, "INSERT INTO campaigns (name) VALUES ('spring appeal')").await;

    let file = "modules/donations/schema/01_donations.sql";
    let (goal, currency) = match server.postgres() {
        true => ("  goal_cents bigint,\n", "  currency text,\n"),
        false => ("  goal_cents BIGINT,\n", "  currency VARCHAR(3),\n"),
    };
    repo.write(file, &repo.read(file).replacen(goal, &format!("{goal}{currency}"), 1));
    ok(&repo, &url, &["commit", "--bump", "minor", "-m", "campaign currency"]);
    let created = ok(&repo, &url, &["migration", "new", "module.donations", "backfill campaign currency"]);
    assert!(created.contains("0003_backfill_campaign_currency.up.sql"), "after the declarative 0002: {created}");
    let backfill = match server.postgres() {
        // A procedural block and a check query: run as written, ignored by the model.
        true => "DO $$ BEGIN UPDATE campaigns SET currency = 'NPR' WHERE currency IS NULL; END $$;\nSELECT count(*) FROM campaigns;\n",
        false => "-- strata:timeout lock=3s statement=1min\nUPDATE campaigns SET currency = 'NPR' WHERE currency IS NULL;\nSELECT count(*) FROM campaigns;\n",
    };
    let up = write_up(&repo, &created, backfill);
    let plan = ok(&repo, &url, &["plan"]);
    assert!(plan.contains(&format!("hand-written, not yet committed: {up}")), "{plan}");
    let committed = ok(&repo, &url, &["commit", "--bump", "patch", "-m", "backfill"]);
    assert!(committed.contains(&format!("{up}  (hand-written)")), "{committed}");
    ok(&repo, &url, &["verify", "--base", "HEAD~2", "--dev-url", &url]);
    let applied = ok(&repo, &url, &["apply", "--env", "local"]);
    assert!(applied.contains("module.donations/0003_backfill_campaign_currency"), "{applied}");
    assert_eq!(server.texts_in(&nrna, "SELECT currency FROM campaigns").await, ["NPR"]);
    ok(&repo, &url, &["drift", "--env", "local"]);

    if server.postgres() {
        concurrently(server, &repo, &prefix).await;
    }
    server.drop_prefixed(&prefix).await;
}

/// A `no-transaction` `CREATE UNIQUE INDEX CONCURRENTLY`, declared too: it applies where the data
/// allows, and where it does not it is left failed with an INVALID index that `repair` names.
async fn concurrently(server: &Server, repo: &Repo, prefix: &str) {
    let url = server.url();
    let (nrna, uml) = (format!("{prefix}_nrna"), format!("{prefix}_uml"));
    server.execute_in(&nrna, "INSERT INTO campaigns (name) VALUES ('dup'), ('dup')").await;
    let file = "modules/donations/schema/01_donations.sql";
    repo.write(file, &format!("{}CREATE UNIQUE INDEX campaigns_name_key ON campaigns (name);\n", repo.read(file)));
    let created = ok(repo, &url, &["migration", "new", "module.donations", "unique campaign names"]);
    let up = write_up(
        repo,
        &created,
        "-- strata:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY campaigns_name_key ON campaigns (name);\n",
    );
    // The down runs outside a transaction too; `verify` checks that it restores the schema.
    let down = up.replace(".up.sql", ".down.sql");
    repo.write(&down, &format!("{}DROP INDEX CONCURRENTLY campaigns_name_key;\n", repo.read(&down)));
    ok(repo, &url, &["commit", "--bump", "patch", "-m", "unique campaign names"]);
    ok(repo, &url, &["verify", "--base", "HEAD~1", "--dev-url", &url]);
    let run = strata(repo, &url, &["apply", "--env", "local"]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("uml: applied module.donations/0004_unique_campaign_names"), "{}", run.stdout);
    assert!(run.stdout.contains("nrna: FAILED") && run.stdout.contains("recorded as failed"), "{}", run.stdout);
    assert_eq!(
        server.texts_in(&uml, "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'campaigns_name_key'").await,
        ["campaigns_name_key"]
    );
    let status = ok(repo, &url, &["status", "--env", "local", "--tenant", "nrna"]);
    assert!(status.contains("0004_unique_campaign_names is in state 'failed'"), "{status}");

    let repair = ok(repo, &url, &["repair", "--env", "local", "--tenant", "nrna"]);
    assert!(repair.contains("index campaigns_name_key is INVALID"), "{repair}");
    assert!(repair.contains("matches neither the state before it nor after it"), "an INVALID index is there: {repair}");
    // apply leaves a live schema between the two states to repair, naming the INVALID index.
    let stuck = strata(repo, &url, &["apply", "--env", "local"]);
    assert_eq!(stuck.code, 4, "{}", stuck.stdout);
    assert!(
        stuck.stdout.contains("index campaigns_name_key is INVALID); settle it with `strata repair"),
        "{}",
        stuck.stdout
    );
    // Once the index is dropped (and the data fixed), the statement that failed had not taken
    // effect: apply settles that by itself, says so, and resumes at it.
    server.execute_in(&nrna, "DROP INDEX campaigns_name_key; DELETE FROM campaigns WHERE name = 'dup'").await;
    let again = ok(repo, &url, &["apply", "--env", "local"]);
    assert!(again.contains("nrna: note: module.donations/0004_unique_campaign_names had failed after 0 of 1 statements: the live schema shows statement 1 had not taken effect; resumed at it"), "{again}");
    assert!(again.contains("nrna: applied module.donations/0004_unique_campaign_names"), "{again}");
    ok(repo, &url, &["drift", "--env", "local"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_and_concurrently_on_postgres() {
    a_backfill_fills_the_rows_that_were_there(&POSTGRES).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_with_its_own_timeouts_on_mariadb() {
    a_backfill_fills_the_rows_that_were_there(&MARIADB).await;
}

#[test]
fn on_sqlite_a_backfill_runs_an_irreversible_one_blocks_rollback_and_undeclared_ddl_is_refused() {
    let repo = Repo::init();
    repo.commit("first release");
    repo.ok(&["apply", "--env", "local"]);
    repo.execute("nrna", "INSERT INTO campaigns (name) VALUES ('spring appeal')");

    // `migration new` before a pending declarative change: the change is numbered after it.
    let file = "modules/donations/schema/01_donations.sql";
    repo.write(
        file,
        &repo.read(file).replacen("  goal_cents INTEGER,\n", "  goal_cents INTEGER,\n  currency TEXT,\n", 1),
    );
    let created = repo.ok(&["migration", "new", "module.donations", "archive old campaigns"]);
    assert!(created.contains("note: module.donations has declarative changes not yet committed"), "{created}");
    write_up(
        &repo,
        &created,
        "-- strata:irreversible the archived rows are deleted\nDELETE FROM campaigns WHERE name = 'nothing';\n",
    );
    let out = repo.ok(&["commit", "--bump", "minor", "-m", "currency"]);
    assert!(out.contains("0002_archive_old_campaigns.up.sql  (hand-written)"), "{out}");
    assert!(out.contains("migrations/modules/donations/0003_currency.up.sql"), "numbered after it: {out}");
    repo.ok(&["verify", "--base", "HEAD~1"]);
    repo.ok(&["apply", "--env", "local"]);
    // The backfill of the new column, for the row that was there before.
    let created = repo.ok(&["migration", "new", "module.donations", "backfill currency"]);
    write_up(&repo, &created, "UPDATE campaigns SET currency = 'NPR' WHERE currency IS NULL;\n");
    repo.ok(&["commit", "--bump", "patch", "-m", "backfill currency"]);
    repo.ok(&["verify", "--base", "HEAD~1"]);
    repo.ok(&["apply", "--env", "local"]);
    assert_eq!(repo.column("nrna", "SELECT currency FROM campaigns"), ["NPR"]);
    let rollback = repo.run(&["rollback", "--env", "local", "--tenant", "nrna", "--steps", "3", "--yes"]);
    assert_ne!(rollback.code, 0);
    assert!(rollback.stderr.contains("the archived rows are deleted"), "{}", rollback.stderr);

    // DDL by hand that the declared schema does not make: refused at commit and by the gate.
    let created = repo.ok(&["migration", "new", "module.donations", "add a note"]);
    write_up(&repo, &created, "ALTER TABLE campaigns ADD COLUMN note TEXT;\n");
    let verify = repo.run(&["verify", "--base", "HEAD"]);
    assert_eq!(verify.code, 3, "{}", verify.stdout);
    let said = "if a hand-written migration made this change, update the declared schema to match it";
    assert!(verify.stdout.contains(said) && verify.stdout.contains("modules/donations/"), "{}", verify.stdout);
    let head = repo.head();
    let commit = repo.run(&["commit", "--bump", "patch"]);
    assert_eq!(commit.code, 3, "{}{}", commit.stdout, commit.stderr);
    assert!(commit.stderr.contains(said) && commit.stderr.contains("drop column campaigns.note"), "{}", commit.stderr);
    assert_eq!(repo.head(), head, "nothing committed");
    // Declared, it commits as written.
    repo.write(file, &repo.read(file).replacen("  currency TEXT,\n", "  currency TEXT,\n  note TEXT,\n", 1));
    repo.ok(&["commit", "--bump", "patch", "-m", "a note"]);
    repo.ok(&["apply", "--env", "local"]);
    assert!(repo.columns_of("nrna", "campaigns").contains(&"note".to_string()));
}
