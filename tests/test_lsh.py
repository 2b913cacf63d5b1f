"""LSH: parameter choice equals datasketch's, banding is deterministic."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import ParameterError
from dedup.lsh import band_keys, band_keys32, extra_band_keys32, optimal_params, probability


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
@pytest.mark.parametrize("threshold", [0.1, 0.2, 0.3, 0.5, 0.7, 0.9])
def test_optimal_params_equal_datasketch(threshold: float, num_perm: int) -> None:
    assert optimal_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0.0, "num_perm": 128}, "threshold must be strictly between 0 and 1, got 0.0"),
        ({"threshold": 1.5, "num_perm": 128}, "threshold must be strictly between 0 and 1, got 1.5"),
        ({"threshold": 0.5, "num_perm": 0}, "num_perm must be an integer from 1 to 1024, got 0"),
        ({"threshold": math.nan, "num_perm": 128}, "threshold must be a finite number, got nan"),
        ({"threshold": True, "num_perm": 128}, "threshold must be a finite number, got True"),
        ({"threshold": "0.5", "num_perm": 128}, "threshold must be a finite number, got '0.5'"),
        ({"threshold": 0.5, "num_perm": 128.0}, r"num_perm must be an integer from 1 to 1024, got 128\.0"),
        ({"threshold": 0.5, "num_perm": [128]}, r"num_perm must be an integer from 1 to 1024, got \[128\]"),
        (
            {"threshold": 0.5, "num_perm": 128, "false_positive_weight": math.nan},
            "false_positive_weight must be a finite number, got nan",  # (was: (1, 1))
        ),
        (
            {"threshold": 0.5, "num_perm": 128, "false_negative_weight": math.inf},
            "false_negative_weight must be a finite number, got inf",
        ),
        (
            {"threshold": 0.5, "num_perm": 128, "false_positive_weight": -0.5, "false_negative_weight": 1.5},
            r"false_positive_weight must be at least 0, got -0\.5",
        ),
        (
            {"threshold": 0.5, "num_perm": 128, "false_positive_weight": 0.5, "false_negative_weight": 0.6},
            "must be non-negative and sum to 1, got 0.5 and 0.6",
        ),
    ],
)
def test_optimal_params_rejects_bad_values(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        optimal_params(**kwargs)  # type: ignore[arg-type]


def test_optimal_params_checks_before_its_cache() -> None:
    # The cache takes 128.0 and True for 128 and 1: a checked call must not let an unchecked one through.
    assert optimal_params(0.5, 128) == (25, 5)
    with pytest.raises(ParameterError, match="num_perm"):
        optimal_params(0.5, 128.0)  # type: ignore[arg-type]
    assert optimal_params(0.5, np.int64(128)) == (25, 5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: probability(0.5, -1, 5), "bands must be a positive integer, got -1"),  # (was: -0.032)
        (lambda: probability(0.5, 5, 0), "rows must be a positive integer, got 0"),
        (lambda: probability(0.5, True, 5), "bands must be a positive integer, got True"),
        (lambda: probability(0.5, 2.5, 5), r"bands must be a positive integer, got 2\.5"),  # type: ignore[arg-type]
        (lambda: probability(2.0, 5, 5), r"similarity must be between 0 and 1, got 2\.0"),  # (was: 28629152.0)
        (lambda: probability(-0.1, 5, 5), r"similarity must be between 0 and 1, got -0\.1"),
        (lambda: probability(math.nan, 5, 5), "similarity must be a finite number, got nan"),  # (was: nan)
        (lambda: probability(True, 5, 5), "similarity must be a finite number, got True"),
        (lambda: probability("0.5", 5, 5), "similarity must be a finite number, got '0.5'"),
        (lambda: probability([0.2, 1.5, 3.0], 5, 5), r"similarity must be between 0 and 1, got 1\.5"),
        (lambda: probability(np.array([0.2, np.nan]), 5, 5), "similarity must be a finite number, got nan"),
        (lambda: probability([[0.1], [0.2, 0.3]], 5, 5), "similarity must be a finite number, got"),
        (lambda: probability(np.array([True]), 5, 5), "similarity must be a finite number, got"),
    ],
)
def test_probability_refuses_what_has_no_probability(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        call()


_S = np.zeros((3, 8), np.uint32)


@pytest.mark.parametrize("keys", [band_keys, band_keys32])
@pytest.mark.parametrize(
    ("signatures", "bands", "rows", "message"),
    [
        (np.full((2, 4), 1.7), 2, 2, "signatures must hold integers in .* got dtype float64"),  # (was: cast)
        (np.full((2, 4), -1), 2, 2, r"signatures must hold integers in \[0, 2\*\*32\), got -1"),  # (was: wrapped)
        (np.full((2, 4), 2**32), 2, 2, r"signatures must hold integers in \[0, 2\*\*32\), got 4294967296"),
        (np.zeros((2, 4), bool), 2, 2, "signatures must hold integers in .* got dtype bool"),
        (np.zeros(8, np.uint32), 2, 2, "signatures must be a 2-D array, got 1 dimensions"),
        ([[1, 2], [3]], 1, 1, "signatures must be a 2-D array, got"),
        (None, 1, 1, "signatures must be a 2-D array, got 0 dimensions"),
        (_S, 2.5, 2, r"bands must be a positive integer, got 2\.5"),  # (was: a raw TypeError)
        (_S, True, 2, "bands must be a positive integer, got True"),  # (was: a raw TypeError)
        (_S, 2, 0, "rows must be a positive integer, got 0"),
        (_S, -1, 2, "bands must be a positive integer, got -1"),
        (_S, 3, 3, r"bands \* rows \(3 \* 3 = 9\) must be at most num_perm \(8\)"),
    ],
)
def test_band_keys_refuse_what_are_not_signatures_or_bands(
    keys: Callable[..., object], signatures: object, bands: object, rows: object, message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        keys(signatures, bands, rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((_S, [1, 2], 3, 2, 2, 1), r"all_bands \(2\) must be at least bands \(3\)"),
        ((_S, [1, 2], 0, 2, 4, 1), "bands must be a positive integer, got 0"),
        ((_S, [1, 2], 1, 2, 5, 1), r"bands \* rows \(5 \* 2 = 10\) must be at most num_perm \(8\)"),
        ((_S, [1, 2], 1, 2, 4, -1), "short_windows must be a non-negative integer, got -1"),
        ((_S, [1, 2], 1, 2, 4, True), "short_windows must be a non-negative integer, got True"),
        ((_S, [1.0, 2.0], 1, 2, 4, 1), "counts must be a 1-D array of non-negative integers"),
        ((_S, [4, -1], 1, 2, 4, 1), "counts must be a 1-D array of non-negative integers"),
        ((_S, [1, 1], 1, 2, 4, 1), "counts must add up to the 3 signatures, got 2"),
        ((_S.astype(float), [1, 2], 1, 2, 2, 1), "signatures must hold integers"),
    ],
)
def test_extra_band_keys32_refuses_bad_parameters(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        extra_band_keys32(*args)  # type: ignore[arg-type]


_SIGNATURES = st.lists(st.lists(st.integers(0, 2**32 - 1), min_size=8, max_size=8), min_size=1, max_size=5)


@given(rows=_SIGNATURES, dtype=st.sampled_from(["list", np.uint32, np.int64, np.uint64]))
@settings(max_examples=60, deadline=None)
def test_band_keys_of_lossless_forms_equal_the_uint32_ones(rows: list[list[int]], dtype: object) -> None:
    exact = np.array(rows, dtype=np.uint32)
    given_ = rows if dtype == "list" else np.array(rows, dtype=dtype)  # type: ignore[call-overload]
    assert (band_keys(given_, 4, 2) == band_keys(exact, 4, 2)).all()
    assert (band_keys32(given_, 4, 2) == band_keys32(exact, 4, 2)).all()


@given(
    s=st.lists(st.floats(0.0, 1.0), max_size=20),
    bands=st.integers(1, 64),
    rows=st.integers(1, 16),
)
@settings(max_examples=100, deadline=None)
def test_probability_is_a_probability_rising_with_similarity(s: list[float], bands: int, rows: int) -> None:
    p = probability(sorted(s), bands, rows)
    assert ((p >= 0.0) & (p <= 1.0)).all()
    assert (np.diff(p) >= 0).all()
    assert float(probability(0.0, bands, rows)) == 0.0 and float(probability(1.0, bands, rows)) == 1.0


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


def test_band_keys32_is_the_high_half_band_major() -> None:
    sigs = np.random.default_rng(1).integers(0, 2**32, (50, 16), dtype=np.uint64).astype(np.uint32)
    full = band_keys(sigs, bands=5, rows=3)
    assert (band_keys32(sigs, bands=5, rows=3) == (full >> np.uint64(32)).astype(np.uint32).T).all()
