//! `strata adopt` through the user's path, on the real PostgreSQL and MariaDB: a fleet whose
//! tenants were made by plain SQL from a schema file (as another tool, or a DBA, would have made
//! them) is adopted in one command; a tenant with one extra index is refused with that index named
//! and adopts nothing; `status` says who is baselined; a later release applies only the new
//! migration everywhere, and `drift` finds nothing.

mod util;

use util::servers::{init_starter, ok, strata, Server, MARIADB, POSTGRES};
use util::Repo;

/// Tenants made by plain SQL and adopted together.
const FLEET: usize = 30;

/// The starter reduced to its template (no modules), with `FLEET + 1` tenants of it whose targets
/// start with `prefix`; its first release committed.
fn project(server: &Server, prefix: &str) -> Repo {
    let repo = init_starter(server.dialect, prefix);
    let template = repo.read("templates/party/template.yaml");
    let without_modules: String =
        template.lines().filter(|line| !line.starts_with("modules:")).map(|line| format!("{line}\n")).collect();
    repo.write("templates/party/template.yaml", &without_modules);
    for tenant in ["demo", "nrna", "uml"] {
        repo.remove(&format!("tenants/{tenant}"));
    }
    for n in 1..=FLEET + 1 {
        repo.write(&format!("tenants/t{n:02}/tenant.yaml"), "template: party\nvars: { currency: EUR }\n");
    }
    repo.git_commit_all("a fleet of the template alone");
    ok(&repo, &server.url(), &["commit", "-m", "first release"]);
    repo
}

/// The schema file another tool loaded into each tenant: the template's hand-written SQL files.
fn schema_file(repo: &Repo) -> String {
    let dir = repo.path().join("templates/party/schema");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("schema dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files.iter().map(|path| std::fs::read_to_string(path).expect("schema file")).collect::<Vec<_>>().join("\n")
}

async fn a_fleet_made_by_plain_sql_is_adopted(server: &Server) {
    if !server.ready().await {
        return;
    }
    let family = format!("adopt_{}_", server.dialect);
    server.drop_prefixed(&family).await;
    let prefix = format!("{family}{}", std::process::id());
    let url = server.url();
    let repo = project(server, &prefix);
    let schema = schema_file(&repo);
    for n in 1..=FLEET + 1 {
        server.create_tenant(&format!("{prefix}_t{n:02}"), &schema).await;
    }
    // One tenant got an index by hand that no migration makes.
    let odd = format!("{prefix}_t{:02}", FLEET + 1);
    server.execute_in(&odd, "CREATE INDEX members_full_name_idx ON members (full_name)").await;

    let dry = strata(&repo, &url, &["adopt", "--env", "local", "--all", "--dry-run"]);
    assert!(dry.stdout.contains(&format!("{FLEET} would be adopted")), "{}{}", dry.stdout, dry.stderr);
    let here = if server.postgres() { "current_schema()" } else { "DATABASE()" };
    let history_table =
        format!("SELECT table_name FROM information_schema.tables WHERE table_name = 'strata_history' AND table_schema = {here}");
    assert!(server.texts_in(&format!("{prefix}_t01"), &history_table).await.is_empty(), "a dry run records nothing");

    let adopted = strata(&repo, &url, &["adopt", "--env", "local", "--all"]);
    assert_eq!(adopted.code, 3, "one tenant differs: exit 3\n{}{}", adopted.stdout, adopted.stderr);
    let summary = format!("{FLEET} adopted, 0 already adopted, 1 differ, 0 refused, 0 failed");
    assert!(adopted.stdout.contains(&summary), "{}", adopted.stdout);
    let refused: Vec<&str> =
        adopted.stdout.lines().skip_while(|line| !line.starts_with(&format!("t{:02}:", FLEET + 1))).take(2).collect();
    assert!(refused[0].contains("NOT ADOPTED, 1 object differs"), "{}", adopted.stdout);
    assert!(refused[1].contains("members_full_name_idx"), "the extra index is named: {}", adopted.stdout);
    assert!(server.texts_in(&odd, &history_table).await.is_empty(), "the refused tenant got no history table");

    // Baselined, not run: every adopted tenant has its migrations recorded in that state.
    let states = server.texts_in(&format!("{prefix}_t01"), "SELECT DISTINCT state FROM strata_history").await;
    assert_eq!(states, vec!["baselined".to_string()]);
    let status = ok(&repo, &url, &["status", "--env", "local", "--tenant", "t01"]);
    assert!(status.contains("baselined)"), "{status}");

    // The extra index dropped, the odd tenant adopts; a rerun finds the fleet adopted already.
    let drop = if server.postgres() { "" } else { " ON members" };
    server.execute_in(&odd, &format!("DROP INDEX members_full_name_idx{drop}")).await;
    let second = ok(&repo, &url, &["adopt", "--env", "local", "--all"]);
    assert!(second.contains(&format!("1 adopted, {FLEET} already adopted, 0 differ")), "{second}");

    // A later release runs only its own migration, on every tenant.
    let members = repo.read("templates/party/schema/01_members.sql");
    let column = if server.postgres() { "  phone text,\n" } else { "  phone VARCHAR(40),\n" };
    let extra = if server.postgres() { "  nickname text,\n" } else { "  nickname VARCHAR(80),\n" };
    repo.write("templates/party/schema/01_members.sql", &members.replacen(column, &format!("{column}{extra}"), 1));
    let template = repo.read("templates/party/template.yaml");
    repo.write("templates/party/template.yaml", &template.replace("version: 1.0.0", "version: 1.1.0"));
    ok(&repo, &url, &["commit", "-m", "nickname"]);
    let applied = ok(&repo, &url, &["apply", "--env", "local"]);
    assert!(applied.contains(&format!("{} tenants, {} migrated", FLEET + 1, FLEET + 1)), "{applied}");
    for line in applied.lines().filter(|line| line.starts_with('t')) {
        assert_eq!(line.matches("template.party/").count(), 1, "only the new migration runs: {line}");
    }
    let ran =
        server.texts_in(&format!("{prefix}_t07"), "SELECT state FROM strata_history WHERE state = 'applied'").await;
    assert_eq!(ran.len(), 1, "one migration run by strata on an adopted tenant");
    ok(&repo, &url, &["drift", "--env", "local"]);

    // Adopted and migrated since: a rerun of adopt says so and changes nothing.
    let rerun = ok(&repo, &url, &["adopt", "--env", "local", "--all"]);
    assert!(rerun.contains(&format!("0 adopted, {} already adopted", FLEET + 1)), "{rerun}");
    assert!(rerun.contains("; 1 run by strata since)"), "{rerun}");
    // A history strata wrote without a baseline: adopting is refused by name.
    server.execute_in(&format!("{prefix}_t03"), "DELETE FROM strata_history WHERE state = 'baselined'").await;
    let again = strata(&repo, &url, &["adopt", "--env", "local", "--tenant", "t03"]);
    assert_eq!(again.code, 3, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("t03: REFUSED: tenant t03 already has a strata history"), "{}", again.stdout);
    server.drop_prefixed(&prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_fleet_made_by_plain_sql_is_adopted() {
    a_fleet_made_by_plain_sql_is_adopted(&POSTGRES).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mysql_fleet_made_by_plain_sql_is_adopted() {
    a_fleet_made_by_plain_sql_is_adopted(&MARIADB).await;
}
