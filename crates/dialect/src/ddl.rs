//! A small builder for the DDL statements the planners write: it takes names, not SQL, and quotes
//! them through the dialect, so that no statement can forget to quote an identifier, and every
//! statement ends the same way. Definitions that are already SQL (a column, a constraint, an
//! expression) are passed through as written by `sql.rs`.

use strata_core::Dialect;

/// `DROP <kind> <name>;`, e.g. `drop(d, "TABLE", "film")`.
pub fn drop(d: Dialect, kind: &str, name: &str) -> String {
    format!("DROP {kind} {};", d.ident(name))
}

/// `ALTER TABLE <table>` followed by one or more clauses.
pub struct AlterTable {
    dialect: Dialect,
    table: String,
    clauses: Vec<String>,
}

impl AlterTable {
    pub fn new(dialect: Dialect, table: &str) -> Self {
        Self { dialect, table: dialect.ident(table), clauses: Vec::new() }
    }

    /// `ADD COLUMN <definition>`.
    pub fn add_column(&mut self, definition: &str) -> &mut Self {
        self.clause(format!("ADD COLUMN {definition}"))
    }

    pub fn drop_column(&mut self, column: &str) -> &mut Self {
        let clause = format!("DROP COLUMN {}", self.dialect.ident(column));
        self.clause(clause)
    }

    /// `ADD <constraint definition>`.
    pub fn add(&mut self, constraint: &str) -> &mut Self {
        self.clause(format!("ADD {constraint}"))
    }

    pub fn drop_constraint(&mut self, name: &str) -> &mut Self {
        let clause = format!("DROP CONSTRAINT {}", self.dialect.ident(name));
        self.clause(clause)
    }

    /// MySQL drops a foreign key by its own keyword.
    pub fn drop_foreign_key(&mut self, name: &str) -> &mut Self {
        let clause = format!("DROP FOREIGN KEY {}", self.dialect.ident(name));
        self.clause(clause)
    }

    pub fn drop_index(&mut self, name: &str) -> &mut Self {
        let clause = format!("DROP INDEX {}", self.dialect.ident(name));
        self.clause(clause)
    }

    /// `ALTER COLUMN <column> <action>`, e.g. `DROP DEFAULT`.
    pub fn alter_column(&mut self, column: &str, action: &str) -> &mut Self {
        let clause = format!("ALTER COLUMN {} {action}", self.dialect.ident(column));
        self.clause(clause)
    }

    /// MySQL: `RENAME INDEX <from> TO <to>` (PostgreSQL renames an index with `ALTER INDEX`).
    pub fn rename_index(&mut self, from: &str, to: &str) -> &mut Self {
        let clause = format!("RENAME INDEX {} TO {}", self.dialect.ident(from), self.dialect.ident(to));
        self.clause(clause)
    }

    pub fn rename_to(&mut self, name: &str) -> &mut Self {
        let clause = format!("RENAME TO {}", self.dialect.ident(name));
        self.clause(clause)
    }

    pub fn rename_column(&mut self, from: &str, to: &str) -> &mut Self {
        let clause = format!("RENAME COLUMN {} TO {}", self.dialect.ident(from), self.dialect.ident(to));
        self.clause(clause)
    }

    pub fn rename_constraint(&mut self, from: &str, to: &str) -> &mut Self {
        let clause = format!("RENAME CONSTRAINT {} TO {}", self.dialect.ident(from), self.dialect.ident(to));
        self.clause(clause)
    }

    /// PostgreSQL: `ATTACH PARTITION <table> <bound>`, the bound as the catalog prints it.
    pub fn attach_partition(&mut self, table: &str, bound: &str) -> &mut Self {
        let clause = format!("ATTACH PARTITION {} {bound}", self.dialect.ident(table));
        self.clause(clause)
    }

    pub fn detach_partition(&mut self, table: &str) -> &mut Self {
        let clause = format!("DETACH PARTITION {}", self.dialect.ident(table));
        self.clause(clause)
    }

    /// A clause that is already SQL (MySQL's `MODIFY COLUMN ...`, `COMMENT = ...`).
    pub fn clause(&mut self, clause: String) -> &mut Self {
        self.clauses.push(clause);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The statement on one line: `ALTER TABLE t ADD COLUMN c integer;`.
    pub fn statement(&self) -> String {
        format!("ALTER TABLE {} {};", self.table, self.clauses.join(", "))
    }

    /// One statement per clause, each on its line: for a step whose clauses must run in order.
    pub fn statements(&self) -> String {
        let one = |clause: &String| format!("ALTER TABLE {} {clause};", self.table);
        self.clauses.iter().map(one).collect::<Vec<_>>().join("\n")
    }

    /// The statement with one clause per line, as MySQL plans print their combined alterations.
    pub fn block(&self) -> String {
        format!("ALTER TABLE {}\n  {};", self.table, self.clauses.join(",\n  "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_by_the_dialect_and_definitions_pass_through() {
        let pg = AlterTable::new(Dialect::Postgres, "Order").add_column("note text").statement();
        assert_eq!(pg, r#"ALTER TABLE "Order" ADD COLUMN note text;"#);
        let my = AlterTable::new(Dialect::Mysql, "order").drop_foreign_key("fk").drop_column("select").block();
        assert_eq!(my, "ALTER TABLE `order`\n  DROP FOREIGN KEY fk,\n  DROP COLUMN `select`;");
        let each = AlterTable::new(Dialect::Postgres, "t").drop_column("c").add_column("c integer").statements();
        assert_eq!(each, "ALTER TABLE t DROP COLUMN c;\nALTER TABLE t ADD COLUMN c integer;");
        assert_eq!(drop(Dialect::Sqlite, "INDEX", "a b"), r#"DROP INDEX "a b";"#);
    }
}
