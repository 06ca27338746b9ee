//! `releases.yaml` (DESIGN §3), written by `commit`: each released version of a template or module,
//! the last migration it includes, and its requires / conflicts. Append-only: a released version
//! never changes, so a tenant pinned to it always gets the same schema.

use std::collections::BTreeMap;

use strata_project::project::{LayerId, Package, Project, Release};

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("{path}: version {version} is already released with migrations up to {upto:04}; migration {next:04} needs a new version (bump `version:`)")]
    AlreadyReleased { path: String, version: String, upto: u32, next: u32 },
    #[error(
        "{path}: version {version} is already released; its requires/conflicts cannot change without a new version"
    )]
    Changed { path: String, version: String },
    #[error("{path}: version {version} is older than the released {released}")]
    Backwards { path: String, version: String, released: String },
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

/// Every manifest whose `version:` is released but whose requires or conflicts changed since:
/// what `commit` would refuse, found by `check` and `verify` without generating anything.
pub fn changed_manifests(project: &Project) -> Vec<ReleaseError> {
    project
        .packages()
        .filter_map(|package| {
            let release = package.releases.iter().find(|r| r.version == package.manifest.version)?;
            changed(release, &package.manifest).then(|| ReleaseError::Changed {
                path: package.manifest_path.clone(),
                version: release.version.to_string(),
            })
        })
        .collect()
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
        Some(last) if last.version == current.version => {
            if count > last.upto {
                return Err(ReleaseError::AlreadyReleased {
                    path,
                    version: last.version.to_string(),
                    upto: last.upto,
                    next: last.upto + 1,
                });
            }
            if changed(last, manifest) {
                return Err(ReleaseError::Changed { path, version: last.version.to_string() });
            }
            Ok(None)
        }
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
                    let Some((_, range)) = range else { continue };
                    let Some(dependency) = project.package(&required.layer) else { continue };
                    let lowest = dependency
                        .releases
                        .iter()
                        .filter(|r| range.matches(&r.version))
                        .min_by(|a, b| a.version.cmp(&b.version));
                    if let Some(lowest) = lowest.filter(|l| l.upto < required.seq) {
                        let message = format!(
                            "{}: {} {} includes {}, which requires {}, but it allows {} {} ({range}), whose migrations stop at {:04}; narrow the range",
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
