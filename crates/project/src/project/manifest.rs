//! The YAML files of a repository (DESIGN §1) as serde types. Unknown fields are rejected so that a
//! typo (`requieres:`) is an error instead of a silently ignored setting.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use strata_core::Dialect;
use strata_schema::Renames;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    pub name: String,
    #[schemars(schema_with = "super::json_schema::dialect")]
    pub dialect: Dialect,
    #[serde(default)]
    pub lint: LintPolicy,
    /// PostgreSQL: build new indexes on existing tables `CONCURRENTLY` and add foreign keys and
    /// checks to them `NOT VALID` + `VALIDATE CONSTRAINT`, in a `no-transaction` migration after
    /// the rest, so writes are not blocked while a table is read.
    #[serde(default)]
    pub online: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LintLevel {
    Error,
    Warn,
    Allow,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintPolicy {
    #[serde(default = "LintPolicy::default_destructive")]
    pub destructive: LintLevel,
    #[serde(default = "LintPolicy::default_rewrite")]
    pub rewrite: LintLevel,
    /// Dump tools' session and ownership statements in schema files (`SET`, `OWNER TO`, `GRANT`
    /// ...): `warn` ignores them and says so once, `allow` ignores them silently, `error` refuses.
    #[serde(default = "LintPolicy::default_session_statements")]
    pub session_statements: LintLevel,
}

impl LintPolicy {
    fn default_destructive() -> LintLevel {
        LintLevel::Error
    }
    fn default_rewrite() -> LintLevel {
        LintLevel::Warn
    }
    fn default_session_statements() -> LintLevel {
        LintLevel::Warn
    }
}

impl Default for LintPolicy {
    fn default() -> Self {
        Self {
            destructive: Self::default_destructive(),
            rewrite: Self::default_rewrite(),
            session_statements: Self::default_session_statements(),
        }
    }
}

/// `module.yaml`, and the shared part of `template.yaml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerManifest {
    pub name: String,
    pub version: semver::Version,
    #[serde(default)]
    pub description: String,
    /// Modules every tenant of a template gets; only valid in template.yaml.
    #[serde(default)]
    pub modules: Vec<String>,
    /// module name (or `template.<name>`) -> semver range
    #[serde(default)]
    #[schemars(schema_with = "super::json_schema::ranges")]
    pub requires: BTreeMap<String, semver::VersionReq>,
    #[serde(default)]
    pub conflicts: Vec<String>,
    /// Renames this layer's next migration makes instead of drop + create (never guessed).
    #[serde(default)]
    #[schemars(schema_with = "super::json_schema::renames")]
    pub renames: Renames,
}

/// A tenant names its modules as a list (newest allowed) or as a map of version ranges. An input
/// that is neither is said in those words, not as serde's "did not match any variant of untagged
/// enum ModuleSelection".
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "`modules:` takes a list of module names ([donations, events]) or a map of module names to version ranges ({ donations: \"^1\" })"
)]
pub enum ModuleSelection {
    List(Vec<String>),
    Ranges(#[schemars(schema_with = "super::json_schema::ranges")] BTreeMap<String, semver::VersionReq>),
}

impl Default for ModuleSelection {
    fn default() -> Self {
        ModuleSelection::List(Vec::new())
    }
}

impl ModuleSelection {
    /// Module name and the range the tenant allows (`*` for the list form).
    pub fn entries(&self) -> Vec<(String, semver::VersionReq)> {
        match self {
            ModuleSelection::List(names) => names.iter().map(|n| (n.clone(), semver::VersionReq::STAR)).collect(),
            ModuleSelection::Ranges(map) => map.iter().map(|(n, r)| (n.clone(), r.clone())).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    #[default]
    Active,
    Inactive,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantManifest {
    pub template: String,
    #[serde(default)]
    pub modules: ModuleSelection,
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `None`: every environment.
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    #[serde(default)]
    pub status: TenantStatus,
    /// Renames of the tenant's own overlay objects.
    #[serde(default)]
    #[schemars(schema_with = "super::json_schema::renames")]
    pub renames: Renames,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// One server, one schema (PostgreSQL) or database (MySQL) per tenant.
    Schema,
    /// One database per tenant (for SQLite: one file).
    Database,
}

/// Which tenants an environment holds: `"*"`, a list of ids, or `{ labels: {...} }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged, expecting = "`tenants:` takes \"*\", a list of tenant ids or { labels: { key: value } }")]
pub enum TenantSelector {
    All(String),
    Ids(Vec<String>),
    Labels(LabelSelector),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelSelector {
    pub labels: BTreeMap<String, String>,
}

impl Default for TenantSelector {
    fn default() -> Self {
        TenantSelector::All("*".to_string())
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentManifest {
    /// `${VAR}` references only; optional for SQLite, whose `target` is a file path.
    #[serde(default)]
    pub url: Option<String>,
    pub isolation: Isolation,
    /// Schema / database name template, or for SQLite a file path template relative to the repository.
    pub target: String,
    #[serde(default)]
    pub tenants: TenantSelector,
    #[serde(default)]
    pub create_missing: bool,
    #[serde(default)]
    pub rollout: Rollout,
    #[serde(default)]
    #[schemars(schema_with = "super::json_schema::timeouts")]
    pub timeouts: strata_core::duration::Timeouts,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub concurrency: Option<usize>,
    #[serde(default)]
    pub max_failures: Option<usize>,
    #[serde(default)]
    pub waves: Vec<Wave>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    #[serde(default)]
    pub tenants: Option<Vec<String>>,
    #[serde(default)]
    pub percent: Option<u8>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
}

/// `patches/*.yaml`: structured overlay changes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchFile {
    #[schemars(with = "Vec<Patch>")]
    pub patches: Vec<serde_saphyr::Spanned<Patch>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Patch {
    AddColumn(AddColumnPatch),
    AddIndex(AddIndexPatch),
    AddCheck(AddCheckPatch),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddColumnPatch {
    pub table: String,
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default = "default_true")]
    pub nullable: bool,
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddIndexPatch {
    pub table: String,
    pub columns: Vec<String>,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCheckPatch {
    pub table: String,
    pub name: String,
    pub expr: String,
}

fn default_true() -> bool {
    true
}

/// One entry of `migrations/<kind>/<name>/releases.yaml` (DESIGN §3): a released version of a
/// template or module, the last migration it includes, and that version's requires / conflicts.
/// Append-only; a released version never changes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub version: semver::Version,
    pub upto: u32,
    #[serde(default)]
    pub requires: BTreeMap<String, semver::VersionReq>,
    #[serde(default)]
    pub conflicts: Vec<String>,
}
