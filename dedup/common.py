"""Name the text of the LSH buckets skipped as too common (``max_bucket``).

A bucket that more than ``max_bucket`` windows fall into is not searched for every pair (each pair
of its windows would be compared): its documents are chained instead, each paired with the next
holding it (:func:`dedup.candidates.chained_pairs`). Such text is an outlet's page chrome or a menu,
wire copy that hundreds of documents carry, or wording so frequent in the language that one of its
n-grams holds a band's minimum in windows of unrelated texts. The candidate search counts these
buckets and, for each, keeps its band, its key and the first two documents holding it
(:attr:`dedup.candidates.Candidates.buckets`). This module turns them into text a reader can check:
the two documents are sketched again (the same stage functions as the scan), the windows that have
the skipped key in that band are found in each, and what the first document's windows share with the
second's (their common n-grams, in runs) is the text named. Every engine (the local scan, the
archive index, Spark) names its skipped buckets with :func:`common_texts`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .errors import ParameterError
from .lsh import band_keys32, extra_band_keys32
from .minhash import signatures, window_signatures
from .normalize import Normalized, normalize
from .records import CommonText, Span
from .scripts import _JOINERS, _in_word, breaks
from .shingle import Shingles, shingle

__all__ = ["EXCERPT", "MOST_DOCUMENTS", "SHOWN", "Sketching", "common_texts"]

SHOWN = 10
"""Common texts a scan names by default: those whose buckets held the most windows."""

EXCERPT = 200
"""Characters of a common text kept in :attr:`dedup.records.CommonText.text`."""

# A text whose n-grams are this much in the texts already named is the same text, elsewhere.
_SAME = 0.5

MOST_DOCUMENTS = 200
"""Documents whose buckets are named at most, whatever the corpus: each is normalised and sketched
again, and the texts are ranked by windows, so the documents of the largest buckets hold those named."""


class Sketching(Protocol):
    """The parameters a scan's windows were sketched and banded with (a :class:`dedup.ScanConfig`)."""

    @property
    def profile(self) -> str: ...

    @property
    def ngram(self) -> int: ...

    @property
    def window(self) -> int: ...

    @property
    def stride(self) -> int: ...

    @property
    def num_perm(self) -> int: ...

    @property
    def seed(self) -> int: ...

    @property
    def bands_rows(self) -> tuple[int, int]: ...

    @property
    def short_windows(self) -> int: ...

    @property
    def short_bands(self) -> int: ...


@dataclass(frozen=True, slots=True)
class _Sketch:
    """One document sketched again: its normalised text, n-grams, windows and band keys."""

    normalized: Normalized
    shingles: Shingles
    first: npt.NDArray[np.int64]  # each window's first n-gram
    last: npt.NDArray[np.int64]  # one past each window's last n-gram
    keys: npt.NDArray[np.uint32]  # [bands, windows]; a short document has short_bands bands

    def windows(self, band: int, key: int) -> npt.NDArray[np.int64]:
        """The windows whose key in ``band`` is ``key``."""
        return np.flatnonzero(self.keys[band] == np.uint32(key))

    def ngrams(self, windows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The n-grams (their indices) of some windows, each once, in order."""
        inside = np.zeros(len(self.shingles), dtype=np.bool_)
        for w in windows.tolist():
            inside[self.first[w] : self.last[w]] = True
        return np.flatnonzero(inside)


def _sketch(text: str, config: Sketching) -> _Sketch:
    normalized = normalize(text, profile=config.profile)
    shingles = shingle(normalized.text, config.ngram)
    windows = window_signatures(
        shingles.hashes, window=config.window, stride=config.stride, num_perm=config.num_perm, seed=config.seed
    )
    bands, rows = config.bands_rows
    keys = band_keys32(windows.signatures, bands, rows)
    count = np.array([len(windows.signatures)])
    extra, held = extra_band_keys32(windows.signatures, count, bands, rows, config.short_bands, config.short_windows)
    if len(held):  # a short document: its windows have every band (ScanConfig.short_bands)
        keys = np.concatenate((keys, extra))
    return _Sketch(normalized, shingles, windows.first, windows.last, keys)


def common_texts(
    buckets: npt.NDArray[np.int64],
    text_of: Callable[[int], str],
    id_of: Callable[[int], str],
    config: Sketching,
    limit: int = SHOWN,
) -> list[CommonText]:
    """The ``limit`` texts whose skipped buckets held the most windows, one span each, most windows first.

    ``buckets`` has one row ``(band, key, document, other, windows)`` a skipped bucket (``key``
    the 32-bit band key; ``document`` and ``other`` two documents holding it, numbers that
    ``text_of`` and ``id_of`` take, ``other`` -1 when it is all the first's; a scan gives the two of
    smallest id). A bucket's text is, in ``document``, the longest run of n-grams that one of its
    windows in the bucket shares with ``other``'s windows in it (without ``other``, a window whole),
    widened to whole words where the script spaces its words; the texts of one document's buckets
    that overlap are one text, which counts them all (``buckets``), so the ``buckets`` of the texts
    add up to at most the rows'. A text that several documents hold is named once, in the
    document of its largest bucket: one whose n-grams are half in texts already named is left out.
    Ties are broken by document id, then by position: the rows' order changes nothing.

    Example:
        >>> from dedup.scan import ScanConfig
        >>> cfg = ScanConfig()
        >>> wire = "the ministry said on monday it had no plans to withdraw its troops from the country "
        >>> texts = ["local news first here. " + wire + "weather later on.", "other lead. " + wire + "sport."]
        >>> x, y = _sketch(texts[0], cfg), _sketch(texts[1], cfg)
        >>> band, key = next((b, int(k)) for b in range(len(x.keys)) for k in x.keys[b] if k in y.keys[b])
        >>> [(c.span.slice(texts[0]), c.windows) for c in common_texts(
        ...     np.array([[band, key, 0, 1, 400]]), texts.__getitem__, ["x", "y"].__getitem__, cfg)]
        [('the ministry said on monday it had no plans to withdraw its troops from the country', 400)]
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ParameterError(f"limit must be a non-negative integer, got {limit!r}")
    rows = np.asarray(buckets, dtype=np.int64).reshape(-1, 5)
    if not len(rows) or not limit:
        return []
    # Documents in the order of their largest bucket (then their id, not their number: the input's
    # order changes nothing): the texts of a later document hold at most that many windows, so the
    # walk stops once it cannot change the top.
    ids = {doc: id_of(doc) for doc in set(rows[:, 2].tolist())}
    largest: dict[int, int] = {}  # each document's largest bucket, documents in the walk's order
    for doc, held in sorted(rows[:, [2, 4]].tolist(), key=lambda r: (-r[1], ids[r[0]])):
        largest.setdefault(doc, held)
    sketches: dict[int, _Sketch] = {}

    def sketch_of(doc: int) -> _Sketch:
        if doc not in sketches:
            sketches[doc] = _sketch(text_of(doc), config)
        return sketches[doc]

    found: list[tuple[int, CommonText, npt.NDArray[np.uint32]]] = []
    for rank, doc in enumerate(list(largest)[:MOST_DOCUMENTS]):
        if len(found) >= limit and largest[doc] < found[limit - 1][1].windows:
            break
        texts = _texts_of(rows[rows[:, 2] == doc], text_of(doc), id_of(doc), sketch_of, config)
        found.extend((rank, text, ngrams) for text, ngrams in texts)
        found.sort(key=lambda x: (-x[1].windows, x[0], x[1].span.start))
    # The same text in other documents is named once: the buckets of one band may have their first
    # window in one document, another band's in the next (their windows straddle it differently).
    named: list[CommonText] = []
    seen = np.zeros(0, dtype=np.uint32)
    for _, text, ngrams in found:
        if len(ngrams) and np.isin(ngrams, seen).mean() >= _SAME:
            continue
        named.append(text)
        seen = np.union1d(seen, ngrams)
        if len(named) == limit:
            break
    return named


def _texts_of(
    rows: npt.NDArray[np.int64], text: str, doc_id: str, sketch_of: Callable[[int], _Sketch], config: Sketching
) -> list[tuple[CommonText, npt.NDArray[np.uint32]]]:
    """The common texts of one document's skipped buckets, merged where they overlap, with their n-grams.

    A bucket is one piece of text: of its windows' runs, the longest (the first of equals), widened
    to whole words (:func:`_whole_words`). Several windows of the document often fall in one
    bucket, far apart: each would otherwise be a text of its own, the bucket counted again in each.
    A bucket that two documents' own windows fill half or more (a long document, a book,
    whose frequent wording holds the band's minimum in hundreds of its own windows) is the
    n-grams holding that minimum (:func:`_minimum_ngrams`): what the windows share with each
    other's is then any text of such a window, and often a real copy between the two documents.
    """
    mine = sketch_of(int(rows[0, 2]))
    starts, ends = mine.shingles.starts, mine.shingles.ends
    # Each bucket's text in this document: (start, end) in the raw text, (start, end) in the
    # normalised text, the bucket's windows, the bucket.
    pieces: list[tuple[int, int, int, int, int, int]] = []
    for bucket, (band, key, _, other, held) in enumerate(rows.tolist()):
        windows = mine.windows(band, key)
        if not len(windows):
            raise ParameterError(f"document {doc_id!r} has no window with key {key} in band {band}")
        shared = None  # the n-grams of the other document's windows in the bucket
        own = len(windows)  # the bucket's windows that are the two documents' own
        if other >= 0:
            their = sketch_of(other)
            theirs = their.windows(band, key)
            if not len(theirs):
                raise ParameterError(f"document number {other} has no window with key {key} in band {band}")
            shared = np.unique(their.shingles.hashes[their.ngrams(theirs)])
            own += len(theirs)
        best: tuple[int, int] | None = None  # the bucket's longest run, (start, end) in the normalised text
        bands, rows_of_band = config.bands_rows
        if other >= 0 and band < bands and 2 * own >= held:
            first, last = _minimum_ngrams(mine, int(windows[0]), band, rows_of_band, config)
            best = (int(starts[first]), int(ends[last - 1]))
            windows = windows[:0]  # (the runs below are not looked for)
        for w in windows.tolist():
            if shared is None:  # text one document repeats: its windows, whole
                run: tuple[int, int] | None = (0, int(mine.last[w] - mine.first[w]))
            else:
                run = _longest_run(np.isin(mine.shingles.hashes[mine.first[w] : mine.last[w]], shared))
            if run is not None:
                first, last = int(mine.first[w]) + run[0], int(mine.first[w]) + run[1]
                found = (int(starts[first]), int(ends[last - 1]))
                if best is None or found[1] - found[0] > best[1] - best[0]:
                    best = found
        if best is not None:
            raw_start, raw_end = _whole_words(text, *mine.normalized.raw_span(*best))
            pieces.append((raw_start, raw_end, best[0], best[1], held, bucket))
    pieces.sort()
    out: list[tuple[CommonText, npt.NDArray[np.uint32]]] = []
    at = 0
    while at < len(pieces):
        raw_start, raw_end, start, end, most, _ = pieces[at]
        counted = {pieces[at][5]}
        at += 1
        while at < len(pieces) and pieces[at][0] <= raw_end:
            raw_end = max(raw_end, pieces[at][1])
            start, end = min(start, pieces[at][2]), max(end, pieces[at][3])
            most = max(most, pieces[at][4])
            counted.add(pieces[at][5])
            at += 1
        excerpt = text[raw_start:raw_end][:EXCERPT]
        ngrams = np.unique(mine.shingles.hashes[(starts >= start) & (ends <= end)])
        out.append((CommonText(Span(doc_id, raw_start, raw_end), most, len(counted), excerpt), ngrams))
    return out


# N-grams apart at most that the minima of a band are named together; further apart, the first alone.
_NEAR = 24


def _minimum_ngrams(sketch: _Sketch, window: int, band: int, rows: int, config: Sketching) -> tuple[int, int]:
    """``[first, last)`` of the n-grams of ``window`` that hold the minimum of ``band``'s slots.

    Every window of the bucket holds them (their band key is made of these minima): the text the
    bucket's windows have in common. Two minima more than ``_NEAR`` n-grams apart: the first slot's.
    """
    begin, end = int(sketch.first[window]), int(sketch.last[window])
    hashes = sketch.shingles.hashes[begin:end]
    slots = slice(band * rows, band * rows + rows)
    values = signatures([hashes[i : i + 1] for i in range(len(hashes))], config.num_perm, seed=config.seed)[:, slots]
    holders = [int(np.argmin(values[:, j])) for j in range(values.shape[1])]
    if max(holders) - min(holders) > _NEAR:
        holders = holders[:1]
    return begin + min(holders), begin + max(holders) + 1


# Characters a cut piece is widened by at most, each side, to reach the end of its word.
_WORD_REACH = 40


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` of ``text`` widened to the words it cuts, where the script spaces its words.

    An end inside a word (a letter, digit or mark on both sides) moves out to the word's edge, if
    that is at most ``_WORD_REACH`` characters away; an end between two characters of a script
    written without spaces (:func:`dedup.scripts.breaks`) is a word's edge already.

    Example:
        >>> text = "قال واحدٍ من الأطفال"
        >>> text[7:15], text[slice(*_whole_words(text, 7, 15))]
        ('دٍ من ال', 'واحدٍ من الأطفال')
        >>> _whole_words("据新华社报道", 1, 3)
        (1, 3)
    """
    lo, hi = max(0, start - _WORD_REACH), min(len(text), end + _WORD_REACH)
    edges = set((breaks(text[lo:hi]) + lo).tolist())

    def inside(at: int) -> bool:  # between two characters of one word, or of one grapheme (a mark or joiner's)
        if not 0 < at < len(text) or at in edges:
            return False
        return (_in_word(text[at - 1]) and _in_word(text[at])) or _extends(text[at]) or _joined(text[at - 1], text[at])

    wide_start, wide_end = start, end
    while wide_start > lo and inside(wide_start):
        wide_start -= 1
    while wide_end < hi and inside(wide_end):
        wide_end += 1
    # No word's edge within reach (a long run of letters): the cut stays where it was.
    return (start if inside(wide_start) else wide_start), (end if inside(wide_end) else wide_end)


def _extends(char: str) -> bool:
    """Whether ``char`` belongs to the character before it (a combining mark or a joiner): no span ends before it."""
    return unicodedata.category(char)[0] == "M" or char in _JOINERS


def _joined(before: str, char: str) -> bool:
    """Whether a zero-width joiner joins ``char`` (a symbol: an emoji) to the one before it, one grapheme."""
    return before == "\u200d" and unicodedata.category(char) == "So"


def _longest_run(marked: npt.NDArray[np.bool_]) -> tuple[int, int] | None:
    """The ``[first, last)`` of the longest run of True (the first of equals), or None."""
    if not marked.any():
        return None
    edges = np.diff(np.concatenate(([0], marked.astype(np.int8), [0])))
    begins, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    k = int(np.argmax(ends - begins))
    return int(begins[k]), int(ends[k])
