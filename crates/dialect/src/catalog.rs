//! What every inspector shares: reading a catalog row's column without panicking on a catalog
//! that differs from the one the queries were written for, and reading a rendered definition
//! through the project's interpreter, so that normalisation happens in one place.

use sqlx::{ColumnIndex, Decode, Row, Type};
use strata_schema::interpret::Interpreter;
use strata_schema::parse::parse_statements;
use strata_schema::Schema;

use crate::InspectError;

/// The value of `column` in a catalog row; a missing column or a type the catalog changed is an
/// error naming the column, never a panic.
pub fn column<'r, R, T>(row: &'r R, column: &str) -> Result<T, InspectError>
where
    R: Row,
    T: Decode<'r, R::Database> + Type<R::Database>,
    for<'a> &'a str: ColumnIndex<R>,
{
    row.try_get(column).map_err(|source| InspectError::Column { column: column.to_string(), source })
}

pub fn query_error(e: sqlx::Error) -> InspectError {
    InspectError::Query(e)
}

/// Applies the definition `sql` of `object` (e.g. "table film") to the model.
pub fn read_definition(
    interpreter: &Interpreter,
    schema: &mut Schema,
    object: &str,
    sql: &str,
) -> Result<(), InspectError> {
    let invalid = |message: String| InspectError::Parse { object: object.to_string(), message };
    for located in parse_statements(interpreter.dialect, sql).map_err(|e| invalid(e.message))? {
        interpreter.apply(schema, &located.statement).map_err(|e| invalid(e.to_string()))?;
    }
    Ok(())
}
