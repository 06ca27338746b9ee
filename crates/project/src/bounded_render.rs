//! A tera render whose cost a file cannot choose: `range` makes at most [`MAX_RANGE_ITEMS`] items
//! in one render (tera's own took 20 s and 3.9 GB for `range(end=100000000)`), the output stops at
//! [`MAX_OUTPUT_BYTES`], and `get_env` is gone, since the environment is where secrets live. What
//! the text alone shows (nesting, recursion) is [`crate::template_limits`]' to refuse first.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::compose::ComposeError;

/// Items all `range` calls of one render may make together: a loop inside a loop counts both.
pub const MAX_RANGE_ITEMS: usize = 100_000;

/// What one file may render to.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;

/// Renders the template `path`, already added to `tera`, with the limits in place.
pub fn render(mut tera: tera::Tera, path: &str, context: &tera::Context) -> Result<String, ComposeError> {
    let hit: Arc<Mutex<Option<String>>> = Arc::default();
    tera.register_function("range", bounded_range(hit.clone()));
    tera.register_function("get_env", |_: &HashMap<String, tera::Value>| {
        Err(tera::Error::msg("`get_env` is refused: a template may not read the environment, where secrets live"))
    });
    let mut output = Capped { bytes: Vec::new(), hit: hit.clone() };
    let rendered = tera.render_to(path, context, &mut output);
    let limit = hit.lock().ok().and_then(|mut hit| hit.take());
    match (rendered, limit) {
        (_, Some(what)) => Err(ComposeError::TemplateLimit { path: path.to_string(), line: None, what }),
        (Err(e), None) => Err(ComposeError::Render { path: path.to_string(), message: error_chain(&e) }),
        (Ok(()), None) => String::from_utf8(output.bytes).map_err(|e| ComposeError::Render {
            path: path.to_string(),
            message: format!("the output is not UTF-8: {e}"),
        }),
    }
}

/// tera's top-level message is "failed to render"; the reason is in its sources.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// tera's `range(start=, end=, step_by=)`, drawing its items from one budget per render.
fn bounded_range(
    hit: Arc<Mutex<Option<String>>>,
) -> impl Fn(&HashMap<String, tera::Value>) -> tera::Result<tera::Value> + Send + Sync {
    let left = Mutex::new(MAX_RANGE_ITEMS);
    move |args: &HashMap<String, tera::Value>| {
        let number = |name: &str, default: Option<usize>| match args.get(name) {
            Some(value) => value.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| {
                tera::Error::msg(format!("`range` received {name}={value}, but {name} can only be a number"))
            }),
            None => default.ok_or_else(|| tera::Error::msg("`range` was called without an `end` argument")),
        };
        let (start, end, step) = (number("start", Some(0))?, number("end", None)?, number("step_by", Some(1))?);
        if step == 0 {
            return Err(tera::Error::msg("`range` received step_by=0, which never reaches the end"));
        }
        let count = end.saturating_sub(start).div_ceil(step);
        let mut left = left.lock().map_err(|_| tera::Error::msg("`range` is unavailable"))?;
        if count > *left {
            let what =
                format!("`range` asked for {count} items; one file's render may make at most {MAX_RANGE_ITEMS} in all");
            if let Ok(mut hit) = hit.lock() {
                hit.get_or_insert(what.clone());
            }
            return Err(tera::Error::msg(what));
        }
        *left -= count;
        Ok(tera::Value::Array((start..end).step_by(step).map(tera::Value::from).collect()))
    }
}

/// The render's output, refusing to grow beyond [`MAX_OUTPUT_BYTES`].
struct Capped {
    bytes: Vec<u8>,
    hit: Arc<Mutex<Option<String>>>,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT_BYTES {
            let what = format!("renders to more than {} MiB", MAX_OUTPUT_BYTES / (1024 * 1024));
            if let Ok(mut hit) = self.hit.lock() {
                hit.get_or_insert(what.clone());
            }
            return Err(std::io::Error::other(what));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(text: &str) -> Result<String, String> {
        let mut tera = tera::Tera::default();
        tera.add_raw_template("f.sql", text).map_err(|e| e.to_string())?;
        render(tera, "f.sql", &tera::Context::new()).map_err(|e| e.to_string())
    }

    #[test]
    fn range_works_as_tera_s_within_its_budget() {
        assert_eq!(rendered("{% for i in range(end=5) %}{{ i }}{% endfor %}"), Ok("01234".to_string()));
        assert_eq!(rendered("{% for i in range(start=1, end=10, step_by=3) %}{{ i }}{% endfor %}"), Ok("147".into()));
        assert_eq!(rendered("{% for i in range(start=5, end=1) %}{{ i }}{% endfor %}"), Ok(String::new()));
    }

    #[test]
    fn a_huge_range_is_refused_by_name_at_once() {
        let started = std::time::Instant::now();
        let err = rendered("{% for i in range(end=100000000) %}{% endfor %}").unwrap_err();
        assert_eq!(err, "f.sql: `range` asked for 100000000 items; one file's render may make at most 100000 in all (strata's limit for a template file)");
        assert!(started.elapsed().as_secs() < 2);
        let nested = "{% for i in range(end=1000) %}{% for j in range(end=1000) %}{% endfor %}{% endfor %}";
        assert!(rendered(nested).unwrap_err().contains("at most 100000 in all"), "loops inside loops add up");
    }

    #[test]
    fn output_beyond_the_cap_is_refused() {
        let text = "{% for i in range(end=70000) %}{% for j in [1,2,3,4,5,6,7,8,9,10] %}\
                    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endfor %}";
        assert_eq!(
            rendered(text).unwrap_err(),
            "f.sql: renders to more than 64 MiB (strata's limit for a template file)"
        );
    }

    #[test]
    fn the_environment_cannot_be_read() {
        std::env::set_var("STRATA_TEST_TEMPLATE_SECRET", "hunter2");
        let err = rendered("{{ get_env(name=\"STRATA_TEST_TEMPLATE_SECRET\") }}").unwrap_err();
        assert!(err.contains("`get_env` is refused") && !err.contains("hunter2"), "{err}");
    }
}
