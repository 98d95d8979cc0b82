"""Opens the summary table of a hive-partitioned dataset written by `crunch dataset` with
polars, pyarrow and DuckDB, as a user would, and checks that the three read the same rows,
that the `scenario` and `policy` columns decode to the original names, and, given the
result directories the dataset was built from, that the rows are those of their
summary.parquet files.

Usage: check_dataset.py DATASET [RESULT_DIR...]
"""

import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

dataset = Path(sys.argv[1])
results = [Path(p) for p in sys.argv[2:]]
table = dataset / "summary"
KEYS = ["scenario", "policy", "path"]

# Partition values are read as strings: a name such as `70` would otherwise be inferred
# as an integer (each reader infers types from the values).
by_polars = pl.scan_parquet(
    table, hive_partitioning=True,
    hive_schema={"scenario": pl.String, "policy": pl.String},
).collect()
by_pyarrow = pl.from_arrow(ds.dataset(
    table, format="parquet",
    partitioning=ds.partitioning(
        pa.schema([("scenario", pa.string()), ("policy", pa.string())]), flavor="hive"),
).to_table())
by_duckdb = duckdb.sql(
    f"SELECT * FROM read_parquet('{table.as_posix()}/*/*/*.parquet', hive_partitioning = true, "
    "hive_types = {'scenario': VARCHAR, 'policy': VARCHAR})"
).pl()

part_files = sorted(table.glob("*/*/*.parquet"))
assert part_files, f"{table}: no partition files"
rows = sum(pq.read_metadata(f).num_rows for f in part_files)
meta = pq.read_metadata(part_files[0]).metadata
for key in (b"crunch.scenario_name", b"crunch.scenario_hash", b"crunch.seed", b"crunch.version"):
    assert key in meta, (part_files[0], key)

frames = {"polars": by_polars, "pyarrow": by_pyarrow, "duckdb": by_duckdb}
columns = None
for reader, df in frames.items():
    assert df.height == rows, (reader, df.height, rows)
    assert df.schema["scenario"] == pl.String and df.schema["policy"] == pl.String, reader
    if not results:  # otherwise compared with the original names below
        for name in ("scenario", "policy"):
            assert not df[name].str.contains("%[0-9A-F]{2}").any(), (reader, df[name].unique())
    if columns is None:
        columns = [c for c in df.columns if c not in ("scenario", "policy")]
    assert sorted(df.columns) == sorted(["scenario", "policy"] + columns), (reader, df.columns)
frames = {r: df.select(["scenario", "policy"] + columns).sort(KEYS) for r, df in frames.items()}
assert frames["polars"].equals(frames["pyarrow"]), "polars and pyarrow differ"
assert frames["polars"].equals(frames["duckdb"]), "polars and DuckDB differ"

if results:
    original = pl.concat([pl.read_parquet(r / "summary.parquet") for r in results])
    assert original.height == rows, (original.height, rows)
    for reader, df in frames.items():
        for name in ("scenario", "policy"):
            assert set(df[name]) == set(original[name]), (reader, set(df[name]))
    assert original.select(frames["polars"].columns).sort(KEYS).equals(frames["polars"]), \
        "the dataset's rows differ from the result directories' summaries"

names = frames["polars"].select("scenario", "policy").unique(maintain_order=True)
print(names)
print(f"{table}: {rows} rows in {len(part_files)} partitions, read alike by polars, pyarrow "
      f"and DuckDB{' and equal to the summaries' if results else ''}")
