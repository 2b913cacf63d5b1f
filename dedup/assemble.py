"""Passage assembly: the pieces the kernel finds for a pair, put together the way a reader counts copies.

A piece that holds two pieces of a copy with each side's own text between them is parted first
(:func:`_apart_at_own_text`: two outlets' paragraphs between two wire pieces). Pieces overlapping
on both sides are merged (unless they are two matches of text one document repeats), in-order
pieces are joined across an edit of the copy (or at most ``join`` apart) but not across unshared
text or another copy, and reordered pieces within ``abut`` of each other become one passage when
they cover most of their span on both sides (a shuffled paragraph), and stay apart otherwise (a
paragraph an outlet moved elsewhere). A passage shares its wording: at least 40% of its words on
each side occur on the other (:func:`_word_share`). :mod:`dedup.align` drives these steps;
:mod:`dedup.edges` then settles each passage's ends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np

from ._arrays import Positions
from ._matching import matching_blocks, word_spans
from .chain import _ADDED, _ADDED_OTHER, _REVISIT
from .group import _SEAM
from .scripts import tokens

__all__ = ["Alignment"]


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
    a, b = texts[0][x.a_start : x.a_end], texts[1][x.b_start : x.b_end]
    if a == b:
        return 1.0  # (a verbatim copy, most passages of syndicated news: every word on both sides)
    words_a, words_b = tokens(a), tokens(b)
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


def _moved_over_a_cut(parts: list[Alignment], abut: int) -> bool:
    """Whether pieces out of order on the two sides are also parted by more than ``abut`` characters on a side.

    A paragraph whose sentences were reordered tiles its span on both sides, whatever their order;
    a copy that moved a paragraph up and also dropped one (a wire quote the outlet did not run)
    tiles most of the wire's span too, but the dropped paragraph is no shared text: its pieces
    are separate copies, as reordered blocks more than ``abut`` apart are.

    Example (the wire's lead, paragraphs 1 and 3, the rest; the copy moved paragraph 3 up):
        >>> lead, first = Alignment(0, 200, 0, 200, 9), Alignment(200, 460, 440, 700, 9)
        >>> shuffled = [lead, first, Alignment(460, 700, 200, 440, 9), Alignment(700, 1200, 700, 1200, 9)]
        >>> dropped = [lead, first, Alignment(660, 900, 200, 440, 9), Alignment(900, 1400, 700, 1200, 9)]
        >>> _moved_over_a_cut(shuffled, 100), _moved_over_a_cut(dropped, 100)  # (200 characters not run)
        (False, True)
    """
    ordered = sorted(parts, key=lambda x: (x.a_start, x.b_start))
    if all(x.b_start <= y.b_start for x, y in pairwise(ordered)):
        return False  # (in order: an edit, or text one side added, is for _added_runs)
    return len(_runs(parts, "a", abut)) > 1 or len(_runs(parts, "b", abut)) > 1


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


# Text between two pieces that is whole sentences on both sides (each side's own sentence or more
# between two wire paragraphs) is the outlets' own from this many characters on the longer side,
# not ``_ADDED``: that length tells text one side added inside a sentence from an editor's clause,
# while a sentence of each outlet's own, however short, is no edit of the copy. 40 is a short
# sentence (docs/quality.md, "An outlet's own short sentence between two wire pieces").
_OWN_SENTENCES = 40
_NO_SENTENCES = np.zeros(0, dtype=np.int64)


def _tile(
    alignments: list[Alignment],
    abut: int,
    texts: tuple[str, str],
    sentences: tuple[Positions, Positions] = (_NO_SENTENCES, _NO_SENTENCES),
) -> list[Alignment]:
    """Merge passages that tile one stretch of text on both sides, whatever their order.

    A paragraph whose sentences were reordered comes out of the chaining as one passage per
    sentence, each abutting others on both sides; blocks with other text between them on either
    side (a heading, an unshared paragraph) stay apart. Groups are split alternately along a and
    along b at gaps wider than ``abut`` until none splits; each group left is one passage if its
    pieces cover ``_TILED`` of its span on both sides, and stays in pieces otherwise: a wire
    paragraph an outlet moved elsewhere, with its own text between, is a separate copy; a passage
    cut in pieces and shuffled in place is one. A second printing (:func:`_second_printings`) is
    left out of the groups, and pieces in order with a sentence of each side's own between them
    (:func:`_own_runs`; ``sentences`` as ``Prepared.sentences``) are not tiled over it.
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
        if min(_spread(group, "a"), _spread(group, "b")) >= _TILED and not _moved_over_a_cut(group, abut):
            added = _added_runs(group)
            if len(added) == 1:
                added = _own_runs(group, texts, sentences)
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


# Words in a row that both sides hold in one place are a piece of the copy; one or two may be words
# both outlets' own texts use by chance ("in Iraq"), and lie inside the text between two pieces.
_ANCHOR = 3
# A phrase the two outlets' texts share by chance inside the text between two pieces is at most
# this many words long; a longer run in order is copy, and the text between two pieces ends there.
_CHANCE = 5
# A phrase of this many words that the text between two pieces shares with the other side's text
# elsewhere is copy moved there (a shuffled copy's phrase); a name ("Mohammed Shia al-Sudani") or
# a title both outlets' own texts and the wire use is shorter.
_MOVED_PHRASE = 4
# A word as the rules that match words in order read it (here and in dedup.edges): what lies between spaces.
_SPACED = re.compile(r"\S+")
# A piece of ``min_length`` or more parted off stands when the words both sides share in order
# cover this share of it on both sides: a wire paragraph with a sentence one outlet dropped does
# (0.77 in the news probe of 6 December 2026); at half, a reworded (translated) plagiarism case of
# pan13-train came in two pieces across a sentence reworded with no phrase and few words kept.
_LONG_COVER = 0.6
# Passages longer than this (characters, on either side) are left as found: matching their words
# takes time growing with the square of their length (a passage of 10,000 words: 1.5 s), and a
# chain of news pieces and outlets' paragraphs spans a few thousand characters.
_LONGEST = 12_000
# Nor those whose words pair with like words of the other side more often than this: the matching
# takes time growing with those pairs, a few thousand in a passage of prose under ``_LONGEST``, some
# millions in a table of figures (ten digits, each hundreds of times; docs/performance.md), which
# holds no outlet's own paragraph to part at.
_LIKE_PAIRS = 200_000


def _apart_at_own_text(
    x: Alignment,
    texts: tuple[str, str],
    min_length: int,
    run: int,
    dense: float,
    edit: int,
    sentences: tuple[Positions, Positions] = (_NO_SENTENCES, _NO_SENTENCES),
) -> list[Alignment]:
    """A passage parted where each side holds text of its own between two pieces of the copy: the pieces, in order.

    Two outlets run two wire paragraphs with a paragraph of their own between them, each its own:
    the seeds of the two paragraphs lie within ``gap`` of each other on both sides, a word of the
    two outlets' texts may match by chance between them, and the kernel's chain holds both
    paragraphs and the outlets' texts as one loose passage. Between two runs of ``_ANCHOR`` words
    in a row on both sides (the next, or one further on, skipping a phrase matched by chance), the
    text of each side is the outlet's own, not an edit of the copy, when it is no edit of the other
    side's (:func:`_an_edit`: what the joining of two pieces asks, :func:`_join`), holds no phrase
    of the other side's text elsewhere (:func:`_foreign`: a shuffled copy's moved phrase), is at
    most ``edit`` characters long, one side's more than ``_ADDED`` characters (``_OWN_SENTENCES``
    when both sides' are whole sentences: ``sentences``, where each text's sentences end, as
    ``Prepared.sentences``) and the other's at least ``_ADDED_OTHER`` of that (text one side
    alone added is the kernel's cut, :mod:`dedup.chain`). Each piece must stand alone: ``run``
    characters or more on both sides, and covered by the words the two sides share in order,
    ``dense`` under ``min_length`` (a near-verbatim piece), ``_LONG_COVER`` from there; otherwise
    the cut beside it is not made. The seeds are shared out by length. A passage longer than
    ``_LONGEST`` on a side, or whose words pair with more than ``_LIKE_PAIRS`` like words of the
    other side, is left as found.

    Example (a wire sentence, each outlet's own text, another wire sentence):
        >>> one = "the ministry said it had no plans to withdraw its troops from the country this year "
        >>> two = "the coalition was formed ten years ago to fight the group across the border region"
        >>> own_a = "our correspondent in the capital reported heavy rain and floods "
        >>> own_b = "meanwhile the football league put off its three weekend matches "
        >>> a = one + own_a + "in the south and in the east early on today " + two
        >>> b = one + own_b + "for the long national holiday in spring " + two
        >>> [(a[p.a_start : p.a_end], b[p.b_start : p.b_end]) for p in _apart_at_own_text(
        ...     Alignment(0, len(a), 0, len(b), 30), (a, b), 150, 60, 0.8, 400)] == [(one.strip(),) * 2, (two,) * 2]
        True

    Text between that holds a phrase of the copy from elsewhere is no outlet's own (a shuffled copy):
        >>> b = one + "it had no plans to withdraw its troops " + "for the long national holiday in spring " + two
        >>> len(_apart_at_own_text(Alignment(0, len(a), 0, len(b), 30), (a, b), 150, 60, 0.8, 400))
        1
    """
    if _length(x) < min_length or max(x.a_end - x.a_start, x.b_end - x.b_start) > _LONGEST:
        return [x]
    side_a, side_b = texts[0][x.a_start : x.a_end], texts[1][x.b_start : x.b_end]
    if side_a == side_b:
        return [x]  # (a verbatim copy, a third of pan13-train's passages: nothing to part)
    blocks = matching_blocks(side_a.split(), side_b.split(), most=_LIKE_PAIRS)
    if blocks is None:
        return [x]
    anchors = [m for m in blocks if m[2] >= _ANCHOR]  # blocks: (i, j, size), the words in order
    if len(anchors) < 2:
        return [x]  # (nothing to part: most passages)
    words_a, words_b = word_spans(side_a), word_spans(side_b)
    cuts = []  # (end of the piece before, start of the piece after) on a, then on b
    k = 0
    while k < len(anchors) - 1:
        p = anchors[k]
        a0, b0 = words_a[p[0] + p[2] - 1][1], words_b[p[1] + p[2] - 1][1]
        k += 1
        # The next anchor, or one further on: a phrase of the two outlets' texts may match by
        # chance ("American ... in Iraq") and part their texts in two.
        for n in range(k, len(anchors)):
            a1, b1 = words_a[anchors[n][0]][0], words_b[anchors[n][1]][0]
            longer = max(a1 - a0, b1 - b0)
            if longer > edit:
                break
            own = longer > _ADDED or _own_sentences(
                sentences, x.a_start + a0, x.a_start + a1, x.b_start + b0, x.b_start + b1
            )
            if (
                own
                and _no_edit(side_a[a0:a1], side_b[b0:b1])
                and _foreign(side_a[a0:a1], _runs_of(side_b[:b0]) | _runs_of(side_b[b1:]))
                and _foreign(side_b[b0:b1], _runs_of(side_a[:a0]) | _runs_of(side_a[a1:]))
            ):
                cuts.append((a0, a1, b0, b1))
                k = n
                break
            if anchors[n][2] > _CHANCE:
                break  # (a longer run is copy: the texts between end here)

    def covered(words: list[tuple[int, int]], at: int, start: int, end: int) -> int:
        """Characters of [start, end) that the runs of words both sides share in order cover."""
        spans = ((words[m[at]][0], words[m[at] + m[2] - 1][1]) for m in blocks)
        return sum(max(0, min(e, end) - max(s, start)) for s, e in spans)

    def stands(a0: int, a1: int, b0: int, b1: int) -> bool:
        if min(a1 - a0, b1 - b0) < run:
            return False
        share = dense if min(a1 - a0, b1 - b0) < min_length else _LONG_COVER
        return covered(words_a, 0, a0, a1) >= share * (a1 - a0) and covered(words_b, 1, b0, b1) >= share * (b1 - b0)

    while cuts:
        bounds = [(0, 0), *((c[0], c[2]) for c in cuts), (len(side_a), len(side_b))]
        starts = [(0, 0), *((c[1], c[3]) for c in cuts)]
        pieces = [(s[0], e[0], s[1], e[1]) for s, e in zip(starts, bounds[1:], strict=True)]
        weak = [k for k, piece in enumerate(pieces) if not stands(*piece)]
        if not weak:
            break
        k = weak[0]  # its cut to the shorter text between goes (the piece joins its neighbour)
        around = [c for c in (k - 1, k) if 0 <= c < len(cuts)]
        del cuts[min(around, key=lambda c: max(cuts[c][1] - cuts[c][0], cuts[c][3] - cuts[c][2]))]
    if not cuts:
        return [x]
    seeds = _share_seeds(x.seeds, [min(a1 - a0, b1 - b0) for a0, a1, b0, b1 in pieces])
    return [
        Alignment(x.a_start + a0, x.a_start + a1, x.b_start + b0, x.b_start + b1, n)
        for (a0, a1, b0, b1), n in zip(pieces, seeds, strict=True)
    ]


def _no_edit(x: str, y: str) -> bool:
    """Whether the texts two sides hold between two pieces are each side's own: of like length (the
    shorter at least ``_ADDED_OTHER`` of the longer, else text one side added) and no edit of each
    other (:func:`_an_edit`)."""
    return min(len(x), len(y)) >= _ADDED_OTHER * max(len(x), len(y)) and not _an_edit(x, y)


def _whole_sentences(ends: Positions, start: int, end: int) -> bool:
    """Whether ``[start, end)`` of a text whose sentences end at ``ends`` is whole sentences.

    One sentence ends at ``start`` (where a piece's last word ends) and another just before
    ``end`` (where the next piece's first word starts, a space after it).

    Example:
        >>> import numpy as np
        >>> ends = np.array([10, 25, 40])  # "... copy one" [10] " own words" [25] " copy two ..."
        >>> _whole_sentences(ends, 10, 26), _whole_sentences(ends, 12, 26), _whole_sentences(ends, 10, 30)
        (True, False, False)
    """
    k = int(np.searchsorted(ends, start))
    if k == len(ends) or ends[k] != start:
        return False
    last = int(np.searchsorted(ends, end, side="right")) - 1
    return last > k and end - int(ends[last]) <= 1


def _own_sentences(sentences: tuple[Positions, Positions], a0: int, a1: int, b0: int, b1: int) -> bool:
    """Whether the text between two pieces, ``[a0, a1)`` of a and ``[b0, b1)`` of b, is whole sentences on both sides.

    The longer side's must run over ``_OWN_SENTENCES`` characters (``sentences``: each text's
    sentence ends, as ``Prepared.sentences``).
    """
    return (
        max(a1 - a0, b1 - b0) > _OWN_SENTENCES
        and _whole_sentences(sentences[0], a0, a1)
        and _whole_sentences(sentences[1], b0, b1)
    )


def _own_runs(
    parts: list[Alignment], texts: tuple[str, str], sentences: tuple[Positions, Positions]
) -> list[list[Alignment]]:
    """Split pieces in order on both sides where each side holds a sentence or more of its own between two of them.

    The text between is each side's own when it is whole sentences on both sides
    (:func:`_own_sentences`) and :func:`_no_edit`: what :func:`_apart_at_own_text` parts a chain at.
    The pieces of a copy cut in pieces and shuffled in place lie out of order, and are not split.

    Example (two wire sentences, each outlet's own sentence of 60 and 70 characters between):
        >>> import numpy as np
        >>> a = "w" * 100 + " " + "x" * 60 + " " + "y" * 100
        >>> b = "w" * 100 + " " + "z" * 70 + " " + "y" * 100
        >>> ends = (np.array([100, 161, 262]), np.array([100, 171, 272]))
        >>> pieces = [Alignment(0, 100, 0, 100, 9), Alignment(162, 262, 172, 272, 9)]
        >>> [len(run) for run in _own_runs(pieces, (a, b), ends)]
        [1, 1]
    """
    ordered = sorted(parts, key=lambda x: (x.a_start, x.b_start))
    if any(x.b_end > y.b_start or x.a_end > y.a_start for x, y in pairwise(ordered)):
        return [parts]
    runs: list[list[Alignment]] = [[ordered[0]]]
    for x, y in pairwise(ordered):
        a0, a1, b0, b1 = x.a_end, y.a_start, x.b_end, y.b_start
        if _own_sentences(sentences, a0, a1, b0, b1) and _no_edit(texts[0][a0:a1], texts[1][b0:b1]):
            runs.append([])
        runs[-1].append(y)
    return runs


def _share_seeds(seeds: int, lengths: Sequence[int]) -> list[int]:
    """``seeds`` shared out among the pieces of a passage by their ``lengths``, one at least a piece.

    With at least one seed a piece they add up to ``seeds`` (largest remainders: rounding each
    share alone could add up to one more or one less than the whole).

    Example:
        >>> _share_seeds(10, [100, 100, 100])
        [4, 3, 3]
        >>> _share_seeds(5, [1000, 10])
        [4, 1]
    """
    if len(lengths) <= 1 or seeds <= len(lengths):
        return [seeds] if len(lengths) == 1 else [1] * len(lengths)
    # Each piece has one first (a piece is a passage, found by a seed at least); the rest by length.
    rest, whole = seeds - len(lengths), sum(lengths) or 1
    shares = [rest * n / whole for n in lengths]
    out = [1 + int(share) for share in shares]
    by_remainder = sorted(range(len(lengths)), key=lambda k: (int(shares[k]) - shares[k], k))
    for k in by_remainder[: seeds - sum(out)]:
        out[k] += 1
    return out


def _foreign(text: str, other: set[tuple[str, ...]]) -> bool:
    """Whether ``text`` holds no run of ``_MOVED_PHRASE`` words that is among ``other`` (runs of the other side).

    The text between two in-order pieces of a shuffled copy holds phrases of the copy that the
    other side has elsewhere in the passage; an outlet's own paragraph, about the same story,
    shares its words (the story's names and places) but not its phrases.
    """
    return not _runs_of(text).intersection(other)


def _runs_of(text: str) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[k : k + _MOVED_PHRASE]) for k in range(len(words) - _MOVED_PHRASE + 1)}


def _length(x: Alignment) -> int:
    return min(x.a_end - x.a_start, x.b_end - x.b_start)


def _contains(x: Alignment, y: Alignment) -> bool:
    """Whether x holds y on both sides."""
    return x.a_start <= y.a_start and y.a_end <= x.a_end and x.b_start <= y.b_start and y.b_end <= x.b_end
