"""A crawl cleaned of its duplicates: documents without a source, pages printed many times, groups to drop."""

from __future__ import annotations

import functools
import importlib
import json
from pathlib import Path

import numpy as np
import pytest

import dedup
import dedup.report
from dedup.boilerplate import Boilerplate, SeedCounts, source_salt
from dedup.cli import main
from dedup.clusters import duplicate_groups
from dedup.records import Document

scan_module = importlib.import_module("dedup.scan")  # the package's `scan` is the function


def _page(rng: np.random.Generator, words: int = 120) -> str:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return " ".join("".join(rng.choice(letters, int(rng.integers(3, 9)))) for _ in range(words))


def test_a_source_of_one_document_has_no_boilerplate_however_crowded_the_sketch() -> None:
    # A sketch of 16 counters a row, loaded by 200 documents of their own source: every counter
    # holds far more than the boilerplate limit (2) of foreign counts.
    counts = SeedCounts(width=1 << 4)
    rng = np.random.default_rng(3)
    for d in range(200):
        keys = np.unique(rng.integers(0, 1 << 62, 50, dtype=np.int64).astype(np.uint64))
        salt = source_salt(f"\x00page-{d}")
        counts.add(keys, np.array([0, len(keys)]), np.array([d]), np.array([salt]))
    keys = np.unique(rng.integers(0, 1 << 62, 50, dtype=np.int64).astype(np.uint64))
    assert not Boilerplate(counts, 7, source_salt("\x00page-7"), 0.1).of(keys).any()


def test_sourceless_duplicates_are_aligned_when_the_seed_counts_are_crowded(monkeypatch: pytest.MonkeyPatch) -> None:
    # A crawl of 10,000 documents without a source crowds the default sketch as much as this one
    # of 64 counters a row does 30 documents: every seed read as its own document's boilerplate,
    # and no pair, exact copies included, held a passage.
    monkeypatch.setattr(scan_module, "SeedCounts", functools.partial(SeedCounts, width=1 << 6))
    rng = np.random.default_rng(5)
    pages = [_page(rng) for _ in range(30)]
    docs = [Document(f"page-{i}", text) for i, text in enumerate(pages)]
    docs.append(Document("page-copy", pages[4]))
    result = dedup.scan(docs)
    assert [(p.a.doc, p.b.doc) for p in result.passages] == [("page-4", "page-copy")]
    assert result.pairs[0].coverage_a > 0.99


@pytest.mark.parametrize("fmt", ["table", "jsonl", "html"])
def test_a_crawl_of_one_source_says_that_nothing_was_compared(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(7)
    page = _page(rng)
    rows = [{"id": f"p{i}", "text": text, "source": "crawl"} for i, text in enumerate([page, page, _page(rng)])]
    corpus = tmp_path / "crawl.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert main(["scan", str(corpus), "--format", fmt, "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    note = (
        "all 3 documents scanned have one source, 'crawl': only documents of different sources are compared,"
        " so none were; --same-source compares them"
    )
    assert note in err
    if fmt == "html":  # (the page says it too, where its reader looks for why no pair is listed)
        assert "All 3 documents scanned have one source, &#x27;crawl&#x27;" in (tmp_path / "out").read_text("utf-8")
    assert main(["scan", str(corpus), "--format", fmt, "-o", str(tmp_path / "out"), "--same-source"]) == 0
    assert "one source" not in capsys.readouterr().err
    rows[2]["source"] = "other"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert main(["scan", str(corpus), "--format", fmt, "-o", str(tmp_path / "out")]) == 0
    assert "one source" not in capsys.readouterr().err


def test_duplicate_groups_of_a_crawl_from_the_scan_and_from_its_jsonl_report(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    pages = [_page(rng) for _ in range(8)]
    footer = "\n\nCopyright 2024 The Daily Gazette. All rights reserved. Subscribe to our newsletter."
    docs = [Document(f"page-{i}", text) for i, text in enumerate(pages)]
    docs += [Document(f"copy-{i}", pages[0]) for i in range(5)]  # one page under five more ids
    docs.append(Document("dated-a", "Updated 3 March 2024 10:15 GMT\n" + pages[1]))
    docs.append(Document("dated-b", "Updated 4 April 2024 08:20 GMT\n" + pages[1]))
    docs.append(Document("footer", pages[2] + footer))
    docs.append(Document("cut", pages[3][: len(pages[3]) * 2 // 3]))
    result = dedup.scan(docs)
    expected = [
        ["copy-0", "copy-1", "copy-2", "copy-3", "copy-4", "page-0"],
        ["dated-a", "dated-b", "page-1"],
        ["footer", "page-2"],
    ]
    assert duplicate_groups(result.pairs) == expected
    # A copy cut short covers all of itself and only part of the page it was cut from.
    assert duplicate_groups(result.pairs, min_coverage=0.5) == [*expected[:2], ["cut", "page-3"], expected[2]]
    report = tmp_path / "found.jsonl"
    with report.open("w", encoding="utf-8") as stream:
        dedup.report.write_jsonl(result, stream)
    with report.open(encoding="utf-8") as stream:
        assert duplicate_groups(dedup.report.parse_records(stream, str(report)).pairs) == expected
    with pytest.raises(dedup.ParameterError, match="min_coverage"):
        duplicate_groups(result.pairs, min_coverage=1.5)


def test_copies_of_a_page_printing_a_paragraph_three_times_are_one_duplicate_group() -> None:
    # The repeated paragraph seeds no passage past its first printing: the two copies' passage
    # covered 57% of each, and the same page under two ids was not a duplicate group.
    rng = np.random.default_rng(11)
    paragraph = _page(rng, 120)
    page = _page(rng, 200) + "\n\n" + "\n\n".join([paragraph] * 3)
    result = dedup.scan([Document("page", page), Document("copy", page), Document("other", _page(rng, 300))])
    assert [(p.a, p.b, p.jaccard) for p in result.pairs] == [("page", "copy", 1.0)]
    assert result.pairs[0].coverage_a < 0.8
    assert duplicate_groups(result.pairs) == [["copy", "page"]]


def test_pages_of_two_templates_around_one_paragraph_are_not_duplicates() -> None:
    # Without their sources' boilerplate two such pages have the same n-grams (``jaccard`` 1); their
    # whole texts do not (``jaccard_estimate``), nor do their passages cover them.
    templated = dedup.Pair("x-page", "y-page", 0.3, 0.3, 1.0, 1.0, 1.0, 0.25, 1, 900, 1.0)
    assert duplicate_groups([templated]) == []
    assert duplicate_groups([templated], min_coverage=0.25) == [["x-page", "y-page"]]
