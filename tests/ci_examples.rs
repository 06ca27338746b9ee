//! The CI examples in examples/ci/ are valid YAML and every `strata` command in them parses with
//! the real command line, so they cannot drift from the flags that exist.

use clap::Parser;
use serde_json::Value;
use strata_cli::Cli;

fn load(name: &str) -> Value {
    let path = format!("{}/examples/ci/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"))
}

/// Every string under a `run` (GitHub) or `script`/`before_script` (GitLab) key.
fn shell_texts(value: &Value, key: Option<&str>, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| shell_texts(v, Some(k), out)),
        Value::Array(items) => items.iter().for_each(|v| shell_texts(v, key, out)),
        Value::String(text) if matches!(key, Some("run" | "script" | "before_script")) => out.push(text.clone()),
        _ => {}
    }
}

/// The `strata ...` invocations of shell text, as argument lists (quotes removed, stopping at a
/// redirection, pipe or `||`).
fn strata_commands(texts: &[String]) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for text in texts {
        // `${{ expr }}` (GitHub) is one word to the shell once GitHub has substituted it.
        let mut joined = text.replace("\\\n", " ");
        while let (Some(start), Some(len)) =
            (joined.find("${{"), joined.find("${{").and_then(|s| joined[s..].find("}}")))
        {
            joined.replace_range(start..start + len + 2, "EXPR");
        }
        for line in joined.lines() {
            let Some(at) = line.find("strata ").filter(|at| line[..*at].trim().is_empty()) else { continue };
            let mut args = Vec::new();
            for word in line[at..].split_whitespace() {
                if [">", "|", "||", "&&", ";"].contains(&word) {
                    break;
                }
                args.push(word.trim_matches('"').to_string());
            }
            commands.push(args);
        }
    }
    commands
}

fn commands_of(name: &str) -> Vec<Vec<String>> {
    let mut texts = Vec::new();
    shell_texts(&load(name), None, &mut texts);
    let commands = strata_commands(&texts);
    for args in &commands {
        if let Err(e) = Cli::try_parse_from(args) {
            panic!("examples/ci/{name}: `{}` does not parse: {e}", args.join(" "));
        }
    }
    commands
}

fn has(commands: &[Vec<String>], words: &[&str]) -> bool {
    commands.iter().any(|args| words.iter().all(|w| args.iter().any(|a| a == w)))
}

#[test]
fn the_github_workflow_verifies_comments_the_plan_and_releases_by_commit() {
    let commands = commands_of("github-actions.yml");
    assert!(has(&commands, &["verify", "--base"]), "{commands:?}");
    assert!(has(&commands, &["plan", "--format", "markdown"]), "{commands:?}");
    assert!(has(&commands, &["apply", "--env", "production", "--commit", "$GITHUB_SHA"]), "{commands:?}");
    let workflow = load("github-actions.yml");
    assert!(workflow["jobs"]["verify"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["run"].as_str().is_some_and(|r| r.contains("gh pr comment"))));
}

#[test]
fn the_gitlab_pipeline_verifies_posts_the_plan_and_releases_by_commit() {
    let commands = commands_of("gitlab-ci.yml");
    assert!(has(&commands, &["verify", "--base"]), "{commands:?}");
    assert!(has(&commands, &["plan", "--format", "markdown"]), "{commands:?}");
    assert!(has(&commands, &["apply", "--env", "production", "--commit", "$CI_COMMIT_SHA"]), "{commands:?}");
    let pipeline = load("gitlab-ci.yml");
    let script = pipeline["verify"]["script"].to_string();
    assert!(script.contains("merge_requests/$CI_MERGE_REQUEST_IID/notes"), "{script}");
}

/// Every `cargo install` line of both examples installs this package (its name, not `strata`,
/// which is another program on crates.io).
#[test]
fn the_examples_install_this_package() {
    for name in ["github-actions.yml", "gitlab-ci.yml"] {
        let mut texts = Vec::new();
        shell_texts(&load(name), None, &mut texts);
        let installs: Vec<&String> = texts.iter().filter(|t| t.contains("cargo install")).collect();
        assert!(!installs.is_empty(), "{name} installs strata");
        for line in installs {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.last(), Some(&env!("CARGO_PKG_NAME")), "{name}: {line}");
            assert!(!words.contains(&"strata"), "{name}: `cargo install strata` is another program: {line}");
        }
    }
}

#[test]
fn a_wrong_flag_would_be_caught() {
    let commands = strata_commands(&["strata verify --no-such-flag > x".to_string()]);
    assert_eq!(commands, [["strata", "verify", "--no-such-flag"]]);
    assert!(Cli::try_parse_from(&commands[0]).is_err());
}
