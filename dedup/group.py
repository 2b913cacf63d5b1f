"""Groups: chains of seeds (:mod:`dedup.chain`) turned into passages, in numba kernels.

Chains are grouped by splitting them alternately along a and along b wherever more than
``abut`` characters separate them: a copy whose words were shuffled leaves its seeds scattered over
one rectangle, too sparse to chain but without a gap on either side. Groups too short, with too
few seeds, or too sparse on either side are dropped; the ends of the rest are trimmed of lone
seeds and moved to word boundaries. :func:`_passages_of` is one pass of the whole: a bound on
what the seeds could make, then chains, cuts and groups.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import Positions, stable_order
from .chain import _MOVED, _chain, _meet, _split_occupied

__all__: list[str] = []


class Rules(NamedTuple):
    """What makes a passage, as the compiled passes take it: :class:`~dedup.seeds.AlignParams` in the pair's letters.

    One argument where there were eight (numba passes a named tuple whole); built by
    ``dedup.align._rules`` and, a pair at a time, by the batch kernel (:mod:`dedup.batch`).
    ``abut`` is the grouping's (capped for shuffled words), ``trim`` twice ``seed_length``.
    """

    gap: int
    abut: int
    min_seeds: int
    min_length: int
    min_exact: int
    min_density: float
    exact_density: float
    trim: int


class Layout(NamedTuple):
    """One side's text as a passage's ends are moved to its words: its spaces, its breaks, its length."""

    spaces: Positions
    breaks: Positions
    length: int


# A little slack on the float tests of the density bounds (here and dedup.bound): a bound must
# never say no where the passes' own check says yes.
_SLACK = 1e-9


# Lone seeds at a near-verbatim group's end go when they cover less than this share of the stretch
# they reach over: a sentence an outlet edited word by word (spelling, spacing) keeps more of its
# words matched than that, words shared by chance far fewer.
_LONE_SHARE = 0.5
# A loose group (below exact_density) whose seeds cover this share of it on both sides is an
# edited copy on that evidence alone: half the text matched in runs of seed_length is no chance
# meeting of a story's words, which lie scattered. Below it, a loose group must rest on rare seeds
# (min_density of them). Rarity alone would lose a copy every outlet edited its own way once
# several outlets of a small corpus ran it: its words are then in too many of the documents.
_LOOSE_DENSITY = 0.5
# A sentence of news: this share (_SENTENCE_UNDER / _SENTENCE_OVER) of min_length or longer, 100
# characters at the default. In a pair of news length one counts alone when its n-grams are alike
# (dedup.align), near-verbatim or edited: under it, one shared piece is as likely a phrase two
# reporters both wrote.
_SENTENCE_UNDER, _SENTENCE_OVER = 2, 3
# In a loose group (below exact_density) lone matches at an end go only when, besides, they are no
# edit of the copy: one word, words in another order on the other side, or a stretch there less
# than this share of the stretch on this side (the words a reworded sentence keeps lie in one
# order, over sentences of like length). See _drop_lone_ends for the rest of the rule.
_EDIT_SHARE = 0.3


# Segments of at most this many chains are sorted in place by insertion; longer ones by argsort.
_INSERTION = 32


@njit(cache=True, nogil=True)
def _sort_segment(idx: npt.NDArray[np.int64], first: int, last: int, key: npt.NDArray[np.int64]) -> None:
    """``idx[first:last]`` sorted by ``key[idx]``, stable, in place.

    Most segments hold a few chains, already in order or nearly: an insertion sort in place
    spares the two arrays an argsort allocates for each (which were most of the grouping's time).
    """
    if last - first > _INSERTION:
        seg = idx[first:last]
        idx[first:last] = seg[stable_order(key[seg])]
        return
    for k in range(first + 1, last):
        x = idx[k]
        v = key[x]
        q = k - 1
        while q >= first and key[idx[q]] > v:
            idx[q + 1] = idx[q]
            q -= 1
        idx[q + 1] = x


# Verbatim chains of a group (``_VERBATIM`` seeds a character along a, or more) that claim more
# than this share of the stretch they cover along one side twice, and at most ``_SEAM``
# characters along the other (their seeds may overlap where they meet), lie over the same text of
# one document matched twice: the other document prints it twice.
_OVERLAP = 0.2
_SEAM = 20
_VERBATIM = 0.5


@njit(cache=True, nogil=True)
def _verbatim(
    c: int, sizes: npt.NDArray[np.int64], lo_a: npt.NDArray[np.int64], hi_a: npt.NDArray[np.int64], min_seeds: int
) -> bool:
    """Whether chain ``c`` is verbatim copy: ``min_seeds`` seeds or more, and ``_VERBATIM`` a character along a."""
    return bool(sizes[c] >= min_seeds and sizes[c] >= _VERBATIM * (hi_a[c] - lo_a[c]))


@njit(cache=True, nogil=True)
def _claimed_twice(lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64]) -> tuple[int, int]:
    """Characters that intervals (at least one) claim twice, their summed extents less what they cover; and that."""
    covered = _covered(lo, hi)
    return int((hi - lo).sum()) - covered, covered


@njit(cache=True, nogil=True)
def _printings(
    idx: npt.NDArray[np.int64],
    first: int,
    last: int,
    lo_a: npt.NDArray[np.int64],
    hi_a: npt.NDArray[np.int64],
    lo_b: npt.NDArray[np.int64],
    hi_b: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    min_seeds: int,
) -> bool:
    """Whether a group that splits no further holds two printings of one text (see ``_OVERLAP``).

    The chains of a shuffled copy interleave on both sides; a headline followed by the lead it
    repeats matches the other document's lead twice, and the two only meet along their own side.
    """
    count = 0
    for k in range(first, last):
        count += _verbatim(idx[k], sizes, lo_a, hi_a, min_seeds)
    if count < 2:  # (most groups: no allocation below)
        return False
    verbatim = np.empty(count, dtype=np.int64)
    count = 0
    for k in range(first, last):
        if _verbatim(idx[k], sizes, lo_a, hi_a, min_seeds):
            verbatim[count] = idx[k]
            count += 1
    twice_b, covered_b = _claimed_twice(lo_b[verbatim], hi_b[verbatim])
    over_b = twice_b > _OVERLAP * covered_b
    if not over_b and twice_b > _SEAM:
        return False
    twice_a, covered_a = _claimed_twice(lo_a[verbatim], hi_a[verbatim])
    over_a = twice_a > _OVERLAP * covered_a
    return (over_b and twice_a <= _SEAM) or (over_a and twice_b <= _SEAM)


@njit(cache=True, nogil=True)
def _tile_chains(
    lo_a: npt.NDArray[np.int64],
    hi_a: npt.NDArray[np.int64],
    lo_b: npt.NDArray[np.int64],
    hi_b: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    abut: int,
    min_seeds: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Alternate splits of the chains along a and b at gaps wider than ``abut``, in place.

    A group that splits no further but holds two printings of one text (:func:`_printings`) comes
    out chain by chain.

    Returns the chain order and the [start, end) bounds in it of each final group that holds at
    least ``min_seeds`` seeds (smaller groups could only be dropped later).
    """
    n = len(lo_a)
    idx = np.arange(n)
    if n == 0:
        return idx, np.empty((0, 2), dtype=np.int64)
    # Segments waiting (a stack) and final groups: the segments split [0, n) into a tree of at
    # most 2n - 1 nodes, so neither array outgrows 2n.
    stack = np.empty((2 * n + 1, 2), dtype=np.int64)
    stack[0, 0], stack[0, 1] = 0, n
    top = 1
    out = np.empty((n + 1, 2), dtype=np.int64)
    groups = 0
    while top > 0:
        top -= 1
        first, last = stack[top, 0], stack[top, 1]
        split = False
        for side in range(2):
            lo = lo_a if side == 0 else lo_b
            hi = hi_a if side == 0 else hi_b
            _sort_segment(idx, first, last, lo)
            reach = hi[idx[first]]
            begin = first
            for k in range(first + 1, last):
                if lo[idx[k]] > reach + abut:
                    stack[top, 0], stack[top, 1] = begin, k
                    top += 1
                    begin = k
                    split = True
                reach = max(reach, hi[idx[k]])
            if split:
                stack[top, 0], stack[top, 1] = begin, last
                top += 1
                break
        if not split and _printings(idx, first, last, lo_a, hi_a, lo_b, hi_b, sizes, min_seeds):
            for k in range(first, last):  # each printing, and each chain with it, a group of its own
                out[groups, 0], out[groups, 1] = k, k + 1
                groups += 1
        elif not split:
            out[groups, 0], out[groups, 1] = first, last
            groups += 1
    bounds = np.empty((groups, 2), dtype=np.int64)
    kept = 0
    for g in range(groups):
        first, last = out[g, 0], out[g, 1]
        if sizes[idx[first:last]].sum() >= min_seeds:
            bounds[kept, 0], bounds[kept, 1] = first, last
            kept += 1
    return idx, bounds[:kept]


@njit(cache=True, nogil=True)
def _group_passages(
    chains: npt.NDArray[np.int64],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    rare: npt.NDArray[np.bool_],
    layout_a: Layout,
    layout_b: Layout,
    rules: Rules,
    held_a: npt.NDArray[np.int64],
    held_b: npt.NDArray[np.int64],
    repeats: bool = False,
) -> npt.NDArray[np.int64]:
    """Seeds grouped into passages: rows of (a_start, a_end, b_start, b_end, seeds, short).

    A copy whose words or sentences were shuffled does not chain into one piece (its seeds are
    scattered over the whole rectangle, too sparse for single linkage) but its chains, singletons
    included, leave no gap wider than ``abut`` along either document: chains are split alternately
    along a and along b at such gaps until no group splits (:func:`_tile_chains`). A group is kept
    if it has ``min_seeds`` seeds and its seeds cover ``min_density`` of it on both sides (then
    ``short`` is 0) or, from ``min_exact`` up to ``min_length`` characters, ``exact_density``
    (``short`` 1 when at least half its seeds are rare in the corpus, else 2), or, from two thirds
    of ``min_length`` up to it, half of it (``short`` 3: an edited sentence, which ``dedup.align``
    keeps only as all a pair shares). Spans are widened to whole words. ``held_a``, ``held_b``:
    where the seeds held out of this pass (repeated keys) start; ``repeats``: whether this is the
    pass over repeated keys (``dedup.align._two_passes``).
    """
    _, abut, min_seeds, min_length, min_exact, min_density, exact_density, trim = rules
    n = len(chains)
    count = chains.max() + 1 if n else 0
    first = np.zeros(count + 1, dtype=np.int64)
    for i in range(n):
        first[chains[i] + 1] += 1
    first = np.cumsum(first)
    # Seeds grouped by chain, in order along a within each (a counting sort: labels are small).
    order = np.empty(n, dtype=np.int64)
    fill = first[:-1].copy()
    for i in range(n):
        order[fill[chains[i]]] = i
        fill[chains[i]] += 1
    lo_a = np.full(count, np.iinfo(np.int64).max)
    lo_b = np.full(count, np.iinfo(np.int64).max)
    hi_a = np.full(count, np.iinfo(np.int64).min)
    hi_b = np.full(count, np.iinfo(np.int64).min)
    for i in range(n):
        c = chains[i]
        lo_a[c], hi_a[c] = min(lo_a[c], start_a[i]), max(hi_a[c], end_a[i])
        lo_b[c], hi_b[c] = min(lo_b[c], start_b[i]), max(hi_b[c], end_b[i])
    sizes = first[1:] - first[:-1]
    idx, groups = _tile_chains(lo_a, hi_a, lo_b, hi_b, sizes, abut, min_seeds)
    # A group may come out as several passages (the pieces of a failed group, below).
    out = np.empty((len(groups) + n // max(min_seeds, 1) + 1, 6), dtype=np.int64)
    kept = 0
    members = np.empty(n, dtype=np.int64)
    pieces = np.empty((n + 1, 2), dtype=np.int64)
    for g in range(len(groups)):
        group = idx[groups[g, 0] : groups[g, 1]]
        # Small chains (chance matches among them) may fill a group but not widen it: only those
        # inside the rectangle spanned by its chains of min_seeds or more stay.
        box_lo_a = box_lo_b = np.iinfo(np.int64).max
        box_hi_a = box_hi_b = np.iinfo(np.int64).min
        for c in group:
            if sizes[c] >= min_seeds:
                box_lo_a, box_hi_a = min(box_lo_a, lo_a[c]), max(box_hi_a, hi_a[c])
                box_lo_b, box_hi_b = min(box_lo_b, lo_b[c]), max(box_hi_b, hi_b[c])
        if box_lo_a > box_hi_a:
            continue
        m = 0
        for c in group:
            inside = box_lo_a <= lo_a[c] <= box_hi_a and box_lo_b <= lo_b[c] <= box_hi_b
            if len(group) == 1 or sizes[c] >= min_seeds or inside:
                for k in range(first[c], first[c + 1]):
                    members[m] = order[k]
                    m += 1
        if m < min_seeds:
            continue
        # Trimming only narrows a group: one too short before it is too short after (most chance
        # groups, a stock phrase of a few seeds), and is dropped without sorting its seeds twice.
        a0, a1, b0, b1 = _extent(members[:m], start_a, end_a, start_b, end_b)
        if min(a1 - a0, b1 - b0) < min_exact:
            continue
        # The group, then the pieces of it that a failed check leaves to try (a stack of ranges of
        # `members`): a near-verbatim copy that a few chance seeds beyond its end joined fails as a
        # whole (its seeds no longer cover exact_density of the span), but stands alone.
        pieces[0, 0], pieces[0, 1] = 0, m
        top = 1
        while top > 0:
            top -= 1
            lo, hi = pieces[top, 0], pieces[top, 1]
            top_level = lo == 0 and hi == m
            seeds = _trim(members[lo:hi].copy(), start_a, end_a, trim, min_seeds)
            seeds = _trim(seeds, start_b, end_b, trim, min_seeds)
            count = len(seeds)
            a0, a1, b0, b1 = _extent(seeds, start_a, end_a, start_b, end_b)
            length = min(a1 - a0, b1 - b0)
            if length < min_exact:
                continue
            density = _density(seeds, start_a, end_a, start_b, end_b, a0, a1, b0, b1)
            # A near-verbatim copy ends where its runs end: lone word matches past them are chance.
            # So do the lone matches that made a copy loose (words two texts share by chance within
            # `gap` of a wire paragraph) when they are no edit of it and the copy without them is
            # near-verbatim and min_length long; a loose match keeps the ends that are its own (the
            # words a reworded sentence kept, in order, over a sentence of like length).
            # (Twice at most: a loose group that sheds its chance ends is near-verbatim, and its
            # ends are then judged as such.)
            # In the pass over repeated keys, a whole group under min_length sheds them too, down
            # to min_exact: there a sentence one side prints twice (a headline over its lead) is
            # matched from both printings, and a phrase of it that the other text holds again a
            # sentence further on (words an outlet cut from the wire story) chains with it as lone
            # seeds, which left the lead loose and lost. In the first pass a short loose group is
            # mostly chance wording (docs/quality.md, "A lead under its headline").
            shortest = min_exact if repeats and top_level and length < min_length else min_length
            for _ in range(2):
                edit = 0.0 if density >= exact_density else _EDIT_SHARE
                tight = _drop_lone_ends(
                    seeds, start_a, end_a, start_b, end_b, trim, min_seeds, _LONE_SHARE, edit, held_a, held_b
                )
                if len(tight) == count:
                    break
                t0, t1, u0, u1 = _extent(tight, start_a, end_a, start_b, end_b)
                closer = _density(tight, start_a, end_a, start_b, end_b, t0, t1, u0, u1)
                if edit > 0.0 and (closer < exact_density or min(t1 - t0, u1 - u0) < shortest):
                    break
                seeds, count, density = tight, len(tight), closer
                a0, a1, b0, b1 = t0, t1, u0, u1
                if edit == 0.0:
                    break
            length = min(a1 - a0, b1 - b0)
            if length < min_exact:
                continue
            # Wording that many documents of the corpus hold (a story's stock phrases, or a wire
            # paragraph every outlet ran) is evidence of copying only where the match is dense: a
            # loose match (a reworded or shuffled copy) under _LOOSE_DENSITY must reach min_density
            # on rare seeds alone, or the vocabulary of a story would make passages between any
            # two of its articles.
            loose_short = False
            if density < exact_density:
                # A piece of a failed group stands only as a near-verbatim copy (above); a loose
                # match is judged whole, as it came.
                passed = length >= min_length and top_level
                if passed:
                    rare_seeds = seeds[rare[seeds]]
                    passed = (
                        len(rare_seeds) > 0
                        and _density(rare_seeds, start_a, end_a, start_b, end_b, a0, a1, b0, b1) >= min_density
                    )
                    if not passed and density >= _LOOSE_DENSITY:
                        # Standing on its density, not on rare words, its ends are judged as a
                        # near-verbatim copy's: lone matches past its runs go (a wire paragraph
                        # with a word the outlets share by chance a sentence away is the paragraph).
                        tight = _drop_lone_ends(
                            seeds, start_a, end_a, start_b, end_b, trim, min_seeds, _LONE_SHARE, 0.0, held_a, held_b
                        )
                        t0, t1, u0, u1 = _extent(tight, start_a, end_a, start_b, end_b)
                        passed = min(t1 - t0, u1 - u0) >= min_length
                        if passed:
                            seeds, count = tight, len(tight)
                            a0, a1, b0, b1 = t0, t1, u0, u1
                            length = min(a1 - a0, b1 - b0)
                elif top_level and density >= _LOOSE_DENSITY and length >= _sentence_length(min_length):
                    # An edited sentence of a wire story (a clause put in, a number written out)
                    # under min_length, judged whole as it came (its lone ends went above if they
                    # were no edit of it): marked 3, it counts only as a whole sentence of news
                    # whose n-grams are alike (dedup.align: a pair of news length, its words shared).
                    passed = loose_short = True
                if not passed and length >= min_length:  # (a shorter group has no long piece)
                    top = _split_failed(
                        seeds, members, lo, start_a, end_a, start_b, end_b, trim, min_length, pieces, top
                    )
                if not passed:
                    continue
            if kept == len(out):
                # (the estimate above holds while every piece has min_seeds seeds; a piece of a failed
                # group is not held to it, and with a min_length of a few seeds' span one of a single
                # seed passes: a write past the end corrupted the heap)
                grown = np.empty((2 * len(out), 6), dtype=np.int64)
                grown[:kept] = out
                out = grown
            out[kept, 0], out[kept, 1] = _widen(layout_a.spaces, layout_a.breaks, layout_a.length, a0, a1)
            out[kept, 2], out[kept, 3] = _widen(layout_b.spaces, layout_b.breaks, layout_b.length, b0, b1)
            short = 0
            if loose_short:
                short = 3
            elif length < min_length:
                # A short piece stands on its own when most of its seeds are rare in the corpus (a
                # stock phrase of a story is in many of its documents); one marked 2 here may still,
                # when it runs long for a phrase (dedup.align, _COMMON_RUN).
                rare_count = 0
                for k in range(count):
                    rare_count += rare[seeds[k]]
                short = 1 if 2 * rare_count >= count else 2
            out[kept, 4], out[kept, 5] = count, short
            kept += 1
    return out[:kept]


@njit(cache=True, nogil=True, inline="always")
def _sentence_length(min_length: int) -> int:
    """The length of a sentence of news: ``_SENTENCE_UNDER / _SENTENCE_OVER`` of ``min_length``, rounded up."""
    return -(-min_length * _SENTENCE_UNDER // _SENTENCE_OVER)


@njit(cache=True, nogil=True)
def _split_failed(
    seeds: npt.NDArray[np.int64],
    members: npt.NDArray[np.int64],
    at: int,
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    trim: int,
    min_length: int,
    pieces: npt.NDArray[np.int64],
    top: int,
) -> int:
    """Cut a group that failed its checks at its widest gap, and stack the pieces worth another try.

    The gap is the widest stretch, along a or along b, that no seed of the group covers; only a
    gap wider than ``trim`` cuts (the unshared text between a copy and a chance match), and only
    a piece spanning ``min_length`` on both sides is tried again: a long near-verbatim copy, not
    the chance matches around it (short pieces are found, or not, by the checks as they are).
    ``seeds`` (a subset of ``members[at:]``) is written back there, in its order along the side
    cut, each piece a range. Returns the new stack top.
    """
    best, best_side, best_k = trim, -1, 0
    order_a = seeds[stable_order(start_a[seeds])]
    for side in range(2):
        order = order_a if side == 0 else seeds  # _trim leaves the seeds in order along b
        starts = start_a if side == 0 else start_b
        ends = end_a if side == 0 else end_b
        reach = ends[order[0]]
        for k in range(1, len(order)):
            if starts[order[k]] - reach > best:
                best, best_side, best_k = starts[order[k]] - reach, side, k
            reach = max(reach, ends[order[k]])
    if best_side < 0:
        return top
    order = order_a if best_side == 0 else seeds
    members[at : at + len(order)] = order
    for lo, hi in ((at, at + best_k), (at + best_k, at + len(order))):
        a0, a1, b0, b1 = _extent(members[lo:hi], start_a, end_a, start_b, end_b)
        if min(a1 - a0, b1 - b0) >= min_length:
            pieces[top, 0], pieces[top, 1] = lo, hi
            top += 1
    return top


@njit(cache=True, nogil=True)
def _extent(
    seeds: npt.NDArray[np.int64],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
) -> tuple[int, int, int, int]:
    """The span of ``seeds`` along a and along b: (a start, a end, b start, b end)."""
    a0, a1 = start_a[seeds[0]], end_a[seeds[0]]
    b0, b1 = start_b[seeds[0]], end_b[seeds[0]]
    for k in range(1, len(seeds)):
        i = seeds[k]
        a0, a1 = min(a0, start_a[i]), max(a1, end_a[i])
        b0, b1 = min(b0, start_b[i]), max(b1, end_b[i])
    return a0, a1, b0, b1


@njit(cache=True, nogil=True)
def _trim(
    seeds: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], trim: int, keep: int
) -> npt.NDArray[np.int64]:
    """The seeds of a group less those at either end (along one side) that lie more than ``trim`` from the rest.

    A passage ends where the shared text ends: a lone word shared further on (the outlet's
    "the subject" where the copy stopped) must not carry it over the unshared text between. At
    least ``keep`` seeds stay.
    """
    order = seeds[stable_order(starts[seeds])]
    lo, hi = 0, len(order)
    while hi - lo > keep and starts[order[lo + 1]] - ends[order[lo]] > trim:
        lo += 1
    while hi - lo > keep:
        reach = ends[order[lo]]
        for k in range(lo + 1, hi - 1):
            reach = max(reach, ends[order[k]])
        if starts[order[hi - 1]] - reach <= trim:
            break
        hi -= 1
    return order[lo:hi]


@njit(cache=True, nogil=True)
def _drop_lone_ends(
    seeds: npt.NDArray[np.int64],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    trim: int,
    keep: int,
    sparse: float,
    edit: float,
    held_a: npt.NDArray[np.int64],
    held_b: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """The seeds of a group less the lone seeds at its ends that unshared text parts from the rest.

    Copied text gives runs: seeds one after another on one diagonal (the same offset between the
    two documents) over more than ``trim`` characters. A word both texts use by chance is a lone
    seed, or two over the word; a few of them a little past the end of a copy (within ``gap``, so
    chained with it) carried the passage over the unshared text between. Along each side in turn,
    the lone seeds at either end, up to the first seed of a run (or the outermost of them, up to a
    gap among them), go when more than ``trim`` characters part them from the rest and they cover
    less than ``sparse`` of the stretch from the rest to the furthest of them: a few words far
    apart, where a sentence an outlet edited word by word (spelling, spacing) keeps most of its
    words matched, and stays, as does a lone seed next to its copy. With ``edit`` above 0 (a loose
    group), they go only when they are, besides, no edit of the copy: one word, words in another
    order on the other side, or a stretch there shorter than ``edit`` times the stretch on this
    side (:func:`_kept_words`); and when fewer than ``keep`` of the seeds held out of the pass
    (``held_a``, ``held_b``: repeated keys, which the first pass leaves out) lie over them on both
    sides (text both documents print, whose seeds are held). At least ``keep`` seeds stay.
    Returns the seeds in order along b.
    """
    n = len(seeds)
    diag = start_b[seeds] - start_a[seeds]
    along = stable_order(start_a[seeds])
    by_diag = along[stable_order(diag[along])]  # by diagonal, then along a
    # Runs: seeds of one diagonal, each within `trim` of the furthest reach of those before it,
    # spanning more than `trim` characters (a word matched by chance, with the letter before it,
    # gives two seeds over ten or so characters: no run).
    in_run = np.zeros(n, dtype=np.bool_)
    first = 0
    low, reach = start_a[seeds[by_diag[0]]], end_a[seeds[by_diag[0]]]
    for k in range(1, n + 1):
        if k < n:
            x, y = by_diag[k - 1], by_diag[k]
            if diag[x] == diag[y] and start_a[seeds[y]] - reach <= trim:
                reach = max(reach, end_a[seeds[y]])
                continue
        if reach - low > trim:
            for j in range(first, k):
                in_run[by_diag[j]] = True
        if k < n:
            first, low, reach = k, start_a[seeds[by_diag[k]]], end_a[seeds[by_diag[k]]]
    alive = np.ones(n, dtype=np.bool_)
    left = n
    for side in range(2):
        starts = start_a if side == 0 else start_b
        ends = end_a if side == 0 else end_b
        others = start_b if side == 0 else start_a
        other_ends = end_b if side == 0 else end_a
        held, held_other = (held_a, held_b) if side == 0 else (held_b, held_a)
        order = stable_order(starts[seeds])
        # From the start: the lone seeds before the first seed of a run. The outermost of them
        # go, as far in as a gap of more than `trim` parts them from the rest (a word both texts
        # share by chance lies apart from the copy, though another may lie next to it).
        first = 0
        while first < n and (not alive[order[first]] or not in_run[order[first]]):
            first += 1
        drop = order[:first][alive[order[:first]]]
        if first < n and len(drop):
            low = starts[seeds[drop[0]]]
            for j in range(len(drop), 0, -1):
                lone = seeds[drop[:j]]
                edge = starts[seeds[drop[j]]] if j < len(drop) else starts[seeds[order[first]]]
                apart = edge - ends[lone].max()
                if apart <= trim or left - j < keep or _covered(starts[lone], ends[lone]) >= sparse * (edge - low):
                    continue
                if edit > 0.0:
                    after = np.concatenate((drop[j:], order[first:]))
                    rest = seeds[after[alive[after]]]
                    reach = (others[lone].min(), others[rest].min())
                    if _may_be_copy(lone, starts, ends, others, low, edge, reach, edit, held, held_other, keep):
                        continue
                alive[drop[:j]] = False
                left -= j
                break
        # From the end: the lone seeds after the last seed of a run, likewise.
        last = n - 1
        while last >= 0 and (not alive[order[last]] or not in_run[order[last]]):
            last -= 1
        drop = order[last + 1 :][alive[order[last + 1 :]]]
        if last >= 0 and len(drop):
            far = ends[seeds[drop]].max()
            # Where the rest ends on both sides; the rest takes in each lone seed that stays.
            rest = seeds[order[: last + 1][alive[order[: last + 1]]]]
            edge, other_edge = ends[rest].max(), other_ends[rest].max()
            for j in range(len(drop)):
                if j:
                    stays = seeds[drop[j - 1]]
                    edge, other_edge = max(edge, ends[stays]), max(other_edge, other_ends[stays])
                lone = seeds[drop[j:]]
                apart = starts[lone].min() - edge
                if (
                    apart <= trim
                    or left - (len(drop) - j) < keep
                    or _covered(starts[lone], ends[lone]) >= sparse * (far - edge)
                ):
                    continue
                if edit > 0.0:
                    reach = (other_edge, other_ends[lone].max())
                    if _may_be_copy(lone, starts, ends, others, edge, far, reach, edit, held, held_other, keep):
                        continue
                alive[drop[j:]] = False
                left -= len(drop) - j
                break
    kept = seeds[alive]
    return kept[stable_order(start_b[kept])]


@njit(cache=True, nogil=True)
def _may_be_copy(
    lone: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    others: npt.NDArray[np.int64],
    low: int,
    high: int,
    reach: tuple[int, int],
    edit: float,
    held: npt.NDArray[np.int64],
    held_other: npt.NDArray[np.int64],
    keep: int,
) -> bool:
    """Whether the lone seeds of a loose group over [low, high) along one side may be copy after all.

    ``reach`` is their stretch along the other side, in reading order: from their first start to
    the rest's (lone seeds at a group's start), or from the rest's last end to theirs (at its end);
    it runs backwards when they lie on the wrong side of the rest there. They are an edit of the
    copy when they are words kept in order (:func:`_kept_words`) over a stretch there at least
    ``edit`` times this one, and text both documents print when ``keep`` seeds held out of the
    pass lie over both stretches (:func:`_held`).
    """
    if reach[1] - reach[0] >= edit * (high - low) and _kept_words(lone, starts, ends, others):
        return True
    return _held(held, held_other, low, high, reach[0], reach[1]) >= keep


@njit(cache=True, nogil=True)
def _held(
    held: npt.NDArray[np.int64], held_other: npt.NDArray[np.int64], low: int, high: int, other_low: int, other_high: int
) -> int:
    """How many held seeds start in [low, high) along one side and between other_low and other_high along the other."""
    lo, hi = min(other_low, other_high), max(other_low, other_high)
    count = 0
    for k in range(len(held)):
        count += low <= held[k] < high and lo <= held_other[k] < hi
    return count


@njit(cache=True, nogil=True)
def _kept_words(
    seeds: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    others: npt.NDArray[np.int64],
) -> bool:
    """Whether ``seeds`` could be words a reworded sentence kept: two or more apart along one side
    (``starts``, ``ends``), in the same order along the other (``others``): no seed lies along the
    other side before one that ends before it starts. One word alone is as likely a word two texts
    share by chance."""
    by_start = seeds[stable_order(starts[seeds])]
    by_end = seeds[stable_order(ends[seeds])]
    before = np.iinfo(np.int64).min  # the furthest along the other side of the seeds ended so far
    p = 0
    for j in by_start:
        while p < len(by_end) and ends[by_end[p]] <= starts[j]:
            before = max(before, others[by_end[p]])
            p += 1
        if before > others[j]:
            return False
    return p > 0


@njit(cache=True, nogil=True)
def _density(
    seeds: npt.NDArray[np.int64],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    a0: int,
    a1: int,
    b0: int,
    b1: int,
) -> float:
    """The share of ``[a0, a1)`` and of ``[b0, b1)`` that ``seeds`` (at least one) cover, the lesser."""
    return min(_covered(start_a[seeds], end_a[seeds]) / (a1 - a0), _covered(start_b[seeds], end_b[seeds]) / (b1 - b0))


@njit(cache=True, nogil=True)
def _may_hold_passage(
    use: npt.NDArray[np.bool_],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    rare: npt.NDArray[np.bool_],
    rules: Rules,
) -> bool:
    """Whether the seeds in ``use`` could make a passage of :func:`_group_passages` at all: a bound, never a wrong no.

    A passage is a set of seeds spanning ``min_exact`` characters or more on each side whose seeds
    cover ``exact_density`` of its span on both sides, or spanning two thirds of ``min_length`` or
    more whose seeds cover ``_LOOSE_DENSITY`` of it (an edited sentence, or a longer loose copy), or
    spanning ``min_length`` or more whose rare seeds cover ``min_density`` of it, on both sides
    (trimming and cutting only take seeds away). So each side must hold a stretch that the
    seeds, or the rare ones, cover that densely; each side is checked alone, which is weaker than
    the two together, and cheap.
    """
    return _side_may_hold(start_a, end_a, use, rare, rules) and _side_may_hold(start_b, end_b, use, rare, rules)


@njit(cache=True, nogil=True)
def _side_may_hold(
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    use: npt.NDArray[np.bool_],
    rare: npt.NDArray[np.bool_],
    rules: Rules,
) -> bool:
    """Whether one side of the seeds in ``use`` has a stretch covered as densely as a passage needs.

    The test :func:`_may_hold_passage` makes on each side.
    """
    min_length, min_exact, min_density, exact_density = (
        rules.min_length, rules.min_exact, rules.min_density, rules.exact_density
    )  # fmt: skip
    s, e, m = _merged(starts, ends, use, rare, False)  # (one merging for both questions about all seeds)
    return (
        _stretch_in(s, e, m, min_exact, exact_density)
        or _stretch_in(s, e, m, _sentence_length(min_length), _LOOSE_DENSITY)
        or _dense_stretch(starts, ends, use, rare, True, min_length, min_density)
    )


@njit(cache=True, nogil=True)
def _dense_stretch(
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    use: npt.NDArray[np.bool_],
    rare: npt.NDArray[np.bool_],
    rare_only: bool,
    min_span: int,
    share: float,
) -> bool:
    """Whether some stretch of ``min_span`` characters or more is ``share`` covered by the seeds in ``use``.

    The seeds (the rare ones only, if ``rare_only``) merge into disjoint segments
    (:func:`_merged`), which :func:`_stretch_in` reads.
    """
    s, e, m = _merged(starts, ends, use, rare, rare_only)
    return _stretch_in(s, e, m, min_span, share)


@njit(cache=True, nogil=True)
def _merged(
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    use: npt.NDArray[np.bool_],
    rare: npt.NDArray[np.bool_],
    rare_only: bool,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int]:
    """The spans of the seeds in ``use`` (the rare ones only, if ``rare_only``) merged: segment i < m is s[i]..e[i]."""
    n = 0
    for k in range(len(starts)):
        n += use[k] and (rare[k] or not rare_only)
    s = np.empty(n, dtype=np.int64)
    e = np.empty(n, dtype=np.int64)
    if n == 0:
        return s, e, 0
    n = 0
    ordered = True
    for k in range(len(starts)):
        if use[k] and (rare[k] or not rare_only):
            s[n], e[n] = starts[k], ends[k]
            ordered = ordered and (n == 0 or s[n - 1] <= s[n])
            n += 1
    if not ordered:
        order = np.argsort(s)
        s, e = s[order], e[order]
    m = 0
    for k in range(1, n):
        if s[k] <= e[m]:
            e[m] = max(e[m], e[k])
        else:
            m += 1
            s[m], e[m] = s[k], e[k]
    return s, e, m + 1


@njit(cache=True, nogil=True)
def _stretch_in(s: npt.NDArray[np.int64], e: npt.NDArray[np.int64], m: int, min_span: int, share: float) -> bool:
    """Whether the first ``m`` merged segments ``s``/``e`` cover ``share`` of a stretch of ``min_span`` or more.

    Widening a stretch to whole segments only raises its share, so it is enough to look at segments
    i to j: the stretch is at least ``max(min_span, end(j) - start(i))`` long, and dense enough when
    ``covered(j) - covered(i - 1)`` (``covered``: the segments' lengths summed) is ``share`` of
    that. One pass over j, with the best i so far, decides it.
    """
    share = share - _SLACK
    best = -np.inf  # the best share * start(i) - covered(i - 1) over the segments i far enough back
    covered = 0  # covered(j)
    before = 0  # covered(i - 1) for the next i
    i = 0
    for j in range(m):
        covered += e[j] - s[j]
        while i <= j and s[i] <= e[j] - min_span:
            best = max(best, share * s[i] - before)
            before += e[i] - s[i]
            i += 1
        if best > -np.inf and covered - share * e[j] + best >= 0.0:
            return True
        # A passage spanning min_span may reach past the segments it holds into text they do not
        # cover: the segments from i on, within min_span of e[j], need share of min_span.
        if i <= j and covered - before >= share * min_span:
            return True
    return False


@njit(cache=True, nogil=True)
def _covered(starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> int:
    """Characters covered by the union of half-open intervals (at least one)."""
    low, high = starts.min(), ends.max()
    if high - low <= 16 * len(starts) + 4096:
        # A difference array over the span: linear, where sorting the intervals was slower.
        depth = np.zeros(high - low + 1, dtype=np.int32)
        for k in range(len(starts)):
            depth[starts[k] - low] += 1
            depth[ends[k] - low] -= 1
        covered = run = 0
        for x in range(high - low):
            run += depth[x]
            covered += run > 0
        return covered
    order = np.argsort(starts)
    covered = 0
    reach = starts[order[0]]
    for i in order:
        if ends[i] > reach:
            covered += ends[i] - max(starts[i], reach)
            reach = ends[i]
    return covered


@njit(cache=True, nogil=True)
def _widen(spaces: Positions, breaks: Positions, length: int, start: int, end: int) -> tuple[int, int]:
    """[start, end) moved to word boundaries of a normalised text whose spaces are at ``spaces``.

    Each end goes to the nearer boundary of the word it falls in, out or in (out on a tie): a seed
    runs a few characters into the first differing word after a copy ("... the ministry sa" of
    "said" against "says"), and taking the whole word would spill past the shared text. In a
    script written without spaces a word may also end at any of ``breaks`` (scripts.breaks):
    there a run between two spaces is a clause, and moving to its ends would drop or add one.
    """
    i = np.searchsorted(spaces, start, side="right")
    before = spaces[i - 1] + 1 if i > 0 else 0
    after = spaces[i] + 1 if i < len(spaces) else length
    j = np.searchsorted(spaces, end, side="left")
    later = spaces[j] if j < len(spaces) else length
    earlier = spaces[j - 1] if j > 0 else 0
    if len(breaks):
        before, after = _nearest(breaks, start, before, after)
        earlier, later = _nearest(breaks, end, earlier, later)
    new_start = before if start - before <= after - start else after
    new_end = later if later - end <= end - earlier else earlier
    if new_end <= new_start:  # (a span inside one word keeps the word)
        return min(before, start), max(later, end)
    return new_start, new_end


@njit(cache=True, nogil=True)
def _nearest(breaks: Positions, at: int, below: int, above: int) -> tuple[int, int]:
    """``below`` and ``above`` moved to the nearest of ``breaks`` at or before, at or after ``at``, if nearer."""
    k = np.searchsorted(breaks, at, side="right")
    if k > 0 and breaks[k - 1] > below:
        below = breaks[k - 1]
    k = np.searchsorted(breaks, at, side="left")
    if k < len(breaks) and breaks[k] < above:
        above = breaks[k]
    return below, above


@njit(cache=True, nogil=True)
def _passages_of(
    use: npt.NDArray[np.bool_],
    occupy: npt.NDArray[np.bool_],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    rare: npt.NDArray[np.bool_],
    layout_a: Layout,
    layout_b: Layout,
    rules: Rules,
    repeats: bool = False,
) -> npt.NDArray[np.int64]:
    """The grouped passages (:func:`_group_passages`) of the seeds selected by ``use``.

    Seeds in ``occupy`` (and not in ``use``) join no passage but may show the text between two
    pieces of a chain to be copy matched elsewhere (:func:`_split_occupied`): a sentence both
    documents hold that one of them also prints again (its seeds repeated, aligned in a later
    pass) still parts the pieces around it, as it would if printed once. ``repeats``: the pass over
    repeated keys (see :func:`_group_passages`).
    """
    gap, abut, min_seeds, min_length = rules.gap, rules.abut, rules.min_seeds, rules.min_length
    if use.sum() < min_seeds:
        return np.zeros((0, 6), dtype=np.int64)
    # Most candidate pairs of long documents share scattered seeds: chaining, cutting and grouping
    # them (most of an alignment's time) cannot make a passage where no stretch of either text is
    # covered densely enough. The bound is exact: every passage's seeds are some of these.
    if not _may_hold_passage(use, start_a, end_a, start_b, end_b, rare, rules):
        return np.zeros((0, 6), dtype=np.int64)
    pick = np.flatnonzero(use)
    sa, ea, sb, eb = start_a[pick], end_a[pick], start_b[pick], end_b[pick]
    chains = _chain(sa, sb, gap)
    # A passage needs a chain of min_seeds seeds (its box, in _group_passages), and cutting only
    # shortens chains: without one here, nothing can come out of the cutting and grouping.
    if np.bincount(chains).max() < min_seeds:
        return np.zeros((0, 6), dtype=np.int64)
    chains = _split_occupied(chains, sa, ea, sb, eb, abut, gap, min_seeds, _MOVED, True, min_length)
    extra = occupy & ~use
    held = np.flatnonzero(extra)
    if extra.sum() >= _MOVED:  # (fewer cannot be a moved sentence)
        every = np.flatnonzero(use | extra)
        cut = _chain(start_a[every], start_b[every], gap)
        cut = _split_occupied(
            cut, start_a[every], end_a[every], start_b[every], end_b[every], abut, gap, min_seeds, _MOVED, False,
            min_length,
        )  # fmt: skip
        # Only cuts are taken from it: chains of the seeds in use stay apart even where an
        # occupying seed would link them. A repeated run cuts them only far from the run before
        # it: where both documents print a headline repeating their lead, the repeated runs
        # cross each other's printings, and near cuts would break the copy of the body that the
        # seeds in use chain.
        chains = _meet(chains, cut[use[every]])
    return _group_passages(
        chains, sa, ea, sb, eb, rare[pick], layout_a, layout_b, rules, start_a[held], start_b[held], repeats
    )
