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
use util::roundtrip::{migration, parse, round_trip};

/// (name, A, B); `{now}`, `{autoinc_pk}` and `{collation}` are spelled per dialect by [`for_dialect`].
const PAIRS: &[(&str, &str, &str)] = &[
    ("create table", "", "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"),
    ("drop table", "CREATE TABLE t (id INTEGER PRIMARY KEY);\nCREATE TABLE u (id INTEGER);", "CREATE TABLE t (id INTEGER PRIMARY KEY);"),
    ("add nullable column", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT);"),
    ("add not null column with default", "CREATE TABLE t (id INTEGER);", "CREATE TABLE t (id INTEGER, n INTEGER NOT NULL DEFAULT 0);"),
    ("add not null column without default", "CREATE TABLE t (id INTEGER);", "CREATE TABLE t (id INTEGER, n INTEGER NOT NULL);"),
    ("add column with non-constant default", "CREATE TABLE t (id INTEGER);", "CREATE TABLE t (id INTEGER, at TEXT DEFAULT CURRENT_TIMESTAMP);"),
    ("add column with expression default", "CREATE TABLE t (id INTEGER);", "CREATE TABLE t (id INTEGER, at TEXT DEFAULT ({now}));"),
    ("drop column", "CREATE TABLE t (id INTEGER, a TEXT, b TEXT);", "CREATE TABLE t (id INTEGER, b TEXT);"),
    ("drop indexed column", "CREATE TABLE t (id INTEGER, a TEXT);\nCREATE INDEX t_a ON t (a);", "CREATE TABLE t (id INTEGER);"),
    ("drop column in a check", "CREATE TABLE t (id INTEGER, a INTEGER, CHECK (a > 0));", "CREATE TABLE t (id INTEGER);"),
    ("change column type", "CREATE TABLE t (id INTEGER, a TEXT);", "CREATE TABLE t (id INTEGER, a INTEGER);"),
    ("make column not null", "CREATE TABLE t (id INTEGER, a TEXT);", "CREATE TABLE t (id INTEGER, a TEXT NOT NULL);"),
    ("add default", "CREATE TABLE t (id INTEGER, a TEXT);", "CREATE TABLE t (id INTEGER, a TEXT DEFAULT 'x');"),
    ("change default", "CREATE TABLE t (id INTEGER, a TEXT DEFAULT 'x');", "CREATE TABLE t (id INTEGER, a TEXT DEFAULT 'y');"),
    ("add index", "CREATE TABLE t (id INTEGER, a TEXT);", "CREATE TABLE t (id INTEGER, a TEXT);\nCREATE INDEX t_a ON t (a);"),
    ("unique index", "CREATE TABLE t (id INTEGER, a TEXT);", "CREATE TABLE t (id INTEGER, a TEXT);\nCREATE UNIQUE INDEX t_a ON t (a);"),
    ("index columns change", "CREATE TABLE t (a TEXT, b TEXT);\nCREATE INDEX t_i ON t (a);", "CREATE TABLE t (a TEXT, b TEXT);\nCREATE INDEX t_i ON t (a, b);"),
    ("index becomes unique", "CREATE TABLE t (a TEXT);\nCREATE INDEX t_i ON t (a);", "CREATE TABLE t (a TEXT);\nCREATE UNIQUE INDEX t_i ON t (a);"),
    ("partial index", "CREATE TABLE t (a TEXT, deleted INTEGER);", "CREATE TABLE t (a TEXT, deleted INTEGER);\nCREATE INDEX t_live ON t (a) WHERE deleted = 0;"),
    ("expression index", "CREATE TABLE t (email TEXT);", "CREATE TABLE t (email TEXT);\nCREATE UNIQUE INDEX t_email ON t (lower(email));"),
    ("descending index", "CREATE TABLE t (at TEXT);", "CREATE TABLE t (at TEXT);\nCREATE INDEX t_at ON t (at DESC);"),
    ("add primary key", "CREATE TABLE t (id INTEGER, a TEXT);", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);"),
    ("composite primary key change", "CREATE TABLE t (a INTEGER, b INTEGER, PRIMARY KEY (a));", "CREATE TABLE t (a INTEGER, b INTEGER, PRIMARY KEY (a, b));"),
    ("create table with auto-increment key", "", "CREATE TABLE t (id {autoinc_pk}, a TEXT);"),
    ("add auto-increment key column", "CREATE TABLE t (a TEXT);", "CREATE TABLE t (id {autoinc_pk}, a TEXT);"),
    ("add unique constraint", "CREATE TABLE t (a TEXT, b TEXT);", "CREATE TABLE t (a TEXT, b TEXT, UNIQUE (a, b));"),
    ("drop named unique constraint", "CREATE TABLE t (a TEXT, CONSTRAINT t_a_key UNIQUE (a));", "CREATE TABLE t (a TEXT);"),
    ("add check", "CREATE TABLE t (n INTEGER);", "CREATE TABLE t (n INTEGER, CHECK (n >= 0));"),
    ("change named check", "CREATE TABLE t (n INTEGER, CONSTRAINT n_ok CHECK (n > 0));", "CREATE TABLE t (n INTEGER, CONSTRAINT n_ok CHECK (n > 1));"),
    ("add foreign key", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER);", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER REFERENCES p (id));"),
    ("drop foreign key", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER, FOREIGN KEY (p) REFERENCES p (id));", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER);"),
    ("foreign key action", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER REFERENCES p (id) ON DELETE CASCADE);", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER REFERENCES p (id) ON DELETE SET NULL ON UPDATE CASCADE);"),
    ("create referencing tables", "", "CREATE TABLE c (p INTEGER REFERENCES p (id));\nCREATE TABLE p (id INTEGER PRIMARY KEY);"),
    ("drop referencing tables", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER REFERENCES p (id));", ""),
    ("self reference", "", "CREATE TABLE node (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES node (id) ON DELETE SET NULL);"),
    ("rebuild a referenced table", "CREATE TABLE p (id INTEGER PRIMARY KEY, a TEXT);\nCREATE TABLE c (p INTEGER REFERENCES p (id));", "CREATE TABLE p (id INTEGER PRIMARY KEY, a INTEGER);\nCREATE TABLE c (p INTEGER REFERENCES p (id));"),
    ("keyword and mixed-case names", "", "CREATE TABLE \"order\" (\"Id\" INTEGER PRIMARY KEY, \"group\" TEXT);\nCREATE INDEX \"order_Group\" ON \"order\" (\"group\");"),
    ("add column to keyword table", "CREATE TABLE \"order\" (id INTEGER);", "CREATE TABLE \"order\" (id INTEGER, \"select\" TEXT);"),
    ("several tables at once", "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);", "CREATE TABLE a (id INTEGER, x TEXT);\nCREATE TABLE c (id INTEGER);\nCREATE INDEX a_x ON a (x);"),
    ("rebuild keeps other indexes", "CREATE TABLE t (a TEXT, b TEXT);\nCREATE INDEX t_b ON t (b);", "CREATE TABLE t (a INTEGER, b TEXT);\nCREATE INDEX t_b ON t (b);"),
    ("new table with indexes", "", "CREATE TABLE t (a TEXT, b TEXT);\nCREATE INDEX t_a ON t (a);\nCREATE UNIQUE INDEX t_b ON t (b);"),
    ("column and index together", "CREATE TABLE t (id INTEGER);", "CREATE TABLE t (id INTEGER, a TEXT);\nCREATE INDEX t_a ON t (a);"),
    ("rename index", "CREATE TABLE t (a TEXT);\nCREATE INDEX t_a ON t (a);", "CREATE TABLE t (a TEXT);\nCREATE INDEX t_a_idx ON t (a);"),
    ("add generated column", "CREATE TABLE t (a INTEGER);", "CREATE TABLE t (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) STORED);"),
    ("add virtual generated column", "CREATE TABLE t (a INTEGER);", "CREATE TABLE t (a INTEGER, b INTEGER GENERATED ALWAYS AS (a + 1) VIRTUAL);"),
    ("change generation expression", "CREATE TABLE t (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) STORED);", "CREATE TABLE t (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 3) STORED);"),
    ("generated becomes plain", "CREATE TABLE t (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) STORED);", "CREATE TABLE t (a INTEGER, b INTEGER);"),
    ("add collation", "CREATE TABLE t (a TEXT);", "CREATE TABLE t (a TEXT COLLATE {collation});"),
    ("new table with collation", "", "CREATE TABLE t (a TEXT COLLATE {collation}, b TEXT);\nCREATE INDEX t_a ON t (a);"),
    ("identity column", "CREATE TABLE t (a TEXT);", "CREATE TABLE t (id INTEGER GENERATED ALWAYS AS IDENTITY, a TEXT);"),
    ("identity kind", "CREATE TABLE t (id INTEGER GENERATED ALWAYS AS IDENTITY);", "CREATE TABLE t (id INTEGER GENERATED BY DEFAULT AS IDENTITY);"),
    ("make column identity", "CREATE TABLE t (id INTEGER NOT NULL);", "CREATE TABLE t (id INTEGER GENERATED BY DEFAULT AS IDENTITY);"),
    ("create enum and use it", "", "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\nCREATE TABLE t (m mood DEFAULT 'ok');"),
    ("drop enum with its column", "CREATE TYPE mood AS ENUM ('sad', 'happy');\nCREATE TABLE t (id INTEGER, m mood);", "CREATE TABLE t (id INTEGER);"),
    ("create sequence", "", "CREATE SEQUENCE s START WITH 100 INCREMENT BY 5;"),
    ("alter sequence", "CREATE SEQUENCE s;", "CREATE SEQUENCE s AS integer INCREMENT BY 2 MAXVALUE 1000 CYCLE;"),
    ("sequence as a default", "", "CREATE SEQUENCE s;\nCREATE TABLE t (id BIGINT DEFAULT nextval('s'));"),
    ("create view", "CREATE TABLE t (id INTEGER, name TEXT, active INTEGER);", "CREATE TABLE t (id INTEGER, name TEXT, active INTEGER);\nCREATE VIEW v AS SELECT id, name FROM t WHERE active = 1;"),
    ("change view", "CREATE TABLE t (id INTEGER, name TEXT);\nCREATE VIEW v AS SELECT id FROM t;", "CREATE TABLE t (id INTEGER, name TEXT);\nCREATE VIEW v AS SELECT id, name FROM t WHERE id > 10;"),
    ("drop view", "CREATE TABLE t (id INTEGER);\nCREATE VIEW v AS SELECT id FROM t;", "CREATE TABLE t (id INTEGER);"),
    ("view with a join and aliases", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER, p INTEGER);", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER, p INTEGER);\nCREATE VIEW pc AS SELECT p.id, c.id AS child_id FROM p JOIN c ON c.p = p.id;"),
    ("view with a column list", "CREATE TABLE t (id INTEGER, name TEXT);", "CREATE TABLE t (id INTEGER, name TEXT);\nCREATE VIEW v (ident, label) AS SELECT id, name FROM t;"),
    ("view over a retyped column", "CREATE TABLE t (id INTEGER, a TEXT);\nCREATE VIEW v AS SELECT id, a FROM t;", "CREATE TABLE t (id INTEGER, a BIGINT);\nCREATE VIEW v AS SELECT id, a FROM t;"),
    ("create function and trigger", "CREATE TABLE t (id INTEGER, updated_at TIMESTAMPTZ);", "CREATE TABLE t (id INTEGER, updated_at TIMESTAMPTZ);\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$;\nCREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();"),
    ("change function body", "CREATE TABLE t (id INTEGER, updated_at TIMESTAMPTZ);\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$;\nCREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();", "CREATE TABLE t (id INTEGER, updated_at TIMESTAMPTZ);\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := clock_timestamp();\n  RETURN NEW;\nEND;\n$$;\nCREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();"),
    ("drop trigger and function", "CREATE TABLE t (id INTEGER, updated_at TIMESTAMPTZ);\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$;\nCREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();", "CREATE TABLE t (id INTEGER, updated_at TIMESTAMPTZ);"),
    ("sql function reading a table", "CREATE TABLE t (id INTEGER, updated_at TIMESTAMPTZ);", "CREATE TABLE t (id INTEGER, updated_at TIMESTAMPTZ);\nCREATE FUNCTION t_count(p_min integer) RETURNS bigint LANGUAGE sql STABLE AS $_$ SELECT count(*) FROM t WHERE id >= $1 $_$;"),
    ("create domain and use it", "CREATE TABLE t (id INTEGER);", "CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);\nCREATE TABLE t (id INTEGER, y year);"),
    ("change a domain check", "CREATE DOMAIN year AS integer CHECK (VALUE >= 1901);", "CREATE DOMAIN year AS integer DEFAULT 2000 CHECK (VALUE >= 1900);"),
    ("create aggregate", "CREATE FUNCTION cat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1 || $2 $$;", "CREATE FUNCTION cat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1 || $2 $$;\nCREATE AGGREGATE concat_all(text) (STYPE = text, SFUNC = cat, INITCOND = '');"),
    ("trigger with literal arguments", "CREATE TABLE d (title TEXT, body TEXT, doc tsvector);", "CREATE TABLE d (title TEXT, body TEXT, doc tsvector);\nCREATE TRIGGER d_doc BEFORE INSERT OR UPDATE ON d FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger('doc', 'pg_catalog.english', 'title', 'body');"),
    ("view on a view over a retyped column", "CREATE TABLE t (id INTEGER, a TEXT);\nCREATE VIEW b_base AS SELECT id, a FROM t;\nCREATE VIEW a_top AS SELECT id FROM b_base;", "CREATE TABLE t (id INTEGER, a BIGINT);\nCREATE VIEW b_base AS SELECT id, a FROM t;\nCREATE VIEW a_top AS SELECT id FROM b_base;"),
    ("no change", "CREATE TABLE t (id INTEGER);", "CREATE TABLE t (id INTEGER);"),
];

/// Pairs an engine cannot express: MariaDB has neither partial nor expression indexes, identity
/// columns, enum types and sequences are PostgreSQL's, and PostgreSQL 15 has no virtual
/// generated columns.
fn unsupported(dialect: Dialect, name: &str) -> bool {
    let postgres_only = matches!(
        name,
        "identity column"
            | "identity kind"
            | "make column identity"
            | "create enum and use it"
            | "drop enum with its column"
            | "create sequence"
            | "alter sequence"
            | "sequence as a default"
            | "create function and trigger"
            | "change function body"
            | "drop trigger and function"
            | "sql function reading a table"
            | "create domain and use it"
            | "change a domain check"
            | "create aggregate"
            | "trigger with literal arguments"
    );
    match dialect {
        Dialect::Sqlite => postgres_only,
        Dialect::Postgres => name == "add virtual generated column",
        Dialect::Mysql => postgres_only || matches!(name, "partial index" | "expression index"),
    }
}

fn for_dialect(dialect: Dialect, sql: &str) -> String {
    let (now, autoinc_pk, collation) = match dialect {
        Dialect::Sqlite => ("datetime('now')", "INTEGER PRIMARY KEY AUTOINCREMENT", "NOCASE"),
        Dialect::Postgres => ("now()", "SERIAL PRIMARY KEY", "\"C\""),
        Dialect::Mysql => ("now()", "INTEGER PRIMARY KEY AUTO_INCREMENT", "utf8mb4_bin"),
    };
    let sql = sql.replace("{now}", now).replace("{autoinc_pk}", autoinc_pk).replace("{collation}", collation);
    // MySQL cannot index TEXT without a prefix length (the corpus means "a string"), and quotes
    // names with backticks.
    if dialect == Dialect::Mysql {
        sql.replace(" TEXT", " VARCHAR(100)").replace('"', "`")
    } else {
        sql
    }
}

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
