"""LSH: parameter choice equals datasketch's, banding is deterministic, candidates follow the rules."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import ParameterError
from dedup.lsh import band_keys, candidate_pairs, optimal_params, probability


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
@pytest.mark.parametrize("threshold", [0.1, 0.2, 0.3, 0.5, 0.7, 0.9])
def test_optimal_params_equal_datasketch(threshold: float, num_perm: int) -> None:
    assert optimal_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0.0, "num_perm": 128}, "threshold must be strictly between 0 and 1, got 0.0"),
        ({"threshold": 1.5, "num_perm": 128}, "threshold must be strictly between 0 and 1, got 1.5"),
        ({"threshold": 0.5, "num_perm": 0}, "num_perm must be a positive integer, got 0"),
    ],
)
def test_optimal_params_rejects_bad_values(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        optimal_params(**kwargs)  # type: ignore[arg-type]


def test_probability_is_the_s_curve() -> None:
    s = np.linspace(0, 1, 11)
    p = probability(s, bands=25, rows=5)
    assert p[0] == 0.0 and p[-1] == 1.0
    assert np.all(np.diff(p) > 0)
    assert p[5] == pytest.approx(1 - (1 - 0.5**5) ** 25)


def test_band_keys_separate_bands() -> None:
    sig = np.arange(16, dtype=np.uint32).reshape(1, 16)
    keys = band_keys(sig, bands=4, rows=4)
    assert len(set(keys[0].tolist())) == 4
    same_values = np.zeros((1, 8), dtype=np.uint32)
    k2 = band_keys(same_values, bands=2, rows=4)
    assert k2[0, 0] != k2[0, 1], "equal values in two bands must not collide"


def test_band_keys_golden() -> None:
    keys = band_keys(np.arange(8, dtype=np.uint32).reshape(1, 8), bands=2, rows=4)
    assert [int(k) for k in keys[0]] == [12483898411176366751, 15024943219552041810]


def test_band_keys_check_shape() -> None:
    with pytest.raises(ParameterError, match=r"bands \* rows \(5 \* 4 = 20\) must be at most num_perm \(16\)"):
        band_keys(np.zeros((2, 16), dtype=np.uint32), bands=5, rows=4)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5)), min_size=1, max_size=40))
def test_candidates_match_brute_force(items: list[tuple[int, int]]) -> None:
    """Every pair of documents with a shared key and different sources, and nothing else."""
    rng = np.random.default_rng(len(items))
    keys = rng.integers(0, 4, size=(len(items), 3)).astype(np.uint64)
    groups = np.array([g for g, _ in items], dtype=np.int64)
    sources = groups % 2  # documents 0 and 2 share a source, as do 1 and 3
    found = candidate_pairs(keys, groups, sources)
    expected: dict[tuple[int, int], int] = {}
    for band in range(keys.shape[1]):
        pairs_in_band = set()
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                if keys[i, band] == keys[j, band] and groups[i] != groups[j] and sources[i] != sources[j]:
                    pairs_in_band.add((min(groups[i], groups[j]), max(groups[i], groups[j])))
        for pair in pairs_in_band:
            expected[pair] = expected.get(pair, 0) + 1
    got = {(int(a), int(b)): int(n) for a, b, n in zip(found.left, found.right, found.shared_bands, strict=True)}
    assert got == expected


def test_same_source_pairs_only_when_asked() -> None:
    keys = np.array([[5], [5]], dtype=np.uint64)
    groups = np.array([0, 1])
    sources = np.array([7, 7])
    assert len(candidate_pairs(keys, groups, sources).left) == 0
    assert len(candidate_pairs(keys, groups, sources, same_source=True).left) == 1


def test_oversized_buckets_are_suppressed_and_counted() -> None:
    keys = np.full((10, 1), 9, dtype=np.uint64)
    found = candidate_pairs(keys, np.arange(10), np.arange(10), max_bucket=5)
    assert len(found.left) == 0 and found.suppressed == 1


def test_band_keys32_is_the_high_half_band_major() -> None:
    from dedup.lsh import band_keys32

    sigs = np.random.default_rng(1).integers(0, 2**32, (50, 16), dtype=np.uint64).astype(np.uint32)
    full = band_keys(sigs, bands=5, rows=3)
    assert (band_keys32(sigs, bands=5, rows=3) == (full >> np.uint64(32)).astype(np.uint32).T).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=40))
def test_candidate_pairs_banded_equals_candidate_pairs(items: list[tuple[int, int, int]]) -> None:
    from dedup.lsh import candidate_pairs_banded

    keys = np.array([[k0, k1] for k0, k1, _ in items], dtype=np.uint64)
    groups = np.arange(len(items)) // 2
    sources = np.array([s for _, _, s in items])
    a = candidate_pairs(keys, groups, sources, max_bucket=4)
    cols = [keys[:, 0].astype(np.uint32), keys[:, 1].astype(np.uint32)]
    b = candidate_pairs_banded(cols.__getitem__, 2, groups, sources, max_bucket=4)
    assert a.left.tolist() == b.left.tolist() and a.right.tolist() == b.right.tolist()
    assert a.shared_bands.tolist() == b.shared_bands.tolist() and a.suppressed == b.suppressed


@pytest.mark.parametrize("min_shared", [1, 2, 3])
def test_candidate_pairs_banded_slices_and_min_shared(min_shared: int) -> None:
    from dedup.lsh import candidate_pairs_banded

    rng = np.random.default_rng(3)
    keys = rng.integers(0, 30, (400, 6)).astype(np.uint32)
    groups = np.arange(400) // 4
    sources = groups % 7
    whole = candidate_pairs(keys.astype(np.uint64), groups, sources, max_bucket=40)
    keep = whole.shared_bands >= min_shared
    cols = [np.ascontiguousarray(keys[:, b]) for b in range(6)]
    for budget in (4000, 1 << 30):
        got = candidate_pairs_banded(
            cols.__getitem__, 6, groups, sources, max_bucket=40, min_shared=min_shared, budget=budget
        )
        assert got.left.tolist() == whole.left[keep].tolist()
        assert got.right.tolist() == whole.right[keep].tolist()
        assert got.shared_bands.tolist() == whole.shared_bands[keep].tolist()
        assert got.suppressed == whole.suppressed
