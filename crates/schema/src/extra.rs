//! Statements the engines accept, strata's planners or pg_dump write, and sqlparser cannot read:
//! read here with sqlparser's own primitives (names, types, expressions), so that every statement
//! strata writes is one strata reads (DESIGN §7, the closed loop).
//!
//! - `ALTER TABLE` whose clauses include `ALTER COLUMN c TYPE t COLLATE x [USING e]`,
//!   `DROP EXPRESSION`, `SET GENERATED ...`, `DROP IDENTITY`, `ADD GENERATED ... AS IDENTITY
//!   (SEQUENCE NAME ...)` (PostgreSQL), or `RENAME INDEX a TO b`, `COMMENT = '...'` (MySQL): each
//!   clause is read on its own, by sqlparser where it can;
//! - `ALTER SEQUENCE` (options, `OWNED BY`), `ALTER DOMAIN`, `DROP AGGREGATE`, `ALTER INDEX ...
//!   ATTACH PARTITION`, `CREATE` / `DROP STATISTICS` (PostgreSQL).

use sqlparser::ast::{AlterTableOperation, DataType, Expr, Ident, ObjectName, SequenceOptions, Statement as Ast};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::model::Identity;
use strata_core::Dialect;

/// A statement read here rather than by sqlparser.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    AlterTable {
        name: ObjectName,
        clauses: Vec<Clause>,
    },
    AlterSequence {
        name: ObjectName,
        if_exists: bool,
        options: Vec<SequenceOptions>,
        owned_by: Option<OwnedBy>,
    },
    AlterDomain {
        name: ObjectName,
        action: Box<DomainAction>,
    },
    DropAggregate {
        name: ObjectName,
        types: Vec<DataType>,
        if_exists: bool,
    },
    /// `ALTER INDEX parent ATTACH PARTITION child`: pg_dump's way of building a partitioned
    /// index's tree.
    AttachIndex {
        parent: ObjectName,
        child: ObjectName,
    },
    /// `CREATE STATISTICS [IF NOT EXISTS] name [(kinds)] ON a, (expr) FROM table`.
    CreateStatistics {
        name: ObjectName,
        if_not_exists: bool,
        kinds: Vec<Ident>,
        columns: Vec<Expr>,
        table: ObjectName,
    },
    DropStatistics {
        names: Vec<ObjectName>,
        if_exists: bool,
    },
    /// `DROP INDEX CONCURRENTLY [IF EXISTS] name, ...` (PostgreSQL), which sqlparser does not read.
    DropIndexConcurrently {
        names: Vec<ObjectName>,
        if_exists: bool,
    },
    /// `DO $$ ... $$` (an anonymous procedural block): it runs as written in a hand-written
    /// migration and changes no object the model can see.
    Do,
}

/// `OWNED BY table.column` or `OWNED BY NONE`.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedBy {
    Column(ObjectName),
    None,
}

/// One clause of an `ALTER TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    Sql(AlterTableOperation),
    SetType {
        column: Ident,
        data_type: DataType,
        collation: Option<ObjectName>,
        using: Option<Expr>,
    },
    DropExpression {
        column: Ident,
    },
    SetGenerated {
        column: Ident,
        identity: Identity,
    },
    DropIdentity {
        column: Ident,
        if_exists: bool,
    },
    /// `ADD GENERATED ... AS IDENTITY (SEQUENCE NAME s START WITH 1 ...)`, pg_dump's spelling.
    AddIdentity {
        column: Ident,
        identity: Identity,
        sequence: Option<ObjectName>,
        options: Vec<SequenceOptions>,
    },
    RenameIndex {
        from: Ident,
        to: Ident,
    },
    /// MySQL's `COMMENT [=] '...'` table option.
    Comment(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DomainAction {
    SetDefault(Expr),
    DropDefault,
    AddCheck { name: Option<Ident>, expr: Expr },
    DropConstraint { name: Ident, if_exists: bool },
    RenameConstraint { from: Ident, to: Ident },
}

/// Reads one statement (its tokens, without the closing `;`), or `None` when it is none of the
/// forms read here.
pub fn parse(dialect: Dialect, tokens: &[TokenWithSpan]) -> Option<Statement> {
    let parser_dialect = dialect.parser();
    let mut parser = Parser::new(parser_dialect.as_ref()).with_tokens_with_locations(tokens.to_vec());
    let statement = statement(&mut parser).ok()?;
    (parser.peek_token().token == Token::EOF).then_some(statement)
}

fn statement(p: &mut Parser) -> Result<Statement, ParserError> {
    if p.parse_keywords(&[Keyword::DROP, Keyword::INDEX, Keyword::CONCURRENTLY]) {
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let names = p.parse_comma_separated(|p| p.parse_object_name(false))?;
        return Ok(Statement::DropIndexConcurrently { names, if_exists });
    }
    if p.parse_keyword(Keyword::DO) {
        while p.peek_token().token != Token::EOF {
            p.next_token();
        }
        return Ok(Statement::Do);
    }
    if p.parse_keywords(&[Keyword::ALTER, Keyword::TABLE]) {
        let _ = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let _ = p.parse_keyword(Keyword::ONLY);
        let name = p.parse_object_name(false)?;
        let clauses = p.parse_comma_separated(clause)?;
        return Ok(Statement::AlterTable { name, clauses });
    }
    if p.parse_keywords(&[Keyword::ALTER, Keyword::SEQUENCE]) {
        return alter_sequence(p);
    }
    if p.parse_keywords(&[Keyword::CREATE, Keyword::STATISTICS]) {
        let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
        let name = p.parse_object_name(false)?;
        let mut kinds = Vec::new();
        if p.consume_token(&Token::LParen) {
            kinds = p.parse_comma_separated(Parser::parse_identifier)?;
            p.expect_token(&Token::RParen)?;
        }
        p.expect_keyword(Keyword::ON)?;
        let columns = p.parse_comma_separated(Parser::parse_expr)?;
        p.expect_keyword(Keyword::FROM)?;
        let table = p.parse_object_name(false)?;
        return Ok(Statement::CreateStatistics { name, if_not_exists, kinds, columns, table });
    }
    if p.parse_keywords(&[Keyword::DROP, Keyword::STATISTICS]) {
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let names = p.parse_comma_separated(|p| p.parse_object_name(false))?;
        let _ = p.parse_one_of_keywords(&[Keyword::CASCADE, Keyword::RESTRICT]);
        return Ok(Statement::DropStatistics { names, if_exists });
    }
    if p.parse_keywords(&[Keyword::ALTER, Keyword::INDEX]) {
        let parent = p.parse_object_name(false)?;
        p.expect_keywords(&[Keyword::ATTACH, Keyword::PARTITION])?;
        return Ok(Statement::AttachIndex { parent, child: p.parse_object_name(false)? });
    }
    if p.parse_keywords(&[Keyword::ALTER, Keyword::DOMAIN]) {
        let name = p.parse_object_name(false)?;
        return Ok(Statement::AlterDomain { name, action: Box::new(domain_action(p)?) });
    }
    if p.parse_keywords(&[Keyword::DROP, Keyword::AGGREGATE]) {
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let name = p.parse_object_name(false)?;
        p.expect_token(&Token::LParen)?;
        let types = if p.consume_token(&Token::RParen) {
            Vec::new()
        } else {
            let types = p.parse_comma_separated(Parser::parse_data_type)?;
            p.expect_token(&Token::RParen)?;
            types
        };
        return Ok(Statement::DropAggregate { name, types, if_exists });
    }
    p.expected("a statement", p.peek_token())
}

fn clause(p: &mut Parser) -> Result<Clause, ParserError> {
    let start = p.index();
    if let Some(own) = own_clause(p)? {
        return Ok(own);
    }
    while p.index() > start {
        p.prev_token();
    }
    Ok(Clause::Sql(p.parse_alter_table_operation()?))
}

/// The clauses sqlparser does not read; `None` (having consumed anything) for the others.
fn own_clause(p: &mut Parser) -> Result<Option<Clause>, ParserError> {
    if p.parse_keywords(&[Keyword::RENAME, Keyword::INDEX]) || p.parse_keywords(&[Keyword::RENAME, Keyword::KEY]) {
        let from = p.parse_identifier()?;
        p.expect_keyword(Keyword::TO)?;
        return Ok(Some(Clause::RenameIndex { from, to: p.parse_identifier()? }));
    }
    if p.parse_keyword(Keyword::COMMENT) {
        let _ = p.consume_token(&Token::Eq);
        return Ok(Some(Clause::Comment(p.parse_literal_string()?)));
    }
    if !p.parse_keyword(Keyword::ALTER) {
        return Ok(None);
    }
    let _ = p.parse_keyword(Keyword::COLUMN);
    let column = p.parse_identifier()?;
    if p.parse_keywords(&[Keyword::SET, Keyword::DATA, Keyword::TYPE]) || p.parse_keyword(Keyword::TYPE) {
        let data_type = p.parse_data_type()?;
        let collation = if p.parse_keyword(Keyword::COLLATE) { Some(p.parse_object_name(false)?) } else { None };
        let using = if p.parse_keyword(Keyword::USING) { Some(p.parse_expr()?) } else { None };
        return Ok(Some(Clause::SetType { column, data_type, collation, using }));
    }
    if p.peek_keyword(Keyword::DROP) && word_at(p, 1, "EXPRESSION") {
        p.next_token();
        p.next_token();
        let _ = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        return Ok(Some(Clause::DropExpression { column }));
    }
    if p.parse_keywords(&[Keyword::DROP, Keyword::IDENTITY]) {
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        return Ok(Some(Clause::DropIdentity { column, if_exists }));
    }
    if p.parse_keywords(&[Keyword::SET, Keyword::GENERATED]) {
        return Ok(Some(Clause::SetGenerated { column, identity: identity_kind(p)? }));
    }
    if p.parse_keywords(&[Keyword::ADD, Keyword::GENERATED]) {
        let identity = identity_kind(p)?;
        p.expect_keywords(&[Keyword::AS, Keyword::IDENTITY])?;
        let (mut sequence, mut options) = (None, Vec::new());
        if p.consume_token(&Token::LParen) {
            if p.parse_keywords(&[Keyword::SEQUENCE, Keyword::NAME]) {
                sequence = Some(p.parse_object_name(false)?);
            }
            options = sequence_options(p, |p| p.peek_token().token == Token::RParen)?;
            p.expect_token(&Token::RParen)?;
        }
        return Ok(Some(Clause::AddIdentity { column, identity, sequence, options }));
    }
    Ok(None)
}

/// Whether the `n`th token ahead is the word `word` (one sqlparser has no keyword for).
fn word_at(p: &Parser, n: usize, word: &str) -> bool {
    matches!(p.peek_nth_token(n).token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

fn identity_kind(p: &mut Parser) -> Result<Identity, ParserError> {
    if p.parse_keyword(Keyword::ALWAYS) {
        Ok(Identity::Always)
    } else {
        p.expect_keywords(&[Keyword::BY, Keyword::DEFAULT])?;
        Ok(Identity::ByDefault)
    }
}

/// Sequence options up to where `stop` says (or the end), read as `CREATE SEQUENCE` reads them.
fn sequence_options(p: &mut Parser, stop: impl Fn(&Parser) -> bool) -> Result<Vec<SequenceOptions>, ParserError> {
    let mut tokens = vec![
        Token::make_keyword("CREATE"),
        Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
        Token::make_keyword("SEQUENCE"),
        Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
        Token::make_word("s", None),
    ];
    let mut depth = 0usize;
    loop {
        let next = p.peek_token().token;
        if next == Token::EOF || (depth == 0 && stop(p)) {
            break;
        }
        match next {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        tokens.push(Token::Whitespace(sqlparser::tokenizer::Whitespace::Space));
        tokens.push(p.next_token().token);
    }
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    match Parser::new(&dialect).with_tokens(tokens).parse_statement()? {
        Ast::CreateSequence { sequence_options, .. } => Ok(sequence_options),
        _ => Err(ParserError::ParserError("expected sequence options".to_string())),
    }
}

fn alter_sequence(p: &mut Parser) -> Result<Statement, ParserError> {
    let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let name = p.parse_object_name(false)?;
    let mut options = Vec::new();
    let mut owned_by = None;
    loop {
        if p.parse_keywords(&[Keyword::OWNED, Keyword::BY]) {
            owned_by = Some(if p.parse_keyword(Keyword::NONE) {
                OwnedBy::None
            } else {
                OwnedBy::Column(p.parse_object_name(false)?)
            });
            continue;
        }
        if p.peek_token().token == Token::EOF {
            break;
        }
        let before = options.len();
        options.extend(sequence_options(p, |p| p.peek_keyword(Keyword::OWNED))?);
        if options.len() == before && !p.peek_keyword(Keyword::OWNED) {
            return p.expected("a sequence option", p.peek_token());
        }
    }
    Ok(Statement::AlterSequence { name, if_exists, options, owned_by })
}

fn domain_action(p: &mut Parser) -> Result<DomainAction, ParserError> {
    if p.parse_keywords(&[Keyword::SET, Keyword::DEFAULT]) {
        return Ok(DomainAction::SetDefault(p.parse_expr()?));
    }
    if p.parse_keywords(&[Keyword::DROP, Keyword::DEFAULT]) {
        return Ok(DomainAction::DropDefault);
    }
    if p.parse_keywords(&[Keyword::DROP, Keyword::CONSTRAINT]) {
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let name = p.parse_identifier()?;
        let _ = p.parse_one_of_keywords(&[Keyword::CASCADE, Keyword::RESTRICT]);
        return Ok(DomainAction::DropConstraint { name, if_exists });
    }
    if p.parse_keywords(&[Keyword::RENAME, Keyword::CONSTRAINT]) {
        let from = p.parse_identifier()?;
        p.expect_keyword(Keyword::TO)?;
        return Ok(DomainAction::RenameConstraint { from, to: p.parse_identifier()? });
    }
    if p.parse_keyword(Keyword::ADD) {
        let name = if p.parse_keyword(Keyword::CONSTRAINT) { Some(p.parse_identifier()?) } else { None };
        p.expect_keyword(Keyword::CHECK)?;
        p.expect_token(&Token::LParen)?;
        let expr = p.parse_expr()?;
        p.expect_token(&Token::RParen)?;
        let _ = p.parse_keywords(&[Keyword::NOT, Keyword::VALID]);
        return Ok(DomainAction::AddCheck { name, expr });
    }
    p.expected("SET DEFAULT, DROP DEFAULT, ADD CHECK, DROP CONSTRAINT or RENAME CONSTRAINT", p.peek_token())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::tokenizer::Tokenizer;

    fn read(dialect: Dialect, sql: &str) -> Option<Statement> {
        let parser_dialect = dialect.parser();
        let tokens = Tokenizer::new(parser_dialect.as_ref(), sql).tokenize_with_location().unwrap();
        let tokens: Vec<TokenWithSpan> =
            tokens.into_iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
        parse(dialect, &tokens)
    }

    #[test]
    fn reads_the_clauses_sqlparser_cannot() {
        let pg = Dialect::Postgres;
        let Some(Statement::AlterTable { clauses, .. }) = read(
            pg,
            "ALTER TABLE t ALTER COLUMN a TYPE text COLLATE \"C\" USING a::text, ALTER COLUMN b DROP EXPRESSION",
        ) else {
            panic!("an ALTER TABLE")
        };
        assert!(matches!(&clauses[0], Clause::SetType { collation: Some(_), using: Some(_), .. }));
        assert!(matches!(&clauses[1], Clause::DropExpression { .. }));
        let Some(Statement::AlterTable { clauses, .. }) = read(
            pg,
            "ALTER TABLE public.t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME public.t_id_seq \
             START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1)",
        ) else {
            panic!("an ALTER TABLE")
        };
        assert!(matches!(&clauses[0], Clause::AddIdentity { sequence: Some(_), options, .. } if options.len() == 5));
        let Some(Statement::AlterTable { clauses, .. }) =
            read(Dialect::Mysql, "ALTER TABLE t DROP INDEX x, RENAME INDEX a TO b, ADD COLUMN c int")
        else {
            panic!("an ALTER TABLE")
        };
        assert!(matches!(&clauses[0], Clause::Sql(AlterTableOperation::DropIndex { .. })));
        assert!(matches!(&clauses[1], Clause::RenameIndex { .. }));
        assert!(matches!(&clauses[2], Clause::Sql(AlterTableOperation::AddColumn { .. })));
        let Some(Statement::AlterSequence { options, owned_by, .. }) =
            read(pg, "ALTER SEQUENCE public.s AS integer INCREMENT BY 2 OWNED BY public.t.id")
        else {
            panic!("an ALTER SEQUENCE")
        };
        assert_eq!(options.len(), 2);
        assert!(matches!(owned_by, Some(OwnedBy::Column(_))));
        let Some(Statement::AlterDomain { action, .. }) = read(pg, "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0)")
        else {
            panic!("an ALTER DOMAIN")
        };
        assert!(matches!(*action, DomainAction::AddCheck { .. }));
        assert!(
            matches!(read(pg, "DROP AGGREGATE a(text)"), Some(Statement::DropAggregate { types, .. }) if types.len() == 1)
        );
        assert_eq!(read(pg, "ALTER TABLE t FROBNICATE"), None);
    }
}
