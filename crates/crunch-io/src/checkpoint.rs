//! A run's output directory written in checkpointed parts, so that a run that was killed
//! (SIGINT, SIGKILL, a full disk) can be finished with `crunch run --resume`.
//!
//! A run of units `U` (see [`Shard`](crate::Shard)) is split into parts, contiguous unit
//! ranges. Each finished part is an output directory of its own, published whole by
//! [`OutputDir`], in the work directory `.<name>.checkpoints` beside the final directory
//! `<name>`. When every part is there, [`RunDir::finish`] joins the parts' files through
//! the writer of `crunch run` (the rows of a part are those of the single run for its
//! units, so the joined bytes are the single run's, as for `crunch merge`), publishes the
//! final directory, and removes the work directory. Until then nothing named `<name>`
//! exists, so no result looks complete that is not.

use std::fs::{self, File, TryLockError};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::{IoError, fs_err};
use crate::merge::copy_rows;
use crate::output_dir::{OutputDir, occupied, parent_and_name, remove};
use crate::parquet_file::ParquetFile;
use crate::result_files::{column_schema, metadata, reader};

/// The file in the work directory that describes the run its parts belong to.
const MANIFEST: &str = "manifest.txt";
/// The file in the work directory that a running process holds an exclusive lock on.
const LOCK: &str = "lock";
/// The work directory's sub-directory of finished parts.
const PARTS: &str = "parts";

/// What to do with the parts of an interrupted run found in the work directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoints {
    /// Refuse to start when there are any (the default of `crunch run`).
    Refuse,
    /// Keep those of the same run and simulate only the missing parts (`--resume`).
    Resume,
    /// Remove them and start over (`--force`, which also replaces a finished directory).
    Discard,
}

/// The output directory of one run, written part by part.
///
/// Holds an exclusive lock on the work directory while it lives, so that two runs
/// into the same directory cannot mix their parts.
#[derive(Debug)]
pub struct RunDir {
    target: PathBuf,
    work: PathBuf,
    force: bool,
    files: Vec<String>,
    parts: Vec<Range<u64>>,
    done: Vec<bool>,
    /// Held for the lock; released when the value is dropped.
    _lock: File,
}

/// The directory name of the part of units `r`.
fn part_name(r: &Range<u64>) -> String {
    format!("units-{:020}-{:020}", r.start, r.end)
}

impl RunDir {
    /// Opens the run that writes `files` into `target`, in the parts `parts` (contiguous,
    /// increasing unit ranges; at least one, possibly empty), described by `manifest`
    /// (any text that differs between runs whose parts must not be mixed: scenario hash,
    /// seed, paths, outputs, part size).
    ///
    /// Refuses a non-empty `target` unless `force`. With an interrupted run's work
    /// directory in place: [`Checkpoints::Refuse`] refuses, saying how many parts it holds
    /// and what to pass (or starts over when it holds none); [`Checkpoints::Resume`] keeps its finished parts if its manifest
    /// equals `manifest` (otherwise it refuses, naming the first line that differs);
    /// [`Checkpoints::Discard`] removes it. A work directory locked by a live process is
    /// always refused.
    pub fn open(
        target: &Path,
        manifest: &str,
        files: Vec<String>,
        parts: Vec<Range<u64>>,
        force: bool,
        checkpoints: Checkpoints,
    ) -> Result<RunDir, IoError> {
        let refuse = |problem: String| IoError::Checkpoints {
            path: target.to_owned(),
            problem,
        };
        if !force && occupied(target)? {
            return Err(IoError::OutputExists {
                path: target.to_owned(),
            });
        }
        let (parent, name) = parent_and_name(target)?;
        let work = parent.join(format!(".{name}.checkpoints"));
        let existed = work.is_dir();
        if !existed {
            fs::create_dir(&work).map_err(fs_err(&work, "create the directory"))?;
        }
        let lock = Self::lock(&work, target)?;
        let mut done = vec![false; parts.len()];
        if existed {
            let finished = Self::finished_parts(&work, &parts, &files)?;
            let kept = finished.iter().filter(|&&d| d).count();
            match checkpoints {
                // With no finished part there is nothing to lose.
                Checkpoints::Refuse if kept == 0 => {}
                Checkpoints::Refuse => {
                    return Err(refuse(format!(
                        "an interrupted run left {kept} finished part(s) in {}; pass \
                         --resume to finish it, or --force to discard them and start over",
                        work.display()
                    )));
                }
                Checkpoints::Resume => {
                    let theirs = fs::read_to_string(work.join(MANIFEST)).unwrap_or_default();
                    if let Some(problem) = manifest_difference(&theirs, manifest) {
                        return Err(refuse(format!(
                            "cannot resume the run in {}: {problem}; pass --force instead of \
                             --resume to discard it and start over",
                            work.display()
                        )));
                    }
                    done = finished;
                }
                Checkpoints::Discard => {}
            }
            // Everything but the lock and the finished parts goes: a discarded run, the
            // staging directory of a part that was being written when the run died.
            for entry in fs::read_dir(&work).map_err(fs_err(&work, "read the directory"))? {
                let path = entry.map_err(fs_err(&work, "read the directory"))?.path();
                if path.file_name().is_some_and(|n| n == LOCK || n == PARTS) {
                    continue;
                }
                remove(&path, "remove")?;
            }
            let dir = work.join(PARTS);
            if dir.is_dir() {
                for entry in fs::read_dir(&dir).map_err(fs_err(&dir, "read the directory"))? {
                    let path = entry.map_err(fs_err(&dir, "read the directory"))?.path();
                    let keep = parts
                        .iter()
                        .zip(&done)
                        .any(|(r, &d)| d && path.file_name().is_some_and(|n| *n == *part_name(r)));
                    if !keep {
                        remove(&path, "remove")?;
                    }
                }
            }
        }
        write_atomically(&work.join(MANIFEST), manifest)?;
        let dir = work.join(PARTS);
        fs::create_dir_all(&dir).map_err(fs_err(&dir, "create the directory"))?;
        Ok(RunDir {
            target: target.to_owned(),
            work,
            force,
            files,
            parts,
            done,
            _lock: lock,
        })
    }

    /// Takes the exclusive lock of the work directory, or refuses when another process
    /// holds it.
    fn lock(work: &Path, target: &Path) -> Result<File, IoError> {
        let path = work.join(LOCK);
        let file = File::create(&path).map_err(fs_err(&path, "create the lock file"))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(TryLockError::WouldBlock) => Err(IoError::Checkpoints {
                path: target.to_owned(),
                problem: format!(
                    "another crunch process is writing this directory (it holds {})",
                    path.display()
                ),
            }),
            Err(TryLockError::Error(e)) => Err(fs_err(&path, "lock the file")(e)),
        }
    }

    /// Which of `parts` are finished in `work`: their directory holds every one of `files`.
    fn finished_parts(
        work: &Path,
        parts: &[Range<u64>],
        files: &[String],
    ) -> Result<Vec<bool>, IoError> {
        Ok(parts
            .iter()
            .map(|r| {
                let dir = work.join(PARTS).join(part_name(r));
                files.iter().all(|f| dir.join(f).is_file())
            })
            .collect())
    }

    /// The parts, in unit order.
    pub fn parts(&self) -> &[Range<u64>] {
        &self.parts
    }

    /// Whether part `index` is finished (kept from an interrupted run, or written by
    /// [`end_part`](Self::end_part)).
    pub fn is_done(&self, index: usize) -> bool {
        self.done[index]
    }

    /// The work directory (`.<name>.checkpoints` beside the output directory).
    pub fn work(&self) -> &Path {
        &self.work
    }

    /// Starts part `index`: the [`OutputDir`] to write its files (those announced to
    /// [`open`](Self::open)) into. The part is published by [`end_part`](Self::end_part);
    /// dropped instead, it is left out (its directory removed).
    pub fn begin_part(&self, index: usize) -> Result<OutputDir, IoError> {
        OutputDir::prepare(
            &self.work.join(PARTS).join(part_name(&self.parts[index])),
            true,
        )
    }

    /// Publishes part `index`, whose files `out` (from [`begin_part`](Self::begin_part))
    /// holds.
    pub fn end_part(&mut self, index: usize, out: OutputDir) -> Result<(), IoError> {
        for f in &self.files {
            if !out.path(f).is_file() {
                return Err(IoError::Layout {
                    path: out.path(f),
                    problem: "a part was written without this file".into(),
                });
            }
        }
        out.commit()?;
        self.done[index] = true;
        Ok(())
    }

    /// Joins the finished parts into the output directory and removes the work directory.
    /// Every part must be finished.
    pub fn finish(self) -> Result<(), IoError> {
        if let Some(i) = self.done.iter().position(|&d| !d) {
            return Err(IoError::Checkpoints {
                path: self.target.clone(),
                problem: format!(
                    "part {} (units {}..{}) is not finished",
                    i, self.parts[i].start, self.parts[i].end
                ),
            });
        }
        let dirs: Vec<PathBuf> = self
            .parts
            .iter()
            .map(|r| self.work.join(PARTS).join(part_name(r)))
            .collect();
        let out = OutputDir::prepare(&self.target, self.force)?;
        for name in &self.files {
            let dest = out.path(name);
            if let [only] = dirs.as_slice() {
                // One part is the whole run: its file is the run's file.
                let src = only.join(name);
                fs::rename(&src, &dest).map_err(fs_err(&src, "move the file"))?;
                continue;
            }
            let first = dirs[0].join(name);
            let schema = column_schema(&first)?;
            let metadata = metadata(&reader(&first)?);
            let mut file = ParquetFile::create(dest, schema.clone(), &metadata)?;
            for dir in &dirs {
                copy_rows(&dir.join(name), &schema, &mut file)?;
            }
            file.close()?;
        }
        out.commit()?;
        // The results are in place; a work directory that cannot be removed only costs
        // space, and the next run into this directory must pass --force anyway.
        let _ = fs::remove_dir_all(&self.work);
        Ok(())
    }

    /// Removes the work directory and every part in it (a run that failed in a way that
    /// resuming cannot fix).
    pub fn discard(self) -> Result<(), IoError> {
        remove(&self.work, "remove")
    }
}

/// Writes `text` to `path` through a temporary file and a rename.
fn write_atomically(path: &Path, text: &str) -> Result<(), IoError> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp).map_err(fs_err(&tmp, "create the file"))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(fs_err(&tmp, "write the file"))?;
    fs::rename(&tmp, path).map_err(fs_err(path, "rename the file"))
}

/// The first line in which two manifests differ, in words; `None` when they are equal.
fn manifest_difference(theirs: &str, ours: &str) -> Option<String> {
    if theirs == ours {
        return None;
    }
    let mut a = theirs.lines();
    let mut b = ours.lines();
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (x, y) => {
                let show = |l: Option<&str>| l.map_or("nothing".to_owned(), |l| format!("`{l}`"));
                return Some(format!(
                    "it was started with {} where this run has {}",
                    show(x),
                    show(y)
                ));
            }
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

    fn write(out: &OutputDir, text: &str) -> Result<(), IoError> {
        fs::write(out.path("a.txt"), text).map_err(fs_err(&out.path("a.txt"), "write"))
    }

    /// Writes part `index` with `fill`, published when it succeeds.
    fn write_part(
        run: &mut RunDir,
        index: usize,
        fill: impl FnOnce(&OutputDir) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        let out = run.begin_part(index)?;
        fill(&out)?;
        run.end_part(index, out)
    }

    #[test]
    fn one_part_is_moved_into_place_and_the_work_directory_goes() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let mut run = RunDir::open(
            &target,
            "m",
            vec!["a.txt".into()],
            std::iter::once(0..4).collect(),
            false,
            Checkpoints::Refuse,
        )
        .unwrap();
        assert_eq!(names(root.path()), [".out.checkpoints"]);
        write_part(&mut run, 0, |out| write(out, "x")).unwrap();
        run.finish().unwrap();
        assert_eq!(names(root.path()), ["out"]);
        assert_eq!(fs::read_to_string(target.join("a.txt")).unwrap(), "x");
    }

    #[test]
    fn interrupted_parts_are_refused_resumed_or_discarded() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let files = vec!["a.txt".to_owned()];
        let parts = vec![0..2, 2..4, 4..5];
        let open = |manifest: &str, c| {
            RunDir::open(&target, manifest, files.clone(), parts.clone(), false, c)
        };
        let mut run = open("seed = 1\n", Checkpoints::Refuse).unwrap();
        write_part(&mut run, 0, |out| write(out, "0")).unwrap();
        // A part that fails is left out; then the process "dies".
        let failed: Result<(), IoError> = write_part(&mut run, 1, |out| {
            write(out, "half")?;
            Err(IoError::Layout {
                path: out.path("a.txt"),
                problem: "disk full".into(),
            })
        });
        assert!(failed.is_err());
        assert!(!run.is_done(1));
        // While the first process lives, nobody else gets in.
        let e = open("seed = 1\n", Checkpoints::Resume).unwrap_err();
        assert!(e.to_string().contains("another crunch process"), "{e}");
        drop(run);

        let e = open("seed = 1\n", Checkpoints::Refuse).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: an interrupted run left 1 finished part(s) in {}; pass --resume to \
                 finish it, or --force to discard them and start over",
                target.display(),
                root.path().join(".out.checkpoints").display()
            )
        );
        let e = open("seed = 2\n", Checkpoints::Resume).unwrap_err();
        assert!(
            e.to_string()
                .contains("it was started with `seed = 1` where this run has `seed = 2`"),
            "{e}"
        );
        let mut run = open("seed = 1\n", Checkpoints::Resume).unwrap();
        assert_eq!(
            (0..3).map(|i| run.is_done(i)).collect::<Vec<_>>(),
            [true, false, false]
        );
        write_part(&mut run, 1, |out| write(out, "1")).unwrap();
        drop(run);

        let run = open("seed = 1\n", Checkpoints::Discard).unwrap();
        assert!(!run.is_done(0) && !run.is_done(1));
        assert!(names(&run.work().join(PARTS)).is_empty());
        assert!(
            run.finish()
                .unwrap_err()
                .to_string()
                .contains("is not finished")
        );
        assert!(!target.exists());
    }

    #[test]
    fn a_finished_directory_is_not_overwritten_without_force() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("old"), "old").unwrap();
        let e = RunDir::open(
            &target,
            "m",
            vec![],
            std::iter::once(0..1).collect(),
            false,
            Checkpoints::Resume,
        )
        .unwrap_err();
        assert!(matches!(e, IoError::OutputExists { .. }));
        assert_eq!(names(root.path()), ["out"]);
    }
}
