//! `strata commit [-m MSG] [--allow-dirty] [--allow HAZARD=REASON] [--bump patch|minor|major]`: the arguments and the report;
//! the use case is `strata_ops::commit`.

use std::io::Write;

use super::{io, print_json, Context};
use crate::{Error, ExitStatus};
use strata_dialect::plan::Hazard;
use strata_migrations::releases::Bump;
use strata_ops::commit::{commit, CommitOptions};
use strata_ops::commit_journal::Recovered;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Commit message; also names the migrations (`0002_<slug>`).
    #[arg(short, long)]
    pub message: Option<String>,
    /// Commit even when files outside strata's paths have uncommitted changes (they are left out).
    #[arg(long)]
    pub allow_dirty: bool,
    /// Record a reviewed exception to the lint policy in every new migration with that hazard:
    /// `--allow 'destructive=column unused since 2024'` (repeatable).
    #[arg(long = "allow", value_name = "HAZARD=REASON", value_parser = parse_allow)]
    pub allow: Vec<(Hazard, String)>,
    /// Raise `version:` in the manifest of every layer whose change would land in a released
    /// version (and only those); the commit message lists them.
    #[arg(long, value_enum, value_name = "PART")]
    pub bump: Option<BumpArg>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BumpArg {
    Patch,
    Minor,
    Major,
}

impl From<BumpArg> for Bump {
    fn from(arg: BumpArg) -> Self {
        match arg {
            BumpArg::Patch => Bump::Patch,
            BumpArg::Minor => Bump::Minor,
            BumpArg::Major => Bump::Major,
        }
    }
}

fn parse_allow(text: &str) -> Result<(Hazard, String), String> {
    let (hazard, reason) = text.split_once('=').ok_or("expected HAZARD=REASON, e.g. 'destructive=table unused'")?;
    let hazard = Hazard::parse(hazard.trim())
        .ok_or_else(|| format!("unknown hazard `{hazard}` (destructive, rewrite, data-dependent)"))?;
    if reason.trim().is_empty() || reason.contains('\n') {
        return Err("the reason must be one non-empty line".to_string());
    }
    Ok((hazard, reason.trim().to_string()))
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let options = CommitOptions {
        message: args.message.clone(),
        allow_dirty: args.allow_dirty,
        allow: args.allow.clone(),
        bump: args.bump.map(Bump::from),
    };
    let committed = commit(&context.repo, &options)?;
    if context.json {
        let migrations: Vec<serde_json::Value> = committed
            .migrations
            .iter()
            .map(|m| {
                let hazards: Vec<&str> = m.hazards.iter().map(|h| h.as_str()).collect();
                serde_json::json!({ "id": m.id(), "up": m.up_path, "down": m.down_path(), "hazards": hazards })
            })
            .collect();
        let bumped: Vec<serde_json::Value> = committed
            .bumped
            .iter()
            .map(|b| serde_json::json!({ "manifest": b.manifest, "from": b.from.to_string(), "to": b.to.to_string() }))
            .collect();
        print_json(
            out,
            &serde_json::json!({ "format_version": 1, "commit": committed.commit, "migrations": migrations, "bumped": bumped, "hand_written": committed.hand_written, "rerendered": committed.rerendered }),
        )?;
        return Ok(ExitStatus::Ok);
    }
    if let Recovered::RolledBack(files) = committed.recovered {
        writeln!(
            out,
            "note: an earlier commit was killed while writing; {} put back as they were before it",
            strata_core::count(files, "file")
        )
        .map_err(io)?;
    }
    let Some(commit) = committed.commit else {
        writeln!(out, "Nothing to commit: the declarative schema matches the committed migrations.").map_err(io)?;
        return Ok(ExitStatus::Ok);
    };
    if !context.quiet {
        for b in &committed.bumped {
            writeln!(out, "  {}: version {} -> {}", b.manifest, b.from, b.to).map_err(io)?;
        }
        for path in &committed.hand_written {
            writeln!(out, "  {path}  (hand-written)").map_err(io)?;
        }
        for migration in &committed.migrations {
            let hazards: Vec<&str> = migration.hazards.iter().map(|h| h.as_str()).collect();
            let note = if hazards.is_empty() { String::new() } else { format!("  [{}]", hazards.join(", ")) };
            writeln!(out, "  {}{note}", migration.up_path).map_err(io)?;
        }
        for file in &committed.rerendered {
            writeln!(out, "  {file}  (changed variables: apply converges the tenant)").map_err(io)?;
        }
        if committed.migrations.is_empty() && committed.hand_written.is_empty() && committed.rerendered.is_empty() {
            writeln!(out, "No schema change; committed the updated sources.").map_err(io)?;
        }
    }
    writeln!(out, "{commit}").map_err(io)?;
    Ok(ExitStatus::Ok)
}
