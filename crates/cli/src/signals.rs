//! SIGINT, SIGTERM and SIGHUP during `apply`. The first asks the rollout to stop: no further
//! tenant starts, the running ones finish their migrations and record them, and the summary, the
//! report and the rollout record are written as for a halted rollout; the command then exits
//! 128 + the signal's number, as a shell reports a command a signal ended. A second signal ends
//! the process at once, for an operator who cannot wait.

use std::sync::{Arc, OnceLock};

use strata_ops::rollout::stop::StopRequest;
use tokio::signal::unix::{signal, SignalKind};

/// A signal the rollout stops on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    Hangup,
    Interrupt,
    Terminate,
}

impl Interruption {
    pub fn name(self) -> &'static str {
        match self {
            Interruption::Hangup => "SIGHUP",
            Interruption::Interrupt => "SIGINT",
            Interruption::Terminate => "SIGTERM",
        }
    }

    /// 128 + the signal's number (1, 2, 15).
    pub fn exit_code(self) -> u8 {
        match self {
            Interruption::Hangup => 129,
            Interruption::Interrupt => 130,
            Interruption::Terminate => 143,
        }
    }
}

/// The first signal received, once the rollout has seen it.
#[derive(Debug, Clone, Default)]
pub struct Received(Arc<OnceLock<Interruption>>);

impl Received {
    pub fn first(&self) -> Option<Interruption> {
        self.0.get().copied()
    }
}

/// Listens for the three signals on the current tokio runtime (call inside it); the first
/// requests `stop`, the second exits the process.
pub fn listen(stop: StopRequest) -> std::io::Result<Received> {
    let mut hangup = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let received = Received::default();
    let record = received.clone();
    tokio::spawn(async move {
        loop {
            let got = tokio::select! {
                _ = hangup.recv() => Interruption::Hangup,
                _ = interrupt.recv() => Interruption::Interrupt,
                _ = terminate.recv() => Interruption::Terminate,
            };
            if record.0.set(got).is_err() {
                std::process::exit(i32::from(got.exit_code()));
            }
            stop.request(format!("interrupted by {}", got.name()));
            // stderr, beside the progress bar: stdout is the rollout's log and may be a pipe.
            eprintln!(
                "{}: no further tenant starts; the running ones finish (send it again to stop at once)",
                got.name()
            );
        }
    });
    Ok(received)
}
