//! The schema engine's round trip on a real engine, shared by the hand-written and the generated
//! corpus.

use strata::dialect::plan::plan;
use strata::dialect::Dialect;
use strata::schema::hash::root;
use strata::schema::{diff, Schema};

use super::engines::Scratch;

pub fn parse(dialect: Dialect, sql: &str) -> Schema {
    super::closed_loop::declared(dialect, sql).unwrap_or_else(|e| panic!("{e}"))
}

pub fn migration(dialect: Dialect, from: &Schema, to: &Schema) -> Result<String, String> {
    let steps = plan(dialect, &diff(from, to)).map_err(|e| e.to_string())?;
    Ok(steps.iter().map(|s| s.sql.clone()).collect::<Vec<_>>().join("\n"))
}

pub fn same(label: &str, name: &str, actual: &Schema, expected: &Schema) -> Result<(), String> {
    if root(actual) == root(expected) {
        Ok(())
    } else {
        let lines = strata::schema::compare::differences(actual, expected);
        Err(format!("{name}: {label}: introspected schema differs:\n  {}", lines.join("\n  ")))
    }
}

/// On `raw`: A as written, introspected, equals parse(A). On `db`: A as strata creates it (the
/// way tenant databases come to be), then up to B and down to A, each introspected and compared.
pub async fn round_trip(
    raw: &mut Scratch,
    db: &mut Scratch,
    dialect: Dialect,
    name: &str,
    a_sql: &str,
    b_sql: &str,
) -> Result<(), String> {
    let (a, b) = (parse(dialect, a_sql), parse(dialect, b_sql));
    raw.run(a_sql).await.map_err(|e| format!("{name}: raw A: {e}"))?;
    same("raw A", name, &raw.inspect().await, &a)?;
    db.run(&migration(dialect, &Schema::default(), &a)?).await.map_err(|e| format!("{name}: create A: {e}"))?;
    same("create A", name, &db.inspect().await, &a)?;
    // A direction the planner refuses as hand work (commit says so) ends the trip there.
    let up = match migration(dialect, &a, &b) {
        Err(e) if e.contains("by hand") => return Ok(()),
        up => up?,
    };
    db.run(&up).await.map_err(|e| format!("{name}: up: {e}"))?;
    same("up", name, &db.inspect().await, &b)?;
    let down = match migration(dialect, &b, &a) {
        Err(e) if e.contains("by hand") => return Ok(()),
        down => down?,
    };
    db.run(&down).await.map_err(|e| format!("{name}: down: {e}"))?;
    same("down", name, &db.inspect().await, &a)
}
