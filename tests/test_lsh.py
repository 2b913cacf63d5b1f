"""LSH: parameter choice equals datasketch's, banding is deterministic."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch.lsh import _optimal_param

from dedup.errors import ParameterError
from dedup.lsh import band_keys, band_keys32, optimal_params, probability


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


def test_band_keys32_is_the_high_half_band_major() -> None:
    sigs = np.random.default_rng(1).integers(0, 2**32, (50, 16), dtype=np.uint64).astype(np.uint32)
    full = band_keys(sigs, bands=5, rows=3)
    assert (band_keys32(sigs, bands=5, rows=3) == (full >> np.uint64(32)).astype(np.uint32).T).all()
