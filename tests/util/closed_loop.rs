//! One closed-loop check of a pair of declarative schemas, shared by the hand-written, generated
//! and real-world corpora: the SQL `commit` writes is read back by strata's own replay.

use strata::compose::replay_sql;
use strata::dialect::Dialect;
use strata::migrations::generate::{body, down_steps, up_steps};
use strata::schema::compare::differences;
use strata::schema::hash::root;
use strata::schema::interpret::{Interpreter, Mode};
use strata::schema::parse::parse_statements;
use strata::schema::{Renames, Schema};

/// A declarative schema, or the error (with its line) that refused it.
pub fn declared(dialect: Dialect, sql: &str) -> Result<Schema, String> {
    let interpreter = Interpreter::new(strata::dialect::engine(dialect), Mode::Declarative);
    let mut schema = Schema::default();
    let statements = parse_statements(dialect, sql).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    for located in statements {
        interpreter.apply(&mut schema, &located.statement).map_err(|e| format!("line {}: {e}", located.line))?;
    }
    Ok(schema)
}

/// How a pair went: the loop closed, or the planner refused a direction as hand work (removing an
/// enum label, turning auto-increment on or off), which `commit` reports instead of guessing.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Closed,
    Refused(String),
}

/// `from` moved to `to` by the migration `commit` writes, read back.
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
pub fn check_pair(dialect: Dialect, a_sql: &str, b_sql: &str) -> Result<Outcome, String> {
    check_pair_with(dialect, a_sql, b_sql, &Renames::default())
}

pub fn check_pair_with(dialect: Dialect, a_sql: &str, b_sql: &str, renames: &Renames) -> Result<Outcome, String> {
    let a = declared(dialect, a_sql).map_err(|e| format!("A: {e}"))?;
    let b = declared(dialect, b_sql).map_err(|e| format!("B: {e}"))?;
    moved(dialect, "create A", &Schema::default(), &a, &Renames::default())?;
    // A planner may refuse a change it cannot make safely: commit then says so (up), or writes an
    // irreversible down file. Any other planning error is a failure.
    let hand_work = |e: strata::dialect::plan::PlanError| {
        let text = e.to_string();
        if text.contains("by hand") {
            Ok(Outcome::Refused(text))
        } else {
            Err(text)
        }
    };
    let up = up_steps(dialect, &a, &b, renames);
    if up.is_ok() {
        moved(dialect, "up", &a, &b, renames)?;
    }
    let down = down_steps(dialect, &a, &b, renames);
    if down.is_ok() {
        moved(dialect, "down", &b, &a, &renames.reversed())?;
    }
    match (up, down) {
        (Err(e), _) | (_, Err(e)) => hand_work(e),
        _ => Ok(Outcome::Closed),
    }
}
