//! Round trips of the schema engine on the real engines (a SQLite file, the PostgreSQL and the
//! MariaDB on the machine), for every pair (A, B) of the corpus: A as written introspects to
//! parse(A); A as strata creates it does too; diff(A, B) up introspects to parse(B); diff(B, A)
//! down introspects to parse(A) again. "Equal" is the Merkle root of the model.

mod util;

use std::collections::BTreeMap;
use strata::dialect::plan::{plan, Hazard};
use strata::dialect::Dialect;

use strata::schema::hash::root;
use strata::schema::{diff, diff_with_renames, Renames, Schema};
use util::engines::Scratch;
use util::pairs::{for_dialect, unsupported, PAIRS};
use util::roundtrip::{migration, parse, round_trip};

/// Every pair on a fresh database of the dialect; all failures reported together.
async fn corpus_round_trips(dialect: Dialect) {
    assert!(PAIRS.len() >= 40);
    let mut failures = Vec::new();
    for (name, a, b) in PAIRS.iter().filter(|(name, _, _)| !unsupported(dialect, name)) {
        let (Some(mut raw), Some(mut db)) = (Scratch::new(dialect).await, Scratch::new(dialect).await) else { return };
        let (a, b) = (for_dialect(dialect, a), for_dialect(dialect, b));
        if let Err(e) = round_trip(&mut raw, &mut db, dialect, name, &a, &b).await {
            failures.push(e);
        }
        raw.cleanup().await;
        db.cleanup().await;
    }
    assert!(
        failures.is_empty(),
        "{} of {} pairs failed on {dialect}:\n{}",
        failures.len(),
        PAIRS.len(),
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn every_corpus_pair_round_trips_on_sqlite() {
    corpus_round_trips(Dialect::Sqlite).await;
}

#[tokio::test]
async fn every_corpus_pair_round_trips_on_postgres() {
    corpus_round_trips(Dialect::Postgres).await;
}

#[tokio::test]
async fn every_corpus_pair_round_trips_on_mysql() {
    corpus_round_trips(Dialect::Mysql).await;
}

#[test]
fn identical_meaning_in_other_spelling_is_no_change() {
    let a = "CREATE TABLE t (id integer PRIMARY KEY, a text not null default 'x', b int);\nCREATE INDEX i ON t (a);";
    let b = "create table t (\n  b INT,\n  a TEXT NOT NULL DEFAULT 'x',\n  id INTEGER PRIMARY KEY\n);\ncreate index i on t(a);";
    let (a, b) = (parse(Dialect::Sqlite, a), parse(Dialect::Sqlite, b));
    assert!(diff(&a, &b).is_empty(), "{:?}", diff(&a, &b));
    assert_eq!(root(&a), root(&b));
    let a = "CREATE TABLE t (id int4 NOT NULL, a varchar(10) DEFAULT 'x'::text, CHECK ((id > 0)), PRIMARY KEY (id));";
    let b = "CREATE TABLE T (ID integer PRIMARY KEY, A character varying(10) DEFAULT 'x', CHECK (id > 0));";
    let (a, b) = (parse(Dialect::Postgres, a), parse(Dialect::Postgres, b));
    assert!(diff(&a, &b).is_empty(), "{:?}", diff(&a, &b));
    assert_eq!(root(&a), root(&b));
    let qualified =
        parse(Dialect::Postgres, "CREATE TABLE public.t (id integer PRIMARY KEY);\nCREATE INDEX i ON public.t (id);");
    let plain = parse(Dialect::Postgres, "CREATE TABLE t (id integer PRIMARY KEY);\nCREATE INDEX i ON t (id);");
    assert_eq!(root(&qualified), root(&plain), "public. is the tenant's own schema");
    let a = "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT, ok BOOLEAN DEFAULT TRUE, d DECIMAL(10,2) DEFAULT 0, \
             at TIMESTAMP NULL DEFAULT now(), code VARCHAR(10) UNIQUE, PRIMARY KEY (id))";
    let b = "CREATE TABLE `t` (`id` int(11) NOT NULL AUTO_INCREMENT, `ok` tinyint(1) DEFAULT 1, `d` decimal(10,2) DEFAULT 0.00, \
             `at` timestamp NULL DEFAULT current_timestamp(), `code` varchar(10) DEFAULT NULL, PRIMARY KEY (`id`), \
             UNIQUE KEY `code` (`code`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
    let (a, b) = (parse(Dialect::Mysql, a), parse(Dialect::Mysql, b));
    assert!(diff(&a, &b).is_empty(), "{:?}", diff(&a, &b));
    assert_eq!(root(&a), root(&b));
}

#[tokio::test]
async fn a_table_rebuild_keeps_the_rows_and_the_references() {
    let a = "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id) ON DELETE CASCADE);";
    let b = "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\nCREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id) ON DELETE CASCADE);";
    let mut db = Scratch::new(Dialect::Sqlite).await.unwrap();
    db.run(a).await.unwrap();
    db.run("INSERT INTO p VALUES (1, 'one'), (2, 'two'); INSERT INTO c VALUES (10, 1), (20, 2);").await.unwrap();
    let up = migration(Dialect::Sqlite, &parse(Dialect::Sqlite, a), &parse(Dialect::Sqlite, b)).unwrap();
    assert!(up.contains("DROP TABLE p;"), "a rebuild: {up}");
    db.run(&up).await.unwrap();
    let Scratch::Sqlite { conn, .. } = &mut db else { unreachable!("a SQLite scratch") };
    let children: i64 = sqlx::query_scalar("SELECT count(*) FROM c").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(children, 2, "dropping the old table must not cascade to its children");
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM p ORDER BY id").fetch_all(&mut *conn).await.unwrap();
    assert_eq!(names, ["one", "two"]);
}

#[test]
fn sqlite_hazards_are_flagged_where_they_apply_and_only_there() {
    let hazards = |a: &str, b: &str| hazards_of(Dialect::Sqlite, a, b);
    let t = "CREATE TABLE t (id INTEGER, a TEXT);";
    assert_eq!(hazards(t, "CREATE TABLE t (id INTEGER);"), [Hazard::Destructive], "drop column");
    assert_eq!(hazards(t, ""), [Hazard::Destructive], "drop table");
    assert_eq!(hazards(t, "CREATE TABLE t (id INTEGER, a TEXT, b TEXT);"), [], "add nullable column");
    assert_eq!(
        hazards(t, "CREATE TABLE t (id INTEGER, a INTEGER);"),
        [Hazard::Destructive, Hazard::Rewrite],
        "type change"
    );
    assert_eq!(
        hazards(t, "CREATE TABLE t (id INTEGER, a TEXT NOT NULL);"),
        [Hazard::Rewrite, Hazard::DataDependent],
        "set not null"
    );
    assert_eq!(
        hazards(t, "CREATE TABLE t (id INTEGER, a TEXT, CHECK (id > 0));"),
        [Hazard::Rewrite, Hazard::DataDependent],
        "new check"
    );
    assert_eq!(hazards(t, &format!("{t}\nCREATE UNIQUE INDEX u ON t (a);")), [Hazard::DataDependent], "unique index");
    assert_eq!(hazards(t, &format!("{t}\nCREATE INDEX i ON t (a);")), [], "plain index");
}

#[test]
fn postgres_hazards_are_flagged_where_they_apply_and_only_there() {
    let hazards = |a: &str, b: &str| hazards_of(Dialect::Postgres, a, b);
    let t = "CREATE TABLE t (id integer, a varchar(10));";
    assert_eq!(hazards(t, "CREATE TABLE t (id integer);"), [Hazard::Destructive], "drop column");
    assert_eq!(hazards(t, "CREATE TABLE t (id integer, a varchar(10), b text);"), [], "add nullable column");
    assert_eq!(hazards(t, "CREATE TABLE t (id integer, a varchar(10), b text NOT NULL);"), [Hazard::DataDependent]);
    assert_eq!(
        hazards(t, "CREATE TABLE t (id integer, a varchar(10), b uuid DEFAULT gen_random_uuid());"),
        [Hazard::Rewrite]
    );
    assert_eq!(hazards(t, "CREATE TABLE t (id integer, a varchar(20));"), [], "widening a varchar is catalog-only");
    assert_eq!(hazards(t, "CREATE TABLE t (id integer, a varchar(5));"), [Hazard::Destructive, Hazard::Rewrite]);
    assert_eq!(hazards(t, "CREATE TABLE t (id bigint, a varchar(10));"), [Hazard::Rewrite], "int to bigint");
    assert_eq!(
        hazards(t, "CREATE TABLE t (id integer NOT NULL, a varchar(10));"),
        [Hazard::Rewrite, Hazard::DataDependent]
    );
    assert_eq!(hazards(t, &format!("{t}\nCREATE INDEX i ON t (a);")), [Hazard::Rewrite], "index without CONCURRENTLY");
    assert_eq!(
        hazards(t, "CREATE TABLE t (id integer, a varchar(10), CHECK (id > 0));"),
        [Hazard::Rewrite, Hazard::DataDependent]
    );
    assert_eq!(hazards("", t), [], "a new table");
    let generated = "CREATE TABLE t (id integer, a varchar(10), g integer GENERATED ALWAYS AS (id * 2) STORED);";
    assert_eq!(hazards(t, generated), [Hazard::Rewrite], "a stored generated column fills every row");
}

#[test]
fn mysql_hazards_are_flagged_where_they_apply_and_only_there() {
    let hazards = |a: &str, b: &str| hazards_of(Dialect::Mysql, a, b);
    let t = "CREATE TABLE t (id int, a varchar(10));";
    assert_eq!(hazards(t, "CREATE TABLE t (id int);"), [Hazard::Destructive], "drop column");
    assert_eq!(hazards(t, ""), [Hazard::Destructive], "drop table");
    assert_eq!(hazards(t, "CREATE TABLE t (id int, a varchar(10), b text);"), [], "add column (instant)");
    assert_eq!(hazards(t, "CREATE TABLE t (id bigint, a varchar(10));"), [Hazard::Rewrite], "int to bigint");
    assert_eq!(hazards(t, "CREATE TABLE t (id int, a varchar(5));"), [Hazard::Destructive, Hazard::Rewrite]);
    assert_eq!(
        hazards(t, "CREATE TABLE t (id int NOT NULL, a varchar(10));"),
        [Hazard::Rewrite, Hazard::DataDependent]
    );
    assert_eq!(hazards(t, &format!("{t}\nCREATE UNIQUE INDEX u ON t (a);")), [Hazard::DataDependent], "unique index");
    assert_eq!(hazards(t, &format!("{t}\nCREATE INDEX i ON t (a);")), [], "plain index (online)");
}

/// A hinted rename keeps the rows, where drop + create would lose them.
async fn renames_keep_the_data(dialect: Dialect) {
    let Some(mut db) = Scratch::new(dialect).await else { return };
    let text = if dialect == Dialect::Mysql { "VARCHAR(20)" } else { "TEXT" };
    let table = |t: &str, c: &str| {
        format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, {c} {text} UNIQUE, p_id INTEGER REFERENCES p (id), CHECK (id > 0));\n\
             CREATE INDEX t_phone ON {t} ({c});"
        )
    };
    let parent = "CREATE TABLE p (id INTEGER PRIMARY KEY);\n";
    let a = parse(dialect, &format!("{parent}{}", table("t", "phone")));
    let b = parse(dialect, &format!("{parent}{}", table("people", "mobile")));
    let renames = Renames {
        tables: BTreeMap::from([("t".into(), "people".into())]),
        columns: BTreeMap::from([("people".into(), BTreeMap::from([("phone".into(), "mobile".into())]))]),
    };
    let sql = |from: &Schema, to: &Schema, renames: &Renames| {
        let steps = plan(dialect, &diff_with_renames(from, to, renames)).unwrap();
        steps.iter().map(|s| s.sql.clone()).collect::<Vec<_>>().join("\n")
    };
    db.run(&sql(&Schema::default(), &a, &Renames::default())).await.unwrap();
    db.run("INSERT INTO t (id, phone) VALUES (1, '555-0100')").await.unwrap();
    let up = sql(&a, &b, &renames);
    assert!(!up.contains("DROP"), "{dialect}: a rename, not drop + create: {up}");
    db.run(&up).await.unwrap();
    assert_eq!(root(&db.inspect().await), root(&b), "{dialect}: up");
    assert_eq!(db.texts("SELECT mobile FROM people").await, ["555-0100"], "{dialect}");
    db.run(&sql(&b, &a, &renames.reversed())).await.unwrap();
    assert_eq!(root(&db.inspect().await), root(&a), "{dialect}: down");
    assert_eq!(db.texts("SELECT phone FROM t").await, ["555-0100"], "{dialect}");
    db.cleanup().await;
}

#[tokio::test]
async fn renames_keep_the_data_on_every_engine() {
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
        renames_keep_the_data(dialect).await;
    }
}

#[tokio::test]
async fn enum_labels_are_added_in_place_and_their_removal_is_refused() {
    let Some(mut db) = Scratch::new(Dialect::Postgres).await else { return };
    let a = parse(Dialect::Postgres, "CREATE TYPE mood AS ENUM ('sad', 'happy');\nCREATE TABLE t (m mood);");
    let b = parse(
        Dialect::Postgres,
        "CREATE TYPE mood AS ENUM ('angry', 'sad', 'ok', 'happy', 'ecstatic');\nCREATE TABLE t (m mood);",
    );
    db.run(&migration(Dialect::Postgres, &Schema::default(), &a).unwrap()).await.unwrap();
    db.run("INSERT INTO t VALUES ('happy')").await.unwrap();
    let up = migration(Dialect::Postgres, &a, &b).unwrap();
    assert!(up.contains("ALTER TYPE mood ADD VALUE 'angry' BEFORE 'sad';"), "{up}");
    assert!(up.contains("ALTER TYPE mood ADD VALUE 'ok' AFTER 'sad';"), "{up}");
    assert!(up.contains("ALTER TYPE mood ADD VALUE 'ecstatic' AFTER 'happy';"), "{up}");
    db.run(&up).await.unwrap();
    assert_eq!(root(&db.inspect().await), root(&b));
    let down = migration(Dialect::Postgres, &b, &a).unwrap_err();
    assert!(down.contains("removing or reordering labels of enum mood"), "{down}");
    db.cleanup().await;
}

/// The distinct hazards of the steps that turn `a` into `b`, in order.
fn hazards_of(dialect: Dialect, a: &str, b: &str) -> Vec<Hazard> {
    let steps = plan(dialect, &diff(&parse(dialect, a), &parse(dialect, b))).unwrap();
    let mut all: Vec<Hazard> = steps.iter().flat_map(|s| s.hazards.iter().copied()).collect();
    all.sort();
    all.dedup();
    all
}
