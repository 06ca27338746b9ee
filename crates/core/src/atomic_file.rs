//! Files written whole or not at all. A process killed while writing (SIGKILL, a power cut, a
//! full disk) must leave the old content or the new one, never a truncated file: strata rewrites
//! files that hold the user's uncommitted edits (manifests), records other runs depend on
//! (`strata.sum`, `releases.yaml`, rollout records) and reports a pipeline reads.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What every temporary file ends with, so that one a killed process left behind can be told
/// apart from the user's files and removed ([`remove_stale_temporaries`]).
pub const TEMPORARY_SUFFIX: &str = ".strata-tmp";

/// A file that could not be written; the target keeps what it held before.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Two writes of one process (threads of a rollout) never share a temporary file.
static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it over
/// `path`: a rename within one directory is atomic, so readers (and a later run after a crash)
/// see the old file or the new one. An existing target keeps its permissions; a symbolic link is
/// followed so that the file it names is replaced, not the link. A device or pipe (`--report
/// /dev/stdout`) cannot be replaced, and has no old content to keep: it is written to directly.
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), WriteError> {
    let fail = |source| WriteError { path: path.to_path_buf(), source };
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path).map_err(fail)?,
        _ => path.to_path_buf(),
    };
    if std::fs::metadata(&target).is_ok_and(|meta| is_special(&meta.file_type())) {
        return write_through(&target, bytes.as_ref()).map_err(fail);
    }
    let name = target.file_name().ok_or_else(|| fail(std::io::Error::other("not a file name")))?;
    let dir = target.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let serial = NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed);
    let temporary = dir.join(format!(".{}.{}.{serial}{TEMPORARY_SUFFIX}", name.to_string_lossy(), std::process::id()));
    match write_synced(&temporary, &target, bytes.as_ref()).and_then(|()| std::fs::rename(&temporary, &target)) {
        Ok(()) => {
            sync_directory(dir);
            Ok(())
        }
        Err(source) => {
            // Nothing to report if it is already gone; the write's own error is the one that matters.
            let _ = std::fs::remove_file(&temporary);
            Err(fail(source))
        }
    }
}

/// A device, pipe or socket: neither a regular file to replace nor a folder to refuse.
fn is_special(kind: &std::fs::FileType) -> bool {
    !kind.is_file() && !kind.is_dir()
}

fn write_through(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).open(target)?;
    file.write_all(bytes)?;
    file.flush()
}

/// The temporary file with its content on disk and the permissions of the file it replaces.
fn write_synced(temporary: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(temporary)?;
    if let Ok(meta) = std::fs::metadata(target) {
        file.set_permissions(meta.permissions())?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// The rename itself reaches the disk only when the directory is synced. Some file systems
/// refuse to sync a directory; the rename has happened and only its durability is lost there,
/// which is no reason to call the write failed.
fn sync_directory(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

/// Removes the temporary files a killed writer left anywhere under `dir` (they would otherwise be
/// staged, summed or read as sources). Only for callers that know no writer is running there, such
/// as `strata commit` holding the repository lock. Returns how many it removed.
pub fn remove_stale_temporaries(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(0) };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            removed += remove_stale_temporaries(&entry.path())?;
        } else if kind.is_file() && entry.file_name().to_string_lossy().ends_with(TEMPORARY_SUFFIX) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_file_is_written_and_no_temporary_is_left() {
        let dir = scratch();
        let path = dir.path().join("releases.yaml");
        write_atomic(&path, "one\n").expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "one\n");
        assert_eq!(names(dir.path()), ["releases.yaml"]);
    }

    #[test]
    fn an_existing_file_is_replaced_whole_and_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch();
        let path = dir.path().join("template.yaml");
        std::fs::write(&path, "old content that is longer than the new\n").expect("seed");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        write_atomic(&path, "new\n").expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new\n");
        assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o640);
        assert_eq!(names(dir.path()), ["template.yaml"]);
    }

    #[test]
    fn a_symbolic_link_keeps_pointing_at_the_replaced_file() {
        let dir = scratch();
        let real = dir.path().join("real.yaml");
        let link = dir.path().join("link.yaml");
        std::fs::write(&real, "old\n").expect("seed");
        std::os::unix::fs::symlink(&real, &link).expect("link");
        write_atomic(&link, "new\n").expect("written");
        assert!(std::fs::symlink_metadata(&link).expect("meta").file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).expect("read"), "new\n");
    }

    #[test]
    fn a_failed_write_names_the_path_and_leaves_the_old_content_and_no_temporary() {
        let dir = scratch();
        let path = dir.path().join("strata.sum");
        std::fs::write(&path, "old\n").expect("seed");
        // A directory where the file should be: the rename over it fails after the temporary
        // file was written, the last moment a write can fail.
        let blocked = dir.path().join("report.json");
        std::fs::create_dir(&blocked).expect("dir");
        let error = write_atomic(&blocked, "new\n").expect_err("a directory cannot be replaced by a file");
        assert!(error.to_string().starts_with(&blocked.display().to_string()), "{error}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "old\n");
        assert_eq!(names(dir.path()), ["report.json", "strata.sum"]);
    }

    #[test]
    fn a_path_under_a_regular_file_is_an_error_naming_it() {
        let dir = scratch();
        let file = dir.path().join("plain");
        std::fs::write(&file, "x").expect("seed");
        let path = file.join("report.json");
        let error = write_atomic(&path, "{}").expect_err("a file has no children");
        assert!(error.to_string().contains(&path.display().to_string()), "{error}");
    }

    #[test]
    fn a_device_is_written_to_and_never_replaced() {
        write_atomic(Path::new("/dev/null"), "report\n").expect("written");
        assert!(!std::fs::metadata("/dev/null").expect("meta").file_type().is_file(), "still a device");
        let full = write_atomic(Path::new("/dev/full"), "report\n").expect_err("a full disk");
        assert!(full.to_string().starts_with("/dev/full: "), "{full}");
        assert!(!std::fs::metadata("/dev/full").expect("meta").file_type().is_file(), "still a device");
    }

    #[test]
    fn stale_temporaries_are_removed_and_nothing_else() {
        let dir = scratch();
        std::fs::create_dir(dir.path().join("migrations")).expect("dir");
        let stale = dir.path().join("migrations").join(format!(".strata.sum.1.0{TEMPORARY_SUFFIX}"));
        std::fs::write(&stale, "half").expect("seed");
        std::fs::write(dir.path().join("migrations").join("strata.sum"), "sum").expect("seed");
        assert_eq!(remove_stale_temporaries(dir.path()).expect("removed"), 1);
        assert_eq!(names(&dir.path().join("migrations")), ["strata.sum"]);
    }
}
