//! Nothing escapes its tenant: a tenant value never becomes a secret, a statement, a path or
//! another tenant's place, and a file outside the repository is never read. Each case is an
//! attempt that worked once; each must now be refused by name and change nothing.

mod util;

use util::{Repo, Run};

/// Refused with every `expected` piece in what was printed, no commit, no written file, no tenant.
fn refused(repo: &Repo, args: &[&str], expected: &[&str]) -> Run {
    let head = repo.head();
    let status = repo.git_status();
    let run = repo.run(args);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert_ne!(run.code, 0, "strata {args:?} should fail:\n{said}");
    assert!(!said.contains("panicked"), "{said}");
    for needle in expected {
        assert!(said.contains(needle), "strata {args:?}: expected `{needle}` in:\n{said}");
    }
    assert_eq!(repo.head(), head, "no commit was made");
    assert_eq!(repo.git_status(), status, "no file was written");
    assert!(!repo.path().join(".strata").exists(), "no tenant database was created");
    run
}

/// `check` and `commit` refuse the work tree; once committed by hand, `apply` refuses the commit.
fn refused_everywhere(repo: &Repo, expected: &[&str]) {
    refused(repo, &["commit"], expected);
    refused_by_the_gate_and_the_rollout(repo, expected);
}

/// An environment's problem is deployment's, not the schema's: `commit` has nothing to say about
/// it, `check` (the gate) and `apply` refuse it.
fn refused_by_the_gate_and_the_rollout(repo: &Repo, expected: &[&str]) {
    refused(repo, &["check"], expected);
    repo.git_commit_all("hostile input, committed by hand");
    refused(repo, &["apply", "--env", "local"], expected);
}

#[test]
fn a_newline_in_a_tenant_value_cannot_end_a_comment() {
    let repo = Repo::init();
    repo.write(
        "tenants/demo/tenant.yaml",
        "template: party\nmodules: [events]\nvars: { display_name: \"Demo\", currency: \"EUR\\nDROP TABLE members;\" }\n",
    );
    refused_everywhere(&repo, &["tenants/demo/tenant.yaml", "vars.currency", "control character"]);
}

#[test]
fn a_value_inside_a_sql_comment_is_refused_with_its_line() {
    let repo = Repo::init();
    let seed = repo.read("templates/party/seed/01_roles.sql");
    repo.write(
        "templates/party/seed/01_roles.sql",
        &format!("{seed}\n-- seeded for {{{{ tenant.vars.currency | sql_literal }}}}\n"),
    );
    let line = seed.lines().count() + 2;
    refused(&repo, &["check"], &[&format!("templates/party/seed/01_roles.sql:{line}:"), "inside a SQL comment"]);
}

#[test]
fn a_sqlite_target_cannot_leave_the_environment_directory() {
    let repo = Repo::init();
    repo.write(
        "environments/local.yaml",
        "isolation: database\ntarget: \".strata/local/{{ tenant.vars.db }}.db\"\ncreate_missing: true\n",
    );
    for tenant in ["demo", "nrna", "uml"] {
        let manifest = repo.read(&format!("tenants/{tenant}/tenant.yaml"));
        let db = if tenant == "uml" { "../../../escaped" } else { tenant };
        repo.write(
            &format!("tenants/{tenant}/tenant.yaml"),
            &manifest.replace("vars: {", &format!("vars: {{ db: \"{db}\",")),
        );
    }
    refused_by_the_gate_and_the_rollout(
        &repo,
        &["environments/local.yaml", "tenant uml", "leaves the environment's directory"],
    );
    assert!(!repo.path().join("../escaped.db").exists() && !repo.path().join("../../escaped.db").exists());
}

#[test]
fn two_tenants_in_one_place_are_refused_naming_both() {
    let repo = Repo::init();
    repo.write(
        "environments/local.yaml",
        "isolation: database\ntarget: \".strata/local/{{ tenant.labels.region }}.db\"\ncreate_missing: true\n",
    );
    for tenant in ["demo", "nrna"] {
        let manifest = repo.read(&format!("tenants/{tenant}/tenant.yaml"));
        repo.write(&format!("tenants/{tenant}/tenant.yaml"), &manifest.replace("region: us", "region: eu"));
    }
    refused_by_the_gate_and_the_rollout(
        &repo,
        &["environments/local.yaml", "tenants demo and nrna", "both render the target"],
    );
}

#[test]
fn a_link_to_a_file_outside_the_repository_is_never_read() {
    let outside = tempfile::tempdir().expect("temp dir");
    let secret = outside.path().join("secret.sql");
    std::fs::write(&secret, "CREATE TABLE leaked_secret_word (id INTEGER);\n").expect("write");
    let repo = Repo::init();
    let link = repo.path().join("templates/party/schema/04_linked.sql");
    std::os::unix::fs::symlink(&secret, &link).expect("symlink");
    let expected = ["templates/party/schema/04_linked.sql", "outside the repository"];
    for args in [&["check"][..], &["commit"]] {
        let run = refused(&repo, args, &expected);
        assert!(!run.stdout.contains("leaked_secret_word") && !run.stderr.contains("leaked_secret_word"));
    }
    // Committed as a link (git stores its target, not the file), the commit is refused as well.
    repo.git_commit_all("a link, committed by hand");
    let run = refused(&repo, &["apply", "--env", "local"], &expected);
    assert!(!run.stdout.contains("leaked_secret_word") && !run.stderr.contains("leaked_secret_word"));
}

#[test]
fn a_link_inside_the_repository_is_followed_in_the_work_tree_and_in_commits() {
    let repo = Repo::init();
    repo.write("shared/extra.sql", "CREATE TABLE linked_extra (id INTEGER PRIMARY KEY);\n");
    repo.git_commit_all("a file to link to");
    std::os::unix::fs::symlink("../../../shared/extra.sql", repo.path().join("templates/party/schema/04_linked.sql"))
        .expect("symlink");
    let template = repo.read("templates/party/template.yaml");
    repo.write("templates/party/template.yaml", &template.replace("version: 1.0.0", "version: 1.1.0"));
    repo.ok(&["commit", "-m", "a linked file"]);
    repo.ok(&["apply", "--env", "local"]);
    assert!(repo.tables_of("demo").contains(&"linked_extra".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_value_is_never_read_as_a_variable_reference() {
    use sqlx::Connection;
    let Some(mut admin) = util::engines::postgres().await else { return };
    let base = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| util::engines::DEFAULT_PG_URL.to_string());
    let server = base.rsplit_once('/').map(|(server, _)| server.to_string()).expect("a database in the URL");
    let prefix = format!("strata_esc_{}", std::process::id());
    let secret = "S3cretPw42";
    let repo = Repo::with_files(&[
        ("strata.yaml", "name: esc\ndialect: postgres\n"),
        ("templates/base/template.yaml", "name: base\nversion: 1.0.0\n"),
        ("templates/base/schema/01.sql", "CREATE TABLE t (id integer);\n"),
        ("tenants/x/tenant.yaml", "template: base\nvars: { db: \"${STRATA_ESC_SECRET}\" }\n"),
        (
            "environments/test.yaml",
            &format!("url: \"${{STRATA_ESC_SERVER}}/{prefix}_{{{{ tenant.vars.db }}}}\"\nisolation: database\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"),
        ),
    ]);
    std::env::set_var("STRATA_ESC_SERVER", &server);
    std::env::set_var("STRATA_ESC_SECRET", secret);
    repo.commit("initial");
    let run = tokio::task::block_in_place(|| repo.run(&["apply", "--env", "test"]));
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(!said.contains(secret), "the secret reached the output:\n{said}");
    let names: Vec<String> = sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE $1")
        .bind(format!("{prefix}%"))
        .fetch_all(&mut admin)
        .await
        .expect("databases");
    assert!(names.iter().all(|n| !n.contains(secret)), "a database was named after the secret: {names:?}");
    for name in names {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", name.replace('"', "\"\""));
        sqlx::raw_sql(&sql).execute(&mut admin).await.expect("drop");
    }
    admin.close().await.ok();
}

/// #25 item 9: a password holding template syntax was expanded into the URL template before the
/// render, so `{% endraw %}` broke out of the raw block that was meant to hold it, the rest was
/// evaluated, and the render error printed the password. Secrets now go in after the render.
#[tokio::test(flavor = "multi_thread")]
async fn a_secret_holding_template_syntax_is_neither_evaluated_nor_printed() {
    use sqlx::Connection;
    let Some(mut admin) = util::engines::postgres().await else { return };
    let base = std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| util::engines::DEFAULT_PG_URL.to_string());
    let (scheme, rest) = base.split_once("://").expect("a URL");
    let (userinfo, host) = rest.rsplit_once('@').expect("a user in the URL");
    let user = userinfo.split(':').next().unwrap_or(userinfo);
    let host = host.rsplit_once('/').map_or(host, |(host, _)| host);
    let prefix = format!("strata_secret_{}", std::process::id());
    // The local server trusts its clients, so the password is not checked: what matters is that
    // the URL with it connects and that no output shows it.
    let secret = "pw{% endraw %}{{ 7*7 }}";
    let repo = Repo::with_files(&[
        ("strata.yaml", "name: secret\ndialect: postgres\n"),
        ("templates/base/template.yaml", "name: base\nversion: 1.0.0\n"),
        ("templates/base/schema/01.sql", "CREATE TABLE t (id integer);\n"),
        ("tenants/x/tenant.yaml", "template: base\n"),
        (
            "environments/test.yaml",
            &format!("url: \"{scheme}://{user}:${{STRATA_SECRET_PW}}@{host}/{prefix}_{{{{ tenant.id }}}}\"\nisolation: database\ntarget: \"{prefix}_{{{{ tenant.id }}}}\"\ncreate_missing: true\n"),
        ),
    ]);
    std::env::set_var("STRATA_SECRET_PW", secret);
    repo.commit("initial");
    let run = tokio::task::block_in_place(|| repo.run(&["apply", "--env", "test"]));
    let status = tokio::task::block_in_place(|| repo.run(&["status", "--env", "test"]));
    let said = format!("{}{}{}{}", run.stdout, run.stderr, status.stdout, status.stderr);
    for piece in [secret, "endraw", "7*7"] {
        assert!(!said.contains(piece), "`{piece}` of the secret reached the output:\n{said}");
    }
    assert_eq!(run.code, 0, "the URL with the literal password connects:\n{said}");
    let database = format!("{prefix}_x");
    let mut tenant = sqlx::PgConnection::connect(&util::engines::with_database(&base, &database))
        .await
        .expect("the tenant's database");
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM strata_history").fetch_one(&mut tenant).await.expect("history");
    assert!(applied > 0, "the tenant was migrated through that URL");
    tenant.close().await.ok();
    let sql = format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    sqlx::raw_sql(&sql).execute(&mut admin).await.expect("drop");
    admin.close().await.ok();
}
