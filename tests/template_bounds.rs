//! A schema file cannot crash or stall the gate (#25 item 8): tera recursed once per nested block
//! and per macro call, so 2,000 nested `{% if %}`s or a macro calling itself aborted `check` with
//! a stack overflow (exit 134), and `range(end=100000000)` took 20 s and 3.9 GB. Each case runs
//! the real binary in a child process, so a regression shows as that exit code, not as a crashed
//! test harness, and must be refused quickly, by name, with the file, changing nothing.

mod util;

use std::time::{Duration, Instant};

use util::{Repo, Run};

const SCHEMA_FILE: &str = "modules/events/schema/02_notes.sql";

/// `check` exits 3 for a problem it found (README, exit codes).
const PROBLEM: i32 = 3;

/// Runs `args` with a time limit; the process must end by itself, within `seconds`.
fn run_within(repo: &Repo, args: &[&str], seconds: u64) -> Run {
    let started = Instant::now();
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_strata"));
    command.arg("--repo").arg(repo.path()).args(args).timeout(Duration::from_secs(60));
    let run: Run = command.output().expect("strata runs").into();
    assert_ne!(run.code, 134, "strata {args:?} aborted (stack overflow?):\n{}", run.stderr);
    assert!(!run.stderr.contains("overflow") && !run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(seconds), "strata {args:?} took {:?}", started.elapsed());
    run
}

/// `check` and `commit` both refuse `text` as the events module's schema file, saying `expected`,
/// and nothing is committed or written.
fn refused(text: &str, expected: &str) {
    let repo = Repo::init();
    repo.write(SCHEMA_FILE, text);
    let (head, status) = (repo.head(), repo.git_status());
    let check = run_within(&repo, &["check"], 20);
    let said = format!("{}{}", check.stdout, check.stderr);
    assert_eq!(check.code, PROBLEM, "{said}");
    assert!(said.contains(SCHEMA_FILE) && said.contains(expected), "expected `{expected}` with the file in:\n{said}");
    let commit = run_within(&repo, &["commit", "-m", "hostile"], 20);
    let said = format!("{}{}", commit.stdout, commit.stderr);
    assert_ne!(commit.code, 0, "{said}");
    assert!(said.contains(SCHEMA_FILE) && said.contains(expected), "expected `{expected}` with the file in:\n{said}");
    assert_eq!((repo.head(), repo.git_status()), (head, status), "nothing is committed or written");
}

#[test]
fn two_thousand_nested_ifs_are_refused_not_a_stack_overflow() {
    let n = 2000;
    let text = format!("{}CREATE TABLE deep (id int);{}", "{% if true %}".repeat(n), "{% endif %}".repeat(n));
    refused(&text, "blocks nest more than 64 deep");
}

#[test]
fn a_self_recursive_macro_is_refused_not_a_stack_overflow() {
    let text = "{% macro again() %}{{ self::again() | sql_literal }}{% endmacro again %}\n\
                CREATE TABLE notes_again (id int, note text DEFAULT {{ self::again() | sql_literal }});\n";
    refused(text, "macro `again` calls itself (again -> again)");
}

#[test]
fn a_range_of_a_hundred_million_is_refused_at_once() {
    let text = "{% for i in range(end=100000000) %}{% endfor %}CREATE TABLE ranged (id int);\n";
    refused(text, "`range` asked for 100000000 items");
}

#[test]
fn a_file_that_includes_itself_is_refused() {
    let text = format!("CREATE TABLE looped (id int);\n{{% include \"{SCHEMA_FILE}\" %}}\n");
    refused(&text, "`{% include %}` is refused");
}

#[test]
fn a_schema_file_cannot_read_a_secret_from_the_environment() {
    let text = "CREATE TABLE leak (v text DEFAULT {{ get_env(name=\"HOME\") | sql_literal }});\n";
    refused(text, "`get_env` is refused");
}

#[test]
fn loops_within_the_limits_still_render() {
    let repo = Repo::init();
    let text = "{% for i in range(end=3) %}CREATE TABLE {{ \"part_\" ~ i | sql_ident }} (id int);\n{% endfor %}";
    repo.write(SCHEMA_FILE, text);
    let check = run_within(&repo, &["check"], 20);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}
