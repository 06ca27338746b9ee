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
    /// A symbolic link that leaves the repository: its target is never read.
    #[error("{path}: a symbolic link to {target}, outside the repository; strata reads only files inside it (copy the file in)")]
    OutsideRepository { path: String, target: String },
    #[error("{path}: symbolic links loop or chain too deep")]
    LinkLoop { path: String },
    #[error("{path} is not valid UTF-8 text")]
    NotText { path: String },
    /// A file's bytes that are not UTF-8, at the line of the first bad byte.
    #[error("{path}:{line}: not valid UTF-8 text (save the file as UTF-8)")]
    NotUtf8 { path: String, line: usize },
    /// A NUL byte: no SQL or YAML holds one, and a parser shows it as nothing at all.
    #[error("{path}:{line}: a NUL byte; strata reads text files, and text holds none")]
    Nul { path: String, line: usize },
    /// A pipe, a device or a folder where a file should be: reading a pipe would wait forever.
    #[error("{path} is not a regular file (a folder, a pipe or a device); strata reads only files")]
    NotAFile { path: String },
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
    /// For messages: the work tree's folder, or "commit 1a2b3c4".
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

/// A file's text, without the byte order mark some Windows editors write first: YAML readers
/// skip it, SQL parsers do not, and it is no part of what the file says.
fn utf8(path: &str, bytes: Vec<u8>) -> Result<String, SourceError> {
    let line_at = |bytes: &[u8], at: usize| bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(SourceError::Nul { path: path.to_string(), line: line_at(&bytes, at) });
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = line_at(e.as_bytes(), e.utf8_error().valid_up_to());
        SourceError::NotUtf8 { path: path.to_string(), line }
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
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

    /// Refuses a path that a symbolic link (of the file or of a folder above it) takes outside the
    /// root; links within the repository are followed.
    fn inside(&self, path: &str) -> Result<(), SourceError> {
        let full = self.root.join(path);
        let (Ok(root), Ok(resolved)) = (self.root.canonicalize(), full.canonicalize()) else {
            // Missing files and dangling links are reported by the read itself.
            return Ok(());
        };
        if resolved.starts_with(&root) {
            Ok(())
        } else {
            Err(SourceError::OutsideRepository { path: path.to_string(), target: resolved.display().to_string() })
        }
    }
}

impl Source for WorkTree {
    fn read(&self, path: &str) -> Result<Option<String>, SourceError> {
        self.inside(path)?;
        let full = self.root.join(path);
        if std::fs::metadata(&full).is_ok_and(|m| !m.is_file()) {
            return Err(SourceError::NotAFile { path: path.to_string() });
        }
        match std::fs::read(full) {
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

    /// The folder itself: `--repo` may have named one that is not a repository at all.
    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

/// git's file mode of a symbolic link.
const LINK_MODE: i32 = 0o120000;

/// Links to links are followed this many times; a loop of links is an error, not a hang.
const MAX_LINK_HOPS: usize = 8;

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

    /// [`Source::read`], `hops` links deep.
    fn read_following(&self, path: &str, hops: usize) -> Result<Option<String>, SourceError> {
        let entry = match self.tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(Self::read_err(path, e)),
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        let blob = self.repo.find_blob(entry.id()).map_err(|e| Self::read_err(path, e))?;
        if entry.filemode() == LINK_MODE {
            return self.read_link(path, blob.content(), hops);
        }
        utf8(path, blob.content().to_vec()).map(Some)
    }

    /// A committed symbolic link: read its target when that is a path inside the commit, the way
    /// a checkout would, and refuse it otherwise. Links to links are followed a few times only.
    fn read_link(&self, path: &str, target: &[u8], hops: usize) -> Result<Option<String>, SourceError> {
        let target = String::from_utf8_lossy(target).to_string();
        let outside = || SourceError::OutsideRepository { path: path.to_string(), target: target.clone() };
        let mut resolved: Vec<&str> = path.split('/').collect();
        resolved.pop();
        if target.starts_with('/') {
            return Err(outside());
        }
        for part in target.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    resolved.pop().ok_or_else(outside)?;
                }
                name => resolved.push(name),
            }
        }
        if hops >= MAX_LINK_HOPS {
            return Err(SourceError::LinkLoop { path: path.to_string() });
        }
        self.read_following(&resolved.join("/"), hops + 1)
    }

    fn read_err(path: &str, e: git2::Error) -> SourceError {
        SourceError::GitRead { path: path.to_string(), source: e }
    }
}

impl Source for CommitTree<'_> {
    fn read(&self, path: &str) -> Result<Option<String>, SourceError> {
        self.read_following(path, 0)
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
