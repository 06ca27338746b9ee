//! The dialect-neutral schema model and what is done with it: built from SQL, compared, hashed.

mod alter;
pub mod compare;
pub mod diff;
pub mod extra;
pub mod hash;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod routine;
pub mod view;

pub use diff::{diff, diff_with_renames, Change, Renames, TableChange};
pub use model::*;
