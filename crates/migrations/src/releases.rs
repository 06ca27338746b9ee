//! `releases.yaml` (DESIGN §3), written by `commit`: each released version of a template or module,
//! the last migration it includes, and its requires / conflicts. Append-only: a released version
//! never changes, so a tenant pinned to it always gets the same schema.

use std::collections::BTreeMap;

use strata_project::project::{LayerId, Package, Project, Release};

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("{0}")]
    NeedsVersion(NeedsVersion),
    #[error("{path}: version {version} is older than the released {released}")]
    Backwards { path: String, version: String, released: String },
}

/// A layer whose manifest still declares a released version while the work tree asks more of it
/// than that release recorded: what `commit` refuses, said by `plan`, `check` and `verify` too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsVersion {
    pub layer: LayerId,
    /// The manifest to bump.
    pub path: String,
    pub version: semver::Version,
    pub reason: NewVersionReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewVersionReason {
    /// Migrations beyond the release's last one (`upto`).
    Migrations { upto: u32, next: u32 },
    /// Other requires or conflicts than the release recorded.
    Manifest,
}

impl std::fmt::Display for NeedsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { layer, path, version, reason } = self;
        match reason {
            NewVersionReason::Migrations { upto, next } => write!(
                f,
                "{path}: {layer} {version} is released (migrations up to {upto:04}); this change ({next:04}) needs a new version"
            )?,
            NewVersionReason::Manifest => write!(
                f,
                "{path}: {layer} {version} is released; a change to its requires/conflicts needs a new version"
            )?,
        }
        f.write_str(": bump `version:` or run `strata commit --bump patch|minor|major`")
    }
}

/// The releases a commit records: each layer whose declared version is new, with its list after
/// the commit.
pub fn record(
    project: &Project,
    counts: &BTreeMap<LayerId, u32>,
) -> Result<BTreeMap<LayerId, Vec<Release>>, ReleaseError> {
    let mut changed = BTreeMap::new();
    for package in project.packages() {
        let count = counts.get(&package.id).copied().unwrap_or(0);
        if let Some(releases) = next_releases(package, count)? {
            changed.insert(package.id.clone(), releases);
        }
    }
    Ok(changed)
}

/// The files `record` changes: (path, text) of each releases.yaml.
pub fn files(project: &Project, recorded: &BTreeMap<LayerId, Vec<Release>>) -> Vec<(String, String)> {
    recorded
        .iter()
        .filter_map(|(layer, releases)| Some((project.package(layer)?.releases_path(), render(releases))))
        .collect()
}

/// Whether a manifest says other requires or conflicts than its (same-version) release recorded.
fn changed(release: &Release, manifest: &strata_project::project::LayerManifest) -> bool {
    let sorted = |list: &[String]| {
        let mut list = list.to_vec();
        list.sort();
        list
    };
    release.requires != manifest.requires || sorted(&release.conflicts) != sorted(&manifest.conflicts)
}

/// Every layer whose manifest declares a released version although, with `counts` migrations per
/// layer, it has more migrations than that release or other requires/conflicts.
pub fn needing_versions(project: &Project, counts: &BTreeMap<LayerId, u32>) -> Vec<NeedsVersion> {
    project.packages().filter_map(|package| needs_version(package, counts.get(&package.id).copied())).collect()
}

/// Why `package` needs a new version, if it does; `count` is its number of migrations (`None`:
/// only its manifest is compared).
fn needs_version(package: &Package, count: Option<u32>) -> Option<NeedsVersion> {
    let manifest = &package.manifest;
    let release = package.releases.iter().find(|r| r.version == manifest.version)?;
    let is_last = package.releases.last() == Some(release);
    let reason = match count {
        Some(count) if is_last && count > release.upto => {
            NewVersionReason::Migrations { upto: release.upto, next: release.upto + 1 }
        }
        _ if changed(release, manifest) => NewVersionReason::Manifest,
        _ => return None,
    };
    Some(NeedsVersion {
        layer: package.id.clone(),
        path: package.manifest_path.clone(),
        version: release.version.clone(),
        reason,
    })
}

fn next_releases(package: &Package, count: u32) -> Result<Option<Vec<Release>>, ReleaseError> {
    let manifest = &package.manifest;
    let current = Release {
        version: manifest.version.clone(),
        upto: count,
        requires: manifest.requires.clone(),
        conflicts: manifest.conflicts.clone(),
    };
    let path = package.manifest_path.clone();
    match package.releases.last() {
        None => Ok(Some(vec![current])),
        Some(last) if last.version == current.version => match needs_version(package, Some(count)) {
            Some(needed) => Err(ReleaseError::NeedsVersion(needed)),
            None => Ok(None),
        },
        Some(last) if current.version > last.version => {
            let mut releases = package.releases.clone();
            releases.push(current);
            Ok(Some(releases))
        }
        Some(last) => Err(ReleaseError::Backwards {
            path,
            version: current.version.to_string(),
            released: last.version.to_string(),
        }),
    }
}

/// A release whose migrations rely on more than its ranges promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseProblem {
    pub layer: LayerId,
    pub version: semver::Version,
    /// What is wrong, naming the manifest.
    pub message: String,
}

impl std::fmt::Display for ReleaseProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Releases whose migrations rely on more than their ranges promise: a migration of release R of
/// L requires migration n of D (a layer R requires directly), but R allows a version of D whose
/// release stops before n, so a tenant on that version could not apply it.
pub fn inconsistencies(
    project: &Project,
    migrations: &BTreeMap<LayerId, Vec<super::Migration>>,
) -> Vec<ReleaseProblem> {
    let mut problems = Vec::new();
    for package in project.packages() {
        let layer_migrations = migrations.get(&package.id).map(Vec::as_slice).unwrap_or_default();
        for release in &package.releases {
            for migration in layer_migrations.iter().filter(|m| m.key.seq <= release.upto) {
                for required in migration.requires.iter().filter(|r| r.layer != package.id) {
                    let range = release
                        .requires
                        .iter()
                        .find(|(k, _)| strata_project::resolve::required_layer(k) == required.layer);
                    // Layers required through another one are that layer's promise to keep.
                    let Some((key, range)) = range else { continue };
                    let Some(dependency) = project.package(&required.layer) else { continue };
                    let lowest = dependency
                        .releases
                        .iter()
                        .filter(|r| range.matches(&r.version))
                        .min_by(|a, b| a.version.cmp(&b.version));
                    if let Some(lowest) = lowest.filter(|l| l.upto < required.seq) {
                        let proposal = dependency
                            .releases
                            .iter()
                            .filter(|r| r.upto >= required.seq)
                            .min_by(|a, b| a.version.cmp(&b.version))
                            .map(|first| format!(": `requires: {{ {key}: \"{}\" }}`", narrowed(range, &first.version)))
                            .unwrap_or_default();
                        let message = format!(
                            "{}: {} {} includes {}, which requires {}, but it allows {} {} ({range}), whose migrations stop at {:04}; narrow the range{proposal}",
                            package.manifest_path,
                            package.id,
                            release.version,
                            migration.id(),
                            required,
                            required.layer,
                            lowest.version,
                            lowest.upto
                        );
                        problems.push(ReleaseProblem {
                            layer: package.id.clone(),
                            version: release.version.clone(),
                            message,
                        });
                    }
                }
            }
        }
    }
    problems
}

/// `range` with its lower bound raised to `first`, the first release that has what is required:
/// a lone `^`/`~` range keeps its operator, any other keeps its upper bounds.
fn narrowed(range: &semver::VersionReq, first: &semver::Version) -> String {
    use semver::Op;
    match range.comparators.as_slice() {
        [only] if matches!(only.op, Op::Caret | Op::Tilde) => {
            format!("{}{first}", if only.op == Op::Caret { "^" } else { "~" })
        }
        comparators => {
            let mut parts = vec![format!(">={first}")];
            parts.extend(comparators.iter().filter(|c| matches!(c.op, Op::Less | Op::LessEq)).map(ToString::to_string));
            parts.join(", ")
        }
    }
}

/// Which part of a released version `commit --bump` raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bump {
    Patch,
    Minor,
    Major,
}

impl Bump {
    /// The next version after `version`; pre-release and build labels are dropped.
    pub fn next(self, version: &semver::Version) -> semver::Version {
        let v = version;
        match self {
            Bump::Patch => semver::Version::new(v.major, v.minor, v.patch + 1),
            Bump::Minor => semver::Version::new(v.major, v.minor + 1, 0),
            Bump::Major => semver::Version::new(v.major + 1, 0, 0),
        }
    }
}

/// `text` (a template.yaml or module.yaml) with its top-level `version:` set to `version`, keeping
/// every other line and the line's own comment; `None` when it has no such line.
pub fn set_version(text: &str, version: &semver::Version) -> Option<String> {
    let mut found = false;
    let lines: Vec<String> = text
        .split_inclusive('\n')
        .map(|line| {
            let Some(rest) = line.strip_prefix("version:").filter(|_| !found) else { return line.to_string() };
            found = true;
            let ending = if line.ends_with("\r\n") {
                "\r\n"
            } else if line.ends_with('\n') {
                "\n"
            } else {
                ""
            };
            // The comment keeps the spaces that set it apart from the value.
            let comment = rest.find(" #").map(|at| rest[rest[..at].trim_end().len()..].trim_end()).unwrap_or_default();
            format!("version: {version}{comment}{ending}")
        })
        .collect();
    found.then(|| lines.concat())
}

/// One flow mapping per line, as DESIGN §3 shows it, so each release is one line in a diff.
fn render(releases: &[Release]) -> String {
    let mut text = String::from("# Written by `strata commit`; append-only.\n");
    for r in releases {
        let requires: Vec<String> = r.requires.iter().map(|(k, v)| format!("{k}: \"{v}\"")).collect();
        text.push_str(&format!(
            "- {{ version: {}, upto: {}, requires: {{ {} }}, conflicts: [{}] }}\n",
            r.version,
            r.upto,
            requires.join(", "),
            r.conflicts.join(", ")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowed_ranges_keep_their_upper_bounds() {
        let first = semver::Version::new(1, 2, 0);
        let req = |text: &str| semver::VersionReq::parse(text).unwrap();
        assert_eq!(narrowed(&req(">=1.0, <2"), &first), ">=1.2.0, <2");
        assert_eq!(narrowed(&req("^1.0"), &first), "^1.2.0");
        assert_eq!(narrowed(&req("~1.0"), &first), "~1.2.0");
        assert_eq!(narrowed(&req("*"), &first), ">=1.2.0");
        // What it proposes is itself a range.
        assert!(req(&narrowed(&req(">=1.0, <=1.9"), &first)).matches(&first));
    }

    #[test]
    fn set_version_changes_only_the_top_level_version() {
        let text =
            "name: events\nversion: \"1.0.0\"  # first release\nrequires:\n  membership: \">=1.0\"\n  version: x\n";
        let next = Bump::Minor.next(&semver::Version::new(1, 0, 3));
        assert_eq!(next, semver::Version::new(1, 1, 0));
        assert_eq!(
            set_version(text, &next).unwrap(),
            "name: events\nversion: 1.1.0  # first release\nrequires:\n  membership: \">=1.0\"\n  version: x\n"
        );
        assert_eq!(set_version("name: events\n", &next), None);
        assert_eq!(Bump::Major.next(&semver::Version::parse("1.2.3-rc.1").unwrap()), semver::Version::new(2, 0, 0));
        assert_eq!(Bump::Patch.next(&semver::Version::new(1, 2, 3)), semver::Version::new(1, 2, 4));
    }

    #[test]
    fn rendered_releases_read_back() {
        let releases = vec![Release {
            version: semver::Version::new(2, 1, 0),
            upto: 7,
            requires: BTreeMap::from([("membership".into(), semver::VersionReq::parse(">=1.2, <3").unwrap())]),
            conflicts: vec!["legacy-donations".into()],
        }];
        let text = render(&releases);
        assert!(
            text.contains(
                "- { version: 2.1.0, upto: 7, requires: { membership: \">=1.2, <3\" }, conflicts: [legacy-donations] }"
            ),
            "{text}"
        );
        let read: Vec<Release> = strata_project::project::parse_yaml("releases.yaml", &text).unwrap();
        assert_eq!(read, releases);
    }
}
