//! Faults: a run killed (SIGKILL), stopped by Ctrl-C (SIGINT) or failing on a write leaves
//! no output directory, keeps its finished parts, and `crunch run --resume` finishes it
//! with the bytes of an uninterrupted run. An unwritable output directory is a clear error.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{files, finished_parts, ok, refused, run_args};

/// Paths of the interrupted runs, in parts of [`CHECKPOINT`] path: 24 parts.
const PATHS: &str = "24";
const CHECKPOINT: &str = "1";
const PARTS: usize = 24;

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin!("crunch").to_owned()
}

/// `scenarios/quickstart.toml` with every output (it has `timeseries.parquet` and
/// `health.parquet`; `events.parquet` is switched on).
fn scenario(dir: &Path) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/quickstart.toml");
    let text = fs::read_to_string(shipped)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("events ="))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("[output]\n", "[output]\nevents = true\n");
    let path = dir.join("quickstart.toml");
    fs::write(&path, text).unwrap();
    path
}

/// The arguments of `crunch run` of `scenario` into `out` with `PATHS` paths and `extra`
/// arguments.
fn args<'a>(scenario: &'a Path, out: &'a Path, extra: &'a [&'a str]) -> Vec<&'a OsStr> {
    run_args(scenario, out, PATHS, extra)
}

fn run(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(binary())
        .args(args(scenario, out, extra))
        .output()
        .unwrap()
}

fn spawn(scenario: &Path, out: &Path, extra: &[&str]) -> Child {
    Command::new(binary())
        .args(args(scenario, out, extra))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the run into `out` has finished at least `parts` parts.
fn wait_for_parts(child: &mut Child, out: &Path, parts: usize) {
    let start = Instant::now();
    while finished_parts(out) < parts {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be interrupted"
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no part after 2 min"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The uninterrupted run, in one part (the default checkpoint size exceeds the paths).
fn reference(root: &Path, scenario: &Path) -> Vec<(String, Vec<u8>)> {
    let whole = root.join("whole");
    ok(run(scenario, &whole, &[]));
    let whole = files(&whole);
    assert_eq!(whole.len(), 4);
    whole
}

fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) {
    assert_eq!(a.len(), b.len());
    for ((name, x), (other, y)) in a.iter().zip(b) {
        assert_eq!(name, other);
        assert!(x == y, "{name} differs from the uninterrupted run");
    }
}

#[test]
fn a_killed_run_is_resumed_to_the_bytes_of_an_uninterrupted_run() {
    let root = tempfile::tempdir().unwrap();
    let scenario = scenario(root.path());
    let whole = reference(root.path(), &scenario);
    let out = root.path().join("out");
    let mut child = spawn(
        &scenario,
        &out,
        &["--threads", "1", "--checkpoint-paths", CHECKPOINT],
    );
    wait_for_parts(&mut child, &out, 2);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let kept = finished_parts(&out);
    assert!((2..PARTS).contains(&kept), "{kept} parts");
    assert!(
        !out.exists(),
        "a killed run must not leave its output directory"
    );

    // Neither a plain run nor a resume with other settings mixes with the kept parts.
    let e = refused(run(&scenario, &out, &["--checkpoint-paths", CHECKPOINT]));
    assert!(
        e.contains(&format!("an interrupted run left {kept} finished part(s)"))
            && e.contains("pass --resume to finish it, or --force"),
        "{e}"
    );
    let e = refused(run(
        &scenario,
        &out,
        &["--checkpoint-paths", CHECKPOINT, "--resume", "--seed", "8"],
    ));
    assert!(
        e.contains("cannot resume the run in")
            && e.contains("it was started with `seed = 7` where this run has `seed = 8`"),
        "{e}"
    );
    assert_eq!(finished_parts(&out), kept);

    let stdout = ok(run(
        &scenario,
        &out,
        &[
            "--checkpoint-paths",
            CHECKPOINT,
            "--resume",
            "--threads",
            "2",
        ],
    ));
    assert!(stdout.contains("results in"), "{stdout}");
    assert_same(&whole, &files(&out));
    assert_eq!(
        fs::read_dir(root.path()).unwrap().count(),
        3,
        "only the scenario, whole and out remain (and nothing hidden)"
    );
}

#[test]
fn ctrl_c_stops_the_run_says_what_was_kept_and_resume_finishes_it() {
    let root = tempfile::tempdir().unwrap();
    let scenario = scenario(root.path());
    let whole = reference(root.path(), &scenario);
    let out = root.path().join("out");
    let mut child = spawn(
        &scenario,
        &out,
        &["--threads", "1", "--checkpoint-paths", CHECKPOINT],
    );
    wait_for_parts(&mut child, &out, 1);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    // Promptly: the path in progress finishes, nothing more is simulated.
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(130));
    let e = String::from_utf8(output.stderr).unwrap();
    let kept = finished_parts(&out);
    assert!(
        e.contains(&format!("interrupted: {kept} of {PARTS} part(s)"))
            && e.contains("run the same command with --resume"),
        "{e}"
    );
    assert!(!out.exists());

    ok(run(
        &scenario,
        &out,
        &["--checkpoint-paths", CHECKPOINT, "--resume"],
    ));
    assert_same(&whole, &files(&out));
}

#[test]
fn a_failed_write_is_an_error_that_keeps_the_parts_for_resume() {
    let root = tempfile::tempdir().unwrap();
    let scenario = scenario(root.path());
    let whole = reference(root.path(), &scenario);
    let largest = whole.iter().map(|(_, b)| b.len()).max().unwrap();
    let out = root.path().join("out");
    // A file-size limit (RLIMIT_FSIZE, in 512-byte blocks) below the largest output file
    // but above any part's files, with SIGXFSZ ignored: writing past it fails with EFBIG
    // ("File too large"), as a full disk fails with ENOSPC. The parts fit; joining them
    // does not.
    let blocks = largest / 512 / 2;
    let mut command = vec![
        "trap '' XFSZ; ulimit -f \"$0\"; exec \"$@\"".to_owned(),
        blocks.to_string(),
        binary().to_string_lossy().into_owned(),
    ];
    command.extend(
        args(&scenario, &out, &["--checkpoint-paths", CHECKPOINT])
            .iter()
            .map(|a| a.to_string_lossy().into_owned()),
    );
    let output = Command::new("sh")
        .arg("-c")
        .args(&command)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let e = refused(output);
    assert!(
        e.contains("File too large")
            && e.contains(&format!("writing {}", out.display()))
            && e.contains("--resume to finish the rest"),
        "{e}"
    );
    assert!(!stdout.contains("results in"));
    assert!(!out.exists());
    assert_eq!(finished_parts(&out), PARTS);

    ok(run(
        &scenario,
        &out,
        &["--checkpoint-paths", CHECKPOINT, "--resume"],
    ));
    assert_same(&whole, &files(&out));
}

#[test]
fn an_unwritable_output_directory_is_a_clear_error() {
    let root = tempfile::tempdir().unwrap();
    let scenario = scenario(root.path());
    let file = root.path().join("file");
    fs::write(&file, "not a directory").unwrap();
    let e = refused(run(&scenario, &file.join("out"), &[]));
    assert!(
        e.contains(&format!("{}: cannot create the directory", file.display())),
        "{e}"
    );

    // A directory without write permission; root writes anyway, so this part is checked
    // only where permissions apply.
    let locked = root.path().join("locked");
    fs::create_dir(&locked).unwrap();
    let mut perms = fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    fs::set_permissions(&locked, perms).unwrap();
    if fs::write(locked.join("probe"), "").is_ok() {
        eprintln!("skipped the permission case: this user writes into read-only directories");
        return;
    }
    let e = refused(run(&scenario, &locked.join("out"), &[]));
    assert!(e.contains("Permission denied"), "{e}");
    assert_eq!(fs::read_dir(&locked).unwrap().count(), 0);
}
