"""Exact scores: the one-kernel span scores equal the set scores they stand for, and basic bounds hold."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup._arrays import in_sorted
from dedup.score import coverage, ngram_set, pair_scores, ranked_ngrams, set_scores, span_scores
from dedup.shingle import shingle

texts = st.text(alphabet="abc دوز", min_size=0, max_size=60)


@settings(max_examples=200, deadline=None)
@given(x=texts, y=texts, ngram=st.integers(1, 4), data=st.data())
def test_span_scores_equal_set_scores_of_ngram_sets(x: str, y: str, ngram: int, data: st.DataObject) -> None:
    sx, sy = shingle(x, ngram), shingle(y, ngram)
    x0 = data.draw(st.integers(0, len(x)))
    x1 = data.draw(st.integers(x0, len(x)))
    y0 = data.draw(st.integers(0, len(y)))
    y1 = data.draw(st.integers(y0, len(y)))
    expected = set_scores(ngram_set(sx, x0, x1), ngram_set(sy, y0, y1))
    assert span_scores(sx, x0, x1, sy, y0, y1) == expected


@settings(max_examples=100, deadline=None)
@given(x=texts, y=texts)
def test_set_scores_are_symmetric_and_bounded(x: str, y: str) -> None:
    a, b = ngram_set(shingle(x, 2)), ngram_set(shingle(y, 2))
    jac, in_a, in_b = set_scores(a, b)
    assert set_scores(b, a) == (jac, in_b, in_a)
    assert 0.0 <= jac <= min(in_a, in_b) <= max(in_a, in_b) <= 1.0
    sa, sb = set(a.tolist()), set(b.tolist())
    assert jac == (len(sa & sb) / len(sa | sb) if sa and sb else 0.0)


@given(spans=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=8), length=st.integers(1, 60))
def test_coverage_counts_each_character_once(spans: list[tuple[int, int]], length: int) -> None:
    spans = [(min(s, e), max(s, e)) for s, e in spans]
    chars = {c for s, e in spans for c in range(s, e)}
    assert coverage(spans, length) == len(chars) / length


@settings(max_examples=200, deadline=None)
@given(x=texts, y=texts, ngram=st.integers(1, 4), data=st.data())
def test_pair_scores_equal_span_and_set_scores(x: str, y: str, ngram: int, data: st.DataObject) -> None:
    sx, sy = shingle(x, ngram), shingle(y, ngram)
    spans = []
    for _ in range(data.draw(st.integers(0, 4))):
        x0 = data.draw(st.integers(0, len(x)))
        y0 = data.draw(st.integers(0, len(y)))
        spans.append((x0, data.draw(st.integers(x0, len(x))), y0, data.draw(st.integers(y0, len(y)))))
    rows, whole = pair_scores(sx, *ranked_ngrams(sx.hashes), sy, *ranked_ngrams(sy.hashes), np.array(spans))
    assert [tuple(r) for r in rows.tolist()] == [span_scores(sx, x0, x1, sy, y0, y1) for x0, x1, y0, y1 in spans]
    assert whole == set_scores(ngram_set(sx), ngram_set(sy))


@settings(max_examples=200, deadline=None)
@given(x=texts, y=texts, ngram=st.integers(1, 4), data=st.data())
def test_kept_masks_score_as_the_sets_they_keep(x: str, y: str, ngram: int, data: st.DataObject) -> None:
    """A mask (the n-grams outside a source's boilerplate) scores as the smaller set it keeps, in
    set_scores and in pair_scores' whole pair, while pair_scores' passages still count every n-gram."""
    sx, sy = shingle(x, ngram), shingle(y, ngram)
    nx, rx = ranked_ngrams(sx.hashes)
    ny, ry = ranked_ngrams(sy.hashes)
    kx = np.array(data.draw(st.lists(st.booleans(), min_size=len(nx), max_size=len(nx))), dtype=np.bool_)
    drawn = data.draw(st.one_of(st.none(), st.lists(st.booleans(), min_size=len(ny), max_size=len(ny))))
    ky = None if drawn is None else np.array(drawn, dtype=np.bool_)
    expected = set_scores(nx[kx], ny if ky is None else ny[ky])
    assert set_scores(nx, ny, x_kept=kx, y_kept=ky) == expected
    spans = np.array([(0, len(x), 0, len(y))])
    rows, whole = pair_scores(sx, nx, rx, sy, ny, ry, spans, a_kept=kx, b_kept=ky)
    assert whole == expected
    assert tuple(rows[0].tolist()) == span_scores(sx, 0, len(x), sy, 0, len(y))


@given(hashes=st.lists(st.integers(0, 2**32 - 1), max_size=50))
def test_ranked_ngrams_are_the_distinct_hashes_and_each_ones_index(hashes: list[int]) -> None:
    values = np.array(hashes, dtype=np.uint32)
    distinct, ranks = ranked_ngrams(values)
    assert distinct.tolist() == sorted(set(hashes))
    assert distinct[ranks].tolist() == hashes


@settings(max_examples=300)
@given(
    ordered=st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 40), max_size=30),
    keys=st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 40), max_size=30),
)
def test_in_sorted_is_isin(ordered: list[int], keys: list[int]) -> None:
    """The binary-search membership test (boilerplate's exact sets, the rare shares of briefs) is np.isin."""
    x = np.sort(np.array(ordered, dtype=np.uint64))
    y = np.array(keys, dtype=np.uint64)
    assert in_sorted(x, y).tolist() == np.isin(y, x).tolist()
