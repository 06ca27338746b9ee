//! Pull-request gate benchmark (issue "The pull-request gate"): a repository of 10,000 tenants
//! over 100 modules and 5 templates, with a pending change in three modules. Prints the wall time
//! and peak memory of `strata check`, `strata plan` and `strata verify` (SQLite scratch), each run
//! in a child process, and the ratio against the same commands on a 100-tenant fleet of the same
//! catalog measured in the same run: identical compositions are computed once, so a 100x larger
//! fleet must not cost anywhere near 100x.
//!
//! cargo run --release --example bench_gate

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{child_mode, git_commit_all, measure, output, write};

const TEMPLATES: usize = 5;
const MODULES: usize = 100;
const BUNDLES_PER_TEMPLATE: u64 = 30;
const FLEET: usize = 10_000;
const SMALL_FLEET: usize = 100;
/// Every this many tenants one has an overlay of its own.
const OVERLAY_EVERY: usize = 500;

/// xorshift64*: deterministic, so every run measures the same repository.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

const TEMPLATE_SQL: &str = "CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE, email TEXT NOT NULL, full_name TEXT);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE TABLE roles (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
CREATE TABLE user_roles (user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, role_id INTEGER NOT NULL REFERENCES roles (id), PRIMARY KEY (user_id, role_id));
CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER REFERENCES users (id), action TEXT NOT NULL, at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, at);
";

fn module_sql(i: usize) -> String {
    format!(
        "CREATE TABLE m{i:03}_items (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER REFERENCES users (id) ON DELETE SET NULL, name TEXT NOT NULL, amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0), created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX m{i:03}_items_user_idx ON m{i:03}_items (user_id);
CREATE TABLE m{i:03}_notes (id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL REFERENCES m{i:03}_items (id) ON DELETE CASCADE, body TEXT);
"
    )
}

/// The modules of template `k`: every module `i` with `i % TEMPLATES == k`. Every fourth module
/// also requires the previous module of its template.
fn module_yaml(i: usize) -> String {
    let mut yaml = format!("name: m{i:03}\nversion: 1.0.0\nrequires:\n  template.t{}: \"^1\"\n", i % TEMPLATES);
    if i >= TEMPLATES && i.is_multiple_of(4) {
        yaml.push_str(&format!("  m{:03}: \"^1\"\n", i - TEMPLATES));
    }
    yaml
}

/// A tenant's modules: one of a few bundles of its template's modules.
fn tenant_modules(tenant: usize) -> (usize, Vec<String>) {
    let template = tenant % TEMPLATES;
    let bundle = mix(tenant as u64 + 1) % BUNDLES_PER_TEMPLATE;
    let own: Vec<usize> = (0..MODULES).filter(|i| i % TEMPLATES == template).collect();
    let mut seed = mix(bundle * 7919 + template as u64 + 1);
    let mut chosen = Vec::new();
    for _ in 0..3 + seed % 4 {
        seed = mix(seed);
        let module = own[(seed % own.len() as u64) as usize];
        if !chosen.contains(&module) {
            chosen.push(module);
        }
    }
    chosen.sort();
    (template, chosen.iter().map(|m| format!("m{m:03}")).collect())
}

fn generate(root: &Path, tenants: usize) {
    write(root, "strata.yaml", "name: bench\ndialect: sqlite\n");
    write(root, "environments/local.yaml", "isolation: database\ntarget: \".strata/{{ tenant.id }}.db\"\n");
    write(root, ".gitignore", ".strata/\n");
    for k in 0..TEMPLATES {
        write(root, &format!("templates/t{k}/template.yaml"), &format!("name: t{k}\nversion: 1.0.0\n"));
        write(root, &format!("templates/t{k}/schema/01_base.sql"), TEMPLATE_SQL);
    }
    for i in 0..MODULES {
        write(root, &format!("modules/m{i:03}/module.yaml"), &module_yaml(i));
        write(root, &format!("modules/m{i:03}/schema/01_m.sql"), &module_sql(i));
    }
    for t in 0..tenants {
        let (template, modules) = tenant_modules(t);
        let id = format!("t{t:05}");
        write(
            root,
            &format!("tenants/{id}/tenant.yaml"),
            &format!("template: t{template}\nmodules: [{}]\nlabels: {{ region: r{} }}\n", modules.join(", "), t % 3),
        );
        if t % OVERLAY_EVERY == 0 {
            write(
                root,
                &format!("tenants/{id}/patches/01_extra.sql"),
                &format!("CREATE TABLE {id}_extra (id INTEGER PRIMARY KEY, note TEXT);\n"),
            );
        }
    }
    git_commit_all(root, "sources");
}

/// A pending change for `plan` and `verify`: a column in three modules, versions bumped.
fn pending_change(root: &Path) {
    for i in [0, 1, 2] {
        let path = format!("modules/m{i:03}/schema/01_m.sql");
        let sql = std::fs::read_to_string(root.join(&path)).unwrap().replace("body TEXT", "body TEXT, pinned INTEGER");
        write(root, &path, &sql);
        let yaml = format!("modules/m{i:03}/module.yaml");
        let text = std::fs::read_to_string(root.join(&yaml)).unwrap().replace("1.0.0", "1.1.0");
        write(root, &yaml, &text);
    }
}

fn main() -> std::process::ExitCode {
    if let Some(code) = child_mode() {
        return code;
    }
    let mut results = Vec::new();
    for tenants in [SMALL_FLEET, FLEET] {
        let dir = tempfile::Builder::new().prefix("strata-bench-gate-").tempdir().unwrap();
        let root = dir.path();
        let started = Instant::now();
        generate(root, tenants);
        let commit = measure(root, &["commit", "-m", "initial schema"]);
        assert_eq!(commit.code, 0, "commit failed");
        pending_change(root);
        println!(
            "{tenants} tenants over {MODULES} modules and {TEMPLATES} templates: generated and committed in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let mut row = Vec::new();
        for (name, args) in
            [("check", vec!["check"]), ("plan", vec!["plan"]), ("verify", vec!["verify", "--base", "HEAD"])]
        {
            let m = measure(root, &args);
            // verify fails by design here: the pending change has no migration yet.
            let expected = if name == "verify" { 3 } else { 0 };
            assert_eq!(m.code, expected, "strata {name} exited {}", m.code);
            println!("  {name:<7} {:>8.3} s  peak {:>6.1} MB", m.wall.as_secs_f64(), m.peak_mb());
            row.push((name, m));
        }
        let commit2 = measure(root, &["commit", "-m", "pinned notes"]);
        assert_eq!(commit2.code, 0);
        let m = measure(root, &["verify", "--base", "HEAD~1"]);
        assert_eq!(m.code, 0, "verify of the committed change must pass");
        println!(
            "  verify  {:>8.3} s  peak {:>6.1} MB  (after commit: replay and down checks run; passes)",
            m.wall.as_secs_f64(),
            m.peak_mb()
        );
        row.push(("verify*", m));
        // What that verify did, for the record (not timed).
        let report = output(root, &["verify", "--base", "HEAD~1"]);
        for line in report.lines().filter(|l| l.contains("replay") || l.contains("down ")) {
            println!("          {line}");
        }
        results.push((tenants, row));
    }
    let (small, large) = (&results[0].1, &results[1].1);
    println!("\n{FLEET} vs {SMALL_FLEET} tenants ({}x the fleet):", FLEET / SMALL_FLEET);
    let mut within = true;
    for ((name, s), (_, l)) in small.iter().zip(large) {
        let ok = l.wall < Duration::from_secs(2) && l.peak_kib < 200 * 1024;
        within &= ok;
        println!(
            "  {name:<7} time x{:>5.1}  memory x{:>4.1}  {}",
            l.wall.as_secs_f64() / s.wall.as_secs_f64(),
            l.peak_kib as f64 / s.peak_kib as f64,
            if ok { "within 2 s and 200 MB" } else { "OVER the 2 s / 200 MB target" }
        );
    }
    println!("target (each under 2 s and 200 MB at {FLEET} tenants): {}", if within { "met" } else { "NOT met" });
    std::process::ExitCode::SUCCESS
}
