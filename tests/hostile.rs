//! Hostile and broken input, one case per test, through the real binary: malformed and oversized
//! YAML, bytes that are not text, names that try to become paths or SQL, refs a clone does not
//! hold, migration folders edited by hand, damaged tenant histories and option values beyond
//! reason. Each refused case ends with the exit code the README documents (1 error, 2 usage, 3 a
//! check found a problem, 4 a rollout had failed tenants), names the file and line (or the option,
//! tenant or ref) it is about, does not panic, and changes nothing: no commit, no file of the work
//! tree, no tenant database. Input strata accepts (CRLF, a byte order mark, an empty file) is shown
//! to mean what the same input means without it.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use util::{Repo, Run};

/// The README's exit codes.
const ERROR: i32 = 1;
const USAGE: i32 = 2;
const PROBLEM: i32 = 3;
const ROLLOUT_FAILED: i32 = 4;

/// Runs the real binary on `dir` the way `Repo::run` does, but never for longer than a minute: a
/// command that waits forever on hostile input fails its test instead of hanging the suite.
fn strata(dir: &Path, args: &[&str]) -> Run {
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_strata"));
    command.arg("--repo").arg(dir).args(args).current_dir(dir).timeout(Duration::from_secs(60));
    let output = command.output().unwrap_or_else(|e| panic!("strata {args:?} did not finish: {e}"));
    assert!(output.status.code().is_some(), "strata {args:?} was killed (timed out?)");
    output.into()
}

/// What a refused command must leave as it found it: the commit, the work tree, and every file of
/// the tenant databases under `.strata/` (not `.strata/rollouts/`, where a failed rollout is
/// remembered by design).
#[derive(Debug, PartialEq)]
struct Untouched {
    head: Option<String>,
    status: Vec<String>,
    databases: BTreeMap<PathBuf, Option<Vec<u8>>>,
}

impl Untouched {
    fn of(dir: &Path) -> Self {
        let git = git2::Repository::open(dir).expect("a git repository");
        let head = git.head().ok().and_then(|h| h.peel_to_commit().ok()).map(|c| c.id().to_string());
        let mut options = git2::StatusOptions::new();
        options.include_untracked(true).recurse_untracked_dirs(true);
        let statuses = git.statuses(Some(&mut options)).expect("git status");
        let status = statuses.iter().map(|e| format!("{:?} {}", e.status(), e.path().unwrap_or("?"))).collect();
        let mut databases = BTreeMap::new();
        collect(&dir.join(".strata"), Path::new(""), &mut databases);
        Untouched { head, status, databases }
    }
}

/// Every file (with its bytes) and folder below `root`, except the rollout records.
fn collect(root: &Path, relative: &Path, into: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
    let Ok(entries) = std::fs::read_dir(root.join(relative)) else { return };
    for entry in entries.flatten() {
        let path = relative.join(entry.file_name());
        if path == Path::new("rollouts") {
            continue;
        }
        if entry.path().is_dir() {
            into.insert(path.clone(), None);
            collect(root, &path, into);
        } else {
            into.insert(path, Some(std::fs::read(entry.path()).expect("read a database file")));
        }
    }
}

fn no_panic(args: &[&str], run: &Run) {
    assert_ne!(run.code, 101, "strata {args:?} panicked:\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "strata {args:?} panicked:\n{}", run.stderr);
}

/// Runs a command that must be refused with `code`, saying each of `expected` (on stdout, where
/// `check` and `verify` report, or stderr, where the other commands fail), and touching nothing.
fn refused_at(dir: &Path, args: &[&str], code: i32, expected: &[&str]) -> Run {
    let before = Untouched::of(dir);
    let run = strata(dir, args);
    no_panic(args, &run);
    assert_eq!(run.code, code, "strata {args:?} exit code; it said:\n{}{}", run.stdout, run.stderr);
    let said = format!("{}{}", run.stdout, run.stderr);
    for needle in expected {
        assert!(said.contains(needle), "strata {args:?}: expected `{needle}` in:\n{said}");
    }
    assert_eq!(Untouched::of(dir), before, "strata {args:?} changed the commit, the work tree or a tenant database");
    run
}

fn refused(repo: &Repo, args: &[&str], code: i32, expected: &[&str]) -> Run {
    refused_at(repo.path(), args, code, expected)
}

/// Runs a command that must succeed; returns what it printed.
fn accepted(repo: &Repo, args: &[&str]) -> String {
    let run = strata(repo.path(), args);
    no_panic(args, &run);
    assert_eq!(run.code, 0, "strata {args:?} failed:\n{}{}", run.stdout, run.stderr);
    run.stdout
}

fn write_bytes(repo: &Repo, path: &str, bytes: &[u8]) {
    let full = repo.path().join(path);
    std::fs::create_dir_all(full.parent().expect("a parent")).expect("create the folder");
    std::fs::write(full, bytes).expect("write");
}

/// The starter with its first release committed and applied to every tenant.
fn applied() -> Repo {
    let repo = Repo::init();
    repo.commit("first release");
    accepted(&repo, &["apply", "--env", "local"]);
    repo
}

const EVENTS_SQL: &str = "modules/events/schema/02_notes.sql";
const TENANT: &str = "tenants/uml/tenant.yaml";

// ---------------------------------------------------------------------------------------------
// YAML

#[test]
fn a_yaml_bomb_is_refused_with_the_file_named() {
    let repo = Repo::init();
    // Nine levels of nine aliases each: 387 million strings once expanded.
    let mut text = String::from("template: party\nmodules:\n  - &a [x, x, x, x, x, x, x, x, x]\n");
    for (previous, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
        text.push_str(&format!("  - &{name} [{}]\n", vec![format!("*{previous}"); 9].join(", ")));
    }
    repo.write(TENANT, &text);
    refused(&repo, &["commit"], ERROR, &["tenants/uml/tenant.yaml:8:", "YAML document too large or too complex"]);
}

#[test]
fn a_duplicate_key_is_refused_naming_the_key_and_its_line() {
    let repo = Repo::init();
    repo.write(TENANT, "template: party\nmodules: [donations]\ntemplate: party\n");
    let run = refused(&repo, &["commit"], ERROR, &["tenants/uml/tenant.yaml:3:1", "duplicate mapping key `template`"]);
    assert!(!run.stderr.contains("DuplicateKeyPolicy"), "no advice meant for strata's programmers: {}", run.stderr);
}

#[test]
fn a_duplicate_key_in_a_nested_map_is_refused() {
    let repo = Repo::init();
    let environment = "environments/local.yaml";
    repo.write(environment, &format!("{}rollout: {{ concurrency: 2, concurrency: 3 }}\n", repo.read(environment)));
    refused(&repo, &["check"], ERROR, &["environments/local.yaml:6:28", "duplicate mapping key `concurrency`"]);
}

#[test]
fn invalid_utf8_in_a_manifest_is_refused_with_its_line() {
    let repo = Repo::init();
    write_bytes(&repo, TENANT, b"template: party\nmodules: [donations]\nvars: { currency: \"N\xffR\" }\n");
    refused(&repo, &["commit"], ERROR, &["tenants/uml/tenant.yaml:3: not valid UTF-8 text"]);
}

#[test]
fn invalid_utf8_in_a_sql_file_is_refused_with_its_line() {
    let repo = Repo::init();
    write_bytes(&repo, EVENTS_SQL, b"CREATE TABLE notes (id INTEGER);\n-- caf\xe9 au lait\n");
    refused(&repo, &["commit"], ERROR, &["modules/events/schema/02_notes.sql:2: not valid UTF-8 text"]);
}

#[test]
fn a_byte_order_mark_in_a_manifest_is_read_as_without_it() {
    let repo = Repo::init();
    let plain = accepted(&repo, &["plan"]);
    repo.write(TENANT, &format!("\u{feff}{}", repo.read(TENANT)));
    assert_eq!(accepted(&repo, &["plan"]), plain);
}

#[test]
fn a_byte_order_mark_in_a_sql_file_is_read_as_without_it() {
    let repo = Repo::init();
    let plain = accepted(&repo, &["plan"]);
    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &format!("\u{feff}{}", repo.read(path)));
    assert_eq!(accepted(&repo, &["plan"]), plain, "a BOM (as Notepad writes it) is no SQL");
}

#[test]
fn a_nul_byte_in_a_manifest_is_refused_with_its_line() {
    let repo = Repo::init();
    write_bytes(&repo, TENANT, b"template: party\nmodules: [donations]\0\n");
    refused(&repo, &["commit"], ERROR, &["tenants/uml/tenant.yaml:2: a NUL byte"]);
}

#[test]
fn a_nul_byte_in_a_sql_file_is_refused_with_its_line() {
    let repo = Repo::init();
    write_bytes(&repo, EVENTS_SQL, b"CREATE TABLE notes (id INTEGER);\n\n\0\n");
    refused(&repo, &["commit"], ERROR, &["modules/events/schema/02_notes.sql:3: a NUL byte"]);
}

#[test]
fn crlf_line_endings_everywhere_give_the_same_plan_as_lf() {
    let repo = Repo::init();
    let plain = accepted(&repo, &["plan"]);
    for folder in ["templates", "modules", "tenants", "environments"] {
        for file in walk(&repo.path().join(folder)) {
            let text = std::fs::read_to_string(&file).expect("text");
            std::fs::write(&file, text.replace('\n', "\r\n")).expect("write");
        }
    }
    repo.write("strata.yaml", &repo.read("strata.yaml").replace('\n', "\r\n"));
    assert_eq!(accepted(&repo, &["plan"]), plain);
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        if entry.path().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}

#[test]
fn a_committed_migration_checked_out_with_crlf_keeps_its_sum() {
    let repo = Repo::init();
    repo.commit("first release");
    for file in walk(&repo.path().join("migrations")).into_iter().filter(|f| f.extension().is_some_and(|e| e == "sql"))
    {
        let text = std::fs::read_to_string(&file).expect("text");
        std::fs::write(&file, text.replace('\n', "\r\n")).expect("write");
    }
    accepted(&repo, &["check"]);
    repo.git_commit_all("a Windows checkout, committed");
    assert!(accepted(&repo, &["apply", "--env", "local"]).contains("3 tenants, 3 migrated"));
}

#[test]
fn an_unknown_key_in_the_lint_settings_is_refused() {
    let repo = Repo::init();
    repo.write("strata.yaml", &format!("{}  destrutcive: warn\n", repo.read("strata.yaml")));
    refused(&repo, &["commit"], ERROR, &["strata.yaml:8:3", "unknown field `destrutcive`"]);
}

#[test]
fn an_unknown_key_three_levels_deep_in_an_environment_is_refused() {
    let repo = Repo::init();
    let environment = "environments/local.yaml";
    let waves = "rollout:\n  waves:\n    - percent: 50\n      lables: { tier: free }\n";
    repo.write(environment, &format!("{}{waves}", repo.read(environment)));
    refused(&repo, &["check"], ERROR, &["environments/local.yaml:9:7", "unknown field `lables`"]);
}

#[test]
fn an_unknown_key_in_a_patch_is_refused() {
    let repo = Repo::init();
    repo.write(
        "modules/membership/patches/01_members_tier.yaml",
        "patches:\n  - add_column: { table: members, name: tier, type: TEXT, nulable: true }\n",
    );
    refused(
        &repo,
        &["commit"],
        ERROR,
        &["modules/membership/patches/01_members_tier.yaml:2:59", "unknown field `nulable`"],
    );
}

#[test]
fn an_unknown_kind_of_patch_is_refused() {
    let repo = Repo::init();
    repo.write("tenants/uml/patches/01_ward.yaml", "patches:\n  - drop_table: { table: members }\n");
    refused(&repo, &["commit"], ERROR, &["tenants/uml/patches/01_ward.yaml:2:5", "unknown variant `drop_table`"]);
}

#[test]
fn a_tenant_file_that_is_a_list_is_refused() {
    let repo = Repo::init();
    repo.write(TENANT, "- template: party\n- modules: [donations]\n");
    refused(&repo, &["commit"], ERROR, &["tenants/uml/tenant.yaml:1:1", "expected mapping"]);
}

#[test]
fn an_empty_tenant_file_is_refused() {
    let repo = Repo::init();
    repo.write(TENANT, "");
    refused(&repo, &["commit"], ERROR, &["tenants/uml/tenant.yaml:1:1", "unexpected end of file"]);
}

#[test]
fn a_module_list_given_as_one_word_is_refused_in_words_a_user_knows() {
    let repo = Repo::init();
    repo.write(TENANT, "template: party\nmodules: donations\n");
    let run = refused(
        &repo,
        &["commit"],
        ERROR,
        &["tenants/uml/tenant.yaml:2:10", "`modules:` takes a list of module names"],
    );
    assert!(!run.stderr.contains("untagged enum"), "not serde's words: {}", run.stderr);
}

#[test]
fn a_tenant_selector_of_the_wrong_shape_is_refused() {
    let repo = Repo::init();
    let environment = "environments/local.yaml";
    repo.write(environment, &format!("{}tenants: {{ region: eu }}\n", repo.read(environment)));
    refused(
        &repo,
        &["check"],
        ERROR,
        &["environments/local.yaml:6:10", "`tenants:` takes \"*\", a list of tenant ids"],
    );
}

#[test]
fn an_integer_where_a_name_is_expected_is_read_as_text_and_named() {
    let repo = Repo::init();
    repo.write("modules/events/module.yaml", "name: 42\nversion: 1.0.0\n");
    refused(&repo, &["commit"], ERROR, &["modules/events/module.yaml: name '42' does not match its folder 'events'"]);
}

#[test]
fn a_null_value_is_refused_without_advice_meant_for_programmers() {
    let repo = Repo::init();
    repo.write(TENANT, "template: party\nvars: { currency: ~ }\n");
    let run = refused(&repo, &["commit"], ERROR, &["tenants/uml/tenant.yaml:2:19", "null is not allowed here"]);
    assert!(!run.stderr.contains("Option<"), "{}", run.stderr);
}

#[test]
fn two_yaml_documents_in_one_file_are_refused() {
    let repo = Repo::init();
    repo.write(TENANT, "template: party\n---\ntemplate: party\n");
    let run =
        refused(&repo, &["commit"], ERROR, &["tenants/uml/tenant.yaml:3:1", "only single YAML document expected"]);
    assert!(!run.stderr.contains("from_str_multiple"), "{}", run.stderr);
}

#[test]
fn a_wave_of_more_than_the_whole_fleet_is_refused_by_check() {
    let repo = Repo::init();
    let environment = "environments/local.yaml";
    repo.write(environment, &format!("{}rollout:\n  waves:\n    - percent: 150\n", repo.read(environment)));
    refused(&repo, &["check"], ERROR, &["environments/local.yaml: rollout.waves[0].percent must be 1 to 100, not 150"]);
}

#[test]
fn a_max_failures_of_zero_in_an_environment_is_refused_by_check() {
    let repo = Repo::init();
    let environment = "environments/local.yaml";
    repo.write(environment, &format!("{}rollout: {{ max_failures: 0 }}\n", repo.read(environment)));
    refused(&repo, &["check"], ERROR, &["environments/local.yaml: rollout.max_failures must be at least 1"]);
}

// ---------------------------------------------------------------------------------------------
// Names

/// A tenant folder beside the starter's, as a hostile pull request would add it.
fn tenant_folder(repo: &Repo, id: &str) {
    repo.write(&format!("tenants/{id}/tenant.yaml"), "template: party\n");
}

#[test]
fn a_tenant_folder_name_with_a_quote_is_refused_before_it_reaches_sql() {
    let repo = Repo::init();
    tenant_folder(&repo, "o'brien");
    refused(&repo, &["commit"], ERROR, &["tenants/o'brien: invalid tenant name 'o'brien'"]);
}

#[test]
fn a_tenant_folder_name_with_unicode_is_refused() {
    let repo = Repo::init();
    tenant_folder(&repo, "café");
    refused(&repo, &["commit"], ERROR, &["tenants/café: invalid tenant name 'café'"]);
}

#[test]
fn a_tenant_folder_named_with_dots_is_refused() {
    let repo = Repo::init();
    tenant_folder(&repo, "...");
    refused(&repo, &["commit"], ERROR, &["tenants/...: invalid tenant name '...'"]);
}

#[test]
fn a_250_character_tenant_folder_name_is_refused() {
    let repo = Repo::init();
    let long = "a".repeat(250);
    tenant_folder(&repo, &long);
    refused(&repo, &["commit"], ERROR, &[&format!("tenants/{long}: invalid tenant name"), "{0,62}"]);
}

#[test]
fn a_module_folder_name_with_a_space_is_refused() {
    let repo = Repo::init();
    repo.write("modules/my events/module.yaml", "name: my events\nversion: 1.0.0\n");
    refused(&repo, &["commit"], ERROR, &["modules/my events: invalid module name 'my events'"]);
}

#[test]
fn a_module_named_by_a_path_in_a_tenant_is_refused() {
    let repo = Repo::init();
    repo.write("tenants/demo/tenant.yaml", "template: party\nmodules: [\"../events\"]\n");
    refused(
        &repo,
        &["check"],
        PROBLEM,
        &["tenants/demo/tenant.yaml: tenant demo needs module '../events', which does not exist"],
    );
}

#[test]
fn a_template_named_by_a_path_is_refused() {
    let repo = Repo::init();
    repo.write("tenants/demo/tenant.yaml", "template: \"../party\"\n");
    refused(
        &repo,
        &["check"],
        PROBLEM,
        &["tenants/demo/tenant.yaml: tenant 'demo' uses template '../party', which does not exist"],
    );
}

#[test]
fn an_environment_of_a_tenant_that_is_a_path_is_refused() {
    let repo = Repo::init();
    repo.write("tenants/demo/tenant.yaml", "template: party\nenvironments: [\"../local\"]\n");
    refused(
        &repo,
        &["commit"],
        ERROR,
        &["tenants/demo/tenant.yaml: unknown environment '../local' (no environments/../local.yaml)"],
    );
}

#[test]
fn a_conflict_with_a_module_that_does_not_exist_is_refused() {
    let repo = Repo::init();
    let manifest = "modules/donations/module.yaml";
    // A typo: the conflict it was meant to declare would silently not be there.
    repo.write(manifest, &repo.read(manifest).replace("conflicts: [legacy-donations]", "conflicts: [legacy-donation]"));
    refused(
        &repo,
        &["commit"],
        ERROR,
        &["modules/donations/module.yaml: conflicts with 'legacy-donation', which does not exist"],
    );
}

#[test]
fn migration_new_refuses_a_layer_name_holding_a_path() {
    let repo = Repo::init();
    refused(&repo, &["migration", "new", "module.../events", "backfill"], USAGE, &["no layer 'module.../events'"]);
}

#[test]
fn migration_new_refuses_a_300_character_layer_name() {
    let repo = Repo::init();
    let layer = format!("module.{}", "e".repeat(300));
    refused(&repo, &["migration", "new", &layer, "backfill"], USAGE, &[&format!("no layer '{layer}'")]);
}

#[test]
fn migration_new_cuts_a_300_character_name_to_48_characters() {
    let repo = Repo::init();
    repo.commit("first release");
    let out = accepted(&repo, &["migration", "new", "module.events", &"a".repeat(300)]);
    let expected = format!("migrations/modules/events/0002_{}.up.sql", "a".repeat(48));
    assert_eq!(out.lines().next(), Some(expected.as_str()), "{out}");
}

#[test]
fn migration_new_keeps_a_path_in_its_name_inside_the_layer_folder() {
    let repo = Repo::init();
    repo.commit("first release");
    let out = accepted(&repo, &["migration", "new", "module.events", "../../../etc/passwd"]);
    assert_eq!(out.lines().next(), Some("migrations/modules/events/0002_etc_passwd.up.sql"), "{out}");
    let written: Vec<String> = repo.git_status();
    assert!(written.iter().all(|line| line.contains(" migrations/modules/events/")), "{written:?}");
}

#[test]
fn a_tenant_on_the_command_line_holding_a_path_is_a_usage_error() {
    let repo = Repo::init();
    repo.commit("first release");
    refused(&repo, &["apply", "--env", "local", "--tenant", "../nrna"], USAGE, &["unknown tenant '../nrna'"]);
}

#[test]
fn an_environment_on_the_command_line_holding_a_path_is_a_usage_error() {
    let repo = Repo::init();
    repo.commit("first release");
    refused(&repo, &["apply", "--env", "../local"], USAGE, &["unknown environment '../local' (known: local)"]);
}

#[test]
fn a_300_character_tenant_on_the_command_line_is_a_usage_error() {
    let repo = Repo::init();
    let long = "t".repeat(300);
    refused(&repo, &["plan", "--tenant", &long], USAGE, &[&format!("unknown tenant '{long}'")]);
}

// ---------------------------------------------------------------------------------------------
// Refs and git

#[test]
fn an_unknown_ref_for_rollback_is_a_usage_error() {
    let repo = applied();
    refused(
        &repo,
        &["rollback", "--env", "local", "--tenant", "uml", "--to", "no-such-ref", "--yes"],
        USAGE,
        &["unknown ref 'no-such-ref'"],
    );
}

/// A depth-1 clone (as CI checks out) of a repository with two releases; the first one's hash.
fn shallow_clone() -> (Repo, tempfile::TempDir, String) {
    let repo = Repo::init();
    repo.commit("first release");
    let first = repo.head();
    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &repo.read(path).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n"));
    accepted(&repo, &["commit", "--bump", "minor", "-m", "capacity"]);
    let clone = tempfile::Builder::new().prefix("strata-clone-").tempdir().expect("temp dir");
    let url = format!("file://{}", repo.path().display());
    let run = repo.git_cli(&["clone", "-q", "--depth", "1", &url, clone.path().to_str().expect("a UTF-8 path")]);
    assert_eq!(run.code, 0, "git clone: {}", run.stderr);
    (repo, clone, first)
}

#[test]
fn a_commit_a_shallow_clone_lacks_is_named_with_how_to_fetch_it() {
    let (_origin, clone, first) = shallow_clone();
    refused_at(
        clone.path(),
        &["apply", "--env", "local", "--commit", &first],
        USAGE,
        &[&format!("unknown ref '{first}'"), "this is a shallow clone", "git fetch --unshallow"],
    );
    assert!(!clone.path().join(".strata").exists(), "no tenant database");
}

#[test]
fn verify_in_a_shallow_clone_fails_naming_the_base_it_lacks() {
    let (_origin, clone, first) = shallow_clone();
    refused_at(
        clone.path(),
        &["verify", "--base", &first],
        PROBLEM,
        &["FAIL  history      --base does not resolve", "this is a shallow clone"],
    );
}

#[test]
fn a_detached_head_applies_the_commit_checked_out_not_the_branch() {
    let repo = Repo::init();
    let first = repo.commit("first release");
    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &repo.read(path).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n"));
    accepted(&repo, &["commit", "--bump", "minor", "-m", "capacity"]);
    let run = repo.git_cli(&["checkout", "-q", "--detach", &first]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    accepted(&repo, &["apply", "--env", "local"]);
    assert_eq!(repo.column("demo", "SELECT DISTINCT commit_sha FROM strata_history"), [first]);
    assert!(!repo.columns_of("demo", "events").contains(&"capacity".to_string()), "the branch tip is not applied");
}

#[test]
fn a_repository_without_a_commit_is_named_as_a_usage_error() {
    let starter = Repo::init();
    let dir = tempfile::Builder::new().prefix("strata-unborn-").tempdir().expect("temp dir");
    git2::Repository::init(dir.path()).expect("git init");
    for folder in ["templates", "modules", "tenants", "environments"] {
        for file in walk(&starter.path().join(folder)) {
            let to = dir.path().join(file.strip_prefix(starter.path()).expect("inside"));
            std::fs::create_dir_all(to.parent().expect("a parent")).expect("mkdir");
            std::fs::copy(&file, to).expect("copy");
        }
    }
    std::fs::copy(starter.path().join("strata.yaml"), dir.path().join("strata.yaml")).expect("copy");
    refused_at(dir.path(), &["apply", "--env", "local"], USAGE, &["unknown ref 'HEAD'"]);
    assert!(!dir.path().join(".strata").exists());
}

#[test]
fn a_repository_folder_that_does_not_exist_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-folder");
    let args = ["--repo", missing.to_str().expect("UTF-8"), "check"];
    let run: Run = assert_cmd::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("strata runs")
        .into();
    no_panic(&args, &run);
    assert_eq!(run.code, ERROR, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("no strata.yaml in {}", missing.display())), "{}", run.stderr);
    assert!(!missing.exists(), "nothing is created");
}

// ---------------------------------------------------------------------------------------------
// Migration folders

#[test]
fn an_edited_down_file_is_refused_by_the_sum() {
    let repo = Repo::init();
    repo.commit("first release");
    let down = "migrations/modules/events/0001_init.down.sql";
    repo.write(down, &format!("{}-- and one more line\n", repo.read(down)));
    refused(
        &repo,
        &["commit"],
        ERROR,
        &["migrations/modules/events/strata.sum: 0001_init.down.sql was edited after it was committed"],
    );
}

#[test]
fn a_deleted_migration_is_refused_before_any_tenant_is_touched() {
    let repo = Repo::init();
    repo.commit("first release");
    repo.remove("migrations/modules/events/0001_init.up.sql");
    repo.git_commit_all("a migration deleted by hand");
    refused(
        &repo,
        &["apply", "--env", "local"],
        ERROR,
        &["migrations/modules/events/strata.sum: 0001_init.up.sql was removed or renamed"],
    );
    assert!(!repo.path().join(".strata").exists());
}

#[test]
fn a_renumbered_migration_is_refused_by_the_sum() {
    let repo = Repo::init();
    repo.commit("first release");
    for direction in ["up", "down"] {
        let from = repo.path().join(format!("migrations/modules/events/0001_init.{direction}.sql"));
        std::fs::rename(&from, from.with_file_name(format!("0002_init.{direction}.sql"))).expect("rename");
    }
    refused(&repo, &["commit"], ERROR, &["migrations/modules/events/strata.sum: 0001_init.", "was removed or renamed"]);
}

#[test]
fn a_missing_down_file_fails_the_gate_naming_it() {
    let repo = Repo::init();
    repo.commit("first release");
    repo.remove("migrations/modules/events/0001_init.down.sql");
    refused(
        &repo,
        &["verify", "--base", "HEAD"],
        PROBLEM,
        &["FAIL  sums", "migrations/modules/events/strata.sum: 0001_init.down.sql was removed or renamed"],
    );
}

#[test]
fn a_malformed_sum_file_is_refused() {
    let repo = Repo::init();
    repo.commit("first release");
    let sum = "migrations/modules/events/strata.sum";
    let text = repo.read(sum);
    let rest = text.split_once('\n').map_or("", |(_, rest)| rest);
    repo.write(sum, &format!("garbage\n{rest}"));
    refused(&repo, &["commit"], ERROR, &["migrations/modules/events/strata.sum: the sum file is malformed"]);
}

#[test]
fn a_migration_folder_without_its_sum_is_refused() {
    let repo = Repo::init();
    repo.commit("first release");
    repo.remove("migrations/modules/events/strata.sum");
    refused(&repo, &["commit"], ERROR, &["migrations/modules/events: migrations without a strata.sum"]);
}

#[test]
fn an_unknown_header_directive_is_refused_with_its_line() {
    let repo = Repo::init();
    repo.commit("first release");
    let up =
        accepted(&repo, &["migration", "new", "module.events", "backfill"]).lines().next().unwrap_or("").to_string();
    let text = repo.read(&up);
    let (first, rest) = text.split_once('\n').expect("a header");
    repo.write(&up, &format!("{first}\n-- strata:hazzards destructive\n{rest}"));
    refused(&repo, &["commit"], ERROR, &[&format!("{up}:2: unknown header `strata:hazzards`")]);
}

#[test]
fn a_stray_file_in_a_migration_folder_is_named() {
    let repo = Repo::init();
    repo.commit("first release");
    repo.write("migrations/modules/events/notes.txt", "remember to add capacity\n");
    refused(&repo, &["commit"], ERROR, &["migrations/modules/events/notes.txt: not a migration file name"]);
}

#[test]
fn a_folder_in_a_migration_folder_is_named_as_a_folder() {
    let repo = Repo::init();
    repo.commit("first release");
    std::fs::create_dir(repo.path().join("migrations/modules/events/0002_x.up.sql")).expect("mkdir");
    refused(&repo, &["check"], ERROR, &["migrations/modules/events/0002_x.up.sql: a folder inside a migration folder"]);
}

// ---------------------------------------------------------------------------------------------
// SQL files

#[test]
fn an_unterminated_string_in_a_schema_file_is_refused_with_its_line() {
    let repo = Repo::init();
    repo.write(EVENTS_SQL, "CREATE TABLE notes (id INTEGER);\n\nCREATE TABLE tags (name TEXT DEFAULT 'none);\n");
    refused(
        &repo,
        &["check"],
        PROBLEM,
        &["modules/events/schema/02_notes.sql:3: SQL syntax error", "Unterminated string literal"],
    );
}

#[test]
fn an_unterminated_comment_cannot_hide_the_rest_of_a_schema_file() {
    let repo = Repo::init();
    // SQLite itself would read the table below as part of the comment and never create it.
    repo.write(EVENTS_SQL, "CREATE TABLE notes (id INTEGER);\n/* tags come next\nCREATE TABLE tags (id INTEGER);\n");
    refused(
        &repo,
        &["commit"],
        ERROR,
        &["modules/events/schema/02_notes.sql:2: SQL syntax error: a `/*` comment is never closed"],
    );
}

#[test]
fn an_unterminated_string_in_a_seed_is_refused_before_any_tenant_runs_it() {
    let repo = Repo::init();
    repo.write("templates/party/seed/02_more.sql", "INSERT INTO roles (name) VALUES ('treasurer);\n");
    refused(
        &repo,
        &["check"],
        PROBLEM,
        &["templates/party/seed/02_more.sql:1: SQL syntax error: Unterminated string literal"],
    );
}

#[test]
fn an_unterminated_quoted_name_is_refused_with_its_line() {
    let repo = Repo::init();
    repo.write(EVENTS_SQL, "\nCREATE TABLE \"notes (id INTEGER);\n");
    refused(&repo, &["check"], PROBLEM, &["modules/events/schema/02_notes.sql:2: SQL syntax error", "close delimiter"]);
}

#[test]
fn an_empty_schema_file_adds_nothing() {
    let repo = Repo::init();
    let plain = accepted(&repo, &["plan"]);
    repo.write(EVENTS_SQL, "");
    repo.write("modules/events/schema/03_comment_only.sql", "-- nothing yet\n");
    assert_eq!(accepted(&repo, &["plan"]), plain);
}

#[test]
fn a_manifest_that_is_a_folder_is_named() {
    let repo = Repo::init();
    repo.remove(TENANT);
    std::fs::create_dir(repo.path().join(TENANT)).expect("mkdir");
    refused(&repo, &["commit"], ERROR, &["tenants/uml/tenant.yaml is not a regular file"]);
}

#[test]
fn a_named_pipe_among_the_schema_files_is_refused_not_waited_on() {
    let repo = Repo::init();
    let fifo = std::ffi::CString::new(repo.path().join(EVENTS_SQL).to_str().expect("UTF-8")).expect("a C path");
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0, "mkfifo");
    refused(&repo, &["check"], ERROR, &["modules/events/schema/02_notes.sql is not a regular file"]);
}

#[test]
fn a_symbolic_link_loop_is_refused_by_name() {
    let repo = Repo::init();
    let schema = repo.path().join("templates/party/schema");
    std::os::unix::fs::symlink("05_b.sql", schema.join("04_a.sql")).expect("symlink");
    std::os::unix::fs::symlink("04_a.sql", schema.join("05_b.sql")).expect("symlink");
    refused(&repo, &["commit"], ERROR, &["templates/party/schema/04_a.sql", "symbolic links"]);
}

// ---------------------------------------------------------------------------------------------
// Option values

#[test]
fn a_lock_timeout_beyond_any_clock_is_a_usage_error() {
    let repo = Repo::init();
    repo.commit("first release");
    refused(
        &repo,
        &["apply", "--env", "local", "--lock-timeout", "99999999999999999999s"],
        USAGE,
        &["'--lock-timeout <LOCK_TIMEOUT>'", "out of range"],
    );
}

#[test]
fn a_negative_lock_timeout_is_a_usage_error() {
    let repo = Repo::init();
    repo.commit("first release");
    refused(
        &repo,
        &["apply", "--env", "local", "--lock-timeout=-5s"],
        USAGE,
        &["invalid value '-5s' for '--lock-timeout <LOCK_TIMEOUT>'", "not a duration"],
    );
}

#[test]
fn a_negative_deadline_is_a_usage_error() {
    let repo = Repo::init();
    repo.commit("first release");
    refused(
        &repo,
        &["apply", "--env", "local", "--deadline=-1min"],
        USAGE,
        &["invalid value '-1min' for '--deadline <DEADLINE>'"],
    );
}

#[test]
fn a_concurrency_beyond_the_machine_word_is_a_usage_error() {
    let repo = Repo::init();
    repo.commit("first release");
    refused(
        &repo,
        &["apply", "--env", "local", "--concurrency", "18446744073709551616"],
        USAGE,
        &["invalid value '18446744073709551616' for '--concurrency <CONCURRENCY>'", "too large"],
    );
}

#[test]
fn a_huge_concurrency_migrates_the_fleet_as_any_other() {
    let repo = Repo::init();
    repo.commit("first release");
    let out = accepted(&repo, &["apply", "--env", "local", "--concurrency", "99999999999"]);
    assert!(out.contains("3 tenants, 3 migrated, 0 up to date, 0 failed"), "{out}");
}

#[test]
fn a_max_failures_of_zero_is_a_usage_error_naming_the_option() {
    let repo = Repo::init();
    repo.commit("first release");
    refused(
        &repo,
        &["apply", "--env", "local", "--max-failures", "0"],
        USAGE,
        &["'--max-failures <MAX_FAILURES>': must be at least 1"],
    );
}

#[test]
fn a_shard_beyond_its_count_is_a_usage_error() {
    let repo = Repo::init();
    repo.commit("first release");
    refused(
        &repo,
        &["apply", "--env", "local", "--shard", "5/4"],
        USAGE,
        &["invalid value '5/4' for '--shard <SHARD>'"],
    );
}

#[test]
fn a_negative_rollback_step_count_is_a_usage_error() {
    let repo = applied();
    refused(
        &repo,
        &["rollback", "--env", "local", "--tenant", "uml", "--steps=-1", "--yes"],
        USAGE,
        &["invalid value '-1' for '--steps <STEPS>'"],
    );
}

#[test]
fn a_report_in_a_missing_folder_is_refused_before_anything_runs() {
    let repo = Repo::init();
    repo.commit("first release");
    refused(
        &repo,
        &["apply", "--env", "local", "--report", "no-such-folder/report.json"],
        USAGE,
        &["--report no-such-folder/report.json: its folder does not exist (nothing was applied)"],
    );
    assert!(!repo.path().join(".strata").exists(), "no tenant was migrated");
}

// ---------------------------------------------------------------------------------------------
// Damaged tenant histories: the one tenant is named, the others go on, no database changes.

#[test]
fn an_unknown_state_in_a_history_row_is_that_tenants_named_problem() {
    let repo = applied();
    repo.execute("nrna", "UPDATE strata_history SET state = 'banana' WHERE id LIKE 'template.%'");
    let run = refused(&repo, &["apply", "--env", "local"], ROLLOUT_FAILED, &["nrna: FAILED", "\"banana\""]);
    assert!(run.stdout.contains("uml: up to date") && run.stdout.contains("demo: up to date"), "{}", run.stdout);
}

#[test]
fn a_history_row_of_a_migration_the_commit_lacks_is_named() {
    let repo = applied();
    repo.execute(
        "nrna",
        "INSERT INTO strata_history SELECT 'module.events/0099_future', layer, 99, checksum, commit_sha, state, \
         schema_hash, applied_at, applied_by, duration_ms FROM strata_history WHERE id = 'module.events/0001_init'",
    );
    refused(
        &repo,
        &["apply", "--env", "local"],
        ROLLOUT_FAILED,
        &["nrna: FAILED", "tenant nrna has module.events/0099_future applied", "does not contain"],
    );
}

#[test]
fn a_history_table_missing_a_column_is_named() {
    let repo = applied();
    repo.execute("nrna", "ALTER TABLE strata_history DROP COLUMN checksum");
    refused(&repo, &["apply", "--env", "local"], ROLLOUT_FAILED, &["nrna: FAILED", "no such column: checksum"]);
}

#[test]
fn a_tenant_file_that_is_not_a_database_is_named() {
    let repo = applied();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(repo.tenant_db("nrna"), garbage).expect("write");
    refused(&repo, &["apply", "--env", "local"], ROLLOUT_FAILED, &["nrna: FAILED", "file is not a database"]);
}

#[test]
fn a_history_checksum_stored_as_bytes_is_named() {
    let repo = applied();
    repo.execute("nrna", "UPDATE strata_history SET checksum = x'00ff' WHERE id LIKE 'template.%'");
    refused(&repo, &["apply", "--env", "local"], ROLLOUT_FAILED, &["nrna: FAILED", "\"checksum\""]);
}

// ---------------------------------------------------------------------------------------------
// Requirements that cannot be met

#[test]
fn a_module_requiring_itself_is_a_cycle_said_once() {
    let repo = Repo::init();
    let manifest = "modules/events/module.yaml";
    repo.write(manifest, &format!("{}  events: \"^1\"\n", repo.read(manifest)));
    let run = refused(&repo, &["check"], PROBLEM, &["dependency cycle: module.events requires module.events"]);
    assert_eq!(run.stdout.matches("dependency cycle").count(), 1, "one cause, said once:\n{}", run.stdout);
}

#[test]
fn a_template_and_a_module_requiring_each_other_is_a_cycle() {
    let repo = Repo::init();
    let manifest = "templates/party/template.yaml";
    repo.write(manifest, &format!("{}requires:\n  events: \"^1\"\n", repo.read(manifest)));
    refused(
        &repo,
        &["check"],
        PROBLEM,
        &["dependency cycle: template.party requires module.events requires template.party"],
    );
}

#[test]
fn a_tenant_pin_no_release_satisfies_is_explained() {
    let repo = Repo::init();
    repo.write("tenants/demo/tenant.yaml", "template: party\nmodules: { events: \"^2\" }\n");
    refused(
        &repo,
        &["check"],
        PROBLEM,
        &[
            "tenants/demo/tenant.yaml: tenant demo has no valid set of modules",
            "No candidates were found for module.events ^2",
            "Declared in: modules/events/module.yaml",
        ],
    );
}

#[test]
fn a_requirement_no_version_satisfies_is_explained_through_the_tenant() {
    let repo = Repo::init();
    repo.write("modules/volunteers/module.yaml", "name: volunteers\nversion: 1.0.0\nrequires:\n  events: \">=2\"\n");
    refused(
        &repo,
        &["check"],
        PROBLEM,
        &[
            "tenants/nrna/tenant.yaml: tenant nrna has no valid set of modules",
            "module.events >=2, for which no candidates were found",
            "Declared in: modules/events/module.yaml, modules/volunteers/module.yaml",
        ],
    );
}

#[test]
fn a_pin_against_a_module_the_template_gives_is_explained() {
    let repo = Repo::init();
    repo.write("tenants/demo/tenant.yaml", "template: party\nmodules: { membership: \"^2\" }\n");
    refused(
        &repo,
        &["check"],
        PROBLEM,
        &["tenant demo has no valid set of modules", "No candidates were found for module.membership ^2"],
    );
}
