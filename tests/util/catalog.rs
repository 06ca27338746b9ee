//! A catalog fingerprint of one PostgreSQL schema or MySQL database, read with the engine's own
//! catalog functions, not strata's inspector: what a database holds, to compare a tenant strata
//! migrated with a plain load of the same schema file. Lines are sorted (column order is not a
//! difference) and the schema's own name is taken out of every definition.

use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::Row;

const PG_QUERIES: &[(&str, &str)] = &[
    (
        "column",
        "SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) \
         || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END \
         || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') \
         || CASE a.attidentity WHEN 'a' THEN ' IDENTITY ALWAYS' WHEN 'd' THEN ' IDENTITY BY DEFAULT' ELSE '' END \
         || CASE a.attgenerated WHEN 's' THEN ' STORED' ELSE '' END \
         || coalesce(' COLLATE ' || CASE WHEN a.attcollation <> t.typcollation THEN co.collname END, '') \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
         AND c.relname <> 'strata_history'",
    ),
    (
        "constraint",
        "SELECT c.relname || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid) FROM pg_constraint con \
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname <> 'strata_history'",
    ),
    (
        "index",
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname <> 'strata_history'",
    ),
    (
        "sequence",
        "SELECT s.sequencename || ' ' || s.data_type || ' ' || s.start_value || ' ' || s.min_value || ' ' \
         || s.max_value || ' ' || s.increment_by || ' ' || s.cycle || ' ' || s.cache_size \
         FROM pg_sequences s WHERE s.schemaname = $1",
    ),
    (
        "view",
        "SELECT c.relname || ' ' || c.relkind::text || ' ' || pg_get_viewdef(c.oid) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')",
    ),
    (
        "function",
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = $1 AND p.prokind = 'f'",
    ),
    (
        "trigger",
        "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND NOT t.tgisinternal",
    ),
    (
        "type",
        "SELECT t.typname || ' ' || t.typtype::text || coalesce(' ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY \
         e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '') FROM pg_type t \
         JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typtype IN ('e', 'd')",
    ),
    (
        "statistics",
        "SELECT s.stxname || ' ' || pg_get_statisticsobjdef(s.oid) FROM pg_statistic_ext s \
         JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE n.nspname = $1",
    ),
    (
        "comment",
        "SELECT c.relname || coalesce('.' || a.attname, '') || ' ' || d.description FROM pg_description d \
         JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0 \
         WHERE n.nspname = $1",
    ),
];

/// Every object of PostgreSQL schema `schema`, one sorted line each.
pub async fn postgres(conn: &mut PgConnection, schema: &str) -> Vec<String> {
    // Definitions print names outside the search path qualified: look from inside the schema.
    sqlx::raw_sql(&format!("SET search_path TO \"{schema}\"")).execute(&mut *conn).await.unwrap();
    let own = [format!("\"{schema}\"."), format!("{schema}.")];
    let mut lines = Vec::new();
    for (kind, query) in PG_QUERIES {
        let rows =
            sqlx::query(query).bind(schema).fetch_all(&mut *conn).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        for row in rows {
            let text: Option<String> = row.get(0);
            let text = own.iter().fold(text.unwrap_or_default(), |t, own| t.replace(own.as_str(), ""));
            lines.push(format!("{kind} {}", text.trim()));
        }
    }
    sqlx::raw_sql("RESET search_path").execute(&mut *conn).await.unwrap();
    lines.sort();
    lines
}

const MYSQL_QUERIES: &[(&str, &str)] = &[
    (
        "column",
        "SELECT CONCAT_WS(' ', TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COALESCE(COLUMN_DEFAULT, '-'), \
         EXTRA, COALESCE(COLLATION_NAME, '-'), GENERATION_EXPRESSION, COLUMN_COMMENT) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> 'strata_history'",
    ),
    (
        "index",
        "SELECT CONCAT_WS(' ', TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COALESCE(COLUMN_NAME, '-'), \
         COALESCE(SUB_PART, '-'), COALESCE(COLLATION, '-'), INDEX_TYPE) FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> 'strata_history'",
    ),
    (
        "constraint",
        "SELECT CONCAT_WS(' ', c.TABLE_NAME, c.CONSTRAINT_NAME, c.CONSTRAINT_TYPE, COALESCE(r.UPDATE_RULE, '-'), \
         COALESCE(r.DELETE_RULE, '-'), COALESCE(r.REFERENCED_TABLE_NAME, '-')) FROM information_schema.TABLE_CONSTRAINTS c \
         LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA \
         AND r.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND r.TABLE_NAME = c.TABLE_NAME \
         WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME <> 'strata_history'",
    ),
    (
        "check",
        "SELECT CONCAT_WS(' ', TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE) FROM information_schema.CHECK_CONSTRAINTS \
         WHERE CONSTRAINT_SCHEMA = ?",
    ),
    ("view", "SELECT CONCAT_WS(' ', TABLE_NAME, VIEW_DEFINITION) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?"),
    (
        "trigger",
        "SELECT CONCAT_WS(' ', TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT) \
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
    ),
    (
        "routine",
        "SELECT CONCAT_WS(' ', ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION) FROM information_schema.ROUTINES \
         WHERE ROUTINE_SCHEMA = ?",
    ),
    (
        "table",
        "SELECT CONCAT_WS(' ', TABLE_NAME, ENGINE, TABLE_COLLATION, TABLE_COMMENT) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> 'strata_history'",
    ),
];

/// Every object of MySQL database `database`, one sorted line each.
pub async fn mysql(conn: &mut MySqlConnection, database: &str) -> Vec<String> {
    let own = [format!("`{database}`."), format!("{database}.")];
    let mut lines = Vec::new();
    for (kind, query) in MYSQL_QUERIES {
        let rows =
            sqlx::query(query).bind(database).fetch_all(&mut *conn).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        for row in rows {
            let text: Option<String> = row
                .try_get::<Option<String>, _>(0)
                .or_else(|_| {
                    row.try_get::<Option<Vec<u8>>, _>(0).map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
                })
                .unwrap();
            let text = own.iter().fold(text.unwrap_or_default(), |t, own| t.replace(own.as_str(), ""));
            lines.push(format!("{kind} {}", text.trim()));
        }
    }
    lines.sort();
    lines
}

/// The lines only one side has, `-` for the expected side and `+` for the actual, or `None`.
pub fn difference(actual: &[String], expected: &[String]) -> Option<String> {
    let missing = expected.iter().filter(|l| !actual.contains(l)).map(|l| format!("- {l}"));
    let extra = actual.iter().filter(|l| !expected.contains(l)).map(|l| format!("+ {l}"));
    let lines: Vec<String> = missing.chain(extra).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}
