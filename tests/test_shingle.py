"""Tests for dedup.shingle: xxh32 n-gram hashes over non-space characters."""

from __future__ import annotations

import dataclasses
import importlib
import random
from collections.abc import Callable

import numpy as np
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import ParameterError
from dedup.shingle import Shingles, codepoints, hash_many, shingle, shingle_strings

# Any character UTF-8 can encode (lone surrogates cannot), astral planes
# included, with extra spaces so that space skipping is exercised.
_CHARS = st.one_of(st.just(" "), st.characters(codec="utf-8"))
_TEXT = st.text(alphabet=_CHARS, max_size=80)
_SEEDS = st.one_of(st.sampled_from([0, 1, 2**31, 2**32 - 1]), st.integers(0, 2**32 - 1))


def _reference(text: str, ngram: int, seed: int) -> list[int]:
    return [xxhash.xxh32_intdigest(g.encode("utf-8"), seed) for g in shingle_strings(text, ngram)]


@settings(max_examples=400, deadline=None)
@given(text=_TEXT, ngram=st.integers(1, 12), seed=_SEEDS)
def test_hashes_match_xxhash_package(text: str, ngram: int, seed: int) -> None:
    assert shingle(text, ngram, seed=seed).hashes.tolist() == _reference(text, ngram, seed)


@settings(max_examples=200, deadline=None)
@given(text=_TEXT, ngram=st.integers(1, 12))
def test_spans_cover_their_ngram(text: str, ngram: int) -> None:
    s = shingle(text, ngram)
    grams = shingle_strings(text, ngram)
    assert len(s) == len(grams)
    assert [text[a:b].replace(" ", "") for a, b in zip(s.starts, s.ends, strict=True)] == grams
    # A span starts and ends on a non-space character.
    assert all(text[a] != " " and text[b - 1] != " " for a, b in zip(s.starts, s.ends, strict=True))


@pytest.mark.parametrize(
    ("text", "ngram", "seed", "expected"),
    [
        # Published XXH32 test vectors, independent of the xxhash package.
        ("a", 1, 0, 0x550D7456),
        ("abc", 3, 0, 0x32D153FF),
        ("abcde", 5, 0, 2537091483),
        ("الولا", 5, 0, 3312494584),
        # 16 bytes: the striped path of xxh32.
        ("الولايات", 8, 7, 2081176647),
        # 20 bytes of astral characters, largest seed.
        ("😀😀😀😀😀", 5, 2**32 - 1, 4007352474),
    ],
)
def test_golden_values(text: str, ngram: int, seed: int, expected: int) -> None:
    assert shingle(text, ngram, seed=seed).hashes.tolist() == [expected]


@pytest.mark.parametrize("ngram", [1, 4, 5, 8, 12])
@pytest.mark.parametrize("text", ["الولايات المتحدة الأمريكية", "汉字文本的重复段落检测", "𠀀𠀁𠀂 😀🎉 text é"])
def test_long_ngrams_all_byte_widths(text: str, ngram: int) -> None:
    assert shingle(text, ngram, seed=99).hashes.tolist() == _reference(text, ngram, 99)


def test_glued_words_give_identical_hashes() -> None:
    glued = shingle("الولاياتالمتحدة")
    spaced = shingle("الولايات المتحدة")
    assert np.array_equal(glued.hashes, spaced.hashes)
    assert len(glued) == len("الولاياتالمتحدة") - 4


def test_starts_and_ends_are_text_indices() -> None:
    s = shingle("ab cd ef", 3)
    assert s.starts.tolist() == [0, 1, 3, 4]
    assert s.ends.tolist() == [4, 5, 7, 8]
    assert shingle_strings("ab cd ef", 3) == ["abc", "bcd", "cde", "def"]


def test_dtypes_and_shapes() -> None:
    s = shingle("الولايات المتحدة")
    assert s.hashes.dtype == np.uint32
    assert s.starts.dtype == np.int64
    assert s.ends.dtype == np.int64
    assert s.hashes.shape == s.starts.shape == s.ends.shape == (11,)


@pytest.mark.parametrize(
    ("text", "ngram"), [("", 5), ("    ", 1), ("abcd", 5), ("ab  cd", 5), ("a b c d", 5), ("abc", 10**30)]
)
def test_fewer_than_ngram_characters_gives_empty_arrays(text: str, ngram: int) -> None:
    s = shingle(text, ngram)
    assert len(s) == 0
    assert s.hashes.dtype == np.uint32
    assert s.starts.dtype == np.int64
    assert s.ends.shape == (0,)
    assert shingle_strings(text, ngram) == []


def test_exactly_ngram_characters_gives_one() -> None:
    s = shingle(" ab c de ", 5)
    assert (s.starts.tolist(), s.ends.tolist()) == ([1], [8])


def test_only_ascii_space_is_skipped() -> None:
    # Tabs, newlines and no-break spaces are characters like any other.
    text = "a\tb\nc\u00a0d"
    assert shingle_strings(text, 7) == [text]
    assert shingle(text, 7).hashes.tolist() == [xxhash.xxh32_intdigest(text.encode())]


@pytest.mark.parametrize("ngram", [0, -1, 1.5, True, "5", None])
def test_bad_ngram(ngram: object) -> None:
    with pytest.raises(ParameterError, match="ngram"):
        shingle("abcdef", ngram)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="ngram"):
        shingle_strings("abcdef", ngram)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 2**32, 0.5, False, "0"])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(ParameterError, match="seed"):
        shingle("abcdef", seed=seed)  # type: ignore[arg-type]


def test_parameter_error_is_a_value_error_naming_rule_and_value() -> None:
    # Worded as ScanConfig words the same rule (until 2026: "ngram (0) must be an integer >= 1").
    with pytest.raises(ValueError, match=r"^ngram must be a positive integer, got 0$"):
        shingle("abcdef", 0)
    with pytest.raises(ValueError, match=r"^seed must be an integer in \[0, 2\*\*32\), got 4294967296$"):
        shingle("abcdef", seed=2**32)
    with pytest.raises(ValueError, match=r"^ngram must be a positive integer, got 0$"):
        hash_many(["abcdef"], 0)


def test_numpy_integer_parameters_accepted() -> None:
    assert np.array_equal(
        shingle("abcdefg", np.int64(3), seed=np.uint32(5)).hashes,  # type: ignore[arg-type]
        shingle("abcdefg", 3, seed=5).hashes,
    )


def test_lone_surrogate_is_rejected_naming_where() -> None:
    # (A UnicodeEncodeError from the UTF-16 hand-over until 5 December 2026: no position, no rule.)
    with pytest.raises(ParameterError, match=r"text must hold no lone surrogate; got U\+D800 at character 3"):
        shingle("abc\ud800def")


def test_codepoints() -> None:
    cps = codepoints("aب 😀")
    assert cps.dtype == np.uint32
    assert cps.tolist() == [97, 0x628, 32, 0x1F600]
    assert codepoints("").shape == (0,)


def test_shingles_is_frozen() -> None:
    s = shingle("abcdef")
    assert isinstance(s, Shingles)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.hashes = np.zeros(1, np.uint32)  # type: ignore[misc]


def test_hash_many_equals_shingle_per_text() -> None:
    from dedup.shingle import hash_many

    texts = ["الولايات المتحدة", "", "ab cdef", "😀x y z", " a ", "abcd"]
    for ngram in (1, 3, 5):
        hashes, offsets = hash_many(texts, ngram, seed=7)
        assert offsets[0] == 0 and len(offsets) == len(texts) + 1
        for i, text in enumerate(texts):
            assert hashes[offsets[i] : offsets[i + 1]].tolist() == shingle(text, ngram, seed=7).hashes.tolist()
    hashes, offsets = hash_many([], 5)
    assert len(hashes) == 0 and offsets.tolist() == [0]


@pytest.mark.parametrize("chunk", [1, 7, 50, 1 << 20])
def test_hash_many_is_the_same_whatever_the_chunks(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    rng = random.Random(chunk)
    texts = ["".join(rng.choice("ab دوز€😀 ") for _ in range(rng.randint(0, 40))) for _ in range(30)]
    # (dedup.shingle the attribute is the function: the package exports it under the module's name.)
    monkeypatch.setattr(importlib.import_module("dedup.shingle"), "_CHUNK_CHARS", chunk)
    hashes, offsets = hash_many(texts, 3)
    assert offsets[-1] == len(hashes)
    for i, text in enumerate(texts):
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == shingle(text, 3).hashes.tolist()


# Texts mostly of one width with runs of another: the vectorised 5-gram loops take the main width
# and hash again the n-grams that mix widths; these draw every mixture, spaces and astral characters.
_MIXED = st.lists(
    st.sampled_from(["ب", "ت", "ث", "a", "7", ".", " ", "€", "😀", "ж", "ـ", "\u07fa", "\x7f", "\x80"]), max_size=60
).map("".join)


@given(texts=st.lists(_MIXED, max_size=6), seed=_SEEDS)
@settings(max_examples=300, deadline=None)
def test_hash_many_five_grams_match_xxhash_on_mixed_widths(texts: list[str], seed: int) -> None:
    hashes, offsets = hash_many(texts, 5, seed=seed)
    for i, text in enumerate(texts):
        expected = [xxhash.xxh32_intdigest(g.encode("utf-8"), seed) for g in shingle_strings(text, 5)]
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # A str is one text, not a list of one-character texts (each of which gave no n-gram).
        (lambda: hash_many("abcdef", 3), "^texts must be a list of str, got 'abcdef'$"),
        (lambda: hash_many(None, 3), "^texts must be a list of str, got None$"),  # type: ignore[arg-type]
        (lambda: hash_many([None], 3), r"^texts\[0\] must be a str; got NoneType$"),  # type: ignore[list-item]  # (was: a raw TypeError)
        (lambda: hash_many(["ok", b"abc"], 3), r"^texts\[1\] must be a str; got bytes$"),  # type: ignore[list-item]
        # The rule shingle() applies to one text, in its words (was: a raw UnicodeEncodeError).
        (
            lambda: hash_many(["ab\udc80cdef"], 3),
            r"^texts\[0\] must hold no lone surrogate; got U\+DC80 at character 2$",
        ),
        (lambda: shingle_strings(None), "^text must be a str; got NoneType$"),  # type: ignore[arg-type]  # (was: a raw AttributeError)
        (lambda: shingle_strings("ab\ud800cd", 2), r"^text must hold no lone surrogate; got U\+D800 at character 2$"),
    ],
)
def test_what_is_not_text_is_a_parameter_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        call()


@pytest.mark.parametrize("chunk", [1, 5, 1 << 20])
def test_hash_many_names_the_text_with_a_lone_surrogate_whatever_the_chunks(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(importlib.import_module("dedup.shingle"), "_CHUNK_CHARS", chunk)
    texts = ["first text", "second", "a \ud800 third", "fourth \udfff"]
    with pytest.raises(ParameterError, match=r"^texts\[2\] must hold no lone surrogate; got U\+D800 at character 2$"):
        hash_many(texts, 3)


@given(texts=st.lists(_TEXT, max_size=6), ngram=st.integers(1, 6))
@settings(max_examples=60, deadline=None)
def test_hash_many_takes_any_collection_of_texts_alike(texts: list[str], ngram: int) -> None:
    hashes, offsets = hash_many(texts, ngram)
    for other in (tuple(texts), iter(texts), (t for t in texts)):
        h, o = hash_many(other, ngram)
        assert h.tolist() == hashes.tolist() and o.tolist() == offsets.tolist()


def test_codepoints_of_what_is_not_a_str_is_a_parameter_error() -> None:
    # (before: codepoints(None) raised AttributeError: 'NoneType' object has no attribute 'encode')
    with pytest.raises(ParameterError, match="text must be a str; got NoneType"):
        codepoints(None)  # type: ignore[arg-type]
