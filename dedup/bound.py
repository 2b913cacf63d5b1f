"""The joint bound: whether two documents' shared keys could make a passage, before any seed is laid out.

A passage is a set of seeds whose span on each side is covered densely enough: ``exact_density``
of it by its seeds (spanning ``min_exact`` or more), or half of it by its seeds (spanning two thirds of
``min_length`` or more: an edited sentence) or, spanning ``min_length`` or more, ``min_density`` by its rare
seeds, the lesser of the two sides (:mod:`dedup.group`). A seed pairs
an occurrence of a key in one text with an occurrence of the same key in the other. So every
seed of a passage lies, on each side, in a stretch that the shared keys' occurrences cover that
densely; and its key occurs in such a stretch on both sides.

Checking each side alone (:func:`dedup.group._side_may_hold`) lets through the candidate pairs
of two long pages whose common phrases happen to cluster somewhere in each text, but not the
same phrases in both (most of pan13's pairs that get that far). :func:`_jointly_may_hold` keeps,
on each side, only the occurrences inside a dense stretch whose key also has one inside a dense
stretch of the other side, and asks again, until nothing changes or no dense stretch is left.
Every seed of every passage survives each round, so a "no" is never wrong (docs/performance.md,
"The joint bound").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from .group import _LOOSE_DENSITY, _SLACK, Rules, _sentence_length

__all__: list[str] = []

# Rounds of the joint bound at most: a pair that still changes after these is let through (a
# "maybe" is always safe; almost every pair settles in one or two).
_ROUNDS = 8


@njit(cache=True, nogil=True)
def _segments(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], use: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The spans in ``use`` (ordered by start) merged into disjoint segments, and each span's segment (-1 if unused)."""
    n = len(starts)
    s = np.empty(n, dtype=np.int64)
    e = np.empty(n, dtype=np.int64)
    of = np.full(n, -1, dtype=np.int64)
    m = -1
    for k in range(n):
        if not use[k]:
            continue
        if m >= 0 and starts[k] <= e[m]:
            e[m] = max(e[m], ends[k])
        else:
            m += 1
            s[m], e[m] = starts[k], ends[k]
        of[k] = m
    return s[: m + 1], e[: m + 1], of


@njit(cache=True, nogil=True)
def _last_dense(
    s: npt.NDArray[np.int64], e: npt.NDArray[np.int64], min_span: int, share: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For each segment i, the last segment j >= i such that segments i..j make a dense stretch (-1 if none).

    Segments i..j make one when they cover ``share`` of ``max(min_span, e[j] - s[i])``: the
    stretch from s[i] to e[j], or ``min_span`` from s[i] when that is shorter (text the segments
    do not cover). Widening a stretch to whole segments only raises its share, so every dense
    stretch lies within some i..j that is one. Also returns the segments' lengths summed,
    ``covered[j + 1]`` for segments 0..j.
    """
    m = len(s)
    covered = np.zeros(m + 1, dtype=np.int64)  # covered[j + 1]: segments 0..j's lengths summed
    for j in range(m):
        covered[j + 1] = covered[j] + e[j] - s[j]
    # Past min_span, i..j is dense when covered[j + 1] - share * e[j] >= covered[i] - share * s[i]:
    # the largest such j from a given one on is found by bisecting the suffix maxima of the left side.
    best = np.empty(m + 1, dtype=np.float64)
    best[m] = -np.inf
    for j in range(m - 1, -1, -1):
        best[j] = max(best[j + 1], covered[j + 1] - share * e[j])
    out = np.full(m, -1, dtype=np.int64)
    short = 0  # the first segment ending min_span or more past s[i] (moves on with i)
    for i in range(m):
        short = max(short, i)
        while short < m and e[short] - s[i] < min_span:
            short += 1
        # Segments ending within min_span of s[i]: the last of them covers the most.
        if short > i and covered[short] - covered[i] >= share * min_span:
            out[i] = short - 1
        need = covered[i] - share * s[i]
        if short < m and best[short] >= need:
            low, high = short, m - 1  # best[low] >= need; the last j with best[j] >= need
            while low < high:
                mid = (low + high + 1) >> 1
                if best[mid] >= need:
                    low = mid
                else:
                    high = mid - 1
            out[i] = low
    return out, covered


@njit(cache=True, nogil=True)
def _loose_reach(
    s: npt.NDArray[np.int64], e: npt.NDArray[np.int64], min_length: int, share: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Where loose stretches of the segments ``s``/``e`` could lie: for the segments i..j covering C
    characters ``share`` of a stretch of ``min_length`` or more, ``[e[i] - C / share, s[i] + C / share)``."""
    last, covered = _last_dense(s, e, min_length, share)
    lo = np.empty(len(s), dtype=np.float64)
    hi = np.empty(len(s), dtype=np.float64)
    count = 0
    for i in range(len(s)):
        if last[i] >= 0:
            reach = (covered[last[i] + 1] - covered[i]) / share
            lo[count], hi[count] = e[i] - reach, s[i] + reach
            count += 1
    return lo[:count], hi[:count]


@njit(cache=True, nogil=True)
def _in_dense_stretch(
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    rare: npt.NDArray[np.bool_],
    use: npt.NDArray[np.bool_],
    min_length: int,
    min_exact: int,
    min_density: float,
    exact_density: float,
) -> npt.NDArray[np.bool_]:
    """Which spans in ``use`` (ordered by start) lie inside a stretch a passage's seeds could cover on this side.

    Near-verbatim: the stretch is made of whole segments of the spans in use, covered
    ``exact_density``. Loose: ``_LOOSE_DENSITY`` of it covered by the spans in use, or
    ``min_density`` by the rare ones, and spans of any kind inside it; for the segments i..j that
    make one, covering C characters at share d, such a stretch is at most C / d long and holds
    both ends, so it lies within ``[e[i] - C / d, s[i] + C / d)``.
    """
    n = len(starts)
    inside = np.zeros(n, dtype=np.bool_)
    s, e, of = _segments(starts, ends, use)
    last, _ = _last_dense(s, e, min_exact, exact_density - _SLACK)
    marked = np.zeros(len(s) + 1, dtype=np.int64)
    for i in range(len(s)):
        if last[i] >= 0:
            marked[i] += 1
            marked[last[i] + 1] -= 1
    depth = 0
    for i in range(len(s)):
        depth += marked[i]
        marked[i] = depth
    for k in range(n):
        inside[k] = of[k] >= 0 and marked[of[k]] > 0
    # Loose stretches of both kinds: dense in all the spans in use, or in the rare ones.
    # (From a sentence's length: an edited sentence under min_length stands on that density too.)
    lo_dense, hi_dense = _loose_reach(s, e, _sentence_length(min_length), _LOOSE_DENSITY - _SLACK)
    rare_use = use & rare
    if rare_use.any():
        s, e, _ = _segments(starts, ends, rare_use)
        lo_rare, hi_rare = _loose_reach(s, e, min_length, min_density - _SLACK)
        lo, hi = np.concatenate((lo_dense, lo_rare)), np.concatenate((hi_dense, hi_rare))
    else:
        lo, hi = lo_dense, hi_dense
    count = len(lo)
    if count == 0:
        return inside
    order = np.argsort(lo)
    # The intervals merged (in order of their starts), then the spans swept in order of theirs.
    merged_lo = np.empty(count, dtype=np.float64)
    merged_hi = np.empty(count, dtype=np.float64)
    m = -1
    for k in order:
        if m >= 0 and lo[k] <= merged_hi[m]:
            merged_hi[m] = max(merged_hi[m], hi[k])
        else:
            m += 1
            merged_lo[m], merged_hi[m] = lo[k], hi[k]
    p = 0
    for k in range(n):
        if not use[k] or inside[k]:
            continue
        while p <= m and merged_hi[p] <= starts[k]:
            p += 1
        inside[k] = p <= m and merged_lo[p] <= starts[k] and ends[k] <= merged_hi[p]
    return inside


@njit(cache=True, nogil=True)
def _jointly_may_hold(
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    rare_a: npt.NDArray[np.bool_],
    key_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    rare_b: npt.NDArray[np.bool_],
    key_b: npt.NDArray[np.int64],
    keys: int,
    rules: Rules,
) -> bool:
    """Whether the shared keys' occurrences could make a passage, both sides together: a bound, never a wrong no.

    The occurrences of each side are ordered by start (:func:`dedup.join._side_spans`), ``key_*``
    numbers their key (below ``keys``). Each round keeps, on each side, the occurrences inside a
    dense stretch of those kept (:func:`_in_dense_stretch`) whose key has one kept so on the other
    side. Of ``rules``, the lengths and densities a passage needs.
    """
    min_length, min_exact, min_density, exact_density = (
        rules.min_length, rules.min_exact, rules.min_density, rules.exact_density
    )  # fmt: skip
    use_a = np.ones(len(start_a), dtype=np.bool_)
    use_b = np.ones(len(start_b), dtype=np.bool_)
    for _ in range(_ROUNDS):
        in_a = _in_dense_stretch(start_a, end_a, rare_a, use_a, min_length, min_exact, min_density, exact_density)
        in_b = _in_dense_stretch(start_b, end_b, rare_b, use_b, min_length, min_exact, min_density, exact_density)
        seen_a, seen_b = _seen(in_a, key_a, keys), _seen(in_b, key_b, keys)
        changed_a, left_a = _keep_paired(use_a, in_a, key_a, seen_b)
        changed_b, left_b = _keep_paired(use_b, in_b, key_b, seen_a)
        if left_a == 0 or left_b == 0:
            return False
        if not (changed_a or changed_b):
            return True
    return True


@njit(cache=True, nogil=True)
def _seen(inside: npt.NDArray[np.bool_], key: npt.NDArray[np.int64], keys: int) -> npt.NDArray[np.bool_]:
    """Which of ``keys`` keys have an occurrence ``inside``."""
    seen = np.zeros(keys, dtype=np.bool_)
    for k in range(len(key)):
        seen[key[k]] |= inside[k]
    return seen


@njit(cache=True, nogil=True)
def _keep_paired(
    use: npt.NDArray[np.bool_], inside: npt.NDArray[np.bool_], key: npt.NDArray[np.int64], seen: npt.NDArray[np.bool_]
) -> tuple[bool, int]:
    """Keep in ``use`` the occurrences ``inside`` whose key the other side has ``seen``: changed?, how many left."""
    changed = False
    left = 0
    for k in range(len(use)):
        keep = inside[k] and seen[key[k]]
        changed |= keep != use[k]
        use[k] = keep
        left += keep
    return changed, left
