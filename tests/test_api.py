"""Tests of the package as a library: what `import dedup` offers a user, its types and its entry point."""

from __future__ import annotations

import importlib
import inspect
import json
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dedup
from dedup import InputError, ParameterError, Span

PACKAGES = ("dedup", "dedup.index")  # the packages whose __all__ is the public API (dedup.spark needs pyspark)


def public_callables() -> Iterator[tuple[str, Any]]:
    """(qualified name, function) for each public function, and each public method or property of a public class."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{package}.{name}", obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, property):
                        member = member.fget
                    elif isinstance(member, classmethod | staticmethod):
                        member = member.__func__
                    if inspect.isfunction(member):
                        yield f"{package}.{name}.{attr}", member


def test_no_public_callable_returns_an_untyped_value() -> None:
    """A user's `mypy --strict` checks what they do with a result only if its type is declared: `Any` checks nothing
    (`frames.pair` for `frames.pairs` would pass)."""
    seen = list(public_callables())
    assert any(name == "dedup.ScanResult.to_pandas" for name, _ in seen)
    untyped = [
        name
        for name, function in seen
        if inspect.signature(function).return_annotation in (inspect.Signature.empty, "Any")
    ]
    assert not untyped, f"public callables returning Any or no declared type: {untyped}"


@pytest.mark.parametrize(
    ("doc", "start", "end", "message"),
    [
        (None, 0, 2, "a span's doc must be a string, got None"),
        ("d", "0", 2, "a span's start must be an integer, got '0'"),
        ("d", 0, 2.5, "a span's end must be an integer, got 2.5"),
        ("d", True, 2, "a span's start must be an integer, got True"),
    ],
)
def test_a_span_of_the_wrong_types_is_a_parameter_error(doc: Any, start: Any, end: Any, message: str) -> None:
    """A user builds spans (truth for dedup.evaluate, a lookup): Span(None, 0, 2) was accepted, and Span("d", "0", 2)
    failed with a bare TypeError from a comparison."""
    with pytest.raises(ParameterError, match=re.escape(message)):
        Span(doc, start, end)


def test_a_span_takes_numpy_offsets_as_python_integers() -> None:
    span = Span("d", np.int64(3), np.int32(5))
    assert (span.start, span.end, len(span)) == (3, 5, 2)
    assert type(span.start) is int and type(span.end) is int


def test_the_package_docstring_is_an_entry_point() -> None:
    """`help(dedup)` is where a user starts: it names the calls a scan needs and shows one (it showed normalize)."""
    doc = dedup.__doc__ or ""
    for name in ("scan", "Document", "ScanConfig", "ScanResult", "read_documents", "Index", "sketch", "to_pandas"):
        assert f"{name}" in doc, f"the package docstring does not name {name}"
    assert ">>> result = dedup.scan(" in doc


def test_a_scan_result_repr_is_a_short_summary() -> None:
    """In a notebook `result` shows its repr: it was every passage, pair and parameter (3,000 characters for four
    documents, megabytes for a corpus); it is the counts, one line, and the fields stay one attribute away."""
    text = "the same wording shared by the two outlets, sentence after sentence, " * 4
    result = dedup.scan([dedup.Document("a", text, "x"), dedup.Document("b", text, "y"), dedup.Document("c", "short")])
    shown = repr(result)
    assert shown == (
        f"ScanResult(passages={len(result.passages)}, pairs=1, scanned=2, skipped=1, candidates=1, unaligned=0, "
        "suppressed_buckets=0)"
    )
    assert len(result.passages) >= 1


def test_read_documents_with_skip_bad_says_where_the_skipped_records_go(tmp_path: Path) -> None:
    """read_documents(..., skip_bad=True) made its Reader, dropped the bad records into it and threw it away: they
    were dropped unseen (every input document must be accounted for). A Reader keeps them in `skipped`."""
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n{bad json\n{"id": "b"}\n', encoding="utf-8")
    for read in (dedup.read_documents, dedup.read_jsonl):
        with pytest.raises(ParameterError, match=r"skip_bad.*dedup\.Reader\(skip_bad=True\)"):
            list(read(path, skip_bad=True))
    reader = dedup.Reader(skip_bad=True)
    assert [d.id for d in reader.read([path])] == ["a"]
    assert [s.kind for s in reader.skipped] == ["invalid JSON", "invalid record"]


@pytest.mark.parametrize("option", ["fromat", "where", "skipped"])
def test_read_documents_names_an_unknown_option(tmp_path: Path, option: str) -> None:
    """A misspelt option was a bare TypeError from Reader.__init__; the reader's state (where, skipped) was taken."""
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    with pytest.raises(ParameterError, match=rf"read_documents has no option {option!r} \(its options: id_field, "):
        list(dedup.read_documents(path, **{option: "jsonl"}))


def test_a_pandas_gap_for_a_source_is_named_as_one() -> None:
    """Document(**record) for each of a DataFrame's records gives a missing source as NaN: 'got float' left a user
    guessing which float; the message shows the value and what to pass instead."""
    text = "long enough to be scanned, and read from a data frame with a gap " * 3
    with pytest.raises(InputError, match=r"^document 'a': source must be a string or None, got nan \(a float: "):
        dedup.scan([dedup.Document("a", text, source=float("nan"))])  # type: ignore[arg-type]


def test_pickling_a_scan_result_says_what_to_pickle_instead() -> None:
    """joblib, multiprocessing and copy.deepcopy pickle a result; the error named a DocumentStore, an internal class,
    and no way out. The result's tables, and its documents as a dict, pickle."""
    text = "the same wording shared by the two outlets, sentence after sentence, " * 4
    result = dedup.scan([dedup.Document("a", text, "x"), dedup.Document("b", text, "y")])
    with pytest.raises(TypeError, match=r"result\.to_arrow\(\).*dict\(result\.documents\)"):
        pickle.dumps(result)
    back = pickle.loads(pickle.dumps((result.passages, result.pairs, dict(result.documents))))
    assert back == (result.passages, result.pairs, {"a": result.documents["a"], "b": result.documents["b"]})


def test_public_methods_have_a_one_line_summary_and_an_example() -> None:
    """test_docs checks the classes and functions; a class's public methods are the API too (Reader.placed, which
    puts a scan's skipped records at their file:line, had no example)."""
    problems = []
    for name, function in public_callables():
        doc = inspect.getdoc(function) or ""
        summary = doc.split("\n\n", 1)[0]
        if not summary or "\n" in summary:
            problems.append(f"{name}: the docstring does not open with a one-line summary")
        if not any(line.lstrip().startswith(">>>") and "+SKIP" not in line for line in doc.splitlines()):
            problems.append(f"{name}: no example that runs")
    assert not problems, "\n".join(problems)


def test_a_data_frame_or_a_dict_given_as_documents_is_named() -> None:
    """A DataFrame iterates over its column names, a dict over its keys: scan(df) said 'document #0: expected a
    dedup.Document, got str', about a column name."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": ["a"], "text": ["some text " * 20]})
    with pytest.raises(ParameterError, match=r"got a DataFrame: make one Document a row, .*to_dict\('records'\)"):
        dedup.scan(frame)
    with pytest.raises(ParameterError, match=r"got a dict: .*values\(\)"):
        dedup.scan({"a": dedup.Document("a", "some text " * 20)})  # type: ignore[arg-type]
    text = "some text shared " * 20
    records = frame.assign(text=text).to_dict("records")
    assert dedup.scan(dedup.Document(**r) for r in records).scanned == 1


def test_an_index_made_from_a_path_says_to_open_it(tmp_path: Path) -> None:
    """Index(path), as sqlite3.connect(path), failed later with "'str' object has no attribute 'path'"."""
    with pytest.raises(ParameterError, match=r"^Index\(\) takes an opened store, got str: open an index with "):
        dedup.Index(str(tmp_path / "archive"))  # type: ignore[arg-type]
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("path", [None, 5, "", b"archive"])
def test_an_index_opened_at_no_path_says_so(path: Any) -> None:
    """Index.open(None) (a path from a missing setting) was pathlib's bare TypeError, "expected str, bytes or
    os.PathLike object, not NoneType", naming no argument; Index.open("") opened the current directory."""
    with pytest.raises(ParameterError, match=r"^path must be the index's directory \(a str or os.PathLike\), got "):
        dedup.Index.open(path)


def test_a_result_written_from_python_is_what_the_command_writes(tmp_path: Path) -> None:
    """From Python, write_jsonl(scan(read_documents(...))) gave each skipped document's place as its id ("where":
    "b") where the command gave its file and line, and left out the records the reader skipped: the reader that read
    them puts them at their places (Reader.located), and the two outputs are the same bytes."""
    import io

    from dedup.cli import main
    from dedup.report import write_jsonl

    wire = "The defence ministry said on Monday it had no plans to withdraw its 2,500 troops from the country. " * 3
    lines = [
        {"id": "a", "text": "Local news. " + wire, "source": "x", "date": "2024-01-02"},
        {"id": "b", "text": "a caption", "source": "y"},
        {"id": "c", "text": wire + "Sport after.", "source": "z", "date": "yesterday"},
        {"id": "a", "text": "the same id again " + wire, "source": "w"},
    ]
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join([*map(json.dumps, lines[:2]), "{not json", *map(json.dumps, lines[2:])]) + "\n", "utf-8")
    assert main(["scan", str(path), "--skip-bad", "--format", "jsonl", "-q", "-o", str(tmp_path / "cli.jsonl")]) == 0
    reader = dedup.Reader(skip_bad=True)
    result = reader.located(dedup.scan(reader.read([path]), dedup.ScanConfig(skip_bad=True)))
    out = io.StringIO()
    write_jsonl(result, out)
    assert out.getvalue() == (tmp_path / "cli.jsonl").read_text("utf-8")
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert [(s["where"].rsplit("/", 1)[-1], s["kind"]) for s in summary["skipped"]] == [
        ("docs.jsonl:2", "too short"),
        ("docs.jsonl:3", "invalid JSON"),
        ("docs.jsonl:5", "duplicate id"),
    ]
    assert [s["where"].rsplit("/", 1)[-1] for s in summary["unread_dates"]] == ["docs.jsonl:4"]


def test_no_public_callable_returns_an_array_of_untyped_elements() -> None:
    """signature() and signatures() were declared to return np.ndarray, an array of Any: a user's
    `sig: npt.NDArray[np.float64] = dedup.signature(...)`, or `sig[0].decode()`, passed mypy --strict; they give
    uint32 rows, as sketch() says it does, and so do WindowSignatures' fields."""
    import dataclasses

    bare = [
        name
        for name, function in public_callables()
        if inspect.signature(function).return_annotation in ("np.ndarray", "numpy.ndarray", np.ndarray)
    ]
    assert not bare, f"public callables returning an array of untyped elements: {bare}"
    from dedup.minhash import WindowSignatures

    assert {f.name: f.type for f in dataclasses.fields(WindowSignatures)} == {
        "signatures": "npt.NDArray[np.uint32]",
        "first": "npt.NDArray[np.int64]",
        "last": "npt.NDArray[np.int64]",
        "document": "npt.NDArray[np.uint32]",
    }


def test_a_record_given_as_a_document_says_how_it_becomes_one() -> None:
    """scan([{"id": ..., "text": ...}]) (records read with json.loads) said "expected a dedup.Document, got dict" and
    left the user to find how a dict becomes one."""
    text = "long enough to be scanned, and given as a dict read from a JSON line " * 3
    with pytest.raises(
        InputError, match=r"^document #0 \(counting from 0\): expected a dedup\.Document, got dict: make "
    ):
        dedup.scan([{"id": "a", "text": text}])  # type: ignore[list-item]
    assert dedup.scan(dedup.Document(**r) for r in [{"id": "a", "text": text}]).scanned == 1
