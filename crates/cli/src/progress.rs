//! Progress of a fleet rollout: a live bar with counts and ETA on a terminal (indicatif), plain
//! periodic lines elsewhere (CI logs), so a long rollout shows it is alive either way. Progress
//! goes to stderr; the per-tenant log and the summary stay on stdout.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub enum Progress {
    Bar(ProgressBar),
    Lines { every: Duration, last: Instant, started: Instant, done: u64, failed: u64, total: u64 },
    Off,
}

impl Progress {
    /// A bar on a terminal, periodic lines otherwise; nothing with `--json`/`--quiet`.
    pub fn new(total: usize, quiet: bool) -> Self {
        let total = total as u64;
        if quiet {
            return Progress::Off;
        }
        if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            let bar = ProgressBar::new(total);
            let style =
                ProgressStyle::with_template("{bar:40} {pos}/{len} tenants  {msg}  {elapsed} elapsed, eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            return Progress::Bar(bar);
        }
        let now = Instant::now();
        Progress::Lines { every: Duration::from_secs(10), last: now, started: now, done: 0, failed: 0, total }
    }

    /// One tenant finished; `line` is its log line (printed above a bar, or by the caller).
    pub fn tenant(&mut self, failed: bool) {
        match self {
            Progress::Bar(bar) => {
                bar.inc(1);
                if failed {
                    let failed_so_far =
                        bar.message().split(' ').next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0) + 1;
                    bar.set_message(format!("{failed_so_far} failed"));
                }
            }
            Progress::Lines { every, last, started, done, failed: failures, total } => {
                *done += 1;
                *failures += u64::from(failed);
                if last.elapsed() >= *every && *done < *total {
                    *last = Instant::now();
                    let elapsed = started.elapsed().as_secs_f64();
                    let eta = elapsed / *done as f64 * (*total - *done) as f64;
                    eprintln!(
                        "progress: {done}/{total} tenants ({}%), {failures} failed, {elapsed:.0} s elapsed, eta {eta:.0} s",
                        *done * 100 / (*total).max(1)
                    );
                }
            }
            Progress::Off => {}
        }
    }

    /// Writes a log line without tearing the bar.
    pub fn println(&self, line: &str) -> bool {
        match self {
            Progress::Bar(bar) => {
                bar.println(line);
                true
            }
            _ => false,
        }
    }

    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
