//! `crunch run`: simulate a prepared scenario into an output directory.

use crate::estimate::{Size, estimate_run};
use crate::prepare::Prepared;
use crate::summary::{PolicyStats, policy_stats};
use anyhow::{Context, Result, bail};
use crunch_core::{PathOutcome, PathSummary, ResultSink};
use crunch_engine::{RecordOptions, RunPlan};
use crunch_io::{IoError, OutputDir, ParquetSink, SHARD_KEY, Shard, SinkLayout};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Output directory; `summary.parquet` and the optional files (`timeseries.parquet`,
    /// `events.parquet`, `health.parquet`) go in it.
    pub out: PathBuf,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Replace an existing, non-empty output directory.
    pub force: bool,
    /// Show a progress bar on stderr (it stays hidden anyway when stderr is not a
    /// terminal).
    pub progress: bool,
    /// Run only this shard's paths ([`Shard::paths`]) and mark every file with
    /// `crunch.shard`; `None` runs every path.
    pub shard: Option<Shard>,
    /// Refuse the run, before anything is written, when its estimated output
    /// ([`estimate_run`]) is larger than this many bytes; `None` never refuses.
    pub max_output: Option<Size>,
}

/// Forwards outcomes to the Parquet sink and keeps the summaries for the final table.
struct Tee {
    sink: ParquetSink,
    summaries: Vec<Vec<PathSummary>>,
}

impl ResultSink for Tee {
    type Error = IoError;
    fn accept(&mut self, outcome: &PathOutcome) -> Result<(), IoError> {
        self.summaries[outcome.policy].push(outcome.summary.clone());
        self.sink.accept(outcome)
    }
}

/// Runs `prepared` (or, with [`RunOptions::shard`], its shard's paths) and publishes its
/// output directory atomically: on any error nothing is left behind. A run whose
/// estimated output exceeds [`RunOptions::max_output`] is refused before anything is
/// written. Returns the per-policy statistics of the summary table over the paths run.
pub fn run_scenario(prepared: &Prepared, options: &RunOptions) -> Result<Vec<PolicyStats>> {
    let s = &prepared.scenario;
    let paths = options
        .shard
        .map_or(0..s.paths, |shard| shard.paths(s.paths));
    let estimate = estimate_run(prepared, paths.end - paths.start);
    if let Some(limit) = options.max_output {
        if estimate.bytes() > limit.0 {
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
    }
    let out = OutputDir::prepare(&options.out, options.force)?;
    let policy_names: Vec<String> = s.policies.iter().map(|p| p.name().to_owned()).collect();
    let layout = SinkLayout {
        scenario: s.name.clone(),
        policies: policy_names.clone(),
        account_ids: prepared.book.ids.clone(),
        symbols: s.market.assets.iter().map(|a| a.symbol.clone()).collect(),
        metadata: metadata(prepared, options.shard),
        timeseries: s.output.timeseries,
        events: s.output.events,
    };
    let mut sink = ParquetSink::create(&out, layout)?;
    if let Some(step) = s.output.health_step {
        sink = sink.with_health(&out, step)?;
    }
    let mut tee = Tee {
        sink,
        summaries: vec![Vec::new(); s.policies.len()],
    };
    let plan = RunPlan {
        market: &s.market,
        book: &prepared.book,
        source: prepared.source.as_ref(),
        policies: &s.policies,
        seed: s.seed,
        paths: paths.clone(),
        options: RecordOptions {
            timeseries: s.output.timeseries,
            events: s.output.events,
            health_step: s.output.health_step,
        }
        .into(),
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = options.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("cannot start the worker threads")?;
    let bar = progress_bar(paths.end - paths.start, options.progress);
    pool.install(|| crunch_engine::run(&plan, &mut tee, &|| bar.inc(1)))
        .with_context(|| format!("running {}", s.file.display()))?;
    bar.finish_and_clear();
    tee.sink.finish()?;
    out.commit()?;
    Ok(policy_names
        .iter()
        .zip(&tee.summaries)
        .map(|(name, summaries)| policy_stats(name, summaries))
        .collect())
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
