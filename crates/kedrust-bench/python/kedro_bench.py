"""Times Kedro's runners on kedrust-bench's shapes, in process: `runner.run(pipeline, catalog)`
with a fresh catalog per run, as kedrust-bench times its own runners.

usage: python kedro_bench.py <shape.json> <sequential|thread|parallel> <repeat>
prints: {"seconds": [...]}
"""

import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "src"))

from kedro.io import DataCatalog, SharedMemoryDataCatalog  # noqa: E402
from kedro.runner import ParallelRunner, SequentialRunner, ThreadRunner  # noqa: E402

from bench_project.nodes import shape_pipeline  # noqa: E402


def main():
    spec, runner_name, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    logging.disable(logging.INFO)  # as kedrust-bench: no progress output while timing
    pipeline = shape_pipeline(json.loads(Path(spec).read_text()))
    runners = {
        "sequential": lambda: SequentialRunner(),
        "thread": lambda: ThreadRunner(max_workers=2),
        "parallel": lambda: ParallelRunner(max_workers=2),
    }
    seconds = []
    for _ in range(repeat):
        runner = runners[runner_name]()
        # The parallel runner needs its memory datasets shared through a manager.
        catalog = SharedMemoryDataCatalog() if runner_name == "parallel" else DataCatalog()
        start = time.perf_counter()
        runner.run(pipeline, catalog)
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
