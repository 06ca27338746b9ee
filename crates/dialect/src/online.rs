//! Online schema changes on PostgreSQL: a pass over the changes, like ordering, that takes out
//! what would hold a write-blocking lock for as long as the table is long to read. A new index on
//! an existing table is built `CONCURRENTLY`; a new foreign key or check on one is added
//! `NOT VALID` (a brief lock) and validated later (`VALIDATE CONSTRAINT` blocks no writes). The
//! online steps cannot run in a transaction: `commit` writes them as a `no-transaction`
//! migration after the rest. Other engines have no such steps: everything stays as it was.

use strata_core::Dialect;
use strata_schema::{default_constraint_name, Change, Constraint, Index, TableChange};

use crate::ddl::AlterTable;
use crate::plan::{plan, Hazard, PlanError, Step};
use crate::sql::{self, step};

/// What goes online: every new index and constraint on an existing table (`online: true` in
/// strata.yaml), or only the indexes the declared schema creates `CONCURRENTLY`.
#[derive(Debug, Clone, Copy)]
pub struct Online<'a> {
    pub everything: bool,
    /// Index names declared `CREATE INDEX CONCURRENTLY`.
    pub declared_concurrent: &'a std::collections::BTreeSet<String>,
}

/// The steps in a transaction, and the online ones after them.
#[derive(Debug, Default)]
pub struct OnlinePlan {
    pub steps: Vec<Step>,
    pub online: Vec<Step>,
    /// Indexes the online steps build, for the down file (dropped `CONCURRENTLY` too).
    pub online_indexes: Vec<String>,
}

/// Plans `changes`, taking out what `online` says goes online (PostgreSQL only).
pub fn plan_online(dialect: Dialect, changes: &[Change], online: Online<'_>) -> Result<OnlinePlan, PlanError> {
    if dialect != Dialect::Postgres {
        return Ok(OnlinePlan { steps: plan(dialect, changes)?, ..Default::default() });
    }
    let d = dialect;
    let mut result = OnlinePlan::default();
    let mut kept = Vec::new();
    for change in changes {
        let Change::AlterTable { from, to, changes: table_changes } = change else {
            kept.push(change.clone());
            continue;
        };
        let mut rest = Vec::new();
        for table_change in table_changes {
            match table_change {
                TableChange::CreateIndex(index)
                    if online.everything || online.declared_concurrent.contains(&index.name) =>
                {
                    result.online.push(concurrent_index(d, &to.name, index));
                    result.online_indexes.push(index.name.clone());
                }
                TableChange::AddConstraint(constraint @ (Constraint::ForeignKey(_) | Constraint::Check(_)))
                    if online.everything =>
                {
                    let name = constraint
                        .name()
                        .map(str::to_string)
                        .unwrap_or_else(|| default_constraint_name(to, constraint));
                    let kind = if matches!(constraint, Constraint::ForeignKey(_)) { "foreign key" } else { "check" };
                    let add = AlterTable::new(d, &to.name).add(&sql::constraint_sql(d, constraint)).statement();
                    let not_valid = format!("{} NOT VALID;", add.trim_end().trim_end_matches(';'));
                    result.steps.push(step(
                        format!("add {kind} {name} on {} (NOT VALID: rows are checked later)", to.name),
                        not_valid,
                        &[],
                    ));
                    let validate = format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", d.ident(&to.name), d.ident(&name));
                    result.online.push(step(
                        format!("validate {kind} {name} on {} (online)", to.name),
                        validate,
                        &[Hazard::DataDependent],
                    ));
                }
                other => rest.push(other.clone()),
            }
        }
        if !rest.is_empty() {
            kept.push(Change::AlterTable { from: from.clone(), to: to.clone(), changes: rest });
        }
    }
    let mut steps = plan(dialect, &kept)?;
    steps.append(&mut result.steps);
    result.steps = steps;
    Ok(result)
}

/// `CREATE [UNIQUE] INDEX CONCURRENTLY`: writes go on while it builds; a unique one still depends
/// on the rows.
fn concurrent_index(d: Dialect, table: &str, index: &Index) -> Step {
    let sql = sql::create_index_sql(d, table, index);
    let sql = sql.replacen(" INDEX ", " INDEX CONCURRENTLY ", 1);
    let hazards: &[Hazard] = if index.unique { &[Hazard::DataDependent] } else { &[] };
    step(format!("create index {} on {table} concurrently (online)", index.name), sql, hazards)
}

/// `changes` without dropping the indexes named in `indexes`: the down of the transactional part
/// leaves them to the online migration's own down.
pub fn without_index_drops(changes: Vec<Change>, indexes: &[String]) -> Vec<Change> {
    changes
        .into_iter()
        .filter_map(|change| match change {
            Change::AlterTable { from, to, changes } => {
                let kept: Vec<TableChange> = changes
                    .into_iter()
                    .filter(|c| !matches!(c, TableChange::DropIndex(index) if indexes.contains(&index.name)))
                    .collect();
                (!kept.is_empty()).then_some(Change::AlterTable { from, to, changes: kept })
            }
            other => Some(other),
        })
        .collect()
}

/// The down of the online steps: each index they built, dropped `CONCURRENTLY` (a validated
/// constraint needs no undoing; the transactional part's down drops it).
pub fn online_down(d: Dialect, indexes: &[String]) -> Vec<Step> {
    indexes
        .iter()
        .map(|name| {
            step(
                format!("drop index {name} concurrently (online)"),
                format!("DROP INDEX CONCURRENTLY {};", d.ident(name)),
                &[],
            )
        })
        .collect()
}
