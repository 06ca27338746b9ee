//! `strata rehash`: rewrite the `strata.sum` of every migration folder from the files it holds, after
//! a merge conflict was resolved or a not-yet-merged migration was renumbered by hand (what
//! `atlas migrate hash` does). It never hides an edit of a merged migration: `verify` compares
//! those with the base branch, not with the sum.

use std::io::Write;

use super::{io, Context};
use crate::{Error, ExitStatus};
use strata_migrations::generate::resum;
use strata_project::source::{Source, WorkTree};

pub fn run(context: &Context, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let source = WorkTree::new(&context.repo);
    let mut rewritten = Vec::new();
    for kind in source.subdirs("migrations")? {
        for name in source.subdirs(&format!("migrations/{kind}"))? {
            let dir = format!("migrations/{kind}/{name}");
            let sum_path = format!("{dir}/{}", strata_migrations::sum::SUM_FILE);
            let before = source.read(&sum_path)?;
            resum(&context.repo, &dir)?;
            if source.read(&sum_path)? != before {
                if !context.json {
                    writeln!(out, "rewrote {sum_path}").map_err(io)?;
                }
                rewritten.push(sum_path);
            }
        }
    }
    if context.json {
        super::print_json(out, &serde_json::json!({ "format_version": 1, "rewritten": rewritten }))?;
    } else if !context.quiet {
        writeln!(out, "{} rewritten; commit them with the migrations", strata_core::count(rewritten.len(), "sum file"))
            .map_err(io)?;
    }
    Ok(ExitStatus::Ok)
}
