"""Alignment: turn two documents that LSH paired into exact shared passages.

The seeds the two documents share (:mod:`dedup.seeds`, :mod:`dedup.join`) are chained and grouped
into passages in one kernel call (:mod:`dedup.chain`, :mod:`dedup.group`): first the seeds
occurring once in each document, then, outside the passages they make, every seed, repeated ones
included. The pieces are then put together the way a reader counts copies (:mod:`dedup.assemble`:
merged, joined across an edit of the copy, tiled when reordered in place), short near-verbatim
pieces count when they lie among the pieces of a copy, every passage must share its wording (at
least 40% of its words on each side occur on the other), and each passage's ends are settled last
(:mod:`dedup.edges`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import Positions
from .assemble import (
    _WORD_SHARE,
    Alignment,
    _apart_at_own_text,
    _contains,
    _in_order,
    _join,
    _length,
    _merge,
    _tile,
    _word_share,
)
from .bound import _jointly_may_hold
from .copies import _add_row, _found_before, _over, _parts, _view
from .edges import _to_sentence_ends, _untangle
from .errors import ParameterError
from .group import _SEAM, Layout, Rules, _passages_of, _sentence_length, _side_may_hold
from .join import _join_filtered, _seed_spans, _side_spans
from .score import pair_scores
from .scripts import _in_word
from .seeds import AlignParams, Prepared, document_keys, prepare

__all__ = ["AlignParams", "Alignment", "Prepared", "align", "document_keys", "prepare"]

# Chains of seeds are grouped in the kernel across gaps of at most this many characters (or
# ``abut``, if less): the words of a copy whose words or phrases were shuffled lie a few
# unmatched words apart (short words, repeated ones), and each fragment alone is too short to be
# a passage. Pieces further apart are grouped afterwards, where the share of their span they
# cover is checked (:func:`dedup.assemble._tile`): a paragraph moved below a heading (a line of 60 characters or
# more) stays its own passage.
_WORD_ABUT = 55


def _rules(p: AlignParams) -> Rules:
    """What makes a passage (``p`` in the pair's letters: :func:`_in_letters`), as the kernels take it."""
    return Rules(
        p.gap, min(p.abut, _WORD_ABUT), p.min_seeds, p.min_length, p.min_exact, float(p.min_density),
        float(p.exact_density), 2 * p.seed_length,
    )  # fmt: skip


def _rows(a: Prepared, b: Prepared, p: AlignParams) -> npt.NDArray[np.int64]:
    """The grouped passages of a pair (see :func:`_group_passages`) in one kernel call.

    Seeds, chains and groups run in one call, without the GIL: several short calls a pair made the
    two alignment threads wait for each other to hand the GIL back more than they worked.
    """
    return _align_kernel(
        a.seed_keys, a.seed_index, a.seed_rare, a.starts, a.ends, a.word_keys, a.word_starts,
        a.word_ends, a.word_rare, Layout(a.spaces, a.breaks, len(a.normalized.text)),
        b.seed_keys, b.seed_index, b.starts, b.ends, b.word_keys, b.word_starts, b.word_ends,
        Layout(b.spaces, b.breaks, len(b.normalized.text)), a.key_filter, b.key_filter, a.copies, b.copies,
        p.seed_length - p.ngram, _rules(p),
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _align_kernel(
    keys_a: npt.NDArray[np.uint64],
    index_a: Positions,
    rare_a: npt.NDArray[np.bool_],
    starts_a: Positions,
    ends_a: Positions,
    words_a: npt.NDArray[np.uint64],
    word_starts_a: Positions,
    word_ends_a: Positions,
    word_rare_a: npt.NDArray[np.bool_],
    layout_a: Layout,
    keys_b: npt.NDArray[np.uint64],
    index_b: Positions,
    starts_b: Positions,
    ends_b: Positions,
    words_b: npt.NDArray[np.uint64],
    word_starts_b: Positions,
    word_ends_b: Positions,
    layout_b: Layout,
    filter_a: npt.NDArray[np.uint64],
    filter_b: npt.NDArray[np.uint64],
    copies_a: npt.NDArray[np.int64],
    copies_b: npt.NDArray[np.int64],
    offset: int,
    rules: Rules,
) -> npt.NDArray[np.int64]:
    chars = _join_filtered(keys_a, keys_b, filter_a, filter_b)
    words = _join_filtered(words_a, words_b, filter_a, filter_b)
    # Every passage of the passes below rests on some of the shared keys' occurrences, so where
    # the two texts have no stretches they cover densely enough, with the same keys in both (most
    # candidate pairs of long documents), nothing can come out, and the seeds need not be laid
    # out nor passed over.
    if not _occurrences_may_hold(
        chars, words, index_a, starts_a, ends_a, word_starts_a, word_ends_a, index_b, starts_b, ends_b, word_starts_b,
        word_ends_b, offset, rare_a, word_rare_a, rules,
    ):  # fmt: skip
        return np.zeros((0, 6), dtype=np.int64)
    start_a, end_a, start_b, end_b, rare, repeated = _seed_spans(
        chars, words, index_a, rare_a, starts_a, ends_a, word_starts_a, word_ends_a, word_rare_a, index_b, starts_b,
        ends_b, word_starts_b, word_ends_b, offset, copies_a, copies_b,
    )  # fmt: skip
    if len(copies_a) == 0 and len(copies_b) == 0:
        return _two_passes(
            np.ones(len(start_a), dtype=np.bool_), repeated, start_a, end_a, start_b, end_b, rare, layout_a, layout_b,
            rules,
        )  # fmt: skip
    # A document that is mostly its text printed again (dedup.copies) is aligned one printing at
    # a time: in each view, a copy stands where its source was (the source and the other copies
    # left out), so that the seeds of a copied key occur once, as they would in the text printed
    # once. The view without copies keeps all it finds; a view with copies, what it finds over
    # them. Printings pair in order (the k-th of a with the k-th of b; the last of the one with
    # fewer with the rest of the other).
    found = np.zeros((0, 6), dtype=np.int64)
    for v in range(max(len(copies_a), len(copies_b)) + 1):
        ra, rb = min(v, len(copies_a)) - 1, min(v, len(copies_b)) - 1
        keep = _view(start_a, end_a, copies_a, ra) & _view(start_b, end_b, copies_b, rb)
        if keep.sum() < rules.min_seeds:
            continue
        # No passage runs over a printing the view leaves out: the text on either side of it is
        # aligned apart (a headline repeating the lead: the headline, and the body without its
        # lead, are two pieces, not one copy of the other's lead and body).
        part = _parts(start_a, copies_a, ra) * (len(copies_b) + 2) + _parts(start_b, copies_b, rb)
        rows = np.zeros((0, 6), dtype=np.int64)
        for piece in np.unique(part[keep]):
            more = _two_passes(
                keep & (part == piece), repeated, start_a, end_a, start_b, end_b, rare, layout_a, layout_b, rules
            )
            rows = np.concatenate((rows, more))
        for r in range(len(rows)):
            over = _over(rows[r, 0], rows[r, 1], copies_a, ra) or _over(rows[r, 2], rows[r, 3], copies_b, rb)
            if (ra >= 0 or rb >= 0) and not over:
                continue  # (over neither copy of the view: the view without copies found it)
            # A passage inside a copy that, moved to the copy's source, is a passage an earlier view
            # found is that passage printed again: the first printing stands for it (a page scraped
            # twice gives its passages once). One over its copy and min_length or more of other
            # text is kept, and merges with the pieces around it.
            if _found_before(rows[r], found, copies_a, ra, copies_b, rb, rules.trim, rules.min_length):
                continue
            found = _add_row(found, rows[r])
    return found


@njit(cache=True, nogil=True)
def _occurrences_may_hold(
    chars: npt.NDArray[np.int64],
    words: npt.NDArray[np.int64],
    index_a: Positions,
    starts_a: Positions,
    ends_a: Positions,
    word_starts_a: Positions,
    word_ends_a: Positions,
    index_b: Positions,
    starts_b: Positions,
    ends_b: Positions,
    word_starts_b: Positions,
    word_ends_b: Positions,
    offset: int,
    rare_a: npt.NDArray[np.bool_],
    word_rare_a: npt.NDArray[np.bool_],
    rules: Rules,
) -> bool:
    """Whether the shared keys' occurrences (:func:`dedup.join._side_spans`) could make a passage.

    Each side alone first (:func:`dedup.group._side_may_hold`, cheap, and enough for most pairs),
    then both together (:func:`dedup.bound._jointly_may_hold`).
    """
    # Side b first: a pair is aligned shorter document first, and the shared keys lie densely in
    # the shorter text far more often than in the longer one, so b's check settles most pairs
    # alone and a's is seldom needed (docs/performance.md, "Side b checked first").
    sb, eb, rb, kb = _side_spans(
        chars, words, 1, index_b, starts_b, ends_b, word_starts_b, word_ends_b, offset, rare_a, word_rare_a
    )
    held = np.ones(len(sb), dtype=np.bool_)
    if not _side_may_hold(sb, eb, held, rb, rules):
        return False
    sa, ea, ra, ka = _side_spans(
        chars, words, 0, index_a, starts_a, ends_a, word_starts_a, word_ends_a, offset, rare_a, word_rare_a
    )
    held = np.ones(len(sa), dtype=np.bool_)
    if not _side_may_hold(sa, ea, held, ra, rules):
        return False
    return _jointly_may_hold(sa, ea, ra, ka, sb, eb, rb, kb, len(chars) + len(words), rules)


@njit(cache=True, nogil=True)
def _two_passes(
    keep: npt.NDArray[np.bool_],
    repeated: npt.NDArray[np.bool_],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    rare: npt.NDArray[np.bool_],
    layout_a: Layout,
    layout_b: Layout,
    rules: Rules,
) -> npt.NDArray[np.int64]:
    """The grouped passages of the seeds in ``keep``: those whose key occurs once first, then the rest."""
    # Two passes. Seeds whose key occurs once in each document first (the repeated ones only show
    # where the text between two pieces is copy matched elsewhere); then every seed lying outside
    # the passages of the first pass on both sides, repeated keys included (a headline that
    # repeats the lead, a paragraph printed twice): mixed with the others from the start, a
    # repeated phrase matched to its other occurrence would bridge two separate passages.
    once = keep & ~repeated
    twice = keep & repeated
    rows = _passages_of(once, twice, start_a, end_a, start_b, end_b, rare, layout_a, layout_b, rules)
    if not twice.any():
        return rows
    outside = keep.copy()
    for k in range(len(start_a)):
        if outside[k]:
            for r in range(len(rows)):
                if rows[r, 5] == 3:  # (an edited short sentence holds its seeds for no other passage)
                    continue
                if (rows[r, 0] <= start_a[k] < rows[r, 1]) or (rows[r, 2] <= start_b[k] < rows[r, 3]):
                    outside[k] = False
                    break
    # The seeds occurring once outside the first pass's passages made nothing there: a second pass
    # is worth its cost (on long documents, most candidate pairs) only where repeated seeds add
    # enough to make a passage.
    if (outside & twice).sum() < rules.min_seeds:
        return rows
    more = _passages_of(outside, outside, start_a, end_a, start_b, end_b, rare, layout_a, layout_b, rules, True)
    return np.concatenate((rows, more)) if len(more) else rows


def align(a: Prepared, b: Prepared, params: AlignParams | None = None) -> list[Alignment]:
    """Passages shared by two prepared documents, in normalised coordinates, ordered along a.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> shared = "the quick brown fox jumps over the lazy dog near the quiet river bank today "
        >>> ta = "alpha beta gamma delta " + shared + "epsilon zeta eta theta"
        >>> tb = "one two three four five six " + shared + "seven eight"
        >>> na, nb = normalize(ta), normalize(tb)
        >>> params = AlignParams(min_length=50)
        >>> pa, pb = prepare(na, shingle(na.text, 5), params), prepare(nb, shingle(nb.text, 5), params)
        >>> [(na.text[x.a_start:x.a_end], nb.text[x.b_start:x.b_end]) == (shared.strip(),) * 2
        ...  for x in align(pa, pb, params)]
        [True]
    """
    p = _in_letters(params or AlignParams(), min(a.width, b.width))
    _check_offset(a, p)
    _check_offset(b, p)
    if _flipped(a, b):
        return _swapped(_alignments(b, a, p, _rows(b, a, p)))
    return _alignments(a, b, p, _rows(a, b, p))


def _flipped(a: Prepared, b: Prepared) -> bool:
    """Whether the pair (a, b) is aligned as (b, a): the shorter document first, whatever the input order.

    Chains and groups are built along the first document, so the alignment is not symmetric, and
    which document comes first in the input is an accident of the files. The shorter first gave
    the better passages on arabic-plag-dev (docs/quality.md, "The order of the input"). Equal lengths:
    the text that sorts first (the same text either way round).
    """
    x, y = a.normalized.text, b.normalized.text
    return len(y) < len(x) or (len(y) == len(x) and y < x)


def _swapped(alignments: list[Alignment]) -> list[Alignment]:
    """Passages found with the two documents the other way round, as (a, b) again, ordered along a."""
    back = [Alignment(x.b_start, x.b_end, x.a_start, x.a_end, x.seeds) for x in alignments]
    return sorted(back, key=lambda x: (x.a_start, x.a_end, x.b_start, x.b_end))


def _check_offset(doc: Prepared, p: AlignParams) -> None:
    if doc.seed_offset != p.seed_length - p.ngram:
        raise ParameterError("documents must be prepared with the same seed_length and ngram as the alignment")


def _alignments(a: Prepared, b: Prepared, p: AlignParams, grouped: npt.NDArray[np.int64]) -> list[Alignment]:
    """The passages of a pair from the kernel's grouped rows (:func:`_rows`): what :func:`align` returns."""
    rows = grouped.tolist()
    texts = (a.normalized.text, b.normalized.text)
    worded = _by_span(lambda x: _word_share(x, texts) >= _WORD_SHARE)
    alike = _by_span(lambda x: _alike(x, a, b))
    near = _NEAR * p.min_length
    # A story of news length: the shorter document at most _STORY times that reach (below).
    news_length = min(len(a.normalized.text), len(b.normalized.text)) <= _STORY * near

    def sentence(x: Alignment) -> bool:
        """Whether ``x`` is a wire sentence that counts on its own (see below)."""
        # (the kernel's own definition, run as Python: a call through numba would compile an entry point)
        return news_length and _length(x) >= _sentence_length.py_func(p.min_length) and worded(x) and alike(x)

    # A short loose piece (marked 3 by the kernel: an edited sentence under min_length) is all a
    # pair shares or nothing: a brief's lead an outlet edited, when it is a whole sentence of news
    # by its own wording. Beside other passages, it is part of what they find, or chance.
    loose = [row for row in rows if row[5] == 3]
    if len(loose) < len(rows):
        rows = [row for row in rows if row[5] != 3]
    else:
        rows = [row for row in loose if sentence(Alignment(*row[:5]))]
    pieces = [Alignment(*row[:5]) for row in rows]
    pieces = [_verbatim_reach(x, texts, p.min_length, pieces) for x in pieces]
    # A short piece whose seeds are common in the corpus (short 2) may be a stock phrase of the
    # story; a verbatim run of _COMMON_RUN x min_length is not one, however many outlets carry
    # it: in a small corpus a quoted statement or a brief's lead that three of five outlets ran
    # has no rare seed, and was lost with its pair's other pieces around it.
    run = _COMMON_RUN * p.min_length
    common = [row[5] == 2 and _length(x) < run for row, x in zip(rows, pieces, strict=True)]
    found = [x for x, stock_like in zip(pieces, common, strict=True) if not stock_like]
    # A chain may hold two pieces of a copy and the text each outlet wrote between them.
    sentences = (a.sentences, b.sentences)
    found = [
        y
        for x in found
        for y in _apart_at_own_text(x, texts, p.min_length, round(run), p.exact_density, 2 * p.gap, sentences)
    ]
    stock = [x for x, stock_like in zip(pieces, common, strict=True) if stock_like]
    # A long group whose words are not shared (chance seeds over a story's common vocabulary) is
    # no passage (below), and no anchor for the short pieces around it either.
    found = [x for x in found if _length(x) < p.min_length or worded(x)]
    long = [x for x in found if _length(x) >= p.min_length]

    # Short distinctive pieces (a quoted statement, a brief's lead sentence) are copy when the pair
    # is a copying pair: it shares a long passage, or its distinctive pieces add up to min_length.
    # One short piece alone is as likely a phrase two reporters of a story both wrote, unless it is
    # a whole sentence of news (two thirds of min_length or longer, half its n-grams alike, in a pair
    # of news length): an outlet that runs one sentence of an agency's story amid its own text, or
    # two that quote one official statement, share that and nothing else. In longer documents (web
    # pages, reports) a lone sentence is as likely a line of a site's template or a quotation.
    if not long and sum(_length(x) for x in found) < p.min_length and not any(sentence(x) for x in found):
        return []
    # A short verbatim run whose seeds are common in the corpus is as likely a stock phrase of the
    # story ("the war between Israel and Hamas in the Gaza Strip") as a copy: it counts only as a
    # piece of a passage it extends in order (joined to it by _join: within `join` on both sides, or
    # across an edit of the copy of at most 2 x `gap`; or tiled with it by _tile), and is dropped if it
    # ends up alone; one out of order with a passage (before it on one side, after or over it on
    # the other) is a displaced phrase of a shuffled copy, whose passage is already reported.
    displaced = [s for s in stock if not all(_in_order(s, f) for f in long)]
    found.extend(s for s in stock if all(_in_order(s, f) for f in long))
    if len(found) >= 2:
        # A displaced phrase between two pieces still parts them: copy moved there from elsewhere
        # (a sentence the other outlet ran further down), not an edit of the copy.
        joined = _tile(_join(_merge(found), p.join, p.abut, 2 * p.gap, texts, displaced), p.abut, texts, sentences)
        distinct = [x for x in found if _length(x) < p.min_length and x not in stock]
        kept = [x for x in joined if _length(x) >= p.min_length or any(_contains(x, d) for d in distinct)]
        # A short piece counts when it lies among the other pieces of the copy: within ``_NEAR``
        # times min_length of a long passage on both sides. A wire story cut and edited keeps its
        # short pieces among its longer ones; a verbatim phrase far from all of them is as likely
        # a phrase both documents use, or a quotation of a third text. A brief with no long
        # passage holds its pieces close together (its lead, its last sentence), however far
        # apart the agency story has them: there each must lie that near another on one side.
        anchors = [x for x in kept if _length(x) >= p.min_length]
        # In a story of news length, a sentence (_COMMON_RUN x min_length or longer, near-verbatim as
        # every short piece is) is part of the copy wherever it lies, when half its n-grams are alike
        # (_alike): a brief holds the agency's lead and its last sentence however far apart the agency
        # has them, and an outlet that runs one wire story's paragraphs at its top puts a sentence of
        # another wire story anywhere further down, where another outlet put it elsewhere. A shorter
        # piece (a site's menu line, a phrase) must still lie near them on both sides, and so must any
        # piece of a longer document (a web page, a report), whose far sentences are as likely
        # quotations of a third text or the site's own repeated lines.
        found = [
            x for x in kept
            if _length(x) >= p.min_length
            or (anchors and any(_distance(x, y) <= near for y in anchors))
            or (anchors and news_length and _length(x) >= run and alike(x))
            or (not anchors and any(y is not x and _distance(x, y, one_side=True) <= near for y in kept))
            or (not anchors and sentence(x))
        ]  # fmt: skip
    found = [x for x in found if worded(x)]
    if len(found) >= 2:
        found = _untangle(found, (a.normalized, b.normalized), p.seed_length)
    return _to_sentence_ends(found, (a, b), p.gap // 2, p.seed_length, p.min_length, p.min_exact)


def _by_span(test: Callable[[Alignment], bool]) -> Callable[[Alignment], bool]:
    """``test``, worked out once a span: the rules of :func:`_alignments` ask of one piece more than once."""
    seen: dict[tuple[int, int, int, int], bool] = {}

    def cached(x: Alignment) -> bool:
        span = (x.a_start, x.a_end, x.b_start, x.b_end)
        if span not in seen:
            seen[span] = test(x)
        return seen[span]

    return cached


def _alike(x: Alignment, a: Prepared, b: Prepared) -> bool:
    """Whether the two sides of ``x`` share ``_FAR_SIMILARITY`` of their n-grams (Jaccard): a copy by its own wording.

    A piece far from the pair's copy, or alone in its pair, has nothing but its own text to show it is one. A formula an
    agency fills in every day ("406 companies traded, of which 190 rose, 194 fell ...") covers the
    density of a near-verbatim piece with its words while its figures and verbs differ: its
    n-grams are a quarter alike, where a wire sentence an outlet respelled or put a clause into
    keeps most of its own.
    """
    (similarity, _, _), *_ = pair_scores(
        a, a.ngrams, a.ranks, b, b.ngrams, b.ranks, np.array([[x.a_start, x.a_end, x.b_start, x.b_end]])
    )[0].tolist()
    return bool(similarity >= _FAR_SIMILARITY)


def _verbatim_reach(
    x: Alignment, texts: tuple[str, str], min_length: int, pieces: Sequence[Alignment] = ()
) -> Alignment:
    """``x`` widened over the text both sides hold alike before and after it, when that makes it ``min_length`` long.

    A piece's seeds may stop short of the text it copies: a phrase the document prints more than
    ``max_repeat`` times ("the official said", the group's name) holds no seed, and a verbatim
    sentence of 162 characters that starts and ends with such phrases was a chain of 149, under
    ``min_length``, and lost with its pair. Its length is that of the text copied; a piece that is
    long either way, or stays short, is left as found (its ends are settled later, :mod:`dedup.edges`).
    It widens up to the other ``pieces`` of the pair on each side, not over them: text a document
    prints twice (a page scraped twice) is alike beside a piece on both sides, and its second
    printing, which the kernel left unmatched, would come back as a copy of the first.

    Example:
        >>> a, b = "xx the official said the talks resume today yy", "zz the official said the talks resume today ww"
        >>> _verbatim_reach(Alignment(12, 28, 12, 28, 3), (a, b), 20)
        Alignment(a_start=3, a_end=43, b_start=3, b_end=43, seeds=3)
        >>> _verbatim_reach(Alignment(12, 28, 12, 28, 3), (a, b), 50)
        Alignment(a_start=12, a_end=28, b_start=12, b_end=28, seeds=3)
    """
    if _length(x) >= min_length:
        return x
    ta, tb = texts
    low_a = max((y.a_end for y in pieces if y.a_end <= x.a_start), default=0)
    low_b = max((y.b_end for y in pieces if y.b_end <= x.b_start), default=0)
    high_a = min((y.a_start for y in pieces if y.a_start >= x.a_end), default=len(ta))
    high_b = min((y.b_start for y in pieces if y.b_start >= x.b_end), default=len(tb))
    before = 0
    while (
        x.a_start - before > low_a
        and x.b_start - before > low_b
        and ta[x.a_start - before - 1] == tb[x.b_start - before - 1]
    ):
        before += 1
    after = 0
    while x.a_end + after < high_a and x.b_end + after < high_b and ta[x.a_end + after] == tb[x.b_end + after]:
        after += 1
    # (Over whole words: not into the spaces and punctuation between this text and the next; a
    # word's combining marks, Devanagari's vowel signs, are the word's: scripts._in_word.)
    while before and not _in_word(ta[x.a_start - before]):
        before -= 1
    while after and not _in_word(ta[x.a_end + after - 1]):
        after -= 1
    if min(x.a_end - x.a_start, x.b_end - x.b_start) + before + after < min_length:
        return x
    return Alignment(x.a_start - before, x.a_end + after, x.b_start - before, x.b_end + after, x.seeds)


def _in_letters(p: AlignParams, width: float) -> AlignParams:
    """``p`` for two documents whose characters stand for ``width`` letters each (scripts.width).

    Lengths and distances are counted in letters: a 75-character Chinese brief holds as much text
    as a 225-letter English one, and is as unlikely to be shared by chance. Documents of
    alphabetic scripts, and pairs of which one is, keep ``p`` as it is.

    Example:
        >>> q = _in_letters(AlignParams(), 3.0)
        >>> q.min_length, q.min_exact, q.gap, q.abut, _in_letters(AlignParams(), 1.1) == AlignParams()
        (50, 13, 67, 33, True)
    """
    if width < _WIDE:
        return p
    return _scaled(p, round(width * 4) / 4)  # (in quarters: a handful of cached params)


@lru_cache(maxsize=64)
def _scaled(p: AlignParams, width: float) -> AlignParams:
    def fewer(letters: int) -> int:
        return max(1, round(letters / width)) if letters else 0

    return replace(
        p, gap=fewer(p.gap), min_length=fewer(p.min_length), min_exact=fewer(p.min_exact), join=fewer(p.join),
        abut=fewer(p.abut),
    )  # fmt: skip


# Documents whose characters stand for fewer letters than this on average are measured as they are.
_WIDE = 1.25


# How near (in multiples of ``min_length``, on both sides) a short piece must lie to a long passage.
_NEAR = 3

# A document this many times ``_NEAR`` x ``min_length`` long (2,700 characters, about 450 words:
# a wire story) or shorter is of news length: a copied sentence in it counts wherever it lies.
_STORY = 6

# The least n-gram Jaccard similarity of a piece that counts far from its pair's copy (_alike).
_FAR_SIMILARITY = 0.5

# A near-verbatim piece this share of ``min_length`` or longer (60 characters, ten words or so) is
# distinctive whatever the corpus says of its seeds: a story's stock phrases are shorter.
_COMMON_RUN = 0.4


def _distance(x: Alignment, y: Alignment, *, one_side: bool = False) -> int:
    """Characters between x and y on the side where they are further apart (0 where they overlap).

    With ``one_side``, on the side where they are nearer, of those where they do not overlap by
    more than ``_SEAM`` characters: two matches of one text (repeated on the other side) are not
    near each other for sharing it, while pieces that meet where widening to words made them
    overlap a little are.
    """
    gap_a = max(y.a_start - x.a_end, x.a_start - y.a_end)
    gap_b = max(y.b_start - x.b_end, x.b_start - y.b_end)
    if not one_side:
        return max(0, gap_a, gap_b)
    # Sides where the two meet or overlap by a seam (a word widening took from the next sentence)
    # are near; an overlap beyond that is one text matched twice.
    apart = [max(0, d) for d in (gap_a, gap_b) if d > -_SEAM]
    return min(apart) if apart else 0
