//! Names of templates, modules, tenants and environments reach SQL, paths and shells, so they are
//! checked once, at load time, against one strict pattern (DESIGN §1).

use std::fmt;

/// `^[a-z][a-z0-9_-]{0,62}$`
///
/// ```
/// assert!(strata_project::project::is_valid_name("legacy-donations"));
/// assert!(!strata_project::project::is_valid_name("Robert'); DROP TABLE students;--"));
/// ```
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() => {}
        _ => return false,
    }
    name.len() <= 63 && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Which kind of owner a layer is. The derived order is the DESIGN §2 tie-break: template < module < tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LayerKind {
    Template,
    Module,
    Tenant,
}

impl LayerKind {
    pub fn prefix(self) -> &'static str {
        match self {
            LayerKind::Template => "template",
            LayerKind::Module => "module",
            LayerKind::Tenant => "tenant",
        }
    }

    /// Folder under `migrations/` holding this kind's layers.
    pub fn folder(self) -> &'static str {
        match self {
            LayerKind::Template => "templates",
            LayerKind::Module => "modules",
            LayerKind::Tenant => "tenants",
        }
    }
}

/// One owner of SQL: `template.party`, `module.donations`, `tenant.nrna`.
/// Ordered by (kind, name), the tie-break of every topological sort.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LayerId {
    pub kind: LayerKind,
    pub name: String,
}

impl LayerId {
    pub fn template(name: &str) -> Self {
        Self { kind: LayerKind::Template, name: name.to_string() }
    }
    pub fn module(name: &str) -> Self {
        Self { kind: LayerKind::Module, name: name.to_string() }
    }
    pub fn tenant(name: &str) -> Self {
        Self { kind: LayerKind::Tenant, name: name.to_string() }
    }

    /// Parses `template.party` / `module.donations` / `tenant.nrna`.
    pub fn parse(text: &str) -> Option<Self> {
        let (prefix, name) = text.split_once('.')?;
        let kind = match prefix {
            "template" => LayerKind::Template,
            "module" => LayerKind::Module,
            "tenant" => LayerKind::Tenant,
            _ => return None,
        };
        is_valid_name(name).then(|| Self { kind, name: name.to_string() })
    }

    /// `migrations/<kind>/<name>`
    pub fn migrations_dir(&self) -> String {
        format!("migrations/{}/{}", self.kind.folder(), self.name)
    }
}

impl fmt::Display for LayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind.prefix(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_pattern() {
        for ok in ["a", "nrna", "legacy-donations", "tenant_01", &"a".repeat(63)] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "1abc", "Abc", "a b", "a.b", "a/b", "../x", "a;drop", &"a".repeat(64)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn layer_ids_order_by_kind_then_name() {
        let mut ids = [LayerId::tenant("a"), LayerId::module("b"), LayerId::template("z"), LayerId::module("a")];
        ids.sort();
        let shown: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["template.z", "module.a", "module.b", "tenant.a"]);
        assert_eq!(LayerId::parse("module.donations"), Some(LayerId::module("donations")));
        assert_eq!(LayerId::parse("module.Bad"), None);
        assert_eq!(LayerId::parse("schema.x"), None);
    }
}
