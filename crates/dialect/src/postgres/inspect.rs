//! Reading one PostgreSQL schema into the model. The catalog's own renderings
//! (`format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`) are assembled into
//! DDL and read through the project's interpreter, so normalisation happens in one place (names
//! PostgreSQL chose itself read back as "unnamed", see `normalize_table`).

use std::collections::BTreeMap;

use sqlx::postgres::{PgConnection, PgRow};

use crate::catalog::{column, query_error, read_definition};
use crate::{Dialect, InspectError, INTERNAL_TABLES};
use strata_schema::interpret::{Interpreter, Mode};
use strata_schema::Schema;

const D: Dialect = Dialect::Postgres;

// Every `pg_depend` lookup names its catalogs (`classid`, `refclassid`): the indexes lead with them,
// and without them the planner scans `pg_depend` once per column, which on a server with many
// schemas costs more than PostgreSQL's JIT threshold and half a second per inspection.

const COLUMNS: &str = "SELECT c.relname AS table_name, a.attname AS name, \
    format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null, \
    pg_get_expr(d.adbin, d.adrelid) AS default_expr, a.attidentity::text AS identity, a.attgenerated::text AS generated, \
    CASE WHEN a.attcollation <> ty.typcollation THEN co.collname::text END AS collation, \
    EXISTS (SELECT 1 FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid \
      WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid \
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
    WHERE n.nspname = $1 AND i.indisvalid AND NOT EXISTS (SELECT 1 FROM pg_constraint con \
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
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid \
      AND d.deptype = 'e') ORDER BY 1, 2";

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

/// (object, DDL) pairs in an order that loads.
type Definitions = Vec<(String, String)>;

/// Indexes a failed `CREATE INDEX CONCURRENTLY` left behind: present but INVALID, unused by
/// queries and still maintained by writes. The model leaves them out; `repair` names them.
const INVALID_INDEXES: &str = "SELECT ic.relname AS name FROM pg_index i \
    JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace \
    WHERE n.nspname = $1 AND NOT i.indisvalid ORDER BY 1";

pub async fn invalid_indexes(conn: &mut PgConnection, schema_name: &str) -> Result<Vec<String>, InspectError> {
    rows(conn, INVALID_INDEXES, schema_name).await?.iter().map(|row| column(row, "name")).collect()
}

pub async fn inspect(conn: &mut PgConnection, schema_name: &str) -> Result<Schema, InspectError> {
    let mut ddl = enums(&rows(conn, ENUMS, schema_name).await?)?;
    ddl.extend(sequences(&rows(conn, SEQUENCES, schema_name).await?)?);
    ddl.extend(tables(&rows(conn, COLUMNS, schema_name).await?, &rows(conn, PARTITIONING, schema_name).await?)?);
    ddl.extend(of_tables(&rows(conn, CONSTRAINTS, schema_name).await?, constraint)?);
    // Views before indexes: a materialized view may have some.
    ddl.extend(views(&rows(conn, VIEWS, schema_name).await?)?);
    ddl.extend(of_tables(&rows(conn, INDEXES, schema_name).await?, index)?);
    ddl.extend(aggregates(&rows(conn, AGGREGATES, schema_name).await?)?);
    ddl.extend(of_tables(&rows(conn, TRIGGERS, schema_name).await?, trigger)?);
    ddl.extend(comments(&rows(conn, COMMENTS, schema_name).await?)?);
    for row in rows(conn, STATISTICS, schema_name).await? {
        let name: String = column(&row, "name")?;
        ddl.push((format!("statistics {name}"), column(&row, "def")?));
    }
    // The catalog qualifies names with the tenant's schema (pg_get_indexdef always does); read
    // here, that schema is the tenant itself, as `public` is in the project's files.
    let own = [format!("{}.", D.quote_ident(schema_name)), format!("{schema_name}.")];
    let unqualified =
        ddl.into_iter().map(|(object, sql)| (object, own.iter().fold(sql, |sql, p| sql.replace(p.as_str(), ""))));
    // Functions, then domains, before everything else: triggers call functions and columns use
    // domains. A function's body is the user's text: only its name is unqualified.
    let mut first = domains(&rows(conn, DOMAINS, schema_name).await?)?;
    first.extend(functions(&rows(conn, FUNCTIONS, schema_name).await?, &own)?);
    let interpreter = Interpreter::new(crate::engine(D), Mode::Declarative);
    let mut schema = Schema::default();
    for (object, sql) in first.into_iter().rev().chain(unqualified) {
        read_definition(&interpreter, &mut schema, &object, &sql)?;
    }
    Ok(schema)
}

async fn rows(conn: &mut PgConnection, query: &str, schema_name: &str) -> Result<Vec<PgRow>, InspectError> {
    sqlx::query(query).bind(schema_name).fetch_all(conn).await.map_err(query_error)
}

fn enums(rows: &[PgRow]) -> Result<Definitions, InspectError> {
    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        enums.entry(column(row, "name")?).or_default().push(D.quote_literal(&column::<_, String>(row, "label")?));
    }
    Ok(enums
        .into_iter()
        .map(|(name, labels)| {
            (format!("type {name}"), format!("CREATE TYPE {} AS ENUM ({})", D.quote_ident(&name), labels.join(", ")))
        })
        .collect())
}

fn sequences(rows: &[PgRow]) -> Result<Definitions, InspectError> {
    let mut ddl = Vec::new();
    for row in rows {
        let name: String = column(row, "name")?;
        let sql = format!(
            "CREATE SEQUENCE {} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
            D.quote_ident(&name),
            column::<_, String>(row, "data_type")?,
            column::<_, i64>(row, "increment_by")?,
            column::<_, i64>(row, "min_value")?,
            column::<_, i64>(row, "max_value")?,
            column::<_, i64>(row, "start_value")?,
            column::<_, i64>(row, "cache_size")?,
            if column::<_, bool>(row, "cycle")? { "CYCLE" } else { "NO CYCLE" }
        );
        ddl.push((format!("sequence {name}"), sql));
    }
    Ok(ddl)
}

/// CREATE TABLE for every table (with its partition key), then the partitions' ATTACH.
fn tables(columns: &[PgRow], partitioning: &[PgRow]) -> Result<Definitions, InspectError> {
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in columns {
        tables.entry(column(row, "table_name")?).or_default().push(column_definition(row)?);
    }
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut attachments = Vec::new();
    for row in partitioning {
        let table: String = column(row, "table_name")?;
        if let Some(key) = column::<_, Option<String>>(row, "partition_key")? {
            keys.insert(table.clone(), key);
        }
        if let (Some(parent), Some(bound)) =
            (column::<_, Option<String>>(row, "parent")?, column::<_, Option<String>>(row, "bound")?)
        {
            let sql =
                format!("ALTER TABLE {} ATTACH PARTITION {} {bound}", D.quote_ident(&parent), D.quote_ident(&table));
            attachments.push((format!("partition {table} of {parent}"), sql));
        }
    }
    let mut ddl = Vec::new();
    for (table, columns) in tables.iter().filter(|(table, _)| !INTERNAL_TABLES.contains(&table.as_str())) {
        let partitioned = keys.get(table).map(|key| format!(" PARTITION BY {key}")).unwrap_or_default();
        ddl.push((
            format!("table {table}"),
            format!("CREATE TABLE {} ({}){partitioned}", D.quote_ident(table), columns.join(", ")),
        ));
    }
    ddl.extend(attachments);
    Ok(ddl)
}

/// One column as a CREATE TABLE writes it.
fn column_definition(row: &PgRow) -> Result<String, InspectError> {
    let name: String = column(row, "name")?;
    let identity: String = column(row, "identity")?;
    let mut data_type: String = column(row, "data_type")?;
    let mut default: Option<String> = column(row, "default_expr")?;
    let mut extras = String::new();
    if let Some(collation) = column::<_, Option<String>>(row, "collation")? {
        extras.push_str(&format!(" COLLATE {}", D.quote_ident(&collation)));
    }
    // A generated column's expression is stored where a default would be.
    if column::<_, String>(row, "generated")? == "s" {
        extras.push_str(&format!(" GENERATED ALWAYS AS ({}) STORED", default.take().unwrap_or_default()));
    }
    match identity.as_str() {
        "a" => extras.push_str(" GENERATED ALWAYS AS IDENTITY"),
        "d" => extras.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
        _ => {}
    }
    // A serial column is an integer whose default is a sequence it owns (one that is merely
    // named after it, as pg_dump's free-standing sequences are, stays a default).
    if column::<_, bool>(row, "owns_sequence")? && default.as_deref().is_some_and(|d| d.starts_with("nextval(")) {
        data_type = match data_type.as_str() {
            "integer" => "serial".to_string(),
            "bigint" => "bigserial".to_string(),
            "smallint" => "smallserial".to_string(),
            other => other.to_string(),
        };
        default = None;
    }
    let mut text = format!("{} {data_type}{extras}", D.quote_ident(&name));
    if column::<_, bool>(row, "not_null")? {
        text.push_str(" NOT NULL");
    }
    if let Some(default) = default {
        text.push_str(&format!(" DEFAULT {default}"));
    }
    Ok(text)
}

/// Constraints, indexes and triggers: objects of a table, rendered whole by the catalog;
/// `definition` makes the (object, DDL) of one row. Those on strata's own tables are left out.
fn of_tables(
    rows: &[PgRow],
    definition: impl Fn(&PgRow, &str, String) -> Result<(String, String), InspectError>,
) -> Result<Definitions, InspectError> {
    let mut ddl = Vec::new();
    for row in rows {
        let (table, def): (String, String) = (column(row, "table_name")?, column(row, "def")?);
        if !INTERNAL_TABLES.contains(&table.as_str()) {
            ddl.push(definition(row, &table, def)?);
        }
    }
    Ok(ddl)
}

fn constraint(row: &PgRow, table: &str, def: String) -> Result<(String, String), InspectError> {
    let name: String = column(row, "name")?;
    let sql = format!("ALTER TABLE {} ADD CONSTRAINT {} {def}", D.quote_ident(table), D.quote_ident(&name));
    Ok((format!("constraint {name} on {table}"), sql))
}

fn index(_: &PgRow, table: &str, def: String) -> Result<(String, String), InspectError> {
    Ok((format!("index on {table}"), def))
}

fn trigger(row: &PgRow, table: &str, def: String) -> Result<(String, String), InspectError> {
    let name: String = column(row, "name")?;
    Ok((format!("trigger {name} on {table}"), def))
}

fn views(rows: &[PgRow]) -> Result<Definitions, InspectError> {
    let mut ddl = Vec::new();
    for row in rows {
        let (name, kind, query): (String, String, String) =
            (column(row, "name")?, column(row, "kind")?, column(row, "query")?);
        let materialized = if kind == "m" { "MATERIALIZED " } else { "" };
        let sql =
            format!("CREATE {materialized}VIEW {} AS {}", D.quote_ident(&name), query.trim().trim_end_matches(';'));
        ddl.push((format!("view {name}"), sql));
    }
    Ok(ddl)
}

fn aggregates(rows: &[PgRow]) -> Result<Definitions, InspectError> {
    let mut ddl = Vec::new();
    for row in rows {
        let (name, args, sfunc, stype): (String, String, String, String) =
            (column(row, "name")?, column(row, "args")?, column(row, "sfunc")?, column(row, "stype")?);
        let mut options = vec![format!("SFUNC = {sfunc}"), format!("STYPE = {stype}")];
        if let Some(finalfunc) = column::<_, Option<String>>(row, "finalfunc")? {
            options.push(format!("FINALFUNC = {finalfunc}"));
        }
        if let Some(initcond) = column::<_, Option<String>>(row, "initcond")? {
            options.push(format!("INITCOND = {}", D.quote_literal(&initcond)));
        }
        ddl.push((
            format!("aggregate {name}"),
            format!("CREATE AGGREGATE {}({args}) ({})", D.quote_ident(&name), options.join(", ")),
        ));
    }
    Ok(ddl)
}

fn comments(rows: &[PgRow]) -> Result<Definitions, InspectError> {
    let mut ddl = Vec::new();
    for row in rows {
        let (name, kind, text): (String, String, String) =
            (column(row, "name")?, column(row, "kind")?, column(row, "description")?);
        if INTERNAL_TABLES.contains(&name.as_str()) {
            continue;
        }
        let object = format!("comment on {name}");
        let (name, text) = (D.quote_ident(&name), D.quote_literal(&text));
        let sql = match (column::<_, Option<String>>(row, "column_name")?, kind.as_str()) {
            (Some(column), _) => format!("COMMENT ON COLUMN {name}.{} IS {text}", D.quote_ident(&column)),
            (None, "v") => format!("COMMENT ON VIEW {name} IS {text}"),
            (None, "m") => format!("COMMENT ON MATERIALIZED VIEW {name} IS {text}"),
            (None, _) => format!("COMMENT ON TABLE {name} IS {text}"),
        };
        ddl.push((object, sql));
    }
    Ok(ddl)
}

fn domains(rows: &[PgRow]) -> Result<Definitions, InspectError> {
    let mut ddl = Vec::new();
    for row in rows {
        let (name, base): (String, String) = (column(row, "name")?, column(row, "base")?);
        let default = column::<_, Option<String>>(row, "def")?.map(|d| format!(" DEFAULT {d}")).unwrap_or_default();
        let checks = column::<_, Option<String>>(row, "checks")?.unwrap_or_default();
        ddl.push((
            format!("domain {name}"),
            format!("CREATE DOMAIN {} AS {base}{default}{checks}", D.quote_ident(&name)),
        ));
    }
    Ok(ddl)
}

fn functions(rows: &[PgRow], own: &[String]) -> Result<Definitions, InspectError> {
    let mut ddl = Vec::new();
    for row in rows {
        let (name, def): (String, String) = (column(row, "name")?, column(row, "def")?);
        let def = own.iter().fold(def, |def, p| def.replacen(&format!("FUNCTION {p}"), "FUNCTION ", 1));
        ddl.push((format!("function {name}"), def));
    }
    Ok(ddl)
}
