//! One look at each server before any tenant starts. A wrong password, a server that is down or
//! refuses TLS fails every tenant alike; said once, with the environment and the server (never
//! its password), it is one line instead of a line per tenant, and no tenant is touched. And a
//! server with fewer connections to spare than the rollout would run tenants at once gets no more
//! than it has (#25 item 10).

use std::collections::BTreeSet;

use strata_core::duration::Timeouts;
use strata_core::url::redact;
use strata_db::session::{reach, server_of};
use strata_db::slots::{self, Slots};
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

/// The concurrency the servers of `targets` have connections for: `wanted`, or what the tightest
/// server has to spare when that is less, with the line that says so. The rollout's concurrency
/// is one number for the whole fleet and any tenant may be on the tightest server, so that server
/// sets it. A server whose slots cannot be read leaves `wanted` as it is: a refused connection is
/// still tried again (`strata_db::crowded`).
pub async fn room(
    env: &Environment,
    targets: &[Target],
    timeouts: &Timeouts,
    wanted: usize,
) -> (usize, Option<String>) {
    let mut seen = BTreeSet::new();
    let mut tightest: Option<(String, Slots)> = None;
    for target in targets {
        let Some(server) = server_of(target) else { continue };
        if !seen.insert(server.clone()) {
            continue;
        }
        let Ok(Some(slots)) = slots::of(target, timeouts).await else { continue };
        if tightest.as_ref().is_none_or(|(_, tight)| slots.spare() < tight.spare()) {
            tightest = Some((server, slots));
        }
    }
    match tightest {
        Some((server, slots)) if slots.spare() < wanted => {
            let spare = slots.spare();
            let line = format!(
                "concurrency {wanted} clamped to {spare}: the server of environment {} ({}) has {} to spare ({})",
                env.name,
                redact(&server),
                strata_core::count(spare, "connection"),
                slots.describe()
            );
            (spare, Some(line))
        }
        _ => (wanted, None),
    }
}
