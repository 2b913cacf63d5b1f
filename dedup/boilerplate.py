"""Seed statistics of the corpus: which seeds are an outlet's boilerplate, and how rare each seed is.

A seed (a character run or a word shared by two documents) is evidence that wording was copied
unless it is boilerplate or a stock phrase. The two are told apart by who repeats the wording:

* **Boilerplate** is wording an outlet repeats in its own documents: its template, dateline,
  sign-off, "follow us on ...". A seed found in more than ``boilerplate_limit(n, share)`` of the
  ``n`` documents of one source is that source's boilerplate and is left out of that source's
  documents (other sources keep it). Wording that several *sources* carry is the signal, however
  many carry it: a Reuters paragraph run by every outlet of the corpus is reported, not dropped.
  A document without a source is its own source, so in a folder of files nothing is boilerplate
  by this rule (give documents a ``source`` to turn it on).
* **Rarity** is how many documents of the whole corpus hold a seed. A long passage stands on its
  own; a short verbatim piece (a quoted statement, a brief's lead sentence) is reported only when
  its seeds are rare in the corpus (:class:`dedup.seeds.AlignParams`, ``rare_df``) or it is long
  for a phrase (:mod:`dedup.align`): a stock phrase of a story ("the war between Israel and Hamas
  in the Gaza Strip") is in many documents.

A third statistic only saves work: :class:`KeySources` notes which keys documents of two or more
sources hold. Only those can seed a pair (pairs are across sources), so the scan leaves the others
out of each prepared document, and the seed join of a pair walks fewer keys; the passages do not
change.

Both counts stream in while documents are read, in fixed memory: :class:`DocumentFrequency` is a
count-min sketch, and the per-source counts are the same sketch keyed by (source, seed).
:func:`boilerplate_keys` is the exact rule for a corpus held in memory (tests check the sketch
against it). A sketch's estimates are high by the counts of the keys sharing its counters, which
grow with the corpus: the sources whose limit is too low for that are counted exactly instead
(:mod:`dedup.recount`, given to :class:`Boilerplate` as ``exact``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import xxhash
from numba import njit

from ._arrays import distinct_counts, in_sorted, prefetch
from .errors import ParameterError

__all__ = [
    "Boilerplate",
    "DocumentFrequency",
    "KeySources",
    "SeedCounts",
    "boilerplate_keys",
    "boilerplate_limit",
    "rare_limit",
    "salt_of_key",
    "source_salt",
]

# Multipliers (odd, from splitmix64/murmur3) that pick each row's counter from different bits.
ROW_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F], dtype=np.uint64)


def boilerplate_limit(documents: int, share: float) -> int:
    """The most documents of one source a seed may be in and still count (more is boilerplate).

    ``documents`` is the number of documents of the source. The floor of two keeps an outlet that
    ran one wire story twice (an update, a reprint) from losing it. A template is in nearly every
    document of its source; in a source of few documents a tenth of them is one or two, and what
    a few repeat is more often a running story's background paragraph (an agency's "The coalition
    was formed in 2014 ..." in three of its ten stories), which outlets copy with the rest: so a
    seed is boilerplate only in more than the square root of the source's documents too.

    Example:
        >>> boilerplate_limit(5, 0.1), boilerplate_limit(10, 0.1), boilerplate_limit(270, 0.1)
        (2, 3, 27)
    """
    return max(rare_limit(documents, share), math.isqrt(documents))


def rare_limit(documents: int, share: float) -> int:
    """The most documents of the corpus a seed may be in and still be rare (see :mod:`dedup.boilerplate`).

    Example:
        >>> rare_limit(5, 0.02), rare_limit(600, 0.02), rare_limit(100_000, 0.02)
        (2, 12, 2000)
    """
    # A floor of two (the boilerplate limit's too): a seed two documents share is always in play.
    return max(2, math.floor(share * documents))


def source_salt(outlet: str) -> np.uint64:
    """The number a source's seed keys are mixed with before they are counted per source.

    A function of the source's name (``Document.outlet``: the source, or NUL and the id of a
    document without one), not of the order sources come in: which seeds are boilerplate, and
    so the passages, do not depend on the input order. :func:`salt_of_key` of the name's xxh64.

    Example:
        >>> int(source_salt("reuters")) != int(source_salt("afp")), int(source_salt("x")) == int(source_salt("x"))
        (True, True)
    """
    return salt_of_key(xxhash.xxh64_intdigest(outlet.encode("utf-8", "surrogatepass")))


def salt_of_key(key: int) -> np.uint64:
    """:func:`source_salt` of a name given its xxh64 (signed or not, as the Spark engine keeps it): splitmix64.

    Example:
        >>> import xxhash
        >>> key = xxhash.xxh64_intdigest(b"reuters")
        >>> int(salt_of_key(key)) == int(salt_of_key(key - (1 << 64))) == int(source_salt("reuters"))
        True
    """
    z = ((key & 0xFFFFFFFFFFFFFFFF) + 1) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
    return np.uint64(z ^ (z >> 31))


def boilerplate_keys(
    per_document: Iterable[npt.NDArray[np.uint64]], sources: Sequence[int], share: float
) -> dict[int, npt.NDArray[np.uint64]]:
    """The exact rule: for each source, the sorted keys that are its boilerplate.

    Each array must hold one document's distinct keys; ``sources[i]`` is document i's source.

    Example:
        >>> keys = [np.array([1, 2], np.uint64), np.array([2, 3], np.uint64), np.array([2], np.uint64),
        ...         np.array([2], np.uint64)]
        >>> {s: k.tolist() for s, k in boilerplate_keys(keys, [0, 0, 0, 1], 0.1).items()}
        {0: [2], 1: []}
    """
    grouped: dict[int, list[npt.NDArray[np.uint64]]] = {}
    for keys, source in zip(per_document, sources, strict=True):
        grouped.setdefault(source, []).append(keys)
    out = {}
    for source, arrays in grouped.items():
        values, counts = distinct_counts(np.concatenate(arrays)) if arrays else (np.zeros(0, np.uint64), [])
        out[source] = values[np.asarray(counts) > boilerplate_limit(len(arrays), share)]
    return out


class DocumentFrequency:
    """In how many documents each key occurs, estimated in fixed memory (a count-min sketch).

    Each key increments one counter in each of two rows of ``width`` counters, picked by two
    different multiplicative hashes; its estimate is the smaller of its two counters. An estimate
    is never below the true count and exceeds it only when both counters are shared with other
    keys: with the default 2^20 counters a row (8 MB in all), a corpus of N documents offering K
    keys each loads a counter with about N * K / 2^20 foreign counts. The width is a trade:
    counting a key is a random access to each row, which leaves the cache past 2^20.

    Example:
        >>> df = DocumentFrequency(width=1 << 10)
        >>> df.add(np.array([1, 2, 3], np.uint64))  # the distinct keys of one document
        >>> df.add(np.array([2, 3], np.uint64))
        >>> df.add(np.array([3], np.uint64))
        >>> df.documents, df.estimate(np.array([1, 2, 3, 4], np.uint64)).tolist()
        (3, [1, 2, 3, 0])
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


class KeySources:
    """Which keys documents of two or more sources hold, in bounded memory, never missing one.

    A table of slots in blocks of ``2**_BLOCK_BITS`` (one cache line of one-byte slots): a key's
    block is picked by a multiplicative hash (its high bits) and its ``probes`` slots in the block
    by other bits of it. A slot holds ``0`` (no key yet), ``s + 1`` when every key that reached it
    came from source ``s``, or the largest value of its type (keys of two sources or more). A key
    reads held when all its slots read "several": a key that two sources hold always does; a key
    of one source does only when each of its slots also took a key of another source, and is then
    kept though useless. The answer errs on the safe side only.

    The slots are one byte while the sources number at most 254, two bytes up to 65,534, four
    beyond (a folder of files is one source a file): the narrower the slot, the more of them fit
    in ``max_bytes``. The table starts small and doubles while keys stream in, ``_SLOTS_A_KEY``
    slots a key noted, up to ``2**max_bits`` slots and ``max_bytes``: a block splits into two that
    inherit its values, which stay true of every key in either. When a source number outgrows the
    slot type, the slots widen, and pairs of blocks merge while the table is over ``max_bytes``.
    Noting a key is a join (``0`` below every source, "several" above it), so a table whose size
    did not change does not depend on the order batches came in.

    Example:
        >>> spread = KeySources()
        >>> spread.add(np.array([1, 2, 3], np.uint64), np.array([0, 2, 3]), np.array([0, 1]))  # source 0: 1, 2; 1: 3
        >>> spread.add(np.array([2], np.uint64), np.array([0, 1]), np.array([1]))  # source 1: 2
        >>> spread.held(np.array([1, 2, 3], np.uint64)).tolist()
        [False, True, False]
    """

    _MIX = np.uint64(0xD6E8FEB86659FD93)  # keys are hashes already; the product's high bits pick the block
    _TYPES = (np.uint8, np.uint16, np.uint32)

    def __init__(self, bits: int = 16, max_bits: int = 30, max_bytes: int = 64 << 20, probes: int = 3) -> None:
        if not _BLOCK_BITS <= bits <= max_bits <= 30:
            raise ParameterError(
                f"bits and max_bits must satisfy {_BLOCK_BITS} <= bits <= max_bits <= 30, got {bits}, {max_bits}"
            )
        if not 1 <= probes <= _MAX_PROBES:
            raise ParameterError(f"probes must be between 1 and {_MAX_PROBES}, got {probes!r}")
        if max_bytes < 1 << bits:
            raise ParameterError(f"max_bytes must hold 2**bits one-byte slots ({1 << bits}), got {max_bytes!r}")
        self.bits, self.max_bits, self.max_bytes, self.probes = bits, max_bits, max_bytes, probes
        self.table: npt.NDArray[np.unsignedinteger] = np.zeros(1 << bits, dtype=np.uint8)
        self.added = 0  # keys noted so far (each document's distinct keys)

    @property
    def several(self) -> int:
        """The slot value of keys of two sources or more: the largest of the slot type."""
        return int(np.iinfo(self.table.dtype).max)

    def _widen(self, label: int) -> None:
        """Slots wide enough for source ``label`` (stored as ``label + 1``, below "several")."""
        if label + 1 < self.several:
            return
        kind = next(t for t in self._TYPES if label + 1 < np.iinfo(t).max)
        wider: npt.NDArray[np.unsignedinteger] = self.table.astype(kind)
        wider[self.table == self.several] = np.iinfo(kind).max
        self.table = wider
        while self.table.nbytes > self.max_bytes and self.bits > _BLOCK_BITS:
            self.table = _merge_blocks(self.table, self.several)
            self.bits -= 1

    def add(self, keys: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], labels: npt.NDArray[np.int64]) -> None:
        """Note a batch of documents' distinct keys: source ``labels[t]`` holds ``keys[offsets[t]:offsets[t + 1]]``."""
        labels = np.asarray(labels, dtype=np.int64)
        if len(labels) and (labels.min() < 0 or labels.max() >= (1 << 32) - 2):
            raise ParameterError("labels must be sources numbered from 0 to 2**32 - 3")
        if len(labels):
            self._widen(int(labels.max()))
        # A block that reads "several" passes it to both halves when the table doubles: a table
        # filled as densely while small would mark as "several" what its keys never shared
        # (docs/performance.md, "pan13-train: where the whole scan goes", the paragraph "A sharper table").
        self.added += len(keys)
        while self.added > len(self.table) // _SLOTS_A_KEY:
            if self.bits >= self.max_bits or 2 * self.table.nbytes > self.max_bytes:
                break
            self.table = np.repeat(self.table.reshape(-1, 1 << _BLOCK_BITS), 2, axis=0).ravel()
            self.bits += 1
        _note_sources(self.table, self._shift, self._MIX, self.probes, np.ascontiguousarray(keys, np.uint64),
                      np.asarray(offsets, dtype=np.int64), labels, self.several)  # fmt: skip

    def held(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        """Which of ``keys`` documents of two or more sources may hold (``False``: one source at most, certainly)."""
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        return _held(self.table, self._shift, self._MIX, self.probes, keys, self.several)

    @property
    def _shift(self) -> np.uint64:
        return np.uint64(64 - (self.bits - _BLOCK_BITS))


_BLOCK_BITS = 6  # 64 slots a block: the slots of a key lie in one cache line (of one-byte slots)
_MAX_PROBES = 4  # slots a key, each from six bits of its product below the block's
_SLOTS_A_KEY = 32  # slots a noted key while the table grows
# Lookups a key's table line is asked for ahead of its use (_arrays.prefetch): 8, 16, 32 and 64
# measured, 16 the fastest (docs/performance.md, "Tables read ahead").
_AHEAD = 16


def _merge_blocks(table: npt.NDArray[np.unsignedinteger], several: int) -> npt.NDArray[np.unsignedinteger]:
    """Half as many blocks, each slot the join of the two it replaces (the inverse of a doubling)."""
    pairs = table.reshape(-1, 2, 1 << _BLOCK_BITS)
    x, y = pairs[:, 0], pairs[:, 1]
    merged = np.where(x == 0, y, np.where((y == 0) | (y == x), x, several))
    return merged.astype(table.dtype).ravel()


@njit(cache=True, nogil=True, inline="always")
def _slot(product: np.uint64, shift: np.uint64, probe: int) -> np.uint64:
    """Slot ``probe`` of a key whose product with the mixer is ``product``: the block, then six lower bits."""
    block = (product >> (shift - np.uint64(1))) >> np.uint64(1)  # (a table of one block shifts by 64)
    return (block << np.uint64(_BLOCK_BITS)) | ((product >> np.uint64(6 * probe + 8)) & np.uint64(63))


@njit(cache=True, nogil=True)
def _note_sources(
    table: npt.NDArray[np.unsignedinteger],
    shift: np.uint64,
    mix: np.uint64,
    probes: int,
    keys: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    labels: npt.NDArray[np.int64],
    several: int,
) -> None:
    for t in range(len(labels)):
        label = labels[t] + 1  # (the slot type holds it: KeySources._widen)
        end = offsets[t + 1]
        for k in range(offsets[t], end):
            if k + _AHEAD < end:  # (a key's slots share one cache line)
                prefetch(table, _slot(keys[k + _AHEAD] * mix, shift, 0), 1)
            product = keys[k] * mix
            for h in range(probes):
                slot = _slot(product, shift, h)
                held = np.int64(table[slot])
                if held == 0:
                    table[slot] = label
                elif held != label:
                    table[slot] = several


@njit(cache=True, nogil=True)
def _held(
    table: npt.NDArray[np.unsignedinteger],
    shift: np.uint64,
    mix: np.uint64,
    probes: int,
    keys: npt.NDArray[np.uint64],
    several: int,
) -> npt.NDArray[np.bool_]:
    out = np.empty(len(keys), dtype=np.bool_)
    n = len(keys)
    for k in range(n):
        if k + _AHEAD < n:
            prefetch(table, _slot(keys[k + _AHEAD] * mix, shift, 0), 0)
        product = keys[k] * mix
        held = True
        for h in range(probes):
            held &= np.int64(table[_slot(product, shift, h)]) == several
        out[k] = held
    return out


class SeedCounts:
    """Document frequencies of seed keys in the whole corpus and within each source, counted as documents stream in.

    Example:
        >>> counts = SeedCounts(width=1 << 10)
        >>> keys = np.array([1, 2, 2, 3], np.uint64)  # document 0 offers 1 and 2, document 1 offers 2 and 3
        >>> salt = source_salt("reuters")  # source 7's
        >>> counts.add(keys, np.array([0, 2, 4]), np.array([7, 7]), np.array([salt, salt]))
        >>> counts.corpus.estimate(np.array([1, 2], np.uint64)).tolist(), counts.documents_of(7)
        ([1, 2], 2)
    """

    def __init__(self, width: int = 1 << 20) -> None:
        self.corpus = DocumentFrequency(width)
        self.within = DocumentFrequency(width)
        self.per_source: dict[int, int] = {}

    def add(
        self,
        keys: npt.NDArray[np.uint64],
        offsets: npt.NDArray[np.int64],
        sources: npt.NDArray[np.int64],
        salts: npt.NDArray[np.uint64],
    ) -> None:
        """Count the distinct keys of a batch of documents: ``keys[offsets[t]:offsets[t + 1]]`` are document t's.

        ``sources[t]`` is document t's source number, ``salts[t]`` its :func:`source_salt`.
        """
        sources = np.asarray(sources, dtype=np.int64)
        salts = np.asarray(salts, dtype=np.uint64)
        if salts.shape != sources.shape or len(offsets) != len(sources) + 1:
            raise ParameterError(
                f"sources ({len(sources)}) and salts ({len(salts)}) must have one value a document, "
                f"offsets ({len(offsets)}) one more"
            )
        self.corpus.add(keys, documents=len(sources))
        self.within.add(keys ^ np.repeat(salts, np.diff(offsets)), documents=len(sources))
        for s in sources.tolist():
            self.per_source[s] = self.per_source.get(s, 0) + 1

    def merge(self, other: SeedCounts) -> None:
        """Add the counts of ``other`` (counted in another thread)."""
        self.corpus.merge(other.corpus)
        self.within.merge(other.within)
        for s, n in other.per_source.items():
            self.per_source[s] = self.per_source.get(s, 0) + n

    def documents_of(self, source: int) -> int:
        """How many documents of ``source`` were counted."""
        return self.per_source.get(source, 0)

    @property
    def documents(self) -> int:
        """How many documents were counted."""
        return self.corpus.documents


class Boilerplate:
    """The seed filter of one source's documents: its boilerplate limit and the corpus's rarity of seeds.

    :func:`dedup.seeds.prepare` takes it and checks every seed inside its own kernel. With
    ``sources`` (a :class:`KeySources` of the corpus), ``prepare`` also leaves out the keys no
    other source holds, which cannot seed a pair.

    ``source`` is the source's number, ``salt`` its :func:`source_salt`.

    Example:
        >>> counts = SeedCounts(width=1 << 10)
        >>> salt = source_salt("afp")
        >>> for keys in ([1, 2], [2], [2, 3]):
        ...     counts.add(np.array(keys, np.uint64), np.array([0, len(keys)]), np.array([0]), np.array([salt]))
        >>> Boilerplate(counts, 0, salt, share=0.1).of(np.array([1, 2, 3], np.uint64)).tolist()  # limit 2
        [False, True, False]
    """

    __slots__ = ("counts", "exact", "limit", "possible", "salt", "sources")

    def __init__(
        self,
        counts: SeedCounts,
        source: int,
        salt: np.uint64,
        share: float,
        sources: KeySources | None = None,
        exact: npt.NDArray[np.uint64] | None = None,
    ) -> None:
        self.counts = counts
        self.sources = sources
        self.salt = np.uint64(salt)
        self.limit = boilerplate_limit(counts.documents_of(source), share)
        # A seed is counted once a document, so in a source of at most `limit` documents none is
        # boilerplate. The sketch is not asked: its counts only ever err upwards, and the keys of a
        # few book-length documents fill it enough to make most seeds of a lone document look so.
        self.possible = counts.documents_of(source) > self.limit
        # The source's boilerplate counted exactly (sorted keys; dedup.recount), where the sketch's
        # load is too high for its limit: the sketch is then not asked either.
        self.exact = None if exact is None else np.sort(np.asarray(exact, dtype=np.uint64))

    def of(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        """Which of ``keys`` are boilerplate of this source."""
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        if not self.possible:
            return np.zeros(len(keys), dtype=np.bool_)
        if self.exact is not None:
            return self.in_exact(keys)
        return self.counts.within.estimate(keys ^ self.salt) > self.limit

    def in_exact(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        """Which of ``keys`` are in the exact boilerplate (none without one): a binary search each."""
        if self.exact is None:
            return np.zeros(len(keys), dtype=np.bool_)
        return in_sorted(self.exact, keys)

    @property
    def sketched(self) -> bool:
        """Whether the sketch decides this source's boilerplate (not exact counts, and some is possible)."""
        return self.possible and self.exact is None


_PARTITION_BITS = 6  # a row's counters are incremented a 64th at a time: 64 KB of a default 4 MB row
_PARTITION_FROM = 4096  # keys from which partitioning pays for its two extra passes


@njit(cache=True, nogil=True)
def _add(
    table: npt.NDArray[np.uint32], multipliers: npt.NDArray[np.uint64], shift: np.uint64, keys: npt.NDArray[np.uint64]
) -> None:
    n = len(keys)
    slot_bits = 64 - np.int64(shift)
    if n < _PARTITION_FROM or slot_bits <= _PARTITION_BITS:
        for key in keys:
            for row in range(table.shape[0]):
                table[row, (key * multipliers[row]) >> shift] += 1
        return
    # A batch's increments land all over a row (4 MB by default), one cache miss each. Ordered by
    # the top bits of their counter first (a counting sort into 64 parts), each part's increments
    # stay within 1/64 of the row, in the core's cache: the same counts, far fewer misses.
    parts = 1 << _PARTITION_BITS
    part_shift = np.uint64(slot_bits - _PARTITION_BITS)
    slots = np.empty(n, dtype=np.uint32)
    ordered = np.empty(n, dtype=np.uint32)
    for row in range(table.shape[0]):
        multiplier = multipliers[row]
        starts = np.zeros(parts + 1, dtype=np.int64)
        for i in range(n):
            slot = (keys[i] * multiplier) >> shift
            slots[i] = np.uint32(slot)
            starts[np.int64(slot >> part_shift) + 1] += 1
        for p in range(parts):
            starts[p + 1] += starts[p]
        for i in range(n):
            slot = slots[i]
            part = np.int64(np.uint64(slot) >> part_shift)
            ordered[starts[part]] = slot
            starts[part] += 1
        counters = table[row]
        for i in range(n):
            counters[ordered[i]] += 1


@njit(cache=True, nogil=True)
def _estimate(
    table: npt.NDArray[np.uint32], multipliers: npt.NDArray[np.uint64], shift: np.uint64, keys: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint32]:
    return _estimate_salted(table, multipliers, shift, keys, np.uint64(0))  # (a key xor 0 is the key)


@njit(cache=True, nogil=True)
def _estimate_salted(
    table: npt.NDArray[np.uint32],
    multipliers: npt.NDArray[np.uint64],
    shift: np.uint64,
    keys: npt.NDArray[np.uint64],
    salt: np.uint64,
) -> npt.NDArray[np.uint32]:
    out = np.empty(len(keys), dtype=np.uint32)
    n = len(keys)
    for i in range(n):
        if i + _AHEAD < n:
            for row in range(table.shape[0]):
                prefetch(table[row], ((keys[i + _AHEAD] ^ salt) * multipliers[row]) >> shift, 0)
        key = keys[i] ^ salt
        best = table[0, (key * multipliers[0]) >> shift]
        for row in range(1, table.shape[0]):
            best = min(best, table[row, (key * multipliers[row]) >> shift])
        out[i] = best
    return out
