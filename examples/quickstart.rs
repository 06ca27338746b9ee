//! The main job end to end on the embedded SQLite default, as a new user would run it:
//! `strata init` a demo repository, `strata commit` its first migrations, `strata apply` them to
//! every tenant, then `strata status`.
//!
//! cargo run --release --example quickstart [-- DIR]     (default DIR: <temp>/strata-quickstart)

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use strata_cli::{run, Cli, ExitStatus};

fn strata(args: &[&str]) -> Result<(), String> {
    let shown: Vec<String> =
        args.iter().map(|a| if a.contains(' ') { format!("'{a}'") } else { a.to_string() }).collect();
    println!("\n$ strata {}", shown.join(" "));
    let cli = Cli::try_parse_from(std::iter::once("strata").chain(args.iter().copied())).map_err(|e| e.to_string())?;
    match run(&cli, &mut std::io::stdout()) {
        Ok(ExitStatus::Ok) => Ok(()),
        Ok(status) => Err(format!("strata {} exited with {}", args.join(" "), status.code())),
        Err(e) => Err(format!("strata {}: {e}", args.join(" "))),
    }
}

fn main() -> ExitCode {
    let dir =
        std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("strata-quickstart"));
    // Start over only in a folder that a previous quickstart made.
    if dir.join("strata.yaml").exists() {
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            eprintln!("cannot clear {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    let repo = dir.to_string_lossy().into_owned();
    let steps: [&[&str]; 5] = [
        &["init", &repo],
        &["--repo", &repo, "resolve", "--tenant", "nrna"],
        &["--repo", &repo, "commit", "-m", "initial schema"],
        &["--repo", &repo, "apply", "--env", "local"],
        &["--repo", &repo, "status", "--env", "local"],
    ];
    for step in steps {
        if let Err(e) = strata(step) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("\nThe demo repository is {repo}: edit a module's schema/*.sql, then `strata --repo {repo} commit` and `apply` again.");
    println!("(`cargo install --path . --locked` in this repository puts `strata` in ~/.cargo/bin.)");
    ExitCode::SUCCESS
}
