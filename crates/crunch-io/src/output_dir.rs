//! An output directory that appears whole or not at all.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{IoError, fs_err};

/// A directory of results written in a hidden staging directory beside its final place
/// and moved there by [`commit`](Self::commit).
///
/// The staging directory is `.<name>.partial-<pid>` in the parent of the final
/// directory (same file system, so the final move is a rename). If the value is dropped
/// without a commit (an error, a panic that unwinds), the staging directory and
/// everything in it is removed: a failed run leaves nothing behind.
#[derive(Debug)]
pub struct OutputDir {
    target: PathBuf,
    staging: PathBuf,
    force: bool,
    committed: bool,
}

/// Whether `dir` exists and has at least one entry (a non-directory counts as non-empty;
/// a path under a file does not exist).
pub(crate) fn occupied(dir: &Path) -> Result<bool, IoError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        // Missing, or under a path component that is a file: nothing there to replace;
        // creating the parent reports the file in the way.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(false)
        }
        Err(_) if dir.exists() => Ok(true),
        Err(e) => Err(fs_err(dir, "read the output directory")(e)),
    }
}

/// The parent of the output directory `dir` (created if missing; `.` for a bare name) and
/// `dir`'s name. Hidden siblings of `dir` (staging and work directories) live in that
/// parent, on the same file system, so that a rename moves them into place.
pub(crate) fn parent_and_name(dir: &Path) -> Result<(PathBuf, String), IoError> {
    let name = dir
        .file_name()
        .ok_or_else(|| IoError::Request {
            path: dir.to_owned(),
            problem: "the output path has no directory name".into(),
        })?
        .to_string_lossy()
        .into_owned();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(fs_err(&parent, "create the directory"))?;
    Ok((parent, name))
}

/// Removes `path`, a directory tree or a file, reporting a failure as `action`.
pub(crate) fn remove(path: &Path, action: &'static str) -> Result<(), IoError> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    result.map_err(fs_err(path, action))
}

impl OutputDir {
    /// Prepares writing into `dir`.
    ///
    /// Refuses when `dir` exists and is not empty (or is not a directory) unless `force`
    /// is set, in which case it is replaced at [`commit`](Self::commit). Creates missing
    /// parent directories and the staging directory (a stale one of the same name is
    /// removed first).
    pub fn prepare(dir: &Path, force: bool) -> Result<OutputDir, IoError> {
        if !force && occupied(dir)? {
            return Err(IoError::OutputExists {
                path: dir.to_owned(),
            });
        }
        let (parent, name) = parent_and_name(dir)?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(fs_err(&staging, "remove a stale directory"))?;
        }
        fs::create_dir(&staging).map_err(fs_err(&staging, "create the directory"))?;
        Ok(OutputDir {
            target: dir.to_owned(),
            staging,
            force,
            committed: false,
        })
    }

    /// Where `file` is written before the commit (inside the staging directory).
    pub fn path(&self, file: &str) -> PathBuf {
        self.staging.join(file)
    }

    /// The staging directory.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// The final directory.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the staging directory to the final place.
    ///
    /// An empty existing directory is replaced. A non-empty one is replaced only with
    /// `force` (checked again here): it is first renamed aside to
    /// `.<name>.old-<pid>`, the staging directory is renamed into place, then the old one
    /// is removed, so the old results disappear only once the new ones are in place.
    pub fn commit(mut self) -> Result<(), IoError> {
        let target = self.target.clone();
        if occupied(&target)? {
            if !self.force {
                return Err(IoError::OutputExists { path: target });
            }
            let aside = self.staging.with_file_name(format!(
                ".{}.old-{}",
                target.file_name().unwrap_or_default().to_string_lossy(),
                std::process::id()
            ));
            fs::rename(&target, &aside).map_err(fs_err(&target, "move the old directory aside"))?;
            fs::rename(&self.staging, &target)
                .map_err(fs_err(&target, "move results into place"))?;
            self.committed = true;
            remove(&aside, "remove the old directory")?;
        } else {
            if target.exists() {
                fs::remove_dir(&target).map_err(fs_err(&target, "replace the empty directory"))?;
            }
            fs::rename(&self.staging, &target)
                .map_err(fs_err(&target, "move results into place"))?;
            self.committed = true;
        }
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_moves_staging_into_place() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("nested").join("out");
        let out = OutputDir::prepare(&dir, false).unwrap();
        let pid = std::process::id();
        assert_eq!(
            out.path("a.txt"),
            root.path().join(format!("nested/.out.partial-{pid}/a.txt"))
        );
        fs::write(out.path("a.txt"), "x").unwrap();
        assert!(!dir.exists());
        out.commit().unwrap();
        assert_eq!(names(&dir), ["a.txt"]);
        assert_eq!(names(&root.path().join("nested")), ["out"]);
    }

    #[test]
    fn dropped_without_commit_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let out = OutputDir::prepare(&root.path().join("out"), false).unwrap();
        fs::write(out.path("summary.parquet.tmp"), "partial").unwrap();
        assert_eq!(names(root.path()).len(), 1);
        drop(out);
        assert!(names(root.path()).is_empty());
    }

    #[test]
    fn non_empty_target_needs_force() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("out");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("old.txt"), "old").unwrap();
        let e = OutputDir::prepare(&dir, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: the output directory exists and is not empty; pass --force to replace it",
                dir.display()
            )
        );
        assert_eq!(names(root.path()), ["out"]);
        assert_eq!(fs::read_to_string(dir.join("old.txt")).unwrap(), "old");

        let out = OutputDir::prepare(&dir, true).unwrap();
        fs::write(out.path("new.txt"), "new").unwrap();
        // Until the commit the old results stay.
        assert_eq!(names(&dir), ["old.txt"]);
        out.commit().unwrap();
        assert_eq!(names(&dir), ["new.txt"]);
        assert_eq!(names(root.path()), ["out"]);
    }

    #[test]
    fn empty_target_is_replaced_without_force() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("out");
        fs::create_dir(&dir).unwrap();
        let out = OutputDir::prepare(&dir, false).unwrap();
        fs::write(out.path("s"), "1").unwrap();
        out.commit().unwrap();
        assert_eq!(names(&dir), ["s"]);
    }
}
