"""Naming the text of the buckets skipped as too common (dedup.common)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dedup import Document, ScanConfig, scan
from dedup.common import common_texts
from dedup.errors import ParameterError

WIRE = (
    "The defence ministry said on Monday it had no plans to withdraw its 2,500 troops from the country, "
    "despite the announcement last week of talks on ending the mission of the coalition forces there. "
)


def own_text(rng: random.Random, words: int = 100) -> str:
    return " ".join(
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(words)
    )


def test_a_text_one_document_repeats_is_named_by_its_windows() -> None:
    """A bucket all of whose windows are one document's (a paragraph printed over and over) has no
    second document to compare: its windows whole are named, inside the repeated text."""
    rng = random.Random(3)
    looped = own_text(rng) + " " + WIRE * 12 + own_text(rng)
    docs = [Document("loop", looped, source="a"), Document("other", own_text(rng, 300), source="b")]
    result = scan(docs, ScanConfig(max_bucket=8))
    assert result.suppressed_buckets > 0 and result.common
    start, end = looped.index(WIRE), looped.index(WIRE) + 12 * len(WIRE)
    top = result.common[0]
    assert top.span.doc == "loop" and top.windows > 8
    reach = ScanConfig().window + ScanConfig().ngram  # a window's characters, at most: it may straddle the edge
    assert start - reach <= top.span.start and top.span.end <= end + reach and len(top.span) > len(WIRE)
    assert [c.windows for c in result.common] == sorted((c.windows for c in result.common), reverse=True)


def test_the_wire_copy_of_many_outlets_is_named_once_and_tight() -> None:
    rng = random.Random(11)
    docs = [Document(f"d{k}", f"{own_text(rng)} {WIRE}{own_text(rng)}", source=f"o{k}") for k in range(12)]
    result = scan(docs, ScanConfig(max_bucket=30))
    assert result.suppressed_buckets > 0
    [named] = result.common
    at = docs[0].text.index(WIRE)
    assert named.span.doc == "d0" and at <= named.span.start <= at + 5 and at + len(WIRE) - 5 <= named.span.end
    assert named.span.end <= at + len(WIRE) and named.text == docs[0].text[named.span.start : named.span.end]
    assert named.buckets == result.suppressed_buckets and named.windows >= 12
    assert common_texts(np.zeros((0, 5), np.int64), str, str, ScanConfig()) == []


def test_limit_is_checked_where_it_enters() -> None:
    with pytest.raises(ParameterError, match="limit must be a non-negative integer, got -1"):
        common_texts(np.zeros((0, 5), np.int64), str, str, ScanConfig(), limit=-1)
