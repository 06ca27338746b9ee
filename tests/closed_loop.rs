//! The closed loop, as a property of the library and without a server: for every pair (A, B) the
//! tests know and every dialect, the up migration `commit` would write, read back by the replay
//! that `commit`, `plan`, `verify`, `drift` and `apply` use, gives B; the down migration read back
//! on B gives A; and A made from nothing gives A. "Gives" is equality of Merkle roots.

mod util;

use strata::dialect::Dialect;
use util::closed_loop::check_pair;
use util::pairs::{for_dialect, unsupported, PAIRS};

const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

#[test]
fn every_hand_written_pair_closes_the_loop_on_every_dialect() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for dialect in DIALECTS {
        for (name, a, b) in PAIRS.iter().filter(|(name, _, _)| !unsupported(dialect, name)) {
            let (a, b) = (for_dialect(dialect, a), for_dialect(dialect, b));
            checked += 1;
            if let Err(e) = check_pair(dialect, &a, &b) {
                failures.push(format!("{dialect} / {name}: {e}"));
            }
        }
    }
    assert!(checked > 150, "the corpus shrank: {checked} pairs checked");
    assert!(failures.is_empty(), "{} of {checked} pairs failed:\n{}", failures.len(), failures.join("\n\n"));
}
