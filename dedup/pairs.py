"""The step every engine takes a candidate pair through: kept or not, aligned, scored, ranked.

The local scan, the archive index and the Spark engine share these functions, so that they report
the same passages and scores: which candidate pairs of briefs are kept on fewer bands
(:func:`needed_bands`), how a document is prepared (:func:`prepare_text`), how a pair is aligned and
scored (:func:`align_pair`, :func:`pair_score`) and how reported pairs are ordered
(:func:`pair_rank`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import _starts, in_sorted
from .align import Alignment, Prepared, align, prepare
from .boilerplate import Boilerplate
from .config import ScanConfig
from .dates import precedes
from .errors import ParameterError
from .minhash import jaccard
from .normalize import normalize
from .records import Pair, Passage, Span
from .score import coverage, pair_scores, set_scores
from .scripts import letter_count
from .shingle import shingle

__all__ = [
    "align_pair", "least_bands", "needed_bands", "pair_rank", "pair_score", "prepare_text",
    "reaches_min_score", "short_pair", "too_short",
]  # fmt: skip


def too_short(text: str, min_exact: int) -> tuple[str, str] | None:
    """Why a normalised text is too short to compare (its kind and reason), or None when it is not.

    A text shorter than the shortest passage (``min_exact`` letters) holds none, and what it shares
    with another document is a phrase. A longer one is compared, however short: a brief of one
    wire sentence under ``min_length`` makes no passage of its own, and is reported on its score
    (:func:`reaches_min_score`). Its length is counted in letters (:func:`dedup.scripts.letter_count`):
    a Chinese character holds three.

    Example:
        >>> too_short("short text", 40)
        ('too short', 'too short (10 normalised characters): a document needs at least min_exact (40) letters')
        >>> too_short("国防部星期一表示" * 2, 40) is None
        True
        >>> too_short("国防部星期一", 40)[1]
        'too short (6 normalised characters, 18 letters): a document needs at least min_exact (40) letters'
    """
    if len(text) >= min_exact:  # (a character is at least a letter)
        return None
    letters = letter_count(text)
    if letters >= min_exact:
        return None
    if not text:
        return "empty", f"empty: a document needs at least min_exact ({min_exact}) letters"
    what = f"too short ({len(text)} normalised character{'s' if len(text) != 1 else ''}"
    what += f", {letters:g} letters)" if letters > len(text) else ")"  # (39.5 is no 40)
    return "too short", f"{what}: a document needs at least min_exact ({min_exact}) letters"


def prepare_text(text: str, config: ScanConfig, common: Boilerplate | None) -> Prepared:
    """A raw text normalised, shingled and prepared for :func:`dedup.align.align`, ``common``'s seeds left out.

    The one preparation of a document for alignment, shared by every engine (local and Spark).

    Example:
        >>> prepare_text("Some text to align. " * 10, ScanConfig(), None).normalized.text[:9]
        'some text'
    """
    normalized = normalize(text, profile=config.profile)
    return prepare(normalized, shingle(normalized.text, config.ngram), config.align_params, common, text=text)


def short_pair(windows: tuple[int, int], config: ScanConfig) -> bool:
    """Whether a document of the pair is short (at most ``short_windows`` windows): a brief.

    Only such a pair is reported on its score alone (and so is worth scoring without passages):
    between long documents (web pages, full articles) shared vocabulary alone reaches any useful
    ``min_score``, and a copy there leaves passages.

    Example:
        >>> short_pair((100, 20), ScanConfig(short_windows=32)), short_pair((100, 40), ScanConfig(short_windows=32))
        (True, False)
    """
    return windows[0] <= config.short_windows or windows[1] <= config.short_windows


def align_pair(
    a: Prepared,
    b: Prepared,
    ids: tuple[str, str],
    lengths: tuple[int, int],
    signatures: tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]],
    times: tuple[float, float],
    windows: tuple[int, int],
    config: ScanConfig,
    *,
    alignments: list[Alignment] | None = None,
    until: tuple[float, float] = (math.nan, math.nan),
    agencies: tuple[bool, bool] = (False, False),
) -> tuple[list[Passage], Pair | None]:
    """Align and score one candidate pair: its passages and its Pair (None when it shares no passage and scores low).

    ``a`` and ``b`` are the prepared documents (a first in input order); the tuples hold, for a
    then b, their ids, raw lengths, whole-document MinHash signatures, dates as timestamps (NaN
    when none) and window counts. The one per-pair step of every engine (local and Spark), so both
    report the same passages and scores. ``alignments``, when given, are ``align(a, b,
    config.align_params)`` already computed. ``until`` holds where each date's period ends (a date
    without a time is its whole day: :func:`dedup.dates.period`; NaN: an instant), ``agencies``
    whether each document's source is a wire agency (:func:`pair_score`).

    Example:
        >>> cfg = ScanConfig()
        >>> text = ("The defence ministry said on Monday it had no plans to withdraw its 2,500 troops "
        ...         "from the country, despite the announcement last week of talks on ending the mission. ")
        >>> a = prepare_text("First outlet. " + text, cfg, None)
        >>> b = prepare_text(text + " Second outlet.", cfg, None)
        >>> sig = np.zeros(cfg.num_perm, np.uint32)
        >>> found, pair = align_pair(a, b, ("x", "y"), (0, 0), (sig, sig), (math.nan, math.nan), (1, 1), cfg)
        >>> len(found), pair.a, pair.b, found[0].b.start
        (1, 'x', 'y', 0)
    """
    if alignments is None:
        alignments = align(a, b, config.align_params)
    short = short_pair(windows, config)
    if not alignments and not (short and reaches_min_score(a, b, times, config, until=until, agencies=agencies)):
        return [], None
    a_id, b_id = ids
    spans = np.array([(x.a_start, x.a_end, x.b_start, x.b_end) for x in alignments], dtype=np.int64)
    # (the whole pair over what is not either source's boilerplate; its passages over their text)
    scores, (jac, cont_a, cont_b) = pair_scores(
        a, a.ngrams, a.ranks, b, b.ngrams, b.ranks, spans, a_kept=a.scored, b_kept=b.scored
    )
    found = []
    for al, (similarity, in_a, in_b) in zip(alignments, scores.tolist(), strict=True):
        if similarity >= config.min_similarity:
            a0, a1 = a.normalized.raw_span(al.a_start, al.a_end)
            b0, b1 = b.normalized.raw_span(al.b_start, al.b_end)
            found.append(Passage(Span(a_id, a0, a1), Span(b_id, b0, b1), similarity, in_a, in_b, al.seeds))
    score = pair_score(cont_a, cont_b, times[0], times[1], *until, agencies=agencies)
    if not found and not (short and _reported_on_score(score, a, b, times, config, until, agencies)):
        return found, None
    pair = Pair(
        a=a_id,
        b=b_id,
        coverage_a=coverage([(p.a.start, p.a.end) for p in found], lengths[0]),
        coverage_b=coverage([(p.b.start, p.b.end) for p in found], lengths[1]),
        containment_a=cont_a,
        containment_b=cont_b,
        jaccard=jac,
        jaccard_estimate=jaccard(signatures[0], signatures[1]),
        passages=len(found),
        longest=max((p.length for p in found), default=0),
        score=score,
    )
    return found, pair


def reaches_min_score(
    a: Prepared,
    b: Prepared,
    times: tuple[float, float],
    config: ScanConfig,
    *,
    until: tuple[float, float] = (math.nan, math.nan),
    agencies: tuple[bool, bool] = (False, False),
) -> bool:
    """Whether the pair's score (:func:`pair_score` of the two n-gram sets) reaches ``min_score`` (or nearly: below).

    A score a third under ``min_score`` at most reaches it when a fifth of the later story's
    rare character seeds are among the other's (``_RARE_SCORE``, ``_RARE_SHARE``).

    What reports a pair with a short document and no passage (:func:`align_pair`). The scan asks
    it first for such a pair, before it looks up anything else: a brief is a candidate of many
    documents it shares a few bands with, and few such pairs are reported.

    The sets leave each source's boilerplate out (:attr:`dedup.align.Prepared.scored`): an
    outlet's sign-off is a third of a brief, and outlets whose sign-offs follow one template would
    otherwise score over ``min_score`` on it alone.

    Example:
        >>> cfg = ScanConfig()
        >>> brief = prepare_text("The ministry said the talks on the mission would resume next week. " * 3, cfg, None)
        >>> other = prepare_text("Rain is expected over the coast tomorrow, the weather office said. " * 3, cfg, None)
        >>> reaches_min_score(brief, brief, (math.nan, math.nan), cfg), reaches_min_score(brief, other, (1.0, 2.0), cfg)
        (True, False)
    """
    _, in_a, in_b = set_scores(a.ngrams, b.ngrams, x_kept=a.scored, y_kept=b.scored)
    score = pair_score(in_a, in_b, times[0], times[1], *until, agencies=agencies)
    return _reported_on_score(score, a, b, times, config, until, agencies)


# A brief a little under min_score (by a third at most: 0.10 for the default 0.15) is reported
# when its rare wording is the other story's: a fifth or more of the later story's rare character
# seeds (Prepared.seed_rare: in at most rare_df of the documents) are among the other's seeds. A
# rewritten brief keeps the story's names in their phrases; two reports of one event share the
# language's common wording, which a lower min_score alone would let in, in English most of all
# (docs/quality.md, "Rare wording under min_score").
_RARE_SCORE = 2 / 3
_RARE_SHARE = 0.2


def _reported_on_score(
    score: float,
    a: Prepared,
    b: Prepared,
    times: tuple[float, float],
    config: ScanConfig,
    until: tuple[float, float],
    agencies: tuple[bool, bool],
) -> bool:
    """Whether a pair without passages, of ``score``, is reported: ``min_score``, or nearly with rare wording shared."""
    if score >= config.min_score:
        return True
    # (min_score 1 asks for passages only: nothing short of it is reported on its score)
    if config.min_score >= 1 or score < _RARE_SCORE * config.min_score:
        return False
    rare = pair_score(_rare_share(a, b), _rare_share(b, a), times[0], times[1], *until, agencies=agencies)
    return rare >= _RARE_SHARE


def _rare_share(x: Prepared, y: Prepared) -> float:
    """The share of ``x``'s distinct rare character seeds that ``y`` holds among its seeds (0 without any).

    Example:
        >>> cfg = ScanConfig()
        >>> x = prepare_text("The ministry said the talks would resume next week in Geneva. " * 2, cfg, None)
        >>> _rare_share(x, x), _rare_share(x, prepare_text("Rain is expected tomorrow. " * 4, cfg, None))
        (1.0, 0.0)
    """
    keys = x.seed_keys[x.seed_rare]
    if not len(keys):
        return 0.0
    keys = keys[_starts(keys)]  # (seed_keys are sorted: each key's first occurrence)
    return float(np.count_nonzero(in_sorted(y.seed_keys, keys)) / len(keys))


def pair_rank(pair: Pair) -> tuple[Any, ...]:
    """The sort key of the reported pairs: the highest score first, ties by ids (every engine sorts by it).

    Example:
        >>> pairs = [Pair("a", "b", 0.1, 0.2, 0, 0, 0, 0, 1, 1, score=0.2),
        ...          Pair("c", "d", 0.5, 0.1, 0, 0, 0, 0, 1, 1, score=0.5)]
        >>> [p.a for p in sorted(pairs, key=pair_rank)]
        ['c', 'a']
    """
    return (-pair.score, pair.a, pair.b)


def pair_score(
    containment_a: float,
    containment_b: float,
    time_a: float,
    time_b: float,
    until_a: float = math.nan,
    until_b: float = math.nan,
    *,
    agencies: tuple[bool, bool] = (False, False),
) -> float:
    """How much of a document pair is reused: the share of the later document's n-grams found in the earlier one.

    The dates are timestamps (NaN when none); ``until_a`` and ``until_b`` end the period a date
    names (a date without a time is its day: :func:`dedup.dates.precedes`; NaN: an instant). When
    the dates do not order the pair (unknown, equal, or overlapping: a story dated by its day
    alone, another timestamped that day) and one document alone is a wire agency's (``agencies``:
    whether each one's source names one, :func:`dedup.agencies.wire_agency`), the agency's story
    is the earlier: outlets run agency copy, seldom the other way round. Otherwise which document
    copies the other is unknown, and the score is the geometric mean of the two containments (the
    cosine of the two n-gram sets).

    Example:
        >>> pair_score(0.2, 0.9, 1.0, 2.0), pair_score(0.25, 0.81, math.nan, 2.0)
        (0.9, 0.45)
        >>> pair_score(0.25, 0.81, 0.0, 60.0, 86400.0)  # a's date is a day, b's a time within it
        0.45
        >>> pair_score(0.25, 0.81, math.nan, math.nan, agencies=(True, False))  # a is Reuters' story
        0.81
    """
    if precedes(time_a, until_a, time_b, until_b):
        return containment_b
    if precedes(time_b, until_b, time_a, until_a):
        return containment_a
    if agencies[0] != agencies[1]:
        return containment_b if agencies[0] else containment_a
    return math.sqrt(containment_a * containment_b)


# Chance band collisions grow with the window pairs of two documents, and so does the evidence a
# pair needs. A brief against a long web page or report has thousands of window pairs: all of
# min_bands. A brief against a story of news length (a 32-window brief against up to 128 windows,
# at most 4 x short_windows² window pairs): half. Two short stories (a brief of 8 windows against
# a story of 32, at most short_windows² / 4 window pairs): a quarter, one band, which by chance
# is about as rare there as two bands are at 16 times the window pairs; an agency brief that an
# outlet cut and edited may keep too little verbatim text to collide in more (docs/quality.md,
# "What the MinHash seed decides"). Each step down in bands is a step of 16 in window pairs.
_SHORT_PAIRS = 4  # window pairs under which a pair needs half of min_bands, in short_windows²
_TINY_PAIRS = 4  # ... and a quarter of min_bands: short_windows² / _TINY_PAIRS


def least_bands(config: ScanConfig) -> int:
    """The fewest bands any candidate pair may share (a quarter of ``min_bands`` when briefs are relaxed).

    Every engine counts band pairs down to this, then keeps the pairs sharing the bands
    :func:`needed_bands` asks of them.

    Example:
        >>> least_bands(ScanConfig()), least_bands(ScanConfig(short_windows=0))
        (1, 4)
    """
    return max(1, config.min_bands // 4) if config.short_windows else config.min_bands


def needed_bands(
    windows_left: npt.NDArray[np.int64], windows_right: npt.NDArray[np.int64], config: ScanConfig
) -> npt.NDArray[np.int64]:
    """The bands each pair must share to be a candidate, given both documents' window counts.

    ``min_bands``; half as many for a brief (at most ``short_windows`` windows) against a story of
    news length (at most ``4 * short_windows**2`` window pairs between the two); a quarter (at
    least one) for two short stories (at most ``short_windows**2 / 4`` window pairs). The one
    candidate rule of every engine (the Spark engine calls it on batches of counted pairs).

    Example:
        >>> needed_bands(np.array([8, 20, 20, 50]), np.array([30, 100, 300, 100]), ScanConfig()).tolist()
        [1, 2, 4, 4]
    """
    windows_left, windows_right = np.asarray(windows_left, np.int64), np.asarray(windows_right, np.int64)
    if windows_left.shape != windows_right.shape:
        raise ParameterError(
            f"windows_left and windows_right must have one count a pair, got shapes {windows_left.shape} and "
            f"{windows_right.shape}"
        )
    needed = _needed_all(windows_left.ravel(), windows_right.ravel(), config.min_bands, config.short_windows)
    return needed.reshape(windows_left.shape)


@njit(cache=True, nogil=True, inline="always")
def _needed(x: int, y: int, min_bands: int, short_windows: int) -> int:
    """The rule of :func:`needed_bands` for one pair of window counts (the kernels' one copy of it)."""
    if min(x, y) > short_windows:
        return min_bands
    square = short_windows * short_windows
    if x * y * _TINY_PAIRS <= square:
        return max(1, min_bands // 4)
    if x * y <= _SHORT_PAIRS * square:
        return max(1, min_bands // 2)
    return min_bands


@njit(cache=True, nogil=True)
def _needed_all(
    windows_left: npt.NDArray[np.int64], windows_right: npt.NDArray[np.int64], min_bands: int, short_windows: int
) -> npt.NDArray[np.int64]:
    out = np.empty(len(windows_left), dtype=np.int64)
    for k in range(len(windows_left)):
        out[k] = _needed(windows_left[k], windows_right[k], min_bands, short_windows)
    return out


@njit(cache=True, nogil=True)
def _kept_pairs(
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    shared: npt.NDArray[np.int64],
    windows: npt.NDArray[np.int64],
    min_bands: int,
    short_windows: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The pairs sharing the bands :func:`needed_bands` asks of them (in order).

    The arrays are compacted in place and views of them returned: on a dense corpus they are
    millions of pairs, and fresh arrays for the kept ones cost more in new pages than the test.
    """
    n = 0
    for k in range(len(left)):
        enough = shared[k] >= min_bands  # (the cheap test first: on a dense corpus most pairs pass it)
        if enough or shared[k] >= _needed(windows[left[k]], windows[right[k]], min_bands, short_windows):
            left[n], right[n], shared[n] = left[k], right[k], shared[k]
            n += 1
    return left[:n], right[:n], shared[:n]
