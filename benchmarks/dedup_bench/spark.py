"""The Spark engine against the local one on the synthetic corpus: time, memory, and identical answers.

Usage::

    python -m benchmarks.dedup_bench.spark                          # 20,000 documents, local[2]
    python -m benchmarks.dedup_bench.spark --repeats 3              # three timed scans of each, alternating
    python -m benchmarks.dedup_bench.spark --synthetic 100000 --skip-local --work-dir /tmp/dedup-work

The corpus is ``benchmarks/bench.py``'s synthetic corpus, written once as JSONL (and reused). The
local engine scans it streamed from the file (as ``dedup scan corpus.jsonl`` does); the Spark engine
reads the same file with Spark (``dedup.spark.read``), scans it and writes its passages and pairs as
Parquet. Both are timed in this one process after a warm-up (numba's kernels loaded, the Spark
session started: its start is reported on its own). Peak memory is, for the local engine, this
process's own peak resident set (VmHWM, reset before each run; null where the kernel cannot reset
it), and for Spark the largest resident set of this process and its children (the JVM and Spark's
Python workers) together, sampled every 0.2 s. With ``--repeats N`` each engine scans N times, local
then Spark in turn (a shared machine's load then weighs on both alike), the Spark scan's cached
stages released before the next; the medians and their ratio are reported with every run's times.
With both engines run, the last Spark passages and pairs are collected and compared with the local
ones record for record. Nothing runs at import.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .corpora import synthetic_corpus_file
from .measure import peak_rss_since_reset, reset_peak_rss


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            pid, ppid, pages = int(entry), int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class PeakMemory:
    """The largest resident set of this process tree while the block runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(os.getpid()))
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self.peak = _tree_rss(os.getpid())
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Scan the corpus with each engine (``args.repeats`` times, alternating); the figures as a dict."""
    import dedup
    from dedup.io import Reader
    from dedup.scan import ScanConfig

    corpus = synthetic_corpus_file(args.synthetic, seed=args.seed, chars=args.chars)
    config = ScanConfig()
    figures: dict[str, Any] = {"documents": args.synthetic, "chars": args.chars, "master": args.master}
    if not args.skip_local:
        dedup.scan(Reader().read([corpus]), config)  # warm-up: numba's kernels loaded

    from dedup.spark import read, scan, session, write

    started = time.perf_counter()
    spark = session(args.master)
    if args.shuffle_partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
    figures["shuffle_partitions"] = int(spark.conf.get("spark.sql.shuffle.partitions") or 0)
    spark.range(4).count()
    figures["spark_start_seconds"] = round(time.perf_counter() - started, 2)
    if not args.no_warmup:
        # Warm-up on a small corpus: Spark's Python workers start and load numba's kernels.
        scan(read(spark, [str(synthetic_corpus_file(200, seed=1, chars=args.chars))]), config).pairs.count()
    local_runs: list[float] = []
    spark_runs: list[float] = []
    local_peak: int | None = 0
    spark_peak = 0
    local = found = None
    # Alternating, so that both engines meet the same moments of a shared machine's load.
    for repeat in range(args.repeats):
        if not args.skip_local:
            local = None  # the last run's result is not held while the next runs
            # This process's own peak (VmHWM since a reset): the local engine runs in it, beside the
            # Spark session's idle JVM, which the process tree would count.
            hwm_reset = reset_peak_rss()
            started = time.perf_counter()
            local = dedup.scan(Reader().read([corpus]), config)
            local_runs.append(round(time.perf_counter() - started, 2))
            peak = peak_rss_since_reset() if hwm_reset else None
            local_peak = max(local_peak, peak) if peak is not None and local_peak is not None else None
            print(f"local: {local_runs[-1]} s, {len(local.passages)} passages", file=sys.stderr, flush=True)
        if found is not None:
            found.unpersist()  # the next scan computes every stage again, as the first did
        out = tempfile.mkdtemp(prefix="dedup-spark-out-")
        work_dir = f"{args.work_dir}/{repeat}" if args.work_dir and args.repeats > 1 else args.work_dir
        with PeakMemory() as memory:
            started = time.perf_counter()
            found = scan(read(spark, [str(corpus)]), config, work_dir=work_dir)
            write(found, out)
            spark_runs.append(round(time.perf_counter() - started, 2))
        spark_peak = max(spark_peak, memory.peak)
        print(f"spark: {spark_runs[-1]} s", file=sys.stderr, flush=True)
    assert found is not None
    figures["spark_seconds"] = statistics.median(spark_runs)
    figures["spark_runs"] = spark_runs
    figures["spark_peak_bytes"] = spark_peak
    figures["spark_candidates"] = found.candidates
    figures["spark_unaligned"] = found.unaligned
    if local is not None:
        figures["local_seconds"] = statistics.median(local_runs)
        figures["local_runs"] = local_runs
        figures["local_peak_bytes"] = local_peak
        figures["passages"] = len(local.passages)
        figures["pairs"] = len(local.pairs)
        # Each repeat's ratio, and the ratio of the medians.
        figures["ratios"] = [round(b / a, 2) for a, b in zip(local_runs, spark_runs, strict=True)]
        figures["ratio"] = round(figures["spark_seconds"] / figures["local_seconds"], 2)
        result = found.to_result()
        figures["identical"] = (
            result.passages == local.passages
            and result.pairs == local.pairs
            and (result.candidates, result.suppressed_buckets) == (local.candidates, local.suppressed_buckets)
            and result.unaligned == local.unaligned
        )
    else:
        figures["passages"] = spark.read.parquet(f"{out}/passages").count()
        figures["pairs"] = spark.read.parquet(f"{out}/pairs").count()
    figures["work_dir"] = args.work_dir
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures as JSON."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--synthetic", type=int, default=20000, help="documents of the synthetic corpus (default 20000)")
    p.add_argument("--chars", type=int, default=3000, help="characters a document (default 3000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpus")
    p.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    p.add_argument("--work-dir", help="keep the Spark stages here (default: not kept)")
    p.add_argument(
        "--shuffle-partitions", type=int, help="spark.sql.shuffle.partitions (default: dedup.spark.session's, 2 a core)"
    )
    p.add_argument("--skip-local", action="store_true", help="run the Spark engine only (no comparison)")
    p.add_argument("--no-warmup", action="store_true", help="no Spark warm-up scan before the timed one")
    p.add_argument(
        "--repeats", type=int, default=1, help="timed scans of each engine, alternating (default 1); medians reported"
    )
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats must be at least 1, got {args.repeats}")
    figures = run(args)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
