"""Pipelines of the benchmark project: one node, the data pipeline, spaceflights, and the shapes named in
`BENCH_SHAPES` (paths of kedrust-bench's shape descriptions, `:`-separated)."""

import json
import os
from pathlib import Path

from kedro.pipeline import Pipeline, node

from bench_project import nodes, spaceflights


def register_pipelines():
    pipelines = {
        "one": Pipeline([node(nodes.zero, None, "one_out", name="one")]),
        "data": nodes.data_pipeline(),
        "spaceflights": spaceflights.create_pipeline(),
        # The partitions case: every key in one run (kedro-dagster clones the node per key),
        # and one key per run, its files chosen by `--params partition=<key>`.
        "partitioned": Pipeline([node(nodes.one_per_partition, "raw", "cleaned", name="clean")]),
        "partition_one": Pipeline([node(nodes.one, "raw_one", "cleaned_one", name="clean_one")]),
        # The object storage case: Parquet written to and read from the S3 server, and a
        # partitioned folder there listed.
        "s3_write": Pipeline([node(nodes.identity, "transactions", "s3_transactions", name="to_s3")]),
        "s3_read": Pipeline([node(nodes.row_count, "s3_transactions", "s3_rows", name="count_rows")]),
        "s3_list": Pipeline([node(nodes.partition_count, "s3_parts", "s3_part_count", name="count_parts")]),
    }
    for spec in filter(None, os.environ.get("BENCH_SHAPES", "").split(os.pathsep)):
        pipelines[Path(spec).stem] = nodes.shape_pipeline(json.loads(Path(spec).read_text()))
    pipelines["__default__"] = pipelines["one"]
    return pipelines
