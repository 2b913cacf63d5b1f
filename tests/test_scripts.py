# ruff: noqa: RUF001
"""Scripts written without spaces, and characters that stand for several letters (dedup.scripts).

A passage in Chinese, Japanese or Thai ends where the copy ends, not at the nearest space, which
there may be a clause or a sentence away; and a Chinese brief is measured in the letters its
characters stand for, so that one as long as an English brief the scan finds is found too.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import scan
from dedup.group import _widen
from dedup.pairs import too_short
from dedup.scripts import _words, breaks, letter_count, measure, tokens, width
from dedup_bench.scripts import TRANSLATIONS, outlets, reach

CARRIER_PAIRS = {frozenset(("d0", "d1")), frozenset(("d0", "d2")), frozenset(("d1", "d2"))}


def test_a_chinese_brief_is_measured_in_the_letters_its_characters_stand_for() -> None:
    """75 Chinese characters (an English brief of ~230 letters) copied by three of five outlets:
    every carrier pair is found, passage for the brief (the scan found none when it counted the
    brief as 75 letters, under min_length)."""
    brief = TRANSLATIONS["Chinese"][:75]
    got = reach(outlets(brief, seed=1), brief)
    assert set(got) == CARRIER_PAIRS
    assert max(got.values()) <= 1  # (the final comma may be left out)


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.sampled_from(["北", "京", "の", "カ", "서", "a", "b", " "]), min_size=1, max_size=30),
    least=st.integers(1, 60),
)
def test_a_text_is_too_short_exactly_when_its_letters_are_fewer_than_min_exact(parts: list[str], least: int) -> None:
    """Letters are each character's, summed (a CJK ideograph 3, a kana 2, a Hangul syllable 2.5): a
    mixed text of exactly min_exact letters is compared (len x average width once came out under)."""
    text = "".join(parts)
    weights = {"北": 3, "京": 3, "の": 2, "カ": 2, "서": 2.5, "a": 1, "b": 1, " ": 1}
    assert letter_count(text) == sum(weights[c] for c in text)
    assert (too_short(text, least) is None) == (letter_count(text) >= least)
    assert too_short("北京上海广州深圳のabcd", 30) is None  # (30 letters: 24 + 2 + 4)


def test_a_japanese_brief_is_found() -> None:
    brief = TRANSLATIONS["Japanese"][:87]
    got = reach(outlets(brief, seed=2), brief)
    assert set(got) == CARRIER_PAIRS and max(got.values()) <= 1


def test_a_copy_in_a_script_without_spaces_ends_where_the_copy_ends() -> None:
    """Thai glued to an outlet's own text: the passage is the whole copy (it lost the last 141
    characters, a sentence with no space, when passages ended only at spaces)."""
    thai, chinese = TRANSLATIONS["Thai"], TRANSLATIONS["Chinese"]
    got = reach(outlets(thai, seed=3), thai)
    assert set(got) == CARRIER_PAIRS and max(got.values()) == 0
    got = reach(outlets(chinese, seed=4), chinese)
    assert set(got) == CARRIER_PAIRS and max(got.values()) <= 1


def test_a_stock_phrase_in_chinese_is_no_passage() -> None:
    """Twelve shared characters (36 letters) are a phrase, not a copy, in Chinese as in English."""
    phrase = TRANSLATIONS["Chinese"][36:48]
    assert scan(outlets(phrase, seed=5)).passages == []


# Letters, digits, spaces and punctuation of alphabetic scripts (Latin, Arabic, Cyrillic, Greek).
_ALPHABETIC = st.text(st.sampled_from("abc xyz 123 .,;-\nسلامعليكمжизньλόγος"), max_size=80)
_MIXED = st.text(st.sampled_from("ab 1.\n北京国防部ですカナ한국กขัิ่ำ𠀀"), max_size=80)


@settings(max_examples=200, deadline=None)
@given(text=_ALPHABETIC)
def test_alphabetic_text_is_measured_and_cut_as_before(text: str) -> None:
    assert breaks(text).tolist() == []
    assert width(text) == 1.0
    assert tokens(text) == re.findall(r"\w{3,}", text)


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=60) | _ALPHABETIC | _MIXED)
def test_words_split_at_spaces_first_are_the_runs_of_word_characters(text: str) -> None:
    """The fast path of tokens (every Unicode character, whitespace, marks and "_" included)."""
    assert _words(text) == _reference_words(text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60) | _ALPHABETIC | _MIXED)
def test_measure_is_breaks_and_width_at_once(text: str) -> None:
    """The shortcut of text below the first classed code point (most documents) included."""
    where, letters = measure(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))
    assert (where.tolist(), letters) == (breaks(text).tolist(), width(text))
    assert where.dtype == np.int64


def _reference_words(text: str) -> list[str]:
    """Runs of three or more characters, each a word character or (after the first) a combining mark of the BMP."""
    words, run = [], ""
    for ch in text:
        if re.match(r"\w", ch) or (run and ord(ch) < 0x10000 and unicodedata.category(ch).startswith("M")):
            run += ch
        else:
            words.append(run)
            run = ""
    return [w for w in (*words, run) if len(w) >= 3]


def test_a_words_combining_marks_are_part_of_it() -> None:
    """Devanagari, Tamil and Thai words hold vowel signs and viramas (marks, not word characters):
    a word is one token, not letters (before: "रक्षा मंत्रालय ने सोमवार को कहा कि" gave no token, and
    the word-share and edit checks saw no Hindi word)."""
    assert tokens("रक्षा मंत्रालय ने सोमवार को कहा कि") == ["रक्षा", "मंत्रालय", "सोमवार", "कहा"]
    assert tokens("பாதுகாப்பு அமைச்சகம்") == ["பாதுகாப்பு", "அமைச்சகம்"]
    assert tokens("\u0301abc") == ["abc"]  # (a mark starts no word)


_SOLID = re.compile("[\u0e00-\u0fff\u1000-\u109f\u3040-\u30ff\u4e00-\u9fff\U00020000-\U0003ffff]")
_MARK = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


@settings(max_examples=300, deadline=None)
@given(text=_MIXED)
def test_breaks_lie_beside_characters_of_scripts_without_spaces_and_never_before_a_mark(text: str) -> None:
    got = breaks(text).tolist()
    assert got == sorted(set(got)) and all(0 <= p <= len(text) for p in got)
    for p in range(len(text) + 1):
        beside = (p > 0 and _SOLID.match(text[p - 1])) or (p < len(text) and _SOLID.match(text[p]))
        mark = p < len(text) and _MARK.match(text[p])
        assert (p in got) == bool(beside and not mark), p
    assert 1.0 <= width(text) <= 3.0


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.sampled_from("国防部星期一表示 "), min_size=2, max_size=60), data=st.data())
def test_a_span_in_text_without_spaces_keeps_its_ends_where_every_position_is_a_break(
    text: str, data: st.DataObject
) -> None:
    """Between ideographs every position is a break: a span's ends stay where they are, whereas
    with spaces alone they moved to the nearest space."""
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    spaces = np.array([i for i, c in enumerate(text) if c == " "], dtype=np.int64)
    new_start, new_end = _widen(spaces, breaks(text), len(text), start, end)
    assert new_end == end
    assert new_start == start or (text[start] == " " and new_start == start + 1)  # (a leading space is skipped)
