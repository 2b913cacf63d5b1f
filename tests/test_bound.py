"""The joint bound before the seeds are laid out (dedup.bound): never a wrong no, and a no where it should be."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.bound import _in_dense_stretch, _jointly_may_hold, _last_dense
from dedup.group import Rules


def _disjoint(gaps: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint segments in order: each (gap before it, length)."""
    s, e, at = [], [], 0
    for gap, length in gaps:
        at += gap
        s.append(at)
        at += length
        e.append(at)
    return np.array(s, dtype=np.int64), np.array(e, dtype=np.int64)


@settings(max_examples=300, deadline=None)
@given(
    gaps=st.lists(st.tuples(st.integers(1, 60), st.integers(1, 30)), min_size=1, max_size=20),
    min_span=st.integers(1, 150),
    share=st.floats(0.05, 1.0),
)
def test_last_dense_segment_is_the_plain_search(gaps: list[tuple[int, int]], min_span: int, share: float) -> None:
    s, e = _disjoint(gaps)
    last_of, covered = _last_dense(s, e, min_span, share)
    got = last_of.tolist()
    assert covered.tolist() == [0, *np.cumsum(e - s).tolist()]

    def last(i: int, share: float) -> int:
        lengths = e - s
        dense = [j for j in range(i, len(s)) if lengths[i : j + 1].sum() >= share * max(min_span, e[j] - s[i])]
        return dense[-1] if dense else -1

    # (Within a rounding error of share, the search may say either: a stricter share finds no
    # later segment, a looser one no earlier.)
    for i in range(len(s)):
        assert last(i, share + 1e-9) <= got[i] <= last(i, share - 1e-9)


_SPANS = st.lists(st.tuples(st.integers(0, 300), st.integers(1, 20), st.booleans(), st.booleans()), max_size=25)


@settings(max_examples=300, deadline=None)
@given(
    spans=_SPANS,
    min_exact=st.integers(1, 80),
    extra=st.integers(0, 120),
    exact_density=st.floats(0.3, 1.0),
    min_density=st.floats(0.05, 0.6),
)
def test_every_span_of_a_dense_stretch_is_inside(
    spans: list[tuple[int, int, bool, bool]], min_exact: int, extra: int, exact_density: float, min_density: float
) -> None:
    """Any stretch a passage could span on this side (from a span's start to a span's end: near-
    verbatim, covered exact_density by the spans in use, at least min_exact long; or loose, covered
    min_density by the rare ones, at least min_length long) has every span in use inside it marked."""
    spans = sorted(spans)
    starts = np.array([s for s, *_ in spans], dtype=np.int64)
    ends = starts + np.array([n for _, n, *_ in spans], dtype=np.int64)
    rare = np.array([r for *_, r, _ in spans], dtype=np.bool_)
    use = np.array([u for *_, u in spans], dtype=np.bool_)
    min_length = min_exact + extra
    got = _in_dense_stretch(starts, ends, rare, use, min_length, min_exact, min_density, exact_density)
    assert not (got & ~use).any()

    def covered(x: int, y: int, only_rare: bool) -> int:
        marks = np.zeros(y - x, dtype=bool)
        for k in range(len(spans)):
            if use[k] and (rare[k] or not only_rare):
                marks[max(starts[k], x) - x : max(min(ends[k], y) - x, 0)] = True
        return int(marks.sum())

    held = [k for k in range(len(spans)) if use[k]]
    for x in {int(starts[k]) for k in held}:
        for y in {int(ends[k]) for k in held}:
            if y - x <= 0:
                continue
            near_verbatim = y - x >= min_exact and covered(x, y, False) >= exact_density * (y - x)
            loose = y - x >= min_length and covered(x, y, True) >= min_density * (y - x)
            if near_verbatim or loose:
                for k in held:
                    if x <= starts[k] and ends[k] <= y:
                        assert got[k], (k, x, y, near_verbatim, loose)


def _occurrences(
    rng: np.random.Generator, planted: int, step: int, noise: int, keys: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One side's occurrences, 10 characters each, ordered by start: ``planted`` rare keys 0.. one
    every ``step`` characters from a random place (a copy), and ``noise`` of random keys anywhere."""
    at = int(rng.integers(0, 3000))
    s = [at + step * k for k in range(planted)] + rng.integers(0, 6000, noise).tolist()
    k = list(range(planted)) + rng.integers(0, keys, noise).tolist()
    r = [True] * planted + (rng.random(noise) < 0.5).tolist()
    order = np.argsort(np.array(s), kind="stable")
    starts = np.array(s, dtype=np.int64)[order]
    return starts, starts + 10, np.array(r, dtype=np.bool_)[order], np.array(k, dtype=np.int64)[order]


@settings(max_examples=400, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    planted=st.integers(3, 25),
    step=st.integers(1, 40),
    noise=st.integers(0, 60),
    min_exact=st.integers(20, 100),
    extra=st.integers(0, 200),
    exact_density=st.floats(0.5, 1.0),
    min_density=st.floats(0.1, 0.5),
)
def test_a_planted_copy_always_passes(
    seed: int, planted: int, step: int, noise: int, min_exact: int, extra: int, exact_density: float,
    min_density: float,
) -> None:  # fmt: skip
    """A copy (its keys one every ``step`` characters on both sides, seeds one to one) among chance
    occurrences of any keys: whenever it is a passage, near-verbatim or loose, the bound says yes."""
    rng = np.random.default_rng(seed)
    keys = planted + 30
    sa, ea, ra, ka = _occurrences(rng, planted, step, noise, keys)
    sb, eb, rb, kb = _occurrences(rng, planted, step, noise, keys)
    span = step * (planted - 1) + 10
    covered = min(step, 10) * (planted - 1) + 10  # by the copy's seeds, all rare
    min_length = min_exact + extra
    passage = (span >= min_exact and covered >= exact_density * span) or (
        span >= min_length and covered >= min_density * span
    )
    rules = Rules(200, 55, 3, min_length, min_exact, min_density, exact_density, 20)
    got = _jointly_may_hold(sa, ea, ra, ka, sb, eb, rb, kb, keys, rules)
    assert got or not passage


def test_dense_stretches_of_different_keys_are_no_passage() -> None:
    """Each side has a dense stretch (what the one-sided bound lets through), but of keys whose
    occurrences on the other side are strewn: no passage can pair them, and the bound says so."""
    rng = np.random.default_rng(7)
    keys = 40
    # Side a: keys 0-19 end to end at 500, keys 20-39 strewn; side b the other way round.
    sa = np.array(sorted([500 + 9 * k for k in range(20)] + list(rng.integers(2000, 9000, 20))), dtype=np.int64)
    ka = np.array([k if s < 2000 else 0 for k, s in enumerate(sa)], dtype=np.int64)
    ka[sa >= 2000] = np.arange(20, 40)
    sb = np.array(sorted([700 + 9 * k for k in range(20)] + list(rng.integers(2000, 9000, 20))), dtype=np.int64)
    kb = np.empty(40, dtype=np.int64)
    kb[sb < 2000] = np.arange(20, 40)
    kb[sb >= 2000] = np.arange(0, 20)
    ea, eb = sa + 10, sb + 10
    rare = np.ones(40, dtype=np.bool_)
    args = (keys, Rules(200, 55, 3, 150, 40, 0.3, 0.8, 20))
    assert not _jointly_may_hold(sa, ea, rare, ka, sb, eb, rare, kb, *args)
    # The same layout with the keys of the two dense stretches the same: a copy, and a yes.
    kb[sb < 2000] = np.arange(0, 20)
    kb[sb >= 2000] = np.arange(20, 40)
    assert _jointly_may_hold(sa, ea, rare, ka, sb, eb, rare, kb, *args)
