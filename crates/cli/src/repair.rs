//! `strata repair --env E --tenant T [--mark applied|rolled-back] [--force]`

use std::io::Write;

use super::{io, print_json, runtime, Context, TenantArgs};
use crate::{Error, ExitStatus};
use strata_ops::rollout::repair::{repair, Mark};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TenantArgs,
    /// Commit whose migrations describe the expected states.
    #[arg(long, default_value = "HEAD")]
    pub commit: String,
    /// Record what happened: the migration took effect after all, or it did not (it runs again).
    #[arg(long, value_enum)]
    pub mark: Option<MarkArg>,
    /// Record the mark even where the live schema contradicts it.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MarkArg {
    Applied,
    RolledBack,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let mark = args.mark.map(|m| match m {
        MarkArg::Applied => Mark::Applied,
        MarkArg::RolledBack => Mark::RolledBack,
    });
    let report = runtime()?.block_on(repair(
        &context.repo,
        &args.target.env,
        &args.commit,
        &args.target.tenant,
        mark,
        args.force,
    ))?;
    if context.json {
        print_json(out, &report)?;
        return Ok(ExitStatus::Ok);
    }
    let Some(migration) = &report.migration else {
        writeln!(out, "tenant {}: no failed migration; nothing to repair", report.tenant).map_err(io)?;
        return Ok(ExitStatus::Ok);
    };
    // A `reverting` row is a down that stopped part-way: "before" is where it was going.
    let reverting = report.state.is_some_and(|s| s.as_str() == "reverting");
    let what = match report.state.map(|s| s.as_str()) {
        Some("running") => "was cut off",
        Some("reverting") => "was being rolled back when its down stopped",
        _ => "failed",
    };
    writeln!(out, "tenant {}: {migration} {what}", report.tenant).map_err(io)?;
    let state = match (report.live_matches_before, report.live_matches_after, reverting) {
        (true, _, false) => "the live schema matches the state before it: nothing of it took effect",
        (_, true, false) => "the live schema matches the state after it: it took effect",
        (true, _, true) => "the live schema matches the state before it: its down took effect",
        (_, true, true) => "the live schema matches the state after it: nothing of its down took effect",
        _ => "the live schema matches neither the state before it nor after it",
    };
    writeln!(out, "{state}").map_err(io)?;
    for index in &report.invalid_indexes {
        writeln!(
            out,
            "  index {index} is INVALID (a failed CREATE INDEX CONCURRENTLY left it): DROP INDEX CONCURRENTLY {index}; then --mark rolled-back, and apply runs it again"
        )
        .map_err(io)?;
    }
    if !report.live_matches_after && !report.live_matches_before {
        if reverting {
            for step in &report.missing_for_before {
                writeln!(out, "  left for its down to undo: {step}").map_err(io)?;
            }
        }
        for step in &report.missing_for_after {
            writeln!(out, "  to reach the state after it: {step}").map_err(io)?;
        }
    }
    match (&report.recorded, reverting) {
        (Some(recorded), _) => writeln!(out, "recorded: {recorded}").map_err(io)?,
        (None, false) => writeln!(
            out,
            "record it with --mark rolled-back (the next apply runs it again) or --mark applied (it counts as done)"
        )
        .map_err(io)?,
        (None, true) => writeln!(
            out,
            "run the rollback again (it finishes where the live schema matches either state), or record it with --mark rolled-back (its down took effect) or --mark applied (the migration is still there)"
        )
        .map_err(io)?,
    }
    Ok(ExitStatus::Ok)
}
