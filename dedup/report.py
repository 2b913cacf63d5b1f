"""Writing scan results: JSONL records (the machine contract) and a table for the terminal.

The JSONL contract (one object a line, each with a ``type``) is documented in ``docs/jsonl.md``;
:func:`parse_records` reads it back into the same records, so that output round-trips.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from . import __version__
from .errors import InputError
from .records import Pair, Passage, Skipped, Span
from .scan import ScanResult

__all__ = [
    "Records",
    "excerpt",
    "format_summary",
    "format_table",
    "pair_record",
    "parse_records",
    "passage_record",
    "records",
    "skipped_record",
    "summary_record",
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
)


def excerpt(text: str, width: int = 60) -> str:
    """A one-line excerpt of at most ``width`` characters, whitespace folded, elided in the middle.

    Example:
        >>> excerpt("a  b\\n c" + "x" * 100, 20)
        'a b cxxxxxx…xxxxxxxxx'
    """
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    head = (width - 1) // 2 + 1
    return flat[:head] + "…" + flat[len(flat) - (width - head) :]


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
    """The JSONL object of one passage."""
    return {
        "type": "passage",
        "a": _side(passage.a, result),
        "b": _side(passage.b, result),
        "similarity": passage.similarity,
        "containment_a": passage.containment_a,
        "containment_b": passage.containment_b,
        "length": passage.length,
        "seeds": passage.seeds,
    }


def pair_record(pair: Pair, result: ScanResult) -> dict[str, Any]:
    """The JSONL object of one document pair."""
    record: dict[str, Any] = {
        "type": "pair",
        "a": pair.a,
        "b": pair.b,
        "source_a": result.documents[pair.a].source,
        "source_b": result.documents[pair.b].source,
    }
    record.update({name: getattr(pair, name) for name in _PAIR_FIELDS})
    return record


def summary_record(result: ScanResult) -> dict[str, Any]:
    """The JSONL object that closes a scan: every input document accounted for."""
    return {
        "type": "summary",
        "documents_read": result.read,
        "documents_scanned": len(result.documents),
        "documents_skipped": len(result.skipped),
        "skipped": [skipped_record(s) for s in result.skipped],
        "candidates": result.candidates,
        "suppressed_buckets": result.suppressed_buckets,
        "pairs": len(result.pairs),
        "passages": len(result.passages),
        "config": result.config.to_dict(),
        "version": __version__,
    }


def records(result: ScanResult) -> Iterator[dict[str, Any]]:
    """Every JSONL object of a result: pairs, each followed by its passages, then the summary."""
    by_pair: dict[tuple[str, str], list[Passage]] = {}
    for passage in result.passages:
        by_pair.setdefault((passage.a.doc, passage.b.doc), []).append(passage)
    for pair in result.pairs:
        yield pair_record(pair, result)
        for passage in by_pair.get((pair.a, pair.b), []):
            yield passage_record(passage, result)
    yield summary_record(result)


def write_jsonl(result: ScanResult, stream: TextIO) -> None:
    """Write a result as JSONL, one object a line, UTF-8 text kept readable (not \\u-escaped)."""
    for record in records(result):
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")


@dataclass(frozen=True, slots=True)
class Records:
    """A scan's JSONL output read back: its passages, pairs, summary and any other records."""

    passages: list[Passage]
    pairs: list[Pair]
    summary: dict[str, Any] | None
    other: list[dict[str, Any]]


def parse_records(lines: Iterable[str], name: str = "<input>") -> Records:
    """Read JSONL scan output back into records (the inverse of :func:`write_jsonl`).

    Example:
        >>> line = ('{"type": "pair", "a": "x", "b": "y", "coverage_a": 1.0, "coverage_b": 0.5, '
        ...         '"containment_a": 1.0, "containment_b": 0.5, "jaccard": 0.5, "jaccard_estimate": 0.5, '
        ...         '"passages": 1, "longest": 10}')
        >>> parse_records([line]).pairs[0].coverage_b
        0.5
    """
    passages: list[Passage] = []
    pairs: list[Pair] = []
    summary: dict[str, Any] | None = None
    other: list[dict[str, Any]] = []
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{name}:{line_no}"
        try:
            record = json.loads(line)
            kind = record["type"]
            if kind == "passage":
                passages.append(
                    Passage(
                        Span(record["a"]["doc"], record["a"]["start"], record["a"]["end"]),
                        Span(record["b"]["doc"], record["b"]["start"], record["b"]["end"]),
                        record["similarity"],
                        record["containment_a"],
                        record["containment_b"],
                        record["seeds"],
                    )
                )
            elif kind == "pair":
                pairs.append(Pair(record["a"], record["b"], *(record[f] for f in _PAIR_FIELDS)))
            elif kind == "summary":
                summary = record
            else:
                other.append(record)
        except json.JSONDecodeError as error:
            raise InputError(f"{where}: not valid JSON ({error.msg}): expected one object a line") from error
        except (KeyError, TypeError) as error:
            raise InputError(f"{where}: field {error} is missing or malformed in a scan record") from error
    return Records(passages, pairs, summary, other)


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def format_table(result: ScanResult, *, width: int | None = None, excerpt_width: int | None = None) -> str:
    """The result as text for a terminal: document pairs ranked by what they share, then passages."""
    width = width or shutil.get_terminal_size((100, 24)).columns
    ex = excerpt_width or max(30, min(70, width - 30))
    lines: list[str] = []
    if not result.pairs:
        lines.append(f"No shared passages among {len(result.documents)} documents.")
    else:
        lines.append(f"{len(result.pairs)} document pairs share {len(result.passages)} passages")
        lines.append("")
        head = ("a", "b", "cov_a", "cov_b", "jaccard", "passages", "longest")
        rows = [
            (p.a, p.b, _fmt(p.coverage_a), _fmt(p.coverage_b), _fmt(p.jaccard), str(p.passages), str(p.longest))
            for p in result.pairs
        ]
        widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(head)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
        by_pair: dict[tuple[str, str], list[Passage]] = {}
        for passage in result.passages:
            by_pair.setdefault((passage.a.doc, passage.b.doc), []).append(passage)
        for pair in result.pairs:
            lines.append("")
            lines.append(f"{pair.a}  ~  {pair.b}")
            for k, p in enumerate(by_pair.get((pair.a, pair.b), []), 1):
                text_a = p.a.slice(result.documents[p.a.doc].text)
                text_b = p.b.slice(result.documents[p.b.doc].text)
                lines.append(
                    f"  #{k} a[{p.a.start}:{p.a.end}] b[{p.b.start}:{p.b.end}]  "
                    f"similarity {_fmt(p.similarity)}  length {p.length}"
                )
                lines.append(f"     a: {excerpt(text_a, ex)}")
                lines.append(f"     b: {excerpt(text_b, ex)}")
    return "\n".join(lines) + "\n"


def format_summary(result: ScanResult) -> str:
    """One paragraph accounting for every input document (the summary of the table format)."""
    parts = [
        f"{result.read} documents read, {len(result.documents)} scanned, {len(result.skipped)} skipped; "
        f"{result.candidates} candidate pairs, {len(result.pairs)} pairs with "
        f"{len(result.passages)} shared passages."
    ]
    parts.extend(f"skipped {s.where}: {s.reason}" for s in result.skipped)
    return "\n".join(parts) + "\n"


def skipped_record(skipped: Skipped) -> dict[str, Any]:
    """The JSON object of one skipped document."""
    return {"where": skipped.where, "id": skipped.id, "reason": skipped.reason}
