//! The hand-written corpus of schema pairs (A, B) that every engine test and the closed-loop
//! property share: each names one kind of change.

use strata::dialect::Dialect;

/// (name, A, B); `{now}`, `{autoinc_pk}` and `{collation}` are spelled per dialect by [`for_dialect`].
pub const PAIRS: &[(&str, &str, &str)] = &[
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
    ("named column constraints", "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE p (id INTEGER, qty INTEGER, a_id INTEGER, code TEXT);", "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE p (id INTEGER CONSTRAINT p_pk PRIMARY KEY, qty INTEGER CONSTRAINT qty_pos CHECK (qty > 0), a_id INTEGER CONSTRAINT p_a_fk REFERENCES a (id), code TEXT CONSTRAINT p_code_u UNIQUE);"),
    ("a comparison of comparisons", "CREATE TABLE t (status TEXT, proxy_for INTEGER);", "CREATE TABLE t (status TEXT, proxy_for INTEGER, CONSTRAINT proxy_ok CHECK ((status = 'proxy') = (proxy_for IS NOT NULL)));"),
    ("index with an operator class", "CREATE TABLE t (id INTEGER, doc JSONB);", "CREATE TABLE t (id INTEGER, doc JSONB);\nCREATE INDEX t_doc ON t USING gin (doc jsonb_path_ops);"),
    ("covering index", "CREATE TABLE t (a INTEGER, b TEXT);\nCREATE INDEX t_a ON t (a);", "CREATE TABLE t (a INTEGER, b TEXT);\nCREATE INDEX t_a ON t (a) INCLUDE (b);"),
    ("unique nulls not distinct", "CREATE TABLE t (a INTEGER);", "CREATE TABLE t (a INTEGER);\nCREATE UNIQUE INDEX t_a ON t (a) NULLS NOT DISTINCT;"),
    ("nulls first and last", "CREATE TABLE t (a INTEGER, b INTEGER);\nCREATE INDEX t_ab ON t (a, b);", "CREATE TABLE t (a INTEGER, b INTEGER);\nCREATE INDEX t_ab ON t (a NULLS FIRST, b DESC NULLS LAST);"),
    ("deferrable foreign key", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER REFERENCES p (id));", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED);"),
    ("match full foreign key", "CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (a, b));\nCREATE TABLE c (a INTEGER, b INTEGER, FOREIGN KEY (a, b) REFERENCES p (a, b) DEFERRABLE);", "CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (a, b));\nCREATE TABLE c (a INTEGER, b INTEGER, FOREIGN KEY (a, b) REFERENCES p (a, b) MATCH FULL ON DELETE CASCADE);"),
    ("rebuild under a view", "CREATE TABLE t (id INTEGER, a TEXT, b TEXT);\nCREATE VIEW v AS SELECT id, a FROM t;", "CREATE TABLE t (id INTEGER, a TEXT, b INTEGER NOT NULL DEFAULT 0);\nCREATE VIEW v AS SELECT id, a FROM t;"),
    ("new column under a view", "CREATE TABLE t (id INTEGER, a TEXT);\nCREATE VIEW v AS SELECT id, a FROM t;", "CREATE TABLE t (id INTEGER, a TEXT, b TEXT);\nCREATE INDEX t_b ON t (b);\nCREATE VIEW v AS SELECT id, a FROM t;"),
    ("prefix index", "CREATE TABLE t (id INTEGER, email TEXT);", "CREATE TABLE t (id INTEGER, email TEXT);\nCREATE INDEX t_email ON t (email(50));"),
    ("view with a synonym", "CREATE TABLE t (id INTEGER, name TEXT);", "CREATE TABLE t (id INTEGER, name TEXT);\nCREATE VIEW v AS SELECT id, UPPER(name) AS shout FROM t;"),
    ("no change", "CREATE TABLE t (id INTEGER);", "CREATE TABLE t (id INTEGER);"),
];

/// Pairs an engine cannot express: MariaDB has neither partial nor expression indexes, identity
/// columns, enum types and sequences are PostgreSQL's, and PostgreSQL 15 has no virtual
/// generated columns.
pub fn unsupported(dialect: Dialect, name: &str) -> bool {
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
            | "index with an operator class"
            | "covering index"
            | "unique nulls not distinct"
            | "nulls first and last"
            | "match full foreign key"
    );
    // A key part's length is MySQL's.
    if dialect != Dialect::Mysql && name == "prefix index" {
        return true;
    }
    match dialect {
        Dialect::Sqlite => postgres_only,
        Dialect::Postgres => name == "add virtual generated column",
        Dialect::Mysql => {
            postgres_only || matches!(name, "partial index" | "expression index" | "deferrable foreign key")
        }
    }
}

pub fn for_dialect(dialect: Dialect, sql: &str) -> String {
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
