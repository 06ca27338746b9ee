//! strata's use cases as library functions over the lower layers: the checks that need no
//! database, the pending plan, the PR gate
//! (`verify`), and the fleet operations (`rollout`: apply, status, drift, rollback, repair).
//! They return typed results; rendering them is the command line's job.

pub mod check;
pub mod commit;
pub mod commit_journal;
pub mod inspect;
pub mod new_migration;
pub mod place;
pub mod plan;
pub mod rerender;
pub mod reserved;
pub mod rollout;
pub mod seeds;
pub mod snapshot;
pub mod verify;
pub mod work_tree;

/// Every failure the library reports, by area. Each message names the file (and line) it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Project(#[from] strata_project::project::ProjectError),
    #[error(transparent)]
    Resolve(#[from] strata_project::resolve::ResolveError),
    #[error(transparent)]
    Compose(#[from] strata_project::compose::ComposeError),
    #[error(transparent)]
    Migration(#[from] strata_migrations::MigrationError),
    #[error(transparent)]
    Generate(#[from] strata_migrations::generate::GenerateError),
    #[error(transparent)]
    Git(#[from] strata_project::git::GitError),
    #[error(transparent)]
    Db(#[from] strata_db::DbError),
    #[error(transparent)]
    Source(#[from] strata_project::source::SourceError),
    /// The command line asked for something that does not exist (a tenant, an environment).
    #[error("{0}")]
    Usage(String),
    /// The project's own policy refuses the work (lint errors at `commit`): nothing was written.
    #[error("{0}")]
    Policy(String),
    /// A file of strata's own (the last rollout, a report) could not be read or written.
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// JSON of strata's own could not be read back (a damaged last-rollout file) or written.
    #[error("{what}: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// Output could not be written (the terminal, a pipe).
    #[error("{0}")]
    Output(#[source] std::io::Error),
    /// A report template of strata's own failed to render; the engine's error is the source.
    #[error("{name}: {source:?}")]
    Report {
        name: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A file strata writes whole ([`strata_core::atomic_file::write_atomic`]) names its path as any
/// other file of strata's own does.
impl From<strata_core::atomic_file::WriteError> for Error {
    fn from(e: strata_core::atomic_file::WriteError) -> Self {
        Error::File { path: e.path.display().to_string(), source: e.source }
    }
}
