//! The parallel driver: paths in parallel, results in (path, policy) order.

use crate::lending::{EngineError, SimOptions, simulate_path};
use crate::scratch::Scratch;
use crunch_core::{
    Book, Domain, Frictions, MarginPolicy, MarketSpec, PathOutcome, PathSource, PricePath,
    ResultSink, stream_rng,
};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use thiserror::Error;

/// Paths simulated between two hand-overs to the sink. It bounds memory and does not
/// affect results (outcomes are always delivered in path order).
const PATHS_PER_CHUNK: u64 = 256;

/// Everything one run needs.
pub struct RunPlan<'a> {
    /// Assets, step length and price feedback.
    pub market: &'a MarketSpec,
    /// Oracles and liquidator frictions (`Frictions::default()`: `lending-v1`).
    pub frictions: &'a Frictions,
    /// The initial account book.
    pub book: &'a Book,
    /// Where price paths come from.
    pub source: &'a dyn PathSource,
    /// The policies to compare; every one sees the same paths.
    pub policies: &'a [Box<dyn MarginPolicy>],
    /// Run seed; path `i` draws from `stream_rng(seed, MarketPaths, i)`.
    pub seed: u64,
    /// The units to simulate, unit `u` being path `u / K` under policy `u % K` (`K`
    /// policies): [`units`]`(0..P, K)` for a whole run of `P` paths, a sub-range for one
    /// shard or checkpoint of it. Path `i` is the same in all of them (its stream depends
    /// only on the seed and `i`).
    pub units: Range<u64>,
    /// Optional outputs and the queue strategy.
    pub options: SimOptions,
    /// When set and raised (for example by a Ctrl-C handler), paths not yet started are
    /// skipped and [`run`] returns [`RunError::Interrupted`] after the outcomes of the
    /// paths before the first skipped one.
    pub stop: Option<&'a AtomicBool>,
}

/// The units of the whole paths `paths` with `policies` policies each.
pub fn units(paths: Range<u64>, policies: usize) -> Range<u64> {
    let k = policies as u64;
    paths.start * k..paths.end * k
}

/// One worker's buffers: the simulation's, those of the split book of isolated
/// `[chains]` policies, and the raw price path.
struct Buffers {
    scratch: Scratch,
    split: Option<Scratch>,
    raw: PricePath,
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
    /// [`RunPlan::stop`] was raised; the outcomes of every unit before `next` were handed
    /// to the sink, none after.
    #[error("interrupted before unit {next}")]
    Interrupted {
        /// The first unit not handed to the sink.
        next: u64,
    },
}

/// Why one path produced no outcomes.
enum Skipped {
    Engine(EngineError),
    Stopped,
}

/// Runs every unit of `plan.units` on the current rayon pool and hands the outcomes to
/// `sink` in unit ((path, policy)) order. `on_path` is called once per finished path (for
/// progress display; it cannot influence results).
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
    let buffers: Vec<Mutex<Option<Buffers>>> = (0..=threads).map(|_| Mutex::new(None)).collect();
    // `[chains]` with isolated policies: the per-chain sub-accounts they run on.
    let chains = plan.frictions.chains.as_ref();
    let split = chains.filter(|c| !c.isolated.is_empty()).map(|c| {
        let prices: Vec<f64> = plan.market.assets.iter().map(|x| x.price).collect();
        let (book, marked) = c.split(plan.book, &prices);
        let frictions = Frictions {
            chains: Some(marked),
            ..plan.frictions.clone()
        };
        (book, frictions)
    });
    let k = plan.policies.len() as u64;
    if k == 0 || plan.units.is_empty() {
        return Ok(());
    }
    let first_path = plan.units.start / k;
    let end_path = plan.units.end.div_ceil(k);
    let stopped = || plan.stop.is_some_and(|s| s.load(Ordering::Relaxed));
    let mut start = first_path;
    while start < end_path {
        let end = (start + PATHS_PER_CHUNK).min(end_path);
        // (A `usize` range: rayon indexes those, not `u64` ones.)
        let chunk: Vec<Result<Vec<PathOutcome>, Skipped>> = (start as usize..end as usize)
            .into_par_iter()
            // One path per job: an idle thread can take any path not yet started, so the
            // threads end a chunk together (with rayon's default pieces, one thread could
            // be left with a dozen paths of its piece while the other waits).
            .with_max_len(1)
            .map(|path| {
                let path = path as u64;
                if stopped() {
                    return Err(Skipped::Stopped);
                }
                let make = || Buffers {
                    scratch: Scratch::for_run(plan.book, steps),
                    split: split.as_ref().map(|(b, _)| Scratch::for_run(b, steps)),
                    raw: PricePath::new(steps, assets),
                };
                // The thread's own buffers; fresh ones if they are busy (a re-entrant job).
                let slot = rayon::current_thread_index().map_or(threads, |i| i.min(threads));
                let mut guard = buffers[slot].try_lock().ok();
                let mut local = None;
                let Buffers {
                    scratch,
                    split: split_scratch,
                    raw,
                } = match guard.as_deref_mut() {
                    Some(mine) => mine.get_or_insert_with(make),
                    None => local.insert(make()),
                };
                let mut rng = stream_rng(plan.seed, Domain::MarketPaths, path);
                plan.source.fill(&mut rng, raw);
                if let Some(c) = chains {
                    c.mirror(raw);
                }
                // The policies of this path whose units are in the plan (all but at the
                // ends of a shard that splits a path's variants).
                let lo = plan.units.start.max(path * k) - path * k;
                let hi = plan.units.end.min((path + 1) * k) - path * k;
                let outcomes = (lo..hi)
                    .map(|policy| {
                        let policy = policy as usize;
                        let (frictions, book, scratch) = match (&split, split_scratch.as_mut()) {
                            (Some((book, frictions)), Some(s))
                                if chains.is_some_and(|c| c.isolates(policy)) =>
                            {
                                (frictions, book, s)
                            }
                            _ => (plan.frictions, plan.book, &mut *scratch),
                        };
                        simulate_path(
                            plan.market,
                            frictions,
                            book,
                            plan.policies[policy].as_ref(),
                            raw,
                            plan.options,
                            scratch,
                            path,
                            policy,
                        )
                    })
                    .collect::<Result<_, _>>()
                    .map_err(Skipped::Engine)?;
                on_path();
                Ok(outcomes)
            })
            .collect();
        for (path, outcomes) in (start..end).zip(chunk) {
            match outcomes {
                Ok(outcomes) => {
                    for outcome in outcomes {
                        sink.accept(&outcome).map_err(RunError::Sink)?;
                    }
                }
                Err(Skipped::Engine(e)) => return Err(e.into()),
                Err(Skipped::Stopped) => {
                    return Err(RunError::Interrupted {
                        next: plan.units.start.max(path * k),
                    });
                }
            }
        }
        start = end;
    }
    Ok(())
}
