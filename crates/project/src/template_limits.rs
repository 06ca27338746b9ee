//! What a template file may ask of tera, checked on its raw text before tera parses it. tera's
//! parser and renderer recurse once per nested block, bracket and macro call, so 2,000 nested
//! `{% if %}`s or a macro that calls itself overflow the stack and abort the process: no error
//! can be caught after that. The scan here is a loop with no recursion, so it refuses such a file
//! by name, with the line, whatever the file holds.
//!
//! A SQL file is rendered on its own, so `include`, `import` and `extends` can only name the file
//! itself (endless recursion) or a template that is not there: they are refused too.

use std::collections::BTreeMap;

use crate::compose::ComposeError;

/// Blocks (`if`, `for`, `macro`, `filter`, `block`) one inside another: far beyond any schema
/// file, far below what the parser's stack holds.
pub const MAX_NESTING: usize = 64;

/// Brackets (`(`, `[`) one inside another in one tag.
pub const MAX_BRACKETS: usize = 64;

/// Checks the nesting, the tags and the macro calls of `text`, the file at `path`.
pub fn check_limits(path: &str, text: &str) -> Result<(), ComposeError> {
    let refuse = |at: usize, what: String| ComposeError::TemplateLimit {
        path: path.to_string(),
        line: Some(text[..at].matches('\n').count() + 1),
        what,
    };
    let mut depth = 0usize;
    let mut macros = Macros::default();
    let mut at = 0;
    while let Some(tag) = next_tag(text, at) {
        at = tag.end;
        if tag.brackets > MAX_BRACKETS {
            return Err(refuse(tag.start, format!("brackets nest more than {MAX_BRACKETS} deep in one tag")));
        }
        for callee in calls(tag.inner) {
            macros.called(callee);
        }
        if !tag.statement {
            continue;
        }
        let mut words = tag.inner.split(|c: char| c.is_whitespace() || c == '(').filter(|w| !w.is_empty());
        match words.next().unwrap_or_default() {
            "raw" => at = end_of_raw(text, at),
            keyword @ ("include" | "import" | "extends") => {
                return Err(refuse(
                    tag.start,
                    format!("`{{% {keyword} %}}` is refused: a schema file is rendered on its own"),
                ))
            }
            opener @ ("if" | "for" | "macro" | "filter" | "block") => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(refuse(tag.start, format!("blocks nest more than {MAX_NESTING} deep")));
                }
                if opener == "macro" {
                    macros.define(words.next().unwrap_or_default(), tag.start);
                }
            }
            closer if closer.starts_with("end") => {
                depth = depth.saturating_sub(1);
                if closer == "endmacro" {
                    macros.current = None;
                }
            }
            _ => {}
        }
    }
    match macros.cycle() {
        Some((chain, at)) => Err(refuse(
            at,
            format!("macro `{}` calls itself ({}); a recursive macro never ends", chain[0], chain.join(" -> ")),
        )),
        None => Ok(()),
    }
}

/// One `{{ ... }}` or `{% ... %}`: its text between the delimiters and how deep its brackets go.
struct Tag<'t> {
    start: usize,
    end: usize,
    inner: &'t str,
    statement: bool,
    brackets: usize,
}

/// The next tag at or after `from`; comments (`{# #}`) are skipped, an unclosed tag ends the scan
/// (tera names it).
fn next_tag(text: &str, from: usize) -> Option<Tag<'_>> {
    let mut at = from;
    loop {
        let start = at + text.get(at..)?.find('{')?;
        match text.as_bytes().get(start + 1) {
            Some(b'#') => at = start + 2 + text[start + 2..].find("#}")? + 2,
            Some(b'{') => return closed(text, start, b'}'),
            Some(b'%') => return closed(text, start, b'%'),
            _ => at = start + 1,
        }
    }
}

/// The tag opening at `start`, which ends at `closer` followed by `}` outside a string.
fn closed(text: &str, start: usize, closer: u8) -> Option<Tag<'_>> {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None);
    let mut i = start + 2;
    while i < bytes.len() {
        let byte = bytes[i];
        match quote {
            Some(q) if byte == q => quote = None,
            Some(_) => {}
            None => match byte {
                b'"' | b'\'' | b'`' => quote = Some(byte),
                b'(' | b'[' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b')' | b']' => depth = depth.saturating_sub(1),
                _ if byte == closer && bytes.get(i + 1) == Some(&b'}') => {
                    let inner = text[start + 2..i].trim_matches(|c: char| c == '-' || c.is_whitespace());
                    return Some(Tag { start, end: i + 2, inner, statement: closer == b'%', brackets: deepest });
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Where the text after a `{% raw %}` ends: after its `{% endraw %}`, whose content is no tag.
fn end_of_raw(text: &str, from: usize) -> usize {
    let mut at = from;
    while let Some(start) = text[at..].find("{%").map(|s| at + s) {
        let inner = text[start + 2..].trim_start_matches(|c: char| c == '-' || c.is_whitespace());
        if inner.starts_with("endraw") {
            return start + 2;
        }
        at = start + 2;
    }
    text.len()
}

/// The macros a tag calls: `namespace::name(`. Only this file's macros exist, whatever the
/// namespace says.
fn calls(inner: &str) -> impl Iterator<Item = &str> {
    inner.match_indices("::").filter_map(move |(at, _)| {
        let rest = &inner[at + 2..];
        let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        rest[name_len..].trim_start().starts_with('(').then(|| &rest[..name_len])
    })
}

/// Every macro of the file, where it is defined and which macros its body calls.
#[derive(Default)]
struct Macros<'t> {
    defined: BTreeMap<&'t str, (usize, Vec<&'t str>)>,
    current: Option<&'t str>,
}

impl<'t> Macros<'t> {
    fn define(&mut self, name: &'t str, at: usize) {
        self.defined.entry(name).or_insert((at, Vec::new()));
        self.current = Some(name);
    }

    fn called(&mut self, callee: &'t str) {
        if let Some(caller) = self.current {
            if let Some((_, callees)) = self.defined.get_mut(caller) {
                callees.push(callee);
            }
        }
    }

    /// A chain of calls that comes back to its first macro, and where that macro is defined.
    /// A depth-first walk with an explicit stack, so a long chain cannot recurse either.
    fn cycle(&self) -> Option<(Vec<&'t str>, usize)> {
        for (&first, &(at, _)) in &self.defined {
            let mut path: Vec<(&str, usize)> = vec![(first, 0)];
            let mut seen = std::collections::BTreeSet::from([first]);
            while let Some(&(name, next)) = path.last() {
                let callees = self.defined.get(name).map_or(&[][..], |(_, c)| c.as_slice());
                let Some(&callee) = callees.get(next) else {
                    path.pop();
                    continue;
                };
                if let Some(top) = path.last_mut() {
                    top.1 += 1;
                }
                if callee == first {
                    let mut chain: Vec<&str> = path.iter().map(|(n, _)| *n).collect();
                    chain.push(first);
                    return Some((chain, at));
                }
                if self.defined.contains_key(callee) && seen.insert(callee) {
                    path.push((callee, 0));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(text: &str) -> Result<(), String> {
        check_limits("f.sql", text).map_err(|e| e.to_string())
    }

    #[test]
    fn deep_blocks_are_refused_at_the_line_that_goes_too_deep() {
        let deep = "{% if true %}\n".repeat(2000);
        let err = limits(&deep).unwrap_err();
        assert!(err.starts_with("f.sql:65: blocks nest more than 64 deep"), "{err}");
        let fine = format!("{}x{}", "{% if true %}".repeat(64), "{% endif %}".repeat(64));
        assert_eq!(limits(&fine), Ok(()));
        let siblings = "{% for i in [1] %}{% endfor %}".repeat(1000);
        assert_eq!(limits(&siblings), Ok(()), "blocks after one another do not nest");
    }

    #[test]
    fn deep_brackets_are_refused_and_strings_hide_them() {
        let deep = format!("{{{{ {}1{} }}}}", "(".repeat(500), ")".repeat(500));
        assert!(limits(&deep).unwrap_err().contains("brackets nest more than 64 deep"));
        assert_eq!(limits(&format!("{{{{ \"{}\" | sql_literal }}}}", "(".repeat(500))), Ok(()));
        assert_eq!(limits("{{ \"}}\" | sql_literal }} {% if a %}{% endif %}"), Ok(()));
    }

    #[test]
    fn recursive_macros_are_refused_naming_the_chain() {
        let direct = "{% macro m() %}{{ self::m() | sql_literal }}{% endmacro m %}";
        assert!(limits(direct).unwrap_err().starts_with("f.sql:1: macro `m` calls itself (m -> m)"));
        let indirect = "\n{% macro a(n) %}{{ self::b(n=n) }}{% endmacro %}\n{%- macro b(n) -%}{% if n %}{{ x::a (n=n) }}{% endif %}{% endmacro %}";
        assert!(limits(indirect).unwrap_err().starts_with("f.sql:2: macro `a` calls itself (a -> b -> a)"));
        let chain = "{% macro a() %}{{ self::b() }}{% endmacro %}{% macro b() %}x{% endmacro %}{{ self::a() }}";
        assert_eq!(limits(chain), Ok(()));
    }

    #[test]
    fn other_templates_and_raw_text_are_told_apart() {
        assert!(limits("{% include \"f.sql\" %}").unwrap_err().contains("`{% include %}` is refused"));
        assert!(limits("{%- import \"f.sql\" as m -%}").unwrap_err().contains("`{% import %}` is refused"));
        let raw = format!("{{% raw %}}{}{{% endraw %}}", "{% if %}".repeat(100));
        assert_eq!(limits(&raw), Ok(()), "a raw block holds text, not tags");
        assert_eq!(limits("{# {% if %} #}{{ unclosed"), Ok(()), "tera names an unclosed tag");
    }
}
