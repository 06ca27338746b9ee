//! Tables and their indexes in the model: CREATE TABLE (columns, constraints, partitions),
//! CREATE INDEX, ALTER TABLE's add/drop/rename of columns and constraints, and DROP.

use sqlparser::ast::{
    self, AlterTableOperation, ColumnOption, CreateIndex, ObjectType, ReferentialAction, TableConstraint,
};

use super::{missing_table, table, ApplyError, Interpreter};
use crate::model::*;
use crate::normalize;
use sqlparser::tokenizer::Token;
use strata_core::Dialect;

impl Interpreter {
    pub(super) fn create_table(
        &self,
        schema: &mut Schema,
        create: &ast::CreateTable,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        let name = self.object_name(&create.name)?;
        if schema.tables.contains_key(&name) {
            if create.if_not_exists {
                return Ok(Vec::new());
            }
            return Err(ApplyError::Exists(ObjectRef::Table(name)));
        }
        if create.query.is_some() || create.like.is_some() || create.clone.is_some() {
            return Err(ApplyError::Unsupported(format!("CREATE TABLE {name} AS/LIKE/CLONE is not declarative DDL")));
        }
        let mut table = Table::new(&name);
        for column in &create.columns {
            self.add_column(&mut table, column)?;
        }
        self.table_kind_is_plain(&name, create)?;
        // MySQL's `COMMENT='...'` table option.
        let options = match &create.table_options {
            ast::CreateTableOptions::Plain(options) => options.as_slice(),
            _ => &[],
        };
        let comment = options.iter().find_map(|o| match o {
            ast::SqlOption::Comment(ast::CommentDef::WithEq(c) | ast::CommentDef::WithoutEq(c)) => Some(c.clone()),
            _ => None,
        });
        if let Some(comment) = create.comment.as_ref().map(ToString::to_string).or(comment) {
            if self.dialect != Dialect::Mysql {
                return Err(ApplyError::Unsupported(format!(
                    "table {name}: COMMENT in CREATE TABLE is MySQL's; write COMMENT ON TABLE"
                )));
            }
            table.comment = Some(comment).filter(|c| !c.is_empty());
        }
        for constraint in &create.constraints {
            self.add_constraint(&mut table, constraint)?;
        }
        if let Some(key) = &create.partition_by {
            self.postgres_only("PARTITION BY")?;
            table.partition_by = Some(partition_key(&key.to_string()));
        }
        if let Some(parent) = &create.partition_of {
            let Some(bound) = &create.for_values else {
                return Err(ApplyError::Unsupported(format!("{name}: PARTITION OF without FOR VALUES")));
            };
            let parent = self.object_name(parent)?;
            // A partition has its parent's columns, whether the statement lists them or not.
            if create.columns.is_empty() {
                let of =
                    schema.tables.get(&parent).ok_or_else(|| ApplyError::Missing(ObjectRef::Table(parent.clone())))?;
                table.columns = of.columns.clone();
            }
            table.partition_of = Some(PartitionOf { parent, bound: self.bound(bound) });
        }
        let mut created = vec![ObjectRef::Table(name.clone())];
        created.extend(table.columns.iter().map(|c| ObjectRef::Column(name.clone(), c.name.clone())));
        schema.tables.insert(name, table);
        Ok(created)
    }

    /// What a `CREATE TABLE` says that the model does not keep is refused, never dropped: a
    /// temporary, unlogged or inheriting table, storage parameters, an engine other than InnoDB,
    /// SQLite's WITHOUT ROWID and STRICT. Dump tools' bookkeeping (MySQL's AUTO_INCREMENT=N, the
    /// default character set and collation every table repeats) is not schema.
    pub(super) fn table_kind_is_plain(&self, name: &str, create: &ast::CreateTable) -> Result<(), ApplyError> {
        let refuse = |what: String| Err(ApplyError::Unsupported(format!("table {name}: {what} is not supported yet")));
        if create.temporary || create.unlogged {
            return refuse("a TEMPORARY or UNLOGGED table".to_string());
        }
        if create.inherits.is_some() {
            return refuse("INHERITS".to_string());
        }
        if !create.sqlite_table_options.options.is_empty() {
            return refuse("WITHOUT ROWID / STRICT".to_string());
        }
        let options = match &create.table_options {
            ast::CreateTableOptions::None => return Ok(()),
            ast::CreateTableOptions::Plain(options) => options,
            other => return refuse(format!("`{other}`")),
        };
        for option in options {
            let text = option.to_string();
            let upper = text.to_uppercase().replace(' ', "");
            let bookkeeping = [
                "AUTO_INCREMENT",
                "DEFAULTCHARSET",
                "CHARSET",
                "CHARACTERSET",
                "DEFAULTCHARACTERSET",
                "COLLATE",
                "DEFAULTCOLLATE",
                "COMMENT",
            ];
            if upper.starts_with("ENGINE") {
                if !upper.ends_with("INNODB") {
                    return refuse(format!("`{text}` (tables are InnoDB)"));
                }
            } else if !bookkeeping.iter().any(|b| upper.starts_with(b)) {
                return refuse(format!("table option `{text}`"));
            }
        }
        Ok(())
    }

    /// A partition bound in one spelling: literal casts dropped, timestamps in UTC.
    pub(super) fn bound(&self, bound: &ast::ForValues) -> String {
        let values = |values: &[ast::PartitionBoundValue]| -> String {
            let texts: Vec<String> = values
                .iter()
                .map(|v| match v {
                    ast::PartitionBoundValue::Expr(e) => normalize::timestamp_in_utc(&self.expr(e)),
                    ast::PartitionBoundValue::MinValue => "MINVALUE".to_string(),
                    ast::PartitionBoundValue::MaxValue => "MAXVALUE".to_string(),
                })
                .collect();
            texts.join(", ")
        };
        match bound {
            ast::ForValues::From { from, to } => format!("FOR VALUES FROM ({}) TO ({})", values(from), values(to)),
            ast::ForValues::In(list) => {
                let texts: Vec<String> = list.iter().map(|e| normalize::timestamp_in_utc(&self.expr(e))).collect();
                format!("FOR VALUES IN ({})", texts.join(", "))
            }
            ast::ForValues::With { modulus, remainder } => {
                format!("FOR VALUES WITH (modulus {modulus}, remainder {remainder})")
            }
            ast::ForValues::Default => "DEFAULT".to_string(),
        }
    }

    pub(super) fn add_column(&self, table: &mut Table, def: &ast::ColumnDef) -> Result<ObjectRef, ApplyError> {
        let name = self.name(&def.name);
        if table.column(&name).is_some() {
            return Err(ApplyError::Exists(ObjectRef::Column(table.name.clone(), name)));
        }
        let (data_type, serial) = normalize::data_type(self.dialect, &def.data_type);
        // A serial column is NOT NULL on PostgreSQL whether or not the file says so.
        let mut column = Column::new(&name, &data_type);
        let mut character_set = None;
        column.nullable = !serial;
        column.autoincrement = serial;
        for option in &def.options {
            self.column_option(table, &mut column, &mut character_set, option)?;
        }
        // MariaDB spells out the character set of a collated column; the collation implies it.
        // NVARCHAR / NCHAR are MySQL's national character types: utf8mb3, which MariaDB and MySQL
        // report as varchar/char with that set's default collation.
        if self.dialect == Dialect::Mysql {
            if let Some(plain) = normalize::mysql_national(&column.data_type) {
                column.data_type = plain;
                column.collation.get_or_insert_with(|| "utf8mb3_general_ci".to_string());
            }
        }
        if let Some(charset) = character_set {
            let implied = column.collation.as_deref().is_some_and(|c| c.starts_with(&format!("{charset}_")));
            if !implied {
                return Err(ApplyError::Unsupported(format!(
                    "CHARACTER SET {charset} on {}.{name} without a collation of that set is not supported yet",
                    table.name
                )));
            }
        }
        table.columns.push(column);
        Ok(ObjectRef::Column(table.name.clone(), name))
    }

    /// One option of a column definition: its nullability, default, generation, collation, or a
    /// constraint of its own (which goes on the table).
    fn column_option(
        &self,
        table: &mut Table,
        column: &mut Column,
        character_set: &mut Option<String>,
        option: &ast::ColumnOptionDef,
    ) -> Result<(), ApplyError> {
        let name = column.name.clone();
        // `CONSTRAINT name` before a column's constraint: sqlparser keeps it beside the
        // option, or (for some) inside it.
        let constraint_name =
            |inner: &Option<ast::Ident>| option.name.as_ref().or(inner.as_ref()).map(|n| self.name(n));
        match &option.option {
            ColumnOption::Null => column.nullable = true,
            ColumnOption::NotNull => column.nullable = false,
            // DEFAULT NULL is what a column without a default has.
            ColumnOption::Default(expr) => column.default = Some(self.expr(expr)).filter(|d| d != "NULL"),
            ColumnOption::PrimaryKey(pk) => {
                self.not_deferrable(pk.characteristics.as_ref(), &format!("primary key of {}", table.name))?;
                if table.primary_key.is_some() {
                    return Err(ApplyError::Unsupported(format!("table {} has more than one primary key", table.name)));
                }
                table.primary_key = Some(PrimaryKey { name: constraint_name(&pk.name), columns: vec![name.clone()] });
                if self.dialect.primary_key_implies_not_null() {
                    column.nullable = false;
                }
            }
            ColumnOption::Unique(unique) => {
                self.not_deferrable(unique.characteristics.as_ref(), &format!("unique constraint on {}.{name}", table.name))?;
                table.uniques.push(UniqueKey { name: constraint_name(&unique.name), columns: vec![name.clone()] })
            }
            ColumnOption::ForeignKey(fk) => {
                let foreign = self.foreign_key(constraint_name(&fk.name), vec![name.clone()], fk)?;
                table.foreign_keys.push(foreign);
            }
            ColumnOption::Check(check) => {
                // MariaDB names a column's own check after the column.
                let name = constraint_name(&check.name)
                    .or_else(|| (self.dialect == Dialect::Mysql).then(|| column.name.clone()));
                table.checks.push(Check { name, expr: self.expr(&check.expr) })
            }
            ColumnOption::Generated { generation_expr: Some(expr), generation_expr_mode, .. } => {
                // MySQL and SQLite default to VIRTUAL; PostgreSQL has only STORED.
                let stored = self.dialect == Dialect::Postgres
                    || *generation_expr_mode == Some(ast::GeneratedExpressionMode::Stored);
                column.generated = Some(Generated { expr: self.expr(expr), stored });
            }
            ColumnOption::Generated { generation_expr: None, generated_as, .. } => {
                column.identity = Some(match generated_as {
                    ast::GeneratedAs::ByDefault => Identity::ByDefault,
                    _ => Identity::Always,
                });
                // Identity columns are NOT NULL on PostgreSQL.
                column.nullable = false;
            }
            ColumnOption::CharacterSet(charset) => *character_set = Some(charset.to_string()),
            ColumnOption::Comment(text) if self.dialect == Dialect::Mysql => column.comment = Some(text.clone()),
            ColumnOption::OnUpdate(expr) if self.dialect == Dialect::Mysql => column.on_update = Some(self.expr(expr)),
            ColumnOption::Collation(collation) => {
                column.collation = collation.0.last().map(|part| match part {
                    ast::ObjectNamePart::Identifier(ident) => ident.value.clone(),
                    other => other.to_string(),
                });
            }
            ColumnOption::DialectSpecific(tokens)
                if tokens.iter().any(|t| matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTOINCREMENT") || w.value.eq_ignore_ascii_case("AUTO_INCREMENT"))) =>
            {
                column.autoincrement = true;
            }
            other => {
                return Err(ApplyError::Unsupported(format!("column option `{other}` on {}.{name} is not supported yet", table.name)));
            }
        }
        Ok(())
    }

    pub(super) fn add_constraint(
        &self,
        table: &mut Table,
        constraint: &TableConstraint,
    ) -> Result<Option<ObjectRef>, ApplyError> {
        let name_of = |n: &Option<ast::Ident>| n.as_ref().map(|n| self.name(n));
        let created = |n: &Option<String>| n.as_ref().map(|n| ObjectRef::Constraint(table.name.clone(), n.clone()));
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                self.not_deferrable(pk.characteristics.as_ref(), &format!("primary key of {}", table.name))?;
                if table.primary_key.is_some() {
                    return Err(ApplyError::Unsupported(format!("table {} has more than one primary key", table.name)));
                }
                let pk = PrimaryKey { name: name_of(&pk.name), columns: self.index_columns(&pk.columns) };
                let made = created(&pk.name);
                if self.dialect.primary_key_implies_not_null() {
                    for column in table.columns.iter_mut().filter(|c| pk.columns.contains(&c.name)) {
                        column.nullable = false;
                    }
                }
                table.primary_key = Some(pk);
                Ok(made)
            }
            TableConstraint::Unique(u) => {
                self.not_deferrable(u.characteristics.as_ref(), &format!("unique constraint on {}", table.name))?;
                if u.nulls_distinct == ast::NullsDistinctOption::NotDistinct {
                    return Err(ApplyError::Unsupported(format!(
                        "unique constraint on {}: NULLS NOT DISTINCT is supported on unique indexes; write one",
                        table.name
                    )));
                }
                let name = name_of(&u.name).or_else(|| name_of(&u.index_name));
                let unique = UniqueKey { name, columns: self.index_columns(&u.columns) };
                let made = created(&unique.name);
                table.uniques.push(unique);
                Ok(made)
            }
            TableConstraint::ForeignKey(fk) => {
                let foreign = self.foreign_key(name_of(&fk.name), self.names(&fk.columns), fk)?;
                let made = created(&foreign.name);
                table.foreign_keys.push(foreign);
                Ok(made)
            }
            // MySQL's `KEY name (columns)` inside CREATE TABLE is an index.
            TableConstraint::Index(index) => {
                let columns = self.index_columns(&index.columns);
                let name = match &index.name {
                    Some(name) => self.name(name),
                    None => columns.first().cloned().unwrap_or_default(),
                };
                if table.index(&name).is_some() {
                    return Err(ApplyError::Exists(ObjectRef::Index(name)));
                }
                table.indexes.push(Index::new(&name, columns, false));
                Ok(Some(ObjectRef::Index(name)))
            }
            TableConstraint::Check(c) => {
                let check = Check { name: name_of(&c.name), expr: self.expr(&c.expr) };
                let made = created(&check.name);
                table.checks.push(check);
                Ok(made)
            }
            other => {
                Err(ApplyError::Unsupported(format!("constraint `{other}` on {} is not supported yet", table.name)))
            }
        }
    }

    /// A foreign key with its match kind and deferral; what an engine would drop is refused.
    pub(super) fn foreign_key(
        &self,
        name: Option<String>,
        columns: Vec<String>,
        fk: &ast::ForeignKeyConstraint,
    ) -> Result<ForeignKey, ApplyError> {
        let label = || format!("foreign key ({}) to {}", columns.join(", "), fk.foreign_table);
        let match_full = match fk.match_kind {
            None | Some(ast::ConstraintReferenceMatchKind::Simple) => false,
            Some(ast::ConstraintReferenceMatchKind::Full) => true,
            Some(ast::ConstraintReferenceMatchKind::Partial) => {
                return Err(ApplyError::Unsupported(format!("{}: MATCH PARTIAL is not supported", label())))
            }
        };
        if match_full && self.dialect != Dialect::Postgres {
            return Err(ApplyError::Unsupported(format!("{}: {} ignores MATCH FULL", label(), self.dialect)));
        }
        let deferrable = self.deferral(fk.characteristics.as_ref(), &label())?;
        if deferrable.is_some() && self.dialect == Dialect::Mysql {
            return Err(ApplyError::Unsupported(format!("{}: MySQL has no deferrable constraints", label())));
        }
        Ok(ForeignKey {
            name,
            columns,
            ref_table: self.object_name(&fk.foreign_table)?,
            ref_columns: self.names(&fk.referred_columns),
            on_delete: action(self.dialect, fk.on_delete),
            on_update: action(self.dialect, fk.on_update),
            match_full,
            deferrable,
        })
    }

    /// Keys are not deferrable in the model: a deferrable one is refused rather than lost.
    pub(super) fn not_deferrable(
        &self,
        characteristics: Option<&ast::ConstraintCharacteristics>,
        what: &str,
    ) -> Result<(), ApplyError> {
        match self.deferral(characteristics, what)? {
            None => Ok(()),
            Some(_) => Err(ApplyError::Unsupported(format!("{what}: DEFERRABLE keys are not supported yet"))),
        }
    }

    /// `DEFERRABLE [INITIALLY ...]`; `NOT ENFORCED` is refused, it would be lost.
    pub(super) fn deferral(
        &self,
        characteristics: Option<&ast::ConstraintCharacteristics>,
        what: &str,
    ) -> Result<Option<Deferral>, ApplyError> {
        let Some(c) = characteristics else { return Ok(None) };
        if c.enforced == Some(false) {
            return Err(ApplyError::Unsupported(format!("{what}: NOT ENFORCED is not supported")));
        }
        let deferred = c.initially == Some(ast::DeferrableInitial::Deferred);
        match (c.deferrable, deferred) {
            (Some(false), true) => {
                Err(ApplyError::Unsupported(format!("{what}: NOT DEFERRABLE cannot be INITIALLY DEFERRED")))
            }
            (Some(false) | None, false) => Ok(None),
            (_, true) => Ok(Some(Deferral::InitiallyDeferred)),
            (Some(true), false) => Ok(Some(Deferral::InitiallyImmediate)),
        }
    }

    pub(super) fn create_index(&self, schema: &mut Schema, create: &CreateIndex) -> Result<Vec<ObjectRef>, ApplyError> {
        let Some(name) = &create.name else {
            return Err(ApplyError::Unsupported(
                "an index needs a name, so that later changes can refer to it".to_string(),
            ));
        };
        let name = self.object_name(name)?;
        if create.concurrently && self.mode == super::Mode::Declarative {
            schema.concurrent_indexes.insert(name.clone());
        }
        if schema.index_owner(&name).is_some() {
            if create.if_not_exists {
                return Ok(Vec::new());
            }
            return Err(ApplyError::Exists(ObjectRef::Index(name)));
        }
        let table_name = self.object_name(&create.table_name)?;
        let columns = self.index_columns(&create.columns);
        // btree is the default access method; only another one is part of the index's meaning.
        let method = create.using.as_ref().map(|m| m.to_string().to_lowercase()).filter(|m| m != "btree");
        if method.is_some() {
            self.postgres_only("USING <index method>")?;
        }
        let mut opclasses: Vec<Option<String>> = create
            .columns
            .iter()
            .map(|c| c.operator_class.as_ref().and_then(|o| o.0.last()?.as_ident().map(|i| self.name(i))))
            .collect();
        if opclasses.iter().all(Option::is_none) {
            opclasses.clear();
        }
        let nulls_not_distinct = create.nulls_distinct == Some(false);
        if !opclasses.is_empty() || !create.include.is_empty() || nulls_not_distinct {
            self.postgres_only("operator classes, INCLUDE and NULLS NOT DISTINCT")?;
        }
        if !create.with.is_empty() {
            return Err(ApplyError::Unsupported(format!(
                "index {name}: WITH (storage parameters) is not supported yet"
            )));
        }
        let index = Index {
            predicate: create.predicate.as_ref().map(|p| self.expr(p)),
            method,
            opclasses,
            include: self.names(&create.include),
            nulls_not_distinct,
            ..Index::new(&name, columns, create.unique)
        };
        // A materialized view may have indexes of its own.
        if let Some(view) = schema.views.get_mut(&table_name).filter(|v| v.materialized) {
            view.indexes.push(index);
            return Ok(vec![ObjectRef::Index(name)]);
        }
        let table = schema
            .tables
            .get_mut(&table_name)
            .ok_or_else(|| ApplyError::Missing(ObjectRef::Table(table_name.clone())))?;
        for column in &index.columns {
            let plain = column.trim_end_matches(" DESC");
            let is_name = plain.chars().all(|c| c.is_alphanumeric() || c == '_');
            if is_name && table.column(plain).is_none() {
                return Err(ApplyError::Missing(ObjectRef::Column(table_name.clone(), plain.to_string())));
            }
        }
        table.indexes.push(index);
        Ok(vec![ObjectRef::Index(name)])
    }

    pub(super) fn alter_table(
        &self,
        schema: &mut Schema,
        table_name: &str,
        op: &AlterTableOperation,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        if let AlterTableOperation::RenameTable { table_name: new } = op {
            let new_name = match new {
                ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n) => self.object_name(n)?,
            };
            if schema.tables.contains_key(&new_name) {
                return Err(ApplyError::Exists(ObjectRef::Table(new_name)));
            }
            if !schema.tables.contains_key(table_name) {
                return Err(missing_table(table_name));
            }
            schema.rename_table(table_name, &new_name);
            return Ok(Vec::new());
        }
        if let AlterTableOperation::RenameColumn { old_column_name, new_column_name } = op {
            let (old, new) = (self.name(old_column_name), self.name(new_column_name));
            let table = table(schema, table_name)?;
            if table.column(&old).is_none() {
                return Err(ApplyError::Missing(ObjectRef::Column(table_name.to_string(), old)));
            }
            if table.column(&new).is_some() {
                return Err(ApplyError::Exists(ObjectRef::Column(table_name.to_string(), new)));
            }
            schema.rename_column(table_name, &old, &new);
            return Ok(Vec::new());
        }
        if let AlterTableOperation::AttachPartitionOf { partition, for_values } = op {
            self.postgres_only("ATTACH PARTITION")?;
            if !schema.tables.contains_key(table_name) {
                return Err(missing_table(table_name));
            }
            let child = self.object_name(partition)?;
            let bound = self.bound(for_values);
            let partition =
                schema.tables.get_mut(&child).ok_or_else(|| ApplyError::Missing(ObjectRef::Table(child.clone())))?;
            partition.partition_of = Some(PartitionOf { parent: table_name.to_string(), bound });
            return Ok(Vec::new());
        }
        // Borrows the tables alone: dropping a column also drops statistics over it.
        let table = schema.tables.get_mut(table_name).ok_or_else(|| missing_table(table_name))?;
        match op {
            AlterTableOperation::AddColumn { column_def, if_not_exists, .. } => {
                if *if_not_exists && table.column(&self.name(&column_def.name)).is_some() {
                    return Ok(Vec::new());
                }
                Ok(vec![self.add_column(table, column_def)?])
            }
            AlterTableOperation::DropColumn { column_names, if_exists, .. } => {
                for ident in column_names {
                    let name = self.name(ident);
                    if table.column(&name).is_none() {
                        if *if_exists {
                            continue;
                        }
                        return Err(ApplyError::Missing(ObjectRef::Column(table_name.to_string(), name)));
                    }
                    table.drop_column(&name);
                    // Extended statistics over a dropped column go with it.
                    schema
                        .statistics
                        .retain(|_, s| s.table != table_name || !s.columns.iter().any(|c| mentions(c, &name)));
                }
                Ok(Vec::new())
            }
            AlterTableOperation::AddConstraint { constraint, .. } => {
                Ok(self.add_constraint(table, constraint)?.into_iter().collect())
            }
            _ => self.alter_more(schema, table_name, op),
        }
    }

    pub(super) fn drop(
        &self,
        schema: &mut Schema,
        kind: ObjectType,
        if_exists: bool,
        name: &str,
    ) -> Result<(), ApplyError> {
        let found = match kind {
            ObjectType::Table => {
                // A table's triggers and owned sequences go with it.
                schema.triggers.retain(|_, t| t.table != name);
                schema.owned_sequences.retain(|_, owner| owner.table != name);
                schema.statistics.retain(|_, s| s.table != name);
                schema.tables.remove(name).is_some()
            }
            ObjectType::View | ObjectType::MaterializedView => schema.views.remove(name).is_some(),
            ObjectType::Type => schema.enums.remove(name).is_some(),
            ObjectType::Sequence => {
                schema.sequences.remove(name).is_some() || schema.owned_sequences.remove(name).is_some()
            }
            ObjectType::Index => {
                let owner = schema.tables.values_mut().find(|t| t.index(name).is_some());
                let found = owner.map(|t| t.indexes.retain(|i| i.name != name)).is_some();
                let on_view = schema.views.values_mut().find(|v| v.indexes.iter().any(|i| i.name == name));
                found || on_view.map(|v| v.indexes.retain(|i| i.name != name)).is_some()
            }
            other => return Err(ApplyError::Unsupported(format!("DROP {other} is not supported yet"))),
        };
        if found || if_exists {
            Ok(())
        } else {
            Err(ApplyError::Missing(match kind {
                ObjectType::Table => ObjectRef::Table(name.to_string()),
                ObjectType::Type => ObjectRef::Enum(name.to_string()),
                ObjectType::Sequence => ObjectRef::Sequence(name.to_string()),
                ObjectType::View | ObjectType::MaterializedView => ObjectRef::View(name.to_string()),
                _ => ObjectRef::Index(name.to_string()),
            }))
        }
    }
}

/// `RANGE (payment_date)`: the method in capitals, one space, the key without spaces (sqlparser
/// and `pg_get_partkeydef` space it differently).
fn partition_key(text: &str) -> String {
    let compact: String = text.split_whitespace().collect();
    match compact.find('(') {
        Some(at) => format!("{} {}", compact[..at].to_uppercase(), &compact[at..]),
        None => compact.to_uppercase(),
    }
}

/// The engine's default action is stored as "no action given": NO ACTION on PostgreSQL and SQLite;
/// RESTRICT on MySQL/MariaDB, whose catalog tells an explicit NO ACTION from the default (and
/// `SHOW CREATE TABLE` prints it), so there NO ACTION is kept as written.
fn action(dialect: Dialect, action: Option<ReferentialAction>) -> Option<String> {
    match (dialect, action) {
        (_, None) | (Dialect::Mysql, Some(ReferentialAction::Restrict)) => None,
        (Dialect::Postgres | Dialect::Sqlite, Some(ReferentialAction::NoAction)) => None,
        (_, Some(other)) => Some(other.to_string()),
    }
}
