"""The ``dedup`` command: parse arguments, build a config, call the library, format the result.

Library errors become one-line messages on stderr and exit status 2; nothing else lives here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .clusters import find_clusters
from .errors import DedupError, InputError, ParameterError
from .evaluate import evaluate_corpus, evaluate_detections, load_detections
from .evaluate import format_table as format_evaluation
from .html import write_html
from .io import Reader
from .normalize import PROFILES
from .progress import ProgressBar
from .records import Document, Skipped
from .report import format_summary, format_table, format_tune, tune_record, write_csv, write_jsonl
from .scan import ScanConfig, ScanResult, scan

__all__ = ["build_parser", "main"]

_DEFAULTS = ScanConfig()


def _scan_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs a scan (scan, evaluate)."""
    group = parser.add_argument_group("detection")
    group.add_argument("--ngram", type=int, default=_DEFAULTS.ngram, help="characters per n-gram (default %(default)s)")
    group.add_argument(
        "--num-perm", type=int, default=_DEFAULTS.num_perm, help="MinHash permutations (default %(default)s)"
    )
    group.add_argument(
        "--threshold",
        type=float,
        default=_DEFAULTS.threshold,
        help="window Jaccard similarity that LSH aims to catch, between 0 and 1 (default %(default)s)",
    )
    group.add_argument(
        "--min-bands",
        type=int,
        default=_DEFAULTS.min_bands,
        help="LSH bands two documents must collide in to be aligned (default %(default)s)",
    )
    group.add_argument(
        "--window",
        type=int,
        default=_DEFAULTS.window,
        help="n-grams per sketched window (default %(default)s)",
    )
    group.add_argument(
        "--stride",
        type=int,
        default=_DEFAULTS.stride,
        help="n-grams between window starts (default %(default)s)",
    )
    group.add_argument(
        "--min-length",
        type=int,
        default=_DEFAULTS.min_length,
        help="shortest passage reported, in normalised characters (default %(default)s)",
    )
    group.add_argument(
        "--min-exact",
        type=int,
        default=_DEFAULTS.min_exact,
        help="shortest near-verbatim passage reported in a pair that shares a min-length one (default %(default)s)",
    )
    group.add_argument(
        "--gap",
        type=int,
        default=_DEFAULTS.gap,
        help="largest gap between matching seeds inside one passage, in characters (default %(default)s)",
    )
    group.add_argument(
        "--word-min",
        type=int,
        default=_DEFAULTS.word_min,
        help="shortest word used as a seed, in characters (default %(default)s)",
    )
    group.add_argument(
        "--join",
        type=int,
        default=_DEFAULTS.join,
        help="largest gap between two in-order pieces joined into one passage, in characters (default %(default)s)",
    )
    group.add_argument(
        "--abut",
        type=int,
        default=_DEFAULTS.abut,
        help="largest gap between reordered pieces still merged into one passage, in characters (default %(default)s)",
    )
    group.add_argument(
        "--max-df",
        type=float,
        default=_DEFAULTS.max_df,
        help="seeds in more than this share of the documents (and more than 2) are boilerplate (default %(default)s)",
    )
    group.add_argument(
        "--profile",
        choices=PROFILES,
        default=_DEFAULTS.profile,
        help="normalisation profile (default %(default)s)",
    )
    group.add_argument(
        "--same-source",
        action="store_true",
        help="also compare documents of the same source (outlet); by default only different sources",
    )
    group.add_argument(
        "--seed",
        type=int,
        default=_DEFAULTS.seed,
        help="seed of the MinHash permutations (default %(default)s)",
    )


def _input_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("input")
    group.add_argument("--id-field", default="id", help="JSONL field holding the document id (default %(default)s)")
    group.add_argument("--text-field", default="text", help="JSONL field holding the text (default %(default)s)")
    group.add_argument("--source-field", default="source", help="JSONL field holding the outlet (default %(default)s)")
    group.add_argument("--date-field", default="date", help="JSONL field holding the date (default %(default)s)")
    group.add_argument(
        "--glob", default="*.txt", help="files taken from a directory, by name pattern (default %(default)s)"
    )
    group.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip bad documents (counted in the summary with their reason) instead of stopping",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dedup`` command."""
    parser = argparse.ArgumentParser(
        prog="dedup", description="Find syndicated passages: the same wording reused across documents."
    )
    parser.add_argument("--version", action="version", version=f"dedup {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    scan_parser = commands.add_parser(
        "scan",
        help="find the passages that documents share",
        description=("Find the passages that documents of different sources share, and score each document pair."),
    )
    scan_parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help=(
            "a directory of text files, a .jsonl file (id, text, source, date), a text file, or - for JSONL on stdin"
        ),
    )
    scan_parser.add_argument(
        "--format",
        choices=("table", "jsonl", "csv", "html"),
        default="table",
        help="output format: table for a terminal, jsonl for programs, csv for spreadsheets, html for a "
        "self-contained side-by-side report (default %(default)s)",
    )
    scan_parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    scan_parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no summary on standard error"
    )
    report_group = scan_parser.add_argument_group("reports")
    report_group.add_argument(
        "--csv-bom",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="start CSV output with a UTF-8 byte-order mark, which Excel needs to read Arabic (default: on)",
    )
    report_group.add_argument(
        "--html-max-pairs",
        type=int,
        default=200,
        metavar="N",
        help="side-by-side views for the N pairs that share most; the overview lists all (default %(default)s)",
    )
    report_group.add_argument(
        "--cluster-documents",
        type=int,
        default=3,
        metavar="N",
        help="a reuse cluster is a passage found in at least N documents (default %(default)s)",
    )
    engine_group = scan_parser.add_argument_group("engine")
    engine_group.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="run the scan in this process (local) or on Spark (needs dedup[spark]), same results "
        "(default %(default)s)",
    )
    engine_group.add_argument(
        "--spark-master",
        metavar="URL",
        help="Spark master URL for --engine spark (default: the session spark-submit set up, else local[*])",
    )
    engine_group.add_argument(
        "--work-dir",
        metavar="DIR",
        help="--engine spark keeps each stage here (any path Spark writes) and reuses it: a failed job resumes",
    )
    _input_options(scan_parser)
    _scan_options(scan_parser)

    evaluate_parser = commands.add_parser(
        "evaluate",
        help="measure detection quality on a labelled corpus (PAN measures)",
        description=(
            "Scan a labelled corpus (a folder with docs.jsonl, truth.jsonl and pairs.jsonl) and print macro "
            "precision, recall, granularity and plagdet, overall and per obfuscation type; or, with "
            "--detections, score an existing scan output against the corpus's truth."
        ),
    )
    evaluate_parser.add_argument("corpus", metavar="CORPUS", help="folder holding docs.jsonl, truth.jsonl, pairs.jsonl")
    evaluate_parser.add_argument(
        "--detections",
        metavar="FILE",
        help="score this scan output (JSONL from `dedup scan --format jsonl`) instead of scanning",
    )
    evaluate_parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format (default %(default)s)"
    )
    evaluate_parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    _scan_options(evaluate_parser)

    tune_parser = commands.add_parser(
        "tune",
        help="show the LSH bands and rows for a threshold, and the S-curve",
        description=(
            "Print the LSH bands and rows chosen for a threshold and number of permutations, and the "
            "probability that two windows become a candidate pair against their true Jaccard similarity."
        ),
    )
    tune_parser.add_argument(
        "--threshold",
        type=float,
        default=_DEFAULTS.threshold,
        help="window Jaccard similarity that LSH aims to catch, between 0 and 1 (default %(default)s)",
    )
    tune_parser.add_argument(
        "--num-perm", type=int, default=_DEFAULTS.num_perm, help="MinHash permutations (default %(default)s)"
    )
    tune_parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format (default %(default)s)"
    )
    tune_parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    return parser


def _config(args: argparse.Namespace) -> ScanConfig:
    skip_bad = getattr(args, "skip_bad", False)
    return ScanConfig(
        ngram=args.ngram,
        num_perm=args.num_perm,
        threshold=args.threshold,
        min_bands=args.min_bands,
        window=args.window,
        stride=args.stride,
        min_length=args.min_length,
        min_exact=args.min_exact,
        gap=args.gap,
        word_min=args.word_min,
        join=args.join,
        abut=args.abut,
        max_df=args.max_df,
        profile=args.profile,
        same_source=args.same_source,
        seed=args.seed,
        skip_bad=skip_bad,
    )


def _located(documents: Iterator[Document]) -> Iterator[Document]:
    """The documents, with the reader's own errors marked as already naming their file and line."""
    try:
        yield from documents
    except InputError as error:
        # Without a document id, _run_scan leaves the message alone instead of pointing it at the
        # first document of that id (wrong for a duplicate id, whose message names the second).
        raise InputError(str(error), reason=error.reason) from error


def _reader(args: argparse.Namespace) -> Reader:
    return Reader(
        id_field=args.id_field,
        text_field=args.text_field,
        source_field=args.source_field,
        date_field=args.date_field,
        glob=args.glob,
        skip_bad=args.skip_bad,
    )


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None or path == "-":
        yield sys.stdout
        return
    try:
        stream = Path(path).open("w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        raise DedupError(f"{path}: cannot write: {error.strerror or error}") from error
    with stream:
        yield stream


def _run_scan(args: argparse.Namespace) -> int:
    config = _config(args)
    reader = _reader(args)
    if args.html_max_pairs < 0:
        raise ParameterError(f"--html-max-pairs must be at least 0, got {args.html_max_pairs}")
    if args.cluster_documents < 2:
        raise ParameterError(f"--cluster-documents must be at least 2, got {args.cluster_documents}")
    run = _spark_scan if args.engine == "spark" else _local_scan
    result = run(args, config, reader)
    clusters = find_clusters(result, min_documents=args.cluster_documents)
    with _output(args.output) as stream:
        if args.format == "jsonl":
            write_jsonl(result, stream, clusters)
        elif args.format == "csv":
            write_csv(result, stream, bom=args.csv_bom, clusters=clusters)
        elif args.format == "html":
            write_html(result, stream, clusters=clusters, max_pairs=args.html_max_pairs)
        else:
            stream.write(format_table(result, clusters=clusters))
    if args.format == "table" and not args.quiet:
        sys.stderr.write(format_summary(result))
    return 0


def _spark_scan(args: argparse.Namespace, config: ScanConfig, reader: Reader) -> ScanResult:
    try:
        from .spark._cli import scan_inputs  # pyspark is imported by dedup.spark only
    except ImportError as error:
        raise DedupError(f"--engine spark needs pyspark and pyarrow: pip install 'dedup[spark]' ({error})") from error
    return scan_inputs(args.inputs, config, reader, master=args.spark_master, work_dir=args.work_dir)


def _local_scan(args: argparse.Namespace, config: ScanConfig, reader: Reader) -> ScanResult:
    if args.spark_master is not None or args.work_dir is not None:
        raise ParameterError("--spark-master and --work-dir go with --engine spark")
    # The bar draws only when standard error is a terminal: piped or redirected runs stay clean.
    try:
        with ProgressBar(sys.stderr, enabled=False if args.quiet else None) as bar:
            result = scan(_located(reader.read(args.inputs)), config, progress=bar)
    except InputError as error:
        # The library knows the document id; the reader knows where that document came from.
        if error.document is not None and error.document in reader.where:
            raise InputError(f"{reader.where[error.document]}: {error.reason}") from error
        raise
    # Skips decided by the reader come first (they never reached the scan), then the scan's own.
    located = [Skipped(reader.where.get(s.id or "", s.where), s.reason, s.id) for s in result.skipped]
    return ScanResult(
        passages=result.passages,
        pairs=result.pairs,
        documents=result.documents,
        skipped=reader.skipped + located,
        candidates=result.candidates,
        suppressed_buckets=result.suppressed_buckets,
        config=result.config,
    )


def _run_tune(args: argparse.Namespace) -> int:
    record = tune_record(args.threshold, args.num_perm)
    with _output(args.output) as stream:
        if args.format == "json":
            stream.write(json.dumps(record, indent=2) + "\n")
        else:
            stream.write(format_tune(record))
    return 0


def _run_evaluate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.detections is not None:
        evaluation = evaluate_detections(args.corpus, load_detections(args.detections))
    else:
        evaluation = evaluate_corpus(args.corpus, _config(args))
    seconds = time.perf_counter() - started
    with _output(args.output) as stream:
        if args.format == "json":
            stream.write(json.dumps({**evaluation.to_dict(), "seconds": round(seconds, 1)}, indent=2) + "\n")
        else:
            stream.write(format_evaluation(evaluation).rstrip("\n") + "\n")
            stream.write(f"({seconds:.1f} s)\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dedup`` command with ``argv`` (default: the process arguments); return the exit status.

    Example:
        >>> main(["scan", "/no/such/dir"])
        2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "scan":
            return _run_scan(args)
        if args.command == "evaluate":
            return _run_evaluate(args)
        if args.command == "tune":
            return _run_tune(args)
        parser.error(f"unknown command {args.command!r}")
    except DedupError as error:
        print(f"dedup: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        with contextlib.suppress(OSError):
            sys.stdout.close()
        return 0
    except KeyboardInterrupt:
        return 130
    return 0
