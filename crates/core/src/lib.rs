//! The vocabulary every layer of strata shares and nothing else: the engines ([`Dialect`]),
//! their reserved words, the deterministic graph order, and connection-URL handling. It knows no
//! schema, project or database.

pub mod dialect;
pub mod duration;
pub mod keywords;
pub mod order;
pub mod url;

pub use dialect::Dialect;
