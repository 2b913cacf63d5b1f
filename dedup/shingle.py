"""Character n-gram shingles of a text, hashed with xxh32.

Spaces are not part of any n-gram: the normaliser leaves single ASCII spaces
between words, and skipping them makes glued words ("الولاياتالمتحدة") and
spaced words ("الولايات المتحدة") give identical n-grams. An n-gram is
``ngram`` consecutive non-space characters; its hash is
``xxhash.xxh32_intdigest(gram.encode("utf-8"), seed)``, computed in numba over
UTF-8 bytes so that no Python string is ever made per n-gram.

>>> import xxhash
>>> s = shingle("ab cdef", ngram=3)
>>> s.hashes.tolist() == [xxhash.xxh32_intdigest(g.encode()) for g in ["abc", "bcd", "cde", "def"]]
True
>>> s.starts.tolist(), s.ends.tolist()
([0, 1, 3, 4], [4, 5, 6, 7])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from dedup.errors import ParameterError

__all__ = ["Shingles", "codepoints", "hash_many", "shingle", "shingle_strings"]

DEFAULT_NGRAM = 5
_SPACE = 32

# xxh32 primes (xxHash specification). Kept as np.uint32 so that numba does
# the arithmetic in 32 bits; every intermediate is cast back with np.uint32()
# because numba widens uint32 operands to 64 bits.
_P1 = np.uint32(0x9E3779B1)
_P2 = np.uint32(0x85EBCA77)
_P3 = np.uint32(0xC2B2AE3D)
_P4 = np.uint32(0x27D4EB2F)
_P5 = np.uint32(0x165667B1)


@dataclass(frozen=True, slots=True)
class Shingles:
    """The hashed n-grams of one text with the span of text each one covers.

    >>> shingle("abcd", ngram=3).ends
    array([3, 4])
    """

    hashes: np.ndarray
    """uint32, one per n-gram, in text order."""
    starts: np.ndarray
    """int64, index (code point) in the text of each n-gram's first character."""
    ends: np.ndarray
    """int64, index one past each n-gram's last character."""

    def __len__(self) -> int:
        """Number of n-grams.

        >>> len(shingle("abcdef", ngram=5))
        2
        """
        return int(self.hashes.shape[0])


def _check_ngram(ngram: int) -> None:
    if isinstance(ngram, bool) or not isinstance(ngram, int | np.integer) or ngram < 1:
        raise ParameterError(f"ngram ({ngram!r}) must be an integer >= 1")


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 1 << 32:
        raise ParameterError(f"seed ({seed!r}) must be an integer in [0, 2**32)")


def codepoints(text: str) -> np.ndarray:
    """Return the code points of ``text`` as a uint32 array (one per character).

    Raises ``UnicodeEncodeError`` (a ``ValueError``) on lone surrogates, which have no UTF-8 form.

    >>> codepoints("aب😀").tolist()
    [97, 1576, 128512]
    """
    # The UTF-32 codec is a C loop; it is the cheapest way from str to array.
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


@njit(cache=True, nogil=True, inline="always")
def _rotl(x: Any, r: Any) -> Any:
    return np.uint32(np.uint32(x << np.uint32(r)) | (x >> np.uint32(32 - r)))


@njit(cache=True, nogil=True, inline="always")
def _read32(buf: Any, i: Any) -> Any:
    # Unsigned indices spare numba's negative-index wraparound, which would
    # otherwise stop LLVM from fusing the four byte loads into one 32-bit load.
    u = np.uint64(i)
    return np.uint32(
        np.uint32(buf[u])
        | (np.uint32(buf[u + np.uint64(1)]) << np.uint32(8))
        | (np.uint32(buf[u + np.uint64(2)]) << np.uint32(16))
        | (np.uint32(buf[u + np.uint64(3)]) << np.uint32(24))
    )


@njit(cache=True, nogil=True, inline="always")
def _round(v: Any, lane: Any) -> Any:
    return np.uint32(_rotl(np.uint32(v + np.uint32(lane * _P2)), 13) * _P1)


@njit(cache=True, nogil=True, inline="always")
def _xxh32(buf: Any, begin: Any, end: Any, seed: Any) -> Any:
    """xxh32 of ``buf[begin:end]`` with a uint32 ``seed`` (the XXH32 algorithm of the xxHash spec)."""
    i = begin
    if end - begin >= 16:
        v1 = np.uint32(seed + _P1 + _P2)
        v2 = np.uint32(seed + _P2)
        v3 = np.uint32(seed)
        v4 = np.uint32(seed - _P1)
        while i + 16 <= end:
            v1 = _round(v1, _read32(buf, i))
            v2 = _round(v2, _read32(buf, i + 4))
            v3 = _round(v3, _read32(buf, i + 8))
            v4 = _round(v4, _read32(buf, i + 12))
            i += 16
        h = np.uint32(_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18))
    else:
        h = np.uint32(seed + _P5)
    h = np.uint32(h + np.uint32(end - begin))
    while i + 4 <= end:
        h = np.uint32(_rotl(np.uint32(h + np.uint32(_read32(buf, i) * _P3)), 17) * _P4)
        i += 4
    while i < end:
        h = np.uint32(_rotl(np.uint32(h + np.uint32(np.uint32(buf[np.uint64(i)]) * _P5)), 11) * _P1)
        i += 1
    h = np.uint32(h ^ (h >> np.uint32(15)))
    h = np.uint32(h * _P2)
    h = np.uint32(h ^ (h >> np.uint32(13)))
    h = np.uint32(h * _P3)
    return np.uint32(h ^ (h >> np.uint32(16)))


@njit(cache=True, nogil=True)
def _shingle_kernel(utf8: Any, n_chars: Any, ngram: Any, seed: Any) -> Any:
    n = utf8.shape[0]
    packed = np.empty(n, np.uint8)
    char_pos = np.empty(n_chars + 1, np.int64)
    byte_pos = np.empty(n_chars + 1, np.int64)
    # Drop the spaces from the UTF-8 bytes, so that each n-gram is the
    # contiguous range packed[byte_pos[j]:byte_pos[j + ngram]], and note where
    # each kept character starts in the packed bytes and in the text. Every
    # byte is stored unconditionally and the cursors advance by 0 or 1: spaces
    # and lead bytes are too irregular in real text for a branch to predict.
    char_index = np.int64(-1)
    nb = np.uint64(0)
    m = np.uint64(0)
    for i in range(n):
        x = utf8[np.uint64(i)]
        lead = np.int64((x & 0xC0) != 0x80)
        keep = np.int64(x != _SPACE)
        char_index += lead
        packed[nb] = x
        char_pos[m] = char_index
        byte_pos[m] = nb
        nb += np.uint64(keep)
        m += np.uint64(lead & keep)
    byte_pos[m] = nb
    count = max(np.int64(m) - ngram + 1, 0)
    hashes = np.empty(count, np.uint32)
    starts = np.empty(count, np.int64)
    ends = np.empty(count, np.int64)
    useed = np.uint32(seed)
    for j in range(count):
        hashes[j] = _xxh32(packed, byte_pos[j], byte_pos[j + ngram], useed)
        starts[j] = char_pos[j]
        ends[j] = char_pos[j + ngram - 1] + 1
    return hashes, starts, ends


@njit(cache=True, nogil=True)
def _hash_many_kernel(utf8: Any, byte_offsets: Any, ngram: Any, seed: Any) -> Any:
    """The n-gram hashes of many texts (UTF-8, concatenated), and where each text's hashes start."""
    n_docs = byte_offsets.shape[0] - 1
    counts = np.zeros(n_docs + 1, np.int64)
    longest = 0
    for d in range(n_docs):
        kept = np.int64(0)
        for i in range(byte_offsets[d], byte_offsets[d + 1]):
            x = utf8[np.uint64(i)]
            kept += np.int64(((x & 0xC0) != 0x80) & (x != _SPACE))
        counts[d + 1] = max(kept - ngram + 1, 0)
        longest = max(longest, byte_offsets[d + 1] - byte_offsets[d])
    offsets = np.cumsum(counts)
    hashes = np.empty(offsets[-1], np.uint32)
    packed = np.empty(longest, np.uint8)
    byte_pos = np.empty(longest + 1, np.int64)
    useed = np.uint32(seed)
    for d in range(n_docs):
        # As in _shingle_kernel: drop the spaces, note where each kept character starts.
        nb = np.uint64(0)
        m = np.uint64(0)
        for i in range(byte_offsets[d], byte_offsets[d + 1]):
            x = utf8[np.uint64(i)]
            lead = np.int64((x & 0xC0) != 0x80)
            keep = np.int64(x != _SPACE)
            packed[nb] = x
            byte_pos[m] = nb
            nb += np.uint64(keep)
            m += np.uint64(lead & keep)
        byte_pos[m] = nb
        base = offsets[d]
        for j in range(offsets[d + 1] - base):
            hashes[base + j] = _xxh32(packed, byte_pos[j], byte_pos[j + ngram], useed)
    return hashes, offsets


def hash_many(texts: list[str], ngram: int = DEFAULT_NGRAM, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram hashes of many texts in one kernel call: ``(hashes, offsets)``.

    ``hashes[offsets[i]:offsets[i + 1]]`` equals ``shingle(texts[i], ngram, seed=seed).hashes``; no
    per-text Python object is made beyond its UTF-8 bytes, and the kernel releases the GIL.

    >>> h, o = hash_many(["ab cdef", "", "xyz"], ngram=3)
    >>> o.tolist(), bool((h[o[0]:o[1]] == shingle("ab cdef", 3).hashes).all())
    ([0, 4, 4, 5], True)
    """
    _check_ngram(ngram)
    _check_seed(seed)
    encoded = [t.encode("utf-8") for t in texts]
    byte_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=byte_offsets[1:])
    utf8 = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    # An ngram beyond any text's length gives no n-gram anywhere; it is clipped to keep int64 safe.
    n = int(min(ngram, int(byte_offsets[-1]) + 1))
    hashes, offsets = _hash_many_kernel(utf8, byte_offsets, n, int(seed))
    return hashes, offsets


def shingle(text: str, ngram: int = DEFAULT_NGRAM, *, seed: int = 0) -> Shingles:
    """Hash every ``ngram`` consecutive non-space characters of ``text`` with xxh32.

    ``hashes[i] == xxhash.xxh32_intdigest(shingle_strings(text, ngram)[i].encode("utf-8"), seed)``
    and ``text[starts[i]:ends[i]]`` is that n-gram with its spaces put back.

    >>> import xxhash
    >>> s = shingle("الولايات المتحدة")
    >>> s.hashes[:2].tolist() == [xxhash.xxh32_intdigest(g.encode()) for g in ["الولا", "لولاي"]]
    True
    >>> bool((shingle("الولاياتالمتحدة").hashes == s.hashes).all())
    True
    >>> len(shingle("abcd"))
    0
    """
    _check_ngram(ngram)
    _check_seed(seed)
    if ngram > len(text):
        # Also keeps an ngram too large for the kernel's int64 out of it.
        return Shingles(np.empty(0, np.uint32), np.empty(0, np.int64), np.empty(0, np.int64))
    utf8 = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    hashes, starts, ends = _shingle_kernel(utf8, len(text), int(ngram), int(seed))
    return Shingles(hashes, starts, ends)


def shingle_strings(text: str, ngram: int = DEFAULT_NGRAM) -> list[str]:
    """Return the n-grams of :func:`shingle` as Python strings (slow; for tests, docs and datasketch).

    >>> shingle_strings("ab cdef", 3)
    ['abc', 'bcd', 'cde', 'def']
    """
    _check_ngram(ngram)
    chars = text.replace(" ", "")
    return [chars[i : i + ngram] for i in range(len(chars) - ngram + 1)]
