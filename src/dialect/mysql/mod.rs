//! MySQL and MariaDB: the SQL for each change (plan.rs), reading a live database back into the
//! model (inspect.rs), and what the engine does to a table on its own (normalize_table).

mod inspect;
mod plan;

pub use inspect::inspect;
pub use plan::steps;

use crate::schema::{Index, Table};

/// MySQL's reserved words: the names that must be quoted.
#[rustfmt::skip]
pub const KEYWORDS: &[&str] = &[
    "ACCESSIBLE", "ADD", "ALL", "ALTER", "ANALYZE", "AND", "AS", "ASC", "ASENSITIVE", "BEFORE", "BETWEEN", "BIGINT",
    "BINARY", "BLOB", "BOTH", "BY", "CALL", "CASCADE", "CASE", "CHANGE", "CHAR", "CHARACTER", "CHECK", "COLLATE",
    "COLUMN", "CONDITION", "CONSTRAINT", "CONTINUE", "CONVERT", "CREATE", "CROSS", "CUBE", "CUME_DIST",
    "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER", "CURSOR", "DATABASE", "DATABASES",
    "DAY_HOUR", "DAY_MICROSECOND", "DAY_MINUTE", "DAY_SECOND", "DEC", "DECIMAL", "DECLARE", "DEFAULT", "DELAYED",
    "DELETE", "DENSE_RANK", "DESC", "DESCRIBE", "DETERMINISTIC", "DISTINCT", "DISTINCTROW", "DIV", "DOUBLE", "DROP",
    "DUAL", "EACH", "ELSE", "ELSEIF", "EMPTY", "ENCLOSED", "ESCAPED", "EXCEPT", "EXISTS", "EXIT", "EXPLAIN",
    "FALSE", "FETCH", "FIRST_VALUE", "FLOAT", "FLOAT4", "FLOAT8", "FOR", "FORCE", "FOREIGN", "FROM", "FULLTEXT",
    "FUNCTION", "GENERATED", "GET", "GRANT", "GROUP", "GROUPING", "GROUPS", "HAVING", "HIGH_PRIORITY",
    "HOUR_MICROSECOND", "HOUR_MINUTE", "HOUR_SECOND", "IF", "IGNORE", "IN", "INDEX", "INFILE", "INNER", "INOUT",
    "INSENSITIVE", "INSERT", "INT", "INT1", "INT2", "INT3", "INT4", "INT8", "INTEGER", "INTERSECT", "INTERVAL",
    "INTO", "IO_AFTER_GTIDS", "IO_BEFORE_GTIDS", "IS", "ITERATE", "JOIN", "JSON_TABLE", "KEY", "KEYS", "KILL",
    "LAG", "LAST_VALUE", "LATERAL", "LEAD", "LEADING", "LEAVE", "LEFT", "LIKE", "LIMIT", "LINEAR", "LINES", "LOAD",
    "LOCALTIME", "LOCALTIMESTAMP", "LOCK", "LONG", "LONGBLOB", "LONGTEXT", "LOOP", "LOW_PRIORITY", "MASTER_BIND",
    "MASTER_SSL_VERIFY_SERVER_CERT", "MATCH", "MAXVALUE", "MEDIUMBLOB", "MEDIUMINT", "MEDIUMTEXT", "MIDDLEINT",
    "MINUTE_MICROSECOND", "MINUTE_SECOND", "MOD", "MODIFIES", "NATURAL", "NOT", "NO_WRITE_TO_BINLOG", "NTH_VALUE",
    "NTILE", "NULL", "NUMERIC", "OF", "ON", "OPTIMIZE", "OPTIMIZER_COSTS", "OPTION", "OPTIONALLY", "OR", "ORDER",
    "OUT", "OUTER", "OUTFILE", "OVER", "PARTITION", "PERCENT_RANK", "PRECISION", "PRIMARY", "PROCEDURE", "PURGE",
    "RANGE", "RANK", "READ", "READS", "READ_WRITE", "REAL", "RECURSIVE", "REFERENCES", "REGEXP", "RELEASE",
    "RENAME", "REPEAT", "REPLACE", "REQUIRE", "RESIGNAL", "RESTRICT", "RETURN", "RETURNING", "REVOKE", "RIGHT",
    "RLIKE", "ROW", "ROWS", "ROW_NUMBER", "SCHEMA", "SCHEMAS", "SECOND_MICROSECOND", "SELECT", "SENSITIVE",
    "SEPARATOR", "SET", "SHOW", "SIGNAL", "SMALLINT", "SPATIAL", "SPECIFIC", "SQL", "SQLEXCEPTION", "SQLSTATE",
    "SQLWARNING", "SQL_BIG_RESULT", "SQL_CALC_FOUND_ROWS", "SQL_SMALL_RESULT", "SSL", "STARTING", "STORED",
    "STRAIGHT_JOIN", "SYSTEM", "TABLE", "TERMINATED", "THEN", "TINYBLOB", "TINYINT", "TINYTEXT", "TO", "TRAILING",
    "TRIGGER", "TRUE", "UNDO", "UNION", "UNIQUE", "UNLOCK", "UNSIGNED", "UPDATE", "USAGE", "USE", "USING",
    "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP", "VALUES", "VARBINARY", "VARCHAR", "VARCHARACTER", "VARYING", "VIRTUAL",
    "WHEN", "WHERE", "WHILE", "WINDOW", "WITH", "WRITE", "XOR", "YEAR_MONTH", "ZEROFILL",
];

/// What MariaDB does to a table, applied to the model after every statement so that declared
/// and introspected schemas agree and every constraint has the name a later DROP needs:
/// - the primary key is always named PRIMARY (the model leaves it unnamed);
/// - a unique constraint is a unique index, named after its first column unless named;
/// - a foreign key without an index starting with its columns gets one, named after the
///   constraint if it was named, else after its first column;
/// - an unnamed foreign key is `<table>_ibfk_<n>`, an unnamed table check `CONSTRAINT_<n>`
///   (a column's own check is named after the column, see the interpreter).
pub fn normalize_table(table: &mut Table) {
    if let Some(pk) = &mut table.primary_key {
        pk.name = None;
    }
    for unique in std::mem::take(&mut table.uniques) {
        let name = unique.name.unwrap_or_else(|| free_index_name(table, &unique.columns[0]));
        table.indexes.push(Index::new(&name, unique.columns, true));
    }
    for fk in table.foreign_keys.clone() {
        let covers =
            |columns: &[String]| columns.len() >= fk.columns.len() && columns[..fk.columns.len()] == fk.columns[..];
        let covered = table.primary_key.as_ref().is_some_and(|pk| covers(&pk.columns))
            || table.indexes.iter().any(|i| covers(&i.columns));
        if !covered {
            let name = fk.name.clone().unwrap_or_else(|| free_index_name(table, &fk.columns[0]));
            table.indexes.push(Index::new(&name, fk.columns.clone(), false));
        }
    }
    let prefix = format!("{}_ibfk_", table.name);
    let mut next_fk = table
        .foreign_keys
        .iter()
        .filter_map(|fk| fk.name.as_deref()?.strip_prefix(&prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    for fk in table.foreign_keys.iter_mut().filter(|fk| fk.name.is_none()) {
        next_fk += 1;
        fk.name = Some(format!("{prefix}{next_fk}"));
    }
    for index in 0..table.checks.len() {
        if table.checks[index].name.is_none() {
            let taken = |name: &str| table.checks.iter().any(|c| c.name.as_deref() == Some(name));
            let name = (1..)
                .map(|n| format!("CONSTRAINT_{n}"))
                .find(|n| !taken(n))
                .expect("an unbounded range has a free name");
            table.checks[index].name = Some(name);
        }
    }
}
/// MySQL names an unnamed key after its first column, then `<column>_2`, `<column>_3`...
fn free_index_name(table: &Table, column: &str) -> String {
    let taken = |name: &str| table.indexes.iter().any(|i| i.name == name);
    if !taken(column) {
        return column.to_string();
    }
    (2..).map(|n| format!("{column}_{n}")).find(|name| !taken(name)).expect("an unbounded range has a free name")
}
