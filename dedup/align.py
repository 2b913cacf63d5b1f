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

from .boilerplate import ROW_MULTIPLIERS, Boilerplate, _estimate, _estimate_salted, rare_limit
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
    gap: int = 150
    min_length: int = 150
    min_exact: int = 40
    exact_density: float = 0.8
    min_seeds: int = 3
    min_density: float = 0.25
    join: int = 0
    abut: int = 100
    max_repeat: int = 2
    rare_df: float = 0.2

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
        if self.max_repeat < 1:
            raise ParameterError(f"max_repeat must be a positive integer, got {self.max_repeat}")
        if not 0.0 <= self.rare_df <= 1.0:
            raise ParameterError(f"rare_df must be between 0 and 1, got {self.rare_df}")


@dataclass(frozen=True, slots=True)
class Prepared:
    """One document made ready for alignment: its normalised text, shingles, word breaks and seeds.

    ``seed_keys`` are the sorted character-seed keys that occur at most ``max_repeat`` times in the
    document (each occurrence once, in order along the text) and ``seed_index`` the shingle index
    where each starts; ``word_keys`` the sorted hashes of the words (of at least ``word_min``
    characters) that occur at most ``max_repeat`` times, with their spans. ``seed_rare`` and
    ``word_rare`` say which are rare in the corpus (all of them when no corpus counts were given).
    Computed once per document, so that aligning it with many others costs one linear merge per pair.
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
    seed_rare: npt.NDArray[np.bool_]
    word_rare: npt.NDArray[np.bool_]

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
            self.normalized.offsets, self.seed_rare, self.word_rare,
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


_NO_TABLE = np.zeros((1, 1), dtype=np.uint32)
_Common = npt.NDArray[np.uint64] | Callable[[npt.NDArray[np.uint64]], npt.NDArray[np.bool_]] | Boilerplate | None


def prepare(
    normalized: Normalized,
    shingles: Shingles,
    params: AlignParams | None = None,
    common: _Common = None,
) -> Prepared:
    """Bundle a normalised text with its shingles and seeds for :func:`align`.

    ``common`` says which seed keys (character-seed keys and word hashes) to leave out: a
    :class:`~dedup.boilerplate.Boilerplate` (the document's source's boilerplate; it also gives
    each seed's rarity in the corpus), a sorted array of keys, or a function returning a mask of
    the keys given. Without a ``Boilerplate`` every seed counts as rare.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> n = normalize("one two three one")
        >>> p = prepare(n, shingle(n.text, 3), AlignParams(ngram=3, seed_length=5, word_min=3))
        >>> p.spaces.tolist(), [n.text[s:e] for s, e in zip(p.word_starts, p.word_ends)]
        ([3, 7, 13], ['one', 'one', 'two', 'three'])
    """
    p = params or AlignParams()
    if len(shingles.hashes) and int(shingles.ends[0] - shingles.starts[0]) < p.ngram:
        raise ParameterError(f"shingles must be {p.ngram}-grams (the params' ngram)")
    offset = p.seed_length - p.ngram
    cps = np.frombuffer(normalized.text.encode("utf-32-le"), dtype=np.uint32)
    if isinstance(common, Boilerplate):
        # Boilerplate and rarity are checked inside the kernel: the whole preparation is one call
        # without the GIL (the scan prepares documents on two threads).
        counts = common.counts
        within, shift, salt, limit = counts.within.table, counts.within.shift, common.salt, common.limit
        corpus, rare = counts.corpus.table, rare_limit(counts.documents, p.rare_df)
    else:
        within, shift, salt, limit, corpus, rare = _NO_TABLE, np.uint64(63), np.uint64(0), -1, _NO_TABLE, -1
    ngrams, ranks, keys, index, seed_rare, words, word_starts, word_ends, word_rare, spaces = _prepare_kernel(
        cps, shingles.hashes, offset, p.word_min, p.max_repeat, within, corpus, ROW_MULTIPLIERS, shift, salt, limit,
        rare, _PACK_LIMIT,
    )  # fmt: skip
    if common is not None and not isinstance(common, Boilerplate):
        if callable(common):
            keep_keys, keep_words = ~common(keys), ~common(words)
        else:
            keep_keys, keep_words = ~np.isin(keys, common), ~np.isin(words, common)
        keys, index, seed_rare = keys[keep_keys], index[keep_keys], seed_rare[keep_keys]
        words, word_starts, word_ends = words[keep_words], word_starts[keep_words], word_ends[keep_words]
        word_rare = word_rare[keep_words]
    return Prepared(
        normalized, shingles, spaces, offset, keys, index, words, word_starts, word_ends, ngrams, ranks,
        seed_rare, word_rare,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _prepare_kernel(
    cps: npt.NDArray[np.uint32],
    hashes: npt.NDArray[np.uint32],
    offset: int,
    word_min: int,
    max_repeat: int,
    within: npt.NDArray[np.uint32],
    corpus: npt.NDArray[np.uint32],
    multipliers: npt.NDArray[np.uint64],
    shift: np.uint64,
    salt: np.uint64,
    limit: int,
    rare: int,
    pack_limit: int = _PACK_LIMIT,
) -> tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.int32],
    npt.NDArray[np.uint64],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.uint64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.int64],
]:
    """:func:`prepare` in one call: n-gram ranks, seeds and words occurring at most ``max_repeat`` times, spaces.

    With ``limit >= 0`` seeds and words whose count in ``within`` (the per-source sketch of a
    :class:`~dedup.boilerplate.SeedCounts`, keys mixed with ``salt``) exceeds it are left out, and
    those whose count in ``corpus`` is at most ``rare`` are marked rare (all are, when ``rare < 0``).
    Returns ``ngrams, ranks, seed_keys, seed_index, seed_rare, word_keys, word_starts, word_ends,
    word_rare, spaces``.
    """
    n = len(hashes)
    # Ranks: hash and position packed in one uint64 and sorted.
    low = _bits(n)
    packed = np.empty(n, dtype=np.uint64)
    for i in range(n):
        packed[i] = (np.uint64(hashes[i]) << np.uint64(low)) | np.uint64(i)
    ngrams, ranks = _ranks(_radix_sort(packed, 32 + low), low)
    # Seeds occurring at most max_repeat times. A seed's key is hashes[i] << 32 | hashes[i + offset];
    # its pair of ranks orders seeds as the key does and fits with i into one uint64, sorted as a
    # plain number (occurrences of one key then come in order along the text).
    m = max(n - offset, 0)
    d = np.uint64(len(ngrams))
    if m == 0:
        keys, index = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    elif len(ngrams) < 1 << 21 and m < 1 << 21 and len(ngrams) * len(ngrams) * m < pack_limit:  # (no overflow)
        seeds = np.empty(m, dtype=np.uint64)
        for i in range(m):
            seeds[i] = (np.uint64(ranks[i]) * d + np.uint64(ranks[i + offset])) * np.uint64(m) + np.uint64(i)
        seeds = _radix_sort(seeds, _bits(len(ngrams) * len(ngrams) * m))
        keys, index = _few_packed(seeds, np.uint64(m), hashes, offset, max_repeat)
    else:  # (beyond ~1.6 million n-grams a document: a stable sort of the keys themselves)
        raw = np.empty(m, dtype=np.uint64)
        for i in range(m):
            raw[i] = (np.uint64(hashes[i]) << np.uint64(32)) | np.uint64(hashes[i + offset])
        keys, index = _few_sorted(raw, np.argsort(raw, kind="mergesort"), max_repeat)
    word_hashes, starts, ends = _word_hashes(cps, word_min)
    words, first = _few_sorted(word_hashes, np.argsort(word_hashes, kind="mergesort"), max_repeat)
    if limit >= 0:
        keep = _estimate_salted(within, multipliers, shift, keys, salt) <= limit
        keys, index = keys[keep], index[keep]
        keep = _estimate_salted(within, multipliers, shift, words, salt) <= limit
        words, first = words[keep], first[keep]
    if rare >= 0:
        seed_rare = _estimate(corpus, multipliers, shift, keys) <= rare
        word_rare = _estimate(corpus, multipliers, shift, words) <= rare
    else:
        seed_rare = np.ones(len(keys), dtype=np.bool_)
        word_rare = np.ones(len(words), dtype=np.bool_)
    spaces = np.flatnonzero(cps == _SPACE).astype(np.int64)
    return ngrams, ranks, keys, index, seed_rare, words, starts[first], ends[first], word_rare, spaces


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
def _few_sorted(
    values: npt.NDArray[np.uint64], order: npt.NDArray[np.int64], max_repeat: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Every occurrence, and its index, of the values occurring at most ``max_repeat`` times, in ``order``."""
    out = np.empty(len(values), dtype=np.uint64)
    where = np.empty(len(values), dtype=np.int64)
    n = 0
    k = 0
    while k < len(order):
        j = k + 1
        while j < len(order) and values[order[j]] == values[order[k]]:
            j += 1
        if j - k <= max_repeat:
            for x in range(k, j):
                out[n] = values[order[x]]
                where[n] = order[x]
                n += 1
        k = j
    return out[:n], where[:n]


def document_keys(
    texts: list[str], hashes: npt.NDArray[np.uint32], offsets: npt.NDArray[np.int64], params: AlignParams | None = None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The distinct seed keys each normalised text offers (occurring at most ``max_repeat`` times), for counts.

    ``hashes`` and ``offsets`` are ``shingle.hash_many(texts, params.ngram)``. Returns the keys of
    every text, sorted within each text, and the offsets of each text's keys: the same keys as
    ``prepare(...).seed_keys`` and ``.word_keys`` of each text (each key once), computed for a batch in two kernels.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import hash_many, shingle
        >>> texts = [normalize("one two three one").text, normalize("four five").text]
        >>> params = AlignParams(ngram=3, seed_length=5, word_min=3)
        >>> keys, offsets = document_keys(texts, *hash_many(texts, 3), params)
        >>> p = prepare(normalize(texts[0]), shingle(texts[0], 3), params)
        >>> sorted(keys[offsets[0]:offsets[1]].tolist()) == sorted(set(p.seed_keys.tolist() + p.word_keys.tolist()))
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
    few_seeds = _few_in_segments(_sorted_segments(seeds, seed_offsets), seed_offsets, p.max_repeat)
    few_words = _few_in_segments(_sorted_segments(words.copy(), word_offsets), word_offsets, p.max_repeat)
    return _interleave(*few_seeds, *few_words)


@njit(cache=True, nogil=True)
def _few_packed(
    packed: npt.NDArray[np.uint64], m: np.uint64, hashes: npt.NDArray[np.uint32], offset: int, max_repeat: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Keys and indices of sorted ``packed`` (``pair * m + i``) whose pair occurs at most ``max_repeat`` times."""
    keys = np.empty(len(packed), dtype=np.uint64)
    index = np.empty(len(packed), dtype=np.int64)
    n = 0
    k = 0
    while k < len(packed):
        pair = packed[k] // m
        j = k + 1
        while j < len(packed) and packed[j] // m == pair:
            j += 1
        if j - k <= max_repeat:
            for x in range(k, j):
                i = np.int64(packed[x] % m)
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
def _few_in_segments(
    keys: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], max_repeat: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The distinct values occurring at most ``max_repeat`` times in each sorted segment, with new offsets."""
    out = np.empty(len(keys), dtype=np.uint64)
    out_offsets = np.zeros(len(offsets), dtype=np.int64)
    count = 0
    for t in range(len(offsets) - 1):
        i = offsets[t]
        while i < offsets[t + 1]:
            j = i + 1
            while j < offsets[t + 1] and keys[j] == keys[i]:
                j += 1
            if j - i <= max_repeat:
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
    rare: npt.NDArray[np.bool_],
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
    trim: int,
) -> npt.NDArray[np.int64]:
    """Seeds grouped into passages: rows of (a_start, a_end, b_start, b_end, seeds, short).

    A copy whose words or sentences were shuffled does not chain into one piece (its seeds are
    scattered over the whole rectangle, too sparse for single linkage) but its chains, singletons
    included, leave no gap wider than ``abut`` along either document: chains are split alternately
    along a and along b at such gaps until no group splits (:func:`_tile_chains`). A group is kept
    if it has ``min_seeds`` seeds and its seeds cover ``min_density`` of it on both sides (then
    ``short`` is 0) or, from ``min_exact`` up to ``min_length`` characters, ``exact_density``
    (``short`` 1 when at least half its seeds are rare in the corpus, else 2). Spans are widened to
    whole words.
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
        seeds = _trim(_trim(members[:m].copy(), start_a, end_a, trim, min_seeds), start_b, end_b, trim, min_seeds)
        m = len(seeds)
        a0, a1 = start_a[seeds].min(), end_a[seeds].max()
        b0, b1 = start_b[seeds].min(), end_b[seeds].max()
        length = min(a1 - a0, b1 - b0)
        if length < min_exact:
            continue
        density = min(
            _covered(start_a[seeds], end_a[seeds]) / (a1 - a0), _covered(start_b[seeds], end_b[seeds]) / (b1 - b0)
        )
        # Wording that many documents of the corpus hold (a story's stock phrases, or a wire
        # paragraph every outlet ran) is evidence of copying only where the match is near-verbatim:
        # a loose match (a reworded or shuffled copy) must reach min_density on rare seeds alone,
        # or the vocabulary of a story would make passages between any two of its articles.
        if density < exact_density:
            if length < min_length:
                continue
            rare_seeds = seeds[rare[seeds]]
            if len(rare_seeds) == 0:
                continue
            rare_density = min(
                _covered(start_a[rare_seeds], end_a[rare_seeds]) / (a1 - a0),
                _covered(start_b[rare_seeds], end_b[rare_seeds]) / (b1 - b0),
            )
            if rare_density < min_density:
                continue
        out[kept, 0], out[kept, 1] = _widen(spaces_a, length_a, a0, a1)
        out[kept, 2], out[kept, 3] = _widen(spaces_b, length_b, b0, b1)
        short = 0
        if length < min_length:
            # A short piece stands on its own only when most of its seeds are rare in the corpus:
            # a stock phrase of a story is in many of its documents.
            rare_seeds = 0
            for k in range(m):
                rare_seeds += rare[seeds[k]]
            short = 1 if 2 * rare_seeds >= m else 2
        out[kept, 4], out[kept, 5] = m, short
        kept += 1
    return out[:kept]


@njit(cache=True, nogil=True)
def _trim(
    seeds: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], trim: int, keep: int
) -> npt.NDArray[np.int64]:
    """The seeds of a group less those at either end (along one side) that lie more than ``trim`` from the rest.

    A passage ends where the shared text ends: a lone word shared further on (the outlet's
    "the subject" where the copy stopped) must not carry it over the unshared text between. At
    least ``keep`` seeds stay.
    """
    order = seeds[np.argsort(starts[seeds], kind="mergesort")]
    lo, hi = 0, len(order)
    while hi - lo > keep and starts[order[lo + 1]] - ends[order[lo]] > trim:
        lo += 1
    while hi - lo > keep:
        reach = ends[order[lo]]
        for k in range(lo + 1, hi - 1):
            reach = max(reach, ends[order[k]])
        if starts[order[hi - 1]] - reach <= trim:
            break
        hi -= 1
    return order[lo:hi]


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
    """[start, end) moved to word boundaries of a normalised text whose spaces are at ``spaces``.

    Each end goes to the nearer boundary of the word it falls in, out or in (out on a tie): a seed
    runs a few characters into the first differing word after a copy ("... the ministry sa" of
    "said" against "says"), and taking the whole word would spill past the shared text.
    """
    i = np.searchsorted(spaces, start, side="right")
    before = spaces[i - 1] + 1 if i > 0 else 0
    after = spaces[i] + 1 if i < len(spaces) else length
    new_start = before if start - before <= after - start else after
    j = np.searchsorted(spaces, end, side="left")
    later = spaces[j] if j < len(spaces) else length
    earlier = spaces[j - 1] if j > 0 else 0
    new_end = later if later - end <= end - earlier else earlier
    if new_end <= new_start:  # (a span inside one word keeps the word)
        return min(before, start), max(later, end)
    return new_start, new_end


def _in_order(x: Alignment, y: Alignment) -> bool:
    """Whether x lies wholly before y on both sides, or wholly after it on both sides."""
    before = x.a_end <= y.a_start and x.b_end <= y.b_start
    return before or (y.a_end <= x.a_start and y.b_end <= x.b_start)


def _overlap(x0: int, x1: int, y0: int, y1: int) -> float:
    """Overlap of [x0, x1) and [y0, y1) as a share of the shorter (0 when they are disjoint)."""
    return max(0, min(x1, y1) - max(x0, y0)) / max(1, min(x1 - x0, y1 - y0))


def _merge(alignments: list[Alignment]) -> list[Alignment]:
    """Merge passages that overlap on both sides: one copied passage, one detection.

    Passages that touch on one side by a few characters (word boundaries) but lie over the same
    text of the other (half the shorter or more) are two occurrences of repeated text, and stay
    apart.
    """
    merged: list[Alignment] = []
    for al in sorted(alignments, key=lambda x: (x.a_start, x.b_start)):
        for k, m in enumerate(merged):
            over_a = _overlap(al.a_start, al.a_end, m.a_start, m.a_end)
            over_b = _overlap(al.b_start, al.b_end, m.b_start, m.b_end)
            if over_a > 0 and over_b > 0 and not (max(over_a, over_b) >= 0.5 and min(over_a, over_b) < 0.25):
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


_TILED = 0.85  # share of its span a group of reordered pieces must cover on each side to be one passage


def _spread(parts: list[Alignment], side: str) -> float:
    """Share of the span of ``parts`` along one side that the parts cover (0 where they overlap much).

    Parts over the same text of one side are matches of text the other document repeats (a
    paragraph printed twice), not pieces of one shuffled copy.
    """
    ordered = sorted((getattr(x, side + "_start"), getattr(x, side + "_end")) for x in parts)
    covered, reach = 0, ordered[0][0]
    for start, end in ordered:
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    if sum(end - start for start, end in ordered) > 1.2 * covered:
        return 0.0
    return covered / max(1, reach - ordered[0][0])


def _tile(alignments: list[Alignment], abut: int) -> list[Alignment]:
    """Merge passages that tile one stretch of text on both sides, whatever their order.

    A paragraph whose sentences were reordered comes out of the chaining as one passage per
    sentence, each abutting others on both sides; blocks with other text between them on either
    side (a heading, an unshared paragraph) stay apart. Groups are split alternately along a and
    along b at gaps wider than ``abut`` until none splits; each group left is one passage if its
    pieces cover ``_TILED`` of its span on both sides, and stays in pieces otherwise: a wire
    paragraph an outlet moved elsewhere, with its own text between, is a separate copy; a passage
    cut in pieces and shuffled in place is one.
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
                union = _union(group)
                if min(_spread(group, "a"), _spread(group, "b")) >= _TILED:
                    done.append(union)
                else:
                    done.extend(group)
                continue
        for run in runs:
            if len(run) == 1:
                done.append(run[0])
            else:
                stack.append(run)
    return sorted(done, key=lambda x: (x.a_start, x.b_start))


# Chains of seeds are grouped in the kernel across gaps of at most this many characters (or
# ``abut``, if less): the words of a copy whose words were shuffled lie a few short words apart;
# pieces further apart are grouped afterwards, where the share of their span they cover is checked
# (:func:`_tile`).
_WORD_ABUT = 30


def _rows(a: Prepared, b: Prepared, p: AlignParams) -> npt.NDArray[np.int64]:
    """The grouped passages of a pair (see :func:`_group_passages`) in one kernel call.

    Seeds, chains and groups run in one call, without the GIL: several short calls a pair made the
    two alignment threads wait for each other to hand the GIL back more than they worked.
    """
    return _align_kernel(
        a.seed_keys, a.seed_index, a.seed_rare, a.shingles.starts, a.shingles.ends, a.word_keys, a.word_starts,
        a.word_ends, a.word_rare, a.spaces, len(a.normalized.text),
        b.seed_keys, b.seed_index, b.shingles.starts, b.shingles.ends, b.word_keys, b.word_starts, b.word_ends,
        b.spaces, len(b.normalized.text),
        p.seed_length - p.ngram, p.gap, min(p.abut, _WORD_ABUT), p.min_seeds, p.min_length, p.min_exact, p.min_density,
        p.exact_density, 2 * p.seed_length,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _align_kernel(
    keys_a: npt.NDArray[np.uint64],
    index_a: npt.NDArray[np.int64],
    rare_a: npt.NDArray[np.bool_],
    starts_a: npt.NDArray[np.int64],
    ends_a: npt.NDArray[np.int64],
    words_a: npt.NDArray[np.uint64],
    word_starts_a: npt.NDArray[np.int64],
    word_ends_a: npt.NDArray[np.int64],
    word_rare_a: npt.NDArray[np.bool_],
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
    trim: int,
) -> npt.NDArray[np.int64]:
    start_a, end_a, start_b, end_b, rare, repeated = _seed_spans(
        keys_a, index_a, rare_a, starts_a, ends_a, words_a, word_starts_a, word_ends_a, word_rare_a,
        keys_b, index_b, starts_b, ends_b, words_b, word_starts_b, word_ends_b, offset,
    )  # fmt: skip
    # Two passes. Seeds whose key occurs once in each document first; then every seed lying
    # outside the passages of the first pass on both sides, repeated keys included (a headline that
    # repeats the lead, a paragraph printed twice): mixed with the others from the start, a
    # repeated phrase matched to its other occurrence would bridge two separate passages.
    once = ~repeated
    rows = _passages_of(
        once, start_a, end_a, start_b, end_b, rare, spaces_a, length_a, spaces_b, length_b, gap, abut, min_seeds,
        min_length, min_exact, min_density, exact_density, trim,
    )  # fmt: skip
    if not repeated.any():
        return rows
    outside = np.ones(len(start_a), dtype=np.bool_)
    for k in range(len(start_a)):
        if outside[k]:
            for r in range(len(rows)):
                if (rows[r, 0] <= start_a[k] < rows[r, 1]) or (rows[r, 2] <= start_b[k] < rows[r, 3]):
                    outside[k] = False
                    break
    more = _passages_of(
        outside, start_a, end_a, start_b, end_b, rare, spaces_a, length_a, spaces_b, length_b, gap, abut,
        min_seeds, min_length, min_exact, min_density, exact_density, trim,
    )  # fmt: skip
    return np.concatenate((rows, more)) if len(more) else rows


@njit(cache=True, nogil=True)
def _passages_of(
    use: npt.NDArray[np.bool_],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    rare: npt.NDArray[np.bool_],
    spaces_a: npt.NDArray[np.int64],
    length_a: int,
    spaces_b: npt.NDArray[np.int64],
    length_b: int,
    gap: int,
    abut: int,
    min_seeds: int,
    min_length: int,
    min_exact: int,
    min_density: float,
    exact_density: float,
    trim: int,
) -> npt.NDArray[np.int64]:
    """The grouped passages (:func:`_group_passages`) of the seeds selected by ``use``."""
    if use.sum() < min_seeds:
        return np.zeros((0, 6), dtype=np.int64)
    pick = np.flatnonzero(use)
    sa, sb = start_a[pick], start_b[pick]
    chains = _chain(sa, sb, gap)
    return _group_passages(
        chains, sa, end_a[pick], sb, end_b[pick], rare[pick], spaces_a, length_a, spaces_b, length_b, abut,
        min_seeds, min_length, min_exact, min_density, exact_density, trim,
    )  # fmt: skip


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


@njit(cache=True, nogil=True)
def _seed_spans(
    keys_a: npt.NDArray[np.uint64],
    index_a: npt.NDArray[np.int64],
    rare_a: npt.NDArray[np.bool_],
    starts_a: npt.NDArray[np.int64],
    ends_a: npt.NDArray[np.int64],
    words_a: npt.NDArray[np.uint64],
    word_starts_a: npt.NDArray[np.int64],
    word_ends_a: npt.NDArray[np.int64],
    word_rare_a: npt.NDArray[np.bool_],
    keys_b: npt.NDArray[np.uint64],
    index_b: npt.NDArray[np.int64],
    starts_b: npt.NDArray[np.int64],
    ends_b: npt.NDArray[np.int64],
    words_b: npt.NDArray[np.uint64],
    word_starts_b: npt.NDArray[np.int64],
    word_ends_b: npt.NDArray[np.int64],
    offset: int,
    sparse: int = 32,
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.bool_],
]:
    """Spans (start_a, end_a, start_b, end_b) of every shared seed, ordered along a; its rarity; if its key repeats.

    A key occurring several times in a document (a headline that repeats the lead, a paragraph
    printed twice) gives a seed for every pair of its occurrences in a and in b; seeds starting at
    the same place of a come in order along b. Pairs sharing fewer than one seed in ``sparse``
    n-grams of a take the sorting path (it gives the same order).
    """
    chars = _join_groups(keys_a, keys_b)
    words = _join_groups(words_a, words_b)
    total = 0
    for g in range(len(chars)):
        total += (chars[g, 1] - chars[g, 0]) * (chars[g, 3] - chars[g, 2])
    for g in range(len(words)):
        total += (words[g, 1] - words[g, 0]) * (words[g, 3] - words[g, 2])
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
                many = groups[g, 1] - groups[g, 0] > 1 or groups[g, 3] - groups[g, 2] > 1
                for x in range(groups[g, 0], groups[g, 1]):
                    at = starts_a[index_a[x]] if kind == 0 else word_starts_a[x]
                    for y in range(groups[g, 2], groups[g, 3]):
                        key[k] = 2 * at + kind
                        source[k, 0], source[k, 1], source[k, 2], source[k, 3] = kind, x, y, many
                        k += 1
        for out, k in enumerate(np.argsort(key, kind="mergesort")):
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
                many = words[g, 1] - words[g, 0] > 1 or words[g, 3] - words[g, 2] > 1
                for y in range(words[g, 2], words[g, 3]):
                    start_a[out], end_a[out] = word_starts_a[x], word_ends_a[x]
                    start_b[out], end_b[out] = word_starts_b[y], word_ends_b[y]
                    rare[out], repeated[out] = word_rare_a[x], many
                    out += 1
            w += 1
        if ia == len(char_at):
            break
        g, x = char_at[ia], char_x[ia]
        many = chars[g, 1] - chars[g, 0] > 1 or chars[g, 3] - chars[g, 2] > 1
        for y in range(chars[g, 2], chars[g, 3]):
            ib = index_b[y]
            start_a[out], end_a[out] = starts_a[ia], ends_a[ia + offset]
            start_b[out], end_b[out] = starts_b[ib], ends_b[ib + offset]
            rare[out], repeated[out] = rare_a[x], many
            out += 1
    return start_a, end_a, start_b, end_b, rare, repeated


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
    found = [Alignment(a0, a1, b0, b1, seeds) for a0, a1, b0, b1, seeds, short in rows if short != 2]
    stock = [Alignment(a0, a1, b0, b1, seeds) for a0, a1, b0, b1, seeds, short in rows if short == 2]
    long = [x for x in found if _length(x) >= p.min_length]
    # Short distinctive pieces (a quoted statement, a brief's lead sentence) are copy when the pair
    # is a copying pair: it shares a long passage, or its distinctive pieces add up to min_length.
    # One short piece alone is as likely a phrase two reporters of a story both wrote.
    if not long and sum(_length(x) for x in found) < p.min_length:
        return []
    # A short verbatim run whose seeds are common in the corpus is as likely a stock phrase of the
    # story ("the war between Israel and Hamas in the Gaza Strip") as a copy: it counts only as a
    # piece of a passage it extends in order (within `join` on both sides), and is dropped if it
    # ends up alone; one out of order with a passage (before it on one side, after or over it on
    # the other) is a displaced phrase of a shuffled copy, whose passage is already reported.
    found.extend(s for s in stock if all(_in_order(s, f) for f in long))
    if len(found) < 2:
        return found
    joined = _tile(_join(_merge(found), p.join, p.abut), p.abut)
    distinct = [x for x in found if _length(x) < p.min_length and x not in stock]
    return [x for x in joined if _length(x) >= p.min_length or any(_contains(x, d) for d in distinct)]


def _length(x: Alignment) -> int:
    return min(x.a_end - x.a_start, x.b_end - x.b_start)


def _contains(x: Alignment, y: Alignment) -> bool:
    """Whether x holds y on both sides."""
    return x.a_start <= y.a_start and y.a_end <= x.a_end and x.b_start <= y.b_start and y.b_end <= x.b_end
