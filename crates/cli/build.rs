//! Embeds the starter catalog (schemas/<dialect>/...) into the binary for `strata init`.

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=../../schemas");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let mut entries = Vec::new();
    collect(&root, &mut entries);
    entries.sort();
    let mut code = String::from("pub static CATALOG: &[(&str, &str, &str)] = &[\n");
    for path in entries {
        let relative = path.strip_prefix(&root).unwrap().to_str().expect("catalog paths are UTF-8").replace('\\', "/");
        let (dialect, inner) = relative.split_once('/').expect("catalog files live in schemas/<dialect>/");
        writeln!(code, "    ({dialect:?}, {inner:?}, include_str!({:?})),", path.to_str().unwrap()).unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalog.rs");
    std::fs::write(out, code).unwrap();
}

fn collect(dir: &Path, entries: &mut Vec<std::path::PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    for entry in read.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(&path, entries);
        } else {
            entries.push(path);
        }
    }
}
