"""Alignment: turn two documents that LSH paired into exact shared passages.

The seeds the two documents share (:mod:`dedup.seeds`, :mod:`dedup.join`) are chained and grouped
into passages in one kernel call (:mod:`dedup.chain`, :mod:`dedup.group`): first the seeds
occurring once in each document, then, outside the passages they make, every seed, repeated ones
included. Passages are then put together the way a reader counts copies: passages overlapping on
both sides are merged (unless they are two matches of text one document repeats), in-order pieces
are joined across an edit of the copy (or at most ``join`` apart; none by default) but not across
unshared text or another copy, and reordered pieces within ``abut`` of each other become one
passage when they cover most of their span on both sides (a shuffled paragraph), and stay apart
otherwise (a paragraph an outlet moved elsewhere). Short near-verbatim pieces count when they lie
among the pieces of a copy, and every passage must share its wording: at least 40% of its words on
each side occur on the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import combinations, permutations

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import Positions
from .bound import _jointly_may_hold
from .chain import _ADDED, _ADDED_OTHER, _REVISIT
from .copies import _add_row, _found_before, _over, _parts, _view
from .errors import ParameterError
from .group import _SEAM, _passages_of, _side_may_hold
from .join import _join_filtered, _seed_spans, _side_spans
from .normalize import Normalized, PackedNormalized
from .scripts import tokens
from .seeds import AlignParams, Prepared, document_keys, prepare

__all__ = ["AlignParams", "Alignment", "Prepared", "align", "document_keys", "prepare"]


@dataclass(frozen=True, slots=True)
class Alignment:
    """A shared passage in normalised-text coordinates of both documents, with its seed count."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    seeds: int


def _in_order(x: Alignment, y: Alignment) -> bool:
    """Whether x lies wholly before y on both sides, or wholly after it on both sides."""
    before = x.a_end <= y.a_start and x.b_end <= y.b_start
    return before or (y.a_end <= x.a_start and y.b_end <= x.b_start)


def _overlap(x0: int, x1: int, y0: int, y1: int) -> float:
    """Overlap of [x0, x1) and [y0, y1) as a share of the shorter (0 when they are disjoint)."""
    return max(0, min(x1, y1) - max(x0, y0)) / max(1, min(x1 - x0, y1 - y0))


def _merge(alignments: list[Alignment]) -> list[Alignment]:
    """Merge passages that overlap on both sides: one copied passage, one detection.

    Passages that touch on one side by a few characters (word boundaries) but lie over the same
    text of the other (half the shorter or more) are two occurrences of repeated text, and stay
    apart.
    """
    merged: list[Alignment] = []
    for al in sorted(alignments, key=lambda x: (x.a_start, x.b_start)):
        for k, m in enumerate(merged):
            over_a = _overlap(al.a_start, al.a_end, m.a_start, m.a_end)
            over_b = _overlap(al.b_start, al.b_end, m.b_start, m.b_end)
            if over_a > 0 and over_b > 0 and not (max(over_a, over_b) >= 0.5 and min(over_a, over_b) < 0.25):
                merged[k] = Alignment(
                    min(m.a_start, al.a_start),
                    max(m.a_end, al.a_end),
                    min(m.b_start, al.b_start),
                    max(m.b_end, al.b_end),
                    m.seeds + al.seeds,
                )
                break
        else:
            merged.append(al)
    return merged if len(merged) == len(alignments) else _merge(merged)


def _join(
    alignments: list[Alignment],
    join: int,
    abut: int,
    edit: int,
    texts: tuple[str, str],
    parting: Sequence[Alignment] = (),
) -> list[Alignment]:
    """Join passages that follow each other in the same order on both sides when nothing parts them.

    Two neighbours are one passage when they lie ``join`` or fewer characters apart on both sides,
    or when the text between them is an edit of the copy: at most ``edit`` characters on each side,
    of comparable length, with a share of its words in common (:func:`_edited`), and no other
    passage of the pair, nor any of ``parting`` (copy matched out of order, not a passage itself),
    between them on either side (the text between would then be copy moved from elsewhere, and
    the pieces around it separate copies). They may overlap by up to ``abut`` characters (word
    widening makes neighbours touch).
    """
    items = sorted(alignments, key=lambda x: (x.a_start, x.b_start))
    out: list[Alignment] = []
    for q in items:
        if out:
            p = out[-1]
            gap_a, gap_b = q.a_start - p.a_end, q.b_start - p.b_end
            # Nested or crossing passages are not pieces of one copy: leave them to _tile. Nor are
            # two printings of one text (a headline and the lead it repeats).
            if -abut <= gap_a and -abut <= gap_b and _shorter_printing(p, q, abut, texts) is None:
                if gap_a <= join and gap_b <= join:
                    out[-1] = _union([p, q])
                    continue
                if _edited(p, q, edit, texts) and not any(_between(x, p, q) for x in (*items, *parting)):
                    out[-1] = _union([p, q])
                    continue
        out.append(q)
    return out


# Gaps this short (punctuation, a word) need no words in common to be an edit.
_TOUCH = 20
# The text between two pieces is an edit of the copy when the shorter side is at least this share
# of the longer, and this share of its words (of three letters or more) occur in the other side's:
# a reworded clause, a replaced sentence. A paragraph one outlet added (nothing on the other side)
# or text about something else (few words in common) parts the pieces.
_EDIT_LENGTH = 0.3
_EDIT_WORDS = 0.3
# The rest of a sentence at a passage's edge has one neighbour to vouch for it, not two: it is an
# edit of the copy with half its words in common (30% took datelines with another agency's credit,
# "(اے پی پی)" against "(نمائندہ نوائے وقت)", and a like sentence about another match).
_EDGE_WORDS = 0.5


def _between(x: Alignment, p: Alignment, q: Alignment) -> bool:
    """Whether x lies (partly) between p and q on either side, x being neither."""
    if x is p or x is q:
        return False
    return (p.a_end < x.a_end and x.a_start < q.a_start) or (p.b_end < x.b_end and x.b_start < q.b_start)


def _edited(p: Alignment, q: Alignment, edit: int, texts: tuple[str, str]) -> bool:
    """Whether the text between in-order neighbours p and q is an edit of the copy (see ``_EDIT_*``)."""
    gap_a, gap_b = max(0, q.a_start - p.a_end), max(0, q.b_start - p.b_end)
    if max(gap_a, gap_b) > edit:
        return False
    return _an_edit(texts[0][p.a_end : q.a_start], texts[1][p.b_end : q.b_start])


def _an_edit(x: str, y: str, words: float = _EDIT_WORDS) -> bool:
    """Whether two stretches of unmatched text, one a side, are an edit of each other (see ``_EDIT_*``).

    ``words`` is the share of the words (of the side with fewer) the other side must hold.

    Example:
        >>> _an_edit(" the army said on monday ", " the military said monday "), _an_edit(" despite ", " after ")
        (True, False)
        >>> _an_edit(" talks on ending the mission ", ""), _an_edit(" the weather was fine ", " troops left ")
        (False, False)
    """
    if min(len(x), len(y)) < _EDIT_LENGTH * max(len(x), len(y)):
        return False
    words_x, words_y = set(tokens(x)), set(tokens(y))
    if not words_x or not words_y:
        return max(len(x), len(y)) <= _TOUCH  # punctuation, a short word: nothing to compare
    return len(words_x & words_y) >= words * min(len(words_x), len(words_y))


def _word_share(x: Alignment, texts: tuple[str, str]) -> float:
    """The smaller of the two sides' shares of words (occurrences) found among the other side's words."""
    words_a = tokens(texts[0][x.a_start : x.a_end])
    words_b = tokens(texts[1][x.b_start : x.b_end])
    if not words_a or not words_b:
        return 1.0  # (a run of digits or symbols: the seeds alone decide)
    in_a, in_b = set(words_a).__contains__, set(words_b).__contains__
    return min(sum(map(in_b, words_a)) / len(words_a), sum(map(in_a, words_b)) / len(words_b))


# A passage is shared wording: at least this share of the words of each side occur in the other.
# A background paragraph two reporters of a story each wrote in their own words shares its names
# and figures, and chance seeds between them can reach the density of a reworded copy; a copy,
# even shuffled or edited with synonyms, keeps most of its words.
_WORD_SHARE = 0.4


def _union(parts: list[Alignment]) -> Alignment:
    return Alignment(
        min(x.a_start for x in parts),
        max(x.a_end for x in parts),
        min(x.b_start for x in parts),
        max(x.b_end for x in parts),
        sum(x.seeds for x in parts),
    )


def _runs(parts: list[Alignment], side: str, abut: int) -> list[list[Alignment]]:
    """Split passages into runs along one side wherever more than ``abut`` characters separate them."""
    ordered = sorted(parts, key=lambda x: getattr(x, side + "_start"))
    runs: list[list[Alignment]] = [[ordered[0]]]
    reach = getattr(ordered[0], side + "_end")
    for x in ordered[1:]:
        if getattr(x, side + "_start") - reach > abut:
            runs.append([])
        runs[-1].append(x)
        reach = max(reach, getattr(x, side + "_end"))
    return runs


def _added_runs(parts: list[Alignment]) -> list[list[Alignment]]:
    """Split passages where text on one side only parts those before from those after, in order on both sides.

    Such text (more than ``_ADDED`` characters, the other side's pieces on either side of it at
    most ``_ADDED_OTHER`` times as far apart) is a sentence or paragraph one document added or
    cut (:mod:`dedup.chain`): the pieces around it are separate copies, however much of their span
    they cover.

    Example:
        >>> [len(r) for r in _added_runs([Alignment(0, 300, 0, 300, 9), Alignment(302, 700, 450, 850, 9)])]
        [1, 1]
        >>> [len(r) for r in _added_runs([Alignment(0, 300, 0, 300, 9), Alignment(302, 700, 320, 720, 9)])]
        [2]
    """
    for side, other in (("a", "b"), ("b", "a")):
        ordered = sorted(parts, key=lambda x: getattr(x, side + "_start"))
        after = [0] * len(ordered)
        low = None
        for k in range(len(ordered) - 1, -1, -1):
            start = getattr(ordered[k], other + "_start")
            low = start if low is None else min(low, start)
            after[k] = low
        reach = getattr(ordered[0], side + "_end")
        before = getattr(ordered[0], other + "_end")
        runs: list[list[Alignment]] = [[ordered[0]]]
        for k in range(1, len(ordered)):
            x = ordered[k]
            added = getattr(x, side + "_start") - reach
            if added > _ADDED and -_REVISIT < after[k] - before < _ADDED_OTHER * added:
                runs.append([])
            runs[-1].append(x)
            reach = max(reach, getattr(x, side + "_end"))
            before = max(before, getattr(x, other + "_end"))
        if len(runs) > 1:
            return runs
    return [parts]


_TILED = 0.85  # share of its span a group of reordered pieces must cover on each side to be one passage


def _spread(parts: list[Alignment], side: str) -> float:
    """Share of the span of ``parts`` along one side that the parts cover (0 where they overlap much).

    Parts over the same text of one side are matches of text the other document repeats (a
    paragraph printed twice), not pieces of one shuffled copy.
    """
    ordered = sorted((getattr(x, side + "_start"), getattr(x, side + "_end")) for x in parts)
    covered, reach = 0, ordered[0][0]
    for start, end in ordered:
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    if sum(end - start for start, end in ordered) > 1.2 * covered:
        return 0.0
    return float(covered / max(1, reach - ordered[0][0]))


# Two passages that only meet along one side (their ends may overlap by ``_SEAM`` characters, as
# two printings' chains may in the kernel's grouping) while one lies mostly over the other's text
# on the other side, and whose own texts repeat each other (this share of the shorter's
# ``_GRAM``-character pieces in the longer), are two printings.
_GRAM = 10
_REPEATS = 0.6


def _shorter_printing(x: Alignment, y: Alignment, abut: int, texts: tuple[str, str]) -> Alignment | None:
    """The shorter of x and y if they are two printings of one text, else None.

    Two printings (a headline and the lead it repeats) meet, or lie at most ``abut`` apart, along
    one side, over the same text of the other (half the shorter or more), and their texts on the
    first side repeat each other: the other document's one lead matched by both. Reordered pieces
    of one copy may lie within each other's span on one side (a phrase moved into a sentence), but
    their texts differ.
    """
    for side, (x0, x1, y0, y1), (u0, u1, v0, v1) in (
        (0, (x.a_start, x.a_end, y.a_start, y.a_end), (x.b_start, x.b_end, y.b_start, y.b_end)),
        (1, (x.b_start, x.b_end, y.b_start, y.b_end), (x.a_start, x.a_end, y.a_start, y.a_end)),
    ):
        meet = min(x1, y1) - max(x0, y0)  # (negative: the gap between them)
        if meet > _SEAM or meet < -abut or _overlap(u0, u1, v0, v1) < 0.5:
            continue
        text = texts[side]
        (short, shorter), (_, longer) = sorted(((x, text[x0:x1]), (y, text[y0:y1])), key=lambda t: len(t[1]))
        grams = {shorter[g : g + _GRAM] for g in range(len(shorter) - _GRAM + 1)}
        if grams and sum(g in longer for g in grams) >= _REPEATS * len(grams):
            return short
    return None


def _second_printings(parts: list[Alignment], abut: int, texts: tuple[str, str]) -> list[int]:
    """Indices of the shorter of each two of ``parts`` that print one text twice (:func:`_shorter_printing`)."""
    shorter = set()
    for (i, x), (j, y) in combinations(enumerate(parts), 2):
        short = _shorter_printing(x, y, abut, texts)
        if short is not None:
            shorter.add(i if short is x else j)
    return sorted(shorter)


def _tile(alignments: list[Alignment], abut: int, texts: tuple[str, str]) -> list[Alignment]:
    """Merge passages that tile one stretch of text on both sides, whatever their order.

    A paragraph whose sentences were reordered comes out of the chaining as one passage per
    sentence, each abutting others on both sides; blocks with other text between them on either
    side (a heading, an unshared paragraph) stay apart. Groups are split alternately along a and
    along b at gaps wider than ``abut`` until none splits; each group left is one passage if its
    pieces cover ``_TILED`` of its span on both sides, and stays in pieces otherwise: a wire
    paragraph an outlet moved elsewhere, with its own text between, is a separate copy; a passage
    cut in pieces and shuffled in place is one. A second printing (:func:`_second_printings`) is
    left out of the groups.
    """
    if not alignments:
        return []
    # A second printing of a text (the headline above the lead it repeats) is no piece of the
    # copy it abuts: it is tiled apart, and stays a passage of its own unless a tile holds it.
    second = _second_printings(alignments, abut, texts)
    stack = [[x for k, x in enumerate(alignments) if k not in second]]
    done: list[Alignment] = []
    while stack:
        group = stack.pop()
        if not group:
            continue
        if min(_spread(group, "a"), _spread(group, "b")) >= _TILED:
            added = _added_runs(group)
            if len(added) == 1:
                done.append(_union(group))
            else:
                stack.extend(added)
            continue
        runs = _runs(group, "a", abut)
        if len(runs) == 1:
            runs = _runs(group, "b", abut)
            if len(runs) == 1:
                done.extend(group)
                continue
        for run in runs:
            if len(run) == 1:
                done.append(run[0])
            else:
                stack.append(run)
    done.extend(alignments[k] for k in second if not any(_contains(y, alignments[k]) for y in done))
    return sorted(done, key=lambda x: (x.a_start, x.b_start))


# Chains of seeds are grouped in the kernel across gaps of at most this many characters (or
# ``abut``, if less): the words of a copy whose words or phrases were shuffled lie a few
# unmatched words apart (short words, repeated ones), and each fragment alone is too short to be
# a passage. Pieces further apart are grouped afterwards, where the share of their span they
# cover is checked (:func:`_tile`): a paragraph moved below a heading (a line of 60 characters or
# more) stays its own passage.
_WORD_ABUT = 55


def _rows(a: Prepared, b: Prepared, p: AlignParams) -> npt.NDArray[np.int64]:
    """The grouped passages of a pair (see :func:`_group_passages`) in one kernel call.

    Seeds, chains and groups run in one call, without the GIL: several short calls a pair made the
    two alignment threads wait for each other to hand the GIL back more than they worked.
    """
    return _align_kernel(
        a.seed_keys, a.seed_index, a.seed_rare, a.starts, a.ends, a.word_keys, a.word_starts,
        a.word_ends, a.word_rare, a.spaces, a.breaks, len(a.normalized.text),
        b.seed_keys, b.seed_index, b.starts, b.ends, b.word_keys, b.word_starts, b.word_ends,
        b.spaces, b.breaks, len(b.normalized.text), a.key_filter, b.key_filter, a.copies, b.copies,
        p.seed_length - p.ngram, p.gap, min(p.abut, _WORD_ABUT), p.min_seeds, p.min_length, p.min_exact, p.min_density,
        p.exact_density, 2 * p.seed_length,
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
    spaces_a: Positions,
    breaks_a: Positions,
    length_a: int,
    keys_b: npt.NDArray[np.uint64],
    index_b: Positions,
    starts_b: Positions,
    ends_b: Positions,
    words_b: npt.NDArray[np.uint64],
    word_starts_b: Positions,
    word_ends_b: Positions,
    spaces_b: Positions,
    breaks_b: Positions,
    length_b: int,
    filter_a: npt.NDArray[np.uint64],
    filter_b: npt.NDArray[np.uint64],
    copies_a: npt.NDArray[np.int64],
    copies_b: npt.NDArray[np.int64],
    offset: int,
    gap: int,
    abut: int,
    min_seeds: int,
    min_length: int,
    min_exact: int,
    min_density: float,
    exact_density: float,
    trim: int,
) -> npt.NDArray[np.int64]:
    chars = _join_filtered(keys_a, keys_b, filter_a, filter_b)
    words = _join_filtered(words_a, words_b, filter_a, filter_b)
    # Every passage of the passes below rests on some of the shared keys' occurrences, so where
    # the two texts have no stretches they cover densely enough, with the same keys in both (most
    # candidate pairs of long documents), nothing can come out, and the seeds need not be laid
    # out nor passed over.
    if not _occurrences_may_hold(
        chars, words, index_a, starts_a, ends_a, word_starts_a, word_ends_a, index_b, starts_b, ends_b, word_starts_b,
        word_ends_b, offset, rare_a, word_rare_a, min_length, min_exact, min_density, exact_density,
    ):  # fmt: skip
        return np.zeros((0, 6), dtype=np.int64)
    start_a, end_a, start_b, end_b, rare, repeated = _seed_spans(
        chars, words, index_a, rare_a, starts_a, ends_a, word_starts_a, word_ends_a, word_rare_a, index_b, starts_b,
        ends_b, word_starts_b, word_ends_b, offset, copies_a, copies_b,
    )  # fmt: skip
    if len(copies_a) == 0 and len(copies_b) == 0:
        return _two_passes(
            np.ones(len(start_a), dtype=np.bool_), repeated, start_a, end_a, start_b, end_b, rare, spaces_a, breaks_a,
            length_a, spaces_b, breaks_b, length_b, gap, abut, min_seeds, min_length, min_exact, min_density,
            exact_density, trim,
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
        if keep.sum() < min_seeds:
            continue
        # No passage runs over a printing the view leaves out: the text on either side of it is
        # aligned apart (a headline repeating the lead: the headline, and the body without its
        # lead, are two pieces, not one copy of the other's lead and body).
        part = _parts(start_a, copies_a, ra) * (len(copies_b) + 2) + _parts(start_b, copies_b, rb)
        rows = np.zeros((0, 6), dtype=np.int64)
        for piece in np.unique(part[keep]):
            more = _two_passes(
                keep & (part == piece), repeated, start_a, end_a, start_b, end_b, rare, spaces_a, breaks_a, length_a,
                spaces_b, breaks_b, length_b, gap, abut, min_seeds, min_length, min_exact, min_density,
                exact_density, trim,
            )  # fmt: skip
            rows = np.concatenate((rows, more))
        for r in range(len(rows)):
            over = _over(rows[r, 0], rows[r, 1], copies_a, ra) or _over(rows[r, 2], rows[r, 3], copies_b, rb)
            if (ra >= 0 or rb >= 0) and not over:
                continue  # (over neither copy of the view: the view without copies found it)
            # A passage inside a copy that, moved to the copy's source, is a passage an earlier view
            # found is that passage printed again: the first printing stands for it (a page scraped
            # twice gives its passages once). One over more than its copy is kept, and merges with
            # the pieces around it.
            if _found_before(rows[r], found, copies_a, ra, copies_b, rb, trim):
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
    min_length: int,
    min_exact: int,
    min_density: float,
    exact_density: float,
) -> bool:
    """Whether the shared keys' occurrences (:func:`dedup.join._side_spans`) could make a passage.

    Each side alone first (:func:`dedup.group._side_may_hold`, cheap, and enough for most pairs),
    then both together (:func:`dedup.bound._jointly_may_hold`).
    """
    sa, ea, ra, ka = _side_spans(
        chars, words, 0, index_a, starts_a, ends_a, word_starts_a, word_ends_a, offset, rare_a, word_rare_a
    )
    held = np.ones(len(sa), dtype=np.bool_)
    if not _side_may_hold(sa, ea, held, ra, min_length, min_exact, min_density, exact_density):
        return False
    sb, eb, rb, kb = _side_spans(
        chars, words, 1, index_b, starts_b, ends_b, word_starts_b, word_ends_b, offset, rare_a, word_rare_a
    )
    held = np.ones(len(sb), dtype=np.bool_)
    if not _side_may_hold(sb, eb, held, rb, min_length, min_exact, min_density, exact_density):
        return False
    return _jointly_may_hold(
        sa, ea, ra, ka, sb, eb, rb, kb, len(chars) + len(words), min_length, min_exact, min_density, exact_density
    )


@njit(cache=True, nogil=True)
def _two_passes(
    keep: npt.NDArray[np.bool_],
    repeated: npt.NDArray[np.bool_],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    rare: npt.NDArray[np.bool_],
    spaces_a: Positions,
    breaks_a: Positions,
    length_a: int,
    spaces_b: Positions,
    breaks_b: Positions,
    length_b: int,
    gap: int,
    abut: int,
    min_seeds: int,
    min_length: int,
    min_exact: int,
    min_density: float,
    exact_density: float,
    trim: int,
) -> npt.NDArray[np.int64]:
    """The grouped passages of the seeds in ``keep``: those whose key occurs once first, then the rest."""
    # Two passes. Seeds whose key occurs once in each document first (the repeated ones only show
    # where the text between two pieces is copy matched elsewhere); then every seed lying outside
    # the passages of the first pass on both sides, repeated keys included (a headline that
    # repeats the lead, a paragraph printed twice): mixed with the others from the start, a
    # repeated phrase matched to its other occurrence would bridge two separate passages.
    once = keep & ~repeated
    twice = keep & repeated
    rows = _passages_of(
        once, twice, start_a, end_a, start_b, end_b, rare, spaces_a, breaks_a, length_a, spaces_b, breaks_b,
        length_b, gap, abut, min_seeds, min_length, min_exact, min_density, exact_density, trim,
    )  # fmt: skip
    if not twice.any():
        return rows
    outside = keep.copy()
    for k in range(len(start_a)):
        if outside[k]:
            for r in range(len(rows)):
                if (rows[r, 0] <= start_a[k] < rows[r, 1]) or (rows[r, 2] <= start_b[k] < rows[r, 3]):
                    outside[k] = False
                    break
    # The seeds occurring once outside the first pass's passages made nothing there: a second pass
    # is worth its cost (on long documents, most candidate pairs) only where repeated seeds add
    # enough to make a passage.
    if (outside & twice).sum() < min_seeds:
        return rows
    more = _passages_of(
        outside, outside, start_a, end_a, start_b, end_b, rare, spaces_a, breaks_a, length_a, spaces_b, breaks_b,
        length_b, gap, abut, min_seeds, min_length, min_exact, min_density, exact_density, trim,
    )  # fmt: skip
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
    # A short piece whose seeds are common in the corpus (short 2) may be a stock phrase of the
    # story; a verbatim run of _COMMON_RUN x min_length is not one, however many outlets carry
    # it: in a small corpus a quoted statement or a brief's lead that three of five outlets ran
    # has no rare seed, and was lost with its pair's other pieces around it.
    run = _COMMON_RUN * p.min_length
    common = [short == 2 and min(a1 - a0, b1 - b0) < run for a0, a1, b0, b1, _, short in rows]
    found = [Alignment(*row[:5]) for row, stock_like in zip(rows, common, strict=True) if not stock_like]
    stock = [Alignment(*row[:5]) for row, stock_like in zip(rows, common, strict=True) if stock_like]
    texts = (a.normalized.text, b.normalized.text)
    # A long group whose words are not shared (chance seeds over a story's common vocabulary) is
    # no passage (below), and no anchor for the short pieces around it either.
    shares: dict[tuple[int, int, int, int], float] = {}  # (a passage may be checked twice)

    def worded(x: Alignment) -> bool:
        span = (x.a_start, x.a_end, x.b_start, x.b_end)
        if span not in shares:
            shares[span] = _word_share(x, texts)
        return shares[span] >= _WORD_SHARE

    found = [x for x in found if _length(x) < p.min_length or worded(x)]
    long = [x for x in found if _length(x) >= p.min_length]
    # Short distinctive pieces (a quoted statement, a brief's lead sentence) are copy when the pair
    # is a copying pair: it shares a long passage, or its distinctive pieces add up to min_length.
    # One short piece alone is as likely a phrase two reporters of a story both wrote.
    if not long and sum(_length(x) for x in found) < p.min_length:
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
        joined = _tile(_join(_merge(found), p.join, p.abut, 2 * p.gap, texts, displaced), p.abut, texts)
        distinct = [x for x in found if _length(x) < p.min_length and x not in stock]
        kept = [x for x in joined if _length(x) >= p.min_length or any(_contains(x, d) for d in distinct)]
        # A short piece counts when it lies among the other pieces of the copy: within ``_NEAR``
        # times min_length of a long passage on both sides. A wire story cut and edited keeps its
        # short pieces among its longer ones; a verbatim phrase far from all of them is as likely
        # a phrase both documents use, or a quotation of a third text. A brief with no long
        # passage holds its pieces close together (its lead, its last sentence), however far
        # apart the agency story has them: there each must lie that near another on one side.
        anchors = [x for x in kept if _length(x) >= p.min_length]
        near = _NEAR * p.min_length
        # In a brief (a document of at most twice that reach), a sentence (_COMMON_RUN x min_length
        # or longer) lies near the others on its side however far apart the agency story has them
        # (its lead and its last sentence), whether or not one of them is long; a shorter piece
        # (a site's menu line, a phrase) must still lie near them on both sides.
        brief = min(len(a.normalized.text), len(b.normalized.text)) <= 2 * near
        found = [
            x for x in kept
            if _length(x) >= p.min_length
            or (anchors and any(_distance(x, y, one_side=brief and _length(x) >= run) <= near for y in anchors))
            or (not anchors and any(y is not x and _distance(x, y, one_side=True) <= near for y in kept))
        ]  # fmt: skip
    found = [x for x in found if worded(x)]
    if len(found) >= 2:
        found = _untangle(found, (a.normalized, b.normalized), p.seed_length)
    return _to_sentence_ends(found, (a, b), p.gap // 2, p.seed_length)


def _to_sentence_ends(
    found: list[Alignment], docs: tuple[Prepared, Prepared], reach: int, fragment: int
) -> list[Alignment]:
    """Each passage's ends moved out to its sentences' ends where the rest of the sentence is an edit on both sides.

    A passage ends at its last seed, and an outlet that reworded the last words of a wire
    sentence ("said on Monday" / "said Monday") or its first leaves them out; the sentence is
    what was copied. An end moves when, on both sides, the sentence ends within ``reach``
    characters, the two stretches are an edit of each other (:func:`_an_edit`: like lengths,
    half their words in common), and no other passage of the pair lies in them. An outlet's own
    words before or after the copy (a lead-in clause, a closing attribution of its own) share no
    words with the other side's and stay out. Then each edge loses what it reaches over a sentence
    end (:func:`_off_the_breaks`, ``fragment``). Documents prepared without their raw text have no
    sentence ends, and their passages stay as found.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.seeds import prepare
        >>> from dedup.shingle import shingle
        >>> copy = "the ministry said it had no plans to withdraw troops from the country"
        >>> raw = (f"Earlier today {copy}, officials said. Other news.", f"Meanwhile {copy}, an official said. More.")
        >>> docs = tuple(prepare(n, shingle(n.text, 5), text=t) for n, t in ((normalize(t), t) for t in raw))
        >>> [x] = _to_sentence_ends([Alignment(14, 83, 10, 79, 9)], docs, 100, 10)
        >>> docs[0].normalized.text[x.a_end - 30 : x.a_end], docs[1].normalized.text[x.b_end - 30 : x.b_end]
        ('rom the country officials said', 'm the country an official said')
        >>> x.a_start, x.b_start  # ("earlier today" and "meanwhile" share no word: each outlet's own)
        (14, 10)
    """
    ends = (docs[0].sentences, docs[1].sentences)
    if not found or not len(ends[0]) or not len(ends[1]):
        return found
    texts = (docs[0].normalized.text, docs[1].normalized.text)
    out = []
    for x in found:
        spans = [_side(x, 0), _side(x, 1)]
        others = [[_side(y, s) for y in found if y is not x] for s in (0, 1)]
        # The rest of each side's sentence after the passage, and before it.
        after = [_next_end(ends[s], spans[s][1]) for s in (0, 1)]
        if all(
            0 < after[s] - spans[s][1] <= reach and not _holds(others[s], spans[s][1], after[s]) for s in (0, 1)
        ) and _an_edit(texts[0][spans[0][1] : after[0]], texts[1][spans[1][1] : after[1]], _EDGE_WORDS):
            spans = [(spans[s][0], after[s]) for s in (0, 1)]
        before = [_sentence_start(ends[s], texts[s], spans[s][0]) for s in (0, 1)]
        if all(
            0 < spans[s][0] - before[s] <= reach and not _holds(others[s], before[s], spans[s][0]) for s in (0, 1)
        ) and _an_edit(texts[0][before[0] : spans[0][0]], texts[1][before[1] : spans[1][0]], _EDGE_WORDS):
            spans = [(before[s], spans[s][1]) for s in (0, 1)]
        spans = _off_the_breaks(spans, ends, texts, fragment)
        out.append(Alignment(spans[0][0], spans[0][1], spans[1][0], spans[1][1], x.seeds))
    return out


def _off_the_breaks(
    spans: list[tuple[int, int]], ends: tuple[Positions, Positions], texts: tuple[str, str], fragment: int
) -> list[tuple[int, int]]:
    """A passage's two spans without the word or two they reach over a sentence end at either edge.

    A seed is ``fragment`` non-space characters and may run over a sentence end or paragraph
    break: the end of one sentence and the start of the next match ("by." and "country." before
    the copied "Iraqi ..."; "The" opening the next paragraph in both), and widening to whole words
    takes in the word. Where a sentence ends within ``fragment`` characters of the passage's edge,
    the edge moves to that sentence end, on each side where it does, unless both sides hold the
    same words beyond it (a copy that goes on a word past a full stop): what lies beyond it is too
    short to be any seed's own.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.scripts import sentence_ends
        >>> copy = "the ministry said it had no plans to withdraw troops from the country"
        >>> raw = (f"Seen by. {copy}. The end", f"A plain country. {copy}. The rest of it")
        >>> n = [normalize(t) for t in raw]
        >>> ends = tuple(sentence_ends(t, m.offsets, m.text) for t, m in zip(raw, n))
        >>> texts = (n[0].text, n[1].text)
        >>> (a0, a1), (b0, b1) = _off_the_breaks([(5, 81), (8, 88)], ends, texts, 10)
        >>> texts[0][a0:a1] == texts[1][b0:b1] == copy
        True
    """
    first = [_next_end(ends[s], spans[s][0] + 1) for s in (0, 1)]
    near = [first[s] - spans[s][0] <= fragment and first[s] < spans[s][1] - fragment for s in (0, 1)]
    bits = [texts[s][spans[s][0] : first[s]].strip() for s in (0, 1)]
    if any(near) and not (all(near) and bits[0] == bits[1]):
        starts = [_sentence_start(ends[s], texts[s], first[s] + 1) if near[s] else spans[s][0] for s in (0, 1)]
        spans = [(starts[s], spans[s][1]) for s in (0, 1)]
    last = [_last_end(ends[s], spans[s][1]) for s in (0, 1)]
    near = [spans[s][1] - last[s] <= fragment and last[s] > spans[s][0] + fragment for s in (0, 1)]
    bits = [texts[s][last[s] : spans[s][1]].strip() for s in (0, 1)]
    if any(near) and not (all(near) and bits[0] == bits[1]):
        spans = [(spans[s][0], last[s]) if near[s] else spans[s] for s in (0, 1)]
    return spans


def _last_end(ends: Positions, at: int) -> int:
    """The last sentence end before ``at`` (-1 if none)."""
    k = int(np.searchsorted(ends, at, side="left"))
    return int(ends[k - 1]) if k else -1


def _next_end(ends: Positions, at: int) -> int:
    """The first sentence end at or after ``at`` (the text's end is the last of ``ends``)."""
    return int(ends[min(int(np.searchsorted(ends, at, side="left")), len(ends) - 1)])


def _sentence_start(ends: Positions, text: str, at: int) -> int:
    """Where the sentence holding position ``at`` starts: after the last sentence end before it, and its space."""
    k = int(np.searchsorted(ends, at, side="left"))
    if k == 0:
        return 0
    start = int(ends[k - 1])
    return start + 1 if start < at and text[start] == " " else start


def _holds(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether any of ``spans`` reaches into ``[start, end)``."""
    return any(s < end and start < e for s, e in spans)


# A normalised text with its offsets to the raw text, whole or packed (a prepared document's).
_Offsets = Normalized | PackedNormalized


def _untangle(found: list[Alignment], normalized: tuple[_Offsets, _Offsets], most: int) -> list[Alignment]:
    """Give the words two passages of a pair both claim on one side (at most ``most`` characters) to one of them.

    Two pieces a sentence apart on one side and far apart on the other can both claim the words
    between them: "... announced on Monday. He said ..." matches the end of one copy and the start
    of the next, each against its own "He said" on the other side. The words go to the passage on
    their side of a break (punctuation or a line break, which normalisation drops: more than a
    space between two words of the raw text, read from the offsets), else to the longer passage;
    the other gives them up, on both sides where that edge is verbatim (the seeds it rests on),
    else on the side they overlap. No character of a document then lies in two passages of one
    pair for the words at their seam. Overlaps of more than a seed, and overlaps on both sides (one
    passage, merged earlier, or text one document repeats), are left as they are.

    Example:
        >>> texts = ("x" * 20 + " he said" + "v" * 32, "y" * 20 + " he said" + "z" * 10 + " he said" + "w" * 32)
        >>> unbroken = tuple(Normalized(t, np.arange(len(t) + 1)) for t in texts)  # no break anywhere
        >>> first, second = Alignment(0, 28, 0, 28, 3), Alignment(20, 60, 38, 78, 5)
        >>> [(x.a_start, x.a_end, x.b_start, x.b_end) for x in _untangle([first, second], unbroken, 10)]
        [(0, 20, 0, 20), (20, 60, 38, 78)]
    """
    texts = (normalized[0].text, normalized[1].text)
    out = list(found)
    changed = True
    while changed:  # a cut only shrinks a passage: this ends, with no such overlap left
        changed = False
        for i, j in permutations(range(len(out)), 2):
            x, y = out[i], out[j]
            over = [_overlap(*_side(x, s), *_side(y, s)) for s in (0, 1)]
            if (over[0] > 0) == (over[1] > 0):
                continue
            side = 0 if over[0] > 0 else 1
            (x0, x1), (y0, y1) = _side(x, side), _side(y, side)
            if not (x0 < y0 < x1 < y1 and x1 - y0 <= most):
                continue  # x's end runs into y's start
            owner = _seam(normalized[side], y0, x1)
            if owner > 0 or (owner == 0 and _length(x) <= _length(y)):
                out[i] = _cut(x, x1 - y0, side, texts, at_end=True)
            else:
                out[j] = _cut(y, x1 - y0, side, texts, at_end=False)
            changed = changed or out[i] != x or out[j] != y
    return out


def _seam(normalized: _Offsets, start: int, end: int) -> int:
    """Which passage the words of ``text[start:end]`` belong to: 1 the next, -1 the previous, 0 either.

    1 when a break (more than one raw character between two words) precedes them and none follows,
    -1 the other way round, 0 when both or neither do. Four offsets are read, each alone: a
    prepared document keeps its offsets packed (:class:`~dedup.normalize.PackedNormalized`).
    """
    text, offset = normalized.text, normalized.offset
    before = start >= 2 and text[start - 1] == " " and offset(start) - offset(start - 2) > 2
    after = end < len(text) and text[end] == " " and offset(end + 1) - offset(end - 1) > 2
    return int(before) - int(after)


def _side(x: Alignment, side: int) -> tuple[int, int]:
    return (x.a_start, x.a_end) if side == 0 else (x.b_start, x.b_end)


def _cut(x: Alignment, count: int, side: int, texts: tuple[str, str], *, at_end: bool) -> Alignment:
    """``x`` without ``count`` characters at one end and the spaces they leave.

    On both sides when that end is verbatim, else on ``side`` alone.
    """
    spans = [[x.a_start, x.a_end], [x.b_start, x.b_end]]
    pieces = [texts[s][e - count : e] if at_end else texts[s][b : b + count] for s, (b, e) in enumerate(spans)]
    verbatim = pieces[0] == pieces[1] and all(e - b >= count for b, e in spans)  # the end lies inside both spans
    for s in (0, 1) if verbatim else (side,):
        text, span = texts[s], spans[s]
        if at_end:
            span[1] -= count
            while span[1] > span[0] and text[span[1] - 1] == " ":
                span[1] -= 1
        else:
            span[0] += count
            while span[0] < span[1] and text[span[0]] == " ":
                span[0] += 1
    return Alignment(spans[0][0], spans[0][1], spans[1][0], spans[1][1], x.seeds)


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


def _length(x: Alignment) -> int:
    return min(x.a_end - x.a_start, x.b_end - x.b_start)


def _contains(x: Alignment, y: Alignment) -> bool:
    """Whether x holds y on both sides."""
    return x.a_start <= y.a_start and y.a_end <= x.a_end and x.b_start <= y.b_start and y.b_end <= x.b_end
