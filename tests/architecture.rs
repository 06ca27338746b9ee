//! The README's "Architecture" table is the layering the manifests declare: every crate it lists
//! exists with exactly the strata dependencies it names, at the depth it gives, and the crates
//! that must stay free of engines and I/O do not pull them in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// (depth, strata dependencies) of each crate as the README's table states them.
fn readme_table() -> BTreeMap<String, (usize, BTreeSet<String>)> {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let section = readme.split("## Architecture").nth(1).expect("README has an Architecture section");
    let mut table = BTreeMap::new();
    for line in section.lines().take_while(|l| !l.starts_with("## ")).filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Ok(depth) = cells[0].parse::<usize>() else { continue };
        let name = cells[1].trim_matches('`').to_string();
        let deps = match cells[3] {
            "—" => BTreeSet::new(),
            "all of the above" => BTreeSet::from(["*".to_string()]),
            list => list.split(", ").map(|d| format!("strata-{d}")).collect(),
        };
        table.insert(name, (depth, deps));
    }
    table
}

/// The `[dependencies]` of a manifest (normal dependencies only, as `cargo tree -e normal`).
fn dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let section = text.split("\n[dependencies]\n").nth(1).unwrap_or("");
    section
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split(['.', ' ', '=']).next().filter(|name| !name.is_empty() && !name.starts_with('#')))
        .map(str::to_string)
        .collect()
}

fn manifests() -> BTreeMap<String, BTreeSet<String>> {
    let mut crates = BTreeMap::new();
    for entry in std::fs::read_dir(Path::new(ROOT).join("crates")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let package = text.lines().find_map(|l| l.strip_prefix("name = \"")).unwrap().trim_end_matches('"');
        // Packages are named `tenant-strata-*` (free on crates.io); code and this table use the
        // dependency keys, `strata-*`.
        let name =
            package.strip_prefix("tenant-").unwrap_or_else(|| panic!("{package}: package named tenant-strata-*"));
        crates.insert(name.to_string(), dependencies(&manifest));
    }
    crates.insert("strata".to_string(), dependencies(&Path::new(ROOT).join("Cargo.toml")));
    crates
}

#[test]
fn the_readme_table_is_the_layering_the_manifests_declare() {
    let table = readme_table();
    let crates = manifests();
    assert_eq!(table.keys().collect::<Vec<_>>(), crates.keys().collect::<Vec<_>>(), "README lists every crate");
    let strata_deps = |name: &str| -> BTreeSet<String> {
        crates[name].iter().filter(|d| d.starts_with("strata-")).cloned().collect()
    };
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_depth: Vec<(&String, &(usize, BTreeSet<String>))> = table.iter().collect();
    by_depth.sort_by_key(|(_, (d, _))| *d);
    for (name, (stated_depth, stated_deps)) in by_depth {
        let deps = strata_deps(name);
        if stated_deps.contains("*") {
            let below: BTreeSet<String> = table.keys().filter(|k| *k != name).cloned().collect();
            assert_eq!(deps, below, "{name} depends on every layer");
        } else {
            assert_eq!(&deps, stated_deps, "{name}: strata dependencies in its Cargo.toml");
        }
        let computed = deps.iter().map(|d| depth.get(d.as_str()).map(|x| x + 1)).max().unwrap_or(Some(0));
        let computed = computed.unwrap_or_else(|| panic!("{name} depends on a crate of the same or a greater depth"));
        assert_eq!(computed, *stated_depth, "{name}: depth is the longest path to strata-core");
        depth.insert(name, computed);
    }
}

#[test]
fn the_model_and_the_vocabulary_know_no_engine_io_or_command_line() {
    let crates = manifests();
    let forbidden = ["sqlx", "git2", "tera", "clap", "indicatif", "tokio", "walkdir", "resolvo", "serde-saphyr"];
    for name in ["strata-core", "strata-schema"] {
        let pulled: Vec<&&str> = forbidden.iter().filter(|f| crates[name].contains(**f)).collect();
        assert!(pulled.is_empty(), "{name} must not depend on {pulled:?}");
    }
    for name in ["strata-dialect", "strata-project", "strata-db", "strata-migrations", "strata-ops"] {
        for ui in ["clap", "indicatif"] {
            assert!(!crates[name].contains(ui), "{name} must not depend on {ui}: the command line is strata-cli's");
        }
    }
}
