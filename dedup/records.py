"""The small named records that flow between stages and come back to callers."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

from .errors import ParameterError

__all__ = ["CommonText", "Document", "Pair", "Passage", "Skipped", "Span", "outlet"]


@dataclass(frozen=True, slots=True)
class Document:
    """One input text: its id, raw text, outlet (``source``) and optional date.

    A blank source (empty, or spaces only) is no source, whatever the input format: a CSV's empty
    cell and a JSONL ``"source": ""`` both mean the document is its own source.

    Example:
        >>> Document("a", "some text", source="reuters").source
        'reuters'
        >>> Document("b", "text").source is None, Document("c", "text", source=" ").source is None
        (True, True)
    """

    id: str
    text: str
    source: str | None = None
    date: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.source, str) and not self.source.strip():
            object.__setattr__(self, "source", None)

    @property
    def outlet(self) -> str:
        """The source used to decide which pairs are compared; a document without one is its own source.

        Example:
            >>> Document("x", "t").outlet
            '\\x00x'
        """
        return outlet(self.source, self.id)


def outlet(source: str | None, doc_id: str) -> str:
    """The source that decides which pairs of a document are compared: ``source``, or one of its own.

    A document without a source (None, or a blank one) is its own source.

    Example:
        >>> outlet("reuters", "a"), outlet(None, "a"), outlet("", "a")
        ('reuters', '\\x00a', '\\x00a')
    """
    # The NUL prefix keeps a sourceless document's id from colliding with a real source name.
    if source is None or not source.strip():
        return "\x00" + doc_id
    return source


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A half-open ``[start, end)`` range of code points in one document's raw text.

    Example:
        >>> s = Span("doc", 3, 8)
        >>> len(s), s.slice("0123456789")
        (5, '34567')
    """

    doc: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not isinstance(self.doc, str):
            raise ParameterError(f"a span's doc must be a string, got {self.doc!r}")
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, bool) or not hasattr(value, "__index__"):
                raise ParameterError(f"a span's {name} must be an integer, got {value!r}")
            # (a numpy offset is stored as a Python int: it must print, compare and go to JSON as one)
            object.__setattr__(self, name, operator.index(value))
        if not 0 <= self.start <= self.end:
            raise ParameterError(f"a span needs 0 <= start <= end, got start {self.start!r} and end {self.end!r}")

    def __len__(self) -> int:
        return self.end - self.start

    def slice(self, text: str) -> str:
        """The span's text, cut from the document's raw text.

        Example:
            >>> Span("d", 0, 2).slice("abc")
            'ab'
        """
        return text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        """Whether the two spans share at least one character of the same document.

        Example:
            >>> Span("d", 0, 5).overlaps(Span("d", 4, 9)), Span("d", 0, 5).overlaps(Span("d", 5, 9))
            (True, False)
        """
        return self.doc == other.doc and self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage that two documents share: where it sits in each and how alike the two copies are.

    ``similarity`` is the exact Jaccard similarity of the two spans' n-gram sets, ``containment_a``
    the share of span a's n-grams also in span b (and the converse for ``containment_b``).

    Example:
        >>> p = Passage(Span("a", 0, 40), Span("b", 10, 52), 0.8, 0.9, 0.88, 12)
        >>> p.length
        41
    """

    a: Span
    b: Span
    similarity: float
    containment_a: float
    containment_b: float
    seeds: int

    @property
    def length(self) -> int:
        """Mean of the two spans' lengths in characters.

        Example:
            >>> Passage(Span("a", 0, 10), Span("b", 0, 20), 1.0, 1.0, 1.0, 3).length
            15
        """
        return (len(self.a) + len(self.b)) // 2


@dataclass(frozen=True, slots=True)
class Pair:
    """How much two documents share, whole and by passages.

    ``score`` is how much of the pair is reused, in [0, 1]: the share of the later document's
    n-grams found in the earlier one (without dates that order the pair, the wire agency's story is
    the earlier, and two outlets' stories score the geometric mean of the two containments:
    :func:`dedup.pairs.pair_score`). ``coverage_a`` is the share of document a's
    characters inside passages shared with b; ``containment_a`` the share of a's n-grams that also
    occur in b; ``jaccard`` the exact n-gram Jaccard of the whole documents and
    ``jaccard_estimate`` its MinHash estimate. ``passages`` is 0 when the pair is reported on its
    score alone (no passage passed the passage filters).

    Example:
        >>> Pair("a", "b", 0.5, 0.25, 0.3, 0.2, 0.12, 0.125, 2, 400, 0.24).passages
        2
    """

    a: str
    b: str
    coverage_a: float
    coverage_b: float
    containment_a: float
    containment_b: float
    jaccard: float
    jaccard_estimate: float
    passages: int
    longest: int
    score: float


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input document that was not scanned, and why (nothing is dropped silently).

    ``kind`` names the reason in a few words, the same for every document skipped for it: ``empty``,
    ``too short``, ``invalid UTF-8``, ``invalid JSON``, ``invalid CSV``, ``invalid TSV``,
    ``duplicate id`` or ``invalid record``; or ``unreadable file`` or ``unreadable folder`` (a file or
    folder skipped whole, counted as one, ``where`` naming it).

    ``id`` is the document's id, None when there is none to give: the id is the problem (missing,
    empty, of the wrong type), or the record could not be read at all (not JSON, undecodable bytes).
    A record refused for another field (its text null, its source a number) keeps its id.

    Example:
        >>> Skipped("docs.jsonl:3", "field 'text' is missing").reason
        "field 'text' is missing"
    """

    where: str
    reason: str
    id: str | None = field(default=None)
    kind: str = field(default="invalid record")


@dataclass(frozen=True, slots=True)
class CommonText:
    """Text too common to compare: held by more windows than ``max_bucket`` in some LSH band.

    Such a bucket is not searched for every pair (each pair of its windows would be compared): its
    documents are chained, each paired with the next holding it; the scan counts the buckets and
    names their text with these records (:mod:`dedup.common`). ``span`` is where one document
    holding the text has it (what its windows in the buckets share with another document's, merged),
    ``windows`` the most windows one of its buckets held, ``buckets`` how many skipped buckets it
    accounts for, and ``text`` its first characters (at most 200).

    Example:
        >>> CommonText(Span("d", 0, 40), 300, 2, "follow us on ...").windows
        300
    """

    span: Span
    windows: int
    buckets: int
    text: str
