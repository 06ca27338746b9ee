//! Views in the model: the query in canonical form, so that a file and the catalog agree.

use sqlparser::ast::{self};

use super::{ApplyError, Interpreter};
use crate::model::*;

impl Interpreter {
    pub(super) fn create_view(
        &self,
        schema: &mut Schema,
        create: &ast::CreateView,
    ) -> Result<Vec<ObjectRef>, ApplyError> {
        let name = self.object_name(&create.name)?;
        if schema.views.contains_key(&name) && !create.or_replace {
            return if create.if_not_exists { Ok(Vec::new()) } else { Err(ApplyError::Exists(ObjectRef::View(name))) };
        }
        let columns: Vec<ast::Ident> = create.columns.iter().map(|c| c.name.clone()).collect();
        let query = crate::view::canonical_query(self.dialect, &create.query, &columns);
        schema.views.insert(
            name.clone(),
            View { name: name.clone(), query, materialized: create.materialized, indexes: Vec::new(), comment: None },
        );
        Ok(vec![ObjectRef::View(name)])
    }
}
