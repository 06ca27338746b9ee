//! Where a repository's files come from: the work tree (what `commit` compiles) or the git objects
//! of one commit (what `apply` runs). Everything above this trait is blind to the difference, so
//! the same loader serves both and `apply` can never read an uncommitted file by accident.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// git's message without its class and code, which say nothing to a user.
    #[error("cannot read {path}: {}", .source.message())]
    GitRead {
        path: String,
        #[source]
        source: git2::Error,
    },
    #[error("{path} is not valid UTF-8 text")]
    NotText { path: String },
}

/// One entry of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub is_dir: bool,
}

/// Read-only view of a repository's files. Paths are relative to the repository root and use `/`.
pub trait Source {
    /// A file's text, or `None` when it does not exist.
    fn read(&self, path: &str) -> Result<Option<String>, SourceError>;
    /// The entries of a folder sorted by name; empty when the folder does not exist.
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError>;
    /// For messages: "the work tree" or "commit 1a2b3c4".
    fn describe(&self) -> String;

    /// Files of `dir` whose names end in one of `extensions`, in lexical order (DESIGN §1).
    fn files_with(&self, dir: &str, extensions: &[&str]) -> Result<Vec<String>, SourceError> {
        Ok(self
            .list(dir)?
            .into_iter()
            .filter(|e| !e.is_dir && extensions.iter().any(|ext| e.name.ends_with(ext)))
            .map(|e| format!("{dir}/{}", e.name))
            .collect())
    }

    /// Names of the sub-folders of `dir`.
    fn subdirs(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        Ok(self.list(dir)?.into_iter().filter(|e| e.is_dir).map(|e| e.name).collect())
    }
}

fn utf8(path: &str, bytes: Vec<u8>) -> Result<String, SourceError> {
    String::from_utf8(bytes).map_err(|_| SourceError::NotText { path: path.to_string() })
}

/// The files on disk below a root folder.
pub struct WorkTree {
    root: PathBuf,
}

impl WorkTree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Source for WorkTree {
    fn read(&self, path: &str) -> Result<Option<String>, SourceError> {
        match std::fs::read(self.root.join(path)) {
            Ok(bytes) => utf8(path, bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SourceError::Read { path: path.to_string(), source }),
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let full = self.root.join(dir);
        if !full.is_dir() {
            return Ok(Vec::new());
        }
        let mut entries = Vec::new();
        for item in walkdir::WalkDir::new(&full).min_depth(1).max_depth(1).sort_by_file_name() {
            let item = item.map_err(|e| SourceError::Read { path: dir.to_string(), source: e.into() })?;
            let Some(name) = item.file_name().to_str() else {
                return Err(SourceError::NotText { path: format!("{dir}/{}", item.file_name().to_string_lossy()) });
            };
            entries.push(Entry { name: name.to_string(), is_dir: item.file_type().is_dir() });
        }
        Ok(entries)
    }

    fn describe(&self) -> String {
        "the work tree".to_string()
    }
}

/// The files of one commit, read from the object database: the work tree is never looked at.
pub struct CommitTree<'r> {
    repo: &'r Repository,
    tree: git2::Tree<'r>,
    commit: Oid,
}

impl<'r> CommitTree<'r> {
    pub fn new(repo: &'r Repository, commit: &git2::Commit<'r>) -> Result<Self, git2::Error> {
        Ok(Self { repo, tree: commit.tree()?, commit: commit.id() })
    }

    pub fn commit_id(&self) -> Oid {
        self.commit
    }

    fn read_err(path: &str, e: git2::Error) -> SourceError {
        SourceError::GitRead { path: path.to_string(), source: e }
    }
}

impl Source for CommitTree<'_> {
    fn read(&self, path: &str) -> Result<Option<String>, SourceError> {
        let entry = match self.tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(Self::read_err(path, e)),
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        let blob = self.repo.find_blob(entry.id()).map_err(|e| Self::read_err(path, e))?;
        utf8(path, blob.content().to_vec()).map(Some)
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let entry = match self.tree.get_path(Path::new(dir)) {
            Ok(entry) => entry,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Self::read_err(dir, e)),
        };
        if entry.kind() != Some(ObjectType::Tree) {
            return Ok(Vec::new());
        }
        let tree = self.repo.find_tree(entry.id()).map_err(|e| Self::read_err(dir, e))?;
        let mut entries: Vec<Entry> = tree
            .iter()
            .filter_map(|e| {
                let name = e.name()?.to_string();
                Some(Entry { name, is_dir: e.kind() == Some(ObjectType::Tree) })
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn describe(&self) -> String {
        format!("commit {}", &self.commit.to_string()[..12])
    }
}
