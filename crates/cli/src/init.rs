//! `strata init [DIR] [--dialect D]`

use std::io::Write;
use std::path::PathBuf;

use super::{io, print_json, Context};
use crate::{Error, ExitStatus};
use strata_core::atomic_file::write_atomic;
use strata_core::Dialect;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to create the repository in (default: the --repo folder).
    pub dir: Option<PathBuf>,
    /// SQL dialect of the new project.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub dialect: DialectArg,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DialectArg {
    Sqlite,
    Postgres,
    Mysql,
}

impl From<DialectArg> for Dialect {
    fn from(d: DialectArg) -> Self {
        match d {
            DialectArg::Sqlite => Dialect::Sqlite,
            DialectArg::Postgres => Dialect::Postgres,
            DialectArg::Mysql => Dialect::Mysql,
        }
    }
}

const GITIGNORE_LINE: &str = ".strata/";

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let dir = args.dir.clone().unwrap_or_else(|| context.repo.clone());
    let dialect = Dialect::from(args.dialect);
    let files = crate::catalog::files(dialect).ok_or_else(|| {
        Error::Usage(format!(
            "no starter catalog for {dialect} yet (available: {})",
            crate::catalog::dialects().join(", ")
        ))
    })?;
    // Refuse before writing anything: init never overwrites a user's file.
    let existing: Vec<&str> = files.iter().map(|(p, _)| *p).filter(|p| dir.join(p).exists()).collect();
    if !existing.is_empty() {
        return Err(Error::Usage(format!("{} already has {}: not overwriting", dir.display(), existing.join(", "))));
    }
    for (path, content) in &files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        // Each YAML file names its JSON Schema, so an editor completes and checks it.
        let modeline = strata_project::project::json_schema::modeline(path).unwrap_or_default();
        write_atomic(&full, format!("{modeline}{content}"))?;
    }
    crate::generated::write_schemas(&dir.join(strata_project::project::json_schema::SCHEMA_DIR))?;
    let gitignore = dir.join(".gitignore");
    let current = std::fs::read_to_string(&gitignore).unwrap_or_default();
    if !current.lines().any(|l| l.trim() == GITIGNORE_LINE) {
        let separator = if current.is_empty() || current.ends_with('\n') { "" } else { "\n" };
        let text = format!("{current}{separator}# strata's local tenant databases\n{GITIGNORE_LINE}\n");
        write_atomic(&gitignore, text)?;
    }
    let repo = match git2::Repository::open(&dir) {
        Ok(repo) => repo,
        Err(_) => git2::Repository::init(&dir).map_err(strata_project::git::GitError::from)?,
    };
    let mut paths: Vec<&str> = strata_project::git::MANAGED_PATHS.to_vec();
    paths.push(".gitignore");
    let commit = strata_project::git::commit_paths(&repo, &paths, "strata init: starter schema catalog")?;
    if context.json {
        let paths: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
        let document = serde_json::json!({
            "format_version": 1,
            "directory": dir.display().to_string(),
            "dialect": dialect.to_string(),
            "files": paths,
            "commit": commit.map(|c| c.to_string()),
        });
        print_json(out, &document)?;
    } else if !context.quiet {
        writeln!(out, "Created a {dialect} strata repository in {} ({} files).", dir.display(), files.len())
            .map_err(io)?;
        if let Some(commit) = commit {
            writeln!(out, "Committed {}.", &commit.to_string()[..12]).map_err(io)?;
        }
        if let Some(example) = example_url(dialect) {
            writeln!(
                out,
                "The environment `local` reads its server from DATABASE_URL, e.g. export DATABASE_URL={example}"
            )
            .map_err(io)?;
        }
        writeln!(out, "Next: `strata commit` writes the first migrations, `strata apply --env local` applies them.")
            .map_err(io)?;
    }
    Ok(ExitStatus::Ok)
}

/// A URL of the shape the starter's environment expects, for the hint after `init`.
fn example_url(dialect: Dialect) -> Option<&'static str> {
    match dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => Some("postgres://app@127.0.0.1:5432/app"),
        Dialect::Mysql => Some("mysql://app@127.0.0.1:3306/app"),
    }
}
