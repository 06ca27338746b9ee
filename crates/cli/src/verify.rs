//! `strata verify [--base REF] [--dev-url URL] [--format text|markdown|json]`: exit 0 when every
//! check passes (warnings allowed), 3 when one fails.

use std::io::Write;

use super::{io, print_json, render_template, runtime, Context, Format};
use crate::{Error, ExitStatus};
use strata_ops::verify::{verify, CheckName, Options, Report, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Compare the committed history with this branch, tag or commit (default: the upstream of the
    /// current branch, else main).
    #[arg(long)]
    pub base: Option<String>,
    /// Scratch server for replaying PostgreSQL or MySQL migrations; strata creates and drops its
    /// own schema or database there. Give it through the environment, not the command line.
    #[arg(long, env = "STRATA_DEV_URL", hide_env_values = true)]
    pub dev_url: Option<String>,
    /// Checks not to run, by name (e.g. `--skip replay,down` where no scratch server is at hand);
    /// the verdict says how many were skipped.
    #[arg(long, value_delimiter = ',', value_parser = check_name)]
    pub skip: Vec<CheckName>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// A check by the name verify reports it under.
fn check_name(name: &str) -> Result<CheckName, String> {
    CheckName::ALL.into_iter().find(|c| c.as_str() == name).ok_or_else(|| {
        let names: Vec<&str> = CheckName::ALL.iter().map(|c| c.as_str()).collect();
        format!("no check named '{name}' (checks: {})", names.join(", "))
    })
}

const MARKDOWN: &str = include_str!("templates/verify.md.tera");

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let options = Options { base: args.base.clone(), dev_url: args.dev_url.clone(), skip: args.skip.clone() };
    let report = runtime()?.block_on(verify(&context.repo, &options))?;
    match context.format(args.format) {
        Format::Json => print_json(out, &report)?,
        Format::Markdown => write!(out, "{}", render_template("verify.md", MARKDOWN, &report)?).map_err(io)?,
        Format::Text => text(context, &report, out)?,
    }
    Ok(if report.passed { ExitStatus::Ok } else { ExitStatus::Difference })
}

fn text(context: &Context, report: &Report, out: &mut dyn Write) -> Result<(), Error> {
    let style = context.style;
    let width = report.checks.iter().map(|c| c.name.as_str().len()).max().unwrap_or(0);
    for check in &report.checks {
        let mark = match check.status {
            Status::Pass => style.green("pass"),
            Status::Warn => style.yellow("warn"),
            Status::Fail => style.red("FAIL"),
            Status::Skip => style.dim("skip"),
        };
        if context.quiet && matches!(check.status, Status::Pass | Status::Skip) {
            continue;
        }
        writeln!(out, "{mark}  {:<width$}  {}", check.name, check.summary).map_err(io)?;
        for line in check.details.iter().flat_map(|d| d.lines()) {
            writeln!(out, "        {line}").map_err(io)?;
        }
    }
    for note in &report.notes {
        writeln!(out, "{}", style.dim(&format!("note: {note}"))).map_err(io)?;
    }
    let failed = report.checks.iter().filter(|c| c.status == Status::Fail).count();
    let skipped: Vec<&str> =
        report.checks.iter().filter(|c| c.status == Status::Skip).map(|c| c.name.as_str()).collect();
    let skipped = match skipped.len() {
        0 => String::new(),
        n => format!(" ({n} skipped: {})", skipped.join(", ")),
    };
    let verdict = if report.passed {
        style.green(&format!("verify passed: {} checks{skipped}", report.checks.len()))
    } else {
        style.red(&format!("verify failed: {failed} of {} checks failed{skipped}", report.checks.len()))
    };
    writeln!(out, "{verdict}").map_err(io)?;
    Ok(())
}
