"""Many candidate pairs aligned in one kernel call: what :func:`dedup.align.align` finds, pair by pair.

A scan aligns hundreds of thousands of candidate pairs, most of which share nothing. Called a
pair at a time, the kernel is handed its 35 arguments by Python, with the GIL held, and hands the
GIL back when it is done: with two threads, each waited for the other's Python part between its
pairs (docs/performance.md, "Pairs aligned a chunk at a time"). Here a chunk of pairs is one call
without the GIL, and Python sees only the pairs that hold something.

The kernel reaches each document's arrays through their addresses (:func:`handle`), so that no
array is copied: the caller keeps the prepared documents alive while their pairs are aligned
(:func:`align_batch` holds them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.numpy_support import carray

from .align import (
    Alignment,
    _align_kernel,
    _alignments,
    _check_offset,
    _flipped,
    _in_letters,
    _rows,
    _rules,
    _swapped,
)
from .errors import ParameterError
from .group import Layout, Rules
from .seeds import AlignParams, Prepared

__all__ = ["Handle", "align_batch", "align_documents", "handle"]

# A document's arrays in the order of a handle's row: each is an address and a length (rows, for
# copies). The row ends with the normalised text's length.
_U64 = ("seed_keys", "word_keys", "key_filter")
_I32 = ("seed_index", "starts", "ends", "word_starts", "word_ends", "spaces", "breaks")
_BOOL = ("seed_rare", "word_rare")
_FIELDS = (*_U64, *_I32, *_BOOL, "copies")
_ROW = 2 * len(_FIELDS) + 1
_NO_ROW = np.zeros(_ROW, dtype=np.int64)  # (the table's row of a document aligned a pair at a time)


class Handle:
    """A prepared document and the addresses of its arrays, for :func:`align_batch`.

    The addresses are read once, when the handle is made (reading them costs about a microsecond
    an array); they stay valid while the handle, which holds the document, lives.
    """

    __slots__ = ("length", "prepared", "row")

    def __init__(self, prepared: Prepared, row: npt.NDArray[np.int64] | None) -> None:
        self.prepared = prepared
        self.row = row  # None: positions in int64 (texts of 2^31 code points), aligned a pair at a time
        self.length = len(prepared.normalized.text)  # (which of a pair is aligned first: align_batch)


def handle(prepared: Prepared) -> Handle:
    """A :class:`Handle` of ``prepared``: its arrays' addresses and lengths, read once.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> from dedup.seeds import prepare
        >>> n = normalize("one two three four five six seven eight nine ten")
        >>> h = handle(prepare(n, shingle(n.text, 5)))
        >>> int(h.row[-1]) == len(n.text)
        True
    """
    if prepared.starts.dtype != np.int32:
        return Handle(prepared, None)
    row = np.zeros(_ROW, dtype=np.int64)
    for k, name in enumerate(_FIELDS):
        array = getattr(prepared, name)
        # The kernel reads each array as a C-contiguous block of its length (rows of 4, for copies).
        if not array.flags.c_contiguous:
            raise ParameterError(f"prepared.{name} must be a C-contiguous array, got one with strides {array.strides}")
        row[2 * k] = array.ctypes.data
        row[2 * k + 1] = len(array)
    row[-1] = len(prepared.normalized.text)
    return Handle(prepared, row)


def align_batch(
    handles: Sequence[Handle],
    left: Sequence[int] | npt.NDArray[np.int64],
    right: Sequence[int] | npt.NDArray[np.int64],
    params: AlignParams | None = None,
) -> list[list[Alignment]]:
    """For each pair ``(handles[left[k]], handles[right[k]])``, what :func:`dedup.align.align` returns.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> from dedup.seeds import prepare
        >>> from dedup.align import align
        >>> shared = "the quick brown fox jumps over the lazy dog near the quiet river bank today "
        >>> texts = ["alpha beta " + shared + "gamma", "one two " + shared + "three", "nothing of the kind here at all"]
        >>> p = AlignParams(min_length=50)
        >>> docs = [prepare(n, shingle(n.text, 5), p) for n in map(normalize, texts)]
        >>> found = align_batch([handle(d) for d in docs], [0, 0], [1, 2], p)
        >>> found == [align(docs[0], docs[1], p), align(docs[0], docs[2], p)], len(found[0]), found[1]
        (True, 1, [])
    """
    params = params or AlignParams()
    if len(left) != len(right):
        raise ParameterError(f"left and right must be as long as each other, got {len(left)} and {len(right)}")
    # Python a pair is what the GIL serialises between the threads: what is worked out pair by
    # pair is worked out on arrays of the chunk's pairs, from values read once a document, and
    # only the pairs that hold something are seen one by one.
    count = len(left)
    first, second = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    # Each pair aligned in the order align() aligns it (the shorter document first; _flipped), and
    # turned back: the texts are compared only where the lengths are equal.
    size = np.array([h.length for h in handles], dtype=np.int64)
    size_a, size_b = size[first], size[second]
    flip = size_b < size_a
    for k in np.flatnonzero(size_b == size_a).tolist():
        flip[k] = _flipped(handles[first[k]].prepared, handles[second[k]].prepared)
    first, second = np.where(flip, second, first), np.where(flip, first, second)
    # Each document checked once, and the parameters worked out for each width the pairs have
    # (one, mostly: a pair takes the smaller of its documents' widths).
    used = {*first.tolist(), *second.tolist()}
    for k in used:
        _check_offset(handles[k].prepared, params)  # (scaling to letters keeps seed_length and ngram)
    width = [h.prepared.width for h in handles]
    widths = sorted({width[k] for k in used})
    scaled = [_in_letters(params, w) for w in widths]
    if len(widths) > 1:
        of = np.array(width, dtype=np.float64)
        which = np.searchsorted(np.array(widths), np.minimum(of[first], of[second]))
    else:
        which = np.zeros(count, dtype=np.int64)
    found: list[list[Alignment]] = [[] for _ in range(count)]
    hits: list[int] = []
    whole = np.array([h.row is not None for h in handles], dtype=np.bool_)
    both_whole = whole[first] & whole[second]
    packed = np.flatnonzero(both_whole)
    if len(packed):
        table = np.concatenate([_NO_ROW if h.row is None else h.row for h in handles]).reshape(len(handles), _ROW)
        # The rules scaled to letters differ by width in their lengths alone (_in_letters).
        sizes = np.array(
            [(r.gap, r.abut, r.min_length, r.min_exact) for r in map(_rules, scaled)], dtype=np.int64
        ).reshape(len(scaled), 4)
        rows, bounds = _batch_kernel(
            table, first[packed], second[packed], sizes[which[packed]], params.seed_length - params.ngram,
            _rules(params),
        )  # fmt: skip
        for n in np.flatnonzero(bounds[1:] > bounds[:-1]).tolist():
            k = int(packed[n])
            a, b = handles[first[k]].prepared, handles[second[k]].prepared
            found[k] = _alignments(a, b, scaled[which[k]], rows[bounds[n] : bounds[n + 1]])
            hits.append(k)
    if len(packed) < count:
        for k in np.flatnonzero(~both_whole).tolist():
            a, b = handles[first[k]].prepared, handles[second[k]].prepared
            found[k] = _alignments(a, b, scaled[which[k]], _rows(a, b, scaled[which[k]]))
            hits.append(k)
    for k in hits:
        if flip[k]:
            found[k] = _swapped(found[k])
    return found


def align_documents(
    left: Sequence[int] | npt.NDArray[np.int64],
    right: Sequence[int] | npt.NDArray[np.int64],
    documents: Callable[[list[int]], Sequence[Handle]],
    params: AlignParams,
) -> list[tuple[Handle, Handle, list[Alignment]]]:
    """For pairs of document numbers, each pair's two documents and what :func:`align_batch` finds; each asked for once.

    ``documents`` gives the handles of a list of distinct document numbers (a cache of prepared
    documents); the list returned holds them until the pairs are aligned.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> from dedup.seeds import prepare
        >>> texts = {7: "alpha beta gamma delta epsilon zeta eta theta", 9: "one two three four five six seven eight"}
        >>> asked = []
        >>> def documents(ids):
        ...     asked.append(ids)
        ...     return [handle(prepare(normalize(texts[k]), shingle(normalize(texts[k]).text, 5))) for k in ids]
        >>> [(len(found)) for _, _, found in align_documents([7, 9], [9, 7], documents, AlignParams())], asked
        ([0, 0], [[7, 9]])
    """
    if len(left) != len(right):
        raise ParameterError(f"left and right must be as long as each other, got {len(left)} and {len(right)}")
    # The documents in the order the pairs first name them (left, right, left, ...), and the slot
    # of each side of each pair among them.
    named = np.empty(2 * len(left), dtype=np.int64)
    named[0::2], named[1::2] = left, right
    ids = np.array(list(dict.fromkeys(named.tolist())), dtype=np.int64)
    order = np.argsort(ids)
    slots = order[np.searchsorted(ids[order], named)]
    handles = documents(ids.tolist())
    found = align_batch(handles, slots[0::2], slots[1::2], params)
    return [
        (handles[i], handles[j], x) for i, j, x in zip(slots[0::2].tolist(), slots[1::2].tolist(), found, strict=True)
    ]


def _address_as_pointer(typingctx, address):  # type: ignore[no-untyped-def]
    """The address (an integer) as a pointer, for ``numba.carray``."""
    if not isinstance(address, types.Integer):
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.inttoptr(args[0], cgutils.voidptr_t)

    return types.voidptr(address), codegen


_pointer: Any = intrinsic(_address_as_pointer)


@njit(cache=True, nogil=True)
def _u64(row: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.uint64]:
    return carray(_pointer(row[2 * k]), (row[2 * k + 1],), dtype=np.uint64)


@njit(cache=True, nogil=True)
def _i32(row: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.int32]:
    return carray(_pointer(row[2 * k]), (row[2 * k + 1],), dtype=np.int32)


@njit(cache=True, nogil=True)
def _bool(row: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.bool_]:
    return carray(_pointer(row[2 * k]), (row[2 * k + 1],), dtype=np.bool_)


@njit(cache=True, nogil=True)
def _batch_kernel(
    table: npt.NDArray[np.int64],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    offset: int,
    rules: Rules,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The kernel's rows of every pair, one after another, and where each pair's begin (and the last ends).

    ``lengths``: each pair's ``gap``, ``abut``, ``min_length`` and ``min_exact`` in its letters,
    which take the place of ``rules``'.
    """
    bounds = np.zeros(len(left) + 1, dtype=np.int64)
    out = np.zeros((16, 6), dtype=np.int64)
    for k in range(len(left)):
        a, b = table[left[k]], table[right[k]]
        # The fields in _FIELDS' order: u64 0-2, int32 3-9, bool 10-11, copies 12.
        copies_a = carray(_pointer(a[24]), (a[25], 4), dtype=np.int64)
        copies_b = carray(_pointer(b[24]), (b[25], 4), dtype=np.int64)
        scaled = Rules(
            lengths[k, 0], lengths[k, 1], rules.min_seeds, lengths[k, 2], lengths[k, 3], rules.min_density,
            rules.exact_density, rules.trim,
        )  # fmt: skip
        rows = _align_kernel(
            _u64(a, 0), _i32(a, 3), _bool(a, 10), _i32(a, 4), _i32(a, 5), _u64(a, 1), _i32(a, 6), _i32(a, 7),
            _bool(a, 11), Layout(_i32(a, 8), _i32(a, 9), a[26]),
            _u64(b, 0), _i32(b, 3), _i32(b, 4), _i32(b, 5), _u64(b, 1), _i32(b, 6), _i32(b, 7),
            Layout(_i32(b, 8), _i32(b, 9), b[26]), _u64(a, 2), _u64(b, 2), copies_a, copies_b, offset, scaled,
        )  # fmt: skip
        at = bounds[k]
        bounds[k + 1] = at + len(rows)
        if bounds[k + 1] > len(out):
            grown = np.zeros((max(2 * len(out), bounds[k + 1]), 6), dtype=np.int64)
            grown[:at] = out[:at]
            out = grown
        out[at : bounds[k + 1]] = rows
    return out[: bounds[-1]], bounds
