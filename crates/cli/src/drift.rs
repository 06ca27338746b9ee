//! `strata drift --env E [--commit REF] [--tenant T]...`: exit 0 when every tenant's live schema is
//! what its applied migrations make, 3 when one differs (each object named) or cannot be checked.

use std::io::Write;

use super::{io, print_json, runtime, Context, EnvArgs};
use crate::{Error, ExitStatus};
use strata_ops::rollout::drift::drift;
use strata_ops::snapshot::short;

pub fn run(context: &Context, target: &EnvArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let report = runtime()?.block_on(drift(&context.repo, &target.env, &target.commit, &target.tenants))?;
    let code = if report.found() { ExitStatus::Difference } else { ExitStatus::Ok };
    if context.json {
        print_json(out, &report)?;
        return Ok(code);
    }
    let style = context.style;
    for tenant in &report.tenants {
        let pending = if tenant.pending > 0 { format!(" ({} pending)", tenant.pending) } else { String::new() };
        if let Some(problem) = &tenant.problem {
            writeln!(out, "{}: {}", tenant.tenant, style.red(&format!("cannot check: {problem}"))).map_err(io)?;
        } else if !tenant.provisioned {
            writeln!(out, "{}: not provisioned", tenant.tenant).map_err(io)?;
        } else if tenant.differences.is_empty() {
            if !context.quiet {
                writeln!(out, "{}: no drift{pending}", tenant.tenant).map_err(io)?;
            }
        } else {
            writeln!(
                out,
                "{}: {}{pending}",
                tenant.tenant,
                style.red(&format!("{} drifted", strata_core::count(tenant.differences.len(), "object")))
            )
            .map_err(io)?;
            for line in &tenant.differences {
                writeln!(out, "  - {line}").map_err(io)?;
            }
        }
    }
    let drifted = report.tenants.iter().filter(|t| !t.differences.is_empty() || t.problem.is_some()).count();
    writeln!(
        out,
        "{} in {} at commit {}: {} drifted",
        strata_core::count(report.tenants.len(), "tenant"),
        report.environment,
        short(&report.commit),
        drifted
    )
    .map_err(io)?;
    Ok(code)
}
