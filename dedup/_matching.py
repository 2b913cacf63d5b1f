"""The matching blocks of two word sequences, as difflib finds them, compiled.

:func:`dedup.assemble._apart_at_own_text` matches the words of a passage's two sides in order
to find each outlet's own text between two pieces of a copy. ``difflib.SequenceMatcher`` (no
junk, no autojunk) did that in Python, a few thousand times a scan of real text
(docs/performance.md, "Own paragraphs between wire pieces"); :func:`matching_blocks` returns the same
blocks from a kernel over the words numbered, by the same algorithm: the longest block first
(the earliest in ``a``, then in ``b``, among blocks of one length), then the same within what lies
before and after it, adjacent blocks merged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from numba import njit

from .scripts import _codepoints

__all__ = ["matching_blocks", "word_spans"]

# Where str.split parts words: the characters str.isspace takes (none past U+3000, the
# ideographic space), as a table read by code point; the last cell stands for every code point
# past the table's end.
_SPACE = np.array([chr(cp).isspace() for cp in range(0x3001)] + [False])


def word_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each word of ``text.split()``: its runs of characters other than spaces.

    Example:
        >>> word_spans(" the  army said "), " the  army said ".split()
        ([(1, 4), (6, 10), (11, 15)], ['the', 'army', 'said'])
    """
    spans = _spans_kernel(_codepoints(text), _SPACE)
    return list(zip(spans[0::2].tolist(), spans[1::2].tolist(), strict=True))


@njit(cache=True, nogil=True)
def _spans_kernel(
    codes: npt.NDArray[np.uint32], space: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:  # pragma: no cover - compiled
    # Each word's start and end in turn: at most one more than the characters ("a b": 0 1 2 3).
    out = np.empty(len(codes) + 1, np.int64)
    n = 0
    last = len(space) - 1
    inside = False
    for k in range(len(codes)):
        word = not space[min(codes[k], last)]
        if word != inside:
            out[n] = k
            n += 1
            inside = word
    if inside:
        out[n] = len(codes)
        n += 1
    return out[:n]


def matching_blocks(a: Sequence[str], b: Sequence[str], most: int | None = None) -> list[tuple[int, int, int]] | None:
    """The blocks ``(i, j, size)`` with ``a[i:i+size] == b[j:j+size]``, as difflib's ``SequenceMatcher`` finds them.

    ``SequenceMatcher(None, a, b, autojunk=False)``, that is: nothing is junk.

    In order of ``i`` (and of ``j``), none of size 0: difflib's ``get_matching_blocks()`` without
    its closing ``(len(a), len(b), 0)``. The search takes time growing with the pairs of like
    words, a word of ``a`` with each occurrence of it in ``b``: None, and no search, when they
    are more than ``most``.

    Example:
        >>> matching_blocks("the army said on monday".split(), "the military said on monday".split())
        [(0, 0, 1), (2, 2, 3)]
        >>> matching_blocks(["x"], ["y"]), matching_blocks(["x"] * 3, ["x"] * 3, most=8)
        ([], None)
    """
    if not a or not b:
        return []
    # Numbered in C loops: the numbers are arbitrary (set order), and only their equality counts.
    numbers = dict(zip(set(a).union(b), range(len(a) + len(b)), strict=False))
    a_ids = np.fromiter(map(numbers.__getitem__, a), np.int64, len(a))
    b_ids = np.fromiter(map(numbers.__getitem__, b), np.int64, len(b))
    if most is not None and int(np.bincount(b_ids, minlength=len(numbers))[a_ids].sum()) > most:
        return None
    return [(int(i), int(j), int(k)) for i, j, k in _blocks_kernel(a_ids, b_ids, len(numbers)).tolist()]


@njit(cache=True, nogil=True)
def _blocks_kernel(
    a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], words: int
) -> npt.NDArray[np.int64]:  # pragma: no cover - compiled
    la, lb = len(a), len(b)
    # The positions of each word in b, ascending (difflib's b2j), as one array and its offsets.
    first = np.zeros(words + 1, np.int64)
    for j in range(lb):
        first[b[j] + 1] += 1
    for w in range(words):
        first[w + 1] += first[w]
    at = first[:-1].copy()
    where = np.empty(lb, np.int64)
    for j in range(lb):
        where[at[b[j]]] = j
        at[b[j]] += 1
    # The run length ending at (i - 1, j) of the row before, and the row it was set in (a stamp
    # counted up over every row of every search, so that nothing is cleared between them); two
    # of each, the row read and the row written, by the parity of the stamp.
    lengths = np.zeros((2, lb + 1), np.int64)
    stamps = np.full((2, lb + 1), -1, np.int64)
    stamp = 0
    found = np.empty((min(la, lb), 3), np.int64)
    count = 0
    queue = np.empty((2 * min(la, lb) + 2, 4), np.int64)
    queue[0, 0], queue[0, 1], queue[0, 2], queue[0, 3] = 0, la, 0, lb
    queued = 1
    while queued:
        queued -= 1
        alo, ahi, blo, bhi = queue[queued, 0], queue[queued, 1], queue[queued, 2], queue[queued, 3]
        besti, bestj, bestsize = alo, blo, 0
        stamp += 1  # (the row before the first: stamped, written nowhere)
        for i in range(alo, ahi):
            stamp += 1
            now, before = stamp & 1, (stamp - 1) & 1
            w = a[i]
            for m in range(first[w], first[w + 1]):
                j = where[m]
                if j < blo:
                    continue
                if j >= bhi:
                    break
                k = 1
                if j > 0 and stamps[before, j - 1] == stamp - 1:
                    k = lengths[before, j - 1] + 1
                lengths[now, j] = k
                stamps[now, j] = stamp
                if k > bestsize:
                    besti, bestj, bestsize = i - k + 1, j - k + 1, k
        if bestsize:
            found[count, 0], found[count, 1], found[count, 2] = besti, bestj, bestsize
            count += 1
            if alo < besti and blo < bestj:
                queue[queued, 0], queue[queued, 1], queue[queued, 2], queue[queued, 3] = alo, besti, blo, bestj
                queued += 1
            if besti + bestsize < ahi and bestj + bestsize < bhi:
                queue[queued, 0], queue[queued, 1] = besti + bestsize, ahi
                queue[queued, 2], queue[queued, 3] = bestj + bestsize, bhi
                queued += 1
    blocks = found[:count]
    blocks = blocks[np.argsort(blocks[:, 0], kind="mergesort")]
    # Adjacent blocks (one ending where the next starts on both sides) are one.
    out = np.empty((count, 3), np.int64)
    merged = 0
    for n in range(count):
        i, j, k = blocks[n, 0], blocks[n, 1], blocks[n, 2]
        if merged and out[merged - 1, 0] + out[merged - 1, 2] == i and out[merged - 1, 1] + out[merged - 1, 2] == j:
            out[merged - 1, 2] += k
        else:
            out[merged, 0], out[merged, 1], out[merged, 2] = i, j, k
            merged += 1
    return out[:merged]
