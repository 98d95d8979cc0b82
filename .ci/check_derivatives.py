"""Opens a margin-comparison run's derivatives.parquet with polars, as a user would, and
checks its shape (one row per path and margin mode) and the comparison's first result:
portfolio margin asks for less margin per unit of notional than isolated margin."""

import sys

import polars as pl

path, paths = sys.argv[1], int(sys.argv[2])
df = pl.read_parquet(path)
modes = df["mode"].unique(maintain_order=True).to_list()
assert modes[:4] == ["isolated", "cross", "portfolio", "portfolio-dgv"], modes
assert df.height == paths * len(modes), (df.height, paths, modes)
eff = df.group_by("mode").agg(pl.col("capital_efficiency").mean())
eff = dict(zip(eff["mode"], eff["capital_efficiency"]))
assert eff["portfolio"] > eff["isolated"], eff
print(f"{path}: {df.height} rows, modes {modes}, capital efficiency {eff}")
