//! A tenant's desired schema: each layer's `schema/*.sql`, then overlay patches, rendered with tera
//! and read into the model (DESIGN §4), remembering which layer created each object so that a
//! collision names its owner.
//!
//! Variables reach SQL only through `sql_literal` / `sql_ident`, which quote for the dialect; a
//! bare `{{ v }}` is refused before rendering. To generate one migration that serves every
//! tenant, [`RenderContext::Symbolic`] renders each variable as a sentinel and
//! [`restore_symbols`] turns sentinels in generated SQL back into the tera expression.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::bounded_render;
use crate::project::{LayerId, Patch, Project, SourceFile, Tenant};
use strata_core::Dialect;
use strata_schema::interpret::{ApplyError, Interpreter, Mode};
use strata_schema::parse::parse_statements;
use strata_schema::{ObjectRef, Schema};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("{path}:{line}: `{{{{ {expr} }}}}` puts a raw value into SQL; write `{{{{ {expr} | sql_literal }}}}` or `{{{{ {expr} | sql_ident }}}}`")]
    RawVariable { path: String, line: usize, expr: String },
    #[error("{path}:{line}: a template expression inside a SQL comment; a comment ends at a newline, which no quoting filter guards, so values may not stand there (move it out of the comment)")]
    InComment { path: String, line: usize },
    #[error("{path}:{line} (as rendered): a tenant value stands {inside}, where no quoting keeps it one value; let the filter make the whole literal or name (`{{{{ x | sql_literal }}}}`, not `'{{{{ x | sql_literal }}}}'`), outside comments")]
    Misplaced { path: String, line: usize, inside: crate::seal::Misplaced },
    #[error("{path}: cannot render: {message}")]
    Render { path: String, message: String },
    #[error("{path}{}: {what} (strata's limit for a template file)", line_note(.line))]
    TemplateLimit { path: String, line: Option<usize>, what: String },
    #[error("{path}:{line}: SQL syntax error: {message}")]
    Syntax { path: String, line: u64, message: String },
    #[error("{path}:{line}: `{kind}` statement refused by `lint: {{ session_statements: error }}` in strata.yaml; remove it from the schema file")]
    SessionStatement { path: String, line: u64, kind: &'static str },
    #[error("{path}:{line}: {error}{}", owner_note(.owner))]
    Statement { path: String, line: u64, error: ApplyError, owner: Option<LayerId> },
}

fn line_note(line: &Option<usize>) -> String {
    line.map(|line| format!(":{line}")).unwrap_or_default()
}

fn owner_note(owner: &Option<LayerId>) -> String {
    owner.as_ref().map(|o| format!(" (owned by {o})")).unwrap_or_default()
}

const SENTINEL: &str = strata_core::SYMBOL_PREFIX;

/// What tenant variables render to.
#[derive(Debug, Clone)]
pub enum RenderContext {
    /// One tenant's real values, for applying.
    Tenant { id: String, vars: BTreeMap<String, String>, labels: BTreeMap<String, String>, env: Option<String> },
    /// Sentinels standing for the tera expressions, for generating migrations shared by tenants.
    Symbolic,
}

impl RenderContext {
    pub fn for_tenant(tenant: &Tenant, env: Option<&str>) -> Self {
        RenderContext::Tenant {
            id: tenant.id.clone(),
            vars: tenant.manifest.vars.clone(),
            labels: tenant.manifest.labels.clone(),
            env: env.map(str::to_string),
        }
    }

    fn tera_context(&self, text: &str) -> tera::Context {
        let mut context = tera::Context::new();
        match self {
            RenderContext::Tenant { id, vars, labels, env } => {
                context.insert("tenant", &serde_json::json!({ "id": id, "vars": vars, "labels": labels }));
                context.insert("env", &serde_json::json!({ "name": env }));
            }
            RenderContext::Symbolic => {
                let symbol = |path: &str| format!("{SENTINEL}{path}__");
                let mut vars = serde_json::Map::new();
                let mut labels = serde_json::Map::new();
                for (map, prefix) in [(&mut vars, "tenant.vars."), (&mut labels, "tenant.labels.")] {
                    for name in referenced_names(text, prefix) {
                        map.insert(name.clone(), symbol(&format!("{prefix}{name}")).into());
                    }
                }
                context.insert(
                    "tenant",
                    &serde_json::json!({ "id": symbol("tenant.id"), "vars": vars, "labels": labels }),
                );
                context.insert("env", &serde_json::json!({ "name": symbol("env.name") }));
            }
        }
        context
    }
}

/// Names used after `prefix` in the text (`tenant.vars.currency` -> `currency`).
fn referenced_names(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            text[at + prefix.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// Renders one SQL file.
pub fn render(dialect: Dialect, path: &str, text: &str, context: &RenderContext) -> Result<String, ComposeError> {
    if !text.contains("{{") && !text.contains("{%") {
        return Ok(text.to_string());
    }
    crate::placement::check_placement(dialect, path, text)?;
    if let Some(at) = text.find(crate::seal::MARK) {
        let line = text[..at].matches('\n').count() + 1;
        return Err(ComposeError::Render {
            path: format!("{path}:{line}"),
            message: "a NUL byte, which SQL text cannot carry".to_string(),
        });
    }
    let rendered = render_unchecked(dialect, path, text, context)?;
    crate::seal::seal(dialect, &rendered).map_err(|refused| ComposeError::Misplaced {
        path: path.to_string(),
        line: refused.line,
        inside: refused.inside,
    })
}

/// Renders a name template (an environment's `target`), where values are not SQL.
pub fn render_name(path: &str, text: &str, context: &RenderContext) -> Result<String, ComposeError> {
    match filled_in(text, context) {
        Some(name) => Ok(name),
        // Names are no SQL: a quoting filter there has nothing to seal.
        None => Ok(render_unchecked(Dialect::Sqlite, path, text, context)?.replace(crate::seal::MARK, "")),
    }
}

/// Targets are nearly always `t_{{ tenant.id }}`: a template whose only tags are `{{ name }}`s of
/// the tenant's id, vars and labels or the environment's name is filled in directly. A fresh tera
/// per tenant was most of `check`'s time at 10,000 tenants. Anything else, or a value that is not
/// there, goes through tera (and its error message).
fn filled_in(text: &str, context: &RenderContext) -> Option<String> {
    let RenderContext::Tenant { id, vars, labels, env } = context else { return None };
    if text.contains("{%") || text.contains("{#") {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find("}}")?;
        let value = match rest[start + 2..end].trim().split_once('.')? {
            ("tenant", "id") => id.as_str(),
            ("tenant", field) => match field.split_once('.')? {
                ("vars", key) => vars.get(key)?.as_str(),
                ("labels", key) => labels.get(key)?.as_str(),
                _ => return None,
            },
            ("env", "name") => env.as_deref()?,
            _ => return None,
        };
        out.push_str(value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

fn render_unchecked(dialect: Dialect, path: &str, text: &str, context: &RenderContext) -> Result<String, ComposeError> {
    crate::template_limits::check_limits(path, text)?;
    let mut tera = tera::Tera::default();
    // Marked for `seal`, which proves each value stays the one token the filter made.
    tera.register_filter("sql_literal", move |value: &tera::Value, _: &HashMap<String, tera::Value>| {
        Ok(tera::Value::String(crate::seal::marked(dialect.quote_value(&sql_text(value)?))))
    });
    tera.register_filter("sql_ident", move |value: &tera::Value, _: &HashMap<String, tera::Value>| {
        Ok(tera::Value::String(crate::seal::marked(dialect.quote_ident(&sql_text(value)?))))
    });
    tera.add_raw_template(path, text)
        .map_err(|e| ComposeError::Render { path: path.to_string(), message: bounded_render::error_chain(&e) })?;
    bounded_render::render(tera, path, &context.tera_context(text))
}

/// A value for a quoting filter: never one holding NUL (SQL text cannot carry it, and it is the
/// mark of a value already quoted, which a second filter would quote again).
fn sql_text(value: &tera::Value) -> tera::Result<String> {
    let text = plain(value);
    if text.contains(crate::seal::MARK) {
        return Err(tera::Error::msg("a value holding a NUL byte (or one quoted twice) cannot reach SQL"));
    }
    Ok(text)
}

fn plain(value: &tera::Value) -> String {
    match value {
        tera::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Turns sentinels in generated SQL back into the tera expressions they stand for.
pub fn restore_symbols(dialect: Dialect, sql: &str) -> String {
    let mut paths = BTreeSet::new();
    for (at, _) in sql.match_indices(SENTINEL) {
        let rest = &sql[at + SENTINEL.len()..];
        if let Some(end) = rest.find("__") {
            paths.insert(rest[..end].to_string());
        }
    }
    let mut restored = sql.to_string();
    for path in paths {
        let sentinel = format!("{SENTINEL}{path}__");
        restored = restored
            .replace(&dialect.quote_literal(&sentinel), &format!("{{{{ {path} | sql_literal }}}}"))
            .replace(&dialect.quote_ident(&sentinel), &format!("{{{{ {path} | sql_ident }}}}"))
            // What is left is a step's summary comment (`-- create table …`), where a tera tag
            // would be refused: the name of the value reads as well.
            .replace(&sentinel, &path);
    }
    restored
}

/// What a migration's SQL (already rendered) makes of `start`: the one replay through which
/// `commit`, `plan`, `verify`, `drift` and `apply` read migrations (layer ownership aside), so
/// that tests of the closed loop test exactly that code.
pub fn replay_sql(dialect: Dialect, start: Schema, path: &str, sql: &str) -> Result<Schema, ComposeError> {
    let mut composition = Composition { schema: start, owners: BTreeMap::new() };
    composition.apply_sql(dialect, Mode::Replay, &LayerId::template("replay"), path, sql)?;
    Ok(composition.schema)
}

/// A composed schema and the layer that created each object.
#[derive(Debug, Clone, Default)]
pub struct Composition {
    pub schema: Schema,
    pub owners: BTreeMap<ObjectRef, LayerId>,
}

impl Composition {
    /// Applies SQL text (already rendered) as `layer`, recording what it creates.
    pub fn apply_sql(
        &mut self,
        dialect: Dialect,
        mode: Mode,
        layer: &LayerId,
        path: &str,
        sql: &str,
    ) -> Result<(), ComposeError> {
        let statements = parse_statements(dialect, sql).map_err(|e| ComposeError::Syntax {
            path: path.to_string(),
            line: e.line,
            message: e.message,
        })?;
        let interpreter = Interpreter::new(strata_dialect::engine(dialect), mode);
        for located in statements {
            self.apply_one(&interpreter, layer, path, located.line, &located.statement)?;
        }
        Ok(())
    }

    fn apply_one(
        &mut self,
        interpreter: &Interpreter,
        layer: &LayerId,
        path: &str,
        line: u64,
        statement: &strata_schema::parse::Parsed,
    ) -> Result<(), ComposeError> {
        match interpreter.apply(&mut self.schema, statement) {
            Ok(created) => {
                for object in created {
                    self.owners.insert(object, layer.clone());
                }
                Ok(())
            }
            Err(error) => {
                let owner = match &error {
                    ApplyError::Exists(object) => self.owners.get(object).cloned(),
                    _ => None,
                };
                Err(ComposeError::Statement { path: path.to_string(), line, error, owner })
            }
        }
    }

    /// Applies structured patches as `layer`, each as the DDL statement it stands for.
    fn apply_patches(
        &mut self,
        dialect: Dialect,
        layer: &LayerId,
        file: &SourceFile,
        patches: &[serde_saphyr::Spanned<Patch>],
    ) -> Result<(), ComposeError> {
        let interpreter = Interpreter::new(strata_dialect::engine(dialect), Mode::Declarative);
        for patch in patches {
            let line = patch.referenced.line();
            let sql = patch_sql(dialect, &patch.value);
            let statements = parse_statements(dialect, &sql).map_err(|e| ComposeError::Syntax {
                path: file.path.clone(),
                line,
                message: format!("{} (in `{sql}`)", e.message),
            })?;
            for located in statements {
                self.apply_one(&interpreter, layer, &file.path, line, &located.statement)?;
            }
        }
        Ok(())
    }
}

/// The DDL a structured patch stands for; names are quoted, type/default/expression are SQL.
fn patch_sql(dialect: Dialect, patch: &Patch) -> String {
    let q = |name: &str| dialect.quote_ident(name);
    match patch {
        Patch::AddColumn(p) => {
            let mut sql = format!("ALTER TABLE {} ADD COLUMN {} {}", q(&p.table), q(&p.name), p.ty);
            if !p.nullable {
                sql.push_str(" NOT NULL");
            }
            if let Some(default) = &p.default {
                sql.push_str(&format!(" DEFAULT {default}"));
            }
            sql
        }
        Patch::AddIndex(p) => {
            let name = p.name.clone().unwrap_or_else(|| format!("{}_{}_idx", p.table, p.columns.join("_")));
            let columns: Vec<String> = p.columns.iter().map(|c| q(c)).collect();
            format!(
                "CREATE {}INDEX {} ON {} ({})",
                if p.unique { "UNIQUE " } else { "" },
                q(&name),
                q(&p.table),
                columns.join(", ")
            )
        }
        Patch::AddCheck(p) => format!("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({})", q(&p.table), q(&p.name), p.expr),
    }
}

/// The session statements of rendered SQL (none when it does not parse: composing reports that).
fn session_statements(dialect: Dialect, sql: &str) -> Vec<strata_schema::parse::SessionStatement> {
    strata_schema::parse::parse_with_session_statements(dialect, sql).map(|(_, session)| session).unwrap_or_default()
}

/// How many session statements of each kind the declarative files of a project hold, to say once
/// what was ignored.
pub fn ignored_session_statements(project: &Project) -> BTreeMap<String, usize> {
    let dialect = project.config.dialect;
    let mut counts = BTreeMap::new();
    let layers = project.packages().map(|p| &p.files);
    for files in layers.chain(project.tenants.values().map(|t| &t.files)) {
        for file in files.schema.iter().chain(&files.sql_patches) {
            let Ok(sql) = render(dialect, &file.path, &file.text, &RenderContext::Symbolic) else { continue };
            for statement in session_statements(dialect, &sql) {
                *counts.entry(statement.kind.to_string()).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// `ignored 11 SET, 24 OWNER TO (session and ownership statements; ...)`, or `None`.
pub fn ignored_summary(counts: &BTreeMap<String, usize>) -> Option<String> {
    if counts.is_empty() {
        return None;
    }
    let total: usize = counts.values().sum();
    let kinds: Vec<String> = counts.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
    Some(format!(
        "ignored {} in schema files: {} (lint.session_statements: error refuses them)",
        strata_core::count(total, "session and ownership statement"),
        kinds.join(", ")
    ))
}

/// The desired schema of a list of layers, in the given order.
pub fn compose(project: &Project, layers: &[LayerId], context: &RenderContext) -> Result<Composition, ComposeError> {
    let mut composition = Composition::default();
    for layer in layers {
        composition.add_layer(project, layer, context)?;
    }
    Ok(composition)
}

impl Composition {
    /// Adds one layer's declarative files: schema, SQL patches, then structured patches.
    pub fn add_layer(
        &mut self,
        project: &Project,
        layer: &LayerId,
        context: &RenderContext,
    ) -> Result<(), ComposeError> {
        let dialect = project.config.dialect;
        let Some(files) = project.layer_files(layer) else { return Ok(()) };
        for file in files.schema.iter().chain(&files.sql_patches) {
            let sql = render(dialect, &file.path, &file.text, context)?;
            if project.config.lint.session_statements == crate::project::LintLevel::Error {
                if let Some(first) = session_statements(dialect, &sql).into_iter().next() {
                    return Err(ComposeError::SessionStatement {
                        path: file.path.clone(),
                        line: first.line,
                        kind: first.kind,
                    });
                }
            }
            self.apply_sql(dialect, Mode::Declarative, layer, &file.path, &sql)?;
        }
        for (file, patches) in &files.yaml_patches {
            self.apply_patches(dialect, layer, file, &patches.patches)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant_context() -> RenderContext {
        RenderContext::Tenant {
            id: "nrna".into(),
            vars: BTreeMap::from([("currency".into(), "US'D".into())]),
            labels: BTreeMap::new(),
            env: None,
        }
    }

    #[test]
    fn plain_name_templates_are_filled_in_as_tera_would() {
        let context = RenderContext::Tenant {
            id: "acme".into(),
            vars: BTreeMap::from([("db".to_string(), "acme_db".to_string())]),
            labels: BTreeMap::from([("region".to_string(), "eu".to_string())]),
            env: Some("prod".into()),
        };
        for template in [
            "t_{{ tenant.id }}",
            ".strata/{{env.name}}/{{ tenant.labels.region }}/{{ tenant.vars.db }}.db",
            "plain",
            "{{ tenant.id | upper }}",
            "{% if true %}x{% endif %}",
            "{{- tenant.id -}}",
        ] {
            let tera = render_unchecked(Dialect::Sqlite, "t.yaml", template, &context).unwrap();
            assert_eq!(render_name("t.yaml", template, &context).unwrap(), tera, "{template}");
        }
        assert!(filled_in("{{ tenant.vars.missing }}", &context).is_none(), "tera says what is missing");
        assert!(render_name("t.yaml", "{{ tenant.vars.missing }}", &context).is_err());
    }

    #[test]
    fn the_deepest_template_the_limits_allow_renders_on_a_small_stack() {
        let depth = crate::template_limits::MAX_NESTING;
        let brackets = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
        let text = format!(
            "{}SELECT {{{{ {brackets} | sql_literal }}}};{}",
            "{% if true %}{% for i in [1] %}".repeat(depth / 2),
            "{% endfor %}{% endif %}".repeat(depth / 2)
        );
        let small_stack = std::thread::Builder::new().stack_size(2 * 1024 * 1024);
        let rendered = small_stack.spawn(move || render(Dialect::Sqlite, "a.sql", &text, &tenant_context())).unwrap();
        assert_eq!(rendered.join().unwrap().unwrap(), "SELECT '1';");
    }

    #[test]
    fn values_are_quoted_for_the_dialect() {
        let sql = "CREATE TABLE t (c TEXT DEFAULT {{ tenant.vars.currency | sql_literal }}, {{ tenant.id|sql_ident }} INTEGER);";
        let rendered = render(Dialect::Sqlite, "a.sql", sql, &tenant_context()).unwrap();
        assert_eq!(rendered, "CREATE TABLE t (c TEXT DEFAULT 'US''D', \"nrna\" INTEGER);");
    }

    #[test]
    fn a_raw_variable_is_refused_with_its_line() {
        let err = render(Dialect::Sqlite, "a.sql", "-- x\n\nSELECT {{ tenant.id }};", &tenant_context()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.sql:3: `{{ tenant.id }}` puts a raw value into SQL; write `{{ tenant.id | sql_literal }}` or `{{ tenant.id | sql_ident }}`"
        );
    }

    #[test]
    fn an_undefined_variable_is_a_render_error() {
        let err =
            render(Dialect::Sqlite, "a.sql", "{{ tenant.vars.nope | sql_literal }}", &tenant_context()).unwrap_err();
        assert!(matches!(err, ComposeError::Render { .. }), "{err}");
    }

    #[test]
    fn symbolic_rendering_round_trips_to_the_expression() {
        let sql = "CREATE TABLE t (c TEXT DEFAULT {{ tenant.vars.currency | sql_literal }});";
        let rendered = render(Dialect::Sqlite, "a.sql", sql, &RenderContext::Symbolic).unwrap();
        assert_eq!(rendered, "CREATE TABLE t (c TEXT DEFAULT '__strata_var__tenant.vars.currency__');");
        assert_eq!(
            restore_symbols(Dialect::Sqlite, &rendered),
            "CREATE TABLE t (c TEXT DEFAULT {{ tenant.vars.currency | sql_literal }});"
        );
        // A summary comment names the value, which a tera tag in a comment could not.
        let comment = "-- create table __strata_var__tenant.vars.ledger__\nCREATE TABLE \"__strata_var__tenant.vars.ledger__\" (id int);";
        assert_eq!(
            restore_symbols(Dialect::Sqlite, comment),
            "-- create table tenant.vars.ledger\nCREATE TABLE {{ tenant.vars.ledger | sql_ident }} (id int);"
        );
    }
}
