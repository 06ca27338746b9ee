//! #17: online schema changes on PostgreSQL (`online: true`). A new index and a new foreign key
//! on a table with rows are generated as a transactional migration (`NOT VALID`) and a
//! `no-transaction` one (`CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT`), and applied while
//! another session writes to the table: the writes go on during the migration, and none waits
//! longer than the environment's lock timeout. A control shows the same writer held up by a plain
//! `CREATE INDEX` of the same table in another tenant, so the measurement can see a blocked write.

mod util;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Connection;
use util::servers::{init_starter, ok, Server, POSTGRES};

/// The environment's lock timeout in this test: what no write may wait longer than.
const LOCK_TIMEOUT: Duration = Duration::from_secs(1);

/// Rows in the table: enough that building an index on it takes about a second here.
const ROWS: u32 = 1_500_000;

/// Runs `work` while another session writes to `schema.campaigns`; each write's wait, and how
/// long `work` took.
async fn writing_during(schema: &str, work: impl std::future::Future<Output = ()>) -> (Vec<Duration>, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn({
        let (stop, schema) = (stop.clone(), schema.to_string());
        async move { write_until(&POSTGRES, schema, stop).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    work.await;
    let took = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    (writer.await.expect("the writer"), took)
}

/// Inserts into `schema.campaigns` until `stop`, one statement at a time; each write's wait.
async fn write_until(server: &Server, schema: String, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut conn = sqlx::PgConnection::connect(&server.url()).await.expect("connect");
    let set = format!("SET search_path TO \"{schema}\"");
    sqlx::query(&set).execute(&mut conn).await.expect("search_path");
    let mut waits = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        sqlx::query("INSERT INTO campaigns (name, goal_cents) VALUES ('written meanwhile', 1)")
            .execute(&mut conn)
            .await
            .expect("a write during the migration");
        waits.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    waits
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_index_and_foreign_key_are_built_while_the_table_takes_writes() {
    let server = &POSTGRES;
    if !server.ready().await {
        return;
    }
    let prefix = format!("online_{}", std::process::id());
    server.drop_prefixed("online_").await;
    let repo = init_starter("postgres", &prefix);
    let environment = repo.read("environments/local.yaml");
    repo.write("environments/local.yaml", &environment.replace("lock: 5s", "lock: 1s"));
    repo.write("strata.yaml", &format!("{}online: true\n", repo.read("strata.yaml")));
    repo.git_commit_all("online changes, a short lock timeout");
    let url = server.url();
    ok(&repo, &url, &["commit", "-m", "first release"]);
    ok(&repo, &url, &["apply", "--env", "local", "--tenant", "nrna", "--tenant", "uml"]);
    let (nrna, uml) = (format!("{prefix}_nrna"), format!("{prefix}_uml"));
    let fill = format!(
        "INSERT INTO members (email, full_name) VALUES ('owner@example.org', 'An Owner');\n\
         INSERT INTO campaigns (name, goal_cents) SELECT 'campaign ' || g, g FROM generate_series(1, {ROWS}) g;"
    );
    server.execute_in(&nrna, &fill).await;
    server.execute_in(&uml, &fill).await;

    // The control: a plain CREATE INDEX holds the writer for most of its build.
    let plain = "CREATE INDEX control_idx ON campaigns (name, goal_cents); DROP INDEX control_idx";
    let (control, build) = writing_during(&uml, server.execute_in(&uml, plain)).await;
    let blocked = control.iter().max().copied().unwrap_or_default();
    println!("control: a plain build took {build:?}; the longest write waited {blocked:?}");
    assert!(blocked >= build / 2, "the writer sees a blocking build: {blocked:?} of {build:?}");

    let file = "modules/donations/schema/01_donations.sql";
    let declared = repo.read(file).replacen(
        "  ends_on date\n);",
        "  ends_on date,\n  owner_id bigint,\n  CONSTRAINT campaigns_owner_fk FOREIGN KEY (owner_id) REFERENCES members (id)\n);\nCREATE INDEX campaigns_name_goal_idx ON campaigns (name, goal_cents);",
        1,
    );
    repo.write(file, &declared);
    let plan = ok(&repo, &url, &["plan"]);
    assert!(plan.contains("FOREIGN KEY (owner_id) REFERENCES members (id) NOT VALID;"), "{plan}");
    assert!(plan.contains("CREATE INDEX CONCURRENTLY campaigns_name_goal_idx"), "{plan}");
    assert!(plan.contains("ALTER TABLE campaigns VALIDATE CONSTRAINT campaigns_owner_fk;"), "{plan}");
    ok(&repo, &url, &["commit", "--bump", "minor", "-m", "campaign owners"]);
    let online = repo.read("migrations/modules/donations/0003_campaign_owners_online.up.sql");
    assert!(online.contains("-- strata:no-transaction\n"), "{online}");
    ok(&repo, &url, &["verify", "--base", "HEAD~1", "--dev-url", &url]);

    let mut applied = String::new();
    let apply = async { applied = ok(&repo, &url, &["apply", "--env", "local", "--tenant", "nrna"]) };
    let (waits, took) = writing_during(&nrna, apply).await;
    assert!(applied.contains("module.donations/0003_campaign_owners_online"), "{applied}");
    let longest = waits.iter().max().copied().unwrap_or_default();
    println!("online: apply took {took:?}; {} writes meanwhile, the longest waited {longest:?}", waits.len());
    assert!(waits.len() >= 10, "the writes overlapped the migration ({took:?}): {}", waits.len());
    assert!(longest < LOCK_TIMEOUT, "a write waited {longest:?}, beyond the lock timeout {LOCK_TIMEOUT:?}");
    assert!(longest < build / 2, "unlike the control, no write waited for the build: {longest:?}");

    let valid = server
        .texts_in(&nrna, "SELECT conname || ':' || convalidated FROM pg_constraint WHERE conname = 'campaigns_owner_fk' AND connamespace = current_schema()::regnamespace")
        .await;
    assert_eq!(valid, ["campaigns_owner_fk:true"], "validated, not left NOT VALID");
    let index = server
        .texts_in(
            &nrna,
            "SELECT c.relname || ':' || i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname = 'campaigns_name_goal_idx' AND c.relnamespace = current_schema()::regnamespace",
        )
        .await;
    assert_eq!(index, ["campaigns_name_goal_idx:true"]);
    ok(&repo, &url, &["drift", "--env", "local", "--tenant", "nrna"]);
    // The online migration's down drops the index concurrently; rollback runs it outside a
    // transaction as well.
    ok(&repo, &url, &["rollback", "--env", "local", "--tenant", "nrna", "--steps", "2", "--yes"]);
    ok(&repo, &url, &["drift", "--env", "local", "--tenant", "nrna"]);
    server.drop_prefixed(&prefix).await;
}
