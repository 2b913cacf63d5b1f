"""The command line of ``benchmarks/bench.py``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dedup.errors import DedupError

from .corpora import GENERATORS, corpus_path, read_corpus, synthetic_corpus
from .dense import dense_corpus
from .measure import machine, make_config, versions
from .real import format_scans, run_scans
from .scaling import child_scan, plot_scaling, run_scaling
from .scripts import format_scripts, script_draws
from .signatures import format_rounds, signature_rounds
from .table import format_table, run_table
from .wire import EDIT, format_wire, wire_draws

USAGE = """\
    python benchmarks/bench.py --synthetic 2000                      # table of every stage
    python benchmarks/bench.py --dense 2000                          # the same on the dense corpus
    python benchmarks/bench.py --corpus ../shared/evaldata/arabic-plag-dev   # a real corpus (folder or docs.jsonl)
    python benchmarks/bench.py --synthetic 2000 --json out.json --scaling 1000,10000,50000 --plot curve.png
    python benchmarks/bench.py --no-table --scans synthetic:2000,dense:2000,dense:4000,../shared/evaldata/pan13-train
    python benchmarks/bench.py --no-table --wire                     # wire copy among chance matches (quality)
"""


def load(args: argparse.Namespace, n: int | None = None) -> list[Any]:
    """The documents of the stage table: ``--corpus``, ``--dense`` or ``--synthetic``."""
    if args.corpus:
        return read_corpus(str(corpus_path(args.corpus)), n)
    if args.dense:
        return dense_corpus(args.dense, seed=args.seed, chars=args.chars)
    return synthetic_corpus(n or args.synthetic, seed=args.seed, chars=args.chars)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Benchmark of the dedup hot path, side by side with datasketch (and rensa when installed).",
        epilog=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--corpus", help="a JSONL file of documents (id, text, source), or a folder holding docs.jsonl")
    src.add_argument("--dense", type=int, help="documents of a dense corpus (word runs of seeds/, recombined)")
    src.add_argument("--synthetic", type=int, default=2000, help="documents of a synthetic corpus (default 2000)")
    p.add_argument("--limit", type=int, help="use the first LIMIT documents of --corpus")
    p.add_argument("--chars", type=int, default=3000, help="characters a synthetic document (default 3000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpus")
    p.add_argument("--ngram", type=int, help="n-gram length (default: ScanConfig's)")
    p.add_argument("--num-perm", type=int, help="permutations (default: ScanConfig's)")
    p.add_argument("--threshold", type=float, help="LSH threshold (default: ScanConfig's)")
    p.add_argument("--min-bands", type=int, help="bands a candidate pair must share (default: ScanConfig's)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs a row (the median is reported)")
    p.add_argument("--ds-repeats", type=int, default=1, help="timed runs of the slow datasketch rows")
    p.add_argument("--threads", type=int, default=None, help="threads of the sketch stage (default: all cores)")
    p.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peak-memory runs")
    p.add_argument("--no-table", action="store_true", help="skip the per-stage table (e.g. scaling only)")
    p.add_argument("--scaling", help="comma-separated corpus sizes, one fresh process each, e.g. 1000,10000,50000")
    p.add_argument(
        "--cache-dir",
        help="where the scaling run keeps its synthetic JSONL corpora, one a size, for reuse"
        " (default: dedup-bench-corpora in the system's temporary directory)",
    )
    p.add_argument(
        "--scans",
        help="whole scans side by side, one fresh process each: comma-separated synthetic:N, dense:N or paths"
        " (a docs.jsonl or an evaluation folder)",
    )
    p.add_argument(
        "--signature-rounds",
        type=int,
        default=0,
        help="time signatures, the hashing floors and datasketch interleaved, this many rounds (ratios per round)",
    )
    p.add_argument(
        "--wire",
        action="store_true",
        help="scan 126 drawn corpora of 3, 7 and 12 outlets around one wire paragraph (a quality check):"
        " carrier pairs lost, passages reaching past the paragraph; and the paragraph in eight scripts",
    )
    p.add_argument("--plot", help="write the scaling curve to this image (needs matplotlib)")
    p.add_argument("--json", help="write every figure, the machine and the versions to this JSON file")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-repeats", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    _check_arguments(p, args)
    try:
        return _run(args, argv)
    except DedupError as error:  # (a corpus file that cannot be read: its place and reason, no traceback)
        p.exit(2, f"{p.prog}: error: {error}\n")
    except subprocess.CalledProcessError as error:  # (a scan in a fresh process: the reason it gave)
        lines = (error.stderr or "").strip().splitlines()
        reason = lines[-1].removeprefix(f"{p.prog}: error: ") if lines else f"exit status {error.returncode}"
        p.exit(2, f"{p.prog}: error: a scan in a fresh process failed: {reason}\n")


def _check_arguments(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what cannot run before anything runs: a missing corpus path (in --scans, before the
    earlier scans have taken their time), a size that is no number or no document."""
    for name in ("synthetic", "dense", "chars", "repeats", "ds_repeats"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"argument --{name.replace('_', '-')}: must be at least 1, got {value}")
    try:
        if args.corpus:
            corpus_path(args.corpus)
        for spec in (s.strip() for s in (args.scans or "").split(",") if s.strip()):
            kind, _, size = spec.partition(":")
            if not (kind in GENERATORS and size.isdigit() and int(size) > 0):
                corpus_path(spec)
    except FileNotFoundError as error:
        p.error(str(error))
    if args.scaling:
        sizes = [s.strip() for s in args.scaling.split(",") if s.strip()]
        if not sizes or not all(s.isdigit() and int(s) > 0 for s in sizes):
            p.error(f"argument --scaling: expected comma-separated numbers of documents, got {args.scaling!r}")


def _run(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    if args.child is not None:
        print(json.dumps(child_scan(args)))
        return 0
    out: dict[str, Any] = {
        "machine": machine(),
        "versions": versions(),
        "parameters": {
            "corpus": args.corpus
            or (f"dense({args.dense}, seed={args.seed}, chars={args.chars})" if args.dense else None)
            or f"synthetic({args.synthetic}, seed={args.seed}, chars={args.chars})",
            "repeats": args.repeats,
            "threads": args.threads,
        },
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
    }
    if not args.no_table:
        docs = load(args, args.limit if args.corpus else None)
        cfg = make_config(args)
        out["parameters"].update(cfg.to_dict(), bands_rows=list(cfg.bands_rows))
        out["table"] = run_table(docs, args)
        print(format_table(out["table"]))
    if args.scaling:
        sizes = [int(s) for s in args.scaling.split(",") if s.strip()]
        out["scaling"] = run_scaling(args, sizes)
        for pnt in out["scaling"]["points"]:
            print(
                f"scaling {pnt['documents']:>9,} docs {pnt['seconds']:9.2f} s"
                f" {pnt['documents'] / pnt['seconds']:9,.0f} docs/s peak RSS {pnt['peak_rss_bytes'] / 2**30:.2f} GiB"
            )
        if out["scaling"]["exponent"] is not None:
            print(f"scaling exponent (log-log slope, 10k and up): {out['scaling']['exponent']:.3f}"
                  " (target of issue 4: close to linear, reported)")  # fmt: skip
        for pnt in out["scaling"]["points"]:
            if pnt["documents"] >= 100_000:
                peak = pnt.get("scan_peak_rss_bytes") or pnt["peak_rss_bytes"]
                verdict = "met" if peak <= 2e9 else "NOT MET"
                print(f"peak memory scanning {pnt['documents']:,} documents: {peak / 1e9:.2f} GB"
                      f" ({peak / 2**30:.2f} GiB), target <= 2 GB: {verdict}")  # fmt: skip
        if args.plot:
            out["scaling"]["plot"] = args.plot if plot_scaling(out["scaling"], args.plot) else None
    if args.signature_rounds:
        from dedup.normalize import normalize

        cfg = make_config(args)
        docs = load(args, args.limit if args.corpus else None)
        texts = [normalize(d.text, profile=cfg.profile).text for d in docs]
        out["signatures"] = signature_rounds(texts, cfg, args.signature_rounds)
        print(format_rounds(out["signatures"]))
    if args.scans:
        out["scans"] = run_scans(args, [s.strip() for s in args.scans.split(",") if s.strip()])
        print(format_scans(out["scans"]))
    if args.wire:
        out["wire"] = wire_draws()
        print(format_wire(out["wire"]))
        out["wire_edited"] = wire_draws(edit=EDIT)
        print(format_wire(out["wire_edited"]))
        out["scripts"] = script_draws()
        print(format_scripts(out["scripts"]))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0
