//! A strata schema repository as data: its files (from the work tree or a git commit), its
//! manifests, which layers each tenant is made of (`resolve`), and the schema those layers compose
//! to (`compose`). It reads; it never touches a database.

pub mod bounded_render;
pub mod compose;
pub mod git;
pub mod placement;
pub mod project;
pub mod resolve;
pub mod seal;
pub mod source;
pub mod template_limits;
