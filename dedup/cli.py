"""The ``dedup`` command: parse arguments, build a config, call the library, format the result.

Library errors become one-line messages on stderr and exit status 2; nothing else lives here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from . import __version__
from ._cache import cache_dir
from ._compile import compile_kernels
from ._output import Output, terminated_as_interrupt
from .checks import check_int
from .clusters import find_clusters
from .config import _MAX_THREADS
from .errors import DedupError, InputError, ParameterError, ReadError
from .evaluate import evaluate_corpus, evaluate_detections, load_detections
from .evaluate import format_table as format_evaluation
from .evaluate_pairs import (
    evaluate_labelled_corpus,
    evaluate_scored_pairs,
    format_pair_table,
    is_pair_labelled,
)
from .html import write_html
from .index import AddResult, Index
from .index.store import check_not_a_file
from .io import FORMATS, Reader, duplicate_reason, file_format, shown_path
from .normalize import PROFILES
from .progress import ProgressBar
from .records import Document, Skipped
from .report import (
    common_lines,
    format_summary,
    format_table,
    format_tune,
    one_source_note,
    plural,
    skip_kinds,
    skip_note,
    summary_record,
    suppressed_note,
    tune_record,
    undated_note,
    visible,
    write_csv,
    write_jsonl,
)
from .scan import ScanConfig, ScanResult, scan

__all__ = ["build_parser", "main"]

_DEFAULTS = ScanConfig()
_HTML_PAIRS = 200  # --html-max-pairs when not given


def _scan_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs a scan (scan, evaluate, index add and index query)."""
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
        help="LSH bands two documents must collide in to be aligned, fewer with a short one (default %(default)s)",
    )
    group.add_argument(
        "--max-candidates",
        type=int,
        default=_DEFAULTS.max_candidates,
        help="candidate pairs a document may have aligned, its strongest by shared bands; the rest are"
        " counted as unaligned in the summary; 0 for no limit (default %(default)s)",
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
        help="shortest passage reported, in normalised characters counted as letters (an ideograph counts 3;"
        " default %(default)s)",
    )
    group.add_argument(
        "--min-exact",
        type=int,
        default=_DEFAULTS.min_exact,
        help="shortest near-verbatim passage reported in a pair that shares a min-length one, and shortest document"
        " scanned (default %(default)s)",
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
        "--seed-length",
        type=int,
        default=_DEFAULTS.seed_length,
        help="characters of a seed (an exact match that alignment starts from) (default %(default)s)",
    )
    group.add_argument(
        "--min-seeds",
        type=int,
        default=_DEFAULTS.min_seeds,
        help="fewest seeds a passage is built from (default %(default)s)",
    )
    group.add_argument(
        "--min-density",
        type=float,
        default=_DEFAULTS.min_density,
        help="least share of a passage's characters that its seeds cover (default %(default)s)",
    )
    group.add_argument(
        "--exact-density",
        type=float,
        default=_DEFAULTS.exact_density,
        help="least seed coverage of a near-verbatim passage shorter than --min-length (default %(default)s)",
    )
    group.add_argument(
        "--min-similarity",
        type=float,
        default=_DEFAULTS.min_similarity,
        help="least n-gram Jaccard similarity of a reported passage's two copies (default %(default)s)",
    )
    group.add_argument(
        "--max-bucket",
        type=int,
        default=_DEFAULTS.max_bucket,
        help="an LSH bucket with more windows than this is page chrome and skipped (default %(default)s)",
    )
    group.add_argument(
        "--source-df",
        type=float,
        default=_DEFAULTS.source_df,
        help="seeds in more than this share of one source's documents (and more than 2, and than the square "
        "root of their number) are that source's boilerplate (default %(default)s)",
    )
    group.add_argument(
        "--rare-df",
        type=float,
        default=_DEFAULTS.rare_df,
        help="seeds in at most this share of all documents (or 2) are rare: short pieces under 0.4 x --min-length "
        "must rest on rare seeds (default %(default)s)",
    )
    group.add_argument(
        "--max-repeat",
        type=int,
        default=_DEFAULTS.max_repeat,
        help="seeds occurring more often than this in one document are left out; the printings of a page printed "
        "again, or of a text of --min-exact or more printed up to four times (a lead repeated as headline and "
        "summary), count once (default %(default)s)",
    )
    group.add_argument(
        "--min-score",
        type=float,
        default=_DEFAULTS.min_score,
        help="a pair without passages is reported when its score reaches this (default %(default)s)",
    )
    group.add_argument(
        "--short-windows",
        type=int,
        default=_DEFAULTS.short_windows,
        help=(
            "a document of at most this many windows is short: its windows are banded on every signature slot, "
            "its pairs need half of --min-bands with a story of news length, a quarter with another short one, "
            "and may be reported on their score alone (default %(default)s)"
        ),
    )
    group.add_argument(
        "--profile",
        choices=PROFILES,
        default=_DEFAULTS.profile,
        help="normalisation profile (default %(default)s): arabic also deletes Arabic harakat and Hebrew points and "
        "unifies Arabic letter forms; basic keeps them",
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
    # Values named as docs/cli.md names them: N a whole number, F a fraction, T the threshold.
    for action in group._group_actions:
        if action.nargs != 0 and not action.choices:
            action.metavar = "T" if action.dest == "threshold" else "F" if action.type is float else "N"


def _input_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("input")
    where = "field or column (JSONL, CSV, TSV, Parquet)"
    roles = (("id", "the document id"), ("text", "the text"), ("source", "the outlet"), ("date", "the date"))
    for role, holds in roles:
        group.add_argument(
            f"--{role}-field", default=role, metavar="NAME", help=f"{where} holding {holds} (default %(default)s)"
        )
    group.add_argument(
        "--glob",
        action="append",
        default=None,
        metavar="PATTERN",
        help="files taken from a directory, by name pattern; given again, a file matching any is taken (default: "
        "every file whose extension names a format)",
    )
    group.add_argument(
        "--source-level",
        type=int,
        default=0,
        metavar="K",
        help="text files found below a folder INPUT take as their source (outlet) the name of the folder K "
        "levels below it on their path (1: INPUT/reuters/a.txt is from reuters), so that each outlet's "
        "template is its boilerplate (default: 0, each file its own source)",
    )
    group.add_argument(
        "--input-format",
        choices=FORMATS,
        default=None,
        help="read every input file as this format, whatever its extension (default: told by the extension; "
        "standard input is jsonl)",
    )
    group.add_argument(
        "--encoding",
        default=None,
        metavar="NAME",
        help="text encoding of text, JSONL, CSV and TSV input, any Python knows (cp1256, latin-1, ...) "
        "(default: UTF-8, or UTF-16 or UTF-32 where a file starts with their byte-order mark)",
    )
    strictness = group.add_mutually_exclusive_group()
    strictness.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip malformed documents (counted in the summary with their reason) instead of stopping",
    )
    strictness.add_argument(
        "--strict",
        action="store_true",
        help="stop at any document that would be skipped (too short or empty), or whose date cannot be read",
    )


def _report_options(parser: argparse.ArgumentParser) -> None:
    """Options of the commands that write a scan's report (scan, index query)."""
    parser.add_argument(
        "--format",
        choices=("table", "jsonl", "csv", "html", "parquet"),
        help="output format: table for a terminal, jsonl for programs, csv for spreadsheets, html for a "
        "self-contained side-by-side report, parquet for data frames (default: the one -o FILE's extension "
        "names, else table)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="nothing on standard error but errors: no progress, no summary"
    )
    report_group = parser.add_argument_group("reports")
    report_group.add_argument(
        "--csv-bom",
        action=argparse.BooleanOptionalAction,
        help="start CSV output with a UTF-8 byte-order mark, which Excel needs to read Arabic (default: on)",
    )
    report_group.add_argument(
        "--html-max-pairs",
        type=int,
        metavar="N",
        help=f"side-by-side views for the N pairs that share most, 0 for none; the overview lists all "
        f"(default {_HTML_PAIRS})",
    )
    report_group.add_argument(
        "--cluster-documents",
        type=int,
        default=3,
        metavar="N",
        help="a reuse cluster is a passage found in at least N documents (default %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dedup`` command.

    Example:
        >>> args = build_parser().parse_args(["scan", "seeds/", "--format", "jsonl", "--threshold", "0.3"])
        >>> args.command, args.inputs, args.format, args.threshold
        ('scan', ['seeds/'], 'jsonl', 0.3)
    """
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
            "a directory, a text file (one document), a .jsonl, .csv, .tsv or .parquet file (id, text, source, "
            "date), any of them .gz or .zst, or - for JSONL on stdin"
        ),
    )
    _report_options(scan_parser)
    scan_parser.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help="threads that sketch, search and align at once (default: the cores available, two at most)",
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
        help="measure detection quality on a labelled corpus (PAN measures, or pair-score AUC)",
        description=(
            "Scan a labelled corpus (a folder with docs.jsonl, truth.jsonl and pairs.jsonl) and print macro "
            "precision, recall, granularity and plagdet, overall and per obfuscation type; or, with "
            "--detections, score an existing scan output against the corpus's truth. A corpus whose "
            "truth.jsonl labels pairs ({a, b, label}: WD, PD, ND) is measured by the AUC of the pairs' score "
            "and the share of each label reported."
        ),
    )
    evaluate_parser.add_argument("corpus", metavar="CORPUS", help="folder holding docs.jsonl, truth.jsonl, pairs.jsonl")
    evaluate_parser.add_argument(
        "--detections",
        metavar="FILE",
        help="score this scan output (JSONL from `dedup scan --format jsonl`) instead of scanning",
    )
    evaluate_parser.add_argument(
        "--format", choices=("table", "json"), help="output format (default: json for -o FILE.json, else table)"
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
        metavar="T",
        help="window Jaccard similarity that LSH aims to catch, between 0 and 1 (default %(default)s)",
    )
    tune_parser.add_argument(
        "--num-perm",
        type=int,
        default=_DEFAULTS.num_perm,
        metavar="K",
        help="MinHash permutations (default %(default)s)",
    )
    tune_parser.add_argument(
        "--format", choices=("table", "json"), help="output format (default: json for -o FILE.json, else table)"
    )
    tune_parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    _index_parsers(commands)
    return parser


_INPUT_HELP = (
    "a directory, a text file (one document), a .jsonl, .csv, .tsv or .parquet file (id, text, source, date), any "
    "of them .gz or .zst, or - for JSONL on stdin"
)


def _index_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    index_parser = commands.add_parser(
        "index",
        help="an archive: add documents once, then check new ones against it",
        description=(
            "An archive index in a directory: documents added once, new documents queried against all of "
            "them for the passages they share (the passages a scan of both would report). See docs/archive-index.md."
        ),
    )
    actions = index_parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="add documents (creating the index with the options given)",
        description=(
            "Add documents to INDEX, creating it with the detection options given; an existing index keeps its "
            "own options (giving different ones is an error). A document whose id is in the index is skipped "
            "and counted, or replaced with --replace: running an interrupted add again completes it."
        ),
    )
    add.add_argument("index", metavar="INDEX", help="the index directory")
    add.add_argument("inputs", nargs="+", metavar="INPUT", help=_INPUT_HELP)
    add.add_argument(
        "--replace",
        action="store_true",
        help="replace the documents whose id is already in the index and whose text, source or date differs",
    )
    add.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _wait_option(add)
    _input_options(add)
    _index_detection_options(add)

    query = actions.add_parser(
        "query",
        help="the passages new documents share with the archive",
        description=(
            "Report the passages and pairs between each input document and the archive (and among the inputs), "
            "in the formats of `dedup scan`."
        ),
    )
    query.add_argument("index", metavar="INDEX", help="the index directory")
    query.add_argument("inputs", nargs="+", metavar="INPUT", help=_INPUT_HELP)
    query.add_argument("--add", action="store_true", help="add the documents to the index afterwards")
    _wait_option(query)
    _report_options(query)
    _input_options(query)
    _index_detection_options(query)

    remove = actions.add_parser("remove", help="remove documents by id", description="Remove documents by id.")
    remove.add_argument("index", metavar="INDEX", help="the index directory")
    remove.add_argument("ids", nargs="+", metavar="ID", help="ids of the documents to remove")
    _wait_option(remove)

    info = actions.add_parser(
        "info",
        help="documents, configuration, size and format of an index",
        description="Print the documents, configuration, size on disk and format version of an index.",
    )
    info.add_argument("index", metavar="INDEX", help="the index directory")
    info.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format (default %(default)s)"
    )

    compact = actions.add_parser(
        "compact",
        help="merge the index's key files and drop removed documents' keys",
        description="Merge every key file into one, without the keys of removed documents (answers do not change).",
    )
    compact.add_argument("index", metavar="INDEX", help="the index directory")
    _wait_option(compact)


def _wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wait this long for another writer to finish before giving up (default %(default)s)",
    )


_DETECTION = tuple(f for f in ScanConfig.__dataclass_fields__ if f not in ("skip_bad", "strict"))


def _index_detection_options(parser: argparse.ArgumentParser) -> None:
    """The scan's detection options, remembering which were given: an index keeps the ones it was built with."""
    _scan_options(parser)
    for action in parser._actions:
        if action.dest in _DETECTION:
            if action.help and "%(default)s" in action.help:
                action.help = action.help.replace("%(default)s", str(action.default))
            action.default = argparse.SUPPRESS


def _config(args: argparse.Namespace) -> ScanConfig:
    skip_bad = getattr(args, "skip_bad", False)
    return ScanConfig(
        ngram=args.ngram,
        num_perm=args.num_perm,
        threshold=args.threshold,
        min_bands=args.min_bands,
        max_candidates=args.max_candidates,
        window=args.window,
        stride=args.stride,
        min_length=args.min_length,
        min_exact=args.min_exact,
        gap=args.gap,
        word_min=args.word_min,
        join=args.join,
        abut=args.abut,
        source_df=args.source_df,
        rare_df=args.rare_df,
        max_repeat=args.max_repeat,
        min_score=args.min_score,
        short_windows=args.short_windows,
        seed_length=args.seed_length,
        min_seeds=args.min_seeds,
        min_density=args.min_density,
        exact_density=args.exact_density,
        min_similarity=args.min_similarity,
        max_bucket=args.max_bucket,
        profile=args.profile,
        same_source=args.same_source,
        seed=args.seed,
        skip_bad=skip_bad,
        strict=getattr(args, "strict", False),
    )


def _located(documents: Iterator[Document]) -> Iterator[Document]:
    """The documents, with the reader's own errors marked as already naming their file and line."""
    try:
        yield from documents
    except InputError as error:
        # Without a document id, _run_scan leaves the message alone instead of pointing it at the
        # first document of that id (wrong for a duplicate id, whose message names the second).
        raise InputError(str(error), reason=error.reason, skippable=error.skippable, kind=error.kind) from error


def _is_parquet(args: argparse.Namespace, item: str) -> bool:
    """Whether an input is read as Parquet (a file, or standard input, that --input-format or its name says is)."""
    if args.input_format is not None:
        return bool(args.input_format == "parquet")
    return item != "-" and not os.path.isdir(item) and file_format(item)[0] == "parquet"


def _reader(args: argparse.Namespace) -> Reader:
    """The reader of the INPUTs. Repeated ids are the library's to decide (``check_ids`` false), as
    dedup.scan and the archive decide them: a document skipped as too short or empty leaves its id
    to a later one, and the library says which document of an id it refused (both engines; the
    reader says where each was read)."""
    # As --threads with --engine spark: an option that would do nothing is said, not passed over.
    folders = any(item != "-" and os.path.isdir(item) for item in args.inputs)
    if args.glob is not None and not folders:
        raise ParameterError("--glob picks files below a folder INPUT, and no INPUT is a folder")
    if args.source_level and not folders:
        raise ParameterError("--source-level names the sources of text files below a folder INPUT, and no INPUT is one")
    if args.encoding is not None and all(_is_parquet(args, item) for item in args.inputs):
        raise ParameterError(
            "--encoding names the encoding of text, JSONL, CSV and TSV input, and every INPUT is Parquet "
            "(UTF-8 by definition)"
        )
    return Reader(
        check_ids=False,
        id_field=args.id_field,
        text_field=args.text_field,
        source_field=args.source_field,
        source_level=args.source_level,
        date_field=args.date_field,
        glob=args.glob,
        input_format=args.input_format,
        skip_bad=args.skip_bad,
        encoding=args.encoding,
    )


def _compile_first(quiet: bool) -> None:
    """Compile the kernels, two processes at once, the first run after an install, and say why it sits still."""

    def say() -> None:
        sys.stderr.write(
            f"dedup: compiling the engine's kernels, once after an install (a minute or two); "
            f"they are kept in {cache_dir()}\n"
        )
        sys.stderr.flush()

    compile_kernels(starting=None if quiet else say)


def _check_report_options(args: argparse.Namespace, reads: Callable[[Path], bool] | None = None) -> Output:
    """Check the report options; the output, made at once so that a path that cannot be written fails first.

    An option of one format given with another would do nothing: refused, as --threads with --engine
    spark is (the defaults are set here, once that is known).
    """
    if args.html_max_pairs is not None and args.format != "html":
        raise ParameterError(f"--html-max-pairs goes with --format html, and the format written is {args.format}")
    if args.csv_bom is not None and args.format != "csv":
        raise ParameterError(
            f"--csv-bom and --no-csv-bom go with --format csv, and the format written is {args.format}"
        )
    args.html_max_pairs = _HTML_PAIRS if args.html_max_pairs is None else args.html_max_pairs
    args.csv_bom = True if args.csv_bom is None else args.csv_bom
    if args.html_max_pairs < 0:
        raise ParameterError(f"--html-max-pairs must be at least 0, got {args.html_max_pairs}")
    if args.cluster_documents < 2:
        raise ParameterError(f"--cluster-documents must be at least 2, got {args.cluster_documents}")
    if getattr(args, "threads", None) is not None:
        check_int("threads", args.threads, 1, _MAX_THREADS)  # (said as --threads: _as_option)
    binary = args.format == "parquet"
    if binary:
        from .tables import _pyarrow

        _pyarrow()  # a missing pyarrow is said before the scan, not after it
        if args.output in (None, "-") and sys.stdout.isatty():
            raise ParameterError("--format parquet writes a binary file: give one with -o FILE")
    return Output(args.output, binary=binary, reads=reads)


@contextlib.contextmanager
def _locating(reader: Reader, args: argparse.Namespace) -> Iterator[None]:
    """Turn a library error about a document into one naming where the reader found it."""
    try:
        yield
    except InputError as error:
        # The library knows the document id; the reader knows where that document came from (the
        # document the library stopped at is the one read last: an id read twice names two places).
        doc_id = error.document
        if doc_id is not None and doc_id in reader.where:
            # Which document of its id the library refused, when it says (it may read ahead of the
            # one refused, as the archive does); else the one read last, or the only one.
            places = reader.repeats.get(doc_id, [reader.where[doc_id]])
            if error.occurrence is not None and 0 < error.occurrence <= len(places):
                place = places[error.occurrence - 1]
            elif reader.last is not None and reader.last[0] == doc_id:
                place = reader.last[1]
            else:
                place = reader.where[doc_id]
            reason = error.reason
            holder = reader.holder(doc_id, place) if error.kind == "duplicate id" else None
            if holder is not None:
                reason = duplicate_reason(doc_id, holder, place)
            if getattr(args, "strict", False) and not error.skippable:  # skipped unless --strict
                # (a date not read: the document is scanned without it, and counted)
                late = error.kind == "unread date"
                reason += " (scanned without it and counted" if late else " (skipped and counted"
                reason += " without --strict)"
            raise InputError(f"{place}: {reason}", reason=reason, skippable=error.skippable, kind=error.kind) from error
        raise


def _write_report(args: argparse.Namespace, result: ScanResult, output: Output) -> None:
    clusters = find_clusters(result, min_documents=args.cluster_documents)
    with output.open() as stream:
        if args.format == "jsonl":
            write_jsonl(result, stream, clusters)
        elif args.format == "csv":
            write_csv(result, stream, bom=args.csv_bom, clusters=clusters)
        elif args.format == "html":
            documents = args.cluster_documents
            write_html(result, stream, clusters=clusters, max_pairs=args.html_max_pairs, cluster_documents=documents)
        elif args.format == "parquet":
            from .tables import write_parquet

            write_parquet(result, stream, clusters=clusters, summary=summary_record(result, clusters))
        else:
            stream.write(format_table(result, clusters=clusters, cluster_documents=args.cluster_documents))


def _run_scan(args: argparse.Namespace) -> int:
    config = _config(args)
    reader = _reader(args)
    if args.engine != "spark" and (args.spark_master is not None or args.work_dir is not None):
        raise ParameterError("--spark-master and --work-dir go with --engine spark")
    if args.engine == "spark" and args.threads is not None:
        raise ParameterError("--threads applies to the local engine; with --engine spark, Spark's cores do the work")
    output = _check_report_options(args, lambda path: reader.would_read(args.inputs, path))
    try:
        if args.engine == "spark":
            result = _spark_scan(args, config, reader)  # skips located by the reader, as below
        else:
            _compile_first(args.quiet)
            # The bar draws only when standard error is a terminal: piped or redirected runs stay clean.
            with _locating(reader, args), ProgressBar(sys.stderr, enabled=False if args.quiet else None) as bar:
                result = scan(_located(reader.read(args.inputs)), config, progress=bar, threads=args.threads)
            result = reader.located(result)
        _write_report(args, result, output)
    finally:
        output.discard()
    # (With --engine spark, URIs and Parquet are read by Spark: this reader then read no document and says nothing.)
    _write_notes(args, result, unused=_input_notes(args, reader))
    return 0


def _input_notes(args: argparse.Namespace, reader: Reader) -> list[str]:
    """The input files that held no record; a ``--source-field`` or ``--date-field`` named that no
    document read had a value in, and a ``--source-level`` deeper than every text file read: one line each.

    An empty file (a failed export, a gzip stream of nothing) reads as no documents, and the counts
    alone do not say which input gave none. A misspelt name (``Date`` for ``date``) reads every
    document without one, and nothing else says so; the default names absent are documents without
    them, and are not said. So does a level past every file's folders (5 for 1) read every text file
    without a source.
    """
    lines = []
    if len(reader.empty) == 1:
        lines.append(f"{reader.empty[0]}: no document read from it: it holds no record")
    elif reader.empty:
        more = f" and {len(reader.empty) - 3:,} more" if len(reader.empty) > 3 else ""
        lines.append(
            f"{len(reader.empty):,} input files hold no record, no document read from them: "
            f"{', '.join(reader.empty[:3])}{more}"
        )
    if not reader.where:
        return lines
    lines += [
        f"--{role}-field {name!r}: no document read has a value in it: every one was read without a {role}"
        for role in ("source", "date")
        if (name := getattr(args, f"{role}_field")) != role and not reader.given[role]
    ]
    level = args.source_level
    if level and reader.deepest is None:  # (records keep their own source field)
        lines.append(f"--source-level {level}: no text file was read below a folder INPUT: it named no source")
    elif level and reader.deepest is not None and reader.deepest < level:
        deepest = f"the deepest {reader.deepest}" if reader.deepest else "each lies in the folder itself"
        lines.append(
            f"--source-level {level}: no text file read lies {plural(level, 'folder')} deep below a folder INPUT "
            f"({deepest}): every one was read without a source"
        )
    return lines


def _write_notes(
    args: argparse.Namespace, result: ScanResult, archive: int | None = None, unused: Sequence[str] = ()
) -> None:
    """What a report leaves out, on standard error: the table's summary, or the notes of skipped and undated documents.

    ``archive``: the documents of the archive a query was asked against (``index query``); ``unused``:
    the inputs and input options that read nothing (:func:`_input_notes`), said last.
    """
    if args.quiet:
        return
    if args.format == "table":
        sys.stderr.write(format_summary(result, archive))
        sys.stderr.writelines(visible(f"dedup: {line}") + "\n" for line in unused)
        return
    # Where the documents a note counts are listed: every report but CSV's lists them itself.
    where = {
        "jsonl": "the summary record lists each",
        "html": "the page lists each",
        "parquet": "the file's dedup.summary metadata lists each",
    }.get(args.format, "--format jsonl lists each")
    alone = one_source_note(result)
    if alone:
        sys.stderr.write(visible(f"dedup: {alone}") + "\n")
    if result.skipped:
        sys.stderr.write(f"dedup: {skip_note(result)} ({where})\n")
    if result.unread_dates:
        sys.stderr.write(visible(f"dedup: {undated_note(result)} ({where})") + "\n")
    if result.suppressed_buckets:
        sys.stderr.write(f"dedup: {suppressed_note(result)}\n")
        sys.stderr.writelines(line + "\n" for line in common_lines(result))
    sys.stderr.writelines(visible(f"dedup: {line}") + "\n" for line in unused)


def _spark_scan(args: argparse.Namespace, config: ScanConfig, reader: Reader) -> ScanResult:
    try:
        from .spark._cli import scan_inputs  # pyspark is imported by dedup.spark only
    except ImportError as error:
        raise DedupError(f"--engine spark needs pyspark and pyarrow: pip install 'dedup[spark]' ({error})") from error
    return scan_inputs(args.inputs, config, reader, master=args.spark_master, work_dir=args.work_dir)


def _open_index(args: argparse.Namespace, *, create: bool) -> Index:
    """The index of ``args.index``; detection options given must equal an existing index's."""
    given = {k: v for k, v in vars(args).items() if k in _DETECTION}
    skip_bad = getattr(args, "skip_bad", False)
    strict = getattr(args, "strict", False)
    path = Path(args.index)
    if path.joinpath("catalogue.sqlite").exists():
        with Index.open(path, create=False, timeout=args.wait) as existing:
            stored = existing.config
        config = stored.replace(**given, skip_bad=skip_bad, strict=strict)
        return Index.open(path, config, create=create, timeout=args.wait)
    check_not_a_file(path)  # (before "no index here": a file is not a missing index)
    if not create:
        # A daily job's first run is a query of an archive not made yet: say what makes one.
        made = f"`dedup index add {shlex.quote(str(path))} INPUT...` makes one"
        if args.action == "query":
            made += " (or this query with --add, which adds the documents after)"
        raise DedupError(f"{path}: no index here (no catalogue.sqlite): {made}")
    config = ScanConfig().replace(**given, skip_bad=skip_bad, strict=strict)
    try:
        return Index.open(path, config, create=create, timeout=args.wait)
    except ParameterError:
        if not path.joinpath("catalogue.sqlite").exists():
            raise
        # Another add made the index meanwhile, with its options: only those given here must agree.
        return _open_index(args, create=create)


def _run_index(args: argparse.Namespace) -> int:
    action = args.action
    if action == "info":
        args.wait = 10.0
        with _open_index(args, create=False) as index:
            info = index.info()
        with Output(None).open() as stream:
            if args.format == "json":
                stream.write(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
            else:
                stream.write(_format_info(info))
        return 0
    if not 0 <= args.wait <= 1e6:  # (Index.open's own message would name its parameter, timeout)
        raise ParameterError(f"--wait must be a number of seconds from 0 to 1e6 (11 days), got {args.wait:g}")
    if action == "remove":
        with _open_index(args, create=False) as index:
            removed = index.remove(args.ids)
            total = len(index)
        missing = [i for i in dict.fromkeys(args.ids) if i not in set(removed)]
        print(f"removed {len(removed)} document{'s' if len(removed) != 1 else ''}; the index holds {total}")
        if missing:
            print(visible(f"not in the index: {', '.join(missing)}"))  # (an id may end in a CR: shown)
        return 0
    if action == "compact":
        with _open_index(args, create=False) as index:
            sizes = index.compact()
        print(f"compacted: {sizes['bytes_before']:,} bytes -> {sizes['bytes_after']:,} bytes")
        return 0
    reader = _reader(args)
    if action == "add":
        _compile_first(args.quiet)
        stored = 0  # documents committed so far: a batch at a time, they stay when a later line fails

        def progress(stage: str, done: int, total: int | None) -> None:
            nonlocal stored
            stored = done if stage == "documents" else stored
            bar(stage, done, total)

        try:
            with _open_index(args, create=True) as index, _locating(reader, args):
                with ProgressBar(sys.stderr, enabled=False if args.quiet else None) as bar:
                    added = index.add(_located(reader.read(args.inputs)), replace=args.replace, progress=progress)
                total = len(index)
        except (InputError, ReadError) as error:  # (a damaged index is no input to fix and run again)
            if stored:  # (else nothing of this run is stored, as the user would take it)
                error.args = (
                    f"{error}; {plural(stored, 'document')} of this add {'was' if stored == 1 else 'were'} "
                    "stored before it (an add commits a batch at a time): the same add run again skips them "
                    "and adds the rest",
                )
            raise
        skipped = reader.in_input_order(reader.placed(added.skipped))
        print(_add_line(added, skipped, total))
        for s in skipped:
            print(visible(f"skipped {s.where}: {s.reason}"), file=sys.stderr)
        if added.unread_dates:  # the note of a scan, then each of them (no other output lists them)
            added = replace(added, unread_dates=reader.placed(added.unread_dates))
            print(visible(f"dedup: {undated_note(added)}"), file=sys.stderr)
            for s in added.unread_dates[1:]:
                print(visible(f"date not read {s.where}: {s.reason}"), file=sys.stderr)
        for line in _input_notes(args, reader):
            print(visible(f"dedup: {line}"), file=sys.stderr)
        return 0
    index_folder = Path(os.path.realpath(args.index))
    if (
        args.output not in (None, "-")
        and index_folder.is_dir()
        and Path(os.path.realpath(args.output)).is_relative_to(index_folder)
    ):  # (-o INDEX/catalogue.sqlite, a slip of tab completion, would replace the catalogue with the report)
        raise DedupError(f"{args.output}: cannot write: it is in the index {args.index}, whose files are its own")
    output = _check_report_options(args, lambda path: reader.would_read(args.inputs, path))
    try:
        _compile_first(args.quiet)
        # With --add the query makes the index on a daily job's first run (queried empty, the day's
        # stories are compared among themselves); without it, a path that is no index is an error
        # (a mistyped one would otherwise be made).
        with _open_index(args, create=args.add) as index, _locating(reader, args):
            documents = list(_located(reader.read(args.inputs)))
            archive = len(index)  # (what the query is asked against: counted before an --add)
            result = reader.located(index.query(documents))
            _write_report(args, result, output)
            _write_notes(args, result, archive, unused=_input_notes(args, reader))
            if args.add:
                # The report first: an add that fails (another writer, a full disk) is an error after it.
                added = index.add(documents)
                if not args.quiet:
                    skipped = reader.in_input_order(reader.placed(added.skipped))
                    # (query has no --replace: the line names the command that replaces an edited story)
                    replacing = f"`dedup index add {shlex.quote(args.index)} INPUT... --replace`"
                    sys.stderr.write(_add_line(added, skipped, len(index), replacing) + "\n")
    finally:
        output.discard()
    return 0


def _add_line(added: AddResult, skipped: list[Skipped], total: int, replacing: str = "--replace") -> str:
    """The line accounting for an add's documents: added, replaced, already in the index, skipped (and why).

    ``replacing``: what replaces the stored documents edited since (``index add``'s option, or the command).
    """
    why = f", {skip_kinds(skipped)}" if skipped else ""
    return (
        # (AddResult.added counts the replacements too: each document read is counted once here)
        f"added {plural(added.added - len(added.replaced), 'document')}"
        + (f", replaced {len(added.replaced):,}" if added.replaced else "")
        + f"; {len(added.existing):,} already in the index"
        + (f" ({len(added.changed):,} edited, kept as stored: {replacing} replaces them)" if added.changed else "")
        + f", {len(skipped):,} skipped{why}; "
        f"the index holds {total:,}"
    )


def _format_info(info: dict[str, object]) -> str:
    lines = [f"{key:>18}  {value}" for key, value in info.items() if key != "config"]
    config = info["config"]
    assert isinstance(config, dict)
    lines.append(f"{'configuration':>18}  " + ", ".join(f"{k}={v}" for k, v in config.items()))
    return "\n".join(lines) + "\n"


def _run_tune(args: argparse.Namespace) -> int:
    record = tune_record(args.threshold, args.num_perm)
    with Output(args.output).open() as stream:
        if args.format == "json":
            stream.write(json.dumps(record, indent=2) + "\n")
        else:
            stream.write(format_tune(record))
    return 0


def _run_evaluate(args: argparse.Namespace) -> int:
    if args.detections is not None:  # (an option that would do nothing is said, not passed over)
        given, defaults = _config(args).to_dict(), ScanConfig().to_dict()
        changed = [f"--{name.replace('_', '-')}" for name in given if given[name] != defaults[name]]
        if changed:
            raise DedupError(
                f"{' and '.join(changed)} do{'es' if len(changed) == 1 else ''} nothing with --detections: the saved "
                "detections are scored as they are (scan again with them, or leave them out)"
            )
    output = Output(args.output)
    started = time.perf_counter()
    try:
        if is_pair_labelled(args.corpus):
            return _run_evaluate_pairs(args, started, output)
        if args.detections is not None:
            evaluation = evaluate_detections(args.corpus, load_detections(args.detections))
        else:
            _compile_first(False)
            evaluation = evaluate_corpus(args.corpus, _config(args))
    except BaseException:
        output.discard()
        raise
    seconds = time.perf_counter() - started
    with output.open() as stream:
        if args.format == "json":
            stream.write(json.dumps({**evaluation.to_dict(), "seconds": round(seconds, 1)}, indent=2) + "\n")
        else:
            stream.write(format_evaluation(evaluation).rstrip("\n") + "\n")
            if evaluation.ignored_detections:  # (the JSON's ignored_detections, said in words)
                where = "on pairs that pairs.jsonl does not list (as in PAN)"
                if not evaluation.only_listed_pairs:
                    where = "between two documents of the same role (susp or src)"
                stream.write(f"not counted: {plural(evaluation.ignored_detections, 'detection')} {where}\n")
            stream.write(f"({seconds:.1f} s)\n")
    return 0


def _run_evaluate_pairs(args: argparse.Namespace, started: float, output: Output) -> int:
    """``dedup evaluate`` on a corpus labelled by pair (no passage offsets): AUC of the pair score."""
    if args.detections is not None:
        evaluation = evaluate_scored_pairs(args.corpus, args.detections)  # (checked against docs.jsonl)
    else:
        _compile_first(False)
        evaluation = evaluate_labelled_corpus(args.corpus, _config(args))
    seconds = time.perf_counter() - started
    with output.open() as stream:
        if args.format == "json":
            stream.write(json.dumps({**evaluation.to_dict(), "seconds": round(seconds, 1)}, indent=2) + "\n")
        else:
            stream.write(format_pair_table(evaluation) + "\n")
            stream.write(f"({seconds:.1f} s)\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dedup`` command with ``argv`` (default: the process arguments); return the exit status.

    Example:
        >>> main(["scan", "/no/such/dir"])
        2
    """
    if sys.stderr is None:  # started with it closed (`2>&-`): print() would write to standard output
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the life of the process
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "format", "") is None:  # (not given: what -o FILE's name says, else the table)
        args.format = _named_format(getattr(args, "output", None), _FORMAT_CHOICES[args.command]) or "table"
    try:
        with terminated_as_interrupt():
            return _run(parser, args)
    except DedupError as error:
        message = str(error)
        if isinstance(error, ParameterError):
            message = _as_option(message)
        if _skippable(error) and hasattr(args, "skip_bad"):  # (evaluate has no --skip-bad)
            what = (
                "such documents"
                if isinstance(error, InputError) and error.kind != "unreadable file"
                else "what cannot be read"
            )
            message += f" (--skip-bad skips {what} and goes on)"
        # One line, whatever the message holds: a file name or another library's message may hold
        # line breaks or control characters, which would break the line or drive the terminal.
        print(visible(f"dedup: error: {message}"), file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        with contextlib.suppress(OSError):
            sys.stdout.close()
        return 0
    except OSError as error:
        # A path the system will not look at (a name too long, a loop of links) fails pathlib's
        # checks, which pass over a missing file only: the file and why, not a traceback.
        if not isinstance(error.filename, (str, bytes)):
            raise
        name = shown_path(os.fsdecode(error.filename))
        print(visible(f"dedup: error: {name}: {error.strerror or error}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except SystemExit as error:  # (SIGTERM, see terminated_as_interrupt; argparse exits before the try)
        return int(error.code) if isinstance(error.code, int) else 1


# The formats a command writes besides its table, by the output file extension that names each
# (scan and index query write the same reports).
_REPORTS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".html": "html", ".htm": "html",
            ".parquet": "parquet", ".pq": "parquet"}  # fmt: skip
_FORMAT_CHOICES = {"scan": _REPORTS, "index": _REPORTS, "evaluate": {".json": "json"}, "tune": {".json": "json"}}


def _named_format(output: str | None, formats: Mapping[str, str]) -> str | None:
    """The format an output file's extension names (``report.csv``: csv), else None.

    Without ``--format``, ``-o report.csv`` writes CSV: the table there would be a file its name says
    it is not, which a spreadsheet or pandas then fails to read.

    Example:
        >>> _named_format("out/Report.CSV", _FORMAT_CHOICES["scan"]), _named_format("-", _FORMAT_CHOICES["scan"])
        ('csv', None)
    """
    if output is None or output == "-":
        return None
    return formats.get(Path(output).suffix.lower())


# Parameters named by the library as the options that set them: a message about min_bands is
# about --min-bands to whoever typed the command.
_OPTION_NAMES = (
    frozenset(ScanConfig.__dataclass_fields__)
    | {"encoding", "threads", "glob", "source_level"}
    | {f"{role}_field" for role in ("id", "text", "source", "date")}
)


def _skippable(error: DedupError) -> bool:
    """Whether ``skip_bad`` would have skipped what the error is about (a document, a file that cannot be read)."""
    return isinstance(error, (InputError, ReadError)) and error.skippable


def _as_option(message: str) -> str:
    """A library message about a parameter, naming it, and the others it names with their values, as options.

    Example:
        >>> _as_option("min_bands must be at most 64, got 100"), _as_option("document 'a': x")
        ('--min-bands must be at most 64, got 100', "document 'a': x")
        >>> _as_option("window (100) must be a multiple of stride (32)")
        '--window (100) must be a multiple of --stride (32)'
        >>> _as_option("text_field names the same field as id_field ('text')")
        "--text-field names the same field as --id-field ('text')"
    """
    name, _, rest = message.partition(" ")
    if name not in _OPTION_NAMES or not rest:
        return message
    # Another parameter is named with its value after it: "stride (32)", "num_perm 128".
    rest = _NAMED_WITH_VALUE.sub(lambda m: f"--{m.group(1).replace('_', '-')}", rest)
    return f"--{name.replace('_', '-')} {rest}"


# An option named with its value after it: "stride (32)", "num_perm 128", "id_field ('text')".
_NAMED_WITH_VALUE = re.compile(
    rf"(?<![\w-])({'|'.join(sorted(_OPTION_NAMES, key=len, reverse=True))})(?= \(?[\d.]| \(')"
)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "scan":
        return _run_scan(args)
    if args.command == "evaluate":
        return _run_evaluate(args)
    if args.command == "tune":
        return _run_tune(args)
    if args.command == "index":
        return _run_index(args)
    parser.error(f"unknown command {args.command!r}")
    return 0
