//! What a rollback does to data (#25 items 4 and 11). A rollback that drops the table a seed
//! fills forgets that seed, so the next apply fills the table again (its other seeds, whose tables
//! stay, are never run twice); and before anything runs, the plan names the tables and columns it
//! drops with the rows and non-null values in them now, and takes `--yes` for that, on a terminal
//! too.

mod util;

use util::Repo;

/// A second release of the starter: a `badges` table with a seed of its own, and a nickname
/// column on members; applied to nrna, which then holds rows in both.
fn second_release() -> Repo {
    let repo = Repo::init();
    repo.commit("first release");
    repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    let schema = "templates/party/schema/01_members.sql";
    let with_nickname = repo.read(schema).replace("  phone TEXT,\n", "  phone TEXT,\n  nickname TEXT,\n");
    repo.write(
        schema,
        &format!("{with_nickname}\nCREATE TABLE badges (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  name TEXT NOT NULL\n);\n"),
    );
    repo.write("templates/party/seed/02_badges.sql", "INSERT INTO badges (name) VALUES ('founder'), ('donor');\n");
    repo.ok(&["commit", "--bump", "minor", "-m", "badges and nicknames"]);
    repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    repo.execute(
        "nrna",
        "INSERT INTO members (email, full_name, nickname) VALUES ('a@x', 'A', 'ay'), ('b@x', 'B', NULL), ('c@x', 'C', 'cee')",
    );
    repo
}

#[test]
fn a_rollback_that_drops_a_seeded_table_seeds_it_again_on_the_next_apply() {
    let repo = second_release();
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM badges"), ["2"]);
    let out = repo.ok(&["rollback", "--env", "local", "--tenant", "nrna", "--steps", "1", "--yes"]);
    assert!(out.contains("nrna: forgot seed:template.party/02_badges.sql"), "{out}");
    assert!(!out.contains("01_roles.sql"), "roles stays, and so does its seed: {out}");
    repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM badges"), ["2"], "seeded again");
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM roles"), ["3"], "never seeded twice");
    assert_eq!(repo.run(&["drift", "--env", "local", "--tenant", "nrna"]).code, 0);
}

#[test]
fn a_rollback_names_and_counts_the_data_it_drops_and_takes_yes_for_it() {
    let repo = second_release();
    let rollback = ["rollback", "--env", "local", "--tenant", "nrna", "--steps", "1"];
    let dry = repo.ok(&[&rollback[..], &["--dry-run"]].concat());
    assert!(dry.contains("-- nrna: would drop table badges (2 rows)"), "{dry}");
    assert!(dry.contains("-- nrna: would drop column members.nickname (2 non-null values)"), "{dry}");

    let unconfirmed = repo.run(&rollback);
    assert_eq!(unconfirmed.code, 2, "{}{}", unconfirmed.stdout, unconfirmed.stderr);
    assert!(
        unconfirmed.stderr.contains(
            "rollback of tenant nrna drops table badges (2 rows), column members.nickname (2 non-null values); pass --yes"
        ),
        "{}",
        unconfirmed.stderr
    );
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM badges"), ["2"], "nothing ran");

    let json = repo.ok(&[&rollback[..], &["--yes", "--json"]].concat());
    let report: serde_json::Value = serde_json::from_str(&json).expect("a JSON report");
    let hazards = report["hazards"].as_array().expect("hazards");
    assert_eq!(hazards.len(), 2, "{json}");
    assert_eq!(hazards[0]["drops"], "table badges");
    assert_eq!(hazards[0]["count"], 2);
    assert!(repo.tables_of("nrna").iter().all(|t| t != "badges"));
}
