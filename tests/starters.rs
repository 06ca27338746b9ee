//! Day one on a server engine: `strata init --dialect postgres|mysql` writes a starter a competent
//! user of that engine would write, and it goes through the whole loop on a real server — check,
//! commit, verify against a dev database, apply, drift — then a second release on top.

mod util;

use util::servers::{init_starter as init, ok, Server, MARIADB, POSTGRES};

async fn the_starter_goes_through_the_loop(server: &Server) {
    if !server.ready().await {
        return;
    }
    // The starter reads its URL from DATABASE_URL; this test's tenants get names of their own.
    let prefix = format!("starter_{}_{}", server.dialect, std::process::id());
    server.drop_prefixed(&format!("starter_{}_", server.dialect)).await;
    let repo = init(server.dialect, &prefix);
    repo.git_commit_all("test tenants get a prefix of their own");
    let url = server.url();

    ok(&repo, &url, &["check"]);
    ok(&repo, &url, &["commit", "-m", "first release"]);
    ok(&repo, &url, &["verify", "--base", "HEAD~1", "--dev-url", &url]);
    let applied = ok(&repo, &url, &["apply", "--env", "local"]);
    assert!(applied.contains("3 tenants, 3 migrated"), "{applied}");
    ok(&repo, &url, &["drift", "--env", "local"]);

    // A second release on top: a column in the template, a tenant of its own kind.
    let members = repo.read("templates/party/schema/01_members.sql");
    let column = if server.dialect == "postgres" { "  phone text,\n" } else { "  phone VARCHAR(40),\n" };
    let extra = if server.dialect == "postgres" { "  nickname text,\n" } else { "  nickname VARCHAR(80),\n" };
    repo.write("templates/party/schema/01_members.sql", &members.replacen(column, &format!("{column}{extra}"), 1));
    let template = repo.read("templates/party/template.yaml");
    repo.write("templates/party/template.yaml", &template.replace("version: 1.0.0", "version: 1.1.0"));
    ok(&repo, &url, &["commit", "-m", "nickname"]);
    ok(&repo, &url, &["verify", "--base", "HEAD~1", "--dev-url", &url]);
    let second = ok(&repo, &url, &["apply", "--env", "local"]);
    assert!(second.contains("3 tenants, 3 migrated"), "{second}");
    ok(&repo, &url, &["drift", "--env", "local"]);
    server.drop_prefixed(&prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_postgres_starter_goes_through_the_loop() {
    the_starter_goes_through_the_loop(&POSTGRES).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mysql_starter_goes_through_the_loop() {
    the_starter_goes_through_the_loop(&MARIADB).await;
}
