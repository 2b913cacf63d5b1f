"""Boilerplate counted exactly where the seed-count sketch is too full for a source's limit (dedup.recount)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import dedup
from dedup import Document, ScanConfig
from dedup.boilerplate import Boilerplate, DocumentFrequency, SeedCounts, boilerplate_limit, source_salt
from dedup.pairs import prepare_text
from dedup.recount import exact_sources, sketch_load, source_boilerplate, trusted_limit


def outlets(count: int, stories: int, seed: int = 3) -> list[Document]:
    """``count`` outlets of ``stories`` stories each in words of their own, a third carrying one of three wires."""
    rng = random.Random(seed)

    def words(n: int) -> str:
        return " ".join(
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(n)
        )

    wires = [words(70) for _ in range(3)]
    docs = []
    for k in range(count * stories):
        own = words(120)
        text = own[:300] + " " + wires[k // 3 % 3] + " " + own[300:] if k % 3 == 0 else own
        docs.append(Document(f"d{k:03d}", text, source=f"outlet{k % count}"))
    return docs


def test_a_full_sketch_no_longer_makes_small_outlets_share_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """pan13-train's 5,057 web pages spread over 100 outlets (about 50 each, limit 7) gave no
    detection at all: the sketch's counters carried about 22 foreign counts each, and every seed
    of every document read as its outlet's boilerplate. A sketch of 256 counters a row stands for
    that load here; the small outlets' boilerplate is now counted exactly, and the scan answers as
    with an empty sketch."""
    docs = outlets(8, 8)
    want = dedup.scan(docs)
    assert want.passages, "the corpus must give the test something to find"
    real = SeedCounts.__init__

    def narrow(self: SeedCounts, width: int = 1 << 20) -> None:
        real(self, width)
        self.within = DocumentFrequency(1 << 8)  # (the corpus's rarity counts keep their width)

    monkeypatch.setattr(SeedCounts, "__init__", narrow)
    got = dedup.scan(docs)
    assert got.passages == want.passages
    assert got.pairs == want.pairs


def test_exact_sources_are_those_a_loaded_sketch_could_mislead() -> None:
    counts = SeedCounts(width=1 << 4)
    salt = np.array([source_salt("x")], dtype=np.uint64)
    for source, documents in ((0, 1), (1, 9), (2, 400)):
        for _ in range(documents):
            counts.add(np.zeros(0, np.uint64), np.array([0, 0]), np.array([source]), salt)
    # Empty: trusted from a limit of 8. Source 0 has no boilerplate (one document, limit 2); source
    # 1 (limit 3) is counted exactly; source 2 (limit 40) is left to the sketch.
    assert (sketch_load(counts), trusted_limit(0.0), exact_sources(counts, 0.1)) == (0.0, 8, [1])
    counts.within.table[:] = 30  # a load of 30 counts a counter: trusted from 2 * (30 + 4 * sqrt(30) + 4)
    assert trusted_limit(sketch_load(counts)) == 112
    assert exact_sources(counts, 0.1) == [1, 2]


def test_exact_boilerplate_is_the_template_and_only_it() -> None:
    """The exact count keeps the rule: what more than the limit of a source's documents hold."""
    config = ScanConfig()
    template = "Subscribe to the Harbour Gazette for the news of the coast every morning."
    docs = [d.text for d in outlets(1, 9, seed=5)]
    texts = [template + " " + t if k < 4 else t for k, t in enumerate(docs)]  # the template in 4 of 9
    limit = boilerplate_limit(len(texts), config.source_df)
    assert limit == 3
    keys = source_boilerplate(texts, config, limit)
    counts = SeedCounts()
    for _ in range(len(texts)):
        counts.add(np.zeros(0, np.uint64), np.array([0, 0]), np.array([0]), np.array([0], np.uint64))
    prepared = prepare_text(texts[0], config, Boilerplate(counts, 0, np.uint64(0), config.source_df, exact=keys))
    plain = prepare_text(texts[0], config, None)
    dropped = set(plain.seed_keys.tolist()) - set(prepared.seed_keys.tolist())
    assert dropped and dropped <= set(keys.tolist())
    # Every seed dropped starts in the template (its first n-grams); the rest of the story keeps its seeds.
    start = {int(k): int(i) for k, i in zip(plain.seed_keys.tolist(), plain.seed_index.tolist(), strict=True)}
    assert all(int(plain.starts[start[k]]) < len(template) for k in dropped)
    assert len(prepared.seed_keys) > len(plain.seed_keys) - len(template)


def test_an_archive_query_counts_small_outlets_exactly_as_the_scan(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The archive index keeps the sketch between adds; a query counts the boilerplate of a source
    too small for its load from the archive's texts of that source and the query's, as the scan
    does (sketches of 256 counters a row stand for a full one: before, no passage either way)."""
    docs = outlets(8, 8, seed=7)
    real = SeedCounts.__init__

    def narrow(self: SeedCounts, width: int = 1 << 20) -> None:
        real(self, min(width, 1 << 8))

    monkeypatch.setattr(SeedCounts, "__init__", narrow)
    # (The corpus's rarity counts share the width here, which would make every seed common: every
    # seed is rare instead, in the scan and the query alike.)
    monkeypatch.setattr("dedup.seeds.rare_limit", lambda documents, share: 1 << 40)
    archive, queries = docs[:48], docs[48:]
    want = dedup.scan(docs)
    ids = {d.id for d in queries}
    with dedup.Index.open(tmp_path / "ix") as index:
        index.add(archive, batch=16)
        got = index.query(queries)
    assert [p for p in want.passages if p.a.doc in ids or p.b.doc in ids] == got.passages
    assert got.passages, "the corpus must give the test something to find"
