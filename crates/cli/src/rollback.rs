//! `strata rollback --env E --tenant T (--to REF | --steps N) [--commit REF] [--dry-run] [--yes]`:
//! a dry run prints the down SQL and the data it would drop; otherwise the plan is confirmed on a
//! terminal, or by `--yes` where there is none (CI). A plan that drops a table or a column, and
//! taking a tenant back to before its first migration, need `--yes` always.

use std::io::{BufRead, IsTerminal, Write};

use super::{io, print_json, runtime, Context, TenantArgs};
use crate::{Error, ExitStatus};
use strata_ops::rollout::rollback::{rollback, Confirmation, Goal};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("goal").required(true).args(["to", "steps"])))]
pub struct Args {
    #[command(flatten)]
    pub target: TenantArgs,
    /// Commit to go back to: the tenant keeps exactly the migrations it holds.
    #[arg(long)]
    pub to: Option<String>,
    /// Roll back the tenant's newest N migrations.
    #[arg(long)]
    pub steps: Option<usize>,
    /// Commit whose down files are used; it must hold every migration to revert.
    #[arg(long, default_value = "HEAD")]
    pub commit: String,
    /// Print the down migrations that would run, rendered for the tenant; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run without asking (where there is no terminal, as in CI).
    #[arg(long)]
    pub yes: bool,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let goal = match (&args.to, args.steps) {
        (Some(to), _) => Goal::Commit(to.clone()),
        (None, Some(steps)) => Goal::Steps(steps),
        (None, None) => return Err(Error::Usage("rollback: give --to REF or --steps N".into())),
    };
    let mut confirm = |plan: &Confirmation| confirmed(plan, args.yes);
    let tenant = (args.target.env.as_str(), args.target.tenant.as_str());
    let report =
        runtime()?.block_on(rollback(&context.repo, tenant, &args.commit, &goal, args.dry_run, &mut confirm))?;
    if context.json {
        print_json(out, &report)?;
        return Ok(ExitStatus::Ok);
    }
    for note in &report.notes {
        writeln!(out, "{}: note: {note}", report.tenant).map_err(io)?;
    }
    if report.dry_run {
        for step in &report.planned {
            writeln!(out, "-- {}: would revert {}\n{}", report.tenant, step.id, step.sql.trim_end()).map_err(io)?;
        }
        for hazard in &report.hazards {
            writeln!(out, "-- {}: would drop {hazard}", report.tenant).map_err(io)?;
        }
        writeln!(
            out,
            "{}: {} would be rolled back (dry run)",
            report.tenant,
            strata_core::count(report.planned.len(), "migration")
        )
        .map_err(io)?;
        return Ok(ExitStatus::Ok);
    }
    for id in &report.reverted {
        writeln!(out, "{}: reverted {id}", report.tenant).map_err(io)?;
    }
    for id in &report.reseeded {
        writeln!(out, "{}: forgot {id} (a table it fills was dropped; the next apply seeds it again)", report.tenant)
            .map_err(io)?;
    }
    writeln!(out, "{}: {} rolled back", report.tenant, strata_core::count(report.reverted.len(), "migration"))
        .map_err(io)?;
    for hazard in report.hazards.iter().filter(|h| h.loses_data()) {
        writeln!(out, "{}: dropped {hazard}", report.tenant).map_err(io)?;
    }
    Ok(ExitStatus::Ok)
}

/// Whether the plan may run: `--yes`; else the user's answer on a terminal. Going back to before
/// the tenant's first migration drops everything its layers made: that takes `--yes`, never a
/// keystroke.
fn confirmed(plan: &Confirmation, yes: bool) -> Result<bool, Error> {
    if plan.everything && !yes {
        return Err(Error::Usage(format!(
            "this rolls tenant {} back to before its first migration ({}: every table its layers made is dropped); pass --yes if that is meant",
            plan.tenant,
            strata_core::count(plan.planned.len(), "down migration")
        )));
    }
    // Dropped data never comes back with a down: a keystroke is too easy a way to lose it.
    let losses: Vec<String> = plan.hazards.iter().filter(|h| h.loses_data()).map(ToString::to_string).collect();
    if !losses.is_empty() && !yes {
        return Err(Error::Usage(format!(
            "rollback of tenant {} drops {}; pass --yes if that is meant (look first with --dry-run)",
            plan.tenant,
            losses.join(", ")
        )));
    }
    if yes {
        return Ok(true);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::Usage(format!(
            "rollback of tenant {} runs {}: confirm on a terminal, pass --yes, or look first with --dry-run",
            plan.tenant,
            strata_core::count(plan.planned.len(), "down migration")
        )));
    }
    let mut errors = std::io::stderr();
    for step in plan.planned {
        writeln!(errors, "  revert {}", step.id).map_err(io)?;
    }
    write!(
        errors,
        "Roll back {} of tenant {}? [y/N] ",
        strata_core::count(plan.planned.len(), "migration"),
        plan.tenant
    )
    .map_err(io)?;
    errors.flush().map_err(io)?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).map_err(io)?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}
