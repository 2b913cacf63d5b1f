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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import distinct_first
from .errors import ParameterError
from .normalize import Normalized
from .shingle import Shingles

__all__ = ["AlignParams", "Alignment", "Prepared", "align", "prepare"]

_SPACE = 32


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
    common: npt.NDArray[np.uint64] | None = None,
) -> Prepared:
    """Bundle a normalised text with its shingles and unique seeds for :func:`align`.

    ``common`` holds seed keys (character-seed keys and word hashes) to leave out: see
    :mod:`dedup.boilerplate`.

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
    keys, index = _unique_keys(_seed_keys(shingles, offset))
    hashes, starts, ends = _word_hashes(cps, p.word_min)
    words, first = _unique_keys(hashes)
    if common is not None and len(common):
        keep = ~np.isin(keys, common, assume_unique=True)
        keys, index = keys[keep], index[keep]
        keep = ~np.isin(words, common, assume_unique=True)
        words, first = words[keep], first[keep]
    return Prepared(
        normalized,
        shingles,
        np.flatnonzero(cps == _SPACE).astype(np.int64),
        offset,
        keys,
        index,
        words,
        starts[first],
        ends[first],
    )


def _seed_keys(shingles: Shingles, offset: int) -> npt.NDArray[np.uint64]:
    h = shingles.hashes.astype(np.uint64)
    if len(h) <= offset:
        return np.zeros(0, dtype=np.uint64)
    return (h[: len(h) - offset] << np.uint64(32)) | h[offset:]


def _unique_keys(keys: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The keys occurring once, sorted, and where each occurs."""
    values, first, counts = distinct_first(keys)
    once = counts == 1
    return values[once], first[once].astype(np.int64)


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
def _merge_sorted(
    keys_a: npt.NDArray[np.uint64], keys_b: npt.NDArray[np.uint64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Positions in a and in b of the keys the two sorted distinct arrays share (a linear merge)."""
    out_a = np.empty(min(len(keys_a), len(keys_b)), dtype=np.int64)
    out_b = np.empty_like(out_a)
    i = j = n = 0
    while i < len(keys_a) and j < len(keys_b):
        if keys_a[i] < keys_b[j]:
            i += 1
        elif keys_a[i] > keys_b[j]:
            j += 1
        else:
            out_a[n], out_b[n] = i, j
            n += 1
            i += 1
            j += 1
    return out_a[:n], out_b[:n]


@njit(cache=True, nogil=True)
def _find(parent: npt.NDArray[np.int64], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True, nogil=True)
def _chain(start_a: npt.NDArray[np.int64], start_b: npt.NDArray[np.int64], gap: int) -> npt.NDArray[np.int64]:
    """Label of each seed's chain: seeds within ``gap`` on both sides at once share a label.

    ``start_a`` must be sorted. Each seed looks only forward through the seeds that start within
    ``gap`` of it in a, so the cost is the number of seed pairs that close in a.
    """
    n = len(start_a)
    parent = np.arange(n)
    for i in range(n):
        j = i + 1
        while j < n and start_a[j] - start_a[i] <= gap:
            if abs(start_b[j] - start_b[i]) <= gap:
                ri, rj = _find(parent, i), _find(parent, j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
            j += 1
    for i in range(n):
        parent[i] = _find(parent, i)
    return parent


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


def _groups(
    chains: npt.NDArray[np.int64],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    abut: int,
    min_seeds: int,
) -> list[npt.NDArray[np.int64]]:
    """Seeds grouped into candidate passages: chains that tile one stretch of text on both sides.

    A copy whose words or sentences were shuffled does not chain into one piece (its seeds are
    scattered over the whole rectangle, too sparse for single linkage) but its chains, singletons
    included, leave no gap wider than ``abut`` along either document. Chains are split alternately
    along a and along b at such gaps until no group splits.
    """
    order = np.argsort(chains, kind="stable")
    bounds = np.flatnonzero(np.diff(chains[order])) + 1
    first = np.concatenate(([0], bounds))
    lo_a, hi_a = np.minimum.reduceat(start_a[order], first), np.maximum.reduceat(end_a[order], first)
    lo_b, hi_b = np.minimum.reduceat(start_b[order], first), np.maximum.reduceat(end_b[order], first)
    sizes = np.diff(np.concatenate((first, [len(order)])))
    idx, groups = _tile_chains(lo_a, hi_a, lo_b, hi_b, sizes, abut, min_seeds)
    ends = first + sizes
    out: list[npt.NDArray[np.int64]] = []
    for g0, g1 in groups.tolist():
        group = idx[g0:g1]
        if len(group) > 1:
            # Small chains (chance matches among them) may fill a group but not widen it: only
            # those inside the rectangle spanned by its chains of min_seeds or more stay.
            big = group[sizes[group] >= min_seeds]
            if not len(big):
                continue
            inside = (
                (lo_a[group] >= lo_a[big].min())
                & (lo_a[group] <= hi_a[big].max())
                & (lo_b[group] >= lo_b[big].min())
                & (lo_b[group] <= hi_b[big].max())
            )
            group = group[(sizes[group] >= min_seeds) | inside]
        out.append(np.concatenate([order[first[c] : ends[c]] for c in group]))
    return out


def _covered(starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> int:
    """Characters covered by the union of half-open intervals."""
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    previous = np.concatenate(([s[0]], reach[:-1]))
    return int(np.sum(np.maximum(0, e - np.maximum(s, previous))))


def _widen(spaces: npt.NDArray[np.int64], length: int, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole words of a normalised text whose spaces are at ``spaces``."""
    i = int(np.searchsorted(spaces, start, side="right"))
    new_start = int(spaces[i - 1]) + 1 if i > 0 else 0
    j = int(np.searchsorted(spaces, end, side="left"))
    new_end = int(spaces[j]) if j < len(spaces) else length
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


def _seeds(a: Prepared, b: Prepared, offset: int) -> tuple[npt.NDArray[np.int64], ...]:
    """Spans in a and in b (start_a, end_a, start_b, end_b) of every seed, ordered along a."""
    in_a, in_b = _merge_sorted(a.seed_keys, b.seed_keys)
    ia, ib = a.seed_index[in_a], b.seed_index[in_b]
    wa, wb = _merge_sorted(a.word_keys, b.word_keys)
    start_a = np.concatenate((a.shingles.starts[ia], a.word_starts[wa]))
    end_a = np.concatenate((a.shingles.ends[ia + offset], a.word_ends[wa]))
    start_b = np.concatenate((b.shingles.starts[ib], b.word_starts[wb]))
    end_b = np.concatenate((b.shingles.ends[ib + offset], b.word_ends[wb]))
    order = np.argsort(start_a, kind="stable")
    return start_a[order], end_a[order], start_b[order], end_b[order]


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
    start_a, end_a, start_b, end_b = _seeds(a, b, offset)
    if len(start_a) < p.min_seeds:
        return []
    chains = np.unique(_chain(start_a, start_b, p.gap), return_inverse=True)[1]
    found: list[Alignment] = []
    short: list[Alignment] = []
    for members in _groups(chains, start_a, end_a, start_b, end_b, p.abut, p.min_seeds):
        if len(members) < p.min_seeds:
            continue
        a0, a1 = int(start_a[members].min()), int(end_a[members].max())
        b0, b1 = int(start_b[members].min()), int(end_b[members].max())
        length = min(a1 - a0, b1 - b0)
        if length < p.min_exact:
            continue
        density = min(
            _covered(start_a[members], end_a[members]) / (a1 - a0),
            _covered(start_b[members], end_b[members]) / (b1 - b0),
        )
        if density < (p.min_density if length >= p.min_length else p.exact_density):
            continue
        a0, a1 = _widen(a.spaces, len(a.normalized.text), a0, a1)
        b0, b1 = _widen(b.spaces, len(b.normalized.text), b0, b1)
        (found if length >= p.min_length else short).append(Alignment(a0, a1, b0, b1, len(members)))
    if not short:
        return _tile(_join(_merge(found), p.join, p.abut), p.abut)
    # A short verbatim run (a quoted statement) is copy only on evidence: alone it is as likely a
    # stock phrase of the story ("the war between Israel and Hamas in the Gaza Strip"). It counts
    # as a piece of a passage it extends in order (within `join` on both sides), and is dropped
    # if it ends up alone; one out of order with a passage (before it on one side, after or over it
    # on the other) is a displaced phrase of a shuffled copy, whose passage is already reported.
    found.extend(s for s in short if all(_in_order(s, f) for f in found))
    joined = _tile(_join(_merge(found), p.join, p.abut), p.abut)
    return [x for x in joined if min(x.a_end - x.a_start, x.b_end - x.b_start) >= p.min_length]
