//! The closed loop, as a property of the library and without a server: for every pair (A, B) the
//! tests know and every dialect, the up migration `commit` would write, read back by the replay
//! that `commit`, `plan`, `verify`, `drift` and `apply` use, gives B; the down migration read back
//! on B gives A; and A made from nothing gives A. "Gives" is equality of Merkle roots.
//!
//! The generated corpus has `STRATA_CLOSED_LOOP_CASES` pairs per dialect (5,000 by default), and
//! every kind of change the planners take must come out of it.

mod util;

use std::collections::{BTreeMap, BTreeSet};

use proptest::test_runner::{Config, TestRunner};
use strata::dialect::Dialect;
use strata::schema::{diff_with_renames, Renames};
use util::closed_loop::{check_pair, check_pair_with, declared, Outcome};
use util::generator::{change_kinds, render, schema};
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

fn cases() -> u32 {
    std::env::var("STRATA_CLOSED_LOOP_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(5000)
}

/// The hints that rename t1 to r1 and every c1 to k1, and the SQL of B with them applied.
fn renamed(sql: &str) -> (String, Renames) {
    let word = |text: &str, from: &str, to: &str| -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(from) {
            let before = rest[..at].chars().last();
            let after = rest[at + from.len()..].chars().next();
            let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            out.push_str(&rest[..at]);
            out.push_str(if boundary(before) && boundary(after) { to } else { from });
            rest = &rest[at + from.len()..];
        }
        out.push_str(rest);
        out
    };
    let sql = word(&word(sql, "t1", "r1"), "c1", "k1");
    let columns = ["t0", "r1", "t2"].iter().map(|t| (t.to_string(), BTreeMap::from([("c1".into(), "k1".into())])));
    (sql, Renames { tables: BTreeMap::from([("t1".into(), "r1".into())]), columns: columns.collect() })
}

/// Runs the generated corpus for one dialect; returns the kinds of change it exercised.
fn generated_pairs_close_the_loop(dialect: Dialect) -> BTreeSet<String> {
    let kinds = std::cell::RefCell::new(BTreeSet::new());
    let refused = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let result = runner.run(&(schema(), schema(), proptest::bool::weighted(0.2)), |(a, b, rename)| {
        let a_sql = render(dialect, &a);
        let (b_sql, renames) =
            if rename { renamed(&render(dialect, &b)) } else { (render(dialect, &b), Renames::default()) };
        let outcome = check_pair_with(dialect, &a_sql, &b_sql, &renames);
        proptest::prop_assert!(outcome.is_ok(), "{}\n--- A:\n{a_sql}\n--- B:\n{b_sql}", outcome.as_ref().unwrap_err());
        if matches!(outcome, Ok(Outcome::Refused(_))) {
            refused.set(refused.get() + 1);
        }
        let (a, b) = (declared(dialect, &a_sql).unwrap(), declared(dialect, &b_sql).unwrap());
        let empty = strata::schema::Schema::default();
        let all = [(&empty, &a, Renames::default()), (&a, &b, renames.clone()), (&b, &a, renames.reversed())];
        for (from, to, hints) in all {
            kinds.borrow_mut().extend(diff_with_renames(from, to, &hints).iter().flat_map(change_kinds));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{dialect}: {e}");
    }
    let kinds = kinds.into_inner();
    eprintln!(
        "{dialect}: {} generated pairs closed the loop ({} with one direction refused as hand work), {} kinds of change",
        cases(),
        refused.get(),
        kinds.len()
    );
    kinds
}

/// Every kind of change a planner of the dialect carries out.
fn expected_kinds(dialect: Dialect) -> BTreeSet<&'static str> {
    let mut kinds = BTreeSet::from([
        "create table",
        "drop table",
        "rename table",
        "rename column",
        "add column",
        "drop column",
        "modify column type",
        "modify column nullability",
        "modify column default",
        "modify column generation",
        "modify column collation",
        "create index",
        "drop index",
        "rename index",
        "add check",
        "drop check",
        "add unique",
        "drop unique",
        "add foreign key",
        "drop foreign key",
        "create view",
        "drop view",
    ]);
    if dialect == Dialect::Postgres {
        kinds.extend([
            "create enum",
            "drop enum",
            "alter enum",
            "create sequence",
            "drop sequence",
            "alter sequence",
            "create domain",
            "drop domain",
            "alter domain",
            "create function",
            "drop function",
            "replace function",
            "create trigger",
            "drop trigger",
            "create aggregate",
            "drop aggregate",
            "create extension",
            "modify column identity",
            "create statistics",
            "drop statistics",
        ]);
    } else {
        // PostgreSQL refuses to turn a column's auto-increment on or off (a hand-written migration).
        kinds.insert("modify column auto-increment");
    }
    if dialect == Dialect::Sqlite {
        // SQLite keeps no comments.
        kinds.remove("modify column comment");
        kinds.remove("comment on table");
    }
    if dialect == Dialect::Mysql {
        kinds.insert("modify column on update");
        // MariaDB's unique constraints are unique indexes in the model.
        kinds.remove("add unique");
        kinds.remove("drop unique");
    }
    kinds
}

fn closes_the_loop_and_covers_every_change(dialect: Dialect) {
    let kinds = generated_pairs_close_the_loop(dialect);
    let missing: Vec<&str> = expected_kinds(dialect).into_iter().filter(|k| !kinds.contains(*k)).collect();
    assert!(missing.is_empty(), "{dialect}: the generator never made {missing:?} (made {kinds:?})");
}

#[test]
fn generated_pairs_close_the_loop_on_sqlite() {
    closes_the_loop_and_covers_every_change(Dialect::Sqlite);
}

#[test]
fn generated_pairs_close_the_loop_on_postgres() {
    closes_the_loop_and_covers_every_change(Dialect::Postgres);
}

#[test]
fn generated_pairs_close_the_loop_on_mysql() {
    closes_the_loop_and_covers_every_change(Dialect::Mysql);
}

/// Real schemas and real schema histories: each file made from nothing, and each state of a
/// history from the state before it (and back), read back by replay.
#[test]
fn real_schemas_and_histories_close_the_loop() {
    let files = [
        (Dialect::Sqlite, "chinook.sqlite.sql"),
        (Dialect::Postgres, "chinook.postgres.sql"),
        (Dialect::Mysql, "chinook.mysql.sql"),
        (Dialect::Postgres, "pagila.postgres.sql"),
    ];
    let mut failures = Vec::new();
    for (dialect, file) in files {
        let Some(sql) = util::corpus::read(file) else { return };
        if let Err(e) = check_pair(dialect, "", &sql) {
            failures.push(format!("{file}: {e}"));
        }
    }
    let histories = [
        (Dialect::Postgres, "temporal-postgres"),
        (Dialect::Postgres, "temporal-visibility-postgres"),
        (Dialect::Mysql, "temporal-mysql"),
    ];
    let mut steps = 0;
    for (dialect, folder) in histories {
        let Some(states) = util::corpus::history(folder) else { return };
        let mut before = ("empty".to_string(), String::new());
        for (version, sql) in states {
            steps += 1;
            if let Err(e) = check_pair(dialect, &before.1, &sql) {
                failures.push(format!("{folder} {} -> v{version}: {e}", before.0));
            }
            before = (format!("v{version}"), sql);
        }
    }
    assert_eq!(steps, 52, "the histories have 20 + 12 + 20 states");
    assert!(failures.is_empty(), "{} failed:\n{}", failures.len(), failures.join("\n\n"));
}
