//! The dialect-neutral schema model and what is done with it: built from SQL, compared, diffed,
//! hashed. It knows no engine beyond the [`Engine`] rules trait it defines and the shared
//! vocabulary of `strata-core`; SQL generation and live inspection live in `strata-dialect`.

pub mod compare;
pub mod diff;
pub mod display;
pub mod engine;
pub mod extra;
pub mod hash;
pub mod interpret;
pub mod model;
pub mod names;
pub mod normalize;
pub mod parse;
pub mod routine;
pub mod view;

pub use diff::{diff, diff_with_renames, Change, Renames, TableChange};
pub use engine::Engine;
pub use model::*;
pub use strata_core::Dialect;
