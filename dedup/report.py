"""Writing scan results: JSONL records (the machine contract), a table for the terminal, CSV for
spreadsheets, and the LSH S-curve table of ``dedup tune``. The HTML report is in :mod:`dedup.html`.

The JSONL contract (one object a line, each with a ``type``) is documented in ``docs/jsonl.md``;
:func:`parse_records` reads it back into the same records, so that output round-trips.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TextIO

from . import __version__
from .checks import check_bool, check_int
from .clusters import Cluster, find_clusters, passage_clusters
from .config import ScanConfig
from .errors import InputError, ParameterError
from .io import json_type, parse_json
from .lsh import probability
from .records import CommonText, Document, Pair, Passage, Skipped, Span
from .scan import ScanResult, check_result

__all__ = [
    "CSV_COLUMNS",
    "Records",
    "cluster_record",
    "common_lines",
    "common_record",
    "excerpt",
    "format_summary",
    "format_table",
    "format_tune",
    "one_source_note",
    "pair_record",
    "parse_records",
    "passage_record",
    "plural",
    "records",
    "report_rows",
    "skip_kinds",
    "skip_note",
    "skipped_record",
    "summary_record",
    "suppressed_note",
    "tune_record",
    "undated_note",
    "visible",
    "write_csv",
    "write_jsonl",
]

_PAIR_FIELDS = (
    "coverage_a",
    "coverage_b",
    "containment_a",
    "containment_b",
    "jaccard",
    "jaccard_estimate",
    "passages",
    "longest",
    "score",
)


# Control characters a document's id or text may hold (an escape sequence, a bell, a line break in
# an id), shown as escapes in text for a terminal: printed as they are, they would drive the
# terminal or break the table's lines. Likewise the bidi controls that open an embedding, override
# or isolate (U+202A-U+202E, U+2066-U+2069): one in an id reorders the rest of its row, the
# columns after it shown right to left. (The marks U+200E, U+200F and U+061C open nothing and are
# common in Arabic text: they are kept.) And the line and paragraph separators U+2028, U+2029.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(32), *range(127, 160))}
_CONTROLS.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029)})


def visible(line: str) -> str:
    r"""A line for a terminal: its control characters shown as ``\xNN``, its bidi controls as ``\uNNNN``.

    Example:
        >>> print(visible("doc\x1b[31m red\nid"))
        doc\x1b[31m red\x0aid
        >>> print(visible("\u202eevil\u202c id"))
        \u202eevil\u202c id
    """
    return line.translate(_CONTROLS)


def _width(text: str) -> int:
    """Columns ``text`` takes on a terminal: 2 a wide East Asian character, 0 a combining mark or format character.

    Example:
        >>> _width("abc"), _width("北京"), _width("e\u0301"), _width("سلامٌ")
        (3, 4, 1, 4)
    """
    wide = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        wide += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return wide


def _fit(text: str, room: int) -> str:
    """``text`` in at most ``room`` columns: elided in the middle with ``…`` when longer (head and tail kept).

    Example:
        >>> _fit("source-document-with-a-very-long-name-00002", 20), _fit("short", 20)
        ('source-doc…ame-00002', 'short')
        >>> _fit("北京北京北京北京", 8), _width(_fit("北京北京北京北京", 8))
        ('北京…京', 7)
    """
    if _width(text) <= room:
        return text
    room = max(room, 3)
    head = room // 2  # columns before the ellipsis; room - 1 - head after it
    start = end = 0
    while start < len(text) and _width(text[: start + 1]) <= head:
        start += 1
    while end < len(text) - start and _width(text[len(text) - end - 1 :]) <= room - 1 - head:
        end += 1
    # (A combining mark stays with the character before it: it is not left at the start of the tail.)
    while end and unicodedata.combining(text[len(text) - end]):
        end -= 1
    return text[:start] + "…" + text[len(text) - end :]


def _excerpt(text: str, room: int) -> str:
    """:func:`excerpt` of ``text`` in at most ``room`` columns (a wide East Asian character takes two).

    Example:
        >>> _excerpt("国防部星期一表示目前没有撤军计划" * 3, 20), _excerpt("short text", 20)
        ('国防部星 … 撤军计划', 'short text')
    """
    width = room
    shown = excerpt(text, width)
    while _width(shown) > room and width > 5:
        width -= max(1, (_width(shown) - room + 1) // 2)
        shown = excerpt(text, width)
    return shown


def _pad(text: str, room: int) -> str:
    """``text`` padded with spaces to ``room`` columns (as :func:`_width` counts them)."""
    return text + " " * max(0, room - _width(text))


def excerpt(text: str, width: int = 60) -> str:
    """A one-line excerpt of at most ``width`` characters, whitespace folded, elided in the middle.

    The cuts fall between words where one is near (a word longer than half the room is cut).

    Example:
        >>> excerpt("a  b\\n c" + "x" * 100, 20)
        'a b cxxxx … xxxxxxxx'
        >>> excerpt("the defence ministry said on Monday it had no plans to withdraw", 40)
        'the defence … plans to withdraw'
    """
    check_int("width", width)
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    if width < 5:
        return flat[: max(0, width - 1)] + "…"
    room = width - 3  # three characters for " … "
    head_room, tail_room = (room + 1) // 2, room // 2
    head = flat[:head_room]
    if flat[head_room] != " ":  # the cut falls inside a word: end at the space before it
        space = head.rfind(" ")
        if space >= head_room // 2:
            head = head[:space]
    tail = flat[len(flat) - tail_room :]
    if flat[len(flat) - tail_room - 1] != " ":  # likewise: start after the space that follows
        space = tail.find(" ")
        if 0 <= space <= tail_room // 2:
            tail = tail[space + 1 :]
    return head.rstrip() + " … " + tail.lstrip()


def _side(span: Span, result: ScanResult) -> dict[str, Any]:
    doc = result.documents[span.doc]
    return {
        "doc": span.doc,
        "source": doc.source,
        "start": span.start,
        "end": span.end,
        "text": span.slice(doc.text),
    }


def passage_record(passage: Passage, result: ScanResult) -> dict[str, Any]:
    """The JSONL object of one passage.

    Example:
        >>> from dedup.records import Document
        >>> docs = {"x": Document("x", "the wire copy, then more", "s1"),
        ...         "y": Document("y", "more text; the wire copy", "s2")}
        >>> p = Passage(Span("x", 0, 13), Span("y", 11, 24), 1.0, 1.0, 1.0, 9)
        >>> pair = Pair("x", "y", 0.54, 0.54, 1.0, 1.0, 0.3, 0.3, 1, 13, 0.54)
        >>> rec = passage_record(p, ScanResult([p], [pair], docs, [], 1, 0))
        >>> rec["a"], rec["b"]["text"], rec["length"]
        ({'doc': 'x', 'source': 's1', 'start': 0, 'end': 13, 'text': 'the wire copy'}, 'the wire copy', 13)
    """
    return {
        "type": "passage",
        "a": _side(passage.a, result),
        "b": _side(passage.b, result),
        "similarity": passage.similarity,
        "containment_a": passage.containment_a,
        "containment_b": passage.containment_b,
        "length": passage.length,
        "length_a": len(passage.a),
        "length_b": len(passage.b),
        "seeds": passage.seeds,
    }


def pair_record(pair: Pair, result: ScanResult) -> dict[str, Any]:
    """The JSONL object of one document pair.

    Example:
        >>> from dedup.records import Document
        >>> docs = {"x": Document("x", "the wire copy, then more", "s1"),
        ...         "y": Document("y", "more text; the wire copy", "s2")}
        >>> p = Passage(Span("x", 0, 13), Span("y", 11, 24), 1.0, 1.0, 1.0, 9)
        >>> pair = Pair("x", "y", 0.54, 0.54, 1.0, 1.0, 0.3, 0.3, 1, 13, 0.54)
        >>> rec = pair_record(pair, ScanResult([p], [pair], docs, [], 1, 0))
        >>> rec["a"], rec["source_b"], rec["score"], rec["passages"]
        ('x', 's2', 0.54, 1)
    """
    record: dict[str, Any] = {
        "type": "pair",
        "a": pair.a,
        "b": pair.b,
        "source_a": result.documents[pair.a].source,
        "source_b": result.documents[pair.b].source,
    }
    record.update({name: getattr(pair, name) for name in _PAIR_FIELDS})
    return record


def cluster_record(cluster: Cluster, result: ScanResult) -> dict[str, Any]:
    """The JSONL object of one reuse cluster: its member spans (as passage sides, with date) and origin.

    Example:
        >>> from dedup.records import Document
        >>> docs = {d: Document(d, "abcdef", source="s" + d) for d in "xyz"}
        >>> r = ScanResult([], [], docs, [], 0, 0)
        >>> c = Cluster(1, [Span("x", 0, 3), Span("y", 1, 4), Span("z", 2, 5)], Span("x", 0, 3), "r", 3)
        >>> rec = cluster_record(c, r)
        >>> rec["origin"], [m["text"] for m in rec["members"]]
        ({'doc': 'x', 'start': 0, 'end': 3}, ['abc', 'bcd', 'cde'])
    """
    origin = cluster.origin
    return {
        "type": "cluster",
        "id": cluster.id,
        "documents": cluster.documents,
        "members": [{**_side(m, result), "date": result.documents[m.doc].date} for m in cluster.members],
        "origin": None if origin is None else {"doc": origin.doc, "start": origin.start, "end": origin.end},
        "origin_reason": cluster.origin_reason,
    }


def summary_record(result: ScanResult, clusters: Sequence[Cluster] | None = None) -> dict[str, Any]:
    """The JSONL object that closes a scan: every input document accounted for.

    Example:
        >>> from dedup.records import Skipped
        >>> skipped = [Skipped("z.txt", "too short", id="z", kind="too short")]
        >>> rec = summary_record(ScanResult([], [], {}, skipped, 0, 0))
        >>> rec["documents_read"], rec["documents_skipped"], rec["skipped"][0]["where"], rec["config"]["ngram"]
        (1, 1, 'z.txt', 5)
    """
    if clusters is None:
        clusters = find_clusters(result)
    return {
        "type": "summary",
        "documents_read": result.read,
        "documents_scanned": result.scanned,
        "documents_skipped": len(result.skipped),
        "skipped": [skipped_record(s) for s in result.skipped],
        "unread_dates": [skipped_record(s) for s in result.unread_dates],
        "candidates": result.candidates,
        "unaligned": result.unaligned,
        "suppressed_buckets": result.suppressed_buckets,
        "common_text": [common_record(c) for c in result.common],
        "pairs": len(result.pairs),
        "passages": len(result.passages),
        "clusters": len(clusters),
        "config": result.config.to_dict(),
        "version": __version__,
    }


def _by_pair(result: ScanResult) -> dict[tuple[str, str], list[Passage]]:
    by_pair: dict[tuple[str, str], list[Passage]] = {}
    for passage in result.passages:
        by_pair.setdefault((passage.a.doc, passage.b.doc), []).append(passage)
    return by_pair


def report_rows(
    result: ScanResult, clusters: Sequence[Cluster]
) -> Iterator[tuple[int, Pair, Passage | None, int, int | None]]:
    """The rows of the CSV and Parquet reports: ``(rank, pair, passage, number, cluster)``, pairs in rank order.

    One row a passage (``number`` within its pair, from 1; ``cluster`` the id of its reuse
    cluster, or None), and for a pair reported on its score alone one row with ``passage`` None
    (``number`` 0, ``cluster`` None).

    Example:
        >>> from dedup.records import Document
        >>> docs = {"x": Document("x", "abc", "s1"), "y": Document("y", "abc", "s2")}
        >>> pair = Pair("x", "y", 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0, 0, 0.2)
        >>> rows = report_rows(ScanResult([], [pair], docs, [], 1, 0), [])
        >>> [(rank, passage, number) for rank, _, passage, number, _ in rows]
        [(1, None, 0)]
    """
    in_cluster = dict(zip(map(id, result.passages), passage_clusters(result.passages, clusters), strict=True))
    by_pair = _by_pair(result)
    for rank, pair in enumerate(result.pairs, 1):
        found = by_pair.get((pair.a, pair.b), [])
        if not found:
            yield rank, pair, None, 0, None
        for number, passage in enumerate(found, 1):
            yield rank, pair, passage, number, in_cluster[id(passage)]


def records(result: ScanResult, clusters: Sequence[Cluster] | None = None) -> Iterator[dict[str, Any]]:
    """Every JSONL object of a result: pairs, each followed by its passages, clusters, then the summary.

    ``clusters`` defaults to :func:`dedup.clusters.find_clusters` of the result.

    Example:
        >>> from dedup.records import Document
        >>> docs = {"x": Document("x", "the wire copy, then more", "s1"),
        ...         "y": Document("y", "more text; the wire copy", "s2")}
        >>> p = Passage(Span("x", 0, 13), Span("y", 11, 24), 1.0, 1.0, 1.0, 9)
        >>> pair = Pair("x", "y", 0.54, 0.54, 1.0, 1.0, 0.3, 0.3, 1, 13, 0.54)
        >>> [rec["type"] for rec in records(ScanResult([p], [pair], docs, [], 1, 0))]
        ['pair', 'passage', 'summary']
    """
    if clusters is None:
        clusters = find_clusters(result)
    by_pair = _by_pair(result)
    # A pair's records look its two documents up several times (sources, then each passage's
    # sides and texts); a store reads and decodes a whole document each time.
    result = replace(result, documents=_Recent(result.documents))
    for pair in result.pairs:
        yield pair_record(pair, result)
        for passage in by_pair.get((pair.a, pair.b), []):
            yield passage_record(passage, result)
    for cluster in clusters:
        yield cluster_record(cluster, result)
    yield summary_record(result, clusters)


class _Recent(Mapping[str, Document]):
    """The documents of a result, those looked up last kept at hand up to ``chars`` characters of text.

    A store reads and decodes a whole document at each lookup, and a report looks each document up
    once for each of its pairs: when one wire story is carried by many outlets, ranked pairs seldom
    follow each other by document, so a few documents kept were not enough (a 1,000-outlet report
    decoded 180,000 documents). The oldest kept leave first.

    Example:
        >>> docs = _Recent({"x": Document("x", "text"), "y": Document("y", "more")}, chars=6)
        >>> docs["x"] is docs["x"], len(docs), list(docs)
        (True, 2, ['x', 'y'])
        >>> _ = docs["y"]; list(docs.kept)  # (x and y hold 8 characters: x leaves)
        ['y']
    """

    def __init__(self, documents: Mapping[str, Document], chars: int = 16_000_000) -> None:
        self.documents = documents
        self.chars = chars
        self.kept: dict[str, Document] = {}
        self.held = 0

    def __getitem__(self, doc_id: str) -> Document:
        found = self.kept.get(doc_id)
        if found is None:
            found = self.documents[doc_id]
            self.kept[doc_id] = found
            self.held += len(found.text)
            while self.held > self.chars and len(self.kept) > 1:
                oldest = next(iter(self.kept))  # (insertion order)
                self.held -= len(self.kept.pop(oldest).text)
        return found

    def __len__(self) -> int:
        return len(self.documents)

    def __iter__(self) -> Iterator[str]:
        return iter(self.documents)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.documents


# Characters that JSON leaves raw but that str.splitlines() (and older JavaScript) treat as line
# breaks; escaped so that one record is always exactly one line for every reader.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_line(record: dict[str, Any]) -> str:
    line = json.dumps(record, ensure_ascii=False)
    # str.translate walks non-ASCII text character by character (~50 us an Arabic passage record,
    # two thirds of writing a report); a substring test is a fast scan and almost always false.
    if "\x85" in line or "\u2028" in line or "\u2029" in line:
        line = line.translate(_LINE_BREAKS)
    return line + "\n"


def write_jsonl(result: ScanResult, stream: TextIO, clusters: Sequence[Cluster] | None = None) -> None:
    """Write a result as JSONL, one object a line, UTF-8 text kept readable (not \\u-escaped).

    Example:
        >>> import io
        >>> from dedup.records import Document
        >>> docs = {"x": Document("x", "وكالة الأنباء", "s1"), "y": Document("y", "وكالة الأنباء", "s2")}
        >>> p = Passage(Span("x", 0, 13), Span("y", 0, 13), 1.0, 1.0, 1.0, 9)
        >>> pair = Pair("x", "y", 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1, 13, 1.0)
        >>> out = io.StringIO()
        >>> write_jsonl(ScanResult([p], [pair], docs, [], 1, 0), out)
        >>> lines = out.getvalue().splitlines()
        >>> len(lines), lines[1][:52]
        (3, '{"type": "passage", "a": {"doc": "x", "source": "s1"')
        >>> '"text": "وكالة الأنباء"' in lines[1]
        True
    """
    check_result(result)
    _check_text_stream(stream)
    for record in records(result, clusters):
        stream.write(_json_line(record))


def _a_path(value: object) -> str | None:
    """``value`` as a message shows a path given where an open stream or lines were due, or None if it is none."""
    return f"a path, {os.fsdecode(value)!r}" if isinstance(value, str | bytes | os.PathLike) else None


def _check_text_stream(stream: object) -> None:
    """A report is text: a binary stream (``open(path, "wb")``, ``io.BytesIO``) is refused before it is written.

    So is a path: the writers take an open stream, and a path failed with ``'str' object has no attribute 'write'``.

    Example:
        >>> try:
        ...     _check_text_stream("found.jsonl")
        ... except ParameterError as error:
        ...     print(str(error).split(", got ")[1])
        a path, 'found.jsonl': open(path, "w", encoding="utf-8")
    """
    expected = "stream must be a text stream (open the file with 'w')"
    path = _a_path(stream)
    if path is not None:
        raise ParameterError(f'{expected}, got {path}: open(path, "w", encoding="utf-8")')
    mode = getattr(stream, "mode", "")
    binary = isinstance(stream, io.RawIOBase | io.BufferedIOBase) or (isinstance(mode, str) and "b" in mode)
    if binary or not callable(getattr(stream, "write", None)):
        raise ParameterError(f"{expected}, got {type(stream).__name__}")


CSV_COLUMNS = (
    "pair",
    "score",
    "passage",
    "cluster",
    "doc_a",
    "source_a",
    "date_a",
    "start_a",
    "end_a",
    "doc_b",
    "source_b",
    "date_b",
    "start_b",
    "end_b",
    "similarity",
    "containment_a",
    "containment_b",
    "length_a",
    "length_b",
    "seeds",
    "text_a",
    "text_b",
)
"""The columns of :func:`write_csv`, in order."""

# Spreadsheets run a cell starting with one of these as a formula (CSV injection); text from the
# input must never do that, so such cells get a leading apostrophe, which spreadsheets hide.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(
    result: ScanResult, stream: TextIO, *, bom: bool = True, clusters: Sequence[Cluster] | None = None
) -> None:
    """Write one CSV row a passage (pairs in rank order), with both passages' full texts.

    ``pair`` is the pair's rank (1 = the highest ``score``, the pair's reuse score), ``passage`` the
    passage's number within its pair (as in the table and HTML reports) and ``cluster`` the id of
    its reuse cluster, if any. A pair reported on its score alone (no passage) has one row with the
    passage columns empty. A text
    cell that would start a spreadsheet formula (``=``, ``+``, ``-``, ``@``) is prefixed with ``'``.
    ``bom`` writes a UTF-8 byte-order mark first, without which Excel reads UTF-8 as a legacy code
    page and garbles Arabic.

    Example:
        >>> import io
        >>> from dedup.records import Document
        >>> docs = {"x": Document("x", "=1+1 shared", "s1"), "y": Document("y", 'say "hi", now', "s2")}
        >>> p = Passage(Span("x", 0, 11), Span("y", 0, 13), 0.5, 0.5, 0.5, 3)
        >>> pair = Pair("x", "y", 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 1, 12, 0.5)
        >>> out = io.StringIO()
        >>> write_csv(ScanResult([p], [pair], docs, [], 1, 0), out, bom=False)
        >>> print(out.getvalue().splitlines()[1])
        1,0.5000,1,,x,s1,,0,11,y,s2,,0,13,0.5000,0.5000,0.5000,11,13,3,'=1+1 shared,"say ""hi"", now"
    """
    check_result(result)
    check_bool("bom", bom)  # ("no" is truthy)
    _check_text_stream(stream)
    if clusters is None:
        clusters = find_clusters(result)
    if bom:
        stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for rank, pair, p, number, cluster in report_rows(result, clusters):
        if p is None:  # a pair on its score alone: its documents, no passage
            doc_a, doc_b = result.documents[pair.a], result.documents[pair.b]
            row = (rank, f"{pair.score:.4f}", "", "", _cell(pair.a), _cell(doc_a.source), _cell(doc_a.date), "", "",
                   _cell(pair.b), _cell(doc_b.source), _cell(doc_b.date))  # fmt: skip
            writer.writerow(row + ("",) * (len(CSV_COLUMNS) - len(row)))
        else:
            doc_a, doc_b = result.documents[p.a.doc], result.documents[p.b.doc]
            writer.writerow(
                (
                    rank,
                    f"{pair.score:.4f}",
                    number,
                    "" if cluster is None else cluster,
                    _cell(p.a.doc),
                    _cell(doc_a.source),
                    _cell(doc_a.date),
                    p.a.start,
                    p.a.end,
                    _cell(p.b.doc),
                    _cell(doc_b.source),
                    _cell(doc_b.date),
                    p.b.start,
                    p.b.end,
                    f"{p.similarity:.4f}",
                    f"{p.containment_a:.4f}",
                    f"{p.containment_b:.4f}",
                    len(p.a),
                    len(p.b),
                    p.seeds,
                    _cell(p.a.slice(doc_a.text)),
                    _cell(p.b.slice(doc_b.text)),
                )
            )


@dataclass(frozen=True, slots=True)
class Records:
    """A scan's JSONL output read back: its passages, pairs, clusters, summary and any other records."""

    passages: list[Passage]
    pairs: list[Pair]
    summary: dict[str, Any] | None
    other: list[dict[str, Any]]
    clusters: list[Cluster] = field(default_factory=list)


def _span(record: Any) -> Span:
    if not isinstance(record, dict):
        raise TypeError(f'a span must be an object {{"doc", "start", "end"}}, got {json_type(record)}')
    doc, start, end = record["doc"], record["start"], record["end"]
    if not isinstance(doc, str) or not isinstance(start, int) or not isinstance(end, int):
        raise TypeError("'doc' must be a string, 'start' and 'end' integers")
    return Span(doc, start, end)


def _shown(value: Any) -> str:
    """A JSON value as a message names it: a number as it is, anything else by its type."""
    return json.dumps(value) if isinstance(value, int | float) and not isinstance(value, bool) else json_type(value)


def _number(record: dict[str, Any], key: str) -> float:
    value = record[key]
    # (json reads NaN and Infinity, which write_jsonl never writes: a score of NaN ranks and sums as nothing)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{key!r} must be a number, got {_shown(value)}")
    if not math.isfinite(value):
        raise TypeError(f"{key!r} must be a finite number, got {_shown(value)}")
    return float(value)


def _integer(record: dict[str, Any], key: str) -> int:
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{key!r} must be an integer, got {_shown(value)}")
    return value


def _string(record: dict[str, Any], key: str) -> str:
    value = record[key]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} must be a string, got {_shown(value)}")
    return value


def parse_records(lines: Iterable[str], name: str = "<input>") -> Records:
    """Read JSONL scan output back into records (the inverse of :func:`write_jsonl`).

    Example:
        >>> line = ('{"type": "pair", "a": "x", "b": "y", "coverage_a": 1.0, "coverage_b": 0.5, '
        ...         '"containment_a": 1.0, "containment_b": 0.5, "jaccard": 0.5, "jaccard_estimate": 0.5, '
        ...         '"passages": 1, "longest": 10, "score": 0.7}')
        >>> parse_records([line]).pairs[0].coverage_b
        0.5
    """
    # A path is a string, which iterates as characters: its first was "not valid JSON" at line 1.
    path = _a_path(lines)
    if path is not None or not isinstance(lines, Iterable):
        shown = path or type(lines).__name__
        raise ParameterError(
            f"lines must be the lines of a scan output (an open text file, a list of str), got {shown}: "
            'pass open(path, encoding="utf-8")'
        )
    passages: list[Passage] = []
    pairs: list[Pair] = []
    clusters: list[Cluster] = []
    summary: dict[str, Any] | None = None
    other: list[dict[str, Any]] = []
    for line_no, line in enumerate(lines, 1):
        if not isinstance(line, str):  # (a file opened "rb" gives bytes)
            raise ParameterError(
                f"lines must be the lines of a scan output as str, got {type(line).__name__} at {name}:{line_no}: "
                'open the file as text, open(path, encoding="utf-8")'
            )
        if not line.strip():
            continue
        where = f"{name}:{line_no}"
        record, reason = parse_json(line)
        if reason is not None:
            raise InputError(f"{where}: {reason}: expected one object a line")
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object (a scan record), got {json_type(record)}")
        try:
            kind = record["type"]
            if kind == "passage":
                passages.append(
                    Passage(
                        _span(record["a"]),
                        _span(record["b"]),
                        _number(record, "similarity"),
                        _number(record, "containment_a"),
                        _number(record, "containment_b"),
                        _integer(record, "seeds"),
                    )
                )
            elif kind == "pair":
                a, b = _string(record, "a"), _string(record, "b")  # (checked in the order written)
                shares = {f: _number(record, f) for f in _PAIR_FIELDS if f not in ("passages", "longest")}
                pairs.append(
                    Pair(
                        a,
                        b,
                        passages=_integer(record, "passages"),
                        longest=_integer(record, "longest"),
                        **shares,
                    )
                )
            elif kind == "cluster":
                origin = record["origin"]
                cluster_id = _integer(record, "id")
                members = record["members"]
                if not isinstance(members, list):
                    raise TypeError(f"'members' must be a list of spans, got {_shown(members)}")
                clusters.append(
                    Cluster(
                        cluster_id,
                        [_span(m) for m in members],
                        None if origin is None else _span(origin),
                        _string(record, "origin_reason"),
                        _integer(record, "documents"),
                    )
                )
            elif kind == "summary":
                summary = record
            else:
                other.append(record)
        except KeyError as error:
            raise InputError(f"{where}: field {error} is missing from a scan record") from error
        except (TypeError, ParameterError) as error:  # (a span whose end is before its start: ParameterError)
            raise InputError(f"{where}: a field of a scan record is malformed ({error})") from error
    return Records(passages, pairs, summary, other, clusters)


_MIN_ID = 12
"""Columns an id is given in the table at least, however narrow the terminal."""


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def format_table(
    result: ScanResult,
    *,
    width: int | None = None,
    excerpt_width: int | None = None,
    clusters: Sequence[Cluster] | None = None,
    cluster_documents: int = 3,
) -> str:
    """The result as text for a terminal: document pairs ranked by what they share, passages, clusters.

    ``clusters`` defaults to :func:`dedup.clusters.find_clusters` with ``min_documents=cluster_documents``.

    Example:
        >>> from dedup.records import Document
        >>> docs = {"x": Document("x", "the wire copy, then more", "s1"),
        ...         "y": Document("y", "more text; the wire copy", "s2")}
        >>> p = Passage(Span("x", 0, 13), Span("y", 11, 24), 1.0, 1.0, 1.0, 9)
        >>> pair = Pair("x", "y", 0.54, 0.54, 1.0, 1.0, 0.3, 0.3, 1, 13, 0.54)
        >>> print(format_table(ScanResult([p], [pair], docs, [], 1, 0), width=80).splitlines()[0])
        1 document pair shares 1 passage
    """
    check_result(result)
    check_int("cluster_documents", cluster_documents, 2)
    for name, value in (("width", width), ("excerpt_width", excerpt_width)):
        if value is not None:  # (None: the terminal's; a negative width was taken as the narrowest table)
            check_int(name, value, 1)
    if clusters is None:
        clusters = find_clusters(result, min_documents=cluster_documents)
    width = width or shutil.get_terminal_size((100, 24)).columns
    ex = excerpt_width or max(30, min(70, width - 30))
    lines: list[str] = []
    if not result.pairs:
        lines.append(f"No shared passages among {plural(result.scanned, 'document')}.")
    else:
        share = "shares" if len(result.pairs) == 1 else "share"
        lines.append(f"{plural(len(result.pairs), 'document pair')} {share} {plural(len(result.passages), 'passage')}")
        lines.append("")
        head = ("a", "b", "score", "cov_a", "cov_b", "jaccard", "passages", "longest")
        rows = [
            (
                visible(p.a),  # (escaped before the columns are measured)
                visible(p.b),
                _fmt(p.score),
                _fmt(p.coverage_a),
                _fmt(p.coverage_b),
                _fmt(p.jaccard),
                str(p.passages),
                str(p.longest),
            )
            for p in result.pairs
        ]
        widths = [max(len(h), *(_width(r[k]) for r in rows)) for k, h in enumerate(head)]
        # Ids too long for the terminal are elided in the middle (the full ids are in JSONL and CSV).
        room = width - sum(widths[2:]) - 2 * (len(head) - 1)
        if widths[0] + widths[1] > room:
            half = max(_MIN_ID, room // 2)
            widths[0] = min(widths[0], max(half, room - widths[1]))
            widths[1] = min(widths[1], max(_MIN_ID, room - widths[0]))
            rows = [(_fit(r[0], widths[0]), _fit(r[1], widths[1]), *r[2:]) for r in rows]
        lines.append("  ".join(_pad(h, w) for h, w in zip(head, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        lines.extend("  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)) for r in rows)
        each = max(_MIN_ID, (width - 5) // 2)  # an id of a line of its own: half the line at most
        by_pair: dict[tuple[str, str], list[Passage]] = {}
        for passage in result.passages:
            by_pair.setdefault((passage.a.doc, passage.b.doc), []).append(passage)
        for pair in result.pairs:
            if not pair.passages:  # (reported on its score alone: its row above says all)
                continue
            lines.append("")
            lines.append(f"{_fit(visible(pair.a), each)}  ~  {_fit(visible(pair.b), each)}")
            for k, p in enumerate(by_pair.get((pair.a, pair.b), []), 1):
                text_a = p.a.slice(result.documents[p.a.doc].text)
                text_b = p.b.slice(result.documents[p.b.doc].text)
                lines.append(
                    f"  #{k} a[{p.a.start}:{p.a.end}] b[{p.b.start}:{p.b.end}]  "
                    f"similarity {_fmt(p.similarity)}  length a {len(p.a)}, b {len(p.b)}"
                )
                lines.append(f"     a: {_excerpt(text_a, ex)}")
                lines.append(f"     b: {_excerpt(text_b, ex)}")
    if clusters:
        each = max(_MIN_ID, width - 40)  # room for the member's offsets, source and date
        lines.append("")
        lines.append(f"{plural(len(clusters), 'reuse cluster')} (a passage in {cluster_documents} or more documents)")
        for cluster in clusters:
            lines.append("")
            origin = cluster.origin
            where = "unknown" if origin is None else f"{_fit(visible(origin.doc), each)}[{origin.start}:{origin.end}]"
            lines.append(f"cluster {cluster.id}: {cluster.documents} documents; origin {where}")
            lines.append(f"  ({cluster.origin_reason})")
            for m in cluster.members:
                doc = result.documents[m.doc]
                about = ", ".join(x for x in (doc.source, doc.date) if x)
                mark = "*" if m == origin else " "
                name = _fit(visible(m.doc), each)
                lines.append(f"  {mark} {name}[{m.start}:{m.end}]" + (f"  ({about})" if about else ""))
                lines.append(f"     {_excerpt(m.slice(doc.text), ex)}")
    return "\n".join(map(visible, lines)) + "\n"


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is one.

    Example:
        >>> plural(1, "document pair"), plural(3, "passage"), plural(0, "document")
        ('1 document pair', '3 passages', '0 documents')
    """
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


_LISTED = 20  # skipped documents the summary lists one by one; the JSONL summary lists them all


def format_summary(result: ScanResult, archive: int | None = None) -> str:
    """One paragraph accounting for every input document (the summary of the table format).

    Each skipped document is listed with its place and reason, the first 20 of them; the summary
    record of ``--format jsonl`` lists them all. With ``archive``, the documents of an archive
    index the scanned ones were queried against (``dedup index query``).

    Example:
        >>> from dedup.records import Document, Skipped
        >>> docs = {"x": Document("x", "a text"), "y": Document("y", "another")}
        >>> skipped = [Skipped("z.txt", "too short", kind="too short")]
        >>> print(format_summary(ScanResult([], [], docs, skipped, 0, 0)), end="")
        3 documents read, 2 scanned, 1 skipped; 0 candidate pairs, 0 pairs with 0 shared passages.
        skipped z.txt: too short
        >>> format_summary(ScanResult([], [], docs, [], 1, 0), archive=1).split(";")[0]
        '2 documents read, 2 queried against an archive of 1 document, 0 skipped'
    """
    scanned = (
        f"{result.scanned:,} scanned"
        if archive is None
        else (f"{result.scanned:,} queried against an archive of {plural(archive, 'document')}")
    )
    parts = [
        f"{plural(result.read, 'document')} read, {scanned}, "
        f"{len(result.skipped):,} skipped; {plural(result.candidates, 'candidate pair')}"
        + (
            f" ({result.unaligned:,} left unaligned by the per-document budget, max_candidates"
            f" {result.config.max_candidates})"
            if result.unaligned
            else ""
        )
        + f", {plural(len(result.pairs), 'pair')} with {plural(len(result.passages), 'shared passage')}."
    ]
    alone = one_source_note(result)
    if alone:
        parts.append(alone)
    if result.suppressed_buckets:
        parts.append(suppressed_note(result))
        parts.extend(common_lines(result))
    parts.extend(f"skipped {s.where}: {s.reason}" for s in result.skipped[:_LISTED])
    if len(result.skipped) > _LISTED:
        parts.append(f"… and {len(result.skipped) - _LISTED:,} more (the summary record of --format jsonl lists all)")
    if result.unread_dates:
        more = " (the summary record of --format jsonl lists all)" if len(result.unread_dates) > 1 else ""
        parts.append(undated_note(result) + more)
    return "\n".join(map(visible, parts)) + "\n"


def one_source_note(result: ScanResult) -> str:
    """One line saying that no pair was compared because every document has one source, or ``""``.

    Only documents of different sources are compared (``same_source`` off): a corpus whose records
    all name the same source (a crawl, one site's archive) gives no candidate pair at all, which
    read as a corpus without duplicates.

    Example:
        >>> from dedup.records import Document
        >>> docs = {"p1": Document("p1", "a page", "crawl"), "p2": Document("p2", "a page", "crawl")}
        >>> print(one_source_note(ScanResult([], [], docs, [], 0, 0, one_source="crawl")).split(":")[0])
        all 2 documents scanned have one source, 'crawl'
    """
    if result.one_source is None or result.config.same_source:
        return ""
    return (
        f"all {result.scanned:,} documents scanned have one source, {result.one_source!r}: only documents"
        " of different sources are compared, so none were; --same-source compares them"
    )


def suppressed_note(result: ScanResult) -> str:
    """One line naming the LSH buckets the scan skipped as too common (``max_bucket``), or ``""`` when none was.

    A band value held by more windows than ``max_bucket`` (page chrome, a menu every page of a site
    repeats, or wire copy carried by hundreds of documents) is not compared pair by pair: its
    documents are chained, each compared with the next holding it
    (:func:`dedup.candidates.chained_pairs`). The report says so, with the parameter that decides
    it, rather than thin that text out silently.

    Example:
        >>> from dedup.scan import ScanConfig
        >>> note = suppressed_note(ScanResult([], [], {}, [], 0, 3, config=ScanConfig(max_bucket=4)))
        >>> note.split(":")[0]
        '3 LSH buckets skipped as too common (each held more than max_bucket, 4, windows)'
    """
    if not result.suppressed_buckets:
        return ""
    return (
        f"{plural(result.suppressed_buckets, 'LSH bucket')} skipped as too common (each held more than"
        f" max_bucket, {result.config.max_bucket}, windows): documents sharing such text are compared in a"
        " chain, each with the next holding it, not every pair; raise --max-bucket to compare every pair"
    )


def common_record(common: CommonText) -> dict[str, Any]:
    """The JSON object of a common text (in the summary record's ``common_text`` list).

    Example:
        >>> common_record(CommonText(Span("d", 5, 45), 300, 2, "follow us on ..."))["windows"]
        300
    """
    return {
        "doc": common.span.doc,
        "start": common.span.start,
        "end": common.span.end,
        "windows": common.windows,
        "buckets": common.buckets,
        "text": common.text,
    }


def common_lines(result: ScanResult, listed: int = 3) -> list[str]:
    """Lines naming the text of the skipped buckets (``result.common``), the first ``listed`` of them.

    Control and bidi characters of the ids and texts are shown as escapes (:func:`visible`).

    Example:
        >>> common = [CommonText(Span("d7", 120, 520), 300, 4, "The defence ministry said on Monday")]
        >>> common_lines(ScanResult([], [], {}, [], 0, 4, common=common))
        ['  too common: d7 [120:520], 300 windows: «The defence ministry said on Monday»']
    """
    # (Escaped here, not by the caller: the lines go to standard error after every format's report.)
    lines = [
        visible(f"  too common: {c.span.doc} [{c.span.start}:{c.span.end}], {plural(c.windows, 'window')}: ")
        + visible(f"«{excerpt(c.text)}»")
        for c in result.common[:listed]
    ]
    if len(result.common) > listed:
        lines.append(f"  … and {len(result.common) - listed} more (the summary record of --format jsonl lists them)")
    return lines


def skip_note(result: ScanResult) -> str:
    """One line saying how many documents were skipped and why, or ``""`` when none was.

    Example:
        >>> from dedup.records import Skipped
        >>> skipped = [Skipped("a.txt", "", kind="too short"), Skipped("b.txt", "", kind="empty"),
        ...            Skipped("c.txt", "", kind="too short")]
        >>> skip_note(ScanResult([], [], {}, skipped, 0, 0))
        '3 of 3 documents skipped: 2 too short, 1 empty'
    """
    if not result.skipped:
        return ""
    return f"{len(result.skipped):,} of {plural(result.read, 'document')} skipped: {skip_kinds(result.skipped)}"


def skip_kinds(skipped: Sequence[Skipped]) -> str:
    """How many documents were skipped for each kind of reason, the most common first.

    Example:
        >>> from dedup.records import Skipped
        >>> skip_kinds([Skipped("a", "", kind="empty"), Skipped("b", "", kind="too short"),
        ...             Skipped("c", "", kind="empty"), Skipped("d", "", kind="duplicate id"),
        ...             Skipped("e", "", kind="duplicate id")])
        '2 empty, 2 duplicate ids, 1 too short'
    """
    kinds: dict[str, int] = {}
    for s in skipped:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    return ", ".join(
        f"{n:,} {_COUNTED.get(kind, kind) if n != 1 else kind}"
        for kind, n in sorted(kinds.items(), key=lambda item: -item[1])
    )


# The kinds of skipped document named by a noun, in the plural ("2 unreadable files"; "2 empty" stays).
_COUNTED = {
    "unreadable file": "unreadable files",
    "unreadable folder": "unreadable folders",
    "duplicate id": "duplicate ids",
    "invalid record": "invalid records",
    "unread date": "unread dates",
}


class _Undated(Protocol):
    """What was scanned without an unreadable date: a :class:`ScanResult`, a :class:`dedup.index.AddResult`."""

    @property
    def unread_dates(self) -> list[Skipped]: ...


def undated_note(result: _Undated) -> str:
    """One line saying how many documents were scanned without the date they gave, and the first, or ``""``.

    ``result`` is a scan's or a query's :class:`ScanResult`, or an archive add's ``AddResult``.

    Example:
        >>> from dedup.records import Skipped
        >>> undated = [Skipped("d.jsonl:3", "date 'yesterday' cannot be read", "c", kind="unread date")]
        >>> undated_note(ScanResult([], [], {}, [], 0, 0, unread_dates=undated))
        "1 document scanned without a date that could not be read, the first d.jsonl:3: date 'yesterday' cannot be read"
    """
    if not result.unread_dates:
        return ""
    first = result.unread_dates[0]
    count = plural(len(result.unread_dates), "document")
    return f"{count} scanned without a date that could not be read, the first {first.where}: {first.reason}"


def tune_record(threshold: float, num_perm: int) -> dict[str, Any]:
    """The LSH parameters chosen for a threshold and the candidate probability by true similarity.

    The curve has similarities 0.0, 0.1, ..., 1.0 and the threshold itself, in increasing order.
    ``short_bands`` are the bands of a short document's windows (every slot of the signature,
    :attr:`dedup.config.ScanConfig.short_bands`), ``short_probability`` the curve with as many.

    Example:
        >>> t = tune_record(0.5, 128)
        >>> t["bands"], t["rows"], [round(c["probability"], 3) for c in t["curve"] if c["similarity"] == 0.5]
        (25, 5, [0.548])
        >>> t["short_bands"], [round(c["short_probability"], 3) for c in t["curve"] if c["similarity"] == 0.5]
        (25, [0.548])
    """
    # (checks both, as the scan does; min_bands 1, as tune has no --min-bands and a high threshold
    # with few permutations gives fewer bands than the scan's default asks for)
    config = ScanConfig(threshold=threshold, num_perm=num_perm, min_bands=1)
    (bands, rows), short_bands = config.bands_rows, config.short_bands
    points = sorted({round(k / 10, 1) for k in range(11)} | {threshold})
    return {
        "threshold": threshold,
        "num_perm": num_perm,
        "bands": bands,
        "rows": rows,
        "short_bands": short_bands,
        "curve": [
            {
                "similarity": s,
                "probability": float(probability(s, bands, rows)),
                "short_probability": float(probability(s, short_bands, rows)),
            }
            for s in points
        ],
    }


def format_tune(record: dict[str, Any], *, bar_width: int = 40) -> str:
    """The :func:`tune_record` as a table with a text bar per similarity.

    Example:
        >>> print(format_tune(tune_record(0.5, 128), bar_width=10).splitlines()[0])
        threshold 0.5, 128 permutations: 25 bands of 5 rows (125 permutations used)
    """
    bands, rows, short_bands = record["bands"], record["rows"], record["short_bands"]
    lines = [
        f"threshold {record['threshold']}, {plural(record['num_perm'], 'permutation')}: "
        f"{plural(bands, 'band')} of {plural(rows, 'row')} ({plural(bands * rows, 'permutation')} used)",
    ]
    if short_bands > bands:
        lines.append(
            f"a short document's windows (--short-windows): {plural(short_bands, 'band')} of {plural(rows, 'row')} "
            f"({plural(short_bands * rows, 'permutation')} used), column short"
        )
    lines += ["", "similarity  P(candidate)" + ("   short" if short_bands > bands else "")]
    for point in record["curve"]:
        s, pr = point["similarity"], point["probability"]
        mark = "<- threshold" if s == record["threshold"] else ""
        bar = "#" * round(pr * bar_width)
        short = f"  {point['short_probability']:>6.4f}" if short_bands > bands else ""
        lines.append(f"{s:<10.2f}  {pr:>12.4f}{short}  {bar.ljust(bar_width)}  {mark}".rstrip())
    return "\n".join(lines) + "\n"


def skipped_record(skipped: Skipped) -> dict[str, Any]:
    """The JSON object of one skipped document.

    Example:
        >>> skipped_record(Skipped("z.txt", "too short", id="z", kind="too short"))
        {'where': 'z.txt', 'id': 'z', 'kind': 'too short', 'reason': 'too short'}
    """
    return {"where": skipped.where, "id": skipped.id, "kind": skipped.kind, "reason": skipped.reason}
