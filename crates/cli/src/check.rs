//! `strata check` and `strata resolve`: everything that needs no database.

use std::io::Write;

use super::{io, print_json, table, Context};
use crate::{Error, ExitStatus};
use strata_project::project::Project;
use strata_project::resolve::solver::Resolver;
use strata_project::resolve::{self, Resolution};
use strata_project::source::WorkTree;

#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// Only this tenant.
    #[arg(long)]
    pub tenant: Option<String>,
}

/// Loads the work tree's project and resolves every tenant (or one), failing on the first problem.
fn resolve_all(context: &Context, only: Option<&str>) -> Result<Vec<Resolution>, Error> {
    let project = Project::load(&WorkTree::new(&context.repo))?;
    // Orders all templates and modules once: a requires cycle is found even if no tenant uses it.
    resolve::order_layers(&project, project.packages().map(|p| p.id.clone()))?;
    if let Some(id) = only {
        if !project.tenants.contains_key(id) {
            return Err(Error::Usage(format!("unknown tenant '{id}' (no tenants/{id}/tenant.yaml)")));
        }
    }
    let resolver = Resolver::of(&project);
    let mut resolutions = Vec::new();
    for id in project.tenants.keys().filter(|id| only.is_none_or(|o| o == id.as_str())) {
        resolutions.push(resolve::resolve_tenant_with(&project, &resolver, id)?);
    }
    Ok(resolutions)
}

/// Exit 0 when every tenant resolves, 3 when some have no valid layer set (each one reported),
/// 1 when the repository itself cannot be read.
pub fn check(context: &Context, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let report = strata_ops::check::check(&context.repo)?;
    let (project, problems) = (&report.project, &report.problems);
    let code = if report.passed() { ExitStatus::Ok } else { ExitStatus::Difference };
    if context.json {
        let json = CheckJson {
            format_version: 1,
            passed: report.passed(),
            templates: project.templates.len(),
            modules: project.modules.len(),
            tenants: project.tenants.len(),
            unresolved_tenants: report.unresolved_tenants,
            environments: project.environments.len(),
            problems,
        };
        print_json(out, &json)?;
        return Ok(code);
    }
    for problem in problems {
        writeln!(out, "error: {problem}").map_err(io)?;
    }
    if !report.passed() {
        let tenants = project.tenants.len();
        writeln!(
            out,
            "{}; {} of {} resolve",
            strata_core::count(problems.len(), "problem"),
            tenants - report.unresolved_tenants,
            strata_core::count(tenants, "tenant")
        )
        .map_err(io)?;
        return Ok(code);
    }
    if !context.quiet {
        writeln!(
            out,
            "ok: {}, {}, {} resolved, {}",
            strata_core::count(project.templates.len(), "template"),
            strata_core::count(project.modules.len(), "module"),
            strata_core::count(project.tenants.len(), "tenant"),
            strata_core::count(project.environments.len(), "environment")
        )
        .map_err(io)?;
    }
    Ok(ExitStatus::Ok)
}

/// `strata --json check` (docs/json.md).
#[derive(serde::Serialize)]
struct CheckJson<'r> {
    format_version: u32,
    passed: bool,
    templates: usize,
    modules: usize,
    tenants: usize,
    unresolved_tenants: usize,
    environments: usize,
    problems: &'r [String],
}

#[derive(serde::Serialize)]
struct LayerJson {
    layer: String,
    version: Option<String>,
    reason: String,
}

pub fn resolve(context: &Context, args: &ResolveArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let resolutions = resolve_all(context, args.tenant.as_deref())?;
    let layers_of = |r: &Resolution| -> Vec<LayerJson> {
        r.layers
            .iter()
            .map(|l| LayerJson {
                layer: l.to_string(),
                version: r.versions.get(l).map(ToString::to_string),
                reason: r.reasons.get(l).cloned().unwrap_or_default(),
            })
            .collect()
    };
    if context.json {
        let tenants: std::collections::BTreeMap<&str, Vec<LayerJson>> =
            resolutions.iter().map(|r| (r.tenant.as_str(), layers_of(r))).collect();
        print_json(out, &serde_json::json!({ "format_version": 1, "tenants": tenants }))?;
        return Ok(ExitStatus::Ok);
    }
    for (i, resolution) in resolutions.iter().enumerate() {
        if i > 0 {
            writeln!(out).map_err(io)?;
        }
        writeln!(out, "tenant {}:", resolution.tenant).map_err(io)?;
        let rows: Vec<Vec<String>> = layers_of(resolution)
            .into_iter()
            .map(|l| vec![format!("  {}", l.layer), l.version.unwrap_or_else(|| "-".into()), l.reason])
            .collect();
        table(out, &["  LAYER", "VERSION", "WHY"], &rows)?;
    }
    Ok(ExitStatus::Ok)
}
