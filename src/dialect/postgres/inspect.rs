//! Reading one PostgreSQL schema into the model. The catalog's own renderings
//! (`format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`) are assembled into
//! DDL and read through the project's interpreter, so normalisation happens in one place (names
//! PostgreSQL chose itself read back as "unnamed", see `normalize_table`).

use std::collections::BTreeMap;

use sqlx::postgres::PgConnection;
use sqlx::Row;

use crate::dialect::{Dialect, InspectError, INTERNAL_TABLES};
use crate::schema::parse::{parse_statements, Interpreter, Mode};
use crate::schema::Schema;

const D: Dialect = Dialect::Postgres;

const COLUMNS: &str = "SELECT c.relname AS table_name, a.attname AS name, \
    format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null, \
    pg_get_expr(d.adbin, d.adrelid) AS default_expr, a.attidentity::text AS identity, a.attgenerated::text AS generated, \
    CASE WHEN a.attcollation <> ty.typcollation THEN co.collname::text END AS collation, \
    EXISTS (SELECT 1 FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid WHERE dep.refobjid = c.oid \
      AND dep.refobjsubid = a.attnum AND dep.deptype IN ('a', 'i') AND s.relkind = 'S') AS owns_sequence \
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    JOIN pg_type ty ON ty.oid = a.atttypid LEFT JOIN pg_collation co ON co.oid = a.attcollation \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY c.relname, a.attnum";

const CONSTRAINTS: &str = "SELECT c.relname AS table_name, con.conname AS name, pg_get_constraintdef(con.oid) AS def \
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'c', 'f') AND con.conparentid = 0 ORDER BY c.relname, con.conname";

/// Indexes that do not back a primary key, unique or exclusion constraint (those are constraints).
const INDEXES: &str = "SELECT c.relname AS table_name, pg_get_indexdef(i.indexrelid) AS def \
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint con \
      WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')) \
    AND NOT EXISTS (SELECT 1 FROM pg_inherits ih WHERE ih.inhrelid = i.indexrelid) \
    ORDER BY c.relname, 2";

const ENUMS: &str = "SELECT t.typname::text AS name, e.enumlabel::text AS label \
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
    WHERE n.nspname = $1 ORDER BY t.typname, e.enumsortorder";

/// Sequences that stand on their own: those a serial or identity column owns are the column's.
const SEQUENCES: &str = "SELECT s.sequencename::text AS name, s.data_type::text AS data_type, s.start_value, \
    s.min_value, s.max_value, s.increment_by, s.cycle, s.cache_size FROM pg_sequences s \
    JOIN pg_namespace n ON n.nspname = s.schemaname JOIN pg_class c ON c.relname = s.sequencename AND c.relnamespace = n.oid \
    WHERE s.schemaname = $1 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
      AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')) \
    ORDER BY s.sequencename";

const VIEWS: &str = "SELECT c.relname::text AS name, c.relkind::text AS kind, pg_get_viewdef(c.oid, false) AS query \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') ORDER BY c.relname";

/// Plain functions of the schema, not those an extension brought.
const FUNCTIONS: &str = "SELECT p.proname::text AS name, pg_get_functiondef(p.oid) AS def FROM pg_proc p \
    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.prokind = 'f' \
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1, 2";

const TRIGGERS: &str = "SELECT t.tgname::text AS name, c.relname::text AS table_name, pg_get_triggerdef(t.oid) AS def \
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND NOT t.tgisinternal ORDER BY 2, 1";

const DOMAINS: &str = "SELECT t.typname::text AS name, format_type(t.typbasetype, t.typtypmod) AS base, t.typdefault AS def, \
    (SELECT string_agg(' CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid), '' ORDER BY c.conname) \
     FROM pg_constraint c WHERE c.contypid = t.oid) AS checks \
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typtype = 'd' ORDER BY 1";

const AGGREGATES: &str = "SELECT p.proname::text AS name, pg_get_function_identity_arguments(p.oid) AS args, \
    a.aggtransfn::regproc::text AS sfunc, format_type(a.aggtranstype, NULL) AS stype, \
    NULLIF(a.aggfinalfn::regproc::text, '-') AS finalfunc, a.agginitval AS initcond \
    FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_namespace n ON n.oid = p.pronamespace \
    WHERE n.nspname = $1 ORDER BY 1, 2";

/// Extended statistics, as the `CREATE STATISTICS` that makes them.
const STATISTICS: &str =
    "SELECT s.stxname::text AS name, pg_get_statisticsobjdef(s.oid) AS def FROM pg_statistic_ext s \
    JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE n.nspname = $1 ORDER BY 1";

/// Comments on tables, their columns and views (the ones the model keeps).
const COMMENTS: &str = "SELECT c.relname::text AS name, c.relkind::text AS kind, a.attname::text AS column_name, \
    d.description FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0 \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1, 3";

/// Partitioned tables' keys, and partitions with their parent and bound.
const PARTITIONING: &str = "SELECT c.relname::text AS table_name, \
    CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key, \
    (SELECT p.relname::text FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid) AS parent, \
    CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND (c.relkind = 'p' OR c.relispartition) ORDER BY 1";

fn query_error(e: sqlx::Error) -> InspectError {
    InspectError::Query(e.to_string())
}

pub async fn inspect(conn: &mut PgConnection, schema_name: &str) -> Result<Schema, InspectError> {
    let mut ddl = Vec::new();
    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in sqlx::query(ENUMS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        enums.entry(row.get("name")).or_default().push(D.quote_literal(&row.get::<String, _>("label")));
    }
    for (name, labels) in enums {
        ddl.push((
            format!("type {name}"),
            format!("CREATE TYPE {} AS ENUM ({})", D.quote_ident(&name), labels.join(", ")),
        ));
    }
    for row in sqlx::query(SEQUENCES).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let name: String = row.get("name");
        let sql = format!(
            "CREATE SEQUENCE {} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
            D.quote_ident(&name),
            row.get::<String, _>("data_type"),
            row.get::<i64, _>("increment_by"),
            row.get::<i64, _>("min_value"),
            row.get::<i64, _>("max_value"),
            row.get::<i64, _>("start_value"),
            row.get::<i64, _>("cache_size"),
            if row.get::<bool, _>("cycle") { "CYCLE" } else { "NO CYCLE" }
        );
        ddl.push((format!("sequence {name}"), sql));
    }
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in sqlx::query(COLUMNS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let table: String = row.get("table_name");
        let name: String = row.get("name");
        let identity: String = row.get("identity");
        let generated: String = row.get("generated");
        let collation: Option<String> = row.get("collation");
        let mut data_type: String = row.get("data_type");
        let mut default: Option<String> = row.get("default_expr");
        let mut extras = String::new();
        if let Some(collation) = collation {
            extras.push_str(&format!(" COLLATE {}", D.quote_ident(&collation)));
        }
        // A generated column's expression is stored where a default would be.
        if generated == "s" {
            extras.push_str(&format!(" GENERATED ALWAYS AS ({}) STORED", default.take().unwrap_or_default()));
        }
        match identity.as_str() {
            "a" => extras.push_str(" GENERATED ALWAYS AS IDENTITY"),
            "d" => extras.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
            _ => {}
        }
        // A serial column is an integer whose default is a sequence it owns (one that is merely
        // named after it, as pg_dump's free-standing sequences are, stays a default).
        if row.get::<bool, _>("owns_sequence") && default.as_deref().is_some_and(|d| d.starts_with("nextval(")) {
            data_type = match data_type.as_str() {
                "integer" => "serial".to_string(),
                "bigint" => "bigserial".to_string(),
                "smallint" => "smallserial".to_string(),
                other => other.to_string(),
            };
            default = None;
        }
        let mut column = format!("{} {data_type}{extras}", D.quote_ident(&name));
        if row.get::<bool, _>("not_null") {
            column.push_str(" NOT NULL");
        }
        if let Some(default) = default {
            column.push_str(&format!(" DEFAULT {default}"));
        }
        tables.entry(table).or_default().push(column);
    }
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut attachments = Vec::new();
    for row in sqlx::query(PARTITIONING).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let table: String = row.get("table_name");
        if let Some(key) = row.get::<Option<String>, _>("partition_key") {
            keys.insert(table.clone(), key);
        }
        if let (Some(parent), Some(bound)) =
            (row.get::<Option<String>, _>("parent"), row.get::<Option<String>, _>("bound"))
        {
            let sql =
                format!("ALTER TABLE {} ATTACH PARTITION {} {bound}", D.quote_ident(&parent), D.quote_ident(&table));
            attachments.push((format!("partition {table} of {parent}"), sql));
        }
    }
    for (table, columns) in &tables {
        if !INTERNAL_TABLES.contains(&table.as_str()) {
            let partitioned = keys.get(table).map(|key| format!(" PARTITION BY {key}")).unwrap_or_default();
            ddl.push((
                format!("table {table}"),
                format!("CREATE TABLE {} ({}){partitioned}", D.quote_ident(table), columns.join(", ")),
            ));
        }
    }
    ddl.extend(attachments);
    for row in sqlx::query(CONSTRAINTS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (table, name, def): (String, String, String) = (row.get("table_name"), row.get("name"), row.get("def"));
        if !INTERNAL_TABLES.contains(&table.as_str()) {
            let sql = format!("ALTER TABLE {} ADD CONSTRAINT {} {def}", D.quote_ident(&table), D.quote_ident(&name));
            ddl.push((format!("constraint {name} on {table}"), sql));
        }
    }
    // Views before indexes: a materialized view may have some.
    for row in sqlx::query(VIEWS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (name, kind, query): (String, String, String) = (row.get("name"), row.get("kind"), row.get("query"));
        let materialized = if kind == "m" { "MATERIALIZED " } else { "" };
        let sql =
            format!("CREATE {materialized}VIEW {} AS {}", D.quote_ident(&name), query.trim().trim_end_matches(';'));
        ddl.push((format!("view {name}"), sql));
    }
    for row in sqlx::query(INDEXES).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (table, def): (String, String) = (row.get("table_name"), row.get("def"));
        if !INTERNAL_TABLES.contains(&table.as_str()) {
            ddl.push((format!("index on {table}"), def));
        }
    }
    for row in sqlx::query(AGGREGATES).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (name, args, sfunc, stype): (String, String, String, String) =
            (row.get("name"), row.get("args"), row.get("sfunc"), row.get("stype"));
        let mut options = vec![format!("SFUNC = {sfunc}"), format!("STYPE = {stype}")];
        if let Some(finalfunc) = row.get::<Option<String>, _>("finalfunc") {
            options.push(format!("FINALFUNC = {finalfunc}"));
        }
        if let Some(initcond) = row.get::<Option<String>, _>("initcond") {
            options.push(format!("INITCOND = {}", D.quote_literal(&initcond)));
        }
        ddl.push((
            format!("aggregate {name}"),
            format!("CREATE AGGREGATE {}({args}) ({})", D.quote_ident(&name), options.join(", ")),
        ));
    }
    for row in sqlx::query(TRIGGERS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (name, table, def): (String, String, String) = (row.get("name"), row.get("table_name"), row.get("def"));
        if !INTERNAL_TABLES.contains(&table.as_str()) {
            ddl.push((format!("trigger {name} on {table}"), def));
        }
    }
    for row in sqlx::query(COMMENTS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (name, kind, text): (String, String, String) = (row.get("name"), row.get("kind"), row.get("description"));
        if INTERNAL_TABLES.contains(&name.as_str()) {
            continue;
        }
        let sql = match (row.get::<Option<String>, _>("column_name"), kind.as_str()) {
            (Some(column), _) => format!(
                "COMMENT ON COLUMN {}.{} IS {}",
                D.quote_ident(&name),
                D.quote_ident(&column),
                D.quote_literal(&text)
            ),
            (None, "v") => format!("COMMENT ON VIEW {} IS {}", D.quote_ident(&name), D.quote_literal(&text)),
            (None, "m") => {
                format!("COMMENT ON MATERIALIZED VIEW {} IS {}", D.quote_ident(&name), D.quote_literal(&text))
            }
            (None, _) => format!("COMMENT ON TABLE {} IS {}", D.quote_ident(&name), D.quote_literal(&text)),
        };
        ddl.push((format!("comment on {name}"), sql));
    }
    for row in sqlx::query(STATISTICS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (name, def): (String, String) = (row.get("name"), row.get("def"));
        ddl.push((format!("statistics {name}"), def));
    }
    // The catalog qualifies names with the tenant's schema (pg_get_indexdef always does); read
    // here, that schema is the tenant itself, as `public` is in the project's files.
    let own = [format!("{}.", D.quote_ident(schema_name)), format!("{schema_name}.")];
    let mut ddl: Vec<(String, String)> = ddl
        .into_iter()
        .map(|(object, sql)| (object, own.iter().fold(sql, |sql, p| sql.replace(p.as_str(), ""))))
        .collect();
    // A function's body is the user's text: only its name is unqualified.
    // Domains before the tables whose columns use them.
    for row in sqlx::query(DOMAINS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (name, base): (String, String) = (row.get("name"), row.get("base"));
        let default = row.get::<Option<String>, _>("def").map(|d| format!(" DEFAULT {d}")).unwrap_or_default();
        let checks = row.get::<Option<String>, _>("checks").unwrap_or_default();
        ddl.insert(
            0,
            (format!("domain {name}"), format!("CREATE DOMAIN {} AS {base}{default}{checks}", D.quote_ident(&name))),
        );
    }
    for row in sqlx::query(FUNCTIONS).bind(schema_name).fetch_all(&mut *conn).await.map_err(query_error)? {
        let (name, def): (String, String) = (row.get("name"), row.get("def"));
        let def = own.iter().fold(def, |def, p| def.replacen(&format!("FUNCTION {p}"), "FUNCTION ", 1));
        // Functions before the triggers that call them.
        ddl.insert(0, (format!("function {name}"), def));
    }
    let interpreter = Interpreter { dialect: D, mode: Mode::Declarative };
    let mut schema = Schema::default();
    for (object, sql) in ddl {
        let invalid = |message: String| InspectError::Parse { object: object.clone(), message };
        for located in parse_statements(D, &sql).map_err(|e| invalid(e.message))? {
            interpreter.apply(&mut schema, &located.statement).map_err(|e| invalid(e.to_string()))?;
        }
    }
    Ok(schema)
}
