"""MinHash signatures of n-gram hash sets, bit-exact with datasketch's ``affine32`` scheme.

A signature slot k is ``min over the set of (a[k] * fmix32(h) + b[k]) mod 2**32``,
with ``a``, ``b`` drawn exactly as ``datasketch.MinHash(num_perm, seed,
scheme="affine32")`` draws them, so :func:`to_datasketch` turns a signature into
a ``datasketch.MinHash`` usable in ``MinHashLSH``. The kernels are numba
(``nogil``, so callers may use threads) and never build a Python object per
hash.

>>> from dedup.shingle import shingle
>>> a = signature(shingle("قالت وزارة الدفاع الأمريكية إنها لا تخطط").hashes)
>>> b = signature(shingle("قالت وزارة الدفاع الأمريكية إنها تخطط").hashes)
>>> a.shape, a.dtype
((128,), dtype('uint32'))
>>> 0.5 < jaccard(a, b) < 1.0
True
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from dedup.checks import check_bool, check_int, check_list, check_texts, check_uint32
from dedup.errors import ParameterError
from dedup.shingle import _check_ngram, _check_seed, _hash_text, _utf16_chunks

if TYPE_CHECKING:
    import datasketch

__all__ = [
    "DEFAULT_NUM_PERM",
    "DEFAULT_SEED",
    "EMPTY",
    "MAX_NUM_PERM",
    "Permutations",
    "WindowSignatureBatch",
    "WindowSignatures",
    "jaccard",
    "permutations",
    "signature",
    "signatures",
    "signatures_flat",
    "text_signatures",
    "to_datasketch",
    "window_signatures",
    "window_signatures_flat",
    "window_signatures_many",
]

DEFAULT_NUM_PERM = 128
DEFAULT_SEED = 1
MAX_NUM_PERM = 1024
EMPTY = np.uint32(0xFFFFFFFF)
"""The value of every slot of the signature of an empty set (datasketch's too)."""

# MurmurHash3 fmix32 constants (datasketch's _FMIX_CONSTANTS[32]).
_M1 = np.uint32(0x85EBCA6B)
_M2 = np.uint32(0xC2B2AE35)


def _check_num_perm(num_perm: int) -> int:
    return check_int("num_perm", num_perm, 1, MAX_NUM_PERM)


def _check_window(window: int, stride: int) -> None:
    window, stride = check_int("window", window), check_int("stride", stride)
    if window % stride:
        raise ParameterError(f"window ({window}) must be a multiple of stride ({stride})")


def _as_hashes(hashes: Any, name: str = "hashes") -> np.ndarray:
    """Return ``hashes`` as a contiguous 1-D uint32 array, refusing values a uint32 cannot hold."""
    return check_uint32(name, hashes, 1)


@dataclass(frozen=True, slots=True)
class Permutations:
    """The affine permutations ``h -> a * h + b mod 2**32`` of one (num_perm, seed).

    >>> p = permutations(4, seed=1)
    >>> p.a.dtype, len(p.b), bool((p.a % 2 == 1).all())
    (dtype('uint32'), 4, True)
    """

    a: np.ndarray
    """uint32[num_perm], odd (so each permutation is a bijection)."""
    b: np.ndarray
    """uint32[num_perm]."""


def permutations(num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED) -> Permutations:
    """Draw the permutations exactly as ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` does.

    The arrays are cached and shared, hence read-only.

    >>> import datasketch
    >>> m = datasketch.MinHash(num_perm=8, seed=3, scheme="affine32")
    >>> p = permutations(8, seed=3)
    >>> bool((m.permutations[0] == p.a).all() and (m.permutations[1] == p.b).all())
    True
    """
    # Checked before the cache: it would take True or 1.0 for 1.
    _check_num_perm(num_perm)
    _check_seed(seed)
    return _permutations(int(num_perm), int(seed))


@functools.lru_cache(maxsize=64)
def _permutations(num_perm: int, seed: int) -> Permutations:
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = False
    b.flags.writeable = False
    return Permutations(a, b)


# ---------------------------------------------------------------- kernels
# numba widens uint32 operands to 64 bits, so every product or sum is cast
# back with np.uint32(): that is the mod 2**32 the scheme wants, and it lets
# LLVM keep the lanes 32 bits wide when it vectorises the loop over slots.


@njit(cache=True, nogil=True)
def _premix(hashes: Any, out: Any) -> None:
    """``out[:len(hashes)] = fmix32(hashes)``."""
    # fmix32 once per hash into a buffer, rather than inside the slot loop:
    # the slot loop then is pure multiply-add-min and vectorises. The buffer
    # holds one document, so it stays in L1 for the slot loop.
    # Indices from 0 (not begin..end) let LLVM see they are never negative,
    # which it needs to drop numba's wraparound check and vectorise.
    for i in range(hashes.shape[0]):
        h = np.uint32(hashes[i])
        h = np.uint32(h ^ (h >> np.uint32(16)))
        h = np.uint32(h * _M1)
        h = np.uint32(h ^ (h >> np.uint32(13)))
        h = np.uint32(h * _M2)
        out[i] = np.uint32(h ^ (h >> np.uint32(16)))


@njit(cache=True, nogil=True)
def _min_into(mixed: Any, begin: Any, end: Any, a: Any, b: Any, out: Any) -> None:
    """``out[k] = min(out[k], min(a[k] * mixed[i] + b[k] for i in [begin, end)))``."""
    num_perm = a.shape[0]
    i = begin
    # Eight hashes per pass over the slots: the eight products are reduced in
    # registers, so out/a/b are loaded and stored once per eight hashes
    # instead of once per hash (measured several times faster than one hash per pass).
    while i + 8 <= end:
        x0 = mixed[i]
        x1 = mixed[i + 1]
        x2 = mixed[i + 2]
        x3 = mixed[i + 3]
        x4 = mixed[i + 4]
        x5 = mixed[i + 5]
        x6 = mixed[i + 6]
        x7 = mixed[i + 7]
        for k in range(num_perm):
            ak = a[k]
            bk = b[k]
            v = min(
                min(min(np.uint32(ak * x0 + bk), np.uint32(ak * x1 + bk)),
                    min(np.uint32(ak * x2 + bk), np.uint32(ak * x3 + bk))),
                min(min(np.uint32(ak * x4 + bk), np.uint32(ak * x5 + bk)),
                    min(np.uint32(ak * x6 + bk), np.uint32(ak * x7 + bk))),
            )  # fmt: skip
            out[k] = min(out[k], v)
        i += 8
    while i < end:
        x = mixed[i]
        for k in range(num_perm):
            out[k] = min(out[k], np.uint32(a[k] * x + b[k]))
        i += 1


@njit(cache=True, nogil=True)
def _max_length(offsets: Any) -> Any:
    longest = 0
    for d in range(offsets.shape[0] - 1):
        longest = max(longest, offsets[d + 1] - offsets[d])
    return longest


# The output arrays are allocated by numpy and passed in, pre-filled with
# 0xFFFFFFFF where a minimum is accumulated: writing a batch's window
# signatures into numba-allocated memory was measured slower, presumably
# page faults that numpy avoids by asking for huge pages on large arrays.


@njit(cache=True, nogil=True)
def _signatures_kernel(hashes: Any, offsets: Any, a: Any, b: Any, out: Any) -> None:
    mixed = np.empty(_max_length(offsets), np.uint32)
    for d in range(offsets.shape[0] - 1):
        begin = offsets[d]
        end = offsets[d + 1]
        _premix(hashes[begin:end], mixed)
        _min_into(mixed, 0, end - begin, a, b, out[d])


@njit(cache=True, nogil=True, parallel=True)
def _signatures_kernel_parallel(hashes: Any, offsets: Any, a: Any, b: Any, out: Any) -> None:
    for d in prange(offsets.shape[0] - 1):
        begin = offsets[d]
        end = offsets[d + 1]
        mixed = np.empty(end - begin, np.uint32)
        _premix(hashes[begin:end], mixed)
        _min_into(mixed, 0, end - begin, a, b, out[d])


@njit(cache=True, nogil=True)
def _text_signatures_kernel(
    units: Any, unit_offsets: Any, ngram: Any, hash_seed: Any, a: Any, b: Any, out: Any, minhash: Any
) -> Any:
    """Hash the n-grams of each text (UTF-16, concatenated) and fold them into its row of ``out``.

    Fused a document at a time: its hashes stay in the cache between hashing and the permutation
    loop, and no array of every n-gram hash is ever made. Without ``minhash``, only hashes (the
    hashing floor of the benchmark) and returns an XOR of them all, so that nothing is optimised away.
    """
    longest = 0
    for d in range(unit_offsets.shape[0] - 1):
        longest = max(longest, unit_offsets[d + 1] - unit_offsets[d])
    cps = np.empty(longest + 1, np.uint32)
    packed = np.empty(4 * (longest + ngram + 1), np.uint8)
    byte_pos = np.empty(longest + 1, np.int64)
    char_pos = np.empty(longest + 1, np.int64)
    hashes = np.empty(longest + 1, np.uint32)
    mixed = np.empty(longest + 1, np.uint32)
    useed = np.uint32(hash_seed)
    folded = np.uint32(0)
    for d in range(unit_offsets.shape[0] - 1):
        n = _hash_text(
            units, unit_offsets[d], unit_offsets[d + 1], ngram, useed, cps, packed, byte_pos, char_pos, hashes
        )
        if minhash:
            # (Skipping n-grams repeated in the document, 28% of them in Arabic news, through a
            # direct-mapped table of the hashes seen cost more than the permutations it spared.)
            _premix(hashes[:n], mixed)
            _min_into(mixed, 0, n, a, b, out[d])
        else:
            for i in range(n):
                folded ^= hashes[i]
    return folded


# Inlined by numba: as calls, these small row loops made assembling the
# windows measurably slower than the loops written out.
@njit(cache=True, nogil=True, inline="always")
def _min_rows(dst: Any, src: Any) -> None:
    for k in range(dst.shape[0]):
        dst[k] = min(dst[k], src[k])


@njit(cache=True, nogil=True, inline="always")
def _copy_row(dst: Any, src: Any) -> None:
    for k in range(dst.shape[0]):
        dst[k] = src[k]


@njit(cache=True, nogil=True, inline="always")
def _fill_row(dst: Any) -> None:
    for k in range(dst.shape[0]):
        dst[k] = np.uint32(0xFFFFFFFF)


@njit(cache=True, nogil=True)
def _document_windows(
    hashes: Any,
    begin: Any,
    end: Any,
    a: Any,
    b: Any,
    window: Any,
    stride: Any,
    mixed: Any,
    blocks: Any,
    spare: Any,
    sigs: Any,
    first: Any,
    last: Any,
    document: Any,
) -> None:
    """Write the windows of ``hashes[begin:end]`` to ``sigs``/``first``/``last`` (sized for them).

    ``mixed``, ``blocks`` and ``spare`` are scratch space for at least
    ``end - begin`` hashes and ``ceil((end - begin) / stride)`` blocks (``spare``
    only when a window spans more than 4 blocks).
    """
    n = end - begin
    n_blocks = (n + stride - 1) // stride
    _premix(hashes[begin:end], mixed)
    # Each shingle is permuted once, into the minimum of its block of `stride`
    # shingles; a window is then the minimum of `per_window` block minima.
    for j in range(n_blocks):
        row = blocks[j]
        _fill_row(row)
        _min_into(mixed, j * stride, min((j + 1) * stride, n), a, b, row)
        _min_rows(document, row)
    per_window = window // stride
    n_windows = sigs.shape[0]
    if per_window <= 4:
        for w in range(n_windows):
            row = sigs[w]
            _copy_row(row, blocks[w])
            for j in range(w + 1, min(w + per_window, n_blocks)):
                _min_rows(row, blocks[j])
    else:
        # van Herk / Gil-Werman: with minima of suffixes and prefixes of
        # aligned groups of per_window blocks, a window costs one min instead
        # of per_window - 1. Suffixes go to `spare`, prefixes overwrite `blocks`.
        for j in range(n_blocks - 1, -1, -1):
            _copy_row(spare[j], blocks[j])
            if j + 1 < n_blocks and (j + 1) % per_window:
                _min_rows(spare[j], spare[j + 1])
        for j in range(1, n_blocks):
            if j % per_window:
                _min_rows(blocks[j], blocks[j - 1])
        for w in range(n_windows):
            row = sigs[w]
            _copy_row(row, spare[w])
            end_block = min(w + per_window, n_blocks) - 1
            if end_block // per_window != w // per_window:
                _min_rows(row, blocks[end_block])
    for w in range(n_windows):
        first[w] = w * stride
        last[w] = min(w * stride + window, n)


@njit(cache=True, nogil=True)
def _windows_kernel(
    hashes: Any,
    doc_offsets: Any,
    win_offsets: Any,
    a: Any,
    b: Any,
    window: Any,
    stride: Any,
    sigs: Any,
    first: Any,
    last: Any,
    documents: Any,
) -> None:
    longest = _max_length(doc_offsets)
    mixed = np.empty(longest, np.uint32)
    blocks = np.empty(((longest + stride - 1) // stride, a.shape[0]), np.uint32)
    spare = np.empty((blocks.shape[0] if window > 4 * stride else 0, a.shape[0]), np.uint32)
    for d in range(doc_offsets.shape[0] - 1):
        lo = win_offsets[d]
        hi = win_offsets[d + 1]
        _document_windows(
            hashes, doc_offsets[d], doc_offsets[d + 1], a, b, window, stride, mixed, blocks, spare,
            sigs[lo:hi], first[lo:hi], last[lo:hi], documents[d],
        )  # fmt: skip


@njit(cache=True, nogil=True, parallel=True)
def _windows_kernel_parallel(
    hashes: Any,
    doc_offsets: Any,
    win_offsets: Any,
    a: Any,
    b: Any,
    window: Any,
    stride: Any,
    sigs: Any,
    first: Any,
    last: Any,
    documents: Any,
) -> None:
    for d in prange(doc_offsets.shape[0] - 1):
        n = doc_offsets[d + 1] - doc_offsets[d]
        mixed = np.empty(n, np.uint32)
        blocks = np.empty(((n + stride - 1) // stride, a.shape[0]), np.uint32)
        spare = np.empty((blocks.shape[0] if window > 4 * stride else 0, a.shape[0]), np.uint32)
        lo = win_offsets[d]
        hi = win_offsets[d + 1]
        _document_windows(
            hashes, doc_offsets[d], doc_offsets[d + 1], a, b, window, stride, mixed, blocks, spare,
            sigs[lo:hi], first[lo:hi], last[lo:hi], documents[d],
        )  # fmt: skip


# ---------------------------------------------------------------- public API


def signature(
    hashes: np.ndarray, num_perm: int = DEFAULT_NUM_PERM, *, seed: int = DEFAULT_SEED
) -> npt.NDArray[np.uint32]:
    """Return the MinHash signature (uint32[num_perm]) of a set of 32-bit hashes.

    Equal to ``datasketch.MinHash(num_perm, seed=seed, scheme="affine32", hashfunc=int)``
    updated with the same values. An empty set gives all ``0xFFFFFFFF``.

    >>> signature(np.array([1, 2, 3], dtype=np.uint32), 4).tolist()
    [63217260, 131247162, 308645290, 1412089388]
    >>> signature(np.array([], dtype=np.uint32), 2).tolist()
    [4294967295, 4294967295]
    """
    arr = _as_hashes(hashes)
    perms = permutations(num_perm, seed)
    out = np.full((1, num_perm), EMPTY)
    _signatures_kernel(arr, np.array([0, arr.shape[0]], dtype=np.int64), perms.a, perms.b, out)
    sig: npt.NDArray[np.uint32] = out[0]
    return sig


def _concat(hash_arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    given = hash_arrays if isinstance(hash_arrays, np.ndarray) else check_list("hash_arrays", hash_arrays, "arrays")
    arrays = [_as_hashes(h, f"hash_arrays[{i}]") for i, h in enumerate(given)]
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([h.shape[0] for h in arrays], out=offsets[1:])
    flat = np.concatenate(arrays) if arrays else np.empty(0, np.uint32)
    return flat, offsets


def signatures(
    hash_arrays: Sequence[np.ndarray],
    num_perm: int = DEFAULT_NUM_PERM,
    *,
    seed: int = DEFAULT_SEED,
    parallel: bool = False,
) -> npt.NDArray[np.uint32]:
    """Return the signatures of many hash sets at once (uint32[len(hash_arrays), num_perm]).

    Row i equals ``signature(hash_arrays[i], num_perm, seed=seed)``; one kernel call does them all.
    ``parallel=True`` spreads the sets over numba's threads (see :func:`window_signatures_many`).

    >>> s = signatures([np.array([1, 2, 3], np.uint32), np.array([], np.uint32)], 4)
    >>> s[0].tolist() == signature(np.array([1, 2, 3], np.uint32), 4).tolist(), s.shape
    (True, (2, 4))
    """
    flat, offsets = _concat(hash_arrays)
    return signatures_flat(flat, offsets, num_perm, seed=seed, parallel=parallel)


def signatures_flat(
    hashes: np.ndarray,
    offsets: np.ndarray,
    num_perm: int = DEFAULT_NUM_PERM,
    *,
    seed: int = DEFAULT_SEED,
    parallel: bool = False,
) -> np.ndarray:
    """:func:`signatures` of sets given concatenated: set i is ``hashes[offsets[i]:offsets[i + 1]]``.

    >>> signatures_flat(np.array([1, 2, 3], np.uint32), np.array([0, 3, 3]), 4).tolist()
    [[63217260, 131247162, 308645290, 1412089388], [4294967295, 4294967295, 4294967295, 4294967295]]
    """
    perms = permutations(num_perm, seed)
    parallel = check_bool("parallel", parallel)
    flat = _as_hashes(hashes)
    doc_offsets = _check_offsets(offsets, len(flat))
    out = np.full((len(doc_offsets) - 1, num_perm), EMPTY)
    kernel = _signatures_kernel_parallel if parallel else _signatures_kernel
    kernel(flat, doc_offsets, perms.a, perms.b, out)
    return out


def text_signatures(
    texts: Iterable[str],
    ngram: int = 5,
    num_perm: int = DEFAULT_NUM_PERM,
    *,
    seed: int = DEFAULT_SEED,
    hash_seed: int = 0,
) -> np.ndarray:
    """The signatures of the n-gram sets of normalised texts (uint32[len(texts), num_perm]), hashing included.

    Row i equals ``signature(shingle(texts[i], ngram, seed=hash_seed).hashes, num_perm, seed=seed)``
    (and so datasketch's ``MinHash.bulk`` of the same n-grams with an xxh32 ``hashfunc``), but each
    text is hashed and sketched in one pass, without an array of every hash.

    >>> from dedup.shingle import shingle
    >>> texts = ["قالت وزارة الدفاع الأمريكية", "", "abc def"]
    >>> s = text_signatures(texts, 5, 8)
    >>> all(s[i].tolist() == signature(shingle(t, 5).hashes, 8).tolist() for i, t in enumerate(texts))
    True
    """
    _check_ngram(ngram)
    hash_seed = _check_seed(hash_seed, "hash_seed")
    perms = permutations(num_perm, seed)
    texts = check_texts("texts", texts)
    out = np.full((len(texts), num_perm), EMPTY)
    lengths = [len(t) for t in texts]
    n = int(min(ngram, sum(lengths) + 1))  # an n-gram longer than every text: none, and int64-safe
    for first, units, unit_offsets in _utf16_chunks(texts, lengths):
        _text_signatures_kernel(units, unit_offsets, n, hash_seed, perms.a, perms.b, out[first:], True)
    return out


def _hashing_floor(texts: Sequence[str], ngram: int = 5, hash_seed: int = 0) -> int:
    """Hash every n-gram of the texts as :func:`text_signatures` does, with no MinHash (the benchmark's floor).

    >>> from dedup.shingle import shingle
    >>> _hashing_floor(["abc def"], 5) == int(np.bitwise_xor.reduce(shingle("abc def", 5).hashes))
    True
    """
    texts = list(texts)
    lengths = [len(t) for t in texts]
    n = int(min(ngram, sum(lengths) + 1))
    folded = 0
    none, no_rows = np.empty(0, np.uint32), np.empty((0, 0), np.uint32)
    for _, units, unit_offsets in _utf16_chunks(texts, lengths):
        folded ^= int(_text_signatures_kernel(units, unit_offsets, n, hash_seed, none, none, no_rows, False))
    return folded


def _check_offsets(offsets: np.ndarray, size: int) -> np.ndarray:
    try:
        given = np.asarray(offsets)
    except (TypeError, ValueError):
        given = np.zeros(0)
    if given.ndim != 1 or given.dtype.kind not in "iu" or not len(given) or given[0] != 0 or given[-1] != size:
        raise ParameterError(f"offsets must run from 0 to len(hashes) ({size})")
    doc_offsets = np.ascontiguousarray(given, dtype=np.int64)
    if np.any(np.diff(doc_offsets) < 0):
        raise ParameterError("offsets must not decrease")
    return doc_offsets


def _window_counts(lengths: np.ndarray, window: int, stride: int) -> np.ndarray:
    # 1 + ceil((n - window) / stride) windows once n exceeds the window; the
    # window that reaches n is the last (the next one would lie inside it).
    extra = np.maximum(0, -((window - lengths) // stride))
    counts: np.ndarray = np.where(lengths > 0, 1 + extra, 0).astype(np.int64)
    return counts


@dataclass(frozen=True, slots=True)
class WindowSignatures:
    """Signatures of the overlapping windows of one document's shingles.

    Window i covers shingles ``first[i]:last[i]``.

    >>> ws = window_signatures(np.arange(10, dtype=np.uint32), window=4, stride=2, num_perm=8)
    >>> ws.first.tolist(), ws.last.tolist()
    ([0, 2, 4, 6], [4, 6, 8, 10])
    """

    signatures: npt.NDArray[np.uint32]
    """uint32[n_windows, num_perm]."""
    first: npt.NDArray[np.int64]
    """int64[n_windows]: index of each window's first shingle."""
    last: npt.NDArray[np.int64]
    """int64[n_windows]: index one past each window's last shingle."""
    document: npt.NDArray[np.uint32]
    """uint32[num_perm]: the signature of all the shingles (the minimum over the windows)."""


@dataclass(frozen=True, slots=True)
class WindowSignatureBatch:
    """The windows of many documents, concatenated (see :func:`window_signatures_many`).

    Rows ``offsets[d]:offsets[d + 1]`` are document d's windows; ``first``/``last``
    index into that document's own shingles.

    >>> batch = window_signatures_many([np.arange(5, dtype=np.uint32)], window=2, stride=2, num_perm=4)
    >>> batch.doc.tolist(), batch.offsets.tolist()
    ([0, 0, 0], [0, 3])
    """

    signatures: np.ndarray
    """uint32[n_windows, num_perm]."""
    first: np.ndarray
    """int64[n_windows]: index of the window's first shingle in its document."""
    last: np.ndarray
    """int64[n_windows]: index one past the window's last shingle in its document."""
    doc: np.ndarray
    """int64[n_windows]: index in ``hash_arrays`` of each window's document."""
    offsets: np.ndarray
    """int64[n_docs + 1]: document d's windows are rows ``offsets[d]:offsets[d + 1]``."""
    documents: np.ndarray
    """uint32[n_docs, num_perm]: each document's signature of all its shingles."""

    def __len__(self) -> int:
        """Number of windows.

        >>> len(window_signatures_many([], window=2, stride=1))
        0
        """
        return int(self.signatures.shape[0])


def window_signatures_many(
    hash_arrays: Sequence[np.ndarray],
    *,
    window: int,
    stride: int,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = DEFAULT_SEED,
    parallel: bool = False,
) -> WindowSignatureBatch:
    """Window signatures of many documents in one kernel call (see :func:`window_signatures`).

    ``parallel=True`` spreads the documents over numba's threads; leave it off
    when the caller already runs several of these calls in threads, or where
    numba has only its workqueue threading layer, which aborts on concurrent use.

    >>> batch = window_signatures_many(
    ...     [np.arange(6, dtype=np.uint32), np.arange(0, dtype=np.uint32)], window=4, stride=2, num_perm=4
    ... )
    >>> batch.first.tolist(), batch.last.tolist(), batch.offsets.tolist()
    ([0, 2], [4, 6], [0, 2, 2])
    >>> batch.documents[1].tolist()
    [4294967295, 4294967295, 4294967295, 4294967295]
    """
    flat, doc_offsets = _concat(hash_arrays)
    return window_signatures_flat(
        flat, doc_offsets, window=window, stride=stride, num_perm=num_perm, seed=seed, parallel=parallel
    )


def window_signatures_flat(
    hashes: np.ndarray,
    offsets: np.ndarray,
    *,
    window: int,
    stride: int,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = DEFAULT_SEED,
    parallel: bool = False,
) -> WindowSignatureBatch:
    """:func:`window_signatures_many` of documents given concatenated.

    Document d is ``hashes[offsets[d]:offsets[d + 1]]``.

    This is the form :func:`dedup.shingle.hash_many` returns, so no per-document array is made.

    >>> b = window_signatures_flat(np.arange(6, dtype=np.uint32), np.array([0, 6, 6]), window=4, stride=2, num_perm=4)
    >>> b.offsets.tolist()
    [0, 2, 2]
    """
    _check_window(window, stride)
    perms = permutations(num_perm, seed)
    parallel = check_bool("parallel", parallel)
    flat = _as_hashes(hashes)
    doc_offsets = _check_offsets(offsets, len(flat))
    counts = _window_counts(np.diff(doc_offsets), window, stride)
    win_offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=win_offsets[1:])
    sigs, first, last, documents = _run_windows(flat, doc_offsets, win_offsets, window, stride, perms, parallel)
    doc = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    return WindowSignatureBatch(sigs, first, last, doc, win_offsets, documents)


def _run_windows(
    flat: np.ndarray,
    doc_offsets: np.ndarray,
    win_offsets: np.ndarray,
    window: int,
    stride: int,
    perms: Permutations,
    parallel: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n_rows = int(win_offsets[-1])
    num_perm = perms.a.shape[0]
    sigs = np.empty((n_rows, num_perm), np.uint32)
    first = np.empty(n_rows, np.int64)
    last = np.empty(n_rows, np.int64)
    documents = np.full((len(doc_offsets) - 1, num_perm), EMPTY)
    kernel = _windows_kernel_parallel if parallel else _windows_kernel
    kernel(
        flat,
        doc_offsets,
        win_offsets,
        perms.a,
        perms.b,
        int(window),
        int(stride),
        sigs,
        first,
        last,
        documents,
    )
    return sigs, first, last, documents


def window_signatures(
    hashes: np.ndarray,
    *,
    window: int,
    stride: int,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = DEFAULT_SEED,
) -> WindowSignatures:
    """Signatures of the shingle windows ``[k * stride, k * stride + window)`` of one document.

    Windows start every ``stride`` shingles; the last one is clipped to the
    document and ends the list (the next would lie inside it). A document of
    1..window shingles has one window; an empty one has none and an all
    ``0xFFFFFFFF`` document signature. ``window`` must be a multiple of ``stride``.
    Each window's signature equals ``signature(hashes[first:last])``.

    >>> h = np.arange(7, dtype=np.uint32)
    >>> ws = window_signatures(h, window=4, stride=2, num_perm=8)
    >>> list(zip(ws.first.tolist(), ws.last.tolist()))
    [(0, 4), (2, 6), (4, 7)]
    >>> bool((ws.signatures[2] == signature(h[4:7], 8)).all() and (ws.document == signature(h, 8)).all())
    True
    """
    _check_window(window, stride)
    perms = permutations(num_perm, seed)
    arr = _as_hashes(hashes)
    n = arr.shape[0]
    # The batch path's numpy bookkeeping costs more than the kernel on one document.
    count = 0 if n == 0 else 1 + max(0, -((window - n) // stride))
    doc_offsets = np.array([0, n], dtype=np.int64)
    win_offsets = np.array([0, count], dtype=np.int64)
    sigs, first, last, documents = _run_windows(arr, doc_offsets, win_offsets, window, stride, perms, False)
    return WindowSignatures(sigs, first, last, documents[0])


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimate the Jaccard similarity of two sets from their signatures (the fraction of equal slots).

    >>> jaccard(np.array([1, 2, 3, 4], np.uint32), np.array([1, 2, 0, 0], np.uint32))
    0.5
    """
    a = np.asarray(sig_a)
    b = np.asarray(sig_b)
    for name, sig in (("sig_a", a), ("sig_b", b)):
        if sig.ndim != 1 or not np.issubdtype(sig.dtype, np.integer):
            raise ParameterError(
                f"{name} must be one signature (a 1-D array of integers), got {sig.dtype} of shape {sig.shape}"
            )
    if a.shape != b.shape:
        raise ParameterError(f"sig_a and sig_b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ParameterError("sig_a and sig_b must not be empty, got shape (0,)")
    return float(np.count_nonzero(a == b)) / float(a.size)


def to_datasketch(sig: np.ndarray, *, seed: int = DEFAULT_SEED) -> datasketch.MinHash:
    """Wrap a signature as a ``datasketch.MinHash`` (scheme ``affine32``), e.g. for ``MinHashLSH``.

    The MinHash keeps datasketch's default ``hashfunc`` (SHA-1): values added
    later through its ``update`` are not hashed the way :func:`dedup.shingle.shingle` hashes n-grams.

    >>> from dedup.shingle import shingle
    >>> m = to_datasketch(signature(shingle("الولايات المتحدة").hashes))
    >>> m.scheme, len(m)
    ('affine32', 128)
    """
    import datasketch  # imported here: only this adapter needs it

    arr = np.asarray(sig)
    if arr.ndim != 1 or arr.dtype != np.uint32:
        raise ParameterError(f"sig must be a 1-D uint32 signature, got shape {arr.shape} dtype {arr.dtype}")
    perms = permutations(arr.shape[0], seed)
    # Passing our cached permutations spares datasketch redrawing them per MinHash.
    return datasketch.MinHash(
        seed=seed,
        hashvalues=arr,
        permutations=np.stack([perms.a, perms.b]),
        scheme="affine32",
    )
