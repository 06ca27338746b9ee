//! `strata.sum` (DESIGN §3): a running SHA-256 over name‖content of every file of a layer's
//! migration folder, one line per file, chained so that an edit moves every line after it and two
//! branches adding to one layer collide on `total` in git.

use sha2::{Digest, Sha256};

pub const SUM_FILE: &str = "strata.sum";
const ALGORITHM: &str = "sha256:";

/// CRLF becomes LF before hashing, so a Windows checkout does not break sums or checksums.
pub fn normalized(content: &str) -> String {
    content.replace("\r\n", "\n")
}

/// sha256 hex of a file's normalised content: the checksum recorded in `strata_history`.
pub fn checksum(content: &str) -> String {
    hex(&Sha256::digest(normalized(content).as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `(file name, running hash after it)` for files given as `(name, content)`, sorted by name.
fn chain(files: &[(String, String)]) -> Vec<(String, String)> {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = Sha256::new();
    sorted
        .into_iter()
        .map(|(name, content)| {
            hasher.update(name.as_bytes());
            hasher.update(normalized(content).as_bytes());
            (name.clone(), format!("{ALGORITHM}{}", hex(&hasher.clone().finalize())))
        })
        .collect()
}

/// The text of a sum file for these files (everything in the folder but the sum itself).
///
/// ```
/// use strata_migrations::sum::{render, verify, SumMismatch};
/// let files = vec![("0001_init.up.sql".to_string(), "CREATE TABLE a (id INTEGER);\n".to_string())];
/// let sum = render(&files);
/// assert!(sum.starts_with("total sha256:"));
/// let edited = vec![("0001_init.up.sql".to_string(), "CREATE TABLE a (id TEXT);\n".to_string())];
/// assert_eq!(verify(&sum, &edited), Err(SumMismatch::Edited("0001_init.up.sql".into())));
/// ```
pub fn render(files: &[(String, String)]) -> String {
    let lines = chain(files);
    let total =
        lines.last().map(|(_, h)| h.clone()).unwrap_or_else(|| format!("{ALGORITHM}{}", hex(&Sha256::digest(b""))));
    let mut text = format!("total {total}\n");
    for (name, hash) in lines {
        text.push_str(&format!("{name} {hash}\n"));
    }
    text
}

/// How a folder differs from its sum file: the first file that does, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SumMismatch {
    Malformed(String),
    Added(String),
    Removed(String),
    Edited(String),
    /// Lines agree but `total` does not: the sum file itself was edited.
    Total,
}

impl std::fmt::Display for SumMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SumMismatch::Malformed(why) => write!(f, "the sum file is malformed: {why}"),
            SumMismatch::Added(name) => write!(f, "{name} was added without updating the sum"),
            SumMismatch::Removed(name) => write!(f, "{name} was removed or renamed"),
            SumMismatch::Edited(name) => write!(f, "{name} was edited after it was committed"),
            SumMismatch::Total => write!(f, "its `total` line was edited"),
        }
    }
}

/// Checks a folder's files against its sum file text.
pub fn verify(sum_text: &str, files: &[(String, String)]) -> Result<(), SumMismatch> {
    verify_with_drafts(sum_text, files, &|_| false)
}

/// [`verify`], where files for which `is_draft` holds (hand-written migrations not yet committed
/// to git) may be edited, added or dropped: the chain is checked up to the first draft, and every
/// other file the sum names after it must still be there. `commit` rewrites the sum.
pub fn verify_with_drafts(
    sum_text: &str,
    files: &[(String, String)],
    is_draft: &dyn Fn(&str) -> bool,
) -> Result<(), SumMismatch> {
    let normalized_text = normalized(sum_text);
    let mut lines = normalized_text.lines();
    let total = lines
        .next()
        .and_then(|l| l.strip_prefix("total "))
        .ok_or_else(|| SumMismatch::Malformed("the first line must be `total sha256:<hex>`".to_string()))?;
    let mut recorded = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (name, hash) = line.rsplit_once(' ').ok_or_else(|| SumMismatch::Malformed(format!("bad line `{line}`")))?;
        if !hash.starts_with(ALGORITHM) {
            return Err(SumMismatch::Malformed(format!("unknown hash algorithm in `{line}`")));
        }
        recorded.push((name.to_string(), hash.to_string()));
    }
    let actual = chain(files);
    let drafting = actual.iter().chain(&recorded).any(|(name, _)| is_draft(name));
    for i in 0..recorded.len().max(actual.len()) {
        let (r, a) = (recorded.get(i), actual.get(i));
        if drafting && [r, a].into_iter().flatten().any(|(name, _)| is_draft(name)) {
            // Past a draft the chain differs by design; what the sum names must still exist.
            let later = recorded.get(i..).unwrap_or_default();
            let missing = later.iter().find(|(name, _)| !is_draft(name) && !files.iter().any(|(n, _)| n == name));
            return match missing {
                Some((name, _)) => Err(SumMismatch::Removed(name.clone())),
                None => Ok(()),
            };
        }
        match (r, a) {
            (Some((r, _)), Some((a, _))) if r != a => {
                // The sorted lists diverge here: whichever name sorts first is the odd one out.
                return Err(if a < r { SumMismatch::Added(a.clone()) } else { SumMismatch::Removed(r.clone()) });
            }
            (Some((name, rh)), Some((_, ah))) if rh != ah => return Err(SumMismatch::Edited(name.clone())),
            (Some((name, _)), None) => return Err(SumMismatch::Removed(name.clone())),
            (None, Some((name, _))) => return Err(SumMismatch::Added(name.clone())),
            _ => {}
        }
    }
    let expected_total = render(files);
    if expected_total.lines().next() != Some(&format!("total {total}")) {
        return Err(SumMismatch::Total);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, c)| (n.to_string(), c.to_string())).collect()
    }

    #[test]
    fn a_draft_may_change_but_what_was_committed_before_it_may_not() {
        let committed = files(&[("0001_init.up.sql", "CREATE TABLE a (id INTEGER);\n"), ("releases.yaml", "- x\n")]);
        let mut with_draft = committed.clone();
        with_draft.push(("0002_backfill.up.sql".into(), "-- header\n".into()));
        let sum = render(&with_draft);
        let draft = |name: &str| name.starts_with("0002_");
        // The draft is edited: fine.
        with_draft[2].1 = "UPDATE a SET id = 1;\n".into();
        assert_eq!(verify(&sum, &with_draft), Err(SumMismatch::Edited("0002_backfill.up.sql".into())));
        assert_eq!(verify_with_drafts(&sum, &with_draft, &draft), Ok(()));
        // A committed file before it is edited: refused as ever.
        let mut edited = with_draft.clone();
        edited[0].1 = "CREATE TABLE a (id TEXT);\n".into();
        assert_eq!(verify_with_drafts(&sum, &edited, &draft), Err(SumMismatch::Edited("0001_init.up.sql".into())));
        // A committed file after it in the sum (releases.yaml) removed: refused.
        let removed: Vec<(String, String)> = with_draft.iter().filter(|(n, _)| n != "releases.yaml").cloned().collect();
        assert_eq!(verify_with_drafts(&sum, &removed, &draft), Err(SumMismatch::Removed("releases.yaml".into())));
        // A draft not in the sum at all (written by hand): fine too.
        assert_eq!(verify_with_drafts(&render(&committed), &with_draft, &draft), Ok(()));
    }

    #[test]
    fn a_fresh_sum_verifies_and_crlf_does_not_matter() {
        let f =
            files(&[("0001_init.up.sql", "CREATE TABLE a (id INTEGER);\n"), ("0001_init.down.sql", "DROP TABLE a;\n")]);
        let sum = render(&f);
        assert!(sum.starts_with("total sha256:"));
        assert_eq!(sum.lines().nth(1).unwrap().split(' ').next(), Some("0001_init.down.sql"));
        assert_eq!(verify(&sum, &f), Ok(()));
        let crlf = files(&[
            ("0001_init.up.sql", "CREATE TABLE a (id INTEGER);\r\n"),
            ("0001_init.down.sql", "DROP TABLE a;\r\n"),
        ]);
        assert_eq!(verify(&sum.replace('\n', "\r\n"), &crlf), Ok(()));
    }

    #[test]
    fn the_first_differing_file_is_named() {
        let f = files(&[("0001_a.up.sql", "x"), ("0002_b.up.sql", "y"), ("0003_c.up.sql", "z")]);
        let sum = render(&f);
        let edited = files(&[("0001_a.up.sql", "x"), ("0002_b.up.sql", "Y"), ("0003_c.up.sql", "z")]);
        assert_eq!(verify(&sum, &edited), Err(SumMismatch::Edited("0002_b.up.sql".into())));
        assert_eq!(verify(&sum, &f[..2]), Err(SumMismatch::Removed("0003_c.up.sql".into())));
        let mut added = f.clone();
        added.push(("0002_z.up.sql".into(), "w".into()));
        assert_eq!(verify(&sum, &added), Err(SumMismatch::Added("0002_z.up.sql".into())));
        let tampered_total = sum.replacen("total sha256:", "total sha256:00", 1);
        assert_eq!(verify(&tampered_total, &f), Err(SumMismatch::Total));
    }

    #[test]
    fn every_line_after_an_edit_changes() {
        let a = render(&files(&[("1", "a"), ("2", "b"), ("3", "c")]));
        let b = render(&files(&[("1", "a"), ("2", "B"), ("3", "c")]));
        let changed: Vec<bool> = a.lines().zip(b.lines()).map(|(x, y)| x != y).collect();
        assert_eq!(changed, [true, false, true, true]);
    }
}
