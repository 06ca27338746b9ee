//! Connection URLs come from the environment, never from the repository, and never reach output.

/// A URL in an environment file must take its secrets from `${VAR}`: a literal password is refused.
pub fn check_is_reference(url: &str) -> Result<(), String> {
    let literal_password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .is_some_and(|(_, password)| !password.is_empty() && !password.contains("${"));
    if literal_password {
        Err("the url holds a literal password; write `url: ${SOME_VARIABLE}` and set the variable in the job's environment".to_string())
    } else {
        Ok(())
    }
}

/// Replaces every `${VAR}` with the variable's value; a missing variable is an error naming it.
/// A value is inserted as it is and never scanned again, so it is never read as a reference or
/// a template: expand only text that is not rendered afterwards.
pub fn expand(template: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').ok_or_else(|| format!("unclosed `${{` in `{}`", redact(template)))?;
        let name = &rest[start + 2..start + end];
        let value = std::env::var(name)
            .map_err(|_| format!("environment variable {name} is not set; export {name}=<url> where strata runs"))?;
        out.push_str(&value);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether a server URL is one `dialect`'s: a `mysql://` URL in a PostgreSQL project, or text
/// that is no URL at all, is named before any connection is tried (a driver would answer with a
/// protocol error or a timeout). The message never repeats the URL: it may hold a password.
pub fn check_scheme(dialect: crate::Dialect, url: &str) -> Result<(), String> {
    let schemes: &[&str] = match dialect {
        crate::Dialect::Postgres => &["postgres", "postgresql"],
        crate::Dialect::Mysql => &["mysql", "mariadb"],
        crate::Dialect::Sqlite => return Ok(()),
    };
    match url.split_once("://") {
        Some((scheme, _)) if schemes.contains(&scheme) => Ok(()),
        Some((scheme, _)) => {
            Err(format!("is a {scheme}:// URL, but the project's dialect is {dialect} ({}://...)", schemes[0]))
        }
        None => Err(format!("is not a URL (expected {}://user@host:port/database)", schemes[0])),
    }
}

/// The server and database a URL names, for telling whether two URLs are the same place: the
/// host lower-cased, `default_port` filled in, the database percent-decoded; user, password and
/// parameters left out, so that it holds no secret.
pub fn place_of(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (host, port.trim_start_matches('0').to_string())
        }
        _ => (host_port, default_port.to_string()),
    };
    format!("{}:{port}/{}", host.to_ascii_lowercase(), percent_decode(database))
}

/// The database a URL names (its path), percent-decoded.
pub fn database_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    percent_decode(rest.split_once('/').map_or("", |(_, database)| database))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_passwords_are_refused_and_redacted() {
        assert!(check_is_reference("postgres://app:hunter2@db/x").is_err());
        assert!(check_is_reference("${PROD_URL}").is_ok());
        assert!(check_is_reference("postgres://app:${PW}@db/x").is_ok());
        assert!(check_is_reference("postgres://app@db/x").is_ok());
        assert_eq!(redact("postgres://app:hunter2@db:5432/x"), "postgres://app:***@db:5432/x");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn variables_expand_and_missing_ones_are_named() {
        std::env::set_var("STRATA_TEST_URL_PART", "db.example");
        assert_eq!(expand("postgres://${STRATA_TEST_URL_PART}/x").unwrap(), "postgres://db.example/x");
        assert_eq!(
            expand("${STRATA_TEST_SURELY_UNSET}").unwrap_err(),
            "environment variable STRATA_TEST_SURELY_UNSET is not set; export STRATA_TEST_SURELY_UNSET=<url> where strata runs"
        );
    }
}

#[cfg(test)]
mod place_tests {
    use super::{database_of, place_of};

    #[test]
    fn urls_of_one_database_have_one_place_whatever_their_user_and_spelling() {
        let a = place_of("postgres://app:${PW}@DB.example/acme?sslmode=require", 5432);
        assert_eq!(a, "db.example:5432/acme");
        assert_eq!(place_of("postgresql://other@db.example:5432/%61cme", 5432), a);
        assert_ne!(place_of("postgres://db.example:5433/acme", 5432), a);
        assert_ne!(place_of("postgres://db.example/acme_2", 5432), a);
        assert_eq!(database_of("postgres://u@h:1/template1?x=y"), "template1");
    }
}

#[cfg(test)]
mod scheme_tests {
    use super::check_scheme;
    use crate::Dialect;

    #[test]
    fn a_url_of_another_engine_or_no_url_is_named_without_repeating_it() {
        assert!(check_scheme(Dialect::Postgres, "postgresql://u@h/db").is_ok());
        assert!(check_scheme(Dialect::Mysql, "mariadb://u@h/db").is_ok());
        let wrong = check_scheme(Dialect::Postgres, "mysql://root:secret@h/db").unwrap_err();
        assert_eq!(wrong, "is a mysql:// URL, but the project's dialect is postgres (postgres://...)");
        let garbage = check_scheme(Dialect::Mysql, "root:secret@h").unwrap_err();
        assert!(!garbage.contains("secret"), "{garbage}");
    }
}
