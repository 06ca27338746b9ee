//! The pull-request gate end to end: `strata plan` and `strata verify` on real git repositories
//! with a base branch, as CI runs them on a pull request.

mod util;

use util::{Repo, Run};

/// The starter repository with its first migrations committed on `master`, and a feature branch
/// checked out: the situation of a pull request.
fn pull_request() -> Repo {
    let repo = Repo::init();
    repo.commit("initial schema");
    let run = repo.git_cli(&["checkout", "-q", "-b", "feature"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    repo
}

fn verify(repo: &Repo) -> Run {
    repo.run(&["verify", "--base", "master"])
}

/// The line of one check in the text report, e.g. `FAIL  sums  mismatch` (and its details).
fn check<'a>(run: &'a Run, name: &str) -> &'a str {
    let start = run
        .stdout
        .lines()
        .position(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no check {name} in:\n{}", run.stdout));
    let lines: Vec<&str> = run.stdout.lines().collect();
    let end = (start + 1..lines.len()).find(|i| !lines[*i].starts_with("        ")).unwrap_or(lines.len());
    let from = run.stdout.find(lines[start]).unwrap();
    let to = if end < lines.len() { run.stdout.find(lines[end]).unwrap() } else { run.stdout.len() };
    &run.stdout[from..to]
}

fn assert_check(run: &Run, name: &str, status: &str, needles: &[&str]) {
    let text = check(run, name);
    assert!(text.starts_with(status), "{name} should be {status}:\n{}", run.stdout);
    for needle in needles {
        assert!(text.contains(needle), "{name}: expected `{needle}` in:\n{text}");
    }
}

const EVENTS_SCHEMA: &str = "modules/events/schema/01_events.sql";

fn add_event_capacity(repo: &Repo) {
    repo.write(
        EVENTS_SCHEMA,
        &repo.read(EVENTS_SCHEMA).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n"),
    );
    let manifest = "modules/events/module.yaml";
    repo.write(manifest, &repo.read(manifest).replace("version: 1.0.0", "version: 1.1.0"));
}

#[test]
fn a_clean_change_passes_and_an_uncommitted_one_fails_naming_its_layer() {
    let repo = pull_request();
    let run = verify(&repo);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("verify passed: 11 checks"), "{}", run.stdout);

    add_event_capacity(&repo);
    let plan = repo.ok(&["plan"]);
    assert!(plan.contains("module.events/0002_"), "{plan}");
    assert!(plan.contains("ALTER TABLE events ADD COLUMN capacity INTEGER;"), "{plan}");
    assert!(plan.contains("1 tenant: template party 1.0.0 + events 1.1.0 + membership 1.0.0\n    demo\n"), "{plan}");
    assert!(plan.contains("1 tenant unaffected"), "{plan}");
    let run = verify(&repo);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(
        &run,
        "uncommitted",
        "FAIL",
        &["module.events: its declared schema (modules/events/) and its migrations replayed differ"],
    );

    repo.commit("event capacity");
    let run = verify(&repo);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_check(&run, "lint", "pass", &["1 new migration checked"]);
    assert_check(&run, "replay", "pass", &["in-memory SQLite"]);
    assert_check(&run, "down", "pass", &["9 down migrations checked"]);
    assert!(repo.ok(&["plan"]).contains("No changes"));
}

#[test]
fn a_hand_edited_migration_fails_naming_the_file() {
    let repo = pull_request();
    let path = "migrations/modules/events/0001_init.up.sql";
    repo.write(path, &repo.read(path).replace("venue TEXT", "venue TEXT NOT NULL"));
    let run = verify(&repo);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(&run, "sums", "FAIL", &["migrations/modules/events/strata.sum: 0001_init.up.sql was edited"]);
    // "Fixing" the sum hides the edit from the sum, not from the base.
    assert!(repo.ok(&["rehash"]).contains("rewrote migrations/modules/events/strata.sum"));
    let run = verify(&repo);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(&run, "sums", "pass", &[]);
    assert_check(&run, "history", "FAIL", &["migrations/modules/events/0001_init.up.sql was edited"]);
}

#[test]
fn two_branches_adding_migration_0002_to_one_layer_collide_in_the_sum() {
    let repo = pull_request();
    let add = |file: &str, sql: &str, message: &str| {
        repo.write(&format!("modules/events/schema/{file}"), sql);
        let manifest = "modules/events/module.yaml";
        repo.write(manifest, &repo.read(manifest).replace("version: 1.0.0", "version: 1.1.0"));
        repo.commit(message);
    };
    add("02_a.sql", "CREATE TABLE event_tags (id INTEGER PRIMARY KEY, tag TEXT);\n", "event tags");
    assert_eq!(repo.git_cli(&["checkout", "-q", "-b", "other", "master"]).code, 0);
    add("02_b.sql", "CREATE TABLE event_photos (id INTEGER PRIMARY KEY, url TEXT);\n", "event photos");
    assert_eq!(repo.git_cli(&["checkout", "-q", "feature"]).code, 0);

    let merge = repo.git_cli(&["merge", "other", "-m", "merge other"]);
    assert_ne!(merge.code, 0, "git must refuse to merge two 0002s silently");
    assert!(merge.stdout.contains("Merge conflict in migrations/modules/events/strata.sum"), "{}", merge.stdout);
    let run = verify(&repo);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(&run, "sums", "FAIL", &["migrations/modules/events"]);

    // Resolving the conflict by taking one side's sum does not get past verify either.
    repo.git_cli(&["checkout", "--ours", "migrations/modules/events/strata.sum"]);
    repo.git_cli(&["add", "-A"]);
    assert_eq!(repo.git_cli(&["commit", "-q", "-m", "merge other"]).code, 0);
    let run = verify(&repo);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(&run, "sums", "FAIL", &["migrations/modules/events: two migrations numbered 0002"]);

    // The way out the message gives: drop the unmerged branch's 0002, rehash, commit anew.
    for file in ["0002_event_photos.up.sql", "0002_event_photos.down.sql"] {
        repo.remove(&format!("migrations/modules/events/{file}"));
    }
    assert!(repo.ok(&["rehash"]).contains("0 sum files rewritten"), "our side's sum already fits");
    // 1.1.0 is released with the tags migration: the photos change is the next version.
    let manifest = "modules/events/module.yaml";
    repo.write(manifest, &repo.read(manifest).replace("version: 1.1.0", "version: 1.2.0"));
    repo.commit("event photos");
    assert!(repo.path().join("migrations/modules/events/0003_event_photos.up.sql").exists());
    let run = verify(&repo);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

fn drop_venue(repo: &Repo) {
    repo.write(EVENTS_SCHEMA, &repo.read(EVENTS_SCHEMA).replace(",\n  venue TEXT\n", "\n"));
    let manifest = "modules/events/module.yaml";
    repo.write(manifest, &repo.read(manifest).replace("version: 1.0.0", "version: 1.1.0"));
}

/// A destructive migration committed while the policy was relaxed, the policy then tightened (as a
/// team does): `commit` refuses such a migration itself, so this is how one reaches the gate.
fn commit_under_a_relaxed_policy(repo: &Repo, message: &str) {
    let policy = repo.read("strata.yaml");
    repo.write("strata.yaml", &policy.replace("destructive: error", "destructive: warn"));
    repo.commit(message);
    repo.write("strata.yaml", &policy);
    repo.git_commit_all("destructive changes are errors again");
}

#[test]
fn commit_refuses_what_the_lint_policy_makes_an_error_and_writes_nothing() {
    let repo = pull_request();
    drop_venue(&repo);
    let head = repo.head();
    let run = repo.run(&["commit", "-m", "drop venue"]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("migrations/modules/events/0002_drop_venue.up.sql: destructive is an error under lint.destructive in strata.yaml")
            && run.stderr.contains("strata commit --allow 'destructive=<reason>'"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.head(), head, "nothing committed");
    assert!(!repo.path().join("migrations/modules/events/0002_drop_venue.up.sql").exists(), "nothing written");
    // The way out is the one the message names.
    repo.ok(&["commit", "-m", "drop venue", "--allow", "destructive=venue moved to the venues module"]);
    assert_ne!(repo.head(), head);
}

#[test]
fn a_destructive_change_fails_the_default_policy_unless_allowed_with_a_reason() {
    let repo = pull_request();
    drop_venue(&repo);
    let plan = repo.ok(&["plan"]);
    assert!(
        plan.contains("[destructive]") && plan.contains("error: destructive is an error under lint.destructive"),
        "{plan}"
    );
    commit_under_a_relaxed_policy(&repo, "drop venue");
    let run = verify(&repo);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(&run, "lint", "FAIL", &["migrations/modules/events/0002_drop_venue.up.sql: destructive is an error"]);

    let reviewed = pull_request();
    drop_venue(&reviewed);
    reviewed.ok(&["commit", "-m", "drop venue", "--allow", "destructive=venue moved to the venues module in 2025"]);
    let up = reviewed.read("migrations/modules/events/0002_drop_venue.up.sql");
    assert!(up.contains("-- strata:allow destructive venue moved to the venues module in 2025\n"), "{up}");
    let run = verify(&reviewed);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_check(&run, "lint", "pass", &["1 new migration checked"]);
}

#[test]
fn a_module_using_a_table_of_a_module_it_does_not_require_fails_naming_both() {
    let repo = pull_request();
    repo.write("modules/surveys/module.yaml", "name: surveys\nversion: 1.0.0\nrequires:\n  template.party: \"^1\"\n");
    repo.write(
        "modules/surveys/schema/01_surveys.sql",
        "CREATE TABLE event_surveys (id INTEGER PRIMARY KEY, event_id INTEGER REFERENCES events (id));\n",
    );
    repo.commit("event surveys");
    let run = verify(&repo);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(
        &run,
        "isolation",
        "FAIL",
        &["module.surveys: table event_surveys references table events; it belongs to module.events, which module.surveys does not require (add it to `requires` in modules/surveys/module.yaml)"],
    );
}

#[test]
fn a_down_migration_that_does_not_reverse_its_up_fails_naming_the_file() {
    let repo = pull_request();
    add_event_capacity(&repo);
    repo.commit("event capacity");
    let down = "migrations/modules/events/0002_event_capacity.down.sql";
    let header: String =
        repo.read(down).lines().take_while(|l| l.starts_with("-- strata:")).map(|l| format!("{l}\n")).collect();
    repo.write(down, &format!("{header}-- forgot to drop the column\nSELECT 1;\n"));
    repo.ok(&["rehash"]);
    let run = verify(&repo);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(
        &run,
        "down",
        "FAIL",
        &[
            &format!("{down} does not restore the schema before module.events/0002_event_capacity"),
            "column capacity (INTEGER) is not expected",
        ],
    );
    assert_check(&run, "replay", "pass", &[]);
}

#[test]
fn verify_reports_as_json_and_markdown() {
    let repo = pull_request();
    drop_venue(&repo);
    commit_under_a_relaxed_policy(&repo, "drop venue");
    let json = repo.run(&["verify", "--base", "master", "--format", "json"]);
    assert_eq!(json.code, 3);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["format_version"], 1);
    assert_eq!(value["passed"], false);
    let statuses: Vec<(String, String)> = value["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(statuses.len(), 11);
    assert!(statuses.contains(&("lint".into(), "fail".into())) && statuses.contains(&("replay".into(), "pass".into())));
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md")).unwrap();
    let mut keys = Vec::new();
    collect_keys(&value, &mut keys);
    for key in keys {
        assert!(doc.contains(&format!("`{key}`")), "docs/json.md does not document `{key}`");
    }
    let markdown = repo.run(&["verify", "--base", "master", "--format", "markdown"]);
    assert!(markdown.stdout.starts_with("### strata verify · ❌ failed"), "{}", markdown.stdout);
    assert!(markdown.stdout.contains("<details open><summary><code>lint</code>"), "{}", markdown.stdout);
}

/// A realistic pull request: a new column on events, gift aid on donations (with the tenant's
/// currency kept symbolic), and a dropped campaign column (destructive).
fn realistic_change() -> Repo {
    let repo = pull_request();
    add_event_capacity(&repo);
    let donations = "modules/donations/schema/01_donations.sql";
    let schema = repo.read(donations);
    let schema = schema.replace("  goal_cents INTEGER,\n", "").replace(
        "  received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,\n",
        "  received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,\n  gift_aid INTEGER NOT NULL DEFAULT 0,\n",
    );
    repo.write(donations, &schema);
    repo.write(
        "modules/donations/schema/02_pledges.sql",
        "CREATE TABLE pledges (\n  id INTEGER PRIMARY KEY,\n  member_id INTEGER NOT NULL REFERENCES members (id),\n  monthly_cents INTEGER NOT NULL,\n  currency TEXT NOT NULL DEFAULT {{ tenant.vars.currency | sql_literal }}\n);\n",
    );
    let manifest = "modules/donations/module.yaml";
    repo.write(manifest, &repo.read(manifest).replace("version: 1.0.0", "version: 1.1.0"));
    repo
}

#[test]
fn plan_renderings_are_pinned() {
    let repo = realistic_change();
    assert!(repo.path().join("modules/donations/schema/01_donations.sql").exists());
    insta::assert_snapshot!("plan_text", repo.ok(&["plan"]));
    insta::assert_snapshot!("plan_markdown", repo.ok(&["plan", "--format", "markdown"]));
    insta::assert_snapshot!("plan_json", repo.ok(&["plan", "--format", "json"]));
    insta::assert_snapshot!("plan_tenant_uml", repo.ok(&["plan", "--tenant", "uml"]));
}

#[test]
fn plan_json_has_the_documented_shape() {
    let repo = realistic_change();
    let value: serde_json::Value = serde_json::from_str(&repo.ok(&["--json", "plan"])).unwrap();
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md")).unwrap();
    // Every key the plan prints is documented, and the documented example parses.
    let mut keys = Vec::new();
    collect_keys(&value, &mut keys);
    for key in keys {
        assert!(doc.contains(&format!("`{key}`")), "docs/json.md does not document `{key}`");
    }
    assert_eq!(value["summary"]["migrations"], 2);
    assert_eq!(value["summary"]["lint_errors"], 1);
    let groups = value["groups"].as_array().unwrap();
    assert_eq!(groups.iter().map(|g| g["tenants"].as_array().unwrap().len()).sum::<usize>(), 3);
}

fn collect_keys(value: &serde_json::Value, keys: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                keys.push(key.clone());
                collect_keys(inner, keys);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_keys(i, keys)),
        _ => {}
    }
}

#[test]
fn plan_text_is_coloured_only_when_asked_or_on_a_terminal() {
    let repo = realistic_change();
    let coloured = repo.ok(&["plan", "--color", "always"]);
    assert!(coloured.contains("\x1b[33m[destructive]\x1b[0m"), "{coloured}");
    assert!(coloured.contains("\x1b[31merror: destructive"), "{coloured}");
    // Piped (as here) with the default `auto`: plain text for logs and files.
    assert!(!repo.ok(&["plan"]).contains('\x1b'));
}

const PG_DUMP: &str =
    "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSET client_encoding = 'UTF8';\n\
SELECT pg_catalog.set_config('search_path', '', false);\nALTER SCHEMA public OWNER TO postgres;\n\n\
CREATE TYPE public.mood AS ENUM ('sad', 'ok');\nALTER TYPE public.mood OWNER TO postgres;\n\n\
CREATE TABLE public.person (\n    id integer NOT NULL,\n    name text NOT NULL,\n    mood public.mood\n);\n\
ALTER TABLE public.person OWNER TO postgres;\nCOMMENT ON TABLE public.person IS 'people';\n\
ALTER TABLE ONLY public.person\n    ADD CONSTRAINT person_pkey PRIMARY KEY (id);\n\
REVOKE USAGE ON SCHEMA public FROM PUBLIC;\nGRANT ALL ON SCHEMA public TO PUBLIC;\n";

fn pg_dump_project(lint: &str) -> Repo {
    Repo::with_files(&[
        ("strata.yaml", &format!("name: dump\ndialect: postgres\n{lint}")),
        ("templates/base/template.yaml", "name: base\nversion: 1.0.0\n"),
        ("templates/base/schema/01_dump.sql", PG_DUMP),
        ("tenants/acme/tenant.yaml", "template: base\n"),
    ])
}

#[test]
fn pg_dump_session_statements_are_ignored_and_counted_once_or_refused_on_request() {
    let repo = pg_dump_project("");
    let plan = repo.ok(&["plan"]);
    let line =
        "ignored 8 session and ownership statements in schema files: 2 GRANT/REVOKE, 3 OWNER TO, 2 SET, 1 set_config";
    assert_eq!(plan.matches(line).count(), 1, "{plan}");
    assert!(plan.contains("CREATE TABLE person"), "{plan}");
    assert!(plan.contains("COMMENT ON TABLE person IS 'people';"), "a table's comment is the schema's: {plan}");
    let json: serde_json::Value = serde_json::from_str(&repo.ok(&["plan", "--format", "json"])).unwrap();
    assert_eq!(json["ignored_statements"]["OWNER TO"], 3);
    repo.commit("dump as it is");
    let verify = repo.run(&["verify", "--base", "HEAD", "--skip", "replay,down"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(verify.stdout.contains(&format!("note: {line}")), "{}", verify.stdout);

    let strict = pg_dump_project("lint: { session_statements: error }\n");
    let run = strict.run(&["plan"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "templates/base/schema/01_dump.sql:5: `SET` statement refused by `lint: { session_statements: error }`"
        ),
        "{}",
        run.stderr
    );
}

/// On a server dialect a gate without a scratch database has not replayed anything: it fails,
/// saying how to give one, unless the user skips replay explicitly, and then the verdict says so.
#[test]
fn a_server_gate_without_a_dev_database_fails_unless_replay_is_skipped_by_name() {
    let repo = pg_dump_project("");
    repo.commit("dump as it is");
    let unset = |args: &[&str]| -> Run {
        let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_strata"));
        command.arg("--repo").arg(repo.path()).args(args).env_remove("STRATA_DEV_URL");
        command.output().expect("strata runs").into()
    };
    let run = unset(&["verify", "--base", "HEAD"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(&run, "replay", "FAIL", &["postgres needs --dev-url or STRATA_DEV_URL", "--skip replay,down"]);
    assert_check(&run, "down", "skip", &["needs replay"]);
    assert!(run.stdout.contains("verify failed: 1 of 11 checks failed (1 skipped: down)"), "{}", run.stdout);

    let skipped = unset(&["verify", "--base", "HEAD", "--skip", "replay,down"]);
    assert_eq!(skipped.code, 0, "{}", skipped.stdout);
    assert_check(&skipped, "replay", "skip", &["skipped with --skip"]);
    assert!(skipped.stdout.contains("verify passed: 11 checks (2 skipped: replay, down)"), "{}", skipped.stdout);

    let unknown = unset(&["verify", "--skip", "replay,dwon"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(unknown.stderr.contains("no check named 'dwon' (checks: manifests, cycles,"), "{}", unknown.stderr);
}

/// A gate pointed at what is not there fails: a `--base` that does not resolve, a dev database of
/// another engine (named before any connection is tried, the URL's password never repeated).
#[test]
fn a_base_that_does_not_resolve_or_a_dev_url_of_another_engine_fails_the_gate() {
    let repo = pull_request();
    let run = repo.run(&["verify", "--base", "no-such-branch"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(&run, "history", "FAIL", &["--base does not resolve", "unknown ref 'no-such-branch'"]);

    let postgres = pg_dump_project("");
    postgres.commit("dump as it is");
    let run = postgres.run(&["verify", "--base", "HEAD", "--dev-url", "mysql://root:secret@127.0.0.1:3306/test"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_check(&run, "replay", "FAIL", &["--dev-url is a mysql:// URL, but the project's dialect is postgres"]);
    assert!(!run.stdout.contains("secret"), "{}", run.stdout);
}

/// On SQLite a column change is a table rebuild (a new table, the rows copied, the old one dropped
/// and the new one renamed): lint judges the change, not the rebuild's DROP TABLE, so the starter's
/// own policy (destructive: error, rewrite: warn) commits it and the gate warns.
#[test]
fn a_sqlite_rebuild_carries_the_hazards_of_its_change_not_of_its_drop() {
    let repo = pull_request();
    repo.write(EVENTS_SCHEMA, &repo.read(EVENTS_SCHEMA).replace("  title TEXT NOT NULL,", "  title TEXT,"));
    let manifest = "modules/events/module.yaml";
    repo.write(manifest, &repo.read(manifest).replace("version: 1.0.0", "version: 1.1.0"));
    repo.commit("title may be empty");
    let up = repo.read("migrations/modules/events/0002_title_may_be_empty.up.sql");
    assert!(up.contains("DROP TABLE") && !up.contains("-- strata:hazards destructive"), "a rebuild: {up}");
    let run = verify(&repo);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(!check(&run, "lint").contains("destructive"), "{}", run.stdout);
}
