"""Alignment: turn two documents that LSH paired into exact shared passages.

Seeds are stretches of ``seed_length`` non-space normalised characters that occur exactly once in
each document: repeated phrases ("the United States") and short n-grams chain chance matches into
huge false passages, unique longer seeds do not. Seeds are grouped into passages by splitting,
alternately along document a and along document b, wherever two neighbouring seeds are more than
``gap`` characters apart, until no group splits: that keeps reordered and partly reworded copies in
one passage (their seeds stay close on both sides) while a stray seed far away on either side
falls out. Groups too short, with too few seeds, or too sparse are dropped; the rest are widened to
whole words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from .errors import ParameterError
from .normalize import Normalized
from .shingle import Shingles

__all__ = ["AlignParams", "Alignment", "Prepared", "align", "prepare"]

_SPACE = 32


@dataclass(frozen=True, slots=True)
class Prepared:
    """One document made ready for alignment: its normalised text, shingles, word breaks and seeds.

    ``seed_keys`` are the sorted seed keys that occur exactly once in the document and
    ``seed_index`` the shingle index where each starts: computed once per document, so that
    aligning it with many others costs one linear merge per pair.
    """

    normalized: Normalized
    shingles: Shingles
    spaces: npt.NDArray[np.int64]  # positions of spaces in the normalised text
    seed_offset: int
    seed_keys: npt.NDArray[np.uint64]
    seed_index: npt.NDArray[np.int64]


def prepare(normalized: Normalized, shingles: Shingles, params: AlignParams | None = None) -> Prepared:
    """Bundle a normalised text with its shingles and unique seeds for :func:`align`.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> n = normalize("one two three")
        >>> prepare(n, shingle(n.text, 3), AlignParams(ngram=3, seed_length=5)).spaces.tolist()
        [3, 7]
    """
    p = params or AlignParams()
    if len(shingles.hashes) and int(shingles.ends[0] - shingles.starts[0]) < p.ngram:
        raise ParameterError(f"shingles must be {p.ngram}-grams (the params' ngram)")
    offset = p.seed_length - p.ngram
    cps = np.frombuffer(normalized.text.encode("utf-32-le"), dtype=np.uint32)
    keys, index = _unique_keys(_seed_keys(shingles, offset))
    order = np.argsort(keys, kind="stable")  # np.unique already sorts; kept explicit for the merge
    return Prepared(
        normalized, shingles, np.flatnonzero(cps == _SPACE).astype(np.int64), offset, keys[order], index[order]
    )


@dataclass(frozen=True, slots=True)
class AlignParams:
    """How seeds are chosen and grouped into passages (lengths in normalised characters).

    Example:
        >>> AlignParams(gap=-1)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: gap must be a non-negative integer, got -1
    """

    ngram: int = 5
    seed_length: int = 10
    gap: int = 200
    min_length: int = 100
    min_seeds: int = 3
    min_density: float = 0.25

    def __post_init__(self) -> None:
        if self.ngram < 1:
            raise ParameterError(f"ngram must be a positive integer, got {self.ngram}")
        if not self.ngram <= self.seed_length <= 2 * self.ngram:
            raise ParameterError(
                f"seed_length ({self.seed_length}) must be between ngram ({self.ngram}) and 2 * ngram"
            )
        if self.gap < 0:
            raise ParameterError(f"gap must be a non-negative integer, got {self.gap}")
        if self.min_length < 1:
            raise ParameterError(f"min_length must be a positive integer, got {self.min_length}")
        if self.min_seeds < 1:
            raise ParameterError(f"min_seeds must be a positive integer, got {self.min_seeds}")
        if not 0.0 <= self.min_density <= 1.0:
            raise ParameterError(f"min_density must be between 0 and 1, got {self.min_density}")


@dataclass(frozen=True, slots=True)
class Alignment:
    """A shared passage in normalised-text coordinates of both documents, with its seed count."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    seeds: int


def _seed_keys(shingles: Shingles, offset: int) -> npt.NDArray[np.uint64]:
    h = shingles.hashes.astype(np.uint64)
    if len(h) <= offset:
        return np.zeros(0, dtype=np.uint64)
    return (h[: len(h) - offset] << np.uint64(32)) | h[offset:]


def _unique_keys(keys: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    values, first, counts = np.unique(keys, return_index=True, return_counts=True)
    once = counts == 1
    return values[once], first[once].astype(np.int64)


@njit(cache=True, nogil=True)  # type: ignore[misc]
def _merge_sorted(keys_a: npt.NDArray[np.uint64], keys_b: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
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


def _seeds(a: Prepared, b: Prepared) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Shingle indices (in a and in b) of the seeds that occur once in each document."""
    in_a, in_b = _merge_sorted(a.seed_keys, b.seed_keys)
    return a.seed_index[in_a], b.seed_index[in_b]


def _split(positions: npt.NDArray[np.int64], members: npt.NDArray[np.int64], gap: int) -> list[npt.NDArray[np.int64]]:
    ordered = members[np.argsort(positions[members], kind="stable")]
    cuts = np.flatnonzero(np.diff(positions[ordered]) > gap) + 1
    return np.split(ordered, cuts) if len(cuts) else [ordered]


def _groups(
    pos_a: npt.NDArray[np.int64], pos_b: npt.NDArray[np.int64], gap: int, min_seeds: int
) -> list[npt.NDArray[np.int64]]:
    stack = [np.arange(len(pos_a))]
    done: list[npt.NDArray[np.int64]] = []
    while stack:
        members = stack.pop()
        parts = _split(pos_a, members, gap)
        if len(parts) == 1:
            parts = _split(pos_b, members, gap)
            if len(parts) == 1:
                done.append(members)
                continue
        stack.extend(p for p in parts if len(p) >= min_seeds)
    return done


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
    seed_a, seed_b = _seeds(a, b)
    if len(seed_a) < p.min_seeds:
        return []
    sa, sb = a.shingles, b.shingles
    # Group on seed start positions in the normalised texts, so that `gap` counts characters.
    start_a, start_b = sa.starts[seed_a], sb.starts[seed_b]
    end_a, end_b = sa.ends[seed_a + offset], sb.ends[seed_b + offset]
    found: list[Alignment] = []
    for members in _groups(start_a, start_b, p.gap, p.min_seeds):
        a0, a1 = int(start_a[members].min()), int(end_a[members].max())
        b0, b1 = int(start_b[members].min()), int(end_b[members].max())
        if min(a1 - a0, b1 - b0) < p.min_length:
            continue
        density = min(
            _covered(start_a[members], end_a[members]) / (a1 - a0),
            _covered(start_b[members], end_b[members]) / (b1 - b0),
        )
        if density < p.min_density:
            continue
        a0, a1 = _widen(a.spaces, len(a.normalized.text), a0, a1)
        b0, b1 = _widen(b.spaces, len(b.normalized.text), b0, b1)
        found.append(Alignment(a0, a1, b0, b1, len(members)))
    return _merge(found)
