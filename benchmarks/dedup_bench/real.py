"""Whole scans of several corpora side by side: real ones (a ``docs.jsonl`` or an evaluation folder), the
synthetic news corpus and the dense corpus, each in one fresh process, with time, split, candidate
pairs (aligned and left unaligned by the per-document budget), findings and peak resident memory.

A corpus is named by a spec: ``synthetic:N``, ``dense:N``, ``carried:N`` (generated once and cached, see
:func:`dedup_bench.corpora.corpus_file`) or a path. Two specs of the same generator give the time
ratio of the larger to the smaller, which is how near-linear cost is checked on dense corpora.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .corpora import GENERATORS, corpus_file, corpus_path
from .scaling import child_command

GiB = 2**30


def resolve(spec: str, args: argparse.Namespace) -> tuple[str, Path]:
    """The label and the JSONL file of a spec (``synthetic:N``, ``dense:N``, ``carried:N`` or a path)."""
    kind, _, size = spec.partition(":")
    if kind in GENERATORS and size.isdigit():
        cache = Path(args.cache_dir) if args.cache_dir else None
        return spec, corpus_file(kind, int(size), seed=args.seed, chars=args.chars, cache_dir=cache)
    path = corpus_path(spec)
    label = path.parent.name if path.name == "docs.jsonl" else path.name
    return label, path


def run_scans(args: argparse.Namespace, specs: list[str]) -> dict[str, Any]:
    """One whole scan a corpus (fresh process, median of ``--repeats``), side by side."""
    points = []
    for spec in specs:
        label, path = resolve(spec, args)
        print(f"scan: {label} ...", file=sys.stderr, flush=True)
        cmd = child_command(args, 0, args.repeats, str(path))
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        point = json.loads(out.stdout)
        point["label"] = label
        point["spec"] = spec
        points.append(point)
        print("  " + format_point(point), file=sys.stderr, flush=True)
    # A spec given twice (e.g. dense:2000,dense:4000,dense:2000, bracketing the larger run on a
    # machine whose load drifts) counts with the mean of its runs.
    return {"points": points, "time_ratios": _ratios(points, "seconds"), "cpu_ratios": _ratios(points, "cpu_seconds")}


def _ratios(points: list[dict[str, Any]], key: str) -> dict[str, float]:
    """``key`` of a generated corpus over that of the one half its size (the mean of a spec given twice)."""
    seconds: dict[str, list[float]] = {}
    for point in points:
        if key in point:
            seconds.setdefault(point["spec"], []).append(point[key])
    ratios = {}
    for sa, ta in seconds.items():
        for sb, tb in seconds.items():
            ka, _, na = sa.partition(":")
            kb, _, nb = sb.partition(":")
            if ka == kb and ka in GENERATORS and na.isdigit() and nb.isdigit() and int(nb) == 2 * int(na):
                ratios[f"{sb} / {sa}"] = (sum(tb) / len(tb)) / (sum(ta) / len(ta))
    return ratios


def _peak(point: dict[str, Any]) -> int:
    return int(point.get("scan_peak_rss_bytes") or point["peak_rss_bytes"])


def format_point(p: dict[str, Any]) -> str:
    return (
        f"{p['label']:>14s} {p['documents']:>7,} docs {p['seconds']:8.2f} s ({p.get('cpu_seconds', 0):.1f} CPU s)"
        f"  candidates {p['candidates']:>9,}"
        f" (unaligned {p.get('unaligned', 0):,})  pairs {p['pairs']:>8,}  peak {_peak(p) / GiB:.2f} GiB"
    )


def format_scans(scans: dict[str, Any]) -> str:
    """The side-by-side table of :func:`run_scans` and the verdicts of issue 14's targets it covers."""
    lines = [
        "| corpus | documents | MB | seconds | CPU s | index | LSH | align + score | candidates | aligned | unaligned"
        " | pairs | passages | skipped buckets | largest cluster | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in scans["points"]:
        s = p["split"]
        lines.append(
            f"| {p['label']} | {p['documents']:,} | {p['mb']:.1f} | {p['seconds']:.2f} | {p.get('cpu_seconds', 0):.1f}"
            f" | {s['index']:.2f}"
            f" | {s['candidates']:.2f} | {s['align_score']:.2f} | {p['candidates']:,} | {p.get('aligned', 0):,}"
            f" | {p.get('unaligned', 0):,} | {p['pairs']:,} | {p['passages']:,} | {p.get('suppressed_buckets', 0):,}"
            f" | {p.get('largest_cluster', 0):,} | {_peak(p) / GiB:.2f} GiB |"
        )
    for k, v in scans["time_ratios"].items():
        cpu = scans.get("cpu_ratios", {}).get(k)
        lines.append(f"time ratio {k}: {v:.2f}x" + (f" (CPU seconds: {cpu:.2f}x)" if cpu is not None else ""))
    heading = len(lines)
    lines += ["", "targets of issue 14 in this run:"]
    for p in scans["points"]:
        if p["label"] == "pan13-train":
            lines.append(_verdict("whole scan of pan13-train", p, 15.0, 1e9))
        if p["spec"] == "dense:2000":
            lines.append(_verdict("dense corpus, 2,000 documents", p, 30.0, 1.5e9))
    for k, v in scans["time_ratios"].items():
        if k == "dense:4000 / dense:2000":
            lines.append(f"  dense corpus, 4,000 / 2,000 documents: {v:.2f}x, target <= 2.2x:"
                         f" {'met' if v <= 2.2 else 'NOT MET'}")  # fmt: skip
    if len(lines) == heading + 2:  # (no corpus of those targets in this run: no empty heading)
        del lines[heading:]
    return "\n".join(lines)


def _verdict(what: str, p: dict[str, Any], seconds: float, peak: float) -> str:
    fast, small = p["seconds"] <= seconds, _peak(p) <= peak
    verdicts = {(True, True): "met", (False, False): "NOT MET"}
    verdicts |= {(True, False): "time met, memory NOT MET", (False, True): "memory met, time NOT MET"}
    verdict = verdicts[fast, small]
    return (
        f"  {what}: {p['seconds']:.1f} s, {_peak(p) / 1e9:.2f} GB; target <= {seconds:g} s, <= {peak / 1e9:g} GB:"
        f" {verdict}"
    )
