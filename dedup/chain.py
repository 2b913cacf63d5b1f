"""Chains: seeds of a document pair linked into chains, and chains cut where the copy breaks, in numba kernels.

Seeds are chained when they lie within ``gap`` characters of each other on both sides at once
(single linkage): a copy cut by small edits stays one chain, while two reordered blocks do not
chain, since the last seed of one and the first of the next are neighbours in one document only.
A chain is cut where the text it spans on one side holds another copy, matched far away in the
other document (a sentence moved between two pieces), or nothing matched at all over most of
``gap`` on both sides (unshared text): the pieces around it are separate copies.
:mod:`dedup.group` turns the chains into passages.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import stable_order

__all__: list[str] = []


@njit(cache=True, nogil=True)
def _find(parent: npt.NDArray[np.int64], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


_RUN_STEP = 2  # consecutive n-gram starts on one diagonal are 1 apart, 2 across a space


@njit(cache=True, nogil=True)
def _any_difference(
    start_a: npt.NDArray[np.int64],
    order: npt.NDArray[np.int64],
    first_k: npt.NDArray[np.int64],
    r: int,
    t: int,
    low: int,
    high: int,
) -> bool:
    """Whether a start of run t minus a start of run r lies in [low, high] (two sorted walks)."""
    q = first_k[t]
    for k in range(first_k[r], first_k[r + 1]):
        p = start_a[order[k]]
        while q < first_k[t + 1] and start_a[order[q]] - p < low:
            q += 1
        if q == first_k[t + 1]:
            return False
        if start_a[order[q]] - p <= high:
            return True
    return False


@njit(cache=True, nogil=True)
def _chain(start_a: npt.NDArray[np.int64], start_b: npt.NDArray[np.int64], gap: int) -> npt.NDArray[np.int64]:
    """Label of each seed's chain: seeds within ``gap`` on both sides at once share a label.

    Chains are numbered 0, 1, ... in the order of their first seed; ``start_a`` must be sorted.
    Computed over runs of adjacent seeds on one diagonal instead of seed by seed: a copied stretch
    gives hundreds of seeds one or two characters apart on one diagonal
    (``start_b - start_a`` constant); comparing every seed with the ~``gap`` seeds after it was most
    of the alignment's time. Such a run is one chain by itself, and two runs link when some seed of
    each lies within ``gap`` of the other on both sides, i.e. when some difference of their starts
    along a falls in the interval that being within ``gap`` on both sides allows. The differences
    of two runs (starts at most 2 apart) leave no hole wider than one: an overlap of three or more
    integers always holds one, and only a narrower one is checked seed by seed. The labels are
    those of single linkage over every pair of seeds (tested against it).
    """
    n = len(start_a)
    labels = np.arange(n)
    if n == 0:
        return labels
    diag = start_b - start_a
    step = min(_RUN_STEP, gap)  # seeds of a run must chain with their neighbours
    order = _by_diagonal(diag, start_a)
    run_of = np.empty(n, dtype=np.int64)
    first_k = np.empty(n + 1, dtype=np.int64)  # run r holds order[first_k[r]:first_k[r + 1]]
    lo = np.empty(n, dtype=np.int64)
    hi = np.empty(n, dtype=np.int64)
    rdiag = np.empty(n, dtype=np.int64)
    runs = -1
    for k in range(n):
        i = order[k]
        if runs < 0 or diag[i] != rdiag[runs] or start_a[i] - hi[runs] > step:
            runs += 1
            lo[runs], hi[runs], rdiag[runs] = start_a[i], start_a[i], diag[i]
            first_k[runs] = k
        else:
            hi[runs] = start_a[i]
        run_of[i] = runs
    runs += 1
    first_k[runs] = n
    by_lo = stable_order(lo[:runs])
    parent = np.arange(runs)
    for x in range(runs):
        r = by_lo[x]
        for y in range(x + 1, runs):
            t = by_lo[y]
            if lo[t] - hi[r] > gap:
                break
            # Differences start_a(t) - start_a(r) available, against those within gap on both sides.
            shift = rdiag[t] - rdiag[r]
            low = max(lo[t] - hi[r], -gap, -gap - shift)
            high = min(hi[t] - lo[r], gap, gap - shift)
            if low > high or (high - low < 2 and not _any_difference(start_a, order, first_k, r, t, low, high)):
                continue
            rr, rt = _find(parent, r), _find(parent, t)
            if rr != rt:
                parent[max(rr, rt)] = min(rr, rt)
    for i in range(n):
        labels[i] = _find(parent, run_of[i])
    return _number_by_first(labels)


@njit(cache=True, nogil=True)
def _number_by_first(labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``labels`` renumbered in place 0, 1, ... in the order of each label's first seed (along a)."""
    number = np.full(labels.max() + 1, -1, dtype=np.int64)
    count = 0
    for i in range(len(labels)):
        if number[labels[i]] < 0:
            number[labels[i]] = count
            count += 1
        labels[i] = number[labels[i]]
    return labels


@njit(cache=True, nogil=True)
def _meet(x: npt.NDArray[np.int64], y: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Labels of the seeds that ``x`` and ``y`` both put together, numbered by first seed (along a)."""
    key = x * (y.max() + 1) + y
    order = stable_order(key)
    out = np.empty(len(x), dtype=np.int64)
    label = -1
    for k in range(len(order)):
        if k == 0 or key[order[k]] != key[order[k - 1]]:
            label += 1
        out[order[k]] = label
    return _number_by_first(out)


@njit(cache=True, nogil=True)
def _by_diagonal(diag: npt.NDArray[np.int64], start_a: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Seed order by diagonal, then by start along a (``start_a`` is sorted).

    A counting sort over the diagonals, stable, so that each diagonal keeps the order along a: the
    diagonals of a pair span at most the two lengths, and a comparison sort of the seeds was most
    of the chaining's time. Falls back to sorting when the span is large against the seed count.
    """
    n = len(diag)
    low, high = diag.min(), diag.max()
    if high - low > 8 * n + 4096:
        return np.argsort(diag * (start_a.max() + 1) + start_a, kind="mergesort")
    first = np.zeros(high - low + 2, dtype=np.int64)
    for i in range(n):
        first[diag[i] - low + 1] += 1
    for d in range(1, len(first)):
        first[d] += first[d - 1]
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        d = diag[i] - low
        order[first[d]] = i
        first[d] += 1
    return order


# Seeds of other chains, matched far away, that make the text between two pieces another copy: a
# sentence or two (the moved Baghdad sentence of seeds/ holds 55), not a phrase matched elsewhere.
_MOVED = 20


# Seeds on one diagonal within _RUN_REACH characters along one side that make a verbatim run: copied
# text has a seed at almost every character.
_RUN = 20
_RUN_REACH = 60


@njit(cache=True, nogil=True)
def _run(
    order: npt.NDArray[np.int64],
    k: int,
    starts: npt.NDArray[np.int64],
    other: npt.NDArray[np.int64],
    step: int,
    diagonal: int,
) -> int:
    """Seeds from ``order[k]`` on, forward (``step`` 1) or back (-1), on ``diagonal`` (give or take 2).

    Counted within ``_RUN_REACH`` characters of ``order[k]`` along this side.
    """
    i = order[k]
    count = 0
    m = k
    while 0 <= m < len(order) and abs(starts[order[m]] - starts[i]) <= _RUN_REACH:
        if abs(other[order[m]] - starts[order[m]] - diagonal) <= 2:
            count += 1
        m += step
    return count


# Unmatched text of more than _ADDED characters on one side, between two seeds that lie at most
# _ADDED_OTHER times as far apart on the other side, was added there (an outlet's own sentence or
# paragraph inside wire copy) or cut from the other: the copy breaks. An editor's inserted clause
# or aside is shorter, and a reworded stretch leaves unmatched text of comparable length on both
# sides (the grouping's edit rule, dedup.assemble._EDIT_LENGTH). Half as long, the rule also cut the
# lightly edited copies of the labelled corpora wherever a few words had been dropped or added
# (docs/quality.md, "Text one outlet added").
_ADDED = 100
_ADDED_OTHER = 0.3
# A piece shorter than ``piece`` is cut off where the text added is ``piece`` long or more, and it
# is this share of ``piece`` or more: as long as the near-verbatim pieces that stand on their own
# beside a passage (dedup.align._COMMON_RUN), such as a one-sentence wire paragraph after an
# outlet's own paragraph of other news.
_SHORT_PIECE = 0.4
# A printing matched again goes back at least this far over the other side's text the piece has
# matched: a verbatim run a word long matched twice is a phrase the copy uses twice, not a reprint.
_REVISIT = 20
# A second printing is one where the other side prints the text once: fewer than this many seeds
# in the first _RUN_REACH characters of its run lie off the run's diagonal.
_ELSEWHERE = 10


@njit(cache=True, nogil=True)
def _run_start(
    order: npt.NDArray[np.int64], j: int, starts: npt.NDArray[np.int64], other: npt.NDArray[np.int64], diagonal: int
) -> int:
    """Where, on the other side, the verbatim run on ``diagonal`` that ends at ``order[j]`` begins.

    Walks back from ``order[j]`` over the seeds on the diagonal (give or take 2) until none lies
    within ``_RUN_REACH`` characters along this side.
    """
    first = order[j]
    m = j - 1
    while m >= 0 and starts[first] - starts[order[m]] <= _RUN_REACH:
        x = order[m]
        if abs(other[x] - starts[x] - diagonal) <= 2:
            first = x
        m -= 1
    return int(other[first])


@njit(cache=True, nogil=True)
def _printed_again(
    order: npt.NDArray[np.int64],
    j: int,
    k: int,
    starts: npt.NDArray[np.int64],
    other: npt.NDArray[np.int64],
    back: int,
) -> bool:
    """Whether seed ``order[k]`` starts a second printing of the text that the run ending at ``order[j]`` matched.

    The run from the seed is verbatim, and goes back ``back`` characters or more over the other
    side's text the run before matched, to within ``back`` of where that run began (a word of
    the outlet's own may match by chance in front of the printing); the run before is verbatim
    and stops there. A headline followed by the lead it repeats, a page scraped twice. A phrase
    the copy uses twice (a name, a title) is matched to both its occurrences while the copy's own
    run goes on past it; the sentences of a shuffled copy follow each other out of order, but
    none goes back over the text of the one before.
    """
    i, h = order[k], order[j]
    if other[i] + back > other[h]:
        return False
    before, after = other[h] - starts[h], other[i] - starts[i]
    if _run(order, j, starts, other, -1, before) < _RUN:
        return False
    ahead = _run(order, k, starts, other, 1, after)
    if ahead < _RUN or _run(order, k, starts, other, 1, before) >= _RUN:
        return False
    if other[i] + back < _run_start(order, j, starts, other, before):
        return False
    # The other side prints the text once: the new run's text matches nothing else there.
    # Where both documents print it twice (each with a headline repeating its lead), each
    # printing matches both of the other's, and cutting leaves fragments of every one.
    within = 0
    m = k
    while m < len(order) and starts[order[m]] - starts[i] <= _RUN_REACH:
        within += 1
        m += 1
    return within - ahead < _ELSEWHERE


@njit(cache=True, nogil=True)
def _split_at_occupied(
    chains: npt.NDArray[np.int64],
    order: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    other_starts: npt.NDArray[np.int64],
    other_ends: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    abut: int,
    gap: int,
    min_seeds: int,
    enough: int,
    bare_gap: int,
    near: bool,
    piece: int,
) -> npt.NDArray[np.int64]:
    """One side of :func:`_split_occupied`: ``order`` sorts the seeds along that side."""
    count = len(sizes)
    out = chains.copy()
    current = np.arange(count)
    last = np.full(count, -1, dtype=np.int64)  # position in `order` of each chain's last seed so far
    begin = np.zeros(count, dtype=np.int64)  # where the current piece of each chain starts on this side
    reach = np.zeros(count, dtype=np.int64)  # where each chain ends on this side
    for k in range(len(order)):
        reach[chains[order[k]]] = max(reach[chains[order[k]]], ends[order[k]])
    # The other side's positions the current piece of each chain has matched, first to last.
    low = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(count, -1, dtype=np.int64)
    labels = count
    for k in range(len(order)):
        i = order[k]
        c = chains[i]
        j = last[c]
        cut = False
        far = j >= 0 and starts[i] - ends[order[j]] > abut
        if far:
            # Where the link goes on the other side, give or take `gap`: seeds matched there are
            # part of this copy (shuffled words), those matched further away are copy from elsewhere.
            near_lo = min(other_starts[i], other_starts[order[j]]) - gap
            near_hi = max(other_starts[i], other_starts[order[j]]) + gap
            held = 0
            for m in range(j + 1, k):
                x = order[m]
                far = other_starts[x] < near_lo or other_starts[x] > near_hi
                if (
                    far
                    and chains[x] != c
                    and sizes[chains[x]] >= min_seeds
                    and starts[x] >= ends[order[j]]
                    and ends[x] <= starts[i]
                ):
                    held += 1
                    if held >= enough:
                        break
            # Nothing at all between, and far apart on both sides: unshared text parts them.
            bare = (
                k == j + 1 and min(starts[i] - ends[order[j]], abs(other_starts[i] - other_starts[order[j]])) > bare_gap
            )
            cut = held >= enough or bare
        # Text on this side only, between two seeds that follow each other on the other side: a
        # sentence or paragraph the one document added (or the other cut), not an edit of the copy.
        # Only between two pieces of ``piece`` characters or more: a shorter one, cut off, would
        # be judged alone and could be lost (a stretch of copy the other side summarised); unless
        # the text added is that long itself and the shorter piece long enough to stand beside the
        # other as a near-verbatim piece (_SHORT_PIECE).
        if j >= 0 and not cut and k == j + 1:
            added = starts[i] - ends[order[j]]
            shorter = min(ends[order[j]] - begin[c], reach[c] - starts[i])
            if added > _ADDED and (shorter >= piece or (added >= piece and shorter >= _SHORT_PIECE * piece)):
                other_gap = other_starts[i] - other_ends[order[j]]
                cut = -_REVISIT < other_gap < _ADDED_OTHER * added
        # Text of the other side the piece has matched already, matched again, near or far: the
        # text is printed twice on this side (a headline repeating the lead, a page scraped
        # twice), and each printing is a copy of its own.
        back = _REVISIT if near else abut
        if (
            j >= 0
            and not cut
            and (near or far)
            and other_starts[i] + back <= other_starts[order[j]]
            and starts[i] > starts[order[j]]
        ):
            cut = _printed_again(order, j, k, starts, other_starts, back)
        if j < 0 or cut:
            begin[c] = starts[i]
        if cut:
            current[c] = labels
            labels += 1
            low[c], high[c] = np.iinfo(np.int64).max, -1
        out[i] = current[c]
        last[c] = k
        low[c] = min(low[c], other_starts[i])
        high[c] = max(high[c], other_starts[i])
    return out


@njit(cache=True, nogil=True)
def _split_occupied(
    chains: npt.NDArray[np.int64],
    start_a: npt.NDArray[np.int64],
    end_a: npt.NDArray[np.int64],
    start_b: npt.NDArray[np.int64],
    end_b: npt.NDArray[np.int64],
    abut: int,
    gap: int,
    min_seeds: int,
    enough: int,
    near: bool,
    piece: int,
) -> npt.NDArray[np.int64]:
    """Chains cut where a stretch of them on one side holds another passage's seeds.

    Single linkage chains two pieces of a copy across the text between them; when that text is
    itself copy, matched elsewhere in the other document (a sentence moved), the pieces around it
    are separate copies, not one edited copy. A chain is cut between two of its seeds that are
    more than ``abut`` apart along one side where ``enough`` seeds of other chains (of
    ``min_seeds`` or more) lie between them, matched more than ``gap`` away from both on the
    other side; a phrase matched elsewhere (a few seeds) cuts nothing. It is cut too between two
    seeds with no seed of any chain between them along one side that lie more than three quarters
    of ``gap`` apart on both sides: unshared text, where an edited stretch keeps a few matched
    words; and between two such seeds more than ``_ADDED`` apart along one side and close on the
    other (text one document added), where the pieces either side are ``piece`` characters or
    more along this side (or the shorter is ``_SHORT_PIECE`` of that, and the added text
    ``piece``). And it is cut between two verbatim runs where the later goes back over text of
    the other side the earlier matched (:func:`_printed_again`): one text printed twice on this
    side. With ``near`` the runs may follow each other (a headline, then the lead it
    repeats), and the later needs to go back ``_REVISIT`` characters; without, they lie more than
    ``abut`` apart along this side and the later goes back more than ``abut``. ``start_a`` is
    sorted.
    """
    n = len(chains)
    if n == 0:
        return chains
    bare = 3 * gap // 4
    sizes = np.bincount(chains)
    split = _split_at_occupied(
        chains, np.arange(n), start_a, end_a, start_b, end_b, sizes, abut, gap, min_seeds, enough, bare, near, piece
    )
    order_b = stable_order(start_b)
    split = _split_at_occupied(
        split, order_b, start_b, end_b, start_a, end_a, np.bincount(split), abut, gap, min_seeds, enough, bare, near,
        piece,
    )  # fmt: skip
    return _number_by_first(split)  # as _chain numbers them
