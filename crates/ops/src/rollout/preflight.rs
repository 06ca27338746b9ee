//! One look at each server before any tenant starts. A wrong password, a server that is down or
//! refuses TLS fails every tenant alike; said once, with the environment and the server (never
//! its password), it is one line instead of a line per tenant, and no tenant is touched.

use std::collections::BTreeSet;

use strata_core::duration::Timeouts;
use strata_core::url::redact;
use strata_db::session::{reach, server_of};
use strata_db::tenant::Target;
use strata_project::project::Environment;

/// Why the rollout cannot start, when some server of `targets` cannot be reached.
pub async fn unreachable(env: &Environment, targets: &[Target], timeouts: &Timeouts) -> Option<String> {
    let mut seen = BTreeSet::new();
    for target in targets {
        let Some(server) = server_of(target) else { continue };
        if !seen.insert(server.clone()) {
            continue;
        }
        if let Err(e) = reach(target, timeouts).await {
            return Some(format!(
                "cannot reach the server of environment {} ({}, {}): {e}; no tenant was started",
                env.name,
                redact(&server),
                env.path
            ));
        }
    }
    None
}
