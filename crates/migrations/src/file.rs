//! One migration: `NNNN_<slug>.up.sql` and its `.down.sql`, with `-- strata:` header comments
//! (DESIGN §3). Headers are comments, so the file runs as plain SQL in any client.

use std::collections::{BTreeMap, BTreeSet};

use strata_dialect::plan::Hazard;
use strata_project::project::LayerId;

/// A reference to a migration of a layer by sequence number: `template.party/0003`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MigrationKey {
    pub layer: LayerId,
    pub seq: u32,
}

impl std::fmt::Display for MigrationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{:04}", self.layer, self.seq)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub key: MigrationKey,
    pub slug: String,
    /// Repository path of the up file.
    pub up_path: String,
    pub up: String,
    pub down: Option<String>,
    pub requires: Vec<MigrationKey>,
    pub hazards: BTreeSet<Hazard>,
    /// `-- strata:allow <hazard> <reason>`: a reviewed exception to the lint policy.
    pub allows: BTreeMap<Hazard, String>,
    /// How the migration runs: `no-transaction`, `timeout`, `irreversible` in its header.
    pub directives: Directives,
}

/// Header directives of a (typically hand-written) migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    /// `-- strata:no-transaction`: statements run one by one outside a transaction
    /// (`CREATE INDEX CONCURRENTLY`, `ALTER TYPE ... ADD VALUE`, `VACUUM`); a failure leaves the
    /// migration `failed`, to be settled with `strata repair`.
    pub no_transaction: bool,
    /// `-- strata:timeout lock=5s statement=10min`: this migration's bounds, instead of the
    /// environment's.
    pub lock_timeout: Option<std::time::Duration>,
    pub statement_timeout: Option<std::time::Duration>,
    /// `-- strata:irreversible <reason>` in the up header: no down; rollback refuses with it.
    pub irreversible: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    pub line: usize,
    pub message: String,
}

impl Migration {
    /// `module.donations/0002_gift_aid`: the id recorded in `strata_history`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.key.layer, self.stem())
    }

    /// `0002_gift_aid`
    pub fn stem(&self) -> String {
        format!("{:04}_{}", self.key.seq, self.slug)
    }

    pub fn checksum(&self) -> String {
        super::sum::checksum(&self.up)
    }

    /// Where the down migration lives (beside the up file), whether or not it exists.
    pub fn down_path(&self) -> String {
        self.up_path.replace(".up.sql", ".down.sql")
    }

    /// Why the migration cannot be reverted, when its up header or its down file says
    /// `-- strata:irreversible <reason>`.
    pub fn irreversible(&self) -> Option<&str> {
        if let Some(reason) = &self.directives.irreversible {
            return Some(reason);
        }
        self.down.as_deref()?.lines().find_map(|l| l.strip_prefix("-- strata:irreversible")).map(str::trim)
    }

    /// A new migration of `key`'s layer, its up path set and its files still empty: what
    /// `commit` generates and `migration new` writes by hand start alike.
    pub fn new(
        key: MigrationKey,
        slug: String,
        requires: Vec<MigrationKey>,
        hazards: BTreeSet<Hazard>,
        directives: Directives,
    ) -> Self {
        let mut migration = Migration {
            key,
            slug,
            up_path: String::new(),
            up: String::new(),
            down: None,
            requires,
            hazards,
            allows: BTreeMap::new(),
            directives,
        };
        migration.up_path = format!("{}/{}.up.sql", migration.key.layer.migrations_dir(), migration.stem());
        migration
    }

    /// Reads the header of an up file whose name gave `key` and `slug`.
    pub fn from_up_file(
        key: MigrationKey,
        slug: &str,
        up_path: &str,
        up: String,
        down: Option<String>,
    ) -> Result<Self, HeaderError> {
        let mut migration = Migration {
            key,
            slug: slug.to_string(),
            up_path: up_path.to_string(),
            up: String::new(),
            down,
            requires: Vec::new(),
            hazards: BTreeSet::new(),
            allows: BTreeMap::new(),
            directives: Directives::default(),
        };
        for (index, line) in up.lines().enumerate() {
            let error = |message: String| HeaderError { line: index + 1, message };
            let Some(header) = line.trim().strip_prefix("-- strata:") else {
                if line.trim().is_empty() || line.trim_start().starts_with("--") {
                    continue;
                }
                break;
            };
            let (name, value) = header.split_once(' ').unwrap_or((header, ""));
            match name {
                "id" => {
                    if value.trim() != migration.id() {
                        return Err(error(format!(
                            "header says `{}` but the file name makes it `{}`",
                            value.trim(),
                            migration.id()
                        )));
                    }
                }
                "requires" => {
                    for item in value.split_whitespace() {
                        migration.requires.push(
                            parse_key(item)
                                .ok_or_else(|| error(format!("bad requirement `{item}`, expected <layer>/<NNNN>")))?,
                        );
                    }
                }
                "hazards" => {
                    for item in value.split_whitespace() {
                        migration
                            .hazards
                            .insert(Hazard::parse(item).ok_or_else(|| error(format!("unknown hazard `{item}`")))?);
                    }
                }
                "allow" => {
                    let (hazard, reason) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
                    let hazard =
                        Hazard::parse(hazard).ok_or_else(|| error(format!("unknown hazard `{hazard}` to allow")))?;
                    if reason.trim().is_empty() {
                        return Err(error(format!("`strata:allow {hazard}` needs a reason after the hazard")));
                    }
                    migration.allows.insert(hazard, reason.trim().to_string());
                }
                "no-transaction" => migration.directives.no_transaction = true,
                "irreversible" => {
                    if value.trim().is_empty() {
                        return Err(error("`strata:irreversible` needs a reason: why this cannot be undone".to_string()));
                    }
                    migration.directives.irreversible = Some(value.trim().to_string());
                }
                "timeout" => {
                    for item in value.split_whitespace() {
                        let (bound, duration) = item.split_once('=').ok_or_else(|| {
                            error(format!("bad timeout `{item}`, expected lock=<duration> or statement=<duration>"))
                        })?;
                        let duration = strata_core::duration::parse(duration).map_err(error)?;
                        match bound {
                            "lock" => migration.directives.lock_timeout = Some(duration),
                            "statement" => migration.directives.statement_timeout = Some(duration),
                            other => return Err(error(format!("unknown timeout `{other}` (lock or statement)"))),
                        }
                    }
                }
                other => return Err(error(format!(
                    "unknown header `strata:{other}` (id, requires, hazards, allow, no-transaction, timeout, irreversible)"
                ))),
            }
        }
        migration.up = up;
        Ok(migration)
    }

    /// Records a reviewed exception for a hazard the migration has, in its header (up and down).
    pub fn allow(&mut self, hazard: Hazard, reason: &str) {
        if !self.hazards.contains(&hazard) {
            return;
        }
        let old = self.header();
        self.allows.insert(hazard, reason.to_string());
        let new = self.header();
        for text in std::iter::once(&mut self.up).chain(self.down.as_mut()) {
            if let Some(body) = text.strip_prefix(&old) {
                *text = format!("{new}{body}");
            }
        }
    }

    /// The header lines for a new migration.
    pub fn header(&self) -> String {
        let mut header = format!("-- strata:id {}\n", self.id());
        if !self.requires.is_empty() {
            let requires: Vec<String> = self.requires.iter().map(ToString::to_string).collect();
            header.push_str(&format!("-- strata:requires {}\n", requires.join(" ")));
        }
        if !self.hazards.is_empty() {
            let hazards: Vec<&str> = self.hazards.iter().map(|h| h.as_str()).collect();
            header.push_str(&format!("-- strata:hazards {}\n", hazards.join(" ")));
        }
        for (hazard, reason) in &self.allows {
            header.push_str(&format!("-- strata:allow {hazard} {reason}\n"));
        }
        if self.directives.no_transaction {
            header.push_str("-- strata:no-transaction\n");
        }
        header
    }
}

fn parse_key(text: &str) -> Option<MigrationKey> {
    let (layer, seq) = text.split_once('/')?;
    let seq = seq.split('_').next()?;
    Some(MigrationKey { layer: LayerId::parse(layer)?, seq: seq.parse().ok()? })
}

/// `0002_gift_aid.up.sql` -> (2, "gift_aid", Up)
pub fn parse_file_name(name: &str) -> Option<(u32, String, Direction)> {
    let (stem, direction) = if let Some(stem) = name.strip_suffix(".up.sql") {
        (stem, Direction::Up)
    } else {
        (name.strip_suffix(".down.sql")?, Direction::Down)
    };
    let (seq, slug) = stem.split_once('_')?;
    let valid_slug = !slug.is_empty() && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (seq.len() == 4 && valid_slug).then_some(())?;
    Some((seq.parse().ok().filter(|s| *s > 0)?, slug.to_string(), direction))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// A file-name slug from free text: lower-case words joined by `_`, at most 48 characters.
pub fn slugify(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let mut slug = String::new();
    for word in words {
        let room = 48usize.saturating_sub(slug.len() + usize::from(!slug.is_empty()));
        if word.len() > room {
            // A first word longer than a slug is cut to fit rather than dropped: the name says
            // what it can instead of the anonymous `change`. (Words are ASCII: any cut is a char.)
            if slug.is_empty() {
                slug.push_str(&word[..room]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('_');
        }
        slug.push_str(&word);
    }
    if slug.is_empty() {
        "change".to_string()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let key = MigrationKey { layer: LayerId::module("donations"), seq: 2 };
        let mut m = Migration::from_up_file(key.clone(), "gift_aid", "p", "ALTER TABLE x;".into(), None).unwrap();
        m.requires = vec![MigrationKey { layer: LayerId::template("party"), seq: 3 }];
        m.hazards.insert(Hazard::Destructive);
        m.allows.insert(Hazard::Destructive, "column unused since 2024".into());
        let text = format!("{}ALTER TABLE x;\n", m.header());
        assert_eq!(
            text,
            "-- strata:id module.donations/0002_gift_aid\n-- strata:requires template.party/0003\n-- strata:hazards destructive\n-- strata:allow destructive column unused since 2024\nALTER TABLE x;\n"
        );
        let read = Migration::from_up_file(key, "gift_aid", "p", text, None).unwrap();
        assert_eq!(read.requires, m.requires);
        assert_eq!(read.hazards, m.hazards);
        assert_eq!(read.allows, m.allows);
    }

    #[test]
    fn a_header_that_contradicts_the_file_name_is_refused() {
        let key = MigrationKey { layer: LayerId::module("donations"), seq: 2 };
        let err = Migration::from_up_file(key, "gift_aid", "p", "-- strata:id module.donations/0003_x\n".into(), None)
            .unwrap_err();
        assert_eq!(err.line, 1);
    }

    #[test]
    fn an_allow_without_a_reason_is_refused() {
        let key = MigrationKey { layer: LayerId::module("donations"), seq: 2 };
        let err = Migration::from_up_file(key, "x", "p", "-- strata:allow destructive\n".into(), None).unwrap_err();
        assert_eq!(err.message, "`strata:allow destructive` needs a reason after the hazard");
    }

    #[test]
    fn file_names_and_slugs() {
        assert_eq!(parse_file_name("0002_gift_aid.up.sql"), Some((2, "gift_aid".into(), Direction::Up)));
        assert_eq!(parse_file_name("0002_gift_aid.down.sql"), Some((2, "gift_aid".into(), Direction::Down)));
        for bad in ["2_x.up.sql", "0000_x.up.sql", "0001_.up.sql", "0001_X.up.sql", "0001_x.sql"] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
        assert_eq!(slugify("Add events.capacity + index!"), "add_events_capacity_index");
        assert_eq!(slugify("!!"), "change");
        assert_eq!(slugify(&"a".repeat(300)), "a".repeat(48), "one long word is cut, not dropped");
    }
}
