//! Files generated from strata's own definitions, so they cannot drift from it: shell completions
//! and man pages from the clap command line, JSON Schemas of the YAML files from the serde types.

use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;
use strata_project::project::json_schema::{schema_files, SCHEMA_DIR};

use super::{io, print_json, Context};
use crate::{Cli, Error, ExitStatus};
use strata_core::atomic_file::write_atomic;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// `strata completions bash > /etc/bash_completion.d/strata`; zsh: into a folder of `$fpath`
    /// as `_strata`; fish: `~/.config/fish/completions/strata.fish`; powershell: `| Out-String | Invoke-Expression`.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write `strata.1` and a page per command (`strata-apply.1` ...) into this folder instead of
    /// printing `strata.1`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct SchemasArgs {
    /// Folder to write the schemas into (default: `.schemas` in the repository).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    clap_complete::generate(args.shell, &mut Cli::command(), "strata", out);
    Ok(ExitStatus::Ok)
}

pub fn man(args: &ManArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    match &args.out {
        None => clap_mangen::Man::new(Cli::command()).render(out).map_err(io)?,
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| file_error(dir, source))?;
            let mut command = Cli::command().disable_help_subcommand(true);
            command.build();
            write_man_pages(command, dir)?;
        }
    }
    Ok(ExitStatus::Ok)
}

/// A page for `command` and each visible subcommand, as `clap_mangen::generate_to` writes them, but
/// each written whole ([`write_atomic`]) so that a killed run leaves no truncated page.
fn write_man_pages(command: clap::Command, dir: &std::path::Path) -> Result<(), Error> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
        write_man_pages(sub, dir)?;
    }
    let man = clap_mangen::Man::new(command);
    let mut page = Vec::new();
    man.render(&mut page).map_err(io)?;
    Ok(write_atomic(&dir.join(man.get_filename()), page)?)
}

/// Writes every JSON Schema into `dir`; returns the paths written.
pub fn write_schemas(dir: &std::path::Path) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|source| file_error(dir, source))?;
    let mut written = Vec::new();
    for file in schema_files() {
        let path = dir.join(file.name);
        let text = serde_json::to_string_pretty(&file.schema)
            .map_err(|source| Error::Json { what: file.name.to_string(), source })?;
        write_atomic(&path, format!("{text}\n"))?;
        written.push(path);
    }
    Ok(written)
}

pub fn schemas(context: &Context, args: &SchemasArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let dir = args.out.clone().unwrap_or_else(|| context.repo.join(SCHEMA_DIR));
    let written = write_schemas(&dir)?;
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    if context.json {
        print_json(out, &serde_json::json!({ "format_version": 1, "written": names }))?;
    } else if !context.quiet {
        for file in schema_files() {
            writeln!(out, "{}  ({})", dir.join(file.name).display(), file.describes).map_err(io)?;
        }
    }
    Ok(ExitStatus::Ok)
}

fn file_error(path: &std::path::Path, source: std::io::Error) -> Error {
    Error::File { path: path.display().to_string(), source }
}
