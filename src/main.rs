//! The `strata` binary: parse arguments, run the command line, exit with its status.

use std::process::ExitCode;

use clap::Parser;
use strata_cli::{execute, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = execute(&cli, &mut std::io::stdout().lock(), &mut std::io::stderr());
    ExitCode::from(status.code())
}
