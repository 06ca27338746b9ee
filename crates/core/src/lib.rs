//! The vocabulary every layer of strata shares and nothing else: the engines ([`Dialect`]),
//! their reserved words, the deterministic graph order, connection-URL handling, and files written
//! whole or not at all. It knows no
//! schema, project or database.

pub mod atomic_file;
pub mod dialect;

/// `1 tenant`, `3 tenants`: a count with its noun, in the singular where it is one.
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// What a tenant value renders to when SQL is rendered for every tenant at once (`commit`,
/// `check`): `__strata_var__tenant.id__`. A name holding one has no length or spelling yet; it is
/// checked when rendered for a tenant.
pub const SYMBOL_PREFIX: &str = "__strata_var__";

pub mod duration;
pub mod keywords;
pub mod order;
pub mod url;

pub use dialect::Dialect;
