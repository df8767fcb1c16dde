"""Nodes of the Kedro side of kedrust's benchmarks (copied into a temporary Kedro project).

The trivial nodes compute what kedrust-bench's do, the data pipeline what its Polars one does.
"""

import pandas as pd
from kedro.pipeline import Pipeline, node


def zero():
    return 1


def one(a):
    return a + 1


def one_per_partition(partitions):
    """`one` on each partition: kedro-dagster hands a node `{key: loader}` and takes back
    `{key: data}`."""
    return {key: one(load()) for key, load in partitions.items()}


def identity(value):
    return value


def row_count(frame):
    return len(frame)


def partition_count(partitions):
    return len(partitions)


def xor(*values):
    out = 0
    for v in values:
        out ^= v
    return out


def shape_pipeline(spec):
    """A pipeline from kedrust-bench's shape description: `[{name, inputs, output}]`."""
    functions = {0: zero, 1: one}
    return Pipeline(
        [
            node(functions.get(len(n["inputs"]), xor), n["inputs"] or None, n["output"], name=n["name"])
            for n in spec
        ]
    )


def keep_above(transactions: pd.DataFrame, threshold: float) -> pd.DataFrame:
    return transactions[transactions["value"] > threshold]


def by_category(kept: pd.DataFrame) -> pd.DataFrame:
    grouped = kept.groupby("category", sort=True).agg(
        total_amount=("amount", "sum"), mean_value=("value", "mean"), rows=("id", "size")
    )
    return grouped.reset_index()


def with_region(summary: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    return summary.merge(categories, on="category", how="inner").sort_values("category")


def data_pipeline():
    return Pipeline(
        [
            node(keep_above, ["transactions", "params:threshold"], "kept", name="keep_above"),
            node(by_category, "kept", "by_category", name="by_category"),
            node(with_region, ["by_category", "categories"], "summary", name="with_region"),
        ]
    )
