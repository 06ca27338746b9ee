//! strata: database schemas of multi-tenant applications as code in git.
//!
//! The library is the product; `src/main.rs` only parses arguments and maps errors to exit codes.
//! Model (`schema`), SQL generation (`dialect`), migration files (`migrations`) and execution
//! (`db`, `rollout`) are kept apart.

// Errors are the cold path of a CLI and carry file names and context; their size does not matter.
#![allow(clippy::result_large_err)]

pub mod catalog;
pub mod cli;
pub mod compose;
pub mod db;
pub mod dialect;
pub mod git;
pub mod migrations;
pub mod project;
pub mod resolve;
pub mod rollout;
pub mod schema;
pub mod source;
pub mod verify;

/// Every failure the library reports, by area. Each message names the file (and line) it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Project(#[from] project::ProjectError),
    #[error(transparent)]
    Resolve(#[from] resolve::ResolveError),
    #[error(transparent)]
    Compose(#[from] compose::ComposeError),
    #[error(transparent)]
    Migration(#[from] migrations::MigrationError),
    #[error(transparent)]
    Generate(#[from] migrations::generate::GenerateError),
    #[error(transparent)]
    Git(#[from] git::GitError),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    Source(#[from] source::SourceError),
    /// The command line asked for something that does not exist (a tenant, an environment).
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
}

/// Process exit codes (DESIGN §7).
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const DIFFERENCE: u8 = 3;
    pub const ROLLOUT_FAILED: u8 = 4;
}
