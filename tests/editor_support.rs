//! #16 item 9: editors and shells learn strata from strata itself. Shell completions and man pages
//! come from the command line's definitions, JSON Schemas of every YAML file from the serde types
//! that read them, and `strata init` points each YAML file at its schema. The starters of every
//! dialect validate against the schemas their files name, and the schemas refuse what `check`
//! refuses.

mod util;

use std::path::Path;

use serde_json::Value;
use util::Repo;

/// Every `.yaml` file below `dir`, relative to it (git's own folder left out).
fn yaml_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if path.is_dir() {
            yaml_files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The schema a YAML file's first line names, read from where the line points.
fn named_schema(repo: &Repo, path: &str) -> Value {
    let text = repo.read(path);
    let line = text.lines().next().unwrap_or_default();
    let reference = line
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap_or_else(|| panic!("{path} does not name its schema: {line}"));
    let schema = repo.path().join(path).parent().unwrap().join(reference);
    serde_json::from_str(&std::fs::read_to_string(&schema).unwrap_or_else(|e| panic!("{}: {e}", schema.display())))
        .unwrap()
}

/// What the schema says of a YAML text: each violation.
fn violations(schema: &Value, yaml: &str) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("a valid JSON Schema");
    let instance: Value = serde_saphyr::from_str(yaml).expect("YAML");
    validator.iter_errors(&instance).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[test]
fn every_starter_validates_against_the_schemas_its_files_name() {
    for dialect in ["sqlite", "postgres", "mysql"] {
        let repo = Repo::with_files(&[]);
        repo.ok(&["init", ".", "--dialect", dialect]);
        let mut files = Vec::new();
        yaml_files(repo.path(), repo.path(), &mut files);
        let checked: Vec<&String> = files.iter().filter(|p| !p.starts_with("migrations/")).collect();
        for path in &checked {
            let schema = named_schema(&repo, path);
            let found = violations(&schema, &repo.read(path));
            assert!(found.is_empty(), "{dialect}: {path}: {found:?}");
        }
        // strata.yaml, a template, modules, tenants and an environment at least.
        assert!(checked.len() >= 6, "{dialect}: {checked:?}");
        let tracked = repo.git_cli(&["ls-files", ".schemas"]).stdout;
        for name in ["strata.json", "layer.json", "tenant.json", "environment.json", "patches.json"] {
            assert!(tracked.contains(&format!(".schemas/{name}")), "init commits the schemas: {tracked}");
        }
        assert_eq!(repo.git_status(), Vec::<String>::new());
    }
}

#[test]
fn the_schemas_refuse_what_check_refuses_and_accept_what_it_accepts() {
    let repo = Repo::with_files(&[]);
    repo.ok(&["init", "."]);
    let tenant = "tenants/demo/tenant.yaml";
    let original = repo.read(tenant);
    let schema = named_schema(&repo, tenant);

    let typo = original.replace("modules:", "modlues:");
    assert!(!violations(&schema, &typo).is_empty(), "the schema refuses the typo");
    repo.write(tenant, &typo);
    let check = repo.run(&["check"]);
    assert_ne!(check.code, 0);
    assert!(check.stderr.contains("tenants/demo/tenant.yaml"), "{}", check.stderr);

    let ranges = format!(
        "{}modules: {{ events: \"^1\" }}\n",
        original.lines().filter(|l| !l.starts_with("modules:")).map(|l| format!("{l}\n")).collect::<String>()
    );
    assert_eq!(violations(&schema, &ranges), Vec::<String>::new(), "{ranges}");
    repo.write(tenant, &ranges);
    repo.ok(&["check"]);

    let environment = "environments/local.yaml";
    let schema = named_schema(&repo, environment);
    let text = repo.read(environment);
    let wrong = format!("{}timeouts: {{ lock: 5 parsecs }}\n", text);
    assert!(!violations(&schema, &wrong).is_empty(), "an unknown unit");
    repo.write(environment, &wrong);
    assert_ne!(repo.run(&["check"]).code, 0);
    let right = format!("{}timeouts: {{ lock: 5s, statement: 10min, connect: 3 }}\n", text);
    assert_eq!(violations(&schema, &right), Vec::<String>::new());
    repo.write(environment, &right);
    repo.ok(&["check"]);
}

#[test]
fn strata_schemas_rewrites_the_schemas_an_upgrade_changes() {
    let repo = Repo::with_files(&[]);
    repo.ok(&["init", "."]);
    let written = repo.read(".schemas/layer.json");
    std::fs::remove_dir_all(repo.path().join(".schemas")).unwrap();
    let out = repo.ok(&["schemas"]);
    assert!(out.contains("layer.json  (templates/*/template.yaml, modules/*/module.yaml)"), "{out}");
    assert_eq!(repo.read(".schemas/layer.json"), written);
    assert_eq!(repo.git_status(), Vec::<String>::new(), "the same files: nothing to commit");
}

#[test]
fn completions_and_man_pages_cover_every_command() {
    let repo = Repo::with_files(&[]);
    let bash = repo.ok(&["completions", "bash"]);
    for word in ["rollback", "adopt", "--bump", "--dry-run", "completions"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let script = repo.path().join("strata.bash");
    std::fs::write(&script, &bash).unwrap();
    let syntax = std::process::Command::new("bash").arg("-n").arg(&script).output().unwrap();
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));
    assert!(repo.ok(&["completions", "zsh"]).starts_with("#compdef strata"));
    assert!(repo.ok(&["completions", "fish"]).contains("complete -c strata"));
    assert!(repo.ok(&["completions", "powershell"]).contains("Register-ArgumentCompleter"));
    assert_eq!(repo.run(&["completions", "tcsh"]).code, 2, "an unknown shell is a usage error");

    let page = repo.ok(&["man"]);
    assert!(page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH strata 1"), "{}", &page[..200.min(page.len())]);
    let dir = repo.path().join("man");
    repo.ok(&["man", "--out", dir.to_str().unwrap()]);
    for command in ["strata", "strata-apply", "strata-rollback", "strata-adopt", "strata-commit", "strata-schemas"] {
        let page =
            std::fs::read_to_string(dir.join(format!("{command}.1"))).unwrap_or_else(|e| panic!("{command}.1: {e}"));
        assert!(page.contains(".TH"), "{command}.1");
    }
}
