//! `strata inspect --url URL [--schema S | --database D] [--dialect D] [--out DIR]`: a live schema
//! as SQL files for a template's `schema/` (printed one after another without `--out`).

use std::io::Write;
use std::path::PathBuf;

use super::init::DialectArg;
use super::{io, print_json, runtime, Context};
use crate::{Error, ExitStatus};
use strata_core::atomic_file::write_atomic;
use strata_ops::inspect::{inspect, InspectOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database: a URL (`postgres://`, `mysql://`; `${VAR}` is expanded, so a password can stay
    /// in the environment: --url '${DATABASE_URL}') or a SQLite file.
    #[arg(long)]
    pub url: String,
    /// PostgreSQL: the schema to read (default: public).
    #[arg(long)]
    pub schema: Option<String>,
    /// MySQL/MariaDB: the database to read (default: the URL's).
    #[arg(long)]
    pub database: Option<String>,
    /// The engine, when the URL's scheme does not say.
    #[arg(long, value_enum)]
    pub dialect: Option<DialectArg>,
    /// Write the files into this folder (created; its existing .sql files are never overwritten).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let options = InspectOptions {
        url: args.url.clone(),
        schema: args.schema.clone(),
        database: args.database.clone(),
        dialect: args.dialect.map(Into::into),
    };
    let (dialect, files) = runtime()?.block_on(inspect(&options))?;
    if let Some(dir) = &args.out {
        let taken: Vec<&str> = files.iter().map(|f| f.name.as_str()).filter(|name| dir.join(name).exists()).collect();
        if !taken.is_empty() {
            return Err(Error::Usage(format!("{} already has {}: not overwriting", dir.display(), taken.join(", "))));
        }
        let file_error = |source| Error::File { path: dir.display().to_string(), source };
        std::fs::create_dir_all(dir).map_err(file_error)?;
        for file in &files {
            write_atomic(&dir.join(&file.name), &file.sql)?;
        }
    }
    if context.json {
        print_json(out, &serde_json::json!({ "format_version": 1, "dialect": dialect.to_string(), "files": files }))?;
    } else if let Some(dir) = &args.out {
        if !context.quiet {
            writeln!(out, "wrote {} {dialect} files to {}", files.len(), dir.display()).map_err(io)?;
        }
    } else {
        for file in &files {
            writeln!(out, "-- file: {}\n{}", file.name, file.sql).map_err(io)?;
        }
    }
    Ok(ExitStatus::Ok)
}
