//! A request to end a rollout early, made from outside it (a signal): no further tenant starts,
//! the running ones finish, and the rollout reports and records what it did like a halted one.

use std::sync::{Arc, OnceLock};

/// Shared between the rollout and whoever may ask it to stop; the first reason given is kept.
#[derive(Debug, Clone, Default)]
pub struct StopRequest(Arc<OnceLock<String>>);

impl StopRequest {
    /// Asks the rollout to stop, saying why (`interrupted by SIGTERM`); later requests are ignored.
    pub fn request(&self, why: String) {
        let _ = self.0.set(why);
    }

    /// Why the rollout was asked to stop, if it was.
    pub fn reason(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}
