//! Reading a live SQLite database into the model. SQLite keeps every table's and index's DDL in
//! `sqlite_master` (rewritten by ALTER TABLE as the schema changes), and that text is the only
//! place CHECK constraints survive; so the stored DDL is read through the same interpreter as the
//! project's files, and normalisation happens in one place.

use sqlx::sqlite::SqliteConnection;

use crate::catalog::{column, query_error, read_definition};
use crate::{Dialect, InspectError, INTERNAL_TABLES};
use strata_schema::interpret::{Interpreter, Mode};
use strata_schema::Schema;

pub async fn inspect(conn: &mut SqliteConnection) -> Result<Schema, InspectError> {
    let rows = sqlx::query(
        "SELECT type, name, tbl_name, sql FROM sqlite_master \
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
         ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid",
    )
    .fetch_all(conn)
    .await
    .map_err(query_error)?;
    let interpreter = Interpreter::new(crate::engine(Dialect::Sqlite), Mode::Declarative);
    let mut schema = Schema::default();
    for row in rows {
        let (kind, name, table, sql): (String, String, String, String) =
            (column(&row, "type")?, column(&row, "name")?, column(&row, "tbl_name")?, column(&row, "sql")?);
        if INTERNAL_TABLES.contains(&table.as_str()) {
            continue;
        }
        if !matches!(kind.as_str(), "table" | "index" | "view") {
            return Err(InspectError::Unsupported { object: format!("{kind} {name}") });
        }
        read_definition(&interpreter, &mut schema, &format!("{kind} {name}"), &sql)?;
    }
    Ok(schema)
}
