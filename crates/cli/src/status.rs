//! `strata status --env E [--commit REF]`

use std::io::Write;

use super::{io, print_json, runtime, table, Context, EnvArgs};
use crate::{Error, ExitStatus};
use strata_ops::rollout::status::status;
use strata_ops::snapshot::short;

pub fn run(context: &Context, target: &EnvArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let report = runtime()?.block_on(status(
        &context.repo,
        (&target.env, &target.commit),
        &target.tenants,
        context.state_dir.as_deref(),
    ))?;
    if context.json {
        print_json(out, &report)?;
        return Ok(ExitStatus::Ok);
    }
    let rows: Vec<Vec<String>> = report
        .tenants
        .iter()
        .map(|t| {
            vec![
                t.tenant.clone(),
                match (t.provisioned, t.baselined) {
                    (false, _) => "-".to_string(),
                    (true, 0) => t.applied.to_string(),
                    (true, baselined) => format!("{} ({baselined} baselined)", t.applied),
                },
                t.pending.to_string(),
                t.failed.to_string(),
                t.last_commit.as_deref().map_or_else(|| "-".into(), |c| short(c).to_string()),
                t.last_applied_at.clone().unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    table(out, &["TENANT", "APPLIED", "PENDING", "FAILED", "COMMIT", "LAST APPLIED"], &rows)?;
    for tenant in &report.tenants {
        for said in tenant.problem.iter().chain(&tenant.last_failure) {
            writeln!(out, "! {}: {said}", tenant.tenant).map_err(io)?;
        }
        for said in &tenant.changed_seeds {
            writeln!(out, "~ {}: {said}", tenant.tenant).map_err(io)?;
        }
    }
    let up_to_date = report.tenants.iter().filter(|t| t.pending == 0 && t.failed == 0 && t.problem.is_none()).count();
    let tenants = report.tenants.len();
    writeln!(
        out,
        "{tenants} tenant{} in {} at commit {}: {} up to date, {} behind",
        if tenants == 1 { "" } else { "s" },
        report.environment,
        short(&report.commit),
        up_to_date,
        tenants - up_to_date
    )
    .map_err(io)?;
    Ok(ExitStatus::Ok)
}
