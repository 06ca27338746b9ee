//! `strata graph [--format dot|mermaid]` (and `--json` for programs)

use std::io::Write;

use super::{io, Context};
use crate::{Error, ExitStatus};
use strata_project::project::Project;
use strata_project::resolve::graph;
use strata_project::source::WorkTree;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "dot")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let project = Project::load(&WorkTree::new(&context.repo))?;
    if context.json {
        super::print_json(out, &graph::document(&project))?;
        return Ok(ExitStatus::Ok);
    }
    let text = match args.format {
        Format::Dot => graph::dot(&project),
        Format::Mermaid => graph::mermaid(&project),
    };
    out.write_all(text.as_bytes()).map_err(io)?;
    Ok(ExitStatus::Ok)
}
