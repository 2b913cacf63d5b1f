"""The command line of ``benchmarks/bench.py``."""

from __future__ import annotations

import argparse
import errno
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dedup._output import Output, terminated_as_interrupt
from dedup.errors import DedupError

from .corpora import GENERATORS, corpus_path, read_corpus, synthetic_corpus
from .dense import dense_corpus
from .measure import SCAN_OPTIONS, checkout, load_average, machine, make_config, now, versions
from .real import format_scans, run_scans
from .scaling import child_scan, plot_scaling, run_scaling
from .scripts import format_scripts, script_draws
from .signatures import format_rounds, signature_rounds
from .table import LEGEND, format_table, run_table
from .wire import EDIT, format_wire, wire_draws

USAGE = """\
    python benchmarks/bench.py --synthetic 2000                      # table of every stage
    python benchmarks/bench.py --dense 2000                          # the same on the dense corpus
    python benchmarks/bench.py --corpus ../shared/evaldata/arabic-plag-dev   # a real corpus (folder or docs.jsonl)
    python benchmarks/bench.py --synthetic 2000 --json out.json --scaling 1000,10000,50000 --plot curve.png
    python benchmarks/bench.py --no-table --scans synthetic:2000,dense:2000,dense:4000,../shared/evaldata/pan13-train
    python benchmarks/bench.py --no-table --wire                     # wire copy among chance matches (quality)
"""

OUTPUT = f"""
What it prints (standard output; progress on standard error): the stage table, one row a stage of a
scan and one a datasketch (or rensa) counterpart on the same corpus, then the ratios, each saying which
time is over which, and the targets of the project's issues with their verdicts. The columns:
{textwrap.fill(LEGEND[0], 100)}
--scans prints one row a corpus (seconds: wall time of one whole scan in a fresh process, the median of
--repeats; CPU s: its CPU seconds; index, LSH, align + score: its stages in seconds; peak RSS in GiB).
--json writes every figure, the parameters, the machine, the versions, the commit and the load average;
its keys: docs/performance.md, "The JSON".
"""


def load(args: argparse.Namespace, n: int | None = None) -> list[Any]:
    """The documents of the stage table: ``--corpus``, ``--dense`` or ``--synthetic``."""
    if args.corpus:
        docs = read_corpus(str(corpus_path(args.corpus)), n)
        if not docs:  # (nothing to time: every figure would be a division by zero)
            raise DedupError(f"{args.corpus}: no documents")
        return docs
    if args.dense:
        return dense_corpus(args.dense, seed=args.seed, chars=args.chars)
    return synthetic_corpus(n or args.synthetic, seed=args.seed, chars=args.chars)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Benchmark of the dedup hot path, side by side with datasketch (and rensa when installed).",
        epilog=USAGE + OUTPUT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--corpus",
        help="your corpus: a file of documents dedup scan reads (.jsonl, .csv, .tsv, .parquet, .txt;"
        " .gz or .zst), a folder of them, or an evaluation folder holding docs.jsonl",
    )
    src.add_argument("--dense", type=int, help="documents of a dense corpus (word runs of seeds/, recombined)")
    src.add_argument("--synthetic", type=int, default=2000, help="documents of a synthetic corpus (default 2000)")
    p.add_argument(
        "--limit",
        type=int,
        help="use the first LIMIT documents of --corpus (fewer there: copied round, each copy"
        " rotated under a new id and outlet, as said on standard error)",
    )
    p.add_argument("--chars", type=int, default=3000, help="characters a synthetic or dense document (default 3000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic or dense corpus (default 0)")
    p.add_argument("--ngram", type=int, help="n-gram length (default: ScanConfig's)")
    p.add_argument("--num-perm", type=int, help="permutations (default: ScanConfig's)")
    p.add_argument("--threshold", type=float, help="LSH threshold (default: ScanConfig's)")
    p.add_argument("--min-bands", type=int, help="bands a candidate pair must share (default: ScanConfig's)")
    p.add_argument(
        "--max-candidates", type=int, help="candidate pairs a document may ask to align (default: ScanConfig's)"
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed runs a row, the median reported; for --scans and --scaling, timed scans a corpus (default 3)",
    )
    p.add_argument(
        "--ds-repeats", type=int, default=1, help="timed runs of the slow datasketch and rensa rows (default 1)"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads of every scan and of the threaded signature row (default: the scan's, all cores; the row: 2)",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peak-memory runs")
    p.add_argument("--no-table", action="store_true", help="skip the per-stage table (e.g. scaling only)")
    p.add_argument("--scaling", help="comma-separated corpus sizes, one fresh process each, e.g. 1000,10000,50000")
    p.add_argument(
        "--cache-dir",
        help="where --scaling and --scans keep the corpora they generate (JSONL), one a kind and size, for reuse;"
        " they are not removed"
        " (default: dedup-bench-corpora in the system's temporary directory)",
    )
    p.add_argument(
        "--scans",
        help="whole scans side by side, one fresh process each: comma-separated synthetic:N, dense:N,"
        " carried:N (one wire story every outlet ran) or paths (anything --corpus takes)",
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
        with terminated_as_interrupt():  # (Ctrl-C or SIGTERM: no partial --json or --plot file left)
            outputs = {}
            for option in ("json", "plot"):  # made now: a path that cannot be written fails before the work
                if getattr(args, option) is not None:
                    try:
                        outputs[option] = Output(getattr(args, option), binary=option == "plot")
                    except DedupError as error:
                        p.error(f"argument --{option}: {error}")
            return _run(args, argv, outputs)
    except DedupError as error:  # (a corpus file that cannot be read: its place and reason, no traceback)
        p.exit(2, f"{p.prog}: error: {error}\n")
    except OSError as error:  # (a corpus or cache file that cannot be read or written: its name and the reason)
        where = f"{error.filename}: " if error.filename else ""
        p.exit(2, f"{p.prog}: error: {where}{error.strerror or error}\n")
    except subprocess.CalledProcessError as error:  # (a scan in a fresh process: the reason it gave)
        lines = (error.stderr or "").strip().splitlines()
        reason = lines[-1].removeprefix(f"{p.prog}: error: ") if lines else f"exit status {error.returncode}"
        p.exit(2, f"{p.prog}: error: a scan in a fresh process failed: {reason}\n")


def _check_arguments(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what cannot run before anything runs, in one line naming the option, the rule and the value:
    a missing corpus path (in --scans, before the earlier scans have taken their time), a size that is no
    number or no document, scan parameters ScanConfig refuses, an option that would be ignored."""
    for name, low in (("synthetic", 1), ("dense", 1), ("chars", 1), ("repeats", 1), ("ds_repeats", 1),
                      ("limit", 1), ("threads", 1), ("seed", 0), ("signature_rounds", 0)):  # fmt: skip
        value = getattr(args, name)
        if value is not None and value < low:
            p.error(f"argument --{name.replace('_', '-')}: must be at least {low}, got {value}")
    if args.limit is not None and not args.corpus:
        p.error(f"argument --limit: only with --corpus (the first LIMIT documents of it), got {args.limit}")
    for option in ("json", "plot"):
        if getattr(args, option) == "":
            p.error(f"argument --{option}: an empty path: expected a file name")
    if args.no_table and not (args.scans is not None or args.scaling or args.signature_rounds or args.wire):
        p.error("argument --no-table: nothing else to run: give --scans, --scaling, --signature-rounds or --wire")
    if args.plot is not None and not args.scaling:
        p.error(f"argument --plot: only with --scaling (it draws the scaling curve), got {args.plot}")
    try:
        make_config(args)
    except DedupError as error:  # (e.g. "num_perm must be an integer from 1 to 1024, got -1")
        named = next((n for n in SCAN_OPTIONS if str(error).startswith(n)), None)
        p.error(f"argument --{named.replace('_', '-')}: {error}" if named else str(error))
    if args.corpus:
        try:
            corpus_path(args.corpus)
        except FileNotFoundError as error:
            p.error(f"argument --corpus: {error}")
    if args.scans is not None:
        specs = scan_specs(args.scans)
        if not specs:
            p.error(
                "argument --scans: expected comma-separated synthetic:N, dense:N, carried:N or paths,"
                f" got {args.scans!r}"
            )
        for spec in specs:
            kind, colon, size = spec.partition(":")
            if kind in GENERATORS and colon:
                if not (size.isdigit() and int(size) > 0):
                    p.error(f"argument --scans: {spec}: expected {kind}:N with N a number of documents, at least 1")
                continue
            try:
                corpus_path(spec)
            except FileNotFoundError as error:
                p.error(f"argument --scans: {error}")
    if args.scaling:
        sizes = [s.strip() for s in args.scaling.split(",") if s.strip()]
        if not sizes or not all(s.isdigit() and int(s) > 0 for s in sizes):
            p.error(f"argument --scaling: expected comma-separated numbers of documents, got {args.scaling!r}")
    if args.cache_dir is not None:  # (made now: a corpus written there after earlier scans ran failed then)
        try:
            Path(args.cache_dir).mkdir(parents=True, exist_ok=True)
            if not os.access(args.cache_dir, os.W_OK):
                raise PermissionError(errno.EACCES, "Permission denied")
        except OSError as error:
            p.error(f"argument --cache-dir: {args.cache_dir}: cannot write: {error.strerror or error}")
    if args.plot is not None:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            p.error(f"argument --plot: drawing {args.plot} needs matplotlib (pip install matplotlib)")


def scan_specs(scans: str) -> list[str]:
    """The corpora of ``--scans``: comma-separated, blanks dropped."""
    return [s.strip() for s in scans.split(",") if s.strip()]


def _run(args: argparse.Namespace, argv: Sequence[str] | None, outputs: dict[str, Output]) -> int:
    if args.child is not None:
        print(json.dumps(child_scan(args)))
        return 0
    out: dict[str, Any] = {
        "started": now(),
        "machine": machine(),
        "load_average": load_average(),
        "versions": versions(),
        "checkout": checkout(),
        "parameters": {
            # the corpus of the stage table, the signature rounds and the scaling run (--scans name their own)
            "corpus": None
            if args.no_table and not args.signature_rounds and not args.scaling
            else args.corpus
            or (f"dense({args.dense}, seed={args.seed}, chars={args.chars})" if args.dense else None)
            or f"synthetic({args.synthetic}, seed={args.seed}, chars={args.chars})",
            "limit": args.limit,
            "repeats": args.repeats,
            "ds_repeats": args.ds_repeats,
            "memory": not args.no_memory,
            "threads": args.threads,
        },
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
    }
    cfg = make_config(args)  # (the scan parameters of every part: the table, the scans, the scaling run)
    out["parameters"].update(cfg.to_dict(), bands_rows=list(cfg.bands_rows))
    if not args.no_table:
        docs = load(args, args.limit if args.corpus else None)
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
            with outputs["plot"].open() as stream:
                plot_scaling(out["scaling"], stream, Path(args.plot).suffix.lstrip(".") or "png")
            out["scaling"]["plot"] = args.plot
    if args.signature_rounds:
        from dedup.normalize import normalize

        cfg = make_config(args)
        docs = load(args, args.limit if args.corpus else None)
        texts = [normalize(d.text, profile=cfg.profile).text for d in docs]
        out["signatures"] = signature_rounds(texts, cfg, args.signature_rounds)
        print(format_rounds(out["signatures"]))
    if args.scans:
        out["scans"] = run_scans(args, scan_specs(args.scans))
        print(format_scans(out["scans"]))
    if args.wire:
        out["wire"] = wire_draws()
        print(format_wire(out["wire"]))
        out["wire_edited"] = wire_draws(edit=EDIT)
        print(format_wire(out["wire_edited"]))
        out["scripts"] = script_draws()
        print(format_scripts(out["scripts"]))
    if args.json is not None:
        out["finished"] = now()
        out["load_average_after"] = load_average()
        with outputs["json"].open() as stream:
            stream.write(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    return 0
