"""The order candidate pairs are aligned in, and the cache of prepared documents that follows it.

A scan aligns its candidate pairs in chunks, on two threads. The order of the pairs
(:func:`locality_order`) brings each document's pairs close together, so that a document is
prepared about once while a bounded cache (:class:`Kept`) holds it; the chunks (:func:`chunks`)
carry, for each side of each pair, the next chunk that needs its document, and the cache, when
full, drops the document needed last. The local engine (:mod:`dedup.scan`), the archive index's
queries and the Spark engine's partitions share them.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from .batch import Handle

__all__ = [
    "CACHE_BYTES", "CHUNK", "NEVER", "Kept", "PairChunk", "chunks", "locality_order", "next_chunks", "next_uses",
]  # fmt: skip

CACHE_BYTES = 416 << 20  # prepared documents kept for alignment (dedup.scan's, the index's, a Spark partition's)
# About what a prepared document holds a character of its text, in bytes, in a scan (where the
# keys no other source holds are left out; more with every key): the alignment order's estimate
# of what fits in the cache (from locality_order's lengths), never a bound on it. The typical
# size, not the largest: an estimate too high makes the spans of later documents smaller than
# the cache could hold, and the earlier documents are read again for each (docs/performance.md,
# "Spans of later documents").
_PREPARED_A_CHARACTER = 20
NEVER = np.iinfo(np.int32).max  # the next use of a document no later chunk needs (chunks are numbered in int32)


class Kept:
    """Prepared documents within ``capacity`` bytes; when over it, the one needed last goes (Belady's rule).

    Every engine aligns its pairs in chunks whose order is known before the first is aligned, so
    each document comes with the number of the next chunk that needs it (:func:`next_chunks`) and
    the cache, when full, drops the document needed last rather than the one used longest ago: in
    the pair order of :func:`locality_order` the earlier documents are swept again for every block
    of later ones, the pattern where least-recently-used drops exactly what the next sweep needs
    first. In bytes, not documents: a corpus of long documents would otherwise multiply the memory.
    Not thread-safe (its callers hold their lock).

    Example:
        >>> from dedup.batch import handle
        >>> from dedup.normalize import normalize
        >>> from dedup.seeds import prepare
        >>> from dedup.shingle import shingle
        >>> texts = [normalize(f"text number {k} " * 20) for k in range(3)]
        >>> made = [handle(prepare(n, shingle(n.text, 5))) for n in texts]
        >>> kept = Kept(capacity=2 * made[0].prepared.nbytes)
        >>> kept.put(0, made[0], 5); kept.put(1, made[1], 2); kept.put(2, made[2], 3)  # 0 is needed last
        >>> sorted(kept.cache), kept.get(0) is None
        ([1, 2], True)
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.cache: dict[int, Handle] = {}
        self.held = 0
        # The next chunk that needs each cached document, and, once the cache is full, a heap of
        # (-next use, document) with stale entries (a document asked for again, or dropped)
        # skipped when popped. Until then (for good, when the documents fit) the heap is not kept.
        self.next_use: dict[int, int] = {}
        self.heap: list[tuple[int, int]] | None = None

    def get(self, i: int) -> Handle | None:
        """Document ``i`` if it is cached (its next use noted apart, with :meth:`note`).

        Example:
            >>> from dedup.batch import handle
            >>> from dedup.normalize import normalize
            >>> from dedup.seeds import prepare
            >>> from dedup.shingle import shingle
            >>> text = normalize("a text to prepare " * 10)
            >>> kept = Kept(capacity=1 << 20)
            >>> kept.put(7, handle(prepare(text, shingle(text.text, 5))), 3)
            >>> kept.get(7) is kept.cache[7], kept.get(8)
            (True, None)
        """
        return self.cache.get(i)

    def note(self, uses: Mapping[int, int]) -> None:
        """Record the next chunk that needs each cached document of ``uses``.

        Example:
            >>> kept = Kept(capacity=1 << 20)
            >>> kept.note({7: 3, 8: 5}); kept.note({7: 4})
            >>> kept.next_use
            {7: 4, 8: 5}
        """
        self.next_use.update(uses)
        if self.heap is not None:
            for i, when in uses.items():
                heapq.heappush(self.heap, (-when, i))
            if len(self.heap) > 4 * len(self.cache) + 1024:  # mostly stale entries: rebuilt from the live ones
                self._heap()

    def put(self, i: int, made: Handle, when: int) -> None:
        """Cache document ``i``, next needed by chunk ``when``, and drop what is over the capacity.

        Example:
            >>> from dedup.batch import handle
            >>> from dedup.normalize import normalize
            >>> from dedup.seeds import prepare
            >>> from dedup.shingle import shingle
            >>> texts = [normalize(f"text {k} " * 20) for k in range(2)]
            >>> made = [handle(prepare(t, shingle(t.text, 5))) for t in texts]
            >>> kept = Kept(capacity=made[0].prepared.nbytes)  # room for one
            >>> kept.put(0, made[0], 9); kept.put(1, made[1], 2)  # 0 is needed later than 1: it goes
            >>> sorted(kept.cache), kept.held == made[1].prepared.nbytes
            ([1], True)
        """
        self.cache[i] = made
        self.note({i: when})
        self.held += made.prepared.nbytes
        # The documents of the pairs being aligned stay alive (their chunk holds them), whatever
        # their size: dropping one from the cache only frees it once its chunk is done.
        if self.held > self.capacity and self.heap is None:
            self._heap()
        while self.held > self.capacity and len(self.cache) > 1 and self.heap:
            negative, k = heapq.heappop(self.heap)
            if self.next_use.get(k) == -negative:  # (a live entry)
                del self.next_use[k]
                self.held -= self.cache.pop(k).prepared.nbytes

    def _heap(self) -> None:
        self.heap = [(-n, k) for k, n in self.next_use.items()]
        heapq.heapify(self.heap)


CHUNK = 64  # candidate pairs a thread aligns at a time


class PairChunk(NamedTuple):
    """Candidate pairs aligned together: their left and right documents, and the next chunk that needs each.

    Made by :func:`chunks`; ``NEVER`` where no later chunk needs the document.

    Example:
        >>> chunk = chunks(np.array([0, 1]), np.array([2, 2]))[0]
        >>> chunk.left.tolist(), chunk.right.tolist(), chunk.after_left.tolist() == [NEVER, NEVER]
        ([0, 1], [2, 2], True)
    """

    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    after_left: npt.NDArray[np.int32]
    after_right: npt.NDArray[np.int32]


def chunks(left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]) -> list[PairChunk]:
    """The pairs ``(left[k], right[k])`` in chunks of ``CHUNK``, for the aligning threads, with each side's next use.

    Views of the arrays, made lists a chunk at a time: two lists of Python ints, one int a pair,
    were held for the whole alignment stage (docs/performance.md, Memory). With each side of a
    pair comes the number of the next chunk that needs its document (``NEVER``: none), which
    the cache of prepared documents drops by (:class:`Kept`).

    Example:
        >>> pieces = chunks(np.array([0, 1] * 40), np.array([2] * 80))  # 64 pairs, then 16
        >>> [len(c[0]) for c in pieces], int(pieces[0][2][0]), [bool(c[3][0] == NEVER) for c in pieces]
        ([64, 16], 1, [False, True])
    """
    following_left, following_right = next_chunks(left, right, CHUNK)
    return [
        PairChunk(
            left[k : k + CHUNK], right[k : k + CHUNK], following_left[k : k + CHUNK], following_right[k : k + CHUNK]
        )
        for k in range(0, len(left), CHUNK)
    ]


def next_uses(chunk: PairChunk) -> dict[int, int]:
    """The next chunk that needs each document of ``chunk`` (one of :func:`chunks`).

    Example:
        >>> next_uses(chunks(np.array([0, 1] * 40), np.array([2] * 80))[0]) == {0: 1, 1: 1, 2: 1}
        True
    """
    return dict(zip(chunk[0].tolist() + chunk[1].tolist(), chunk[2].tolist() + chunk[3].tolist(), strict=True))


@njit(cache=True, nogil=True)
def next_chunks(
    left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], size: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """For each side of each pair, the first chunk (of ``size`` pairs) after the pair's own that has its document.

    One pass over the chunks from the last, with the last chunk seen so far for every document.

    Example:
        >>> after_left, after_right = next_chunks(np.array([5, 6, 5]), np.array([6, 7, 8]), 1)
        >>> int(after_left[0]), int(after_right[0]), int(after_left[1]) == int(after_right[2]) == NEVER
        (2, 1, True)
    """
    n = len(left)
    after_left = np.empty(n, dtype=np.int32)
    after_right = np.empty(n, dtype=np.int32)
    top = 0
    for k in range(n):
        top = max(top, left[k], right[k])
    seen = np.full(top + 1, NEVER, dtype=np.int32)  # the earliest later chunk holding each document
    for first in range((n - 1) // size * size, -1, -size):
        last = min(first + size, n)
        for k in range(first, last):  # (read for the whole chunk before the chunk is noted)
            after_left[k] = seen[left[k]]
            after_right[k] = seen[right[k]]
        chunk = first // size
        for k in range(first, last):
            seen[left[k]] = chunk
            seen[right[k]] = chunk
    return after_left, after_right


def locality_order(
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    n: int,
    lengths: npt.NDArray[np.int64] | None = None,
    capacity: int = CACHE_BYTES,
) -> npt.NDArray[np.int64]:
    """An order of the pairs in which each document's pairs come close together.

    Documents are numbered in breadth-first order over the pair graph (from the smallest document
    of each component, neighbours in increasing order), and a pair comes when its later document
    does: a document's neighbours are numbered soon after it, so it is still in the cache of
    prepared documents when they come: each document is prepared about once, where (left, right)
    order, or one connected component after another, prepares many twice or more (the pair graph
    of a news corpus is mostly one component: a story's articles, linked by the ones that carry
    two stories; docs/performance.md, "Scaling", has the figures). Deterministic: it depends on
    the pairs only.

    The pairs come in blocks: documents numbered in tiles of ``_TILE``, the pairs of one tile of
    later documents with one tile of earlier ones together. The later tile's documents stay in
    the cache while their pairs come, and an earlier document is read from memory once a tile of
    later documents, not once a pair as when each document's pairs came one after another
    (docs/performance.md, "Pairs in blocks").

    With ``lengths`` (each document's text length in characters, from which its prepared bytes are
    estimated) and documents that do not all fit in the cache's ``capacity`` bytes, a second order
    is weighed against that one: the later tiles grouped in spans of up to half the capacity, a
    span's pairs coming an earlier tile at a time, so that the span's documents stay in the cache
    while every earlier document they pair with is prepared once for the span. Where the pair graph
    is dense (each document paired with others all over the corpus), tile after tile of later
    documents sweeps the whole corpus again in the first order; where it is local (a document's
    pairs among documents numbered near it), the first order is the better. The one in which a
    simulation of the cache prepares fewer documents is taken
    (docs/performance.md, "Spans of later documents").

    Example:
        >>> left, right = np.array([0, 0, 1, 5]), np.array([1, 9, 5, 9])  # candidate pairs, sorted
        >>> order = locality_order(left, right, 10)  # documents numbered 0, 1, 9, 5 breadth-first
        >>> [(int(left[k]), int(right[k])) for k in order]
        [(0, 1), (0, 9), (1, 5), (5, 9)]
    """
    if len(left) == 0:
        return np.zeros(0, dtype=np.int64)
    left = np.ascontiguousarray(left, dtype=np.int64)
    right = np.ascontiguousarray(right, dtype=np.int64)
    position = _breadth_first(left, right, n)
    late, early = np.maximum(position[left], position[right]), np.minimum(position[left], position[right])
    tiles = np.lexsort((early, late, early // _TILE, late // _TILE)).astype(np.int64)
    if lengths is None:
        return tiles
    sizes = np.asarray(lengths, dtype=np.int64) * _PREPARED_A_CHARACTER
    involved = position >= 0
    if int(sizes[involved].sum()) <= capacity:
        return tiles  # (every document prepared once in any order)
    span = _spans(position, sizes, capacity // 2)
    spans = np.lexsort((early, late, late // _TILE, early // _TILE, span[late // _TILE])).astype(np.int64)
    # The order the cache's own rule prepares fewer documents in, simulated: spans where the pair
    # graph is dense, tiles where it is local (a document's pairs among documents numbered near it).
    if _preparations(left[spans], right[spans], sizes, capacity, CHUNK) < _preparations(
        left[tiles], right[tiles], sizes, capacity, CHUNK
    ):
        return spans
    return tiles


@njit(cache=True, nogil=True)
def _preparations(
    left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64], capacity: int, size: int
) -> int:
    """How many preparations a :class:`Kept` of ``capacity`` bytes makes for these pairs, in chunks of ``size``.

    The cache's own steps, one thread: a chunk's cached documents have their next use noted, then
    each missing one is prepared and put, and the one needed last dropped while over the capacity.
    """
    after_left, after_right = next_chunks(left, right, size)
    top = 0
    for k in range(len(left)):
        top = max(top, left[k], right[k])
    cached = np.zeros(top + 1, dtype=np.bool_)
    next_use = np.full(top + 1, -1, dtype=np.int64)
    seen = np.full(top + 1, -1, dtype=np.int64)  # the last chunk that listed the document
    heap = [(np.int64(0), np.int64(0))]
    heap.pop()
    held, count, prepared = 0, 0, 0
    missing = np.empty(2 * size, dtype=np.int64)
    for first in range(0, len(left), size):
        chunk = first // size
        n = 0
        for k in range(first, min(first + size, len(left))):
            for d, when in ((left[k], np.int64(after_left[k])), (right[k], np.int64(after_right[k]))):
                if seen[d] == chunk:
                    continue
                seen[d] = chunk
                next_use[d] = when
                if cached[d]:
                    heapq.heappush(heap, (-when, d))
                else:
                    missing[n] = d
                    n += 1
        for x in range(n):
            d = missing[x]
            cached[d] = True
            held += sizes[d]
            count += 1
            prepared += 1
            heapq.heappush(heap, (-next_use[d], d))
            while held > capacity and count > 1 and len(heap) > 0:
                negative, e = heapq.heappop(heap)
                if cached[e] and next_use[e] == -negative:  # (a live entry)
                    cached[e] = False
                    held -= sizes[e]
                    count -= 1
    return prepared


@njit(cache=True, nogil=True)
def _spans(position: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64], most: int) -> npt.NDArray[np.int64]:
    """Each tile's span: consecutive tiles (of documents in ``position`` order) of at most ``most`` bytes in all.

    A tile larger than ``most`` is a span of its own.
    """
    numbered = 0
    for d in range(len(position)):
        numbered = max(numbered, position[d] + 1)
    tiles = max(1, -(-numbered // _TILE))
    tile_bytes = np.zeros(tiles, dtype=np.int64)
    for d in range(len(position)):
        if position[d] >= 0:
            tile_bytes[position[d] // _TILE] += sizes[d]
    span = np.empty(tiles, dtype=np.int64)
    current, held = 0, 0
    for t in range(tiles):
        if held and held + tile_bytes[t] > most:
            current += 1
            held = 0
        held += tile_bytes[t]
        span[t] = current
    return span


# Documents a tile of the alignment order: a tile of later documents (their prepared arrays that
# the joins and bounds read, tens of KB each) stays in a core's cache while its pairs come.
_TILE = 32


@njit(cache=True, nogil=True)
def _breadth_first(left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.int64]:
    """Each document's number in a breadth-first walk of the pair graph (-1 if it has no pair)."""
    degree = np.zeros(n + 1, dtype=np.int64)
    for k in range(len(left)):
        degree[left[k] + 1] += 1
        degree[right[k] + 1] += 1
    first = np.cumsum(degree)
    fill = first[:-1].copy()
    neighbours = np.empty(2 * len(left), dtype=np.int64)
    # Pairs come sorted by (left, right): every document's list fills in increasing order.
    for k in range(len(left)):
        a, b = left[k], right[k]
        neighbours[fill[a]] = b
        fill[a] += 1
        neighbours[fill[b]] = a
        fill[b] += 1
    position = np.full(n, -1, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    numbered = 0
    for start in range(n):
        if position[start] >= 0 or first[start + 1] == first[start]:
            continue
        position[start] = numbered
        queue[numbered] = start
        numbered += 1
        head = numbered - 1
        while head < numbered:
            u = queue[head]
            head += 1
            for k in range(first[u], first[u + 1]):
                v = neighbours[k]
                if position[v] < 0:
                    position[v] = numbered
                    queue[numbered] = v
                    numbered += 1
    return position
