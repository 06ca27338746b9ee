//! One closed-loop check of a pair of declarative schemas, shared by the hand-written, generated
//! and real-world corpora: the SQL `commit` writes is read back by strata's own replay.

use strata::compose::replay_sql;
use strata::dialect::Dialect;
use strata::migrations::generate::{body, down_steps, up_steps};
use strata::schema::compare::differences;
use strata::schema::hash::root;
use strata::schema::parse::{parse_statements, Interpreter, Mode};
use strata::schema::{Renames, Schema};

/// A declarative schema, or the error (with its line) that refused it.
pub fn declared(dialect: Dialect, sql: &str) -> Result<Schema, String> {
    let interpreter = Interpreter { dialect, mode: Mode::Declarative };
    let mut schema = Schema::default();
    let statements = parse_statements(dialect, sql).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    for located in statements {
        interpreter.apply(&mut schema, &located.statement).map_err(|e| format!("line {}: {e}", located.line))?;
    }
    Ok(schema)
}

/// `from` moved to `to` by the migration `commit` writes, read back; `Ok(None)` when the planner
/// declares the direction irreversible (its down file then says so).
fn moved(dialect: Dialect, label: &str, from: &Schema, to: &Schema, renames: &Renames) -> Result<(), String> {
    let steps = up_steps(dialect, from, to, renames).map_err(|e| format!("{label}: cannot plan: {e}"))?;
    let sql = body(dialect, &steps);
    let replayed = replay_sql(dialect, from.clone(), label, &sql).map_err(|e| format!("{e}\n--- {label}:\n{sql}"))?;
    if root(&replayed) == root(to) {
        return Ok(());
    }
    Err(format!("{label} read back differs:\n  {}\n--- {label}:\n{sql}", differences(&replayed, to).join("\n  ")))
}

/// Create A, up to B, down to A, each read back by replay and compared.
pub fn check_pair(dialect: Dialect, a_sql: &str, b_sql: &str) -> Result<(), String> {
    check_pair_with(dialect, a_sql, b_sql, &Renames::default())
}

pub fn check_pair_with(dialect: Dialect, a_sql: &str, b_sql: &str, renames: &Renames) -> Result<(), String> {
    let a = declared(dialect, a_sql).map_err(|e| format!("A: {e}"))?;
    let b = declared(dialect, b_sql).map_err(|e| format!("B: {e}"))?;
    moved(dialect, "create A", &Schema::default(), &a, &Renames::default())?;
    moved(dialect, "up", &a, &b, renames)?;
    // A planner may refuse a reverse it cannot do safely; commit writes an irreversible down then.
    match down_steps(dialect, &a, &b, renames) {
        Err(e) if e.to_string().contains("by hand") => Ok(()),
        _ => moved(dialect, "down", &b, &a, &renames.reversed()),
    }
}
