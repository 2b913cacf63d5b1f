"""Locality-sensitive hashing: band signatures so that similar windows collide in some band.

A signature of ``num_perm`` slots is cut into ``bands`` bands of ``rows`` slots. Two items whose
Jaccard similarity is ``s`` share at least one whole band with probability
``1 - (1 - s**rows)**bands`` (the S-curve); :func:`optimal_params` picks ``bands`` and ``rows`` for a
threshold the way datasketch does, by minimising the weighted areas under that curve on the wrong
side of the threshold. The items that collide are counted into candidate pairs by
:mod:`dedup.candidates`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numba import njit

from .checks import _shown, check_int, check_number, check_uint32
from .errors import ParameterError
from .minhash import _check_num_perm  # (the signatures' bound: the search below is quadratic in num_perm)

__all__ = ["band_keys", "band_keys32", "extra_band_keys32", "optimal_params", "probability"]

# Constants of the 64-bit finaliser of MurmurHash3 and of xxh64's prime: fixed, so that band keys
# are the same on every machine and in every run (Python's hash() is salted per process).
_PRIME64 = np.uint64(0x9E3779B185EBCA87)
_FMIX1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_GRID = 2049  # integration points: enough for the chosen (bands, rows) to equal datasketch's


def _check_threshold(threshold: float) -> float:
    return check_number("threshold", threshold, 0.0, 1.0, low_open=True, high_open=True)


def _check_similarity(similarity: float | npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``similarity`` as float64 (one number, or an array of them), if every value is in [0, 1]."""
    if isinstance(similarity, int | float | np.number | bool | np.bool_):
        return np.asarray(check_number("similarity", similarity, 0.0, 1.0), dtype=np.float64)
    try:
        given = np.asarray(similarity)
        s = given.astype(np.float64) if given.dtype.kind in "iufO" else None
    except (TypeError, ValueError):
        s = None
    if s is None:
        raise ParameterError(f"similarity must be a finite number, got {_shown(similarity)}")
    outside = ~((s >= 0.0) & (s <= 1.0))  # (NaN too)
    if outside.any():
        check_number("similarity", s[outside][0], 0.0, 1.0)  # raises, worded as for one number
    return s


def probability(similarity: float | npt.ArrayLike, bands: int, rows: int) -> npt.NDArray[np.float64]:
    """Probability that two items of the given Jaccard similarity share at least one band.

    Example:
        >>> round(float(probability(0.5, bands=25, rows=5)), 4)
        0.5478
    """
    s = _check_similarity(similarity)
    bands, rows = check_int("bands", bands), check_int("rows", rows)
    return np.asarray(1.0 - (1.0 - s**rows) ** bands, dtype=np.float64)


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
    # Checked before the cache, which would take True or 1.0 for 1, and a list for a raw TypeError.
    threshold = _check_threshold(threshold)
    num_perm = _check_num_perm(num_perm)
    false_positive_weight = check_number("false_positive_weight", false_positive_weight, 0.0)
    false_negative_weight = check_number("false_negative_weight", false_negative_weight, 0.0)
    if abs(false_positive_weight + false_negative_weight - 1.0) > 1e-9:
        raise ParameterError(
            "false_positive_weight and false_negative_weight must be non-negative and sum to 1, "
            f"got {false_positive_weight!r} and {false_negative_weight!r}"
        )
    return _optimal_params(threshold, num_perm, false_positive_weight, false_negative_weight)


@lru_cache(maxsize=256)
def _optimal_params(
    threshold: float, num_perm: int, false_positive_weight: float, false_negative_weight: float
) -> tuple[int, int]:
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


def _check_bands(signatures: npt.ArrayLike, bands: int, rows: int) -> npt.NDArray[np.uint32]:
    """``signatures`` as contiguous uint32, if they are integers of uint32 in rows of at least ``bands * rows``."""
    sigs = check_uint32("signatures", signatures, 2)
    bands, rows = check_int("bands", bands), check_int("rows", rows)
    if bands * rows > sigs.shape[1]:
        raise ParameterError(
            f"bands * rows ({bands} * {rows} = {bands * rows}) must be at most num_perm ({sigs.shape[1]})"
        )
    return sigs


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
def _band_keys32_kernel(
    sigs: npt.NDArray[np.uint32], first: int, bands: int, rows: int, out: npt.NDArray[np.uint32]
) -> None:
    start = np.uint64(bands * rows)
    for i in range(sigs.shape[0]):
        for band in range(first, bands):
            # The high half: its bits are the best mixed by the final multiply.
            out[band - first, i] = np.uint32(_band_key(sigs[i], band, rows, start) >> np.uint64(32))


def band_keys(signatures: npt.ArrayLike, bands: int, rows: int) -> npt.NDArray[np.uint64]:
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


def band_keys32(signatures: npt.ArrayLike, bands: int, rows: int) -> npt.NDArray[np.uint32]:
    """The high 32 bits of :func:`band_keys`, band-major (``uint32[bands, n]``): the index's storage.

    Half the memory of the 64-bit keys, and a band's column is contiguous for the bucket sort. Two
    different bands collide in 32 bits with probability 2**-32 per pair of items; such a false
    candidate costs one exact alignment, which finds no passage the pair does not share.

    Example:
        >>> sig = np.arange(8, dtype=np.uint32).reshape(1, 8)
        >>> bool(band_keys32(sig, 2, 4)[1, 0] == band_keys(sig, 2, 4)[0, 1] >> np.uint64(32))
        True
    """
    return _band_keys32(signatures, 0, bands, rows)


def _band_keys32(signatures: npt.ArrayLike, first: int, bands: int, rows: int) -> npt.NDArray[np.uint32]:
    """Rows ``first`` to ``bands - 1`` of ``band_keys32(signatures, bands, rows)``, the others not computed."""
    sigs = _check_bands(signatures, bands, rows)
    out = np.empty((bands - first, sigs.shape[0]), dtype=np.uint32)
    _band_keys32_kernel(sigs, int(first), int(bands), int(rows), out)
    return out


def extra_band_keys32(
    signatures: npt.ArrayLike,
    counts: npt.ArrayLike,
    bands: int,
    rows: int,
    all_bands: int,
    short_windows: int,
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """The further band keys of short documents' windows: (``uint32[all_bands - bands, m]``, the m windows).

    ``signatures`` are the windows of documents with ``counts`` windows each, in order; a document
    of at most ``short_windows`` windows is short, and its windows are banded on bands ``bands``
    to ``all_bands`` besides the first ``bands`` every window has
    (:attr:`dedup.config.ScanConfig.short_bands`): the slots those leave unused, keyed as
    :func:`band_keys32` keys the bands of ``all_bands``, so they never equal the first bands' keys
    but by a 32-bit chance. The windows are given by their row numbers, ascending.

    Example:
        >>> sig = np.arange(24, dtype=np.uint32).reshape(3, 8)  # a document of 1 window, one of 2
        >>> extra, windows = extra_band_keys32(sig, np.array([1, 2]), 1, 2, 4, short_windows=1)
        >>> extra.shape, windows.tolist(), bool((extra == band_keys32(sig[:1], 4, 2)[1:]).all())
        ((3, 1), [0], True)
    """
    bands, all_bands = check_int("bands", bands), check_int("all_bands", all_bands)
    short_windows = check_int("short_windows", short_windows, 0)
    sigs = _check_bands(signatures, all_bands, rows)
    if not bands <= all_bands:
        raise ParameterError(f"all_bands ({all_bands}) must be at least bands ({bands})")
    given = np.asarray(counts)
    if given.ndim != 1 or (given.size and given.dtype.kind not in "iu") or (given.size and given.min() < 0):
        raise ParameterError(f"counts must be a 1-D array of non-negative integers, got {_shown(counts)}")
    n = given.astype(np.int64)
    if int(n.sum()) != len(sigs):
        raise ParameterError(f"counts must add up to the {len(sigs)} signatures, got {int(n.sum())}")
    windows = np.flatnonzero(np.repeat(n <= short_windows, n)) if all_bands > bands else np.zeros(0, np.int64)
    if not len(windows):
        return np.zeros((all_bands - bands, 0), dtype=np.uint32), windows
    return _band_keys32(sigs[windows], bands, all_bands, rows), windows
