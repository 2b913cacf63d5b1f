"""Array helpers shared by the stages.

numpy 2.4's ``np.unique`` is hash-based and measured here many times slower than sorting on the
few thousand 32/64-bit keys a document holds, and it runs several times for every candidate pair;
these sort-based versions return the same arrays.
``merge_sorted`` is the one merge of two sorted arrays that alignment and scoring share;
``merge_counts`` the union of two sorted counted sets (the LSH stage's pair counts).
``in_sorted`` is the binary-search membership test of keys in a sorted array.
``radix_order`` orders a few hundred text positions in linear time, where an argsort compares;
``stable_order`` any int64 values, at once where they are in order already.
``prefetch`` asks the processor for a table entry a few lookups ahead of its use.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["distinct", "distinct_counts", "in_sorted", "merge_counts", "merge_sorted", "radix_order", "stable_order"]

# Positions in a text (spans, offsets) as a document prepared for alignment holds them: int32 when
# the text is short enough (almost always), else int64 (dedup.seeds.prepare).
Positions = npt.NDArray[np.int32] | npt.NDArray[np.int64]

# A hint the processor may ignore: fetch the cache line of table[at] (for reading, or for writing
# too when `write` is 1). Lookups in the tables that count keys over a whole corpus (tens of
# megabytes, one random line a key) wait on memory; a kernel that asks for the line of the key a
# dozen lookups ahead keeps several misses in flight (docs/performance.md, "Tables read ahead").
# LLVM names the intrinsic after the pointer type: "p0" where pointers are opaque, "p0i8" before.
_PREFETCH = "llvm.prefetch.p0" if str(ir.IntType(8).as_pointer()) == "ptr" else "llvm.prefetch.p0i8"


def _prefetch_signature(typingctx: Any, table: Any, at: Any, write: Any) -> Any:
    if not (isinstance(table, types.Array) and table.ndim == 1 and table.layout == "C"):
        return None
    if not (isinstance(at, types.Integer) and isinstance(write, types.IntegerLiteral)):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array = context.make_array(signature.args[0])(context, builder, args[0])
        byte = ir.IntType(8).as_pointer()
        item = builder.bitcast(builder.gep(array.data, [args[1]]), byte)  # (a contiguous array)
        i32 = ir.IntType(32)
        kind = ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32])
        function = builder.module.globals.get(_PREFETCH) or ir.Function(builder.module, kind, _PREFETCH)
        # (address, read 0 / write 1, locality 0-3: kept in every level, data cache 1)
        builder.call(function, [item, ir.Constant(i32, write.literal_value), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(table, at, write), codegen


prefetch: Any = intrinsic(prefer_literal=True)(_prefetch_signature)
"""``prefetch(table, at, write)`` in a kernel: fetch ``table[at]``'s cache line ahead (``write`` a literal 0 or 1).

``table`` is a contiguous one-dimensional array (a row of a C-ordered table is one).

Example:
    >>> @njit
    ... def first(table):
    ...     prefetch(table, 0, 0)
    ...     return table[0]
    >>> int(first(np.arange(3)))
    0
"""

_T = TypeVar("_T", bound=np.generic)
_C = TypeVar("_C", bound=np.unsignedinteger[Any])


def _starts(ordered: npt.NDArray[_T]) -> npt.NDArray[np.intp]:
    first = np.empty(len(ordered), dtype=np.bool_)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return np.flatnonzero(first)


def in_sorted(ordered: npt.NDArray[_T], keys: npt.NDArray[_T]) -> npt.NDArray[np.bool_]:
    """Which of ``keys`` occur in the sorted array ``ordered``: a binary search each, as ``np.isin(keys, ordered)``.

    Example:
        >>> in_sorted(np.array([2, 5, 9], np.uint64), np.array([9, 1, 5, 10], np.uint64)).tolist()
        [True, False, True, False]
    """
    if not len(ordered):
        return np.zeros(len(keys), dtype=np.bool_)
    at = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
    return np.asarray(ordered[at] == keys)


def distinct(x: npt.NDArray[_T]) -> npt.NDArray[_T]:
    """Sorted distinct values, as ``np.unique(x)``.

    Example:
        >>> distinct(np.array([3, 1, 3, 2], np.uint32)).tolist()
        [1, 2, 3]
    """
    ordered = np.sort(x)
    return ordered[_starts(ordered)]


def distinct_counts(x: npt.NDArray[_T]) -> tuple[npt.NDArray[_T], npt.NDArray[np.int64]]:
    """Sorted distinct values and how often each occurs, as ``np.unique(x, return_counts=True)``.

    Example:
        >>> [a.tolist() for a in distinct_counts(np.array([3, 1, 3], np.uint64))]
        [[1, 3], [1, 2]]
    """
    ordered = np.sort(x)
    starts = _starts(ordered)
    return ordered[starts], np.diff(np.append(starts, len(ordered))).astype(np.int64)


@njit(cache=True, nogil=True)
def radix_order(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The stable order of non-negative ``values``, as ``np.argsort(values, kind="stable")``.

    A least-significant-digit radix sort, a byte a pass: the positions of a pair's shared keys in
    a text (a few hundred, under 2^24) take two or three passes, which cost a fraction of the
    comparisons of a sort (docs/performance.md, "An AMD machine with AVX-512, again").

    Example:
        >>> radix_order(np.array([300, 5, 300, 0, 70000], np.int64)).tolist()
        [3, 1, 0, 2, 4]
    """
    n = len(values)
    order = np.arange(n)
    if n < 2:
        return order
    top = values.max()
    spare = np.empty(n, dtype=np.int64)
    counts = np.empty(257, dtype=np.int64)
    shift = 0
    while shift == 0 or (top >> shift) > 0:  # (a pass a byte of the largest value)
        counts[:] = 0
        for i in range(n):
            counts[((values[order[i]] >> shift) & 255) + 1] += 1
        for digit in range(256):
            counts[digit + 1] += counts[digit]
        for i in range(n):
            digit = (values[order[i]] >> shift) & 255
            spare[counts[digit]] = order[i]
            counts[digit] += 1
        order, spare = spare, order
        shift += 8
    return order


# Up to this many values are put in order by insertion (no arrays but the order's); more by radix.
_INSERTION = 32


@njit(cache=True, nogil=True)
def stable_order(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The stable order of ``values``, as ``np.argsort(values, kind="stable")``, at once where they are in order.

    The alignment kernels order a group's seeds along a side several times, and the seeds of a copy
    mostly come in order already: numba's merge sort took as long for those as for shuffled ones.
    Values in order cost one pass; a few are put in place by insertion; more by
    :func:`radix_order` from their least value, where they span under 2^32 (four passes at most),
    else by the merge sort.

    Example:
        >>> stable_order(np.array([3, -1, 3, 2], np.int64)).tolist(), stable_order(np.arange(4)).tolist()
        ([1, 3, 0, 2], [0, 1, 2, 3])
    """
    n = len(values)
    k = 1
    while k < n and values[k - 1] <= values[k]:
        k += 1
    if k >= n:
        return np.arange(n)
    if n <= _INSERTION:
        order = np.arange(n)
        for i in range(k, n):
            x = order[i]
            v = values[x]
            j = i - 1
            while j >= 0 and values[order[j]] > v:
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = x
        return order
    low, high = values.min(), values.max()
    if 0 <= high - low < (1 << 32):  # (negative where the span overflows int64)
        return radix_order(values - low)
    return np.argsort(values, kind="mergesort")


@njit(cache=True, nogil=True)
def merge_sorted(
    x: npt.NDArray[np.unsignedinteger[Any]], y: npt.NDArray[np.unsignedinteger[Any]]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Positions in x and in y of the values two sorted distinct arrays share (a linear merge).

    Example:
        >>> [a.tolist() for a in merge_sorted(np.array([1, 3, 5, 7], np.uint64), np.array([3, 4, 7], np.uint64))]
        [[1, 3], [0, 2]]
    """
    out_x = np.empty(min(len(x), len(y)) + 1, dtype=np.int64)
    out_y = np.empty_like(out_x)
    i = j = n = 0
    # Without a branch on the comparison (which is unpredictable): faster on real seed keys.
    # Every step writes the current positions and keeps them only where the values are equal.
    while i < len(x) and j < len(y):
        u, v = x[i], y[j]
        out_x[n], out_y[n] = i, j
        n += u == v
        i += u <= v
        j += v <= u
    return out_x[:n], out_y[:n]


def merge_counts(
    x: npt.NDArray[np.uint64],
    x_counts: npt.NDArray[_C],
    y: npt.NDArray[np.uint64],
    y_counts: npt.NDArray[_C],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[_C]]:
    """The union of two sorted distinct arrays, each value with the sum of its counts in both.

    Example:
        >>> v, c = merge_counts(np.array([1, 3, 5], np.uint64), np.array([1, 2, 1], np.uint8),
        ...                     np.array([3, 4], np.uint64), np.array([1, 1], np.uint8))
        >>> v.tolist(), c.tolist()
        ([1, 3, 4, 5], [1, 3, 1, 1])
    """
    values = np.empty(len(x) + len(y), dtype=np.uint64)
    counts = np.empty(len(x) + len(y), dtype=x_counts.dtype)
    n = _merge_counts_kernel(x, x_counts, y, y_counts, values, counts)
    return values[:n], counts[:n]


@njit(cache=True, nogil=True)
def _merge_counts_kernel(
    x: npt.NDArray[np.uint64],
    x_counts: npt.NDArray[np.unsignedinteger[Any]],
    y: npt.NDArray[np.uint64],
    y_counts: npt.NDArray[np.unsignedinteger[Any]],
    values: npt.NDArray[np.uint64],
    counts: npt.NDArray[np.unsignedinteger[Any]],
) -> int:
    """Write the merge of :func:`merge_counts` into ``values`` and ``counts``; return its length."""
    i = j = n = 0
    zero = x_counts.dtype.type(0)
    # Branch-free like merge_sorted: take the smaller value, or both when equal, adding the counts
    # of the side(s) taken.
    while i < len(x) and j < len(y):
        u, v = x[i], y[j]
        take_x, take_y = u <= v, v <= u
        values[n] = u if take_x else v
        counts[n] = (x_counts[i] if take_x else zero) + (y_counts[j] if take_y else zero)
        n += 1
        i += take_x
        j += take_y
    while i < len(x):
        values[n], counts[n] = x[i], x_counts[i]
        n += 1
        i += 1
    while j < len(y):
        values[n], counts[n] = y[j], y_counts[j]
        n += 1
        j += 1
    return n
