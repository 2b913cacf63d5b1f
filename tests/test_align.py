"""Tests for alignment: planted passages are found where they were planted, and nothing else is.

Offsets are checked with a precise slack: a reported span may differ from the planted one by at
most ``SLACK`` characters at each end, that is one word of the generated texts (words are at most
``MAX_WORD`` letters, plus the space). Passages are widened to whole words, so a chance seed that
straddles the boundary can add the neighbouring word, and a boundary word that also occurs in the
filler can be lost; more than one word either way is a bug.
"""

from __future__ import annotations

import itertools
import random
import re
import sys
from difflib import SequenceMatcher
from pathlib import Path
from unittest import mock

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from references import linked_components

from dedup import seeds
from dedup._arrays import radix_order, stable_order
from dedup._matching import matching_blocks, word_spans
from dedup.align import (
    Alignment,
    AlignParams,
    Prepared,
    _alike,
    _rows,
    _rules,
    _two_passes,
    _verbatim_reach,
    align,
    document_keys,
    prepare,
)
from dedup.assemble import _join, _share_seeds, _tile, _union, _word_share
from dedup.boilerplate import ROW_MULTIPLIERS
from dedup.chain import _MOVED, _by_diagonal, _chain, _meet, _split_occupied
from dedup.edges import _untangle
from dedup.errors import ParameterError
from dedup.group import (
    Layout,
    Rules,
    _covered,
    _dense_stretch,
    _drop_lone_ends,
    _group_passages,
    _kept_words,
    _passages_of,
    _sort_segment,
    _tile_chains,
    _trim,
)
from dedup.join import (
    _SPARSE,
    _filter_probe,
    _join_filtered,
    _join_groups,
    _key_filter,
    _seed_spans,
    _SeedSpans,
    _side_spans,
)
from dedup.normalize import normalize
from dedup.records import Document, Passage
from dedup.scan import ScanConfig, scan
from dedup.score import pair_scores
from dedup.seeds import _prepare_kernel
from dedup.shingle import hash_many, shingle

MAX_WORD = 8
SLACK = MAX_WORD + 1
LATIN = "abcdefghijklmnopqrstuvwxyz"
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
SEEDS = Path(__file__).parent.parent / "seeds"

_SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _words(rng: random.Random, alphabet: str, count: int, avoid: set[str], shortest: int = 3) -> list[str]:
    """``count`` distinct random words of ``shortest``..MAX_WORD letters, none of them in ``avoid``."""
    out: list[str] = []
    seen = set(avoid)
    while len(out) < count:
        word = "".join(rng.choice(alphabet) for _ in range(rng.randint(shortest, MAX_WORD)))
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def _text(*parts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join word lists into one text; return it and the raw span of every part."""
    text, spans = "", []
    for part in parts:
        if text and part:
            text += " "
        start = len(text)
        text += " ".join(part)
        spans.append((start, len(text)))
    return text, spans


def _scan(text_a: str, text_b: str, config: ScanConfig | None = None) -> list[Passage]:
    docs = [Document("a", text_a, source="x"), Document("b", text_b, source="y")]
    passages = scan(docs, config or ScanConfig()).passages
    # Orient every passage a -> b, whichever order the scan reported it in.
    return [
        p if p.a.doc == "a" else Passage(p.b, p.a, p.similarity, p.containment_b, p.containment_a, p.seeds)
        for p in passages
    ]


def _close(found: tuple[int, int], planted: tuple[int, int]) -> bool:
    return abs(found[0] - planted[0]) <= SLACK and abs(found[1] - planted[1]) <= SLACK


alphabets = st.sampled_from([LATIN, ARABIC])


@_SETTINGS
@given(
    alphabet=alphabets,
    seed=st.integers(0, 2**32 - 1),
    shared=st.integers(60, 120),
    before=st.tuples(st.integers(0, 80), st.integers(0, 80)),
    after=st.tuples(st.integers(0, 80), st.integers(0, 80)),
)
def test_planted_passage_is_found_at_its_offsets(
    alphabet: str, seed: int, shared: int, before: tuple[int, int], after: tuple[int, int]
) -> None:
    rng = random.Random(seed)
    passage = _words(rng, alphabet, shared, set())
    filler = _words(rng, alphabet, sum(before) + sum(after), set(passage))
    a_before, b_before = filler[: before[0]], filler[before[0] : sum(before)]
    rest = filler[sum(before) :]
    text_a, spans_a = _text(a_before, passage, rest[: after[0]])
    text_b, spans_b = _text(b_before, passage, rest[after[0] :])
    found = _scan(text_a, text_b)
    assert len(found) == 1
    p = found[0]
    assert _close((p.a.start, p.a.end), spans_a[1])
    assert _close((p.b.start, p.b.end), spans_b[1])


# (Slow: int64 positions compile every alignment kernel again, most of a minute of a fresh
# machine's CPU; only texts of 2^31 code points take them.)
@pytest.mark.slow
@_SETTINGS
@given(alphabet=alphabets, seed=st.integers(0, 2**32 - 1), shared=st.integers(15, 80))
def test_narrow_positions_align_and_score_as_wide_ones(alphabet: str, seed: int, shared: int) -> None:
    # prepare() keeps a document's positions in int32 (the scan caches prepared documents); the
    # kernels must give with them exactly what they give with int64 positions.
    rng = random.Random(seed)
    passage = _words(rng, alphabet, shared, set())
    filler = _words(rng, alphabet, 60, set(passage))
    texts = [_text(filler[:20], passage, filler[20:30])[0], _text(filler[30:45], passage, passage[:5], filler[45:])[0]]
    params = AlignParams(min_length=40, min_exact=20)
    narrow = [prepare(n, shingle(n.text, 5), params) for n in map(normalize, texts)]
    with mock.patch.object(seeds, "_NARROW_LIMIT", 0):
        wide = [prepare(n, shingle(n.text, 5), params) for n in map(normalize, texts)]
    assert narrow[0].seed_index.dtype == np.int32 and narrow[0].normalized.offsets.dtype == np.int32
    assert wide[0].seed_index.dtype == np.int64 and wide[0].starts.dtype == np.int64
    found = align(*narrow, params)
    assert found  # the planted passage (and its repeated start)
    assert found == align(*wide, params)
    spans = np.array([(x.a_start, x.a_end, x.b_start, x.b_end) for x in found], dtype=np.int64).reshape(-1, 4)
    scores = [pair_scores(a, a.ngrams, a.ranks, b, b.ngrams, b.ranks, spans) for a, b in [narrow, wide]]
    assert np.array_equal(scores[0][0], scores[1][0]) and scores[0][1] == scores[1][1]
    assert [narrow[0].normalized.raw_span(x.a_start, x.a_end) for x in found] == [
        wide[0].normalized.raw_span(x.a_start, x.a_end) for x in found
    ]
    assert sum(p.nbytes for p in narrow) < sum(p.nbytes for p in wide)


@_SETTINGS
@given(alphabet=alphabets, seed=st.integers(0, 2**32 - 1))
def test_reordered_blocks_are_separate_passages(alphabet: str, seed: int) -> None:
    rng = random.Random(seed)
    x, y = _words(rng, alphabet, 50, set()), []
    y = _words(rng, alphabet, 50, set(x))
    f = _words(rng, alphabet, 6 * 60, set(x) | set(y))
    # Unshared text (about 60 words) between the blocks on both sides: two moved blocks, not one
    # reworded paragraph.
    text_a, spans_a = _text(f[0:60], x, f[60:120], y, f[120:180])
    text_b, spans_b = _text(f[180:240], y, f[240:300], x, f[300:360])
    found = sorted(_scan(text_a, text_b), key=lambda p: p.a.start)
    assert len(found) == 2
    assert _close((found[0].a.start, found[0].a.end), spans_a[1])
    assert _close((found[0].b.start, found[0].b.end), spans_b[3])
    assert _close((found[1].a.start, found[1].a.end), spans_a[3])
    assert _close((found[1].b.start, found[1].b.end), spans_b[1])


@_SETTINGS
@given(alphabet=alphabets, seed=st.integers(0, 2**32 - 1))
def test_word_shuffled_copy_is_found(alphabet: str, seed: int) -> None:
    rng = random.Random(seed)
    # Words of 5 letters or more, as in news prose: a shuffle of 3-letter words leaves too few
    # character 5-grams for the candidate search (LSH) to pair the documents at all.
    passage = _words(rng, alphabet, 300, set(), shortest=5)
    shuffled = passage[:]
    rng.shuffle(shuffled)
    f = _words(rng, alphabet, 160, set(passage))
    text_a, spans_a = _text(f[:40], passage, f[40:80])
    text_b, spans_b = _text(f[80:120], shuffled, f[120:])
    # Whether LSH pairs a shuffled copy at all is a matter of chance (measured on the corpora in
    # docs/quality.md); here every band collision makes a candidate, so that alignment is tested,
    # and a draw that no band pairs (seed 40959) tests nothing.
    config = ScanConfig(min_bands=1)
    docs = [Document("a", text_a, source="x"), Document("b", text_b, source="y")]
    assume(scan(docs, config).candidates == 1)
    found = _scan(text_a, text_b, config)
    assert len(found) == 1
    # Words shorter than word_min are no seeds, and a shuffle may leave several at an edge: the
    # passage may fall short there, but never reach more than one word past the copy.
    for (start, end), (s0, e0) in [
        ((found[0].a.start, found[0].a.end), spans_a[1]),
        ((found[0].b.start, found[0].b.end), spans_b[1]),
    ]:
        assert s0 - SLACK <= start and end <= e0 + SLACK
        assert min(end, e0) - max(start, s0) >= 0.95 * (e0 - s0)


@_SETTINGS
@given(alphabet=alphabets, seed=st.integers(0, 2**32 - 1))
def test_unrelated_texts_share_nothing(alphabet: str, seed: int) -> None:
    rng = random.Random(seed)
    # Each text 600 words drawn from its own vocabulary of 300 (made once: a vocabulary a word,
    # as this once read, took a second a text to make).
    vocabulary_a, vocabulary_b = _words(rng, alphabet, 300, set()), _words(rng, alphabet, 300, set())
    text_a = " ".join(rng.choice(vocabulary_a) for _ in range(600))
    text_b = " ".join(rng.choice(vocabulary_b) for _ in range(600))
    assert _scan(text_a, text_b) == []


def _quote(rng: random.Random, alphabet: str, avoid: set[str]) -> list[str]:
    """Words of a short quoted sentence: 50 to 149 characters, below min_length but above min_exact."""
    while True:
        words = _words(rng, alphabet, rng.randint(8, 16), avoid, shortest=4)
        if 50 <= len(" ".join(words)) < 150:
            return words


@_SETTINGS
@given(alphabet=alphabets, seed=st.integers(0, 2**32 - 1))
def test_short_verbatim_quote_counts_alone_only_as_a_sentence_of_news(alphabet: str, seed: int) -> None:
    rng = random.Random(seed)
    passage = _words(rng, alphabet, 60, set())
    quote = _quote(rng, alphabet, set(passage))
    f = _words(rng, alphabet, 400, set(passage) | set(quote))
    # Alone, a quote under two thirds of min_length is no passage: two reporters may write the same
    # phrase. From 100 characters, a sentence of news, it is one in a pair of news length (these
    # texts are: 2,700 characters at most), as an outlet's copy of one wire sentence is.
    text_a, alone_a = _text(f[0:60], quote, f[60:120])
    text_b, alone_b = _text(f[120:180], quote, f[180:240])
    assert max(len(text_a), len(text_b)) <= 2_700
    alone = _scan(text_a, text_b)
    if len(" ".join(quote)) < 100:
        assert alone == []
    else:
        assert len(alone) == 1
        assert _close((alone[0].a.start, alone[0].a.end), alone_a[1])
        assert _close((alone[0].b.start, alone[0].b.end), alone_b[1])
    # In a pair that shares a passage, the quote is a passage of its own, in order or not: pieces
    # with unshared text between them are separate passages, each ending where the shared text ends.
    for order_a in ((passage, quote), (quote, passage)):
        text_a, spans_a = _text(f[0:40], order_a[0], f[40:70], order_a[1], f[70:110])
        text_b, spans_b = _text(f[110:150], passage, f[150:180], quote, f[180:220])
        found = sorted(_scan(text_a, text_b), key=lambda p: p.b.start)
        assert len(found) == 2
        first = order_a[0] is passage
        assert _close((found[0].a.start, found[0].a.end), spans_a[1 if first else 3])
        assert _close((found[0].b.start, found[0].b.end), spans_b[1])
        assert _close((found[1].a.start, found[1].a.end), spans_a[3 if first else 1])
        assert _close((found[1].b.start, found[1].b.end), spans_b[3])


def _chain_reference(start_a: list[int], start_b: list[int], gap: int) -> list[int]:
    """Single linkage over every pair of seeds, chains numbered by first seed: what _chain computes faster."""
    roots = linked_components(
        len(start_a), lambda i, j: abs(start_a[j] - start_a[i]) <= gap and abs(start_b[j] - start_b[i]) <= gap
    )
    number = {root: k for k, root in enumerate(dict.fromkeys(roots))}
    return [number[root] for root in roots]


@settings(max_examples=300, deadline=None)
@given(
    runs=st.lists(
        st.tuples(st.integers(0, 600), st.integers(0, 600), st.lists(st.sampled_from([1, 1, 1, 2]), max_size=40)),
        max_size=6,
    ),
    points=st.lists(st.tuples(st.integers(0, 600), st.integers(0, 600)), max_size=25),
    gap=st.integers(0, 120),
)
def test_chain_over_runs_equals_single_linkage_over_seeds(
    runs: list[tuple[int, int, list[int]]], points: list[tuple[int, int]], gap: int
) -> None:
    # Copied stretches (seeds 1 or 2 apart on one diagonal, as a space leaves) among scattered seeds.
    seeds = set(points)
    for a0, b0, steps in runs:
        a = a0
        seeds.add((a, b0))
        for step in steps:
            a += step
            seeds.add((a, b0 + a - a0))
    ordered = sorted(seeds)
    start_a, start_b = [a for a, _ in ordered], [b for _, b in ordered]
    got = _chain(np.array(start_a, np.int64), np.array(start_b, np.int64), gap)
    assert got.tolist() == _chain_reference(start_a, start_b, gap)


def _seeds(*runs: tuple[int, int, int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Seed starts (a, b), sorted along a, for runs (a_start, a_end, b_shift) of seeds 5 apart."""
    pairs = sorted((a, a + shift) for a0, a1, shift in runs for a in range(a0, a1, 5))
    return np.array([a for a, _ in pairs], np.int64), np.array([b for _, b in pairs], np.int64)


@pytest.mark.parametrize(
    ("first", "second", "between", "parted"),
    [
        # two pieces of an edited copy (a clause cut on side b), 145 characters apart: one chain
        ((0, 100, 1000), (250, 400, 900), None, False),
        # ... the text between is copy matched far away (a sentence moved there)
        ((0, 100, 1000), (250, 400, 900), (120, 240, 5000), True),
        # ... matched where this copy is (its own shuffled words)
        ((0, 100, 1000), (250, 400, 900), (120, 240, 1000), False),
        # 155 characters on side a only (45 on b) between pieces of 105 and 140: text added, as
        # long as min_length, beside pieces of 60 or more (each can stand as a near-verbatim piece)
        ((0, 100, 1000), (260, 400, 890), None, True),
        # ... the piece after it only 50 characters: not parted
        ((0, 100, 1000), (260, 300, 890), None, False),
        # nothing between, and more than 3/4 of `gap` on both sides: unshared text
        ((0, 100, 1000), (270, 400, 1000), None, True),
        # a piece of 205 characters, then 125 on side a only (5 on b), then one of 175: text added on a
        ((0, 200, 1000), (330, 500, 880), None, True),
        # ... the piece after it only 95 characters: not parted (cut off, it might be lost)
        ((0, 200, 1000), (330, 420, 880), None, False),
    ],
)
def test_chains_part_where_copy_from_elsewhere_or_unshared_text_lies_between(
    first: tuple[int, int, int], second: tuple[int, int, int], between: tuple[int, int, int] | None, parted: bool
) -> None:
    start_a, start_b = _seeds(first, second, *([between] if between else []))
    chains = _chain(start_a, start_b, 200)
    assert chains[start_a == 0][0] == chains[start_a == second[0]][0]  # single linkage joins the two pieces
    split = _split_occupied(chains, start_a, start_a + 10, start_b, start_b + 10, 55, 200, 3, 20, True, 150)
    assert (split[start_a == 0][0] != split[start_a == second[0]][0]) == parted
    # Seeds of one piece stay together, and labels number chains by their first seed along a.
    assert len(set(split[start_a < 100].tolist())) == 1
    firsts = [split[start_a == a][0] for a in sorted(set(start_a.tolist()))]
    assert [x for k, x in enumerate(firsts) if x not in firsts[:k]] == list(range(split.max() + 1))


# --------------------------------------------------------------------------------------------------
# Joining pieces into passages


def test_in_order_pieces_are_joined_and_crossing_ones_are_not() -> None:
    first, second = Alignment(0, 200, 1000, 1200, 10), Alignment(400, 600, 1500, 1700, 10)
    texts = ("", "")  # no text between: only `join` can join
    assert _join([first, second], join=800, abut=30, edit=0, texts=texts) == [Alignment(0, 600, 1000, 1700, 20)]
    assert _join([first, second], join=100, abut=30, edit=0, texts=texts) == [first, second]
    nested = Alignment(50, 150, 3000, 3100, 5)  # inside `first` along a, far away along b
    assert _join([first, nested], join=800, abut=30, edit=0, texts=texts) == [first, nested]


def _two_pieces(between_a: str, between_b: str) -> tuple[list[Alignment], tuple[str, str]]:
    """Two copied pieces (`x` and `y` runs) in the same order on both sides, with the given text between."""
    one, two = "x" * 200, "y" * 200
    texts = (one + between_a + two, one + between_b + two)
    pieces = [
        Alignment(0, 200, 0, 200, 10),
        Alignment(200 + len(between_a), 400 + len(between_a), 200 + len(between_b), 400 + len(between_b), 10),
    ]
    return pieces, texts


def test_pieces_around_an_edit_are_one_passage() -> None:
    # A clause reworded between two copied pieces: the copy goes on through it.
    pieces, texts = _two_pieces(
        " the minister told reporters on Monday that the talks would resume in the capital next week ",
        " the minister said on Monday talks would resume in the capital within days ",
    )
    assert _join(pieces, join=0, abut=30, edit=300, texts=texts) == [_union(pieces)]
    # ... unless it is longer than `edit` on either side.
    assert _join(pieces, join=0, abut=30, edit=60, texts=texts) == pieces


@pytest.mark.parametrize(
    ("between_a", "between_b"),
    [
        # a paragraph one outlet added, nothing on the other side
        (" the local council also met on Tuesday to discuss the new bus routes in the north ", " "),
        # text about something else on each side
        (
            " weather forecasters expect heavy rain across the region this weekend ",
            " the football club confirmed its new coach will start work in March ",
        ),
    ],
)
def test_pieces_parted_by_unshared_text_stay_apart(between_a: str, between_b: str) -> None:
    pieces, texts = _two_pieces(between_a, between_b)
    assert _join(pieces, join=0, abut=30, edit=300, texts=texts) == pieces


def test_pieces_with_another_passage_between_stay_apart() -> None:
    # The text between is alike on both sides, but part of it is a third passage matched elsewhere
    # (a sentence moved): the pieces around it are separate copies.
    pieces, texts = _two_pieces(
        " the minister said talks would resume next week ", " the minister said the talks resume next week "
    )
    moved = Alignment(2000, 2040, pieces[0].b_end + 5, pieces[1].b_start - 5, 4)
    assert _join([*pieces, moved], join=0, abut=30, edit=300, texts=texts) == sorted(
        [*pieces, moved], key=lambda x: (x.a_start, x.b_start)
    )


def test_word_share_is_the_smaller_side_share() -> None:
    texts = ("alpha beta gamma delta", "alpha beta other words here and more")
    x = Alignment(0, len(texts[0]), 0, len(texts[1]), 3)
    # a: 2 of 4 words found in b; b: 2 of 7 found in a
    assert _word_share(x, texts) == pytest.approx(2 / 7)
    assert _word_share(Alignment(0, 5, 0, 5, 1), ("12 34", "12 34")) == 1.0  # no words: seeds decide


def test_shuffled_sentences_that_tile_a_region_are_one_passage() -> None:
    # Three sentences in the order 3, 1, 2 on side b: together they tile one stretch on both sides.
    pieces = [Alignment(0, 100, 210, 300, 5), Alignment(105, 200, 0, 95, 5), Alignment(205, 300, 100, 205, 5)]
    texts = ("".join(f"word{k:03d} " for k in range(120)), "".join(f"term{k:03d} " for k in range(120)))
    assert _tile(pieces, abut=30, texts=texts) == [Alignment(0, 300, 0, 300, 15)]
    # With other text between them on side b they stay apart.
    apart = [Alignment(0, 100, 500, 600, 5), Alignment(105, 200, 0, 95, 5)]
    assert _tile(apart, abut=30, texts=texts) == sorted(apart, key=lambda x: x.a_start)


def test_a_headline_and_the_lead_it_repeats_are_not_one_tile() -> None:
    """A headline (a[0:60]) and the lead below it (a[62:400], its first 60 characters the
    headline's) both match b's one lead: two printings, not the pieces of one shuffled copy,
    though they cover their span on both sides (fails when tiled by coverage alone)."""
    lead = "the ministry said on monday it had no plans to withdraw its troops "
    body = lead + "".join(f"word{k:03d} " for k in range(40))
    a = lead[:60] + "  " + body[:338]
    b = "".join(f"own{k:03d} " for k in range(20)) + body[:338]
    headline, printed = Alignment(0, 60, 140, 200, 50), Alignment(62, 400, 140, 478, 300)
    assert _tile([headline, printed], abut=30, texts=(a, b)) == [headline, printed]
    # The same geometry with a headline of other words (a phrase moved into the text) is one tile.
    other = "x" * 60 + a[60:]
    assert _tile([headline, printed], abut=30, texts=(other, b)) == [Alignment(0, 400, 140, 478, 350)]


@pytest.mark.parametrize(
    "changes",
    [
        {"gap": -1},
        {"word_min": 0},
        {"min_length": 0},
        {"min_seeds": 0},
        {"min_exact": 0},
        {"min_exact": 151},
        {"exact_density": 1.5},
    ],
)
def test_bad_parameters_are_refused(changes: dict[str, float]) -> None:
    # Refused by the parameter's own check, which names it first (min_length=0 fails min_exact's
    # check too, which names min_length second).
    (name,) = changes
    with pytest.raises(ParameterError, match=rf"^{name}\b"):
        AlignParams(**changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# The demo corpus

# Each Reuters passage shared by 000 and 001 (README), as one phrase from it in each article.
_REUTERS = [
    ("لسحب قواتها البالغ عددها نحو 2500 جندي من العراق", "لسحب قواتها البالغ عددها قرابة 2500 جندي من العراق"),
    ("ليس لدي علم بأي خطط (للتخطيط للانسحاب)", "ليس لدي علم بأي خطط (للتخطيط للانسحاب)"),
    ("بدأت عملية تهدف إلى إنهاء مهمة التحالف العسكري الدولي", "بدأت عملية تهدف إلى إنهاء مهمة التحالف العسكري الدولي"),
]
_LAST = ("لوضع ترتيبات إنهاء وجود قوات التحالف الدولي في العراق بصورة نهائية",) * 2


@pytest.fixture(scope="module")
def seeds_scan() -> tuple[dict[str, str], list[Passage]]:
    texts = {path.name[:3]: path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))}
    docs = [Document(name, text, source=name) for name, text in texts.items()]
    return texts, scan(docs).passages


def _covered_by(passages: list[Passage], texts: dict[str, str], phrase_a: str, phrase_b: str) -> bool:
    a0, b0 = texts["000"].index(phrase_a), texts["001"].index(phrase_b)
    a1, b1 = a0 + len(phrase_a), b0 + len(phrase_b)
    for p in passages:
        spans = {p.a.doc: (p.a.start, p.a.end), p.b.doc: (p.b.start, p.b.end)}
        if set(spans) == {"000", "001"}:
            (sa, ea), (sb, eb) = spans["000"], spans["001"]
            if sa <= a0 and a1 <= ea and sb <= b0 and b1 <= eb:
                return True
    return False


@pytest.mark.parametrize("phrases", _REUTERS)
def test_seeds_reuters_passages_are_found(
    seeds_scan: tuple[dict[str, str], list[Passage]], phrases: tuple[str, str]
) -> None:
    texts, passages = seeds_scan
    assert _covered_by(passages, texts, *phrases)


def test_seeds_short_reuters_sentence_is_found(seeds_scan: tuple[dict[str, str], list[Passage]]) -> None:
    texts, passages = seeds_scan
    assert _covered_by(passages, texts, *_LAST)


def test_seeds_no_other_pair_shares_a_passage(seeds_scan: tuple[dict[str, str], list[Passage]]) -> None:
    _, passages = seeds_scan
    assert passages
    assert {frozenset((p.a.doc, p.b.doc)) for p in passages} == {frozenset(("000", "001"))}


@settings(max_examples=200, deadline=None)
@given(
    hashes=st.lists(st.integers(0, 6), max_size=40),
    offset=st.integers(0, 5),
    packed=st.booleans(),
    max_repeat=st.integers(1, 3),
)
def test_prepared_seeds_are_the_sorted_keys_occurring_at_most_max_repeat_times(
    hashes: list[int], offset: int, packed: bool, max_repeat: int
) -> None:
    # Few distinct values, so that repeated seeds are common; packed=False takes the path of huge documents.
    h = np.array(hashes, dtype=np.uint32) * np.uint32(0x9E3779B1)
    keys = [(int(h[i]) << 32) | int(h[i + offset]) for i in range(len(h) - offset)]
    few = sorted((k, i) for i, k in enumerate(keys) if keys.count(k) <= max_repeat)
    table = np.zeros((1, 1), dtype=np.uint32)
    out = _prepare_kernel(np.zeros(0, np.uint32), h, offset, 1, max_repeat, table, table, ROW_MULTIPLIERS,
                          np.uint64(63), np.uint64(0), -1, -1, 1 << 62 if packed else 0, np.zeros(0, np.int64),
                          np.zeros(0, np.int64), 0, 0)  # fmt: skip
    ngrams, ranks, got_keys, got_index, rare = out[:5]
    assert ngrams.tolist() == sorted(set(h.tolist())) and ngrams[ranks].tolist() == h.tolist()
    assert list(zip(got_keys.tolist(), got_index.tolist(), strict=True)) == few  # occurrences in text order
    assert rare.all()  # without corpus counts every seed is rare


@settings(max_examples=100, deadline=None)
@given(
    texts=st.lists(st.lists(st.integers(0, 6), max_size=30), max_size=5),
    offset=st.integers(0, 3),
    min_exact=st.sampled_from([6, 12, 40]),
)
def test_document_keys_are_each_texts_distinct_seeds_and_words(
    texts: list[list[int]], offset: int, min_exact: int
) -> None:
    words = [" ".join(f"w{k}xx" for k in t) for t in texts]  # one word a number: words repeat
    # A small min_exact makes short echoes (text printed again, dedup.copies._echoes) common.
    params = AlignParams(ngram=3, seed_length=3 + offset, word_min=3, min_exact=min_exact)
    normalized = [normalize(w) for w in words]
    keys, key_offsets = document_keys([n.text for n in normalized], *hash_many([n.text for n in normalized], 3), params)
    for t, n in enumerate(normalized):
        p = prepare(n, shingle(n.text, 3), params)
        mine = keys[key_offsets[t] : key_offsets[t + 1]].tolist()
        seeds, words = list(dict.fromkeys(p.seed_keys.tolist())), list(dict.fromkeys(p.word_keys.tolist()))
        # Each kind's distinct keys, character seeds first, each kind in the order the text gives them.
        assert sorted(mine[: len(seeds)]) == sorted(seeds) and sorted(mine[len(seeds) :]) == sorted(words)
        assert len(mine) == len(seeds) + len(words)


@settings(max_examples=200, deadline=None)
@given(
    intervals=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 300)), min_size=1, max_size=30),
    scale=st.sampled_from([1, 1000]),
)
def test_covered_counts_the_union_of_intervals(intervals: list[tuple[int, int]], scale: int) -> None:
    # scale 1000 spreads the intervals so far apart that the sorting path runs, 1 the difference array.
    starts = np.array([s // scale for s, _ in intervals], dtype=np.int64)
    ends = starts + np.array([n for _, n in intervals], dtype=np.int64)
    chars = {c for s, e in zip(starts.tolist(), ends.tolist(), strict=True) for c in range(s, e)}
    assert _covered(starts, ends) == len(chars)


@settings(max_examples=200, deadline=None)
@given(seeds=st.lists(st.tuples(st.integers(0, 5000), st.integers(-20000, 20000)), min_size=1, max_size=60))
def test_seeds_by_diagonal_equal_a_stable_sort_by_diagonal_then_a(seeds: list[tuple[int, int]]) -> None:
    start_a = np.array(sorted(a for a, _ in seeds), dtype=np.int64)
    diag = np.array([d for _, d in seeds], dtype=np.int64)  # wide diagonals take the sorting path
    expected = np.lexsort((np.arange(len(diag)), start_a, diag))
    assert _by_diagonal(diag, start_a).tolist() == expected.tolist()
    narrow = diag // 100
    assert _by_diagonal(narrow, start_a).tolist() == np.lexsort((np.arange(len(diag)), start_a, narrow)).tolist()


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.integers(0, 9), max_size=80), cut=st.tuples(st.integers(0, 80), st.integers(0, 80)))
def test_segment_sort_is_a_stable_sort_of_the_segment_alone(keys: list[int], cut: tuple[int, int]) -> None:
    key = np.array(keys, dtype=np.int64)
    idx = np.random.default_rng(len(keys)).permutation(len(keys)).astype(np.int64)
    first, last = min(min(cut), len(keys)), min(max(cut), len(keys))
    expected = idx.copy()
    expected[first:last] = idx[first:last][np.argsort(key[idx[first:last]], kind="stable")]
    _sort_segment(idx, first, last, key)
    assert idx.tolist() == expected.tolist()


def _tile_reference(
    lo_a: list[int], hi_a: list[int], lo_b: list[int], hi_b: list[int], sizes: list[int], abut: int, min_seeds: int
) -> tuple[list[int], list[tuple[int, int]]]:
    """Alternate splits as first written: a list for a stack, every segment re-sorted by a stable sort.

    A group that splits no further and holds two printings of one text is split into its chains.
    """
    idx = list(range(len(lo_a)))
    stack, out = [(0, len(idx))], []
    while stack:
        first, last = stack.pop()
        split = False
        for lo, hi in ((lo_a, hi_a), (lo_b, hi_b)):
            idx[first:last] = sorted(idx[first:last], key=lambda c: lo[c])
            reach, begin = hi[idx[first]], first
            for k in range(first + 1, last):
                if lo[idx[k]] > reach + abut:
                    stack.append((begin, k))
                    begin, split = k, True
                reach = max(reach, hi[idx[k]])
            if split:
                stack.append((begin, last))
                break
        if not split:
            # Verbatim chains over the same text of one side that only meet on the other: each its own group.
            verbatim = [c for c in idx[first:last] if sizes[c] >= min_seeds and sizes[c] >= 0.5 * (hi_a[c] - lo_a[c])]
            twice, covered = [], []
            for lo, hi in ((lo_a, hi_a), (lo_b, hi_b)):
                union = set().union(*(range(lo[c], hi[c]) for c in verbatim))
                covered.append(len(union))
                twice.append(sum(hi[c] - lo[c] for c in verbatim) - len(union))
            if len(verbatim) >= 2 and any(
                twice[x] > 0.2 * covered[x] and twice[1 - x] <= 20 for x in (0, 1)
            ):  # fmt: skip
                out.extend((k, k + 1) for k in range(first, last))
            else:
                out.append((first, last))
    return idx, [(f, t) for f, t in out if sum(sizes[c] for c in idx[f:t]) >= min_seeds]


@given(
    chains=st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 60), st.integers(0, 400), st.integers(0, 60), st.integers(1, 4)),
        min_size=1,
        max_size=70,
    ),
    abut=st.integers(0, 60),
    min_seeds=st.integers(1, 5),
)
@settings(max_examples=300, deadline=None)
def test_tiled_groups_equal_the_plain_alternate_splits(
    chains: list[tuple[int, int, int, int, int]], abut: int, min_seeds: int
) -> None:
    """The grouping's order and groups are those of the plain algorithm, ties included (the order
    of a group's chains decides which seeds trimming keeps)."""
    lo_a = [c[0] for c in chains]
    hi_a = [c[0] + c[1] for c in chains]
    lo_b = [c[2] for c in chains]
    hi_b = [c[2] + c[3] for c in chains]
    sizes = [c[4] for c in chains]
    arrays = [np.array(x, dtype=np.int64) for x in (lo_a, hi_a, lo_b, hi_b, sizes)]
    idx, bounds = _tile_chains(*arrays, abut, min_seeds)
    expected_idx, expected_bounds = _tile_reference(lo_a, hi_a, lo_b, hi_b, sizes, abut, min_seeds)
    assert idx.tolist() == expected_idx
    assert [tuple(b) for b in bounds.tolist()] == expected_bounds


@pytest.mark.parametrize(
    ("chains", "groups"),
    [
        # a headline, then the lead it repeats, both matched to the other document's one lead
        ([(0, 190, 800, 990, 150), (185, 380, 800, 990, 150)], 2),
        # the same, the two printings far apart on the other side too: no overlap, one tile
        ([(0, 190, 800, 990, 150), (185, 380, 990, 1180, 150)], 1),
        # pieces of a shuffled copy, overlapping on both sides
        ([(0, 150, 400, 550, 120), (50, 200, 450, 600, 120)], 1),
        # loose chains (few seeds for their length) over the same text: no printing
        ([(0, 190, 800, 990, 20), (185, 380, 800, 990, 20)], 1),
    ],
)
def test_two_printings_of_one_text_are_two_groups(chains: list[tuple[int, int, int, int, int]], groups: int) -> None:
    arrays = [np.array([c[k] for c in chains], dtype=np.int64) for k in range(5)]
    _, bounds = _tile_chains(*arrays, 55, 3)
    assert len(bounds) == groups
    assert _tile_reference(*[[c[k] for c in chains] for k in range(5)], 55, 3)[1] == [tuple(b) for b in bounds.tolist()]


@settings(max_examples=200, deadline=None)
@given(
    seeds=st.lists(
        st.tuples(st.integers(0, 600), st.integers(-40, 40), st.integers(4, 12), st.booleans()), min_size=1, max_size=60
    ),
    cluster=st.integers(0, 3),
    min_seeds=st.integers(1, 4),
    min_exact=st.integers(10, 60),
    densities=st.tuples(st.floats(0.05, 0.6), st.floats(0.5, 1.0)),
)
def test_passes_return_what_cutting_and_grouping_every_chain_gives(
    seeds: list[tuple[int, int, int, bool]],
    cluster: int,
    min_seeds: int,
    min_exact: int,
    densities: tuple[float, float],
) -> None:
    """The pass's early returns (no stretch covered densely enough, no chain of min_seeds seeds)
    change nothing: the same rows as chaining, cutting and grouping every time (fails when either
    bound is raised)."""
    min_density, exact_density = densities
    # Seeds on a few diagonals (runs of a copy) and scattered ones (chance matches).
    rows = sorted((a, a + (d if cluster else 7 * d) + 100 * (a % (cluster + 1)), n, r) for a, d, n, r in seeds)
    start_a = np.array([a for a, _, _, _ in rows], dtype=np.int64)
    start_b = np.array([max(0, b) for _, b, _, _ in rows], dtype=np.int64)
    end_a, end_b = start_a + [n for *_, n, _ in rows], start_b + [n for *_, n, _ in rows]
    rare = np.array([r for *_, r in rows], dtype=np.bool_)
    length = int(max(end_a.max(), end_b.max())) + 5
    spaces = np.arange(3, length, 6, dtype=np.int64)
    breaks = np.zeros(0, dtype=np.int64)
    gap, abut, min_length, trim = 200, 55, 150, 20
    use = np.ones(len(rows), dtype=np.bool_)
    layout, rules = (
        Layout(spaces, breaks, length),
        Rules(gap, abut, min_seeds, min_length, min_exact, min_density, exact_density, trim),
    )
    got = _passages_of(use, use, start_a, end_a, start_b, end_b, rare, layout, layout, rules)
    chains = _split_occupied(
        _chain(start_a, start_b, gap), start_a, end_a, start_b, end_b, abut, gap, min_seeds, _MOVED, True, min_length
    )
    none = np.zeros(0, dtype=np.int64)
    want = _group_passages(chains, start_a, end_a, start_b, end_b, rare, layout, layout, rules, none, none)
    assert got.tolist() == want.tolist()


@settings(max_examples=300, deadline=None)
@given(
    spans=st.lists(st.tuples(st.integers(0, 150), st.integers(1, 25), st.booleans()), min_size=1, max_size=25),
    min_span=st.integers(1, 120),
    share=st.floats(0.05, 1.0),
    rare_only=st.booleans(),
)
def test_a_dense_stretch_is_found_exactly_when_some_stretch_is_dense(
    spans: list[tuple[int, int, bool]], min_span: int, share: float, rare_only: bool
) -> None:
    """The bound of the passes: some stretch of at least min_span characters (anywhere, reaching
    past the seeds or not) has share of it covered by the seeds, checked over every stretch."""
    starts = np.array([s for s, _, _ in spans], dtype=np.int64)
    ends = starts + [n for _, n, _ in spans]
    rare = np.array([r for *_, r in spans], dtype=np.bool_)
    use = np.ones(len(spans), dtype=np.bool_)
    use[::3] = len(spans) < 3  # some seeds out of the pass
    covered = np.zeros(int(ends.max()) + min_span + 1, dtype=np.int64)
    for k in range(len(spans)):
        if use[k] and (rare[k] or not rare_only):
            covered[starts[k] : ends[k]] = 1
    total = np.concatenate(([0], np.cumsum(covered)))
    want = any(
        total[x1] - total[x0] >= share * (x1 - x0)
        for x0 in range(len(covered))
        for x1 in range(x0 + min_span, len(covered) + 1)
    )
    # (A stretch may be no denser than share by a rounding error: the bound says yes then.)
    got = _dense_stretch(starts, ends, use, rare, rare_only, min_span, share)
    assert got == want or (got and _dense_stretch(starts, ends, use, rare, rare_only, min_span, share + 1e-6) is False)


@settings(max_examples=200, deadline=None)
@given(
    seeds=st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 12)), min_size=1, max_size=40),
    trim=st.integers(0, 60),
    keep=st.integers(1, 5),
)
def test_trimming_keeps_a_subset_of_the_seeds(seeds: list[tuple[int, int]], trim: int, keep: int) -> None:
    """Trimming only drops seeds (at least ``keep`` stay), so a group too short before it is too
    short after: what lets the grouping drop such a group before trimming it."""
    starts = np.array([a for a, _ in seeds], dtype=np.int64)
    ends = starts + [n for _, n in seeds]
    members = np.arange(len(seeds), dtype=np.int64)
    kept = _trim(members, starts, ends, trim, keep)
    assert set(kept.tolist()) <= set(members.tolist()) and len(set(kept.tolist())) == len(kept)
    assert len(kept) >= min(keep, len(seeds))
    assert starts[kept].min() >= starts.min() and ends[kept].max() <= ends.max()


@settings(max_examples=200, deadline=None)
@given(
    seeds=st.lists(st.tuples(st.integers(0, 600), st.integers(-200, 200), st.integers(4, 12)), min_size=1, max_size=40),
    trim=st.integers(0, 40),
    keep=st.integers(1, 5),
    sparse=st.floats(0, 1),
    edit=st.sampled_from([0.0, 0.3]),
    held=st.lists(st.tuples(st.integers(0, 600), st.integers(-200, 200)), max_size=8),
)
def test_lone_ends_drop_only_lone_seeds(
    seeds: list[tuple[int, int, int]], trim: int, keep: int, sparse: float, edit: float, held: list[tuple[int, int]]
) -> None:
    """Dropping the lone ends of a group (near-verbatim, or loose with ``edit``) drops only seeds
    outside runs (seeds of one diagonal, each within ``trim`` of those before it, spanning more
    than ``trim``), keeps at least ``keep``, and returns the rest in order along b."""
    start_a = np.array([a for a, _, _ in seeds], dtype=np.int64)
    start_b = start_a + [d for _, d, _ in seeds]
    lengths = np.array([n for _, _, n in seeds], dtype=np.int64)
    end_a, end_b = start_a + lengths, start_b + lengths
    members = np.arange(len(seeds), dtype=np.int64)
    held_a = np.array([a for a, _ in held], dtype=np.int64)
    held_b = held_a + np.array([d for _, d in held], dtype=np.int64)
    kept = _drop_lone_ends(members, start_a, end_a, start_b, end_b, trim, keep, sparse, edit, held_a, held_b)
    assert len(set(kept.tolist())) == len(kept) and set(kept.tolist()) <= set(members.tolist())
    assert len(kept) >= min(keep, len(seeds)) and (np.diff(start_b[kept]) >= 0).all()
    # The runs, plainly: clusters of each diagonal by single linkage within trim, and their spans.
    run_of = {}
    for d in set((start_b - start_a).tolist()):
        on = sorted((i for i in members.tolist() if start_b[i] - start_a[i] == d), key=lambda i: start_a[i])
        cluster, reach = [on[0]], end_a[on[0]]
        for i in [*on[1:], None]:
            if i is not None and start_a[i] - reach <= trim:
                cluster.append(i)
                reach = max(reach, end_a[i])
                continue
            span = max(end_a[j] for j in cluster) - min(start_a[j] for j in cluster)
            run_of.update({j: span > trim for j in cluster})
            if i is not None:
                cluster, reach = [i], end_a[i]
    assert not any(run_of[i] for i in set(members.tolist()) - set(kept.tolist()))


@settings(max_examples=300, deadline=None)
@given(seeds=st.lists(st.tuples(st.integers(0, 200), st.integers(1, 12), st.integers(0, 200)), min_size=1, max_size=12))
def test_kept_words_is_the_pairwise_order_check(seeds: list[tuple[int, int, int]]) -> None:
    """Words a reworded sentence kept: some two apart along one side, and no pair of which the one
    ending first lies further along the other side (the sorted walk equals the plain definition)."""
    starts = np.array([s for s, _, _ in seeds], dtype=np.int64)
    ends = starts + [n for _, n, _ in seeds]
    others = np.array([o for _, _, o in seeds], dtype=np.int64)
    members = np.arange(len(seeds), dtype=np.int64)
    pairs = [(i, j) for i in range(len(seeds)) for j in range(len(seeds)) if ends[i] <= starts[j]]
    want = bool(pairs) and all(others[i] <= others[j] for i, j in pairs)
    assert _kept_words(members, starts, ends, others) == want


def _shared_seeds(pa: Prepared, pb: Prepared, offset: int, sparse: int = _SPARSE) -> _SeedSpans:
    """The seeds two prepared documents share, laid out as the alignment kernel lays them out."""
    chars = _join_filtered(pa.seed_keys, pb.seed_keys, pa.key_filter, pb.key_filter)
    words = _join_filtered(pa.word_keys, pb.word_keys, pa.key_filter, pb.key_filter)
    return _seed_spans(
        chars, words, pa.seed_index, pa.seed_rare, pa.starts, pa.ends, pa.word_starts, pa.word_ends, pa.word_rare,
        pb.seed_index, pb.starts, pb.ends, pb.word_starts, pb.word_ends, offset, pa.copies, pb.copies, sparse,
    )  # fmt: skip


@_SETTINGS
@given(seed=st.integers(0, 10**6), shared=st.integers(0, 60), reprinted=st.booleans())
def test_sparse_seed_spans_equal_the_walk_over_the_document(seed: int, shared: int, reprinted: bool) -> None:
    rng = random.Random(seed)
    common = _words(rng, ARABIC, shared, set())
    own = _words(rng, ARABIC, 300, set(common))
    a = own[:150] + common + common[: shared // 3]  # some words twice: repeated seeds
    b = common + own[150:] + common[shared // 2 :]
    rng.shuffle(a)
    if reprinted:  # a page printed twice: its copy's seeds count once (dedup.copies)
        a = a + a
    texts = [normalize(" ".join(x)) for x in (a, b)]
    pa, pb = (prepare(t, shingle(t.text, 5)) for t in texts)
    assert len(pa.copies) == reprinted
    walk = _shared_seeds(pa, pb, 5, sparse=0)  # never sparse
    sorted_ = _shared_seeds(pa, pb, 5, sparse=10**9)  # always sparse
    assert [x.tolist() for x in walk] == [x.tolist() for x in sorted_]
    assert (np.diff(walk[0]) >= 0).all()


def _sharing_pair(seed: int, shared: int) -> tuple[Prepared, Prepared]:
    """Two prepared Arabic texts sharing a verbatim piece, a word-shuffled one and a reworded one, some words twice."""
    rng = random.Random(seed)
    # Words of 5 to 8 letters: the shuffled piece keeps its words (word seeds) but no character
    # seed, which crosses a word boundary (seed_length 10).
    common = _words(rng, ARABIC, shared, set(), shortest=5)
    own = _words(rng, ARABIC, 300, set(common))
    verbatim, shuffled, reworded = (
        common[: shared // 5],
        common[shared // 5 : shared * 7 // 10],
        common[shared * 7 // 10 :],
    )
    moved = shuffled[:]
    rng.shuffle(moved)
    changed = [w if k % 3 else own[250 + k % 50] for k, w in enumerate(reworded)]
    a = own[:60] + verbatim + own[60:100] + shuffled + own[100:120] + reworded + verbatim[:2]
    b = own[120:160] + reworded[::-1][:1] + changed + own[160:200] + moved + own[200:240] + verbatim
    texts = [normalize(" ".join(x)) for x in (a, b)]
    pa, pb = (prepare(t, shingle(t.text, 5)) for t in texts)
    return pa, pb


@_SETTINGS
@given(seed=st.integers(0, 10**6), shared=st.integers(0, 160))
def test_side_spans_hold_every_seeds_span_on_their_side(seed: int, shared: int) -> None:
    # The bound before the passes reads the shared keys' occurrences on each side; it is exact
    # only if every seed laid out covers one of them, no rarer than the occurrence says.
    pa, pb = _sharing_pair(seed, shared)
    chars = _join_filtered(pa.seed_keys, pb.seed_keys, pa.key_filter, pb.key_filter)
    words = _join_filtered(pa.word_keys, pb.word_keys, pa.key_filter, pb.key_filter)
    start_a, end_a, start_b, end_b, rare, _ = _shared_seeds(pa, pb, 5)
    for side, (p, starts, ends) in enumerate(((pa, start_a, end_a), (pb, start_b, end_b))):
        s, e, r, _ = _side_spans(
            chars, words, side, p.seed_index, p.starts, p.ends, p.word_starts, p.word_ends, 5, pa.seed_rare,
            pa.word_rare,
        )  # fmt: skip
        occurrences: dict[tuple[int, int], bool] = {}
        for x, y, z in zip(s.tolist(), e.tolist(), r.tolist(), strict=True):
            occurrences[(x, y)] = occurrences.get((x, y), False) or z
        assert len(s) == sum(int(g[2 * side + 1] - g[2 * side]) for g in (*chars, *words))
        for x, y, z in zip(starts.tolist(), ends.tolist(), rare.tolist(), strict=True):
            assert (x, y) in occurrences
            assert occurrences[(x, y)] or not z


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 300) | st.integers(0, 2**40), max_size=400))
def test_radix_order_is_the_stable_argsort(values: list[int]) -> None:
    # The shared keys' occurrences are ordered along a side by it (dedup.join._side_spans): ties in
    # their input order, values of one to six bytes.
    x = np.array(values, dtype=np.int64)
    assert radix_order(x).tolist() == np.argsort(x, kind="stable").tolist()


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(-(2**40), 2**40), max_size=120) | st.lists(st.integers(-3, 3), max_size=120),
    presorted=st.booleans(),
    shift=st.integers(0, 62),
)
def test_stable_order_is_the_stable_argsort(values: list[int], presorted: bool, shift: int) -> None:
    # The kernels order seeds along a side, diagonals and chain keys by it (dedup.group,
    # dedup.chain, dedup.join): values in order already, a few, many of a narrow span (radix),
    # negative ones, and spans over 2^32 (the merge sort), with ties in their input order.
    x = np.array(sorted(values) if presorted else values, dtype=np.int64)
    x = np.clip(x * (1 << shift) if shift < 20 else x, -(2**62), 2**62)
    assert stable_order(x).tolist() == np.argsort(x, kind="stable").tolist()
    # Values whose span overflows int64 (-2^63 ... 2^63 - 1) are ordered too.
    ends = np.array([2**63 - 1, -(2**63)], dtype=np.int64)
    wide = np.concatenate((x, ends, x[::-1]))
    assert stable_order(wide).tolist() == np.argsort(wide, kind="stable").tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    shared=st.integers(0, 160),
    min_exact=st.integers(10, 80),
    exact_density=st.floats(0.3, 1.0),
    min_density=st.floats(0.05, 0.6),
    extra_length=st.integers(0, 200),
)
def test_the_bound_before_the_passes_changes_no_rows(
    seed: int, shared: int, min_exact: int, exact_density: float, min_density: float, extra_length: int
) -> None:
    # The kernel skips a pair whose shared keys cover no stretch of one text densely enough; the
    # passes over every seed, run anyway, find nothing there, and the same rows elsewhere.
    pa, pb = _sharing_pair(seed, shared)
    p = AlignParams(
        min_exact=min_exact, min_length=min_exact + extra_length, exact_density=exact_density, min_density=min_density
    )
    start_a, end_a, start_b, end_b, rare, repeated = _shared_seeds(pa, pb, p.seed_length - p.ngram)
    everything = _two_passes(
        np.ones(len(start_a), dtype=np.bool_), repeated, start_a, end_a, start_b, end_b, rare,
        Layout(pa.spaces, pa.breaks, len(pa.normalized.text)), Layout(pb.spaces, pb.breaks, len(pb.normalized.text)),
        _rules(p),
    )  # fmt: skip
    assert len(pa.copies) == len(pb.copies) == 0
    assert _rows(pa, pb, p).tolist() == everything.tolist()


_KEYS = st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    pool=_KEYS,
    picks=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=120),
    extra=st.lists(st.integers(0, 2**64 - 1), max_size=300),
    words=st.lists(st.integers(0, 2**64 - 1), max_size=50),
)
def test_filtered_join_equals_the_merge(pool: list[int], picks: list[tuple[int, int]], extra: list[int],
                                        words: list[int]) -> None:  # fmt: skip
    # Keys drawn from a small pool (shared, some twice or more) and a large one (mostly unshared);
    # a filter holds the document's word keys too. The join through the filters gives the merge's
    # rows exactly, whichever side has fewer keys, and with no filter on either side.
    x = np.array(sorted([pool[i % len(pool)] for i, _ in picks] + extra), dtype=np.uint64)
    y = np.array(sorted(pool[j % len(pool)] for _, j in picks), dtype=np.uint64)
    w = np.array(words, dtype=np.uint64)
    fx, fy = _key_filter(x, w), _key_filter(y, w[:5])
    expected = _join_groups(x, y).tolist()
    assert _join_filtered(x, y, fx, fy).tolist() == expected
    assert _join_filtered(y, x, fy, fx).tolist() == _join_groups(y, x).tolist()
    assert _join_filtered(x, y, fx, np.zeros(0, np.uint64)).tolist() == expected


def test_key_filter_holds_every_key_and_few_others() -> None:
    rng = np.random.default_rng(7)
    keys, words = rng.integers(0, 2**63, 5000, dtype=np.uint64), rng.integers(0, 2**63, 500, dtype=np.uint64)
    f = _key_filter(np.sort(keys), np.sort(words))
    assert len(f) & (len(f) - 1) == 0 and 64 * len(f) >= 16 * 5500
    shift = np.uint64(64 - len(f).bit_length() + 1)

    def held(key: np.uint64) -> bool:
        at, mask = _filter_probe(key, shift)
        return bool(f[at] & mask == mask)

    assert all(held(k) for k in np.concatenate([keys, words]))
    others = rng.integers(0, 2**63, 20000, dtype=np.uint64)
    assert sum(held(k) for k in others) < 0.05 * len(others)


@st.composite
def _seamed(draw: st.DrawFn) -> tuple[tuple[str, str], list[Alignment]]:
    """Two texts of words and passages over them that may overlap at their edges."""
    words = st.lists(st.sampled_from(["he", "said", "ab", "cd", "efg"]), min_size=8, max_size=40)
    texts = (" ".join(draw(words)), " ".join(draw(words)))
    found = []
    for _ in range(draw(st.integers(2, 4))):
        spans = []
        for text in texts:
            start = draw(st.integers(0, len(text) - 1))
            spans.append((start, draw(st.integers(start + 1, len(text)))))
        found.append(Alignment(spans[0][0], spans[0][1], spans[1][0], spans[1][1], 3))
    return texts, found


@given(_seamed(), st.integers(1, 12))
@example(  # the seam is longer than the other side of the passage that gives it up
    (
        ("he he he he he he he he", "he he he he he he he he he he"),
        [Alignment(0, 2, 0, 27, 3), Alignment(4, 5, 25, 28, 3)],
    ),
    2,
)
@settings(max_examples=300, deadline=None)
def test_untangle_leaves_no_edge_claimed_twice_on_one_side_and_only_shrinks(
    case: tuple[tuple[str, str], list[Alignment]], most: int
) -> None:
    texts, found = case
    normalized = (normalize(texts[0]), normalize(texts[1]))  # the texts are already normalised
    assert (normalized[0].text, normalized[1].text) == texts
    out = _untangle(found, normalized, most)
    assert len(out) == len(found)
    for before, after in zip(found, out, strict=True):
        assert before.a_start <= after.a_start <= after.a_end <= before.a_end
        assert before.b_start <= after.b_start <= after.b_end <= before.b_end
        assert after.seeds == before.seeds
    for x in out:
        for y in out:
            if x is y:
                continue
            sides = [((x.a_start, x.a_end), (y.a_start, y.a_end)), ((x.b_start, x.b_end), (y.b_start, y.b_end))]
            over = [min(x1, y1) - max(x0, y0) for (x0, x1), (y0, y1) in sides]
            if (over[0] > 0) != (over[1] > 0):
                (x0, x1), (y0, y1) = sides[0 if over[0] > 0 else 1]
                assert not (x0 < y0 < x1 < y1 and x1 - y0 <= most), (x, y)


@settings(max_examples=200, deadline=None)
@given(labels=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=40))
def test_meet_puts_together_the_seeds_both_labellings_put_together(labels: list[tuple[int, int]]) -> None:
    x = np.array([a for a, _ in labels], dtype=np.int64)
    y = np.array([b for _, b in labels], dtype=np.int64)
    got = _meet(x.copy(), y.copy()).tolist()
    for i in range(len(labels)):
        for j in range(len(labels)):
            assert (got[i] == got[j]) == (labels[i] == labels[j])
    first = list(dict.fromkeys(got))
    assert first == list(range(len(first)))  # numbered in the order of each label's first seed


def test_a_group_that_falls_apart_into_more_pieces_than_its_seeds_over_min_seeds_fits_its_rows() -> None:
    """The rows of _group_passages were sized for one a group plus one a min_seeds seeds; a failed group's pieces
    are not held to min_seeds, and with a min_length of a seed's span (ScanConfig(min_length=4, min_exact=4)) each
    of its lone seeds passed as a piece: the kernel wrote past its rows and the scan died of heap corruption ("double
    free or corruption"). Run as Python (py_func), a write past the end is an IndexError."""
    # 20 pieces of two seeds each (too few to be a group), 50 characters apart: the group is too sparse to stand and
    # is cut at each gap wider than `trim` into its pieces, each a near-verbatim piece of min_exact. (Pieces of one
    # seed would not come out: a group's lone seeds at its ends are trimmed, down to min_seeds.)
    starts = [s for k in range(20) for s in (72 * k, 72 * k + 12)]
    start_a = np.array(starts, dtype=np.int64)
    start_b = start_a + 7
    end_a, end_b = start_a + 10, start_b + 10
    rare = np.zeros(len(starts), dtype=np.bool_)
    chains = np.zeros(len(starts), dtype=np.int64)
    spaces, breaks, none = np.arange(10, 1500, 40, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, np.int64)
    layout = Layout(spaces, breaks, 1500)
    rules = Rules(200, 55, 3, 4, 4, 0.25, 0.8, 20)  # (min_seeds 3; min_length and min_exact 4; trim 20)
    args = (chains, start_a, end_a, start_b, end_b, rare, layout, layout, rules, none, none)
    rows = _group_passages.py_func(*args)
    assert len(rows) == 20 > len(starts) // 3 + 2  # (more than the rows first made)
    assert rows.tolist() == _group_passages(*args).tolist()


def test_a_scan_with_a_min_length_of_a_few_characters_completes() -> None:
    """ScanConfig(min_length=4, min_exact=4) is accepted; on three documents sharing wire paragraphs the scan died
    of heap corruption (above), in its own process so that a corrupted heap fails this test only."""
    import subprocess
    import sys

    rng = random.Random(3)
    words = "the of ministry troops country said monday plans withdraw talks mission defence government officials"
    words += " agreed border capital region election parliament minister economic growth bank rate inflation oil"
    words += " prices market shares company profit report"

    def paragraph(n: int) -> str:
        return " ".join(rng.choice(words.split(" ")) for _ in range(n)).capitalize() + "."

    wire = [paragraph(40) for _ in range(4)]
    texts = ["\n".join([paragraph(30), *rng.sample(wire, 2 + k % 3), paragraph(25)]) for k in range(4)]
    code = (
        "import sys, dedup\n"
        "texts = sys.stdin.read().split('\\x00')\n"
        "sources = ['Reuters', 'daily', 'weekly', 'site7']\n"
        "docs = [dedup.Document(f'd{k}', t, source=sources[k]) for k, t in enumerate(texts)]\n"
        "result = dedup.scan([docs[0], docs[1], docs[3]], dedup.ScanConfig(min_length=4, min_exact=4), threads=1)\n"
        "print(len(result.pairs), len(result.passages) > 3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input="\x00".join(texts), capture_output=True, text=True, timeout=600, check=False
    )
    assert (done.returncode, done.stdout) == (0, "3 True\n"), done.stderr[-2000:]


@given(
    lengths=st.lists(st.integers(1, 5_000), min_size=1, max_size=8),
    more=st.integers(0, 400),
)
def test_a_passage_parted_in_pieces_shares_its_seeds_among_them_to_the_last(lengths: list[int], more: int) -> None:
    """A passage parted in pieces (at templates, at each outlet's own text) gives each piece a part
    of its seeds by length: one at least, the longer never fewer, and together the whole (until 6
    December 2026 each share was rounded alone, and the pieces could hold one more or one less)."""
    seeds = len(lengths) + more
    shared = _share_seeds(seeds, lengths)
    assert sum(shared) == seeds and min(shared) >= 1
    for (n, x), (m, y) in itertools.combinations(zip(lengths, shared, strict=True), 2):
        assert (n <= m or x >= y) and (m <= n or y >= x)
    assert _share_seeds(seeds, [lengths[0]]) == [seeds]


word_lists = st.lists(st.sampled_from(["the", "army", "said", "on", "monday", "troops", "x"]), max_size=60)


@given(a=word_lists, b=word_lists, shuffled=st.randoms(use_true_random=False))
@settings(max_examples=600)
def test_the_compiled_matching_blocks_are_difflibs(a: list[str], b: list[str], shuffled: random.Random) -> None:
    """The words of a passage's two sides are matched in order by a kernel (since late on 6 December 2026;
    difflib's SequenceMatcher in Python before): the same blocks, ties and merges included, on words
    drawn from a small vocabulary (long runs, many ties), a side edited from the other, or empty."""
    edited = list(a)
    for _ in range(shuffled.randint(0, 4)):
        if edited:
            edited[shuffled.randrange(len(edited))] = shuffled.choice(["said", "navy", "x"])
    for x, y in ((a, b), (a, edited), (edited, a), (a, a), (a, []), ([], b)):
        want = [tuple(m) for m in SequenceMatcher(None, x, y, autojunk=False).get_matching_blocks() if m.size]
        assert matching_blocks(x, y) == want
        # Bounded by the pairs of like words: the search is refused past them, and only then.
        like = sum(y.count(w) for w in x)
        assert matching_blocks(x, y, most=like) == want
        assert like == 0 or matching_blocks(x, y, most=like - 1) is None


@given(st.text(alphabet=st.sampled_from("ab\u0627\u4e00 \n\t\xa0\u2003\u3000\u200b\U0001f600\x1c")))
def test_word_spans_are_the_words_of_str_split(text: str) -> None:
    """The words of a passage's sides are read by str.split and placed by word_spans, alike."""
    spans = word_spans(text)
    assert [text[s:e] for s, e in spans] == text.split() == re.findall(r"\S+", text)


def test_word_spans_table_holds_every_space() -> None:
    """Its table of spaces ends at U+3000: no code point past it is a space to str.split."""
    assert not any(chr(cp).isspace() for cp in range(0x3001, sys.maxunicode + 1))


@given(
    left=st.text(alphabet="ab .", max_size=12),
    core=st.text(alphabet="abc", min_size=1, max_size=12),
    right=st.text(alphabet="ab .", max_size=12),
    ends=st.tuples(st.sampled_from(["", "x", "x."]), st.sampled_from(["", "y", "y "])),
    more=st.integers(1, 16),
    fence=st.sampled_from(["none", "before", "moved"]),
)
@settings(max_examples=400)
def test_a_short_pieces_verbatim_reach_covers_only_text_alike_and_stops_at_other_pieces(
    left: str, core: str, right: str, ends: tuple[str, str], more: int, fence: str
) -> None:
    """The reach of a piece under min_length: it holds the piece, what it adds is alike on both sides
    and ends on word characters, it crosses no other piece of the pair, and it is taken only when it
    makes the piece min_length long (a long piece is left as found)."""
    a, b = ends[0] + left + core + right + ends[1], ends[1] + left + core + right + ends[0]
    x = Alignment(len(ends[0] + left), len(ends[0] + left + core), len(ends[1] + left), len(ends[1] + left + core), 3)
    min_length = len(core) + more
    # Another piece of the pair in the text alike before it: at the same place on both sides, or
    # after it on b (a piece moved).
    other = []
    at_a, at_b = len(ends[0]) + 1, len(ends[1]) + 1  # (the second character of `left` on each side)
    if fence == "before" and len(left) >= 2:
        other = [Alignment(at_a - 1, at_a, at_b - 1, at_b, 3)]
    elif fence == "moved" and len(left) >= 2 and right:
        other = [Alignment(at_a - 1, at_a, len(b) - len(ends[0]) - 1, len(b) - len(ends[0]), 3)]
    y = _verbatim_reach(x, (a, b), min_length, [x, *other])
    assert y.a_start <= x.a_start and x.a_end <= y.a_end and y.seeds == x.seeds
    assert (x.a_start - y.a_start, y.a_end - x.a_end) == (x.b_start - y.b_start, y.b_end - x.b_end)
    assert a[y.a_start : x.a_start] == b[y.b_start : x.b_start] and a[x.a_end : y.a_end] == b[x.b_end : y.b_end]
    if y == x:
        return
    assert len(core) < min_length <= min(y.a_end - y.a_start, y.b_end - y.b_start)
    assert y.a_start == x.a_start or a[y.a_start].isalnum()
    assert y.a_end == x.a_end or a[y.a_end - 1].isalnum()
    for o in other:  # (the reach stops where the other piece ends or starts, on each side)
        assert y.a_start >= o.a_end and (y.b_start >= o.b_end or y.b_end <= o.b_start)


def test_a_piece_far_from_the_copy_counts_on_its_own_wording() -> None:
    """A piece far from its pair's copy counts when half its n-grams are alike: a wire sentence an
    outlet respelled and put a clause into does (0.77), a market formula filled in with another
    day's figures and verbs does not (0.22; before, a counter-dev pair of an agency's and a
    newspaper's market reports got such a passage once pieces far from the copy counted)."""

    def prepared(text: str) -> Prepared:
        normalized = normalize(text)
        return prepare(normalized, shingle(normalized.text, 5), AlignParams())

    def whole(a: Prepared, b: Prepared) -> Alignment:
        return Alignment(0, len(a.normalized.text), 0, len(b.normalized.text), 0)

    wire = "The Iraqi government has repeatedly condemned the U.S. strikes as a violation of its sovereignty."
    edited = (
        "The Iraqi government, officials said, has repeatedly condemned the US strikes "
        "as a violation of its sovereignty."
    )
    day1 = "In all 406 companies traded, of which 190 rose, 194 fell and 22 held steady on the index."
    day2 = "In all 339 companies changed hands, of which 231 gained, 85 lost and 23 held steady on the index."
    a, b = prepared(wire), prepared(edited)
    assert _alike(whole(a, b), a, b)
    a, b = prepared(day1), prepared(day2)
    assert not _alike(whole(a, b), a, b)
    assert _alike(whole(a, a), a, a)
