//! The lint policy of strata.yaml (`lint: { destructive: error, rewrite: warn }`) applied to
//! migrations. A migration's hazards are those its header declares plus those its statements show
//! (a hand-written migration may not declare any); `-- strata:allow <hazard> <reason>` is a
//! reviewed exception.

use std::collections::BTreeSet;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ObjectName, ObjectNamePart, ObjectType, RenameTableNameKind, Statement,
};

use super::Migration;
use strata_core::Dialect;
use strata_dialect::plan::Hazard;
use strata_project::compose::{render, RenderContext};
use strata_project::project::{LintLevel, LintPolicy};
use strata_schema::extra;
use strata_schema::parse::{parse_statements, Parsed};

/// One hazard of a migration under the policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub hazard: Hazard,
    pub level: LintLevel,
    /// The reason given by `-- strata:allow`, which turns an error or warning into a pass.
    pub allowed: Option<String>,
}

impl Finding {
    /// An error of the policy that no annotation allows.
    pub fn is_error(&self) -> bool {
        self.level == LintLevel::Error && self.allowed.is_none()
    }

    pub fn is_warning(&self) -> bool {
        self.level == LintLevel::Warn && self.allowed.is_none()
    }

    /// What the finding means for the migration at `path`, and how a reviewed exception is made.
    pub fn explain(&self, path: &str) -> String {
        let hazard = self.hazard;
        format!(
            "{path}: {hazard} is {} under lint.{hazard} in strata.yaml; after review, allow it with `-- strata:allow {hazard} <reason>` (strata commit --allow '{hazard}=<reason>')",
            if self.is_error() { "an error" } else { "a warning" },
        )
    }
}

/// The policy level of a hazard; hazards the policy does not cover are reported, never failed.
fn level(policy: &LintPolicy, hazard: Hazard) -> LintLevel {
    match hazard {
        Hazard::Destructive => policy.destructive,
        Hazard::Rewrite => policy.rewrite,
        Hazard::DataDependent => LintLevel::Allow,
    }
}

/// Every hazard of the migration with its verdict, in hazard order.
pub fn lint(dialect: Dialect, policy: &LintPolicy, migration: &Migration) -> Vec<Finding> {
    let mut hazards = migration.hazards.clone();
    hazards.extend(statement_hazards(dialect, migration));
    hazards
        .into_iter()
        .map(|hazard| Finding { hazard, level: level(policy, hazard), allowed: migration.allows.get(&hazard).cloned() })
        .collect()
}

fn operation_hazard(operation: &AlterTableOperation) -> Option<Hazard> {
    match operation {
        AlterTableOperation::DropColumn { .. } => Some(Hazard::Destructive),
        AlterTableOperation::AlterColumn { op: AlterColumnOperation::SetDataType { .. }, .. }
        | AlterTableOperation::ModifyColumn { .. }
        | AlterTableOperation::ChangeColumn { .. } => Some(Hazard::Rewrite),
        _ => None,
    }
}

/// Hazards visible in the statements themselves. Unparsable text shows none here: replay reports it.
fn statement_hazards(dialect: Dialect, migration: &Migration) -> BTreeSet<Hazard> {
    let mut hazards = BTreeSet::new();
    let Ok(sql) = render(dialect, &migration.up_path, &migration.up, &RenderContext::Symbolic) else {
        return hazards;
    };
    let Ok(statements) = parse_statements(dialect, &sql) else { return hazards };
    // A table dropped and another renamed to its name in the same migration is a rebuild (SQLite's
    // way to change a column): the rows live on in the new table, and the header carries the
    // hazards of the change the rebuild carries out.
    let mut dropped = BTreeSet::new();
    let mut renamed_to = BTreeSet::new();
    for located in statements {
        match &located.statement {
            Parsed::Sql(statement) => match statement.as_ref() {
                Statement::Drop { object_type: ObjectType::Table, names, .. } => {
                    dropped.extend(names.iter().map(last_name));
                }
                Statement::AlterTable(alter) => {
                    for operation in &alter.operations {
                        if let AlterTableOperation::RenameTable {
                            table_name: RenameTableNameKind::To(to) | RenameTableNameKind::As(to),
                        } = operation
                        {
                            renamed_to.insert(last_name(to));
                        }
                    }
                    hazards.extend(alter.operations.iter().filter_map(operation_hazard));
                }
                _ => {}
            },
            Parsed::Extra(extra::Statement::AlterTable { clauses, .. }) => {
                hazards.extend(clauses.iter().filter_map(|clause| match clause {
                    extra::Clause::Sql(operation) => operation_hazard(operation),
                    extra::Clause::SetType { .. } => Some(Hazard::Rewrite),
                    _ => None,
                }));
            }
            Parsed::Extra(_) => {}
        }
    }
    if dropped.iter().any(|table| !renamed_to.contains(table)) {
        hazards.insert(Hazard::Destructive);
    }
    hazards
}

/// A table's own name, unquoted and lower-cased, without its schema.
fn last_name(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => ident.value.to_lowercase(),
        Some(other) => other.to_string().to_lowercase(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MigrationKey;
    use strata_project::project::LayerId;

    fn migration(up: &str) -> Migration {
        let key = MigrationKey { layer: LayerId::module("events"), seq: 2 };
        Migration::from_up_file(key, "x", "migrations/modules/events/0002_x.up.sql", up.to_string(), None).unwrap()
    }

    #[test]
    fn a_rebuild_is_not_destructive_but_a_drop_is() {
        let rebuild = "CREATE TABLE \"_strata_new_events\" (id INTEGER);\nINSERT INTO \"_strata_new_events\" (id) SELECT id FROM events;\nDROP TABLE events;\nALTER TABLE \"_strata_new_events\" RENAME TO events;";
        let hazards: Vec<Hazard> =
            lint(Dialect::Sqlite, &LintPolicy::default(), &migration(rebuild)).iter().map(|f| f.hazard).collect();
        assert!(!hazards.contains(&Hazard::Destructive), "{hazards:?}");
        let dropped = lint(Dialect::Sqlite, &LintPolicy::default(), &migration("DROP TABLE events;"));
        assert!(dropped.iter().any(|f| f.hazard == Hazard::Destructive));
    }

    #[test]
    fn a_hand_written_drop_is_destructive_even_without_a_header() {
        let findings =
            lint(Dialect::Sqlite, &LintPolicy::default(), &migration("ALTER TABLE events DROP COLUMN note;"));
        assert_eq!(findings.len(), 1);
        assert!(findings[0].is_error(), "{findings:?}");
    }

    #[test]
    fn an_allow_annotation_turns_the_error_into_a_pass() {
        let text = "-- strata:hazards destructive\n-- strata:allow destructive unused since 2024\nDROP TABLE old;";
        let findings = lint(Dialect::Sqlite, &LintPolicy::default(), &migration(text));
        assert_eq!(findings[0].allowed.as_deref(), Some("unused since 2024"));
        assert!(!findings[0].is_error());
    }

    #[test]
    fn a_type_change_is_a_rewrite_and_warns_by_default() {
        let findings =
            lint(Dialect::Postgres, &LintPolicy::default(), &migration("ALTER TABLE t ALTER COLUMN c TYPE bigint;"));
        assert_eq!(findings.iter().map(|f| (f.hazard, f.is_warning())).collect::<Vec<_>>(), [(Hazard::Rewrite, true)]);
    }

    #[test]
    fn an_additive_migration_has_no_findings() {
        assert!(lint(Dialect::Sqlite, &LintPolicy::default(), &migration("CREATE TABLE t (id INTEGER);")).is_empty());
    }
}
