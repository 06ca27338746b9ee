//! The seed policy. A layer's `seed/*.sql` is data a tenant gets once, after its migrations; a new
//! seed file runs once on every tenant, existing ones included. A seed that ran is never run again
//! silently, so an edit to one must say what it means by a line in the file:
//! `-- strata:rerun` runs the new text again where an older text ran (it must be safe to run
//! twice), `-- strata:keep` leaves those tenants with the rows the older text made (new tenants get
//! the new text). An unmarked edit is refused: by `verify` against the merged text, and by `apply`
//! for each tenant that ran an older text. `plan` and `status` say which seeds changed.

use strata_db::HistoryRow;
use strata_migrations::sum::{checksum, normalized};
use strata_project::source::Source;

use crate::snapshot::Seed;

/// What an edited seed file asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedMark {
    /// `-- strata:rerun`: run the new text where an older one ran.
    Rerun,
    /// `-- strata:keep`: tenants that ran an older text keep its rows.
    Keep,
}

impl SeedMark {
    pub fn as_str(self) -> &'static str {
        match self {
            SeedMark::Rerun => "rerun",
            SeedMark::Keep => "keep",
        }
    }
}

/// The mark of a seed's text: a line `-- strata:rerun` or `-- strata:keep`.
pub fn mark(text: &str) -> Option<SeedMark> {
    text.lines().find_map(|line| match line.trim() {
        "-- strata:rerun" => Some(SeedMark::Rerun),
        "-- strata:keep" => Some(SeedMark::Keep),
        _ => None,
    })
}

/// The advice every message about an unmarked edit ends with.
const HOW: &str = "a seed runs once per tenant: mark the file `-- strata:rerun` to run the new text again (it must be safe to run twice) or `-- strata:keep` to leave the rows the older text made, or put new rows in a new seed file";

/// What one tenant's history asks of one seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedStep {
    /// Never ran on the tenant: run it, recorded under this id.
    Run(String),
    /// Ran with this text already, or an older text that `-- strata:keep` keeps.
    Done,
    /// An older text ran and the file is unmarked: the tenant is refused.
    Refused(String),
}

/// What to do with `seed` on a tenant whose history is `history`.
pub fn step(seed: &Seed, history: &[HistoryRow]) -> SeedStep {
    let sum = checksum(&seed.text);
    let rerun_prefix = format!("{}@", seed.id);
    let ran: Vec<&HistoryRow> = history
        .iter()
        .filter(|row| row.state.is_done() && (row.id == seed.id || row.id.starts_with(&rerun_prefix)))
        .collect();
    if ran.is_empty() {
        return SeedStep::Run(seed.id.clone());
    }
    if ran.iter().any(|row| row.checksum == sum) {
        return SeedStep::Done;
    }
    match mark(&seed.text) {
        // Each text that reruns has an id of its own: history stays append-only.
        Some(SeedMark::Rerun) => SeedStep::Run(format!("{rerun_prefix}{}", &sum[..sum.len().min(12)])),
        Some(SeedMark::Keep) => SeedStep::Done,
        None => SeedStep::Refused(format!("{} changed since it ran on this tenant; {HOW}", seed.path)),
    }
}

/// The seeds to run on a tenant whose history is `history`, each with the id it is recorded
/// under; or why the tenant is refused (an unmarked edit of a seed it ran).
pub fn to_run<'s>(seeds: &'s [Seed], history: &[HistoryRow]) -> Result<Vec<(String, &'s Seed)>, String> {
    let mut runs = Vec::new();
    for seed in seeds {
        match step(seed, history) {
            SeedStep::Run(id) => runs.push((id, seed)),
            SeedStep::Done => {}
            SeedStep::Refused(why) => return Err(why),
        }
    }
    Ok(runs)
}

/// What `status` says of a seed whose text changed since it ran, if it did.
pub fn changed_note(seed: &Seed, history: &[HistoryRow]) -> Option<String> {
    let ran_before = history.iter().any(|row| row.id == seed.id);
    match step(seed, history) {
        SeedStep::Refused(message) => Some(message),
        SeedStep::Run(_) if ran_before => {
            Some(format!("{} changed since it ran; it runs again (strata:rerun)", seed.path))
        }
        SeedStep::Done if ran_before && !history.iter().any(|r| r.checksum == checksum(&seed.text)) => {
            Some(format!("{} changed since it ran; the rows stay as they are (strata:keep)", seed.path))
        }
        _ => None,
    }
}

/// A seed file whose text differs from the same file at a base (HEAD for `plan`, the merge base
/// for `verify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedSeed {
    pub path: String,
    pub mark: Option<SeedMark>,
}

impl std::fmt::Display for ChangedSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = &self.path;
        match self.mark {
            None => write!(f, "{path} was edited after it may have run; {HOW}"),
            Some(SeedMark::Rerun) => {
                write!(f, "{path} changed: tenants that ran it run the new text again (strata:rerun)")
            }
            Some(SeedMark::Keep) => {
                write!(
                    f,
                    "{path} changed: tenants that ran it keep their rows, new tenants get the new text (strata:keep)"
                )
            }
        }
    }
}

/// Seed files of `base` that `now` holds with other text (a removed seed changes no tenant).
pub fn changed_seeds(base: &dyn Source, now: &dyn Source) -> Result<Vec<ChangedSeed>, String> {
    let mut changed = Vec::new();
    for kind in ["templates", "modules", "tenants"] {
        for layer in base.subdirs(kind).map_err(|e| e.to_string())? {
            let dir = format!("{kind}/{layer}/seed");
            for path in base.files_with(&dir, &["sql"]).map_err(|e| e.to_string())? {
                let before = base.read(&path).map_err(|e| e.to_string())?.unwrap_or_default();
                let Some(after) = now.read(&path).map_err(|e| e.to_string())? else { continue };
                if normalized(&before) != normalized(&after) {
                    changed.push(ChangedSeed { mark: mark(&after), path });
                }
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_db::HistoryState;

    fn seed(text: &str) -> Seed {
        Seed {
            id: "seed:template.party/01_roles.sql".into(),
            layer: "template.party".into(),
            path: "templates/party/seed/01_roles.sql".into(),
            text: text.into(),
        }
    }

    fn ran(id: &str, text: &str) -> HistoryRow {
        HistoryRow {
            id: id.into(),
            layer: "template.party".into(),
            seq: 0,
            checksum: checksum(text),
            commit_sha: "0".repeat(40),
            state: HistoryState::Applied,
            schema_hash: None,
            applied_at: String::new(),
            applied_by: None,
            duration_ms: None,
            statements_done: None,
        }
    }

    #[test]
    fn a_seed_runs_once_and_an_edit_must_say_what_it_means() {
        let old = "INSERT INTO roles VALUES (1);\n";
        let history = [ran("seed:template.party/01_roles.sql", old)];
        assert_eq!(step(&seed(old), &[]), SeedStep::Run("seed:template.party/01_roles.sql".into()));
        assert_eq!(step(&seed(old), &history), SeedStep::Done);
        let edited = "INSERT INTO roles VALUES (1), (2);\n";
        assert!(matches!(step(&seed(edited), &history), SeedStep::Refused(m) if m.contains("strata:rerun")));
        let keep = format!("-- strata:keep\n{edited}");
        assert_eq!(step(&seed(&keep), &history), SeedStep::Done);
        let rerun = format!("-- strata:rerun\n{edited}");
        let SeedStep::Run(id) = step(&seed(&rerun), &history) else { panic!("a marked edit reruns") };
        assert!(id.starts_with("seed:template.party/01_roles.sql@"), "{id}");
        // Once the new text ran, it is done; a failed row does not count as having run.
        let mut after = history.to_vec();
        after.push(ran(&id, &rerun));
        assert_eq!(step(&seed(&rerun), &after), SeedStep::Done);
        let mut failed = ran("seed:template.party/01_roles.sql", old);
        failed.state = HistoryState::Failed;
        assert!(matches!(step(&seed(old), &[failed]), SeedStep::Run(_)));
    }
}
