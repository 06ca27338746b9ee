//! The strata command line: definitions (clap) and one file per command. Commands write to an
//! `impl Write` so their output is testable; they return the process exit code.

mod adopt;
mod apply;
mod catalog;
mod check;
mod commit;
mod drift;
mod generated;
mod graph;
mod init;
mod inspect;
mod migration;
mod plan;
mod progress;
mod rehash;
mod repair;
mod rollback;
mod signals;
mod status;
mod style;
mod verify;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use strata_ops::Error;
use strata_project::git::GitError;
use strata_project::project::ProjectError;

/// How the process ends (DESIGN §7), for every command alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Ok,
    /// The repository, a database or the machine failed.
    Error,
    /// The command line asked for something that does not exist or cannot be.
    Usage,
    /// A check found a difference: drift, a failing gate, a tenant that does not resolve.
    Difference,
    /// At least one tenant of a rollout failed.
    RolloutFailed,
    /// A signal stopped a rollout early: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
    Interrupted(u8),
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Error => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Difference => 3,
            ExitStatus::RolloutFailed => 4,
            ExitStatus::Interrupted(code) => code,
        }
    }

    /// The one classifier of errors: naming what does not exist (a tenant, an environment, a
    /// ref given to `--commit`, `--to` or `--base`) is a usage error; anything else is an error.
    pub fn of(error: &Error) -> Self {
        match error {
            Error::Usage(_)
            | Error::Project(ProjectError::UnknownEnvironment { .. })
            | Error::Git(GitError::UnknownRef { .. }) => ExitStatus::Usage,
            Error::Policy(_) => ExitStatus::Difference,
            _ => ExitStatus::Error,
        }
    }
}

/// Runs a command line to its end: the command's own status, or its error written to `errors`
/// and classified.
pub fn execute(cli: &Cli, out: &mut dyn Write, errors: &mut dyn Write) -> ExitStatus {
    match run(cli, out) {
        Ok(status) => status,
        // The reader went away (`strata ... | head`): what it wanted it has; a quiet end.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Ok,
        Err(error) => {
            let status = ExitStatus::of(&error);
            // Nothing is left to tell if stderr itself is gone.
            let _ = writeln!(errors, "error: {error}");
            // Under --json a program reads stdout: the error is a JSON document there too.
            if cli.json {
                let document = serde_json::json!({
                    "format_version": 1,
                    "error": error.to_string(),
                    "exit_code": status.code(),
                });
                let _ = writeln!(out, "{document}");
            }
            status
        }
    }
}

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "Database schemas of multi-tenant applications as code in git")]
pub struct Cli {
    /// The schema repository (default: the current directory).
    #[arg(long, global = true, default_value = ".")]
    pub repo: PathBuf,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Less output: only errors and results.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour in text output.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: style::ColorChoice,
    /// Where strata remembers the last rollouts (default: `.strata/` in the repository, or
    /// STRATA_STATE_DIR); for a read-only checkout.
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a repository from the starter catalog and make its first commit.
    Init(init::Args),
    /// Check manifests, names, module resolution and layer cycles (fast, no database).
    Check,
    /// Show each tenant's layers in application order, and why each is there.
    Resolve(check::ResolveArgs),
    /// The module dependency graph (Graphviz dot or Mermaid).
    Graph(graph::Args),
    /// The migrations `commit` would write, their hazards, and the tenants they reach, by group.
    Plan(plan::Args),
    /// The pull-request gate: every check `check` and `plan` know, plus replay on a scratch database.
    Verify(verify::Args),
    /// Write migrations for every declarative change, update strata.sum, and git-commit.
    Commit(commit::Args),
    /// Rewrite every strata.sum from the files its folder holds (after resolving a merge conflict).
    Rehash,
    /// Apply a commit's migrations to an environment's tenants.
    Apply(apply::Args),
    /// Take over tenants whose schema exists already: record their migrations as a baseline, run
    /// nothing (refused, naming each object, where the live schema differs).
    Adopt(adopt::Args),
    /// Per tenant of an environment: applied, pending (in this commit, not yet applied) and failed
    /// migrations.
    Status(EnvArgs),
    /// Per tenant: the live schema against what its applied migrations make, object by object.
    Drift(EnvArgs),
    /// Read a live schema and write it as SQL files for a template's `schema/`.
    Inspect(inspect::Args),
    /// Settle a failed migration (MySQL): compare the live schema, mark it applied or rolled back.
    Repair(repair::Args),
    /// Take one tenant back to a commit by running down migrations, newest first.
    Rollback(rollback::Args),
    /// Hand-written migrations: `strata migration new LAYER NAME`.
    Migration(migration::Args),
    /// Shell completions for bash, zsh, fish, elvish or powershell, printed.
    Completions(generated::CompletionsArgs),
    /// The man pages: `strata.1` printed, or every page written with `--out DIR`.
    Man(generated::ManArgs),
    /// Write JSON Schemas of strata.yaml, template/module.yaml, tenant.yaml, environments and
    /// patches, for editors (`strata init` writes them and points each file at its schema).
    Schemas(generated::SchemasArgs),
}

/// Runs a parsed command line.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let context = Context {
        repo: cli.repo.clone(),
        json: cli.json,
        quiet: cli.quiet,
        style: style::Style { color: cli.color.enabled() },
        state_dir: cli.state_dir.clone(),
    };
    match &cli.command {
        Command::Init(args) => init::run(&context, args, out),
        Command::Check => check::check(&context, out),
        Command::Resolve(args) => check::resolve(&context, args, out),
        Command::Graph(args) => graph::run(&context, args, out),
        Command::Plan(args) => plan::run(&context, args, out),
        Command::Verify(args) => verify::run(&context, args, out),
        Command::Commit(args) => commit::run(&context, args, out),
        Command::Rehash => rehash::run(&context, out),
        Command::Apply(args) => apply::run(&context, args, out),
        Command::Adopt(args) => adopt::run(&context, args, out),
        Command::Status(args) => status::run(&context, args, out),
        Command::Drift(args) => drift::run(&context, args, out),
        Command::Inspect(args) => inspect::run(&context, args, out),
        Command::Repair(args) => repair::run(&context, args, out),
        Command::Rollback(args) => rollback::run(&context, args, out),
        Command::Migration(args) => migration::run(&context, args, out),
        Command::Completions(args) => generated::completions(args, out),
        Command::Man(args) => generated::man(args, out),
        Command::Schemas(args) => generated::schemas(&context, args, out),
    }
}

/// Which tenants of which environment, against which commit: shared by the commands that reach
/// tenant databases.
#[derive(Debug, clap::Args)]
pub struct EnvArgs {
    /// Environment (environments/<env>.yaml at the commit).
    #[arg(long)]
    pub env: String,
    /// Commit to read migrations from: hash, branch, tag or any git revision.
    #[arg(long, default_value = "HEAD")]
    pub commit: String,
    /// Only these tenants (repeatable).
    #[arg(long = "tenant")]
    pub tenants: Vec<String>,
}

/// One tenant of an environment: shared by the commands that act on a single tenant.
#[derive(Debug, clap::Args)]
pub struct TenantArgs {
    /// Environment (environments/<env>.yaml).
    #[arg(long)]
    pub env: String,
    /// The tenant.
    #[arg(long)]
    pub tenant: String,
}

/// Global options every command sees.
pub struct Context {
    pub repo: PathBuf,
    pub json: bool,
    pub quiet: bool,
    pub style: style::Style,
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
}

/// `--format` of the report commands; the global `--json` means `--format json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

impl Context {
    fn format(&self, asked: Format) -> Format {
        if self.json {
            Format::Json
        } else {
            asked
        }
    }
}

/// Renders one of the crate's tera report templates (`src/cli/templates/`).
fn render_template(name: &str, template: &str, value: &impl serde::Serialize) -> Result<String, Error> {
    let failed = |e: tera::Error| Error::Report { name: name.to_string(), source: Box::new(e) };
    let context = tera::Context::from_serialize(value).map_err(failed)?;
    tera::Tera::one_off(template, &context, false).map_err(failed)
}

fn io(e: std::io::Error) -> Error {
    Error::Output(e)
}

/// `--concurrency`: a number of tenants at once, so at least one (0 would start nothing).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Prints a value as pretty JSON.
fn print_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), Error> {
    let text =
        serde_json::to_string_pretty(value).map_err(|source| Error::Json { what: "JSON output".into(), source })?;
    writeln!(out, "{text}").map_err(io)
}

/// A tokio runtime for the commands that talk to databases.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(io)
}

/// Left-aligned columns for terminal tables.
fn table(out: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> Result<(), Error> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(header.iter().map(|h| h.to_string()).collect())).map_err(io)?;
    for row in rows {
        writeln!(out, "{}", line(row.clone())).map_err(io)?;
    }
    Ok(())
}
