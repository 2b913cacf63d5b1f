"""Score detected passages against a labelled corpus with the PAN text-alignment measures.

The measures are those of Potthast et al. (2010), "An Evaluation Framework for Plagiarism
Detection" (COLING), macro-averaged, as used by the PAN text-alignment task:

* a detection ``r`` *detects* a case ``s`` when both lie on the same document pair and their
  character ranges intersect on both sides (the a-side ranges and the b-side ranges);
* ``|s|`` counts the characters of both sides of ``s``;
* recall = mean over cases ``s`` of ``|union of (s ∩ r) over the r detecting s| / |s|``;
* precision = mean over detections ``r`` of ``|union of (s ∩ r) over the s detected by r| / |r|``;
* granularity = mean, over the cases detected at least once, of the number of detections that
  detect it (1 when no case is detected);
* plagdet = F1(precision, recall) / log2(1 + granularity).

Conventions for empty inputs follow the reference implementation (``perfmeasures.py`` of the PAN
evaluation code): with neither cases nor detections precision = recall = 1; with cases but no
detections, or detections but no cases, precision = recall = 0 (so plagdet = 0); granularity is 1
when there is no detection or no detected case; plagdet is 0 when precision and recall are both 0.

Characters covered twice (overlapping detections, or overlapping cases) are counted once: the
covered characters are a union of intervals, computed by sorting and merging, never by sets of
character positions. Detections are grouped by document pair, so the work grows with the number
of (case, detection) combinations on each pair, not with the corpus.

A corpus directory (see ``evaluate_detections``) holds ``docs.jsonl``, ``truth.jsonl`` and
``pairs.jsonl`` as described in the evaluation data's README.

Example:
    >>> case = Case("susp1", 0, 100, "src1", 0, 100, "none")
    >>> m = measure([case], [Case("susp1", 0, 50, "src1", 0, 50), Case("susp1", 50, 100, "src1", 50, 100)])
    >>> m.precision, m.recall, m.granularity, round(m.plagdet, 4)
    (1.0, 1.0, 2.0, 0.6309)
"""

from __future__ import annotations

import io
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from ._streams import decompressed, sniffed, split_lines
from .checks import check_path
from .errors import InputError, ParameterError, ReadError
from .io import _DECOMPRESSION_ERRORS, _read_failure, duplicate_reason, json_type, parse_json, read_jsonl

if TYPE_CHECKING:
    from .scan import ScanConfig

__all__ = [
    "Case",
    "Evaluation",
    "Measures",
    "Pair",
    "detections_from_passages",
    "evaluate_corpus",
    "evaluate_detections",
    "format_table",
    "load_detections",
    "load_pairs",
    "load_truth",
    "measure",
    "plagdet",
]

_PathArg = str | os.PathLike[str]
_Key = tuple[str, str]
_IntArray = npt.NDArray[np.int64]

# Row name used for cases whose obfuscation is not given (neither ``obfuscation`` nor ``category``).
_UNLABELLED = "unlabelled"
# Row name for document pairs in play that hold no case and carry no category.
_NO_PLAGIARISM = "no-plagiarism"


# --------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class Case:
    """A passage shared by documents ``a`` and ``b``: a labelled case or a detection.

    Ranges are half-open code-point offsets ``[start, end)`` into each document's text and must be
    non-empty. In a corpus ``a`` is the suspicious (``susp``) document and ``b`` the source
    (``src``) one; ``obfuscation`` names the kind of rewriting of a case and is ignored for
    detections. ``where`` is the place a detection was read from (``scan.jsonl:4``, as
    :func:`load_detections` gives it), for messages; it takes no part in comparisons.

    Example:
        >>> c = Case("susp1", 10, 20, "src1", 0, 12, "random")
        >>> (c.a_end - c.a_start) + (c.b_end - c.b_start)
        22
        >>> Case("susp1", 5, 5, "src1", 0, 1)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: Case.a_end must be greater than a_start (5), got 5
    """

    a: str
    a_start: int
    a_end: int
    b: str
    b_start: int
    b_end: int
    obfuscation: str = ""
    where: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        for side in ("a", "b"):
            doc = getattr(self, side)
            if not isinstance(doc, str) or not doc:
                raise ParameterError(f"Case.{side} must be a non-empty document id, got {doc!r}")
            start, end = getattr(self, f"{side}_start"), getattr(self, f"{side}_end")
            for name, value in ((f"{side}_start", start), (f"{side}_end", end)):
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ParameterError(f"Case.{name} must be a non-negative integer, got {value!r}")
            if end <= start:
                raise ParameterError(f"Case.{side}_end must be greater than {side}_start ({start}), got {end}")

    @property
    def size(self) -> int:
        """The number of characters on both sides, ``|s|``.

        Example:
            >>> Case("a", 0, 10, "b", 5, 8).size
            13
        """
        return (self.a_end - self.a_start) + (self.b_end - self.b_start)

    def swapped(self) -> Case:
        """The same passage with the two documents' roles exchanged.

        Example:
            >>> Case("a", 0, 10, "b", 5, 8).swapped()
            Case(a='b', a_start=5, a_end=8, b='a', b_start=0, b_end=10, obfuscation='')
        """
        return Case(self.b, self.b_start, self.b_end, self.a, self.a_start, self.a_end, self.obfuscation, self.where)


@dataclass(frozen=True, slots=True)
class Pair:
    """A document pair listed in a corpus's ``pairs.jsonl``: ``label`` 1 when it holds cases.

    ``category`` is the pair's kind where the corpus gives one (pan13-train:
    ``01-no-plagiarism`` ... ``05-summary-obfuscation``). ``where`` is the place it was read from
    (``pairs.jsonl:4``), for messages; it takes no part in comparisons.

    Example:
        >>> Pair("susp1", "src1", 0, "01-no-plagiarism").label
        0
    """

    a: str
    b: str
    label: int
    category: str | None = None
    where: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Measures:
    """Macro-averaged precision, recall, granularity and plagdet, with the numbers of cases and detections.

    Example:
        >>> m = Measures(precision=0.25, recall=0.75, granularity=2.0, plagdet=0.2366, cases=4, detections=8)
        >>> m.to_dict()["cases"], m.to_dict()["plagdet"]
        (4, 0.2366)
    """

    precision: float
    recall: float
    granularity: float
    plagdet: float
    cases: int
    detections: int

    def to_dict(self) -> dict[str, float | int | None]:
        """The measures as a JSON-ready dict (keys as the field names).

        What a row does not measure is None (null in JSON), where :func:`format_table` shows "-":
        recall, granularity and plagdet without cases, precision without cases or detections.

        Example:
            >>> sorted(Measures(1.0, 1.0, 1.0, 1.0, 1, 1).to_dict())
            ['cases', 'detections', 'granularity', 'plagdet', 'precision', 'recall']
            >>> Measures(0.0, 0.0, 1.0, 0.0, cases=0, detections=3).to_dict()["recall"] is None
            True
        """
        measured = self.cases > 0
        return {
            "precision": self.precision if measured or self.detections > 0 else None,
            "recall": self.recall if measured else None,
            "granularity": self.granularity if measured else None,
            "plagdet": self.plagdet if measured else None,
            "cases": self.cases,
            "detections": self.detections,
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The measures of a set of detections on a corpus: overall and per obfuscation type.

    ``overall`` scores every case against every detection that counts. ``by_obfuscation`` has one
    row per obfuscation type ``t`` (the cases of type ``t`` against the detections on the document
    pairs holding cases of type ``t``), then one row per kind of pair without cases (detections
    there are all false positives), as described in ``evaluate_detections``.
    ``only_listed_pairs`` tells which detections counted: only those on pairs listed in
    ``pairs.jsonl``, or those on any ``susp``-``src`` pair; ``ignored_detections`` is the number
    of detections that did not count.

    Example:
        >>> m = measure([Case("s", 0, 10, "r", 0, 10, "none")], [Case("s", 0, 10, "r", 0, 10)])
        >>> e = Evaluation(m, {"none": m}, only_listed_pairs=True, ignored_detections=0)
        >>> e.to_dict()["by_obfuscation"]["none"]["plagdet"]
        1.0
    """

    overall: Measures
    by_obfuscation: dict[str, Measures]
    only_listed_pairs: bool
    ignored_detections: int
    corpus: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The evaluation as a JSON-ready dict.

        Example:
            >>> m = Measures(0.0, 0.0, 1.0, 0.0, 0, 0)
            >>> sorted(Evaluation(m, {}, only_listed_pairs=False, ignored_detections=2).to_dict())
            ['by_obfuscation', 'corpus', 'ignored_detections', 'only_listed_pairs', 'overall']
        """
        return {
            "corpus": self.corpus,
            "only_listed_pairs": self.only_listed_pairs,
            "ignored_detections": self.ignored_detections,
            "overall": self.overall.to_dict(),
            "by_obfuscation": {name: m.to_dict() for name, m in self.by_obfuscation.items()},
        }


# --------------------------------------------------------------------------------------------------
# Measures


def plagdet(precision: float, recall: float, granularity: float) -> float:
    """PAN's plagdet score: the F1 of precision and recall divided by ``log2(1 + granularity)``.

    Precision and recall must lie in [0, 1] and granularity must be at least 1; plagdet is 0 when
    precision and recall are both 0.

    Example:
        >>> round(plagdet(0.25, 0.75, 2), 4)
        0.2366
        >>> plagdet(1.0, 1.0, 1.0), plagdet(0.0, 0.0, 1.0)
        (1.0, 0.0)
    """

    def number(value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    for name, value in (("precision", precision), ("recall", recall)):
        if not number(value):
            raise ParameterError(f"{name} must be a number in [0, 1], got {value!r}")
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"{name} must be in [0, 1], got {value!r}")
    if not number(granularity):
        raise ParameterError(f"granularity must be a number of at least 1, got {granularity!r}")
    if not granularity >= 1.0:
        raise ParameterError(f"granularity must be at least 1, got {granularity!r}")
    if precision == 0.0 and recall == 0.0:
        return 0.0
    f1 = 2.0 * precision * recall / (precision + recall)
    return f1 / math.log2(1.0 + granularity)


def measure(cases: Sequence[Case], detections: Sequence[Case]) -> Measures:
    """Score ``detections`` against ``cases``: macro-averaged precision, recall, granularity, plagdet.

    Every detection counts. A detection whose documents are those of a case pair in reverse order
    (``a`` and ``b`` exchanged) is swapped before matching; ``obfuscation`` is ignored. Empty
    inputs follow the reference implementation (see the module docstring): no detections give
    precision = recall = plagdet = 0 when there are cases, and no cases give precision = recall = 0
    when there are detections.

    Example:
        >>> case = Case("susp1", 0, 10, "src1", 0, 10)
        >>> half = Case("susp1", 0, 5, "src1", 0, 10)  # covers half the case on the a-side
        >>> m = measure([case], [half])
        >>> m.precision, m.recall, m.granularity, round(m.plagdet, 4)
        (1.0, 0.75, 1.0, 0.8571)
        >>> measure([case], []).plagdet
        0.0
    """
    case_keys = {(c.a, c.b) for c in cases}
    oriented = [_orient_by_keys(d, case_keys) for d in detections]
    scores = _score(cases, oriented)
    return _aggregate(scores, range(len(cases)), range(len(oriented)))


def _orient_by_keys(detection: Case, keys: Container[_Key]) -> Case:
    """The detection, swapped when its reversed document pair is a known pair and it is not."""
    if (detection.a, detection.b) not in keys and (detection.b, detection.a) in keys:
        return detection.swapped()
    return detection


@dataclass(slots=True)
class _Scores:
    """Per-case and per-detection contributions, computed once and averaged over any subset."""

    case_recall: list[float]
    case_hits: list[int]
    detection_precision: list[float]


def _union_length(lo: _IntArray, hi: _IntArray) -> int:
    """Number of integers covered by the union of the non-empty half-open intervals [lo, hi)."""
    if lo.size == 1:
        return int(hi[0] - lo[0])
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    reach = np.maximum.accumulate(hi)
    previous = np.concatenate((lo[:1], reach[:-1]))
    return int(np.maximum(0, reach - np.maximum(lo, previous)).sum())


def _bounds(items: Sequence[Case]) -> _IntArray:
    """An (n, 4) array of a_start, a_end, b_start, b_end."""
    return np.array([(c.a_start, c.a_end, c.b_start, c.b_end) for c in items], dtype=np.int64).reshape(-1, 4)


def _score(cases: Sequence[Case], detections: Sequence[Case]) -> _Scores:
    """Per-case recall and hit count and per-detection precision; detections already oriented."""
    scores = _Scores([0.0] * len(cases), [0] * len(cases), [0.0] * len(detections))
    cases_by_pair: dict[_Key, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        cases_by_pair[(c.a, c.b)].append(i)
    detections_by_pair: dict[_Key, list[int]] = defaultdict(list)
    for j, d in enumerate(detections):
        detections_by_pair[(d.a, d.b)].append(j)

    for key, case_ids in cases_by_pair.items():
        detection_ids = detections_by_pair.get(key)
        if not detection_ids:
            continue
        cb = _bounds([cases[i] for i in case_ids])[:, None, :]
        db = _bounds([detections[j] for j in detection_ids])[None, :, :]
        # Intersections of every case with every detection on each side: (cases, detections) arrays.
        a_lo = np.maximum(cb[..., 0], db[..., 0])
        a_hi = np.minimum(cb[..., 1], db[..., 1])
        b_lo = np.maximum(cb[..., 2], db[..., 2])
        b_hi = np.minimum(cb[..., 3], db[..., 3])
        hit = (a_lo < a_hi) & (b_lo < b_hi)  # overlap on both sides
        if not hit.any():
            continue
        case_size = (cb[:, 0, 1] - cb[:, 0, 0]) + (cb[:, 0, 3] - cb[:, 0, 2])
        detection_size = (db[0, :, 1] - db[0, :, 0]) + (db[0, :, 3] - db[0, :, 2])
        for row, i in enumerate(case_ids):
            js = np.flatnonzero(hit[row])
            if js.size:
                covered = _union_length(a_lo[row, js], a_hi[row, js]) + _union_length(b_lo[row, js], b_hi[row, js])
                scores.case_recall[i] = covered / int(case_size[row])
                scores.case_hits[i] = int(js.size)
        for col, j in enumerate(detection_ids):
            rs = np.flatnonzero(hit[:, col])
            if rs.size:
                covered = _union_length(a_lo[rs, col], a_hi[rs, col]) + _union_length(b_lo[rs, col], b_hi[rs, col])
                scores.detection_precision[j] = covered / int(detection_size[col])
    return scores


def _aggregate(scores: _Scores, case_ids: Iterable[int], detection_ids: Iterable[int]) -> Measures:
    """Macro-average the contributions of the given cases and detections (reference conventions)."""
    case_list, detection_list = list(case_ids), list(detection_ids)
    n_cases, n_detections = len(case_list), len(detection_list)
    granularity = 1.0
    if n_cases == 0 and n_detections == 0:
        precision = recall = 1.0
    elif n_cases == 0 or n_detections == 0:
        precision = recall = 0.0
    else:
        recall = math.fsum(scores.case_recall[i] for i in case_list) / n_cases
        precision = math.fsum(scores.detection_precision[j] for j in detection_list) / n_detections
        hits = [scores.case_hits[i] for i in case_list if scores.case_hits[i] > 0]
        if hits:
            granularity = sum(hits) / len(hits)
    return Measures(
        precision=precision,
        recall=recall,
        granularity=granularity,
        plagdet=plagdet(precision, recall, granularity),
        cases=n_cases,
        detections=n_detections,
    )


# --------------------------------------------------------------------------------------------------
# Loading


def _show(value: object) -> str:
    """A short JSON rendering of a bad value for an error message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def corpus_folder(corpus_dir: _PathArg) -> Path:
    """A labelled corpus's folder, checked to be one: a path naming nothing, or a file, is said as itself,
    not as the ``truth.jsonl`` below it that cannot be read.

    Example:
        >>> try:
        ...     corpus_folder("/no/such/corpus")
        ... except ReadError as error:
        ...     print(str(error).split(": expected")[0])
        /no/such/corpus: cannot read: no such folder
    """
    corpus = Path(check_path("corpus_dir", corpus_dir))
    if not corpus.is_dir():
        what = "a file, not a folder" if corpus.exists() else "no such folder"
        expected = "expected a folder holding docs.jsonl, truth.jsonl and pairs.jsonl"
        raise ReadError(f"{os.fspath(corpus)}: cannot read: {what}: {expected}")
    return corpus


def _json_objects(path: _PathArg) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``("<file>:<n>", object)`` for each non-blank line of a JSONL file (places as the reader gives them).

    Lines are split, and a byte-order mark dropped, as ``dedup scan`` reads them: the corpus it scans
    is the one whose lines are numbered here.
    """
    name = os.fspath(check_path("path", path))
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:  # (the place first, as every other message says it: FILE: reason)
        raise ReadError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    # A scan output compressed (`dedup scan ... | gzip > found.jsonl.gz`) is read as dedup scan reads
    # its input, by its first bytes: its lines were "not valid UTF-8 (invalid start byte at byte 1)".
    compression = sniffed(data)
    if compression is not None:
        try:
            with decompressed(io.BytesIO(data), io.BytesIO(data), compression) as stream:
                data = stream.read()
        except _DECOMPRESSION_ERRORS as exc:
            raise _read_failure(name, exc, skippable=False) from exc
    for number, raw in enumerate(split_lines(io.BytesIO(data)), start=1):
        where = f"{name}:{number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{where}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        record, reason = parse_json(line)
        if reason is not None:
            raise InputError(f"{where}: {reason}")
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object, got {json_type(record)} {_show(record)}")
        yield where, record


def _get(record: dict[str, Any], key: str, where: str, field: str, expected: str) -> Any:
    if key not in record:
        raise InputError(f'{where}: field "{field}" is missing (expected {expected})')
    return record[key]


def _text_field(record: dict[str, Any], key: str, where: str, field: str | None = None) -> str:
    field = field or key
    value = _get(record, key, where, field, "a non-empty string")
    if not isinstance(value, str) or not value:
        raise InputError(f'{where}: field "{field}" must be a non-empty string, got {_show(value)}')
    return value


def _offset_field(record: dict[str, Any], key: str, where: str, field: str | None = None) -> int:
    field = field or key
    value = _get(record, key, where, field, "a non-negative integer")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f'{where}: field "{field}" must be a non-negative integer, got {_show(value)}')
    return value


def _range(record: dict[str, Any], start_key: str, end_key: str, where: str, prefix: str = "") -> tuple[int, int]:
    start = _offset_field(record, start_key, where, prefix + start_key)
    end = _offset_field(record, end_key, where, prefix + end_key)
    if end <= start:
        name, after = prefix + end_key, prefix + start_key
        raise InputError(f'{where}: field "{name}" must be greater than "{after}" ({start}), got {end}')
    return start, end


_CATEGORY_PREFIX = re.compile(r"^\d+-")


def _category_name(category: str) -> str:
    """``04-translation-obfuscation`` -> ``translation``; ``01-no-plagiarism`` -> ``no-plagiarism``."""
    name = _CATEGORY_PREFIX.sub("", category)
    return name.removesuffix("-obfuscation") or category


def load_truth(path: _PathArg) -> list[Case]:
    """Read a ``truth.jsonl`` file into cases, one a line.

    A line is ``{"a", "a_start", "a_end", "b", "b_start", "b_end", "obfuscation"}``; blank lines
    are skipped and other fields ignored. When ``obfuscation`` is null or absent it is taken from
    ``category`` (pan13-train gives its translation cases ``"obfuscation": null`` and
    ``"category": "04-translation-obfuscation"``, read as ``translation``), else left empty. A
    malformed line raises ``InputError`` naming file, line and field; an unreadable file
    ``ReadError``.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "truth.jsonl"
        >>> _ = path.write_text(
        ...     '{"a": "s1", "a_start": 0, "a_end": 9, "b": "r1", "b_start": 4, "b_end": 13,'
        ...     ' "obfuscation": "none"}\\n'
        ...     '{"a": "s1", "a_start": 20, "a_end": 29, "b": "r2", "b_start": 0, "b_end": 9,'
        ...     ' "obfuscation": null, "category": "04-translation-obfuscation"}\\n', encoding="utf-8")
        >>> [(c.b, c.obfuscation) for c in load_truth(path)]
        [('r1', 'none'), ('r2', 'translation')]
        >>> _ = path.write_text('{"a": "s1", "a_start": "x"}\\n', encoding="utf-8")
        >>> load_truth(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dedup.errors.InputError: ...truth.jsonl:1: field "a_start" must be a non-negative integer, got "x"
    """
    cases: list[Case] = []
    for where, record in _json_objects(path):
        a = _text_field(record, "a", where)
        a_start, a_end = _range(record, "a_start", "a_end", where)
        b = _text_field(record, "b", where)
        b_start, b_end = _range(record, "b_start", "b_end", where)
        obfuscation = record.get("obfuscation")
        if obfuscation is None:
            category = record.get("category")
            if category is not None and not isinstance(category, str):
                raise InputError(f'{where}: field "category" must be a string or null, got {_show(category)}')
            obfuscation = _category_name(category) if category else ""
        elif not isinstance(obfuscation, str):
            raise InputError(f'{where}: field "obfuscation" must be a string or null, got {_show(obfuscation)}')
        cases.append(Case(a, a_start, a_end, b, b_start, b_end, obfuscation, where))
    return cases


def load_pairs(path: _PathArg) -> list[Pair]:
    """Read a ``pairs.jsonl`` file: one document pair a line, ``{"a", "b", "label", "category"?}``.

    ``label`` must be 0 or 1; ``category`` is optional (string or null). Blank lines are skipped
    and other fields ignored; a pair listed twice (in either order) is an error; errors as in
    ``load_truth``.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "pairs.jsonl"
        >>> _ = path.write_text('{"a": "s1", "b": "r1", "label": 1}\\n'
        ...                     '{"a": "s1", "b": "r2", "label": 0, "category": "01-no-plagiarism"}\\n')
        >>> load_pairs(path)[1]
        Pair(a='s1', b='r2', label=0, category='01-no-plagiarism')
    """
    pairs: list[Pair] = []
    first: dict[frozenset[str], str] = {}
    for where, record in _json_objects(path):
        a = _text_field(record, "a", where)
        b = _text_field(record, "b", where)
        _read_once(first, a, b, where, "listed")  # (which line's label and category would count?)
        label = _get(record, "label", where, "label", "0 or 1")
        if isinstance(label, bool) or label not in (0, 1):
            raise InputError(f'{where}: field "label" must be 0 or 1, got {_show(label)}')
        category = record.get("category")
        if category is not None and not isinstance(category, str):
            raise InputError(f'{where}: field "category" must be a string or null, got {_show(category)}')
        pairs.append(Pair(a, b, int(label), category, where))
    return pairs


def scan_records(path: _PathArg) -> Iterator[tuple[str, dict[str, Any]]]:
    """The records of a scan's JSONL output, each with its place; a file of none is not one.

    A scan's output always ends in its summary record, so a file of no record (a redirect that
    failed) is an error, not a scan that found nothing.
    """
    empty = True
    for item in _json_objects(path):
        empty = False
        yield item
    if empty:
        raise InputError(
            f"{os.fspath(path)}: no records: expected the output of dedup scan --format jsonl, "
            "whose last record is its summary"
        )


def load_detections(path: _PathArg) -> list[Case]:
    """Read the passages of a dedup scan JSONL output as detections.

    Lines ``{"type": "passage", "a": {"doc", "start", "end", ...}, "b": {...}, ...}`` become
    detections; lines of any other ``type`` are ignored. A line without ``type`` is an error (it
    is not scan output: for instance a ``truth.jsonl`` given by mistake). Errors as in
    ``load_truth``; nested fields are named like ``a.start``.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "scan.jsonl"
        >>> _ = path.write_text('{"type": "summary", "pairs": 1}\\n'
        ...     '{"type": "passage", "a": {"doc": "r1", "start": 4, "end": 13}, '
        ...     '"b": {"doc": "s1", "start": 0, "end": 9}, "similarity": 1.0}\\n')
        >>> load_detections(path)
        [Case(a='r1', a_start=4, a_end=13, b='s1', b_start=0, b_end=9, obfuscation='')]
    """
    detections: list[Case] = []
    for where, record in scan_records(path):
        kind = _get(record, "type", where, "type", 'a record type such as "passage"')
        if kind != "passage":
            continue
        sides: list[tuple[str, int, int]] = []
        for side in ("a", "b"):
            span = _get(record, side, where, side, 'an object {"doc", "start", "end"}')
            if not isinstance(span, dict):
                raise InputError(
                    f'{where}: field "{side}" must be an object {{"doc", "start", "end"}}, got {_show(span)}'
                )
            doc = _text_field(span, "doc", where, f"{side}.doc")
            start, end = _range(span, "start", "end", where, prefix=f"{side}.")
            sides.append((doc, start, end))
        (a, a_start, a_end), (b, b_start, b_end) = sides
        detections.append(Case(a, a_start, a_end, b, b_start, b_end, where=where))
    return detections


def _read_once(first: dict[frozenset[str], str], a: str, b: str, where: str, what: str) -> None:
    """Note where the pair (a, b) was read, in either order; raise if it was read before ("the pair
    ('x', 'y') is listed twice (first at line 3)", ``what`` being "listed")."""
    key = frozenset((a, b))
    if key in first:
        line = first[key].rpartition(":")[2]
        raise InputError(f"{where}: the pair ({a!r}, {b!r}) is {what} twice (first at line {line})")
    first[key] = where


def _load_roles(path: _PathArg) -> tuple[dict[str, str], dict[str, int]]:
    """Map each document id of a ``docs.jsonl`` to its role (``susp`` or ``src``) and to its length in code points."""
    roles: dict[str, str] = {}
    lengths: dict[str, int] = {}
    places: dict[str, str] = {}
    for where, record in _json_objects(path):
        doc_id = _text_field(record, "id", where)
        if doc_id in places:  # (refused by the scan too: which text would offsets index?)
            raise InputError(f"{where}: {duplicate_reason(doc_id, places[doc_id])}")
        places[doc_id] = where
        role = _get(record, "source", where, "source", '"susp" or "src"')
        if role not in ("susp", "src"):
            raise InputError(f'{where}: field "source" must be "susp" or "src", got {_show(role)}')
        text = _get(record, "text", where, "text", "a string")
        if not isinstance(text, str):
            raise InputError(f'{where}: field "text" must be a string, got {_show(text)}')
        roles[doc_id] = role
        lengths[doc_id] = len(text)
    return roles, lengths


def _check_inside(what: str, items: Sequence[Case], lengths: Mapping[str, int], place: str) -> None:
    """Raise unless every range of ``items`` ends inside its document's text.

    A range past the end is scored against characters that do not exist: a truth or a scan made
    from another version of the documents, said as such rather than measured.
    """
    for number, item in enumerate(items, 1):
        past = _past_end(item, lengths)
        if past is not None:
            side, doc, end = past
            which = f"{item.where}: {what}" if item.where else f"{place}: {what} {number}"
            raise InputError(
                f"{which} ends at {end} in document {doc!r} ({side}_end), past its "
                f"{lengths[doc]} characters: expected offsets into the texts of docs.jsonl"
            )


def _past_end(item: Case, lengths: Mapping[str, int]) -> tuple[str, str, int] | None:
    """The first side of ``item`` whose range ends past its document's text, as (side, document, end); else None."""
    for side, doc, end in (("a", item.a, item.a_end), ("b", item.b, item.b_end)):
        if end > lengths[doc]:
            return side, doc, end
    return None


# --------------------------------------------------------------------------------------------------
# Corpus evaluation


def _check_named(
    corpus: Path, what: str, named: Sequence[tuple[str, str, str]], ids: Container[str], file: str = "truth.jsonl"
) -> None:
    """Raise unless every document a truth entry ``(where, a, b)`` names is in the corpus.

    An entry naming a document the corpus lacks could never be found, and would be scored as a
    miss: a broken truth file, said as such, by the entry's place (``truth.jsonl:3``) when it has
    one, else by its number in ``file``.
    """
    for number, (where, *docs) in enumerate(named, 1):
        for doc in docs:
            if doc not in ids:
                which = f"{where}: {what}" if where else f"{corpus / file}: {what} {number}"
                raise InputError(
                    f"{which} names document {doc!r}, which is not in "
                    f"{corpus / 'docs.jsonl'}: expected the ids of docs.jsonl"
                )


def _check_consistent(corpus: Path, cases: Sequence[Case], listed: Mapping[_Key, Pair], listed_only: bool) -> None:
    """Raise unless pairs.jsonl and truth.jsonl agree: a pair labelled 1 holds a case, one labelled 0
    none, and (when only listed pairs count) every case lies on a listed pair.

    Taken as they are, a case's detections would be ignored (a certain miss) or a correct detection
    scored as a false positive: a broken truth, said as such.
    """
    first_case: dict[_Key, Case] = {}
    for c in cases:
        first_case.setdefault((c.a, c.b), c)
    truth, pairs = corpus / "truth.jsonl", corpus / "pairs.jsonl"
    for key, pair in listed.items():
        where = pair.where or os.fspath(pairs)
        if pair.label == 1 and key not in first_case:
            raise InputError(f"{where}: pair {(pair.a, pair.b)!r} is labelled 1, but {truth} holds no case on it")
        if pair.label == 0 and key in first_case:
            place = first_case[key].where or os.fspath(truth)
            raise InputError(f"{where}: pair {(pair.a, pair.b)!r} is labelled 0, but {place} holds a case on it")
    if listed_only:
        for key, c in first_case.items():
            if key not in listed:
                raise InputError(
                    f"{c.where or truth}: case on pair {key!r}, which {pairs} does not list, while only listed "
                    "pairs count (it lists label-0 pairs): its detections would be ignored"
                )


def evaluate_detections(
    corpus_dir: _PathArg, detections: Sequence[Case], *, only_listed_pairs: bool | None = None
) -> Evaluation:
    """Score ``detections`` against the cases of the corpus in ``corpus_dir``, overall and per obfuscation.

    Which detections count: when ``pairs.jsonl`` lists label-0 pairs (pan13-train), only those on
    listed pairs, as in PAN; otherwise (arabic-plag-dev lists only its positive pairs) those on any
    ``susp``-``src`` pair, so a detection on an unlisted pair is a false positive.
    ``only_listed_pairs`` overrides the rule. Detections between two documents of the same role,
    and (when only listed pairs count) on unlisted pairs, are ignored and counted in
    ``ignored_detections``. A detection oriented ``src``-``susp`` is swapped first. A detection
    naming a document missing from ``docs.jsonl`` raises ``ParameterError``, naming the detection by
    its ``where`` when it has one.

    Rows of ``by_obfuscation``, cases first, in name order:

    * one per obfuscation type ``t``: recall and granularity over the cases of type ``t``;
      precision over the detections on the document pairs that hold a case of type ``t``, each
      credited with every case of its pair it detects (whatever that case's type), so a pair with
      cases of several types does not turn a correct detection into a false positive;
    * one per kind of pair in play without cases, named after the pair's ``category`` without its
      number prefix (``01-no-plagiarism`` -> ``no-plagiarism``; suffixed `` (no cases)`` if the
      name is also an obfuscation type, as for pan13-train's label-0 ``05-summary-obfuscation``
      pairs, ``summary (no cases)``), or ``no-plagiarism`` when the pair has no category or is
      unlisted. These rows have ``cases == 0``: recall is undefined (``format_table`` shows "-"),
      every detection there is a false positive, so precision is 0 when there are detections,
      and ``detections`` is the number of false positives.

    Example:
        >>> import json, pathlib, tempfile
        >>> corpus = pathlib.Path(tempfile.mkdtemp())
        >>> def write(name, rows):
        ...     _ = (corpus / name).write_text("".join(json.dumps(r) + "\\n" for r in rows))
        >>> write("docs.jsonl", [{"id": "s1", "source": "susp", "text": "x" * 50},
        ...                      {"id": "r1", "source": "src", "text": "y" * 50}])
        >>> write("truth.jsonl", [{"a": "s1", "a_start": 0, "a_end": 20, "b": "r1", "b_start": 10,
        ...                        "b_end": 30, "obfuscation": "none"}])
        >>> write("pairs.jsonl", [{"a": "s1", "b": "r1", "label": 1}])
        >>> found = [Case("r1", 10, 30, "s1", 0, 20)]  # reported src-first: swapped before matching
        >>> e = evaluate_detections(corpus, found)
        >>> e.overall.plagdet, list(e.by_obfuscation), e.only_listed_pairs
        (1.0, ['none', 'no-plagiarism'], False)
    """
    corpus = corpus_folder(corpus_dir)
    cases = load_truth(corpus / "truth.jsonl")
    pairs = load_pairs(corpus / "pairs.jsonl")
    roles, lengths = _load_roles(corpus / "docs.jsonl")
    _check_named(corpus, "case", [(c.where, c.a, c.b) for c in cases], roles.keys())
    _check_named(corpus, "pair", [(p.where, p.a, p.b) for p in pairs], roles.keys(), "pairs.jsonl")
    _check_inside("case", cases, lengths, os.fspath(corpus / "truth.jsonl"))
    listed_only = any(p.label == 0 for p in pairs) if only_listed_pairs is None else only_listed_pairs

    case_types: dict[_Key, set[str]] = defaultdict(set)
    for c in cases:
        case_types[(c.a, c.b)].add(c.obfuscation or _UNLABELLED)
    listed: dict[_Key, Pair] = {}
    for p in pairs:
        # A pair listed src-first is the pair its cases (or, without cases, the roles) name susp-first:
        # else a detection on it would be ignored as unlisted, or scored against no case.
        key = (p.a, p.b)
        if key not in case_types and ((p.b, p.a) in case_types or (roles[p.a], roles[p.b]) == ("src", "susp")):
            key = (p.b, p.a)
        listed.setdefault(key, p)
    _check_consistent(corpus, cases, listed, listed_only)
    known: set[_Key] = set(listed) | set(case_types)

    counted: list[Case] = []
    ignored = 0
    for number, detection in enumerate(detections):
        # A detection read from a file is named by its place there, one made in memory by its number.
        which = f"{detection.where}: detection" if detection.where else f"detection {number + 1}"
        for doc in (detection.a, detection.b):
            if doc not in roles:
                raise ParameterError(
                    f"{which} names document {doc!r}, which is not in {corpus / 'docs.jsonl'}: "
                    "expected the ids of docs.jsonl"
                )
        past = _past_end(detection, lengths)
        if past is not None:
            _, doc, end = past
            raise ParameterError(
                f"{which} ends at {end} in document {doc!r}, past its {lengths[doc]} "
                f"characters in {corpus / 'docs.jsonl'}: expected offsets into those texts"
            )
        oriented = _orient_by_keys(detection, known)
        key = (oriented.a, oriented.b)
        if key not in known:
            role_a, role_b = roles[oriented.a], roles[oriented.b]
            if role_a == role_b:
                ignored += 1
                continue
            if role_a == "src":
                oriented = oriented.swapped()
                key = (oriented.a, oriented.b)
        if listed_only and key not in listed:
            ignored += 1
            continue
        counted.append(oriented)

    scores = _score(cases, counted)
    overall = _aggregate(scores, range(len(cases)), range(len(counted)))

    type_names = sorted({name for names in case_types.values() for name in names})

    def caseless_row(key: _Key) -> str:
        pair = listed.get(key)
        name = _NO_PLAGIARISM if pair is None or pair.category is None else _category_name(pair.category)
        return f"{name} (no cases)" if name in type_names else name

    case_rows: dict[str, list[int]] = {name: [] for name in type_names}
    for i, c in enumerate(cases):
        case_rows[c.obfuscation or _UNLABELLED].append(i)
    detection_rows: dict[str, list[int]] = {name: [] for name in type_names}
    empty_rows: set[str] = {caseless_row(k) for k in listed if k not in case_types}
    if not listed_only:
        empty_rows.add(_NO_PLAGIARISM)
    for j, d in enumerate(counted):
        key = (d.a, d.b)
        if key in case_types:
            for name in case_types[key]:
                detection_rows[name].append(j)
        else:
            name = caseless_row(key)
            empty_rows.add(name)
            detection_rows.setdefault(name, []).append(j)

    by_obfuscation: dict[str, Measures] = {}
    for name in [*type_names, *sorted(empty_rows - set(type_names))]:
        by_obfuscation[name] = _aggregate(scores, case_rows.get(name, []), detection_rows.get(name, []))
    return Evaluation(
        overall=overall,
        by_obfuscation=by_obfuscation,
        only_listed_pairs=listed_only,
        ignored_detections=ignored,
        corpus=os.fspath(corpus_dir),
    )


def format_table(evaluation: Evaluation) -> str:
    """A fixed-width text table of an evaluation: the overall row, then one row per obfuscation type.

    Values have four decimals. In a row without cases, recall, granularity and plagdet are
    undefined and shown as "-" (as is precision when that row has no detection either); the
    ``detections`` column then counts false positives.

    Example:
        >>> m = measure([Case("s", 0, 10, "r", 0, 10)], [Case("s", 0, 10, "r", 0, 10)])
        >>> fp = Measures(0.0, 0.0, 1.0, 0.0, cases=0, detections=3)
        >>> print(format_table(Evaluation(m, {"none": m, "no-plagiarism": fp}, True, 0)))
        obfuscation    precision  recall  granularity  plagdet  cases  detections
        overall           1.0000  1.0000       1.0000   1.0000      1           1
        none              1.0000  1.0000       1.0000   1.0000      1           1
        no-plagiarism     0.0000       -            -        -      0           3
    """
    headers = ("obfuscation", "precision", "recall", "granularity", "plagdet", "cases", "detections")
    table: list[list[str]] = [list(headers)]
    rows: list[tuple[str, Measures]] = [("overall", evaluation.overall), *evaluation.by_obfuscation.items()]
    for name, m in rows:
        has_cases = m.cases > 0
        table.append(
            [
                name,
                f"{m.precision:.4f}" if has_cases or m.detections > 0 else "-",
                f"{m.recall:.4f}" if has_cases else "-",
                f"{m.granularity:.4f}" if has_cases else "-",
                f"{m.plagdet:.4f}" if has_cases else "-",
                str(m.cases),
                str(m.detections),
            ]
        )
    widths = [max(len(row[k]) for row in table) for k in range(len(headers))]
    lines = [
        "  ".join([row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))])
        for row in table
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Running the scanner


class _SpanLike(Protocol):
    @property
    def doc(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class _PassageLike(Protocol):
    @property
    def a(self) -> _SpanLike: ...
    @property
    def b(self) -> _SpanLike: ...


def detections_from_passages(passages: Iterable[_PassageLike]) -> list[Case]:
    """Turn scanner passages (objects with ``.a`` and ``.b`` spans of ``doc, start, end``) into detections.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> p = NS(a=NS(doc="r1", start=4, end=13), b=NS(doc="s1", start=0, end=9))
        >>> detections_from_passages([p])
        [Case(a='r1', a_start=4, a_end=13, b='s1', b_start=0, b_end=9, obfuscation='')]
    """
    return [
        Case(
            p.a.doc,
            _as_int(p.a.start),
            _as_int(p.a.end),
            p.b.doc,
            _as_int(p.b.start),
            _as_int(p.b.end),
        )
        for p in passages
    ]


def _as_int(value: Any) -> int:
    """An offset as a plain ``int`` (accepts numpy integers)."""
    return int(value.__index__())


def evaluate_corpus(corpus_dir: _PathArg, config: ScanConfig | None = None) -> Evaluation:
    """Scan the documents of a labelled corpus with dedup's scanner and score the passages found.

    ``config`` is a ``dedup.scan.ScanConfig`` (its defaults when None); the detections are scored
    by ``evaluate_detections`` with the corpus's own rule for which pairs count.

    Example:
        >>> import json, pathlib, tempfile
        >>> corpus = pathlib.Path(tempfile.mkdtemp())
        >>> text = "the quick brown fox jumps over the lazy dog near the river bank today " * 4
        >>> for name, rows in {
        ...     "docs.jsonl": [{"id": "s1", "source": "susp", "text": "intro words. " + text},
        ...                    {"id": "r1", "source": "src", "text": text + " the end."}],
        ...     "truth.jsonl": [{"a": "s1", "a_start": 13, "a_end": 13 + len(text), "b": "r1",
        ...                      "b_start": 0, "b_end": len(text), "obfuscation": "none"}],
        ...     "pairs.jsonl": [{"a": "s1", "b": "r1", "label": 1}]}.items():
        ...     _ = (corpus / name).write_text("".join(json.dumps(r) + "\\n" for r in rows))
        >>> isinstance(evaluate_corpus(corpus), Evaluation)
        True
    """
    from .scan import ScanConfig, scan  # imported here: the scanner is heavy, the measures are not

    corpus = corpus_folder(corpus_dir)
    result = scan(read_jsonl(corpus / "docs.jsonl"), config or ScanConfig())
    return evaluate_detections(corpus, detections_from_passages(result.passages))
