//! `strata plan [--tenant T] [--format text|markdown|json]`: what `commit` would write and which
//! tenants it reaches. The JSON shape is documented in docs/json.md and versioned by
//! `format_version`; the markdown is a pull-request comment.

use std::io::Write;

use serde::Serialize;

use super::{io, print_json, render_template, Context, Format};
use crate::{Error, ExitStatus};
use strata_migrations::lint::Finding;
use strata_migrations::releases::{NeedsVersion, NewVersionReason};
use strata_ops::plan::{changed_seeds_since_head, pending, PendingPlan};
use strata_ops::rerender::Rerendered;
use strata_ops::seeds::ChangedSeed;
use strata_project::project::Project;
use strata_project::source::WorkTree;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this tenant's group and the migrations it would receive.
    #[arg(long)]
    pub tenant: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

const MARKDOWN: &str = include_str!("templates/plan.md.tera");

/// The document every format renders: JSON as is, markdown through the template.
#[derive(Debug, Serialize)]
pub struct PlanJson {
    pub format_version: u32,
    pub project: String,
    pub dialect: String,
    pub summary: Summary,
    pub migrations: Vec<MigrationJson>,
    pub groups: Vec<GroupJson>,
    /// Session and ownership statements of the schema files that were ignored, by kind.
    pub ignored_statements: std::collections::BTreeMap<String, usize>,
    /// Layers whose change lands in a released version: `commit` refuses until it is bumped.
    pub needs_version: Vec<NeedsVersionJson>,
    /// Seed files changed since HEAD, and what `apply` does on tenants that ran them.
    pub changed_seeds: Vec<ChangedSeedJson>,
    /// Hand-written migrations (up files) not yet committed: `commit` records them as written.
    pub hand_written: Vec<String>,
    /// Tenants whose changed variables change their schema: the step `apply` converges them with.
    pub rerendered: Vec<RerenderedJson>,
}

#[derive(Debug, Serialize)]
pub struct RerenderedJson {
    pub tenant: String,
    pub file: String,
    /// The converging step's SQL as this tenant gets it (empty when refused).
    pub sql: String,
    pub hazards: Vec<String>,
    /// Why `apply` will refuse to converge it.
    pub refused: Option<String>,
}

impl RerenderedJson {
    fn new(dialect: strata_core::Dialect, found: &Rerendered) -> Self {
        let hazards: std::collections::BTreeSet<String> =
            found.steps.iter().flat_map(|s| &s.hazards).map(ToString::to_string).collect();
        RerenderedJson {
            tenant: found.tenant.clone(),
            file: found.file.clone(),
            sql: body(&strata_migrations::generate::body(dialect, &found.steps)),
            hazards: hazards.into_iter().collect(),
            refused: found.refused.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ChangedSeedJson {
    pub path: String,
    /// `rerun`, `keep`, or `null`: unmarked, refused by `verify` and by `apply` where it ran.
    pub mark: Option<&'static str>,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct NeedsVersionJson {
    pub layer: String,
    pub manifest: String,
    pub version: String,
    /// `migrations` (new migrations beyond the release) or `manifest` (other requires/conflicts).
    pub reason: &'static str,
    pub message: String,
}

impl NeedsVersionJson {
    fn new(needed: &NeedsVersion) -> Self {
        NeedsVersionJson {
            layer: needed.layer.to_string(),
            manifest: needed.path.clone(),
            version: needed.version.to_string(),
            reason: match needed.reason {
                NewVersionReason::Migrations { .. } => "migrations",
                NewVersionReason::Manifest => "manifest",
            },
            message: needed.to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub migrations: usize,
    pub layers: usize,
    pub tenants: usize,
    pub affected_tenants: usize,
    pub unaffected_tenants: usize,
    pub groups: usize,
    pub lint_errors: usize,
    pub lint_warnings: usize,
}

#[derive(Debug, Serialize)]
pub struct MigrationJson {
    pub id: String,
    pub layer: String,
    pub seq: u32,
    pub path: String,
    /// The statements, without the `-- strata:` header.
    pub up: String,
    /// `null` when the change has no automatic reverse (see `irreversible`).
    pub down: Option<String>,
    pub irreversible: Option<String>,
    pub hazards: Vec<String>,
    pub lint: Vec<Finding>,
    /// Runs statement by statement outside a transaction (online steps, `-- strata:no-transaction`);
    /// else in one transaction, whose locks wait at most the environment's `timeouts.lock`.
    pub no_transaction: bool,
}

#[derive(Debug, Serialize)]
pub struct GroupJson {
    pub label: String,
    pub tenants: Vec<String>,
    pub composition: Vec<LayerVersion>,
    pub migrations: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct LayerVersion {
    pub layer: String,
    pub version: Option<String>,
}

/// Text after the `-- strata:` header lines.
fn body(text: &str) -> String {
    let lines: Vec<&str> = text.lines().skip_while(|l| l.starts_with("-- strata:")).collect();
    lines.join("\n").trim().to_string()
}

fn irreversible(down: &str) -> Option<String> {
    down.lines().find_map(|l| l.strip_prefix("-- strata:irreversible ")).map(str::to_string)
}

impl PlanJson {
    pub fn new(project: &Project, plan: &PendingPlan, seeds: &[ChangedSeed], rerendered: &[Rerendered]) -> Self {
        let migrations: Vec<MigrationJson> = plan
            .migrations
            .iter()
            .map(|p| {
                let m = &p.migration;
                let why = m.down.as_deref().and_then(irreversible);
                MigrationJson {
                    id: m.id(),
                    layer: m.key.layer.to_string(),
                    seq: m.key.seq,
                    path: m.up_path.clone(),
                    up: body(&m.up),
                    down: m.down.as_deref().filter(|_| why.is_none()).map(body),
                    irreversible: why,
                    hazards: m.hazards.iter().map(ToString::to_string).collect(),
                    lint: p.findings.clone(),
                    no_transaction: m.directives.no_transaction,
                }
            })
            .collect();
        let groups: Vec<GroupJson> = plan
            .groups
            .iter()
            .map(|g| GroupJson {
                label: g.label(),
                tenants: g.tenants.clone(),
                composition: g
                    .composition
                    .iter()
                    .map(|(l, v)| LayerVersion { layer: l.to_string(), version: v.as_ref().map(ToString::to_string) })
                    .collect(),
                migrations: g.migrations.clone(),
            })
            .collect();
        let findings = || plan.migrations.iter().flat_map(|m| &m.findings);
        let layers: std::collections::BTreeSet<&String> = migrations.iter().map(|m| &m.layer).collect();
        let summary = Summary {
            migrations: migrations.len(),
            layers: layers.len(),
            tenants: plan.tenants,
            affected_tenants: plan.tenants - plan.unaffected,
            unaffected_tenants: plan.unaffected,
            groups: groups.len(),
            lint_errors: findings().filter(|f| f.is_error()).count(),
            lint_warnings: findings().filter(|f| f.is_warning()).count(),
        };
        PlanJson {
            format_version: 1,
            project: project.config.name.clone(),
            dialect: project.config.dialect.to_string(),
            summary,
            migrations,
            groups,
            // `lint.session_statements: allow` asks for no word about them.
            ignored_statements: if project.config.lint.session_statements == strata_project::project::LintLevel::Allow {
                Default::default()
            } else {
                strata_project::compose::ignored_session_statements(project)
            },
            needs_version: plan.needs_version.iter().map(NeedsVersionJson::new).collect(),
            changed_seeds: seeds
                .iter()
                .map(|seed| ChangedSeedJson {
                    path: seed.path.clone(),
                    mark: seed.mark.map(|m| m.as_str()),
                    message: seed.to_string(),
                })
                .collect(),
            hand_written: plan.hand_written.clone(),
            rerendered: rerendered.iter().map(|r| RerenderedJson::new(project.config.dialect, r)).collect(),
        }
    }
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let source = WorkTree::new(&context.repo);
    let project = Project::load(&source)?;
    let plan = pending(&project, &context.repo, args.tenant.as_deref())?;
    let rerendered = strata_ops::rerender::since(&project, &context.repo, "HEAD", args.tenant.as_deref());
    let json = PlanJson::new(&project, &plan, &changed_seeds_since_head(&context.repo)?, &rerendered);
    match context.format(args.format) {
        Format::Json => print_json(out, &json)?,
        Format::Markdown => write!(out, "{}", render_template("plan.md", MARKDOWN, &json)?).map_err(io)?,
        Format::Text => text(context, &json, out)?,
    }
    Ok(ExitStatus::Ok)
}

/// A verdict of the lint policy in words.
pub fn verdict(finding: &Finding) -> String {
    match (&finding.allowed, finding.level) {
        (Some(reason), _) => format!("{} allowed: {reason}", finding.hazard),
        (None, strata_project::project::LintLevel::Error) => {
            format!("{} is an error under lint.{}", finding.hazard, finding.hazard)
        }
        (None, strata_project::project::LintLevel::Warn) => {
            format!("{} is a warning under lint.{}", finding.hazard, finding.hazard)
        }
        (None, strata_project::project::LintLevel::Allow) => format!("{} (allowed by policy)", finding.hazard),
    }
}

fn text(context: &Context, plan: &PlanJson, out: &mut dyn Write) -> Result<(), Error> {
    let style = context.style;
    let s = &plan.summary;
    if let Some(line) = strata_project::compose::ignored_summary(&plan.ignored_statements).filter(|_| !context.quiet) {
        writeln!(out, "{}", style.dim(&line)).map_err(io)?;
    }
    for needed in &plan.needs_version {
        writeln!(out, "{}", style.yellow(&format!("needs a new version: {}", needed.message))).map_err(io)?;
    }
    for path in &plan.hand_written {
        writeln!(out, "hand-written, not yet committed: {path} (commit records it as written)").map_err(io)?;
    }
    for seed in &plan.changed_seeds {
        let line = format!("seed {}", seed.message);
        writeln!(out, "{}", if seed.mark.is_none() { style.red(&line) } else { style.yellow(&line) }).map_err(io)?;
    }
    for found in &plan.rerendered {
        match &found.refused {
            Some(why) => writeln!(out, "{}", style.red(&format!("changed variables: {why}"))).map_err(io)?,
            None => {
                writeln!(out, "changed variables: {}: apply converges the tenant's schema with", found.file)
                    .map_err(io)?;
                for line in found.sql.lines() {
                    writeln!(out, "  {line}").map_err(io)?;
                }
            }
        }
    }
    if plan.migrations.is_empty() {
        writeln!(out, "No changes: the declarative schema of {} matches its committed migrations.", plan.project)
            .map_err(io)?;
        return Ok(());
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    writeln!(
        out,
        "{} ({}): {} in {}, reaching {} of {} in {}",
        style.bold(&format!("Plan for {}", plan.project)),
        plan.dialect,
        plural(s.migrations, "migration"),
        plural(s.layers, "layer"),
        s.affected_tenants,
        plural(s.tenants, "tenant"),
        plural(s.groups, "group"),
    )
    .map_err(io)?;
    for m in &plan.migrations {
        writeln!(out).map_err(io)?;
        let hazards = if m.hazards.is_empty() {
            String::new()
        } else {
            format!("  {}", style.yellow(&format!("[{}]", m.hazards.join(", "))))
        };
        writeln!(out, "{}{hazards}", style.bold(&m.id)).map_err(io)?;
        writeln!(out, "  {}", style.dim(&m.path)).map_err(io)?;
        let runs = match (m.no_transaction, plan.dialect.as_str()) {
            (true, _) => "online: statement by statement, outside a transaction; writes go on",
            // SQLite's one writer waits for the database lock (`--lock-timeout`), not table locks.
            (false, "sqlite") => "in one transaction",
            (false, _) => "in one transaction; its locks wait at most the environment's timeouts.lock",
        };
        writeln!(out, "  {}", style.dim(runs)).map_err(io)?;
        writeln!(out, "  up:").map_err(io)?;
        for line in m.up.lines() {
            writeln!(out, "    {line}").map_err(io)?;
        }
        match (&m.down, &m.irreversible) {
            (_, Some(why)) => writeln!(out, "  down: {}", style.red(&format!("irreversible: {why}"))).map_err(io)?,
            (Some(down), None) => {
                writeln!(out, "  down:").map_err(io)?;
                for line in down.lines() {
                    writeln!(out, "    {line}").map_err(io)?;
                }
            }
            (None, None) => writeln!(out, "  down: none").map_err(io)?,
        }
        for finding in &m.lint {
            let text = verdict(finding);
            let painted = if finding.is_error() {
                style.red(&format!("error: {text}"))
            } else if finding.is_warning() {
                style.yellow(&format!("warning: {text}"))
            } else {
                format!("note: {text}")
            };
            writeln!(out, "  lint {painted}").map_err(io)?;
        }
        if m.lint.iter().any(Finding::is_error) {
            writeln!(out, "  {}", style.dim("after review: strata commit --allow '<hazard>=<reason>'")).map_err(io)?;
        }
    }
    writeln!(out).map_err(io)?;
    writeln!(out, "{}", style.bold("Tenants")).map_err(io)?;
    for group in &plan.groups {
        writeln!(out, "  {}: {}", plural(group.tenants.len(), "tenant"), group.label).map_err(io)?;
        writeln!(out, "    {}", style.dim(&list(&group.tenants, 10))).map_err(io)?;
        writeln!(out, "    runs {}", group.migrations.join(", ")).map_err(io)?;
    }
    if s.unaffected_tenants > 0 {
        writeln!(out, "  {} unaffected", plural(s.unaffected_tenants, "tenant")).map_err(io)?;
    }
    if s.lint_errors > 0 {
        writeln!(out).map_err(io)?;
        writeln!(out, "{}", style.red(&format!("{} failing the lint policy", plural(s.lint_errors, "hazard"))))
            .map_err(io)?;
    }
    Ok(())
}

/// `a, b, c and 7 more`
fn list(items: &[String], at_most: usize) -> String {
    let shown = items.iter().take(at_most).cloned().collect::<Vec<_>>().join(", ");
    match items.len().saturating_sub(at_most) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}
