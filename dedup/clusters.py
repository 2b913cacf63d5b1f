"""Reuse clusters: one passage travelling through three or more documents, and where it likely started.

A scan reports passages pairwise (a Reuters paragraph run by five outlets gives up to ten passages).
:func:`find_clusters` joins them back into one group per travelling passage: every passage side is a
span of one document; two spans of the same document that overlap by at least ``min_overlap`` of
the shorter one are the same *member*, and the two sides of a passage link their members. The
connected components (union-find) that reach ``min_documents`` documents are the clusters.

The likely origin of a cluster is decided by the first rule that singles out one member:

1. the earliest ``date`` (ISO 8601, or a dotted day-first date such as ``22.01.24``: :func:`parse_date`),
   when at least two member documents carry one: the members whose dates no other member's date
   wholly precedes. A date without a time is its whole day (:func:`dedup.dates.precedes`), so a
   copy dated by the day alone does not come before an agency story timestamped that day: both
   stay, and the next rule decides between them;
2. the only member whose document's ``source`` names a wire agency (Reuters, AFP, AP, ...,
   in Latin or Arabic script, see :func:`wire_agency`);
3. the member the other copies are most contained in (a longer original keeps everything
   that a shortened copy kept): the one that holds most of the copies aligned with it (each
   counted by its containment in it times its letters and digits: spaces, punctuation and marks
   left out, so that the same paragraph with other spacing weighs the same), by more than ``TIE``
   (1%) of it; or, among members within ``TIE`` of that most, the one the copies aligned with it
   are on average most contained in, by more than ``TIE`` (0.01) above the next. Copies that tie
   (the same paragraph, spaced differently) single out none.

When none does, ``origin`` is ``None`` and ``origin_reason`` says why.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .agencies import WIRE_AGENCIES, wire_agency
from .checks import check_int, check_number
from .dates import parse_date, period, precedes
from .records import Document, Pair, Passage, Span
from .scan import ScanResult, check_result

__all__ = [
    "TIE",
    "WIRE_AGENCIES",
    "Cluster",
    "duplicate_groups",
    "find_clusters",
    "parse_date",
    "passage_clusters",
    "wire_agency",
]

TIE = 0.01
"""Containment evidence within this share of each other is a tie (rule 3: no origin by containment)."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """A passage found in ``documents`` documents: its copies (``members``) and its likely origin.

    Example:
        >>> c = Cluster(1, [Span("a", 0, 90), Span("b", 5, 99), Span("c", 0, 80)], Span("a", 0, 90),
        ...             "earliest date (2024-01-01)", 3)
        >>> c.origin in c.members, c.documents
        (True, 3)
    """

    id: int
    members: list[Span]
    origin: Span | None
    origin_reason: str
    documents: int


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:  # path compression keeps later finds near O(1)
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            # The smaller index wins so that roots, and everything ordered by them, are deterministic.
            self.parent[max(ri, rj)] = min(ri, rj)


def _same_member(s: Span, t: Span, min_overlap: float) -> bool:
    overlap = min(s.end, t.end) - max(s.start, t.start)
    return overlap > 0 and overlap >= min_overlap * min(len(s), len(t))


def _members(sides: Sequence[Span], min_overlap: float) -> list[int]:
    """For each passage side, the index of its member (a group of overlapping sides of one document)."""
    uf = _UnionFind(len(sides))
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, span in enumerate(sides):
        by_doc[span.doc].append(i)
    for indices in by_doc.values():
        # A document that carries a wire paragraph many outlets ran holds one side of it for each
        # of them, most of them the same span: each span once (the same member as its copies),
        # else the sweep below compared every side with every other (a scan of 1,000 outlets
        # running one paragraph: 20 million comparisons).
        distinct: dict[tuple[int, int], int] = {}
        for i in indices:
            first = distinct.setdefault((sides[i].start, sides[i].end), i)
            if first != i and _same_member(sides[i], sides[first], min_overlap):
                uf.union(i, first)
        indices = sorted(distinct.values(), key=lambda i: (sides[i].start, sides[i].end))
        active: list[int] = []
        for i in indices:
            active = [j for j in active if sides[j].end > sides[i].start]
            for j in active:
                if _same_member(sides[i], sides[j], min_overlap):
                    uf.union(i, j)
            active.append(i)
    return [uf.find(i) for i in range(len(sides))]


class _Facts:
    """What the origin rules ask of the members' documents, each worked out once.

    A scan's documents are a :class:`~dedup.store.DocumentStore`, whose every lookup reads the
    document's text back from its temporary file: a document holding members of several clusters,
    or spans aligned with many copies, was read again for each (most of the rules' cost on a scan of
    thousands of documents). ``letters``, when given, holds every passage side's letters and digits;
    otherwise they are counted for all of ``spans`` of a document when one of them is first asked for.
    """

    def __init__(
        self, documents: Mapping[str, Document], letters: Mapping[Span, int] | None, spans: Iterable[Span]
    ) -> None:
        self.documents = documents
        self.given = letters
        self._documents: dict[str, tuple[str | None, tuple[float, float], str | None, str | None]] = {}
        self._letters: dict[Span, int] = {}
        self._uncounted: dict[str, set[Span]] = defaultdict(set)
        if letters is None:
            for span in spans:
                self._uncounted[span.doc].add(span)

    def _document(self, doc: str) -> tuple[str | None, tuple[float, float], str | None, str | None]:
        facts = self._documents.get(doc)
        if facts is None:
            document = self.documents[doc]
            date, source = document.date, document.source
            facts = self._documents[doc] = (date, period(date), source, wire_agency(source))
        return facts

    def date(self, doc: str) -> str | None:
        """The document's date as given."""
        return self._document(doc)[0]

    def period(self, doc: str) -> tuple[float, float]:
        """The document's date as :func:`dedup.dates.period` reads it."""
        return self._document(doc)[1]

    def source(self, doc: str) -> str | None:
        return self._document(doc)[2]

    def agency(self, doc: str) -> str | None:
        """The wire agency the document's source names (:func:`wire_agency`), or None."""
        return self._document(doc)[3]

    def letters(self, span: Span) -> int:
        """The letters and digits of a span's text: its length, whatever its spacing and punctuation."""
        if self.given is not None:
            return self.given[span]
        count = self._letters.get(span)
        if count is None:
            text = self.documents[span.doc].text
            for counted in self._uncounted.pop(span.doc, set()) | {span}:
                self._letters[counted] = sum(map(str.isalnum, counted.slice(text)))
            count = self._letters[span]
        return count


def _origin(
    members: list[Span], scores: Mapping[Span, list[tuple[float, Span]]], facts: _Facts
) -> tuple[Span | None, str]:
    candidates = members
    reasons: list[str] = []
    dated = [(facts.period(m.doc), m) for m in members]
    known = [(d, m) for d, m in dated if not math.isnan(d[0])]
    if len({m.doc for _, m in known}) >= 2:
        # The members no other member's date wholly precedes (the earliest instant, or dates
        # that overlap it: a day and a time within it).
        candidates = [m for d, m in known if not any(precedes(*e, *d) for e, _ in known)]
        label = " / ".join(dict.fromkeys(str(facts.date(m.doc)) for m in candidates))
        # Copies without a date are not compared: said, as one of them may be the earlier (a date
        # given and not read apart: the members show it).
        left = {m.doc for d, m in dated if math.isnan(d[0])}
        undated = sum(not (facts.date(doc) or "").strip() for doc in left)
        unread = len(left) - undated
        parts = [f"{undated} undated cop{'y' if undated == 1 else 'ies'}"] if undated else []
        parts += [f"{unread} cop{'y' if unread == 1 else 'ies'} whose date could not be read"] if unread else []
        unknown = f", {' and '.join(parts)} left out" if parts else ""
        if len({m.doc for m in candidates}) == 1 and len(candidates) == 1:
            return candidates[0], f"earliest date ({label}{unknown})"
        reasons.append(f"earliest date ({label}{unknown}) shared by {len(candidates)} copies")
    wired = [(facts.agency(m.doc), m) for m in candidates]
    agencies = [(a, m) for a, m in wired if a is not None]
    if len(agencies) == 1:
        agency, member = agencies[0]
        source = facts.source(member.doc)
        return member, "; ".join([*reasons, f"wire agency source ({source!r}: {agency})"])
    if agencies:
        candidates = [m for _, m in agencies]
        reasons.append(f"{len(candidates)} copies from wire agencies")
    # How much of the aligned copies' text a member holds (containment times letters), so that a
    # fragment fully containing one small copy does not outrank the full original. Letters, not
    # characters: a copy with doubled spaces is no more text. Two copies hold about as much of each
    # other (what they share), so among near equals the average containment decides; a near tie
    # of that singles out nobody either.
    held = {m: sum(c * facts.letters(n) for c, n in scores[m]) for m in candidates}
    share = {m: sum(c for c, _ in scores[m]) / max(1, len(scores[m])) for m in candidates}
    most = max(held.values())
    near = sorted((m for m in candidates if held[m] * (1 + TIE) >= most - 1e-9), key=lambda m: (-share[m], m))
    if len(near) == 1 or share[near[0]] > share[near[1]] + TIE:
        best = near[0]
        reasons.append(f"most contained: the copies aligned with it are on average {share[best]:.2f} contained in it")
        return best, "; ".join(reasons)
    reasons.append("undetermined: no date, wire agency or containment singles out one copy")
    return None, "; ".join(reasons)


def find_clusters(
    result: ScanResult, *, min_documents: int = 3, min_overlap: float = 0.5, letters: Mapping[Span, int] | None = None
) -> list[Cluster]:
    """The passages of a scan that travel through at least ``min_documents`` documents, with origins.

    Clusters come largest first (documents, then members), ties by their first member; ids count
    from 1 in that order. Members are sorted by (document, start). ``letters``, when given, holds
    the letters and digits of every passage side, for documents whose texts are not at hand (the
    Spark engine counts them where the texts are); by default they are counted in the texts.

    Example:
        >>> from dedup.records import Document, Passage, Span
        >>> docs = {d: Document(d, "x" * 200, source=d, date=f"2024-01-0{n}") for n, d in enumerate("abc", 1)}
        >>> passages = [Passage(Span("a", 0, 100), Span("b", 10, 110), 0.9, 0.9, 0.9, 5),
        ...             Passage(Span("b", 12, 108), Span("c", 50, 150), 0.9, 0.9, 0.9, 5)]
        >>> result = ScanResult(passages, [], docs, [], 2, 0)
        >>> [(c.id, c.documents, c.origin, c.origin_reason) for c in find_clusters(result)]
        [(1, 3, Span(doc='a', start=0, end=100), 'earliest date (2024-01-01)')]
    """
    check_result(result)
    min_documents = check_int("min_documents", min_documents, 2)
    min_overlap = check_number("min_overlap", min_overlap, 0.0, 1.0, low_open=True)
    passages: list[Passage] = list(result.passages)
    sides = [span for p in passages for span in (p.a, p.b)]
    member_of = _members(sides, min_overlap)
    links = _UnionFind(len(sides))
    for k in range(len(passages)):
        links.union(member_of[2 * k], member_of[2 * k + 1])
    hulls: dict[int, Span] = {}
    for i, span in enumerate(sides):
        m = member_of[i]
        hull = hulls.get(m)
        if hull is not None:
            span = Span(span.doc, min(hull.start, span.start), max(hull.end, span.end))
        hulls[m] = span
    # Containment evidence: how much of each aligned copy is found in this member.
    scores: dict[Span, list[tuple[float, Span]]] = defaultdict(list)
    for k, p in enumerate(passages):
        scores[hulls[member_of[2 * k]]].append((p.containment_b, p.b))
        scores[hulls[member_of[2 * k + 1]]].append((p.containment_a, p.a))
    groups: dict[int, set[int]] = defaultdict(set)
    for m in hulls:
        groups[links.find(m)].add(m)
    found: list[tuple[list[Span], int]] = []
    for group in groups.values():
        members = sorted(hulls[m] for m in group)
        documents = len({m.doc for m in members})
        if documents >= min_documents:
            found.append((members, documents))
    found.sort(key=lambda t: (-t[1], -len(t[0]), t[0][0]))
    clusters = []
    facts = _Facts(result.documents, letters, (n for aligned in scores.values() for _, n in aligned))
    for n, (members, documents) in enumerate(found, 1):
        origin, reason = _origin(members, scores, facts)
        clusters.append(Cluster(n, members, origin, reason, documents))
    return clusters


def passage_clusters(passages: Sequence[Passage], clusters: Sequence[Cluster]) -> list[int | None]:
    """For each passage, the id of the cluster whose members hold both its sides, or None.

    Example:
        >>> c = Cluster(1, [Span("a", 0, 100), Span("b", 0, 100), Span("c", 0, 100)], None, "", 3)
        >>> p = Passage(Span("a", 10, 90), Span("c", 0, 100), 1.0, 1.0, 1.0, 4)
        >>> q = Passage(Span("a", 10, 90), Span("d", 0, 100), 1.0, 1.0, 1.0, 4)
        >>> passage_clusters([p, q], [c])
        [1, None]
    """
    where: dict[str, list[tuple[Span, int]]] = defaultdict(list)
    for cluster in clusters:
        for member in cluster.members:
            where[member.doc].append((member, cluster.id))

    def inside(span: Span) -> set[int]:
        return {cid for m, cid in where.get(span.doc, ()) if m.start <= span.start and span.end <= m.end}

    out: list[int | None] = []
    for p in passages:
        both = sorted(inside(p.a) & inside(p.b))
        out.append(both[0] if both else None)
    return out


def duplicate_groups(pairs: Iterable[Pair], min_coverage: float = 0.8) -> list[list[str]]:
    """Groups of (near-)duplicate documents: what cleaning a corpus keeps one of.

    Two documents are duplicates when the passages they share cover at least ``min_coverage`` of
    each (``Pair.coverage_a`` and ``coverage_b``): the same page under two ids, or with another
    date line or footer. So are two whose n-gram sets are at least ``min_coverage`` alike, both
    exactly without boilerplate (``Pair.jaccard``) and estimated over the whole texts
    (``jaccard_estimate``, so that two pages of different templates around one paragraph are not):
    a page holding a paragraph printed three times has its passage cover one printing, and two
    copies of it would otherwise not be duplicates. A group is a connected component of such pairs
    (union-find), its ids sorted; groups come largest first, then by their first id. Keep one document of each group
    and drop the others. A copy cut short covers all of itself but only part of the whole text:
    a lower ``min_coverage`` (0.5) groups it too, and more pairs that share less. ``pairs`` are a
    scan's (``ScanResult.pairs``) or read back from its JSONL report
    (:func:`dedup.report.parse_records`). A page printed more often than the LSH buckets hold
    (``max_bucket`` windows) pairs each copy with one other (a chain), which still makes them one
    group; the summary names it (``common_text``).

    Example:
        >>> from dedup import scan
        >>> page = "the same page printed under three ids by a crawler that went round in a loop " * 4
        >>> footer = "Copyright 2024 The Daily Gazette, all rights reserved."
        >>> result = scan([Document("p3", page), Document("p1", page), Document("p2", page + footer)])
        >>> duplicate_groups(result.pairs)
        [['p1', 'p2', 'p3']]
        >>> duplicate_groups(result.pairs, min_coverage=0.9)
        [['p1', 'p3']]
    """
    check_number("min_coverage", min_coverage, 0.0, 1.0)
    ids: dict[str, int] = {}
    links: list[tuple[int, int]] = []
    for pair in pairs:
        covered = pair.coverage_a >= min_coverage and pair.coverage_b >= min_coverage
        if covered or (pair.jaccard >= min_coverage and pair.jaccard_estimate >= min_coverage):
            links.append((ids.setdefault(pair.a, len(ids)), ids.setdefault(pair.b, len(ids))))
    groups = _UnionFind(len(ids))
    for i, j in links:
        groups.union(i, j)
    members: dict[int, list[str]] = defaultdict(list)
    for doc, i in ids.items():
        members[groups.find(i)].append(doc)
    return sorted((sorted(group) for group in members.values()), key=lambda group: (-len(group), group[0]))
