//! A repository's manifests and layer files, loaded from any [`Source`] and validated.

pub mod json_schema;
pub mod manifest;
pub mod names;

use std::collections::BTreeMap;

pub use manifest::*;
pub use names::{is_valid_name, LayerId, LayerKind};

use crate::source::{Source, SourceError};

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("no strata.yaml in {0}: not a strata repository (run `strata init`)")]
    NotAProject(String),
    #[error("{path}: {message}")]
    Yaml { path: String, message: String },
    #[error("{path}: invalid {what} name '{name}': names match ^[a-z][a-z0-9_-]{{0,62}}$")]
    InvalidName { path: String, what: &'static str, name: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    /// The command line named an environment the repository does not have.
    #[error("environments/{name}.yaml: unknown environment '{name}' (known: {})", known.join(", "))]
    UnknownEnvironment { name: String, known: Vec<String> },
}

/// A file's path and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// The SQL and patches a layer owns, each folder in lexical order.
#[derive(Debug, Clone, Default)]
pub struct LayerFiles {
    pub schema: Vec<SourceFile>,
    pub seed: Vec<SourceFile>,
    pub sql_patches: Vec<SourceFile>,
    pub yaml_patches: Vec<(SourceFile, PatchFile)>,
}

/// A template or a module.
#[derive(Debug, Clone)]
pub struct Package {
    pub id: LayerId,
    pub manifest_path: String,
    pub manifest: LayerManifest,
    pub files: LayerFiles,
    /// Released versions, oldest first (from releases.yaml beside the layer's migrations).
    pub releases: Vec<Release>,
}

impl Package {
    pub fn releases_path(&self) -> String {
        format!("{}/releases.yaml", self.id.migrations_dir())
    }
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub manifest_path: String,
    pub manifest: TenantManifest,
    pub files: LayerFiles,
}

impl Tenant {
    pub fn layer(&self) -> LayerId {
        LayerId::tenant(&self.id)
    }

    /// Inactive tenants are skipped; a tenant without `environments:` lives in all of them.
    pub fn is_in(&self, env: &str) -> bool {
        self.manifest.status == TenantStatus::Active
            && self.manifest.environments.as_ref().is_none_or(|envs| envs.iter().any(|e| e == env))
    }
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub path: String,
    pub manifest: EnvironmentManifest,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub config: ProjectConfig,
    pub templates: BTreeMap<String, Package>,
    pub modules: BTreeMap<String, Package>,
    pub tenants: BTreeMap<String, Tenant>,
    pub environments: BTreeMap<String, Environment>,
}

impl Project {
    pub fn load(source: &dyn Source) -> Result<Self, ProjectError> {
        let config_text = source.read("strata.yaml")?.ok_or_else(|| ProjectError::NotAProject(source.describe()))?;
        let config: ProjectConfig = parse_yaml("strata.yaml", &config_text)?;
        let templates = load_packages(source, LayerKind::Template)?;
        let modules = load_packages(source, LayerKind::Module)?;
        check_conflicts(&templates, &modules)?;
        let environments = load_environments(source)?;
        let tenants = load_tenants(source, &environments)?;
        Ok(Self { config, templates, modules, tenants, environments })
    }

    /// Every template, then every module: the layers that are versioned and released.
    pub fn packages(&self) -> impl Iterator<Item = &Package> + '_ {
        self.templates.values().chain(self.modules.values())
    }

    /// Every layer the project has: templates, modules, then each tenant's own layer.
    pub fn all_layers(&self) -> impl Iterator<Item = LayerId> + '_ {
        self.packages().map(|p| p.id.clone()).chain(self.tenants.values().map(|t| t.layer()))
    }

    /// The template or module behind a layer id (tenants are not packages).
    pub fn package(&self, id: &LayerId) -> Option<&Package> {
        match id.kind {
            LayerKind::Template => self.templates.get(&id.name),
            LayerKind::Module => self.modules.get(&id.name),
            LayerKind::Tenant => None,
        }
    }

    /// `package`, to change: `commit` records releases and bumps versions in a copy of the project.
    pub fn package_mut(&mut self, id: &LayerId) -> Option<&mut Package> {
        match id.kind {
            LayerKind::Template => self.templates.get_mut(&id.name),
            LayerKind::Module => self.modules.get_mut(&id.name),
            LayerKind::Tenant => None,
        }
    }

    pub fn layer_files(&self, id: &LayerId) -> Option<&LayerFiles> {
        match id.kind {
            LayerKind::Tenant => self.tenants.get(&id.name).map(|t| &t.files),
            _ => self.package(id).map(|p| &p.files),
        }
    }

    /// The rename hints of a layer's yaml.
    pub fn renames(&self, id: &LayerId) -> strata_schema::Renames {
        match id.kind {
            LayerKind::Tenant => self.tenants.get(&id.name).map(|t| t.manifest.renames.clone()),
            _ => self.package(id).map(|p| p.manifest.renames.clone()),
        }
        .unwrap_or_default()
    }

    pub fn environment(&self, name: &str) -> Result<&Environment, ProjectError> {
        self.environments.get(name).ok_or_else(|| ProjectError::UnknownEnvironment {
            name: name.to_string(),
            known: self.environments.keys().cloned().collect(),
        })
    }
}

/// YAML into `T`; errors carry the file and serde-saphyr's line:column. Its messages for users,
/// not its default ones for developers, which advise changing parser options (`set
/// DuplicateKeyPolicy in Options`, `use Option<String>`) that a user of strata cannot reach.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Result<T, ProjectError> {
    serde_saphyr::from_str(text).map_err(|e| {
        let at = e.location().map(|l| format!(":{}:{}", l.line(), l.column())).unwrap_or_default();
        let message = e.render_with_options(serde_saphyr::render_options! {
            source_name: Some(path),
            formatter: &serde_saphyr::UserMessageFormatter,
        });
        // The location is already in front of the message; drop serde-saphyr's "line N column M: ".
        let message = message.trim_start_matches("error: ");
        let message = match message.split_once(": ") {
            Some((head, rest)) if head.starts_with("line ") && head.contains(" column ") => rest,
            _ => message,
        };
        ProjectError::Yaml { path: format!("{path}{at}"), message: message.to_string() }
    })
}

fn check_name(path: &str, what: &'static str, name: &str) -> Result<(), ProjectError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(ProjectError::InvalidName { path: path.to_string(), what, name: name.to_string() })
    }
}

fn read_files(source: &dyn Source, dir: &str, ext: &str) -> Result<Vec<SourceFile>, ProjectError> {
    let mut files = Vec::new();
    for path in source.files_with(dir, &[ext])? {
        let text = source.read(&path)?.unwrap_or_default();
        files.push(SourceFile { path, text });
    }
    Ok(files)
}

fn load_layer_files(source: &dyn Source, dir: &str) -> Result<LayerFiles, ProjectError> {
    let mut yaml_patches = Vec::new();
    for file in read_files(source, &format!("{dir}/patches"), ".yaml")? {
        let patches: PatchFile = parse_yaml(&file.path, &file.text)?;
        yaml_patches.push((file, patches));
    }
    Ok(LayerFiles {
        schema: read_files(source, &format!("{dir}/schema"), ".sql")?,
        seed: read_files(source, &format!("{dir}/seed"), ".sql")?,
        sql_patches: read_files(source, &format!("{dir}/patches"), ".sql")?,
        yaml_patches,
    })
}

fn load_packages(source: &dyn Source, kind: LayerKind) -> Result<BTreeMap<String, Package>, ProjectError> {
    let folder = kind.folder();
    let manifest_name = match kind {
        LayerKind::Template => "template.yaml",
        _ => "module.yaml",
    };
    let mut packages = BTreeMap::new();
    for name in source.subdirs(folder)? {
        let dir = format!("{folder}/{name}");
        check_name(&dir, kind.prefix(), &name)?;
        let manifest_path = format!("{dir}/{manifest_name}");
        let text = source
            .read(&manifest_path)?
            .ok_or_else(|| ProjectError::Invalid { path: dir.clone(), message: format!("missing {manifest_name}") })?;
        let manifest: LayerManifest = parse_yaml(&manifest_path, &text)?;
        if manifest.name != name {
            return Err(ProjectError::Invalid {
                path: manifest_path,
                message: format!("name '{}' does not match its folder '{name}'", manifest.name),
            });
        }
        if kind == LayerKind::Module && !manifest.modules.is_empty() {
            return Err(ProjectError::Invalid {
                path: manifest_path,
                message: "`modules:` belongs in template.yaml; a module uses `requires:`".to_string(),
            });
        }
        let files = load_layer_files(source, &dir)?;
        let id = LayerId { kind, name: name.clone() };
        let releases_path = format!("{}/releases.yaml", id.migrations_dir());
        let releases: Vec<Release> = match source.read(&releases_path)? {
            Some(text) => parse_yaml(&releases_path, &text)?,
            None => Vec::new(),
        };
        packages.insert(name, Package { id, manifest_path, manifest, files, releases });
    }
    Ok(packages)
}

/// Every name in a `conflicts:` list is a template or module of the repository. A name that is
/// not (a typo, a module since removed) would exclude nothing, so a conflict the author meant to
/// declare would silently not be there; `requires:` is checked the same way, by the resolver.
fn check_conflicts(
    templates: &BTreeMap<String, Package>,
    modules: &BTreeMap<String, Package>,
) -> Result<(), ProjectError> {
    for package in templates.values().chain(modules.values()) {
        for name in &package.manifest.conflicts {
            let (kind, folder, short) = match name.strip_prefix("template.") {
                Some(short) => (templates, "templates", short),
                None => (modules, "modules", name.as_str()),
            };
            if !kind.contains_key(short) {
                let manifest = if folder == "templates" { "template.yaml" } else { "module.yaml" };
                return Err(ProjectError::Invalid {
                    path: package.manifest_path.clone(),
                    message: format!(
                        "conflicts with '{name}', which does not exist (no {folder}/{short}/{manifest}); a conflict names a module of this repository"
                    ),
                });
            }
        }
    }
    Ok(())
}

fn load_environments(source: &dyn Source) -> Result<BTreeMap<String, Environment>, ProjectError> {
    let mut environments = BTreeMap::new();
    for path in source.files_with("environments", &[".yaml"])? {
        let name = path.trim_start_matches("environments/").trim_end_matches(".yaml").to_string();
        check_name(&path, "environment", &name)?;
        let text = source.read(&path)?.unwrap_or_default();
        let manifest: EnvironmentManifest = parse_yaml(&path, &text)?;
        if let Some(url) = &manifest.url {
            strata_core::url::check_is_reference(url)
                .map_err(|message| ProjectError::Invalid { path: path.clone(), message })?;
        }
        if manifest.rollout.concurrency == Some(0) {
            let message = "rollout.concurrency must be at least 1 (0 would start no tenant)".to_string();
            return Err(ProjectError::Invalid { path, message });
        }
        if let Err(message) = check_rollout(&manifest.rollout) {
            return Err(ProjectError::Invalid { path, message });
        }
        environments.insert(name.clone(), Environment { name, path, manifest });
    }
    Ok(environments)
}

/// The rest of `rollout:` that cannot mean anything, refused when the file is read (so `check`
/// and `verify` say it) rather than by the `apply` that reaches it.
fn check_rollout(rollout: &Rollout) -> Result<(), String> {
    if rollout.max_failures == Some(0) {
        return Err(
            "rollout.max_failures must be at least 1 (the number of failed tenants that halts the rollout)".into()
        );
    }
    for (index, wave) in rollout.waves.iter().enumerate() {
        let kinds = [wave.tenants.is_some(), wave.percent.is_some(), wave.labels.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err(format!("rollout.waves[{index}] needs exactly one of `tenants`, `percent` or `labels`"));
        }
        if let Some(percent) = wave.percent.filter(|p| !(1..=100).contains(p)) {
            return Err(format!("rollout.waves[{index}].percent must be 1 to 100, not {percent}"));
        }
    }
    Ok(())
}

/// A tenant's values reach SQL, names and paths through the quoting filters, and a filter quotes a
/// value for a string literal or an identifier, not for a comment or a file name: a control
/// character (a newline ending a `--` comment, a NUL cutting a path) has no business in any of them.
fn check_values(path: &str, manifest: &TenantManifest) -> Result<(), ProjectError> {
    let values =
        manifest.vars.iter().map(|(k, v)| ("vars", k, v)).chain(manifest.labels.iter().map(|(k, v)| ("labels", k, v)));
    for (map, key, value) in values {
        if let Some(c) = value.chars().find(|c| c.is_control()) {
            return Err(ProjectError::Invalid {
                path: path.to_string(),
                message: format!(
                    "{map}.{key} holds the control character {:?}; tenant values may not contain newlines, tabs, NUL or other control characters",
                    c
                ),
            });
        }
    }
    Ok(())
}

fn load_tenants(
    source: &dyn Source,
    environments: &BTreeMap<String, Environment>,
) -> Result<BTreeMap<String, Tenant>, ProjectError> {
    let mut tenants = BTreeMap::new();
    for id in source.subdirs("tenants")? {
        let dir = format!("tenants/{id}");
        check_name(&dir, "tenant", &id)?;
        let manifest_path = format!("{dir}/tenant.yaml");
        let text = source
            .read(&manifest_path)?
            .ok_or_else(|| ProjectError::Invalid { path: dir.clone(), message: "missing tenant.yaml".to_string() })?;
        let manifest: TenantManifest = parse_yaml(&manifest_path, &text)?;
        check_values(&manifest_path, &manifest)?;
        for env in manifest.environments.iter().flatten() {
            if !environments.contains_key(env) {
                return Err(ProjectError::Invalid {
                    path: manifest_path,
                    message: format!("unknown environment '{env}' (no environments/{env}.yaml)"),
                });
            }
        }
        let files = load_layer_files(source, &dir)?;
        tenants.insert(id.clone(), Tenant { id, manifest_path, manifest, files });
    }
    Ok(tenants)
}
