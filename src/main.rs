//! The `strata` binary: parse arguments, run the command line, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use strata_cli::{exit, run, Cli, Error};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    match run(&cli, &mut stdout) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(match error {
                Error::Usage(_) => exit::USAGE,
                _ => exit::ERROR,
            })
        }
    }
}
