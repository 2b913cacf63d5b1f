"""Locality-sensitive hashing: band signatures so that similar windows collide in some band.

A signature of ``num_perm`` slots is cut into ``bands`` bands of ``rows`` slots. Two items whose
Jaccard similarity is ``s`` share at least one whole band with probability
``1 - (1 - s**rows)**bands`` (the S-curve); :func:`optimal_params` picks ``bands`` and ``rows`` for a
threshold the way datasketch does, by minimising the weighted areas under that curve on the wrong
side of the threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import distinct_counts
from .errors import ParameterError

__all__ = [
    "Candidates",
    "band_keys",
    "band_keys32",
    "candidate_pairs",
    "candidate_pairs_banded",
    "optimal_params",
    "probability",
]

# Constants of the 64-bit finaliser of MurmurHash3 and of xxh64's prime: fixed, so that band keys
# are the same on every machine and in every run (Python's hash() is salted per process).
_PRIME64 = np.uint64(0x9E3779B185EBCA87)
_FMIX1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_STEP_PAIRS = 1 << 21  # window pairs enumerated at a time in one band
_GRID = 2049  # integration points: enough for the chosen (bands, rows) to equal datasketch's


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold < 1.0:
        raise ParameterError(f"threshold must be strictly between 0 and 1, got {threshold!r}")


def _check_num_perm(num_perm: int) -> None:
    if not isinstance(num_perm, int) or num_perm < 1:
        raise ParameterError(f"num_perm must be a positive integer, got {num_perm!r}")


def probability(similarity: float | npt.ArrayLike, bands: int, rows: int) -> npt.NDArray[np.float64]:
    """Probability that two items of the given Jaccard similarity share at least one band.

    Example:
        >>> round(float(probability(0.5, bands=25, rows=5)), 4)
        0.5478
    """
    s = np.asarray(similarity, dtype=np.float64)
    return np.asarray(1.0 - (1.0 - s**rows) ** bands, dtype=np.float64)


@lru_cache(maxsize=256)
def optimal_params(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """Bands and rows that minimise the weighted false-positive and false-negative areas.

    Example:
        >>> optimal_params(0.5, 128)
        (25, 5)
    """
    _check_threshold(threshold)
    _check_num_perm(num_perm)
    total = false_positive_weight + false_negative_weight
    if false_positive_weight < 0 or false_negative_weight < 0 or abs(total - 1.0) > 1e-9:
        raise ParameterError(
            "false_positive_weight and false_negative_weight must be non-negative and sum to 1, "
            f"got {false_positive_weight!r} and {false_negative_weight!r}"
        )
    below = np.linspace(0.0, threshold, _GRID)
    above = np.linspace(threshold, 1.0, _GRID)
    best, best_error = (1, 1), float("inf")
    for bands in range(1, num_perm + 1):
        rows = np.arange(1, num_perm // bands + 1, dtype=np.float64)[:, None]
        fp = np.asarray(np.trapezoid(1.0 - (1.0 - below**rows) ** bands, below, axis=1))
        fn = np.asarray(np.trapezoid((1.0 - above**rows) ** bands, above, axis=1))
        error = fp * false_positive_weight + fn * false_negative_weight
        i = int(np.argmin(error))
        # Strict '<' keeps the first (fewest bands, fewest rows) optimum, as datasketch does.
        if error[i] < best_error - 1e-12:
            best, best_error = (bands, i + 1), float(error[i])
    return best


def _check_bands(signatures: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.uint32]:
    if signatures.ndim != 2:
        raise ParameterError(f"signatures must be a 2-D array, got {signatures.ndim} dimensions")
    if bands < 1 or rows < 1 or bands * rows > signatures.shape[1]:
        raise ParameterError(
            f"bands * rows ({bands} * {rows} = {bands * rows}) must be at most num_perm ({signatures.shape[1]})"
        )
    return np.ascontiguousarray(signatures, dtype=np.uint32)


@njit(cache=True, nogil=True, inline="always")
def _band_key(row: npt.NDArray[np.uint32], band: int, rows: int, start: np.uint64) -> np.uint64:
    """The 64-bit key of one band of one signature row (see :func:`band_keys` for the formula)."""
    acc = start
    base = band * rows
    for j in range(rows):
        acc = np.uint64((acc ^ np.uint64(row[base + j])) * _PRIME64)
    acc = np.uint64(acc ^ np.uint64(np.uint64(band) * _FMIX2))
    acc = np.uint64(acc ^ (acc >> _S33))
    acc = np.uint64(acc * _FMIX1)
    acc = np.uint64(acc ^ (acc >> _S33))
    acc = np.uint64(acc * _FMIX2)
    return np.uint64(acc ^ (acc >> _S33))


@njit(cache=True, nogil=True)
def _band_keys_kernel(sigs: npt.NDArray[np.uint32], bands: int, rows: int, out: npt.NDArray[np.uint64]) -> None:
    start = np.uint64(bands * rows)
    for i in range(sigs.shape[0]):
        for band in range(bands):
            out[i, band] = _band_key(sigs[i], band, rows, start)


@njit(cache=True, nogil=True)
def _band_keys32_kernel(sigs: npt.NDArray[np.uint32], bands: int, rows: int, out: npt.NDArray[np.uint32]) -> None:
    start = np.uint64(bands * rows)
    for i in range(sigs.shape[0]):
        for band in range(bands):
            # The high half: its bits are the best mixed by the final multiply.
            out[band, i] = np.uint32(_band_key(sigs[i], band, rows, start) >> np.uint64(32))


def band_keys(signatures: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.uint64]:
    """One 64-bit key per band of each signature row; equal bands give equal keys.

    The key of a band is ``fmix64((... ((bands * rows) ^ v0) * P ^ v1) * P ... ^ (band * C))``
    over the band's ``rows`` slot values (a fixed, salt-free hash, the same on every machine).

    Example:
        >>> sig = np.arange(8, dtype=np.uint32).reshape(1, 8)
        >>> keys = band_keys(np.vstack([sig, sig]), bands=2, rows=4)
        >>> keys.shape, bool(keys[0, 0] == keys[1, 0]), bool(keys[0, 0] != keys[0, 1])
        ((2, 2), True, True)
    """
    sigs = _check_bands(signatures, bands, rows)
    out = np.empty((sigs.shape[0], bands), dtype=np.uint64)
    _band_keys_kernel(sigs, int(bands), int(rows), out)
    return out


def band_keys32(signatures: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.uint32]:
    """The high 32 bits of :func:`band_keys`, band-major (``uint32[bands, n]``): the index's storage.

    Half the memory of the 64-bit keys, and a band's column is contiguous for the bucket sort. Two
    different bands collide in 32 bits with probability 2**-32 per pair of items; such a false
    candidate costs one exact alignment, which finds no passage the pair does not share.

    Example:
        >>> sig = np.arange(8, dtype=np.uint32).reshape(1, 8)
        >>> bool(band_keys32(sig, 2, 4)[1, 0] == band_keys(sig, 2, 4)[0, 1] >> np.uint64(32))
        True
    """
    sigs = _check_bands(signatures, bands, rows)
    out = np.empty((bands, sigs.shape[0]), dtype=np.uint32)
    _band_keys32_kernel(sigs, int(bands), int(rows), out)
    return out


@dataclass(frozen=True, slots=True)
class Candidates:
    """Pairs of items that share a band, with how many bands they share.

    ``left`` < ``right`` index the items given to :func:`candidate_pairs`; ``suppressed`` counts the
    buckets skipped because more than ``max_bucket`` items fell into them (boilerplate).
    """

    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    shared_bands: npt.NDArray[np.int64]
    suppressed: int


def candidate_pairs(
    keys: npt.NDArray[np.uint64],
    groups: npt.NDArray[np.int64],
    sources: npt.NDArray[np.int64],
    *,
    same_source: bool = False,
    max_bucket: int = 256,
) -> Candidates:
    """Pairs of groups (documents) with at least one item pair sharing a band key.

    ``keys`` holds one row of band keys per item (window); ``groups[i]`` is the document of item i
    and ``sources[i]`` its outlet. Pairs inside one document are never returned, pairs inside one
    outlet only with ``same_source``. The result is at the group level, ``left < right``.

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
    if max_bucket < 2:
        raise ParameterError(f"max_bucket must be at least 2, got {max_bucket}")
    return _collect([_band_pairs(keys[:, band], groups, sources, same_source, max_bucket) for band in
                     range(keys.shape[1])])  # fmt: skip


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
) -> Candidates:
    """:func:`candidate_pairs` over keys given one band at a time (``column(band)``, one key per item).

    Only one band's column need exist at a time, so an index can keep its keys in any compact
    form (e.g. per batch, band-major, 32 bits) and hand each band over in turn. Only pairs sharing
    at least ``min_shared`` bands are returned. Pairs that share one band by chance grow with the
    square of the corpus; when the per-band pair lists would take more than ``budget`` bytes, the
    bands are gone through again once per slice of the pairs (by ``left`` modulo the slices), so
    memory stays bounded and the result is the same.

    Example:
        >>> cols = [np.array([1, 1, 2, 3], np.uint32), np.array([7, 8, 8, 9], np.uint32)]
        >>> c = candidate_pairs_banded(cols.__getitem__, 2, np.arange(4), np.arange(4))
        >>> [(int(a), int(b), int(n)) for a, b, n in zip(c.left, c.right, c.shared_bands)]
        [(0, 1, 1), (1, 2, 1)]
    """
    if max_bucket < 2:
        raise ParameterError(f"max_bucket must be at least 2, got {max_bucket}")

    def band_pairs(band: int, part: tuple[int, int] | None) -> tuple[npt.NDArray[np.uint64], int]:
        keys = column(band)
        if keys.ndim != 1 or len(keys) != len(groups) or len(sources) != len(groups):
            raise ParameterError(
                f"band {band} has {len(keys)} keys for {len(groups)} groups and {len(sources)} sources"
            )
        return _band_pairs(keys, groups, sources, same_source, max_bucket, part)

    found = []
    total = 0
    for band in range(bands):
        pairs, suppressed = band_pairs(band, None)
        total += len(pairs)
        # (A fresh empty array: a slice would keep the whole band's pairs alive.)
        found.append((pairs if total * 8 <= budget else np.zeros(0, dtype=np.uint64), suppressed))
        del pairs
    if total * 8 <= budget:
        return _collect(found, min_shared)
    suppressed_total = sum(s for _, s in found)
    del found
    parts = -(-total * 8 // budget)
    slices = []
    for k in range(parts):
        c = _collect([band_pairs(band, (k, parts)) for band in range(bands)], min_shared)
        slices.append(((c.left.astype(np.uint64) << np.uint64(32)) | c.right.astype(np.uint64), c.shared_bands))
    packed = np.concatenate([p for p, _ in slices])
    counts = np.concatenate([n for _, n in slices])
    order = np.argsort(packed)
    packed, counts = packed[order], counts[order]
    left = (packed >> np.uint64(32)).astype(np.int64)
    right = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return Candidates(left, right, counts, suppressed_total)


def _band_pairs(
    column: npt.NDArray[np.unsignedinteger],
    groups: npt.NDArray[np.integer],
    sources: npt.NDArray[np.integer],
    same_source: bool,
    max_bucket: int,
    part: tuple[int, int] | None = None,
) -> tuple[npt.NDArray[np.uint64], int]:
    """The distinct group pairs (packed ``low << 32 | high``) sharing a key of one band, and buckets suppressed.

    With ``part = (k, parts)`` only the pairs whose ``low`` is ``k`` modulo ``parts``.
    """
    if column.dtype.itemsize <= 4 and len(column) < 1 << 32:
        # Key and item index packed in one uint64 and sorted as plain numbers: ~20x faster than
        # argsort of the keys (measured, 300k items). Order inside a bucket does not matter.
        packed = (column.astype(np.uint64) << np.uint64(32)) | np.arange(len(column), dtype=np.uint64)
        packed.sort()
        same = (packed[1:] >> np.uint64(32)) == (packed[:-1] >> np.uint64(32))
        order = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
        del packed
    else:
        order = np.argsort(column)
        ordered = column[order]
        same = ordered[1:] == ordered[:-1]
        del ordered
    # Only items in buckets of two or more matter: most keys are unique.
    breaks = np.flatnonzero(~same) + 1
    starts = np.concatenate(([0], breaks))
    lengths = np.diff(np.concatenate((starts, [len(order)])))
    del same, breaks
    suppressed = int(np.count_nonzero(lengths > max_bucket))
    wanted = (lengths >= 2) & (lengths <= max_bucket)
    starts, lengths = starts[wanted], lengths[wanted]
    in_band: list[npt.NDArray[np.uint64]] = []
    for length in distinct_counts(lengths.astype(np.uint64))[0].astype(np.int64):
        i, j = np.triu_indices(int(length), 1)
        bucket_starts = starts[lengths == length]
        # A few million window pairs at a time, each step reduced to distinct document pairs at
        # once: the raw window pairs of a band were the peak of the whole scan's memory.
        step = max(1, _STEP_PAIRS // len(i))
        for k in range(0, len(bucket_starts), step):
            members = order[bucket_starts[k : k + step][:, None] + np.arange(length)[None, :]]
            docs, srcs = groups[members], sources[members]
            del members
            a, b = docs[:, i].ravel(), docs[:, j].ravel()
            keep = a != b
            if not same_source:
                keep &= srcs[:, i].ravel() != srcs[:, j].ravel()
            a, b = a[keep], b[keep]
            low, high = np.minimum(a, b).astype(np.uint64), np.maximum(a, b).astype(np.uint64)
            if part is not None:
                mine = low % np.uint64(part[1]) == np.uint64(part[0])
                low, high = low[mine], high[mine]
            in_band.append(distinct_counts((low << np.uint64(32)) | high)[0])
    # Several windows of the same two documents collide in one band: count the band once.
    pairs = distinct_counts(np.concatenate(in_band))[0] if in_band else np.zeros(0, dtype=np.uint64)
    return pairs, suppressed


def _collect(per_band: list[tuple[npt.NDArray[np.uint64], int]], min_shared: int = 1) -> Candidates:
    suppressed = sum(s for _, s in per_band)
    found = [p for p, _ in per_band if len(p)]
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, empty, suppressed)
    merged, counts = distinct_counts(np.concatenate(found))
    del found
    if min_shared > 1:
        keep = counts >= min_shared
        merged, counts = merged[keep], counts[keep]
    left = (merged >> np.uint64(32)).astype(np.int64)
    right = (merged & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return Candidates(left, right, counts.astype(np.int64), suppressed)
