//! Reading one PostgreSQL schema into the model. The catalog's own renderings
//! (`format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`) are assembled into
//! DDL and read through the project's interpreter, so normalisation happens in one place (names
//! PostgreSQL chose itself read back as "unnamed", see `normalize_table`).

use std::collections::BTreeMap;

use sqlx::postgres::PgConnection;
use sqlx::Row;

use crate::dialect::{Dialect, InspectError, INTERNAL_TABLES};
use crate::schema::parse::{parse_statements, Interpreter, Mode};
use crate::schema::Schema;

const D: Dialect = Dialect::Postgres;

const COLUMNS: &str = "SELECT c.relname AS table_name, a.attname AS name, \
    format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null, \
    pg_get_expr(d.adbin, d.adrelid) AS default_expr, a.attidentity::text AS identity, a.attgenerated::text AS generated \
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY c.relname, a.attnum";

const CONSTRAINTS: &str = "SELECT c.relname AS table_name, con.conname AS name, pg_get_constraintdef(con.oid) AS def \
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'c', 'f') ORDER BY c.relname, con.conname";

/// Indexes that do not back a primary key, unique or exclusion constraint (those are constraints).
const INDEXES: &str = "SELECT c.relname AS table_name, pg_get_indexdef(i.indexrelid) AS def \
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint con \
      WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')) \
    ORDER BY c.relname, 2";

fn query_error(e: sqlx::Error) -> InspectError {
    InspectError::Query(e.to_string())
}

pub async fn inspect(conn: &mut PgConnection, schema_name: &str) -> Result<Schema, InspectError> {
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in sqlx::query(COLUMNS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let table: String = row.get("table_name");
        let name: String = row.get("name");
        let identity: String = row.get("identity");
        let generated: String = row.get("generated");
        if !identity.is_empty() || !generated.is_empty() {
            return Err(InspectError::Unsupported { object: format!("identity or generated column {table}.{name}") });
        }
        let mut data_type: String = row.get("data_type");
        let mut default: Option<String> = row.get("default_expr");
        // A serial column is an integer whose default is its own sequence.
        if default.as_deref().is_some_and(|d| d.starts_with("nextval(") && d.contains(&format!("{table}_{name}_seq'")))
        {
            data_type = match data_type.as_str() {
                "integer" => "serial".to_string(),
                "bigint" => "bigserial".to_string(),
                "smallint" => "smallserial".to_string(),
                other => other.to_string(),
            };
            default = None;
        }
        let mut column = format!("{} {data_type}", D.quote_ident(&name));
        if row.get::<bool, _>("not_null") {
            column.push_str(" NOT NULL");
        }
        if let Some(default) = default {
            column.push_str(&format!(" DEFAULT {default}"));
        }
        tables.entry(table).or_default().push(column);
    }
    let mut ddl = Vec::new();
    for (table, columns) in &tables {
        if !INTERNAL_TABLES.contains(&table.as_str()) {
            ddl.push((
                format!("table {table}"),
                format!("CREATE TABLE {} ({})", D.quote_ident(table), columns.join(", ")),
            ));
        }
    }
    for row in sqlx::query(CONSTRAINTS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (table, name, def): (String, String, String) = (row.get("table_name"), row.get("name"), row.get("def"));
        if !INTERNAL_TABLES.contains(&table.as_str()) {
            let sql = format!("ALTER TABLE {} ADD CONSTRAINT {} {def}", D.quote_ident(&table), D.quote_ident(&name));
            ddl.push((format!("constraint {name} on {table}"), sql));
        }
    }
    for row in sqlx::query(INDEXES).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (table, def): (String, String) = (row.get("table_name"), row.get("def"));
        if !INTERNAL_TABLES.contains(&table.as_str()) {
            ddl.push((format!("index on {table}"), def));
        }
    }
    let interpreter = Interpreter { dialect: D, mode: Mode::Declarative };
    let mut schema = Schema::default();
    for (object, sql) in ddl {
        let invalid = |message: String| InspectError::Parse { object: object.clone(), message };
        for located in parse_statements(D, &sql).map_err(|e| invalid(e.message))? {
            interpreter.apply(&mut schema, &located.statement).map_err(|e| invalid(e.to_string()))?;
        }
    }
    Ok(schema)
}
