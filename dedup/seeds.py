"""Seeds: the evidence that a spot of one document and a spot of another hold the same wording.

Two kinds are used:

* ``seed_length`` consecutive non-space characters: they find verbatim and lightly edited copy, and
  survive glued or split words;
* whole words of at least ``word_min`` characters: a copy whose words were shuffled, or reworded
  around every third word, keeps few character runs that cross a word boundary but keeps its words.

A seed may occur up to ``max_repeat`` times in a document (a headline that repeats the lead, a
paragraph printed twice); more often, it is a phrase repeated all over the text and would chain
chance matches. :func:`prepare` computes a document's seeds once (leaving out its source's
boilerplate and marking which seeds are rare in the corpus, :mod:`dedup.boilerplate`);
:mod:`dedup.join` joins the seeds of two prepared documents, walking the keys of the one with
fewer through a filter of the other's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from numba import njit

from . import scripts
from ._arrays import Positions
from .boilerplate import ROW_MULTIPLIERS, Boilerplate, _estimate, _estimate_salted, rare_limit
from .copies import _echoes, _reprints
from .errors import ParameterError
from .join import _bits, _key_filter
from .normalize import Normalized, PackedNormalized
from .score import _ranks
from .shingle import Shingles

__all__ = ["AlignParams", "Prepared", "document_keys", "prepare"]

_SPACE = 32
_PACK_LIMIT = 1 << 62  # rank pair and position packed in one uint64 below this
_NO_FILTER = np.zeros(0, dtype=np.uint64)  # a Prepared without a key filter: the join merges
_NO_COPIES = np.zeros((0, 4), dtype=np.int64)
_NO_SENTENCES = np.zeros(0, dtype=np.int32)
# Marks of a seed or word occurrence (_mark_copy): in a copy of a page printed again, or in an echo.
_IN_COPY = 1
_IN_ECHO = 2


@dataclass(frozen=True, slots=True)
class AlignParams:
    """How seeds are chosen and chained into passages (lengths in normalised characters).

    Example:
        >>> AlignParams(gap=-1)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: gap must be a non-negative integer, got -1
    """

    ngram: int = 5
    seed_length: int = 10
    word_min: int = 4
    gap: int = 200
    min_length: int = 150
    min_exact: int = 40
    exact_density: float = 0.8
    min_seeds: int = 3
    min_density: float = 0.25
    join: int = 0
    abut: int = 100
    max_repeat: int = 2
    rare_df: float = 0.2

    def __post_init__(self) -> None:
        if self.ngram < 1:
            raise ParameterError(f"ngram must be a positive integer, got {self.ngram}")
        if not self.ngram <= self.seed_length <= 2 * self.ngram:
            raise ParameterError(f"seed_length ({self.seed_length}) must be between ngram ({self.ngram}) and 2 * ngram")
        if self.word_min < 1:
            raise ParameterError(f"word_min must be a positive integer, got {self.word_min}")
        if self.gap < 0:
            raise ParameterError(f"gap must be a non-negative integer, got {self.gap}")
        if self.min_length < 1:
            raise ParameterError(f"min_length must be a positive integer, got {self.min_length}")
        if not 1 <= self.min_exact <= self.min_length:
            raise ParameterError(f"min_exact ({self.min_exact}) must be between 1 and min_length ({self.min_length})")
        if not 0.0 <= self.exact_density <= 1.0:
            raise ParameterError(f"exact_density must be between 0 and 1, got {self.exact_density}")
        if self.min_seeds < 1:
            raise ParameterError(f"min_seeds must be a positive integer, got {self.min_seeds}")
        if not 0.0 <= self.min_density <= 1.0:
            raise ParameterError(f"min_density must be between 0 and 1, got {self.min_density}")
        if self.max_repeat < 1:
            raise ParameterError(f"max_repeat must be a positive integer, got {self.max_repeat}")
        if not 0.0 <= self.rare_df <= 1.0:
            raise ParameterError(f"rare_df must be between 0 and 1, got {self.rare_df}")


@dataclass(frozen=True, slots=True)
class Prepared:
    """One document made ready for alignment: its normalised text, shingles, word breaks and seeds.

    ``seed_keys`` are the sorted character-seed keys that occur at most ``max_repeat`` times in the
    document (each occurrence once, in order along the text) and ``seed_index`` the shingle index
    where each starts; ``word_keys`` the sorted hashes of the words (of at least ``word_min``
    characters) that occur at most ``max_repeat`` times, with their spans. ``seed_rare`` and
    ``word_rare`` say which are rare in the corpus (all of them when no corpus counts were given).
    ``starts`` and ``ends`` are the n-grams' spans (:attr:`shingles` gives the n-grams back). Every
    position (spans, seed and word positions, spaces, the normalised text's offsets) is int32 when
    the texts are shorter than 2^31 code points, int64 otherwise: the scan holds many prepared
    documents at once. Computed once per document, so that aligning it with many others costs one
    linear merge per pair.
    """

    # The normalised text and its offsets to the raw text, packed: only pairs that report a
    # passage read the offsets (raw_span), and the full array would be 4 bytes a character.
    normalized: PackedNormalized
    starts: Positions  # the span of each n-gram (see shingle.Shingles)
    ends: Positions
    spaces: Positions  # positions of spaces in the normalised text
    # Where a word may end that no space marks (scripts written without spaces, scripts.breaks),
    # and the letters a character stands for on average (scripts.width): lengths are in letters.
    breaks: Positions
    width: float
    seed_offset: int
    seed_keys: npt.NDArray[np.uint64]
    seed_index: Positions
    word_keys: npt.NDArray[np.uint64]
    word_starts: Positions
    word_ends: Positions
    ngrams: npt.NDArray[np.uint32]  # the distinct n-gram hashes, sorted: the document's set for scores
    ranks: npt.NDArray[np.int32]  # each shingle's index in ngrams (score.ranked_ngrams)
    seed_rare: npt.NDArray[np.bool_]
    word_rare: npt.NDArray[np.bool_]
    # A Bloom filter of seed_keys and word_keys (:func:`_key_filter`), so that joining a pair costs
    # the smaller document's keys, not both documents' (:func:`_join_filtered`); empty: no filter.
    key_filter: npt.NDArray[np.uint64] = field(default_factory=lambda: _NO_FILTER)
    # Text the document prints again (:mod:`dedup.copies`): rows (start, end, source_start,
    # source_end) of the normalised text, the copy and the earliest printing it repeats. A seed
    # of a copy counts once (with its source) against ``max_repeat``; the alignment sees one
    # printing at a time.
    copies: npt.NDArray[np.int64] = field(default_factory=lambda: _NO_COPIES)
    # Where the raw text's sentences end in the normalised text (scripts.sentence_ends): a passage
    # takes the rest of a sentence that both documents edited alike. Empty when prepared without
    # the raw text.
    sentences: Positions = field(default_factory=lambda: _NO_SENTENCES)
    # Which of ``ngrams`` lie outside the source's boilerplate (its sign-off, template and
    # dateline: the character seeds left out); None when no seed was left out, and every n-gram
    # counts. The whole-pair scores count these (``set_scores(..., x_kept=scored)``): two outlets
    # whose sign-offs follow one template (a group's sites, one CMS) share no wording by it.
    scored: npt.NDArray[np.bool_] | None = None

    @property
    def shingles(self) -> Shingles:
        """The document's n-grams (their hashes are ``ngrams[ranks]``, kept once, not twice).

        Example:
            >>> from dedup.normalize import normalize
            >>> from dedup.shingle import shingle
            >>> n = normalize("one two three one")
            >>> bool((prepare(n, shingle(n.text, 5)).shingles.hashes == shingle(n.text, 5).hashes).all())
            True
        """
        return Shingles(self.ngrams[self.ranks], self.starts, self.ends)

    @property
    def nbytes(self) -> int:
        """Bytes the document takes: its arrays, the normalised text and its offsets.

        Example:
            >>> from dedup.normalize import normalize
            >>> from dedup.shingle import shingle
            >>> n = normalize("one two three one")
            >>> prepare(n, shingle(n.text, 5)).nbytes > len(n.text)
            True
        """
        arrays = (
            self.starts, self.ends, self.spaces, self.breaks, self.seed_keys,
            self.seed_index, self.word_keys, self.word_starts, self.word_ends, self.ngrams, self.ranks,
            self.seed_rare, self.word_rare, self.key_filter, self.sentences,
        )  # fmt: skip
        scored = 0 if self.scored is None else int(self.scored.nbytes)
        return sum(int(a.nbytes) for a in arrays) + self.normalized.nbytes + scored


_NO_TABLE = np.zeros((1, 1), dtype=np.uint32)
_Common = npt.NDArray[np.uint64] | Callable[[npt.NDArray[np.uint64]], npt.NDArray[np.bool_]] | Boilerplate | None


def prepare(
    normalized: Normalized,
    shingles: Shingles,
    params: AlignParams | None = None,
    common: _Common = None,
    *,
    text: str | None = None,
) -> Prepared:
    """Bundle a normalised text with its shingles and seeds for :func:`align`.

    ``common`` says which seed keys (character-seed keys and word hashes) to leave out: a
    :class:`~dedup.boilerplate.Boilerplate` (the document's source's boilerplate; it also gives
    each seed's rarity in the corpus), a sorted array of keys, or a function returning a mask of
    the keys given. Without a ``Boilerplate`` every seed counts as rare. ``text``, the raw text
    ``normalized`` was made from, gives the sentences' ends (:func:`dedup.scripts.sentence_ends`),
    to which :func:`align` extends a passage whose sentences both documents edited alike.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> n = normalize("one two three one")
        >>> p = prepare(n, shingle(n.text, 3), AlignParams(ngram=3, seed_length=5, word_min=3))
        >>> p.spaces.tolist(), [n.text[s:e] for s, e in zip(p.word_starts, p.word_ends)]
        ([3, 7, 13], ['one', 'one', 'two', 'three'])
    """
    p = params or AlignParams()
    if len(shingles.hashes) and int(shingles.ends[0] - shingles.starts[0]) < p.ngram:
        raise ParameterError(f"shingles must be {p.ngram}-grams (the params' ngram)")
    offset = p.seed_length - p.ngram
    cps = np.frombuffer(normalized.text.encode("utf-32-le"), dtype=np.uint32)
    if isinstance(common, Boilerplate):
        # Boilerplate and rarity are checked inside the kernel: the whole preparation is one call
        # without the GIL (the scan prepares documents on two threads).
        counts = common.counts
        within, shift, salt = counts.within.table, counts.within.shift, common.salt
        limit = common.limit if common.sketched else -1  # (-1: the kernel leaves no seed out as boilerplate)
        corpus, rare = counts.corpus.table, rare_limit(counts.documents, p.rare_df)
        if counts.documents <= rare:  # every seed is rare; the sketch's counts only ever err upwards
            rare = -1
    else:
        within, shift, salt, limit, corpus, rare = _NO_TABLE, np.uint64(63), np.uint64(0), -1, _NO_TABLE, -1
    ngrams, ranks, keys, index, seed_rare, words, word_starts, word_ends, word_rare, spaces, copies, left = (
        _prepare_kernel(
            cps, shingles.hashes, offset, p.word_min, p.max_repeat, within, corpus, ROW_MULTIPLIERS, shift, salt,
            limit, rare, _PACK_LIMIT, shingles.starts, shingles.ends, p.min_length, _echo_run(p),
        )
    )  # fmt: skip
    keep_keys = keep_words = boiler = None
    if isinstance(common, Boilerplate):
        if common.sources is not None:
            # Keys no other source holds cannot seed a pair: fewer keys, a cheaper join, the same seeds.
            keep_keys, keep_words = common.sources.held(keys), common.sources.held(words)
        if common.possible and common.exact is not None:
            # (the kernel's own filter, applied last there too, by exact counts)
            exact_keys, exact_words = ~common.in_exact(keys), ~common.in_exact(words)
            boiler = ~exact_keys
            keep_keys = exact_keys if keep_keys is None else keep_keys & exact_keys
            keep_words = exact_words if keep_words is None else keep_words & exact_words
    elif callable(common):
        keep_keys, keep_words = ~common(keys), ~common(words)
        boiler = ~keep_keys
    elif common is not None:
        keep_keys, keep_words = ~np.isin(keys, common), ~np.isin(words, common)
        boiler = ~keep_keys
    if boiler is not None and boiler.any():
        left = np.concatenate((left, index[boiler]))
    # (the character seeds left out only: a word in a tenth of an outlet's stories is vocabulary)
    scored = _outside_ranks(len(ngrams), ranks, left, offset) if len(left) else None
    if keep_keys is not None and keep_words is not None:
        keys, index, seed_rare = keys[keep_keys], index[keep_keys], seed_rare[keep_keys]
        words, word_starts, word_ends = words[keep_words], word_starts[keep_words], word_ends[keep_words]
        word_rare = word_rare[keep_words]
    starts, ends = shingles.starts, shingles.ends
    breaks, width = scripts.measure(cps)
    sentences = _NO_SENTENCES if text is None else scripts.sentence_ends(text, normalized.offsets, normalized.text)
    narrow = max(len(normalized.text), int(normalized.offsets[-1])) < _NARROW_LIMIT
    packed = PackedNormalized.pack(normalized, np.int32 if narrow else np.int64)
    if narrow:
        # Positions as int32: a prepared document is held in the scan's cache for many pairs, and
        # its positions (n-gram spans, seed, word and space positions) are most of it.
        starts, ends = shingles.starts.astype(np.int32), shingles.ends.astype(np.int32)
        index, spaces, breaks = index.astype(np.int32), spaces.astype(np.int32), breaks.astype(np.int32)
        sentences = sentences.astype(np.int32)
        word_starts, word_ends = word_starts.astype(np.int32), word_ends.astype(np.int32)
    return Prepared(
        packed, starts, ends, spaces, breaks, width, offset, keys, index, words,
        word_starts, word_ends, ngrams, ranks, seed_rare, word_rare, _key_filter(keys, words),
        copies if len(copies) else _NO_COPIES, sentences, scored,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _outside_ranks(
    count: int, ranks: npt.NDArray[np.int32], left: npt.NDArray[np.int64], offset: int
) -> npt.NDArray[np.bool_]:
    """Which of ``count`` ranks occur at a position outside every seed starting at ``left``.

    A seed starting at n-gram ``i`` spans n-grams ``i`` to ``i + offset``; an n-gram counts when
    one of its occurrences lies outside every such seed. One pass and no sort: it runs for every
    document prepared under a source's boilerplate, on the alignment's path.

    Example:
        >>> from dedup.score import ranked_ngrams
        >>> ngrams, ranks = ranked_ngrams(np.array([7, 5, 7, 3, 9], np.uint32))
        >>> ngrams[_outside_ranks(len(ngrams), ranks, np.array([1]), 1)].tolist()  # n-grams 1 and 2 (5 and 7) left out
        [3, 7, 9]
    """
    n = len(ranks)
    edges = np.zeros(n + 1, dtype=np.int64)
    for start in left:
        edges[start] += 1
        edges[min(start + offset + 1, n)] -= 1
    seen = np.zeros(count, dtype=np.bool_)
    depth = 0
    for i in range(n):
        depth += edges[i]
        if depth == 0:
            seen[ranks[i]] = True
    return seen


_NARROW_LIMIT = 1 << 31  # texts shorter than this keep their positions in int32


def _echo_run(p: AlignParams) -> int:
    """The n-grams an echo (:func:`dedup.copies._echoes`) spans at least: ``min_exact`` letters.

    Shorter text printed again cannot make a passage piece; it is a phrase of the story.
    """
    return max(p.min_exact - p.ngram + 1, 1)


@njit(cache=True, nogil=True)
def _prepare_kernel(
    cps: npt.NDArray[np.uint32],
    hashes: npt.NDArray[np.uint32],
    offset: int,
    word_min: int,
    max_repeat: int,
    within: npt.NDArray[np.uint32],
    corpus: npt.NDArray[np.uint32],
    multipliers: npt.NDArray[np.uint64],
    shift: np.uint64,
    salt: np.uint64,
    limit: int,
    rare: int,
    pack_limit: int,
    ngram_starts: Positions,
    ngram_ends: Positions,
    min_run: int,
    echo_run: int,
) -> tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.int32],
    npt.NDArray[np.uint64],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.uint64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
]:
    """:func:`prepare` in one call: n-gram ranks, seeds and words occurring at most ``max_repeat`` times, spaces.

    With ``limit >= 0`` seeds and words whose count in ``within`` (the per-source sketch of a
    :class:`~dedup.boilerplate.SeedCounts`, keys mixed with ``salt``) exceeds it are left out, and
    those whose count in ``corpus`` is at most ``rare`` are marked rare (all are, when ``rare < 0``).
    With ``min_run > 0`` (and the n-grams' spans given), copies of at least ``min_run`` n-grams
    (:mod:`dedup.copies`) count once. Returns ``ngrams, ranks, seed_keys, seed_index, seed_rare,
    word_keys, word_starts, word_ends, word_rare, spaces, copies`` and where the character seeds
    ``limit`` left out start.
    """
    n = len(hashes)
    # Ranks: hash and position packed in one uint64 and sorted.
    low = _bits(n)
    packed = np.empty(n, dtype=np.uint64)
    for i in range(n):
        packed[i] = (np.uint64(hashes[i]) << np.uint64(low)) | np.uint64(i)
    ngrams, ranks = _ranks(_radix_sort(packed, 32 + low), low)
    m = max(n - offset, 0)
    runs = _reprints(hashes, 0, n, min_run) if min_run > 0 and len(ngram_starts) == n else np.zeros((0, 3), np.int64)
    word_hashes, starts, ends = _word_hashes(cps, word_min)
    # The copies as spans of the text, and the seeds and words wholly inside one (they count once).
    # Echoes (text printed again, however short: copies.py) count once too, and are aligned as
    # repeated seeds, not one printing at a time.
    echoes = _echoes(hashes, 0, n, echo_run) if echo_run > 0 and len(ngram_starts) == n else np.zeros((0, 2), np.int64)
    copies = np.empty((len(runs), 4), dtype=np.int64)
    marks = len(runs) + len(echoes) > 0
    seed_copy = np.zeros(m if marks else 0, dtype=np.uint8)
    word_copy = np.zeros(len(word_hashes) if marks else 0, dtype=np.uint8)
    for r in range(len(runs)):
        s, e, delta = runs[r, 0], runs[r, 1], runs[r, 2]
        copies[r, 0], copies[r, 1] = ngram_starts[s], ngram_ends[e - 1]
        copies[r, 2], copies[r, 3] = ngram_starts[s - delta], ngram_ends[e - 1 - delta]
        _mark_copy(
            s, e, offset, seed_copy, 0, copies[r, 0], copies[r, 1], starts, ends, 0, len(starts), word_copy, _IN_COPY
        )  # fmt: skip
    for r in range(len(echoes)):
        s, e = echoes[r, 0], echoes[r, 1]
        _mark_copy(
            s, e, offset, seed_copy, 0, ngram_starts[s], ngram_ends[e - 1], starts, ends, 0, len(starts), word_copy,
            _IN_ECHO,
        )  # fmt: skip
    # Seeds occurring at most max_repeat times. A seed's key is hashes[i] << 32 | hashes[i + offset];
    # its pair of ranks orders seeds as the key does and fits with i into one uint64, sorted as a
    # plain number (occurrences of one key then come in order along the text).
    d = np.uint64(len(ngrams))
    if m == 0:
        keys, index = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    elif len(ngrams) < 1 << 21 and m < 1 << 21 and len(ngrams) * len(ngrams) * m < pack_limit:  # (no overflow)
        seeds = np.empty(m, dtype=np.uint64)
        for i in range(m):
            seeds[i] = (np.uint64(ranks[i]) * d + np.uint64(ranks[i + offset])) * np.uint64(m) + np.uint64(i)
        seeds = _radix_sort(seeds, _bits(len(ngrams) * len(ngrams) * m))
        keys, index = _few_packed(seeds, np.uint64(m), hashes, offset, max_repeat, seed_copy)
    else:  # (beyond ~1.6 million n-grams a document: a stable sort of the keys themselves)
        raw = np.empty(m, dtype=np.uint64)
        for i in range(m):
            raw[i] = (np.uint64(hashes[i]) << np.uint64(32)) | np.uint64(hashes[i + offset])
        keys, index = _few_sorted(raw, np.argsort(raw, kind="mergesort"), max_repeat, seed_copy)
    words, first = _few_sorted(word_hashes, np.argsort(word_hashes, kind="mergesort"), max_repeat, word_copy)
    left = np.zeros(0, dtype=np.int64)  # where the character seeds left out as boilerplate start
    if limit >= 0:
        keep = _estimate_salted(within, multipliers, shift, keys, salt) <= limit
        left = index[~keep]
        keys, index = keys[keep], index[keep]
        keep = _estimate_salted(within, multipliers, shift, words, salt) <= limit
        words, first = words[keep], first[keep]
    if rare >= 0:
        seed_rare = _estimate(corpus, multipliers, shift, keys) <= rare
        word_rare = _estimate(corpus, multipliers, shift, words) <= rare
    else:
        seed_rare = np.ones(len(keys), dtype=np.bool_)
        word_rare = np.ones(len(words), dtype=np.bool_)
    spaces = np.flatnonzero(cps == _SPACE).astype(np.int64)
    return ngrams, ranks, keys, index, seed_rare, words, starts[first], ends[first], word_rare, spaces, copies, left


@njit(cache=True, nogil=True)
def _radix_sort(values: npt.NDArray[np.uint64], bits: int) -> npt.NDArray[np.uint64]:
    """``values`` (each below ``2 ** bits``) sorted: an LSD radix sort, 11 bits a pass, in place.

    On a document's few thousand packed keys it is faster than numba's ``np.sort`` (whose
    quicksort is slower than numpy's), and it runs inside kernels that hold no GIL.
    """
    n = len(values)
    other = np.empty_like(values)
    counts = np.empty(2049, dtype=np.int64)
    passes = (bits + 10) // 11
    for k in range(passes):
        # Even passes read `values` and write `other`, odd ones the other way round.
        src, dst = (values, other) if k % 2 == 0 else (other, values)
        shift = np.uint64(11 * k)
        counts[:] = 0
        for i in range(n):
            counts[((src[i] >> shift) & np.uint64(2047)) + 1] += 1
        for d in range(1, 2049):
            counts[d] += counts[d - 1]
        for i in range(n):
            digit = (src[i] >> shift) & np.uint64(2047)
            dst[counts[digit]] = src[i]
            counts[digit] += 1
    if passes % 2:
        values[:] = other
    return values


@njit(cache=True, nogil=True)
def _few_sorted(
    values: npt.NDArray[np.uint64], order: npt.NDArray[np.int64], max_repeat: int, copy: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Every occurrence, and its index, of the values occurring at most ``max_repeat`` times, in ``order``.

    Occurrences marked in ``copy`` (empty: none) as in a copy do not count; a value whose
    occurrences are all in echoes but one is counted once (:func:`_counted`).
    """
    out = np.empty(len(values), dtype=np.uint64)
    where = np.empty(len(values), dtype=np.int64)
    n = 0
    k = 0
    while k < len(order):
        j = k + 1
        while j < len(order) and values[order[j]] == values[order[k]]:
            j += 1
        count = j - k
        if len(copy) and count > max_repeat:
            count = _counted_marks(copy[order[k:j]])
        if count <= max_repeat:
            for x in range(k, j):
                out[n] = values[order[x]]
                where[n] = order[x]
                n += 1
        k = j
    return out[:n], where[:n]


def document_keys(
    texts: list[str], hashes: npt.NDArray[np.uint32], offsets: npt.NDArray[np.int64], params: AlignParams | None = None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The distinct seed keys each normalised text offers (occurring at most ``max_repeat`` times), for counts.

    ``hashes`` and ``offsets`` are ``shingle.hash_many(texts, params.ngram)``. Returns the keys of
    every text and the offsets of each text's keys: the same keys as ``prepare(...).seed_keys`` and
    ``.word_keys`` of each text (each key once; its character seeds, then its words, each in the
    order they first occur), computed for a batch in a few kernels.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import hash_many, shingle
        >>> texts = [normalize("one two three one").text, normalize("four five").text]
        >>> params = AlignParams(ngram=3, seed_length=5, word_min=3)
        >>> keys, offsets = document_keys(texts, *hash_many(texts, 3), params)
        >>> p = prepare(normalize(texts[0]), shingle(texts[0], 3), params)
        >>> sorted(keys[offsets[0]:offsets[1]].tolist()) == sorted(set(p.seed_keys.tolist() + p.word_keys.tolist()))
        True
    """
    p = params or AlignParams()
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) + 1 for t in texts], out=starts[1:])
    # One space between texts: no word runs across two of them.
    cps = np.frombuffer(" ".join(texts).encode("utf-32-le"), dtype=np.uint32)
    words, word_starts, word_ends = _word_hashes(cps, p.word_min)
    word_offsets = np.searchsorted(word_starts, starts).astype(np.int64)
    seeds, seed_offsets = _seed_values(hashes, offsets, p.seed_length - p.ngram)
    seed_copy, word_copy = _copy_marks(
        hashes, offsets, seed_offsets, p.seed_length - p.ngram, p.min_length, cps, starts, p.ngram, word_starts,
        word_ends, word_offsets, _echo_run(p),
    )  # fmt: skip
    few_seeds = _few_in_segments(seeds, seed_offsets, p.max_repeat, seed_copy)
    few_words = _few_in_segments(words, word_offsets, p.max_repeat, word_copy)
    return _interleave(*few_seeds, *few_words)


@njit(cache=True, nogil=True)
def _copy_marks(
    hashes: npt.NDArray[np.uint32],
    offsets: npt.NDArray[np.int64],
    seed_offsets: npt.NDArray[np.int64],
    offset: int,
    min_run: int,
    cps: npt.NDArray[np.uint32],
    char_starts: npt.NDArray[np.int64],
    ngram: int,
    word_starts: npt.NDArray[np.int64],
    word_ends: npt.NDArray[np.int64],
    word_offsets: npt.NDArray[np.int64],
    echo_run: int,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Which seeds and words of a batch of texts lie in a copy or an echo (:mod:`dedup.copies`), as in :func:`prepare`.

    Both arrays are empty when no text of the batch prints its text again (the common case); else
    ``_IN_COPY`` or ``_IN_ECHO`` marks an occurrence.
    """
    seed_copy = np.zeros(0, dtype=np.uint8)
    word_copy = np.zeros(0, dtype=np.uint8)
    for t in range(len(offsets) - 1):
        runs = _reprints(hashes, offsets[t], offsets[t + 1], min_run)
        echoes = _echoes(hashes, offsets[t], offsets[t + 1], echo_run) if echo_run > 0 else runs[:0, :2]
        if len(runs) + len(echoes) == 0:
            continue
        if len(seed_copy) == 0:
            seed_copy = np.zeros(seed_offsets[-1], dtype=np.uint8)
            word_copy = np.zeros(len(word_starts), dtype=np.uint8)
        # The n-grams of a text are its non-space characters, ngram at a time.
        at = np.flatnonzero(cps[char_starts[t] : char_starts[t + 1]] != _SPACE) + char_starts[t]
        for r in range(len(runs) + len(echoes)):
            row = runs[r] if r < len(runs) else echoes[r - len(runs)]
            first, last = row[0] - offsets[t], row[1] - offsets[t]
            _mark_copy(
                first, last, offset, seed_copy, seed_offsets[t], at[first], at[last - 1 + ngram - 1] + 1, word_starts,
                word_ends, word_offsets[t], word_offsets[t + 1], word_copy, _IN_COPY if r < len(runs) else _IN_ECHO,
            )  # fmt: skip
    return seed_copy, word_copy


@njit(cache=True, nogil=True)
def _mark_copy(
    first: int,
    last: int,
    offset: int,
    seed_copy: npt.NDArray[np.uint8],
    seed_base: int,
    start: int,
    end: int,
    word_starts: Positions,
    word_ends: Positions,
    word_first: int,
    word_last: int,
    word_copy: npt.NDArray[np.uint8],
    mark: int,
) -> None:
    """Marks the seeds wholly inside the copy or echo of n-grams ``first .. last``, and the words inside its text.

    Seed ``i`` (n-grams ``i`` and ``i + offset``) is marked ``mark`` at ``seed_base + i``; the words
    ``word_first .. word_last`` that lie in the characters ``start .. end``, in ``word_copy``. A
    mark of a copy is never turned into one of an echo.
    """
    for i in range(first, last - offset):
        if seed_copy[seed_base + i] != _IN_COPY:
            seed_copy[seed_base + i] = mark
    for w in range(word_first, word_last):
        if start <= word_starts[w] and word_ends[w] <= end and word_copy[w] != _IN_COPY:
            word_copy[w] = mark


@njit(cache=True, nogil=True, inline="always")
def _counted(count: int, copies: int, echoes: int) -> int:
    """What ``count`` occurrences of a key count against ``max_repeat``, ``copies`` in copies and ``echoes`` in echoes.

    An occurrence in a copy (a page printed again) does not count. Printings of an echo (a lead
    repeated as headline and summary) count once when the key occurs nowhere else: a phrase of the
    story that an echo also holds is still a phrase printed all over.
    """
    count -= copies
    return 1 if echoes and count - echoes <= 1 else count


@njit(cache=True, nogil=True, inline="always")
def _counted_marks(marks: npt.NDArray[np.uint8]) -> int:
    """:func:`_counted` of the occurrences of a key, given each one's mark (0, ``_IN_COPY`` or ``_IN_ECHO``)."""
    copies = echoes = 0
    for mark in marks:
        copies += mark == _IN_COPY
        echoes += mark == _IN_ECHO
    return _counted(len(marks), copies, echoes)


@njit(cache=True, nogil=True)
def _few_packed(
    packed: npt.NDArray[np.uint64],
    m: np.uint64,
    hashes: npt.NDArray[np.uint32],
    offset: int,
    max_repeat: int,
    copy: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Keys and indices of sorted ``packed`` (``pair * m + i``) whose pair occurs at most ``max_repeat`` times.

    Occurrences ``i`` are counted as :func:`_few_sorted` counts them.
    """
    keys = np.empty(len(packed), dtype=np.uint64)
    index = np.empty(len(packed), dtype=np.int64)
    n = 0
    k = 0
    while k < len(packed):
        pair = packed[k] // m
        j = k + 1
        while j < len(packed) and packed[j] // m == pair:
            j += 1
        count = j - k
        if len(copy) and count > max_repeat:
            count = _counted_marks(copy[(packed[k:j] % m).astype(np.int64)])
        if count <= max_repeat:
            for x in range(k, j):
                i = np.int64(packed[x] % m)
                keys[n] = (np.uint64(hashes[i]) << np.uint64(32)) | np.uint64(hashes[i + offset])
                index[n] = i
                n += 1
        k = j
    return keys[:n], index[:n]


@njit(cache=True, nogil=True)
def _seed_values(
    hashes: npt.NDArray[np.uint32], offsets: npt.NDArray[np.int64], offset: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Every character-seed key of each text (``hashes[i] << 32 | hashes[i + offset]``), with offsets."""
    n = len(offsets) - 1
    out = np.empty(len(hashes), dtype=np.uint64)
    out_offsets = np.zeros(n + 1, dtype=np.int64)
    count = 0
    for t in range(n):
        for i in range(offsets[t], offsets[t + 1] - offset):
            out[count] = (np.uint64(hashes[i]) << np.uint64(32)) | np.uint64(hashes[i + offset])
            count += 1
        out_offsets[t + 1] = count
    return out[:count], out_offsets


@njit(cache=True, nogil=True)
def _few_in_segments(
    keys: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], max_repeat: int, copy: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Per segment, its distinct values occurring at most ``max_repeat`` times, first occurrences first; new offsets.

    Occurrences are counted as :func:`_few_sorted` counts them.

    Counted in an open-addressing table sized to each segment (twice its length, a power of two):
    the counts need no order, and a table costs less than sorting each document's few thousand keys.
    """
    longest = 0
    for t in range(len(offsets) - 1):
        longest = max(longest, offsets[t + 1] - offsets[t])
    size = 16
    while size < 2 * longest:
        size *= 2
    table = np.empty(size, dtype=np.uint64)
    seen = np.zeros(size, dtype=np.int64)  # occurrences of the slot's key (0: an empty slot)
    copied = np.zeros(size, dtype=np.int64)  # of them, in copies
    echoed = np.zeros(size, dtype=np.int64)  # and in echoes
    slots = np.empty(max(longest, 1), dtype=np.int64)
    out = np.empty(len(keys), dtype=np.uint64)
    out_offsets = np.zeros(len(offsets), dtype=np.int64)
    count = 0
    for t in range(len(offsets) - 1):
        bits = 4
        while (1 << bits) < 2 * (offsets[t + 1] - offsets[t]):
            bits += 1
        shift = np.uint64(64 - bits)
        mask = (1 << bits) - 1
        used = 0
        for i in range(offsets[t], offsets[t + 1]):
            key = keys[i]
            h = np.int64((key * np.uint64(0x9E3779B97F4A7C15)) >> shift)
            while seen[h] != 0 and table[h] != key:
                h = (h + 1) & mask
            if seen[h] == 0:
                table[h] = key
                slots[used] = h
                used += 1
            seen[h] += 1
            if len(copy):
                copied[h] += copy[i] == _IN_COPY
                echoed[h] += copy[i] == _IN_ECHO
        for u in range(used):
            h = slots[u]
            if _counted(seen[h], copied[h], echoed[h]) <= max_repeat:
                out[count] = table[h]
                count += 1
            seen[h] = copied[h] = echoed[h] = 0
        out_offsets[t + 1] = count
    return out[:count], out_offsets


@njit(cache=True, nogil=True)
def _interleave(
    a: npt.NDArray[np.uint64],
    a_offsets: npt.NDArray[np.int64],
    b: npt.NDArray[np.uint64],
    b_offsets: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Per text, its values of ``a`` then its values of ``b``; with the new offsets."""
    out = np.empty(len(a) + len(b), dtype=np.uint64)
    offsets = a_offsets + b_offsets
    for t in range(len(a_offsets) - 1):
        k = offsets[t]
        for x in range(a_offsets[t], a_offsets[t + 1]):
            out[k] = a[x]
            k += 1
        for x in range(b_offsets[t], b_offsets[t + 1]):
            out[k] = b[x]
            k += 1
    return out, offsets


@njit(cache=True, nogil=True)
def _word_hashes(
    cps: npt.NDArray[np.uint32], word_min: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """FNV-1a hash, start and end of every space-delimited word of at least ``word_min`` characters."""
    n = len(cps)
    hashes = np.empty(n // max(word_min, 1) + 1, dtype=np.uint64)
    starts = np.empty_like(hashes, dtype=np.int64)
    ends = np.empty_like(starts)
    count = 0
    start = 0
    h = np.uint64(0xCBF29CE484222325)
    for i in range(n + 1):
        if i == n or cps[i] == _SPACE:
            if i - start >= word_min:
                hashes[count], starts[count], ends[count] = h, start, i
                count += 1
            start = i + 1
            h = np.uint64(0xCBF29CE484222325)
        else:
            h = (h ^ np.uint64(cps[i])) * np.uint64(0x100000001B3)
    return hashes[:count], starts[:count], ends[:count]
