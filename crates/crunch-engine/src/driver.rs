//! The parallel driver: paths in parallel, results in path order.

use crate::lending::{EngineError, SimOptions, simulate_path};
use crate::scratch::Scratch;
use crunch_core::{
    Book, Domain, MarginPolicy, MarketSpec, PathOutcome, PathSource, PricePath, ResultSink,
    stream_rng,
};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::Mutex;
use thiserror::Error;

/// Paths simulated between two hand-overs to the sink. It bounds memory and does not
/// affect results (outcomes are always delivered in path order).
const PATHS_PER_CHUNK: u64 = 256;

/// Everything one run needs.
pub struct RunPlan<'a> {
    /// Assets, step length and price feedback.
    pub market: &'a MarketSpec,
    /// The initial account book.
    pub book: &'a Book,
    /// Where price paths come from.
    pub source: &'a dyn PathSource,
    /// The policies to compare; every one sees the same paths.
    pub policies: &'a [Box<dyn MarginPolicy>],
    /// Run seed; path `i` draws from `stream_rng(seed, MarketPaths, i)`.
    pub seed: u64,
    /// The path indices to simulate: `0..P` for a whole run of `P` paths, a sub-range for
    /// one shard of it. Path `i` is the same in both (its stream depends only on the seed
    /// and `i`).
    pub paths: Range<u64>,
    /// Optional outputs and the queue strategy.
    pub options: SimOptions,
}

/// A failed run.
#[derive(Debug, Error)]
pub enum RunError<E> {
    /// The simulation itself failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The sink could not take a result.
    #[error(transparent)]
    Sink(E),
}

/// Runs every path of `plan.paths` on the current rayon pool and hands the outcomes to
/// `sink` in (path, policy) order. `on_path` is called once per finished path (for progress
/// display; it cannot influence results).
///
/// Each path's prices are generated once, from the path's own RNG stream, and then read by
/// every policy (common random numbers). Nothing random is drawn inside rayon's
/// init closures and no float is reduced in parallel, so the outcomes are identical
/// whatever the number of threads.
pub fn run<S: ResultSink>(
    plan: &RunPlan<'_>,
    sink: &mut S,
    on_path: &(dyn Fn() + Sync),
) -> Result<(), RunError<S::Error>> {
    let steps = plan.source.steps();
    let assets = plan.source.assets();
    // One set of buffers per worker thread, made once for the whole run (rayon may split
    // the work into many more jobs than threads; per-job buffers would be re-allocated and
    // fragment the heap). Index `threads` serves a caller outside the pool.
    let threads = rayon::current_num_threads();
    let buffers: Vec<Mutex<Option<(Scratch, PricePath)>>> =
        (0..=threads).map(|_| Mutex::new(None)).collect();
    let mut start = plan.paths.start;
    while start < plan.paths.end {
        let end = (start + PATHS_PER_CHUNK).min(plan.paths.end);
        let chunk: Vec<Result<Vec<PathOutcome>, EngineError>> = (start..end)
            .into_par_iter()
            .map(|path| {
                let make = || {
                    (
                        Scratch::new(plan.book, steps),
                        PricePath::new(steps, assets),
                    )
                };
                // The thread's own buffers; fresh ones if they are busy (a re-entrant job).
                let slot = rayon::current_thread_index().map_or(threads, |i| i.min(threads));
                let mut guard = buffers[slot].try_lock().ok();
                let mut local = None;
                let (scratch, raw) = match guard.as_deref_mut() {
                    Some(mine) => mine.get_or_insert_with(make),
                    None => local.insert(make()),
                };
                let mut rng = stream_rng(plan.seed, Domain::MarketPaths, path);
                plan.source.fill(&mut rng, raw);
                let outcomes = plan
                    .policies
                    .iter()
                    .enumerate()
                    .map(|(k, policy)| {
                        simulate_path(
                            plan.market,
                            plan.book,
                            policy.as_ref(),
                            raw,
                            plan.options,
                            scratch,
                            path,
                            k,
                        )
                    })
                    .collect();
                on_path();
                outcomes
            })
            .collect();
        for outcomes in chunk {
            for outcome in outcomes? {
                sink.accept(&outcome).map_err(RunError::Sink)?;
            }
        }
        start = end;
    }
    Ok(())
}
