"""Benchmark of the dedup hot path, side by side with datasketch (and rensa when installed).

Usage::

    python benchmarks/bench.py --synthetic 2000                      # table of every stage
    python benchmarks/bench.py --corpus ../shared/evaldata/arabic-plag-dev   # a real corpus
    python benchmarks/bench.py --synthetic 2000 --json out.json --scaling 1000,10000,50000 --plot curve.png
    python benchmarks/bench.py --no-table --scans synthetic:2000,dense:2000,../shared/evaldata/pan13-train
    python benchmarks/bench.py --no-table --wire                     # wire copy among chance matches

The suite lives in the package ``dedup_bench`` beside this file: ``corpora`` (the synthetic corpus,
JSONL files, evaluation folders), ``dense`` (the dense corpus), ``measure`` (timing, memory, the
machine), ``table`` (every stage timed against datasketch), ``signatures`` (signatures against datasketch
and the hashing floor, round by round), ``scaling`` (one fresh process a corpus size), ``real``
(whole scans of several corpora side by side), ``wire`` (drawn corpora of outlets around one wire
paragraph: a quality check), ``scripts`` (that paragraph in eight scripts) and ``cli`` (this command
line); ``index`` and ``spark`` are benchmarks of their own (``python -m benchmarks.dedup_bench.index``).
Nothing runs at import.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _path in (HERE.parent, HERE):  # run as a script from a checkout: dedup and dedup_bench importable
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from dedup_bench.carried import carried_corpus  # noqa: E402
from dedup_bench.cli import main  # noqa: E402
from dedup_bench.corpora import read_corpus, stream_corpus, synthetic_corpus, write_jsonl_corpus  # noqa: E402
from dedup_bench.dense import dense_corpus  # noqa: E402
from dedup_bench.wire import wire_corpus, wire_draws  # noqa: E402

__all__ = [
    "carried_corpus",
    "dense_corpus",
    "main",
    "read_corpus",
    "stream_corpus",
    "synthetic_corpus",
    "wire_corpus",
    "wire_draws",
    "write_jsonl_corpus",
]

if __name__ == "__main__":
    raise SystemExit(main())
