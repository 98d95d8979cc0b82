#!/usr/bin/env python3
"""Run a crunch scenario as N shards on a Ray cluster and merge them.

One Ray task per shard runs the ``crunch`` binary on a worker::

    crunch run SCENARIO --shard I/N --out WORK/shard-I --threads C --quiet --force [...]

When every shard has succeeded the driver (the process that calls this module) runs::

    crunch merge WORK/shard-0 ... WORK/shard-(N-1) --out OUT

which writes exactly the files a single ``crunch run SCENARIO --out OUT`` writes, byte for
byte. ``WORK`` is ``OUT.shards`` unless ``--work-dir`` says otherwise; the shard
directories are kept after the merge (``--remove-shards`` deletes them).

Command line::

    python deploy/ray/crunch_ray.py SCENARIO --shards N --out DIR \\
        [--crunch PATH] [--address RAY_ADDRESS] [--paths P] [--seed S] \\
        [--cpus-per-task C] [--work-dir WORK] [--remove-shards] [--force] \\
        [-- other crunch run arguments]

From Python (a notebook, say)::

    import sys; sys.path.insert(0, "deploy/ray")
    from crunch_ray import run_sharded
    files = run_sharded("scenarios/b1.toml", shards=8, out="results/b1", paths=100_000)

Assumptions, as for the Slurm driver in ``deploy/slurm/``:

* **A shared file system.** The scenario, the ``crunch`` binary (when given as a path)
  and the work directory must be at the same absolute path on the driver and on every
  Ray node; the shards write there and the driver merges from there. Paths are made
  absolute on the driver before they are sent. Nothing travels through Ray's object
  store but each shard's exit status and standard error.
* **The binary on every node.** ``--crunch`` is either a path (on the shared file
  system) or a bare name looked up on each worker's ``PATH`` (default: ``crunch``).
* **The cluster.** With ``--address`` (or ``RAY_ADDRESS``) the driver joins that cluster;
  without, ``ray.init()`` starts a local one for the run, and stops it afterwards. When
  Ray is already initialised in the calling process (a notebook that called
  ``ray.init``), that connection is used and left open.

Each task asks Ray for ``C`` CPUs (``--cpus-per-task``, default 1) and runs crunch with
``--threads C``, so Ray packs as many shards on a node as it has CPUs. Results do not
depend on ``N`` or ``C``. A shard that fails (non-zero exit, binary missing, worker
lost) makes the run fail with an error that names every failed shard, its command and the
end of its standard error; nothing is merged then, and re-running replaces the shard
directories (shards run with ``--force`` in their own work directory; a shard directory
appears whole or not at all).

Needs ``ray`` (``pip install ray``); tested with Ray 2.60 on a local cluster by
``deploy/ray/test_ray_local.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ShardFailed", "ShardResult", "main", "run_sharded"]

# How much of a failed shard's standard error goes into the error message.
STDERR_TAIL_CHARS = 4000


@dataclass(frozen=True)
class ShardResult:
    """What one shard's task reports back to the driver."""

    index: int
    """The shard number ``I`` of ``I/N``."""
    command: list[str]
    """The command the worker ran."""
    returncode: int
    """The command's exit status (127 when the binary was not found on the worker)."""
    stderr: str
    """The command's standard error."""
    seconds: float
    """Wall-clock time of the command on the worker."""
    node: str
    """Host name of the worker that ran it."""


class ShardFailed(RuntimeError):
    """One or more shards failed; nothing was merged.

    ``failures`` holds the failed shards' results (or, for a task Ray could not run to
    the end, a result with return code -1 and Ray's error as ``stderr``).
    """

    def __init__(self, shards: int, failures: list[ShardResult]) -> None:
        self.shards = shards
        self.failures = failures
        lines = [f"{len(failures)} of {shards} shards failed; nothing was merged"]
        for failure in failures:
            lines.append(
                f"shard {failure.index}/{shards} (exit status {failure.returncode}, "
                f"node {failure.node or 'unknown'}): {' '.join(failure.command)}"
            )
            tail = failure.stderr.strip()
            if len(tail) > STDERR_TAIL_CHARS:
                tail = "..." + tail[-STDERR_TAIL_CHARS:]
            lines.extend("    " + line for line in (tail or "(no standard error)").splitlines())
        super().__init__("\n".join(lines))


def _run_shard(command: list[str]) -> tuple[int, str, float, str]:
    """Run one shard's ``crunch run`` command on a worker (the body of the Ray task).

    Returns the exit status (127 when the binary could not be started), the standard
    error, the wall-clock seconds and the worker's host name: plain values, so that
    nothing but the standard library is needed to run it or to send its result back.
    """
    import socket

    start = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        returncode, stderr = done.returncode, done.stderr
    except OSError as error:  # binary missing or not executable on this worker
        returncode, stderr = 127, f"could not start {command[0]}: {error}"
    return returncode, stderr, time.monotonic() - start, socket.gethostname()


def _resolve_binary(crunch: str) -> str:
    """A path (anything with a ``/``) made absolute; a bare name left to the worker's PATH."""
    return str(Path(crunch).resolve()) if os.sep in crunch else crunch


def _log(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def _collect(
    pending: dict[Any, int],
    commands: list[list[str]],
    results: dict[int, ShardResult],
    shards: int,
    quiet: bool,
) -> None:
    """Wait for the shard tasks in ``pending`` (task reference -> shard), as they finish.

    Moves each finished one from ``pending`` into ``results`` and prints a line for it.
    """
    import ray

    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            index = pending.pop(ref)
            try:
                result = ShardResult(index, commands[index], *ray.get(ref))
            except Exception as error:  # noqa: BLE001 (the task failed: worker lost, ...)
                result = ShardResult(index, commands[index], -1, str(error), 0.0, "")
            results[index] = result
            state = "done" if result.returncode == 0 else f"FAILED ({result.returncode})"
            _log(quiet, f"  shard {index}/{shards} {state} in {result.seconds:.1f} s "
                        f"on {result.node or 'unknown'}")


def run_sharded(
    scenario: str | os.PathLike[str],
    shards: int,
    out: str | os.PathLike[str],
    *,
    crunch: str = "crunch",
    address: str | None = None,
    paths: int | None = None,
    seed: int | None = None,
    run_args: Sequence[str] = (),
    cpus_per_task: int = 1,
    work_dir: str | os.PathLike[str] | None = None,
    remove_shards: bool = False,
    force: bool = False,
    quiet: bool = False,
) -> list[Path]:
    """Run ``scenario`` as ``shards`` Ray tasks and merge them into ``out``.

    Args:
        scenario: the scenario file (TOML).
        shards: the number of shards ``N`` (at least 1); shard ``I`` runs
            ``crunch run --shard I/N``.
        out: the merged output directory (``crunch merge --out``).
        crunch: the crunch binary, a path on the shared file system or a name on every
            worker's ``PATH``; the driver runs the merge with the same binary.
        address: the Ray cluster to join (as for ``ray.init(address=...)``); ``None``
            uses ``RAY_ADDRESS`` or starts a local cluster. Ignored when Ray is already
            initialised in this process.
        paths: ``--paths`` for every shard (the run's total path count), or ``None``
            for the scenario's.
        seed: ``--seed`` for every shard, or ``None`` for the scenario's.
        run_args: further ``crunch run`` arguments, the same for every shard (for
            example ``["--health-step", "30"]``); not ``--shard``, ``--out`` or
            ``--threads``, which the driver sets.
        cpus_per_task: CPUs Ray reserves for each shard, and crunch's ``--threads``.
        work_dir: the directory of the shard directories (``shard-I``); default
            ``OUT.shards`` next to ``out``. It must be on a file system every node sees.
        remove_shards: delete the shard directories after a successful merge.
        force: let the merge replace an existing, non-empty ``out``.
        quiet: print no progress to standard error.

    Returns:
        The files written into ``out``, sorted.

    Raises:
        ValueError: ``shards`` or ``cpus_per_task`` below 1.
        FileExistsError: ``out`` exists, is not empty, and ``force`` is false (checked
            before anything runs).
        ShardFailed: a shard failed; its message names each failed shard and the end
            of its standard error. Nothing was merged.
        subprocess.CalledProcessError: ``crunch merge`` failed (its standard error is
            in ``stderr``, and was printed unless ``quiet``).
    """
    import ray

    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    if cpus_per_task < 1:
        raise ValueError(f"cpus_per_task must be at least 1, not {cpus_per_task}")
    # Absolute paths: the workers' working directories are not the driver's.
    scenario_path = str(Path(scenario).resolve())
    out_path = Path(out).resolve()
    work = Path(work_dir).resolve() if work_dir is not None else Path(f"{out_path}.shards")
    binary = _resolve_binary(crunch)
    if not force and out_path.is_dir() and any(out_path.iterdir()):
        # crunch merge would refuse it too, but only after every shard has run.
        raise FileExistsError(f"{out_path} exists and is not empty (pass force=True / --force)")
    work.mkdir(parents=True, exist_ok=True)

    common = [*run_args]
    if paths is not None:
        common += ["--paths", str(paths)]
    if seed is not None:
        common += ["--seed", str(seed)]
    shard_dirs = [work / f"shard-{index}" for index in range(shards)]
    commands = [
        [binary, "run", scenario_path, "--shard", f"{index}/{shards}",
         "--out", str(shard_dirs[index]), "--threads", str(cpus_per_task),
         "--quiet", "--force", *common]
        for index in range(shards)
    ]

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, logging_level=logging.WARNING)
    try:
        # Send the task's code by value, so that workers need not import this module.
        if __name__ != "__main__":
            register = ray.cloudpickle.register_pickle_by_value
            register(sys.modules[__name__])  # type: ignore[no-untyped-call]
        # Ray retries a task whose worker or node died (not one whose crunch exited
        # non-zero: that is reported); a retried shard replaces its directory (--force).
        task = ray.remote(num_cpus=cpus_per_task, max_retries=3)(_run_shard)
        pending: dict[Any, int] = {
            task.remote(command): index for index, command in enumerate(commands)
        }
        _log(quiet, f"crunch_ray: {shards} shards submitted to Ray; shard directories in {work}")
        results: dict[int, ShardResult] = {}
        try:
            _collect(pending, commands, results, shards, quiet)
        except BaseException:
            # Interrupted (Ctrl-C in a notebook): cancel what is left. A cancelled task
            # gets a KeyboardInterrupt, on which subprocess.run kills its crunch.
            for ref in pending:
                ray.cancel(ref)
            raise
    finally:
        if started_here:
            ray.shutdown()

    failures = [results[i] for i in range(shards) if results[i].returncode != 0]
    if failures:
        raise ShardFailed(shards, failures)

    merge = [binary, "merge", *map(str, shard_dirs), "--out", str(out_path)]
    if force:
        merge.append("--force")
    done = subprocess.run(merge, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        _log(quiet, done.stderr.rstrip())
        raise subprocess.CalledProcessError(done.returncode, merge, done.stdout, done.stderr)
    if remove_shards:
        shutil.rmtree(work)
    written = sorted(path for path in out_path.iterdir() if path.is_file())
    _log(quiet, f"crunch_ray: merged {shards} shards into {out_path}")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: parse ``argv``, run, print the files written; the exit status."""
    parser = argparse.ArgumentParser(
        description="Run a crunch scenario as N shards on a Ray cluster (one task per "
        "shard, `crunch run --shard I/N`) and merge them (`crunch merge`). Assumes a file "
        "system shared by the driver and every node.",
        epilog="Arguments after `--` go to every shard's `crunch run`.",
    )
    parser.add_argument("scenario", help="scenario file (TOML)")
    parser.add_argument("--shards", type=int, required=True, metavar="N", help="number of shards")
    parser.add_argument("--out", required=True, metavar="DIR", help="merged output directory")
    parser.add_argument("--crunch", default="crunch", metavar="PATH",
                        help="crunch binary: a path every node sees, or a name on each "
                        "node's PATH [default: crunch]")
    parser.add_argument("--address", metavar="RAY_ADDRESS",
                        help="Ray cluster to join [default: RAY_ADDRESS, else a local cluster "
                        "started for the run]")
    parser.add_argument("--paths", type=int, metavar="P", help="number of paths of the whole run")
    parser.add_argument("--seed", type=int, metavar="S", help="seed")
    parser.add_argument("--cpus-per-task", type=int, default=1, metavar="C",
                        help="CPUs per shard task, and crunch --threads [default: 1]")
    parser.add_argument("--work-dir", metavar="WORK",
                        help="directory of the shard directories [default: DIR.shards]")
    parser.add_argument("--remove-shards", action="store_true",
                        help="delete the shard directories after a successful merge")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing, non-empty output directory")
    parser.add_argument("--quiet", action="store_true", help="no progress on standard error")
    argv = list(sys.argv[1:] if argv is None else argv)
    run_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, run_args = argv[:split], argv[split + 1:]
    args = parser.parse_args(argv)
    try:
        import ray  # noqa: F401
    except ImportError:
        print("error: the Python package `ray` is needed (pip install ray)", file=sys.stderr)
        return 2
    try:
        written = run_sharded(
            args.scenario, args.shards, args.out, crunch=args.crunch, address=args.address,
            paths=args.paths, seed=args.seed, run_args=run_args,
            cpus_per_task=args.cpus_per_task, work_dir=args.work_dir,
            remove_shards=args.remove_shards, force=args.force, quiet=args.quiet,
        )
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ShardFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"error: crunch merge failed (exit status {error.returncode})", file=sys.stderr)
        return 1
    for path in written:
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
