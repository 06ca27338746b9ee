//! Rows through a change (#26, item 1): a migration gives every row the value the engine's own
//! assignment rules give, or it fails and leaves the tenant as it was. A column narrowed from
//! `text` to `varchar(32)` was written `USING phone::character varying(32)`, an explicit cast that
//! cut a 46-character value to 32 while `apply` succeeded.

mod util;

use util::servers::{first_release, ok, strata, POSTGRES};

#[tokio::test(flavor = "multi_thread")]
async fn a_narrowed_column_never_cuts_a_row_on_postgres() {
    let server = &POSTGRES;
    let Some((repo, prefix)) = first_release(server, "rowscut").await else { return };
    let url = server.url();
    ok(&repo, &url, &["apply", "--env", "local"]);
    let long = "+977-1-4444444 ext. 1234567890 (main office!!)";
    assert_eq!(long.len(), 46);
    let (uml, nrna) = (format!("{prefix}_uml"), format!("{prefix}_nrna"));
    let insert = |phone: &str| format!("INSERT INTO members (email, full_name, phone) VALUES ('a@x', 'A', '{phone}')");
    server.execute_in(&uml, &insert(long)).await;
    server.execute_in(&nrna, &insert("+1 555 0100")).await;

    // The reviewer is told rows may not fit; the narrowing is meant, so lint only warns.
    repo.write("strata.yaml", &repo.read("strata.yaml").replace("destructive: error", "destructive: warn"));
    let schema = "templates/party/schema/01_members.sql";
    repo.write(schema, &repo.read(schema).replace("  phone text,", "  phone varchar(32),"));
    ok(&repo, &url, &["commit", "--bump", "minor", "-m", "phone numbers fit in 32"]);

    let apply = strata(&repo, &url, &["apply", "--env", "local"]);
    let said = format!("{}{}", apply.stdout, apply.stderr);
    assert_eq!(apply.code, 4, "the tenant whose row does not fit fails:\n{said}");
    assert!(said.contains("uml: FAILED") && said.contains("value too long"), "{said}");
    assert_eq!(server.texts_in(&uml, "SELECT phone FROM members").await, [long], "the row is as it was");
    // The tenant whose rows fit has the new type, its row unchanged.
    assert_eq!(server.texts_in(&nrna, "SELECT phone FROM members").await, ["+1 555 0100"]);
    let ty = "SELECT data_type || '(' || character_maximum_length || ')' FROM information_schema.columns \
              WHERE table_schema = current_schema() AND table_name = 'members' AND column_name = 'phone'";
    assert_eq!(server.texts_in(&nrna, ty).await, ["character varying(32)"]);
    server.drop_prefixed(&prefix).await;
}
