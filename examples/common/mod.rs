//! What the benchmarks share: running a strata command in a child process (this example binary
//! re-executed in child mode, so it needs no separately built `strata`) and reading its wall time
//! and peak memory.
#![allow(dead_code)] // each benchmark uses a part

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;

pub struct Measure {
    pub wall: Duration,
    pub peak_kib: i64,
    pub code: i32,
}

impl Measure {
    pub fn peak_mb(&self) -> f64 {
        self.peak_kib as f64 / 1024.0
    }
}

/// In child mode (`--child ...`), runs the strata command line that follows and returns its exit
/// code; `None` in the parent. Output is discarded unless the last argument is `--print`.
pub fn child_mode() -> Option<std::process::ExitCode> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) != Some("--child") {
        return None;
    }
    let print = args.last().map(String::as_str) == Some("--print");
    let strata_args = &args[2..args.len() - usize::from(print)];
    let cli = strata_cli::Cli::parse_from(std::iter::once("strata".to_string()).chain(strata_args.iter().cloned()));
    let mut out: Box<dyn std::io::Write> = if print { Box::new(std::io::stdout()) } else { Box::new(std::io::sink()) };
    let status = strata_cli::execute(&cli, &mut out, &mut std::io::stderr());
    Some(std::process::ExitCode::from(status.code()))
}

/// Runs `strata --repo <repo> <args>` in a child process and reads its peak RSS.
// The child is reaped by `wait4`, which also gives its resource usage; clippy cannot see that.
#[allow(clippy::zombie_processes)]
pub fn measure(repo: &Path, args: &[&str]) -> Measure {
    let started = Instant::now();
    let child = Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .arg("--repo")
        .arg(repo)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `status` and `usage` are valid for writes.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    Measure { wall: started.elapsed(), peak_kib: usage.ru_maxrss, code: libc::WEXITSTATUS(status) }
}

/// Runs a strata command in a child process and returns what it printed.
pub fn output(repo: &Path, args: &[&str]) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .arg("--repo")
        .arg(repo)
        .args(args)
        .arg("--print")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// `git init` and one commit of everything under `root`.
pub fn git_commit_all(root: &Path, message: &str) {
    let repo = git2::Repository::open(root).or_else(|_| git2::Repository::init(root)).unwrap();
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::now("bench", "bench@localhost").unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents).unwrap();
}
