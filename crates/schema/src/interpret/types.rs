//! Named types and their kin in the model (PostgreSQL): enum types, sequences, domains, extensions.

use sqlparser::ast::{self, ObjectName, TableConstraint};

use super::{ApplyError, Interpreter};
use crate::model::*;
use crate::normalize;
use crate::routine::Domain;

impl Interpreter {
    pub(super) fn create_enum(
        &self,
        schema: &mut Schema,
        name: &ObjectName,
        labels: &[ast::Ident],
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        self.postgres_only("CREATE TYPE")?;
        let name = self.object_name(name)?;
        if schema.enums.contains_key(&name) {
            return Err(ApplyError::Exists(ObjectRef::Enum(name)));
        }
        schema.enums.insert(name.clone(), labels.iter().map(|l| l.value.clone()).collect());
        Ok(vec![ObjectRef::Enum(name)])
    }

    pub(super) fn alter_enum(&self, schema: &mut Schema, alter: &ast::AlterType) -> Result<Vec<ObjectRef>, ApplyError> {
        self.postgres_only("ALTER TYPE")?;
        let name = self.object_name(&alter.name)?;
        let labels = schema.enums.get_mut(&name).ok_or_else(|| ApplyError::Missing(ObjectRef::Enum(name.clone())))?;
        let ast::AlterTypeOperation::AddValue(add) = &alter.operation else {
            return Err(ApplyError::Unsupported(format!("ALTER TYPE {name}: only ADD VALUE is supported yet")));
        };
        if labels.contains(&add.value.value) {
            return if add.if_not_exists { Ok(Vec::new()) } else { Err(ApplyError::Exists(ObjectRef::Enum(name))) };
        }
        let at = match &add.position {
            Some(ast::AlterTypeAddValuePosition::Before(l)) => labels.iter().position(|x| *x == l.value),
            Some(ast::AlterTypeAddValuePosition::After(l)) => labels.iter().position(|x| *x == l.value).map(|p| p + 1),
            None => Some(labels.len()),
        };
        let at =
            at.ok_or_else(|| ApplyError::Unsupported(format!("ALTER TYPE {name}: no such label to place it by")))?;
        labels.insert(at, add.value.value.clone());
        Ok(Vec::new())
    }

    pub(super) fn create_sequence(
        &self,
        schema: &mut Schema,
        name: &ObjectName,
        sequence_options: &[ast::SequenceOptions],
        if_not_exists: bool,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        self.postgres_only("CREATE SEQUENCE")?;
        let name = self.object_name(name)?;
        if schema.sequences.contains_key(&name) {
            return if if_not_exists { Ok(Vec::new()) } else { Err(ApplyError::Exists(ObjectRef::Sequence(name))) };
        }
        let sequence = self.sequence(&name, sequence_options)?;
        schema.sequences.insert(name.clone(), sequence);
        Ok(vec![ObjectRef::Sequence(name)])
    }

    pub(super) fn create_domain(
        &self,
        schema: &mut Schema,
        create: &ast::CreateDomain,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        self.postgres_only("CREATE DOMAIN")?;
        let name = self.object_name(&create.name)?;
        if schema.domains.contains_key(&name) {
            return Err(ApplyError::Exists(ObjectRef::Domain(name)));
        }
        let mut checks = Vec::new();
        for constraint in &create.constraints {
            let TableConstraint::Check(check) = constraint else {
                return Err(ApplyError::Unsupported(format!("domain {name}: only CHECK constraints are supported")));
            };
            let constraint_name = check.name.as_ref().map(|n| self.name(n)).unwrap_or_else(|| format!("{name}_check"));
            checks.push(Check { name: Some(constraint_name), expr: self.expr(&check.expr) });
        }
        checks.sort();
        let domain = Domain {
            name: name.clone(),
            data_type: normalize::data_type(self.dialect, &create.data_type).0,
            default: create.default.as_ref().map(|d| self.expr(d)),
            checks,
        };
        schema.domains.insert(name.clone(), domain);
        Ok(vec![ObjectRef::Domain(name)])
    }

    pub(super) fn create_extension(
        &self,
        schema: &mut Schema,
        create: &ast::CreateExtension,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        self.postgres_only("CREATE EXTENSION")?;
        let name = create.name.value.to_lowercase();
        if !schema.extensions.insert(name.clone()) && !create.if_not_exists {
            return Err(ApplyError::Exists(ObjectRef::Extension(name)));
        }
        Ok(vec![ObjectRef::Extension(name)])
    }

    pub(super) fn drop_extension(
        &self,
        schema: &mut Schema,
        drop: &ast::DropExtension,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        for name in &drop.names {
            let name = name.value.to_lowercase();
            if !schema.extensions.remove(&name) && !drop.if_exists {
                return Err(ApplyError::Missing(ObjectRef::Extension(name)));
            }
        }
        Ok(Vec::new())
    }

    pub(super) fn drop_domain(
        &self,
        schema: &mut Schema,
        drop: &ast::DropDomain,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        let name = self.object_name(&drop.name)?;
        if schema.domains.remove(&name).is_none() && !drop.if_exists {
            return Err(ApplyError::Missing(ObjectRef::Domain(name)));
        }
        Ok(Vec::new())
    }
}
