//! `strata commit [-m MSG] [--allow-dirty]`

use std::io::Write;

use super::{io, Context};
use std::collections::BTreeMap;

use crate::Error;
use strata_dialect::plan::Hazard;
use strata_migrations::generate::{generate, load_all, write, GenerateError};
use strata_migrations::releases;
use strata_project::project::Project;
use strata_project::project::{LayerId, LayerKind};
use strata_project::source::WorkTree;

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

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<u8, Error> {
    let repo = strata_project::git::open(&context.repo)?;
    strata_project::git::check_committable(&repo, args.allow_dirty)?;
    let root = repo.workdir().unwrap_or(&context.repo).to_path_buf();
    let source = WorkTree::new(&root);
    let project = Project::load(&source)?;
    let mut all = load_all(&project, &source)?;
    // Everything that can fail on bad input happens from here to `write`, before any file is written.
    let mut new = generate(&project, all.clone(), args.message.as_deref())?;
    for migration in &mut new {
        for (hazard, reason) in &args.allow {
            migration.allow(*hazard, reason);
        }
    }
    for migration in &new {
        all.entry(migration.key.layer.clone()).or_default().push(migration.clone());
    }
    let counts: BTreeMap<LayerId, u32> = all.iter().map(|(l, m)| (l.clone(), m.len() as u32)).collect();
    let recorded = releases::record(&project, &counts).map_err(GenerateError::from)?;
    // A release is forever: one whose migrations need more than its ranges promise is refused now.
    let mut released = project.clone();
    for (layer, list) in &recorded {
        let package = match layer.kind {
            LayerKind::Template => released.templates.get_mut(&layer.name),
            _ => released.modules.get_mut(&layer.name),
        };
        if let Some(package) = package {
            package.releases = list.clone();
        }
    }
    let new_versions: Vec<String> = recorded
        .iter()
        .filter_map(|(layer, list)| Some(format!(" {layer} {} includes ", list.last()?.version)))
        .collect();
    let problems: Vec<String> = releases::inconsistencies(&released, &all)
        .into_iter()
        .filter(|p| new_versions.iter().any(|v| p.contains(v.as_str())))
        .collect();
    if !problems.is_empty() {
        return Err(GenerateError::Inconsistent(problems.join("\n")).into());
    }
    write(&root, &new, &releases::files(&project, &recorded))?;
    let message = match (&args.message, new.len()) {
        (Some(message), _) => message.clone(),
        (None, 0) => "strata: update schema sources".to_string(),
        (None, n) => {
            let ids: Vec<String> = new.iter().map(|m| format!("- {}", m.id())).collect();
            format!("strata: {n} migration{}\n\n{}", if n == 1 { "" } else { "s" }, ids.join("\n"))
        }
    };
    let Some(commit) = strata_project::git::commit_paths(&repo, &strata_project::git::MANAGED_PATHS, &message)? else {
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
