//! What each engine does with a name: how long it may be, which spellings it takes for one name,
//! and how PostgreSQL shortens the names it makes up. PostgreSQL cuts a longer name silently, so a
//! declared name would never match the live one; MySQL refuses it. SQLite and MySQL compare names
//! ignoring case, so two spellings the model keeps apart would be one object on the server.

use std::fmt;

use strata_core::Dialect;

/// The longest name an engine keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameLimit {
    /// PostgreSQL: `NAMEDATALEN - 1` bytes of UTF-8.
    Bytes(usize),
    /// MySQL and MariaDB: characters, whatever their encoding.
    Chars(usize),
}

/// PostgreSQL's longest name, in bytes.
const POSTGRES_MAX_BYTES: usize = 63;

impl NameLimit {
    /// The limit of `dialect`; SQLite has none.
    pub fn of(dialect: Dialect) -> Option<NameLimit> {
        match dialect {
            Dialect::Postgres => Some(NameLimit::Bytes(POSTGRES_MAX_BYTES)),
            Dialect::Mysql => Some(NameLimit::Chars(64)),
            Dialect::Sqlite => None,
        }
    }

    /// How long `name` is, counted the way the limit counts.
    pub fn length(self, name: &str) -> usize {
        match self {
            NameLimit::Bytes(_) => name.len(),
            NameLimit::Chars(_) => name.chars().count(),
        }
    }

    /// The length of `name` when it is over the limit.
    pub fn exceeded_by(self, name: &str) -> Option<usize> {
        let max = match self {
            NameLimit::Bytes(max) | NameLimit::Chars(max) => max,
        };
        Some(self.length(name)).filter(|length| *length > max)
    }

    /// The unit, for `is 64 bytes long`.
    pub fn unit(self) -> &'static str {
        match self {
            NameLimit::Bytes(_) => "bytes",
            NameLimit::Chars(_) => "characters",
        }
    }
}

impl fmt::Display for NameLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameLimit::Bytes(max) => write!(f, "{max} bytes"),
            NameLimit::Chars(max) => write!(f, "{max} characters"),
        }
    }
}

/// The engine's own name, for messages (`Dialect`'s display is the configuration spelling).
pub fn engine_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "PostgreSQL",
        Dialect::Mysql => "MySQL/MariaDB",
        Dialect::Sqlite => "SQLite",
    }
}

/// The spelling two names share when the engine takes them for one: SQLite folds ASCII letters
/// only; MySQL compares names in a case-insensitive collation (and a server with
/// `lower_case_table_names` does so for tables too); PostgreSQL compares names exactly (unquoted
/// names are folded before they reach the model).
pub fn folded(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Sqlite => name.to_ascii_lowercase(),
        Dialect::Mysql => name.to_lowercase(),
        Dialect::Postgres => name.to_string(),
    }
}

/// Whether the engine takes two names for one, by [`folded`]'s rules (without building either).
pub fn same_name(dialect: Dialect, a: &str, b: &str) -> bool {
    match dialect {
        Dialect::Sqlite => a.eq_ignore_ascii_case(b),
        Dialect::Mysql => a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase)),
        Dialect::Postgres => a == b,
    }
}

/// The name PostgreSQL makes of two parts and a label (`makeObjectName`): `name1_name2_label`,
/// where the longer of the two parts loses a byte at a time until the whole fits in 63 bytes,
/// and no character is cut in half.
pub fn postgres_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = name2.map_or(0, |_| 1) + label.len() + 1;
    let available = POSTGRES_MAX_BYTES.saturating_sub(overhead);
    let (mut keep1, mut keep2) = (name1.len(), name2.map_or(0, str::len));
    while keep1 + keep2 > available {
        if keep1 > keep2 {
            keep1 -= 1;
        } else {
            keep2 -= 1;
        }
    }
    let mut name = clipped(name1, keep1).to_string();
    if let Some(name2) = name2 {
        name.push('_');
        name.push_str(clipped(name2, keep2));
    }
    name.push('_');
    name.push_str(label);
    name
}

/// The longest prefix of `text` of at most `bytes` bytes that ends on a character boundary.
fn clipped(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_shortens_the_longer_part_first_as_the_server_does() {
        // Names read back from PostgreSQL 16 after creating these constraints without names.
        let table = "a".repeat(60);
        let fkey = postgres_object_name(&table, Some(&"c".repeat(40)), "fkey");
        assert_eq!(fkey, format!("{}_{}_fkey", "a".repeat(29), "c".repeat(28)));
        assert_eq!(postgres_object_name(&table, None, "pkey"), format!("{}_pkey", "a".repeat(58)));
        assert_eq!(postgres_object_name(&table, Some("x"), "check"), format!("{}_x_check", "a".repeat(55)));
        let accented = "é".repeat(31);
        assert_eq!(postgres_object_name(&accented, None, "pkey"), format!("{}_pkey", "é".repeat(29)));
        assert_eq!(postgres_object_name("t", Some("a_b"), "key"), "t_a_b_key");
    }

    #[test]
    fn limits_count_bytes_on_postgres_and_characters_on_mysql() {
        let name = "é".repeat(32);
        assert_eq!(NameLimit::of(Dialect::Postgres).and_then(|l| l.exceeded_by(&name)), Some(64));
        assert_eq!(NameLimit::of(Dialect::Mysql).and_then(|l| l.exceeded_by(&name)), None);
        assert_eq!(NameLimit::of(Dialect::Postgres).and_then(|l| l.exceeded_by(&"a".repeat(63))), None);
        assert!(NameLimit::of(Dialect::Sqlite).is_none());
    }

    #[test]
    fn sqlite_folds_ascii_only() {
        assert_eq!(folded(Dialect::Sqlite, "FOO"), folded(Dialect::Sqlite, "foo"));
        assert_ne!(folded(Dialect::Sqlite, "É"), folded(Dialect::Sqlite, "é"));
        assert_eq!(folded(Dialect::Mysql, "Email"), folded(Dialect::Mysql, "email"));
        assert_ne!(folded(Dialect::Postgres, "Foo"), folded(Dialect::Postgres, "foo"));
        assert!(same_name(Dialect::Mysql, "Émail", "émail") && same_name(Dialect::Sqlite, "Foo", "FOO"));
        assert!(!same_name(Dialect::Sqlite, "É", "é") && !same_name(Dialect::Postgres, "Foo", "foo"));
    }
}
