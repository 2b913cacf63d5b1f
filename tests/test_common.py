"""Naming the text of the buckets skipped as too common (dedup.common)."""

from __future__ import annotations

import random
from pathlib import Path

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


def chance_corpus(seed: int = 5, documents: int = 30) -> list[Document]:
    """Unrelated texts of a small vocabulary: its frequent n-grams hold a band's minimum in many
    windows, several of one document among them, so buckets are skipped at a low ``max_bucket``."""
    rng = random.Random(seed)
    vocabulary = [own_text(rng, 1) for _ in range(40)]
    return [
        Document(f"doc{k:02d}", " ".join(rng.choice(vocabulary) for _ in range(400)), source=f"s{k}")
        for k in range(documents)
    ]


def test_each_skipped_bucket_is_counted_once() -> None:
    """One bucket with several windows of the named document (far apart) is one text, counted once:
    the texts' buckets add up to at most the buckets skipped, and every text is whole words."""
    docs = chance_corpus(documents=10)
    result = scan(docs, ScanConfig(max_bucket=48))  # (12 buckets, 20 counted before each bucket was one text)
    assert result.suppressed_buckets >= len(result.common) > 1
    assert sum(c.buckets for c in result.common) <= result.suppressed_buckets
    texts = {d.id: d.text for d in docs}
    for c in result.common:
        text = texts[c.span.doc]
        assert c.span.start == 0 or not text[c.span.start - 1].isalnum(), c
        assert c.span.end == len(text) or not text[c.span.end].isalnum(), c


def test_common_texts_do_not_depend_on_the_input_order() -> None:
    docs = chance_corpus()
    config = ScanConfig(max_bucket=12)
    first = scan(docs, config)
    assert first.common
    for seed in (1, 2):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        again = scan(shuffled, config)
        assert again.suppressed_buckets == first.suppressed_buckets
        assert again.common == first.common


def test_an_archive_query_names_common_texts_whatever_the_order_of_its_documents(tmp_path: Path) -> None:
    """As the scan does: a bucket is named in its query documents of smallest id, not its first."""
    from dedup import Index

    docs = chance_corpus(documents=24)
    config = ScanConfig(max_bucket=12)
    with Index.open(tmp_path / "ix", config) as index:
        index.add(docs[:8])
        first = index.query(docs[8:])
        assert first.common
        for seed in (1, 2):
            shuffled = docs[8:]
            random.Random(seed).shuffle(shuffled)
            again = index.query(shuffled)
            assert again.suppressed_buckets == first.suppressed_buckets
            assert again.common == first.common


@pytest.mark.parametrize(
    ("text", "cut", "word"),
    [
        ("the economy\u200d\rcafe said", (4, 9), "economy\u200d"),  # a ZWJ ending a word (crawled text has them)
        ("قال إ\u200dن الوزير", (4, 5), "إ\u200dن"),  # a ZWJ forcing a joining form, inside the word
        ("می\u200cخواهم رفت", (0, 2), "می\u200cخواهم"),  # noqa: RUF001 (Persian: its ZWNJ joins one word)
        ("on tue\u00adsday night", (3, 6), "tue\u00adsday"),  # a soft hyphen inside a word
        ("سقظ 👩\u200d👩\u200d👧 نشحصت", (8, 11), "👩\u200d👩\u200d👧 نشحصت"),  # an emoji ZWJ sequence is one grapheme
    ],
)
def test_common_text_widens_over_joiners_and_soft_hyphens(text: str, cut: tuple[int, int], word: str) -> None:
    # A common_text span widened to whole words must not stop at a joiner or soft hyphen inside or
    # at the edge of a word: "economy" + ZWJ is one grapheme, and an end between them cuts it.
    from dedup.common import _whole_words

    start, end = _whole_words(text, *cut)
    assert text[start:end] == word
