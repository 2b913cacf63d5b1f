"""Candidate pairs: the documents whose windows share band keys, counted over every band.

Each band's keys are sorted into buckets; the distinct document pairs of a bucket are counted
once a band, and a pair is a candidate when it shares at least ``min_shared`` bands (the scan's
``min_bands``, or fewer for briefs: :func:`dedup.pairs.least_bands`). The counts
are kept in a table of every pair where it fits the memory budget, else in sorted runs spilled
past it (docs/performance.md, "Candidates counted in a table of every pair"). Buckets too common
to compare every pair of their members are skipped and named (:attr:`Candidates.buckets`), and
their documents chained instead: each is paired with the next in the order of their document keys
(:func:`document_key`), so that text every outlet ran still links its carriers, at a cost linear
in the bucket (:func:`chained_pairs`).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import xxhash
from numba import njit

from ._arrays import distinct, merge_counts
from .checks import check_bool, check_int
from .errors import ParameterError
from .store import SortedRuns

__all__ = ["Candidates", "candidate_pairs", "candidate_pairs_banded", "chain_ranks", "chained_pairs", "document_key"]

_T = TypeVar("_T")
_K = TypeVar("_K")
_FIRST_PAIRS = 1 << 16  # a band's first buffer of document pairs, grown as needed ...
_STEP_PAIRS = 1 << 21  # ... up to this many, then made distinct a buffer-full at a time
_SPLIT = 1 << 18  # counted pairs from which two threads merge them
_BLOCK = 4096  # sorted keys scanned for bucket starts at a time (the starts stay in the L1 cache)
_LOW32 = np.uint64(0xFFFFFFFF)
_GRID_CELLS = 4096  # ranges of `low` the spilled pair lists are indexed by


@dataclass(frozen=True, slots=True)
class Candidates:
    """Pairs of items that share a band, with how many bands they share.

    ``left`` < ``right`` index the items given to :func:`candidate_pairs`; ``suppressed`` counts the
    buckets skipped because more than ``max_bucket`` items fell into them (too common to compare
    every pair of their members: only their chain's pairs, :func:`chained_pairs`). ``buckets`` has
    one row ``(band, key, group, other, items)`` for each of them: its band, its key, the group of
    its first item in input order (or, given a ``rank`` of the groups, its group of lowest rank),
    the next group among its items (-1 when all are the first's), and the items it held.

    Example:
        >>> keys = np.array([[5, 1], [5, 1], [6, 1]], dtype=np.uint64)  # band 1: one bucket of all three
        >>> c = candidate_pairs(keys, np.array([0, 1, 2]), np.array([0, 1, 2]), max_bucket=2)
        >>> c.left.tolist(), c.right.tolist(), c.shared_bands.tolist(), c.suppressed, c.buckets[0].tolist()
        ([0, 1], [1, 2], [2, 1], 1, [1, 1, 0, 1, 3])
    """

    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    shared_bands: npt.NDArray[np.int64]
    suppressed: int
    buckets: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros((0, 5), dtype=np.int64))


def document_key(doc_id: str) -> int:
    """A document's 64-bit key: xxh64 of its UTF-8 id, as a signed integer.

    The order in which a skipped bucket chains its documents (:func:`chained_pairs`), and the
    Spark engine's number for a document: an order that does not depend on the input's, and that
    every engine knows from the ids alone.

    Example:
        >>> document_key("a") == document_key("a"), document_key("a") == document_key("b")
        (True, False)
    """
    return int(np.uint64(xxhash.xxh64_intdigest(doc_id.encode("utf-8"))).astype(np.int64))


def chain_ranks(ids: Sequence[str]) -> npt.NDArray[np.int64]:
    """Each document's place in the chain order: by :func:`document_key`, then by id (distinct numbers).

    Example:
        >>> ids = ["a", "b", "c"]
        >>> [ids[i] for i in np.argsort(chain_ranks(ids))] == sorted(ids, key=lambda i: (document_key(i), i))
        True
    """
    keys = np.array([xxhash.xxh64_intdigest(i.encode("utf-8")) for i in ids], dtype=np.uint64).view(np.int64)
    order = np.argsort(keys, kind="stable")
    if len(keys) > 1 and (np.diff(keys[order]) == 0).any():  # two ids of one key (one in 2**64): by id
        order = np.array(sorted(range(len(ids)), key=lambda i: (int(keys[i]), ids[i])), dtype=np.int64)
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[order] = np.arange(len(ids))
    return ranks


@njit(cache=True, nogil=True)
def chained_pairs(
    keys: npt.NDArray[np.int64], docs: npt.NDArray[np.int64], sources: npt.NDArray[np.int64], same_source: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The pairs of a skipped bucket: its documents in key order, each with the next one of another source.

    ``keys[x]``, ``docs[x]`` and ``sources[x]`` are member x's chain key, document and source: a
    document may hold several members of the bucket, with one key (and distinct documents distinct
    keys). Each document is paired with the first after it in key order whose source differs (the
    very next with ``same_source``); the documents of the last run of one source, which have none
    after them, with the last document before that run. A run of one outlet's documents thus all
    pair with one document of another, a bucket of n documents gives at most n - 1 pairs, and they
    link every document of a bucket that holds two sources. Pairs come as (lower, higher) document
    numbers.

    Example:
        >>> keys, docs = np.array([30, 10, 20, 10, 40, 50]), np.array([3, 1, 2, 1, 4, 5])
        >>> lo, hi = chained_pairs(keys, docs, np.array([0, 0, 1, 0, 1, 2]), False)
        >>> list(zip(lo.tolist(), hi.tolist()))
        [(1, 2), (2, 3), (3, 4), (4, 5)]
        >>> lo, hi = chained_pairs(keys, docs, np.array([0, 0, 0, 0, 1, 1]), False)
        >>> list(zip(lo.tolist(), hi.tolist()))
        [(1, 4), (2, 4), (3, 4), (3, 5)]
    """
    order = np.argsort(keys, kind="mergesort")
    doc = np.empty(len(order), dtype=np.int64)
    source = np.empty(len(order), dtype=np.int64)
    m = 0
    for x in order:
        if m == 0 or docs[x] != doc[m - 1]:
            doc[m] = docs[x]
            source[m] = sources[x]
            m += 1
    partner = np.full(m, -1, dtype=np.int64)
    following = -1  # the first place after j holding another source than j's (-1: none)
    for j in range(m - 2, -1, -1):
        if same_source or source[j + 1] != source[j]:
            following = j + 1
        partner[j] = following
    # The last run (no other source after it): its first is linked already, the rest to the place before it.
    last = m - 1
    while not same_source and last > 0 and source[last - 1] == source[m - 1]:
        last -= 1
    for j in range(last + 1, m):
        partner[j] = last - 1
    lo = np.empty(m, dtype=np.int64)
    hi = np.empty(m, dtype=np.int64)
    count = 0
    for j in range(m):
        if partner[j] >= 0:
            lo[count] = min(doc[j], doc[partner[j]])
            hi[count] = max(doc[j], doc[partner[j]])
            count += 1
    return lo[:count].copy(), hi[:count].copy()


def candidate_pairs(
    keys: npt.NDArray[np.uint64],
    groups: npt.NDArray[np.int64],
    sources: npt.NDArray[np.int64],
    *,
    same_source: bool = False,
    max_bucket: int = 256,
    chain: npt.NDArray[np.integer] | None = None,
) -> Candidates:
    """Pairs of groups (documents) with at least one item pair sharing a band key.

    ``keys`` holds one row of band keys per item (window); ``groups[i]`` is the document of item i
    and ``sources[i]`` its outlet. Pairs inside one document are never returned, pairs inside one
    outlet only with ``same_source``. The result is at the group level, ``left < right``. A bucket
    of more than ``max_bucket`` items gives the pairs of its chain (:func:`chained_pairs`, in the
    order of ``chain``, one number a group, default the group numbers), not every pair.

    Example:
        >>> keys = np.array([[1, 7], [1, 8], [2, 8], [3, 9]], dtype=np.uint64)
        >>> c = candidate_pairs(keys, np.array([0, 1, 2, 3]), np.array([0, 1, 2, 3]))
        >>> [(int(a), int(b), int(n)) for a, b, n in zip(c.left, c.right, c.shared_bands)]
        [(0, 1, 1), (1, 2, 1)]
    """
    if keys.ndim != 2 or len(groups) != keys.shape[0] or len(sources) != keys.shape[0]:
        raise ParameterError(
            f"keys ({keys.shape}), groups ({len(groups)}) and sources ({len(sources)}) must have one row per item"
        )
    check_int("max_bucket", max_bucket, 2)
    check_bool("same_source", same_source)  # ("no" is truthy: it would compare an outlet with itself)
    pairs_of = _BandPairs(groups, sources, same_source, max_bucket, chain=chain)
    counts = _PairCounts(keys.shape[1])
    buckets = []
    for band in range(keys.shape[1]):
        pairs, skipped = pairs_of(keys[:, band])
        counts.add(pairs)
        buckets.append(_with_band(band, skipped))
    return _skipped(counts.candidates(1), buckets)


def _with_band(band: int, skipped: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """A band's skipped buckets (key, group, other, items) as rows (band, key, group, other, items)."""
    rows = np.empty((len(skipped), 5), dtype=np.int64)
    rows[:, 0] = band
    rows[:, 1:] = skipped
    return rows


def _skipped(found: Candidates, buckets: list[npt.NDArray[np.int64]]) -> Candidates:
    """``found`` with the skipped buckets of every band, and their count."""
    rows = np.concatenate(buckets) if buckets else np.zeros((0, 5), dtype=np.int64)
    return replace(found, suppressed=len(rows), buckets=rows)


def candidate_pairs_banded(
    column: Callable[[int], npt.NDArray[np.unsignedinteger]],
    bands: int,
    groups: npt.NDArray[np.integer],
    sources: npt.NDArray[np.integer],
    *,
    same_source: bool = False,
    max_bucket: int = 256,
    min_shared: int = 1,
    budget: int = 256 << 20,
    threads: int | None = None,
    accept: Accept | None = None,
    members: Callable[[int], npt.NDArray[np.integer] | None] | None = None,
    rank: npt.NDArray[np.integer] | None = None,
    chain: npt.NDArray[np.integer] | None = None,
) -> Candidates:
    """:func:`candidate_pairs` over keys given one band at a time (``column(band)``, one key per item).

    Only one band's column need exist at a time, so an index can keep its keys in any compact
    form (e.g. per batch, band-major, 32 bits) and hand each band over in turn. Only pairs sharing
    at least ``min_shared`` bands are returned. Pairs that share one band by chance grow with the
    square of the corpus. Each band's pairs are counted as the band comes (a pair several bands
    hold is held once); once they take more bytes than a table of every pair of groups would, or
    than the rest of ``budget`` beside that table (when the table fits in it), the table counts
    them and every later band's; when
    the pairs counted take more than ``budget`` bytes, they and every later band's go to a
    temporary file and are counted a range of ``left`` at a time (about ``budget / 16`` pairs
    each), so memory stays bounded, each band is enumerated once, and the result is the same.
    ``threads`` bands are worked on at once (default: the cores this process may use, two at most).
    ``accept(left, right, shared)``, when given, is a stricter rule than ``min_shared`` (one that
    looks at the pair's groups, say): it returns the pairs it keeps, in order (it may compact the
    arrays it is given in place), and is applied to the counted pairs a part at a time, so that
    the pairs it rejects are never all held at once.
    ``members(band)``, when given and not None for a band, are the items (ascending indices) that
    band holds, ``column(band)`` one key each: a band of some items only (a scan bands short
    documents' windows on more bands than the others').
    ``rank``, when given, has one distinct number per group (``rank[g]`` for group ``g``): a skipped
    bucket's row then names its two groups of lowest rank, not its first two in input order (a
    scan ranks documents by id, so that the row does not depend on the input's order).
    ``chain``, when given, has one distinct number per group: the order in which a skipped bucket
    chains its groups (:func:`chained_pairs`; a scan gives :func:`chain_ranks` of the ids), else
    the group numbers.

    Example:
        >>> cols = [np.array([1, 1, 2, 3], np.uint32), np.array([7, 8, 8, 9], np.uint32)]
        >>> c = candidate_pairs_banded(cols.__getitem__, 2, np.arange(4), np.arange(4))
        >>> [(int(a), int(b), int(n)) for a, b, n in zip(c.left, c.right, c.shared_bands)]
        [(0, 1, 1), (1, 2, 1)]
        >>> cols.append(np.array([5, 5], np.uint32))  # a third band holding items 0 and 2 only
        >>> c = candidate_pairs_banded(cols.__getitem__, 3, np.arange(4), np.arange(4),
        ...                            members=[None, None, np.array([0, 2])].__getitem__)
        >>> [(int(a), int(b), int(n)) for a, b, n in zip(c.left, c.right, c.shared_bands)]
        [(0, 1, 1), (0, 2, 1), (1, 2, 1)]
    """
    if max_bucket < 2:
        raise ParameterError(f"max_bucket must be at least 2, got {max_bucket}")
    if len(sources) != len(groups):
        raise ParameterError(f"groups ({len(groups)}) and sources ({len(sources)}) must have one value for each item")
    pairs_of = _BandPairs(groups, sources, same_source, max_bucket, rank, chain)

    def keys_of(band: int) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.int64] | None]:
        keys: npt.NDArray[np.generic] = column(band)
        held = members(band) if members is not None else None
        items = None if held is None else np.ascontiguousarray(held, dtype=np.int64)
        wrong = items is not None and len(items) > 0 and (items[0] < 0 or items[-1] >= len(groups))
        if items is not None and (wrong or (np.diff(items) <= 0).any()):
            shown = ", ".join(str(i) for i in items[:5].tolist()) + (", ..." if len(items) > 5 else "")
            rule = f"ascending item indices below {len(groups)}"
            raise ParameterError(f"band {band}'s members must be {rule}, got {shown}")
        expected = len(groups) if items is None else len(items)
        if keys.ndim != 1 or len(keys) != expected:
            which = "each item" if items is None else "each of its members"
            raise ParameterError(f"band {band} has {len(keys)} keys, expected {expected} (one for {which})")
        return keys, items

    threads = _threads() if threads is None else threads
    counts = _PairCounts(bands)
    top = int(np.max(groups)) + 1 if len(groups) else 1
    # Where most pairs of documents share a band (one story every outlet covers), a table of every
    # pair takes less memory than the list of those counted, and counts a pair without sorting.
    table_bytes = _PairTable.nbytes_for(top, bands)
    table: _PairTable | None = None
    runs: SortedRuns | None = None
    buckets = []
    for band, (pairs, skipped) in enumerate(_each_band(keys_of, bands, lambda held: pairs_of(*held), threads)):
        buckets.append(_with_band(band, skipped))
        if table is not None:
            table.add(pairs, band)
        elif runs is None:
            counts.add(pairs)
            # (The runs and the table are both held while the one fills the other: the table takes
            # over once the runs are as large, or sooner where both would pass the budget.)
            if table_bytes <= budget and counts.nbytes >= min(table_bytes, budget - table_bytes):
                table = _PairTable(top, bands, counts)
                pairs_of.distinct = False  # the table counts a pair once a band itself
                continue
            if counts.nbytes <= budget:
                continue
            # Over budget: the counted pairs, and every later band's, go to a temporary file, to be
            # counted a range of `low` at a time (each run is sorted, so a range is one slice of each).
            step = -(-top // _GRID_CELLS)
            runs = SortedRuns(np.arange(step, top, step, dtype=np.uint64) << np.uint64(32))
            counts.spill(runs)
        else:
            runs.add(pairs)
        del pairs
    if table is not None:
        return _skipped(table.candidates(min_shared, accept, budget // 16), buckets)
    if runs is None:
        return _skipped(counts.candidates(min_shared, threads, accept), buckets)
    try:
        return _skipped(_count_runs(runs, min_shared, budget // 16, accept), buckets)
    finally:
        runs.close()


# Counted pairs: left, right and bands shared.
_Pairs = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]
# A rule a candidate search applies to its counted pairs, returning the pairs it keeps (see
# candidate_pairs_banded).
Accept = Callable[[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]], _Pairs]


def _accepted(part: _Pairs, accept: Accept | None) -> _Pairs:
    """``accept``'s pairs of ``part``, in arrays of their own (a view would hold the whole part)."""
    if accept is None:
        return part
    size = len(part[0])
    kept = accept(*part)
    return kept if len(kept[0]) == size else (kept[0].copy(), kept[1].copy(), kept[2].copy())


def _joined(parts: list[_Pairs]) -> Candidates:
    """The pairs of ``parts`` (each after the one before in order) as one :class:`Candidates`."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, empty, 0)
    if len(parts) == 1:
        return Candidates(*parts[0], 0)
    left, right, shared = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return Candidates(left, right, shared, 0)


def _count_runs(runs: SortedRuns, min_shared: int, most: int, accept: Accept | None = None) -> Candidates:
    """The pairs in ``min_shared`` or more of the runs, and ``accept``'s, counted ``most`` values at a time.

    The skipped buckets are the caller's to add (:func:`_skipped`).
    """
    cells = runs.cells()
    counted: list[_Pairs] = []
    first = 0
    while first < len(cells):
        last, size = first + 1, int(cells[first])
        while last < len(cells) and size + int(cells[last]) <= most:
            size += int(cells[last])
            last += 1
        if size:
            # The ranges follow each other in order, so their results simply follow each other.
            counted.append(_accepted(_count_shared(runs.read(first, last), min_shared), accept))
        first = last
    return _joined(counted)


def _threads() -> int:
    """Threads for the bands, and the scan's default for its stages: the cores this process may use, two at most."""
    try:
        return max(1, min(2, len(os.sched_getaffinity(0))))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, min(2, os.cpu_count() or 1))


def _each_band(
    keys_of: Callable[[int], _K],
    bands: int,
    work: Callable[[_K], _T],
    threads: int,
) -> Iterator[_T]:
    """``work(keys_of(band))`` for each band in turn, up to ``threads`` bands being worked on at once.

    ``keys_of`` runs in the calling thread (an index's column need not be thread-safe) and the
    results come in band order, so the outcome does not depend on the threads; ``work`` gains from
    threads only as far as it releases the GIL. At most ``threads + 1`` bands are held at a time.
    """
    if threads < 2 or bands < 2:
        for band in range(bands):
            yield work(keys_of(band))
        return
    with ThreadPoolExecutor(threads) as pool:
        pending: deque[Future[_T]] = deque()
        for band in range(bands):
            pending.append(pool.submit(work, keys_of(band)))
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class _BandPairs:
    """The distinct group pairs (packed ``low << 32 | high``) sharing a key of a band, and the buckets suppressed.

    Made once for many bands of the same items, with the groups and sources prepared once.
    """

    def __init__(
        self,
        groups: npt.NDArray[np.integer],
        sources: npt.NDArray[np.integer],
        same_source: bool,
        max_bucket: int,
        rank: npt.NDArray[np.integer] | None = None,
        chain: npt.NDArray[np.integer] | None = None,
    ) -> None:
        self.groups = np.ascontiguousarray(groups, dtype=np.int64)
        # Empty: a skipped bucket names its first groups in input order (the kernel's rule without a
        # rank), and chains its groups in the order of their numbers.
        self.rank = np.zeros(0, dtype=np.int64) if rank is None else np.ascontiguousarray(rank, dtype=np.int64)
        self.chain = np.zeros(0, dtype=np.int64) if chain is None else np.ascontiguousarray(chain, dtype=np.int64)
        for name, values in (("rank", self.rank), ("chain", self.chain)):
            if len(values) and len(self.groups) and (self.groups.min() < 0 or self.groups.max() >= len(values)):
                raise ParameterError(f"{name} ({len(values)} values) must have one value for each group")
        self.sources = np.ascontiguousarray(sources, dtype=np.int64)
        self.same_source = bool(same_source)
        self.max_bucket = int(max_bucket)
        self.buffers = threading.local()
        self.distinct = True  # False: a band's pairs may repeat (a pair table counts them once)
        # When every item's source is its group's (always so in a scan) and the groups are small
        # numbers, keys are packed with the group instead of the item: the kernel then reads small
        # per-group arrays that stay in cache, not per-item ones at random (faster, measured).
        # (The bound on the numbers keeps the per-group arrays no larger than the per-item ones.)
        self.by_group: tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None
        n = len(self.groups)
        if n and len(self.sources) == n and self.groups.min() >= 0 and self.groups.max() < min(1 << 32, 2 * n + 256):
            group_source = np.zeros(int(self.groups.max()) + 1, dtype=np.int64)
            group_source[self.groups] = self.sources
            if np.array_equal(group_source[self.groups], self.sources):
                ids = np.arange(len(group_source), dtype=np.int64)
                self.by_group = (self.groups.astype(np.uint64), ids, group_source)

    def __call__(
        self, column: npt.NDArray[np.generic], items: npt.NDArray[np.int64] | None = None
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        """The band's sorted distinct pairs, and its skipped buckets: one row (key, group, other, items) each.

        ``items``: the (ascending) items the keys are of, when the band holds some items only.
        """
        every = len(self.groups) if items is None else int(items[-1]) + 1 if len(items) else 0
        if column.dtype.itemsize <= 4 and (self.by_group is not None or every <= 1 << 32):
            # Key and item packed in one uint64 and sorted as plain numbers: an order of magnitude
            # faster than argsort of the keys (measured). Built in place: each temporary costs a pass.
            packed = column.astype(np.uint64)
            packed <<= np.uint64(32)
            if self.by_group is not None:
                packed |= self.by_group[0] if items is None else self.by_group[0][items]
                packed.sort()
                return self._pairs(packed, packed, 32, _LOW32, self.by_group[1], self.by_group[2])
            packed |= np.arange(len(column), dtype=np.uint64) if items is None else items.astype(np.uint64)
            packed.sort()
            return self._pairs(packed, packed, 32, _LOW32, self.groups, self.sources)
        if column.dtype.kind not in "ui":
            # Numbers that are equal where the keys compare equal (NaN to nothing), for the kernel.
            column = np.unique(column, return_inverse=True, equal_nan=False)[1]
        order = np.argsort(column, kind="stable")  # a bucket's items in input order (its first is named)
        ordered = column[order].astype(np.uint64)
        if items is not None:
            order = items[order]
        return self._pairs(ordered, order.view(np.uint64), 0, ~np.uint64(0), self.groups, self.sources)

    def _pairs(
        self,
        ordered: npt.NDArray[np.uint64],
        order: npt.NDArray[np.uint64],
        key_shift: int,
        item_mask: np.uint64,
        groups: npt.NDArray[np.int64],
        sources: npt.NDArray[np.int64],
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        """The kernel's pairs of the sorted items, a few million at a time, made distinct, and the skipped buckets."""
        # A buffer per thread, kept from band to band, grown to what a band needs but no further
        # than a few million pairs; beyond, each buffer-full is reduced to distinct pairs at once:
        # the raw pairs of a band were the peak of the whole scan's memory.
        out: npt.NDArray[np.uint64] | None = getattr(self.buffers, "out", None)
        if out is None:
            out = np.empty(_FIRST_PAIRS, dtype=np.uint64)
        found = []
        # A skipped bucket holds more than max_bucket items, so a band has at most this many.
        skipped = np.empty((len(ordered) // (self.max_bucket + 1) + 1, 4), dtype=np.int64)
        suppressed = 0
        filled = 0
        start = 0
        while True:
            filled, start, suppressed = _band_pairs_kernel(
                ordered, order, key_shift, item_mask, groups, sources, self.same_source, self.max_bucket, start,
                out, filled, skipped, suppressed, self.rank, self.chain,
            )  # fmt: skip
            if start == len(ordered):
                break
            if filled and len(out) >= _STEP_PAIRS:
                found.append(distinct(out[:filled]) if self.distinct else out[:filled].copy())
                filled = 0
            else:  # (also when a single bucket has more pairs than the buffer holds)
                grown = np.empty(2 * len(out), dtype=np.uint64)
                grown[:filled] = out[:filled]
                out = grown
        self.buffers.out = out
        if not self.distinct:
            return np.concatenate([*found, out[:filled]]), skipped[:suppressed]
        found.append(distinct(out[:filled]))
        # Several windows of the same two documents collide in one band: count the band once.
        return (found[0] if len(found) == 1 else distinct(np.concatenate(found))), skipped[:suppressed]


@njit(cache=True, nogil=True)
def _band_pairs_kernel(
    ordered: npt.NDArray[np.uint64],
    order: npt.NDArray[np.uint64],
    key_shift: int,
    item_mask: np.uint64,
    groups: npt.NDArray[np.int64],
    sources: npt.NDArray[np.int64],
    same_source: bool,
    max_bucket: int,
    start: int,
    out: npt.NDArray[np.uint64],
    filled: int,
    skipped: npt.NDArray[np.int64],
    suppressed: int,
    rank: npt.NDArray[np.int64],
    chain: npt.NDArray[np.int64],
) -> tuple[int, int, int]:
    """Group pairs of the buckets of items sorted by key, from position ``start`` on, into ``out``.

    Item ``x`` of the sorted order is ``order[x] & item_mask`` and its key ``ordered[x] >>
    key_shift``. The pairs go after the ``filled`` first values of ``out``, until the first bucket
    whose pairs would not fit; a bucket of more than ``max_bucket`` items is skipped, as the row
    (key, group of its first item, the next group among its items or -1, items) after the
    ``suppressed`` first rows of ``skipped``; with a ``rank`` (not empty) of the groups, the groups
    of lowest rank. A skipped bucket's groups are chained (:func:`chained_pairs`) in the order of
    ``chain`` (one number a group; empty: the group numbers). Returns how many values of ``out`` are
    filled, the position to go on from (``n`` when done), and how many rows of ``skipped``. The
    pairs may repeat.
    """
    shift = np.uint64(key_shift)
    n = len(ordered)
    # A bucket's members by item order, each run of one (group, source) kept once: overlapping
    # windows of one document often share a band, and a run gives the same pairs as its first item.
    member_group = np.empty(min(max_bucket, n), dtype=np.int64)
    member_source = np.empty(min(max_bucket, n), dtype=np.int64)
    # Most keys are alone in their bucket: the buckets' starts are found a block at a time without a
    # branch per item (mispredicted about half the time, it took several times longer).
    starts = np.empty(_BLOCK, dtype=np.int64)
    count = filled
    x0 = start
    while x0 < n - 1:
        x1 = min(x0 + _BLOCK, n - 1)
        found = 0
        inside = x0 > 0 and ordered[x0 - 1] >> shift == ordered[x0] >> shift
        for x in range(x0, x1):
            same = ordered[x] >> shift == ordered[x + 1] >> shift
            starts[found] = x
            found += same and not inside
            inside = same
        for b in range(found):
            s = starts[b]
            key = ordered[s] >> shift
            e = s + 2
            while e < n and ordered[e] >> shift == key:
                e += 1
            if e - s > max_bucket:
                if count + (e - s) > len(out):  # (its chain: fewer pairs than items)
                    return count, s, suppressed
                # Items of a bucket follow their input order (the sort's tie-break): the first is the
                # earliest, so the row does not depend on how the work was split.
                first_group = groups[order[s] & item_mask]
                other = -1
                if len(rank):  # the two groups of lowest rank, whatever the input order
                    for x in range(s + 1, e):
                        g = groups[order[x] & item_mask]
                        if rank[g] < rank[first_group]:
                            first_group = g
                    for x in range(s, e):
                        g = groups[order[x] & item_mask]
                        if g != first_group and (other < 0 or rank[g] < rank[other]):
                            other = g
                else:
                    for x in range(s + 1, e):
                        if groups[order[x] & item_mask] != first_group:
                            other = groups[order[x] & item_mask]
                            break
                skipped[suppressed, 0] = np.int64(key)
                skipped[suppressed, 1] = first_group
                skipped[suppressed, 2] = other
                skipped[suppressed, 3] = e - s
                suppressed += 1
                held_key = np.empty(e - s, dtype=np.int64)
                held_group = np.empty(e - s, dtype=np.int64)
                held_source = np.empty(e - s, dtype=np.int64)
                for x in range(s, e):
                    i = order[x] & item_mask
                    held_group[x - s] = groups[i]
                    held_source[x - s] = sources[i]
                    held_key[x - s] = chain[groups[i]] if len(chain) else groups[i]
                lo, hi = chained_pairs(held_key, held_group, held_source, same_source)
                for k in range(len(lo)):
                    out[count] = (np.uint64(lo[k]) << np.uint64(32)) | np.uint64(hi[k])
                    count += 1
                continue
            members = 0
            for x in range(s, e):
                i = order[x] & item_mask
                g, src = groups[i], sources[i]
                if members == 0 or g != member_group[members - 1] or src != member_source[members - 1]:
                    member_group[members] = g
                    member_source[members] = src
                    members += 1
            if count + members * (members - 1) // 2 > len(out):
                return count, s, suppressed
            for x in range(members - 1):
                gi, si = member_group[x], member_source[x]
                for y in range(x + 1, members):
                    gj = member_group[y]
                    if gj == gi or (not same_source and member_source[y] == si):
                        continue
                    low, high = np.uint64(min(gi, gj)), np.uint64(max(gi, gj))
                    out[count] = (low << np.uint64(32)) | high
                    count += 1
        x0 = x1
    return count, n, suppressed


class _PairCounts:
    """Sorted distinct pairs and the number of bands holding each, merged as the bands come.

    Each band's pairs arrive sorted and distinct; they are merged into the runs held (a run is
    merged with the one below while that is at most twice its size, so at most ~log2(bands) runs
    are held and each pair is merged ~log2(bands) times). A pair that several bands hold is held
    once, with a count: on a dense corpus the bands' pair lists repeat the same pairs, and the
    sort of all of them at the end, or their spill to a temporary file, was the stage's cost.
    """

    def __init__(self, bands: int) -> None:
        self.dtype = _count_dtype(bands)
        self.runs: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.unsignedinteger]]] = []
        self.nbytes = 0

    def add(self, pairs: npt.NDArray[np.uint64]) -> None:
        """Count one band's sorted distinct pairs."""
        if not len(pairs):
            return
        self.runs.append((pairs, np.ones(len(pairs), dtype=self.dtype)))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            upper = self.runs.pop()
            self.runs[-1] = merge_counts(*self.runs[-1], *upper)
        self.nbytes = sum(v.nbytes + c.nbytes for v, c in self.runs)

    def spill(self, runs: SortedRuns) -> None:
        """Hand the pairs over to ``runs``, each repeated as often as it was counted, and forget them."""
        for values, counts in self.runs:
            runs.add(np.repeat(values, counts))
        self.runs, self.nbytes = [], 0

    def candidates(self, min_shared: int, threads: int = 1, accept: Accept | None = None) -> Candidates:
        """The pairs counted ``min_shared`` times or more, and ``accept``'s (the skipped buckets: the caller's)."""
        if not self.runs:
            return _joined([])
        if threads < 2 or len(self.runs) < 2 or sum(len(v) for v, _ in self.runs) < _SPLIT:
            return _joined([_accepted(_kept(_merge_all(self.runs), min_shared), accept)])
        # Two halves split at one value, each merged by its own thread: every pair of the lower
        # half sorts before the upper half's, so the two results simply follow each other.
        largest = max((v for v, _ in self.runs), key=len)
        pivot = largest[len(largest) // 2]
        cuts = [int(np.searchsorted(v, pivot)) for v, _ in self.runs]
        halves = [
            [(v[:cut], c[:cut]) for (v, c), cut in zip(self.runs, cuts, strict=True)],
            [(v[cut:], c[cut:]) for (v, c), cut in zip(self.runs, cuts, strict=True)],
        ]
        with ThreadPoolExecutor(2) as pool:
            return _joined(list(pool.map(lambda half: _accepted(_kept(_merge_all(half), min_shared), accept), halves)))


class _PairTable:
    """The bands each pair of groups shares, in a table of every pair ``low < high`` of ``top`` groups.

    One count a pair, and one bit a pair for the band being counted (cleared when the next band
    comes), so a band's pairs may repeat and need no sort: a band adds each of its pairs once. Used
    in place of :class:`_PairCounts` once that holds more bytes than the table would.
    """

    def __init__(self, top: int, bands: int, counts: _PairCounts) -> None:
        self.top = top
        self.count: npt.NDArray[np.unsignedinteger[Any]] = np.zeros(_cells(top), dtype=counts.dtype)
        self.seen = np.zeros(-(-_cells(top) // 64), dtype=np.uint64)  # the pairs the current band counted
        self.band = -1
        while counts.runs:  # the earlier bands' counts, each run freed once taken
            values, counted = counts.runs.pop()
            _table_take(values, counted, top, self.count)
            del values, counted
        counts.nbytes = 0

    @staticmethod
    def nbytes_for(top: int, bands: int) -> int:
        """The table's size in bytes for ``top`` groups and ``bands`` bands."""
        return _cells(top) * np.dtype(_count_dtype(bands)).itemsize + 8 * -(-_cells(top) // 64)

    def add(self, pairs: npt.NDArray[np.uint64], band: int) -> None:
        """Count band ``band``'s pairs (packed ``low << 32 | high``, repeats allowed), each once."""
        if band != self.band:
            self.seen[:] = 0
            self.band = band
        _table_add(pairs, self.top, self.seen, self.count)

    def candidates(self, min_shared: int, accept: Accept | None = None, most: int = 1 << 24) -> Candidates:
        """The pairs counted at least ``min_shared`` times, and ``accept``'s, in (left, right) order.

        Read about ``most`` cells (whole rows) at a time, each part filtered by ``accept`` before the next.
        """
        parts: list[_Pairs] = []
        low = 0
        while low < self.top - 1:
            high, cells = low, 0
            while high < self.top - 1 and (high == low or cells + self.top - 1 - high <= most):
                cells += self.top - 1 - high
                high += 1
            kept = _table_kept(self.count, self.top, low, high, min_shared, None)
            out = np.empty((3, kept), dtype=np.int64)
            _table_kept(self.count, self.top, low, high, min_shared, out)
            parts.append(_accepted((out[0], out[1], out[2]), accept))
            del out
            low = high
        return _joined(parts)


def _cells(top: int) -> int:
    return top * (top - 1) // 2


def _count_dtype(bands: int) -> type[np.unsignedinteger[Any]]:
    """Counts of bands, at most ``bands``."""
    return np.uint8 if bands < 1 << 8 else np.uint16 if bands < 1 << 16 else np.uint32


@njit(cache=True, nogil=True, inline="always")
def _cell(low: np.uint64, high: np.uint64, top: int) -> np.int64:
    """The table's cell of the pair ``low < high``: rows of ``low``, each of its ``high`` after it."""
    lo, hi = np.int64(low), np.int64(high)
    return lo * (2 * top - lo - 1) // 2 + hi - lo - 1


@njit(cache=True, nogil=True)
def _table_take(
    values: npt.NDArray[np.uint64], counted: npt.NDArray[np.unsignedinteger], top: int,
    count: npt.NDArray[np.unsignedinteger],
) -> None:  # fmt: skip
    for x in range(len(values)):
        count[_cell(values[x] >> np.uint64(32), values[x] & _LOW32, top)] += counted[x]


@njit(cache=True, nogil=True)
def _table_add(
    pairs: npt.NDArray[np.uint64], top: int, seen: npt.NDArray[np.uint64], count: npt.NDArray[np.unsignedinteger],
) -> None:  # fmt: skip
    for x in range(len(pairs)):
        cell = _cell(pairs[x] >> np.uint64(32), pairs[x] & _LOW32, top)
        bit = np.uint64(1) << np.uint64(cell & 63)
        if not seen[cell >> 6] & bit:
            seen[cell >> 6] |= bit
            count[cell] += 1


@njit(cache=True, nogil=True)
def _table_kept(
    count: npt.NDArray[np.unsignedinteger], top: int, first: int, last: int, min_shared: int,
    out: npt.NDArray[np.int64] | None,
) -> int:  # fmt: skip
    """How many pairs of rows ``first`` to ``last`` (exclusive) the table counts at least ``min_shared`` times.

    With ``out``, also their left, right and count.
    """
    least = max(min_shared, 1)  # a pair no band counted is no pair
    kept = 0
    cell = _cell(np.uint64(first), np.uint64(first + 1), top)
    for low in range(first, last):
        for high in range(low + 1, top):
            if count[cell] >= least:
                if out is not None:
                    out[0, kept] = low
                    out[1, kept] = high
                    out[2, kept] = count[cell]
                kept += 1
            cell += 1
    return kept


def _merge_all(
    runs: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.unsignedinteger]]],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.unsignedinteger]]:
    """One run of sorted distinct values and summed counts from several, the smallest merged first."""
    pending = sorted(runs, key=lambda run: len(run[0]))
    while len(pending) > 1:
        merged = merge_counts(*pending.pop(0), *pending.pop(0))
        at = int(np.searchsorted([len(v) for v, _ in pending], len(merged[0])))
        pending.insert(at, merged)
    return pending[0]


def _kept(run: tuple[npt.NDArray[np.uint64], npt.NDArray[np.unsignedinteger]], min_shared: int) -> _Pairs:
    """Left, right and band count of the pairs of a counted run held at least ``min_shared`` times."""
    values, counts = run
    if min_shared > 1:
        keep = counts >= min_shared
        values, counts = values[keep], counts[keep]
    return (values >> np.uint64(32)).astype(np.int64), (values & _LOW32).astype(np.int64), counts.astype(np.int64)


def _count_shared(found: list[npt.NDArray[np.uint64]], min_shared: int) -> _Pairs:
    """Left, right and band count of the distinct pairs in at least ``min_shared`` of the arrays."""
    merged = np.concatenate(found)
    merged.sort()  # in place: numpy's sort is vectorised, several times faster than numba's here
    kept = _shared_kernel(merged, min_shared, None)
    # Allocated by numpy, not in the kernel: numpy asks for huge pages, faulting big arrays in faster.
    out = np.empty((3, kept), dtype=np.int64)
    _shared_kernel(merged, min_shared, out)
    return out[0], out[1], out[2]


@njit(cache=True, nogil=True)
def _shared_kernel(merged: npt.NDArray[np.uint64], min_shared: int, out: npt.NDArray[np.int64] | None) -> int:
    """How many distinct values of sorted ``merged`` occur at least ``min_shared`` times.

    With ``out``, also writes each such value's halves (``out[0]``, ``out[1]``) and count (``out[2]``).
    """
    kept = 0
    run = 0
    for x in range(len(merged)):
        run += 1
        if x + 1 < len(merged) and merged[x + 1] == merged[x]:
            continue
        if run >= min_shared:
            if out is not None:
                out[0, kept] = np.int64(merged[x] >> np.uint64(32))
                out[1, kept] = np.int64(merged[x] & _LOW32)
                out[2, kept] = run
            kept += 1
        run = 0
    return kept
