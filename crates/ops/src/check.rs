//! `strata check`: everything that can be known without a database — the manifests load, no
//! requires cycle, every tenant resolves, every migration folder matches its sum, releases are
//! consistent. `verify` runs the same checks first, through the same functions.

use std::path::Path;

use strata_migrations::generate::load_all;
use strata_migrations::releases::inconsistencies;
use strata_project::project::Project;
use strata_project::resolve::solver::Resolver;
use strata_project::resolve::{order_layers, resolve_tenant_with};
use strata_project::source::WorkTree;

use crate::Error;

/// What `check` found in the work tree.
#[derive(Debug)]
pub struct CheckReport {
    pub project: Project,
    /// Every problem, each naming its file.
    pub problems: Vec<String>,
    /// How many tenants have no valid layer set.
    pub unresolved_tenants: usize,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the work tree of `repo_dir`; a repository that cannot be read at all is an error.
pub fn check(repo_dir: &Path) -> Result<CheckReport, Error> {
    let source = WorkTree::new(repo_dir);
    let project = Project::load(&source)?;
    let mut problems = cycles(&project);
    // Migrations are read (and their sums checked) for the release consistency check.
    let migrations = load_all(&project, &source)?;
    problems.extend(inconsistencies(&project, &migrations).iter().map(ToString::to_string));
    let unresolved = unresolved(&project);
    let unresolved_tenants = unresolved.len();
    problems.extend(unresolved);
    Ok(CheckReport { project, problems, unresolved_tenants })
}

/// A requires cycle among all templates and modules, found even if no tenant uses them.
pub fn cycles(project: &Project) -> Vec<String> {
    order_layers(project, project.packages().map(|p| p.id.clone())).err().map(|e| e.to_string()).into_iter().collect()
}

/// Why each tenant that does not resolve does not.
pub fn unresolved(project: &Project) -> Vec<String> {
    let resolver = Resolver::of(project);
    project
        .tenants
        .keys()
        .filter_map(|id| resolve_tenant_with(project, &resolver, id).err().map(|e| e.to_string()))
        .collect()
}
