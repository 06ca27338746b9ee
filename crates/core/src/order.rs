//! Kahn's algorithm with the DESIGN §2 tie-break: among the nodes that are ready, the smallest by
//! `Ord` goes first, so the order is a pure function of the graph. A cycle is named, not just detected.

use std::collections::{BTreeMap, BTreeSet};

/// `edges[n]` are the nodes `n` depends on (they come before it). Every node must be a key.
/// Returns the order, or one cycle as a path that starts and ends on the same node.
pub fn kahn_order<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Result<Vec<N>, Vec<N>> {
    let mut pending: BTreeMap<&N, usize> = edges.iter().map(|(n, deps)| (n, deps.len())).collect();
    let mut dependents: BTreeMap<&N, Vec<&N>> = BTreeMap::new();
    for (node, deps) in edges {
        for dep in deps {
            dependents.entry(dep).or_default().push(node);
        }
    }
    let mut ready: BTreeSet<&N> = pending.iter().filter(|(_, &n)| n == 0).map(|(&k, _)| k).collect();
    let mut order = Vec::with_capacity(edges.len());
    while let Some(node) = ready.pop_first() {
        order.push(node.clone());
        for &dependent in dependents.get(node).into_iter().flatten() {
            let count = pending.get_mut(dependent).expect("every node is a key");
            *count -= 1;
            if *count == 0 {
                ready.insert(dependent);
            }
        }
    }
    if order.len() == edges.len() {
        return Ok(order);
    }
    let placed: BTreeSet<&N> = order.iter().collect();
    Err(find_cycle(edges, &placed))
}

/// Walks dependencies among the unplaced nodes until one repeats; every unplaced node has an
/// unplaced dependency, so the walk must close a loop.
fn find_cycle<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>, placed: &BTreeSet<&N>) -> Vec<N> {
    let start = edges.keys().find(|n| !placed.contains(n)).expect("a cycle leaves nodes unplaced");
    let mut path: Vec<&N> = vec![start];
    loop {
        let last = *path.last().expect("path is never empty");
        let next =
            edges[last].iter().find(|d| !placed.contains(d)).expect("an unplaced node has an unplaced dependency");
        if let Some(pos) = path.iter().position(|n| *n == next) {
            let mut cycle: Vec<N> = path[pos..].iter().map(|n| (*n).clone()).collect();
            // Written in dependency direction: "a requires b requires a".
            cycle.push(next.clone());
            return cycle;
        }
        path.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(pairs: &[(&'static str, &[&'static str])]) -> BTreeMap<&'static str, BTreeSet<&'static str>> {
        pairs.iter().map(|(n, deps)| (*n, deps.iter().copied().collect())).collect()
    }

    #[test]
    fn ties_break_by_order_and_dependencies_come_first() {
        let g = graph(&[("d", &["a"]), ("c", &[]), ("b", &["d"]), ("a", &[])]);
        assert_eq!(kahn_order(&g).unwrap(), ["a", "c", "d", "b"]);
    }

    #[test]
    fn a_cycle_is_named() {
        let g = graph(&[("a", &[]), ("b", &["c"]), ("c", &["d"]), ("d", &["b"]), ("e", &["b"])]);
        let cycle = kahn_order(&g).unwrap_err();
        assert_eq!(cycle, ["b", "c", "d", "b"]);
    }
}
