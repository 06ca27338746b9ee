//! `strata migration new LAYER NAME`: the next hand-written up/down pair of a layer; the use case
//! is `strata_ops::new_migration`.

use std::io::Write;

use super::{io, print_json, Context};
use crate::{Error, ExitStatus};
use strata_ops::new_migration::new_migration;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: MigrationCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum MigrationCommand {
    /// Write the next numbered up/down pair of a layer for SQL written by hand (a backfill, a
    /// data move, `CREATE INDEX CONCURRENTLY`), with its header, and rewrite the layer's sum.
    New {
        /// `module.donations`, `template.party`, `tenant.nrna` (a bare name is a module).
        layer: String,
        /// What it does, in a few words: names the files (`0003_backfill_currency`).
        name: String,
    },
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let MigrationCommand::New { layer, name } = &args.command;
    let made = new_migration(&context.repo, layer, name)?;
    let migration = &made.migration;
    let notes: Vec<String> = made
        .needs_version
        .iter()
        .map(|n| format!("{n} (the pair is written; commit refuses it until then)"))
        .chain(made.pending.iter().map(|path| {
            format!(
                "{} has declarative changes not yet committed: `strata commit` writes them after this one ({path}); if this migration needs them (a backfill of a new column), delete the pair, commit them first, then run `strata migration new` again",
                migration.key.layer
            )
        }))
        .collect();
    if context.json {
        let document = serde_json::json!({
            "format_version": 1,
            "id": migration.id(),
            "up": migration.up_path,
            "down": migration.down_path(),
            "notes": notes,
        });
        print_json(out, &document)?;
        return Ok(ExitStatus::Ok);
    }
    writeln!(out, "{}", migration.up_path).map_err(io)?;
    writeln!(out, "{}", migration.down_path()).map_err(io)?;
    for note in &notes {
        writeln!(out, "note: {note}").map_err(io)?;
    }
    if !context.quiet {
        writeln!(out, "Next: write the SQL, then `strata commit` records it with the layer's release.").map_err(io)?;
    }
    Ok(ExitStatus::Ok)
}
