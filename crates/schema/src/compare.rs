//! Two schemas compared object by object, in words: what `verify` prints when migrations do not
//! reproduce the declared schema, and what `drift` prints for a live database. Objects are the
//! Merkle leaves (DESIGN §5), so "differs" here means exactly "has another hash".

use std::collections::BTreeMap;

use super::hash::leaves;
use super::model::*;

/// One line per object that differs, `actual` against `expected`; empty when they hash alike.
pub fn differences(actual: &Schema, expected: &Schema) -> Vec<String> {
    let have: BTreeMap<String, String> = leaves(actual).into_iter().collect();
    let want: BTreeMap<String, String> = leaves(expected).into_iter().collect();
    let mut lines = Vec::new();
    for (key, hash) in &want {
        match have.get(key) {
            None => lines.push(format!("{} is missing", object(key))),
            Some(other) if other != hash => lines.push(differing(key, actual, expected)),
            Some(_) => {}
        }
    }
    for key in have.keys().filter(|k| !want.contains_key(*k)) {
        lines.push(format!("{} is not expected", object(key)));
    }
    lines
}

/// `table:events` -> `table events`
fn object(key: &str) -> String {
    key.replacen(':', " ", 1)
}

fn differing(key: &str, actual: &Schema, expected: &Schema) -> String {
    let (kind, name) = key.split_once(':').unwrap_or(("", key));
    let details = match kind {
        "table" => match (actual.tables.get(name), expected.tables.get(name)) {
            (Some(a), Some(e)) => table_details(a, e),
            _ => Vec::new(),
        },
        "index" => {
            let find = |s: &Schema| s.tables.values().flat_map(|t| &t.indexes).find(|i| i.name == name).map(index);
            vec![format!("is {}, expected {}", find(actual).unwrap_or_default(), find(expected).unwrap_or_default())]
        }
        "view" => vec![format!(
            "is `{}`, expected `{}`",
            actual.views.get(name).map(|v| v.query.as_str()).unwrap_or_default(),
            expected.views.get(name).map(|v| v.query.as_str()).unwrap_or_default()
        )],
        "enum" => vec![format!("is {:?}, expected {:?}", actual.enums.get(name), expected.enums.get(name))],
        _ => Vec::new(),
    };
    if details.is_empty() {
        format!("{} differs", object(key))
    } else {
        format!("{} differs: {}", object(key), details.join("; "))
    }
}

fn table_details(actual: &Table, expected: &Table) -> Vec<String> {
    let mut details = Vec::new();
    for column in &expected.columns {
        match actual.column(&column.name) {
            None => details.push(format!("column {} ({}) is missing", column.name, describe_column(column))),
            Some(other) if other != column => details.push(format!(
                "column {} is {}, expected {}",
                column.name,
                describe_column(other),
                describe_column(column)
            )),
            Some(_) => {}
        }
    }
    for column in actual.columns.iter().filter(|c| expected.column(&c.name).is_none()) {
        details.push(format!("column {} ({}) is not expected", column.name, describe_column(column)));
    }
    let constraints = |t: &Table| -> Vec<Constraint> {
        let mut all: Vec<Constraint> = t.primary_key.iter().cloned().map(Constraint::PrimaryKey).collect();
        all.extend(t.uniques.iter().cloned().map(Constraint::Unique));
        all.extend(t.checks.iter().cloned().map(Constraint::Check));
        all.extend(t.foreign_keys.iter().cloned().map(Constraint::ForeignKey));
        all.sort();
        all
    };
    let (have, want) = (constraints(actual), constraints(expected));
    for c in want.iter().filter(|c| !have.contains(c)) {
        details.push(format!("constraint {c:?} is missing"));
    }
    for c in have.iter().filter(|c| !want.contains(c)) {
        details.push(format!("constraint {c:?} is not expected"));
    }
    details
}

fn describe_column(column: &Column) -> String {
    let mut text = column.data_type.clone();
    if !column.nullable {
        text.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        text.push_str(&format!(" DEFAULT {default}"));
    }
    if let Some(on_update) = &column.on_update {
        text.push_str(&format!(" ON UPDATE {on_update}"));
    }
    if column.autoincrement {
        text.push_str(" autoincrement");
    }
    if let Some(generated) = &column.generated {
        text.push_str(&format!(" GENERATED AS ({})", generated.expr));
    }
    if let Some(collation) = &column.collation {
        text.push_str(&format!(" COLLATE {collation}"));
    }
    if let Some(comment) = &column.comment {
        text.push_str(&format!(" COMMENT {comment:?}"));
    }
    text
}

fn index(index: &Index) -> String {
    let mut text = format!("{}({})", if index.unique { "UNIQUE " } else { "" }, index.columns.join(", "));
    if let Some(predicate) = &index.predicate {
        text.push_str(&format!(" WHERE {predicate}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpret::declared_sqlite as schema;

    #[test]
    fn names_each_object_that_differs() {
        let actual = schema("CREATE TABLE a (id INTEGER PRIMARY KEY, note TEXT); CREATE TABLE old (id INTEGER);");
        let expected = schema(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, note TEXT NOT NULL, size INTEGER); CREATE INDEX a_note ON a (note);",
        );
        assert_eq!(
            differences(&actual, &expected),
            [
                "index a_note is missing",
                "table a differs: column note is TEXT, expected TEXT NOT NULL; column size (INTEGER) is missing",
                "table old is not expected",
            ]
        );
        assert!(differences(&expected, &expected).is_empty());
    }
}
