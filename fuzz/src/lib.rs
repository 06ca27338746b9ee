//! One fuzz input through strata's readers, per target: the functions the `cargo fuzz` targets
//! call, and that `tests/fuzz_regressions.rs` includes (`#[path]`) to replay kept crashes and the
//! seed corpus on stable. Each takes raw bytes, feeds them to the public entry points the command
//! line uses for that kind of file, and returns nothing: an error is an ordinary answer, a panic
//! is the finding.
//!
//! A multi-file input is text with `@@ <path>` lines: each starts a file that runs to the next
//! such line (see [`split_files`]). Files are kept as bytes and read through a [`Source`] that
//! refuses invalid UTF-8 as the work tree does, so the bytes path is the product's own.

use std::collections::BTreeMap;

use strata_core::Dialect;
use strata_migrations::generate::{self, body, down_steps, up_steps};
use strata_migrations::order::dag_order;
use strata_migrations::sum::{self, SUM_FILE};
use strata_migrations::{file, lint, Migration, MigrationKey};
use strata_project::compose::{self, Composition, RenderContext};
use strata_project::project::{self, LayerId, PatchFile, Project};
use strata_project::resolve;
use strata_project::source::{Entry, Source, SourceError};
use strata_schema::interpret::Mode;
use strata_schema::{Renames, Schema};

/// What a fuzz target does with one input.
pub type OneInput = fn(&[u8]);

/// The targets by name, for the regression test: `fuzz/corpus/<name>/` and
/// `tests/fixtures/fuzz/<name>/` are replayed through the function.
pub const TARGETS: [(&str, OneInput); 4] =
    [("manifests", manifests), ("patch_yaml", patch_yaml), ("sql_model", sql_model), ("sums", sums)];

const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

/// The line that starts a file of a multi-file input.
const FILE_MARKER: &[u8] = b"@@ ";

/// Splits a multi-file input: the text before the first `@@ <path>` line is named `first`, each
/// `@@ <path>` line starts the file `<path>`.
pub fn split_files<'a>(data: &'a [u8], first: &str) -> Vec<(String, &'a [u8])> {
    let mut files = Vec::new();
    let mut name = first.to_string();
    let mut start = 0;
    let mut at = 0;
    while at < data.len() {
        let end = data[at..].iter().position(|b| *b == b'\n').map_or(data.len(), |i| at + i);
        if let Some(path) = data[at..end].strip_prefix(FILE_MARKER) {
            files.push((name, &data[start..at]));
            name = String::from_utf8_lossy(path).trim().to_string();
            start = (end + 1).min(data.len());
        }
        at = end + 1;
    }
    files.push((name, &data[start..]));
    files
}

/// A repository held in memory, read like the work tree: a file that is not UTF-8 is
/// [`SourceError::NotText`], a folder lists its entries sorted by name.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemorySource {
    pub fn with(files: &[(&str, &str)]) -> Self {
        let mut source = Self::default();
        for (path, text) in files {
            source.put(path, text.as_bytes());
        }
        source
    }

    pub fn put(&mut self, path: &str, bytes: &[u8]) {
        self.files.insert(path.to_string(), bytes.to_vec());
    }

    /// Gives every migration folder without a sum the sum of what it holds, so that an input
    /// reaches the parsing behind the sum check without computing SHA-256 chains.
    fn sum_migration_folders(&mut self) {
        let mut folders: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (path, bytes) in &self.files {
            let Some((dir, name)) = path.rsplit_once('/') else { continue };
            if dir.starts_with("migrations/") && name != SUM_FILE {
                let text = String::from_utf8_lossy(bytes).into_owned();
                folders.entry(dir.to_string()).or_default().push((name.to_string(), text));
            }
        }
        for (dir, files) in folders {
            self.files.entry(format!("{dir}/{SUM_FILE}")).or_insert_with(|| sum::render(&files).into_bytes());
        }
    }
}

impl Source for MemorySource {
    fn read(&self, path: &str) -> Result<Option<String>, SourceError> {
        match self.files.get(path) {
            None => Ok(None),
            Some(bytes) => {
                String::from_utf8(bytes.clone()).map(Some).map_err(|_| SourceError::NotText { path: path.to_string() })
            }
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let prefix = format!("{dir}/");
        // A name that is a folder for one path and a file for another is a folder, as on disk.
        let mut entries: BTreeMap<&str, bool> = BTreeMap::new();
        for rest in self.files.keys().filter_map(|p| p.strip_prefix(&prefix)) {
            match rest.split_once('/') {
                Some((name, _)) => {
                    entries.insert(name, true);
                }
                None => {
                    entries.entry(rest).or_insert(false);
                }
            }
        }
        Ok(entries
            .into_iter()
            .filter(|(name, _)| !name.is_empty())
            .map(|(name, is_dir)| Entry { name: name.to_string(), is_dir })
            .collect())
    }

    fn describe(&self) -> String {
        "the fuzz input".to_string()
    }
}

/// A small project every layer kind of which is present: what a single-file input changes.
const BASE_PROJECT: [(&str, &str); 9] = [
    ("strata.yaml", "name: fuzz\ndialect: sqlite\n"),
    ("templates/base/template.yaml", "name: base\nversion: 1.0.0\nmodules: [audit]\n"),
    (
        "templates/base/schema/01_members.sql",
        "CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);\n",
    ),
    ("templates/base/seed/01_roles.sql", "INSERT INTO members (id, name) VALUES (1, 'admin');\n"),
    ("modules/audit/module.yaml", "name: audit\nversion: 1.0.0\nrequires:\n  template.base: \"^1\"\n"),
    (
        "modules/audit/schema/01_log.sql",
        concat!(
            "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members (id),\n",
            "  note TEXT DEFAULT {{ tenant.vars.currency | sql_literal }});\n",
        ),
    ),
    ("tenants/acme/tenant.yaml", "template: base\nvars: { currency: EUR }\nlabels: { region: eu }\n"),
    (
        "tenants/zeta/tenant.yaml",
        "template: base\nmodules: { audit: \">=1.0\" }\nvars: { currency: NPR }\nstatus: active\n",
    ),
    ("environments/dev.yaml", "isolation: database\ntarget: \".strata/dev/{{ tenant.id }}.db\"\n"),
];

/// An error is formatted, as the command line would print it.
fn show(error: impl std::fmt::Display) {
    std::hint::black_box(error.to_string());
}

/// [`show`] for the error of a result.
fn shown<T, E: std::fmt::Display>(result: Result<T, E>) {
    if let Err(e) = result {
        show(e);
    }
}

/// `manifests`: the YAML files of a repository (strata.yaml, template.yaml, module.yaml,
/// tenant.yaml, environments, releases.yaml) over [`BASE_PROJECT`], through what `strata check`
/// and `strata commit` do with them: load and validate, resolve every tenant, compose, render
/// targets, check release consistency, generate the next migrations, draw the graph.
pub fn manifests(data: &[u8]) {
    let mut source = MemorySource::with(&BASE_PROJECT);
    for (path, bytes) in split_files(data, "strata.yaml") {
        // The text before the first `@@` line is strata.yaml when there is any.
        if !(path == "strata.yaml" && bytes.is_empty()) {
            source.put(&path, bytes);
        }
    }
    source.sum_migration_folders();
    check_project(&source);
}

/// `strata check` on a repository, then each tenant composed as `apply` would.
fn check_project(source: &MemorySource) {
    let project = match Project::load(source) {
        Ok(project) => project,
        Err(e) => return show(e),
    };
    std::hint::black_box(strata_ops::check::cycles(&project));
    let migrations = match generate::load_all(&project, source) {
        Ok(migrations) => migrations,
        Err(e) => {
            show(e);
            BTreeMap::new()
        }
    };
    for problem in strata_migrations::releases::inconsistencies(&project, &migrations) {
        std::hint::black_box(problem.to_string());
    }
    std::hint::black_box(strata_ops::check::misplaced_values(&project, &migrations));
    std::hint::black_box(strata_ops::check::transaction_control(&project, &migrations));
    std::hint::black_box(strata_ops::check::shared_places(&project));
    std::hint::black_box(strata_ops::check::unresolved(&project));
    let new = generate::generate(&project, migrations.clone(), Some("fuzz")).unwrap_or_else(|e| {
        show(e);
        Vec::new()
    });
    for needs in strata_ops::check::needing_versions(&project, &migrations, &new) {
        std::hint::black_box(needs.to_string());
    }
    std::hint::black_box(resolve::graph::dot(&project));
    std::hint::black_box(resolve::graph::mermaid(&project));
    std::hint::black_box(compose::ignored_session_statements(&project));
    for tenant in project.tenants.values() {
        let resolution = match resolve::resolve_tenant(&project, &tenant.id) {
            Ok(resolution) => resolution,
            Err(e) => {
                show(e);
                continue;
            }
        };
        for env in project.environments.values() {
            shown(strata_ops::place::place(&project, env, tenant));
        }
        // What `apply` composes for the tenant; the environment's name changes only the values.
        let env = project.environments.keys().next().map(String::as_str);
        let context = RenderContext::for_tenant(tenant, env);
        shown(generate::desired(&project, &migrations, &resolution.layers, &resolution.limits, &context));
    }
}

/// `patch_yaml`: a tenant's `patches/*.yaml` over [`BASE_PROJECT`], loaded, composed for the
/// tenant in each dialect and planned from nothing and back, and the migrations `commit` would
/// write generated.
pub fn patch_yaml(data: &[u8]) {
    // The reader itself, on the bytes as they are (`Project::load` reads the file the same way).
    if let Ok(text) = std::str::from_utf8(data) {
        shown(project::parse_yaml::<PatchFile>("tenants/acme/patches/01_fuzz.yaml", text));
    }
    let mut source = MemorySource::with(&BASE_PROJECT);
    source.put("tenants/acme/patches/01_fuzz.yaml", data);
    let project = match Project::load(&source) {
        Ok(project) => project,
        Err(e) => return show(e),
    };
    for dialect in DIALECTS {
        let mut project = project.clone();
        project.config.dialect = dialect;
        let Some(tenant) = project.tenants.get("acme") else { return };
        let layers = match resolve::resolve_tenant(&project, "acme") {
            Ok(resolution) => resolution.layers,
            Err(e) => return show(e),
        };
        match compose::compose(&project, &layers, &RenderContext::for_tenant(tenant, None)) {
            Ok(composition) => close_loop(dialect, &composition.schema),
            Err(e) => show(e),
        }
        // `commit` (symbolic rendering, one migration per layer): the same patch SQL in every
        // dialect, so once is enough.
        if dialect == Dialect::Sqlite {
            shown(generate::generate(&project, BTreeMap::new(), None));
        }
    }
}

/// `sql_model`: SQL text as a declarative schema file and as a migration, in each dialect; a
/// schema that reads is planned from nothing and back, and the plan read again.
pub fn sql_model(data: &[u8]) {
    // SQL files reach the parser only as UTF-8 text: the source refuses anything else.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let layer = LayerId::template("fuzz");
    for dialect in DIALECTS {
        shown(strata_schema::parse::split_statements(dialect, text).map_err(|e| e.message));
        let sql = match compose::render(dialect, "fuzz.sql", text, &RenderContext::Symbolic) {
            Ok(sql) => sql,
            Err(e) => {
                show(e);
                continue;
            }
        };
        shown(compose::replay_sql(dialect, Schema::default(), "fuzz.sql", &sql));
        let mut composition = Composition::default();
        match composition.apply_sql(dialect, Mode::Declarative, &layer, "fuzz.sql", &sql) {
            Ok(()) => close_loop(dialect, &composition.schema),
            Err(e) => show(e),
        }
    }
}

/// `STRATA_FUZZ_STRICT=1`: [`close_loop`] also asserts that the migration creating a schema
/// replays to that very schema. Off by default: the closed-loop tests guarantee it for the schemas
/// they cover (the corpora and the generator), not for everything the parser accepts.
fn strict() -> bool {
    static STRICT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("STRATA_FUZZ_STRICT").is_some_and(|v| v == "1"))
}

/// The closed loop of `commit` on one schema: the migration creating it from nothing and the one
/// dropping it again, each rendered to SQL and replayed. Panics are the findings (and, with
/// [`strict`], a replay that differs).
fn close_loop(dialect: Dialect, schema: &Schema) {
    let root = strata_schema::hash::root(schema);
    let empty = Schema::default();
    let renames = Renames::default();
    if let Ok(steps) = up_steps(dialect, &empty, schema, &renames) {
        let sql = body(dialect, &steps);
        if let Ok(replayed) = compose::replay_sql(dialect, empty.clone(), "up.sql", &sql) {
            let differences = strata_schema::compare::differences(&replayed, schema);
            if strict() && strata_schema::hash::root(&replayed) != root {
                panic!(
                    "{dialect}: the migration creating the schema replays to another:\n{}\n{sql}",
                    differences.join("\n")
                );
            }
        }
    }
    if let Ok(steps) = down_steps(dialect, &empty, schema, &renames) {
        let sql = body(dialect, &steps);
        shown(compose::replay_sql(dialect, schema.clone(), "down.sql", &sql));
    }
}

/// `sums`: a migration folder of one layer — `strata.sum` (the text before the first `@@` line)
/// and its files — checked and read as `check`, `commit` and `apply` do, once against the sum as
/// given and once against a sum that matches (to reach the headers behind the check); each file
/// is also read directly as an up file with `-- strata:` header directives.
pub fn sums(data: &[u8]) {
    let layer = LayerId::template("base");
    let dir = layer.migrations_dir();
    let parts = split_files(data, SUM_FILE);
    let texts: Vec<(String, String)> = parts
        .iter()
        .skip(1)
        .filter_map(|(name, bytes)| Some((name.clone(), std::str::from_utf8(bytes).ok()?.to_string())))
        .collect();
    if let Some((_, Ok(sum_text))) = parts.first().map(|(n, b)| (n, std::str::from_utf8(b))) {
        shown(sum::verify(sum_text, &texts));
        shown(sum::verify_with_drafts(sum_text, &texts, &|name| name.starts_with("0002_")));
    }
    // A sum strata writes always verifies against the files it was written for.
    let rendered = sum::render(&texts);
    if let Err(mismatch) = sum::verify(&rendered, &texts) {
        panic!("a rendered sum does not verify: {mismatch}\n{rendered}");
    }
    for (name, text) in &texts {
        std::hint::black_box(file::parse_file_name(name));
        std::hint::black_box(sum::checksum(text));
        let key = MigrationKey { layer: layer.clone(), seq: 1 };
        if let Ok(migration) = Migration::from_up_file(key, "fuzz", &format!("{dir}/{name}"), text.clone(), None) {
            use_migrations(&layer, vec![migration]);
        }
    }
    let mut source = MemorySource::default();
    for (name, bytes) in &parts {
        source.put(&format!("{dir}/{name}"), bytes);
    }
    load_folder(&source, &layer);
    let mut matching = MemorySource::default();
    for (name, bytes) in parts.iter().skip(1) {
        matching.put(&format!("{dir}/{name}"), bytes);
    }
    matching.sum_migration_folders();
    load_folder(&matching, &layer);
}

fn load_folder(source: &MemorySource, layer: &LayerId) {
    match strata_migrations::load_layer(source, layer) {
        Ok(migrations) => use_migrations(layer, migrations),
        Err(e) => show(e),
    }
}

/// What the commands do with a layer's migrations once read: order them, lint them, replay them.
fn use_migrations(layer: &LayerId, migrations: Vec<Migration>) {
    for migration in &migrations {
        std::hint::black_box((migration.id(), migration.header(), migration.irreversible(), migration.down_path()));
        for dialect in DIALECTS {
            std::hint::black_box(lint::lint(dialect, &project::LintPolicy::default(), migration));
        }
    }
    let all = BTreeMap::from([(layer.clone(), migrations)]);
    let ordered = match dag_order(std::slice::from_ref(layer), &all, &BTreeMap::new()) {
        Ok(ordered) => ordered,
        Err(e) => return show(e),
    };
    for dialect in DIALECTS {
        shown(generate::replay(dialect, &ordered, &RenderContext::Symbolic));
    }
}
