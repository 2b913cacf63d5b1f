"""Joins: the seeds two prepared documents share, and where each lies, in numba kernels.

A prepared document (:mod:`dedup.seeds`) holds its seed keys and word keys sorted, and a blocked
Bloom filter of both (:func:`_key_filter`). :func:`_join_filtered` joins two of them: it walks
the keys of the document with fewer, probes each in the other's filter, and looks up those that
pass in its sorted keys. :func:`_seed_spans` lays out the span of every shared seed on both
sides, ordered along a, with its rarity and whether its key repeats in either document;
:func:`_side_spans` gives the shared keys' occurrences on one side, for the bound the alignment
checks before laying the seeds out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import Positions, radix_order, stable_order
from .copies import _printing

__all__: list[str] = []

# What :func:`_seed_spans` returns: start_a, end_a, start_b, end_b of each seed, its rarity, if its key repeats.
_SeedSpans = tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.bool_],
]
# Pairs sharing fewer than one seed in this many n-grams of a sort their seeds instead of walking a.
_SPARSE = 32


_FILTER_BITS = 16  # filter bits a key, at least: two bits set a key, ~2% false hits
_FILTER_MIX = np.uint64(0x9E3779B97F4A7C15)  # keys are hashes already; the product's high bits pick the word


@njit(cache=True, nogil=True)
def _bits(value: int) -> int:
    """Bits needed to write ``value - 1`` (0 for 0 or 1): the width of numbers below ``value``."""
    bits = 0
    while (1 << bits) < value:
        bits += 1
    return bits


@njit(cache=True, nogil=True)
def _join_groups(x: npt.NDArray[np.uint64], y: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Rows ``(x0, x1, y0, y1)``: a value both sorted arrays hold, at ``x[x0:x1]`` and ``y[y0:y1]``."""
    out = np.empty((min(len(x), len(y)) + 1, 4), dtype=np.int64)
    i = j = n = 0
    while i < len(x) and j < len(y):
        u, v = x[i], y[j]
        if u < v:
            i += 1
        elif v < u:
            j += 1
        else:
            i1, j1 = i + 1, j + 1
            while i1 < len(x) and x[i1] == u:
                i1 += 1
            while j1 < len(y) and y[j1] == u:
                j1 += 1
            out[n, 0], out[n, 1], out[n, 2], out[n, 3] = i, i1, j, j1
            n += 1
            i, j = i1, j1
    return out[:n]


@njit(cache=True, nogil=True, inline="always")
def _filter_probe(key: np.uint64, shift: np.uint64) -> tuple[np.int64, np.uint64]:
    """The word of a key filter a key falls in (the product's high bits) and the mask of its two bits."""
    h = key * _FILTER_MIX
    mask = (np.uint64(1) << ((h >> np.uint64(20)) & np.uint64(63))) | (
        np.uint64(1) << ((h >> np.uint64(26)) & np.uint64(63))
    )
    return np.int64(h >> shift), mask


@njit(cache=True, nogil=True)
def _key_filter(keys: npt.NDArray[np.uint64], words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A blocked Bloom filter of a document's seed keys and word keys: two bits in one 64-bit word a key.

    A power of two of words (two at least), at least ``_FILTER_BITS`` bits a key. :func:`_join_filtered` probes it
    with the keys of the other document of a pair: a key it holds always passes, and another one
    passes ~2% of the time (then the sorted keys tell them apart).
    """
    n = len(keys) + len(words)
    size = 2
    while 64 * size < _FILTER_BITS * n:
        size *= 2
    out = np.zeros(size, dtype=np.uint64)
    shift = np.uint64(64 - _bits(size))
    for values in (keys, words):
        for k in range(len(values)):
            at, mask = _filter_probe(values[k], shift)
            out[at] |= mask
    return out


@njit(cache=True, nogil=True)
def _gallop(y: npt.NDArray[np.uint64], j: int, u: np.uint64) -> int:
    """The first index from ``j`` on where sorted ``y`` holds ``u`` or more (``len(y)`` if none)."""
    n = len(y)
    if j >= n or y[j] >= u:
        return j
    step = 1
    low = j  # y[low] < u
    while low + step < n and y[low + step] < u:
        low += step
        step *= 2
    high = min(low + step, n)
    low += 1
    while low < high:
        mid = (low + high) >> 1
        if y[mid] < u:
            low = mid + 1
        else:
            high = mid
    return low


@njit(cache=True, nogil=True)
def _join_filtered(
    x: npt.NDArray[np.uint64],
    y: npt.NDArray[np.uint64],
    filter_x: npt.NDArray[np.uint64],
    filter_y: npt.NDArray[np.uint64],
) -> npt.NDArray[np.int64]:
    """:func:`_join_groups` (the same rows, in the same order) through the documents' key filters.

    A pair of long documents shares a few dozen of their thousands of keys: merging both sorted
    arrays walked every key of both. Here only the keys of the document with fewer are walked,
    each probed in the other's filter; those that pass are looked up in its sorted keys by a
    galloping search from the last match. Without filters (an empty one), the merge.
    """
    if len(filter_x) == 0 or len(filter_y) == 0:
        return _join_groups(x, y)
    swap = len(y) < len(x)
    small, large = (y, x) if swap else (x, y)
    bloom = filter_x if swap else filter_y
    shift = np.uint64(64 - _bits(len(bloom)))  # (a filter has two words or more)
    n_small, n_large = len(small), len(large)
    # The keys that pass, gathered without a branch (a branch a key, rarely taken, made
    # this loop slower); the sorted keys tell the shared ones from the false hits.
    hits = np.empty(n_small, dtype=np.int64)
    m = 0
    for i in range(n_small):
        at, mask = _filter_probe(small[i], shift)
        hits[m] = i
        m += (bloom[at] & mask) == mask
    out = np.empty((m + 1, 4), dtype=np.int64)
    n = j = 0
    for k in range(m):
        i = hits[k]
        u = small[i]
        if i > 0 and small[i - 1] == u:  # another occurrence of the key before: its row is made
            continue
        i1 = i + 1
        while i1 < n_small and small[i1] == u:
            i1 += 1
        j = _gallop(large, j, u)
        if j < n_large and large[j] == u:
            j1 = j + 1
            while j1 < n_large and large[j1] == u:
                j1 += 1
            if swap:
                out[n, 0], out[n, 1], out[n, 2], out[n, 3] = j, j1, i, i1
            else:
                out[n, 0], out[n, 1], out[n, 2], out[n, 3] = i, i1, j, j1
            n += 1
            j = j1
    return out[:n]


@njit(cache=True, nogil=True)
def _seed_spans(
    chars: npt.NDArray[np.int64],
    words: npt.NDArray[np.int64],
    index_a: Positions,
    rare_a: npt.NDArray[np.bool_],
    starts_a: Positions,
    ends_a: Positions,
    word_starts_a: Positions,
    word_ends_a: Positions,
    word_rare_a: npt.NDArray[np.bool_],
    index_b: Positions,
    starts_b: Positions,
    ends_b: Positions,
    word_starts_b: Positions,
    word_ends_b: Positions,
    offset: int,
    copies_a: npt.NDArray[np.int64],
    copies_b: npt.NDArray[np.int64],
    sparse: int = _SPARSE,
) -> _SeedSpans:
    """Spans (start_a, end_a, start_b, end_b) of every shared seed, ordered along a; its rarity; if its key repeats.

    ``chars`` and ``words`` are the keys the two documents share (rows of :func:`_join_filtered`
    over their seed keys and their word keys). A key occurring several times in a document (a
    headline that repeats the lead, a paragraph printed twice) gives a seed for every pair of its
    occurrences in a and in b; seeds starting at the same place of a come in order along b. A key
    repeats when it occurs more than once in a document outside its copies (``copies_a``,
    ``copies_b``: :attr:`Prepared.copies`). Pairs sharing fewer than one seed in ``sparse``
    n-grams of a take the sorting path (it gives the same order).
    """
    total = 0
    for g in range(len(chars)):
        total += (chars[g, 1] - chars[g, 0]) * (chars[g, 3] - chars[g, 2])
    for g in range(len(words)):
        total += (words[g, 1] - words[g, 0]) * (words[g, 3] - words[g, 2])
    if len(copies_a) or len(copies_b):
        # Groups of a key that repeats outside copies: the rest are keys occurring once a printing.
        chars = _mark_repeats(chars, copies_a, copies_b, index_a, starts_a, ends_a, index_b, starts_b, ends_b, offset)
        words = _mark_repeats(words, copies_a, copies_b, word_starts_a, word_starts_a, word_ends_a, word_starts_b,
                              word_starts_b, word_ends_b, -1)  # fmt: skip
    start_a = np.empty(total, dtype=np.int64)
    end_a = np.empty_like(start_a)
    start_b = np.empty_like(start_a)
    end_b = np.empty_like(start_a)
    rare = np.empty(total, dtype=np.bool_)
    repeated = np.empty(total, dtype=np.bool_)
    if sparse * total < len(starts_a):
        # Most candidate pairs of long documents share a handful of seeds: walking arrays as long
        # as the document (and filling them first) costs more than sorting them.
        key = np.empty(total, dtype=np.int64)
        source = np.empty((total, 4), dtype=np.int64)  # kind (0 char, 1 word), x in a, y in b, repeats
        k = 0
        for kind in range(2):
            groups = chars if kind == 0 else words
            for g in range(len(groups)):
                many = _repeats(groups, g)
                for x in range(groups[g, 0], groups[g, 1]):
                    at = starts_a[index_a[x]] if kind == 0 else word_starts_a[x]
                    for y in range(groups[g, 2], groups[g, 3]):
                        key[k] = 2 * at + kind
                        source[k, 0], source[k, 1], source[k, 2], source[k, 3] = kind, x, y, many
                        k += 1
        for out, k in enumerate(stable_order(key)):
            x, y = source[k, 1], source[k, 2]
            repeated[out] = source[k, 3] != 0
            if source[k, 0] == 0:
                ia, ib = index_a[x], index_b[y]
                start_a[out], end_a[out] = starts_a[ia], ends_a[ia + offset]
                start_b[out], end_b[out] = starts_b[ib], ends_b[ib + offset]
                rare[out] = rare_a[x]
            else:
                start_a[out], end_a[out] = word_starts_a[x], word_ends_a[x]
                start_b[out], end_b[out] = word_starts_b[y], word_ends_b[y]
                rare[out] = word_rare_a[x]
        return start_a, end_a, start_b, end_b, rare, repeated
    # Walk a once: each n-gram index of a holds at most one key, each word start at most one word;
    # `char_at` and `word_at` name the group of the seed found there.
    char_at = np.full(len(starts_a), -1, dtype=np.int64)
    char_x = np.empty(len(starts_a), dtype=np.int64)
    for g in range(len(chars)):
        for x in range(chars[g, 0], chars[g, 1]):
            char_at[index_a[x]] = g
            char_x[index_a[x]] = x
    word_at = np.full(ends_a[-1] + 1 if len(ends_a) else 1, -1, dtype=np.int64)
    word_x = np.empty(len(word_at), dtype=np.int64)
    for g in range(len(words)):
        for x in range(words[g, 0], words[g, 1]):
            word_at[word_starts_a[x]] = g
            word_x[word_starts_a[x]] = x
    out = 0
    w = 0  # next position of word_at to look at
    for ia in range(len(char_at) + 1):
        limit = starts_a[ia] if ia < len(char_at) else len(word_at)
        if ia < len(char_at) and char_at[ia] < 0:
            continue
        # Words starting before this char seed come first (a char seed first at equal starts).
        while w < limit:
            g = word_at[w]
            if g >= 0:
                x = word_x[w]
                many = _repeats(words, g)
                for y in range(words[g, 2], words[g, 3]):
                    start_a[out], end_a[out] = word_starts_a[x], word_ends_a[x]
                    start_b[out], end_b[out] = word_starts_b[y], word_ends_b[y]
                    rare[out], repeated[out] = word_rare_a[x], many
                    out += 1
            w += 1
        if ia == len(char_at):
            break
        g, x = char_at[ia], char_x[ia]
        many = _repeats(chars, g)
        for y in range(chars[g, 2], chars[g, 3]):
            ib = index_b[y]
            start_a[out], end_a[out] = starts_a[ia], ends_a[ia + offset]
            start_b[out], end_b[out] = starts_b[ib], ends_b[ib + offset]
            rare[out], repeated[out] = rare_a[x], many
            out += 1
    return start_a, end_a, start_b, end_b, rare, repeated


@njit(cache=True, nogil=True)
def _repeats(groups: npt.NDArray[np.int64], g: int) -> bool:
    """Whether group ``g`` of a join (rows ``x0, x1, y0, y1``, and a fifth column if marked) is a repeated key."""
    if groups.shape[1] > 4:
        return bool(groups[g, 4] != 0)
    return bool(groups[g, 1] - groups[g, 0] > 1 or groups[g, 3] - groups[g, 2] > 1)


@njit(cache=True, nogil=True)
def _mark_repeats(
    groups: npt.NDArray[np.int64],
    copies_a: npt.NDArray[np.int64],
    copies_b: npt.NDArray[np.int64],
    index_a: Positions,
    starts_a: Positions,
    ends_a: Positions,
    index_b: Positions,
    starts_b: Positions,
    ends_b: Positions,
    offset: int,
) -> npt.NDArray[np.int64]:
    """``groups`` with a fifth column: 1 where the key occurs more than once outside copies on a side.

    Character seeds (``offset >= 0``) span ``starts[index[x]] .. ends[index[x] + offset]``; words
    (``offset < 0``) ``starts[x] .. ends[x]``.
    """
    out = np.empty((len(groups), 5), dtype=np.int64)
    for g in range(len(groups)):
        out[g, :4] = groups[g]
        count_a = 0
        for x in range(groups[g, 0], groups[g, 1]):
            i = index_a[x] if offset >= 0 else x
            end = ends_a[i + offset] if offset >= 0 else ends_a[i]
            count_a += _printing(copies_a, starts_a[i], end) < 0
        count_b = 0
        for y in range(groups[g, 2], groups[g, 3]):
            i = index_b[y] if offset >= 0 else y
            end = ends_b[i + offset] if offset >= 0 else ends_b[i]
            count_b += _printing(copies_b, starts_b[i], end) < 0
        out[g, 4] = count_a > 1 or count_b > 1
    return out


@njit(cache=True, nogil=True)
def _side_spans(
    chars: npt.NDArray[np.int64],
    words: npt.NDArray[np.int64],
    side: int,
    index: Positions,
    starts: Positions,
    ends: Positions,
    word_starts: Positions,
    word_ends: Positions,
    offset: int,
    rare_a: npt.NDArray[np.bool_],
    word_rare_a: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Every occurrence, on side ``side`` (0: a, 1: b), of the keys in ``chars`` and ``words``: span, if rare, key.

    Every seed :func:`_seed_spans` lays out covers one of these spans on that side (a seed pairs an
    occurrence in a with one in b), so a stretch of either text the seeds cover densely is covered
    as densely by these. An occurrence in b counts as rare when its key is rare in a (rarity is
    the key's, read on a's side as the seeds read it). The key is its row: ``chars``' rows first,
    then ``words``' (numbered on from ``len(chars)``). Ordered by start.
    """
    n = 0
    for groups in (chars, words):
        for g in range(len(groups)):
            n += groups[g, 2 * side + 1] - groups[g, 2 * side]
    s = np.empty(n, dtype=np.int64)
    e = np.empty(n, dtype=np.int64)
    rare = np.empty(n, dtype=np.bool_)
    key = np.empty(n, dtype=np.int64)
    n = 0
    for kind in range(2):
        groups = chars if kind == 0 else words
        flags = rare_a if kind == 0 else word_rare_a
        for g in range(len(groups)):
            any_rare = False
            for x in range(groups[g, 0], groups[g, 1]):
                any_rare = any_rare or flags[x]
            for x in range(groups[g, 2 * side], groups[g, 2 * side + 1]):
                if kind == 0:
                    i = index[x]
                    s[n], e[n] = starts[i], ends[i + offset]
                else:
                    s[n], e[n] = word_starts[x], word_ends[x]
                rare[n] = flags[x] if side == 0 else any_rare
                key[n] = g + kind * len(chars)
                n += 1
    # Sorted along the side once here, rather than by each density check that reads them; the
    # occurrences of most pairs are a few hundred positions in a text, which a radix sort orders
    # in two or three passes where an argsort compares (docs/performance.md).
    order = radix_order(s)
    return s[order], e[order], rare[order], key[order]
