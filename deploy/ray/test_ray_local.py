#!/usr/bin/env python3
"""Run a crunch scenario through the Ray driver on a local Ray cluster started here, and
compare the merged files with a single-machine run, byte for byte.

    python deploy/ray/test_ray_local.py CRUNCH_BINARY [SCENARIO] [N] [PATHS]

Defaults: ``scenarios/quickstart.toml``, ``N = 3`` shards, ``PATHS = 12`` paths. Starts a
local Ray cluster in this process (``ray.init``, 2 CPUs, its files in a temporary
directory, shut down on exit) and checks:

1. ``run_sharded`` (the driver used as a library, on this process's Ray connection):
   the merged directory has the single run's files, each byte for byte the same;
2. the command line ``crunch_ray.py ... --address ADDRESS`` (a second driver process
   joining the cluster): the same;
3. a failing shard (every shard run with ``--max-output 1B``, which crunch refuses) makes
   the run fail with ``ShardFailed`` naming each shard and its standard error, and
   nothing is merged.

Without the Python package ``ray`` it says so and exits 0 (skipped). Ends with the line
``ray: P passed, F failed``; exits 1 when a check failed.
"""

from __future__ import annotations

import filecmp
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree


def compare_dirs(expected: Path, actual: Path) -> list[str]:
    """The differences between two result directories: file lists and bytes of each file.

    Prints ``identical: NAME`` for each file that matches; returns a line per difference.
    """
    problems = []
    names = sorted(os.listdir(expected))
    if names != sorted(os.listdir(actual)):
        problems.append(f"the file lists differ: {names} != {sorted(os.listdir(actual))}")
    for name in names:
        if (actual / name).is_file() and filecmp.cmp(expected / name, actual / name, shallow=False):
            print(f"  identical: {name}")
        else:
            problems.append(f"DIFFERENT: {name}")
    return problems


def main(argv: list[str]) -> int:
    """Run the checks; the exit status (0 when all passed or skipped)."""
    if not 1 <= len(argv) <= 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import ray
    except ImportError:
        print("skipped: the Python package `ray` is not installed (pip install ray)")
        return 0
    from crunch_ray import ShardFailed, run_sharded

    crunch = str(Path(argv[0]).resolve())
    scenario = str(Path(argv[1] if len(argv) > 1 else "scenarios/quickstart.toml").resolve())
    shards = int(argv[2]) if len(argv) > 2 else 3
    paths = int(argv[3]) if len(argv) > 3 else 12

    work = Path(tempfile.mkdtemp(prefix="crunch-ray-"))
    try:
        single = work / "single"
        subprocess.run(
            [crunch, "run", scenario, "--paths", str(paths), "--out", str(single), "--quiet"],
            check=True, stdout=subprocess.DEVNULL,
        )
        # A local cluster of 2 CPUs, its session files under `work`.
        ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING,
                 _temp_dir=str(work / "ray"))
        address = ray.get_runtime_context().gcs_address

        def library() -> list[str]:
            out = work / "library"
            written = run_sharded(scenario, shards, out, crunch=crunch, paths=paths)
            problems = compare_dirs(single, out)
            if sorted(p.name for p in written) != sorted(os.listdir(single)):
                problems.append(f"run_sharded returned {written}")
            return problems

        def command_line() -> list[str]:
            out = work / "cli"
            done = subprocess.run(
                [sys.executable, str(HERE / "crunch_ray.py"), scenario, "--shards", str(shards),
                 "--out", str(out), "--crunch", crunch, "--address", address,
                 "--paths", str(paths), "--remove-shards"],
                capture_output=True, text=True, check=False,
            )
            if done.returncode != 0:
                return [f"exit status {done.returncode}: {done.stderr}"]
            problems = compare_dirs(single, out)
            if Path(f"{out}.shards").exists():
                problems.append("--remove-shards left the shard directories")
            if len(done.stdout.splitlines()) != len(os.listdir(single)):
                problems.append(f"printed {done.stdout!r}")
            return problems

        def failing_shard() -> list[str]:
            out = work / "failing"
            try:
                run_sharded(scenario, shards, out, crunch=crunch, paths=paths,
                            run_args=["--max-output", "1B"], quiet=True)
            except ShardFailed as error:
                message = str(error)
                print("  " + message.splitlines()[0])
                problems = [
                    f"the message does not name shard {i}/{shards} and its error"
                    for i in range(shards)
                    if f"shard {i}/{shards} (exit status 1" not in message
                ]
                if "--max-output" not in message or "nothing was written" not in message:
                    problems.append(f"the message lacks crunch's standard error:\n{message}")
                if len(error.failures) != shards:
                    problems.append(f"{len(error.failures)} failures reported, not {shards}")
                if out.exists():
                    problems.append("something was merged")
                return problems
            return ["no ShardFailed raised"]

        checks: list[tuple[str, Callable[[], list[str]]]] = [
            (f"run_sharded, {shards} shards of {paths} paths", library),
            (f"the command line with --address, {shards} shards", command_line),
            ("a failing shard is reported and nothing merged", failing_shard),
        ]
        passed = failed = 0
        for name, check in checks:
            print(f"check: {name}")
            try:
                problems = check()
            except Exception:  # noqa: BLE001 (reported as the check's failure)
                problems = [traceback.format_exc()]
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            if problems:
                failed += 1
                print(f"  FAILED: {name}")
            else:
                passed += 1
                print(f"  ok: {name}")
    finally:
        ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    if failed == 0:
        print(f"ok: {shards} Ray tasks merged equal the single run byte for byte")
    print(f"ray: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
