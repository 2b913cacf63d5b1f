"""Corpus-level suppression of seeds that are boilerplate rather than evidence of copying.

A seed (a character run or a word occurring once in each of two documents) says "this wording was
copied" only if the wording is rare in the corpus. Datelines, outlet templates, a minister's full
title, or the stock sentence every outlet writes about a story occur in many documents: chained
together they make topical passages that nobody copied. Seeds found in more than
``max(2, max_df * documents)`` documents are dropped before alignment. The floor of two documents
keeps a small corpus (two or three articles) from losing the very passages it was scanned for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from ._arrays import distinct_counts

__all__ = ["common_keys", "df_limit"]


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
