"""Passage edges: where each passage of a pair starts and ends once its pieces are put together.

An edge moves out to its sentence's end where the rest of the sentence is an edit on both sides
(an outlet reworded the wire sentence's last words), and off a sentence end it reaches over by a
word or two (a seed running over a full stop) or into the outlet's template above or below its
story; a template line both sides print inside a passage parts it; a word or two at an edge that
text one side set off parts from the copy (a dateline's city beyond the agency's credit) goes;
the words past a copy's last that it ended inside of go; words two passages both claim at
their seam go to one of them. :mod:`dedup.align` calls :func:`_untangle`, then
:func:`_to_sentence_ends`, last.
"""

from __future__ import annotations

from itertools import islice, permutations

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import Positions
from .assemble import (
    _EDGE_WORDS,
    _EDIT_LENGTH,
    _SPACED,
    _WORD_SHARE,
    Alignment,
    _an_edit,
    _length,
    _overlap,
    _share_seeds,
    _word_share,
)
from .normalize import Normalized, PackedNormalized
from .seeds import Prepared

__all__: list[str] = []


def _to_sentence_ends(
    found: list[Alignment],
    docs: tuple[Prepared, Prepared],
    reach: int,
    fragment: int,
    min_length: int = 0,
    min_exact: int = 0,
) -> list[Alignment]:
    """Each passage's ends moved out to its sentences' ends where the rest of the sentence is an edit on both sides.

    A passage ends at its last seed, and an outlet that reworded the last words of a wire
    sentence ("said on Monday" / "said Monday") or its first leaves them out; the sentence is
    what was copied. An end moves when, on both sides, the sentence ends within ``reach``
    characters, the two stretches are an edit of each other (:func:`_an_edit`: like lengths,
    half their words in common), and no other passage of the pair lies in them. An outlet's own
    words before or after the copy (a lead-in clause, a closing attribution of its own) share no
    words with the other side's and stay out. Then each edge loses what it reaches over a sentence
    end (:func:`_off_the_breaks`, ``fragment``), its sentences of the source's template at either edge
    (:func:`_off_boilerplate`), a word or two beyond text one side set off (:func:`_off_lone_words`)
    and the words the copy ended inside of (:func:`_off_a_partial_word`), and is parted at template lines
    both sides print further in (:func:`_apart_at_templates`, ``min_length``, ``min_exact``).
    Documents prepared without their raw text have no sentence ends, and their passages stay as found.

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
    out: list[Alignment] = []
    for x in found:
        spans = [_side(x, 0), _side(x, 1)]
        others = [[_side(y, s) for y in found if y is not x] for s in (0, 1)]
        # The rest of each side's sentence after the passage, and before it.
        after = [_next_end(ends[s], spans[s][1]) for s in (0, 1)]
        moved_end = all(
            0 < after[s] - spans[s][1] <= reach and not _holds(others[s], spans[s][1], after[s]) for s in (0, 1)
        ) and _an_edit(texts[0][spans[0][1] : after[0]], texts[1][spans[1][1] : after[1]], _EDGE_WORDS)
        if moved_end:
            spans = [(spans[s][0], after[s]) for s in (0, 1)]
        before = [_sentence_start(ends[s], docs[s].spaces, spans[s][0]) for s in (0, 1)]
        moved_start = all(
            0 < spans[s][0] - before[s] <= reach and not _holds(others[s], before[s], spans[s][0]) for s in (0, 1)
        ) and _an_edit(texts[0][before[0] : spans[0][0]], texts[1][before[1] : spans[1][0]], _EDGE_WORDS)
        if moved_start:
            spans = [(before[s], spans[s][1]) for s in (0, 1)]
        # An edge just moved to a sentence's end holds that sentence, an edit of the copy on both
        # sides, however short: a sentence of a few characters (seven in Chinese) is not a seed's
        # overrun, and trimming it would undo the move.
        spans = _off_the_breaks(spans, docs, fragment, start=not moved_start, end=not moved_end)
        trimmed = [_off_boilerplate(spans[s], docs[s], fragment, reach) for s in (0, 1)]
        if trimmed != spans:
            # A word both sides held past a sentence end ("market. The") stayed as a copy going on
            # past the full stop; one side's sentence from it was its template ("The Morning Post
            # app ..."), now left out, and the other side's word is then a seed's overrun alone.
            trimmed = _off_the_breaks(
                trimmed, docs, fragment,
                start=not moved_start and (trimmed[0][0], trimmed[1][0]) != (spans[0][0], spans[1][0]),
                end=not moved_end and (trimmed[0][1], trimmed[1][1]) != (spans[0][1], spans[1][1]),
            )  # fmt: skip
        spans = _off_lone_words(trimmed, (docs[0].normalized, docs[1].normalized), reach, fragment)
        if fragment > 0:  # (as off the lone words: no seed, no overrun to undo)
            spans = _off_a_partial_word(spans, texts, start=not moved_start, end=not moved_end)
        pieces = _apart_at_templates(spans, docs, fragment, min_length, min_exact)
        seeds = _share_seeds(x.seeds, [min(e0 - s0, e1 - s1) for (s0, e0), (s1, e1) in pieces])
        out.extend(Alignment(a0, a1, b0, b1, n) for ((a0, a1), (b0, b1)), n in zip(pieces, seeds, strict=True))
    return out


def _apart_at_templates(
    spans: list[tuple[int, int]],
    docs: tuple[Prepared, Prepared],
    fragment: int,
    min_length: int,
    min_exact: int,
) -> list[list[tuple[int, int]]]:
    """A passage's two spans parted at the template lines both sides print inside it: the pieces, in order.

    Two outlets of one group or one CMS print their sign-offs (or a promotional line) at the same
    place of a wire story, and lines both print under them ("Related:" links to the same wire
    headlines) are shared text too: the passage ran from the story over the sign-off into the
    links. A template line (:func:`_template_line`) of each side inside the passage parts it there
    when the two lines stand at one place of the copy: the pieces before them, and after the last,
    are alike (:func:`_alike`: like lengths, shared wording). Lines of the two sides pair in order.
    Beside a piece of ``min_length`` characters, a piece is a passage from ``min_exact`` (the rest
    of a copy under a group's promotional line; a template line within ``reach`` of an edge already
    cut off what lies beyond it, :func:`_off_boilerplate`); when every piece is shorter than
    ``min_length``, the longest stays, and when none is ``min_exact`` long, the passage as found.

    Example (each outlet's sign-off left out as its boilerplate, three links under it):
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> from dedup.seeds import prepare
        >>> story = "The ministry said it had no plans to withdraw troops from the north before the vote. " * 2
        >>> heads = ("Oil edges up on supply fears", "Kuwait names a minister", "Turkey shells Erbil", "Basra reopens")
        >>> links = "\\n".join(f"Related: {h}" for h in heads)
        >>> def page(outlet):
        ...     raw = f"{story}\\n\\nFollow {outlet} on Twitter and Facebook for the latest news and views.\\n{links}"
        ...     n = normalize(raw)
        ...     plain = prepare(n, shingle(n.text, 5))
        ...     sign_off = n.text.index("follow"), n.text.index("related")
        ...     at = plain.starts[plain.seed_index]
        ...     common = np.sort(plain.seed_keys[(at >= sign_off[0]) & (at < sign_off[1])])
        ...     return prepare(n, shingle(n.text, 5), common=common, text=raw)
        >>> docs = (page("herald"), page("the times"))
        >>> texts = (docs[0].normalized.text, docs[1].normalized.text)
        >>> pieces = _apart_at_templates([(0, len(texts[0])), (0, len(texts[1]))], docs, 10, 60, 20)
        >>> [texts[0][a0:a1][-21:] for (a0, a1), _ in pieces], [texts[1][b0:b1][:16] for _, (b0, b1) in pieces]
        (['north before the vote', 'related basra reopens'], ['the ministry sai', 'related oil edge'])
    """
    lines = [_template_lines(docs[s], *spans[s], fragment) for s in (0, 1)]
    if not lines[0] or not lines[1]:
        return [spans]
    texts = (docs[0].normalized.text, docs[1].normalized.text)
    pieces: list[list[tuple[int, int]]] = []
    at = [spans[0][0], spans[1][0]]
    j = 0
    for line_a in lines[0]:
        for k in range(j, len(lines[1])):
            line_b = lines[1][k]
            if _alike(texts, (at[0], line_a[0]), (at[1], line_b[0])):
                pieces.append([(at[0], line_a[0]), (at[1], line_b[0])])
                lines_at = (line_a, line_b)
                at = [_sentence_start(docs[s].sentences, docs[s].spaces, lines_at[s][1] + 1) for s in (0, 1)]
                j = k + 1
                break
    pieces.append([(at[0], spans[0][1]), (at[1], spans[1][1])])
    if len(pieces) == 1:
        return pieces
    # The pieces before the lines are alike by the pairing; the last must be too: text after two
    # lines that are not at one place of the copy (a sign-off on one side, a line inside the copy
    # on the other) is no piece of it.
    alike = [True] * (len(pieces) - 1) + [_alike(texts, *pieces[-1])]
    lengths = [min(a1 - a0, b1 - b0) for (a0, a1), (b0, b1) in pieces]
    shortest = max(1, min(min_exact, min_length))
    kept = [n for n in range(len(pieces)) if alike[n] and lengths[n] >= shortest]
    if not kept:
        return [spans]  # (nothing of a passage's length parted off: the passage as found)
    if max(lengths[n] for n in kept) < min_length:
        return [pieces[max(kept, key=lengths.__getitem__)]]
    # Beside a piece of min_length, a shorter one is a passage as a near-verbatim piece is beside
    # a long one: from min_exact.
    return [pieces[n] for n in kept]


# Two stretches at one place of a copy, one a side, are of like lengths: the shorter at least this
# share of the longer (an outlet's copy cut by a third still is; half of it against the whole, not).
_SAME_PLACE = 2 / 3


def _alike(texts: tuple[str, str], a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether ``a`` of the first text and ``b`` of the second are one piece of a copy: like lengths, shared wording."""
    if min(a[1] - a[0], b[1] - b[0]) < _SAME_PLACE * max(a[1] - a[0], b[1] - b[0]):
        return False
    return _word_share(Alignment(a[0], a[1], b[0], b[1], 0), texts) >= _WORD_SHARE


def _template_lines(doc: Prepared, start: int, end: int, fragment: int) -> list[tuple[int, int]]:
    """The template lines (:func:`_template_line`) of ``doc`` in ``[start, end)``, over ``fragment`` from its edges."""
    marks, ends = _marks(doc), doc.sentences
    if marks is None or not len(ends):
        return []
    found = _template_lines_kernel(marks, ends, start + fragment, end - fragment)
    return [(int(ends[k - 1]), int(ends[k])) for k in found.tolist()]


@njit(cache=True, nogil=True)
def _template_lines_kernel(marks: _Marks, sentences: Positions, start: int, end: int) -> npt.NDArray[np.int64]:
    """The ``k`` whose sentence ``[sentences[k - 1], sentences[k])`` lies in ``(start, end)``, a template line."""
    out = []
    # (the first sentence end past ``start`` opens the first line that starts inside)
    for k in range(int(np.searchsorted(sentences, start, side="right")) + 1, len(sentences)):
        if sentences[k] >= end:
            break
        if _template_line(marks, sentences[k - 1], sentences[k]):
            out.append(k)
    return np.array(out, dtype=np.int64)


def _off_the_breaks(
    spans: list[tuple[int, int]],
    docs: tuple[Prepared, Prepared],
    fragment: int,
    *,
    start: bool = True,
    end: bool = True,
) -> list[tuple[int, int]]:
    """A passage's two spans without the word or two they reach over a sentence end at either edge.

    A seed is ``fragment`` non-space characters and may run over a sentence end or paragraph
    break: the end of one sentence and the start of the next match ("by." and "country." before
    the copied "Iraqi ..."; "The" opening the next paragraph in both), and widening to whole words
    takes in the word. Where a sentence ends within ``fragment`` characters of the passage's edge,
    the edge moves to that sentence end, on each side where it does, unless both sides hold the
    same words beyond it (a copy that goes on a word past a full stop): what lies beyond it is too
    short to be any seed's own. Where a sentence ends on one side only, the same words are those
    at the other side's edge: a line break inside the copy (a text wrapped at a width, as OCR and
    e-texts are, with a word hyphenated over it) is no edge of it. ``start`` and ``end`` say which
    edges are looked at.

    Example:
        >>> from dedup.normalize import normalize
        >>> from dedup.seeds import prepare
        >>> from dedup.shingle import shingle
        >>> copy = "the ministry said it had no plans to withdraw troops from the country"
        >>> raw = (f"Seen by. {copy}. The end", f"A plain country. {copy}. The rest of it")
        >>> docs = tuple(prepare(n, shingle(n.text, 5), text=t) for n, t in ((normalize(t), t) for t in raw))
        >>> (a0, a1), (b0, b1) = _off_the_breaks([(5, 81), (8, 88)], docs, 10)
        >>> texts = (docs[0].normalized.text, docs[1].normalized.text)
        >>> texts[0][a0:a1] == texts[1][b0:b1] == copy
        True
    """
    ends = (docs[0].sentences, docs[1].sentences)
    texts = (docs[0].normalized.text, docs[1].normalized.text)
    first = [_next_end(ends[s], spans[s][0] + 1) for s in (0, 1)]
    near = [start and first[s] - spans[s][0] <= fragment and first[s] < spans[s][1] - fragment for s in (0, 1)]
    bits = [texts[s][spans[s][0] : first[s]].strip() for s in (0, 1)]
    # The same words: whole ones on both sides. In a script written without spaces an edge is
    # not widened to a word, and the characters a seed ran over are alike by the match alone
    # ("る。" ending two unrelated Japanese sentences before the copy).
    whole = all(spans[s][0] == 0 or texts[s][spans[s][0] - 1] == " " for s in (0, 1))
    if any(near) and not (whole and _the_same_beyond(near, bits, texts, spans, at_end=False)):
        starts = [_sentence_start(ends[s], docs[s].spaces, first[s] + 1) if near[s] else spans[s][0] for s in (0, 1)]
        spans = [(starts[s], spans[s][1]) for s in (0, 1)]
    last = [_last_end(ends[s], spans[s][1]) for s in (0, 1)]
    near = [end and spans[s][1] - last[s] <= fragment and last[s] > spans[s][0] + fragment for s in (0, 1)]
    bits = [texts[s][last[s] : spans[s][1]].strip() for s in (0, 1)]
    whole = all(spans[s][1] == len(texts[s]) or texts[s][spans[s][1]] == " " for s in (0, 1))
    if any(near) and not (whole and _the_same_beyond(near, bits, texts, spans, at_end=True)):
        spans = [(spans[s][0], last[s]) if near[s] else spans[s] for s in (0, 1)]
    return spans


# How far from an edge its words are looked for (characters): a word or two.
_WORD_REACH = 60


def _off_a_partial_word(
    spans: list[tuple[int, int]], texts: tuple[str, str], *, start: bool = True, end: bool = True
) -> list[tuple[int, int]]:
    """A passage's two spans without the words at an edge that the copy ended inside of.

    Seeds skip spaces, so a copy's last seed runs a letter or two into the next word, and each
    side's end goes to the nearer end of that word, on each side alone (``dedup.group._widen``):
    "... says Defense Secretary Austin" followed by "Veq ..." on one side and "Vttj ..." on the
    other ended with "Veq" on the first and at "Austin" on the second, and followed by "Azq" and
    "Axa", with each. Where the words before them are the copy's last on both sides, and the two
    words beyond (in the passage or not) begin alike for less than half the longer (at a start:
    end alike), the copy ended inside them: the passage leaves them out. Words alike for half or
    more ("report" / "reports", "said" / "says") are the copy's word, edited, and stay. ``start``
    and ``end`` say which edges are looked at.

    Example:
        >>> texts = ("by defense secretary austin ojx uxn", "by defense secretary austin ojtvisusr zwb")
        >>> _off_a_partial_word([(3, 31), (3, 27)], texts)
        [(3, 27), (3, 27)]
        >>> texts = ("by defense secretary austin azq uxn", "by defense secretary austin axa zwb")
        >>> _off_a_partial_word([(3, 31), (3, 31)], texts)
        [(3, 27), (3, 27)]
        >>> texts = ("by defense secretary austin says uxn", "by defense secretary austin said zwb")
        >>> _off_a_partial_word([(3, 32), (3, 32)], texts)  # (an edit of the copy's word: it stays)
        [(3, 32), (3, 32)]
    """
    spans = list(spans)
    for at_end in (False, True):
        if not (end if at_end else start):
            continue
        if _first_words_alike(texts, spans, at_end=at_end):
            continue  # (most edges of a copy: the same word ends it on both sides)
        found = [_edge_words(texts[s], *spans[s], _WORD_REACH, at_end=at_end, most=2) for s in (0, 1)]
        words = [[w for w, _, _ in side] for side in found]
        if len(words[0]) < 2 or len(words[1]) < 2 or words[0][0] == words[1][0]:
            continue
        if words[0][1] == words[1][0] or words[1][1] == words[0][0]:  # (one side holds a word beyond the copy's last)
            side = 0 if words[0][1] == words[1][0] else 1
            nearest = _word_beyond(texts[1 - side], spans[1 - side], at_end=at_end)
            if nearest is None:
                continue
            beyond, cut = ((words[0][0], nearest) if side == 0 else (nearest, words[1][0])), [side]
        elif words[0][1] == words[1][1]:  # (both do)
            beyond, cut = (words[0][0], words[1][0]), [0, 1]
        else:
            continue
        alike = _alike_letters(*beyond, at_end=at_end)
        if 0 < alike < max(map(len, beyond)) / 2:
            for s in cut:
                edge = found[s][1][1]  # (the copy's last word's edge)
                spans[s] = (spans[s][0], edge) if at_end else (edge, spans[s][1])
    return spans


def _first_words_alike(texts: tuple[str, str], spans: list[tuple[int, int]], *, at_end: bool) -> bool:
    """Whether an edge's first word (:func:`_edge_words`, ``_WORD_REACH``) is alike on both sides, or missing on one."""
    first: list[str] = []
    for text, (start, end) in zip(texts, spans, strict=True):
        low, high = _edge_window(start, end, _WORD_REACH, at_end=at_end)
        words = text[low:high].rsplit(None, 1)[-1:] if at_end else text[low:high].split(None, 1)[:1]
        if not words:
            return True
        first.append(words[0])
    return first[0] == first[1]


def _word_beyond(text: str, span: tuple[int, int], *, at_end: bool) -> str | None:
    """The word just past ``span``'s end (or before its start), when the span ends (starts) at a word's edge."""
    low, high = span
    whole = high < len(text) and text[high] == " " if at_end else low > 1 and text[low - 1] == " "
    if not whole:
        return None  # (no word's edge: a script written without spaces, or the text's end)
    if at_end:
        found = _edge_words(text, high, len(text), _WORD_REACH, at_end=False, most=1)  # (from the span's end on)
    else:
        found = _edge_words(text, 0, low, _WORD_REACH, at_end=True, most=1)  # (from its start back)
    return found[0][0] if found else None


def _alike_letters(a: str, b: str, *, at_end: bool) -> int:
    """How many letters ``a`` and ``b`` begin with alike (``at_end``), or end with alike."""
    if not at_end:
        a, b = a[::-1], b[::-1]
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _the_same_beyond(
    near: list[bool], bits: list[str], texts: tuple[str, str], spans: list[tuple[int, int]], *, at_end: bool
) -> bool:
    """Whether the words beyond a sentence end near an edge are the same on both sides.

    Where a sentence ends near the edge on both sides, the words beyond each (``bits``) are
    compared. Where it ends on one side only, the words beyond it are compared with the other
    side's edge, letter for letter (spaces aside: "одн ом доме", a word hyphenated over a line
    break, is "одном доме"): the same letters there are the copy going on past a break of one
    side's own, not a seed's overrun into each side's own words.
    """
    if all(near):
        return bits[0] == bits[1]
    side = 0 if near[0] else 1
    letters = bits[side].replace(" ", "")
    if not letters:
        return False
    low, high = spans[1 - side]
    reach = 2 * len(bits[side]) + 1  # (as many letters as the bit holds, whatever spaces lie among them)
    other = texts[1 - side][max(low, high - reach) : high] if at_end else texts[1 - side][low : low + reach]
    edge = other.replace(" ", "")
    return edge.endswith(letters) if at_end else edge.startswith(letters)


# A lone piece at a passage's edge is at most this many words (a dateline's city: "Dera Ismail Khan").
_LONE_WORDS = 3


def _off_lone_words(
    spans: list[tuple[int, int]], normalized: tuple[_Offsets, _Offsets], reach: int, fragment: int
) -> list[tuple[int, int]]:
    """A passage's two spans without a word or two at an edge that text one side set off parts from the copy.

    An outlet that runs an agency story keeps the dateline's city and drops the agency's credit
    ("QUETTA: Pakistan's army ..." against "QUETTA, Jun 18 (Reuters) - Pakistan's army ...";
    "بغداد - " against "بغداد (رويترز) - "), or prints the agency's name under the copy where
    the agency printed its sign-off and then its name: the city matched, and the passage held the
    credit between it and the copy, too short for the kernel's ``trim`` to part them. At either
    edge, the words both sides hold alike (at most ``_LONE_WORDS``) are left out when, before the
    copy goes on alike (a run of ``fragment`` characters or more, within ``reach``), one side holds
    text longer than them, set off by punctuation or a line break at both its ends (a credit, a
    dateline, a sign-off: no words of a sentence), and the other side nothing, or a stretch under
    ``_EDIT_LENGTH`` of that (text one side added, not an edit of the copy): they bring fewer
    shared characters than the unshared ones they take in. Where the copy goes on after an edit
    of like length on both sides ("December 19:" / "Dec 19 (Reuters) -"), or after words inserted
    into a sentence, the words stay. Where the other side's copy goes on from its very edge
    further in on one side (a headline's last words the lead repeats below a dateline), that side
    alone moves.

    Example:
        >>> from dedup.normalize import normalize
        >>> copy = "Pakistan's army said on Thursday"
        >>> raw = (f"QUETTA, Jun 18 (Reuters) - {copy}", f"QUETTA: {copy}")
        >>> normalized = (normalize(raw[0]), normalize(raw[1]))
        >>> texts = (normalized[0].text, normalized[1].text)
        >>> (a0, a1), (b0, b1) = _off_lone_words([(0, len(texts[0])), (0, len(texts[1]))], normalized, 100, 10)
        >>> texts[0][a0:a1], texts[1][b0:b1]
        ('pakistan s army said on thursday', 'pakistan s army said on thursday')
        >>> raw = (f"Sylhet, Dec 19 (Reuters) - {copy}", f"Sylhet, December 19: {copy}")  # an edit: it stays
        >>> normalized = (normalize(raw[0]), normalize(raw[1]))
        >>> _off_lone_words([(0, len(normalized[0].text)), (0, len(normalized[1].text))], normalized, 100, 10)
        [(0, 54), (0, 51)]
    """
    if fragment <= 0:
        return spans  # (no copy goes on for a seed's length of nothing: no edge is trimmed, as off the breaks)
    texts = (normalized[0].text, normalized[1].text)
    for at_end in (False, True):
        if not _may_hold_lone_words(texts, spans, reach, at_end=at_end):
            continue  # (most edges: no word alike, or more than a lone piece holds)
        words = [_edge_words(texts[s], *spans[s], reach, at_end=at_end) for s in (0, 1)]
        cut = _lone_cut(words, normalized, fragment, reach, at_end=at_end)
        if cut is not None:
            spans = [(spans[s][0], cut[s]) if at_end else (cut[s], spans[s][1]) for s in (0, 1)]
    return spans


def _may_hold_lone_words(texts: tuple[str, str], spans: list[tuple[int, int]], reach: int, *, at_end: bool) -> bool:
    """Whether an edge's first words (:func:`_edge_words`) are alike for one to ``_LONE_WORDS``, then differ.

    A cheap bound before :func:`_edge_words`, on the same words without their offsets: most edges
    of a passage differ at their first word, or hold more words alike than a lone piece.
    """
    words = []
    for text, (start, end) in zip(texts, spans, strict=True):
        low, high = _edge_window(start, end, reach, at_end=at_end)
        # The words _edge_words finds (runs of what is not a space), the first few from the edge:
        # _lone_count reads no further than a lone piece and the word after it.
        if at_end:
            words.append(text[low:high].rsplit(None, _LONE_WORDS + 1)[: -_LONE_WORDS - 2 : -1])
        else:
            words.append(text[low:high].split(None, _LONE_WORDS + 1)[: _LONE_WORDS + 1])
    return _lone_count(*words) > 0


def _edge_window(start: int, end: int, reach: int, *, at_end: bool) -> tuple[int, int]:
    """Where an edge's words are looked for: within twice ``reach`` of it, inside ``[start, end)``."""
    return (max(start, end - 2 * reach), end) if at_end else (start, min(end, start + 2 * reach))


def _lone_count(a: list[str], b: list[str]) -> int:
    """How many first words ``a`` and ``b`` hold alike, when they are a lone piece (one to ``_LONE_WORDS``, and
    then both go on, differently); else 0."""
    k = 0
    while k < min(len(a), len(b), _LONE_WORDS + 1) and a[k] == b[k]:
        k += 1
    return k if 0 < k <= _LONE_WORDS and k < min(len(a), len(b)) else 0


def _edge_words(
    text: str, start: int, end: int, reach: int, *, at_end: bool, most: int | None = None
) -> list[tuple[str, int, int]]:
    """The words of ``text[start:end]`` within twice ``reach`` of one edge, from that edge in (the first ``most``).

    Each word is (word, its edge nearer the passage's edge, its other edge) in the text's offsets.
    """
    low, high = _edge_window(start, end, reach, at_end=at_end)
    if not at_end:
        return [(m.group(), m.start(), m.end()) for m in islice(_SPACED.finditer(text, low, high), most)]
    # From the end, the words of a stretch before it that holds more than ``most`` of them: its
    # first word may be cut by the stretch's start, the ones after it are whole. (Every passage's
    # two edges are looked at for their first words: the whole window's words cost more.)
    found: list[tuple[str, int, int]] = []
    size = 16 * max(most, 1) if most is not None else high - low
    while True:
        at = max(low, high - size)
        found = [(m.group(), m.start(), m.end()) for m in _SPACED.finditer(text, at, high)]
        if at == low or (most is not None and len(found) > most):
            break
        size *= 2
    return [(w, e, s) for w, s, e in reversed(found)][:most]


def _lone_cut(
    words: list[list[tuple[str, int, int]]],
    normalized: tuple[_Offsets, _Offsets],
    fragment: int,
    reach: int,
    *,
    at_end: bool,
) -> tuple[int, int] | None:
    """Where each side's edge goes when its first ``words`` (:func:`_edge_words`) are a lone piece, else None."""
    a, b = words
    k = _lone_count([w for w, _, _ in a], [w for w, _, _ in b])
    if not k:
        return None
    lone = abs(a[k - 1][2] - a[0][1])
    places: dict[str, list[int]] = {}
    for j in range(k, len(b)):
        places.setdefault(b[j][0], []).append(j)
    # The nearest place past the lone words where the copy goes on alike for a seed's length.
    best: tuple[int, int, int, int] | None = None  # (what both sides skip, i, j, what a skips)
    for i in range(k, len(a)):
        skip_a = _skipped(a, k, i)
        if skip_a > reach or (best is not None and skip_a >= best[0]):
            break
        for j in places.get(a[i][0], ()):
            skip_b = _skipped(b, k, j)
            if skip_b > reach or (best is not None and skip_a + skip_b >= best[0]):
                break
            if _goes_on(a, b, i, j, fragment):
                best = (skip_a + skip_b, i, j, skip_a)
                break
    if best is None:
        return None
    total, i, j, skip_a = best
    # The other side's copy may go on from its very edge further in on this side, past the lone
    # words (a headline's last words that the lead below a dateline repeats): this side alone moves.
    for n in range(k, i + 1):
        if _run(a, b, n, 0) > k and _goes_on(a, b, n, 0, fragment):
            return a[n][1], b[0][1]
    for n in range(k, j + 1):
        if _run(a, b, 0, n) > k and _goes_on(a, b, 0, n, fragment):
            return a[0][1], b[n][1]
    skips = (skip_a, total - skip_a)
    side = 0 if skips[0] >= skips[1] else 1
    if skips[side] <= lone or skips[1 - side] >= _EDIT_LENGTH * skips[side]:
        return None  # (what the lone words bring is more than what parts them, or the stretches are an edit)
    # The inserted text is set off at both its ends: a credit, a dateline, a sign-off.
    ours, at = words[side], (i, j)[side]
    seams = (ours[at][1], ours[k][1]) if at_end else (ours[k - 1][2], ours[at - 1][2])
    if not all(_break_after(normalized[side], e) for e in seams):
        return None
    return a[i][1], b[j][1]


def _break_after(normalized: _Offsets, end: int) -> bool:
    """Whether the word ending at ``end`` is followed by a break: more than a space before the next, in the raw text."""
    text = normalized.text
    return 0 < end < len(text) and text[end] == " " and normalized.offset(end + 1) - normalized.offset(end - 1) > 2


def _skipped(words: list[tuple[str, int, int]], k: int, i: int) -> int:
    """The characters of the words between the ``k``-th and the ``i``-th of ``words`` (:func:`_edge_words`)."""
    return max(0, abs(words[i][1] - words[k - 1][2]) - 2)


def _run(a: list[tuple[str, int, int]], b: list[tuple[str, int, int]], i: int, j: int) -> int:
    """How many words ``a`` from its ``i``-th word and ``b`` from its ``j``-th hold alike."""
    n = 0
    while i + n < len(a) and j + n < len(b) and a[i + n][0] == b[j + n][0]:
        n += 1
    return n


def _goes_on(a: list[tuple[str, int, int]], b: list[tuple[str, int, int]], i: int, j: int, fragment: int) -> bool:
    """Whether ``a`` from its ``i``-th word and ``b`` from its ``j``-th hold alike ``fragment`` characters or more."""
    n = _run(a, b, i, j)
    return n > 0 and abs(a[i + n - 1][2] - a[i][1]) >= fragment


# A line of an outlet's template: this share of its letters and this many of them its source's
# boilerplate (a sign-off, "Follow us on ..."; a header with a time stamp in it is less).
_TEMPLATE_SHARE = 0.9
_TEMPLATE_LETTERS = 30


# A prepared document's arrays that say which of its letters are its source's boilerplate: its
# n-grams' starts, ends and ranks, which ranks are scored (``Prepared.scored``: not boilerplate),
# and where its spaces are. One tuple, so that the compiled checks take them as one argument.
_Marks = tuple[Positions, Positions, npt.NDArray[np.int32], npt.NDArray[np.bool_], Positions]


def _marks(doc: Prepared) -> _Marks | None:
    """``doc``'s :data:`_Marks` (None when it was prepared without its source's boilerplate)."""
    return None if doc.scored is None else (doc.starts, doc.ends, doc.ranks, doc.scored, doc.spaces)


@njit(cache=True, nogil=True)
def _covered_letters(marks: _Marks, start: int, end: int) -> tuple[int, int]:
    """Letters of ``[start, end)`` inside n-grams not scored (merged in order of starts), and all its letters."""
    starts, ends, ranks, scored, spaces = marks
    first = np.searchsorted(ends, start, side="right")
    covered = 0
    lo, hi = -1, -1  # the merged stretch of boilerplate n-grams being laid
    for i in range(first, len(starts)):
        if starts[i] >= end:
            break
        if scored[ranks[i]]:
            continue
        s, e = max(int(starts[i]), start), min(int(ends[i]), end)
        if s > hi:
            if hi > lo:
                covered += _letters(spaces, lo, hi)
            lo, hi = s, e
        else:
            hi = max(hi, e)
    if hi > lo:
        covered += _letters(spaces, lo, hi)
    return covered, _letters(spaces, start, end)


@njit(cache=True, nogil=True)
def _letters(spaces: Positions, start: int, end: int) -> int:
    """The characters of ``[start, end)`` that are not spaces (``spaces``: the sorted positions of the spaces)."""
    return end - start - int(np.searchsorted(spaces, end) - np.searchsorted(spaces, start))


def _off_boilerplate(span: tuple[int, int], doc: Prepared, fragment: int, reach: int) -> tuple[int, int]:
    """One side's span without the sentences at its edges that are mostly its source's boilerplate.

    A seed that runs from the last words of a copy over a paragraph break into the sign-off below
    it ("higher ground. Follow us on ..."), or from a header line into the dateline below it, takes
    the passage into the outlet's template, which both outlets may print alike (a group's sites,
    one CMS). An outlet's template sits above or below its story: the part of an edge sentence
    inside the passage is left out when that sentence, whole, is mostly boilerplate
    (:func:`_boilerplate`) and so is all the text from it to the document's end (from the
    document's start, for the first sentence), as long as more than ``fragment`` characters of the
    passage stay. A frequent phrase of a source inside its text (most of a short line of a web
    page, "for more information") is no template, and stays. A template line (:func:`_template_line`)
    within ``reach`` of an edge, with the passage going on past it, ends the passage before it (or
    starts it after it).

    Example (the sign-off's seeds left out, as its source's boilerplate would be):
        >>> from dedup.normalize import normalize
        >>> from dedup.shingle import shingle
        >>> from dedup.seeds import prepare
        >>> raw = "The ministry said it had no plans to withdraw.\\n\\nFollow us on Twitter and Facebook"
        >>> n = normalize(raw)
        >>> plain = prepare(n, shingle(n.text, 5))
        >>> common = np.sort(plain.seed_keys[plain.starts[plain.seed_index] >= n.text.index("follow")])
        >>> doc = prepare(n, shingle(n.text, 5), common=common, text=raw)
        >>> start, end = _off_boilerplate((0, len(n.text)), doc, 10, 100)
        >>> n.text[start:end]
        'the ministry said it had no plans to withdraw'
    """
    marks, ends = _marks(doc), doc.sentences
    if marks is None or not len(ends):
        return span
    start, end = _off_boilerplate_kernel(marks, ends, len(doc.normalized.text), span[0], span[1], fragment, reach)
    return int(start), int(end)


# One compiled call a side of each passage reported: the sentences' checks, in Python, were a call
# into the compiled n-gram counts each.
@njit(cache=True, nogil=True)
def _off_boilerplate_kernel(
    marks: _Marks, sentences: Positions, length: int, start: int, end: int, fragment: int, reach: int
) -> tuple[int, int]:
    """:func:`_off_boilerplate` over a prepared document's arrays (``sentences``: its sentence ends)."""
    spaces = marks[4]
    # A template line within ``reach`` of an edge, with the passage going on past it (lines under
    # the sign-off that both outlets print, such as links to the same wire headlines): the passage
    # ends before it, and starts after one above it.
    for k in range(max(1, int(np.searchsorted(sentences, end - reach, side="left"))), len(sentences)):
        if sentences[k] >= end - fragment:
            break
        if sentences[k - 1] > start + fragment and _template_line(marks, sentences[k - 1], sentences[k]):
            end = sentences[k - 1]
            break
    for k in range(int(np.searchsorted(sentences, start + reach, side="right")) - 1, 0, -1):
        if sentences[k - 1] <= start + fragment:
            break
        if sentences[k] < end - fragment and _template_line(marks, sentences[k - 1], sentences[k]):
            start = _sentence_start(sentences, spaces, sentences[k] + 1)
            break
    while True:
        k = int(np.searchsorted(sentences, end, side="left"))
        last = sentences[k - 1] if k else -1
        if last <= start + fragment:
            break
        following = sentences[min(k, len(sentences) - 1)]
        if not _boilerplate(marks, last, max(end, following)):
            break
        if not _boilerplate(marks, last, length):
            break
        end = last
    while True:
        first = sentences[min(int(np.searchsorted(sentences, start + 1, side="left")), len(sentences) - 1)]
        if first >= end - fragment:
            break
        if not _boilerplate(marks, _sentence_start(sentences, spaces, start), first):
            break
        if not _boilerplate(marks, 0, first):
            break
        start = _sentence_start(sentences, spaces, first + 1)
    return start, end


@njit(cache=True, nogil=True)
def _boilerplate(marks: _Marks, start: int, end: int) -> bool:
    """Whether most of the letters of ``[start, end)`` are its source's boilerplate (``marks``: :data:`_Marks`).

    Boilerplate here is what the document's n-grams say of it (``Prepared.scored``): the n-grams
    of the character seeds left out as the source's template, sign-off or dateline. Letters are
    the characters that are not spaces (``Prepared.spaces``); an empty stretch has none.
    """
    covered, letters = _covered_letters(marks, start, end)
    return letters > 0 and 2 * covered > letters


@njit(cache=True, nogil=True)
def _template_line(marks: _Marks, start: int, end: int) -> bool:
    """Whether ``[start, end)`` is a line of its source's template (``_TEMPLATE_*``; ``marks``: :data:`_Marks`)."""
    covered, letters = _covered_letters(marks, start, end)
    return letters >= _TEMPLATE_LETTERS and covered >= _TEMPLATE_SHARE * letters


@njit(cache=True, nogil=True)
def _sentence_start(sentences: Positions, spaces: Positions, at: int) -> int:
    """Where the sentence holding ``at`` starts: past the last sentence end before it, and its space.

    ``sentences``: the text's sentence ends; ``spaces``: the positions of its spaces.
    """
    k = int(np.searchsorted(sentences, at, side="left"))
    if k == 0:
        return 0
    start = int(sentences[k - 1])
    if start < at:
        n = int(np.searchsorted(spaces, start, side="left"))
        if n < len(spaces) and spaces[n] == start:
            return start + 1
    return start


def _last_end(ends: Positions, at: int) -> int:
    """The last sentence end before ``at`` (-1 if none)."""
    k = int(ends.searchsorted(at))  # (the method: np.searchsorted's dispatch cost more than the search)
    return int(ends[k - 1]) if k else -1


def _next_end(ends: Positions, at: int) -> int:
    """The first sentence end at or after ``at`` (the text's end is the last of ``ends``)."""
    return int(ends[min(int(ends.searchsorted(at)), len(ends) - 1)])


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
