//! `strata apply --env E [--commit REF] [--tenant T]... [--dry-run]`

use std::io::Write;
use std::time::Duration;

use super::{io, print_json, runtime, Context, EnvArgs};
use crate::rollout::{self, short, ApplyOptions, TenantStatus};
use crate::Error;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: EnvArgs,
    /// List what would be applied without changing any database.
    #[arg(long)]
    pub dry_run: bool,
    /// Seconds to wait for another runner's lock on a tenant.
    #[arg(long, default_value_t = 30)]
    pub lock_timeout: u64,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<u8, Error> {
    let options = ApplyOptions {
        env: args.target.env.clone(),
        reference: args.target.commit.clone(),
        tenants: args.target.tenants.clone(),
        dry_run: args.dry_run,
        lock_timeout: Duration::from_secs(args.lock_timeout),
    };
    let mut print_error = None;
    let mut on_tenant = |outcome: &rollout::TenantOutcome| {
        if context.json || (context.quiet && outcome.status != TenantStatus::Failed) {
            return;
        }
        let verb = if args.dry_run { "would apply" } else { "applied" };
        let line = match outcome.status {
            TenantStatus::UpToDate => format!("{}: up to date", outcome.tenant),
            TenantStatus::Migrated => format!("{}: {verb} {}", outcome.tenant, outcome.applied.join(", ")),
            TenantStatus::Failed => format!(
                "{}: FAILED after {} migration(s): {}",
                outcome.tenant,
                outcome.applied.len(),
                outcome.error.as_deref().unwrap_or("unknown error")
            ),
        };
        if let Err(e) = writeln!(out, "{line}") {
            print_error.get_or_insert(e);
        }
    };
    let report = runtime()?.block_on(rollout::apply(&context.repo, &options, &mut on_tenant))?;
    if let Some(e) = print_error {
        return Err(io(e));
    }
    if context.json {
        print_json(out, &report)?;
    } else {
        let count = |s: TenantStatus| report.tenants.iter().filter(|t| t.status == s).count();
        writeln!(
            out,
            "commit {} to {}: {} tenants, {} migrated, {} up to date, {} failed",
            short(&report.commit),
            report.environment,
            report.tenants.len(),
            count(TenantStatus::Migrated),
            count(TenantStatus::UpToDate),
            count(TenantStatus::Failed)
        )
        .map_err(io)?;
    }
    Ok(if report.failed() > 0 { crate::exit::ROLLOUT_FAILED } else { crate::exit::OK })
}
