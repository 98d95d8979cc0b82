"""Opens a run's summary.parquet with polars and pyarrow, as a user would, and checks the
columns of the lending-v1 specification (in its order, first), crunch's own columns after
them, and the run metadata."""

import sys

import polars as pl
import pyarrow.parquet as pq

SPEC_COLUMNS = [
    "scenario", "policy", "path",
    "bad_debt", "insolvent_accounts", "liquidations", "liquidated_accounts",
    "repaid_debt", "seized_collateral", "liquidation_penalty", "slippage_cost",
    "initial_debt", "initial_collateral", "capital_efficiency",
    "first_bad_debt_step", "min_health",
]
EXTRA_COLUMNS = [
    "initial_borrowing_power", "borrowing_capacity",
    "liquidator_profit", "oracle_gap",
    "blocked_liquidity", "blocked_capacity", "blocked_outage", "blocked_gas",
    "dust_bad_debt", "mean_time_to_liquidate",
]

path = sys.argv[1]
df = pl.read_parquet(path)
assert df.columns == SPEC_COLUMNS + EXTRA_COLUMNS, df.columns
assert df.height > 0
assert df.schema["liquidations"] == pl.Int64 and df.schema["bad_debt"] == pl.Float64
meta = pq.read_metadata(path).metadata
for key in (b"crunch.seed", b"crunch.scenario_hash", b"crunch.version", b"crunch.scenario"):
    assert key in meta, key
print(df.group_by("policy", maintain_order=True).agg(
    pl.col("bad_debt").mean().alias("mean_bad_debt"),
    pl.col("liquidations").mean().alias("mean_liquidations"),
))
print(f"{path}: {df.height} rows with the specification's columns and crunch's, read by polars and pyarrow")
