//! Test harness: a scratch strata repository in a temp dir, the real `strata` binary run in it,
//! hand-made git commits, and queries against the real SQLite tenant files.
#![allow(dead_code)] // each test crate uses a different part of the harness

pub mod catalog;
pub mod closed_loop;
pub mod corpus;
pub mod engines;
pub mod generator;
pub mod pairs;
pub mod proxy;
pub mod roundtrip;
pub mod servers;

use std::path::{Path, PathBuf};
use std::process::Output;

use sqlx::{Connection, Row};

pub struct Repo {
    dir: tempfile::TempDir,
}

/// What a command printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Repo {
    /// `strata init` of the starter catalog into a fresh temp dir.
    pub fn init() -> Self {
        let dir = tempfile::Builder::new().prefix("strata-test-").tempdir().expect("temp dir");
        let repo = Repo { dir };
        let run = repo.run(&["init", "."]);
        assert_eq!(run.code, 0, "init failed: {}", run.stderr);
        repo
    }

    /// A git repository holding only `files`, committed: for projects other than the starter.
    pub fn with_files(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new().prefix("strata-test-").tempdir().expect("temp dir");
        git2::Repository::init(dir.path()).expect("git init");
        let repo = Repo { dir };
        for (path, content) in files {
            repo.write(path, content);
        }
        repo.git_commit_all("project files");
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs the real binary with `--repo <this repo>`; never panics.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_strata"));
        command.arg("--repo").arg(self.path()).args(args).current_dir(self.path());
        command.output().expect("strata runs").into()
    }

    /// Runs the same command as two processes at once and waits for both.
    pub fn run_twice_at_once(&self, args: &[&str]) -> (Run, Run) {
        let spawn = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
                .arg("--repo")
                .arg(self.path())
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("strata runs")
        };
        let (a, b) = (spawn(), spawn());
        (a.wait_with_output().unwrap().into(), b.wait_with_output().unwrap().into())
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "strata {args:?} failed with {}:\n{}\n{}", run.code, run.stdout, run.stderr);
        run.stdout
    }

    /// `strata commit`, returning the new commit hash (the last line it prints).
    pub fn commit(&self, message: &str) -> String {
        let out = self.ok(&["commit", "-m", message]);
        out.lines().last().expect("commit prints the hash").trim().to_string()
    }

    pub fn write(&self, path: &str, content: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
    }

    pub fn remove(&self, path: &str) {
        let full = self.path().join(path);
        if full.is_dir() {
            std::fs::remove_dir_all(full).unwrap();
        } else {
            std::fs::remove_file(full).unwrap();
        }
    }

    fn git(&self) -> git2::Repository {
        git2::Repository::open(self.path()).expect("a git repository")
    }

    pub fn head(&self) -> String {
        self.git().head().unwrap().peel_to_commit().unwrap().id().to_string()
    }

    /// Commits every change in the work tree by hand, the way a user's `git commit -am` would.
    pub fn git_commit_all(&self, message: &str) -> String {
        let repo = self.git();
        let mut index = repo.index().unwrap();
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
        let signature = git2::Signature::now("test", "test@example.com").unwrap();
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents).unwrap().to_string()
    }

    /// The git command line in the repository (branches and merges, as a user would make them).
    pub fn git_cli(&self, args: &[&str]) -> Run {
        std::process::Command::new("git")
            .args(["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "advice.detachedHead=false"])
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("git runs")
            .into()
    }

    /// `git status --porcelain`, to prove a failed command changed nothing.
    pub fn git_status(&self) -> Vec<String> {
        let repo = self.git();
        let mut options = git2::StatusOptions::new();
        options.include_untracked(true).recurse_untracked_dirs(true);
        let statuses = repo.statuses(Some(&mut options)).unwrap();
        statuses.iter().map(|e| format!("{:?} {}", e.status(), e.path().unwrap_or("?"))).collect()
    }

    pub fn tenant_db(&self, tenant: &str) -> PathBuf {
        self.path().join(".strata/local").join(format!("{tenant}.db"))
    }

    /// Rows of a query on a tenant's SQLite file, every value as text ("NULL" for null).
    pub fn query(&self, tenant: &str, sql: &str) -> Vec<Vec<String>> {
        let path = self.tenant_db(tenant);
        assert!(path.exists(), "{} does not exist", path.display());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).read_only(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| {
                            let value: Option<String> = row
                                .try_get::<Option<String>, _>(i)
                                .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| v.map(|n| n.to_string())))
                                .unwrap();
                            value.unwrap_or_else(|| "NULL".to_string())
                        })
                        .collect()
                })
                .collect()
        })
    }

    /// Runs statements on a tenant's SQLite file by hand, as someone with a database client would.
    pub fn execute(&self, tenant: &str, sql: &str) {
        let path = self.tenant_db(tenant);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        });
    }

    /// One column of a query, flattened.
    pub fn column(&self, tenant: &str, sql: &str) -> Vec<String> {
        self.query(tenant, sql).into_iter().map(|mut r| r.remove(0)).collect()
    }

    pub fn columns_of(&self, tenant: &str, table: &str) -> Vec<String> {
        self.column(tenant, &format!("SELECT name FROM pragma_table_info('{table}')"))
    }

    pub fn tables_of(&self, tenant: &str) -> Vec<String> {
        self.column(tenant, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    }

    pub fn indexes_of(&self, tenant: &str) -> Vec<String> {
        self.column(tenant, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
    }
}
