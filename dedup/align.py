"""Alignment: turn two documents that LSH paired into exact shared passages.

Seeds are evidence that a spot of document a and a spot of document b hold the same wording. Two
kinds are used, and each must occur exactly once in each document, because repeated phrases ("the
United States") and short n-grams chain chance matches into huge false passages:

* ``seed_length`` consecutive non-space characters: they find verbatim and lightly edited copy, and
  survive glued or split words;
* whole words of at least ``word_min`` characters: a copy whose words were shuffled, or reworded
  around every third word, keeps few character runs that cross a word boundary but keeps its words.

Seeds are chained when they lie within ``gap`` characters of each other on both sides at once
(single linkage under the larger of the two distances): a copy cut by small edits stays one chain,
while two reordered blocks do not chain, since the last seed of one and the first of the next are
neighbours in one document only. Chains are then grouped by splitting them alternately along a and
along b wherever more than ``abut`` characters separate them: a copy whose words or sentences were
shuffled leaves its seeds scattered over one rectangle, too sparse to chain but without a gap on
either side. Groups too short, with too few seeds, or too sparse on either side (share of
characters covered by seeds below ``min_density``) are dropped; the rest are widened to whole
words. Passages overlapping on both sides are merged, and in-order pieces at most ``join`` apart on
both sides are joined: one copied passage, one detection.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import merge_sorted
from .boilerplate import ROW_MULTIPLIERS, Frequent, _estimate
from .errors import ParameterError
from .normalize import Normalized
from .score import _ranks
from .shingle import Shingles

__all__ = ["AlignParams", "Alignment", "Prepared", "align", "document_keys", "prepare"]

_SPACE = 32
_PACK_LIMIT = 1 << 62  # rank pair and position packed in one uint64 below this


@dataclass(frozen=True, slots=True)
class AlignParams:
    """How seeds are chosen and chained into passages (lengths in normalised characters).

    Example:
        >>> AlignParams(gap=-1)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: gap must be a non-negative integer, got -1
    """

    ngram: int = 5
    seed_length: int = 10
    word_min: int = 4
    gap: int = 200
    min_length: int = 150
    min_exact: int = 50
    exact_density: float = 0.8
    min_seeds: int = 3
    min_density: float = 0.25
    join: int = 800
    abut: int = 100

    def __post_init__(self) -> None:
        if self.ngram < 1:
            raise ParameterError(f"ngram must be a positive integer, got {self.ngram}")
        if not self.ngram <= self.seed_length <= 2 * self.ngram:
            raise ParameterError(f"seed_length ({self.seed_length}) must be between ngram ({self.ngram}) and 2 * ngram")
        if self.word_min < 1:
            raise ParameterError(f"word_min must be a positive integer, got {self.word_min}")
        if self.gap < 0:
            raise ParameterError(f"gap must be a non-negative integer, got {self.gap}")
        if self.min_length < 1:
            raise ParameterError(f"min_length must be a positive integer, got {self.min_length}")
        if not 1 <= self.min_exact <= self.min_length:
            raise ParameterError(f"min_exact ({self.min_exact}) must be between 1 and min_length ({self.min_length})")
        if not 0.0 <= self.exact_density <= 1.0:
            raise ParameterError(f"exact_density must be between 0 and 1, got {self.exact_density}")
        if self.min_seeds < 1:
            raise ParameterError(f"min_seeds must be a positive integer, got {self.min_seeds}")
        if not 0.0 <= self.min_density <= 1.0:
            raise ParameterError(f"min_density must be between 0 and 1, got {self.min_density}")


@dataclass(frozen=True, slots=True)
class Prepared:
    """One document made ready for alignment: its normalised text, shingles, word breaks and seeds.

    ``seed_keys`` are the sorted character-seed keys that occur exactly once in the document and
    ``seed_index`` the shingle index where each starts; ``word_keys`` the sorted hashes of the words
    (of at least ``word_min`` characters) that occur once, with their spans. Computed once per
    document, so that aligning it with many others costs one linear merge per pair.
    """

    normalized: Normalized
    shingles: Shingles
    spaces: npt.NDArray[np.int64]  # positions of spaces in the normalised text
    seed_offset: int
    seed_keys: npt.NDArray[np.uint64]
    seed_index: npt.NDArray[np.int64]
    word_keys: npt.NDArray[np.uint64]
    word_starts: npt.NDArray[np.int64]
    word_ends: npt.NDArray[np.int64]
    ngrams: npt.NDArray[np.uint32]  # the distinct n-gram hashes, sorted: the document's set for scores
    ranks: npt.NDArray[np.int32]  # each shingle's index in ngrams (score.ranked_ngrams)

    @property
    def nbytes(self) -> int:
        """Bytes the document takes: its arrays, the normalised text and its offsets.

        Example:
            >>> from dedup.normalize import normalize
            >>> from dedup.shingle import shingle
            >>> n = normalize("one two three one")
            >>> prepare(n, shingle(n.text, 5)).nbytes > len(n.text)
            True
        """
        arrays = (
            self.shingles.hashes, self.shingles.starts, self.shingles.ends, self.spaces, self.seed_keys,
            self.seed_index, self.word_keys, self.word_starts, self.word_ends, self.ngrams, self.ranks,
            self.normalized.offsets,
        )  # fmt: skip
        return sum(int(a.nbytes) for a in arrays) + sys.getsizeof(self.normalized.text)


@dataclass(frozen=True, slots=True)
class Alignment:
    """A shared passage in normalised-text coordinates of both documents, with its seed count."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    seeds: int


def prepare(
    normalized: Normalized,
    shingles: Shingles,
    params: AlignParams | None = None,
    common: npt.NDArray[np.uint64] | Callable[[npt.NDArray[np.uint64]], npt.NDArray[np.bool_]] | None = None,
) -> Prepared:
    """Bundle a normalised text with its shingles and unique seeds for :func:`align`.

    ``common`` says which seed keys (character-seed keys and word hashes) to leave out: a sorted
    array of them, or a function returning a mask of the keys given (see :mod:`dedup.boilerplate`).

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> n = normalize("one two three one")
        >>> p = prepare(n, shingle(n.text, 3), AlignParams(ngram=3, seed_length=5, word_min=3))
        >>> p.spaces.tolist(), [n.text[s:e] for s, e in zip(p.word_starts, p.word_ends)]
        ([3, 7, 13], ['two', 'three'])
    """
    p = params or AlignParams()
    if len(shingles.hashes) and int(shingles.ends[0] - shingles.starts[0]) < p.ngram:
        raise ParameterError(f"shingles must be {p.ngram}-grams (the params' ngram)")
    offset = p.seed_length - p.ngram
    cps = np.frombuffer(normalized.text.encode("utf-32-le"), dtype=np.uint32)
    if isinstance(common, Frequent):
        # The common keys are checked inside the kernel: the whole preparation is one call
        # without the GIL (the scan prepares documents on two threads).
        table, shift, limit = common.df.table, common.df.shift, common.limit
    else:
        table, shift, limit = np.zeros((1, 1), dtype=np.uint32), np.uint64(63), -1
    ngrams, ranks, keys, index, words, word_starts, word_ends, spaces = _prepare_kernel(
        cps, shingles.hashes, offset, p.word_min, table, ROW_MULTIPLIERS, shift, limit, _PACK_LIMIT
    )
    if common is not None and not isinstance(common, Frequent):
        if callable(common):
            keep_keys, keep_words = ~common(keys), ~common(words)
        else:
            keep_keys = ~np.isin(keys, common, assume_unique=True)
            keep_words = ~np.isin(words, common, assume_unique=True)
        keys, index = keys[keep_keys], index[keep_keys]
        words, word_starts, word_ends = words[keep_words], word_starts[keep_words], word_ends[keep_words]
    return Prepared(
        normalized, shingles, spaces, offset, keys, index, words, word_starts, word_ends, ngrams, ranks
    )


@njit(cache=True, nogil=True)
def _prepare_kernel(
    cps: npt.NDArray[np.uint32],
    hashes: npt.NDArray[np.uint32],
    offset: int,
    word_min: int,
    table: npt.NDArray[np.uint32],
    multipliers: npt.NDArray[np.uint64],
    shift: np.uint64,
    limit: int,
    pack_limit: int = _PACK_LIMIT,
) -> tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.int32],
    npt.NDArray[np.uint64],
    npt.NDArray[np.int64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
]:
    """:func:`prepare` in one call: n-gram ranks, seeds and words occurring once, spaces.

    With ``limit >= 0`` seeds and words whose count in ``table`` (a
    :class:`~dedup.boilerplate.DocumentFrequency`) exceeds it are left out. Returns
    ``ngrams, ranks, seed_keys, seed_index, word_keys, word_starts, word_ends, spaces``.
    """
    n = len(hashes)
    # Ranks: hash and position packed in one uint64 and sorted.
    low = _bits(n)
    packed = np.empty(n, dtype=np.uint64)
    for i in range(n):
        packed[i] = (np.uint64(hashes[i]) << np.uint64(low)) | np.uint64(i)
    ngrams, ranks = _ranks(_radix_sort(packed, 32 + low), low)
    # Seeds occurring once. A seed's key is hashes[i] << 32 | hashes[i + offset]; its pair of ranks
    # orders seeds as the key does and fits with i into one uint64, sorted as a plain number.
    m = max(n - offset, 0)
    d = np.uint64(len(ngrams))
    if m == 0:
        keys, index = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    elif len(ngrams) < 1 << 21 and m < 1 << 21 and len(ngrams) * len(ngrams) * m < pack_limit:  # (no overflow)
        seeds = np.empty(m, dtype=np.uint64)
        for i in range(m):
            seeds[i] = (np.uint64(ranks[i]) * d + np.uint64(ranks[i + offset])) * np.uint64(m) + np.uint64(i)
        seeds = _radix_sort(seeds, _bits(len(ngrams) * len(ngrams) * m))
        keys, index = _once_packed(seeds, np.uint64(m), hashes, offset)
    else:  # (beyond ~1.6 million n-grams a document: a stable sort of the keys themselves)
        raw = np.empty(m, dtype=np.uint64)
        for i in range(m):
            raw[i] = (np.uint64(hashes[i]) << np.uint64(32)) | np.uint64(hashes[i + offset])
        keys, index = _once_sorted(raw, np.argsort(raw, kind="mergesort"))
    word_hashes, starts, ends = _word_hashes(cps, word_min)
    words, first = _once_sorted(word_hashes, np.argsort(word_hashes, kind="mergesort"))
    if limit >= 0:
        keep = _estimate(table, multipliers, shift, keys) <= limit
        keys, index = keys[keep], index[keep]
        keep = _estimate(table, multipliers, shift, words) <= limit
        words, first = words[keep], first[keep]
    spaces = np.flatnonzero(cps == _SPACE).astype(np.int64)
    return ngrams, ranks, keys, index, words, starts[first], ends[first], spaces


@njit(cache=True, nogil=True)
def _bits(value: int) -> int:
    """Bits needed to write ``value - 1`` (0 for 0 or 1): the width of numbers below ``value``."""
    bits = 0
    while (1 << bits) < value:
        bits += 1
    return bits


@njit(cache=True, nogil=True)
def _radix_sort(values: npt.NDArray[np.uint64], bits: int) -> npt.NDArray[np.uint64]:
    """``values`` (each below ``2 ** bits``) sorted: an LSD radix sort, 11 bits a pass, in place.

    On a document's few thousand packed keys it is ~2x faster than numba's ``np.sort`` (whose
    quicksort is 3x slower than numpy's), and it runs inside kernels that hold no GIL.
    """
    n = len(values)
    other = np.empty_like(values)
    counts = np.empty(2049, dtype=np.int64)
    passes = (bits + 10) // 11
    for k in range(passes):
        # Even passes read `values` and write `other`, odd ones the other way round.
        src, dst = (values, other) if k % 2 == 0 else (other, values)
        shift = np.uint64(11 * k)
        counts[:] = 0
        for i in range(n):
            counts[((src[i] >> shift) & np.uint64(2047)) + 1] += 1
        for d in range(1, 2049):
            counts[d] += counts[d - 1]
        for i in range(n):
            digit = (src[i] >> shift) & np.uint64(2047)
            dst[counts[digit]] = src[i]
            counts[digit] += 1
    if passes % 2:
        values[:] = other
    return values


@njit(cache=True, nogil=True)
def _once_sorted(
    values: npt.NDArray[np.uint64], order: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The values occurring once, in the sorted ``order`` given, and the index of each."""
    out = np.empty(len(values), dtype=np.uint64)
    where = np.empty(len(values), dtype=np.int64)
    n = 0
    k = 0
    while k < len(order):
        j = k + 1
        while j < len(order) and values[order[j]] == values[order[k]]:
            j += 1
        if j == k + 1:
            out[n] = values[order[k]]
            where[n] = order[k]
            n += 1
        k = j
    return out[:n], where[:n]


def document_keys(
    texts: list[str], hashes: npt.NDArray[np.uint32], offsets: npt.NDArray[np.int64], params: AlignParams | None = None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The seed keys each normalised text offers (those occurring once in it), for document frequencies.

    ``hashes`` and ``offsets`` are ``shingle.hash_many(texts, params.ngram)``. Returns the keys of
    every text, sorted within each text, and the offsets of each text's keys: the same keys as
    ``prepare(...).seed_keys`` and ``.word_keys`` of each text, computed for a batch in two kernels.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import hash_many, shingle
        >>> texts = [normalize("one two three one").text, normalize("four five").text]
        >>> params = AlignParams(ngram=3, seed_length=5, word_min=3)
        >>> keys, offsets = document_keys(texts, *hash_many(texts, 3), params)
        >>> p = prepare(normalize(texts[0]), shingle(texts[0], 3), params)
        >>> sorted(keys[offsets[0]:offsets[1]].tolist()) == sorted(p.seed_keys.tolist() + p.word_keys.tolist())
        True
    """
    p = params or AlignParams()
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) + 1 for t in texts], out=starts[1:])
    # One space between texts: no word runs across two of them.
    cps = np.frombuffer(" ".join(texts).encode("utf-32-le"), dtype=np.uint32)
    words, word_starts, _ = _word_hashes(cps, p.word_min)
    word_offsets = np.searchsorted(word_starts, starts).astype(np.int64)
    seeds, seed_offsets = _seed_values(hashes, offsets, p.seed_length - p.ngram)
    once_seeds = _once_in_segments(_sorted_segments(seeds, seed_offsets), seed_offsets)
    once_words = _once_in_segments(_sorted_segments(words.copy(), word_offsets), word_offsets)
    return _interleave(*once_seeds, *once_words)


@njit(cache=True, nogil=True)
def _once_packed(
    packed: npt.NDArray[np.uint64], m: np.uint64, hashes: npt.NDArray[np.uint32], offset: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Keys and indices of the values of sorted ``packed`` (``pair * m + i``) whose pair occurs once."""
    keys = np.empty(len(packed), dtype=np.uint64)
    index = np.empty(len(packed), dtype=np.int64)
    n = 0
    k = 0
    while k < len(packed):
        pair = packed[k] // m
        j = k + 1
        while j < len(packed) and packed[j] // m == pair:
            j += 1
        if j == k + 1:
            i = np.int64(packed[k] % m)
            keys[n] = (np.uint64(hashes[i]) << np.uint64(32)) | np.uint64(hashes[i + offset])
            index[n] = i
            n += 1
        k = j
    return keys[:n], index[:n]


def _sorted_segments(values: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    """``values`` with each segment ``offsets[t]:offsets[t + 1]`` sorted, in place.

    A numpy sort a segment: numpy's vectorised sort beats numba's by ~4x on these few thousand
    keys, more than a Python loop over a batch's texts costs.
    """
    for t in range(len(offsets) - 1):
        values[offsets[t] : offsets[t + 1]].sort()
    return values


@njit(cache=True, nogil=True)
def _seed_values(
    hashes: npt.NDArray[np.uint32], offsets: npt.NDArray[np.int64], offset: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Every character-seed key of each text (``hashes[i] << 32 | hashes[i + offset]``), with offsets."""
    n = len(offsets) - 1
    out = np.empty(len(hashes), dtype=np.uint64)
    out_offsets = np.zeros(n + 1, dtype=np.int64)
    count = 0
    for t in range(n):
        for i in range(offsets[t], offsets[t + 1] - offset):
            out[count] = (np.uint64(hashes[i]) << np.uint64(32)) | np.uint64(hashes[i + offset])
            count += 1
        out_offsets[t + 1] = count
    return out[:count], out_offsets


@njit(cache=True, nogil=True)
def _once_in_segments(
    keys: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The values occurring once in each sorted segment of ``keys``, with the segments' new offsets."""
    out = np.empty(len(keys), dtype=np.uint64)
    out_offsets = np.zeros(len(offsets), dtype=np.int64)
    count = 0
    for t in range(len(offsets) - 1):
        i = offsets[t]
        while i < offsets[t + 1]:
            j = i + 1
            while j < offsets[t + 1] and keys[j] == keys[i]:
                j += 1
            if j == i + 1:
                out[count] = keys[i]
                count += 1
            i = j
        out_offsets[t + 1] = count
    return out[:count], out_offsets


@njit(cache=True, nogil=True)
def _interleave(
    a: npt.NDArray[np.uint64],
    a_offsets: npt.NDArray[np.int64],
    b: npt.NDArray[np.uint64],
    b_offsets: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Per text, its values of ``a`` then its values of ``b``; with the new offsets."""
    out = np.empty(len(a) + len(b), dtype=np.uint64)
    offsets = a_offsets + b_offsets
    for t in range(len(a_offsets) - 1):
        k = offsets[t]
        for x in range(a_offsets[t], a_offsets[t + 1]):
            out[k] = a[x]
            k += 1
        for x in range(b_offsets[t], b_offsets[t + 1]):
            out[k] = b[x]
            k += 1
    return out, offsets


@njit(cache=True, nogil=True)
def _word_hashes(
    cps: npt.NDArray[np.uint32], word_min: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """FNV-1a hash, start and end of every space-delimited word of at least ``word_min`` characters."""
    n = len(cps)
    hashes = np.empty(n // max(word_min, 1) + 1, dtype=np.uint64)
    starts = np.empty_like(hashes, dtype=np.int64)
    ends = np.empty_like(starts)
    count = 0
    start = 0
    h = np.uint64(0xCBF29CE484222325)
    for i in range(n + 1):
        if i == n or cps[i] == _SPACE:
            if i - start >= word_min:
                hashes[count], starts[count], ends[count] = h, start, i
                count += 1
            start = i + 1
            h = np.uint64(0xCBF29CE484222325)
        else:
            h = (h ^ np.uint64(cps[i])) * np.uint64(0x100000001B3)
    return hashes[:count], starts[:count], ends[:count]


@njit(cache=True, nogil=True)
def _find(parent: npt.NDArray[np.int64], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


_RUN_STEP = 2  # consecutive n-gram starts on one diagonal are 1 apart, 2 across a space


@njit(cache=True, nogil=True)
def _any_difference(
    start_a: npt.NDArray[np.int64],
    order: npt.NDArray[np.int64],
    first_k: npt.NDArray[np.int64],
    r: int,
    t: int,
    low: int,
    high: int,
) -> bool:
    """Whether a start of run t minus a start of run r lies in [low, high] (two sorted walks)."""
    q = first_k[t]
    for k in range(first_k[r], first_k[r + 1]):
        p = start_a[order[k]]
        while q < first_k[t + 1] and start_a[order[q]] - p < low:
            q += 1
        if q == first_k[t + 1]:
            return False
        if start_a[order[q]] - p <= high:
            return True
    return False


@njit(cache=True, nogil=True)
def _chain(start_a: npt.NDArray[np.int64], start_b: npt.NDArray[np.int64], gap: int) -> npt.NDArray[np.int64]:
    """Label of each seed's chain: seeds within ``gap`` on both sides at once share a label.

    Chains are numbered 0, 1, ... in the order of their first seed; ``start_a`` must be sorted.
    Computed over runs of adjacent seeds on one diagonal instead of seed by seed: a copied stretch
    gives hundreds of seeds one or two characters apart on one diagonal
    (``start_b - start_a`` constant); comparing every seed with the ~``gap`` seeds after it was most
    of the alignment's time. Such a run is one chain by itself, and two runs link when some seed of
    each lies within ``gap`` of the other on both sides, i.e. when some difference of their starts
    along a falls in the interval that being within ``gap`` on both sides allows. The differences
    of two runs (starts at most 2 apart) leave no hole wider than one: an overlap of three or more
    integers always holds one, and only a narrower one is checked seed by seed. The labels are
    those of single linkage over every pair of seeds (tested against it).
    """
    n = len(start_a)
    labels = np.arange(n)
    if n == 0:
        return labels
    diag = start_b - start_a
    step = min(_RUN_STEP, gap)  # seeds of a run must chain with their neighbours
    order = _by_diagonal(diag, start_a)
    run_of = np.empty(n, dtype=np.int64)
    first_k = np.empty(n + 1, dtype=np.int64)  # run r holds order[first_k[r]:first_k[r + 1]]
    lo = np.empty(n, dtype=np.int64)
    hi = np.empty(n, dtype=np.int64)
    rdiag = np.empty(n, dtype=np.int64)
    runs = -1
    for k in range(n):
        i = order[k]
        if runs < 0 or diag[i] != rdiag[runs] or start_a[i] - hi[runs] > step:
            runs += 1
            lo[runs], hi[runs], rdiag[runs] = start_a[i], start_a[i], diag[i]
            first_k[runs] = k
        else:
            hi[runs] = start_a[i]
        run_of[i] = runs
    runs += 1
    first_k[runs] = n
    by_lo = np.argsort(lo[:runs], kind="mergesort")
    parent = np.arange(runs)
    for x in range(runs):
        r = by_lo[x]
        for y in range(x + 1, runs):
            t = by_lo[y]
            if lo[t] - hi[r] > gap:
                break
            # Differences start_a(t) - start_a(r) available, against those within gap on both sides.
            shift = rdiag[t] - rdiag[r]
            low = max(lo[t] - hi[r], -gap, -gap - shift)
            high = min(hi[t] - lo[r], gap, gap - shift)
            if low > high or (high - low < 2 and not _any_difference(start_a, order, first_k, r, t, low, high)):
                continue
            rr, rt = _find(parent, r), _find(parent, t)
            if rr != rt:
                parent[max(rr, rt)] = min(rr, rt)
    # Chains numbered 0, 1, ... in the order of their first seed along a.
    number = np.full(runs, -1, dtype=np.int64)
    chains = 0
    for i in range(n):
        root = _find(parent, run_of[i])
        if number[root] < 0:
            number[root] = chains
            chains += 1
        labels[i] = number[root]
    return labels


@njit(cache=True, nogil=True)
def _by_diagonal(diag: npt.NDArray[np.int64], start_a: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Seed order by diagonal, then by start along a (``start_a`` is sorted).

    A counting sort over the diagonals, stable, so that each diagonal keeps the order along a: the
    diagonals of a pair span at most the two lengths, and a comparison sort of the seeds was most
    of the chaining's time. Falls back to sorting when the span is large against the seed count.
    """
    n = len(diag)
    low, high = diag.min(), diag.max()
    if high - low > 8 * n + 4096:
        return np.argsort(diag * (start_a.max() + 1) + start_a, kind="mergesort")
    first = np.zeros(high - low + 2, dtype=np.int64)
    for i in range(n):
        first[diag[i] - low + 1] += 1
    for d in range(1, len(first)):
        first[d] += first[d - 1]
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        d = diag[i] - low
        order[first[d]] = i
        first[d] += 1
    return order


@njit(cache=True, nogil=True)
def _tile_chains(
    lo_a: npt.NDArray[np.int64],
    hi_a: npt.NDArray[np.int64],
    lo_b: npt.NDArray[np.int64],
    hi_b: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    abut: int,
    min_seeds: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Alternate splits of the chains along a and b at gaps wider than ``abut``, in place.

    Returns the chain order and the [start, end) bounds in it of each final group that holds at
    least ``min_seeds`` seeds (smaller groups could only be dropped later).
    """
    n = len(lo_a)
    idx = np.arange(n)
    stack = [(0, n)]
    out = []
    while stack:
        first, last = stack.pop()
        split = False
        for side in range(2):
            lo = lo_a if side == 0 else lo_b
            hi = hi_a if side == 0 else hi_b
            seg = idx[first:last]
            seg = seg[np.argsort(lo[seg], kind="mergesort")]
            idx[first:last] = seg
            reach = hi[seg[0]]
            begin = first
            for k in range(1, last - first):
                if lo[seg[k]] > reach + abut:
                    stack.append((begin, first + k))
                    begin = first + k
                    split = True
                reach = max(reach, hi[seg[k]])
            if split:
                stack.append((begin, last))
                break
        if not split:
            out.append((first, last))
    bounds = np.empty((len(out), 2), dtype=np.int64)
    kept = 0
    for first, last in out:
        if sizes[idx[first:last]].sum() >= min_seeds:
            bounds[kept, 0], bounds[kept, 1] = first, last
            kept += 1
    return idx, bounds[:kept]


@njit(cache=True, nogil=True)
def _group_passages(
    chains: npt.NDArray[np.int64],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    spaces_a: npt.NDArray[np.int64],
    length_a: int,
    spaces_b: npt.NDArray[np.int64],
    length_b: int,
    abut: int,
    min_seeds: int,
    min_length: int,
    min_exact: int,
    min_density: float,
    exact_density: float,
) -> npt.NDArray[np.int64]:
    """Seeds grouped into passages: rows of (a_start, a_end, b_start, b_end, seeds, short).

    A copy whose words or sentences were shuffled does not chain into one piece (its seeds are
    scattered over the whole rectangle, too sparse for single linkage) but its chains, singletons
    included, leave no gap wider than ``abut`` along either document: chains are split alternately
    along a and along b at such gaps until no group splits (:func:`_tile_chains`). A group is kept
    if it has ``min_seeds`` seeds and its seeds cover ``min_density`` of it on both sides (then
    ``short`` is 0) or, from ``min_exact`` up to ``min_length`` characters, ``exact_density``
    (``short`` 1). Spans are widened to whole words.
    """
    n = len(chains)
    count = chains.max() + 1 if n else 0
    first = np.zeros(count + 1, dtype=np.int64)
    for i in range(n):
        first[chains[i] + 1] += 1
    first = np.cumsum(first)
    # Seeds grouped by chain, in order along a within each (a counting sort: labels are small).
    order = np.empty(n, dtype=np.int64)
    fill = first[:-1].copy()
    for i in range(n):
        order[fill[chains[i]]] = i
        fill[chains[i]] += 1
    lo_a = np.full(count, np.iinfo(np.int64).max)
    lo_b = np.full(count, np.iinfo(np.int64).max)
    hi_a = np.full(count, np.iinfo(np.int64).min)
    hi_b = np.full(count, np.iinfo(np.int64).min)
    for i in range(n):
        c = chains[i]
        lo_a[c], hi_a[c] = min(lo_a[c], start_a[i]), max(hi_a[c], end_a[i])
        lo_b[c], hi_b[c] = min(lo_b[c], start_b[i]), max(hi_b[c], end_b[i])
    sizes = first[1:] - first[:-1]
    idx, groups = _tile_chains(lo_a, hi_a, lo_b, hi_b, sizes, abut, min_seeds)
    out = np.empty((len(groups), 6), dtype=np.int64)
    kept = 0
    members = np.empty(n, dtype=np.int64)
    for g in range(len(groups)):
        group = idx[groups[g, 0] : groups[g, 1]]
        # Small chains (chance matches among them) may fill a group but not widen it: only those
        # inside the rectangle spanned by its chains of min_seeds or more stay.
        box_lo_a = box_lo_b = np.iinfo(np.int64).max
        box_hi_a = box_hi_b = np.iinfo(np.int64).min
        for c in group:
            if sizes[c] >= min_seeds:
                box_lo_a, box_hi_a = min(box_lo_a, lo_a[c]), max(box_hi_a, hi_a[c])
                box_lo_b, box_hi_b = min(box_lo_b, lo_b[c]), max(box_hi_b, hi_b[c])
        if box_lo_a > box_hi_a:
            continue
        m = 0
        for c in group:
            inside = box_lo_a <= lo_a[c] <= box_hi_a and box_lo_b <= lo_b[c] <= box_hi_b
            if len(group) == 1 or sizes[c] >= min_seeds or inside:
                for k in range(first[c], first[c + 1]):
                    members[m] = order[k]
                    m += 1
        if m < min_seeds:
            continue
        seeds = members[:m]
        a0, a1 = start_a[seeds].min(), end_a[seeds].max()
        b0, b1 = start_b[seeds].min(), end_b[seeds].max()
        length = min(a1 - a0, b1 - b0)
        if length < min_exact:
            continue
        density = min(
            _covered(start_a[seeds], end_a[seeds]) / (a1 - a0), _covered(start_b[seeds], end_b[seeds]) / (b1 - b0)
        )
        if density < (min_density if length >= min_length else exact_density):
            continue
        out[kept, 0], out[kept, 1] = _widen(spaces_a, length_a, a0, a1)
        out[kept, 2], out[kept, 3] = _widen(spaces_b, length_b, b0, b1)
        out[kept, 4], out[kept, 5] = m, length < min_length
        kept += 1
    return out[:kept]


@njit(cache=True, nogil=True)
def _covered(starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> int:
    """Characters covered by the union of half-open intervals (at least one)."""
    low, high = starts.min(), ends.max()
    if high - low <= 16 * len(starts) + 4096:
        # A difference array over the span: linear, where sorting the intervals was 3x slower.
        depth = np.zeros(high - low + 1, dtype=np.int32)
        for k in range(len(starts)):
            depth[starts[k] - low] += 1
            depth[ends[k] - low] -= 1
        covered = run = 0
        for x in range(high - low):
            run += depth[x]
            covered += run > 0
        return covered
    order = np.argsort(starts)
    covered = 0
    reach = starts[order[0]]
    for i in order:
        if ends[i] > reach:
            covered += ends[i] - max(starts[i], reach)
            reach = ends[i]
    return covered


@njit(cache=True, nogil=True)
def _widen(spaces: npt.NDArray[np.int64], length: int, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole words of a normalised text whose spaces are at ``spaces``."""
    i = np.searchsorted(spaces, start, side="right")
    new_start = spaces[i - 1] + 1 if i > 0 else 0
    j = np.searchsorted(spaces, end, side="left")
    new_end = spaces[j] if j < len(spaces) else length
    return min(new_start, start), max(new_end, end)


def _in_order(x: Alignment, y: Alignment) -> bool:
    """Whether x lies wholly before y on both sides, or wholly after it on both sides."""
    before = x.a_end <= y.a_start and x.b_end <= y.b_start
    return before or (y.a_end <= x.a_start and y.b_end <= x.b_start)


def _merge(alignments: list[Alignment]) -> list[Alignment]:
    """Merge passages that overlap on both sides: one copied passage, one detection."""
    merged: list[Alignment] = []
    for al in sorted(alignments, key=lambda x: (x.a_start, x.b_start)):
        for k, m in enumerate(merged):
            if al.a_start < m.a_end and m.a_start < al.a_end and al.b_start < m.b_end and m.b_start < al.b_end:
                merged[k] = Alignment(
                    min(m.a_start, al.a_start),
                    max(m.a_end, al.a_end),
                    min(m.b_start, al.b_start),
                    max(m.b_end, al.b_end),
                    m.seeds + al.seeds,
                )
                break
        else:
            merged.append(al)
    return merged if len(merged) == len(alignments) else _merge(merged)


def _join(alignments: list[Alignment], join: int, abut: int) -> list[Alignment]:
    """Join passages that follow each other in the same order on both sides, ``join`` or fewer apart.

    They may overlap by up to ``abut`` characters (word widening makes neighbours touch).

    A copy cut in pieces by a reworded sentence or a dropped clause is one case: reporting it as
    several passages would make a reader (and the PAN granularity) count it several times.
    """
    items = sorted(alignments, key=lambda x: (x.a_start, x.b_start))
    out: list[Alignment] = []
    for q in items:
        if out:
            p = out[-1]
            gap_a, gap_b = q.a_start - p.a_end, q.b_start - p.b_end
            # Nested or crossing passages are not pieces of one copy: leave them to _tile.
            if -abut <= gap_a <= join and -abut <= gap_b <= join:
                out[-1] = _union([p, q])
                continue
        out.append(q)
    return out


def _union(parts: list[Alignment]) -> Alignment:
    return Alignment(
        min(x.a_start for x in parts),
        max(x.a_end for x in parts),
        min(x.b_start for x in parts),
        max(x.b_end for x in parts),
        sum(x.seeds for x in parts),
    )


def _runs(parts: list[Alignment], side: str, abut: int) -> list[list[Alignment]]:
    """Split passages into runs along one side wherever more than ``abut`` characters separate them."""
    ordered = sorted(parts, key=lambda x: getattr(x, side + "_start"))
    runs: list[list[Alignment]] = [[ordered[0]]]
    reach = getattr(ordered[0], side + "_end")
    for x in ordered[1:]:
        if getattr(x, side + "_start") - reach > abut:
            runs.append([])
        runs[-1].append(x)
        reach = max(reach, getattr(x, side + "_end"))
    return runs


def _tile(alignments: list[Alignment], abut: int) -> list[Alignment]:
    """Merge passages that tile one stretch of text on both sides, whatever their order.

    A paragraph whose sentences were reordered comes out of the chaining as one passage per
    sentence, each abutting others on both sides; blocks with other text between them on either
    side (a heading, an unshared paragraph) stay apart. Groups are split alternately along a and
    along b at gaps wider than ``abut`` until none splits; each group left is one passage.
    """
    if not alignments:
        return []
    stack = [alignments]
    done: list[Alignment] = []
    while stack:
        group = stack.pop()
        runs = _runs(group, "a", abut)
        if len(runs) == 1:
            runs = _runs(group, "b", abut)
            if len(runs) == 1:
                done.append(_union(group))
                continue
        for run in runs:
            if len(run) == 1:
                done.append(run[0])
            else:
                stack.append(run)
    return sorted(done, key=lambda x: (x.a_start, x.b_start))


def _rows(a: Prepared, b: Prepared, p: AlignParams) -> npt.NDArray[np.int64]:
    """The grouped passages of a pair (see :func:`_group_passages`) in one kernel call.

    Seeds, chains and groups run in one call, without the GIL: several short calls a pair made the
    two alignment threads wait for each other to hand the GIL back more than they worked.
    """
    return _align_kernel(
        a.seed_keys, a.seed_index, a.shingles.starts, a.shingles.ends, a.word_keys, a.word_starts, a.word_ends,
        a.spaces, len(a.normalized.text),
        b.seed_keys, b.seed_index, b.shingles.starts, b.shingles.ends, b.word_keys, b.word_starts, b.word_ends,
        b.spaces, len(b.normalized.text),
        p.seed_length - p.ngram, p.gap, p.abut, p.min_seeds, p.min_length, p.min_exact, p.min_density,
        p.exact_density,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _align_kernel(
    keys_a: npt.NDArray[np.uint64],
    index_a: npt.NDArray[np.int64],
    starts_a: npt.NDArray[np.int64],
    ends_a: npt.NDArray[np.int64],
    words_a: npt.NDArray[np.uint64],
    word_starts_a: npt.NDArray[np.int64],
    word_ends_a: npt.NDArray[np.int64],
    spaces_a: npt.NDArray[np.int64],
    length_a: int,
    keys_b: npt.NDArray[np.uint64],
    index_b: npt.NDArray[np.int64],
    starts_b: npt.NDArray[np.int64],
    ends_b: npt.NDArray[np.int64],
    words_b: npt.NDArray[np.uint64],
    word_starts_b: npt.NDArray[np.int64],
    word_ends_b: npt.NDArray[np.int64],
    spaces_b: npt.NDArray[np.int64],
    length_b: int,
    offset: int,
    gap: int,
    abut: int,
    min_seeds: int,
    min_length: int,
    min_exact: int,
    min_density: float,
    exact_density: float,
) -> npt.NDArray[np.int64]:
    start_a, end_a, start_b, end_b = _seed_spans(
        keys_a, index_a, starts_a, ends_a, words_a, word_starts_a, word_ends_a,
        keys_b, index_b, starts_b, ends_b, words_b, word_starts_b, word_ends_b, offset,
    )  # fmt: skip
    if len(start_a) < min_seeds:
        return np.zeros((0, 6), dtype=np.int64)
    chains = _chain(start_a, start_b, gap)
    return _group_passages(
        chains, start_a, end_a, start_b, end_b, spaces_a, length_a, spaces_b, length_b, abut, min_seeds,
        min_length, min_exact, min_density, exact_density,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _seed_spans(
    keys_a: npt.NDArray[np.uint64],
    index_a: npt.NDArray[np.int64],
    starts_a: npt.NDArray[np.int64],
    ends_a: npt.NDArray[np.int64],
    words_a: npt.NDArray[np.uint64],
    word_starts_a: npt.NDArray[np.int64],
    word_ends_a: npt.NDArray[np.int64],
    keys_b: npt.NDArray[np.uint64],
    index_b: npt.NDArray[np.int64],
    starts_b: npt.NDArray[np.int64],
    ends_b: npt.NDArray[np.int64],
    words_b: npt.NDArray[np.uint64],
    word_starts_b: npt.NDArray[np.int64],
    word_ends_b: npt.NDArray[np.int64],
    offset: int,
    sparse: int = 32,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Spans in a and in b (start_a, end_a, start_b, end_b) of every shared seed, ordered along a.

    Pairs sharing fewer than one seed in ``sparse`` n-grams of a take :func:`_sparse_seed_spans`.
    """
    in_a, in_b = merge_sorted(keys_a, keys_b)
    wa, wb = merge_sorted(words_a, words_b)
    n, m = len(in_a), len(wa)
    if sparse * (n + m) < len(starts_a):
        return _sparse_seed_spans(in_a, in_b, wa, wb, index_a, starts_a, ends_a, word_starts_a, word_ends_a,
                                  index_b, starts_b, ends_b, word_starts_b, word_ends_b, offset)  # fmt: skip
    # Merges give the seeds in key order; they are put in order along a without sorting: a char
    # seed by its n-gram index in a, a word by its start (each occurs once in a), then the two
    # streams are merged, char seeds first at equal starts.
    char_at = np.full(len(starts_a), -1, dtype=np.int64)
    for k in range(n):
        char_at[index_a[in_a[k]]] = k
    word_at = np.full(ends_a[-1] + 1 if len(ends_a) else 1, -1, dtype=np.int64)
    for k in range(m):
        word_at[word_starts_a[wa[k]]] = k
    start_a = np.empty(n + m, dtype=np.int64)
    end_a = np.empty_like(start_a)
    start_b = np.empty_like(start_a)
    end_b = np.empty_like(start_a)
    out = 0
    w = 0  # next position of word_at to look at
    for ia in range(len(char_at)):
        k = char_at[ia]
        if k < 0:
            continue
        while w < starts_a[ia]:
            if word_at[w] >= 0:
                out = _put_word(word_at[w], wa, wb, word_starts_a, word_ends_a, word_starts_b, word_ends_b,
                                start_a, end_a, start_b, end_b, out)  # fmt: skip
            w += 1
        ib = index_b[in_b[k]]
        start_a[out], end_a[out] = starts_a[ia], ends_a[ia + offset]
        start_b[out], end_b[out] = starts_b[ib], ends_b[ib + offset]
        out += 1
    while w < len(word_at):
        if word_at[w] >= 0:
            out = _put_word(word_at[w], wa, wb, word_starts_a, word_ends_a, word_starts_b, word_ends_b,
                            start_a, end_a, start_b, end_b, out)  # fmt: skip
        w += 1
    return start_a, end_a, start_b, end_b


@njit(cache=True, nogil=True)
def _sparse_seed_spans(
    in_a: npt.NDArray[np.int64],
    in_b: npt.NDArray[np.int64],
    wa: npt.NDArray[np.int64],
    wb: npt.NDArray[np.int64],
    index_a: npt.NDArray[np.int64],
    starts_a: npt.NDArray[np.int64],
    ends_a: npt.NDArray[np.int64],
    word_starts_a: npt.NDArray[np.int64],
    word_ends_a: npt.NDArray[np.int64],
    index_b: npt.NDArray[np.int64],
    starts_b: npt.NDArray[np.int64],
    ends_b: npt.NDArray[np.int64],
    word_starts_b: npt.NDArray[np.int64],
    word_ends_b: npt.NDArray[np.int64],
    offset: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """:func:`_seed_spans` for a pair that shares few seeds, in the same order, by sorting them.

    Most candidate pairs of long documents share a handful of seeds: walking arrays as long as the
    document (and filling them first) cost more than the merges. Starts are distinct within each
    kind, and a char seed comes before a word at the same start, as in the walk.
    """
    n, m = len(in_a), len(wa)
    key = np.empty(n + m, dtype=np.int64)
    for k in range(n):
        key[k] = 2 * starts_a[index_a[in_a[k]]]
    for k in range(m):
        key[n + k] = 2 * word_starts_a[wa[k]] + 1
    start_a = np.empty(n + m, dtype=np.int64)
    end_a = np.empty_like(start_a)
    start_b = np.empty_like(start_a)
    end_b = np.empty_like(start_a)
    for out, k in enumerate(np.argsort(key)):
        if k < n:
            ia, ib = index_a[in_a[k]], index_b[in_b[k]]
            start_a[out], end_a[out] = starts_a[ia], ends_a[ia + offset]
            start_b[out], end_b[out] = starts_b[ib], ends_b[ib + offset]
        else:
            _put_word(k - n, wa, wb, word_starts_a, word_ends_a, word_starts_b, word_ends_b,
                      start_a, end_a, start_b, end_b, out)  # fmt: skip
    return start_a, end_a, start_b, end_b


@njit(cache=True, nogil=True, inline="always")
def _put_word(
    k: int,
    wa: npt.NDArray[np.int64],
    wb: npt.NDArray[np.int64],
    word_starts_a: npt.NDArray[np.int64],
    word_ends_a: npt.NDArray[np.int64],
    word_starts_b: npt.NDArray[np.int64],
    word_ends_b: npt.NDArray[np.int64],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    out: int,
) -> int:
    start_a[out], end_a[out] = word_starts_a[wa[k]], word_ends_a[wa[k]]
    start_b[out], end_b[out] = word_starts_b[wb[k]], word_ends_b[wb[k]]
    return out + 1


def align(a: Prepared, b: Prepared, params: AlignParams | None = None) -> list[Alignment]:
    """Passages shared by two prepared documents, in normalised coordinates, ordered along a.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> shared = "the quick brown fox jumps over the lazy dog near the quiet river bank today "
        >>> ta = "alpha beta gamma delta " + shared + "epsilon zeta eta theta"
        >>> tb = "one two three four five six " + shared + "seven eight"
        >>> na, nb = normalize(ta), normalize(tb)
        >>> params = AlignParams(min_length=50)
        >>> pa, pb = prepare(na, shingle(na.text, 5), params), prepare(nb, shingle(nb.text, 5), params)
        >>> [(na.text[x.a_start:x.a_end], nb.text[x.b_start:x.b_end]) == (shared.strip(),) * 2
        ...  for x in align(pa, pb, params)]
        [True]
    """
    p = params or AlignParams()
    offset = p.seed_length - p.ngram
    if a.seed_offset != offset or b.seed_offset != offset:
        raise ParameterError("documents must be prepared with the same seed_length and ngram as the alignment")
    rows = _rows(a, b, p).tolist()
    found = [Alignment(a0, a1, b0, b1, seeds) for a0, a1, b0, b1, seeds, short in rows if not short]
    short = [Alignment(a0, a1, b0, b1, seeds) for a0, a1, b0, b1, seeds, short in rows if short]
    if not short:
        # (One passage, the common case, is its own merge, join and tiling.)
        return found if len(found) < 2 else _tile(_join(_merge(found), p.join, p.abut), p.abut)
    # A short verbatim run (a quoted statement) is copy only on evidence: alone it is as likely a
    # stock phrase of the story ("the war between Israel and Hamas in the Gaza Strip"). It counts
    # as a piece of a passage it extends in order (within `join` on both sides), and is dropped
    # if it ends up alone; one out of order with a passage (before it on one side, after or over it
    # on the other) is a displaced phrase of a shuffled copy, whose passage is already reported.
    found.extend(s for s in short if all(_in_order(s, f) for f in found))
    joined = _tile(_join(_merge(found), p.join, p.abut), p.abut)
    return [x for x in joined if min(x.a_end - x.a_start, x.b_end - x.b_start) >= p.min_length]
