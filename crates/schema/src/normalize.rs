//! One canonical spelling for types and expressions, so that the model compares meaning and not
//! text: `int4` and `INTEGER`, `'x'::text` and `'x'`, `CHECK ((a > 0))` and `CHECK (a > 0)`,
//! `x = ANY (ARRAY['a', 'b'])` and `x IN ('a', 'b')` are the same thing. Both the project's files
//! and an engine's catalog go through here.

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget, ObjectName,
    UnaryOperator, Value,
};

use strata_core::Dialect;

/// A column type in the dialect's canonical spelling, and whether it implies an auto-increment
/// (PostgreSQL's `serial` family).
pub fn data_type(dialect: Dialect, data_type: &DataType) -> (String, bool) {
    // A type of the tenant's own schema (`public.mood`, as pg_dump writes it) is the tenant's.
    if let DataType::Custom(name, modifiers) = data_type {
        let own = dialect.default_schema().is_some_and(|schema| {
            name.0.len() == 2 && name.0[0].as_ident().is_some_and(|i| i.value.eq_ignore_ascii_case(schema))
        });
        if own {
            let unqualified = DataType::Custom(ObjectName(vec![name.0[1].clone()]), modifiers.clone());
            return data_type_of(dialect, &unqualified);
        }
    }
    data_type_of(dialect, data_type)
}

fn data_type_of(dialect: Dialect, data_type: &DataType) -> (String, bool) {
    let text = data_type.to_string();
    match dialect {
        Dialect::Sqlite => (text.to_uppercase(), false),
        Dialect::Postgres => postgres_type(&text),
        Dialect::Mysql => (mysql_type(&text), false),
    }
}

/// MySQL's spelling as `SHOW CREATE TABLE` gives it, less integer display widths (which MariaDB
/// still prints and MySQL 8 dropped); `tinyint(1)` stays, it is how booleans are stored.
fn mysql_type(text: &str) -> String {
    let lower = text.to_lowercase();
    let (base, rest) = match lower.find('(') {
        Some(at) => (lower[..at].trim().to_string(), lower[at..].to_string()),
        None => (lower.trim().to_string(), String::new()),
    };
    let (params, suffix) = match rest.find(')') {
        Some(end) => (rest[..=end].replace(' ', ""), rest[end + 1..].to_string()),
        None => (rest, String::new()),
    };
    match base.as_str() {
        "bool" | "boolean" => "tinyint(1)".to_string(),
        "tinyint" if params == "(1)" => format!("tinyint(1){suffix}"),
        "integer" | "int" | "tinyint" | "smallint" | "mediumint" | "bigint" => {
            let name = if base == "integer" { "int" } else { base.as_str() };
            format!("{name}{suffix}")
        }
        "dec" | "numeric" | "fixed" => format!("decimal{params}{suffix}"),
        "double precision" | "real" => format!("double{params}{suffix}"),
        "character varying" => format!("varchar{params}{suffix}"),
        _ => format!("{base}{params}{suffix}"),
    }
}

/// `'2022-04-01 01:00:00+01'` -> `'2022-04-01 00:00:00+00'`: a timestamp literal with a UTC offset,
/// as PostgreSQL prints partition bounds in the session's time zone, is compared in UTC. Any other
/// text is returned as it is.
pub fn timestamp_in_utc(text: &str) -> String {
    fn convert(inner: &str) -> Option<String> {
        let (date, rest) = inner.split_once(' ')?;
        let sign_at = rest.rfind(['+', '-'])?;
        let (time, offset) = rest.split_at(sign_at);
        let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
        let (y, m, day) = (d.next()??, d.next()??, d.next()??);
        let (clock, fraction) = time.split_once('.').map_or((time, ""), |(c, f)| (c, f));
        let mut t = clock.split(':').map(|p| p.parse::<i64>().ok());
        let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let mut o = offset[1..].split(':').map(|p| p.parse::<i64>().ok());
        let (oh, om) = (o.next()??, o.next().flatten().unwrap_or(0));
        // Days from the civil date (Howard Hinnant's algorithm), seconds, minus the offset.
        let (yy, mp) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
        let era = yy.div_euclid(400);
        let yoe = yy - era * 400;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let total = days * 86_400 + hh * 3600 + mm * 60 + ss - sign * (oh * 3600 + om * 60);
        let (days, secs) = (total.div_euclid(86_400), total.rem_euclid(86_400));
        let era = days.div_euclid(146_097);
        let doe = days - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let fraction = if fraction.is_empty() { String::new() } else { format!(".{fraction}") };
        Some(format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}{fraction}+00",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        ))
    }
    text.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .and_then(convert)
        .map(|utc| format!("'{utc}'"))
        .unwrap_or_else(|| text.to_string())
}

/// `nvarchar(n)` -> `varchar(n)`, `nchar(n)` -> `char(n)` (the character set is the caller's to
/// record); `None` for any other type.
pub fn mysql_national(data_type: &str) -> Option<String> {
    for (national, plain) in
        [("nvarchar", "varchar"), ("national varchar", "varchar"), ("nchar", "char"), ("national char", "char")]
    {
        if let Some(rest) = data_type.strip_prefix(national).filter(|r| r.is_empty() || r.starts_with('(')) {
            return Some(format!("{plain}{rest}"));
        }
    }
    None
}

/// PostgreSQL's own spelling, the one `format_type()` reports.
fn postgres_type(text: &str) -> (String, bool) {
    let upper = text.to_uppercase();
    let (base, rest) = match upper.find(['(', '[']) {
        Some(at) => (upper[..at].trim(), upper[at..].replace(' ', "")),
        None => (upper.trim(), String::new()),
    };
    let (name, serial) = match base {
        "INT" | "INTEGER" | "INT4" => ("integer", false),
        "BIGINT" | "INT8" => ("bigint", false),
        "SMALLINT" | "INT2" => ("smallint", false),
        "SERIAL" | "SERIAL4" => ("integer", true),
        "BIGSERIAL" | "SERIAL8" => ("bigint", true),
        "SMALLSERIAL" | "SERIAL2" => ("smallint", true),
        "BOOL" | "BOOLEAN" => ("boolean", false),
        "VARCHAR" | "CHARACTER VARYING" => ("character varying", false),
        "CHAR" | "CHARACTER" | "BPCHAR" => ("character", false),
        "TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE" => ("timestamp without time zone", false),
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => ("timestamp with time zone", false),
        "TIME" | "TIME WITHOUT TIME ZONE" => ("time without time zone", false),
        "TIMETZ" | "TIME WITH TIME ZONE" => ("time with time zone", false),
        "DOUBLE PRECISION" | "FLOAT8" | "DOUBLE" => ("double precision", false),
        "REAL" | "FLOAT4" => ("real", false),
        "DECIMAL" | "NUMERIC" => ("numeric", false),
        other => return (format!("{}{}", other.to_lowercase(), rest.to_lowercase()), false),
    };
    // `char` alone means character(1), as format_type() says.
    let rest = if name == "character" && rest.is_empty() { "(1)".to_string() } else { rest };
    (format!("{name}{}", rest.to_lowercase()), serial)
}

/// An expression as canonical text: redundant parentheses and literal casts to text removed,
/// every binary operation parenthesised once (so precedence never depends on spelling),
/// `= ANY (ARRAY[...])` written as `IN (...)`, names quoted only where the dialect needs it.
pub fn expr(dialect: Dialect, expr: &Expr) -> String {
    Canonical { dialect, qualifiers: &[] }.top(expr)
}

/// [`expr`] inside a query whose only table may be named by `qualifiers` (its name and alias):
/// `t.col` is then just `col`, as engines that qualify every column print it for one table.
pub fn expr_in(dialect: Dialect, expr: &Expr, qualifiers: &[String]) -> String {
    Canonical { dialect, qualifiers }.top(expr)
}

struct Canonical<'q> {
    dialect: Dialect,
    qualifiers: &'q [String],
}

impl Canonical<'_> {
    /// At the top, outer parentheses add nothing.
    fn top(&self, expr: &Expr) -> String {
        self.bare(self.strip(expr))
    }

    /// An expression as an operand: wrapped in parentheses unless it is atomic, so that the
    /// printed text parses back to the same tree whatever the operators' precedence.
    fn text(&self, expr: &Expr) -> String {
        let expr = self.strip(expr);
        let text = self.bare(expr);
        if is_atomic(expr) || is_signed_number(&text) {
            text
        } else {
            format!("({text})")
        }
    }

    /// What stands for the same value: parentheses, a double negation, and the casts engines add
    /// on their own (`'x'::text`, `'ok'::mood`, `(0)::numeric`, `(col)::text`).
    fn strip<'e>(&self, expr: &'e Expr) -> &'e Expr {
        match expr {
            Expr::Nested(inner) => self.strip(inner),
            // NOT NOT x is x, NULL included.
            Expr::UnaryOp { op: UnaryOperator::Not, expr: inner } => match self.strip(inner) {
                Expr::UnaryOp { op: UnaryOperator::Not, expr: twice } => self.strip(twice),
                _ => expr,
            },
            Expr::Cast { kind: CastKind::DoubleColon, expr: inner, data_type, .. } => {
                let bare = strip_nested(inner);
                let dropped = (is_text_cast(data_type)
                    && matches!(bare, Expr::Value(_) | Expr::Identifier(_) | Expr::CompoundIdentifier(_)))
                    || is_string(bare)
                    || (is_numeric_cast(data_type) && is_number(bare));
                if dropped {
                    self.strip(inner)
                } else {
                    expr
                }
            }
            other => other,
        }
    }

    /// The expression's own text, its operands in [`Canonical::text`].
    fn bare(&self, expr: &Expr) -> String {
        match expr {
            Expr::Nested(inner) => self.bare(self.strip(inner)),
            Expr::BinaryOp { left, op, right } => format!("{} {op} {}", self.text(left), self.text(right)),
            Expr::UnaryOp { op: op @ (UnaryOperator::Minus | UnaryOperator::Plus), expr } => {
                // `--` would start a comment: a signed operand keeps its parentheses.
                match self.text(expr) {
                    signed if signed.starts_with(['-', '+']) => format!("{op}({signed})"),
                    operand => format!("{op}{operand}"),
                }
            }
            // `NOT (x IN (...))` is `x NOT IN (...)`, as engines print it (and IS NULL, BETWEEN).
            Expr::UnaryOp { op: UnaryOperator::Not, expr: inner } => match self.strip(inner) {
                inner if in_list_of(inner).is_some() => {
                    let (expr, list, negated) = in_list_of(inner).expect("matched just above");
                    self.in_list(expr, list, !negated)
                }
                Expr::IsNull(inner) => format!("{} IS NOT NULL", self.text(inner)),
                Expr::IsNotNull(inner) => format!("{} IS NULL", self.text(inner)),
                Expr::Between { expr, negated, low, high } => self.between(expr, !negated, low, high),
                _ => format!("NOT {}", self.text(inner)),
            },
            Expr::UnaryOp { op, expr } => format!("{op} {}", self.text(expr)),
            Expr::Identifier(ident) => self.dialect.ident(&self.dialect.normalize_ident(ident)),
            Expr::CompoundIdentifier(parts) => {
                let names: Vec<String> = parts.iter().map(|p| self.dialect.normalize_ident(p)).collect();
                match names.as_slice() {
                    [qualifier, column] if self.qualifiers.contains(qualifier) => self.dialect.ident(column),
                    _ => names.iter().map(|n| self.dialect.ident(n)).collect::<Vec<_>>().join("."),
                }
            }
            Expr::IsNull(inner) => format!("{} IS NULL", self.text(inner)),
            Expr::IsNotNull(inner) => format!("{} IS NOT NULL", self.text(inner)),
            in_list if in_list_of(in_list).is_some() => {
                let (expr, list, negated) = in_list_of(in_list).expect("matched just above");
                self.in_list(expr, list, negated)
            }
            Expr::Between { expr, negated, low, high } => self.between(expr, *negated, low, high),
            Expr::Function(function) if self.is_current_timestamp(function) => "CURRENT_TIMESTAMP".to_string(),
            Expr::Function(function) => self.call(expr, function),
            Expr::Value(value) => match &value.value {
                // MySQL stores booleans as tinyint and reports 1/0.
                Value::Boolean(b) if self.dialect == Dialect::Mysql => if *b { "1" } else { "0" }.to_string(),
                Value::Boolean(b) => b.to_string(),
                // 0.00 and 0 are the same default; engines print the column's scale.
                Value::Number(n, _) if n.contains('.') => n.trim_end_matches('0').trim_end_matches('.').to_string(),
                // Printed by strata: `E'a\\b'` is the value `a\b`, which the catalog prints as
                // `'a\b'`, and sqlparser misprints a value holding quotes (see `display`).
                other => crate::display::literal(self.dialect, other).unwrap_or_else(|| other.to_string()),
            },
            other => crate::display::exact(self.dialect, other),
        }
    }

    /// A function call: arguments canonical, the name as the engine keeps it (unqualified when
    /// it is the tenant's own schema, MySQL's synonyms as one).
    fn call(&self, expr: &Expr, function: &sqlparser::ast::Function) -> String {
        let FunctionArguments::List(list) = &function.args else { return expr.to_string() };
        // Shapes not rebuilt here keep sqlparser's whole text: never drop a part of the call.
        if list.duplicate_treatment.is_some()
            || !list.clauses.is_empty()
            || function.over.is_some()
            || function.null_treatment.is_some()
            || !function.within_group.is_empty()
            || !matches!(function.parameters, FunctionArguments::None)
        {
            return expr.to_string();
        }
        let mut args = Vec::with_capacity(list.args.len());
        for arg in &list.args {
            match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => args.push(self.top(e)),
                other => args.push(other.to_string()),
            }
        }
        // A function of the tenant's own schema (`public.f(...)`, as pg_dump writes it).
        let parts = &function.name.0;
        let own = parts.len() == 2
            && self
                .dialect
                .default_schema()
                .is_some_and(|schema| parts[0].as_ident().is_some_and(|i| i.value.eq_ignore_ascii_case(schema)));
        // MySQL's backquotes change nothing in a function's name (`\`email\`(50)` is a
        // key prefix as SHOW CREATE TABLE writes it); elsewhere a quoted name stays quoted
        // (pg_dump's `"substring"(...)` is a call, bare `substring(...)` another syntax).
        let spelled = |part: &sqlparser::ast::ObjectNamePart| match part.as_ident() {
            Some(ident) if self.dialect == Dialect::Mysql => ident.value.clone(),
            _ => part.to_string(),
        };
        let name = if own { spelled(&parts[1]) } else { parts.iter().map(spelled).collect::<Vec<_>>().join(".") }
            .to_lowercase();
        // MySQL's synonyms as one (MariaDB stores UPPER as ucase).
        let name = match (self.dialect, name.as_str()) {
            (Dialect::Mysql, "ucase") => "upper".to_string(),
            (Dialect::Mysql, "lcase") => "lower".to_string(),
            _ => name,
        };
        // A sequence of the tenant's own schema: `nextval('public.s')` is `nextval('s')`.
        if matches!(name.as_str(), "nextval" | "currval" | "setval") {
            if let (Some(first), Some(schema)) = (args.first_mut(), self.dialect.default_schema()) {
                *first = first.replacen(&format!("'{schema}."), "'", 1);
            }
        }
        // An aggregate's FILTER is part of its meaning (pagila's actor_info has one).
        let filter = function.filter.as_ref().map(|f| format!(" FILTER (WHERE {})", self.top(f))).unwrap_or_default();
        format!("{name}({}){filter}", args.join(", "))
    }

    /// `CURRENT_TIMESTAMP`, `current_timestamp()`, and on MySQL `now()`, are one thing.
    fn is_current_timestamp(&self, function: &sqlparser::ast::Function) -> bool {
        let name = function.name.to_string().to_uppercase();
        let no_args = match &function.args {
            FunctionArguments::None => true,
            FunctionArguments::List(list) => list.args.is_empty(),
            FunctionArguments::Subquery(_) => false,
        };
        no_args && (name == "CURRENT_TIMESTAMP" || (self.dialect == Dialect::Mysql && name == "NOW"))
    }

    /// PostgreSQL stores `x BETWEEN a AND b` as `(x >= a) AND (x <= b)`: so does the model.
    fn between(&self, expr: &Expr, negated: bool, low: &Expr, high: &Expr) -> String {
        let (x, low, high) = (self.text(expr), self.text(low), self.text(high));
        if negated {
            format!("({x} < {low}) OR ({x} > {high})")
        } else {
            format!("({x} >= {low}) AND ({x} <= {high})")
        }
    }

    fn in_list(&self, expr: &Expr, list: &[Expr], negated: bool) -> String {
        let items: Vec<String> = list.iter().map(|e| self.top(e)).collect();
        format!("{} {}IN ({})", self.text(expr), if negated { "NOT " } else { "" }, items.join(", "))
    }
}

/// `x IN (a, b)` as PostgreSQL stores it too: `x = ANY (ARRAY[a, b])`, `x <> ALL (ARRAY[a, b])`.
fn in_list_of(expr: &Expr) -> Option<(&Expr, &[Expr], bool)> {
    match expr {
        Expr::In { expr, target: InTarget::List(list), negated, global: false } => Some((expr, list, *negated)),
        Expr::AnyOp { left, compare_op: BinaryOperator::Eq, right, .. } => match strip_nested(right) {
            Expr::Array(array) => Some((left, &array.elem, false)),
            _ => None,
        },
        Expr::AllOp { left, compare_op: BinaryOperator::NotEq, right } => match strip_nested(right) {
            Expr::Array(array) => Some((left, &array.elem, true)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether an expression prints as one unit that no operator around it can split: a name, a
/// literal, a function call, a parenthesised list.
fn is_atomic(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Identifier(_)
            | Expr::CompoundIdentifier(_)
            | Expr::Value(_)
            | Expr::Function(_)
            | Expr::Nested(_)
            | Expr::Array(_)
            | Expr::Tuple(_)
            | Expr::Subquery(_)
            | Expr::Case { .. }
    )
}

/// `-1`, `+2.5`: a number with its sign, which stands as one operand.
fn is_signed_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.chars().next().is_some_and(|c| c.is_ascii_digit()) && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Whether canonical expression text is a plain literal (a string, number, NULL or boolean),
/// which every engine accepts as a default without parentheses.
pub fn is_literal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    text.starts_with('\'')
        || (!unsigned.is_empty() && unsigned.chars().all(|c| c.is_ascii_digit() || c == '.'))
        || matches!(text.to_ascii_uppercase().as_str(), "NULL" | "TRUE" | "FALSE")
}

fn strip_nested(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(inner) => strip_nested(inner),
        other => other,
    }
}

fn is_string(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v) if matches!(v.value, Value::SingleQuotedString(_) | Value::EscapedStringLiteral(_)))
}

fn is_number(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v) if matches!(v.value, Value::Number(..)))
        || matches!(expr, Expr::UnaryOp { op: UnaryOperator::Minus, expr } if is_number(expr))
}

fn is_numeric_cast(data_type: &DataType) -> bool {
    let name = data_type.to_string().to_lowercase();
    let base = name.split('(').next().unwrap_or_default().trim();
    matches!(base, "numeric" | "decimal" | "integer" | "int" | "bigint" | "smallint" | "real" | "double precision")
}

/// Casts PostgreSQL adds on its own when it stores text-typed literals and columns.
fn is_text_cast(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_))
        || matches!(data_type.to_string().to_lowercase().as_str(), "text" | "character varying" | "bpchar")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::parser::Parser;

    fn canonical(dialect: Dialect, sql: &str) -> String {
        let parser_dialect = dialect.parser();
        let expr = Parser::new(parser_dialect.as_ref()).try_with_sql(sql).unwrap().parse_expr().unwrap();
        expr_text(dialect, &expr)
    }

    fn expr_text(dialect: Dialect, e: &Expr) -> String {
        expr(dialect, e)
    }

    #[test]
    fn postgres_catalog_spelling_equals_the_declared_one() {
        let pg = Dialect::Postgres;
        assert_eq!(canonical(pg, "((amount > 0))"), canonical(pg, "amount > 0"));
        assert_eq!(canonical(pg, "'active'::text"), "'active'");
        assert_eq!(
            canonical(pg, "(status = ANY (ARRAY['a'::text, 'b'::text]))"),
            canonical(pg, "status IN ('a', 'b')")
        );
        assert_eq!(canonical(pg, "((a > 0) AND (b IS NULL))"), "(a > 0) AND (b IS NULL)");
        assert_eq!(
            canonical(pg, "(status = 'proxy') = (proxy_for IS NOT NULL)"),
            "(status = 'proxy') = (proxy_for IS NOT NULL)",
            "a comparison of comparisons keeps its meaning"
        );
        assert_eq!(canonical(pg, "a > 0 AND b > 0 OR c"), "((a > 0) AND (b > 0)) OR c");
        assert_eq!(canonical(pg, "(a > 0) AND ((b > 0) OR c)"), "(a > 0) AND ((b > 0) OR c)");
        assert_eq!(canonical(pg, "lower((email)::text)"), "lower(email)");
        assert_eq!(canonical(pg, "(c0 >= (0)::numeric)"), "c0 >= 0");
        assert_eq!(canonical(pg, "nextval('s'::regclass)"), "nextval('s')");
        assert_eq!(canonical(pg, "'ok'::mood"), "'ok'");
        assert_eq!(canonical(pg, "x::integer"), "x::INTEGER", "a cast of a column is meaning, not spelling");
        assert_eq!(canonical(pg, "LOWER(Email)"), "lower(email)");
        assert_eq!(canonical(pg, "TRUE"), "true");
        assert_eq!(canonical(pg, "public.convert_ts((x)::character varying)"), "convert_ts(x)");
        assert_eq!(canonical(pg, "(id <> ALL (ARRAY[13, 666]))"), "id NOT IN (13, 666)");
        assert_eq!(canonical(pg, "NOT (id IN (13, 666))"), "id NOT IN (13, 666)");
        assert_eq!(canonical(pg, "NOT (a IS NULL)"), "a IS NOT NULL");
        assert_eq!(canonical(pg, "id BETWEEN 0 AND 9"), canonical(pg, "((id >= 0) AND (id <= 9))"));
        assert_eq!(canonical(pg, "-1"), "-1");
        assert_eq!(canonical(pg, "-(-1)"), "-(-1)", "`--1` would be a comment");
        assert_eq!(canonical(pg, "NOT (NOT (a IN (1)))"), "a IN (1)");
        assert_eq!(canonical(pg, "0.00"), "0");
        assert_eq!(canonical(pg, "1.50"), "1.5");
        assert_eq!(canonical(pg, "current_timestamp()"), canonical(pg, "CURRENT_TIMESTAMP"));
        assert_eq!(canonical(Dialect::Mysql, "now()"), "CURRENT_TIMESTAMP");
        assert_eq!(canonical(Dialect::Mysql, "TRUE"), "1");
        assert_eq!(canonical(Dialect::Mysql, "ucase(`name`)"), canonical(Dialect::Mysql, "UPPER(name)"));
        assert_eq!(canonical(Dialect::Mysql, "`email`(50)"), "email(50)");
        assert!(is_literal("'x'") && is_literal("-1.5") && is_literal("true") && is_literal("NULL"));
        assert!(!is_literal("now()") && !is_literal("CURRENT_TIMESTAMP") && !is_literal("(1 + 2)"));
    }

    #[test]
    fn no_part_of_a_call_is_dropped() {
        let pg = Dialect::Postgres;
        // The catalog's spelling and the declared one agree, and the FILTER stays.
        let declared = canonical(pg, "count(x) FILTER (WHERE x > 1)");
        assert_eq!(declared, "count(x) FILTER (WHERE x > 1)");
        assert_eq!(canonical(pg, "count(x) FILTER (WHERE (x > 1))"), declared);
        for (call, part) in [
            ("percentile_cont(0.5) WITHIN GROUP (ORDER BY x)", "WITHIN GROUP (ORDER BY x)"),
            ("count(DISTINCT x)", "DISTINCT x"),
            ("sum(x) OVER (PARTITION BY y)", "OVER (PARTITION BY y)"),
        ] {
            assert!(canonical(pg, call).contains(part), "{call} -> {}", canonical(pg, call));
        }
    }

    #[test]
    fn mysql_types_drop_display_widths_but_keep_booleans() {
        let t = |s: &str| {
            let parser_dialect = Dialect::Mysql.parser();
            let dt = Parser::new(parser_dialect.as_ref()).try_with_sql(s).unwrap().parse_data_type().unwrap();
            data_type(Dialect::Mysql, &dt).0
        };
        assert_eq!(t("int(11)"), "int");
        assert_eq!(t("INTEGER"), "int");
        assert_eq!(t("bigint(20)"), "bigint");
        assert_eq!(t("BOOLEAN"), "tinyint(1)");
        assert_eq!(t("tinyint(1)"), "tinyint(1)");
        assert_eq!(t("VARCHAR(100)"), "varchar(100)");
        assert_eq!(t("DECIMAL(10, 2)"), "decimal(10,2)");
        assert_eq!(t("int unsigned"), "int unsigned");
        assert_eq!(mysql_national(&t("NVARCHAR(160)")).as_deref(), Some("varchar(160)"));
        assert_eq!(mysql_national(&t("NCHAR(2)")).as_deref(), Some("char(2)"));
        assert_eq!(mysql_national("varchar(2)"), None);
    }

    #[test]
    fn timestamps_with_offsets_compare_in_utc() {
        assert_eq!(timestamp_in_utc("'2022-04-01 01:00:00+01'"), "'2022-04-01 00:00:00+00'");
        assert_eq!(timestamp_in_utc("'2023-01-01 00:30:00+01'"), "'2022-12-31 23:30:00+00'");
        assert_eq!(timestamp_in_utc("'2024-02-28 22:00:00-03'"), "'2024-02-29 01:00:00+00'");
        assert_eq!(timestamp_in_utc("'2022-01-01 00:00:00+00'"), "'2022-01-01 00:00:00+00'");
        assert_eq!(timestamp_in_utc("'not a time'"), "'not a time'");
        assert_eq!(timestamp_in_utc("42"), "42");
    }

    #[test]
    fn postgres_types_use_format_type_spelling() {
        let t = |s: &str| {
            let parser_dialect = Dialect::Postgres.parser();
            let dt = Parser::new(parser_dialect.as_ref()).try_with_sql(s).unwrap().parse_data_type().unwrap();
            data_type(Dialect::Postgres, &dt)
        };
        assert_eq!(t("int4"), ("integer".into(), false));
        assert_eq!(t("INT"), ("integer".into(), false));
        assert_eq!(t("serial"), ("integer".into(), true));
        assert_eq!(t("VARCHAR(64)"), ("character varying(64)".into(), false));
        assert_eq!(t("timestamptz"), ("timestamp with time zone".into(), false));
        assert_eq!(t("TIMESTAMP"), ("timestamp without time zone".into(), false));
        assert_eq!(t("numeric(10, 2)"), ("numeric(10,2)".into(), false));
        assert_eq!(t("char"), ("character(1)".into(), false));
        assert_eq!(t("bool"), ("boolean".into(), false));
    }
}
