"""Line-counting accuracy on real video against ground truth, side by side with Ultralytics and supervision.

The entry script of the ``bench.accuracy`` package (bench/accuracy/__init__.py says what is measured and how;
``--help`` lists the options):

    python bench/counting_accuracy.py                 # default lines, all contenders (~15 min, 2 busy cores)
    python bench/counting_accuracy.py --quick --no-peers
    python bench/counting_accuracy.py --videos all --quick   # every annotated video, tune lines (suite.py)
    python bench/counting_accuracy.py --line-set all --quick --write-docs  # the table of docs/benchmarks.md

This is a benchmark, not a test: it reports and never fails on a slow machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: bench.*, worker.*

from bench.accuracy.cli import main
from bench.accuracy.media import offline_ultralytics

if __name__ == "__main__":
    offline_ultralytics()
    raise SystemExit(main())
