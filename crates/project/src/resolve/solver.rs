//! Choosing one version of every template and module a tenant needs: a SAT problem, solved by
//! resolvo (the CDCL solver behind pixi/rattler). Candidates are the released versions of each
//! layer (releases.yaml) and, until `commit` releases it, the version its yaml declares. A
//! requirement is a semver range, a conflict is a constraint to the empty range, newer versions
//! are tried first (as cargo does). One solver serves the whole fleet and identical inputs are
//! solved once.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use resolvo::utils::{Pool, VersionSet};
use resolvo::{
    Candidates, Condition, ConditionId, ConditionalRequirement, Dependencies, DependencyProvider, Interner,
    KnownDependencies, NameId, Problem, SolvableId, Solver, SolverCache, StringId, UnsolvableOrCancelled, VersionSetId,
    VersionSetUnionId,
};
use semver::{Version, VersionReq};

use crate::project::{LayerId, Project};

/// A semver range, or no version at all (what a conflict allows of the other module).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Range {
    Req(VersionReq),
    Nothing,
}

impl Range {
    fn contains(&self, version: &Version) -> bool {
        match self {
            Range::Req(req) => req.matches(version),
            Range::Nothing => false,
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Range::Req(req) => write!(f, "{req}"),
            Range::Nothing => f.write_str("to no version (a conflict)"),
        }
    }
}

impl VersionSet for Range {
    type V = Version;
}

/// One version a template or module can be chosen at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub version: Version,
    /// The last migration this version includes; `None` for a version not yet released, which
    /// includes every committed migration.
    pub upto: Option<u32>,
    pub requires: Vec<(LayerId, VersionReq)>,
    pub conflicts: Vec<LayerId>,
}

/// Every candidate of every template and module, newest first.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub candidates: BTreeMap<LayerId, Vec<Candidate>>,
}

impl Catalog {
    pub fn of(project: &Project) -> Self {
        let mut candidates = BTreeMap::new();
        for package in project.packages() {
            let deps = |requires: &BTreeMap<String, VersionReq>, conflicts: &[String]| {
                (
                    requires.iter().map(|(k, r)| (super::required_layer(k), r.clone())).collect(),
                    conflicts.iter().map(|c| super::required_layer(c)).collect(),
                )
            };
            let mut list: Vec<Candidate> = package
                .releases
                .iter()
                .map(|r| {
                    let (requires, conflicts) = deps(&r.requires, &r.conflicts);
                    Candidate { version: r.version.clone(), upto: Some(r.upto), requires, conflicts }
                })
                .collect();
            let manifest = &package.manifest;
            if !list.iter().any(|c| c.version == manifest.version) {
                let (requires, conflicts) = deps(&manifest.requires, &manifest.conflicts);
                list.push(Candidate { version: manifest.version.clone(), upto: None, requires, conflicts });
            }
            list.sort_by(|a, b| b.version.cmp(&a.version));
            candidates.insert(package.id.clone(), list);
        }
        Catalog { candidates }
    }
}

/// What a tenant asks for: its template, and modules with the ranges it allows.
pub type Wants = Vec<(LayerId, VersionReq)>;

/// resolvo's view of a [`Catalog`].
struct Provider {
    pool: Pool<Range, String>,
    solvables: HashMap<NameId, Vec<SolvableId>>,
    chosen: HashMap<SolvableId, (LayerId, usize)>,
    catalog: Catalog,
}

impl Provider {
    fn new(catalog: Catalog) -> Self {
        let pool = Pool::default();
        let mut solvables = HashMap::new();
        let mut chosen = HashMap::new();
        for (layer, candidates) in &catalog.candidates {
            let name = pool.intern_package_name(layer.to_string());
            let ids: Vec<SolvableId> = candidates
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let id = pool.intern_solvable(name, c.version.clone());
                    chosen.insert(id, (layer.clone(), i));
                    id
                })
                .collect();
            solvables.insert(name, ids);
        }
        Provider { pool, solvables, chosen, catalog }
    }

    fn name(&self, layer: &LayerId) -> NameId {
        self.pool.intern_package_name(layer.to_string())
    }

    fn requirement(&self, layer: &LayerId, range: Range) -> ConditionalRequirement {
        self.pool.intern_version_set(self.name(layer), range).into()
    }
}

impl Interner for Provider {
    type NameId = NameId;
    type SolvableId = SolvableId;

    fn display_solvable(&self, solvable: SolvableId) -> impl fmt::Display + '_ {
        let s = self.pool.resolve_solvable(solvable);
        format!("{} {}", self.pool.resolve_package_name(s.name), s.record)
    }

    /// "module.membership 1.0.0 | 1.2.0": the name once, then the versions.
    fn display_merged_solvables(&self, solvables: &[SolvableId]) -> impl fmt::Display + '_ {
        let Some(first) = solvables.first() else { return String::new() };
        let name = self.pool.resolve_package_name(self.pool.resolve_solvable(*first).name);
        let mut versions: Vec<&Version> = solvables.iter().map(|s| &self.pool.resolve_solvable(*s).record).collect();
        versions.sort();
        versions.dedup();
        format!("{name} {}", versions.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | "))
    }

    fn display_name(&self, name: NameId) -> impl fmt::Display + '_ {
        self.pool.resolve_package_name(name).clone()
    }

    fn display_version_set(&self, version_set: VersionSetId) -> impl fmt::Display + '_ {
        self.pool.resolve_version_set(version_set).clone()
    }

    fn display_string(&self, string_id: StringId) -> impl fmt::Display + '_ {
        self.pool.resolve_string(string_id).to_owned()
    }

    fn version_set_name(&self, version_set: VersionSetId) -> NameId {
        self.pool.resolve_version_set_package_name(version_set)
    }

    fn solvable_name(&self, solvable: SolvableId) -> NameId {
        self.pool.resolve_solvable(solvable).name
    }

    fn version_sets_in_union(&self, union: VersionSetUnionId) -> impl Iterator<Item = VersionSetId> {
        self.pool.resolve_version_set_union(union)
    }

    fn resolve_condition(&self, condition: ConditionId) -> Condition {
        self.pool.resolve_condition(condition).clone()
    }
}

impl DependencyProvider for Provider {
    async fn filter_candidates(
        &self,
        candidates: &[SolvableId],
        version_set: VersionSetId,
        inverse: bool,
    ) -> Vec<SolvableId> {
        let range = self.pool.resolve_version_set(version_set);
        candidates
            .iter()
            .copied()
            .filter(|s| range.contains(&self.pool.resolve_solvable(*s).record) != inverse)
            .collect()
    }

    async fn get_candidates(&self, name: NameId) -> Option<Candidates> {
        let ids = self.solvables.get(&name)?;
        Some(Candidates { candidates: ids.clone(), ..Candidates::default() })
    }

    async fn sort_candidates(&self, _: &SolverCache<Self>, solvables: &mut [SolvableId]) {
        // Newest first; the catalog's own order breaks ties.
        solvables.sort_by_key(|s| self.chosen[s].1);
    }

    async fn get_dependencies(&self, solvable: SolvableId) -> Dependencies {
        let (layer, index) = &self.chosen[&solvable];
        let candidate = &self.catalog.candidates[layer][*index];
        Dependencies::Known(KnownDependencies {
            requirements: candidate.requires.iter().map(|(l, r)| self.requirement(l, Range::Req(r.clone()))).collect(),
            constrains: candidate
                .conflicts
                .iter()
                .map(|l| self.pool.intern_version_set(self.name(l), Range::Nothing))
                .collect(),
        })
    }
}

/// The chosen version of each layer, or a report of why none exists.
pub type Choice = Result<BTreeMap<LayerId, Candidate>, String>;

/// Solves tenants' wants against one catalog, each distinct want once.
pub struct Resolver {
    solver: RefCell<Solver<Provider>>,
    cache: RefCell<HashMap<Wants, Choice>>,
}

impl Resolver {
    /// A resolver over every released version of the project's templates and modules.
    pub fn of(project: &Project) -> Self {
        Resolver::new(Catalog::of(project))
    }

    pub fn new(catalog: Catalog) -> Self {
        Resolver { solver: RefCell::new(Solver::new(Provider::new(catalog))), cache: RefCell::new(HashMap::new()) }
    }

    pub fn solve(&self, wants: &Wants) -> Choice {
        if let Some(choice) = self.cache.borrow().get(wants) {
            return choice.clone();
        }
        let choice = self.solve_uncached(wants);
        self.cache.borrow_mut().insert(wants.clone(), choice.clone());
        choice
    }

    /// How many distinct wants have been solved (for benchmarks and tests).
    pub fn distinct_inputs(&self) -> usize {
        self.cache.borrow().len()
    }

    fn solve_uncached(&self, wants: &Wants) -> Choice {
        let mut solver = self.solver.borrow_mut();
        let requirements: Vec<ConditionalRequirement> = wants
            .iter()
            .map(|(layer, range)| solver.provider().requirement(layer, Range::Req(range.clone())))
            .collect();
        match solver.solve(Problem::new().requirements(requirements)) {
            Ok(solution) => {
                let provider = solver.provider();
                Ok(solution
                    .into_iter()
                    .map(|id| {
                        let (layer, index) = &provider.chosen[&id];
                        (layer.clone(), provider.catalog.candidates[layer][*index].clone())
                    })
                    .collect())
            }
            Err(UnsolvableOrCancelled::Unsolvable(conflict)) => {
                Err(conflict.display_user_friendly(&solver).to_string())
            }
            Err(UnsolvableOrCancelled::Cancelled(_)) => Err("resolution was cancelled".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(text: &str) -> VersionReq {
        VersionReq::parse(text).unwrap()
    }

    fn candidate(version: &str, requires: &[(&str, &str)], conflicts: &[&str]) -> Candidate {
        Candidate {
            version: Version::parse(version).unwrap(),
            upto: Some(1),
            requires: requires.iter().map(|(m, r)| (LayerId::module(m), req(r))).collect(),
            conflicts: conflicts.iter().map(|m| LayerId::module(m)).collect(),
        }
    }

    fn catalog(entries: &[(&str, Vec<Candidate>)]) -> Resolver {
        let mut candidates = BTreeMap::new();
        for (name, list) in entries {
            let mut list = list.clone();
            list.sort_by(|a, b| b.version.cmp(&a.version));
            candidates.insert(LayerId::module(name), list);
        }
        Resolver::new(Catalog { candidates })
    }

    fn chosen(choice: &Choice) -> Vec<String> {
        choice.as_ref().unwrap().iter().map(|(l, c)| format!("{}@{}", l.name, c.version)).collect()
    }

    fn wants(list: &[(&str, &str)]) -> Wants {
        list.iter().map(|(m, r)| (LayerId::module(m), req(r))).collect()
    }

    #[test]
    fn requires_chains_pick_the_newest_versions_that_fit() {
        let r = catalog(&[
            (
                "volunteers",
                vec![candidate("1.0.0", &[("events", "^1")], &[]), candidate("2.0.0", &[("events", "^2")], &[])],
            ),
            ("events", vec![candidate("1.0.0", &[], &[]), candidate("1.5.0", &[], &[]), candidate("2.0.0", &[], &[])]),
        ]);
        assert_eq!(chosen(&r.solve(&wants(&[("volunteers", "*")]))), ["events@2.0.0", "volunteers@2.0.0"]);
        assert_eq!(chosen(&r.solve(&wants(&[("volunteers", "^1")]))), ["events@1.5.0", "volunteers@1.0.0"]);
    }

    #[test]
    fn a_pin_elsewhere_forces_an_older_version_through_a_diamond() {
        let r = catalog(&[
            (
                "donations",
                vec![
                    candidate("1.0.0", &[("membership", "^1")], &[]),
                    candidate("2.0.0", &[("membership", ">=2")], &[]),
                ],
            ),
            ("events", vec![candidate("1.0.0", &[("membership", ">=1")], &[])]),
            ("membership", vec![candidate("1.2.0", &[], &[]), candidate("2.0.0", &[], &[])]),
        ]);
        let choice = r.solve(&wants(&[("donations", "*"), ("events", "*"), ("membership", "<2")]));
        assert_eq!(chosen(&choice), ["donations@1.0.0", "events@1.0.0", "membership@1.2.0"]);
    }

    #[test]
    fn conflicts_exclude_each_other_and_unsat_is_explained_in_steps() {
        let r = catalog(&[
            ("donations", vec![candidate("2.1.0", &[("membership", ">=1.2, <3")], &["legacy"])]),
            ("membership", vec![candidate("1.0.0", &[], &[]), candidate("2.0.0", &[], &[])]),
            ("legacy", vec![candidate("0.9.0", &[], &[])]),
        ]);
        let report = r.solve(&wants(&[("donations", "*"), ("legacy", "*")])).unwrap_err();
        assert!(report.contains("module.donations") && report.contains("module.legacy"), "{report}");
        let report = r.solve(&wants(&[("donations", "*"), ("membership", "=1.0.0")])).unwrap_err();
        assert!(report.contains("module.donations 2.1.0"), "{report}");
        assert!(report.contains(">=1.2, <3"), "the requirement that failed is named: {report}");
        assert!(report.contains("module.membership"), "{report}");
        assert_eq!(r.distinct_inputs(), 2);
        r.solve(&wants(&[("donations", "*"), ("legacy", "*")])).unwrap_err();
        assert_eq!(r.distinct_inputs(), 2, "an identical input is not solved again");
    }
}
