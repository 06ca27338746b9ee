//! Bad input gets a clear message naming the file (and line), a non-zero exit, and changes
//! nothing: no commit, no written file, no tenant database.

mod util;

use util::Repo;

/// Runs a command that must fail, and checks that it named what is wrong and touched nothing.
fn assert_refused(repo: &Repo, args: &[&str], expected: &[&str]) -> String {
    let head = repo.head();
    let status = repo.git_status();
    let run = repo.run(args);
    assert_ne!(run.code, 0, "strata {args:?} should fail; stdout:\n{}", run.stdout);
    if args[0] == "check" && run.stdout.contains("tenants resolve") {
        assert_eq!(run.code, 3, "a tenant without a valid layer set is exit 3");
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // `check` reports on stdout (it is its output); the other commands fail on stderr.
    let said = format!("{}{}", run.stdout, run.stderr);
    for needle in expected {
        assert!(said.contains(needle), "strata {args:?}: expected `{needle}` in:\n{said}");
    }
    assert_eq!(repo.head(), head, "no commit was made");
    assert_eq!(repo.git_status(), status, "no file was written");
    assert!(!repo.path().join(".strata").exists(), "no tenant database was created");
    run.stderr
}

/// The same input, refused by `check` and `commit` in the work tree, and by `apply` once committed.
fn assert_refused_everywhere(repo: &Repo, expected: &[&str]) {
    assert_refused(repo, &["check"], expected);
    assert_refused(repo, &["commit"], expected);
    repo.git_commit_all("broken input, committed by hand");
    assert_refused(repo, &["apply", "--env", "local"], expected);
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let repo = Repo::init();
    repo.write("tenants/uml/tenant.yaml", "template: party\nmodules: [donations\nvars: { currency: NPR }\n");
    assert_refused_everywhere(&repo, &["tenants/uml/tenant.yaml:3:5", "illegal placement"]);
}

#[test]
fn an_unknown_field_is_an_error_not_ignored() {
    let repo = Repo::init();
    repo.write("modules/events/module.yaml", "name: events\nversion: 1.0.0\nrequieres: {}\n");
    assert_refused_everywhere(&repo, &["modules/events/module.yaml:3:1", "unknown field `requieres`"]);
}

#[test]
fn an_unknown_module_is_named_with_the_tenant_file() {
    let repo = Repo::init();
    repo.write("tenants/demo/tenant.yaml", "template: party\nmodules: [events, surveys]\n");
    assert_refused_everywhere(&repo, &["tenants/demo/tenant.yaml", "tenant demo needs module 'surveys'"]);
}

#[test]
fn a_requires_cycle_is_printed() {
    let repo = Repo::init();
    repo.write(
        "modules/events/module.yaml",
        "name: events\nversion: 1.0.0\nrequires:\n  template.party: \"^1\"\n  volunteers: \"^1\"\n",
    );
    assert_refused_everywhere(
        &repo,
        &["dependency cycle: module.events requires module.volunteers requires module.events"],
    );
}

#[test]
fn an_invalid_tenant_id_is_rejected_before_it_reaches_sql_or_paths() {
    let repo = Repo::init();
    repo.write("tenants/Acme Corp/tenant.yaml", "template: party\n");
    assert_refused_everywhere(&repo, &["tenants/Acme Corp: invalid tenant name 'Acme Corp'"]);
}

#[test]
fn an_unknown_ref_is_named() {
    let repo = Repo::init();
    repo.commit("initial schema");
    assert_refused(
        &repo,
        &["apply", "--env", "local", "--commit", "no-such-branch"],
        &["unknown ref 'no-such-branch'"],
    );
    assert_refused(&repo, &["status", "--env", "local", "--commit", "deadbeef"], &["unknown ref 'deadbeef'"]);
}

#[test]
fn an_unknown_environment_or_tenant_is_a_usage_error() {
    let repo = Repo::init();
    repo.commit("initial schema");
    let run = repo.run(&["apply", "--env", "production"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown environment 'production' (known: local)"), "{}", run.stderr);
    let run = repo.run(&["apply", "--env", "local", "--tenant", "acme"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown tenant 'acme'"), "{}", run.stderr);
    assert!(!repo.path().join(".strata").exists());
}

#[test]
fn conflicting_modules_are_explained() {
    let repo = Repo::init();
    repo.write("tenants/uml/tenant.yaml", "template: party\nmodules: [donations, legacy-donations]\n");
    assert_refused_everywhere(
        &repo,
        &[
            "tenants/uml/tenant.yaml: tenant uml has no valid set of modules",
            "module.donations 1.0.0 would constrain",
            "module.legacy-donations to no version (a conflict)",
            "Declared in: modules/donations/module.yaml, modules/legacy-donations/module.yaml",
        ],
    );
}

#[test]
fn a_raw_variable_in_sql_is_a_render_error_with_its_line() {
    let repo = Repo::init();
    repo.write(
        "tenants/nrna/patches/02_banner.sql",
        "-- banner\nCREATE TABLE banner (title TEXT DEFAULT {{ tenant.vars.display_name }});\n",
    );
    assert_refused(&repo, &["commit"], &["tenants/nrna/patches/02_banner.sql:2", "sql_literal"]);
}

#[test]
fn a_patch_colliding_with_a_layer_names_the_owner() {
    let repo = Repo::init();
    repo.write(
        "tenants/uml/patches/02_email.yaml",
        "patches:\n  - add_column: { table: members, name: email, type: TEXT }\n",
    );
    assert_refused(
        &repo,
        &["commit"],
        &["tenants/uml/patches/02_email.yaml:2: column members.email already exists (owned by template.party)"],
    );
    repo.remove("tenants/uml/patches/02_email.yaml");
    repo.write("tenants/demo/patches/01.sql", "\nCREATE TABLE events (id INTEGER);\n");
    assert_refused(
        &repo,
        &["commit"],
        &["tenants/demo/patches/01.sql:2: table events already exists (owned by module.events)"],
    );
}

#[test]
fn sql_syntax_errors_name_file_and_line() {
    let repo = Repo::init();
    repo.write(
        "modules/events/schema/02_more.sql",
        "CREATE TABLE ok (id INTEGER);\n\nCREATE TABLE broken (id INTEGER,);\n",
    );
    assert_refused(&repo, &["commit"], &["modules/events/schema/02_more.sql:3: SQL syntax error"]);
}

#[test]
fn not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let run = assert_cmd::Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("--repo")
        .arg(dir.path())
        .args(["commit"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("is not inside a git repository"));
}

#[test]
fn an_object_outside_the_tenant_is_refused_by_name() {
    let repo = Repo::init();
    repo.write("modules/events/schema/02_audit.sql", "\nCREATE TABLE audit.log (id INTEGER);\n");
    assert_refused(
        &repo,
        &["commit"],
        &["modules/events/schema/02_audit.sql:2", "audit.log is outside the tenant's schema"],
    );
}

#[test]
fn check_reports_every_unresolvable_tenant_and_exits_3() {
    let repo = Repo::init();
    repo.write("tenants/demo/tenant.yaml", "template: party\nmodules: [events, surveys]\n");
    repo.write("tenants/uml/tenant.yaml", "template: party\nmodules: [donations, legacy-donations]\n");
    let run = repo.run(&["check"]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("tenant demo needs module 'surveys'"), "{}", run.stdout);
    assert!(run.stdout.contains("tenant uml has no valid set of modules"), "{}", run.stdout);
    assert!(run.stdout.contains("2 problems; 1 of 3 tenants resolve"), "{}", run.stdout);
}

/// A released version's manifest may not change: `check` says so, as `commit` would refuse it,
/// and `verify` fails its releases check.
#[test]
fn check_refuses_a_released_versions_changed_requires() {
    let repo = Repo::init();
    repo.commit("initial schema");
    let manifest = "modules/events/module.yaml";
    repo.write(manifest, &repo.read(manifest).replace("template.party: \">=1.0, <2\"", "template.party: \">=99.0.0\""));
    let run = repo.run(&["check"]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("modules/events/module.yaml: module.events 1.0.0 is released; a change to its requires/conflicts needs a new version"),
        "{}",
        run.stdout
    );
    let gate = repo.run(&["verify", "--base", "HEAD"]);
    assert_eq!(gate.code, 3, "{}", gate.stdout);
    assert!(gate.stdout.contains("a change to its requires/conflicts needs a new version"), "{}", gate.stdout);
}

#[test]
fn check_reports_as_json_for_machines() {
    let repo = Repo::init();
    let clean: serde_json::Value = serde_json::from_str(&repo.ok(&["--json", "check"])).unwrap();
    assert_eq!(clean["passed"], true);
    assert_eq!(clean["tenants"], 3);
    repo.write("tenants/demo/tenant.yaml", "template: party\nmodules: [donations, legacy-donations]\n");
    let run = repo.run(&["--json", "check"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["passed"], false);
    assert_eq!(report["unresolved_tenants"], 1);
    let problems = report["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p.as_str().unwrap().contains("tenants/demo/tenant.yaml")), "{problems:?}");
}
