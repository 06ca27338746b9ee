//! The whole loop of issue #2 on the starter catalog: init -> commit -> apply -> edit a module ->
//! commit -> apply by commit hash, against real git repositories and real SQLite files.

mod util;

use util::Repo;

const TENANTS: [&str; 3] = ["demo", "nrna", "uml"];

/// Sets a template's or module's version, as a schema change that ships needs.
fn bump(repo: &Repo, manifest: &str, version: &str) {
    let text = repo.read(manifest);
    let old = text.lines().find(|l| l.starts_with("version: ")).unwrap().to_string();
    repo.write(manifest, &text.replace(&old, &format!("version: {version}")));
}

/// Adds `capacity` and an index on it to the events module (nrna and demo have events; uml not),
/// released as events 1.1.0.
fn add_event_capacity(repo: &Repo) {
    let path = "modules/events/schema/01_events.sql";
    let schema = repo.read(path).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n");
    repo.write(path, &format!("{schema}CREATE INDEX events_capacity_idx ON events (capacity);\n"));
    bump(repo, "modules/events/module.yaml", "1.1.0");
}

#[test]
fn init_commit_apply_edit_commit_apply_by_hash() {
    let repo = Repo::init();
    let first = repo.commit("initial schema");
    assert_eq!(first.len(), 40, "commit prints the full hash: {first}");
    assert_eq!(repo.head(), first);

    let out = repo.ok(&["apply", "--env", "local"]);
    assert!(out.contains("3 tenants, 3 migrated, 0 up to date, 0 failed"), "{out}");
    let again = repo.ok(&["apply", "--env", "local"]);
    assert!(again.contains("3 tenants, 0 migrated, 3 up to date, 0 failed"), "a second apply is a no-op: {again}");

    add_event_capacity(&repo);
    let second = repo.commit("event capacity");
    assert_ne!(first, second);
    insta::assert_snapshot!("events_0002_up", repo.read("migrations/modules/events/0002_event_capacity.up.sql"));
    insta::assert_snapshot!("events_0002_down", repo.read("migrations/modules/events/0002_event_capacity.down.sql"));

    // The first commit does not have the new migration: nothing to do.
    let out = repo.ok(&["apply", "--env", "local", "--commit", &first]);
    assert!(out.contains("0 migrated, 3 up to date"), "{out}");
    for tenant in TENANTS {
        assert!(!repo.columns_of(tenant, "events").contains(&"capacity".to_string()));
    }

    // The second applies exactly the new migration, to the tenants that have the module.
    let out = repo.ok(&["apply", "--env", "local", "--commit", &second]);
    assert!(out.contains("demo: applied module.events/0002_event_capacity\n"), "{out}");
    assert!(out.contains("nrna: applied module.events/0002_event_capacity\n"), "{out}");
    assert!(out.contains("uml: up to date\n"), "{out}");

    for tenant in ["demo", "nrna"] {
        assert!(repo.columns_of(tenant, "events").contains(&"capacity".to_string()), "{tenant} has the column");
        assert!(repo.indexes_of(tenant).contains(&"events_capacity_idx".to_string()), "{tenant} has the index");
        let history = repo.query(tenant, "SELECT id, commit_sha, state FROM strata_history ORDER BY applied_at, rowid");
        let newest = history.last().unwrap();
        assert_eq!(newest, &["module.events/0002_event_capacity", second.as_str(), "applied"]);
        assert!(history[..history.len() - 1].iter().all(|row| row[1] == first), "older rows keep the first hash");
    }
    assert!(!repo.tables_of("uml").contains(&"events".to_string()), "uml never had events");
    let uml_history = repo.column("uml", "SELECT commit_sha FROM strata_history");
    assert!(uml_history.iter().all(|sha| *sha == first), "uml got nothing from the second commit");

    // Overlays stay in their tenant.
    assert!(repo.tables_of("nrna").contains(&"diaspora_chapters".to_string()));
    for tenant in ["demo", "uml"] {
        assert!(!repo.tables_of(tenant).contains(&"diaspora_chapters".to_string()), "{tenant}");
    }
    assert!(repo.columns_of("uml", "members").contains(&"ward_no".to_string()));
    assert!(!repo.columns_of("nrna", "members").contains(&"ward_no".to_string()));

    // Tenant variables stay symbolic in the file and are rendered per tenant.
    let donations = repo.read("migrations/modules/donations/0001_init.up.sql");
    assert!(donations.contains("DEFAULT {{ tenant.vars.currency | sql_literal }}"), "{donations}");
    let default_of =
        |tenant| repo.column(tenant, "SELECT dflt_value FROM pragma_table_info('donations') WHERE name = 'currency'");
    assert_eq!(default_of("nrna"), ["'USD'"]);
    assert_eq!(default_of("uml"), ["'NPR'"]);

    // Every history row records its checksum and the schema's Merkle root after it.
    let rows = repo.query("nrna", "SELECT checksum, schema_hash FROM strata_history");
    assert!(rows.iter().all(|r| r[0].len() == 64 && r[1].len() == 64), "{rows:?}");

    let status = repo.ok(&["status", "--env", "local"]);
    assert!(status.contains("3 tenants in local at commit"), "{status}");
    assert!(status.contains("3 up to date, 0 behind"), "{status}");
}

#[test]
fn a_hand_edited_migration_is_refused_by_its_sum_and_nothing_is_applied() {
    let repo = Repo::init();
    repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);
    add_event_capacity(&repo);
    repo.commit("event capacity");

    let path = "migrations/modules/events/0002_event_capacity.up.sql";
    repo.write(path, &repo.read(path).replace("capacity INTEGER", "capacity BIGINT"));
    let edited = repo.git_commit_all("tweak a migration by hand");

    let run = repo.run(&["apply", "--env", "local", "--commit", &edited]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("migrations/modules/events/strata.sum: 0002_event_capacity.up.sql was edited"),
        "{}",
        run.stderr
    );
    for tenant in TENANTS {
        assert!(!repo.column(tenant, "SELECT id FROM strata_history").iter().any(|id| id.contains("0002")), "{tenant}");
    }
}

#[test]
fn an_applied_migration_edited_with_its_sum_rewritten_is_refused_per_tenant() {
    let repo = Repo::init();
    let first = repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);

    // Someone edits an applied migration and regenerates the sum to hide it.
    let dir = "migrations/modules/events";
    let path = format!("{dir}/0001_init.up.sql");
    repo.write(&path, &repo.read(&path).replace("venue TEXT", "venue TEXT NOT NULL"));
    let files: Vec<(String, String)> = ["0001_init.down.sql", "0001_init.up.sql", "releases.yaml"]
        .iter()
        .map(|n| (n.to_string(), repo.read(&format!("{dir}/{n}"))))
        .collect();
    repo.write(&format!("{dir}/strata.sum"), &strata::migrations::sum::render(&files));
    let tampered = repo.git_commit_all("rewrite history");

    let run = repo.run(&["apply", "--env", "local", "--commit", &tampered]);
    assert_eq!(run.code, 4, "tenants with the module fail, the rollout reports it: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("nrna: FAILED"), "{}", run.stdout);
    assert!(run.stdout.contains("module.events/0001_init was applied with checksum"), "{}", run.stdout);
    assert!(run.stdout.contains("migrations/modules/events/0001_init.up.sql"), "{}", run.stdout);
    assert!(run.stdout.contains("uml: up to date"), "uml does not have events: {}", run.stdout);
    let history = repo.column("nrna", "SELECT DISTINCT commit_sha FROM strata_history");
    assert_eq!(history, [first]);
}

#[test]
fn commit_with_nothing_to_do_makes_no_commit() {
    let repo = Repo::init();
    let first = repo.commit("initial schema");
    let out = repo.ok(&["commit"]);
    assert!(out.contains("Nothing to commit"), "{out}");
    assert_eq!(repo.head(), first);
}

#[test]
fn commit_stages_schema_edits_whether_or_not_they_were_committed_already() {
    let repo = Repo::init();
    repo.commit("initial schema");
    add_event_capacity(&repo);
    repo.git_commit_all("schema edit committed by hand, migration not yet generated");
    let out = repo.ok(&["commit"]);
    assert!(out.contains("migrations/modules/events/0002_"), "{out}");
    assert!(repo.git_status().is_empty(), "everything is committed: {:?}", repo.git_status());
}

#[test]
fn commit_refuses_unrelated_changes_unless_allowed() {
    let repo = Repo::init();
    repo.write("README.md", "team notes\n");
    repo.git_commit_all("add notes");
    repo.write("README.md", "team notes, edited\n");
    add_event_capacity(&repo);
    let head = repo.head();
    let run = repo.run(&["commit"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("README.md"), "{}", run.stderr);
    assert_eq!(repo.head(), head);
    assert!(!repo.path().join("migrations").exists(), "nothing was written");

    repo.ok(&["commit", "--allow-dirty"]);
    let status = repo.git_status();
    assert_eq!(status.len(), 1, "only the unrelated file is left: {status:?}");
    assert!(status[0].ends_with("README.md"));
}

#[test]
fn a_module_patch_column_lives_in_the_module_and_its_down_removes_it() {
    let repo = Repo::init();
    repo.commit("initial schema");
    let up = repo.read("migrations/modules/membership/0001_init.up.sql");
    assert!(up.contains("ALTER TABLE members ADD COLUMN membership_tier TEXT;"), "{up}");
    let down = repo.read("migrations/modules/membership/0001_init.down.sql");
    assert!(down.contains("DROP INDEX members_membership_tier_idx;"), "{down}");
    assert!(down.contains("ALTER TABLE members DROP COLUMN membership_tier;"), "{down}");
    let template = repo.read("migrations/templates/party/0001_init.up.sql");
    assert!(!template.contains("membership_tier"));
}

#[test]
fn dry_run_lists_what_would_run_and_creates_nothing() {
    let repo = Repo::init();
    repo.commit("initial schema");
    let out = repo.ok(&["apply", "--env", "local", "--dry-run", "--tenant", "uml"]);
    assert!(
        out.contains("uml: would apply template.party/0001_init, module.membership/0001_init, module.donations/0001_init, tenant.uml/0001_init"),
        "{out}"
    );
    assert!(!repo.path().join(".strata").exists());
}

#[test]
fn two_concurrent_applies_apply_each_migration_once() {
    let repo = Repo::init();
    repo.commit("initial schema");
    let (a, b) = repo.run_twice_at_once(&["apply", "--env", "local", "--json"]);
    assert!(a.code == 0 && b.code == 0, "{}\n{}", a.stderr, b.stderr);
    for tenant in TENANTS {
        let ids = repo.column(tenant, "SELECT id FROM strata_history");
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len(), "{tenant}: {ids:?}");
    }
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM strata_history"), ["7"], "6 migrations and the roles seed");
    // Between them the two runners applied every migration exactly once.
    let applied = |out: &str| -> usize {
        let report: serde_json::Value = serde_json::from_str(out).unwrap();
        report["tenants"].as_array().unwrap().iter().map(|t| t["applied"].as_array().unwrap().len()).sum()
    };
    assert_eq!(applied(&a.stdout) + applied(&b.stdout), 3 + 6 + 4 + 3, "migrations, and one seed per tenant");
}

#[test]
fn a_rename_hint_becomes_a_rename_and_its_down_renames_back() {
    let repo = Repo::init();
    repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);
    let schema = "modules/events/schema/01_events.sql";
    repo.write(schema, &repo.read(schema).replace("  venue TEXT\n", "  location TEXT\n"));
    let manifest = "modules/events/module.yaml";
    repo.write(manifest, &format!("{}renames:\n  columns: {{ events: {{ venue: location }} }}\n", repo.read(manifest)));
    bump(&repo, manifest, "1.1.0");
    repo.commit("venue is now location");
    let up = repo.read("migrations/modules/events/0002_venue_is_now_location.up.sql");
    assert!(up.contains("ALTER TABLE events RENAME COLUMN venue TO location;"), "{up}");
    assert!(!up.contains("DROP"), "{up}");
    let down = repo.read("migrations/modules/events/0002_venue_is_now_location.down.sql");
    assert!(down.contains("ALTER TABLE events RENAME COLUMN location TO venue;"), "{down}");
    repo.ok(&["apply", "--env", "local"]);
    assert!(repo.columns_of("nrna", "events").contains(&"location".to_string()));
    assert!(!repo.columns_of("nrna", "events").contains(&"venue".to_string()));
    // The hint stays in module.yaml; once its rename is committed it does nothing.
    assert!(repo.ok(&["commit"]).contains("Nothing to commit"));
}

#[test]
fn a_postgres_project_commits_and_an_irreversible_down_says_so() {
    let repo = Repo::with_files(&[
        ("strata.yaml", "name: pg\ndialect: postgres\n"),
        ("templates/base/template.yaml", "name: base\nversion: 1.0.0\n"),
        (
            "templates/base/schema/01.sql",
            "CREATE TYPE mood AS ENUM ('sad', 'happy');\nCREATE TABLE people (id serial PRIMARY KEY, m mood);\n",
        ),
    ]);
    repo.commit("initial");
    let up = repo.read("migrations/templates/base/0001_init.up.sql");
    assert!(up.contains("CREATE TYPE mood AS ENUM ('sad', 'happy');"), "{up}");
    assert!(up.contains("id serial NOT NULL"), "{up}");
    repo.write(
        "templates/base/schema/01.sql",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\nCREATE TABLE people (id serial PRIMARY KEY, m mood);\n",
    );
    bump(&repo, "templates/base/template.yaml", "1.1.0");
    repo.commit("a new mood");
    let up = repo.read("migrations/templates/base/0002_a_new_mood.up.sql");
    assert!(up.contains("ALTER TYPE mood ADD VALUE 'ok' AFTER 'sad';"), "{up}");
    let down = repo.read("migrations/templates/base/0002_a_new_mood.down.sql");
    assert!(down.contains("-- strata:irreversible"), "{down}");
    assert!(down.contains("removing or reordering labels of enum mood"), "{down}");
}

#[test]
fn commit_records_releases_and_refuses_new_migrations_under_a_released_version() {
    let repo = Repo::init();
    repo.commit("initial schema");
    let releases = repo.read("migrations/modules/donations/releases.yaml");
    assert!(
        releases.contains(
            "- { version: 1.0.0, upto: 1, requires: { membership: \">=1.0, <2\" }, conflicts: [legacy-donations] }"
        ),
        "{releases}"
    );
    let sum = repo.read("migrations/modules/donations/strata.sum");
    assert!(sum.contains("releases.yaml sha256:"), "the sum covers releases.yaml: {sum}");

    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &repo.read(path).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n"));
    let head = repo.head();
    let run = repo.run(&["commit"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("modules/events/module.yaml: module.events 1.0.0 is released (migrations up to 0001); this change (0002) needs a new version: bump `version:` or run `strata commit --bump patch|minor|major`"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.head(), head);
    assert!(!repo.path().join("migrations/modules/events/0002_add_column_events_capacity.up.sql").exists());

    bump(&repo, "modules/events/module.yaml", "1.1.0");
    repo.commit("event capacity");
    let releases = repo.read("migrations/modules/events/releases.yaml");
    assert!(
        releases.contains("version: 1.0.0, upto: 1,") && releases.contains("version: 1.1.0, upto: 2,"),
        "{releases}"
    );
}

/// #16 item 1: the version rule is said where the change is looked at (plan, check, verify), not
/// only by `commit`, and `commit --bump` raises exactly the layers that need it.
#[test]
fn plan_check_and_verify_say_a_change_needs_a_new_version_and_commit_bump_raises_only_those() {
    let repo = Repo::init();
    repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);
    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &repo.read(path).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n"));
    let said = "modules/events/module.yaml: module.events 1.0.0 is released (migrations up to 0001); this change (0002) needs a new version";

    // Before: plan said "reaching 0 of 3 tenants" and `plan --tenant nrna` said "No changes".
    let plan = repo.ok(&["plan"]);
    assert!(plan.contains(&format!("needs a new version: {said}")), "{plan}");
    let plan = repo.ok(&["plan", "--tenant", "nrna"]);
    assert!(plan.contains(said) && plan.contains("No changes"), "{plan}");
    assert!(!repo.ok(&["plan", "--tenant", "uml"]).contains(said), "uml has no events module");
    let json: serde_json::Value = serde_json::from_str(&repo.ok(&["--json", "plan"])).unwrap();
    assert_eq!(json["needs_version"][0]["layer"], "module.events");
    assert_eq!(json["needs_version"][0]["reason"], "migrations");
    let markdown = repo.ok(&["plan", "--format", "markdown"]);
    assert!(markdown.contains("`modules/events/module.yaml`: module.events 1.0.0 is released"), "{markdown}");
    let check = repo.run(&["check"]);
    assert_eq!(check.code, 3, "{}", check.stdout);
    assert!(check.stdout.contains(said), "{}", check.stdout);
    // Before: verify said "run `strata commit`", which then refused.
    let verify = repo.run(&["verify", "--base", "HEAD"]);
    assert_eq!(verify.code, 3, "{}", verify.stdout);
    assert!(verify.stdout.contains(said), "{}", verify.stdout);

    let head = repo.head();
    let out = repo.ok(&["commit", "--bump", "minor", "-m", "event capacity"]);
    assert!(out.contains("modules/events/module.yaml: version 1.0.0 -> 1.1.0"), "{out}");
    assert_ne!(repo.head(), head);
    assert!(repo.read("modules/events/module.yaml").contains("\nversion: 1.1.0\n"));
    assert!(repo.read("modules/donations/module.yaml").contains("\nversion: 1.0.0\n"), "only what needs it");
    assert!(repo.read("migrations/modules/events/releases.yaml").contains("version: 1.1.0, upto: 2,"));
    let message = repo.git_cli(&["log", "-1", "--format=%B"]).stdout;
    assert!(message.contains("Versions raised by --bump:\n- modules/events/module.yaml: 1.0.0 -> 1.1.0"), "{message}");
    assert_eq!(repo.git_status(), Vec::<String>::new(), "the manifest is committed with the migration");
    assert!(repo.ok(&["check"]).starts_with("ok:"));
    assert!(repo.ok(&["apply", "--env", "local"]).contains("nrna: applied module.events/0002_"));
    // With nothing needing a version, --bump changes nothing.
    assert!(repo.ok(&["commit", "--bump", "major"]).contains("Nothing to commit"));
    assert!(repo.read("modules/events/module.yaml").contains("\nversion: 1.1.0\n"));
}

#[test]
fn a_tenant_pinned_to_an_older_release_gets_fewer_migrations() {
    let repo = Repo::init();
    repo.write("tenants/demo/tenant.yaml", "template: party\nmodules: { events: \"~1.0\" }\n");
    repo.commit("initial schema, demo stays on events 1.0");
    repo.ok(&["apply", "--env", "local"]);
    add_event_capacity(&repo);
    repo.commit("event capacity");
    let out = repo.ok(&["apply", "--env", "local"]);
    assert!(out.contains("demo: up to date\n"), "events 1.0.x has no 0002: {out}");
    assert!(out.contains("nrna: applied module.events/0002_event_capacity\n"), "{out}");
    assert!(!repo.columns_of("demo", "events").contains(&"capacity".to_string()));
    assert!(repo.columns_of("nrna", "events").contains(&"capacity".to_string()));
    let resolved = repo.ok(&["resolve", "--tenant", "demo"]);
    let events = resolved.lines().find(|l| l.contains("module.events")).unwrap();
    assert!(events.contains("1.0.0"), "the pinned release, not the newest: {resolved}");

    // Moving the pin brings the tenant forward.
    repo.write("tenants/demo/tenant.yaml", "template: party\nmodules: { events: \"^1\" }\n");
    repo.commit("demo takes events 1.1");
    assert!(repo.ok(&["apply", "--env", "local"]).contains("demo: applied module.events/0002_event_capacity\n"));
}

#[test]
fn a_release_needing_more_than_its_range_promises_is_refused_until_narrowed() {
    let repo = Repo::init();
    repo.commit("initial schema");
    let plans = "modules/membership/schema/01_plans.sql";
    repo.write(
        plans,
        &repo.read(plans).replace(
            "  active INTEGER NOT NULL DEFAULT 1\n",
            "  active INTEGER NOT NULL DEFAULT 1,\n  currency TEXT\n",
        ),
    );
    bump(&repo, "modules/membership/module.yaml", "1.1.0");
    let donations = "modules/donations/schema/01_donations.sql";
    repo.write(
        donations,
        &repo.read(donations).replace("  goal_cents INTEGER,\n", "  goal_cents INTEGER,\n  plan_id INTEGER,\n"),
    );
    bump(&repo, "modules/donations/module.yaml", "1.1.0");
    let head = repo.head();
    let run = repo.run(&["commit"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("modules/donations/module.yaml: module.donations 1.1.0 includes module.donations/0002_"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("requires module.membership/0002, but it allows module.membership 1.0.0"),
        "{}",
        run.stderr
    );
    // The range it proposes keeps the manifest's upper bound.
    assert!(run.stderr.contains("narrow the range: `requires: { membership: \">=1.1.0, <2\" }`"), "{}", run.stderr);
    assert_eq!(repo.head(), head, "nothing recorded");

    let manifest = "modules/donations/module.yaml";
    repo.write(manifest, &repo.read(manifest).replace("membership: \">=1.0, <2\"", "membership: \">=1.1, <2\""));
    repo.commit("donations needs membership 1.1");
    assert!(repo.ok(&["check"]).starts_with("ok:"));
}

/// The Merkle root of a tenant's live SQLite schema.
fn live_root(repo: &Repo, tenant: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(repo.tenant_db(tenant)).read_only(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        strata::schema::hash::root(&strata::dialect::sqlite::inspect(&mut conn).await.unwrap())
    })
}

#[test]
fn rollback_to_the_first_commit_gives_back_its_schema() {
    let repo = Repo::init();
    let first = repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);
    let before = live_root(&repo, "nrna");
    add_event_capacity(&repo);
    repo.commit("event capacity");
    repo.ok(&["apply", "--env", "local"]);
    assert_ne!(live_root(&repo, "nrna"), before);

    let out = repo.ok(&["rollback", "--env", "local", "--tenant", "nrna", "--to", &first, "--yes"]);
    assert!(out.contains("nrna: reverted module.events/0002_event_capacity\nnrna: 1 migration rolled back"), "{out}");
    assert_eq!(live_root(&repo, "nrna"), before, "the schema is the first commit's again");
    assert!(!repo.column("nrna", "SELECT id FROM strata_history").iter().any(|id| id.contains("0002")));
    assert!(repo.ok(&["apply", "--env", "local", "--commit", &first, "--tenant", "nrna"]).contains("nrna: up to date"));
    // Forward again from HEAD.
    assert!(repo
        .ok(&["apply", "--env", "local", "--tenant", "nrna"])
        .contains("nrna: applied module.events/0002_event_capacity"));
}

/// A rollback is looked at before it runs: a dry run prints the down SQL and changes nothing;
/// without a terminal it needs --yes; --steps counts back from the newest; and taking a tenant back
/// to before its first migration is refused unless --yes says so.
#[test]
fn rollback_is_looked_at_and_confirmed_before_anything_runs() {
    let repo = Repo::init();
    repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);
    add_event_capacity(&repo);
    repo.commit("event capacity");
    repo.ok(&["apply", "--env", "local"]);
    let before = live_root(&repo, "nrna");

    let dry = repo.ok(&["rollback", "--env", "local", "--tenant", "nrna", "--steps", "1", "--dry-run"]);
    assert!(dry.contains("-- nrna: would revert module.events/0002_event_capacity\n"), "{dry}");
    assert!(dry.contains("ALTER TABLE events DROP COLUMN capacity;"), "{dry}");
    assert!(dry.contains("nrna: 1 migration would be rolled back (dry run)"), "{dry}");
    assert_eq!(live_root(&repo, "nrna"), before, "a dry run changes nothing");

    let unconfirmed = repo.run(&["rollback", "--env", "local", "--tenant", "nrna", "--steps", "1"]);
    assert_eq!(unconfirmed.code, 2, "{}", unconfirmed.stdout);
    assert!(
        unconfirmed.stderr.contains("confirm on a terminal, pass --yes, or look first with --dry-run"),
        "{}",
        unconfirmed.stderr
    );
    assert_eq!(live_root(&repo, "nrna"), before);

    let everything = ["rollback", "--env", "local", "--tenant", "nrna", "--to", "HEAD~2"];
    let refused = repo.run(&everything);
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    assert!(refused.stderr.contains("back to before its first migration"), "{}", refused.stderr);
    assert_eq!(live_root(&repo, "nrna"), before);

    let one = repo.ok(&["rollback", "--env", "local", "--tenant", "nrna", "--steps", "1", "--yes"]);
    assert!(one.contains("nrna: reverted module.events/0002_event_capacity\nnrna: 1 migration rolled back"), "{one}");
    let all = repo.ok(&[&everything[..], &["--yes"]].concat());
    assert!(all.contains("migrations rolled back"), "{all}");
    // SQLite keeps its own sqlite_sequence once AUTOINCREMENT was used; it is not the tenant's.
    let left: Vec<String> = repo.tables_of("nrna").into_iter().filter(|t| t != "sqlite_sequence").collect();
    assert_eq!(left, ["strata_history"], "every table of the tenant's layers is gone");
}

#[test]
fn rollback_refuses_an_irreversible_migration_and_changes_nothing() {
    let repo = Repo::init();
    let first = repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);
    add_event_capacity(&repo);
    repo.commit("event capacity");
    repo.ok(&["apply", "--env", "local"]);
    let down = "migrations/modules/events/0002_event_capacity.down.sql";
    let header: String =
        repo.read(down).lines().take_while(|l| l.starts_with("-- strata:")).map(|l| format!("{l}\n")).collect();
    repo.write(down, &format!("{header}-- strata:irreversible the capacity data cannot be brought back\n"));
    // The sum covers the down file: the edit is committed with its sum, as a team would.
    let files: Vec<(String, String)> = std::fs::read_dir(repo.path().join("migrations/modules/events"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "strata.sum")
        .map(|n| (n.clone(), repo.read(&format!("migrations/modules/events/{n}"))))
        .collect();
    repo.write("migrations/modules/events/strata.sum", &strata::migrations::sum::render(&files));
    repo.git_commit_all("events 0002 cannot be undone");
    let before = live_root(&repo, "nrna");
    let run = repo.run(&["rollback", "--env", "local", "--tenant", "nrna", "--to", &first, "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("module.events/0002_event_capacity is irreversible (the capacity data cannot be brought back)"),
        "{}",
        run.stderr
    );
    assert_eq!(live_root(&repo, "nrna"), before);
}

/// #16 item 8: an edit to a seed that ran was ignored forever, silently. Now `plan` and `status`
/// say so, `verify` and `apply` refuse an unmarked edit, and the mark says what it means.
#[test]
fn an_edited_seed_is_reported_and_must_say_whether_tenants_run_it_again() {
    let repo = Repo::init();
    repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);
    let seed = "templates/party/seed/01_roles.sql";
    let chair = "  ('treasurer', 'Looks after money'),\n  ('chair', 'Chairs the meetings');\n";
    let edited = repo.read(seed).replace("  ('treasurer', 'Looks after money');\n", chair);
    assert_ne!(edited, repo.read(seed));
    repo.write(seed, &edited);

    let plan = repo.ok(&["plan"]);
    assert!(plan.contains("seed templates/party/seed/01_roles.sql was edited after it may have run; a seed runs once per tenant: mark the file `-- strata:rerun`"), "{plan}");
    repo.commit("a chair role");
    let gate = repo.run(&["verify", "--base", "HEAD~1"]);
    assert_eq!(gate.code, 3, "{}", gate.stdout);
    assert!(
        gate.stdout.contains("templates/party/seed/01_roles.sql was edited after it may have run"),
        "{}",
        gate.stdout
    );
    let apply = repo.run(&["apply", "--env", "local"]);
    assert_eq!(apply.code, 4, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("templates/party/seed/01_roles.sql changed since it ran on this tenant"),
        "{}",
        apply.stdout
    );
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM roles"), ["3"], "nothing ran");
    let status = repo.ok(&["status", "--env", "local"]);
    assert!(
        status.contains("~ nrna: templates/party/seed/01_roles.sql changed since it ran on this tenant"),
        "{status}"
    );

    // Marked rerun (and written to be safe twice), the new text runs where the old one ran.
    let rerun = format!("-- strata:rerun\n{}", edited.replace("INSERT INTO roles", "INSERT OR IGNORE INTO roles"));
    repo.write(seed, &rerun);
    assert!(repo
        .ok(&["plan"])
        .contains("seed templates/party/seed/01_roles.sql changed: tenants that ran it run the new text again"));
    repo.commit("the chair seed reruns");
    repo.ok(&["verify", "--base", "HEAD~1"]);
    let out = repo.ok(&["apply", "--env", "local"]);
    assert!(out.contains("nrna: applied seed:template.party/01_roles.sql@"), "{out}");
    for tenant in TENANTS {
        assert_eq!(
            repo.column(tenant, "SELECT name FROM roles ORDER BY name"),
            ["admin", "chair", "secretary", "treasurer"]
        );
    }
    assert!(repo.ok(&["apply", "--env", "local"]).contains("0 migrated, 3 up to date"), "the new text runs once");
    assert!(!repo.ok(&["status", "--env", "local"]).contains("~ "), "nothing changed since it ran");

    // Marked keep, tenants that ran it keep their rows; a new seed file runs once everywhere.
    repo.write(seed, &rerun.replace("-- strata:rerun", "-- strata:keep").replace("Chairs the meetings", "Chairs"));
    repo.write(
        "templates/party/seed/02_more_roles.sql",
        "INSERT INTO roles (name, description) VALUES ('auditor', 'Checks the books');\n",
    );
    let plan = repo.ok(&["plan"]);
    assert!(plan.contains("tenants that ran it keep their rows, new tenants get the new text (strata:keep)"), "{plan}");
    repo.commit("kept seed, new seed");
    let out = repo.ok(&["apply", "--env", "local"]);
    assert!(out.contains("nrna: applied seed:template.party/02_more_roles.sql\n"), "{out}");
    assert_eq!(repo.column("nrna", "SELECT description FROM roles WHERE name = 'chair'"), ["Chairs the meetings"]);
    assert!(repo.ok(&["status", "--env", "local"]).contains("the rows stay as they are (strata:keep)"));
}

#[test]
fn seeds_run_once_per_tenant_after_its_migrations() {
    let repo = Repo::init();
    repo.commit("initial schema");
    let out = repo.ok(&["apply", "--env", "local"]);
    assert!(out.contains("tenant.nrna/0001_init, seed:template.party/01_roles.sql\n"), "seeds come last: {out}");
    for tenant in TENANTS {
        assert_eq!(
            repo.column(tenant, "SELECT name FROM roles ORDER BY name"),
            ["admin", "secretary", "treasurer"],
            "{tenant}"
        );
        let seed = repo.query(
            tenant,
            "SELECT layer, seq, state FROM strata_history WHERE id = 'seed:template.party/01_roles.sql'",
        );
        assert_eq!(seed, [["template.party", "0", "applied"]], "{tenant}");
    }
    assert!(repo.ok(&["apply", "--env", "local"]).contains("0 migrated, 3 up to date"), "a seed never runs twice");
    assert_eq!(repo.column("nrna", "SELECT count(*) FROM roles"), ["3"]);
    let status = repo.ok(&["status", "--env", "local"]);
    assert!(
        status.lines().any(|l| l.starts_with("nrna") && l.split_whitespace().nth(1) == Some("6")),
        "status counts migrations: {status}"
    );
}

#[test]
fn a_failing_migration_on_sqlite_leaves_its_tenant_unchanged_and_the_rollout_reports_it() {
    let repo = Repo::init();
    repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);
    // Two members with one phone in uml: a unique index on phone fails there only.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(repo.tenant_db("uml"));
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO members (email, full_name, phone) VALUES ('a@x.org', 'A', '555'), ('b@x.org', 'B', '555')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    });
    let before = live_root(&repo, "uml");
    repo.write("templates/party/schema/04_phone.sql", "CREATE UNIQUE INDEX members_phone_key ON members (phone);\n");
    bump(&repo, "templates/party/template.yaml", "1.1.0");
    repo.commit("unique phone");
    let run = repo.run(&["apply", "--env", "local"]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("uml: FAILED after 0 migrations: template.party/0002_unique_phone failed"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nrna: applied template.party/0002_unique_phone"), "{}", run.stdout);
    assert!(run.stdout.contains("3 tenants, 2 migrated, 0 up to date, 1 failed"), "{}", run.stdout);
    assert_eq!(live_root(&repo, "uml"), before, "the failed migration left nothing behind");
    assert!(!repo.column("uml", "SELECT id FROM strata_history").iter().any(|id| id.contains("0002")));
    // The rollback left no row, but status still says why the tenant is behind.
    let status = repo.ok(&["status", "--env", "local"]);
    assert!(
        status.contains("! uml: the last rollout (commit ")
            && status.contains("failed: template.party/0002_unique_phone failed"),
        "{status}"
    );
    assert!(!status.contains("! nrna:"), "{status}");
    // Fixed and applied, the failure is no longer the last word.
    repo.execute("uml", "DELETE FROM members WHERE email = 'b@x.org'");
    repo.ok(&["apply", "--env", "local"]);
    assert!(!repo.ok(&["status", "--env", "local"]).contains("! uml:"));
}

#[test]
fn drift_names_hand_made_changes_of_one_tenant_only() {
    let repo = Repo::init();
    repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local"]);
    let clean = repo.run(&["drift", "--env", "local"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert!(
        clean.stdout.contains("3 tenants in local at commit") && clean.stdout.contains(": 0 drifted"),
        "{}",
        clean.stdout
    );

    repo.execute("uml", "CREATE INDEX hand_made ON members (phone); ALTER TABLE roles ADD COLUMN color TEXT; DROP INDEX members_ward_no_idx;");
    let run = repo.run(&["drift", "--env", "local"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.stdout.contains("nrna: no drift\n") && run.stdout.contains("demo: no drift\n"), "{}", run.stdout);
    let uml: Vec<&str> = run.stdout.lines().skip_while(|l| !l.starts_with("uml:")).take(4).collect();
    assert_eq!(
        uml,
        [
            "uml: 3 objects drifted",
            "  - index members_ward_no_idx is missing",
            "  - table roles differs: column color (TEXT) is not expected",
            "  - index hand_made is not expected",
        ]
    );
    let json: serde_json::Value =
        serde_json::from_str(&repo.run(&["--json", "drift", "--env", "local", "--tenant", "uml"]).stdout).unwrap();
    assert_eq!(json["tenants"][0]["differences"].as_array().unwrap().len(), 3);
}
