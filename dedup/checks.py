"""Parameter checks shared by the stages: each rule worded one way, ``NAME must be RULE, got VALUE``.

A parameter is checked where it enters the library, and a wrong one raises
:class:`~dedup.errors.ParameterError` naming it, the rule and the value, in the words
:class:`dedup.ScanConfig` uses for the same rule: an integer parameter is never a bool or a float,
a number is never NaN, a flag is ``True`` or ``False`` (not any truthy value). Each check returns
the value as the plain Python (or numpy) value the stage goes on with.

Example:
    >>> check_int("num_perm", 0, 1, 1024)
    Traceback (most recent call last):
    ...
    dedup.errors.ParameterError: num_perm must be an integer from 1 to 1024, got 0
    >>> check_number("threshold", 0.5, 0, 1, low_open=True, high_open=True)
    0.5
"""

from __future__ import annotations

import math
import os
import reprlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import ParameterError

__all__ = [
    "check_bool", "check_choice", "check_int", "check_list", "check_number", "check_path", "check_str", "check_texts",
    "check_uint32",
]  # fmt: skip

_SHOW = reprlib.Repr()
_SHOW.maxstring = 60
_SHOW.maxother = 60


def _shown(value: object) -> str:
    """``repr(value)`` as a message shows it: a numpy scalar as the Python value, a long value cut short.

    Example:
        >>> _shown(np.int64(3)), _shown("x" * 100)[:12]
        ('3', "'xxxxxxxxxxx")
    """
    if isinstance(value, np.generic):
        value = value.item()
    return _SHOW.repr(value)


def _int_rule(low: int, high: int | None) -> str:
    if high is None:
        return {0: "a non-negative integer", 1: "a positive integer"}.get(low, f"an integer of at least {low}")
    if low == 0 and high >= 0xFFFF and (high + 1) & high == 0:  # a bit width: [0, 2**32)
        return f"an integer in [0, 2**{(high + 1).bit_length() - 1})"
    return f"an integer from {low} to {high}"


def check_int(name: str, value: object, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int, if it is an integer (not a bool) from ``low`` to ``high`` (no bound when None).

    Example:
        >>> check_int("ngram", 5), check_int("seed", np.uint32(7), 0, 2**32 - 1)
        (5, 7)
        >>> check_int("ngram", True)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: ngram must be a positive integer, got True
        >>> check_int("seed", -1, 0, 2**32 - 1)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: seed must be an integer in [0, 2**32), got -1
    """
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, int | np.integer)
        or value < low
        or (high is not None and value > high)
    ):
        raise ParameterError(f"{name} must be {_int_rule(low, high)}, got {_shown(value)}")
    return int(value)


def _number_rule(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    def bound(x: float) -> str:
        return repr(int(x)) if float(x).is_integer() else repr(float(x))

    if low is not None and high is not None:
        if low_open == high_open:
            return f"{'strictly ' if low_open else ''}between {bound(low)} and {bound(high)}"
        first = f"greater than {bound(low)}" if low_open else f"at least {bound(low)}"
        return f"{first} and {'less than' if high_open else 'at most'} {bound(high)}"
    if low is not None:
        return f"{'greater than' if low_open else 'at least'} {bound(low)}"
    assert high is not None
    return f"{'less than' if high_open else 'at most'} {bound(high)}"


def check_number(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float, if it is a finite number (not a bool) within the bounds (open where said).

    Example:
        >>> check_number("min_overlap", 1, 0, 1, low_open=True)
        1.0
        >>> check_number("false_positive_weight", float("nan"), 0)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: false_positive_weight must be a finite number, got nan
        >>> check_number("threshold", 2, 0, 1, low_open=True, high_open=True)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: threshold must be strictly between 0 and 1, got 2.0
    """
    try:
        number = float(value) if isinstance(value, int | float | np.integer | np.floating) else math.nan
    except OverflowError:  # (an int beyond any float)
        number = math.nan
    if isinstance(value, bool | np.bool_) or not math.isfinite(number):
        raise ParameterError(f"{name} must be a finite number, got {_shown(value)}")
    if (
        (low is not None and (number <= low if low_open else number < low))
        or (high is not None and (number >= high if high_open else number > high))
    ):  # fmt: skip
        raise ParameterError(f"{name} must be {_number_rule(low, high, low_open, high_open)}, got {number!r}")
    return number


def check_bool(name: str, value: object) -> bool:
    """``value`` as a bool, if it is ``True`` or ``False`` (a numpy bool too), not merely truthy.

    Example:
        >>> check_bool("parallel", np.True_)
        True
        >>> check_bool("parallel", 1)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: parallel must be True or False, got 1
    """
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(f"{name} must be True or False, got {_shown(value)}")
    return bool(value)


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """``value``, if it is one of ``choices``.

    Example:
        >>> check_choice("profile", "basic", ("arabic", "basic"))
        'basic'
        >>> check_choice("profile", "x", ("arabic", "basic"))
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: profile must be one of arabic, basic, got 'x'
    """
    if not isinstance(value, str) or value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)}, got {_shown(value)}")
    return value


def check_list(name: str, value: object, of: str) -> list[Any]:
    """``value`` as a list, if it is a collection of ``of`` (any iterable but a str or bytes, which are one value).

    Example:
        >>> check_list("texts", ("a", "b"), "str")
        ['a', 'b']
        >>> check_list("texts", "abc", "str")
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: texts must be a list of str, got 'abc'
    """
    if isinstance(value, list):
        return value
    if isinstance(value, str | bytes | bytearray) or not isinstance(value, Iterable):
        raise ParameterError(f"{name} must be a list of {of}, got {_shown(value)}")
    return list(value)


def check_str(name: str, value: object) -> str:
    """``value``, if it is a str: the rule every text parameter is held to, in one wording.

    Example:
        >>> check_str("text", "نص")
        'نص'
        >>> check_str("text", None)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: text must be a str; got NoneType
    """
    if not isinstance(value, str):
        raise ParameterError(f"{name} must be a str; got {type(value).__name__}")
    return value


def check_path(name: str, value: object, what: str = "a path") -> str | os.PathLike[str]:
    """``value``, if it is a path (a non-empty str or an os.PathLike): pathlib's TypeError names no argument.

    ``what`` says what the path is of, in the message.

    Example:
        >>> check_path("corpus_dir", "corpora/counter")
        'corpora/counter'
        >>> check_path("path", None)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: path must be a path (a str or os.PathLike), got None
    """
    if isinstance(value, os.PathLike) and isinstance(os.fspath(value), str):
        return value
    if not isinstance(value, str) or not value:  # ("" is the current folder to pathlib)
        raise ParameterError(f"{name} must be {what} (a str or os.PathLike), got {_shown(value)}")
    return value


def check_texts(name: str, value: object) -> list[str]:
    """``value`` as a list, if it is a collection of str (lone surrogates are the encoders' to find).

    The wording of an item's rule is :func:`dedup.scripts.check_text`'s.

    Example:
        >>> check_texts("texts", iter(["a", "b"]))
        ['a', 'b']
        >>> check_texts("texts", ["a", None])
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: texts[1] must be a str; got NoneType
    """
    texts = check_list(name, value, "str")
    for i, text in enumerate(texts):
        check_str(f"{name}[{i}]", text)
    return texts


def check_uint32(name: str, value: object, ndim: int) -> npt.NDArray[np.uint32]:
    """``value`` as a contiguous ``ndim``-D uint32 array, if it is one of integers that uint32 holds without loss.

    Floats are refused even when whole: a float array where hashes or signatures are expected is
    the wrong array, not a form of the right one.

    Example:
        >>> check_uint32("signatures", [[1, 2], [3, 4]], 2).dtype
        dtype('uint32')
        >>> check_uint32("signatures", [[1, -2]], 2)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: signatures must hold integers in [0, 2**32), got -2
        >>> check_uint32("hashes", [[1]], 1)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: hashes must be a 1-D array, got 2 dimensions
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # (ragged nested lists)
        raise ParameterError(f"{name} must be a {ndim}-D array, got {_shown(value)}") from None
    if arr.ndim != ndim:
        raise ParameterError(f"{name} must be a {ndim}-D array, got {arr.ndim} dimensions")
    if arr.dtype == np.uint32:
        return np.ascontiguousarray(arr)
    if arr.size == 0:
        return np.zeros(arr.shape, np.uint32)
    if arr.dtype.kind not in "iu":
        raise ParameterError(f"{name} must hold integers in [0, 2**32), got dtype {arr.dtype}")
    low, high = int(arr.min()), int(arr.max())
    if low < 0 or high >= 1 << 32:
        raise ParameterError(f"{name} must hold integers in [0, 2**32), got {low if low < 0 else high}")
    return np.ascontiguousarray(arr, dtype=np.uint32)
