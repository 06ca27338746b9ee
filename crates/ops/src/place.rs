//! Where a tenant lives in an environment: its target rendered for it, checked so that no tenant
//! value leaves its place. A value may not turn a SQLite file into a path outside the
//! environment's directory, two tenants may not render to the same schema or file, and a
//! `${VAR}` secret is substituted only after the URL template is rendered, with tenant values
//! percent-encoded: a tenant value is never read as a variable reference, and a secret is never
//! read as template syntax.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::Error;
use strata_core::Dialect;
use strata_db::tenant::Target;
use strata_project::compose::{render_name, RenderContext};
use strata_project::project::{Environment, Isolation, Project, Tenant, TenantSelector};

/// The tenants an environment holds: its selector, each tenant's `environments:` and status.
pub fn members<'p>(project: &'p Project, env: &Environment) -> Result<Vec<&'p Tenant>, Error> {
    let mut chosen = Vec::new();
    for tenant in project.tenants.values() {
        let in_env = match &env.manifest.tenants {
            TenantSelector::All(star) if star == "*" => true,
            TenantSelector::All(other) => {
                return Err(Error::Usage(format!(
                    "{}: `tenants: {other}` must be \"*\", a list of ids or {{ labels: ... }}",
                    env.path
                )))
            }
            TenantSelector::Ids(ids) => ids.contains(&tenant.id),
            TenantSelector::Labels(selector) => {
                selector.labels.iter().all(|(k, v)| tenant.manifest.labels.get(k) == Some(v))
            }
        };
        if in_env && tenant.is_in(&env.name) {
            chosen.push(tenant);
        }
    }
    Ok(chosen)
}

/// A tenant's place, known without any secret: the rendered target and, where the URL is a
/// template too (PostgreSQL with a database per tenant), the URL rendered with `${VAR}` left as is.
#[derive(Debug, Clone)]
pub struct Place {
    name: String,
    url: Option<String>,
    /// What two tenants must not share: the file, schema or database, spelt one way.
    key: String,
}

/// The place of `tenant` in `env`.
pub fn place(project: &Project, env: &Environment, tenant: &Tenant) -> Result<Place, Error> {
    let context = RenderContext::for_tenant(tenant, Some(&env.name));
    let template = &env.manifest.target;
    let name = render_name(&env.path, template, &context)?;
    let refuse =
        |name: &str, why: &str| Error::Usage(format!("{}: target `{name}` of tenant {} {why}", env.path, tenant.id));
    let dialect = project.config.dialect;
    if dialect == Dialect::Sqlite {
        confined(template, &name).map_err(|why| refuse(&name, why))?;
        let key = Path::new(&name).components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        return Ok(Place { name, url: None, key });
    }
    let valid =
        !name.is_empty() && name.len() <= 63 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(refuse(&name, "is not a valid schema or database name"));
    }
    let isolation = env.manifest.isolation;
    if let Some(why) = crate::reserved::refused_target(dialect, isolation, &name, !is_template(template)) {
        return Err(refuse(&name, &why));
    }
    let (url, key) = match (&env.manifest.url, dialect, isolation) {
        (Some(template), Dialect::Postgres, Isolation::Database) => {
            let url = render_name(&env.path, template, &url_context(tenant, &env.name))?;
            let database = strata_core::url::database_of(&url);
            let literal = !is_template(&strata_core::url::database_of(template));
            if let Some(why) = crate::reserved::refused_database(&database, literal) {
                return Err(refuse(&strata_core::url::redact(&url), &why));
            }
            let key = strata_core::url::place_of(&url, 5432);
            (Some(url), key)
        }
        // MySQL folds database names to lower case where the file system does.
        (_, Dialect::Mysql, _) => (None, name.to_ascii_lowercase()),
        _ => (None, name.clone()),
    };
    Ok(Place { name, url, key })
}

fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// Every member's place; two tenants in one place are refused, naming both.
pub fn places<'p>(project: &'p Project, env: &Environment) -> Result<BTreeMap<String, &'p Tenant>, Error> {
    let mut taken: BTreeMap<String, &Tenant> = BTreeMap::new();
    for tenant in members(project, env)? {
        let place = place(project, env, tenant)?;
        if let Some(other) = taken.get(&place.key) {
            let shown = place.url.as_deref().map_or(place.name.clone(), strata_core::url::redact);
            return Err(Error::Usage(format!(
                "{}: tenants {} and {} both render the target `{shown}`; each tenant needs a schema, database or file of its own (put `{{{{ tenant.id }}}}` in `target`)",
                env.path, other.id, tenant.id
            )));
        }
        taken.insert(place.key, tenant);
    }
    Ok(taken)
}

/// Where `tenant` lives in `env`, with the URL's `${VAR}` references expanded. A SQLite file is
/// relative to `root`, the repository's work tree.
pub fn target(project: &Project, root: &Path, env: &Environment, tenant: &Tenant) -> Result<Target, Error> {
    let place = place(project, env, tenant)?;
    let dialect = project.config.dialect;
    if dialect == Dialect::Sqlite {
        return Ok(Target::SqliteFile(root.join(&place.name)));
    }
    let Some(url) = &env.manifest.url else {
        return Err(Error::Usage(format!("{}: `url: ${{SOME_VARIABLE}}` is required for {dialect}", env.path)));
    };
    let name = place.name;
    let expand = |text: &str| strata_core::url::expand(text).map_err(|m| Error::Usage(format!("{}: {m}", env.path)));
    let target = match (dialect, env.manifest.isolation) {
        (Dialect::Postgres, Isolation::Schema) => {
            Target::Postgres { url: expand(url)?, schema: Some(name.clone()), label: format!("schema {name}") }
        }
        (Dialect::Postgres, Isolation::Database) => {
            // The template is rendered before any secret is in it (`place` rendered it so), and
            // its tenant values are percent-encoded, so none can spell a `${VAR}`: a secret is
            // never read as template syntax, and no render error can show it.
            let rendered = place.url.as_deref().unwrap_or(url);
            Target::Postgres {
                url: expand(rendered)?,
                schema: None,
                label: format!("database of tenant {}", tenant.id),
            }
        }
        _ => Target::Mysql { url: expand(url)?, database: name.clone(), label: format!("database {name}") },
    };
    if let Target::Postgres { url: expanded, .. } | Target::Mysql { url: expanded, .. } = &target {
        strata_core::url::check_scheme(dialect, expanded)
            .map_err(|m| Error::Usage(format!("{}: url `{url}` {m}", env.path)))?;
    }
    Ok(target)
}

/// The render context of a URL template: every tenant value percent-encoded, so that a value is
/// one piece of a path or query and cannot add a host, a parameter or a `${VAR}` reference.
fn url_context(tenant: &Tenant, env: &str) -> RenderContext {
    let encode = |map: &BTreeMap<String, String>| map.iter().map(|(k, v)| (k.clone(), percent_encode(v))).collect();
    RenderContext::Tenant {
        id: percent_encode(&tenant.id),
        vars: encode(&tenant.manifest.vars),
        labels: encode(&tenant.manifest.labels),
        env: Some(env.to_string()),
    }
}

/// RFC 3986: every byte but the unreserved characters as `%XX`.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A SQLite file stays inside the directory its target template names before its first
/// expression (`.strata/local/` for `.strata/local/{{ tenant.id }}.db`): relative, no `..`.
fn confined(template: &str, rendered: &str) -> Result<(), &'static str> {
    let path = Path::new(rendered);
    if !path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err("leaves the environment's directory (absolute paths and `..` are refused)");
    }
    if path.components().any(|c| c.as_os_str().eq_ignore_ascii_case(".git")) {
        return Err("lies inside `.git`, where git keeps the repository's objects and refs");
    }
    let fixed = template.find("{{").or_else(|| template.find("{%")).map_or(template, |at| &template[..at]);
    let directory = fixed.rfind('/').map_or("", |at| &fixed[..=at]);
    if !rendered.starts_with(directory) || PathBuf::from(rendered).file_name().is_none() {
        return Err("leaves the environment's directory");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_values_are_one_encoded_piece() {
        assert_eq!(percent_encode("acme_1-x.y~"), "acme_1-x.y~");
        assert_eq!(percent_encode("${PW}"), "%24%7BPW%7D");
        assert_eq!(percent_encode("db?host=evil.example/x"), "db%3Fhost%3Devil.example%2Fx");
    }

    #[test]
    fn sqlite_files_stay_in_their_directory() {
        let template = ".strata/local/{{ tenant.vars.db }}.db";
        assert_eq!(confined(template, ".strata/local/acme.db"), Ok(()));
        assert_eq!(confined(template, ".strata/local/sub/acme.db"), Ok(()));
        assert!(confined(template, ".strata/local/../../etc/acme.db").is_err());
        assert!(confined("{{ tenant.vars.db }}", "/etc/passwd").is_err());
        assert!(confined("t_{{ tenant.id }}.db", "t_a.db").is_ok());
        assert!(confined(".strata/{{ tenant.vars.dir }}/x.db", ".strat/x.db").is_err());
        assert!(confined("{{ tenant.vars.db }}", ".git/refs/heads/zz").is_err());
        assert!(confined("{{ tenant.vars.db }}", "./sub/.GIT/x.db").is_err());
    }
}
