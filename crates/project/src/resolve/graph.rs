//! The dependency graph of templates and modules, for people (Graphviz dot, Mermaid): who requires
//! whom and with which range, which modules a template gives every tenant, what conflicts.

use crate::project::{LayerId, Project};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Edge {
    Requires(String),
    Includes,
    Conflicts,
}

struct Graph {
    nodes: Vec<(LayerId, String)>,
    edges: Vec<(LayerId, LayerId, Edge)>,
}

fn graph(project: &Project) -> Graph {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for package in project.packages() {
        nodes.push((package.id.clone(), format!("{} {}", package.id, package.manifest.version)));
        for (name, range) in &package.manifest.requires {
            edges.push((package.id.clone(), super::required_layer(name), Edge::Requires(range.to_string())));
        }
        for module in &package.manifest.modules {
            edges.push((package.id.clone(), LayerId::module(module), Edge::Includes));
        }
        for other in &package.manifest.conflicts {
            let other = super::required_layer(other);
            // A conflict is mutual; draw it once even when both sides declare it.
            let already = edges.iter().any(|(a, b, e)| *e == Edge::Conflicts && *a == other && *b == package.id);
            if !already {
                edges.push((package.id.clone(), other, Edge::Conflicts));
            }
        }
    }
    Graph { nodes, edges }
}

/// The graph for programs (`strata --json graph`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Document {
    pub format_version: u32,
    /// `template.party 1.0.0`, by layer id.
    pub nodes: Vec<Node>,
    pub edges: Vec<Link>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Node {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Link {
    pub from: String,
    pub to: String,
    /// `requires`, `includes` (a template's modules) or `conflicts`.
    pub kind: &'static str,
    /// The semver range of a `requires`.
    pub range: Option<String>,
}

pub fn document(project: &Project) -> Document {
    let graph = graph(project);
    let nodes = graph.nodes.iter().map(|(id, label)| Node { id: id.to_string(), label: label.clone() }).collect();
    let edges = graph
        .edges
        .iter()
        .map(|(from, to, edge)| {
            let (kind, range) = match edge {
                Edge::Requires(range) => ("requires", Some(range.clone())),
                Edge::Includes => ("includes", None),
                Edge::Conflicts => ("conflicts", None),
            };
            Link { from: from.to_string(), to: to.to_string(), kind, range }
        })
        .collect();
    Document { format_version: 1, nodes, edges }
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Graphviz: `strata graph | dot -Tsvg > modules.svg`
pub fn dot(project: &Project) -> String {
    let g = graph(project);
    let mut out = String::from("digraph strata {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    for (id, label) in &g.nodes {
        let shape = if id.kind == crate::project::LayerKind::Template { ", shape=folder" } else { "" };
        out.push_str(&format!("  {} [label={}{shape}];\n", quoted(&id.to_string()), quoted(label)));
    }
    for (from, to, edge) in &g.edges {
        let style = match edge {
            Edge::Requires(range) => format!("label={}", quoted(range)),
            Edge::Includes => "label=\"every tenant\", style=bold".to_string(),
            Edge::Conflicts => "label=\"conflicts\", style=dashed, color=red, dir=none".to_string(),
        };
        out.push_str(&format!("  {} -> {} [{style}];\n", quoted(&from.to_string()), quoted(&to.to_string())));
    }
    out.push_str("}\n");
    out
}

/// Mermaid, for a README or a pull-request comment.
pub fn mermaid(project: &Project) -> String {
    let g = graph(project);
    let id = |layer: &LayerId| layer.to_string().replace(['.', '-'], "_");
    let mut out = String::from("graph LR\n");
    for (layer, label) in &g.nodes {
        out.push_str(&format!("  {}[\"{}\"]\n", id(layer), label.replace('"', "'")));
    }
    for (from, to, edge) in &g.edges {
        let arrow = match edge {
            Edge::Requires(range) => format!("-->|\"{}\"|", range.replace('"', "'")),
            Edge::Includes => "==>|every tenant|".to_string(),
            Edge::Conflicts => "-. conflicts .-".to_string(),
        };
        out.push_str(&format!("  {} {arrow} {}\n", id(from), id(to)));
    }
    out
}
