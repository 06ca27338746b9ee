//! What `ALTER` statements do to the model: every clause strata's planners write (and the usual
//! hand-written and pg_dump forms) is read back here, so that a replayed migration history is the
//! schema the engine holds. A clause the model cannot follow is an error, never skipped.

use sqlparser::ast::{self, AlterColumnOperation, AlterTableOperation, ColumnDef, Expr, Ident, ObjectName};

use super::{missing_table, table, table_mut, ApplyError, Interpreter};
use crate::default_constraint_name;
use crate::extra::{self, Clause, DomainAction, OwnedBy};
use crate::model::*;
use crate::normalize;

impl Interpreter {
    /// One clause of an `ALTER TABLE` that is not a rename, add or drop of a whole column.
    pub(super) fn alter_more(
        &self,
        schema: &mut Schema,
        table_name: &str,
        op: &AlterTableOperation,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        match op {
            AlterTableOperation::AlterColumn { column_name, op } => {
                self.alter_column(schema, table_name, column_name, op)?;
            }
            AlterTableOperation::ChangeColumn { old_name, new_name, data_type, options, .. } => {
                let (old, new) = (self.name(old_name), self.name(new_name));
                if old != new {
                    let table = table(schema, table_name)?;
                    if table.column(&old).is_none() {
                        return Err(ApplyError::Missing(ObjectRef::Column(table_name.to_string(), old)));
                    }
                    schema.rename_column(table_name, &old, &new);
                }
                let def =
                    ColumnDef { name: new_name.clone(), data_type: data_type.clone(), options: option_defs(options) };
                self.redefine_column(table_mut(schema, table_name)?, &def)?;
            }
            AlterTableOperation::ModifyColumn { col_name, data_type, options, .. } => {
                let def =
                    ColumnDef { name: col_name.clone(), data_type: data_type.clone(), options: option_defs(options) };
                self.redefine_column(table_mut(schema, table_name)?, &def)?;
            }
            AlterTableOperation::DropConstraint { if_exists, name, .. } => {
                let table = table_mut(schema, table_name)?;
                let name = self.name(name);
                if !drop_constraint(table, &name) && !if_exists {
                    return Err(ApplyError::Missing(ObjectRef::Constraint(table_name.to_string(), name)));
                }
            }
            AlterTableOperation::DropPrimaryKey { .. } => {
                let table = table_mut(schema, table_name)?;
                if table.primary_key.take().is_none() {
                    return Err(ApplyError::Missing(ObjectRef::Constraint(table_name.to_string(), "PRIMARY".into())));
                }
            }
            AlterTableOperation::DropForeignKey { name, .. } => {
                let table = table_mut(schema, table_name)?;
                let name = self.name(name);
                let before = table.foreign_keys.len();
                table.foreign_keys.retain(|fk| fk.name.as_deref() != Some(name.as_str()));
                if table.foreign_keys.len() == before {
                    return Err(ApplyError::Missing(ObjectRef::Constraint(table_name.to_string(), name)));
                }
            }
            AlterTableOperation::DropIndex { name } => {
                let table = table_mut(schema, table_name)?;
                let name = self.name(name);
                if table.index(&name).is_none() {
                    return Err(ApplyError::Missing(ObjectRef::Index(name)));
                }
                table.indexes.retain(|i| i.name != name);
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                let table = table_mut(schema, table_name)?;
                rename_constraint(table, &self.name(old_name), &self.name(new_name))?;
            }
            // Validity is not modelled: a NOT VALID constraint is the same constraint, checked later.
            AlterTableOperation::ValidateConstraint { name } => {
                let name = self.name(name);
                let table = table(schema, table_name)?;
                // An unnamed constraint goes by the name the engine gave it.
                let named = |c: &crate::Constraint| {
                    c.name().map_or_else(|| crate::default_constraint_name(table, c) == name, |n| n == name)
                };
                if !table.constraints().iter().any(named) {
                    return Err(ApplyError::Missing(ObjectRef::Constraint(table_name.to_string(), name)));
                }
            }
            AlterTableOperation::DetachPartitionOf { partition, .. } => {
                let child = self.object_name(partition)?;
                let table = schema
                    .tables
                    .get_mut(&child)
                    .ok_or_else(|| ApplyError::Missing(ObjectRef::Table(child.clone())))?;
                if table.partition_of.take().is_none() {
                    return Err(ApplyError::Unsupported(format!("{child} is not a partition of {table_name}")));
                }
            }
            other => {
                return Err(ApplyError::Unsupported(format!("ALTER TABLE {table_name} {other} is not supported yet")))
            }
        }
        Ok(Vec::new())
    }

    /// A clause read by [`extra`]; sqlparser's own clauses go the usual way.
    pub(super) fn alter_clause(
        &self,
        schema: &mut Schema,
        table_name: &str,
        clause: &Clause,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        match clause {
            Clause::Sql(op) => return self.alter_table(schema, table_name, op),
            Clause::SetType { column, data_type, collation, .. } => {
                let data_type = normalize::data_type(self.dialect, data_type).0;
                let collation = collation.as_ref().and_then(|c| c.0.last()).map(|part| match part {
                    ast::ObjectNamePart::Identifier(ident) => ident.value.clone(),
                    other => other.to_string(),
                });
                let column = column_mut(schema, table_name, &self.name(column))?;
                column.data_type = data_type;
                // Without COLLATE the column takes the new type's default collation.
                column.collation = collation.filter(|c| c != "default");
            }
            Clause::DropExpression { column } => column_mut(schema, table_name, &self.name(column))?.generated = None,
            Clause::SetGenerated { column, identity } => {
                let column = column_mut(schema, table_name, &self.name(column))?;
                if column.identity.is_none() {
                    return Err(ApplyError::Unsupported(format!("column {} is not an identity column", column.name)));
                }
                column.identity = Some(*identity);
            }
            Clause::DropIdentity { column, if_exists } => {
                let column = column_mut(schema, table_name, &self.name(column))?;
                if column.identity.take().is_none() && !if_exists {
                    return Err(ApplyError::Unsupported(format!("column {} is not an identity column", column.name)));
                }
            }
            Clause::AddIdentity { column, identity, sequence, options } => {
                let table = table_name.to_string();
                let name = self.name(column);
                let column = column_mut(schema, table_name, &self.name(column))?;
                let data_type = column.data_type.clone();
                let default_name = format!("{table}_{name}_seq");
                let sequence_name = sequence.as_ref().map(|s| self.object_name(s)).transpose()?;
                // The model holds an identity's sequence as the one PostgreSQL makes by default.
                let mut with_type = vec![ast::SequenceOptions::DataType(data_type_of(&data_type))];
                with_type.extend(options.iter().cloned());
                let given = self.sequence(&default_name, &with_type)?;
                let usual = self.sequence(&default_name, &with_type[..1])?;
                if given != usual || sequence_name.is_some_and(|s| s != default_name) {
                    return Err(ApplyError::Unsupported(format!(
                        "identity column {table}.{name}: sequence options other than the defaults are not supported yet"
                    )));
                }
                column.identity = Some(*identity);
                column.nullable = false;
            }
            Clause::Comment(text) => {
                let table = schema.tables.get_mut(table_name).ok_or_else(|| missing_table(table_name))?;
                table.comment = Some(text.clone()).filter(|t| !t.is_empty());
            }
            Clause::RenameIndex { from, to } => {
                let (from, to) = (self.name(from), self.name(to));
                let table = schema.tables.get_mut(table_name).ok_or_else(|| missing_table(table_name))?;
                rename_index_in(table, &from, &to)?;
            }
        }
        Ok(Vec::new())
    }

    fn alter_column(
        &self,
        schema: &mut Schema,
        table_name: &str,
        column: &Ident,
        op: &AlterColumnOperation,
    ) -> Result<(), ApplyError> {
        let name = self.name(column);
        let serial_sequence = match op {
            AlterColumnOperation::SetDefault { value } => {
                let text = self.expr(value);
                owned_serial_sequence(schema, &text, table_name, &name)
            }
            _ => None,
        };
        let table = schema.tables.get_mut(table_name).ok_or_else(|| missing_table(table_name))?;
        let column = table
            .columns
            .iter_mut()
            .find(|c| c.name == name)
            .ok_or_else(|| ApplyError::Missing(ObjectRef::Column(table_name.to_string(), name.clone())))?;
        match op {
            AlterColumnOperation::SetNotNull => column.nullable = false,
            AlterColumnOperation::DropNotNull => column.nullable = true,
            AlterColumnOperation::SetDefault { .. } if serial_sequence.is_some() => {
                // pg_dump's serial: a sequence owned by the column, and its nextval as default.
                column.autoincrement = true;
                column.default = None;
            }
            AlterColumnOperation::SetDefault { value } => {
                column.default = Some(self.expr(value)).filter(|d| d != "NULL");
            }
            AlterColumnOperation::DropDefault => column.default = None,
            AlterColumnOperation::SetDataType { data_type, .. } => {
                column.data_type = normalize::data_type(self.dialect, data_type).0;
                column.collation = None;
            }
            AlterColumnOperation::AddGenerated { generated_as, sequence_options } => {
                if sequence_options.as_ref().is_some_and(|o| !o.is_empty()) {
                    let clause = Clause::AddIdentity {
                        column: column.name.as_str().into(),
                        identity: identity_of(generated_as),
                        sequence: None,
                        options: sequence_options.clone().unwrap_or_default(),
                    };
                    return self.alter_clause(schema, table_name, &clause).map(|_| ());
                }
                column.identity = Some(identity_of(generated_as));
                column.nullable = false;
            }
            other => {
                return Err(ApplyError::Unsupported(format!(
                    "ALTER TABLE {table_name} ALTER COLUMN {name} {other} is not supported yet"
                )))
            }
        }
        if let Some(sequence) = serial_sequence {
            schema.owned_sequences.remove(&sequence);
        }
        Ok(())
    }

    /// MySQL's MODIFY / CHANGE: the column is defined anew, in its place.
    fn redefine_column(&self, table: &mut Table, def: &ColumnDef) -> Result<(), ApplyError> {
        let name = self.name(&def.name);
        let at = table
            .columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| ApplyError::Missing(ObjectRef::Column(table.name.clone(), name.clone())))?;
        let old = table.columns.remove(at);
        if let Err(e) = self.add_column(table, def) {
            table.columns.insert(at, old);
            return Err(e);
        }
        let new = table.columns.pop().expect("add_column pushed the column");
        table.columns.insert(at, new);
        Ok(())
    }

    /// `ALTER SEQUENCE`: options merge into the sequence's; `OWNED BY` makes it a serial's.
    pub(super) fn alter_sequence(
        &self,
        schema: &mut Schema,
        name: &ObjectName,
        if_exists: bool,
        options: &[ast::SequenceOptions],
        owned_by: &Option<OwnedBy>,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        let name = self.object_name(name)?;
        let Some(old) = schema.sequences.get(&name).cloned() else {
            if schema.owned_sequences.contains_key(&name) && options.is_empty() {
                return Ok(Vec::new());
            }
            return if if_exists { Ok(Vec::new()) } else { Err(ApplyError::Missing(ObjectRef::Sequence(name))) };
        };
        if !options.is_empty() {
            let merged = merge_sequence_options(&old, options);
            let new = self.sequence(&name, &merged)?;
            schema.sequences.insert(name.clone(), new);
        }
        if let Some(OwnedBy::Column(column)) = owned_by {
            let parts: Vec<String> = column
                .0
                .iter()
                .filter_map(|p| p.as_ident())
                .map(|i| self.name(i))
                .filter(|p| Some(p.as_str()) != self.dialect.default_schema())
                .collect();
            let [table, column] = parts.as_slice() else {
                return Err(ApplyError::Unsupported(format!("sequence {name}: OWNED BY needs table.column")));
            };
            self.own_sequence(schema, &name, table, column)?;
        }
        Ok(Vec::new())
    }

    /// A sequence owned by a column is that column's serial, when its options are a serial's.
    fn own_sequence(&self, schema: &mut Schema, name: &str, table: &str, column: &str) -> Result<(), ApplyError> {
        let sequence =
            schema.sequences.get(name).cloned().ok_or_else(|| ApplyError::Missing(ObjectRef::Sequence(name.into())))?;
        let col = schema
            .tables
            .get(table)
            .and_then(|t| t.column(column))
            .ok_or_else(|| ApplyError::Missing(ObjectRef::Column(table.to_string(), column.to_string())))?;
        let usual = self.sequence(name, &[ast::SequenceOptions::DataType(data_type_of(&col.data_type))])?;
        if sequence != usual || !matches!(col.data_type.as_str(), "smallint" | "integer" | "bigint") {
            return Err(ApplyError::Unsupported(format!(
                "sequence {name} owned by {table}.{column}: only a serial's sequence (the column's type, default options) can be owned by a column"
            )));
        }
        schema.sequences.remove(name);
        let already_default = col.default.as_deref() == Some(&format!("nextval('{name}')"));
        if already_default {
            let col = schema.tables.get_mut(table).and_then(|t| t.columns.iter_mut().find(|c| c.name == column));
            if let Some(col) = col {
                col.autoincrement = true;
                col.default = None;
            }
        } else {
            schema
                .owned_sequences
                .insert(name.to_string(), OwnedSequence { table: table.to_string(), column: column.to_string() });
        }
        Ok(())
    }

    /// `ALTER DOMAIN`.
    pub(super) fn alter_domain(
        &self,
        schema: &mut Schema,
        name: &ObjectName,
        action: &DomainAction,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        let name = self.object_name(name)?;
        let domain =
            schema.domains.get_mut(&name).ok_or_else(|| ApplyError::Missing(ObjectRef::Domain(name.clone())))?;
        let missing =
            |constraint: &str| ApplyError::Missing(ObjectRef::Constraint(name.clone(), constraint.to_string()));
        match action {
            DomainAction::SetDefault(expr) => domain.default = Some(self.expr(expr)).filter(|d| d != "NULL"),
            DomainAction::DropDefault => domain.default = None,
            DomainAction::AddCheck { name: constraint, expr } => {
                let constraint = constraint.as_ref().map(|n| self.name(n)).unwrap_or_else(|| format!("{name}_check"));
                domain.checks.push(Check { name: Some(constraint), expr: self.expr(expr) });
                domain.checks.sort();
            }
            DomainAction::DropConstraint { name: constraint, if_exists } => {
                let constraint = self.name(constraint);
                let before = domain.checks.len();
                domain.checks.retain(|c| c.name.as_deref() != Some(constraint.as_str()));
                if domain.checks.len() == before && !if_exists {
                    return Err(missing(&constraint));
                }
            }
            DomainAction::RenameConstraint { from, to } => {
                let (from, to) = (self.name(from), self.name(to));
                let check = domain.checks.iter_mut().find(|c| c.name.as_deref() == Some(from.as_str()));
                check.ok_or_else(|| missing(&from))?.name = Some(to);
                domain.checks.sort();
            }
        }
        Ok(Vec::new())
    }

    /// Any statement [`extra`] read.
    pub(super) fn apply_extra(
        &self,
        schema: &mut Schema,
        statement: &extra::Statement,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        match statement {
            extra::Statement::AlterTable { name, clauses } => {
                let table = self.object_name(name)?;
                let mut created = Vec::new();
                for clause in clauses {
                    created.extend(self.alter_clause(schema, &table, clause)?);
                }
                Ok(created)
            }
            extra::Statement::AlterSequence { name, if_exists, options, owned_by } => {
                self.alter_sequence(schema, name, *if_exists, options, owned_by)
            }
            extra::Statement::AlterDomain { name, action } => self.alter_domain(schema, name, action),
            // The child index becomes part of the parent's tree, which the model keeps as the
            // parent's index alone (as PostgreSQL makes it for every partition).
            extra::Statement::AttachIndex { parent, child } => {
                let (parent, child) = (self.object_name(parent)?, self.object_name(child)?);
                if schema.index_owner(&parent).is_none() {
                    return Err(ApplyError::Missing(ObjectRef::Index(parent)));
                }
                let owner = schema.tables.values_mut().find(|t| t.index(&child).is_some());
                let owner = owner.ok_or_else(|| ApplyError::Missing(ObjectRef::Index(child.clone())))?;
                owner.indexes.retain(|i| i.name != child);
                Ok(Vec::new())
            }
            extra::Statement::CreateStatistics { name, if_not_exists, kinds, columns, table } => {
                self.create_statistics(schema, (name, *if_not_exists), kinds, columns, table)
            }
            extra::Statement::DropStatistics { names, if_exists } => {
                for name in names {
                    let name = self.object_name(name)?;
                    if schema.statistics.remove(&name).is_none() && !if_exists {
                        return Err(ApplyError::Missing(ObjectRef::Statistics(name)));
                    }
                }
                Ok(Vec::new())
            }
            extra::Statement::DropIndexConcurrently { names, if_exists } => {
                for name in names {
                    self.drop(schema, ast::ObjectType::Index, *if_exists, &self.object_name(name)?)?;
                }
                Ok(Vec::new())
            }
            extra::Statement::Do if self.mode == super::Mode::Replay => Ok(Vec::new()),
            extra::Statement::Do => Err(ApplyError::Unsupported(
                "a DO block belongs in a hand-written migration (strata migration new), not in schema files"
                    .to_string(),
            )),
            extra::Statement::DropAggregate { name, types, if_exists } => {
                let name = self.object_name(name)?;
                let types: Vec<String> = types.iter().map(|t| normalize::data_type(self.dialect, t).0).collect();
                let key = format!("{name}({})", types.join(", "));
                if schema.aggregates.remove(&key).is_none() && !if_exists {
                    return Err(ApplyError::Missing(ObjectRef::Function(key)));
                }
                Ok(Vec::new())
            }
        }
    }

    /// `CREATE STATISTICS`: kinds in PostgreSQL's order, all three kinds kept as "none given".
    fn create_statistics(
        &self,
        schema: &mut Schema,
        (name, if_not_exists): (&ObjectName, bool),
        kinds: &[Ident],
        columns: &[Expr],
        table: &ObjectName,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        self.postgres_only("CREATE STATISTICS")?;
        let (name, table) = (self.object_name(name)?, self.object_name(table)?);
        if schema.statistics.contains_key(&name) {
            return if if_not_exists { Ok(Vec::new()) } else { Err(ApplyError::Exists(ObjectRef::Statistics(name))) };
        }
        if !schema.tables.contains_key(&table) {
            return Err(ApplyError::Missing(ObjectRef::Table(table)));
        }
        let mut kinds: Vec<String> = kinds.iter().map(|k| self.name(k)).collect();
        let order = ["ndistinct", "dependencies", "mcv"];
        if let Some(unknown) = kinds.iter().find(|k| !order.contains(&k.as_str())) {
            return Err(ApplyError::Unsupported(format!("statistics {name}: unknown kind {unknown}")));
        }
        kinds.sort_by_key(|k| order.iter().position(|o| o == k));
        kinds.dedup();
        if kinds.len() == order.len() {
            kinds.clear();
        }
        let columns = columns
            .iter()
            .map(|c| match c {
                Expr::Identifier(ident) => self.name(ident),
                other => self.expr(other),
            })
            .collect();
        schema.statistics.insert(name.clone(), Statistics { name: name.clone(), table, kinds, columns });
        Ok(vec![ObjectRef::Statistics(name)])
    }

    /// `COMMENT ON TABLE | COLUMN | VIEW ... IS '...' | NULL` (the session pass left out the others).
    pub(super) fn comment(
        &self,
        schema: &mut Schema,
        kind: ast::CommentObject,
        name: &ObjectName,
        text: Option<String>,
    ) -> Result<(), ApplyError> {
        self.postgres_only("COMMENT ON")?;
        let text = text.filter(|t| !t.is_empty());
        match kind {
            ast::CommentObject::Table => {
                let table = self.object_name(name)?;
                schema.tables.get_mut(&table).ok_or(ApplyError::Missing(ObjectRef::Table(table)))?.comment = text;
            }
            ast::CommentObject::Column => {
                let mut parts = name.0.clone();
                let column = parts.pop().and_then(|p| p.as_ident().map(|i| self.name(i)));
                let column = column
                    .ok_or_else(|| ApplyError::Unsupported(format!("COMMENT ON COLUMN {name}: which column?")))?;
                let table = self.object_name(&ObjectName(parts))?;
                column_mut(schema, &table, &column)?.comment = text;
            }
            ast::CommentObject::View | ast::CommentObject::MaterializedView => {
                let view = self.object_name(name)?;
                schema.views.get_mut(&view).ok_or(ApplyError::Missing(ObjectRef::View(view)))?.comment = text;
            }
            other => return Err(ApplyError::Unsupported(format!("COMMENT ON {other} is not supported yet"))),
        }
        Ok(())
    }

    /// `ALTER INDEX a RENAME TO b`, on a table or a materialized view.
    pub(super) fn rename_index(
        &self,
        schema: &mut Schema,
        from: &ObjectName,
        to: &ObjectName,
    ) -> Result<(), ApplyError> {
        let (from, to) = (self.object_name(from)?, self.object_name(to)?);
        if let Some(table) = schema.tables.values_mut().find(|t| t.index(&from).is_some()) {
            return rename_index_in(table, &from, &to);
        }
        let view = schema.views.values_mut().find(|v| v.indexes.iter().any(|i| i.name == from));
        let index = view.and_then(|v| v.indexes.iter_mut().find(|i| i.name == from));
        index.ok_or(ApplyError::Missing(ObjectRef::Index(from)))?.name = to;
        Ok(())
    }
}

fn column_mut<'s>(schema: &'s mut Schema, table: &str, name: &str) -> Result<&'s mut Column, ApplyError> {
    let table_ref = table_mut(schema, table)?;
    table_ref
        .columns
        .iter_mut()
        .find(|c| c.name == name)
        .ok_or_else(|| ApplyError::Missing(ObjectRef::Column(table.to_string(), name.to_string())))
}

/// MODIFY and CHANGE give bare options; a column definition holds them named.
fn option_defs(options: &[ast::ColumnOption]) -> Vec<ast::ColumnOptionDef> {
    options.iter().map(|option| ast::ColumnOptionDef { name: None, option: option.clone() }).collect()
}

fn identity_of(generated_as: &Option<ast::GeneratedAs>) -> Identity {
    match generated_as {
        Some(ast::GeneratedAs::ByDefault) => Identity::ByDefault,
        _ => Identity::Always,
    }
}

fn rename_index_in(table: &mut Table, from: &str, to: &str) -> Result<(), ApplyError> {
    if table.index(to).is_some() {
        return Err(ApplyError::Exists(ObjectRef::Index(to.to_string())));
    }
    let index = table.indexes.iter_mut().find(|i| i.name == from);
    index.ok_or_else(|| ApplyError::Missing(ObjectRef::Index(from.to_string())))?.name = to.to_string();
    Ok(())
}

/// The sequence a `nextval('s')` default reads, when it is a pg_dump serial's: owned by this column.
fn owned_serial_sequence(schema: &Schema, default: &str, table: &str, column: &str) -> Option<String> {
    let name = default.strip_prefix("nextval('")?.strip_suffix("')")?;
    let owner = schema.owned_sequences.get(name)?;
    (owner.table == table && owner.column == column).then(|| name.to_string())
}

/// Whether a constraint answers to `name`: the name it was given, or the one the engine gives an
/// unnamed one.
fn answers_to(table: &Table, constraint: &Constraint, name: &str) -> bool {
    match constraint.name() {
        Some(given) => given == name,
        None => default_constraint_name(table, constraint) == name,
    }
}

/// Drops the constraint (or, on MySQL, the unique key) named `name`; whether there was one.
fn drop_constraint(table: &mut Table, name: &str) -> bool {
    let snapshot = table.clone();
    let matches = |c: Constraint| answers_to(&snapshot, &c, name);
    if table.primary_key.clone().is_some_and(|pk| matches(Constraint::PrimaryKey(pk))) {
        table.primary_key = None;
        return true;
    }
    let before = table.uniques.len() + table.checks.len() + table.foreign_keys.len() + table.indexes.len();
    table.uniques.retain(|u| !matches(Constraint::Unique(u.clone())));
    table.checks.retain(|c| !matches(Constraint::Check(c.clone())));
    table.foreign_keys.retain(|fk| !matches(Constraint::ForeignKey(fk.clone())));
    table.indexes.retain(|i| !(i.unique && i.name == name));
    before != table.uniques.len() + table.checks.len() + table.foreign_keys.len() + table.indexes.len()
}

/// Gives a constraint another name. A rename to the name the engine would give it anyway (as
/// after a table rename, where the model's unnamed constraints already follow) changes nothing.
fn rename_constraint(table: &mut Table, from: &str, to: &str) -> Result<(), ApplyError> {
    let snapshot = table.clone();
    let rename = |name: &mut Option<String>, constraint: Constraint| {
        let hit = answers_to(&snapshot, &constraint, from);
        if hit {
            *name = Some(to.to_string());
        }
        hit
    };
    let mut found = false;
    if let Some(pk) = &mut table.primary_key {
        let c = Constraint::PrimaryKey(pk.clone());
        found |= rename(&mut pk.name, c);
    }
    for u in &mut table.uniques {
        let c = Constraint::Unique(u.clone());
        found |= rename(&mut u.name, c);
    }
    for check in &mut table.checks {
        let c = Constraint::Check(check.clone());
        found |= rename(&mut check.name, c);
    }
    for fk in &mut table.foreign_keys {
        let c = Constraint::ForeignKey(fk.clone());
        found |= rename(&mut fk.name, c);
    }
    let already =
        snapshot.constraints().iter().any(|c| c.name().is_none() && default_constraint_name(&snapshot, c) == to);
    if found || already {
        Ok(())
    } else {
        Err(ApplyError::Missing(ObjectRef::Constraint(table.name.clone(), from.to_string())))
    }
}

/// The sequence's options as written out, then `changes` on top (the last word wins); a new type
/// resets bounds that were the old type's.
fn merge_sequence_options(old: &Sequence, changes: &[ast::SequenceOptions]) -> Vec<ast::SequenceOptions> {
    let number = |n: i64| Expr::value(ast::Value::Number(n.to_string(), false));
    let retyped = changes.iter().any(|c| matches!(c, ast::SequenceOptions::DataType(_)));
    let type_max = match old.data_type.as_str() {
        "smallint" => i64::from(i16::MAX),
        "integer" => i64::from(i32::MAX),
        _ => i64::MAX,
    };
    let default_bounds = if old.increment > 0 { (1, type_max) } else { (-type_max - 1, -1) };
    let mut merged = vec![
        ast::SequenceOptions::IncrementBy(number(old.increment), true),
        ast::SequenceOptions::StartWith(number(old.start), true),
        ast::SequenceOptions::Cache(number(old.cache)),
        ast::SequenceOptions::Cycle(!old.cycle),
    ];
    if !retyped {
        merged.insert(0, ast::SequenceOptions::DataType(data_type_of(&old.data_type)));
    }
    if !(retyped && old.min == default_bounds.0) {
        merged.push(ast::SequenceOptions::MinValue(Some(number(old.min))));
    }
    if !(retyped && old.max == default_bounds.1) {
        merged.push(ast::SequenceOptions::MaxValue(Some(number(old.max))));
    }
    merged.extend(changes.iter().cloned());
    merged
}

/// An integer type name of the model in sqlparser's form, to resolve sequence defaults for it.
fn data_type_of(name: &str) -> ast::DataType {
    match name {
        "smallint" => ast::DataType::SmallInt(None),
        "integer" => ast::DataType::Integer(None),
        _ => ast::DataType::BigInt(None),
    }
}
