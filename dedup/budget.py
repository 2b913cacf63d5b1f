"""Bounded work a document: which candidate pairs to align when the pair graph is dense.

One story every outlet covers makes every pair of its documents a candidate; aligning them all
costs the square of the corpus. Each document ranks its candidates by the evidence of the band
check and asks for its strongest ``budget``; the rest are counted, not aligned
(:attr:`dedup.scan.ScanResult.unaligned`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from .errors import ParameterError

__all__ = ["per_document_budget"]

_MOST_BANDS = 0x7FFF  # band counts the budget tells apart (more tie): its count by bands stays small


def per_document_budget(
    left: npt.NDArray[np.integer],
    right: npt.NDArray[np.integer],
    shared: npt.NDArray[np.integer],
    documents: int,
    budget: int,
    signatures: npt.NDArray[np.uint32] | None = None,
) -> npt.NDArray[np.bool_]:
    """Which candidate pairs to align when each document may ask for at most ``budget`` of them.

    Each document ranks its candidate pairs by the evidence of the band check: the bands shared
    (more first), then, given ``signatures`` (one row a document), the slots their whole-document
    signatures share, then the pair's place in the (left, right) order. A pair is kept when it is
    among the ``budget`` strongest of either of its documents, so at most ``documents * budget``
    pairs are kept however dense the pair graph, and a document with at most ``budget`` candidates
    keeps every one. ``budget`` 0 keeps every pair.

    Example:
        >>> left, right, shared = np.array([0, 0, 0, 1]), np.array([1, 2, 3, 2]), np.array([9, 4, 5, 4])
        >>> per_document_budget(left, right, shared, 4, budget=1).tolist()  # (1, 2) is no one's first
        [True, True, True, False]
        >>> bool(per_document_budget(left, right, shared, 4, budget=0).all())
        True
    """
    if not isinstance(budget, int | np.integer) or isinstance(budget, bool) or budget < 0:
        raise ParameterError(f"budget must be an integer >= 0, got {budget!r}")
    pairs = len(left)
    if len(right) != pairs or len(shared) != pairs:
        raise ParameterError(
            f"left ({pairs}), right ({len(right)}) and shared ({len(shared)}) must have one value a pair"
        )
    if pairs and int(np.min(shared)) < 0:
        raise ParameterError(f"shared must count bands (>= 0), got {int(np.min(shared))}")
    keep = np.ones(pairs, dtype=np.bool_)
    if budget == 0 or pairs == 0:
        return keep
    lefts: npt.NDArray[np.int64] = np.ascontiguousarray(left, dtype=np.int64)
    rights: npt.NDArray[np.int64] = np.ascontiguousarray(right, dtype=np.int64)
    low, high = min(int(lefts.min()), int(rights.min())), max(int(lefts.max()), int(rights.max()))
    if low < 0 or high >= documents:
        raise ParameterError(f"pairs must name documents in [0, documents) = [0, {documents}), got {low}..{high}")
    degree = np.bincount(lefts, minlength=documents) + np.bincount(rights, minlength=documents)
    # (No shortcut where every document is within its budget: the kernel keeps every pair then, and
    # every scan reaches it, which keeps this module's compiled kernel in the cache.)
    if pairs >= 1 << 32:
        raise ParameterError(f"at most 2**32 - 1 candidate pairs can be ranked, got {pairs}")
    keep[:] = False
    sigs = np.zeros((1, 1), np.uint32) if signatures is None else np.ascontiguousarray(signatures, dtype=np.uint32)
    _budget_kernel(lefts, rights, np.ascontiguousarray(shared, dtype=np.int64), sigs, signatures is not None,
                   degree.astype(np.int64), int(budget), keep)  # fmt: skip
    return keep


@njit(cache=True, nogil=True)
def _budget_kernel(
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    shared: npt.NDArray[np.int64],
    signatures: npt.NDArray[np.uint32],
    use_signatures: bool,
    degree: npt.NDArray[np.int64],
    budget: int,
    keep: npt.NDArray[np.bool_],
) -> None:
    """Set ``keep`` for the pairs among the ``budget`` strongest of either of their documents.

    Each document with more than ``budget`` pairs counts its pairs by bands shared and so finds the
    band count of its ``budget``-th strongest: pairs above it are kept outright, pairs below are
    not, and only the pairs at it (listed under the document, in pair order) are ranked further
    (signature slots agreeing, then the earlier pair). Two passes over the pairs in their own order
    and a count a document and band count: listing every pair under both its documents first (a
    counting sort) cost more on a dense corpus, in writes and reads all over memory
    (docs/performance.md, "Bounded work a document").
    """
    documents = len(degree)
    pairs = len(left)
    slot = np.full(documents, -1, dtype=np.int64)  # the document's row of counts; -1 keeps all its pairs
    over = 0
    for d in range(documents):
        if degree[d] > budget:
            slot[d] = over
            over += 1
    strongest = 0
    for k in range(pairs):
        strongest = max(strongest, min(shared[k], _MOST_BANDS))
    columns = strongest + 1
    counts = np.zeros(over * columns, dtype=np.int64)
    for k in range(pairs):
        s = min(shared[k], _MOST_BANDS)
        row = slot[left[k]]
        if row >= 0:
            counts[row * columns + s] += 1
        row = slot[right[k]]
        if row >= 0:
            counts[row * columns + s] += 1
    # Each document's boundary (the band count of its budget-th strongest pair), the pairs it still
    # needs from those at its boundary, and where its list of them starts.
    boundary = np.empty(over, dtype=np.int64)
    need = np.empty(over, dtype=np.int64)
    first = np.zeros(over + 1, dtype=np.int64)
    for row in range(over):
        above, bands = 0, strongest
        while above + counts[row * columns + bands] < budget:
            above += counts[row * columns + bands]
            bands -= 1
        boundary[row] = bands
        need[row] = budget - above
        first[row + 1] = first[row] + counts[row * columns + bands]
    fill = first[:-1].copy()
    tied = np.empty(first[over], dtype=np.uint32)
    for k in range(pairs):
        s = min(shared[k], _MOST_BANDS)
        row_left, row_right = slot[left[k]], slot[right[k]]
        at_left = boundary[row_left] if row_left >= 0 else -1
        at_right = boundary[row_right] if row_right >= 0 else -1
        if s > at_left or s > at_right:
            keep[k] = True
        if s == at_left:
            tied[fill[row_left]] = k
            fill[row_left] += 1
        if s == at_right:
            tied[fill[row_right]] = k
            fill[row_right] += 1
    # The pairs at a boundary, ranked by the slots their signatures share.
    width = signatures.shape[1]
    low = np.uint64(0xFFFFFFFF)
    for row in range(over):
        lo, hi = first[row], first[row + 1]
        if need[row] >= hi - lo:
            for x in range(lo, hi):
                keep[tied[x]] = True
            continue
        ranks = np.empty(hi - lo, dtype=np.uint64)
        for x in range(lo, hi):
            k = tied[x]
            same = 0
            if use_signatures:
                a, b = signatures[left[k]], signatures[right[k]]
                for j in range(width):
                    same += a[j] == b[j]
            # More slots agreeing sorts first, then the earlier pair.
            ranks[x - lo] = (np.uint64(0xFFFF - min(same, 0xFFFF)) << np.uint64(32)) | np.uint64(k)
        ranked = np.partition(ranks, need[row] - 1)
        for x in range(need[row]):
            keep[ranked[x] & low] = True
