//! `crunch run`: simulate a prepared scenario into an output directory.

use crate::estimate::{Size, estimate_run};
use crate::prepare::Prepared;
use crate::summary::{PolicyStats, policy_stats};
use anyhow::{Context, Result, bail};
use crunch_engine::RunError;
use crunch_io::{
    Checkpoints, IoError, OutputDir, ParquetSink, RunDir, SHARD_KEY, Shard, SinkLayout,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use thiserror::Error;

/// Paths per checkpoint when [`RunOptions::checkpoint_paths`] is not changed: as many as
/// the engine hands to the sink at once, so checkpoints cost no parallelism.
pub const CHECKPOINT_PATHS: u64 = 256;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Output directory; `summary.parquet` and the optional files (`timeseries.parquet`,
    /// `events.parquet`, `health.parquet`, `derivatives.parquet`) go in it.
    pub out: PathBuf,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Replace an existing, non-empty output directory, and discard the parts of an
    /// interrupted run into it.
    pub force: bool,
    /// Show a progress bar on stderr (it stays hidden anyway when stderr is not a
    /// terminal).
    pub progress: bool,
    /// Run only this shard's units ([`Shard::units`]) and mark every file with
    /// `crunch.shard`; `None` runs every unit.
    pub shard: Option<Shard>,
    /// Refuse the run, before anything is written, when its estimated output
    /// ([`estimate_run`]) is larger than this many bytes; `None` never refuses.
    pub max_output: Option<Size>,
    /// Keep the finished parts of an interrupted run into [`out`](Self::out) and
    /// simulate only the missing ones.
    pub resume: bool,
    /// Paths per checkpoint: the run is written in parts of this many paths' units, each
    /// kept when the run is interrupted. It does not change the output bytes.
    pub checkpoint_paths: u64,
    /// When raised (by the binary's Ctrl-C handler), the run stops after the paths in
    /// progress and keeps its finished parts.
    pub stop: Option<&'static AtomicBool>,
}

impl RunOptions {
    /// Options that write into `out`: every core, no progress bar, the whole run, no size
    /// limit, no resume, [`CHECKPOINT_PATHS`], no stop flag.
    pub fn new(out: PathBuf) -> Self {
        Self {
            out,
            threads: None,
            force: false,
            progress: false,
            shard: None,
            max_output: None,
            resume: false,
            checkpoint_paths: CHECKPOINT_PATHS,
            stop: None,
        }
    }
}

/// A run stopped by [`RunOptions::stop`] (Ctrl-C); its finished parts are kept.
#[derive(Debug, Error)]
#[error(
    "interrupted: {done} of {parts} part(s) ({units} of {total} path-policy units) are \
     finished and kept in {}; run the same command with --resume to finish the rest",
    work.display()
)]
pub struct Interrupted {
    /// Finished parts.
    pub done: usize,
    /// All parts.
    pub parts: usize,
    /// Units in the finished parts.
    pub units: u64,
    /// Units of the run.
    pub total: u64,
    /// Where the parts are kept.
    pub work: PathBuf,
}

/// Runs `prepared` (or, with [`RunOptions::shard`], its shard's units) and publishes its
/// output directory whole once every part is written.
///
/// The run is written in parts of [`RunOptions::checkpoint_paths`] paths in a work
/// directory beside the output directory ([`RunDir`]). A run stopped by Ctrl-C (the error
/// is [`Interrupted`]), killed, or failed on writing keeps its finished parts, which
/// [`RunOptions::resume`] reuses: the result has the bytes of an uninterrupted run. A run
/// that fails in the model (which a resume would repeat) leaves nothing behind. A run
/// whose estimated output exceeds [`RunOptions::max_output`] is refused before anything is
/// written. Returns the per-policy statistics of the summary table over the units run.
pub fn run_scenario(prepared: &Prepared, options: &RunOptions) -> Result<Vec<PolicyStats>> {
    let s = &prepared.scenario;
    let all = crunch_engine::units(0..s.paths, s.policies.len());
    let units = options
        .shard
        .map_or(all.clone(), |shard| shard.units(all.end));
    let estimate = estimate_run(prepared, units.end - units.start);
    if let Some(limit) = options.max_output
        && estimate.bytes() > limit.0
    {
        bail!(
            "{}: the run would write about {} (limit {}); nothing was written.\n\
                 Estimate:\n{estimate}\
                 Pass --max-output with a larger size (for example --max-output {}) to run \
                 it, or use fewer paths (--paths), fewer outputs or --shard.",
            s.file.display(),
            Size(estimate.bytes()),
            limit,
            Size(estimate.bytes()).argument()
        );
    }
    if options.checkpoint_paths == 0 {
        bail!("--checkpoint-paths must be at least 1");
    }
    let files: Vec<String> = estimate.files.iter().map(|f| f.name.to_owned()).collect();
    let size = options
        .checkpoint_paths
        .saturating_mul(s.policies.len() as u64);
    let parts = parts(&units, size);
    let manifest = manifest(prepared, options, &units, &files);
    let checkpoints = match (options.resume, options.force) {
        (true, _) => Checkpoints::Resume,
        (false, true) => Checkpoints::Discard,
        (false, false) => Checkpoints::Refuse,
    };
    let mut dir = RunDir::open(
        &options.out,
        &manifest,
        files,
        parts,
        options.force,
        checkpoints,
    )?;
    let policy_names: Vec<String> = s.policies.iter().map(|p| p.name().to_owned()).collect();
    let layout = SinkLayout {
        scenario: s.name.clone(),
        policies: policy_names.clone(),
        account_ids: prepared.book.ids.clone(),
        symbols: s.market.assets.iter().map(|a| a.symbol.clone()).collect(),
        metadata: metadata(prepared, options.shard),
        timeseries: s.output.timeseries,
        events: s.output.events,
        tiers: s
            .frictions
            .reputation
            .as_ref()
            .map_or_else(Vec::new, |r| r.tiers.iter().map(|t| t.min_score).collect()),
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = options.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("cannot start the worker threads")?;
    let todo: Vec<usize> = (0..dir.parts().len())
        .filter(|&i| !dir.is_done(i))
        .collect();
    let k = s.policies.len() as u64;
    let paths_todo: u64 = todo
        .iter()
        .map(|&i| {
            let r = &dir.parts()[i];
            r.end.div_ceil(k) - r.start / k
        })
        .sum();
    let bar = progress_bar(paths_todo, options.progress);
    let (pool, layout) = (&pool, &layout);
    // A part's files are finished and published on a thread of their own while the next
    // part runs (the cores would otherwise wait on the writing). A part is published before
    // the outcome of the next is looked at, so an interrupted run keeps it.
    let written = std::thread::scope(|scope| -> Result<(), PartError> {
        let mut finishing = None;
        for i in todo {
            let units = dir.parts()[i].clone();
            let plan = prepared.plan(units.clone(), options.stop);
            let out = dir.begin_part(i)?;
            let ran = (|| -> Result<ParquetSink, PartError> {
                let mut sink = ParquetSink::create(&out, layout.clone())?;
                if let Some(step) = s.output.health_step {
                    sink = sink.with_health(&out, step)?;
                }
                pool.install(|| crunch_engine::run(&plan, &mut sink, &|| bar.inc(1)))?;
                Ok(sink)
            })();
            if let Some((j, finished)) = finishing.take() {
                publish(&mut dir, j, finished)?;
            }
            let sink = ran?;
            let finish = move || -> Result<OutputDir, PartError> {
                sink.finish()?;
                pool.install(|| {
                    crate::derivatives::write_part(
                        &out,
                        prepared,
                        &units,
                        &layout.metadata,
                        options.stop,
                    )
                })?;
                Ok(out)
            };
            finishing = Some((i, scope.spawn(finish)));
        }
        match finishing {
            Some((j, finished)) => publish(&mut dir, j, finished),
            None => Ok(()),
        }
    });
    match written {
        Ok(()) => {}
        Err(PartError::Run(RunError::Interrupted { .. })) => {
            bar.abandon();
            let done: Vec<&Range<u64>> = (0..dir.parts().len())
                .filter(|&i| dir.is_done(i))
                .map(|i| &dir.parts()[i])
                .collect();
            return Err(Interrupted {
                done: done.len(),
                parts: dir.parts().len(),
                units: done.iter().map(|r| r.end - r.start).sum(),
                total: units.end - units.start,
                work: dir.work().to_owned(),
            }
            .into());
        }
        Err(e @ (PartError::Run(RunError::Engine(_)) | PartError::Deriv { .. })) => {
            bar.abandon();
            // The model fails the same way on every attempt: keep nothing.
            if let Err(d) = dir.discard() {
                eprintln!("warning: {d}");
            }
            return Err(anyhow::Error::new(e).context(format!("running {}", s.file.display())));
        }
        Err(PartError::Io(e) | PartError::Run(RunError::Sink(e))) => {
            bar.abandon();
            return Err(kept(e, &options.out, dir.work()));
        }
    }
    bar.finish_and_clear();
    let work = dir.work().to_owned();
    dir.finish().map_err(|e| kept(e, &options.out, &work))?;
    let rows = crunch_io::read_summary_rows(&options.out.join("summary.parquet"))?;
    Ok(policy_names
        .iter()
        .map(|name| {
            let mine: Vec<_> = rows.iter().filter(|r| &r.policy == name).collect();
            policy_stats(name, &mine)
        })
        .collect())
}

/// Publishes part `index` once the thread `finished` finishing its files is done.
fn publish(
    dir: &mut RunDir,
    index: usize,
    finished: std::thread::ScopedJoinHandle<'_, Result<OutputDir, PartError>>,
) -> Result<(), PartError> {
    let out = finished
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    Ok(dir.end_part(index, out)?)
}

/// A write error, with what was kept and how to go on.
fn kept(e: IoError, out: &Path, work: &Path) -> anyhow::Error {
    anyhow::Error::new(e).context(format!(
        "writing {}; the finished parts are kept in {}: once the cause is fixed, run the \
         same command with --resume to finish the rest",
        out.display(),
        work.display()
    ))
}

/// Why a part was not written.
#[derive(Debug, Error)]
pub(crate) enum PartError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    Run(#[from] RunError<IoError>),
    /// The derivatives book could not be simulated on a path under a mode.
    #[error("derivatives book, path {path}, mode `{mode}`: {cause}")]
    Deriv {
        path: u64,
        mode: String,
        cause: crunch_derivatives::DerivError,
    },
}

/// The parts of `units`: the ranges `[j size, (j + 1) size)` that meet it, cut to it
/// (aligned on multiples of `size` so that the parts of a shard line up with those of the
/// whole run); one empty part when `units` is empty.
fn parts(units: &Range<u64>, size: u64) -> Vec<Range<u64>> {
    if units.is_empty() {
        return vec![units.clone()];
    }
    let mut parts = Vec::new();
    let mut start = units.start;
    while start < units.end {
        let end = (start / size + 1).saturating_mul(size).min(units.end);
        parts.push(start..end);
        start = end;
    }
    parts
}

/// What identifies a run's parts: everything that changes the rows of a part, the most
/// readable first (a resume names the first line that differs). The scenario hash covers
/// the scenario text, the data files, the seed and the path count.
fn manifest(
    prepared: &Prepared,
    options: &RunOptions,
    units: &Range<u64>,
    files: &[String],
) -> String {
    let s = &prepared.scenario;
    let shard = options.shard.map_or("none".to_owned(), |k| k.to_string());
    format!(
        "crunch version = {}\nscenario name = {}\nseed = {}\npaths = {}\npolicies = {}\n\
         shard = {shard}\nunits = {}..{}\ncheckpoint paths = {}\nfiles = {}\n\
         health step = {:?}\nscenario hash = {}\n",
        env!("CARGO_PKG_VERSION"),
        s.name,
        s.seed,
        s.paths,
        s.policies.len(),
        units.start,
        units.end,
        options.checkpoint_paths,
        files.join(", "),
        s.output.health_step,
        prepared.hash,
    )
}

/// Key-value metadata of every output file. Nothing time-, host- or thread-dependent
/// goes in, so that identical inputs give identical bytes. A shard's files carry the
/// whole run's metadata (`crunch.paths` is the run's path count) followed by
/// `crunch.shard`; `crunch merge` drops that last key.
fn metadata(prepared: &Prepared, shard: Option<Shard>) -> Vec<(String, String)> {
    let s = &prepared.scenario;
    [
        ("crunch.version", env!("CARGO_PKG_VERSION").to_owned()),
        ("crunch.model", "lending-v1".to_owned()),
        ("crunch.scenario_name", s.name.clone()),
        ("crunch.scenario_hash", prepared.hash.clone()),
        ("crunch.seed", s.seed.to_string()),
        ("crunch.paths", s.paths.to_string()),
        ("crunch.steps", prepared.source.steps().to_string()),
        ("crunch.scenario", s.text.clone()),
    ]
    .into_iter()
    .chain(shard.map(|shard| (SHARD_KEY, shard.to_string())))
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn progress_bar(paths: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(paths), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} paths  {per_sec}  ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}
