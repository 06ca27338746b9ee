//! PostgreSQL SQL for the routines and types of the model: functions, aggregates, triggers and
//! domains. The model keeps what they are; how PostgreSQL spells creating and dropping them is
//! the planner's.

use strata_core::Dialect;
use strata_schema::routine::{Aggregate, Domain, Function, Trigger};

const D: Dialect = Dialect::Postgres;

/// `CREATE [OR REPLACE] FUNCTION ...;` with the body in a dollar quote it cannot contain.
pub fn create_function(function: &Function, or_replace: bool) -> String {
    let args: Vec<String> = function
        .args
        .iter()
        .map(|a| {
            let mut text = String::new();
            if let Some(mode) = &a.mode {
                text.push_str(mode);
                text.push(' ');
            }
            if let Some(name) = &a.name {
                text.push_str(&D.ident(name));
                text.push(' ');
            }
            text.push_str(&a.data_type);
            if let Some(default) = &a.default {
                text.push_str(&format!(" DEFAULT {default}"));
            }
            text
        })
        .collect();
    let returns = function.returns.as_ref().map(|r| format!(" RETURNS {r}")).unwrap_or_default();
    let attributes: String = function.attributes.iter().map(|a| format!(" {a}")).collect();
    let body = if function.standard_body {
        format!(" {}", function.body)
    } else {
        let tag = strata_core::dialect::dollar_tag(&function.body, "$strata$");
        format!(" AS {tag}{}{tag}", function.body)
    };
    format!(
        "CREATE {}FUNCTION {}({}){returns} LANGUAGE {}{attributes}{body};",
        if or_replace { "OR REPLACE " } else { "" },
        D.ident(&function.name),
        args.join(", "),
        function.language,
    )
}

/// `DROP FUNCTION name(types);` — OUT arguments are not part of a function's identity.
pub fn drop_function(function: &Function) -> String {
    let types: Vec<&str> =
        function.args.iter().filter(|a| a.mode.as_deref() != Some("OUT")).map(|a| a.data_type.as_str()).collect();
    format!("DROP FUNCTION {}({});", D.ident(&function.name), types.join(", "))
}

pub fn create_aggregate(aggregate: &Aggregate) -> String {
    format!("{};", aggregate.definition)
}

pub fn drop_aggregate(aggregate: &Aggregate) -> String {
    let args = aggregate.identity.strip_prefix(aggregate.name.as_str()).unwrap_or("()");
    format!("DROP AGGREGATE {}{args};", D.ident(&aggregate.name))
}

pub fn create_trigger(trigger: &Trigger) -> String {
    format!("{};", trigger.definition)
}

pub fn drop_trigger(trigger: &Trigger) -> String {
    format!("DROP TRIGGER {} ON {};", D.ident(&trigger.name), D.ident(&trigger.table))
}

pub fn create_domain(domain: &Domain) -> String {
    let mut sql = format!("CREATE DOMAIN {} AS {}", D.ident(&domain.name), domain.data_type);
    if let Some(default) = &domain.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    for check in &domain.checks {
        if let Some(name) = &check.name {
            sql.push_str(&format!(" CONSTRAINT {}", D.ident(name)));
        }
        sql.push_str(&format!(" CHECK ({})", check.expr));
    }
    sql.push(';');
    sql
}

pub fn drop_domain(domain: &Domain) -> String {
    crate::ddl::drop(D, "DOMAIN", &domain.name)
}

/// The statements that turn `from` into `to` in place (same base type), `None` otherwise.
pub fn alter_domain(from: &Domain, to: &Domain) -> Option<String> {
    if from.data_type != to.data_type {
        return None;
    }
    let name = D.ident(&from.name);
    let mut sql = Vec::new();
    if from.default != to.default {
        sql.push(match &to.default {
            Some(default) => format!("ALTER DOMAIN {name} SET DEFAULT {default};"),
            None => format!("ALTER DOMAIN {name} DROP DEFAULT;"),
        });
    }
    for check in from.checks.iter().filter(|c| !to.checks.contains(c)) {
        let constraint = check.name.as_deref().map(|n| D.ident(n)).unwrap_or_default();
        sql.push(format!("ALTER DOMAIN {name} DROP CONSTRAINT {constraint};"));
    }
    for check in to.checks.iter().filter(|c| !from.checks.contains(c)) {
        let constraint = check.name.as_deref().map(|n| format!("CONSTRAINT {} ", D.ident(n))).unwrap_or_default();
        sql.push(format!("ALTER DOMAIN {name} ADD {constraint}CHECK ({});", check.expr));
    }
    Some(sql.join("\n"))
}
