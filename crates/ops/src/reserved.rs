//! Schemas and databases a tenant may not be migrated into: the engine's own (PostgreSQL's
//! `pg_*` and `information_schema`, MySQL's `mysql`, `sys`, `information_schema`,
//! `performance_schema`), and the ones every user of the server shares (PostgreSQL's `public`
//! schema and `postgres` database), which a tenant's name or value must not pick: `prune` and
//! `rollback` act on a tenant's whole schema. An environment that names a shared one in its own
//! text (`target: public`, one tenant) means it, and may.

use strata_core::Dialect;
use strata_project::project::Isolation;

/// Why `name`, the schema or database a tenant's target renders to, is not the tenant's to use.
/// `literal`: the environment wrote it as is, with no tenant value in it.
pub fn refused_target(dialect: Dialect, isolation: Isolation, name: &str, literal: bool) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    match (dialect, isolation) {
        (Dialect::Postgres, Isolation::Schema) if lower.starts_with("pg_") || lower == "information_schema" => {
            Some("is a system schema of PostgreSQL".to_string())
        }
        (Dialect::Postgres, Isolation::Schema) if lower == "public" && !literal => Some(shared("schema")),
        (Dialect::Mysql, _)
            if matches!(lower.as_str(), "mysql" | "sys" | "information_schema" | "performance_schema") =>
        {
            Some("is a system database of MySQL/MariaDB".to_string())
        }
        _ => None,
    }
}

/// Why `database`, the database a tenant's PostgreSQL URL names, is not the tenant's to use.
pub fn refused_database(database: &str, literal: bool) -> Option<String> {
    match database {
        "template0" | "template1" => Some("is a template database of PostgreSQL".to_string()),
        "postgres" if !literal => Some(shared("database")),
        _ => None,
    }
}

fn shared(what: &str) -> String {
    format!(
        "is the {what} every user of the server shares; a tenant value may not pick it (write it in the environment file itself if one tenant is meant to live there)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_schemas_are_refused_and_shared_ones_only_when_a_value_picks_them() {
        let pg = |name: &str, literal: bool| refused_target(Dialect::Postgres, Isolation::Schema, name, literal);
        assert!(pg("pg_catalog", true).is_some() && pg("PG_toast", false).is_some());
        assert!(pg("information_schema", true).is_some());
        assert!(pg("public", false).is_some() && pg("public", true).is_none());
        assert!(pg("tenant_public", false).is_none());
        let my = |name: &str| refused_target(Dialect::Mysql, Isolation::Schema, name, true);
        assert!(my("mysql").is_some() && my("SYS").is_some() && my("performance_schema").is_some());
        assert!(my("public").is_none());
        assert!(refused_database("template1", true).is_some());
        assert!(refused_database("postgres", false).is_some() && refused_database("postgres", true).is_none());
    }
}
