//! Reading one MySQL/MariaDB database into the model: `SHOW CREATE TABLE` is the engine's own
//! complete rendering of a table, read through the project's interpreter so that normalisation
//! happens in one place.

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use crate::catalog::{column, query_error, read_definition};
use crate::{Dialect, InspectError, INTERNAL_TABLES};
use strata_schema::interpret::{Interpreter, Mode};
use strata_schema::Schema;

const D: Dialect = Dialect::Mysql;

pub async fn inspect(conn: &mut MySqlConnection, database: &str) -> Result<Schema, InspectError> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    )
    .bind(database)
    .fetch_all(&mut *conn)
    .await
    .map_err(query_error)?;
    let interpreter = Interpreter::new(crate::engine(D), Mode::Declarative);
    let mut schema = Schema::default();
    // Tables first, in name order; the interpreter checks no references, so order does not matter.
    for table in tables.iter().filter(|t| !INTERNAL_TABLES.contains(&t.as_str())) {
        let row = sqlx::query(&format!("SHOW CREATE TABLE {}.{}", D.quote_ident(database), D.quote_ident(table)))
            .fetch_one(&mut *conn)
            .await
            .map_err(query_error)?;
        let ddl: String = match row.try_get::<String, _>(1) {
            Ok(text) => text,
            Err(_) => String::from_utf8_lossy(&row.try_get::<Vec<u8>, _>(1).map_err(query_error)?).into_owned(),
        };
        read_definition(&interpreter, &mut schema, &format!("table {table}"), &ddl)?;
    }
    let views = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS name, CAST(VIEW_DEFINITION AS CHAR) AS query FROM information_schema.VIEWS \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
    )
    .bind(database)
    .fetch_all(&mut *conn)
    .await
    .map_err(query_error)?;
    for row in views {
        let (name, query): (String, String) = (column(&row, "name")?, column(&row, "query")?);
        // information_schema qualifies every column with the database; tenant-local, it says nothing.
        let query = query.replace(&format!("{}.", D.quote_ident(database)), "");
        let ddl = format!("CREATE VIEW {} AS {query}", D.quote_ident(&name));
        read_definition(&interpreter, &mut schema, &format!("view {name}"), &ddl)?;
    }
    Ok(schema)
}
