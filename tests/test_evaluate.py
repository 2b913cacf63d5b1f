"""Tests for dedup.evaluate: the PAN text-alignment measures, the loaders and corpus evaluation."""

from __future__ import annotations

import gzip
import json
import math
import re
import types
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import InputError, ParameterError, ReadError
from dedup.evaluate import (
    Case,
    Evaluation,
    Measures,
    Pair,
    detections_from_passages,
    evaluate_corpus,
    evaluate_detections,
    format_table,
    load_detections,
    load_pairs,
    load_truth,
    measure,
    plagdet,
)

CASE = Case("s1", 0, 10, "r1", 0, 10, "none")


def approx(value: float) -> Any:
    return pytest.approx(value, abs=1e-12)


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), "utf-8")
    return path


# --------------------------------------------------------------------------------------------------
# plagdet


def test_plagdet_published_check() -> None:
    # F1(0.25, 0.75) = 0.375; 0.375 / log2(3) = 0.23660...
    assert round(plagdet(0.25, 0.75, 2), 4) == 0.2366


def test_plagdet_perfect_and_zero() -> None:
    assert plagdet(1.0, 1.0, 1.0) == 1.0
    assert plagdet(0.0, 0.0, 1.0) == 0.0
    assert plagdet(1.0, 1.0, 3.0) == approx(0.5)  # 1 / log2(4)


@pytest.mark.parametrize(
    ("p", "r", "g", "name"),
    [
        (-0.1, 0.5, 1.0, "precision"),
        (0.5, 1.5, 1.0, "recall"),
        (0.5, 0.5, 0.5, "granularity"),
        (math.nan, 0.5, 1.0, "precision"),
        (0.5, 0.5, math.nan, "granularity"),
    ],
)
def test_plagdet_rejects_out_of_range(p: float, r: float, g: float, name: str) -> None:
    with pytest.raises(ParameterError, match=name):
        plagdet(p, r, g)


# --------------------------------------------------------------------------------------------------
# measure: hand-computed cases


def test_perfect_detection() -> None:
    m = measure([CASE], [Case("s1", 0, 10, "r1", 0, 10)])
    assert (m.precision, m.recall, m.granularity, m.plagdet) == (1.0, 1.0, 1.0, 1.0)
    assert (m.cases, m.detections) == (1, 1)


def test_case_split_into_two_detections() -> None:
    dets = [Case("s1", 0, 5, "r1", 0, 5), Case("s1", 5, 10, "r1", 5, 10)]
    m = measure([CASE], dets)
    assert (m.precision, m.recall, m.granularity) == (1.0, 1.0, 2.0)
    assert m.plagdet == approx(1 / math.log2(3))


def test_detection_covering_half_a_case_on_one_side() -> None:
    # a-side 5 of 10, b-side 10 of 10: recall 15/20; the detection lies inside the case: precision 1.
    m = measure([CASE], [Case("s1", 0, 5, "r1", 0, 10)])
    assert (m.precision, m.recall, m.granularity) == (1.0, 0.75, 1.0)
    assert m.plagdet == approx(2 * 0.75 / 1.75)


def test_detection_larger_than_the_case() -> None:
    # The detection spans 20 + 10 characters of which 10 + 10 are the case's.
    m = measure([CASE], [Case("s1", 0, 20, "r1", 0, 10)])
    assert m.recall == 1.0
    assert m.precision == approx(20 / 30)


def test_detection_on_the_wrong_pair() -> None:
    m = measure([CASE], [Case("s1", 0, 10, "r2", 0, 10)])
    assert (m.precision, m.recall, m.granularity, m.plagdet) == (0.0, 0.0, 1.0, 0.0)
    assert m.detections == 1


def test_detection_on_the_reversed_pair_orientation() -> None:
    m = measure([Case("s1", 0, 10, "r1", 30, 50)], [Case("r1", 30, 50, "s1", 0, 10)])
    assert (m.precision, m.recall, m.granularity, m.plagdet) == (1.0, 1.0, 1.0, 1.0)


def test_reversed_detection_is_matched_on_its_own_sides() -> None:
    # Reported src-first and covering the src side only partly: 10 (a) + 10 of 20 (b) = 20 of 30.
    m = measure([Case("s1", 0, 10, "r1", 30, 50)], [Case("r1", 30, 40, "s1", 0, 10)])
    assert m.recall == approx(20 / 30)
    assert m.precision == 1.0


def test_overlapping_detections_are_not_double_counted() -> None:
    # Union on each side is [0, 9): recall 18/20, not (6 + 6 + 6 + 6)/20.
    dets = [Case("s1", 0, 6, "r1", 0, 6), Case("s1", 3, 9, "r1", 3, 9)]
    m = measure([CASE], dets)
    assert m.recall == approx(0.9)
    assert (m.precision, m.granularity) == (1.0, 2.0)


def test_identical_duplicate_detections_are_not_double_counted() -> None:
    m = measure([CASE], [Case("s1", 0, 10, "r1", 0, 10)] * 2)
    assert (m.precision, m.recall, m.granularity) == (1.0, 1.0, 2.0)


def test_overlapping_cases_are_not_double_counted_in_precision() -> None:
    # One detection over two overlapping cases: union of its intersections is [0, 10) on both sides.
    cases = [Case("s1", 0, 6, "r1", 0, 6), Case("s1", 4, 10, "r1", 4, 10)]
    m = measure(cases, [Case("s1", 0, 10, "r1", 0, 10)])
    assert (m.precision, m.recall, m.granularity) == (1.0, 1.0, 1.0)


def test_overlap_on_one_side_only_does_not_detect() -> None:
    m = measure([CASE], [Case("s1", 0, 10, "r1", 20, 30)])
    assert (m.precision, m.recall, m.granularity) == (0.0, 0.0, 1.0)


def test_touching_ranges_do_not_overlap() -> None:
    m = measure([CASE], [Case("s1", 10, 20, "r1", 10, 20)])
    assert (m.precision, m.recall) == (0.0, 0.0)


def test_macro_average_weights_every_case_alike() -> None:
    # A short case found and a long one missed: recall 1/2 whatever their lengths.
    cases = [Case("s1", 0, 10, "r1", 0, 10), Case("s1", 100, 1100, "r1", 100, 1100)]
    m = measure(cases, [Case("s1", 0, 10, "r1", 0, 10)])
    assert m.recall == 0.5
    assert m.precision == 1.0


def test_false_positive_halves_precision() -> None:
    m = measure([CASE], [Case("s1", 0, 10, "r1", 0, 10), Case("s1", 50, 60, "r1", 50, 60)])
    assert (m.precision, m.recall, m.granularity) == (0.5, 1.0, 1.0)
    assert m.plagdet == approx(2 * 0.5 / 1.5)


def test_granularity_averages_over_detected_cases_only() -> None:
    cases = [Case("s1", 0, 10, "r1", 0, 10), Case("s1", 20, 30, "r1", 20, 30), Case("s2", 0, 5, "r1", 0, 5)]
    dets = [Case("s1", 0, 5, "r1", 0, 5), Case("s1", 5, 10, "r1", 5, 10), Case("s1", 20, 30, "r1", 20, 30)]
    assert measure(cases, dets).granularity == 1.5


def test_empty_detections() -> None:
    m = measure([CASE], [])
    assert (m.precision, m.recall, m.granularity, m.plagdet) == (0.0, 0.0, 1.0, 0.0)
    assert (m.cases, m.detections) == (1, 0)


def test_empty_cases_follow_the_reference_conventions() -> None:
    fp = measure([], [Case("s1", 0, 10, "r1", 0, 10)])
    assert (fp.precision, fp.recall, fp.granularity, fp.plagdet) == (0.0, 0.0, 1.0, 0.0)
    nothing = measure([], [])
    assert (nothing.precision, nothing.recall, nothing.granularity, nothing.plagdet) == (1.0, 1.0, 1.0, 1.0)


def test_case_rejects_bad_ranges() -> None:
    with pytest.raises(ParameterError, match="a_end must be greater than a_start"):
        Case("s1", 5, 5, "r1", 0, 1)
    with pytest.raises(ParameterError, match="b_start must be a non-negative integer"):
        Case("s1", 0, 5, "r1", -1, 1)
    with pytest.raises(ParameterError, match=r"Case\.b must be a non-empty document id"):
        Case("s1", 0, 5, "", 0, 1)


def test_measures_to_dict() -> None:
    d = measure([CASE], [CASE]).to_dict()
    assert d == {
        "precision": 1.0,
        "recall": 1.0,
        "granularity": 1.0,
        "plagdet": 1.0,
        "cases": 1,
        "detections": 1,
    }


# --------------------------------------------------------------------------------------------------
# properties


def naive_measure(cases: list[Case], detections: list[Case]) -> tuple[float, float, float]:
    """The definition, character by character (small inputs only): precision, recall, granularity."""
    keys = {(c.a, c.b) for c in cases}
    dets = [d.swapped() if (d.a, d.b) not in keys and (d.b, d.a) in keys else d for d in detections]

    def chars(x: Case) -> set[tuple[str, int]]:
        return {("a", i) for i in range(x.a_start, x.a_end)} | {("b", i) for i in range(x.b_start, x.b_end)}

    def detects(r: Case, s: Case) -> bool:
        return (
            (r.a, r.b) == (s.a, s.b)
            and bool(set(range(r.a_start, r.a_end)) & set(range(s.a_start, s.a_end)))
            and bool(set(range(r.b_start, r.b_end)) & set(range(s.b_start, s.b_end)))
        )

    if not cases and not dets:
        return 1.0, 1.0, 1.0
    if not cases or not dets:
        return 0.0, 0.0, 1.0
    recall = sum(
        len(chars(s) & set().union(*(chars(r) for r in dets if detects(r, s)))) / len(chars(s)) for s in cases
    ) / len(cases)
    precision = sum(
        len(chars(r) & set().union(*(chars(s) for s in cases if detects(r, s)))) / len(chars(r)) for r in dets
    ) / len(dets)
    hits = [n for n in (sum(detects(r, s) for r in dets) for s in cases) if n]
    return precision, recall, (sum(hits) / len(hits) if hits else 1.0)


@st.composite
def passages(draw: st.DrawFn) -> Case:
    a, b = draw(st.sampled_from([("s1", "r1"), ("s1", "r2"), ("s2", "r1")]))
    a_start, b_start = draw(st.integers(0, 40)), draw(st.integers(0, 40))
    a_len, b_len = draw(st.integers(1, 25)), draw(st.integers(1, 25))
    case = Case(a, a_start, a_start + a_len, b, b_start, b_start + b_len, draw(st.sampled_from(["none", "x"])))
    return case.swapped() if draw(st.booleans()) else case


@st.composite
def oriented_passages(draw: st.DrawFn) -> Case:
    c = draw(passages())
    return c if c.a.startswith("s") else c.swapped()


@settings(max_examples=200, deadline=None)
@given(st.lists(oriented_passages(), max_size=6), st.lists(passages(), max_size=6))
def test_measures_in_range_and_match_the_definition(cases: list[Case], dets: list[Case]) -> None:
    m = measure(cases, dets)
    assert 0.0 <= m.precision <= 1.0
    assert 0.0 <= m.recall <= 1.0
    assert m.granularity >= 1.0
    assert 0.0 <= m.plagdet <= 1.0
    precision, recall, granularity = naive_measure(cases, dets)
    assert m.precision == approx(precision)
    assert m.recall == approx(recall)
    assert m.granularity == approx(granularity)


@settings(max_examples=100, deadline=None)
@given(st.lists(oriented_passages(), max_size=8))
def test_detections_equal_to_cases_are_perfect(cases: list[Case]) -> None:
    m = measure(cases, cases)
    assert (m.precision, m.recall) == (1.0, 1.0)
    assert measure(cases, [c.swapped() for c in cases]) == m


@settings(max_examples=100, deadline=None)
@given(st.lists(oriented_passages(), max_size=6), st.lists(passages(), max_size=6))
def test_orientation_of_detections_does_not_matter(cases: list[Case], dets: list[Case]) -> None:
    flipped = [d.swapped() for d in dets]
    assert measure(cases, flipped) == measure(cases, dets)


@given(st.floats(0, 1), st.floats(0, 1), st.floats(1, 1e6))
def test_plagdet_symmetric_and_bounded(p: float, r: float, g: float) -> None:
    assert plagdet(p, r, g) == plagdet(r, p, g)
    assert 0.0 <= plagdet(p, r, g) <= 1.0


# --------------------------------------------------------------------------------------------------
# loaders


def test_load_truth_reads_cases(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "truth.jsonl",
        [
            {
                "a": "s1",
                "a_start": 0,
                "a_end": 9,
                "b": "r1",
                "b_start": 4,
                "b_end": 13,
                "obfuscation": "none",
                "type": "artificial",
            },
            "",
            {
                "a": "s1",
                "a_start": 20,
                "a_end": 29,
                "b": "r2",
                "b_start": 0,
                "b_end": 9,
                "obfuscation": None,
                "category": "04-translation-obfuscation",
            },
            {"a": "s2", "a_start": 1, "a_end": 2, "b": "r2", "b_start": 0, "b_end": 9},
        ],
    )
    assert load_truth(path) == [
        Case("s1", 0, 9, "r1", 4, 13, "none"),
        Case("s1", 20, 29, "r2", 0, 9, "translation"),
        Case("s2", 1, 2, "r2", 0, 9, ""),
    ]


GOOD_CASE = {"a": "s1", "a_start": 0, "a_end": 9, "b": "r1", "b_start": 4, "b_end": 13, "obfuscation": "none"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"a_start": "x"}, ':2: field "a_start" must be a non-negative integer, got "x"'),
        ({"b_end": -3}, ':2: field "b_end" must be a non-negative integer, got -3'),
        ({"a_end": 1.5}, ':2: field "a_end" must be a non-negative integer, got 1.5'),
        ({"a_start": True}, ':2: field "a_start" must be a non-negative integer, got true'),
        ({"a_end": 0}, ':2: field "a_end" must be greater than "a_start" (0), got 0'),
        ({"a": ""}, ':2: field "a" must be a non-empty string, got ""'),
        ({"b": 7}, ':2: field "b" must be a non-empty string, got 7'),
        ({"obfuscation": 3}, ':2: field "obfuscation" must be a string or null, got 3'),
        ({"b_start": None}, ':2: field "b_start" must be a non-negative integer, got null'),
    ],
)
def test_load_truth_rejects_bad_fields(tmp_path: Path, bad: dict[str, Any], message: str) -> None:
    path = write_jsonl(tmp_path / "truth.jsonl", [GOOD_CASE, {**GOOD_CASE, **bad}])
    with pytest.raises(InputError) as info:
        load_truth(path)
    text = str(info.value)
    assert text == f"{path}{message}"
    assert "\n" not in text


def test_load_truth_rejects_missing_field(tmp_path: Path) -> None:
    record = {k: v for k, v in GOOD_CASE.items() if k != "b_start"}
    path = write_jsonl(tmp_path / "truth.jsonl", [record])
    with pytest.raises(InputError, match=r'truth\.jsonl:1: field "b_start" is missing'):
        load_truth(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"truth\.jsonl:3: not valid JSON"),
        ("[1, 2]", r"truth\.jsonl:3: expected a JSON object, got an array"),
        ('"text"', r"truth\.jsonl:3: expected a JSON object, got a string"),
        # Python's own limits, a ValueError and a RecursionError before:
        ('{"a": ' + "9" * 5000 + "}", r"truth\.jsonl:3: not valid JSON \(a number of more than 4,300 digits\)"),
        ("[" * 100_000 + "]" * 100_000, r"truth\.jsonl:3: not valid JSON \(arrays or objects nested too deeply"),
    ],
)
def test_load_truth_rejects_bad_lines(tmp_path: Path, line: str, message: str) -> None:
    path = write_jsonl(tmp_path / "truth.jsonl", [GOOD_CASE, "", line])
    with pytest.raises(InputError, match=message):
        load_truth(path)


def test_load_truth_rejects_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "truth.jsonl"
    path.write_bytes(json.dumps(GOOD_CASE).encode() + b'\n{"a": "\xff"}\n')
    with pytest.raises(InputError, match=r"truth\.jsonl:2: not valid UTF-8"):
        load_truth(path)


def test_unreadable_files_raise_read_error(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"missing\.jsonl"):
        load_truth(tmp_path / "missing.jsonl")
    with pytest.raises(ReadError):
        load_pairs(tmp_path)  # a directory
    with pytest.raises(OSError):  # ReadError is an OSError
        load_detections(tmp_path / "missing.jsonl")


def test_load_pairs(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "pairs.jsonl",
        [
            {"a": "s1", "b": "r1", "label": 1, "n_cases": 2},
            {"a": "s1", "b": "r2", "label": 0, "category": "01-no-plagiarism"},
        ],
    )
    assert load_pairs(path) == [Pair("s1", "r1", 1, None), Pair("s1", "r2", 0, "01-no-plagiarism")]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"a": "s1", "b": "r1", "label": 2}, r'pairs\.jsonl:1: field "label" must be 0 or 1, got 2'),
        ({"a": "s1", "b": "r1", "label": "1"}, r'pairs\.jsonl:1: field "label" must be 0 or 1, got "1"'),
        ({"a": "s1", "b": "r1"}, r'pairs\.jsonl:1: field "label" is missing'),
        (
            {"a": "s1", "b": "r1", "label": 0, "category": 1},
            r':1: field "category" must be a string or null',
        ),
        ({"b": "r1", "label": 0}, r'pairs\.jsonl:1: field "a" is missing'),
    ],
)
def test_load_pairs_rejects_bad_lines(tmp_path: Path, record: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_pairs(write_jsonl(tmp_path / "pairs.jsonl", [record]))


def passage_line(a: tuple[str, Any, Any], b: tuple[str, Any, Any]) -> dict[str, Any]:
    return {
        "type": "passage",
        "a": {"doc": a[0], "start": a[1], "end": a[2], "text": "..."},
        "b": {"doc": b[0], "start": b[1], "end": b[2]},
        "similarity": 0.9,
    }


def test_load_detections(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "scan.jsonl",
        [
            {"type": "run", "version": 1},
            passage_line(("r1", 4, 13), ("s1", 0, 9)),
            "",
            {"type": "pair", "a": "r1", "b": "s1"},
            passage_line(("s1", 20, 30), ("r2", 5, 15)),
        ],
    )
    assert load_detections(path) == [Case("r1", 4, 13, "s1", 0, 9), Case("s1", 20, 30, "r2", 5, 15)]


def test_load_detections_compressed(tmp_path: Path) -> None:
    """`dedup scan ... | gzip > found.jsonl.gz`, as scan reads its input: was "found.jsonl.gz:1: not
    valid UTF-8 (invalid start byte at byte 1)"."""
    plain = write_jsonl(tmp_path / "scan.jsonl", [passage_line(("r1", 4, 13), ("s1", 0, 9)), {"type": "summary"}])
    expected = load_detections(plain)
    assert expected == [Case("r1", 4, 13, "s1", 0, 9)]
    packed = tmp_path / "scan.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert load_detections(packed) == expected
    packed = tmp_path / "scan.jsonl.zst"
    packed.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes()))
    assert load_detections(packed) == expected
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(plain.read_bytes())[:30])
    with pytest.raises(ReadError, match=r"cut\.jsonl\.gz: cannot read: Compressed file ended"):
        load_detections(cut)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (GOOD_CASE, r'scan\.jsonl:2: field "type" is missing'),
        ({**passage_line(("r1", 4, 13), ("s1", 0, 9)), "b": [1]}, r':2: field "b" must be an object'),
        ({"type": "passage", "a": {"doc": "r1", "start": 4, "end": 13}}, r':2: field "b" is missing'),
        (
            passage_line(("r1", 4, 13), ("s1", "0", 9)),
            r':2: field "b\.start" must be a non-negative integer, got "0"',
        ),
        (
            passage_line(("r1", 4, 3), ("s1", 0, 9)),
            r':2: field "a\.end" must be greater than "a\.start" \(4\), got 3',
        ),
        (passage_line(("", 4, 13), ("s1", 0, 9)), r':2: field "a\.doc" must be a non-empty string'),
    ],
)
def test_load_detections_rejects_bad_lines(tmp_path: Path, record: dict[str, Any], message: str) -> None:
    path = write_jsonl(tmp_path / "scan.jsonl", [passage_line(("r1", 4, 13), ("s1", 0, 9)), record])
    with pytest.raises(InputError, match=message):
        load_detections(path)


def test_detections_from_passages() -> None:
    span = types.SimpleNamespace
    passages_ = [types.SimpleNamespace(a=span(doc="r1", start=4, end=13), b=span(doc="s1", start=0, end=9))]
    assert detections_from_passages(passages_) == [Case("r1", 4, 13, "s1", 0, 9)]


# --------------------------------------------------------------------------------------------------
# corpus evaluation


def make_corpus(root: Path, *, with_negatives: bool) -> Path:
    """A small corpus: susp s1, s2, s3 and src r1, r2, r3; cases on (s1, r1), (s2, r2), (s1, r2)."""
    root.mkdir()
    docs = [{"id": f"s{i}", "source": "susp", "text": "x" * 200} for i in (1, 2, 3)]
    docs += [{"id": f"r{i}", "source": "src", "text": "y" * 200} for i in (1, 2, 3)]
    write_jsonl(root / "docs.jsonl", docs)
    truth = [
        {
            "a": "s1",
            "a_start": 0,
            "a_end": 50,
            "b": "r1",
            "b_start": 100,
            "b_end": 150,
            "obfuscation": "none",
            "category": "02-no-obfuscation",
        },
        {
            "a": "s2",
            "a_start": 10,
            "a_end": 40,
            "b": "r2",
            "b_start": 0,
            "b_end": 30,
            "obfuscation": "random",
            "category": "03-random-obfuscation",
        },
        {
            "a": "s1",
            "a_start": 60,
            "a_end": 100,
            "b": "r2",
            "b_start": 50,
            "b_end": 90,
            "obfuscation": None,
            "category": "04-translation-obfuscation",
        },
    ]
    write_jsonl(root / "truth.jsonl", truth)
    pairs: list[dict[str, Any]] = [
        {"a": "s1", "b": "r1", "label": 1, "category": "02-no-obfuscation"},
        {"a": "s2", "b": "r2", "label": 1, "category": "03-random-obfuscation"},
        {"a": "s1", "b": "r2", "label": 1, "category": "04-translation-obfuscation"},
    ]
    if with_negatives:
        pairs += [
            {"a": "s3", "b": "r3", "label": 0, "category": "01-no-plagiarism"},
            {"a": "s2", "b": "r1", "label": 0, "category": "03-random-obfuscation"},
        ]
    else:
        pairs = [{k: v for k, v in p.items() if k != "category"} for p in pairs]
    write_jsonl(root / "pairs.jsonl", pairs)
    return root


def test_truth_as_detections_is_perfect(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", with_negatives=True)
    evaluation = evaluate_detections(corpus, load_truth(corpus / "truth.jsonl"))
    assert evaluation.only_listed_pairs
    assert list(evaluation.by_obfuscation) == [
        "none",
        "random",
        "translation",
        "no-plagiarism",
        "random (no cases)",
    ]
    for name, m in [("overall", evaluation.overall), *evaluation.by_obfuscation.items()]:
        if m.cases:
            assert (m.precision, m.recall, m.granularity, m.plagdet) == (1.0, 1.0, 1.0, 1.0), name
        else:
            assert m.detections == 0, name
    assert evaluation.by_obfuscation["translation"].cases == 1
    assert evaluation.ignored_detections == 0


def test_listed_pairs_rule(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", with_negatives=True)
    dets = [
        Case("r1", 100, 150, "s1", 0, 50),  # the none case, reported src-first
        Case("s3", 0, 20, "r3", 0, 20),  # listed 01-no-plagiarism pair: a false positive
        Case("s2", 0, 20, "r1", 0, 20),  # listed label-0 pair of category 03-random: a false positive
        Case("s3", 0, 20, "r1", 0, 20),  # unlisted pair: ignored
        Case("s1", 0, 20, "s2", 0, 20),  # two susp documents: ignored
    ]
    evaluation = evaluate_detections(corpus, dets)
    assert evaluation.ignored_detections == 2
    overall = evaluation.overall
    assert (overall.cases, overall.detections) == (3, 3)
    assert overall.precision == approx(1 / 3)
    assert overall.recall == approx(1 / 3)
    rows = evaluation.by_obfuscation
    assert (rows["none"].precision, rows["none"].recall, rows["none"].detections) == (1.0, 1.0, 1)
    assert (rows["random"].precision, rows["random"].recall, rows["random"].detections) == (0.0, 0.0, 0)
    assert (rows["no-plagiarism"].cases, rows["no-plagiarism"].detections) == (0, 1)
    assert rows["no-plagiarism"].precision == 0.0
    assert rows["random (no cases)"].detections == 1

    table = format_table(evaluation)
    lines = table.splitlines()
    assert lines[0].split() == [
        "obfuscation",
        "precision",
        "recall",
        "granularity",
        "plagdet",
        "cases",
        "detections",
    ]
    assert lines[1].split()[0] == "overall"
    no_plag = next(line for line in lines if line.startswith("no-plagiarism"))
    assert no_plag.split() == ["no-plagiarism", "0.0000", "-", "-", "-", "0", "1"]
    assert len({len(line) for line in lines}) == 1  # fixed width

    # Override: every susp-src pair in play, so the unlisted (s3, r1) detection is a false positive too.
    everything = evaluate_detections(corpus, dets, only_listed_pairs=False)
    assert (everything.ignored_detections, everything.overall.detections) == (1, 4)
    assert everything.by_obfuscation["no-plagiarism"].detections == 2


def test_all_pairs_rule_when_only_positive_pairs_are_listed(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", with_negatives=False)
    dets = [
        Case("s2", 10, 40, "r2", 0, 30),  # the random case
        Case("s3", 0, 20, "r1", 0, 20),  # unlisted susp-src pair: a false positive
        Case("r3", 0, 20, "s3", 0, 20),  # unlisted, src-first: a false positive
    ]
    evaluation = evaluate_detections(corpus, dets)
    assert not evaluation.only_listed_pairs
    assert evaluation.ignored_detections == 0
    assert (evaluation.overall.detections, evaluation.overall.precision) == (3, approx(1 / 3))
    assert evaluation.by_obfuscation["random"].plagdet == 1.0
    assert evaluation.by_obfuscation["no-plagiarism"].detections == 2
    listed = evaluate_detections(corpus, dets, only_listed_pairs=True)
    assert (listed.ignored_detections, listed.overall.precision) == (2, 1.0)
    assert "no-plagiarism" not in listed.by_obfuscation  # no pair without cases is in play


def test_per_type_precision_credits_cases_of_other_types_on_the_pair(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", with_negatives=False)
    # Add a "random" case on the (s1, r1) pair, which already holds a "none" case.
    with (corpus / "truth.jsonl").open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "a": "s1",
                    "a_start": 150,
                    "a_end": 180,
                    "b": "r1",
                    "b_start": 0,
                    "b_end": 30,
                    "obfuscation": "random",
                }
            )
            + "\n"
        )
    evaluation = evaluate_detections(corpus, [Case("s1", 0, 50, "r1", 100, 150)])  # finds the none case
    random_row = evaluation.by_obfuscation["random"]
    assert (random_row.cases, random_row.detections) == (2, 1)
    assert (random_row.precision, random_row.recall) == (1.0, 0.0)


def test_unknown_document_is_an_error(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", with_negatives=True)
    with pytest.raises(ParameterError, match="'nope'"):
        evaluate_detections(corpus, [Case("nope", 0, 1, "r1", 0, 1)])


def test_bad_corpus_file_is_an_input_error(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", with_negatives=True)
    write_jsonl(corpus / "docs.jsonl", [{"id": "s1", "source": "other", "text": ""}])
    with pytest.raises(InputError, match=r'docs\.jsonl:1: field "source" must be "susp" or "src"'):
        evaluate_detections(corpus, [])


def test_evaluation_to_dict_is_json_ready(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", with_negatives=True)
    data = evaluate_detections(corpus, []).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["overall"]["precision"] == 0.0
    assert set(data["by_obfuscation"]) == {
        "none",
        "random",
        "translation",
        "no-plagiarism",
        "random (no cases)",
    }


def test_format_table_shows_measures() -> None:
    m = Measures(0.25, 0.75, 2.0, plagdet(0.25, 0.75, 2.0), 4, 8)
    table = format_table(Evaluation(m, {"summary": m}, only_listed_pairs=True, ignored_detections=0))
    assert table.splitlines()[2].split() == ["summary", "0.2500", "0.7500", "2.0000", "0.2366", "4", "8"]


def test_evaluate_corpus_with_the_scanner(tmp_path: Path) -> None:
    """End to end: the real scanner runs on a tiny corpus, finds the planted case and is scored."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    reused = (
        "The ministry said on Tuesday that talks between the two delegations would resume next week in the "
        "capital, after a pause of several months caused by disagreements over the border and trade terms. "
        "Officials from both sides declined to give details of the agenda, but diplomats expect the first "
        "round to focus on customs checkpoints, fishing rights and the release of detained truck drivers. "
    )
    susp = "An unrelated opening sentence about the weather and local sport results. " + reused
    src = reused + "A closing remark that only the source carries, about a different matter entirely."
    start = susp.index(reused)
    write_jsonl(
        corpus / "docs.jsonl",
        [{"id": "s1", "source": "susp", "text": susp}, {"id": "r1", "source": "src", "text": src}],
    )
    write_jsonl(
        corpus / "truth.jsonl",
        [
            {
                "a": "s1",
                "a_start": start,
                "a_end": start + len(reused),
                "b": "r1",
                "b_start": 0,
                "b_end": len(reused),
                "obfuscation": "none",
            }
        ],
    )
    write_jsonl(corpus / "pairs.jsonl", [{"a": "s1", "b": "r1", "label": 1}])
    evaluation = evaluate_corpus(corpus)
    assert isinstance(evaluation, Evaluation)
    assert evaluation.overall.cases == 1
    assert evaluation.overall.detections == 1
    assert evaluation.overall.plagdet > 0.95


def test_a_truth_naming_a_missing_document_is_an_error(tmp_path: Path) -> None:
    """A case or labelled pair naming a document docs.jsonl lacks could never be found: counting it
    as a miss would hide a broken truth file."""
    from dedup.errors import InputError
    from dedup.evaluate import evaluate_detections
    from dedup.evaluate_pairs import evaluate_labelled_corpus

    docs = [{"id": "s1", "source": "susp", "text": "x " * 100}, {"id": "r1", "source": "src", "text": "y " * 100}]
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in docs), encoding="utf-8")
    case = {"a": "s1", "a_start": 0, "a_end": 20, "b": "nosuch", "b_start": 0, "b_end": 20, "obfuscation": "none"}
    (tmp_path / "truth.jsonl").write_text(json.dumps(case) + "\n", encoding="utf-8")
    (tmp_path / "pairs.jsonl").write_text('{"a": "s1", "b": "r1", "label": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"truth\.jsonl:1: case names document 'nosuch', which is not in"):
        evaluate_detections(tmp_path, [])
    (tmp_path / "truth.jsonl").write_text(
        '{"a": "s1", "b": "r1", "label": "WD"}\n{"a": "s1", "b": "x", "label": "ND"}\n'
    )
    with pytest.raises(InputError, match=r"truth\.jsonl:2: pair names document 'x', which is not in"):
        evaluate_labelled_corpus(tmp_path)


def test_a_range_past_the_end_of_its_document_is_an_error(tmp_path: Path) -> None:
    """A truth case or a detection ending past its document's text was made from other texts: it
    is said, not scored against characters that do not exist."""
    from dedup.evaluate import Case, evaluate_detections

    docs = [{"id": "s1", "source": "susp", "text": "x" * 50}, {"id": "r1", "source": "src", "text": "y" * 40}]
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in docs), encoding="utf-8")
    (tmp_path / "pairs.jsonl").write_text('{"a": "s1", "b": "r1", "label": 1}\n', encoding="utf-8")
    case = {"a": "s1", "a_start": 0, "a_end": 50, "b": "r1", "b_start": 0, "b_end": 40, "obfuscation": "none"}
    (tmp_path / "truth.jsonl").write_text(json.dumps(case) + "\n", encoding="utf-8")
    assert evaluate_detections(tmp_path, [Case("s1", 0, 50, "r1", 0, 40)]).overall.plagdet == 1.0
    with pytest.raises(ParameterError, match=r"detection 1 ends at 41 in document 'r1', past its 40 characters"):
        evaluate_detections(tmp_path, [Case("s1", 0, 50, "r1", 0, 41)])
    # Read from a scan's output, a detection is named by its file and line.
    found = write_jsonl(tmp_path / "found.jsonl", [{"type": "summary"}, passage_line(("s1", 0, 50), ("r1", 0, 41))])
    with pytest.raises(ParameterError, match=r"found\.jsonl:2: detection ends at 41 in document 'r1', past its 40"):
        evaluate_detections(tmp_path, load_detections(found))
    found = write_jsonl(tmp_path / "found.jsonl", [passage_line(("s1", 0, 5), ("zz", 0, 5))])
    with pytest.raises(ParameterError, match=r"found\.jsonl:1: detection names document 'zz', which is not in .*docs"):
        evaluate_detections(tmp_path, load_detections(found))
    (tmp_path / "truth.jsonl").write_text(json.dumps({**case, "b_end": 41}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"truth\.jsonl:1: case ends at 41 in document 'r1' \(b_end\), past its 40"):
        evaluate_detections(tmp_path, [])


def test_an_undefined_auc_is_null_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dedup.cli import main

    docs = [
        {"id": "a", "source": "x", "text": "the wire text of the day " * 10},
        {"id": "b", "source": "y", "text": "the wire text of the day " * 10},
    ]
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in docs), encoding="utf-8")
    (tmp_path / "truth.jsonl").write_text('{"a": "a", "b": "b", "label": "WD"}\n', encoding="utf-8")
    assert main(["evaluate", str(tmp_path), "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)  # (strict JSON: NaN would not parse in most readers)
    assert record["auc_derived"] is None and record["auc_wholly"] is None and record["reported"] == {"WD": 1.0}


def test_docs_read_as_the_scan_reads_them(tmp_path: Path) -> None:
    """A byte-order mark (Windows editors write one) and CR line ends: dedup scan read such a docs.jsonl,
    and evaluate, checking detections against it, refused it (line 1 'not valid JSON')."""
    docs = [{"id": "s1", "source": "susp", "text": "x" * 50}, {"id": "r1", "source": "src", "text": "y" * 40}]
    case = {"a": "s1", "a_start": 0, "a_end": 50, "b": "r1", "b_start": 0, "b_end": 40, "obfuscation": "none"}
    for end, mark in (("\n", "\ufeff"), ("\r", "")):
        (tmp_path / "docs.jsonl").write_text(mark + "".join(json.dumps(r) + end for r in docs), encoding="utf-8")
        (tmp_path / "truth.jsonl").write_text(mark + json.dumps(case) + end, encoding="utf-8")
        (tmp_path / "pairs.jsonl").write_text(mark + '{"a": "s1", "b": "r1", "label": 1}' + end, encoding="utf-8")
        assert evaluate_detections(tmp_path, [Case("s1", 0, 50, "r1", 0, 40)]).overall.plagdet == 1.0


def test_json_leaves_undefined_what_the_table_shows_as_a_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row without cases has no recall, granularity or plagdet (and no precision without detections
    either): the table shows "-", and --format json said 1.0, a perfect score for nothing measured."""
    from dedup.cli import main

    corpus = make_corpus(tmp_path / "c", with_negatives=True)
    found = tmp_path / "found.jsonl"
    side = {"source": None, "text": ""}
    passage = {"type": "passage", "a": {"doc": "s1", "start": 0, "end": 50, **side}}
    passage["b"] = {"doc": "r1", "start": 100, "end": 150, **side}
    found.write_text(json.dumps(passage) + "\n", encoding="utf-8")
    assert main(["evaluate", str(corpus), "--detections", str(found)]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^no-plagiarism +- +- +- +- +0 +0$", table, flags=re.MULTILINE), table
    assert main(["evaluate", str(corpus), "--detections", str(found), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["by_obfuscation"]
    assert rows["no-plagiarism"] == {
        "precision": None,
        "recall": None,
        "granularity": None,
        "plagdet": None,
        "cases": 0,
        "detections": 0,
    }
    assert rows["none"]["plagdet"] == 1.0 and rows["random"]["recall"] == 0.0  # (a case, not detected)


def test_truth_errors_name_the_line_not_the_case_number(tmp_path: Path) -> None:
    """Blank lines are skipped, so "case 2" was line 3: a truth error names its file and line, as every
    other input error does."""
    docs = [{"id": "s1", "source": "susp", "text": "x" * 50}, {"id": "r1", "source": "src", "text": "y" * 40}]
    write_jsonl(tmp_path / "docs.jsonl", docs)
    write_jsonl(tmp_path / "pairs.jsonl", [{"a": "s1", "b": "r1", "label": 1}])
    good = {"a": "s1", "a_start": 0, "a_end": 10, "b": "r1", "b_start": 0, "b_end": 10, "obfuscation": "none"}
    write_jsonl(tmp_path / "truth.jsonl", [good, "", {**good, "b_end": 41}])
    with pytest.raises(InputError, match=r"truth\.jsonl:3: case ends at 41 in document 'r1' \(b_end\), past its 40"):
        evaluate_detections(tmp_path, [])
    write_jsonl(tmp_path / "truth.jsonl", [good, "", {**good, "b": "nosuch"}])
    with pytest.raises(InputError, match=r"truth\.jsonl:3: case names document 'nosuch', which is not in"):
        evaluate_detections(tmp_path, [])


def test_pairs_listed_src_first_still_count(tmp_path: Path) -> None:
    """pairs.jsonl listing a positive pair as (src, susp) while its case is (susp, src): an exact
    detection was ignored as on an unlisted pair (or, given src-first, scored a false positive)."""
    docs = [{"id": f"s{i}", "source": "susp", "text": "x" * 50} for i in (1, 2)]
    docs += [{"id": f"r{i}", "source": "src", "text": "y" * 50} for i in (1, 2)]
    write_jsonl(tmp_path / "docs.jsonl", docs)
    case = {"a": "s1", "a_start": 0, "a_end": 40, "b": "r1", "b_start": 0, "b_end": 40, "obfuscation": "none"}
    write_jsonl(tmp_path / "truth.jsonl", [case])
    write_jsonl(tmp_path / "pairs.jsonl", [{"a": "r1", "b": "s1", "label": 1}, {"a": "r2", "b": "s2", "label": 0}])
    for found in (Case("s1", 0, 40, "r1", 0, 40), Case("r1", 0, 40, "s1", 0, 40)):
        e = evaluate_detections(tmp_path, [found, Case("s2", 0, 10, "r2", 0, 10)])
        assert e.only_listed_pairs and e.ignored_detections == 0
        assert e.by_obfuscation["none"].plagdet == 1.0 and e.by_obfuscation["none"].detections == 1
        assert e.by_obfuscation["no-plagiarism"].detections == 1
        assert (e.overall.precision, e.overall.recall) == (0.5, 1.0)


def test_pairs_naming_a_missing_document_is_an_error(tmp_path: Path) -> None:
    """A listed pair naming a document docs.jsonl lacks (a typo) was taken silently: as a label-0
    pair it even switched the corpus to counting only listed pairs."""
    docs = [{"id": "s1", "source": "susp", "text": "x" * 50}, {"id": "r1", "source": "src", "text": "y" * 50}]
    write_jsonl(tmp_path / "docs.jsonl", docs)
    case = {"a": "s1", "a_start": 0, "a_end": 40, "b": "r1", "b_start": 0, "b_end": 40, "obfuscation": "none"}
    write_jsonl(tmp_path / "truth.jsonl", [case])
    write_jsonl(tmp_path / "pairs.jsonl", [{"a": "s1", "b": "r1", "label": 1}, "", {"a": "s1", "b": "rX", "label": 0}])
    with pytest.raises(InputError, match=r"pairs\.jsonl:3: pair names document 'rX', which is not in .*docs\.jsonl"):
        evaluate_detections(tmp_path, [])


def test_a_pair_scored_twice_is_an_error(tmp_path: Path) -> None:
    """Two scores for one pair (two scan outputs joined, either order of the documents): the last
    silently won, so the AUC depended on line order."""
    from dedup.evaluate_pairs import load_scored_pairs

    scan = write_jsonl(
        tmp_path / "scan.jsonl",
        [
            {"type": "pair", "a": "1", "b": "1p", "score": 0.8},
            {"type": "summary"},
            {"type": "pair", "a": "1p", "b": "1", "score": 0.1},
        ],
    )
    with pytest.raises(
        InputError, match=r"scan\.jsonl:3: the pair \('1p', '1'\) is reported twice \(first at line 1\)"
    ):
        load_scored_pairs(scan)


def test_pair_table_columns_line_up_whatever_the_label_length() -> None:
    """A researcher's own labels ("derived", "not-derived") pushed their rows' figures out of the
    columns: the label column was five characters wide whatever the labels."""
    from dedup.evaluate_pairs import PairEvaluation, format_pair_table

    table = format_pair_table(
        PairEvaluation(
            0.5, 0.5, {"WD": 1.0, "derived": 0.25, "not-derived": 0.0}, {"WD": 3, "derived": 4, "not-derived": 12}, 0
        )
    )
    rows = table.splitlines()[2:6]
    assert rows[0].split() == ["label", "pairs", "reported"]
    ends = {len(row) for row in rows}
    assert len(ends) == 1, rows  # right-aligned figures end in the same column
    assert [row.split()[:2] for row in rows[1:]] == [["WD", "3"], ["derived", "4"], ["not-derived", "12"]]


def test_an_undefined_auc_says_which_labels_are_missing() -> None:
    """A researcher's corpus labelled "copy" / "independent", or one without ND pairs, read
    "AUC ... nan" with no word of why: each AUC undefined now names the label side the truth lacks,
    and labels other than WD, PD and ND are named as counting only as "the rest"."""
    from dedup.evaluate_pairs import LabelledPair, evaluate_pair_scores, format_pair_table

    own_words = [LabelledPair("a", "ap", "copy"), LabelledPair("b", "bp", "independent")]
    lines = format_pair_table(evaluate_pair_scores(own_words, {frozenset(("a", "ap")): 0.5})).splitlines()
    assert lines[0].endswith("not defined: the truth labels no WD or PD pair and no ND pair")
    assert lines[1].endswith("not defined: the truth labels no WD pair")
    assert "nan" not in "\n".join(lines)
    assert lines[-1] == "labels other than WD, PD and ND (copy, independent) count only as 'the rest' of WD vs the rest"

    no_nd = [LabelledPair("a", "ap", "WD"), LabelledPair("b", "bp", "PD")]
    lines = format_pair_table(evaluate_pair_scores(no_nd, {frozenset(("a", "ap")): 0.5})).splitlines()
    assert lines[0].endswith("not defined: the truth labels no ND pair")
    assert lines[1].endswith("1.0000")
    assert lines[-1] == "reported pairs not in the truth: 0"  # only COUNTER's labels: no note

    every_wd = [LabelledPair("a", "ap", "WD")]
    lines = format_pair_table(evaluate_pair_scores(every_wd, {})).splitlines()
    assert lines[1].endswith("not defined: the truth labels no pair of another label")


def test_scored_pairs_checked_against_the_corpus(tmp_path: Path) -> None:
    """With --detections, a pair-labelled truth was never checked against docs.jsonl (a pair naming a
    missing document scored 0, as unreported), nor were the scan's pairs (a scan of another corpus
    gave AUC 0.5 and every pair 'not in the truth'), while the scanning path and the passage path
    both refuse such input."""
    from dedup.evaluate_pairs import evaluate_scored_pairs

    docs = [{"id": i, "source": "x", "text": "t" * 50} for i in ("1", "1p", "2", "2p")]
    write_jsonl(tmp_path / "docs.jsonl", docs)
    write_jsonl(tmp_path / "truth.jsonl", [{"a": "1", "b": "1p", "label": "WD"}, {"a": "2", "b": "2p", "label": "ND"}])
    scan = write_jsonl(tmp_path / "scan.jsonl", [{"type": "pair", "a": "1p", "b": "1", "score": 0.5}])
    e = evaluate_scored_pairs(tmp_path, scan)
    assert (e.auc_derived, e.reported, e.unlabelled) == (1.0, {"ND": 0.0, "WD": 1.0}, 0)
    write_jsonl(scan, [{"type": "summary"}, {"type": "pair", "a": "1", "b": "zz", "score": 0.5}])
    with pytest.raises(InputError, match=r"scan\.jsonl:2: pair names document 'zz', which is not in .*docs\.jsonl"):
        evaluate_scored_pairs(tmp_path, scan)
    write_jsonl(
        tmp_path / "truth.jsonl", [{"a": "1", "b": "1p", "label": "WD"}, "", {"a": "9", "b": "2p", "label": "ND"}]
    )
    with pytest.raises(InputError, match=r"truth\.jsonl:3: pair names document '9', which is not in .*docs\.jsonl"):
        evaluate_scored_pairs(tmp_path, scan)


def test_a_duplicate_document_id_is_an_error(tmp_path: Path) -> None:
    """docs.jsonl giving one id twice: the scan refuses it, evaluate --detections took the last silently
    (its role and length), and said a correct case ran past the end of the wrong text."""
    docs = [{"id": "s1", "source": "susp", "text": "x" * 50}, {"id": "r1", "source": "src", "text": "y" * 50}]
    write_jsonl(tmp_path / "docs.jsonl", [*docs, "", {"id": "s1", "source": "src", "text": "z" * 10}])
    case = {"a": "s1", "a_start": 0, "a_end": 40, "b": "r1", "b_start": 0, "b_end": 40, "obfuscation": "none"}
    write_jsonl(tmp_path / "truth.jsonl", [case])
    write_jsonl(tmp_path / "pairs.jsonl", [{"a": "s1", "b": "r1", "label": 1}])
    with pytest.raises(
        InputError, match=r"docs\.jsonl:4: duplicate id 's1' \(taken by the document at .*docs\.jsonl:1\)"
    ):
        evaluate_detections(tmp_path, [])


def test_a_pair_listed_twice_is_an_error(tmp_path: Path) -> None:
    """pairs.jsonl listing one pair twice (either order), say label 1 then 0: the first line won
    silently, as the labels of a pair-labelled truth are refused when given twice."""
    path = write_jsonl(
        tmp_path / "pairs.jsonl",
        [{"a": "s1", "b": "r1", "label": 1}, {"a": "s2", "b": "r2", "label": 0}, {"a": "r1", "b": "s1", "label": 0}],
    )
    with pytest.raises(
        InputError, match=r"pairs\.jsonl:3: the pair \('r1', 's1'\) is listed twice \(first at line 1\)"
    ):
        load_pairs(path)


def test_pairs_and_truth_that_contradict_each_other_are_an_error(tmp_path: Path) -> None:
    """A pair labelled 1 without a case, labelled 0 with one, or a case on a pair not listed while only
    listed pairs count: each was taken silently (a case's detections ignored, so a certain miss; a
    correct detection scored as a false positive)."""
    docs = [{"id": f"s{i}", "source": "susp", "text": "x" * 50} for i in (1, 2, 3)]
    docs += [{"id": f"r{i}", "source": "src", "text": "y" * 50} for i in (1, 2, 3)]
    write_jsonl(tmp_path / "docs.jsonl", docs)
    case = {"a": "s1", "a_start": 0, "a_end": 40, "b": "r1", "b_start": 0, "b_end": 40, "obfuscation": "none"}
    write_jsonl(tmp_path / "truth.jsonl", [case])
    pairs = [{"a": "s1", "b": "r1", "label": 1}, {"a": "s2", "b": "r2", "label": 0}]
    write_jsonl(tmp_path / "pairs.jsonl", pairs)
    assert evaluate_detections(tmp_path, [Case("s1", 0, 40, "r1", 0, 40)]).overall.plagdet == 1.0
    write_jsonl(tmp_path / "pairs.jsonl", [*pairs, {"a": "s3", "b": "r3", "label": 1}])
    with pytest.raises(
        InputError, match=r"pairs\.jsonl:3: pair \('s3', 'r3'\) is labelled 1, but .*truth\.jsonl holds no case on it"
    ):
        evaluate_detections(tmp_path, [])
    write_jsonl(tmp_path / "pairs.jsonl", [{**pairs[0], "label": 0}])
    with pytest.raises(
        InputError, match=r"pairs\.jsonl:1: pair \('s1', 'r1'\) is labelled 0, but .*truth\.jsonl:1 holds a case on it"
    ):
        evaluate_detections(tmp_path, [])
    write_jsonl(tmp_path / "truth.jsonl", [case, {**case, "a": "s3", "b": "r3"}])
    write_jsonl(tmp_path / "pairs.jsonl", pairs)
    with pytest.raises(
        InputError, match=r"truth\.jsonl:2: case on pair \('s3', 'r3'\), which .*pairs\.jsonl does not list"
    ):
        evaluate_detections(tmp_path, [])
    # Where every susp-src pair counts (only positive pairs listed), an unlisted case pair is in play.
    write_jsonl(tmp_path / "pairs.jsonl", pairs[:1])
    assert evaluate_detections(tmp_path, [Case("s1", 0, 40, "r1", 0, 40)]).overall.recall == 0.5


def test_evaluate_of_a_saved_scan_on_a_pair_labelled_corpus_checks_it_is_that_corpus_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The scan output given to --detections names the corpus's documents: another corpus's scan
    (every pair unknown, an AUC of 0.5) is an error naming its line, not a measure."""
    from dedup.cli import main

    docs = [{"id": i, "source": "x", "text": "some text"} for i in ("1", "1p", "2", "2p")]
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in docs), encoding="utf-8")
    truth = '{"a": "1", "b": "1p", "label": "WD"}\n{"a": "2", "b": "2p", "label": "ND"}\n'
    (tmp_path / "truth.jsonl").write_text(truth, encoding="utf-8")
    scan = tmp_path / "scan.jsonl"
    scan.write_text('{"type": "pair", "a": "1p", "b": "1", "score": 0.7}\n', encoding="utf-8")
    assert main(["evaluate", str(tmp_path), "--detections", str(scan), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["auc_derived"] == 1.0
    scan.write_text('{"type": "pair", "a": "9p", "b": "9", "score": 0.7}\n', encoding="utf-8")
    assert main(["evaluate", str(tmp_path), "--detections", str(scan)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "scan.jsonl:1: pair names document '9p', which is not in the corpus" in err


def test_the_table_says_how_many_detections_were_not_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON's ignored_detections, said under the table: a reader of the table alone did not
    know that detections on pairs pairs.jsonl does not list (or between two susp) were left out."""
    from dedup.cli import main

    side = {"source": None, "text": ""}

    def passage(a: str, b: str) -> str:
        record = {"type": "passage", "a": {"doc": a, "start": 0, "end": 50, **side}}
        record["b"] = {"doc": b, "start": 100, "end": 150, **side}
        return json.dumps(record) + "\n"

    found = tmp_path / "found.jsonl"
    found.write_text(passage("s1", "r1") + passage("s3", "r1") + passage("s1", "s2"), encoding="utf-8")
    listed = make_corpus(tmp_path / "listed", with_negatives=True)  # (s3, r1) unlisted: not counted, as in PAN
    assert main(["evaluate", str(listed), "--detections", str(found)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2] == "not counted: 2 detections on pairs that pairs.jsonl does not list (as in PAN)"
    every = make_corpus(tmp_path / "every", with_negatives=False)  # (s3, r1) a false positive; (s1, s2) not counted
    assert main(["evaluate", str(every), "--detections", str(found)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2] == "not counted: 1 detection between two documents of the same role (susp or src)"
    found.write_text(passage("s1", "r1"), encoding="utf-8")
    assert main(["evaluate", str(every), "--detections", str(found)]) == 0
    assert not any(line.startswith("not counted") for line in capsys.readouterr().out.splitlines())


@pytest.mark.parametrize("given", ["missing", "file"])
def test_evaluate_of_a_corpus_that_is_no_folder_says_so(
    given: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A corpus path naming nothing, or a file (docs.jsonl itself, given by a slip), was said as
    'CORPUS/truth.jsonl: cannot read: Not a directory', a file the user never named."""
    from dedup.cli import main

    corpus = make_corpus(tmp_path / "c", with_negatives=True)
    path = corpus / "docs.jsonl" if given == "file" else tmp_path / "nothing"
    what = "a file, not a folder" if given == "file" else "no such folder"
    for extra in ([], ["--detections", str(corpus / "truth.jsonl")]):
        assert main(["evaluate", str(path), *extra]) == 2
        err = capsys.readouterr().err
        assert err == (
            f"dedup: error: {path}: cannot read: {what}: expected a folder holding docs.jsonl, truth.jsonl "
            "and pairs.jsonl\n"
        )


def test_detections_of_no_record_are_not_a_scan_that_found_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty --detections file (a redirect that failed, `> scan.jsonl` of a command that wrote to
    stderr) was scored as a scan that found nothing: precision 0 and status 0, with no word."""
    from dedup.cli import main

    corpus = make_corpus(tmp_path / "c", with_negatives=True)
    empty = tmp_path / "scan.jsonl"
    empty.write_text("\n", "utf-8")
    assert main(["evaluate", str(corpus), "--detections", str(empty)]) == 2
    assert capsys.readouterr().err == (
        f"dedup: error: {empty}: no records: expected the output of dedup scan --format jsonl, "
        "whose last record is its summary\n"
    )
    empty.write_text('{"type": "summary", "pairs": 0}\n', "utf-8")  # a scan that found nothing
    assert main(["evaluate", str(corpus), "--detections", str(empty), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["overall"]["precision"] == 0.0


def test_detection_options_with_saved_detections_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`evaluate CORPUS --detections scan.jsonl --threshold 0.3` scored the saved scan as it was: the
    threshold, read as if it applied, did nothing, with no word."""
    from dedup.cli import main

    corpus = make_corpus(tmp_path / "c", with_negatives=True)
    saved = tmp_path / "scan.jsonl"
    saved.write_text('{"type": "summary", "pairs": 0}\n', "utf-8")
    assert main(["evaluate", str(corpus), "--detections", str(saved), "--threshold", "0.3", "--gap", "50"]) == 2
    assert capsys.readouterr().err == (
        "dedup: error: --threshold and --gap do nothing with --detections: the saved detections are scored as "
        "they are (scan again with them, or leave them out)\n"
    )
    assert main(["evaluate", str(corpus), "--detections", str(saved), "--threshold", "0.2", "--format", "json"]) == 0


@pytest.mark.parametrize(
    ("positive", "negative", "message"),
    [
        ([float("nan")], [0.1], "positive[0] must be a finite number, got nan"),
        ([0.5], [0.1, float("inf")], "negative[1] must be a finite number, got inf"),
        ([0.5], ["0.1"], "negative[0] must be a finite number, got '0.1'"),
    ],
)
def test_auc_of_a_score_that_is_no_number_is_a_parameter_error(
    positive: list[Any], negative: list[Any], message: str
) -> None:
    """A NaN score (NaN != NaN) kept auc's tie loop from ever moving on: auc([nan], [0.1]) never returned."""
    from dedup.evaluate_pairs import auc

    with pytest.raises(ParameterError, match=re.escape(message)):
        auc(positive, negative)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("0.5", 0.5, 1.0), "precision must be a number in [0, 1], got '0.5'"),
        ((0.5, None, 1.0), "recall must be a number in [0, 1], got None"),
        ((0.5, 0.5, "2"), "granularity must be a number of at least 1, got '2'"),
    ],
)
def test_plagdet_of_a_value_that_is_no_number_is_a_parameter_error(args: tuple[Any, Any, Any], message: str) -> None:
    """plagdet('0.5', 0.5, 1.0) failed with a bare TypeError from a comparison."""
    from dedup.evaluate import plagdet

    with pytest.raises(ParameterError, match=re.escape(message)):
        plagdet(*args)


def test_a_path_that_is_none_is_named() -> None:
    """evaluate_corpus(None), load_truth(None) and the other loaders (a path from a missing setting) failed with
    pathlib's bare TypeError, "expected str, bytes or os.PathLike object, not NoneType", naming no argument."""
    from dedup.evaluate import evaluate_corpus, load_detections, load_pairs, load_truth
    from dedup.evaluate_pairs import evaluate_labelled_corpus, load_labelled_pairs, load_scored_pairs

    for call, name in (
        (evaluate_corpus, "corpus_dir"),
        (evaluate_labelled_corpus, "corpus_dir"),
        (load_truth, "path"),
        (load_pairs, "path"),
        (load_detections, "path"),
        (load_labelled_pairs, "path"),
        (load_scored_pairs, "path"),
    ):
        for bad, shown in ((None, "None"), (5, "5"), ("", "''")):
            with pytest.raises(ParameterError, match=rf"^{name} must be a path \(a str or os.PathLike\), got {shown}$"):
                call(bad)
