//! Where a cut-off or failed `no-transaction` migration takes up again (#25). Its history row
//! counts the statements done (`running:N`, `failed:N`): those before N ran. Statement N did not
//! if it writes rows, since such a statement commits with its progress; any other statement may
//! have completed without its progress being recorded, so the live schema decides: it matches the
//! migration replayed up to N (start at N) or through N (start after it), else a person settles
//! it with `strata repair`.

use std::collections::BTreeSet;

use super::repair::compare;
use strata_db::tenant::TenantDb;
use strata_db::HistoryRow;
use strata_migrations::Migration;
use strata_project::compose::{render, RenderContext};
use strata_schema::parse::{is_unwitnessed, split_statements};

/// Where to start again, and what to tell the user.
pub(crate) struct Resume {
    /// Statements known done: the run starts at this index.
    pub at: usize,
    pub note: String,
}

/// Where `row`'s run of `migration`, `done` statements recorded, starts again on this tenant.
/// `order` and `history` say what the tenant had before it; `who` is (environment, tenant), for
/// the message that points at `repair`.
pub(crate) async fn resume_point(
    dialect: strata_core::Dialect,
    (order, history): (&[&Migration], &[HistoryRow]),
    (row, migration, done): (&HistoryRow, &Migration, usize),
    context: &RenderContext,
    db: &mut TenantDb,
    (env, tenant): (&str, &str),
) -> Result<Resume, String> {
    let sql = render(dialect, &migration.up_path, &migration.up, context).map_err(|e| e.to_string())?;
    let statements =
        split_statements(dialect, &sql).map_err(|e| format!("{}:{}: {}", migration.up_path, e.line, e.message))?;
    let head = format!("{} {} after {done} of {} statements", row.id, row.state.what_happened(), statements.len());
    let Some(next) = statements.get(done) else {
        return Ok(Resume { at: done, note: format!("{head}: all of them had run; recorded as applied") });
    };
    let number = done + 1;
    if is_unwitnessed(next) {
        let note = format!(
            "{head}: statement {number} writes rows and commits with its progress, so it had not run; resumed at it"
        );
        return Ok(Resume { at: done, note });
    }
    // The migration cut to its first statements (which `split_statements` gives without their
    // `;`), replayed in its place: already rendered, so kept from a second rendering. A tenant
    // value holding `{% endraw %}` would end that guard and be rendered as a template: such a run
    // is left to `repair` rather than compared with a schema the value made up.
    let through = statements[..number].concat();
    if through.contains("endraw") {
        return Err(format!(
            "{head}, and a value in it holds `endraw`, which keeps strata from replaying it to compare with the live schema; settle it with `strata repair --env {env} --tenant {tenant}`"
        ));
    }
    let cut = |count: usize| Migration {
        up: format!(
            "{{% raw %}}{}{{% endraw %}}",
            statements[..count].iter().map(|s| format!("{s};\n")).collect::<String>()
        ),
        ..migration.clone()
    };
    let (before, after) = (cut(done), cut(number));
    let had: BTreeSet<&str> = history.iter().filter(|r| r.state.is_done()).map(|r| r.id.as_str()).collect();
    let with = |part: &Migration| -> Vec<Migration> {
        order
            .iter()
            .filter_map(|m| match m.id() == row.id {
                true => Some(part.clone()),
                false => had.contains(m.id().as_str()).then(|| (*m).clone()),
            })
            .collect()
    };
    let (before, after) = (with(&before), with(&after));
    let (before, after): (Vec<&Migration>, Vec<&Migration>) = (before.iter().collect(), after.iter().collect());
    let standing = compare(dialect, (&before, &after), context, db).await.map_err(|e| e.to_string())?;
    // Both match when statement N changes no schema (a pause, a `VACUUM`): it runs again.
    match (standing.matches_before, standing.matches_after) {
        (true, _) => Ok(Resume {
            at: done,
            note: format!("{head}: the live schema shows statement {number} had not taken effect; resumed at it"),
        }),
        (false, true) => Ok(Resume {
            at: number,
            note: format!("{head}: the live schema shows statement {number} had taken effect; resumed after it"),
        }),
        (false, false) => {
            let mut why = standing.missing_for_after;
            why.extend(standing.invalid_indexes.iter().map(|i| format!("index {i} is INVALID")));
            Err(format!(
                "{head}, and the live schema matches neither the state before statement {number} nor after it ({}); settle it with `strata repair --env {env} --tenant {tenant}`",
                why.join("; ")
            ))
        }
    }
}
