"""The archive index answers as a batch scan of the archive and the query together, and keeps its file format."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from briefs import agency_briefs, shared_bands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedup
from dedup import Document, Index, ScanConfig
from dedup.cli import main
from dedup.errors import DedupError, InputError, ParameterError
from dedup.index import FORMAT_VERSION
from dedup.index.segments import SEGMENT_VERSION, Segment
from dedup.pairs import needed_bands
from dedup_bench.scripts import TRANSLATIONS, outlets

LETTERS = np.array(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"))


def corpus(n: int, seed: int = 11, sources: int = 4, wires: int = 3) -> list[Document]:
    """Documents of random Arabic-letter words, a third carrying one of a few wire passages, lightly edited."""
    rng = np.random.default_rng(seed)
    wire_texts = [" ".join("".join(rng.choice(LETTERS, 6)) for _ in range(70)) for _ in range(wires)]
    docs = []
    for i in range(n):
        own = " ".join("".join(rng.choice(LETTERS, int(rng.integers(2, 8)))) for _ in range(120))
        if i % 3 == 0:
            words = wire_texts[int(rng.integers(wires))].split()
            for k in rng.choice(len(words), 3, replace=False):
                words[k] = "".join(rng.choice(LETTERS, 5))
            cut = int(rng.integers(50, 350))
            text = own[:cut] + " " + " ".join(words) + " " + own[cut:]
        else:
            text = own
        # Half the documents dated, some by the day, some to the minute on one of those days: the
        # pair score reads which of two dated documents came first (a day and a time in it: neither).
        date = f"2024-01-{1 + i % 3:02d}" + ("T12:30:00Z" if i % 4 == 3 else "") if i % 2 else None
        docs.append(Document(f"d{i:03d}", text, source=f"s{i % sources}", date=date))
    return docs


def expected(archive: list[Document], queries: list[Document], config: ScanConfig | None = None) -> dedup.ScanResult:
    """What a scan of the archive followed by the queries reports for pairs involving a query document."""
    result = dedup.scan(archive + queries, config)
    ids = {d.id for d in queries}
    return dedup.ScanResult(
        passages=[p for p in result.passages if p.a.doc in ids or p.b.doc in ids],
        pairs=[p for p in result.pairs if p.a in ids or p.b in ids],
        documents=result.documents,
        skipped=result.skipped,
        candidates=result.candidates,
        suppressed_buckets=result.suppressed_buckets,
        config=result.config,
    )


def same_answer(got: dedup.ScanResult, want: dedup.ScanResult) -> None:
    assert got.passages == want.passages
    assert got.pairs == want.pairs


DOCS = corpus(36)


@pytest.fixture(params=["read", "held"])
def segment_keys(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Lookups that read each key's cell from the file, or search the keys held in memory."""
    if request.param == "read":
        monkeypatch.setattr("dedup.index.segments._HELD_BYTES", 0)
    return str(request.param)


def test_query_equals_scan(tmp_path: Path, segment_keys: str) -> None:
    archive, queries = DOCS[:27], DOCS[27:]
    with Index.open(tmp_path / "ix") as index:
        added = index.add(archive, batch=10)
        assert (added.added, len(index), index.info()["segments"]) == (27, 27, 3)
        got = index.query(queries)
    want = expected(archive, queries)
    assert want.passages, "the corpus must give the test something to find"
    assert any(p.a.doc in {d.id for d in archive} for p in want.passages)
    same_answer(got, want)
    assert {d.id for d in queries} <= set(got.documents)


def test_a_chinese_brief_is_found_by_a_query_as_by_a_scan(tmp_path: Path) -> None:
    """Lengths in letters and breaks between ideographs hold when the archive is queried."""
    docs = outlets(TRANSLATIONS["Chinese"][:62], seed=9)
    archive, queries = docs[:2], docs[2:]  # two carriers archived; the third queried with two others
    with Index.open(tmp_path / "ix") as index:
        index.add(archive)
        got = index.query(queries)
    want = expected(archive, queries)
    assert len(want.passages) == 2
    same_answer(got, want)


@pytest.mark.parametrize("archived", ["stories", "briefs"])
def test_undated_briefs_of_a_wire_agency_are_scored_by_a_query_as_by_a_scan(tmp_path: Path, archived: str) -> None:
    """Undated pairs of a Reuters story and a paper's brief: scored as the brief's share found in the
    story, whichever side is archived (the archive's sources are read back for it), as a scan scores them."""
    docs = [replace(d, source="Reuters") if d.source == "agency" else d for d in agency_briefs(12, seed=5)]
    stories, briefs = docs[0::2], docs[1::2]
    archive, queries = (stories, briefs) if archived == "stories" else (briefs, stories)
    with Index.open(tmp_path / "ix") as index:
        index.add(archive)
        got = index.query(queries)
    want = expected(archive, queries)
    derived = [p for p in got.pairs if p.a[-2:] == p.b[-2:]]
    assert len(derived) >= 8
    for pair in derived:  # (the brief's share, not the geometric mean of the two)
        assert pair.score == (pair.containment_b if pair.b.startswith("brief") else pair.containment_a)
    same_answer(got, want)


def test_briefs_cut_from_short_stories_are_found_by_a_query_as_by_a_scan(tmp_path: Path) -> None:
    """The index keeps the scan's candidate rule: two short stories are candidates on one band."""
    docs = agency_briefs(20, seed=38)
    archive, queries = docs[:20], docs[20:]  # the first ten stories and briefs archived
    with Index.open(tmp_path / "ix") as index:
        index.add(archive)
        got = index.query(queries)
    want = expected(archive, queries)
    # Pairs with a query document that the rule keeps, and how many of them on under half the bands.
    shared, windows = shared_bands(docs, ScanConfig())
    first, _ = shared_bands(docs, ScanConfig(), every_band=False)
    asked = [p for p in shared if p[1] >= len(archive)]
    left, right = np.array([windows[i] for i, _ in asked]), np.array([windows[j] for _, j in asked])
    needed = needed_bands(left, right, ScanConfig())
    kept = [p for p, n in zip(asked, needed.tolist(), strict=True) if shared[p] >= n]
    assert min(shared[p] for p in kept) < 2 and got.candidates == len(kept)
    # Some are candidates on a short story's further bands alone (the archive stores and looks them up).
    assert any(first.get(p, 0) < n for p, n in zip(asked, needed.tolist(), strict=True) if p in kept)
    assert len(want.pairs) == 10
    same_answer(got, want)


def test_window_counts_are_read_once_and_kept_by_number(tmp_path: Path) -> None:
    """A query reads archive documents' window counts before their rows; numbers are never reused."""
    with Index.open(tmp_path / "ix") as index:
        index.add(DOCS[:6])
        store = index._store
        nums = store.numbers([d.id for d in DOCS[:6]])
        wanted = np.array([nums[d.id] for d in DOCS[:6]] + [10_000, nums[DOCS[0].id]], dtype=np.int64)
        stored = dict(store.db.execute("SELECT num, windows FROM documents"))
        expect = [stored[n] for n in wanted[:6].tolist()] + [-1, stored[int(wanted[0])]]
        assert store.windows(wanted).tolist() == expect  # (-1: no document has that number)
        assert store.windows(np.zeros(0, dtype=np.int64)).tolist() == []
        index.remove([DOCS[1].id])
        index.add(DOCS[6:8])  # new numbers; the removed document's is not given again
        later = store.numbers([d.id for d in DOCS[6:8]])
        assert min(later.values()) > max(nums.values())
        assert store.windows(np.array(sorted(later.values()), dtype=np.int64)).tolist() == [
            dict(store.db.execute("SELECT num, windows FROM documents"))[n] for n in sorted(later.values())
        ]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    split=st.integers(1, 35),
    batch=st.integers(1, 40),
    max_bucket=st.sampled_from([2, 3, 8, 256]),
    source_df=st.sampled_from([0.05, 0.2, 1.0]),
    short_windows=st.sampled_from([0, 8, 32]),
    same_source=st.booleans(),
    min_bands=st.sampled_from([1, 4]),
)
def test_query_equals_scan_for_any_split_and_configuration(
    tmp_path_factory: pytest.TempPathFactory,
    split: int,
    batch: int,
    max_bucket: int,
    source_df: float,
    short_windows: int,
    same_source: bool,
    min_bands: int,
) -> None:
    config = ScanConfig(
        max_bucket=max_bucket,
        source_df=source_df,
        short_windows=short_windows,
        same_source=same_source,
        min_bands=min_bands,
    )
    docs = DOCS[:24] if split >= 24 else DOCS
    split = min(split, len(docs) - 1)
    archive, queries = docs[:split], docs[split:]
    with Index.open(tmp_path_factory.mktemp("ix") / "ix", config) as index:
        index.add(archive, batch=batch)
        got = index.query(queries)
    want = expected(archive, queries, config)
    same_answer(got, want)
    assert got.suppressed_buckets <= want.suppressed_buckets


@pytest.mark.parametrize(
    ("num_perm", "threshold"),
    [(128, 0.05), (512, 0.2), (1024, 0.02)],  # 128, 170 and 1,024 bands: more than a query's keys once packed
)
def test_an_index_with_many_bands_is_queried_as_it_was_built(tmp_path: Path, num_perm: int, threshold: float) -> None:
    config = ScanConfig(num_perm=num_perm, threshold=threshold)
    assert config.short_bands >= 128
    archive, queries = DOCS[:9], DOCS[9:12]
    with Index.open(tmp_path / "ix", config) as index:
        index.add(archive)
        got = index.query(queries)
    want = expected(archive, queries, config)
    assert want.passages
    same_answer(got, want)


def test_the_candidate_budget_is_the_scan_s_for_query_documents(tmp_path: Path) -> None:
    # A budget of 2 binds on this corpus. A query document sees all its candidates, so its own
    # ranking is the scan's; an archive document's pairs with other archive documents are not
    # looked up, so the index aligns at least what the scan aligns (docs/archive-index.md).
    archive, queries = DOCS[:27], DOCS[27:]
    config = ScanConfig(max_candidates=2)
    with Index.open(tmp_path / "ix", config) as index:
        index.add(archive)
        got = index.query(queries)
    want = expected(archive, queries, config)
    assert want.passages and got.unaligned > 0
    assert set(want.passages) <= set(got.passages)
    assert set(want.pairs) <= set(got.pairs)
    assert [p.score for p in got.pairs] == sorted((p.score for p in got.pairs), reverse=True)
    # Pairs of two query documents are ranked by both documents' full candidate lists: as in the scan.
    ids = {d.id for d in queries}
    assert [p for p in got.passages if {p.a.doc, p.b.doc} <= ids] == [
        p for p in want.passages if {p.a.doc, p.b.doc} <= ids
    ]


def test_sourceless_and_dated_documents_answer_as_the_scan(tmp_path: Path) -> None:
    # Each document without a source is its own source (its own salt), and dates orient the pair score.
    docs = [Document(d.id, d.text, source=None, date=d.date) for d in DOCS[:30]]
    archive, queries = docs[:22], docs[22:]
    with Index.open(tmp_path / "ix") as index:
        index.add(archive[:11])
        index.add(archive[11:])
        assert index.remove([archive[0].id]) == [archive[0].id]
        got = index.query(queries)
    want = expected(archive[1:], queries)
    assert want.pairs
    same_answer(got, want)


def test_removal_and_compaction_keep_answers_exact(tmp_path: Path) -> None:
    archive, queries = DOCS[:27], DOCS[27:]
    gone = {d.id for d in archive[::4]}
    with Index.open(tmp_path / "ix") as index:
        index.add(archive, batch=7)
        assert sorted(index.remove([*sorted(gone), "no-such-id"])) == sorted(gone)
        assert len(index) == 27 - len(gone)
        kept = [d for d in archive if d.id not in gone]
        want = expected(kept, queries)
        same_answer(index.query(queries), want)
        assert index.info()["removed_pending"] == len(gone)
        sizes = index.compact()
        info = index.info()
        assert (info["segments"], info["removed_pending"]) == (1, 0)
        # The removed documents' keys are gone, and the sizes leave out the write-ahead log.
        assert sizes["bytes_after"] == info["bytes"] < sizes["bytes_before"]
        same_answer(index.query(queries), want)
        files = list((tmp_path / "ix" / "segments").iterdir())
        assert len(files) == 1


def test_readd_skips_and_replace_replaces(tmp_path: Path) -> None:
    archive, queries = DOCS[:20], DOCS[27:]
    with Index.open(tmp_path / "ix") as index:
        index.add(archive[:12])
        again = index.add(archive, batch=5)
        assert (again.added, sorted(again.existing)) == (8, sorted(d.id for d in archive[:12]))
        assert len(index) == 20
        # A new version of a document that carried a wire: the old one is gone, the new one answers.
        old = archive[3]
        new = Document(old.id, DOCS[30].text, source=old.source)
        replaced = index.add([new], replace=True)
        assert (replaced.added, replaced.replaced) == (1, [old.id])
        assert index.get(old.id) == new
        got = index.query(queries)
    rest = [d for d in archive if d.id != old.id] + [new]
    same_answer(got, expected(rest, queries))


def test_query_document_already_in_the_archive_is_compared_without_its_stored_copy(tmp_path: Path) -> None:
    archive = DOCS[:27]
    queries = [archive[6], *DOCS[27:30]]
    with Index.open(tmp_path / "ix") as index:
        index.add(archive)
        got = index.query(queries)
        assert all(p.a.doc != p.b.doc for p in got.passages)
        assert len(index) == 27
    same_answer(got, expected([d for d in archive if d.id != archive[6].id], queries))


def test_query_with_add_adds_afterwards(tmp_path: Path) -> None:
    with Index.open(tmp_path / "ix") as index:
        index.add(DOCS[:10])
        first = index.query(DOCS[10:20], add=True)
        assert len(index) == 20
        second = index.query(DOCS[20:30])
    same_answer(first, expected(DOCS[:10], DOCS[10:20]))
    same_answer(second, expected(DOCS[:20], DOCS[20:30]))


def test_bad_documents_are_errors_or_counted(tmp_path: Path) -> None:
    short = Document("short", "too short", source="x")
    # Too short documents (captions, briefs) are skipped and counted, as by the scan; strict makes them errors.
    with Index.open(tmp_path / "ix0") as index:
        result = index.add([DOCS[0], short])
        assert (result.added, [(s.id, s.kind) for s in result.skipped]) == (1, [("short", "too short")])
    with Index.open(tmp_path / "ix", ScanConfig(strict=True)) as index:
        with pytest.raises(InputError, match=r"'short'.*min_exact"):
            index.add([DOCS[0], short])
        assert len(index) == 0
    with Index.open(tmp_path / "ix") as index, pytest.raises(InputError, match="duplicate id") as raised:
        index.add([DOCS[0], DOCS[0]], batch=1)
    # Said as the scan says it: the kind a caller places it by, and skippable (skip_bad skips it).
    with pytest.raises(InputError) as scanned:
        dedup.scan([DOCS[0], DOCS[0]])
    for error in (raised.value, scanned.value):
        assert (error.document, error.kind, error.skippable) == (DOCS[0].id, "duplicate id", True)
    with Index.open(tmp_path / "ix2", ScanConfig(skip_bad=True)) as index:
        result = index.add([DOCS[0], short, DOCS[1], DOCS[0]])
        skipped = sorted((s.id, s.kind) for s in result.skipped)
        assert (result.added, skipped) == (2, [(DOCS[0].id, "duplicate id"), ("short", "too short")])
        got = index.query([short, DOCS[2]])
        assert [s.id for s in got.skipped] == ["short"]


def test_an_error_in_a_later_batch_leaves_the_earlier_batches_committed(tmp_path: Path) -> None:
    # Batches are read and sketched on a thread while the one before is committed: an error met
    # there is raised by add() after the batches before it are in the index, as without the thread.
    def documents() -> Iterator[Document]:
        yield from DOCS[:5]
        raise OSError("the input went away")

    with Index.open(tmp_path / "ix") as index:
        with pytest.raises(OSError, match="went away"):
            index.add(documents(), batch=2)
        assert len(index) == 4  # two whole batches; the fifth document's batch never finished
        with pytest.raises(InputError, match="duplicate id"):
            index.add([*DOCS[5:9], DOCS[5]], batch=2)
        assert len(index) == 8
        assert index.add(DOCS[:12], batch=3).added == 4  # the same add again completes it
        assert len(index) == 12
        assert not [t for t in threading.enumerate() if t.name == "dedup-index-read"]  # none left behind


def test_configuration_is_stored_and_a_different_one_is_an_error(tmp_path: Path) -> None:
    with Index.open(tmp_path / "ix", ScanConfig(ngram=6, max_bucket=50)) as index:
        index.add(DOCS[:3])
    with Index.open(tmp_path / "ix") as index:
        assert (index.config.ngram, index.config.max_bucket) == (6, 50)
    with pytest.raises(ParameterError, match=r"ngram 6 \(index\) != 5"):
        Index.open(tmp_path / "ix", ScanConfig(max_bucket=50))
    with Index.open(tmp_path / "ix", ScanConfig(ngram=6, max_bucket=50, skip_bad=True)) as index:
        assert index.config.skip_bad
    with pytest.raises(DedupError, match="no index here"):
        Index.open(tmp_path / "missing", create=False)


def test_another_format_version_is_a_clear_error(tmp_path: Path) -> None:
    with Index.open(tmp_path / "ix") as index:
        index.add(DOCS[:3])
    db = sqlite3.connect(tmp_path / "ix" / "catalogue.sqlite")
    db.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    db.commit()
    db.close()
    fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None  # (Linux)
    with pytest.raises(DedupError, match=f"index format version 99, this dedup reads version {FORMAT_VERSION}"):
        Index.open(tmp_path / "ix")
    with pytest.raises(DedupError, match="made by a newer dedup: upgrade dedup to read it"):
        Index.open(tmp_path / "ix")
    assert fds is None or len(os.listdir("/proc/self/fd")) == fds  # the catalogue's connection is closed again
    db = sqlite3.connect(tmp_path / "ix" / "catalogue.sqlite")
    db.execute("UPDATE meta SET value = '4' WHERE key = 'format'")
    db.commit()
    db.close()
    with pytest.raises(DedupError, match=r"rebuild it: add the documents to a new directory \(`dedup index add NEW"):
        Index.open(tmp_path / "ix")


def test_an_index_built_by_another_engine_is_a_clear_error(tmp_path: Path) -> None:
    with Index.open(tmp_path / "ix") as index:
        index.add(DOCS[:3])
    db = sqlite3.connect(tmp_path / "ix" / "catalogue.sqlite")
    db.execute("UPDATE meta SET value = '0000000000000000' WHERE key = 'engine'")
    db.commit()
    db.close()
    with Index.open(tmp_path / "ix") as index, pytest.raises(DedupError, match="normalisation or sketching differs"):
        index.query(DOCS[3:4])


def test_the_engine_digest_is_taken_over_every_letter_normalisation_unifies_and_html_references() -> None:
    # An index built before a letter was unified holds other keys for text with that letter: the
    # digest that refuses it must see the letter.
    from dedup.fingerprint import _fingerprint_sample
    from dedup.normalize import _ARABIC_MAP, normalize

    sample = _fingerprint_sample()
    assert all(letter in sample for letter in _ARABIC_MAP)
    assert "\u06c1" in _ARABIC_MAP and "\u06be" in _ARABIC_MAP
    # Nor would it see HTML character references decoded, or not, without one in the sample.
    assert "&quot;" in sample and "quot" not in normalize(sample).text
    # Nor Hebrew points deleted, or not.
    assert "\u05b8" in sample and "\u05b8" not in normalize(sample).text
    # Nor the Turkish capital dotted I folded to "i", or to "i" and a combining dot.
    assert "\u0130" in sample and "\u0307" not in normalize(sample).text
    # Nor a combining mark after a space (the koronis's, from NFKC) left out, or not.
    assert "\u1fbd" in sample and "\u0313" not in normalize(sample).text


def test_a_segment_of_another_version_is_a_clear_error(tmp_path: Path) -> None:
    with Index.open(tmp_path / "ix") as index:
        index.add(DOCS[:3])
    (seg,) = (tmp_path / "ix" / "segments").iterdir()
    data = bytearray(seg.read_bytes())
    data[8] = 7
    seg.write_bytes(bytes(data))
    with Index.open(tmp_path / "ix") as index, pytest.raises(DedupError, match="segment format version 7"):
        index.query(DOCS[3:4])
    data[8] = SEGMENT_VERSION
    seg.write_bytes(bytes(data[:-2]))
    with pytest.raises(DedupError, match="header says"):
        Segment(seg, ScanConfig().short_bands)


def test_a_second_writer_fails_with_a_clear_message(tmp_path: Path) -> None:
    with Index.open(tmp_path / "ix", timeout=0) as first, Index.open(tmp_path / "ix", timeout=0.2) as second:
        with first._store.writing():
            with pytest.raises(DedupError, match=r"being written by process \d+; waited 0.2 s"):
                second.add(DOCS[:1])
            # Reading is never blocked by a writer.
            assert len(second) == 0
            assert second.query(DOCS[:2]).read == 2
        second.add(DOCS[:1])
        assert len(first) == 1


def test_a_lock_file_deleted_under_a_writer_lets_no_second_writer_in(tmp_path: Path) -> None:
    """A user who takes INDEX/lock for a stale lock and deletes it must not let two writers in.

    The second would delete the first's segment file not yet committed (files no commit names are
    a crashed write's), and the first's commit would then name a missing file: a damaged index.
    """
    with Index.open(tmp_path / "ix", timeout=0) as first, Index.open(tmp_path / "ix", timeout=0.2) as second:
        with first._store.writing():
            (tmp_path / "ix" / "lock").unlink()
            with pytest.raises(DedupError, match=r"being written by .*; waited 0.2 s"):
                second.add(DOCS[:1])
        second.add(DOCS[:1])  # (the lock file made again serves the writers after)
        assert len(first) == 1


def test_segment_lookup_finds_every_key_and_caps_big_buckets(tmp_path: Path, segment_keys: str) -> None:
    rng = np.random.default_rng(3)
    bands, windows = 3, 5000
    keys = rng.integers(0, 1 << 32, size=(bands, windows), dtype=np.uint64).astype(np.uint32)
    keys[:, :300] = 12345  # one huge bucket in every band
    docs = rng.integers(0, 400, size=windows).astype(np.uint32)
    path = tmp_path / "s.seg"
    from dedup.index.segments import write_segment

    write_segment(path, keys, docs, 400)
    seg = Segment(path, bands)
    ask_band = np.repeat(np.arange(bands), 50)
    ask_key = np.concatenate([np.append(keys[b, 290:339], np.uint32(7)) for b in range(bands)])
    m = seg.lookup(ask_band.astype(np.int64), ask_key)
    for i, (b, k) in enumerate(zip(ask_band, ask_key, strict=True)):
        want = sorted(set(docs[keys[b] == k].tolist()))
        assert sorted(m.docs[m.which == i].tolist()) == want
        assert int(m.counts[m.which == i].sum()) == int((keys[b] == k).sum())
    capped = seg.lookup(ask_band.astype(np.int64), ask_key, cap=10)
    big = {i for i, k in enumerate(ask_key.tolist()) if k == 12345}
    assert set(capped.overflow.tolist()) == big
    seg.close()


# ---------------------------------------------------------------------- command line


def _jsonl(path: Path, docs: list[Document]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d.id, "text": d.text, "source": d.source}, ensure_ascii=False) + "\n")
    return path


def test_cli_add_query_info_remove_compact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = _jsonl(tmp_path / "archive.jsonl", DOCS[:27])
    new = _jsonl(tmp_path / "new.jsonl", DOCS[27:])
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(archive), "-q"]) == 0
    assert "added 27 documents; 0 already in the index" in capsys.readouterr().out
    assert main(["index", "add", ix, str(archive), "-q"]) == 0
    assert "added 0 documents; 27 already in the index, 0 skipped" in capsys.readouterr().out
    out = tmp_path / "out.jsonl"
    assert main(["index", "query", ix, str(new), "--format", "jsonl", "-o", str(out)]) == 0
    assert main(["scan", str(archive), str(new), "--format", "jsonl", "-o", str(tmp_path / "scan.jsonl")]) == 0
    ids = {d.id for d in DOCS[27:]}

    def passages(path: Path) -> list[dict[str, dict[str, object]]]:
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return [r for r in records if r["type"] == "passage" and {r["a"]["doc"], r["b"]["doc"]} & ids]

    got = passages(out)
    assert got and got == passages(tmp_path / "scan.jsonl")
    capsys.readouterr()
    assert main(["index", "info", ix, "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["documents"], info["format_version"], info["config"]["ngram"]) == (27, FORMAT_VERSION, 5)
    assert info["bytes"] > 0
    assert main(["index", "info", ix]) == 0
    assert "documents  27" in capsys.readouterr().out
    assert main(["index", "remove", ix, "d000", "nope"]) == 0
    assert capsys.readouterr().out.splitlines() == ["removed 1 document; the index holds 26", "not in the index: nope"]
    assert main(["index", "compact", ix]) == 0
    assert "compacted" in capsys.readouterr().out
    assert main(["index", "query", ix, str(new), "--add", "--format", "csv", "-o", str(tmp_path / "o.csv")]) == 0
    assert main(["index", "info", ix, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == 35


def test_cli_options_of_an_existing_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = _jsonl(tmp_path / "d.jsonl", DOCS[:3])
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(docs), "--ngram", "6", "-q"]) == 0
    capsys.readouterr()
    assert main(["index", "add", ix, str(docs), "-q"]) == 0  # no options: the stored ones
    assert main(["index", "add", ix, str(docs), "--ngram", "6", "-q"]) == 0  # the same as stored
    assert main(["index", "query", ix, str(docs), "--ngram", "5"]) == 2
    assert "ngram 6 (index) != 5" in capsys.readouterr().err
    # A daily job's first run queries before anything was added: the error says what makes the index.
    missing = tmp_path / "the archive"
    for action, more in (
        (["query", str(missing), str(docs)], " (or this query with --add, which adds the documents after)"),
        (["info", str(missing)], ""),
    ):
        assert main(["index", *action]) == 2
        assert capsys.readouterr().err == (
            f"dedup: error: {missing}: no index here (no catalogue.sqlite): "
            f"`dedup index add '{missing}' INPUT...` makes one{more}\n"
        )
    assert not missing.exists()
    # With --add, the first day's query makes it, with the options given, and reports what the day's
    # stories share among themselves, as a scan of them would.
    day = _jsonl(tmp_path / "day1-stories.jsonl", DOCS)
    report = tmp_path / "day1.jsonl"
    argv = ["index", "query", str(missing), str(day), "--add", "--ngram", "6", "--format", "jsonl", "-o", str(report)]
    assert main([*argv, "-q"]) == 0
    first = [r for r in map(json.loads, report.read_text(encoding="utf-8").splitlines()) if r["type"] != "summary"]
    scanned = tmp_path / "scan.jsonl"
    assert main(["scan", str(day), "--ngram", "6", "--format", "jsonl", "-o", str(scanned), "-q"]) == 0
    alone = [r for r in map(json.loads, scanned.read_text(encoding="utf-8").splitlines()) if r["type"] != "summary"]
    assert first == alone and any(r["type"] == "passage" for r in first)
    assert main(["index", "info", str(missing), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["documents"] == len(DOCS) and info["config"]["ngram"] == 6


def test_cli_bad_input_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"id": "ok", "text": DOCS[0].text}) + "\n" + json.dumps({"id": "short", "text": "x"}) + "\n",
        encoding="utf-8",
    )
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(path), "-q", "--strict"]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err
    assert main(["index", "add", ix, str(path), "-q"]) == 0
    captured = capsys.readouterr()
    assert "added 1 document; 0 already in the index, 1 skipped, 1 too short;" in captured.out
    assert "bad.jsonl:2" in captured.err


def test_an_existing_folder_that_is_not_an_index_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("text", encoding="utf-8")
    with pytest.raises(DedupError, match="is a directory that is not an index"):
        Index.open(tmp_path / "corpus")
    assert sorted(p.name for p in (tmp_path / "corpus").iterdir()) == ["a.txt"]
    (tmp_path / "empty").mkdir()
    with Index.open(tmp_path / "empty") as index:
        assert len(index) == 0


def test_an_empty_query_and_an_empty_add(tmp_path: Path) -> None:
    with Index.open(tmp_path / "ix") as index:
        assert index.add([]).added == 0
        result = index.query([])
        assert (result.passages, result.pairs, result.read) == ([], [], 0)
        index.add(DOCS[:5])
        assert index.query([]).passages == []
        assert index.remove([]) == []
        assert index.info()["documents"] == 5


def test_a_crash_while_creating_leaves_a_folder_that_can_be_made_an_index(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    (path / "segments").mkdir(parents=True)
    (path / "lock").write_bytes(b"")
    (path / "catalogue.sqlite.partial").write_bytes(b"half a database")
    with Index.open(path) as index:
        index.add(DOCS[:2])
    assert not (path / "catalogue.sqlite.partial").exists()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), max_size=300),
    st.sampled_from([1, 3, 2**20, 2**32]),
    st.booleans(),
)
def test_band_entries_are_the_sorted_distinct_key_document_pairs(
    pairs: list[tuple[int, int]], key_range: int, docs_in_order: bool
) -> None:
    from dedup._arrays import distinct_counts
    from dedup.index.segments import _band_entries

    keys = np.array([k % key_range for k, _ in pairs], dtype=np.uint32)
    docs = np.array([d for _, d in pairs], dtype=np.uint32)
    if docs_in_order:
        docs = np.sort(docs)  # as an add gives them: the radix sort then orders by key alone
    got_keys, got_docs, got_counts = _band_entries(keys, docs)
    values, counts = distinct_counts((keys.astype(np.uint64) << np.uint64(32)) | docs.astype(np.uint64))
    assert got_keys.tolist() == (values >> np.uint64(32)).tolist()
    assert got_docs.tolist() == (values & np.uint64(0xFFFFFFFF)).tolist()
    assert got_counts.tolist() == counts.tolist()
    # The order a segment's writer checked once for all its bands gives the same entries.
    told = _band_entries(keys, docs, in_order=bool(np.all(docs[1:] >= docs[:-1])))
    assert [a.tolist() for a in told] == [got_keys.tolist(), got_docs.tolist(), got_counts.tolist()]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 40), unique=True, max_size=40), max_size=9))
def test_merging_sorted_runs_sorts_them_with_their_counts(runs: list[list[int]]) -> None:
    from dedup.index.segments import _merge_runs

    values = np.array([v for run in runs for v in sorted(run)], dtype=np.uint64)
    keys, docs = (values >> np.uint64(32)).astype(np.uint32), (values & np.uint64(2**32 - 1)).astype(np.uint32)
    counts = (values % np.uint64(65521)).astype(np.uint16)  # a count that travels with its entry
    bounds = np.cumsum([0] + [len(run) for run in runs]).astype(np.int64)
    got_keys, got_docs, got_counts = _merge_runs(keys.copy(), docs.copy(), counts.copy(), bounds)
    order = np.argsort(values, kind="stable")
    assert got_keys.tolist() == keys[order].tolist() and got_docs.tolist() == docs[order].tolist()
    assert got_counts.tolist() == counts[order].tolist()


def test_segment_lookup_of_a_key_with_more_entries_than_one_read_holds(tmp_path: Path, segment_keys: str) -> None:
    from dedup.index.segments import _BUFFER, write_segment

    rng = np.random.default_rng(5)
    windows = 3 * _BUFFER
    keys = rng.integers(0, 1 << 32, size=(2, windows), dtype=np.uint64).astype(np.uint32)
    keys[1, : 2 * _BUFFER] = 99  # a bucket of 8,192 entries: bisected with one-entry reads
    keys[1, 2 * _BUFFER : 2 * _BUFFER + 5] = 98  # its neighbours in the same cell
    keys[1, 2 * _BUFFER + 5 : 2 * _BUFFER + 9] = 100
    docs = np.arange(windows, dtype=np.uint32)
    path = tmp_path / "s.seg"
    write_segment(path, keys, docs, windows)
    seg = Segment(path, 2)
    ask_key = np.array([99, 98, 100, 97, keys[0, 7]], dtype=np.uint32)
    ask_band = np.array([1, 1, 1, 1, 0], dtype=np.int64)
    m = seg.lookup(ask_band, ask_key)
    for i, (b, k) in enumerate(zip(ask_band, ask_key, strict=True)):
        assert m.docs[m.which == i].tolist() == docs[keys[b] == k].tolist()
    capped = seg.lookup(ask_band, ask_key, cap=2 * _BUFFER - 1)
    assert capped.overflow.tolist() == [0] and 0 not in capped.which.tolist()
    # A file cut short after it was opened: an error naming it, never a partial answer.
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)
    with pytest.raises(DedupError, match=r"s\.seg: cannot read the segment file"):
        seg.lookup(ask_band, ask_key)
    seg.close()


@pytest.mark.parametrize(
    ("first", "span", "repeat"), [(0, 400, 1), (70_000, 400, 300), (5, 200_000, 1), (9, 90_000, 260)]
)
def test_segment_columns_of_every_width_read_back_and_merge(tmp_path: Path, first: int, span: int, repeat: int) -> None:
    """Narrow (u16 documents from the segment's base, u8 counts) or wide columns: the same entries."""
    from dedup.index.segments import merge_segments, write_segment

    rng = np.random.default_rng(span + repeat)
    bands, windows = 2, 3000
    keys = rng.integers(0, 1 << 32, size=(bands, windows), dtype=np.uint64).astype(np.uint32)
    docs = np.sort(rng.integers(first, first + span, size=windows)).astype(np.uint32)
    docs[0], docs[-1] = first, first + span - 1
    keys[:, :repeat] = 77  # one document's `repeat` windows share a key: a count of `repeat`
    docs[:repeat] = first
    position = np.arange(windows)
    held_by = {"a.seg": position < 1500, "b.seg": position >= 1500, "m.seg": position >= 0}
    segs = []
    for name in ("a.seg", "b.seg"):
        write_segment(tmp_path / name, np.ascontiguousarray(keys[:, held_by[name]]), docs[held_by[name]], span)
        segs.append(Segment(tmp_path / name, bands))
    assert segs[1].doc_bytes == (2 if int(docs[-1]) - int(docs[1500]) <= 0xFFFF else 4)
    assert segs[0].count_bytes == (2 if repeat > 255 else 1)
    merge_segments(tmp_path / "m.seg", segs, bands, np.zeros(0, np.uint32), span)
    merged = Segment(tmp_path / "m.seg", bands)
    assert (merged.base, merged.last, merged.doc_bytes) == (first, first + span - 1, 2 if span <= 0x10000 else 4)
    ask_band = np.repeat(np.arange(bands), 40).astype(np.int64)
    ask_key = np.concatenate([keys[b, :40] for b in range(bands)])
    for seg in [*segs, merged]:
        got = seg.lookup(ask_band, ask_key)
        for i, (b, k) in enumerate(zip(ask_band, ask_key, strict=True)):
            held = (keys[b] == k) & held_by[seg.path.name]
            assert sorted(got.docs[got.which == i].tolist()) == sorted(set(docs[held].tolist()))
            assert int(got.counts[got.which == i].sum()) == int(held.sum())
    for b in range(bands):
        k, d, c = merged.band(b)
        packed = (keys[b].astype(np.uint64) << np.uint64(32)) | docs.astype(np.uint64)
        values, counts = np.unique(packed, return_counts=True)
        assert k.tolist() == (values >> np.uint64(32)).tolist()
        assert d.tolist() == (values & np.uint64(2**32 - 1)).tolist() and c.tolist() == counts.tolist()
    for seg in [*segs, merged]:
        seg.close()


def test_info_gives_the_stored_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """skip_bad and strict say how a session reads its input; they are not stored, nor shown as the index's."""
    with Index.open(tmp_path / "ix", ScanConfig(ngram=6, strict=True, skip_bad=True)) as index:
        config = index.info()["config"]
    assert isinstance(config, dict) and config["ngram"] == 6 and "skip_bad" not in config and "strict" not in config
    assert main(["index", "info", str(tmp_path / "ix")]) == 0
    shown = capsys.readouterr().out
    assert "ngram=6" in shown and "strict" not in shown and "skip_bad" not in shown


def _mixed_jsonl(path: Path) -> Path:
    """Two good documents, one with a date that cannot be read, a too short one and a malformed line."""
    lines = [
        json.dumps({"id": "q1", "text": DOCS[30].text, "source": "s9"}),
        json.dumps({"id": "q2", "text": DOCS[31].text, "source": "s8", "date": "last Tuesday"}),
        json.dumps({"id": "q3", "text": "too short"}),
        "{not json",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("form", ["table", "jsonl", "csv", "html"])
def test_cli_query_says_what_scan_says_of_skipped_and_undated_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(_jsonl(tmp_path / "a.jsonl", DOCS[:5])), "-q"]) == 0
    bad = str(_mixed_jsonl(tmp_path / "bad.jsonl"))
    capsys.readouterr()
    out = ["-o", str(tmp_path / f"out.{form}")]
    assert main(["scan", str(tmp_path / "a.jsonl"), bad, "--skip-bad", "--format", form, *out]) == 0
    scanned = capsys.readouterr().err
    assert main(["index", "query", ix, bad, "--skip-bad", "--format", form, *out]) == 0
    queried = capsys.readouterr().err
    assert "bad.jsonl:2: date 'last Tuesday'" in queried
    if form == "table":
        assert queried.startswith("4 documents read, 2 queried against an archive of 5 documents, 2 skipped;")
        assert "skipped " + str(tmp_path / "bad.jsonl") + ":3" in queried
        assert "1 document scanned without a date that could not be read" in queried
    else:
        # The notes are scan's, word for word (scan read 5 more documents).
        notes = [line for line in queried.splitlines() if line.startswith("dedup: ")]
        assert notes == [line.replace("9 documents", "4 documents") for line in scanned.splitlines()]
        assert notes[0].startswith("dedup: 2 of 4 documents skipped: 1 ")


def test_an_edited_story_added_again_is_said_to_differ(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An id already in the index whose text changed is kept as stored, and the add line says so."""
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(_jsonl(tmp_path / "a.jsonl", DOCS[:27])), "-q"]) == 0
    edited = [DOCS[0], replace(DOCS[1], text=DOCS[1].text + " A correction was appended."), DOCS[2]]
    again = str(_jsonl(tmp_path / "again.jsonl", edited))
    capsys.readouterr()
    assert main(["index", "add", ix, again]) == 0
    assert capsys.readouterr().out.strip() == (
        "added 0 documents; 3 already in the index (1 edited, kept as stored: --replace replaces them), "
        "0 skipped; the index holds 27"
    )
    with Index.open(ix) as index:
        assert index.get(DOCS[1].id).text == DOCS[1].text  # type: ignore[union-attr]
        result = index.add(edited, replace=True)
        # (only the edited story is replaced: the two added again as stored stay, not renumbered)
        assert (result.replaced, result.existing, result.changed) == ([DOCS[1].id], [DOCS[0].id, DOCS[2].id], [])
        assert index.get(DOCS[1].id).text == edited[1].text  # type: ignore[union-attr]


def test_a_corrected_source_or_date_is_an_edit_and_replace_stores_it(tmp_path: Path) -> None:
    """A story re-added with its source or date corrected is said to be edited, and --replace stores the correction."""
    ix = str(tmp_path / "ix")
    with Index.open(ix, create=True) as index:
        index.add(DOCS[:5])
        fixed = [replace(DOCS[0], source="corrected outlet"), replace(DOCS[1], date="2026-12-01"), DOCS[2]]
        kept = index.add(fixed)
        assert (kept.existing, kept.changed, kept.replaced) == ([d.id for d in fixed], [DOCS[0].id, DOCS[1].id], [])
        replaced = index.add(fixed, replace=True)
        assert (replaced.replaced, replaced.existing) == ([DOCS[0].id, DOCS[1].id], [DOCS[2].id])
        assert index.get(DOCS[0].id).source == "corrected outlet"  # type: ignore[union-attr]
        assert index.get(DOCS[1].id).date == "2026-12-01"  # type: ignore[union-attr]
        assert index.add(fixed, replace=True).replaced == []  # stored as given now: nothing to replace


def test_cli_query_add_reports_first_then_adds_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(_jsonl(tmp_path / "a.jsonl", DOCS[:27])), "-q"]) == 0
    new = str(_jsonl(tmp_path / "new.jsonl", DOCS[25:30]))
    capsys.readouterr()
    assert main(["index", "query", ix, new, "--add", "-o", str(tmp_path / "q.txt")]) == 0
    err = capsys.readouterr().err.splitlines()
    # The archive queried against is the one before the add; the add says what it did.
    assert err[0].startswith("5 documents read, 5 queried against an archive of 27 documents, 0 skipped;")
    assert err[-1] == "added 3 documents; 2 already in the index, 0 skipped; the index holds 30"
    # An add that fails comes after the report, which is kept.
    out = tmp_path / "q.jsonl"
    with Index.open(ix) as other, other._store.writing():
        assert main(["index", "query", ix, new, "--add", "--wait", "0", "--format", "jsonl", "-o", str(out)]) == 2
    assert "being written by process" in capsys.readouterr().err
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[-1])["type"] == "summary"


def test_add_counts_and_says_the_dates_it_could_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    undated = [Document(d.id, d.text, d.source, "last Tuesday") for d in DOCS[:3]]
    with Index.open(tmp_path / "lib") as index:
        added = index.add([*undated[:2], DOCS[3]])
        assert [(s.id, s.kind) for s in added.unread_dates] == [("d000", "unread date"), ("d001", "unread date")]
        assert index.get("d000").date == "last Tuesday"  # stored as given, as the scan keeps it
        assert [s.id for s in index.add(undated).unread_dates] == ["d002"]  # (those stored: the others were there)
    path = _mixed_jsonl(tmp_path / "mixed.jsonl")
    assert main(["index", "add", str(tmp_path / "ix"), str(path), "--skip-bad", "-q"]) == 0
    err = capsys.readouterr().err
    assert "dedup: 1 document scanned without a date that could not be read, the first " in err
    assert "mixed.jsonl:2: date 'last Tuesday'" in err


def test_compact_reclaims_the_catalogue_s_space_of_removed_documents(tmp_path: Path) -> None:
    docs = corpus(150, seed=5)
    catalogue = tmp_path / "ix" / "catalogue.sqlite"
    with Index.open(tmp_path / "ix") as index:
        index.add(docs)
        size = catalogue.stat().st_size
        index.remove([d.id for d in docs[:130]])
        sizes = index.compact()
        assert catalogue.stat().st_size < size / 2
        assert sizes["bytes_after"] < sizes["bytes_before"] / 2
        same_answer(index.query(docs[145:]), expected(docs[130:145], docs[145:]))


def test_cli_wait_out_of_range_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = str(_jsonl(tmp_path / "d.jsonl", DOCS[:2]))
    assert main(["index", "add", str(tmp_path / "ix"), docs, "--wait", "1e7"]) == 2
    err = capsys.readouterr().err
    assert err == "dedup: error: --wait must be a number of seconds from 0 to 1e6 (11 days), got 1e+07\n"


def test_a_query_reads_the_texts_of_one_outlet_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The exact boilerplate count of an archive's small outlets (most of a newsroom's archive) reads each
    outlet's texts when its count starts: every outlet's were read first, so that a query held the text of
    the archive in memory (docs/performance.md, "A month of daily queries")."""
    import dedup.recount
    from dedup.index.store import Store

    archive = [replace(d, source=f"outlet-{k % 3}") for k, d in enumerate(DOCS[:30])]
    # Query documents of their own words (no candidate with the archive): the only texts read are the count's.
    queries = [replace(d, id=f"q{k}", source=f"outlet-{k}") for k, d in enumerate(corpus(3, seed=99, wires=1))]
    with Index.open(tmp_path / "ix") as index:
        index.add(archive)
        read: list[str] = []
        text, count = Store.text, dedup.recount.source_boilerplate

        def reading(store: Store, row: tuple[object, ...]) -> str:
            read.append(str(row[2]))
            return text(store, row)

        counted: list[set[str]] = []

        def counting(texts: list[str], *args: object) -> object:
            counted.append(set(read))
            return count(texts, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(Store, "text", reading)
        monkeypatch.setattr(dedup.recount, "source_boilerplate", counting)
        got = index.query(queries)
    assert counted == [{"outlet-0"}, {"outlet-0", "outlet-1"}, {"outlet-0", "outlet-1", "outlet-2"}]
    assert sorted(read) == sorted(d.source for d in archive)  # each stored text read once
    same_answer(got, expected(archive, queries))
