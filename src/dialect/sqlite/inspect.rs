//! Reading a live SQLite database into the model. SQLite keeps every table's and index's DDL in
//! `sqlite_master` (rewritten by ALTER TABLE as the schema changes), and that text is the only
//! place CHECK constraints survive; so the stored DDL is read through the same interpreter as the
//! project's files, and normalisation happens in one place.

use sqlx::sqlite::SqliteConnection;
use sqlx::Row;

use crate::dialect::{Dialect, InspectError, INTERNAL_TABLES};
use crate::schema::parse::{parse_statements, Interpreter, Mode};
use crate::schema::Schema;

pub async fn inspect(conn: &mut SqliteConnection) -> Result<Schema, InspectError> {
    let rows = sqlx::query(
        "SELECT type, name, tbl_name, sql FROM sqlite_master \
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
         ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid",
    )
    .fetch_all(conn)
    .await
    .map_err(|e| InspectError::Query(e.to_string()))?;
    let interpreter = Interpreter { dialect: Dialect::Sqlite, mode: Mode::Declarative };
    let mut schema = Schema::default();
    for row in rows {
        let (kind, name, table, sql): (String, String, String, String) =
            (row.get("type"), row.get("name"), row.get("tbl_name"), row.get("sql"));
        if INTERNAL_TABLES.contains(&table.as_str()) {
            continue;
        }
        if !matches!(kind.as_str(), "table" | "index" | "view") {
            return Err(InspectError::Unsupported { object: format!("{kind} {name}") });
        }
        let invalid = |message: String| InspectError::Parse { object: format!("{kind} {name}"), message };
        for located in parse_statements(Dialect::Sqlite, &sql).map_err(|e| invalid(e.message))? {
            interpreter.apply(&mut schema, &located.statement).map_err(|e| invalid(e.to_string()))?;
        }
    }
    Ok(schema)
}
