//! `strata verify [--base REF] [--dev-url URL] [--format text|markdown|json]`: exit 0 when every
//! check passes (warnings allowed), 3 when one fails.

use std::io::Write;

use super::{io, print_json, render_template, runtime, Context, Format};
use crate::{Error, ExitStatus};
use strata_ops::verify::{verify, Options, Report, Status};

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
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

const MARKDOWN: &str = include_str!("templates/verify.md.tera");

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let options = Options { base: args.base.clone(), dev_url: args.dev_url.clone() };
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
    let verdict = if report.passed {
        style.green(&format!("verify passed: {} checks", report.checks.len()))
    } else {
        style.red(&format!("verify failed: {failed} of {} checks failed", report.checks.len()))
    };
    writeln!(out, "{verdict}").map_err(io)?;
    Ok(())
}
