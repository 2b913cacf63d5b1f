"""dedup.checks: each rule of a parameter worded one way, the way ScanConfig words it, by every stage."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup.checks import check_bool, check_choice, check_int, check_list, check_number, check_texts, check_uint32
from dedup.errors import ParameterError
from dedup.lsh import optimal_params
from dedup.minhash import signature, window_signatures
from dedup.shingle import shingle

_NOT_INTEGERS = st.one_of(
    st.booleans(),
    st.floats(allow_nan=True),
    st.text(max_size=3),
    st.none(),
    st.just(np.True_),
    st.lists(st.integers(), max_size=2),
)


@given(value=st.integers(-(2**70), 2**70), low=st.integers(-5, 5), span=st.none() | st.integers(0, 2**40))
@settings(max_examples=300, deadline=None)
def test_check_int_takes_exactly_the_integers_within_bounds(value: int, low: int, span: int | None) -> None:
    high = None if span is None else low + span
    inside = value >= low and (high is None or value <= high)
    for given_ in (value, np.int64(value)) if -(2**63) <= value < 2**63 else (value,):
        if inside:
            assert check_int("n", given_, low, high) == value and type(check_int("n", given_, low, high)) is int
        else:
            with pytest.raises(ParameterError, match=rf"^n must be .*, got {value}$"):
                check_int("n", given_, low, high)


@given(value=_NOT_INTEGERS)
def test_check_int_refuses_what_is_not_an_integer(value: object) -> None:
    with pytest.raises(ParameterError, match=r"^n must be a positive integer, got "):
        check_int("n", value)


@pytest.mark.parametrize(
    ("low", "high", "rule"),
    [
        (1, None, "a positive integer"),
        (0, None, "a non-negative integer"),
        (2, None, "an integer of at least 2"),
        (1, 1024, "an integer from 1 to 1024"),
        (0, 2**32 - 1, r"an integer in \[0, 2\*\*32\)"),
        (0, 2**64 - 1, r"an integer in \[0, 2\*\*64\)"),
        (0, 255, "an integer from 0 to 255"),
    ],
)
def test_check_int_words_each_rule_one_way(low: int, high: int | None, rule: str) -> None:
    with pytest.raises(ParameterError, match=rf"^x must be {rule}, got -7$"):
        check_int("x", -7, low, high)


@given(
    value=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**1100), 2**1100),
    low_open=st.booleans(),
    high_open=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_check_number_takes_exactly_the_finite_numbers_within_bounds(
    value: float, low_open: bool, high_open: bool
) -> None:
    try:
        number = float(value)
    except OverflowError:
        number = math.nan
    if not math.isfinite(number):
        with pytest.raises(ParameterError, match=r"^x must be a finite number, got "):
            check_number("x", value, 0, 1, low_open=low_open, high_open=high_open)
        return
    inside = (number > 0 if low_open else number >= 0) and (number < 1 if high_open else number <= 1)
    if inside:
        assert check_number("x", value, 0, 1, low_open=low_open, high_open=high_open) == number
    else:
        with pytest.raises(ParameterError, match=rf"^x must be .*, got {re.escape(repr(number))}$"):
            check_number("x", value, 0, 1, low_open=low_open, high_open=high_open)


@pytest.mark.parametrize(
    ("kwargs", "value", "rule"),
    [
        ({"low": 0, "high": 1}, -3, "between 0 and 1"),
        ({"low": 0, "high": 1, "low_open": True, "high_open": True}, -3, "strictly between 0 and 1"),
        ({"low": 0, "high": 1, "low_open": True}, -3, "greater than 0 and at most 1"),
        ({"low": 0, "high": 1, "high_open": True}, -3, "at least 0 and less than 1"),
        ({"low": 0}, -3, "at least 0"),
        ({"low": 0.5, "low_open": True}, -3, r"greater than 0\.5"),
        ({"high": -1}, 7, "at most -1"),
    ],
)
def test_check_number_words_each_rule_one_way(kwargs: dict[str, float], value: int, rule: str) -> None:
    with pytest.raises(ParameterError, match=rf"^x must be {rule}, got {value}\.0$"):
        check_number("x", value, **kwargs)  # type: ignore[arg-type]


def test_check_bool_takes_only_bools() -> None:
    assert check_bool("flag", True) is True and check_bool("flag", np.False_) is False
    for value in (1, 0, "yes", None, 1.0):
        with pytest.raises(ParameterError, match=r"^flag must be True or False, got "):
            check_bool("flag", value)


def test_check_choice_and_lists() -> None:
    assert check_choice("profile", "arabic", ("arabic", "basic")) == "arabic"
    with pytest.raises(ParameterError, match=r"^profile must be one of arabic, basic, got None$"):
        check_choice("profile", None, ("arabic", "basic"))
    items = ["a"]
    assert check_list("texts", items, "str") is items  # (a list is not copied)
    for value in ("abc", b"abc", None, 5):
        with pytest.raises(ParameterError, match=r"^texts must be a list of str, got "):
            check_list("texts", value, "str")
    with pytest.raises(ParameterError, match=r"^texts\[2\] must be a str; got int$"):
        check_texts("texts", ["a", "b", 3])


@given(values=st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=20), dtype=st.sampled_from(["list", "i8"]))
@settings(max_examples=200, deadline=None)
def test_check_uint32_converts_exactly_what_uint32_holds(values: list[int], dtype: str) -> None:
    given_ = values if dtype == "list" else np.array(values, dtype=np.int64)
    if all(0 <= v < 2**32 for v in values):
        arr = check_uint32("hashes", given_, 1)
        assert arr.dtype == np.uint32 and arr.tolist() == values and arr.flags.c_contiguous
    else:
        bad = min(values) if min(values) < 0 else max(values)
        with pytest.raises(ParameterError, match=rf"^hashes must hold integers in \[0, 2\*\*32\), got {bad}$"):
            check_uint32("hashes", given_, 1)


_ONE = np.ones(1, np.uint32)


# One rule, one wording, whichever function a wrong value enters by (ScanConfig's words).
@pytest.mark.parametrize(
    "calls",
    [
        [lambda: dedup.ScanConfig(ngram=0), lambda: shingle("abc", 0), lambda: dedup.sketch("abc", ngram=0)],
        [
            lambda: dedup.ScanConfig(num_perm=2000),
            lambda: dedup.sketch("abc", num_perm=2000),
            lambda: signature(_ONE, 2000),
            lambda: optimal_params(0.5, 2000),
        ],
        [lambda: dedup.ScanConfig(seed=-1), lambda: signature(_ONE, seed=-1), lambda: dedup.sketch("abc", seed=-1)],
        [lambda: dedup.ScanConfig(threshold=2), lambda: optimal_params(2, 128)],
        [lambda: dedup.ScanConfig(window=0, stride=1), lambda: window_signatures(_ONE, window=0, stride=1)],
        [lambda: dedup.ScanConfig(profile="x"), lambda: dedup.sketch("abc", profile="x")],
    ],
)
def test_every_stage_words_a_rule_as_scan_config_does(calls: list[Callable[[], object]]) -> None:
    messages = set()
    for call in calls:
        with pytest.raises(ParameterError) as caught:
            call()
        messages.add(str(caught.value))
    assert len(messages) == 1, messages
