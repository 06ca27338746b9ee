//! Durations as people write them in configuration and on the command line: `250ms`, `5s`,
//! `10min`, `2h` (a bare number is seconds). One parser, so that an environment file and a flag
//! accept the same spellings.

use std::time::Duration;

/// How long strata waits on a server, per environment (`timeouts:` in its file). Each bound makes
/// a fault one tenant's failure instead of a hang: a server that stops answering, a migration
/// queued behind an application's transaction (and, worse, the application queued behind it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// Connecting, TLS included.
    #[serde(deserialize_with = "deserialize")]
    pub connect: Duration,
    /// The longest one migration (and each of its statements) may run.
    #[serde(deserialize_with = "deserialize")]
    pub statement: Duration,
    /// The longest a statement waits for a table lock (PostgreSQL `lock_timeout`, MySQL
    /// `lock_wait_timeout`); an application's queries queue behind a waiting `ALTER`, so short.
    #[serde(deserialize_with = "deserialize")]
    pub lock: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(10), statement: Duration::from_secs(15 * 60), lock: Duration::from_secs(5) }
    }
}

/// `5s` as text, or a bare number of seconds.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Spelled {
    Text(String),
    Seconds(f64),
}

fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = match <Spelled as serde::Deserialize>::deserialize(deserializer)? {
        Spelled::Text(text) => text,
        Spelled::Seconds(seconds) => seconds.to_string(),
    };
    parse(&text).map_err(serde::de::Error::custom)
}

/// Parses `text`; the error says what is accepted.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration (write e.g. 250ms, 5s, 10min, 2h)"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" | "sec" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("`{text}`: unknown unit `{other}` (use ms, s, min or h)")),
    };
    // A week is more than any wait strata should make; larger values are mistakes (and would
    // overflow the engines' millisecond settings).
    if !(0.0..=604_800.0).contains(&seconds) {
        return Err(format!("`{text}` is out of range (at most a week)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The way [`parse`] reads it back: `1500ms`, `5s`, `10min`.
pub fn show(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}min", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_spellings_parse_and_show_back() {
        for (text, ms) in
            [("250ms", 250), ("5s", 5000), ("5", 5000), ("1.5s", 1500), ("10min", 600_000), ("2h", 7_200_000)]
        {
            assert_eq!(parse(text).map(|d| d.as_millis()), Ok(ms), "{text}");
        }
        assert_eq!(show(Duration::from_millis(1500)), "1500ms");
        assert_eq!(show(Duration::from_secs(600)), "10min");
        assert_eq!(show(Duration::from_secs(5)), "5s");
        for bad in ["", "s", "5 parsecs", "-1s", "9999999h"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
