//! `strata rollback --env E --tenant T --to REF [--commit REF]`

use std::io::Write;

use super::{io, print_json, runtime, Context, TenantArgs};
use crate::{Error, ExitStatus};
use strata_ops::rollout::rollback::rollback;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TenantArgs,
    /// Commit to go back to: the tenant keeps exactly the migrations it holds.
    #[arg(long)]
    pub to: String,
    /// Commit whose down files are used; it must hold every migration to revert.
    #[arg(long, default_value = "HEAD")]
    pub commit: String,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let report =
        runtime()?.block_on(rollback(&context.repo, &args.target.env, &args.target.tenant, &args.commit, &args.to))?;
    if context.json {
        print_json(out, &report)?;
        return Ok(ExitStatus::Ok);
    }
    for id in &report.reverted {
        writeln!(out, "{}: reverted {id}", report.tenant).map_err(io)?;
    }
    writeln!(out, "{}: {} migration(s) rolled back", report.tenant, report.reverted.len()).map_err(io)?;
    Ok(ExitStatus::Ok)
}
