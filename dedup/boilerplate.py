"""Corpus-level suppression of seeds that are boilerplate rather than evidence of copying.

A seed (a character run or a word occurring once in each of two documents) says "this wording was
copied" only if the wording is rare in the corpus. Datelines, outlet templates, a minister's full
title, or the stock sentence every outlet writes about a story occur in many documents: chained
together they make topical passages that nobody copied. Seeds found in more than
``max(2, max_df * documents)`` documents are dropped before alignment. The floor of two documents
keeps a small corpus (two or three articles) from losing the very passages it was scanned for.

The scan counts document frequencies while documents stream in, in a :class:`DocumentFrequency`
(a count-min sketch of fixed size), so that it needs neither a second pass over the texts nor
memory that grows with them; :func:`common_keys` is the exact count for a corpus held in memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import distinct_counts
from .errors import ParameterError

__all__ = ["DocumentFrequency", "Frequent", "common_keys", "df_limit"]

# Multipliers (odd, from splitmix64/murmur3) that pick each row's counter from different bits.
ROW_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F], dtype=np.uint64)


def df_limit(documents: int, max_df: float) -> int:
    """The largest document frequency a seed may have and still count.

    Example:
        >>> df_limit(5, 0.2), df_limit(5000, 0.2)
        (2, 1000)
    """
    return max(2, math.floor(max_df * documents))


def common_keys(
    per_document: Iterable[npt.NDArray[np.uint64]], documents: int, max_df: float
) -> npt.NDArray[np.uint64]:
    """Sorted keys present in more than ``df_limit(documents, max_df)`` of the documents.

    Each array must hold one document's distinct keys.

    Example:
        >>> keys = [np.array([1, 2], np.uint64), np.array([2, 3], np.uint64), np.array([2], np.uint64)]
        >>> common_keys(keys, 3, 0.5).tolist()
        [2]
    """
    arrays = [k for k in per_document if len(k)]
    if not arrays:
        return np.zeros(0, dtype=np.uint64)
    values, counts = distinct_counts(np.concatenate(arrays))
    return values[counts > df_limit(documents, max_df)]


class DocumentFrequency:
    """In how many documents each key occurs, estimated in fixed memory (a count-min sketch).

    Each key increments one counter in each of two rows of ``width`` counters, picked by two
    different multiplicative hashes; its estimate is the smaller of its two counters. An estimate
    is never below the true count and exceeds it only when both counters are shared with other
    keys: with the default 2^20 counters a row (8 MB in all), a corpus of N documents offering K
    keys each loads a counter with about N * K / 2^20 foreign counts, 0.3% of N for K = 3,000, far
    below the 20% of N that makes a key boilerplate; in a corpus so small that two documents are
    the limit (N < 15), a key is overcounted in both rows with probability under 0.2%. The width
    is a trade: counting a key is a random access to each row, ~20 ms per million keys at 2^22
    (the rows leave the cache), ~7 ms at 2^20.

    Example:
        >>> df = DocumentFrequency(width=1 << 10)
        >>> df.add(np.array([1, 2, 3], np.uint64))  # the distinct keys of one document
        >>> df.add(np.array([2, 3], np.uint64))
        >>> df.add(np.array([3], np.uint64))
        >>> df.documents, df.estimate(np.array([1, 2, 3, 4], np.uint64)).tolist()
        (3, [1, 2, 3, 0])
        >>> df.frequent(np.array([1, 2, 3], np.uint64), max_df=0.5).tolist()  # df_limit(3, 0.5) = 2
        [False, False, True]
    """

    def __init__(self, width: int = 1 << 20) -> None:
        if width < 1 or width & (width - 1):
            raise ParameterError(f"width must be a power of two, got {width}")
        self.width = width
        self.shift = np.uint64(64 - width.bit_length() + 1)
        self.table = np.zeros((len(ROW_MULTIPLIERS), width), dtype=np.uint32)
        self.documents = 0

    def add(self, keys: npt.NDArray[np.uint64], documents: int = 1) -> None:
        """Count ``keys``, the distinct keys of ``documents`` documents concatenated.

        A key must occur at most once per document, or it is counted once per occurrence.
        """
        _add(self.table, ROW_MULTIPLIERS, self.shift, np.ascontiguousarray(keys, dtype=np.uint64))
        self.documents += documents

    def merge(self, other: DocumentFrequency) -> None:
        """Add the counts of ``other`` (of the same width), e.g. one counted in another thread.

        Example:
            >>> a, b = DocumentFrequency(width=16), DocumentFrequency(width=16)
            >>> a.add(np.array([5], np.uint64)); b.add(np.array([5, 6], np.uint64))
            >>> a.merge(b); a.documents, a.estimate(np.array([5, 6], np.uint64)).tolist()
            (2, [2, 1])
        """
        if other.width != self.width:
            raise ParameterError(f"width ({other.width}) must equal this sketch's width ({self.width})")
        self.table += other.table
        self.documents += other.documents

    def estimate(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
        """Estimated document frequency of each key (never below the true one)."""
        return _estimate(self.table, ROW_MULTIPLIERS, self.shift, np.ascontiguousarray(keys, dtype=np.uint64))

    def frequent(self, keys: npt.NDArray[np.uint64], max_df: float) -> npt.NDArray[np.bool_]:
        """Which keys occur in more than ``df_limit(documents, max_df)`` of the documents counted."""
        return self.estimate(keys) > df_limit(self.documents, max_df)


class Frequent:
    """Which keys a :class:`DocumentFrequency` counts in more than ``df_limit(documents, max_df)`` documents.

    A function of keys to a mask, as ``df.frequent(keys, max_df)``, with the limit fixed when it is
    made; :func:`dedup.align.prepare` recognises it and checks the keys inside its own kernel.

    Example:
        >>> df = DocumentFrequency(width=1 << 10)
        >>> for keys in ([1, 2], [2], [2, 3]):
        ...     df.add(np.array(keys, np.uint64))
        >>> Frequent(df, max_df=0.5)(np.array([1, 2, 3], np.uint64)).tolist()  # df_limit(3, 0.5) = 2
        [False, True, False]
    """

    __slots__ = ("df", "limit")

    def __init__(self, df: DocumentFrequency, max_df: float) -> None:
        self.df = df
        self.limit = df_limit(df.documents, max_df)

    def __call__(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        return self.df.estimate(keys) > self.limit


@njit(cache=True, nogil=True)
def _add(
    table: npt.NDArray[np.uint32], multipliers: npt.NDArray[np.uint64], shift: np.uint64, keys: npt.NDArray[np.uint64]
) -> None:
    for key in keys:
        for row in range(table.shape[0]):
            table[row, (key * multipliers[row]) >> shift] += 1


@njit(cache=True, nogil=True)
def _estimate(
    table: npt.NDArray[np.uint32], multipliers: npt.NDArray[np.uint64], shift: np.uint64, keys: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint32]:
    out = np.empty(len(keys), dtype=np.uint32)
    for i in range(len(keys)):
        best = table[0, (keys[i] * multipliers[0]) >> shift]
        for row in range(1, table.shape[0]):
            best = min(best, table[row, (keys[i] * multipliers[row]) >> shift])
        out[i] = best
    return out
