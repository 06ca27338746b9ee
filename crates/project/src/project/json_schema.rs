//! JSON Schemas of the repository's YAML files, generated from the serde types that read them, so
//! an editor (yaml-language-server) completes and checks exactly what `strata` accepts. Types of
//! other crates (the dialect, renames, timeouts) are described here rather than making the schema
//! model depend on schemars.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use super::manifest::{EnvironmentManifest, LayerManifest, PatchFile, ProjectConfig, TenantManifest};

/// Where `strata init` and `strata schemas` put the schemas in a repository; the YAML files'
/// `# yaml-language-server: $schema=` lines point here.
pub const SCHEMA_DIR: &str = ".schemas";

/// One schema file: its name, the YAML files it describes (as globs), and the schema.
pub struct SchemaFile {
    pub name: &'static str,
    pub describes: &'static str,
    pub schema: serde_json::Value,
}

/// Every schema, in a fixed order.
pub fn schema_files() -> Vec<SchemaFile> {
    vec![
        file::<ProjectConfig>("strata.json", "strata.yaml"),
        file::<LayerManifest>("layer.json", "templates/*/template.yaml, modules/*/module.yaml"),
        file::<TenantManifest>("tenant.json", "tenants/*/tenant.yaml"),
        file::<EnvironmentManifest>("environment.json", "environments/*.yaml"),
        file::<PatchFile>("patches.json", "*/patches/*.yaml"),
    ]
}

fn file<T: JsonSchema>(name: &'static str, describes: &'static str) -> SchemaFile {
    let mut schema = schemars::schema_for!(T);
    schema.insert("description".into(), format!("strata: {describes}").into());
    SchemaFile { name, describes, schema: schema.to_value() }
}

/// The schema (by file name) for a YAML file at `path` in a repository, if strata reads it.
pub fn schema_of(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["strata.yaml"] => Some("strata.json"),
        ["templates", _, "template.yaml"] | ["modules", _, "module.yaml"] => Some("layer.json"),
        ["tenants", _, "tenant.yaml"] => Some("tenant.json"),
        ["environments", file] if file.ends_with(".yaml") => Some("environment.json"),
        [.., "patches", file] if file.ends_with(".yaml") => Some("patches.json"),
        _ => None,
    }
}

/// The line that points an editor at the schema of the YAML file at `path` (relative to the
/// repository), or `None` for files strata does not read.
pub fn modeline(path: &str) -> Option<String> {
    let schema = schema_of(path)?;
    let up = "../".repeat(path.matches('/').count());
    Some(format!("# yaml-language-server: $schema={up}{SCHEMA_DIR}/{schema}\n"))
}

pub(super) fn dialect(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "description": "the SQL dialect of every tenant", "enum": ["sqlite", "postgres", "mysql"] })
}

/// Names to semver ranges as written in YAML (`membership: ">=1.0, <2"`).
pub(super) fn ranges(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "additionalProperties": { "type": "string", "description": "a semver range: \">=1.0, <2\", \"^1.2\", \"~1.0\", \"*\"" }
    })
}

pub(super) fn renames(_: &mut SchemaGenerator) -> Schema {
    let names = json_schema!({ "type": "object", "additionalProperties": { "type": "string" } });
    json_schema!({
        "description": "renames the next migration makes instead of drop + create (never guessed)",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "tables": { "description": "old table name -> new", "type": "object", "additionalProperties": { "type": "string" } },
            "columns": { "description": "table (by its new name) -> old column name -> new", "type": "object", "additionalProperties": names }
        }
    })
}

pub(super) fn timeouts(_: &mut SchemaGenerator) -> Schema {
    let duration = json_schema!({
        "description": "a duration: 250ms, 5s, 10min, 2h, or a number of seconds",
        "anyOf": [
            { "type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*(ms|s|sec|m|min|h)?\\s*$" },
            { "type": "number", "minimum": 0 }
        ]
    });
    json_schema!({
        "description": "how long strata waits on the server",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "connect": duration.clone(),
            "statement": duration.clone(),
            "lock": duration
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_yaml_file_strata_reads_has_a_schema() {
        for (path, schema) in [
            ("strata.yaml", "strata.json"),
            ("templates/party/template.yaml", "layer.json"),
            ("modules/events/module.yaml", "layer.json"),
            ("tenants/demo/tenant.yaml", "tenant.json"),
            ("environments/local.yaml", "environment.json"),
            ("tenants/demo/patches/01.yaml", "patches.json"),
        ] {
            assert_eq!(schema_of(path), Some(schema), "{path}");
        }
        assert_eq!(schema_of("migrations/modules/events/releases.yaml"), None);
        let names: Vec<&str> = schema_files().iter().map(|f| f.name).collect();
        assert_eq!(names, ["strata.json", "layer.json", "tenant.json", "environment.json", "patches.json"]);
    }

    #[test]
    fn modelines_climb_to_the_repository_root() {
        assert_eq!(modeline("strata.yaml").unwrap(), "# yaml-language-server: $schema=.schemas/strata.json\n");
        assert_eq!(
            modeline("tenants/demo/tenant.yaml").unwrap(),
            "# yaml-language-server: $schema=../../.schemas/tenant.json\n"
        );
        assert_eq!(modeline("templates/party/schema/01.sql"), None);
    }

    #[test]
    fn schemas_refuse_unknown_fields_as_the_reader_does() {
        let files = schema_files();
        let layer = &files.iter().find(|f| f.name == "layer.json").unwrap().schema;
        assert_eq!(layer["additionalProperties"], false, "{layer}");
        assert_eq!(layer["required"], serde_json::json!(["name", "version"]), "{layer}");
    }
}
