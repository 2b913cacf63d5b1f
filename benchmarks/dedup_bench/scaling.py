"""Scaling: the whole scan in one fresh process a corpus size, its time split and peak resident memory."""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .corpora import ROOT, corpus_path, stream_corpus, synthetic_corpus_file
from .measure import SCAN_OPTIONS, make_config, max_rss, peak_rss_since_reset, reset_peak_rss

BENCH = ROOT / "benchmarks" / "bench.py"  # the entry point each fresh process runs


def scaling_corpus(args: argparse.Namespace, n: int) -> tuple[Path, int | None]:
    """The JSONL file a scaling point of ``n`` documents streams, and the limit to read it with."""
    if args.corpus:
        return corpus_path(args.corpus), n
    cache = Path(args.cache_dir) if args.cache_dir else None
    return synthetic_corpus_file(n, seed=args.seed, chars=args.chars, cache_dir=cache), None


def child_scan(args: argparse.Namespace) -> dict[str, Any]:
    """Time one whole scan in this (fresh) process and report its peak memory.

    The scan reads its documents lazily from a JSONL file, as ``dedup scan corpus.jsonl`` does: the
    synthetic corpus is written to a cached file first (normally by the parent, before this process
    starts), so that neither its generation nor a list of every document counts in the peak.
    """
    from dedup._compile import PARTS, warm_up
    from dedup.clusters import find_clusters
    from dedup.scan import scan

    cfg = make_config(args)
    for part in PARTS:  # warm-up: every kernel a scan calls loaded (or compiled), untimed
        warm_up(part, cfg)
    path, limit = scaling_corpus(args, args.child)
    rss_before_corpus = max_rss()
    # One streamed pass to count what the scan will read (never more than one text in memory at a time).
    documents = text_utf8 = text_bytes = 0
    for d in stream_corpus(path, limit):
        documents += 1
        text_utf8 += len(d.text.encode("utf-8"))
        text_bytes += sys.getsizeof(d.text)
    rss_corpus = max_rss()
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int | None) -> None:
        marks[stage] = time.perf_counter()

    gc.collect()
    # Reset the high-water mark of resident memory (Linux: clear_refs 5), so that the scan's own
    # peak is not the warm-up's or the counting pass's.
    hwm_reset = reset_peak_rss()
    times = []
    cpu_times = []
    result = None
    for _ in range(args.child_repeats):
        del result
        gc.collect()
        marks.clear()
        t, cpu = time.perf_counter(), time.process_time()
        result = scan(stream_corpus(path, limit), cfg, progress=progress, threads=args.threads)
        end = time.perf_counter()
        times.append(end - t)
        # CPU seconds of every thread: on a machine other sessions load, the wall time grows with
        # their work and this does much less (it still pays for shared caches and memory bandwidth).
        cpu_times.append(time.process_time() - cpu)
    split = {
        "index": marks.get("documents", t) - t,
        "candidates": marks.get("candidates", end) - marks.get("documents", t),
        "align_score": end - marks.get("candidates", end),
    }
    assert result is not None
    point = {
        "documents": documents,
        "mb": text_utf8 / 1e6,
        "seconds": statistics.median(times),
        "runs": times,
        "cpu_seconds": statistics.median(cpu_times),
        "split": split,
        "peak_rss_bytes": max_rss(),
        "scan_peak_rss_bytes": peak_rss_since_reset() if hwm_reset else None,
        "rss_before_corpus_bytes": rss_before_corpus,
        "rss_after_corpus_bytes": rss_corpus,
        "text_bytes": text_bytes,
        "corpus_path": str(path),
        "corpus_bytes": sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        if path.is_dir()
        else path.stat().st_size,
        "threads": args.threads,
        "streamed": True,
        "passages": len(result.passages),
        "pairs": len(result.pairs),
        "candidates": result.candidates,
        # The budget's account (issue 14): candidate pairs aligned and left unaligned.
        "aligned": getattr(result, "aligned", result.candidates),
        "unaligned": getattr(result, "unaligned", 0),
        "suppressed_buckets": result.suppressed_buckets,
    }
    # Read after the peak: the reuse clusters are the report's work, not the scan's. The largest
    # shows whether text every outlet ran still links every carrier (skipped buckets are chained).
    point["largest_cluster"] = max((len({m.doc for m in c.members}) for c in find_clusters(result)), default=0)
    return point


def child_command(args: argparse.Namespace, n: int, repeats: int, corpus: str | None) -> list[str]:
    """The command of a fresh process that scans ``n`` documents (all of ``corpus`` when ``n`` is 0)."""
    cmd = [sys.executable, str(BENCH), "--child", str(n), "--child-repeats", str(repeats)]
    for flag in SCAN_OPTIONS:
        if getattr(args, flag, None) is not None:
            cmd += ["--" + flag.replace("_", "-"), str(getattr(args, flag))]
    cmd += ["--seed", str(args.seed), "--chars", str(args.chars)]
    if args.threads is not None:
        cmd += ["--threads", str(args.threads)]
    if corpus:
        cmd += ["--corpus", corpus]
    if args.cache_dir:
        cmd += ["--cache-dir", args.cache_dir]
    return cmd


def run_scaling(args: argparse.Namespace, sizes: list[int]) -> dict[str, Any]:
    points = []
    for n in sizes:
        cmd = child_command(args, n, args.repeats if n <= 50_000 else 1, args.corpus)
        print(f"scaling: {n:,} documents ...", file=sys.stderr, flush=True)
        scaling_corpus(args, n)  # written here, once, so that the child only streams it
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        point = json.loads(out.stdout)
        points.append(point)
        print(
            f"  {n:>9,} docs {point['seconds']:9.2f} s {n / point['seconds']:9,.0f} docs/s"
            f"  peak RSS {point['peak_rss_bytes'] / 2**30:.2f} GiB"
            f" (scan alone {(point.get('scan_peak_rss_bytes') or 0) / 2**30:.2f} GiB)",
            file=sys.stderr,
            flush=True,
        )
    exponent = None
    big = [p for p in points if p["documents"] >= 10_000]
    if len(big) >= 2:
        a, b = big[0], big[-1]
        exponent = math.log(b["seconds"] / a["seconds"]) / math.log(b["documents"] / a["documents"])
    exponents = [
        math.log(q["seconds"] / p["seconds"]) / math.log(q["documents"] / p["documents"])
        for p, q in itertools.pairwise(points)
    ]
    return {"points": points, "exponent": exponent, "exponents_between_points": exponents}


def plot_scaling(scaling: dict[str, Any], stream: Any, form: str = "png") -> None:
    """Draw the scaling curve to ``stream`` (an image of format ``form``: png, svg, pdf...; needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = scaling["points"]
    n = np.array([p["documents"] for p in pts], dtype=float)
    t = np.array([p["seconds"] for p in pts])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(n, t, "o-", label="dedup scan (whole)")
    for key, label in (("index", "index (normalise, shingle, sketch)"), ("candidates", "LSH"),
                       ("align_score", "align + score")):  # fmt: skip
        part = np.array([max(p["split"].get(key, 0.0), 1e-3) for p in pts])
        ax.loglog(n, part, ".--", linewidth=1, label=label)
    ax.loglog(n, t[0] * n / n[0], ":", color="grey", label="linear")
    for x, y, p in zip(n, t, pts, strict=True):
        peak = p.get("scan_peak_rss_bytes") or p["peak_rss_bytes"]
        ax.annotate(f"{peak / 2**30:.2f} GiB", (x, y), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_xlabel("documents")
    ax.set_ylabel("seconds")
    exp = scaling.get("exponent")
    ax.set_title("scan cost vs corpus size" + (f" (exponent {exp:.2f})" if exp else ""))
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(stream, format=form, dpi=110)
