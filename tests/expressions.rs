//! Printing never changes meaning: the canonical text of an expression parses back to the same
//! expression tree (compared as trees, parentheses aside, with the few equivalences the model
//! chooses on purpose spelled out in [`shape`]), and is a fixed point. Checked on
//! `STRATA_EXPRESSION_CASES` generated expressions per dialect (10,000 by default) and on every
//! expression the corpus files hold (checks, defaults, generated columns, index keys, predicates).

mod util;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget, UnaryOperator};
use sqlparser::parser::Parser;
use strata::dialect::Dialect;
use strata::schema::normalize;

fn parse(dialect: Dialect, sql: &str) -> Result<Expr, String> {
    let parser_dialect = dialect.parser();
    let mut parser = Parser::new(parser_dialect.as_ref()).try_with_sql(sql).map_err(|e| e.to_string())?;
    let expr = parser.parse_expr().map_err(|e| format!("{e} in `{sql}`"))?;
    Ok(expr)
}

/// The tree of an expression, fully parenthesised, parentheses of the source aside; with the
/// equivalences the model chooses: `x BETWEEN a AND b` is `x >= a AND x <= b`, `NOT (x IN ...)`
/// is `x NOT IN ...`, `NOT (x IS NULL)` is `x IS NOT NULL`, `NOT NOT x` is `x`, names fold as the dialect folds them,
/// and the casts PostgreSQL adds when it stores an expression are no part of it (`(0)::numeric`,
/// `'x'::text`, `(a)::text`).
fn shape(dialect: Dialect, expr: &Expr) -> String {
    let s = |e: &Expr| shape(dialect, e);
    match expr {
        Expr::Nested(inner) => s(inner),
        Expr::Identifier(ident) => dialect.normalize_ident(ident),
        Expr::Value(value) => match &value.value {
            sqlparser::ast::Value::Number(n, _) if n.contains('.') => {
                n.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            sqlparser::ast::Value::Boolean(b) if dialect == Dialect::Mysql => (if *b { "1" } else { "0" }).to_string(),
            other => other.to_string(),
        },
        Expr::BinaryOp { left, op, right } => format!("({} {op} {})", s(left), s(right)),
        Expr::UnaryOp { op: UnaryOperator::Not, expr: inner } => match strip(inner) {
            Expr::In { expr, target: InTarget::List(list), negated, .. } => in_list(dialect, expr, list, !negated),
            Expr::IsNull(e) => format!("({} IS NOT NULL)", s(e)),
            Expr::IsNotNull(e) => format!("({} IS NULL)", s(e)),
            Expr::Between { expr, negated, low, high } => between(dialect, expr, !negated, low, high),
            Expr::UnaryOp { op: UnaryOperator::Not, expr: twice } => s(twice),
            other => format!("(NOT {})", s(other)),
        },
        Expr::UnaryOp { op, expr } => format!("({op} {})", s(expr)),
        Expr::IsNull(e) => format!("({} IS NULL)", s(e)),
        Expr::IsNotNull(e) => format!("({} IS NOT NULL)", s(e)),
        Expr::IsDistinctFrom(a, b) => format!("({} IS DISTINCT FROM {})", s(a), s(b)),
        Expr::IsNotDistinctFrom(a, b) => format!("({} IS NOT DISTINCT FROM {})", s(a), s(b)),
        Expr::In { expr, target: InTarget::List(list), negated, .. } => in_list(dialect, expr, list, *negated),
        Expr::Between { expr, negated, low, high } => between(dialect, expr, *negated, low, high),
        Expr::Like { negated, expr, pattern, .. } => {
            format!("({} {}LIKE {})", s(expr), if *negated { "NOT " } else { "" }, s(pattern))
        }
        Expr::Cast { kind: sqlparser::ast::CastKind::DoubleColon, expr: inner, data_type, .. }
            if stored_cast(inner, data_type) =>
        {
            s(inner)
        }
        Expr::Cast { kind, expr, data_type, .. } => format!("(CAST[{kind:?}] {} AS {data_type})", s(expr)),
        Expr::Collate { expr, collation } => format!("({} COLLATE {collation})", s(expr)),
        Expr::AtTimeZone { timestamp, time_zone } => format!("({} AT TIME ZONE {})", s(timestamp), s(time_zone)),
        Expr::Case { operand, conditions, else_result, .. } => {
            let mut text = format!("(CASE {}", operand.as_deref().map(s).unwrap_or_default());
            for when in conditions {
                text.push_str(&format!(" WHEN {} THEN {}", s(&when.condition), s(&when.result)));
            }
            if let Some(e) = else_result {
                text.push_str(&format!(" ELSE {}", s(e)));
            }
            text + " END)"
        }
        Expr::Function(function) => {
            let args = match &function.args {
                FunctionArguments::List(list) => list
                    .args
                    .iter()
                    .map(|a| match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => s(e),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            format!("{}({args})", function.name.to_string().to_lowercase())
        }
        other => format!("?{other}"),
    }
}

/// A cast PostgreSQL writes on its own: a number to a numeric type, a string literal to any type,
/// a name or literal to text.
fn stored_cast(inner: &Expr, data_type: &sqlparser::ast::DataType) -> bool {
    let ty = data_type.to_string().to_lowercase();
    let number = matches!(strip(inner), Expr::Value(v) if matches!(v.value, sqlparser::ast::Value::Number(..)));
    let string =
        matches!(strip(inner), Expr::Value(v) if matches!(v.value, sqlparser::ast::Value::SingleQuotedString(_)));
    let plain = matches!(strip(inner), Expr::Value(_) | Expr::Identifier(_) | Expr::CompoundIdentifier(_));
    let numeric = ["numeric", "decimal", "integer", "int", "bigint", "smallint", "real", "double precision"]
        .iter()
        .any(|t| ty.split('(').next().is_some_and(|base| base.trim() == *t));
    (number && numeric)
        || string
        || (plain && matches!(ty.as_str(), "text" | "character varying" | "varchar" | "bpchar"))
}

fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(inner) => strip(inner),
        other => other,
    }
}

fn in_list(dialect: Dialect, expr: &Expr, list: &[Expr], negated: bool) -> String {
    let items: Vec<String> = list.iter().map(|e| shape(dialect, e)).collect();
    format!("({} {}IN ({}))", shape(dialect, expr), if negated { "NOT " } else { "" }, items.join(", "))
}

fn between(dialect: Dialect, expr: &Expr, negated: bool, low: &Expr, high: &Expr) -> String {
    let (x, low, high) = (shape(dialect, expr), shape(dialect, low), shape(dialect, high));
    if negated {
        format!("(({x} < {low}) OR ({x} > {high}))")
    } else {
        format!("(({x} >= {low}) AND ({x} <= {high}))")
    }
}

/// The property for one expression's text: its canonical text parses back to the same tree
/// and prints the same again.
fn same_meaning(dialect: Dialect, sql: &str) -> Result<(), String> {
    let source = parse(dialect, sql)?;
    let canonical = normalize::expr(dialect, &source);
    let reread = parse(dialect, &canonical).map_err(|e| format!("canonical text does not parse: {e}"))?;
    let (before, after) = (shape(dialect, &source), shape(dialect, &reread));
    if before != after {
        return Err(format!("`{sql}` printed as `{canonical}` means another thing:\n  {before}\n  {after}"));
    }
    let again = normalize::expr(dialect, &reread);
    if again != canonical {
        return Err(format!("`{sql}`: `{canonical}` is not a fixed point (prints as `{again}`)"));
    }
    Ok(())
}

/// A generated expression as SQL, every compound operand in parentheses so that the intended
/// tree is the parsed one.
fn expression(dialect: Dialect) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("\"Mixed\"".to_string()),
        (0i32..100).prop_map(|n| n.to_string()),
        Just("2.50".to_string()),
        Just("'x'".to_string()),
        Just("'it''s'".to_string()),
        Just("NULL".to_string()),
        Just("TRUE".to_string()),
    ];
    let leaf = if dialect == Dialect::Mysql { leaf.prop_map(|l| l.replace('"', "`")).boxed() } else { leaf.boxed() };
    leaf.prop_recursive(4, 24, 3, move |inner| {
        let p = |e: String| format!("({e})");
        let mut options: Vec<BoxedStrategy<String>> = vec![
            (
                inner.clone(),
                prop::sample::select(vec!["=", "<>", "<", ">=", "AND", "OR", "+", "-", "*", "/"]),
                inner.clone(),
            )
                .prop_map(move |(l, op, r)| format!("{} {op} {}", p(l), p(r)))
                .boxed(),
            inner.clone().prop_map(move |e| format!("NOT {}", p(e))).boxed(),
            inner.clone().prop_map(move |e| format!("-{}", p(e))).boxed(),
            (inner.clone(), any::<bool>())
                .prop_map(move |(e, not)| format!("{} IS {}NULL", p(e), if not { "NOT " } else { "" }))
                .boxed(),
            (inner.clone(), inner.clone(), inner.clone(), any::<bool>())
                .prop_map(move |(e, l, h, not)| {
                    format!("{} {}BETWEEN {} AND {}", p(e), if not { "NOT " } else { "" }, p(l), p(h))
                })
                .boxed(),
            (inner.clone(), any::<bool>())
                .prop_map(move |(e, not)| format!("{} {}LIKE 'a%'", p(e), if not { "NOT " } else { "" }))
                .boxed(),
            (inner.clone(), prop::collection::vec(inner.clone(), 1..3), any::<bool>())
                .prop_map(move |(e, list, not)| {
                    let list: Vec<String> = list.into_iter().map(p).collect();
                    format!("{} {}IN ({})", p(e), if not { "NOT " } else { "" }, list.join(", "))
                })
                .boxed(),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(move |(c, t, e)| format!("CASE WHEN {} THEN {} ELSE {} END", p(c), p(t), p(e)))
                .boxed(),
            (inner.clone(), inner.clone()).prop_map(move |(a, b)| format!("coalesce({a}, {b})")).boxed(),
            inner.clone().prop_map(move |e| format!("CAST({e} AS INTEGER)")).boxed(),
        ];
        if dialect != Dialect::Mysql {
            options
                .push((inner.clone(), inner.clone()).prop_map(move |(a, b)| format!("{} || {}", p(a), p(b))).boxed());
            options.push(
                (inner.clone(), inner.clone())
                    .prop_map(move |(a, b)| format!("{} IS DISTINCT FROM {}", p(a), p(b)))
                    .boxed(),
            );
        }
        if dialect == Dialect::Postgres {
            options.push(inner.clone().prop_map(move |e| format!("{}::integer", p(e))).boxed());
            options.push(inner.clone().prop_map(move |e| format!("{} -> 'k'", p(e))).boxed());
            options.push(inner.clone().prop_map(move |e| format!("{} ->> 'k'", p(e))).boxed());
            options.push(inner.clone().prop_map(move |e| format!("{} AT TIME ZONE 'UTC'", p(e))).boxed());
            options.push(inner.clone().prop_map(move |e| format!("{} COLLATE \"C\"", p(e))).boxed());
        }
        prop::strategy::Union::new(options)
    })
}

fn cases() -> u32 {
    std::env::var("STRATA_EXPRESSION_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000)
}

fn generated_expressions_keep_their_meaning(dialect: Dialect) {
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let result = runner.run(&expression(dialect), |sql| {
        let outcome = same_meaning(dialect, &sql);
        prop_assert!(outcome.is_ok(), "{dialect}: {}", outcome.unwrap_err());
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!("{dialect}: {} generated expressions keep their meaning in print", cases());
}

#[test]
fn generated_expressions_keep_their_meaning_on_sqlite() {
    generated_expressions_keep_their_meaning(Dialect::Sqlite);
}

#[test]
fn generated_expressions_keep_their_meaning_on_postgres() {
    generated_expressions_keep_their_meaning(Dialect::Postgres);
}

#[test]
fn generated_expressions_keep_their_meaning_on_mysql() {
    generated_expressions_keep_their_meaning(Dialect::Mysql);
}

/// Every expression the model holds for a corpus file, as the model prints it, parses back to
/// itself: checks, defaults, generated columns, index keys and predicates, domain checks.
#[test]
fn every_expression_of_the_corpus_keeps_its_meaning() {
    let mut files: Vec<(Dialect, String, String)> = Vec::new();
    for (dialect, file) in [
        (Dialect::Sqlite, "chinook.sqlite.sql"),
        (Dialect::Postgres, "chinook.postgres.sql"),
        (Dialect::Mysql, "chinook.mysql.sql"),
        (Dialect::Postgres, "pagila.postgres.sql"),
    ] {
        let Some(sql) = util::corpus::read(file) else { return };
        files.push((dialect, file.to_string(), sql));
    }
    for (dialect, folder) in [
        (Dialect::Postgres, "temporal-postgres"),
        (Dialect::Postgres, "temporal-visibility-postgres"),
        (Dialect::Mysql, "temporal-mysql"),
    ] {
        let Some(states) = util::corpus::history(folder) else { return };
        files.extend(states.into_iter().map(|(v, sql)| (dialect, format!("{folder}/v{v}"), sql)));
    }
    let (mut checked, mut failures) = (0, Vec::new());
    for (dialect, file, sql) in &files {
        let schema = util::closed_loop::declared(*dialect, sql).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut texts: Vec<String> = Vec::new();
        for table in schema.tables.values() {
            texts.extend(table.checks.iter().map(|c| c.expr.clone()));
            for column in &table.columns {
                texts.extend(column.default.iter().cloned());
                texts.extend(column.generated.iter().map(|g| g.expr.clone()));
            }
            for index in &table.indexes {
                texts.extend(index.predicate.iter().cloned());
                let key = |part: &String| part.trim_end_matches(" DESC").to_string();
                texts.extend(
                    index.columns.iter().map(key).filter(|k| !k.chars().all(|c| c.is_alphanumeric() || c == '_')),
                );
            }
        }
        for domain in schema.domains.values() {
            texts.extend(domain.checks.iter().map(|c| c.expr.clone()));
            texts.extend(domain.default.iter().cloned());
        }
        for text in texts {
            checked += 1;
            if let Err(e) = same_meaning(*dialect, &text) {
                failures.push(format!("{file}: {e}"));
            }
        }
    }
    eprintln!("{checked} expressions of {} corpus files keep their meaning in print", files.len());
    assert!(checked > 300, "only {checked} expressions found in the corpus");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
