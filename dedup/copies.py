"""Copies: text a document prints again, verbatim, at another place of itself.

A page scraped twice or three times, a story pasted again under itself: each later printing is an
exact copy of earlier text. Its seeds occur once a printing, so that counting them as a phrase
repeated all over the text (more than ``max_repeat`` occurrences, :mod:`dedup.seeds`) would throw
the copied text away, and mixing its printings in one alignment chains them together. So copies
are found first, in the document alone (:func:`_copies`); where they make up a third of the text
or more (:func:`_reprints`), their seeds count once, and the alignment (:mod:`dedup.align`) sees
one printing at a time (:func:`_view`), reporting each passage once, at its first printing
(:func:`_found_before`). A paragraph printed twice in a longer text is left to the repeated seeds.

Shorter text printed again (a lead repeated as headline and summary) is an *echo*
(:func:`_echoes`): its seeds count once when they occur nowhere else, and stay repeated seeds.

A *copy* is a run of at least ``min_run`` consecutive n-grams equal to the run of n-grams
``delta`` before it, the earliest printing being the *source*. Runs are found from sampled
anchors (the n-grams whose hash is 0 modulo 16, about 9 in a run of 150) whose hash occurs again
later, and extended both ways n-gram by n-gram; a text repeated with a period under ``min_run``
(a short line printed over and over) is no copy. A run over three printings (``X X X``) is cut at
every ``delta``: each later printing is its own copy, of the first.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__: list[str] = []

# An n-gram is an anchor when its hash is 0 modulo _SAMPLE: a run of n n-grams holds none with
# probability (1 - 1 / _SAMPLE) ** n, 6e-5 for 150 (a page printed again holds thousands). Every
# anchor is sorted: 1 in 8 cost twice the time for a miss rate no page printed again needs.
_SAMPLE = 16
# Anchors whose hash occurs more often than this are phrases of the text, not printings of it.
_MAX_GROUP = 16
# The copies of one document the alignment looks at one at a time; a document printing more
# runs of its text again (a list of repeated lines) keeps its seeds as repeated ones.
MAX_COPIES = 8


@njit(cache=True, nogil=True)
def _copies(hashes: npt.NDArray[np.uint32], first: int, last: int, min_run: int) -> npt.NDArray[np.int64]:
    """Copies among the n-grams ``hashes[first:last]``: rows ``(start, end, delta)`` of n-gram indices, by start.

    N-grams ``start .. end - 1`` equal those ``delta`` before them, and no earlier copy holds the
    source ``start - delta .. end - delta``. At most :data:`MAX_COPIES` rows; none if more.

    Example:
        >>> from dedup.shingle import shingle
        >>> text = "the wire story in full, as the agency ran it this morning"
        >>> page = text + " --- " + text
        >>> rows = _copies(shingle(page, 5).hashes, 0, len(shingle(page, 5).hashes), 30)
        >>> [(int(s), int(e), int(d)) for s, e, d in rows]
        [(49, 91, 49)]
    """
    none = np.zeros((0, 3), dtype=np.int64)
    n = last - first
    if n < 2 * min_run or min_run < 1:
        return none
    count = 0
    for i in range(first, last):
        count += hashes[i] % _SAMPLE == 0
    anchors = np.empty(count, dtype=np.uint64)
    k = 0
    for i in range(first, last):
        if hashes[i] % _SAMPLE == 0:
            anchors[k] = (np.uint64(hashes[i]) << np.uint64(32)) | np.uint64(i - first)
            k += 1
    anchors.sort()
    # Pairs (earlier, later) of anchors with one hash, taken in the order of the earlier one: a
    # copy is found from the earliest printing first, which the later printings then copy.
    total = 0
    g = 0
    while g < count:
        h = _group_end(anchors, g)
        if 1 < h - g <= _MAX_GROUP:
            total += (h - g) * (h - g - 1) // 2
        g = h
    if total == 0:
        return none
    pairs = np.empty(total, dtype=np.uint64)
    k = 0
    mask = np.uint64(0xFFFFFFFF)
    g = 0
    while g < count:
        h = _group_end(anchors, g)
        if 1 < h - g <= _MAX_GROUP:
            for y in range(g + 1, h):
                for x in range(g, y):
                    pairs[k] = ((anchors[x] & mask) << np.uint64(32)) | (anchors[y] & mask)
                    k += 1
        g = h
    pairs.sort()
    found = np.empty((MAX_COPIES + 1, 3), dtype=np.int64)
    m = 0
    for k in range(total):
        p = first + np.int64(pairs[k] >> np.uint64(32))
        q = first + np.int64(pairs[k] & mask)
        covered = False
        for r in range(m):
            if found[r, 0] <= q < found[r, 1]:
                covered = True
                break
        if covered:
            continue
        delta = q - p
        start = q
        while start - 1 - delta >= first and hashes[start - 1] == hashes[start - 1 - delta]:
            start -= 1
        end = q + 1
        while end < last and hashes[end] == hashes[end - delta]:
            end += 1
        # Copies found before are no part of this one (the run may reach into one: a chance match
        # of the text before two printings).
        moved = True
        while moved:
            moved = False
            for r in range(m):
                if found[r, 0] <= start < found[r, 1]:
                    start, moved = found[r, 1], True
        for r in range(m):
            if start < found[r, 0] < end:
                end = found[r, 0]
        # A run over several printings is cut at every delta; the k-th piece is a copy of the
        # source, k + 1 deltas before it.
        piece = 0
        at = start
        while at < end:
            stop = min(end, at + delta)
            if stop - at >= min_run:
                if m == MAX_COPIES:
                    return none
                found[m, 0], found[m, 1], found[m, 2] = at, stop, (piece + 1) * delta
                m += 1
            at = stop
            piece += 1
    out = found[:m].copy()
    order = np.argsort(out[:, 0])
    return out[order]


@njit(cache=True, nogil=True)
def _group_end(anchors: npt.NDArray[np.uint64], g: int) -> int:
    """The end of the run of sorted ``anchors`` (hash << 32 | position) from ``g`` that share its hash."""
    h = g + 1
    while h < len(anchors) and anchors[h] >> np.uint64(32) == anchors[g] >> np.uint64(32):
        h += 1
    return h


@njit(cache=True, nogil=True)
def _reprints(hashes: npt.NDArray[np.uint32], first: int, last: int, min_run: int) -> npt.NDArray[np.int64]:
    """The copies of :func:`_copies` when they make up a third of the n-grams or more, else none.

    A page scraped twice or three times, a story pasted again under itself, is mostly its text
    printed again, and is aligned one printing at a time. A paragraph or a block printed again in
    a longer text (a web page's repeated panel, a summary repeating the lead) is left to the
    repeated seeds of :mod:`dedup.seeds`, as any phrase printed twice.

    Example:
        >>> from dedup.shingle import shingle
        >>> text = "the wire story in full, as the agency ran it this morning"
        >>> hashes = shingle(text + " --- " + text, 5).hashes
        >>> len(_reprints(hashes, 0, len(hashes), 30)), len(_reprints(hashes, 0, len(hashes), 50))
        (1, 0)
    """
    runs = _copies(hashes, first, last, min_run)
    total = 0
    for r in range(len(runs)):
        total += runs[r, 1] - runs[r, 0]
    return runs if 3 * total >= last - first else runs[:0]


# Printings of one short text an echo may be (a headline, a summary and the lead they repeat, a
# caption): beyond them, a line printed over and over is a phrase of the page, and its seeds go.
MAX_PRINTINGS = 4
# An echo may hold n-grams printed MAX_PRINTINGS times before up to this share of its own: the
# common n-grams of a lead (" the "), not a list of search terms repeating its words.
_OFTEN = 0.1


@njit(cache=True, nogil=True)
def _echoes(hashes: npt.NDArray[np.uint32], first: int, last: int, min_run: int) -> npt.NDArray[np.int64]:
    """Runs of at least ``min_run`` n-grams of ``hashes[first:last]`` printed before: rows ``(start, end)``.

    An *echo* is text a document prints again, however short against the document: a lead sentence
    repeated as the headline and as the summary above it. A run starts at an n-gram whose latest
    earlier occurrence lies at least ``min_run`` n-grams before it (text repeated with a shorter
    period is a line of dashes, not a printing) and goes on while the n-grams equal those the same
    distance before, up to the :data:`MAX_PRINTINGS`-th printing of that text; a run more than
    ``_OFTEN`` of whose n-grams were each printed that many times before (a list of terms, each
    printed over and over) is none. The seeds of an echo count once against ``max_repeat``
    (:mod:`dedup.seeds`): its printings stay matched.

    Example:
        >>> from dedup.shingle import shingle
        >>> lead = "the ministry said on monday it had no plans to withdraw the troops"
        >>> hashes = shingle(lead + " | " + lead + " | body: " + lead, 5).hashes
        >>> [(int(s), int(e)) for s, e in _echoes(hashes, 0, len(hashes), 30)]
        [(55, 106), (115, 165)]
    """
    n = last - first
    if n < 2 * min_run:  # (no room for a run and its earlier printing)
        return np.zeros((0, 2), dtype=np.int64)
    size, bits = 16, 4
    while size < 2 * n:
        size, bits = 2 * size, bits + 1
    shift = np.uint64(64 - bits)
    table = np.empty(size, dtype=np.uint32)
    latest = np.full(size, -1, dtype=np.int64)  # -1: an empty slot
    before = np.full(n, -1, dtype=np.int64)  # each n-gram's latest earlier occurrence
    count = np.zeros(size, dtype=np.int64)
    often = np.zeros(n, dtype=np.bool_)  # n-grams printed MAX_PRINTINGS times before
    for i in range(first, last):
        h = np.int64((np.uint64(hashes[i]) * np.uint64(0x9E3779B97F4A7C15)) >> shift)
        while latest[h] >= 0 and table[h] != hashes[i]:
            h = (h + 1) & (size - 1)
        before[i - first] = latest[h]
        often[i - first] = count[h] >= MAX_PRINTINGS
        table[h], latest[h] = hashes[i], i
        count[h] += 1
    # The printing each n-gram is part of: 1, or one more than the n-gram its echo repeats. Counted
    # by runs, not by n-grams: a common n-gram (" the ") is printed many times in any story, and
    # counting its own printings broke the echoes of a lead at each of them.
    printing = np.ones(n, dtype=np.int64)
    out = np.empty((n // max(min_run, 1) + 1, 2), dtype=np.int64)
    m = 0
    i = first
    while i < last:
        p = before[i - first]
        delta = i - p
        if p < 0 or delta < min_run:
            i += 1
            continue
        if printing[p - first] >= MAX_PRINTINGS:
            printing[i - first] = MAX_PRINTINGS  # (printed over and over: what repeats it is no echo either)
            i += 1
            continue
        printing[i - first] = printing[p - first] + 1
        j = i + 1
        while j < last and hashes[j] == hashes[j - delta] and printing[j - delta - first] < MAX_PRINTINGS:
            printing[j - first] = printing[j - delta - first] + 1
            j += 1
        if j - i >= min_run and often[i - first : j - first].sum() <= _OFTEN * (j - i):
            out[m, 0], out[m, 1] = i, j
            m += 1
            i = j
            continue
        printing[i - first : j - first] = 1
        # A long run of terms each printed over and over (a list) is no echo, nor any part of it.
        i = j if j - i >= min_run else i + 1
    return out[:m]


# The alignment of a document with copies, one printing at a time (dedup.align): which seeds a
# view shows, and what it adds to the rows found before.


@njit(cache=True, nogil=True)
def _inside(lo: int, hi: int, copies: npt.NDArray[np.int64], r: int, slack: int) -> bool:
    """Whether the span ``lo .. hi`` lies in copy ``r`` (``slack`` characters either way)."""
    return bool(copies[r, 0] - slack <= lo and hi <= copies[r, 1] + slack)


@njit(cache=True, nogil=True)
def _printing(copies: npt.NDArray[np.int64], start: int, end: int) -> int:
    """The copy (row of :attr:`Prepared.copies`) holding the span ``start .. end``, or -1.

    Example:
        >>> import numpy as np
        >>> copies = np.array([[100, 200, 0, 100]])
        >>> _printing(copies, 120, 130), _printing(copies, 190, 210), _printing(copies, 20, 30)
        (0, -1, -1)
    """
    for r in range(len(copies)):
        if _inside(start, end, copies, r, 0):
            return r
    return -1


@njit(cache=True, nogil=True)
def _left_out(copies: npt.NDArray[np.int64], q: int, r: int) -> tuple[int, int]:
    """The span of text that view ``r`` leaves out for copy ``q``: its source if ``q`` is ``r``, else the copy."""
    return (copies[q, 2], copies[q, 3]) if q == r else (copies[q, 0], copies[q, 1])


@njit(cache=True, nogil=True)
def _parts(starts: npt.NDArray[np.int64], copies: npt.NDArray[np.int64], r: int) -> npt.NDArray[np.int64]:
    """For each seed, how many of the printings view ``r`` leaves out (:func:`_view`) end before it."""
    part = np.zeros(len(starts), dtype=np.int64)
    for q in range(len(copies)):
        end = _left_out(copies, q, r)[1]
        for k in range(len(starts)):
            part[k] += starts[k] >= end
    return part


@njit(cache=True, nogil=True)
def _view(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], copies: npt.NDArray[np.int64], r: int
) -> npt.NDArray[np.bool_]:
    """The seeds one side shows with copy ``r`` standing where its source is (-1: no copy at all).

    A seed over any of the text the view leaves out (the other copies; the source of ``r``, or
    with ``r`` -1 every copy) is left out with it.
    """
    keep = np.ones(len(starts), dtype=np.bool_)
    for q in range(len(copies)):
        lo, hi = _left_out(copies, q, r)
        for k in range(len(starts)):
            if starts[k] < hi and lo < ends[k]:
                keep[k] = False
    return keep


@njit(cache=True, nogil=True)
def _over(lo: int, hi: int, copies: npt.NDArray[np.int64], r: int) -> bool:
    """Whether the span ``lo .. hi`` overlaps copy ``r`` (never for -1)."""
    return r >= 0 and min(hi, copies[r, 1]) > max(lo, copies[r, 0])


@njit(cache=True, nogil=True)
def _to_source(
    lo: int, hi: int, copies: npt.NDArray[np.int64], r: int, slack: int, spill: int
) -> tuple[int, int, bool]:
    """The span ``lo .. hi`` moved to the source of copy ``r`` if it lies in the copy (``slack`` either way).

    A span over the copy that runs on past it by less than ``spill`` characters at either end is
    cut to the copy first: what it adds is too short to be a passage of its own.
    """
    if r < 0 or not _over(lo, hi, copies, r):
        return lo, hi, False
    if not _inside(lo, hi, copies, r, slack):
        if copies[r, 0] - lo >= spill or hi - copies[r, 1] >= spill:
            return lo, hi, False
        lo, hi = max(lo, copies[r, 0]), min(hi, copies[r, 1])
    shift = copies[r, 2] - copies[r, 0]
    return lo + shift, hi + shift, True


@njit(cache=True, nogil=True)
def _same_row(found: npt.NDArray[np.int64], a0: int, a1: int, b0: int, b1: int) -> int:
    """The first row of ``found`` that the span covers half of, or that covers half of it, on both sides; or -1."""
    for q in range(len(found)):
        over_a = min(a1, found[q, 1]) - max(a0, found[q, 0])
        over_b = min(b1, found[q, 3]) - max(b0, found[q, 2])
        if 2 * over_a >= min(a1 - a0, found[q, 1] - found[q, 0]) and 2 * over_b >= min(
            b1 - b0, found[q, 3] - found[q, 2]
        ):
            return q
    return -1


@njit(cache=True, nogil=True)
def _found_before(
    row: npt.NDArray[np.int64],
    found: npt.NDArray[np.int64],
    copies_a: npt.NDArray[np.int64],
    r_a: int,
    copies_b: npt.NDArray[np.int64],
    r_b: int,
    slack: int,
    spill: int,
) -> bool:
    """Whether ``row``, moved from the copies it lies in to their sources, is a row of ``found``.

    A side lies in its copy (``r_a``, ``r_b``; -1 none) within ``slack`` characters either way,
    or runs on past it by less than ``spill`` (a page scraped twice, its second printing followed
    by a footer the other document also prints: the copy and the footer's first words); a row of
    ``found`` is the same when each covers half the other's span, or more, on both sides. A row in
    no copy is never found before.
    """
    a0, a1, moved_a = _to_source(row[0], row[1], copies_a, r_a, slack, spill)
    b0, b1, moved_b = _to_source(row[2], row[3], copies_b, r_b, slack, spill)
    return (moved_a or moved_b) and _same_row(found, a0, a1, b0, b1) >= 0


@njit(cache=True, nogil=True)
def _add_row(found: npt.NDArray[np.int64], row: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``found`` with ``row``, unless one covers half the other on both sides (the one with more seeds stays)."""
    q = _same_row(found, row[0], row[1], row[2], row[3])
    if q >= 0:
        if row[4] > found[q, 4]:
            found[q] = row
        return found
    out = np.empty((len(found) + 1, 6), dtype=np.int64)
    out[: len(found)] = found
    out[len(found)] = row
    return out
