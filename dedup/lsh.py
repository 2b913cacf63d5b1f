"""Locality-sensitive hashing: band signatures so that similar windows collide in some band.

A signature of ``num_perm`` slots is cut into ``bands`` bands of ``rows`` slots. Two items whose
Jaccard similarity is ``s`` share at least one whole band with probability
``1 - (1 - s**rows)**bands`` (the S-curve); :func:`optimal_params` picks ``bands`` and ``rows`` for a
threshold the way datasketch does, by minimising the weighted areas under that curve on the wrong
side of the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from .errors import ParameterError

__all__ = ["Candidates", "band_keys", "candidate_pairs", "optimal_params", "probability"]

# Constants of the 64-bit finaliser of MurmurHash3 and of xxh64's prime: fixed, so that band keys
# are the same on every machine and in every run (Python's hash() is salted per process).
_PRIME64 = np.uint64(0x9E3779B185EBCA87)
_FMIX1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
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


def band_keys(signatures: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.uint64]:
    """One 64-bit key per band of each signature row; equal bands give equal keys.

    Example:
        >>> sig = np.arange(8, dtype=np.uint32).reshape(1, 8)
        >>> keys = band_keys(np.vstack([sig, sig]), bands=2, rows=4)
        >>> keys.shape, bool(keys[0, 0] == keys[1, 0]), bool(keys[0, 0] != keys[0, 1])
        ((2, 2), True, True)
    """
    if signatures.ndim != 2:
        raise ParameterError(f"signatures must be a 2-D array, got {signatures.ndim} dimensions")
    if bands < 1 or rows < 1 or bands * rows > signatures.shape[1]:
        raise ParameterError(
            f"bands * rows ({bands} * {rows} = {bands * rows}) must be at most num_perm ({signatures.shape[1]})"
        )
    used = signatures[:, : bands * rows].reshape(signatures.shape[0], bands, rows).astype(np.uint64)
    acc = np.full(used.shape[:2], np.uint64(bands * rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows):
            acc = (acc ^ used[:, :, j]) * _PRIME64
        # Mix in the band number so that the same values in two different bands never collide.
        acc ^= np.arange(bands, dtype=np.uint64)[None, :] * _FMIX2
        acc ^= acc >> _S33
        acc *= _FMIX1
        acc ^= acc >> _S33
        acc *= _FMIX2
        acc ^= acc >> _S33
    return acc


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
    found: list[npt.NDArray[np.uint64]] = []
    suppressed = 0
    for band in range(keys.shape[1]):
        column = keys[:, band]
        order = np.argsort(column, kind="stable")
        ordered = column[order]
        breaks = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        starts = np.concatenate(([0], breaks))
        lengths = np.diff(np.concatenate((starts, [len(ordered)])))
        suppressed += int(np.count_nonzero(lengths > max_bucket))
        in_band: list[npt.NDArray[np.uint64]] = []
        for length in np.unique(lengths[(lengths >= 2) & (lengths <= max_bucket)]):
            members = order[starts[lengths == length][:, None] + np.arange(length)[None, :]]
            i, j = np.triu_indices(int(length), 1)
            a, b = groups[members[:, i]].ravel(), groups[members[:, j]].ravel()
            keep = a != b
            if not same_source:
                keep &= sources[members[:, i]].ravel() != sources[members[:, j]].ravel()
            a, b = a[keep], b[keep]
            low, high = np.minimum(a, b).astype(np.uint64), np.maximum(a, b).astype(np.uint64)
            in_band.append((low << np.uint64(32)) | high)
        if in_band:
            # Several windows of the same two documents collide in one band: count the band once.
            found.append(np.unique(np.concatenate(in_band)))
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, empty, suppressed)
    merged, counts = np.unique(np.concatenate(found), return_counts=True)
    left = (merged >> np.uint64(32)).astype(np.int64)
    right = (merged & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return Candidates(left, right, counts.astype(np.int64), suppressed)
