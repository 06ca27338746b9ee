//! TLS as managed services require it: a PostgreSQL server of this test's own that accepts only
//! TLS connections, with a certificate signed by a CA generated here. `sslmode=require` and
//! `sslmode=verify-full` with the CA connect and migrate; without the CA, verification fails, and
//! without TLS the server refuses — each as one message.

mod util;

use std::path::{Path, PathBuf};
use std::process::Command;

use util::Repo;

/// A TLS-only PostgreSQL cluster in a temp dir, stopped when dropped.
struct TlsServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl TlsServer {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// Starts one, or says why it cannot (no PostgreSQL binaries, not root to run them as
    /// `postgres`); with `CI=true` that is a failure, elsewhere the test is skipped.
    fn start() -> Option<TlsServer> {
        let missing = |why: &str| {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI=true and the TLS server cannot start: {why}");
            eprintln!("skipping: {why}");
            None
        };
        let Some(bin) = postgres_bin() else { return missing("no PostgreSQL server binaries (initdb)") };
        if !is_root() {
            return missing("the test server runs as the `postgres` user, which needs root to switch to");
        }
        let dir = tempfile::Builder::new().prefix("strata-tls-").tempdir().expect("temp dir");
        let port = free_port();
        let server = TlsServer { dir, bin, port };
        server.certificates();
        server.cluster();
        Some(server)
    }

    /// A CA, and a server certificate it signs for 127.0.0.1 and localhost.
    fn certificates(&self) {
        let dir = self.dir.path();
        std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").expect("write");
        for args in [
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=strata test CA",
            ][..],
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "san.ext",
            ],
        ] {
            run(Command::new("openssl").args(args).current_dir(dir));
        }
    }

    /// initdb, TLS on, every connection over TCP required to use it; then start.
    fn cluster(&self) {
        let (dir, data) = (self.dir.path(), self.data());
        chown_postgres(dir);
        let as_postgres = |tool: &str| {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(self.bin.join(tool));
            command
        };
        run(as_postgres("initdb").args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"]).arg(&data));
        for file in ["server.crt", "server.key"] {
            std::fs::copy(dir.join(file), data.join(file)).expect("copy certificate");
        }
        chown_postgres(&data);
        run(Command::new("chmod").arg("600").arg(data.join("server.key")));
        let conf = format!(
            "\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nssl = on\nfsync = off\n",
            self.port,
            dir.display()
        );
        append(&data.join("postgresql.conf"), &conf);
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all secured 127.0.0.1/32 scram-sha-256\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .expect("write pg_hba.conf");
        run(as_postgres("pg_ctl").arg("-D").arg(&data).arg("-l").arg(dir.join("log")).args(["-w", "start"]));
        // A role that must give its password.
        run(as_postgres("psql")
            .arg("-h")
            .arg(dir)
            .args(["-p", &self.port.to_string(), "-d", "postgres", "-c"])
            .arg("CREATE ROLE secured LOGIN SUPERUSER PASSWORD 'right-password'"));
    }

    fn url(&self, query: &str) -> String {
        self.url_as("postgres", query)
    }

    fn url_as(&self, user: &str, query: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/postgres?{query}", self.port)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path()).collect();
    versions.sort();
    versions.into_iter().rev().map(|v| v.join("bin")).find(|bin| bin.join("initdb").exists())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn chown_postgres(path: &Path) {
    run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(path));
}

fn append(path: &Path, text: &str) {
    let mut content = std::fs::read_to_string(path).expect("read");
    content.push_str(text);
    std::fs::write(path, content).expect("write");
}

fn run(command: &mut Command) {
    let output = command.output().expect("the tool runs");
    assert!(output.status.success(), "{command:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// A one-tenant project whose environment's URL is `${STRATA_TLS_URL_<name>}`.
fn project(name: &str, url: &str) -> Repo {
    let variable = format!("STRATA_TLS_URL_{name}");
    std::env::set_var(&variable, url);
    let repo = Repo::with_files(&[
        ("strata.yaml", "name: tls\ndialect: postgres\n"),
        ("templates/base/template.yaml", "name: base\nversion: 1.0.0\n"),
        ("templates/base/schema/01.sql", "CREATE TABLE t (id integer PRIMARY KEY);\n"),
        ("tenants/one/tenant.yaml", "template: base\n"),
        (
            "environments/test.yaml",
            &format!("url: ${{{variable}}}\nisolation: schema\ntarget: \"tls_{name}_{{{{ tenant.id }}}}\"\ncreate_missing: true\ntimeouts: {{ connect: 5s }}\n"),
        ),
    ]);
    repo.commit("initial");
    repo
}

#[test]
fn a_tls_only_server_is_reached_with_require_and_verify_full_and_refused_otherwise() {
    let Some(server) = TlsServer::start() else { return };
    let ca = server.ca().display().to_string();
    for (name, query) in
        [("require", "sslmode=require".to_string()), ("verify", format!("sslmode=verify-full&sslrootcert={ca}"))]
    {
        let repo = project(name, &server.url(&query));
        let run = repo.run(&["apply", "--env", "test"]);
        assert_eq!(run.code, 0, "sslmode {name}:\n{}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("1 migrated"), "{}", run.stdout);
    }
    let wrong_password = server.url_as("secured:wrong-password", "sslmode=require");
    for (name, url, expected) in [
        ("unknown_ca", server.url("sslmode=verify-full"), "certificate"),
        ("plain", server.url("sslmode=disable"), "no encryption"),
        ("password", wrong_password, "password authentication failed"),
    ] {
        let repo = project(name, &url);
        let run = repo.run(&["apply", "--env", "test"]);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert_eq!(run.code, 4, "{name}:\n{said}");
        assert_eq!(said.matches("cannot reach the server of environment test").count(), 1, "{name}:\n{said}");
        assert!(said.to_lowercase().contains(expected), "{name}: expected `{expected}` in:\n{said}");
        assert!(!said.contains("wrong-password"), "the password is never printed:\n{said}");
    }
    let right =
        project("right", &server.url_as("secured:right-password", &format!("sslmode=verify-full&sslrootcert={ca}")));
    assert_eq!(right.run(&["apply", "--env", "test"]).code, 0, "the right password gets in");
}
