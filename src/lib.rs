//! strata: database schemas of multi-tenant applications as code in git.
//!
//! This crate is the library face of the workspace: each layer is its own crate (see the README's
//! "Architecture"), re-exported here under the module names the library has always had. The
//! `strata` binary (`src/main.rs`) is a thin shell over `strata-cli`.

pub use strata_core::Dialect;
pub use strata_db as db;
pub use strata_dialect as dialect;
pub use strata_migrations as migrations;
pub use strata_ops::{plan, rollout, verify, Error};
pub use strata_project::{compose, git, project, resolve, source};
pub use strata_schema as schema;
