//! One convention for every command, through the binary on the SQLite starter: every JSON document
//! carries `format_version` and full commit hashes; an error under `--json` is a JSON document on
//! stdout too (and its line on stderr), with the exit code it ends with; a reader that goes away
//! (`strata ... | head`) ends the command quietly.

mod util;

use std::process::{Command, Stdio};

use serde_json::Value;
use util::Repo;

fn json(repo: &Repo, args: &[&str]) -> Value {
    let run = repo.run(&[&["--json"], args].concat());
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?} is not JSON ({e}):\n{}", run.stdout))
}

/// Every value under a key naming a commit, anywhere in the document.
fn commits(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("commit" | "last_commit", Value::String(sha)) => out.push(sha.clone()),
                    _ => commits(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| commits(i, out)),
        _ => {}
    }
}

#[test]
fn every_json_document_has_a_format_version_and_full_commit_hashes() {
    let repo = Repo::init();
    repo.commit("initial schema");
    repo.ok(&["apply", "--env", "local", "--tenant", "demo"]);
    let documents: [&[&str]; 15] = [
        &["check"],
        &["resolve"],
        &["plan"],
        &["verify", "--base", "HEAD"],
        &["apply", "--env", "local", "--dry-run"],
        &["status", "--env", "local"],
        &["drift", "--env", "local"],
        &["adopt", "--env", "local", "--tenant", "demo", "--dry-run"],
        &["repair", "--env", "local", "--tenant", "demo"],
        &["rollback", "--env", "local", "--tenant", "demo", "--steps", "1", "--dry-run"],
        &["graph"],
        &["rehash"],
        &["commit", "-m", "nothing new"],
        &["schemas"],
        &["init", "a-second-repository"],
    ];
    for args in documents {
        let document = json(&repo, args);
        assert_eq!(document["format_version"], 1, "{args:?}: {document}");
        let mut shas = Vec::new();
        commits(&document, &mut shas);
        for sha in shas {
            assert_eq!(sha.len(), 40, "{args:?}: a commit in full, not {sha:?}");
        }
    }
}

#[test]
fn an_error_under_json_is_a_json_document_with_its_exit_code() {
    let repo = Repo::init();
    let run = repo.run(&["--json", "status", "--env", "nope"]);
    assert_eq!(run.code, 2);
    let document: Value = serde_json::from_str(&run.stdout).expect("the error as JSON on stdout");
    assert_eq!(document["format_version"], 1);
    assert_eq!(document["exit_code"], 2);
    assert!(document["error"].as_str().unwrap().contains("environments/nope.yaml: unknown environment 'nope'"));
    assert!(run.stderr.starts_with("error: environments/nope.yaml"), "{}", run.stderr);
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let repo = Repo::init();
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("--repo")
        .arg(repo.path())
        .args(["--json", "plan"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strata starts");
    // The read end closes before strata has written anything (it reads the repository first).
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("strata ends");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "nothing said: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn an_environment_url_of_another_engine_is_named_with_its_file_before_connecting() {
    let repo = Repo::with_files(&[
        ("strata.yaml", "name: p\ndialect: postgres\n"),
        ("templates/app/template.yaml", "name: app\nversion: 1.0.0\n"),
        ("templates/app/schema/01.sql", "CREATE TABLE t (id integer PRIMARY KEY);\n"),
        ("tenants/one/tenant.yaml", "template: app\n"),
        (
            "environments/prod.yaml",
            "url: ${STRATA_CONVENTIONS_URL}\nisolation: schema\ntarget: \"t_{{ tenant.id }}\"\n",
        ),
    ]);
    repo.commit("first");
    let run: util::Run = assert_cmd::Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("--repo")
        .arg(repo.path())
        .args(["status", "--env", "prod"])
        .env("STRATA_CONVENTIONS_URL", "mysql://root:secret@127.0.0.1:3306/test")
        .output()
        .expect("strata runs")
        .into();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("environments/prod.yaml: url `${STRATA_CONVENTIONS_URL}` is a mysql:// URL, but the project's dialect is postgres"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("secret"), "{}", run.stderr);
}
