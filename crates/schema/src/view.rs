//! A view's query as canonical text. Engines give a view back rewritten: PostgreSQL qualifies
//! every column with its table and adds casts, MariaDB adds `AS` aliases, backquotes and
//! parentheses around joins. The query is reduced to one spelling: canonical expressions, no
//! qualifier where the query reads one table, no alias that repeats the column's name, a view's
//! column list written as the aliases it means. A shape not understood keeps sqlparser's text.

use sqlparser::ast::{
    GroupByExpr, Ident, Join, JoinConstraint, JoinOperator, Query, SelectItem, SetExpr, TableFactor, TableWithJoins,
};

use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::normalize;
use strata_core::Dialect;

pub fn canonical_query(dialect: Dialect, query: &Query, columns: &[Ident]) -> String {
    let query = &unqualified(dialect, query);
    let SetExpr::Select(select) = query.body.as_ref() else { return crate::display::exact(dialect, query) };
    if query.with.is_some() || select.distinct.is_some() || select.top.is_some() || select.into.is_some() {
        return crate::display::exact(dialect, query);
    }
    let name = |i: &Ident| dialect.normalize_ident(i);
    let single_table = select.from.len() == 1 && select.from[0].joins.is_empty();
    let qualifiers: Vec<String> = match (single_table, select.from.first().map(|f| &f.relation)) {
        (true, Some(TableFactor::Table { name: table, alias, .. })) => {
            let mut q: Vec<String> = table.0.last().and_then(|p| p.as_ident()).map(name).into_iter().collect();
            q.extend(alias.as_ref().map(|a| name(&a.name)));
            q
        }
        _ => Vec::new(),
    };
    let expr = |e: &sqlparser::ast::Expr| normalize::expr_in(dialect, e, &qualifiers);
    let mut items = Vec::new();
    for (i, item) in select.projection.iter().enumerate() {
        let (text, alias) = match item {
            SelectItem::UnnamedExpr(e) => (expr(e), None),
            SelectItem::ExprWithAlias { expr: e, alias } => (expr(e), Some(name(alias))),
            other => (crate::display::exact(dialect, other), None),
        };
        // An alias repeating the column's own name (MariaDB writes `t.id AS id`) says nothing.
        let natural = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => match e {
                sqlparser::ast::Expr::Identifier(i) => Some(name(i)),
                sqlparser::ast::Expr::CompoundIdentifier(parts) => parts.last().map(name),
                _ => None,
            },
            _ => None,
        };
        let alias =
            columns.get(i).map(name).or(alias).filter(|a| Some(a) != natural.as_ref() && dialect.ident(a) != text);
        items.push(match alias {
            Some(alias) => format!("{text} AS {}", dialect.ident(&alias)),
            None => text,
        });
    }
    let mut from = Vec::new();
    for table in &select.from {
        match from_sql(dialect, table, &qualifiers) {
            Some(text) => from.push(text),
            None => return crate::display::exact(dialect, query),
        }
    }
    let mut sql = format!("SELECT {}", items.join(", "));
    if !from.is_empty() {
        sql.push_str(&format!(" FROM {}", from.join(", ")));
    }
    if let Some(selection) = &select.selection {
        sql.push_str(&format!(" WHERE {}", expr(selection)));
    }
    if let GroupByExpr::Expressions(exprs, modifiers) = &select.group_by {
        if !modifiers.is_empty() {
            return crate::display::exact(dialect, query);
        }
        if !exprs.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", exprs.iter().map(expr).collect::<Vec<_>>().join(", ")));
        }
    }
    if let Some(having) = &select.having {
        sql.push_str(&format!(" HAVING {}", expr(having)));
    }
    if let Some(order_by) = &query.order_by {
        sql.push_str(&format!(" {}", crate::display::exact(dialect, order_by)));
    }
    if let Some(limit) = &query.limit_clause {
        sql.push_str(&crate::display::exact(dialect, limit));
    }
    sql
}

/// The query with names of the tenant's own schema unqualified (`public.film`, as pg_dump writes
/// it, is the `film` the tenant's search path finds), however deep they are: the words
/// `<schema> .` are dropped from the query's tokens, which leaves string literals alone.
fn unqualified(dialect: Dialect, query: &Query) -> Query {
    let Some(schema) = dialect.default_schema() else { return query.clone() };
    let text = crate::display::exact(dialect, query);
    let parser_dialect = dialect.parser();
    let Ok(tokens) = Tokenizer::new(parser_dialect.as_ref(), &text).tokenize() else { return query.clone() };
    let mut kept: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let own = matches!(&tokens[i], Token::Word(w) if w.value.eq_ignore_ascii_case(schema))
            && matches!(tokens.get(i + 1), Some(Token::Period))
            && matches!(tokens.get(i + 2), Some(Token::Word(_)))
            && !matches!(kept.last(), Some(Token::Period));
        if own {
            i += 2;
            continue;
        }
        kept.push(tokens[i].clone());
        i += 1;
    }
    let rewritten: String = kept.iter().map(|t| crate::display::token(dialect, t)).collect();
    Parser::new(parser_dialect.as_ref())
        .try_with_sql(&rewritten)
        .and_then(|mut p| p.parse_query())
        .map(|q| *q)
        .unwrap_or_else(|_| query.clone())
}

fn from_sql(dialect: Dialect, table: &TableWithJoins, qualifiers: &[String]) -> Option<String> {
    let mut text = factor_sql(dialect, &table.relation, qualifiers)?;
    for join in &table.joins {
        text.push_str(&format!(" {}", join_sql(dialect, join, qualifiers)?));
    }
    Some(text)
}

fn factor_sql(dialect: Dialect, factor: &TableFactor, qualifiers: &[String]) -> Option<String> {
    match factor {
        TableFactor::Table { name, alias, args: None, with_hints, .. } if with_hints.is_empty() => {
            let table = dialect.normalize_ident(name.0.last()?.as_ident()?);
            let mut text = dialect.ident(&table);
            if let Some(alias) = alias.as_ref().filter(|a| a.columns.is_empty()) {
                let alias = dialect.normalize_ident(&alias.name);
                if alias != table {
                    text.push_str(&format!(" {}", dialect.ident(&alias)));
                }
            }
            Some(text)
        }
        // MariaDB wraps joins in parentheses.
        TableFactor::NestedJoin { table_with_joins, alias: None } => from_sql(dialect, table_with_joins, qualifiers),
        _ => None,
    }
}

fn join_sql(dialect: Dialect, join: &Join, qualifiers: &[String]) -> Option<String> {
    let relation = factor_sql(dialect, &join.relation, qualifiers)?;
    let (kind, constraint) = match &join.join_operator {
        JoinOperator::Join(c) | JoinOperator::Inner(c) => ("JOIN", c),
        JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => ("LEFT JOIN", c),
        JoinOperator::Right(c) | JoinOperator::RightOuter(c) => ("RIGHT JOIN", c),
        JoinOperator::FullOuter(c) => ("FULL JOIN", c),
        JoinOperator::CrossJoin(JoinConstraint::None) => return Some(format!("CROSS JOIN {relation}")),
        _ => return None,
    };
    match constraint {
        JoinConstraint::On(on) => Some(format!("{kind} {relation} ON {}", normalize::expr_in(dialect, on, qualifiers))),
        _ => None,
    }
}
