"""Benchmark of the archive index (issue 11): add throughput, query latency, open time, memory, size on disk.

Usage (from the repository root)::

    python -m benchmarks.dedup_bench.index --synthetic 20000
    python -m benchmarks.dedup_bench.index --synthetic 100000 --queries 300 --json index-100k.json

The corpus is the synthetic news corpus of ``dedup_bench.corpora`` (``synthetic_corpus``, cached as
JSONL): ``N + queries`` documents, the first ``N`` added to a fresh index, the last ``queries``
(about 3,000 characters each, a third carrying wire passages shared with the archive) queried one
at a time. Each phase runs in a fresh process, so that its time and memory are its own:

- ``add``: ``Index.add`` of the archive streamed from the JSONL file (documents/s, peak RSS), after
  an untimed add of the first 20 documents to a throwaway index (it loads, or on a fresh install
  compiles, the numba kernels: a one-time cost, reported apart as ``warmup_seconds``);
- ``query``: ``Index.open`` (timed), one cold query (numba kernels loaded), a query of the first
  ten documents together (untimed: it loads the alignment kernels if the first had nothing to
  align), then every query document alone (median and p99 wall time), and the process's peak RSS and its private
  (anonymous) memory: the mapped key files are page cache shared with every process;
- ``datasketch``: the same archive as whole-document ``MinHash`` (``MinHash.bulk``, xxh32, same
  ``num_perm`` and threshold) in an in-memory ``MinHashLSH``; build time, then each query document
  hashed and queried (median and p99), and peak RSS. It finds documents, not passages.

Size on disk is the index directory against the UTF-8 bytes of the archive's texts.

``--evaluate CORPUS`` (a labelled corpus folder, e.g. ``../shared/evaldata/pan13-train``) instead
adds the ``src`` documents to a fresh index, queries the ``susp`` documents one at a time and then
all in one batch, and prints the PAN measures of both next to those of ``dedup scan`` of the whole
corpus (``dedup evaluate``)::

    python -m benchmarks.dedup_bench.index --evaluate ../shared/evaldata/pan13-train
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .corpora import ROOT, stream_corpus, synthetic_corpus_file, write_jsonl_corpus
from .measure import peak_rss_since_reset, reset_peak_rss

TARGETS = {
    "add_docs_per_s": (">=", 3000.0),
    "query_median_ms": ("<=", 20.0),
    "query_p99_ms": ("<=", 100.0),
    "open_s": ("<=", 0.5),
    "query_rss_mb": ("<=", 500.0),
    "size_ratio": ("<=", 4.0),
}


def _rss() -> dict[str, float]:
    """Peak RSS, and the current anonymous and file-backed resident memory, in MB."""
    out = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("RssAnon", "RssFile"):
                out[name.lower() + "_mb"] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _archive(corpus: Path, n: int) -> Iterator[Any]:
    for k, doc in enumerate(stream_corpus(corpus)):
        if k >= n:
            return
        yield doc


def _queries(corpus: Path, n: int, q: int) -> list[Any]:
    return [d for k, d in enumerate(stream_corpus(corpus)) if n <= k < n + q]


def _query_file(args: argparse.Namespace) -> list[Any]:
    """The query documents, from the small file the parent wrote (reading the corpus would weigh on memory)."""
    return list(stream_corpus(Path(args.index).parent / "queries.jsonl"))


def child_add(args: argparse.Namespace) -> dict[str, Any]:
    from dedup import Index

    raw = 0

    def counted() -> Iterator[Any]:
        nonlocal raw
        for doc in _archive(Path(args.corpus), args.synthetic):
            raw += len(doc.text.encode("utf-8"))
            yield doc

    warm = Path(args.index).parent / "warm-up"
    warmup = time.perf_counter()
    with Index.open(warm) as throwaway:
        throwaway.add(_archive(Path(args.corpus), 20))
    warmup = time.perf_counter() - warmup
    shutil.rmtree(warm, ignore_errors=True)
    started, cpu = time.perf_counter(), _cpu()
    with Index.open(args.index) as index:
        result = index.add(counted())
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        info = index.info()
    return {
        "documents": result.added,
        "warmup_seconds": warmup,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "add_docs_per_s": result.added / seconds,
        # What two cores of our own would give, were every CPU-second spread over both: the
        # machine is shared, and wall time measures the other sessions' load as much as ours.
        "add_docs_per_2cpu_s": result.added / (cpu / 2),
        "raw_bytes": raw,
        "index_bytes": info["bytes"],
        "size_ratio": info["bytes"] / raw,
        "segments": info["segments"],
        "entries": info["entries"],
        **_rss(),
    }


def child_query(args: argparse.Namespace) -> dict[str, Any]:
    from dedup import Index

    queries = _query_file(args)
    hwm_reset = reset_peak_rss()
    started = time.perf_counter()
    index = Index.open(args.index)
    opened = time.perf_counter() - started
    started = time.perf_counter()
    first = index.query(queries[:1])
    cold = time.perf_counter() - started
    # Warm means every kernel loaded: the first query may have had no candidate to align, and the
    # first alignment of the process would load the alignment kernels (~150 ms) inside the timings.
    index.query(queries[:10])
    times, found, passages = [], 0, 0
    for doc in queries:
        started = time.perf_counter()
        result = index.query([doc])
        times.append(time.perf_counter() - started)
        found += len(result.pairs)
        passages += len(result.passages)
    times.sort()
    peak = peak_rss_since_reset() if hwm_reset else None
    single_peak = peak / (1 << 20) if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    resident = _rss()
    started = time.perf_counter()
    batch = index.query(queries)
    batch_seconds = time.perf_counter() - started
    index.close()
    return {
        "open_s": opened,
        "first_query_s": cold,
        "first_query_pairs": len(first.pairs),
        "queries": len(times),
        "query_median_ms": 1000 * statistics.median(times),
        "query_p99_ms": 1000 * times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
        "query_max_ms": 1000 * times[-1],
        "pairs_found": found,
        "passages_found": passages,
        "batch_query_s": batch_seconds,
        "batch_pairs": len(batch.pairs),
        "query_rss_mb": single_peak,
        "batch_peak_rss_mb": (peak_rss_since_reset() or 0) / (1 << 20) if hwm_reset else None,
        "peak_measured_from": "after reading the queries" if hwm_reset else "process start",
        **resident,
    }


def child_datasketch(args: argparse.Namespace) -> dict[str, Any]:
    import datasketch
    import xxhash

    from dedup import ScanConfig
    from dedup.normalize import normalize
    from dedup.shingle import shingle_strings

    cfg = ScanConfig()
    options = {"num_perm": cfg.num_perm, "seed": cfg.seed, "hashfunc": xxhash.xxh32_intdigest, "scheme": "affine32"}

    def grams(text: str) -> list[bytes]:
        return [s.encode("utf-8") for s in shingle_strings(normalize(text, profile=cfg.profile).text, cfg.ngram)]

    started = time.perf_counter()
    lsh = datasketch.MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
    chunk: list[Any] = []

    def flush() -> None:
        for doc, m in zip(chunk, datasketch.MinHash.bulk([grams(d.text) for d in chunk], **options), strict=True):
            lsh.insert(doc.id, m)
        chunk.clear()

    for doc in _archive(Path(args.corpus), args.synthetic):
        chunk.append(doc)
        if len(chunk) >= 1000:
            flush()
    flush()
    build = time.perf_counter() - started
    queries = _query_file(args)
    times, found = [], 0
    for doc in queries:
        started = time.perf_counter()
        (m,) = datasketch.MinHash.bulk([grams(doc.text)], **options)
        found += len(lsh.query(m))
        times.append(time.perf_counter() - started)
    lookups = []
    ms = datasketch.MinHash.bulk([grams(d.text) for d in queries], **options)
    for m in ms:
        started = time.perf_counter()
        lsh.query(m)
        lookups.append(time.perf_counter() - started)
    times.sort()
    lookups.sort()
    return {
        "build_s": build,
        "query_median_ms": 1000 * statistics.median(times),
        "query_p99_ms": 1000 * times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
        "lookup_median_ms": 1000 * statistics.median(lookups),
        "documents_found": found,
        **_rss(),
    }


def run_evaluate(corpus: Path, work: Path, alone: bool = True) -> dict[str, Any]:
    """PAN measures of a batch scan and of the index (src added, susp queried alone and in one batch).

    ``alone=False`` leaves out the one-at-a-time queries (an hour on pan13-train on two shared cores).
    """
    from dedup import Index
    from dedup.evaluate import detections_from_passages, evaluate_corpus, evaluate_detections
    from dedup.io import read_jsonl

    def measures(evaluation: Any) -> dict[str, float]:
        overall = evaluation.to_dict()["overall"]
        return {k: round(float(overall[k]), 4) for k in ("plagdet", "precision", "recall", "granularity")}

    out: dict[str, Any] = {"corpus": str(corpus)}
    started = time.perf_counter()
    out["scan"] = measures(evaluate_corpus(corpus))
    out["scan"]["seconds"] = round(time.perf_counter() - started, 1)
    docs = list(read_jsonl(corpus / "docs.jsonl"))
    archive = [d for d in docs if d.source == "src"]
    queries = [d for d in docs if d.source != "src"]
    with Index.open(work / "pan-index") as index:
        started = time.perf_counter()
        index.add(archive)
        out["add_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        if alone:
            found = [p for d in queries for p in index.query([d]).passages]
            out["alone"] = measures(evaluate_detections(corpus, detections_from_passages(found)))
            out["alone"]["seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        batch = index.query(queries).passages
        out["batch"] = measures(evaluate_detections(corpus, detections_from_passages(batch)))
        out["batch"]["seconds"] = round(time.perf_counter() - started, 1)
    return out


def _child(args: argparse.Namespace, phase: str) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "benchmarks.dedup_bench.index", "--child", phase, "--corpus", str(args.corpus),
        "--index", str(args.index), "--synthetic", str(args.synthetic), "--queries", str(args.queries),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the {phase} phase failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _verdict(name: str, value: float) -> str:
    op, target = TARGETS[name]
    ok = value >= target if op == ">=" else value <= target
    return f"{'met' if ok else 'NOT met'} (target {op} {target:g})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the index benchmark; print a table (and write JSON with ``--json``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dedup_bench.index", description=__doc__.split("\n")[0])
    parser.add_argument("--synthetic", type=int, default=20000, metavar="N", help="archive documents (default 20000)")
    parser.add_argument("--queries", type=int, default=200, help="query documents, one at a time (default 200)")
    parser.add_argument("--cache-dir", help="where synthetic corpora are kept (default: the system's temporary folder)")
    parser.add_argument("--dir", help="where the index is made (default: a temporary directory, deleted)")
    parser.add_argument("--no-datasketch", action="store_true", help="skip the datasketch MinHashLSH comparison")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--evaluate", metavar="CORPUS", help="PAN measures of the index against a batch scan")
    parser.add_argument("--batch-only", action="store_true", help="with --evaluate: no one-at-a-time queries")
    parser.add_argument("--child", choices=("add", "query", "datasketch"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--index", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run = {"add": child_add, "query": child_query, "datasketch": child_datasketch}[args.child]
        print(json.dumps(run(args)))
        return 0
    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="dedup-index-bench-"))
    if args.evaluate:
        try:
            result = run_evaluate(Path(args.evaluate), work, alone=not args.batch_only)
        finally:
            if not args.dir:
                shutil.rmtree(work, ignore_errors=True)
        for name in [n for n in ("scan", "alone", "batch") if n in result]:
            label = {"scan": "dedup scan (whole corpus)", "alone": "index, susp queried one at a time",
                     "batch": "index, susp queried in one batch"}[name]  # fmt: skip
            r = result[name]
            print(f"{label:36} plagdet {r['plagdet']:.4f}  precision {r['precision']:.4f}  recall "
                  f"{r['recall']:.4f}  granularity {r['granularity']:.4f}  ({r['seconds']} s)")  # fmt: skip
        for name in [n for n in ("alone", "batch") if n in result]:
            print(f"plagdet difference ({name}): {result[name]['plagdet'] - result['scan']['plagdet']:+.4f}")
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return 0
    cache = Path(args.cache_dir) if args.cache_dir else None
    args.corpus = synthetic_corpus_file(args.synthetic + args.queries, cache_dir=cache)
    args.index = work / "index"
    if args.index.exists():
        shutil.rmtree(args.index)
    try:
        report: dict[str, Any] = {
            "synthetic": args.synthetic,
            "queries": args.queries,
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        }
        write_jsonl_corpus(_queries(Path(args.corpus), args.synthetic, args.queries), work / "queries.jsonl")
        report["add"] = _child(args, "add")
        report["query"] = _child(args, "query")
        if not args.no_datasketch:
            report["datasketch"] = _child(args, "datasketch")
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)
    add, query = report["add"], report["query"]
    lines = [
        f"archive index: {args.synthetic:,} synthetic documents added, {args.queries} queried one at a time",
        f"  warm-up        {add['warmup_seconds']:.1f} s (untimed 20-document add before it: kernels loaded)",
        f"  add            {add['add_docs_per_s']:,.0f} documents/s ({add['seconds']:.1f} s, peak RSS "
        f"{add['peak_rss_mb']:,.0f} MB)  {_verdict('add_docs_per_s', add['add_docs_per_s'])}",
        f"                 {add['add_docs_per_2cpu_s']:,.0f} documents per 2 CPU-seconds ({add['cpu_seconds']:.1f} "
        f"CPU-s)  {_verdict('add_docs_per_s', add['add_docs_per_2cpu_s'])}",
        f"  open           {query['open_s']:.3f} s  {_verdict('open_s', query['open_s'])}",
        f"  first query    {query['first_query_s']:.2f} s (numba kernels loaded)",
        f"  query median   {query['query_median_ms']:.1f} ms  {_verdict('query_median_ms', query['query_median_ms'])}",
        f"  query p99      {query['query_p99_ms']:.1f} ms  {_verdict('query_p99_ms', query['query_p99_ms'])}",
        f"  batch query    {args.queries} documents in {query['batch_query_s']:.2f} s (peak RSS "
        f"{query['batch_peak_rss_mb'] or 0:,.0f} MB)",
        f"  query memory   peak RSS {query['query_rss_mb']:,.0f} MB from Index.open through the single queries "
        f"(measured {query['peak_measured_from']}; then anonymous "
        f"{query.get('rssanon_mb', 0):,.0f} MB, mapped files {query.get('rssfile_mb', 0):,.0f} MB)  "
        f"{_verdict('query_rss_mb', query['query_rss_mb'])}",
        f"  size on disk   {add['index_bytes'] / 1e6:,.0f} MB for {add['raw_bytes'] / 1e6:,.0f} MB of text = "
        f"{add['size_ratio']:.2f}x  {_verdict('size_ratio', add['size_ratio'])}",
        f"  found          {query['pairs_found']} pairs, {query['passages_found']} passages",
    ]
    if "datasketch" in report:
        ds = report["datasketch"]
        lines += [
            f"datasketch MinHashLSH (in memory, whole documents): build {ds['build_s']:.1f} s, "
            f"peak RSS {ds['peak_rss_mb']:,.0f} MB",
            f"  query median   {ds['query_median_ms']:.1f} ms (hash the document + query); "
            f"p99 {ds['query_p99_ms']:.1f} ms; lookup alone {ds['lookup_median_ms']:.2f} ms",
            f"  found          {ds['documents_found']} documents",
        ]
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
