//! Module resolution benchmark (issue "Module resolution"): 500 modules x 5 versions with dense
//! requires and conflicts, 10,000 tenants drawn from a few hundred compositions. Prints the time
//! per distinct input and for the whole fleet with strata's solver (resolvo, one solver for the
//! fleet, identical inputs solved once), and the ratio against a naive backtracking solver run on
//! the same inputs in the same run.
//!
//! cargo run --release --example bench_resolve

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use semver::{Version, VersionReq};
use strata::project::LayerId;
use strata::resolve::solver::{Candidate, Catalog, Resolver, Wants};

const MODULES: usize = 500;
const VERSIONS: u64 = 5;
const TENANTS: usize = 10_000;
const COMPOSITIONS: usize = 400;
/// Steps a naive search may take on one input before it is counted as a time-out.
const NAIVE_BUDGET: u64 = 20_000;

/// xorshift64*: deterministic, so every run measures the same problems.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn module(i: usize) -> LayerId {
    LayerId::module(&format!("m{i:03}"))
}

/// Each version of module i requires up to three modules below it (so there is no cycle) with a
/// range over their majors, and may conflict with a module far away.
fn catalog(rng: &mut Rng) -> Catalog {
    let mut candidates = BTreeMap::new();
    for i in 0..MODULES {
        let mut list = Vec::new();
        for v in (1..=VERSIONS).rev() {
            let mut requires = Vec::new();
            if i > 0 {
                for _ in 0..rng.below(4) {
                    let dep = rng.below(i as u64) as usize;
                    let low = 1 + rng.below(VERSIONS);
                    let range = VersionReq::parse(&format!(">={low}.0.0, <{}.0.0", low + 2)).unwrap();
                    if !requires.iter().any(|(l, _)| *l == module(dep)) {
                        requires.push((module(dep), range));
                    }
                }
            }
            let conflicts =
                if rng.below(10) == 0 { vec![module(rng.below(MODULES as u64) as usize)] } else { Vec::new() };
            let conflicts = conflicts.into_iter().filter(|c| *c != module(i)).collect();
            list.push(Candidate { version: Version::new(v, 0, 0), upto: Some(v as u32), requires, conflicts });
        }
        candidates.insert(module(i), list);
    }
    Catalog { candidates }
}

fn compositions(rng: &mut Rng) -> Vec<Wants> {
    (0..COMPOSITIONS)
        .map(|_| {
            let mut wants: Wants = Vec::new();
            for _ in 0..3 + rng.below(6) {
                let m = module(rng.below(MODULES as u64) as usize);
                let range = if rng.below(4) == 0 {
                    VersionReq::parse(&format!("^{}", 1 + rng.below(VERSIONS))).unwrap()
                } else {
                    VersionReq::STAR
                };
                if !wants.iter().any(|(l, _)| *l == m) {
                    wants.push((m, range));
                }
            }
            wants
        })
        .collect()
}

/// Depth-first search, newest versions first, no learning: what a hand-written resolver does.
fn naive(
    catalog: &Catalog,
    chosen: &mut BTreeMap<LayerId, usize>,
    pending: &[(LayerId, VersionReq)],
    steps: &mut u64,
) -> Option<bool> {
    *steps += 1;
    if *steps > NAIVE_BUDGET {
        return None;
    }
    let Some(((layer, range), rest)) = pending.split_first() else { return Some(true) };
    let candidates = &catalog.candidates[layer];
    if let Some(&index) = chosen.get(layer) {
        return if range.matches(&candidates[index].version) {
            naive(catalog, chosen, rest, steps)
        } else {
            Some(false)
        };
    }
    for (index, candidate) in candidates.iter().enumerate() {
        if !range.matches(&candidate.version) {
            continue;
        }
        let clashes = candidate.conflicts.iter().any(|c| chosen.contains_key(c))
            || chosen.iter().any(|(l, i)| catalog.candidates[l][*i].conflicts.contains(layer));
        if clashes {
            continue;
        }
        chosen.insert(layer.clone(), index);
        let mut next: Vec<(LayerId, VersionReq)> = rest.to_vec();
        next.extend(candidate.requires.iter().cloned());
        match naive(catalog, chosen, &next, steps) {
            Some(true) => return Some(true),
            None => return None,
            Some(false) => {}
        }
        chosen.remove(layer);
    }
    Some(false)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let mut rng = Rng(0x5EED_5EED_1234_5678);
    let catalog = catalog(&mut rng);
    let compositions = compositions(&mut rng);
    let tenants: Vec<&Wants> = (0..TENANTS).map(|_| &compositions[rng.below(COMPOSITIONS as u64) as usize]).collect();

    let started = Instant::now();
    let resolver = Resolver::new(catalog.clone());
    let mut slowest = Duration::ZERO;
    let mut seen = HashSet::new();
    let mut unsatisfiable = 0;
    for wants in &tenants {
        let one = Instant::now();
        let result = resolver.solve(wants);
        if seen.insert(*wants) {
            slowest = slowest.max(one.elapsed());
            unsatisfiable += usize::from(result.is_err());
        }
    }
    let fleet = started.elapsed();
    let distinct = resolver.distinct_inputs();
    let per_input = fleet / distinct as u32;

    let started = Instant::now();
    let mut timeouts = 0;
    let mut disagreements = 0;
    for wants in &compositions {
        let mut steps = 0;
        match naive(&catalog, &mut BTreeMap::new(), wants, &mut steps) {
            None => timeouts += 1,
            Some(found) => disagreements += usize::from(found != resolver.solve(wants).is_ok()),
        }
    }
    let naive_total = started.elapsed();
    let naive_per_input = naive_total / compositions.len() as u32;

    println!("module resolution: {MODULES} modules x {VERSIONS} versions, {TENANTS} tenants, {distinct} distinct inputs ({unsatisfiable} without a solution)");
    println!(
        "strata (resolvo, one solver, cached): fleet {:.1} ms, {:.3} ms per distinct input, slowest {:.3} ms",
        ms(fleet),
        ms(per_input),
        ms(slowest)
    );
    println!(
        "naive backtracking:                   {:.1} ms for the distinct inputs, {:.3} ms per input, {timeouts} stopped at {NAIVE_BUDGET} steps",
        ms(naive_total),
        ms(naive_per_input)
    );
    println!(
        "ratio naive / strata per distinct input: {:.1}x (a lower bound where the naive search was stopped)",
        naive_per_input.as_secs_f64() / per_input.as_secs_f64()
    );
    println!("answers that differ where the naive search finished: {disagreements}");
    let met = ms(slowest) < 50.0 && fleet < Duration::from_secs(2);
    println!("target (< 50 ms per distinct input, fleet < 2 s on 2 cores): {}", if met { "met" } else { "NOT met" });
}
