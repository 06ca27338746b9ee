//! `strata adopt --env E (--tenant T... | --all) [--commit REF] [--dry-run]`: record a baseline for
//! tenants whose schema exists already. Exit 0 when every selected tenant is adopted (or would be),
//! 3 when one differs or is refused (nothing is recorded for it), 4 when one could not be reached.

use std::io::Write;
use std::time::Duration;

use super::{io, print_json, runtime, Context, EnvArgs};
use crate::{Error, ExitStatus};
use strata_ops::rollout::adopt::{adopt, AdoptOptions, AdoptReport, AdoptStatus, TenantAdoption};
use strata_ops::snapshot::short;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: EnvArgs,
    /// Every tenant of the environment (adopting is never implied: name tenants, or say --all).
    #[arg(long, conflicts_with = "tenants")]
    pub all: bool,
    /// Compare and report; record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How long to wait for another runner's lock on a tenant (e.g. 30s, 2min).
    #[arg(long, default_value = "30s", value_parser = strata_core::duration::parse)]
    pub lock_timeout: Duration,
    /// Tenants compared at once (default: rollout.concurrency of the environment, else twice the cores).
    #[arg(long, value_parser = super::at_least_one)]
    pub concurrency: Option<usize>,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    if !args.all && args.target.tenants.is_empty() {
        return Err(Error::Usage("adopt: name the tenants (--tenant T, repeatable) or pass --all".into()));
    }
    let options = AdoptOptions {
        env: args.target.env.clone(),
        reference: args.target.commit.clone(),
        tenants: args.target.tenants.clone(),
        dry_run: args.dry_run,
        lock_timeout: args.lock_timeout,
        concurrency: args.concurrency,
    };
    let mut print_error = None;
    let mut on_tenant = |tenant: &TenantAdoption| {
        let worth_saying = !context.quiet || !matches!(tenant.status, AdoptStatus::Adopted | AdoptStatus::WouldAdopt);
        if !context.json && worth_saying {
            if let Err(e) = tenant_lines(tenant, out) {
                print_error.get_or_insert(e);
            }
        }
    };
    let report = runtime()?.block_on(adopt(&context.repo, &options, &mut on_tenant))?;
    if let Some(e) = print_error {
        return Err(e);
    }
    if context.json {
        print_json(out, &report)?;
    } else {
        summary(&report, out)?;
    }
    Ok(if report.count(AdoptStatus::Failed) > 0 {
        ExitStatus::RolloutFailed
    } else if report.count(AdoptStatus::Differs) + report.count(AdoptStatus::Refused) > 0 {
        ExitStatus::Difference
    } else {
        ExitStatus::Ok
    })
}

fn tenant_lines(tenant: &TenantAdoption, out: &mut dyn Write) -> Result<(), Error> {
    let reason = tenant.reason.as_deref().unwrap_or_default();
    let line = match tenant.status {
        AdoptStatus::Adopted => format!("{}: adopted ({} baselined)", tenant.tenant, tenant.baselined.len()),
        AdoptStatus::WouldAdopt => {
            format!("{}: would adopt ({} would be baselined)", tenant.tenant, tenant.baselined.len())
        }
        AdoptStatus::AlreadyAdopted => format!("{}: already adopted ({reason})", tenant.tenant),
        AdoptStatus::Differs => {
            let differ = match tenant.differences.len() {
                1 => "1 object differs".to_string(),
                n => format!("{n} objects differ"),
            };
            format!("{}: NOT ADOPTED, {differ}: {reason}", tenant.tenant)
        }
        AdoptStatus::Refused => format!("{}: REFUSED: {reason}", tenant.tenant),
        AdoptStatus::Failed => format!("{}: FAILED: {reason}", tenant.tenant),
    };
    writeln!(out, "{line}").map_err(io)?;
    for difference in &tenant.differences {
        writeln!(out, "  - {difference}").map_err(io)?;
    }
    Ok(())
}

fn summary(report: &AdoptReport, out: &mut dyn Write) -> Result<(), Error> {
    let adopted =
        if report.dry_run { report.count(AdoptStatus::WouldAdopt) } else { report.count(AdoptStatus::Adopted) };
    let verb = if report.dry_run { "would be adopted" } else { "adopted" };
    writeln!(
        out,
        "commit {} in {}: {}, {adopted} {verb}, {} already adopted, {} differ, {} refused, {} failed",
        short(&report.commit),
        report.environment,
        strata_core::count(report.tenants.len(), "tenant"),
        report.count(AdoptStatus::AlreadyAdopted),
        report.count(AdoptStatus::Differs),
        report.count(AdoptStatus::Refused),
        report.count(AdoptStatus::Failed),
    )
    .map_err(io)?;
    Ok(())
}
