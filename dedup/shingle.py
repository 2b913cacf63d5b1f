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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from dedup.checks import check_int, check_str, check_texts
from dedup.errors import ParameterError
from dedup.scripts import check_text, lone_surrogate, surrogate_reason

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


def _check_ngram(ngram: int) -> int:
    return check_int("ngram", ngram, 1)


def _check_seed(seed: int, name: str = "seed") -> int:
    return check_int(name, seed, 0, (1 << 32) - 1)


def codepoints(text: str) -> np.ndarray:
    """Return the code points of ``text`` as a uint32 array (one per character).

    Raises ``UnicodeEncodeError`` (a ``ValueError``) on lone surrogates, which have no UTF-8 form,
    and :class:`~dedup.errors.ParameterError` on what is not a str.

    >>> codepoints("aب😀").tolist()
    [97, 1576, 128512]
    """
    check_str("text", text)
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
        h = _tail4(h, buf, i)
        i += 4
    while i < end:
        h = _tail1(h, buf, i)
        i += 1
    return _fmix(h)


@njit(cache=True, nogil=True, inline="always")
def _fmix(h: Any) -> Any:
    h = np.uint32(h ^ (h >> np.uint32(15)))
    h = np.uint32(h * _P2)
    h = np.uint32(h ^ (h >> np.uint32(13)))
    h = np.uint32(h * _P3)
    return np.uint32(h ^ (h >> np.uint32(16)))


@njit(cache=True, nogil=True, inline="always")
def _tail4(h: Any, buf: Any, i: Any) -> Any:
    return np.uint32(_rotl(np.uint32(h + np.uint32(_read32(buf, i) * _P3)), 17) * _P4)


@njit(cache=True, nogil=True, inline="always")
def _tail1(h: Any, buf: Any, i: Any) -> Any:
    return np.uint32(_rotl(np.uint32(h + np.uint32(np.uint32(buf[np.uint64(i)]) * _P5)), 11) * _P1)


@njit(cache=True, nogil=True, inline="always")
def _xxh32_gram(buf: Any, begin: Any, end: Any, seed: Any) -> Any:
    """:func:`_xxh32`, with the two byte lengths of a default 5-gram written out.

    Ten bytes (five letters of a two-byte script: Arabic, Hebrew, Cyrillic, Greek) and five (ASCII)
    are most n-grams; with the length a constant the rounds are straight-line code, measured faster.
    """
    length = end - begin
    if length == 10:
        h = np.uint32(seed + _P5 + np.uint32(10))
        h = _tail4(_tail4(h, buf, begin), buf, begin + 4)
        return _fmix(_tail1(_tail1(h, buf, begin + 8), buf, begin + 9))
    if length == 5:
        h = _tail4(np.uint32(seed + _P5 + np.uint32(5)), buf, begin)
        return _fmix(_tail1(h, buf, begin + 4))
    return _xxh32(buf, begin, end, seed)


@njit(cache=True, nogil=True, inline="always")
def _pack_utf8(cps: Any, begin: Any, end: Any, packed: Any, byte_pos: Any, char_pos: Any) -> Any:
    """UTF-8 bytes of the non-space code points ``cps[begin:end]`` into ``packed``; returns their count.

    ``byte_pos[m]`` is where the m-th kept character starts in ``packed`` (and ``byte_pos[count]``
    the end), so each n-gram is the contiguous range ``packed[byte_pos[j]:byte_pos[j + ngram]]``;
    ``char_pos[m]`` is its index in the text (from ``begin``). Encoding here, from code points,
    spares Python's UTF-8 encoder (slower than UTF-32 for Arabic). Below U+0800 (spaces, ASCII,
    Arabic and the other alphabets) two bytes are stored unconditionally and the cursors advance by
    what was kept: spaces and script changes are too irregular for a branch to predict.
    """
    nb = np.uint64(0)
    m = 0
    for i in range(begin, end):
        c = cps[np.uint64(i)]
        byte_pos[m] = nb
        char_pos[m] = i - begin
        if c < 0x800:
            ascii = c < 0x80
            packed[nb] = c if ascii else (0xC0 | (c >> 6))
            packed[nb + np.uint64(1)] = 0x80 | (c & 0x3F)
            keep = c != _SPACE
            m += keep
            nb += np.uint64(keep) * (np.uint64(1) if ascii else np.uint64(2))
        elif c < 0x10000:
            packed[nb] = 0xE0 | (c >> 12)
            packed[nb + np.uint64(1)] = 0x80 | ((c >> 6) & 0x3F)
            packed[nb + np.uint64(2)] = 0x80 | (c & 0x3F)
            nb += np.uint64(3)
            m += 1
        else:
            packed[nb] = 0xF0 | (c >> 18)
            packed[nb + np.uint64(1)] = 0x80 | ((c >> 12) & 0x3F)
            packed[nb + np.uint64(2)] = 0x80 | ((c >> 6) & 0x3F)
            packed[nb + np.uint64(3)] = 0x80 | (c & 0x3F)
            nb += np.uint64(4)
            m += 1
    byte_pos[m] = nb
    return m


# ---- n-grams of five characters, hashed many at a time (the default n-gram)
# A 5-gram of two-byte characters (Arabic, Hebrew, Cyrillic, Greek) is ten UTF-8 bytes whose
# 32-bit words are the encodings of characters j, j + 1 and j + 2, j + 3: they can be computed from
# the code points themselves, so the loop over n-grams reads contiguous arrays, has no branch and
# vectorises (16 n-grams at a time with AVX-512). The same holds for ASCII (five bytes). The
# n-grams that mix widths are hashed again one at a time afterwards.


@njit(cache=True, nogil=True, inline="always")
def _utf8_2(c: Any) -> Any:
    """The two UTF-8 bytes of a code point in [0x80, 0x800), little-endian in a uint32."""
    return np.uint32(
        (np.uint32(0xC0) | (c >> np.uint32(6))) | ((np.uint32(0x80) | (c & np.uint32(0x3F))) << np.uint32(8))
    )


@njit(cache=True, nogil=True, inline="always")
def _utf8_width(c: Any) -> Any:
    return 1 + (c >= 0x80) + (c >= 0x800) + (c >= 0x10000)


@njit(cache=True, nogil=True)
def _hash5_two_byte(kept: Any, count: Any, seed: Any, out: Any) -> None:
    """``out[j]`` = xxh32 of the 5-gram ``kept[j:j + 5]`` for j < ``count``, if its characters are two-byte."""
    base = np.uint32(seed + _P5 + np.uint32(10))
    for j in range(count):
        e4 = _utf8_2(kept[j + 4])
        h = _tail4v(base, np.uint32(_utf8_2(kept[j]) | (_utf8_2(kept[j + 1]) << np.uint32(16))))
        h = _tail4v(h, np.uint32(_utf8_2(kept[j + 2]) | (_utf8_2(kept[j + 3]) << np.uint32(16))))
        h = _tail1v(_tail1v(h, e4 & np.uint32(0xFF)), e4 >> np.uint32(8))
        out[j] = _fmix(h)


@njit(cache=True, nogil=True)
def _hash5_ascii(kept: Any, count: Any, seed: Any, out: Any) -> None:
    """``out[j]`` = xxh32 of the 5-gram ``kept[j:j + 5]`` for j < ``count``, if its characters are ASCII."""
    base = np.uint32(seed + _P5 + np.uint32(5))
    for j in range(count):
        word = np.uint32(
            kept[j] | (kept[j + 1] << np.uint32(8)) | (kept[j + 2] << np.uint32(16)) | (kept[j + 3] << np.uint32(24))
        )
        out[j] = _fmix(_tail1v(_tail4v(base, word), np.uint32(kept[j + 4])))


@njit(cache=True, nogil=True, inline="always")
def _tail4v(h: Any, word: Any) -> Any:
    return np.uint32(_rotl(np.uint32(h + np.uint32(word * _P3)), 17) * _P4)


@njit(cache=True, nogil=True, inline="always")
def _tail1v(h: Any, byte: Any) -> Any:
    return np.uint32(_rotl(np.uint32(h + np.uint32(byte * _P5)), 11) * _P1)


@njit(cache=True, nogil=True)
def _keep_nonspace(cps: Any, begin: Any, end: Any, kept: Any) -> Any:
    """Copy the non-space code points of ``cps[begin:end]`` to ``kept``; returns their count."""
    m = 0
    for i in range(begin, end):
        c = cps[i]
        kept[m] = c
        m += c != _SPACE
    return m


@njit(cache=True, nogil=True, inline="always")
def _is_two_byte(c: Any) -> Any:
    return np.uint32(c - np.uint32(0x80)) < np.uint32(0x780)


@njit(cache=True, nogil=True, inline="always")
def _is_ascii(c: Any) -> Any:
    return c < np.uint32(0x80)


@njit(cache=True, nogil=True)
def _hash5_kept(kept: Any, m: Any, seed: Any, out: Any, packed: Any, byte_pos: Any, char_pos: Any) -> Any:
    """Hash the 5-grams of the non-space code points ``kept[:m]`` into ``out``; returns their count.

    The vectorised loop of the text's main width (two-byte or ASCII) hashes every n-gram; those with
    a character of another width (3% of real Arabic text) are then hashed again, a run of them at a
    time: the run's characters are encoded to UTF-8 once in ``packed`` (``byte_pos``, ``char_pos``: scratch).
    """
    count = max(m - 4, 0)
    if count == 0:
        return 0
    two = 0
    for k in range(m):
        two += _is_two_byte(kept[k])
    wide = 2 * two >= m
    if wide:
        _hash5_two_byte(kept, count, seed, out)
    else:
        _hash5_ascii(kept, count, seed, out)
    k = 0
    done = 0  # n-grams before this one are right
    while k < m:
        c = kept[k]
        if _is_two_byte(c) if wide else _is_ascii(c):
            k += 1
            continue
        # The run of wrong n-grams: every one holding a character of the other width.
        lo = max(k - 4, done)
        last = k
        k += 1
        while k < m and k <= last + 4:
            c = kept[k]
            if not (_is_two_byte(c) if wide else _is_ascii(c)):
                last = k
            k += 1
        hi = min(last + 1, count)
        n = _pack_utf8(kept, lo, hi + 4, packed, byte_pos, char_pos)
        for j in range(n - 4):
            out[lo + j] = _xxh32_gram(packed, byte_pos[j], byte_pos[j + 5], seed)
        done = hi
    return count


@njit(cache=True, nogil=True)
def _decode_utf16(units: Any, begin: Any, end: Any, drop_spaces: Any, cps: Any) -> Any:
    """The code points of the UTF-16 ``units[begin:end]`` into ``cps`` (spaces left out if asked); their count."""
    surrogates: Any = 0
    for i in range(end - begin):
        surrogates += np.uint32(np.uint32(units[begin + i]) - np.uint32(0xD800)) < np.uint32(0x800)
    m = 0
    if surrogates == 0 and drop_spaces:  # the rule: a branch-free copy
        for i in range(end - begin):
            c = np.uint32(units[begin + i])
            cps[m] = c
            m += c != _SPACE
        return m
    if surrogates == 0:
        for i in range(end - begin):
            cps[i] = units[begin + i]
        return end - begin
    i = begin
    while i < end:
        c = np.uint32(units[i])
        i += 1
        # A surrogate pair (astral character); Python's encoder has refused lone surrogates.
        if c >= 0xD800 and c < 0xDC00 and i < end:
            c = np.uint32(0x10000 + ((c - 0xD800) << 10) + (np.uint32(units[i]) - 0xDC00))
            i += 1
        cps[m] = c
        m += not drop_spaces or c != _SPACE
    return m


@njit(cache=True, nogil=True)
def _hash_text(
    units: Any,
    begin: Any,
    end: Any,
    ngram: Any,
    seed: Any,
    cps: Any,
    packed: Any,
    byte_pos: Any,
    char_pos: Any,
    out: Any,
) -> Any:
    """Hash the n-grams of the text ``units[begin:end]`` (UTF-16) into ``out``; returns their count.

    Scratch: ``cps``, ``byte_pos`` and ``char_pos`` hold ``end - begin + 1`` values, ``packed``
    ``4 * (end - begin + ngram + 1)`` bytes.
    """  # fmt: skip
    if ngram == 5:
        m = _decode_utf16(units, begin, end, True, cps)
        return _hash5_kept(cps, m, seed, out, packed, byte_pos, char_pos)
    n = _decode_utf16(units, begin, end, False, cps)
    m = _pack_utf8(cps, 0, n, packed, byte_pos, char_pos)
    count = max(m - ngram + 1, 0)
    for j in range(count):
        out[j] = _xxh32_gram(packed, byte_pos[j], byte_pos[j + ngram], seed)
    return count


@njit(cache=True, nogil=True)
def _shingle_kernel(cps: Any, ngram: Any, seed: Any) -> Any:
    n = cps.shape[0]
    packed = np.empty(4 * n + 4, np.uint8)
    char_pos = np.empty(n + 1, np.int64)
    byte_pos = np.empty(n + 1, np.int64)
    m = _pack_utf8(cps, 0, n, packed, byte_pos, char_pos)
    count = max(m - ngram + 1, 0)
    hashes = np.empty(count, np.uint32)
    starts = np.empty(count, np.int64)
    ends = np.empty(count, np.int64)
    useed = np.uint32(seed)
    for j in range(count):
        hashes[j] = _xxh32_gram(packed, byte_pos[j], byte_pos[j + ngram], useed)
        starts[j] = char_pos[j]
        ends[j] = char_pos[j + ngram - 1] + 1
    return hashes, starts, ends


@njit(cache=True, nogil=True)
def _hash_many_kernel(
    units: Any, unit_offsets: Any, ngram: Any, seed: Any, hashes: Any, offsets: Any, count: Any
) -> Any:
    """Hash the n-grams of many texts (UTF-16 code units, concatenated) into ``hashes`` from ``count`` on.

    ``offsets[d + 1]`` gets where text d's hashes end; returns the new count.
    """
    n_docs = unit_offsets.shape[0] - 1
    longest = 0
    for d in range(n_docs):
        longest = max(longest, unit_offsets[d + 1] - unit_offsets[d])
    cps = np.empty(longest + 1, np.uint32)
    packed = np.empty(4 * (longest + ngram + 1), np.uint8)
    byte_pos = np.empty(longest + 1, np.int64)
    char_pos = np.empty(longest + 1, np.int64)
    useed = np.uint32(seed)
    for d in range(n_docs):
        count += _hash_text(
            units, unit_offsets[d], unit_offsets[d + 1], ngram, useed, cps, packed, byte_pos, char_pos,
            hashes[count:],
        )  # fmt: skip
        offsets[d + 1] = count
    return count


_CHUNK_CHARS = 1 << 20  # characters of text encoded at a time by hash_many


def _lone_surrogate_error(texts: list[str], first: int) -> ParameterError:
    """The error of the first text from ``first`` on with a lone surrogate, worded as :func:`check_text` words it.

    >>> str(_lone_surrogate_error(["ok", "ab\\udc80"], 0))
    'texts[1] must hold no lone surrogate; got U+DC80 at character 2'
    """
    i, at = next((i, at) for i in range(first, len(texts)) if (at := lone_surrogate(texts[i])) >= 0)
    return ParameterError(surrogate_reason(f"texts[{i}]", texts[i], at))


def _utf16_chunks(texts: list[str], lengths: list[int]) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """``(first, units, unit_offsets)`` for each chunk of about a megabyte of text: its first text's
    index, the UTF-16 code units of its texts concatenated, and where each text starts and ends in them.

    UTF-16, one text at a time, then joined: faster than the UTF-32 of the joined texts (a large
    fresh buffer, and a slower codec), and half the memory; the kernels decode surrogate pairs.
    """
    first = 0
    while first < len(texts):
        last, chars = first, 0
        while last < len(texts) and (last == first or chars + lengths[last] <= _CHUNK_CHARS):
            chars += lengths[last]
            last += 1
        try:
            encoded = [t.encode("utf-16-le") for t in texts[first:last]]
        except UnicodeEncodeError:  # (found here, where it costs nothing when there is none)
            raise _lone_surrogate_error(texts, first) from None
        unit_offsets = np.zeros(last - first + 1, dtype=np.int64)
        np.cumsum([len(e) >> 1 for e in encoded], out=unit_offsets[1:])
        units = np.frombuffer(b"".join(encoded), dtype=np.uint16)
        del encoded
        yield first, units, unit_offsets
        first = last


def hash_many(texts: Iterable[str], ngram: int = DEFAULT_NGRAM, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram hashes of many texts, with no Python object per text or n-gram: ``(hashes, offsets)``.

    ``hashes[offsets[i]:offsets[i + 1]]`` equals ``shingle(texts[i], ngram, seed=seed).hashes``. The
    texts are encoded a megabyte-sized chunk at a time, each hashed in one kernel call that releases
    the GIL (one UTF-32 copy of a whole large batch cost more in fresh memory than its encoding).

    >>> h, o = hash_many(["ab cdef", "", "xyz"], ngram=3)
    >>> o.tolist(), bool((h[o[0]:o[1]] == shingle("ab cdef", 3).hashes).all())
    ([0, 4, 4, 5], True)
    """
    _check_ngram(ngram)
    _check_seed(seed)
    texts = check_texts("texts", texts)
    lengths = [len(t) for t in texts]
    total = sum(lengths)
    # At most one n-gram a character: the array is cut to what was written.
    hashes = np.empty(total, np.uint32)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    # An ngram beyond any text's length gives no n-gram anywhere; it is clipped to keep int64 safe.
    n = int(min(ngram, total + 1))
    count = 0
    for first, units, unit_offsets in _utf16_chunks(texts, lengths):
        count = _hash_many_kernel(units, unit_offsets, n, int(seed), hashes, offsets[first:], count)
    return hashes[:count], offsets


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
    check_text(text)
    if ngram > len(text):
        # Also keeps an ngram too large for the kernel's int64 out of it.
        return Shingles(np.empty(0, np.uint32), np.empty(0, np.int64), np.empty(0, np.int64))
    hashes, starts, ends = _shingle_kernel(codepoints(text), int(ngram), int(seed))
    return Shingles(hashes, starts, ends)


def shingle_strings(text: str, ngram: int = DEFAULT_NGRAM) -> list[str]:
    """Return the n-grams of :func:`shingle` as Python strings (slow; for tests, docs and datasketch).

    >>> shingle_strings("ab cdef", 3)
    ['abc', 'bcd', 'cde', 'def']
    """
    _check_ngram(ngram)
    check_text(text)
    chars = text.replace(" ", "")
    return [chars[i : i + ngram] for i in range(len(chars) - ngram + 1)]
