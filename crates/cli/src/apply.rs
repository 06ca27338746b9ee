//! `strata apply --env E [--commit REF] [--tenant T]... [--shard I/N] [--concurrency N]
//! [--max-failures N] [--only-failed] [--report FILE] [--dry-run]`

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::progress::Progress;
use super::signals::{self, Received};
use super::{io, print_json, runtime, Context, EnvArgs};
use crate::{Error, ExitStatus};
use strata_core::atomic_file::write_atomic;
use strata_ops::rollout::shard::Shard;
use strata_ops::rollout::stop::StopRequest;
use strata_ops::rollout::{self, ApplyOptions, ApplyReport, Event, TenantOutcome, TenantStatus};
use strata_ops::snapshot::short;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: EnvArgs,
    /// List what would be applied, and the SQL per group of tenants, without changing any database.
    #[arg(long)]
    pub dry_run: bool,
    /// How long to wait for another runner's lock on a tenant (e.g. 30s, 2min).
    #[arg(long, default_value = "30s", value_parser = strata_core::duration::parse)]
    pub lock_timeout: Duration,
    /// Start no tenant once this much time has passed (e.g. 45min); running tenants finish.
    #[arg(long, value_parser = strata_core::duration::parse)]
    pub deadline: Option<Duration>,
    /// Tenants migrated at once (default: rollout.concurrency of the environment, else twice the cores).
    #[arg(long, value_parser = super::at_least_one)]
    pub concurrency: Option<usize>,
    /// Halt the rollout once this many tenants have failed (default: rollout.max_failures).
    #[arg(long, value_parser = super::at_least_one)]
    pub max_failures: Option<usize>,
    /// Only shard I of N (1-based) of the environment's tenants, by a stable hash of the tenant id.
    #[arg(long)]
    pub shard: Option<Shard>,
    /// Only the tenants that failed in the last rollout of this environment (and shard) run here.
    #[arg(long)]
    pub only_failed: bool,
    /// Write the JSON report (docs/json.md) to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    if let Some(path) = &args.report {
        writable_report(path)?;
    }
    let options = ApplyOptions {
        env: args.target.env.clone(),
        reference: args.target.commit.clone(),
        tenants: args.target.tenants.clone(),
        dry_run: args.dry_run,
        lock_timeout: args.lock_timeout,
        deadline: args.deadline,
        concurrency: args.concurrency,
        max_failures: args.max_failures,
        shard: args.shard,
        only_failed: args.only_failed,
        state_dir: context.state_dir.clone(),
        stop: StopRequest::default(),
    };
    let mut print_error = None;
    let mut progress = Progress::Off;
    let mut waves = 0;
    let mut say = |progress: &Progress, line: String| {
        if !progress.println(&line) {
            if let Err(e) = writeln!(out, "{line}") {
                print_error.get_or_insert(e);
            }
        }
    };
    let mut on_event = |event: Event| match event {
        Event::Wave { number, size } => {
            waves = number;
            progress.finish();
            progress = Progress::new(size, context.quiet || context.json);
            if number > 1 && !context.json && !context.quiet {
                say(&progress, format!("wave {number}: {size} tenants"));
            }
        }
        Event::Note(line) => {
            if !context.json && !context.quiet {
                say(&progress, line.to_string());
            }
        }
        Event::Tenant(outcome) => {
            progress.tenant(outcome.status == TenantStatus::Failed);
            if !context.json && (!context.quiet || outcome.status == TenantStatus::Failed) {
                say(&progress, tenant_line(outcome, args.dry_run));
            }
            if !context.json {
                for note in &outcome.notes {
                    say(&progress, format!("{}: note: {note}", outcome.tenant));
                }
            }
        }
    };
    let runtime = runtime()?;
    let received = match args.dry_run {
        // A dry run changes nothing: a signal may end it at once, as it always did.
        true => Received::default(),
        false => runtime.block_on(async { signals::listen(options.stop.clone()) }).map_err(io)?,
    };
    let report = runtime.block_on(rollout::apply(&context.repo, &options, &mut on_event))?;
    progress.finish();
    if let Some(e) = print_error {
        return Err(io(e));
    }
    if let Some(path) = &args.report {
        write_report(path, &report)?;
    }
    if context.json {
        print_json(out, &report)?;
    } else {
        if args.dry_run {
            dry_run_groups(&report, out)?;
        }
        summary(&report, waves, out)?;
        for warning in &report.warnings {
            writeln!(out, "warning: {warning}").map_err(io)?;
        }
    }
    Ok(match received.first() {
        Some(signal) => ExitStatus::Interrupted(signal.exit_code()),
        None if report.failed() > 0 || report.halted.is_some() => ExitStatus::RolloutFailed,
        None => ExitStatus::Ok,
    })
}

/// A report that can never be written (its folder is missing, or it names a folder) is refused
/// before the rollout: found after it, every tenant would have migrated and the command failed.
fn writable_report(path: &Path) -> Result<(), Error> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let why = if path.is_dir() {
        "it is a folder; name a file"
    } else if !folder.is_dir() {
        "its folder does not exist"
    } else {
        return Ok(());
    };
    Err(Error::Usage(format!("--report {}: {why} (nothing was applied)", path.display())))
}

/// The report is written whole or not at all. The tenants' histories already hold what happened,
/// so a report that cannot be written (a full disk, a folder gone since the rollout started) is a
/// warning on stderr, not a failed rollout that a pipeline would retry.
fn write_report(path: &Path, report: &ApplyReport) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(report)
        .map_err(|source| Error::Json { what: path.display().to_string(), source })?;
    if let Err(e) = write_atomic(path, text) {
        writeln!(std::io::stderr(), "warning: the report was not written: {e}").map_err(io)?;
    }
    Ok(())
}

fn tenant_line(outcome: &TenantOutcome, dry_run: bool) -> String {
    let verb = if dry_run { "would apply" } else { "applied" };
    match outcome.status {
        TenantStatus::UpToDate => format!("{}: up to date", outcome.tenant),
        TenantStatus::Migrated | TenantStatus::Pending => {
            format!("{}: {verb} {}", outcome.tenant, outcome.applied.join(", "))
        }
        TenantStatus::Skipped => format!("{}: skipped (rollout halted)", outcome.tenant),
        TenantStatus::Failed => format!(
            "{}: FAILED after {}: {}",
            outcome.tenant,
            strata_core::count(outcome.applied.len(), "migration"),
            outcome.error.as_deref().unwrap_or("unknown error")
        ),
    }
}

/// The SQL a dry run would execute, once per group of tenants that would get the same.
fn dry_run_groups(report: &ApplyReport, out: &mut dyn Write) -> Result<(), Error> {
    let mut groups: BTreeMap<&Vec<(String, String)>, Vec<&str>> = BTreeMap::new();
    for outcome in report.tenants.iter().filter(|t| !t.sql.is_empty()) {
        groups.entry(&outcome.sql).or_default().push(&outcome.tenant);
    }
    for (sql, tenants) in groups {
        let shown: Vec<&str> = tenants.iter().take(10).copied().collect();
        let more = tenants.len().saturating_sub(10);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        writeln!(out, "\n-- {}: {}{more}", strata_core::count(tenants.len(), "tenant"), shown.join(", "))
            .map_err(io)?;
        for (id, text) in sql {
            writeln!(out, "-- {id}\n{}", text.trim_end()).map_err(io)?;
        }
    }
    if !report.tenants.iter().all(|t| t.sql.is_empty()) {
        writeln!(out).map_err(io)?;
    }
    Ok(())
}

fn summary(report: &ApplyReport, waves: usize, out: &mut dyn Write) -> Result<(), Error> {
    let s = &report.summary;
    let skipped = if s.skipped > 0 { format!(", {} skipped", s.skipped) } else { String::new() };
    let shard = report.shard.as_ref().map(|s| format!(" (shard {s})")).unwrap_or_default();
    let moved =
        if report.dry_run { format!("{} would migrate", s.pending) } else { format!("{} migrated", s.migrated) };
    writeln!(
        out,
        "commit {} to {}{shard}: {}, {moved}, {} up to date, {} failed{skipped}",
        short(&report.commit),
        report.environment,
        strata_core::count(s.tenants, "tenant"),
        s.up_to_date,
        s.failed
    )
    .map_err(io)?;
    if let Some(why) = &report.halted {
        writeln!(out, "HALTED: {why}").map_err(io)?;
    }
    if s.tenants > 1 {
        let waves = if waves > 1 { format!(", {waves} waves") } else { String::new() };
        writeln!(out, "{:.1} s, concurrency {}{waves}", report.duration_ms as f64 / 1000.0, report.concurrency)
            .map_err(io)?;
    }
    Ok(())
}
