//! PostgreSQL functions and triggers in the model. A function's body is opaque text (PL/pgSQL is
//! not SQL the model understands, and need not be): what is compared is the signature, the
//! attributes and the body as the server stores it (`prosrc`), so the file's spelling and the
//! catalog's (`pg_get_functiondef`) meet. A trigger is its definition with names unqualified, the
//! way `pg_get_triggerdef` and pg_dump print it.

use sqlparser::ast::{self, ArgMode, CreateFunction, CreateFunctionBody, Expr, FunctionReturnType, Value};

use super::normalize;
use strata_core::Dialect;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub args: Vec<FunctionArg>,
    /// `integer`, `SETOF integer`, `trigger`; `None` for a procedure-like function with OUT args.
    pub returns: Option<String>,
    pub language: String,
    /// IMMUTABLE, STRICT, SECURITY DEFINER, ... in sqlparser's fixed order.
    pub attributes: Vec<String>,
    /// The body as stored by the server: the text between the dollar quotes, untouched; or, for
    /// a SQL-standard body, its canonical text (`RETURN a + 1`, `BEGIN ATOMIC ... END`).
    pub body: String,
    /// The body is SQL-standard (`RETURN expr`, `BEGIN ATOMIC`), written bare, not quoted.
    pub standard_body: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionArg {
    pub mode: Option<String>,
    pub name: Option<String>,
    pub data_type: String,
    pub default: Option<String>,
}

impl Function {
    /// `name(integer, text)`: the key PostgreSQL knows a function by (OUT arguments are not part of it).
    pub fn identity(&self) -> String {
        let types: Vec<&str> =
            self.args.iter().filter(|a| a.mode.as_deref() != Some("OUT")).map(|a| a.data_type.as_str()).collect();
        format!("{}({})", self.name, types.join(", "))
    }

    /// Reads a `CREATE FUNCTION` statement; `name` is already resolved by the caller.
    pub fn from_ast(name: String, create: &CreateFunction) -> Result<Self, String> {
        let pg = |dt: &ast::DataType| normalize::data_type(Dialect::Postgres, dt).0;
        let args = create
            .args
            .iter()
            .flatten()
            .map(|a| FunctionArg {
                mode: a.mode.as_ref().and_then(|m| match m {
                    ArgMode::In => None,
                    ArgMode::Out => Some("OUT".to_string()),
                    ArgMode::InOut => Some("INOUT".to_string()),
                    other => Some(other.to_string().to_uppercase()),
                }),
                name: a.name.as_ref().map(|n| n.value.clone()),
                data_type: pg(&a.data_type),
                default: a.default_expr.as_ref().map(ToString::to_string),
            })
            .collect();
        // `RETURNS TABLE(name type, ...)` keeps its column names, each type normalised.
        let table = |columns: &[ast::ColumnDef]| {
            let columns: Vec<String> = columns
                .iter()
                .map(|c| format!("{} {}", Dialect::Postgres.ident(&c.name.value), pg(&c.data_type)))
                .collect();
            format!("TABLE({})", columns.join(", "))
        };
        let returns = create.return_type.as_ref().map(|r| match r {
            FunctionReturnType::DataType(ast::DataType::Table(Some(columns))) => table(columns),
            FunctionReturnType::DataType(dt) => pg(dt),
            FunctionReturnType::SetOf(dt) => format!("SETOF {}", pg(dt)),
        });
        let (body, standard_body) = body(&name, create)?;
        let mut attributes = attributes(create);
        attributes.extend(create.set_params.iter().map(ToString::to_string));
        let language = create.language.as_ref().map(|l| l.value.to_lowercase()).unwrap_or_else(|| "sql".to_string());
        Ok(Function { name, args, returns, language, attributes, body, standard_body })
    }
}

/// A function's body and whether it is SQL-standard (`RETURN`, `BEGIN ATOMIC`: parsed by the
/// server at creation and compared as canonical text) rather than an opaque string.
fn body(name: &str, create: &CreateFunction) -> Result<(String, bool), String> {
    let body = match &create.function_body {
        Some(CreateFunctionBody::AsBeforeOptions { body, link_symbol: None })
        | Some(CreateFunctionBody::AsAfterOptions(body)) => match body {
            Expr::Value(v) => match &v.value {
                Value::DollarQuotedString(s) => (s.value.clone(), false),
                Value::SingleQuotedString(s) => (s.clone(), false),
                other => return Err(format!("function {name}: unsupported body {other}")),
            },
            other => return Err(format!("function {name}: unsupported body {other}")),
        },
        // SQL-standard bodies, parsed by the server at creation: compared as canonical text.
        Some(CreateFunctionBody::Return(expr)) => {
            (format!("RETURN {}", normalize::expr(Dialect::Postgres, expr)), true)
        }
        Some(CreateFunctionBody::BeginAtomic(block)) => {
            let statements: Vec<String> = block.statements.iter().map(|s| format!("{s};")).collect();
            (format!("BEGIN ATOMIC {} END", statements.join(" ")), true)
        }
        _ => {
            return Err(format!(
                "function {name}: only `AS '...'`, `AS $$...$$`, `RETURN` and `BEGIN ATOMIC` bodies are supported"
            ))
        }
    };
    Ok(body)
}

/// IMMUTABLE, STRICT, SECURITY DEFINER, ...: the attributes the catalog keeps.
fn attributes(create: &CreateFunction) -> Vec<String> {
    let mut attributes = Vec::new();
    // VOLATILE, CALLED ON NULL INPUT, PARALLEL UNSAFE and SECURITY INVOKER are the defaults the
    // catalog leaves out; leaving them out here too makes both spellings compare equal.
    if let Some(behavior) = &create.behavior {
        let text = behavior.to_string().to_uppercase();
        if text != "VOLATILE" {
            attributes.push(text);
        }
    }
    if let Some(on_null) = &create.called_on_null {
        let text = on_null.to_string().to_uppercase();
        attributes.push(if text == "RETURNS NULL ON NULL INPUT" { "STRICT".to_string() } else { text });
        attributes.retain(|a| a != "CALLED ON NULL INPUT");
    }
    if let Some(parallel) = &create.parallel {
        let text = parallel.to_string().to_uppercase();
        if text != "PARALLEL UNSAFE" {
            attributes.push(text);
        }
    }
    if let Some(security) = &create.security {
        let text = security.to_string().to_uppercase();
        if text != "SECURITY INVOKER" {
            attributes.push(text);
        }
    }
    attributes
}

/// A PostgreSQL aggregate, compared by its definition with names unqualified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    /// `group_concat(text)`
    pub identity: String,
    pub name: String,
    /// `CREATE AGGREGATE group_concat (text) (SFUNC = _group_concat, STYPE = TEXT)`
    pub definition: String,
}

impl Aggregate {
    /// Reads a `CREATE AGGREGATE`; `name` is resolved by the caller.
    pub fn from_ast(name: String, create: &ast::CreateAggregate) -> Self {
        let mut canonical = create.clone();
        canonical.or_replace = false;
        canonical.name = ast::ObjectName::from(vec![ast::Ident::new(&name)]);
        let unqualified = |n: &mut ast::ObjectName| {
            if let Some(last) = n.0.last().cloned() {
                n.0 = vec![last];
            }
        };
        let mut types: Vec<String> = Vec::new();
        if let ast::CreateAggregateArgs::List(args) = &mut canonical.args {
            for arg in args.iter_mut() {
                arg.name = None;
                types.push(normalize::data_type(Dialect::Postgres, &arg.data_type).0);
            }
        }
        // Options in one order, whatever order the file gives them in.
        canonical.options.sort();
        for option in canonical.options.iter_mut() {
            use ast::CreateAggregateOption as O;
            match option {
                O::StateTransitionFunction(n)
                | O::FinalFunction(n)
                | O::CombineFunction(n)
                | O::SerialFunction(n)
                | O::DeserialFunction(n)
                | O::MovingStateTransitionFunction(n)
                | O::MovingInverseTransitionFunction(n)
                | O::MovingFinalFunction(n) => unqualified(n),
                _ => {}
            }
        }
        Aggregate { identity: format!("{name}({})", types.join(", ")), name, definition: canonical.to_string() }
    }
}

/// A PostgreSQL domain: a base type with a default and checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub name: String,
    pub data_type: String,
    pub default: Option<String>,
    /// Named as PostgreSQL names them (`<domain>_check` when the file gives no name).
    pub checks: Vec<super::model::Check>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    /// `CREATE TRIGGER ... ON table ... EXECUTE FUNCTION f()`, names unqualified.
    pub definition: String,
}

impl Trigger {
    /// `table.name`: triggers are named per table.
    pub fn key(&self) -> String {
        format!("{}.{}", self.table, self.name)
    }

    /// Reads a `CREATE TRIGGER`; `name` and `table` are resolved by the caller.
    pub fn from_ast(name: String, table: String, create: &ast::CreateTrigger) -> Self {
        let mut canonical = create.clone();
        canonical.or_replace = false;
        canonical.or_alter = false;
        canonical.name = ast::ObjectName::from(vec![ast::Ident::new(&name)]);
        canonical.table_name = ast::ObjectName::from(vec![ast::Ident::new(&table)]);
        if let Some(body) = canonical.exec_body.as_mut() {
            body.exec_type = ast::TriggerExecBodyType::Function;
            if let Some(last) = body.func_desc.name.0.last().cloned() {
                body.func_desc.name = ast::ObjectName(vec![last]);
            }
        }
        // String arguments were read as quoted names holding the literal (see
        // `reparse_trigger_with_literal_arguments`): give them back their quotes.
        let definition = canonical.to_string().replace("\"'", "'").replace("'\"", "'");
        Trigger { name, table, definition }
    }
}
