//! Routines in the model (PostgreSQL): functions, aggregates and triggers, kept by identity.

use sqlparser::ast::{self};

use super::{ApplyError, Interpreter};
use crate::model::*;
use crate::normalize;
use crate::routine::{Aggregate, Function, Trigger};

impl Interpreter {
    pub(super) fn create_aggregate(
        &self,
        schema: &mut Schema,
        create: &ast::CreateAggregate,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        self.postgres_only("CREATE AGGREGATE")?;
        let name = self.object_name(&create.name)?;
        let aggregate = Aggregate::from_ast(name, create);
        let key = aggregate.identity.clone();
        if schema.aggregates.contains_key(&key) && !create.or_replace {
            return Err(ApplyError::Exists(ObjectRef::Function(key)));
        }
        schema.aggregates.insert(key.clone(), aggregate);
        Ok(vec![ObjectRef::Function(key)])
    }

    pub(super) fn create_function(
        &self,
        schema: &mut Schema,
        create: &ast::CreateFunction,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        self.postgres_only("CREATE FUNCTION")?;
        let name = self.object_name(&create.name)?;
        let function = Function::from_ast(name, create).map_err(ApplyError::Unsupported)?;
        let key = function.identity();
        if schema.functions.contains_key(&key) && !create.or_replace {
            return Err(ApplyError::Exists(ObjectRef::Function(key)));
        }
        schema.functions.insert(key.clone(), function);
        Ok(vec![ObjectRef::Function(key)])
    }

    pub(super) fn drop_function(
        &self,
        schema: &mut Schema,
        drop: &ast::DropFunction,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        for desc in &drop.func_desc {
            let name = self.object_name(&desc.name)?;
            let types: Vec<String> = desc
                .args
                .iter()
                .flatten()
                .filter(|a| !matches!(a.mode, Some(ast::ArgMode::Out)))
                .map(|a| normalize::data_type(self.dialect, &a.data_type).0)
                .collect();
            let key = format!("{name}({})", types.join(", "));
            if schema.functions.remove(&key).is_none() && !drop.if_exists {
                return Err(ApplyError::Missing(ObjectRef::Function(key)));
            }
        }
        Ok(Vec::new())
    }

    pub(super) fn create_trigger(
        &self,
        schema: &mut Schema,
        create: &ast::CreateTrigger,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        self.postgres_only("CREATE TRIGGER")?;
        let name = self.object_name(&create.name)?;
        let table = self.object_name(&create.table_name)?;
        if !schema.tables.contains_key(&table) {
            return Err(ApplyError::Missing(ObjectRef::Table(table)));
        }
        let trigger = Trigger::from_ast(name.clone(), table.clone(), create);
        let key = trigger.key();
        if schema.triggers.contains_key(&key) && !create.or_replace {
            return Err(ApplyError::Exists(ObjectRef::Trigger(table, name)));
        }
        schema.triggers.insert(key, trigger);
        Ok(vec![ObjectRef::Trigger(table, name)])
    }

    pub(super) fn drop_trigger(
        &self,
        schema: &mut Schema,
        drop: &ast::DropTrigger,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        let name = self.object_name(&drop.trigger_name)?;
        let Some(table) = &drop.table_name else {
            return Err(ApplyError::Unsupported(format!("DROP TRIGGER {name} needs ON <table>")));
        };
        let table = self.object_name(table)?;
        if schema.triggers.remove(&format!("{table}.{name}")).is_none() && !drop.if_exists {
            return Err(ApplyError::Missing(ObjectRef::Trigger(table, name)));
        }
        Ok(Vec::new())
    }
}
