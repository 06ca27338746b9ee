//! `strata inspect`: a live schema written as SQL files a template's `schema/` can hold — the usual
//! first step of a team with a running product ("the production schema is the template"). The
//! database is read into the model by the engine's inspector and written back by the same planner
//! `commit` uses, so what it writes is what strata reads and applies: one file per table (with its
//! indexes, constraints and comments), and per type, sequence, view, function and trigger, numbered
//! in an order that loads.

use std::time::Duration;

use crate::Error;
use strata_core::duration::Timeouts;
use strata_core::Dialect;
use strata_db::session::Session;
use strata_db::tenant::{Target, TenantDb};
use strata_schema::diff::{diff, Change};
use strata_schema::Schema;

/// Where to read a schema.
#[derive(Debug, Clone)]
pub struct InspectOptions {
    /// A server URL (`${VAR}` references are expanded), or a SQLite file (`sqlite://path` or a path).
    pub url: String,
    /// PostgreSQL: the schema to read (default `public`).
    pub schema: Option<String>,
    /// MySQL: the database to read (default: the URL's).
    pub database: Option<String>,
    /// The engine, when the URL does not say.
    pub dialect: Option<Dialect>,
}

/// One file of the written schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaFile {
    /// `003_table_members.sql`
    pub name: String,
    pub sql: String,
}

/// Reads the live schema `options` names and writes it as files.
pub async fn inspect(options: &InspectOptions) -> Result<(Dialect, Vec<SchemaFile>), Error> {
    let url = strata_core::url::expand(&options.url).map_err(|m| Error::Usage(format!("--url: {m}")))?;
    let dialect = match options.dialect {
        Some(dialect) => dialect,
        None => dialect_of(&url).ok_or_else(|| {
            Error::Usage("--url: say which engine (postgres://, mysql://, sqlite://) or give --dialect".to_string())
        })?,
    };
    strata_core::url::check_scheme(dialect, &url).map_err(|m| Error::Usage(format!("--url {m}")))?;
    let misplaced = match dialect {
        Dialect::Postgres => {
            options.database.as_ref().map(|_| "--database is for MySQL; PostgreSQL reads a schema: --schema S")
        }
        Dialect::Mysql => options
            .schema
            .as_ref()
            .map(|_| "--schema is for PostgreSQL; MySQL reads a database: --database D, or name it in --url"),
        Dialect::Sqlite => (options.schema.is_some() || options.database.is_some())
            .then_some("SQLite reads the whole file: no --schema or --database"),
    };
    if let Some(message) = misplaced {
        return Err(Error::Usage(message.to_string()));
    }
    let target = target(dialect, &url, options)?;
    let session = Session::new(Timeouts::default(), Duration::from_secs(30));
    let Some(mut db) = TenantDb::open(&target, false, &session).await? else {
        return Err(Error::Usage(format!("{} does not exist", target.label())));
    };
    let schema = db.inspect().await;
    db.release().await;
    let files = files(dialect, &schema?)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{} holds no table, view, type or function: nothing to inspect",
            target.label()
        )));
    }
    Ok((dialect, files))
}

/// The engine a URL names by its scheme; a path is a SQLite file.
fn dialect_of(url: &str) -> Option<Dialect> {
    match url.split_once("://").map(|(scheme, _)| scheme) {
        Some("postgres" | "postgresql") => Some(Dialect::Postgres),
        Some("mysql" | "mariadb") => Some(Dialect::Mysql),
        Some("sqlite") | None => Some(Dialect::Sqlite),
        Some(_) => None,
    }
}

fn target(dialect: Dialect, url: &str, options: &InspectOptions) -> Result<Target, Error> {
    Ok(match dialect {
        Dialect::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Target::SqliteFile(path.into())
        }
        Dialect::Postgres => {
            let schema = options.schema.clone().unwrap_or_else(|| "public".to_string());
            Target::Postgres { url: url.to_string(), label: format!("schema {schema}"), schema: Some(schema) }
        }
        Dialect::Mysql => {
            let from_url = url.rsplit_once('/').map(|(_, db)| db.split('?').next().unwrap_or(db).to_string());
            let database = options
                .database
                .clone()
                .or(from_url)
                .filter(|d| !d.is_empty())
                .ok_or_else(|| Error::Usage("--url names no database; give --database".to_string()))?;
            Target::Mysql { url: url.to_string(), label: format!("database {database}"), database }
        }
    })
}

/// `schema` as files: the changes that create it from nothing, in the order the differ sorts them,
/// one file per object; an object met again later (a foreign key closing a cycle) gets a file of
/// its own at that point, so that the files load in order.
pub fn files(dialect: Dialect, schema: &Schema) -> Result<Vec<SchemaFile>, Error> {
    let planner = strata_dialect::planner(dialect);
    let mut files: Vec<(String, SchemaFile)> = Vec::new();
    for change in diff(&Schema::default(), schema) {
        let subject = subject(&change);
        let steps = planner.steps(&change).map_err(strata_migrations::generate::GenerateError::from)?;
        let sql = steps.iter().map(|step| step.sql.trim_end().to_string()).collect::<Vec<_>>().join("\n");
        match files.last_mut() {
            Some((last, file)) if *last == subject => {
                file.sql.push('\n');
                file.sql.push_str(&sql);
                file.sql.push('\n');
            }
            _ => {
                let name = format!("{:03}_{}.sql", files.len() + 1, file_name(&subject));
                files.push((subject, SchemaFile { name, sql: format!("{sql}\n") }));
            }
        }
    }
    Ok(files.into_iter().map(|(_, file)| file).collect())
}

/// What a change is about, as `kind name` (a table's file holds its indexes and constraints).
fn subject(change: &Change) -> String {
    match change {
        Change::CreateTable(table) | Change::DropTable(table) => format!("table {}", table.name),
        Change::AlterTable { to, .. } => format!("table {}", to.name),
        Change::RenameTable { to, .. } => format!("table {to}"),
        Change::RenameColumn { table, .. } => format!("table {table}"),
        Change::CreateEnum { name, .. } | Change::DropEnum { name, .. } | Change::AlterEnum { name, .. } => {
            format!("type {name}")
        }
        Change::CreateSequence(sequence) | Change::DropSequence(sequence) => format!("sequence {}", sequence.name),
        Change::AlterSequence { to, .. } => format!("sequence {}", to.name),
        Change::CreateView(view) | Change::DropView(view) => format!("view {}", view.name),
        Change::CreateExtension(name) | Change::DropExtension(name) => format!("extension {name}"),
        Change::CreateDomain(domain) | Change::DropDomain(domain) => format!("domain {}", domain.name),
        Change::AlterDomain { to, .. } => format!("domain {}", to.name),
        Change::CreateAggregate(aggregate) | Change::DropAggregate(aggregate) => {
            format!("aggregate {}", aggregate.name)
        }
        Change::CreateFunction(function) | Change::DropFunction(function) | Change::ReplaceFunction(function) => {
            format!("function {}", function.name)
        }
        Change::CreateTrigger(trigger) | Change::DropTrigger(trigger) => {
            format!("trigger {} on {}", trigger.name, trigger.table)
        }
        Change::CreateStatistics(statistics) | Change::DropStatistics(statistics) => {
            format!("statistics {}", statistics.name)
        }
    }
}

/// `table Order Items` → `table_order_items`: names a file system takes anywhere.
fn file_name(subject: &str) -> String {
    let name: String =
        subject.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    name.split('_').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_and_urls_say_their_engine() {
        assert_eq!(file_name("table Order Items"), "table_order_items");
        assert_eq!(file_name("trigger members_touch on members"), "trigger_members_touch_on_members");
        assert_eq!(dialect_of("postgresql://db/x"), Some(Dialect::Postgres));
        assert_eq!(dialect_of("mariadb://db/x"), Some(Dialect::Mysql));
        assert_eq!(dialect_of("tenants/a.db"), Some(Dialect::Sqlite));
        assert_eq!(dialect_of("oracle://db"), None);
    }
}
