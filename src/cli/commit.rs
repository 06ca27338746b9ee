//! `strata commit [-m MSG] [--allow-dirty]`

use std::io::Write;

use super::{io, Context};
use std::collections::BTreeMap;

use crate::migrations::generate::{generate, load_all, write, GenerateError};
use crate::project::LayerId;
use crate::project::Project;
use crate::source::WorkTree;
use crate::Error;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Commit message; also names the migrations (`0002_<slug>`).
    #[arg(short, long)]
    pub message: Option<String>,
    /// Commit even when files outside strata's paths have uncommitted changes (they are left out).
    #[arg(long)]
    pub allow_dirty: bool,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<u8, Error> {
    let repo = crate::git::open(&context.repo)?;
    crate::git::check_committable(&repo, args.allow_dirty)?;
    let root = repo.workdir().unwrap_or(&context.repo).to_path_buf();
    let source = WorkTree::new(&root);
    let project = Project::load(&source)?;
    let existing = load_all(&project, &source)?;
    let mut counts: BTreeMap<LayerId, u32> = existing.iter().map(|(l, m)| (l.clone(), m.len() as u32)).collect();
    // Everything that can fail on bad input happens above and here, before any file is written.
    let new = generate(&project, existing, args.message.as_deref())?;
    for migration in &new {
        *counts.entry(migration.key.layer.clone()).or_default() += 1;
    }
    let releases = crate::migrations::releases::record(&project, &counts).map_err(GenerateError::from)?;
    write(&root, &new, &releases)?;
    let message = match (&args.message, new.len()) {
        (Some(message), _) => message.clone(),
        (None, 0) => "strata: update schema sources".to_string(),
        (None, n) => {
            let ids: Vec<String> = new.iter().map(|m| format!("- {}", m.id())).collect();
            format!("strata: {n} migration{}\n\n{}", if n == 1 { "" } else { "s" }, ids.join("\n"))
        }
    };
    let Some(commit) = crate::git::commit_paths(&repo, &crate::git::MANAGED_PATHS, &message)? else {
        writeln!(out, "Nothing to commit: the declarative schema matches the committed migrations.").map_err(io)?;
        return Ok(crate::exit::OK);
    };
    if !context.quiet {
        for migration in &new {
            let hazards: Vec<&str> = migration.hazards.iter().map(|h| h.as_str()).collect();
            let note = if hazards.is_empty() { String::new() } else { format!("  [{}]", hazards.join(", ")) };
            writeln!(out, "  {}{note}", migration.up_path).map_err(io)?;
        }
        if new.is_empty() {
            writeln!(out, "No schema change; committed the updated sources.").map_err(io)?;
        }
    }
    writeln!(out, "{commit}").map_err(io)?;
    Ok(crate::exit::OK)
}
