//! Applying a commit to an environment's tenants, and reporting where each tenant stands.
//!
//! Everything is read from the git objects of one commit: manifests, layer sources and
//! migrations. A tenant's failure is recorded and the rollout moves on to the next tenant; one
//! tenant's database is never touched on behalf of another.

pub mod adopt;
mod apply;
pub mod drift;
mod preflight;
pub mod repair;
mod replays;
mod resume;
pub mod rollback;
pub mod shard;
pub mod status;
pub mod stop;
pub mod waves;

pub use apply::{apply, default_concurrency, ApplyOptions, ApplyReport, Event, TenantOutcome, TenantStatus};

/// Where strata keeps what it remembers between runs (the last rollouts): `chosen`
/// (`--state-dir`), else `STRATA_STATE_DIR`, else `.strata/` in the repository; a relative path
/// is the repository's. A container with a read-only checkout points it at a writable volume.
pub fn state_dir(root: &Path, chosen: Option<&Path>) -> PathBuf {
    let from_env = std::env::var_os("STRATA_STATE_DIR").filter(|v| !v.is_empty()).map(PathBuf::from);
    match chosen.map(Path::to_path_buf).or(from_env) {
        Some(dir) => root.join(dir),
        None => root.join(".strata"),
    }
}

/// Where the last rollout of an environment (and shard) is remembered, for `--only-failed`.
pub fn last_run_path(state: &Path, env: &str, shard: Option<shard::Shard>) -> PathBuf {
    let name = match shard {
        Some(s) => format!("{env}.shard-{}-of-{}.json", s.index, s.count),
        None => format!("{env}.json"),
    };
    state.join("rollouts").join(name)
}

use std::collections::BTreeMap;

/// What a rollout leaves in `.strata/rollouts/`: its commit, the tenants that failed (for
/// `--only-failed`) and why (for `status`).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct LastRun {
    pub commit: String,
    pub failed: Vec<String>,
    /// Tenant -> its error; absent in records written before it was kept.
    #[serde(default)]
    pub errors: BTreeMap<String, String>,
}

impl LastRun {
    /// The last rollouts of `env` recorded in the state directory `state` (the whole
    /// environment's and each shard's); unreadable records are passed over: they are a
    /// convenience, not the history.
    pub fn of_environment(state: &Path, env: &str) -> Vec<LastRun> {
        let Ok(entries) = std::fs::read_dir(state.join("rollouts")) else { return Vec::new() };
        entries
            .filter_map(Result::ok)
            .filter(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name == format!("{env}.json") || name.starts_with(&format!("{env}.shard-"))
            })
            .filter_map(|entry| serde_json::from_str(&std::fs::read_to_string(entry.path()).ok()?).ok())
            .collect()
    }
}
use std::path::{Path, PathBuf};

use crate::rerender::is_migration;
use crate::snapshot::{short, Snapshot};
use strata_db::HistoryRow;
use strata_migrations::Migration;
use strata_project::project::Tenant;

/// Checks applied history against the commit: every applied migration must exist there with the
/// same checksum, and none may be in a failed state.
pub fn check_history(
    view: &Snapshot,
    tenant: &Tenant,
    order: &[&Migration],
    history: &[HistoryRow],
) -> Result<(), String> {
    let known: BTreeMap<String, &Migration> = order.iter().map(|m| (m.id(), *m)).collect();
    for row in history.iter().filter(|r| is_migration(&r.id)) {
        let Some(migration) = known.get(&row.id) else {
            return Err(format!(
                "tenant {} has {} applied (from commit {}), which commit {} does not contain; apply a commit that has it, or roll back",
                tenant.id,
                row.id,
                short(&row.commit_sha),
                short(&view.commit_sha)
            ));
        };
        let checksum = view.checksum(migration);
        if checksum != row.checksum {
            return Err(format!(
                "{} was applied with checksum {} but {} at commit {} has checksum {}: a committed migration was edited",
                row.id,
                short(&row.checksum),
                migration.up_path,
                short(&view.commit_sha),
                short(&checksum)
            ));
        }
        if !row.state.is_done() {
            let settle = match row.state {
                _ if row.statements_done.is_some() => "the next apply resumes it after the statements it recorded done",
                strata_db::HistoryState::Reverting => "run the rollback again to finish it, or `strata repair`",
                _ => "run `strata repair`",
            };
            return Err(format!("{} is in state '{}'; {settle} for tenant {}", row.id, row.state, tenant.id));
        }
    }
    Ok(())
}
