//! The words of the everyday loop (#16), pinned as insta snapshots: what a user reads when a
//! change needs a new version, when `--bump` raises it, when the gate is misconfigured, when a dry
//! run or a rollback is looked at, when a seed was edited, and when a command fails. Hashes,
//! times and temporary paths are filtered; everything else is the text the binary prints.

mod util;

use util::Repo;

/// Snapshots `$text` with what changes from run to run replaced by placeholders.
macro_rules! pin {
    ($name:expr, $text:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"\b[0-9a-f]{40}\b", "[commit]"),
                (r"\b[0-9a-f]{12}\b", "[commit12]"),
                (r"@[0-9a-f]{12}", "@[checksum]"),
                (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[time]"),
                (r"in \d+(\.\d+)? ?m?s\b", "in [duration]"),
                (r"/tmp/[^ \n:]+", "[tmp]"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

/// `strata` output as a user sees it in a terminal: stdout, then stderr.
fn both(run: &util::Run) -> String {
    format!("{}{}[exit {}]\n", run.stdout, run.stderr, run.code)
}

/// `strata` in `repo` with one environment variable set (`Some`) or removed (`None`).
fn with_variable(repo: &Repo, args: &[&str], (name, value): (&str, Option<&str>)) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_strata"));
    command.arg("--repo").arg(repo.path()).args(args);
    match value {
        Some(value) => command.env(name, value),
        None => command.env_remove(name),
    };
    both(&command.output().unwrap().into())
}

fn edit_events(repo: &Repo) {
    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &repo.read(path).replace("  venue TEXT\n", "  venue TEXT,\n  capacity INTEGER\n"));
}

#[test]
fn a_change_to_a_released_version_and_its_bump() {
    let repo = Repo::init();
    repo.commit("initial schema");
    edit_events(&repo);
    pin!("version_plan", repo.ok(&["plan", "--tenant", "nrna"]));
    pin!("version_check", both(&repo.run(&["check"])));
    pin!("version_commit_refused", both(&repo.run(&["commit"])));
    pin!("version_commit_bump", repo.ok(&["commit", "--bump", "minor", "-m", "event capacity"]));
}

#[test]
fn the_gate_on_a_server_dialect_without_a_dev_database() {
    let repo = Repo::with_files(&[]);
    repo.ok(&["init", ".", "--dialect", "postgres"]);
    repo.commit("first release");
    let run = with_variable(&repo, &["verify", "--base", "HEAD~1"], ("STRATA_DEV_URL", None));
    pin!("gate_without_dev_url", run);
    let skipped = repo.run(&["verify", "--base", "HEAD~1", "--skip", "replay,down"]);
    pin!("gate_skipping_replay", both(&skipped));
}

#[test]
fn dry_runs_and_rollbacks_say_what_would_happen() {
    let repo = Repo::init();
    repo.commit("initial schema");
    // The SQL between is the starter's; the first and last lines are the dry run's own words.
    let dry = repo.ok(&["apply", "--env", "local", "--dry-run", "--tenant", "uml"]);
    let lines: Vec<&str> = dry.lines().collect();
    pin!("apply_dry_run", format!("{}\n...\n{}\n", lines[0], lines[lines.len() - 1]));
    repo.ok(&["apply", "--env", "local"]);
    edit_events(&repo);
    repo.ok(&["commit", "--bump", "minor"]);
    repo.ok(&["apply", "--env", "local"]);
    pin!("rollback_dry_run", repo.ok(&["rollback", "--env", "local", "--tenant", "nrna", "--steps", "1", "--dry-run"]));
    pin!("rollback_unconfirmed", both(&repo.run(&["rollback", "--env", "local", "--tenant", "nrna", "--steps", "1"])));
    pin!("rollback_everything", both(&repo.run(&["rollback", "--env", "local", "--tenant", "nrna", "--to", "HEAD~2"])));
}

#[test]
fn an_edited_seed() {
    let repo = Repo::init();
    repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local", "--tenant", "nrna"]);
    let seed = "templates/party/seed/01_roles.sql";
    repo.write(seed, &repo.read(seed).replace("'Looks after money'", "'Looks after the money'"));
    pin!("seed_plan", repo.ok(&["plan"]));
    repo.commit("reworded");
    pin!("seed_apply", both(&repo.run(&["apply", "--env", "local", "--tenant", "nrna"])));
    pin!("seed_status", repo.ok(&["status", "--env", "local", "--tenant", "nrna"]));
}

#[test]
fn errors_name_what_they_are_about_and_say_what_to_do() {
    let repo = Repo::init();
    repo.commit("initial schema");
    pin!("error_unknown_environment", both(&repo.run(&["apply", "--env", "prod"])));
    pin!("error_unknown_tenant", both(&repo.run(&["status", "--env", "local", "--tenant", "nope"])));
    pin!("error_as_json", both(&repo.run(&["--json", "status", "--env", "prod"])));
    let pg = Repo::with_files(&[]);
    pg.ok(&["init", ".", "--dialect", "postgres"]);
    let status = ["status", "--env", "local"];
    pin!("error_missing_variable", with_variable(&pg, &status, ("DATABASE_URL", None)));
    let other = with_variable(&pg, &status, ("DATABASE_URL", Some("mysql://app:secret@127.0.0.1:3306/app")));
    assert!(!other.contains("secret"), "the password never reaches output: {other}");
    pin!("error_other_engine", other);

    // The lint policy at commit: a destructive change under `destructive: error`.
    let path = "modules/events/schema/01_events.sql";
    repo.write(path, &repo.read(path).replace("  venue TEXT\n", "  capacity INTEGER\n"));
    let manifest = "modules/events/module.yaml";
    repo.write(manifest, &repo.read(manifest).replace("version: 1.0.0", "version: 1.1.0"));
    pin!("error_lint_policy", both(&repo.run(&["commit"])));
}
