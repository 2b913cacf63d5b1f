"""The scan's index stage: batched, threaded sketching gives the candidates of a plain per-document loop."""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any
from unittest import mock

import numpy as np
import pytest
from briefs import agency_briefs, rule_candidates
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
import dedup.schedule as schedule_module
from dedup.candidates import candidate_pairs, candidate_pairs_banded
from dedup.lsh import band_keys, band_keys32
from dedup.minhash import window_signatures
from dedup.normalize import normalize
from dedup.pairs import _kept_pairs, least_bands, needed_bands
from dedup.records import Document
from dedup.scan import ScanConfig, _Index, _sketch_batch
from dedup.schedule import _TILE, NEVER, _breadth_first, locality_order, next_chunks
from dedup.shingle import shingle


def _corpus(n: int) -> list[Document]:
    rng = np.random.default_rng(11)
    letters = np.array(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"))
    wire = " ".join("".join(rng.choice(letters, 6)) for _ in range(80))
    docs = []
    for i in range(n):
        own = " ".join("".join(rng.choice(letters, int(rng.integers(2, 8)))) for _ in range(150))
        text = own[:400] + " " + wire + " " + own[400:] if i % 3 == 0 else own
        docs.append(Document(f"d{i}", text, source=f"s{i % 4}"))
    return docs


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch", [1, 7, 256])
@pytest.mark.parametrize("key_limit", [None, 0, 40_000])  # keys in memory, all on disk, spilled midway
def test_index_equals_per_document_loop(threads: int, batch: int, key_limit: int | None) -> None:
    cfg = ScanConfig()
    bands, rows = cfg.bands_rows
    docs = _corpus(40)
    keys, sigs, doc_of, source = [], [], [], []
    for d, doc in enumerate(docs):
        text = normalize(doc.text, profile=cfg.profile).text
        w = window_signatures(
            shingle(text, cfg.ngram).hashes, window=cfg.window, stride=cfg.stride, num_perm=cfg.num_perm
        )
        keys.append(band_keys(w.signatures, bands, rows))
        sigs.append(w.document)
        doc_of += [d] * len(w.signatures)
        source += [int(doc.source[1:])] * len(w.signatures)
    expected = candidate_pairs(np.concatenate(keys), np.array(doc_of), np.array(source))

    index = _Index(cfg, threads=threads, batch=batch, key_limit=key_limit)
    for doc in docs:
        index.add(doc)
    window_doc, windows = index.finish()
    assert index.keys.on_disk == (key_limit is not None and windows * index.bands * 4 > key_limit)
    assert windows == len(doc_of) and window_doc.tolist() == doc_of
    assert (index.doc_signatures == np.stack(sigs)).all()
    got = candidate_pairs_banded(index.column, index.bands, window_doc, np.asarray(index.doc_source)[window_doc])
    assert got.left.tolist() == expected.left.tolist()
    assert got.right.tolist() == expected.right.tolist()
    assert got.shared_bands.tolist() == expected.shared_bands.tolist()
    assert len(expected.left) > 0


@pytest.mark.parametrize(("threads", "batch"), [(1, 256), (2, 7)])
@pytest.mark.parametrize("source_df", [0.1, 0.3])
def test_streamed_seed_counts_give_the_boilerplate_of_each_source(threads: int, batch: int, source_df: float) -> None:
    from dedup.align import prepare
    from dedup.boilerplate import Boilerplate, boilerplate_keys

    cfg = ScanConfig(source_df=source_df)
    index = _Index(cfg, threads=threads, batch=batch)
    docs = _corpus(60)
    for doc in docs:
        index.add(doc)
    index.finish()
    counts = index.seed_counts
    assert counts.documents == len(docs)
    keys, sources = [], []
    for doc in docs:
        text = normalize(doc.text, profile=cfg.profile)
        p = prepare(text, shingle(text.text, cfg.ngram), cfg.align_params)
        keys.append(np.unique(np.concatenate((p.seed_keys, p.word_keys))))
        sources.append(index.sources[doc.outlet])
    expected = boilerplate_keys(keys, sources, source_df)
    every = np.unique(np.concatenate(keys))
    assert any(len(k) for k in expected.values())  # the planted wire text is in a third of each source's documents
    for source, exact in expected.items():
        got = set(every[Boilerplate(counts, source, index.salts[source], source_df).of(every)].tolist())
        # A count-min sketch never counts below the truth: every boilerplate key is found; a key
        # at the limit may be pushed over it by collisions in both rows, rarely.
        assert set(exact.tolist()) <= got
        assert len(got - set(exact.tolist())) <= max(1, len(every) // 1000)


def test_scan_output_does_not_depend_on_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    scan_module = importlib.import_module("dedup.scan")  # the package's `scan` is the function
    docs = _corpus(150)
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(scan_module, "_default_threads", lambda threads=threads: threads)
        monkeypatch.setattr(schedule_module, "CHUNK", 3)  # many chunks, so that threads interleave
        # (The planted wire text is in a third of each source's documents: its boilerplate at the
        # default source_df.)
        results.append(scan_module.scan(docs, ScanConfig(source_df=0.5)))
    one, two = results
    assert one.passages and one.passages == two.passages
    assert one.pairs == two.pairs and one.candidates == two.candidates


@settings(max_examples=100, deadline=None)
@given(edges=st.sets(st.tuples(st.integers(0, 99), st.integers(0, 99)).filter(lambda e: e[0] < e[1]), max_size=200))
def test_locality_order_is_a_permutation_with_neighbours_numbered_together(edges: set[tuple[int, int]]) -> None:
    pairs = sorted(edges)
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)
    order = locality_order(left, right, 100)
    assert sorted(order.tolist()) == list(range(len(pairs)))
    position = _breadth_first(left, right, 100)
    numbered = position[position >= 0]
    assert sorted(numbered.tolist()) == list(range(len(numbered)))  # every document with a pair, once
    assert ((position >= 0) == np.isin(np.arange(100), np.concatenate([left, right]))).all()
    late = np.maximum(position[left], position[right])[order]
    early = np.minimum(position[left], position[right])[order]
    # A pair comes with its later document's tile, the block of its earlier one's tile; in a
    # block, in order of the later document, then the earlier.
    blocks = list(zip((late // _TILE).tolist(), (early // _TILE).tolist(), late.tolist(), early.tolist(), strict=True))
    assert blocks == sorted(blocks)


@settings(max_examples=100, deadline=None)
@given(
    edges=st.sets(st.tuples(st.integers(0, 39), st.integers(0, 39)).filter(lambda e: e[0] < e[1]), max_size=300),
    sizes=st.lists(st.integers(1, 50), min_size=40, max_size=40),
    capacity=st.integers(1, 400),
    size=st.integers(1, 9),
)
def test_the_simulated_cache_prepares_what_the_cache_does(
    edges: set[tuple[int, int]], sizes: list[int], capacity: int, size: int
) -> None:
    """The count that chooses the alignment order: Kept driven chunk by chunk, as one thread does."""
    pairs = sorted(edges)
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)

    class Made:  # what Kept reads of a handle
        def __init__(self, nbytes: int) -> None:
            self.prepared = self
            self.nbytes = nbytes

    kept, prepared = schedule_module.Kept(capacity), 0
    with mock.patch.object(schedule_module, "CHUNK", size):
        pair_chunks = schedule_module.chunks(left, right)
    for chunk in pair_chunks:
        uses = schedule_module.next_uses(chunk)
        needed = list(dict.fromkeys(k for pair in zip(chunk[0].tolist(), chunk[1].tolist(), strict=True) for k in pair))
        kept.note({i: uses[i] for i in needed if kept.get(i) is not None})
        for i in [i for i in needed if kept.get(i) is None]:
            prepared += 1
            kept.put(i, Made(sizes[i]), uses[i])  # type: ignore[arg-type]
    simulated = schedule_module._preparations(left, right, np.array(sizes, dtype=np.int64), capacity, size)
    assert simulated == prepared


@settings(max_examples=100, deadline=None)
@given(
    edges=st.sets(st.tuples(st.integers(0, 59), st.integers(0, 59)).filter(lambda e: e[0] < e[1]), max_size=400),
    sizes=st.lists(st.integers(1, 50), min_size=60, max_size=60),
    capacity=st.integers(1, 2000),
)
def test_locality_order_with_sizes_takes_the_order_that_prepares_fewer(
    edges: set[tuple[int, int]], sizes: list[int], capacity: int
) -> None:
    pairs = sorted(edges)
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)
    lengths = np.array(sizes, dtype=np.int64)
    # (in bytes, the estimate of each document's prepared size, and the capacity at that scale)
    scale = schedule_module._PREPARED_A_CHARACTER
    weights, capacity = lengths * scale, capacity * scale
    order = locality_order(left, right, 60, lengths, capacity)
    assert sorted(order.tolist()) == list(range(len(pairs)))
    tiles = locality_order(left, right, 60)
    count = schedule_module._preparations
    chunk = schedule_module.CHUNK
    assert count(left[order], right[order], weights, capacity, chunk) <= count(
        left[tiles], right[tiles], weights, capacity, chunk
    )


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19), st.integers(1, 8)), max_size=80),
    windows=st.lists(st.integers(1, 200), min_size=20, max_size=20),
    short_windows=st.integers(0, 40),
    min_bands=st.integers(1, 8),
)
def test_kept_pairs_is_the_needed_bands_rule(
    pairs: list[tuple[int, int, int]], windows: list[int], short_windows: int, min_bands: int
) -> None:
    left = np.array([a for a, _, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b, _ in pairs], dtype=np.int64)
    shared = np.array([n for *_, n in pairs], dtype=np.int64)
    counts = np.array(windows, dtype=np.int64)
    config = ScanConfig(short_windows=short_windows, min_bands=min_bands)
    # The rule as documented, written out here: a brief (at most short_windows windows) needs half
    # of min_bands against a story with at most 4 x short_windows² window pairs between the two,
    # a quarter with at most short_windows² / 4; any other pair min_bands; never fewer than one.
    x, y = counts[left], counts[right]
    brief = np.minimum(x, y) <= short_windows
    want_needed = np.where(
        brief & (4 * x * y <= short_windows**2),
        max(1, min_bands // 4),
        np.where(brief & (x * y <= 4 * short_windows**2), max(1, min_bands // 2), min_bands),
    )
    needed = needed_bands(x, y, config)
    assert needed.tolist() == want_needed.tolist()
    assert all(least_bands(config) <= n <= min_bands for n in needed.tolist())
    keep = shared >= needed
    want = [left[keep].tolist(), right[keep].tolist(), shared[keep].tolist()]
    got = _kept_pairs(left, right, shared, counts, min_bands, short_windows)  # (in place)
    assert [x.tolist() for x in got] == want


@st.composite
def _keyed_documents(draw: st.DrawFn) -> list[tuple[int, list[int]]]:
    """Documents as (source, distinct keys), keys drawn from a small pool so that sources share some."""
    pool = draw(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=40, unique=True))
    docs = draw(
        st.lists(
            # Sources past 254 and 65,534 widen the table's slots (one byte, two, four).
            st.tuples(
                st.one_of(st.integers(0, 5), st.sampled_from([300, 70_000])),
                st.lists(st.sampled_from(pool), max_size=15, unique=True),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return docs


@settings(max_examples=200, deadline=None)
@given(_keyed_documents(), st.integers(6, 8), st.integers(1, 6), st.randoms(use_true_random=False))
def test_key_sources_never_miss_a_key_two_sources_hold(
    docs: list[tuple[int, list[int]]], bits: int, more: int, rng: object
) -> None:
    from dedup.boilerplate import _BLOCK_BITS, KeySources, _slot

    def noted(spread: KeySources, order: list[tuple[int, list[int]]], batch: int) -> KeySources:
        for k in range(0, len(order), batch):
            part = order[k : k + batch]
            keys = np.array([key for _, ks in part for key in ks], dtype=np.uint64)
            offsets = np.cumsum([0] + [len(ks) for _, ks in part])
            spread.add(keys, offsets, np.array([s for s, _ in part]))
        return spread

    holders: dict[int, set[int]] = {}
    for source, keys in docs:
        for key in keys:
            holders.setdefault(key, set()).add(source)
    every = np.array(sorted(holders), dtype=np.uint64)
    shuffled = list(docs)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    spread = noted(KeySources(bits=bits, max_bits=bits + more), docs, 1)
    held = spread.held(every)
    # Safe side only: a key two sources hold always reads held (it may be kept needlessly, never dropped).
    for key, h in zip(every.tolist(), held.tolist(), strict=True):
        if len(holders[key]) >= 2:
            assert h
    # The table does not depend on how documents were batched, only on when it doubled: with the
    # same size throughout, any order and batching give the same table.
    fixed = [
        noted(KeySources(bits=bits + more, max_bits=bits + more), order, batch)
        for order, batch in ((docs, 1), (shuffled, 3))
    ]
    assert (fixed[0].table == fixed[1].table).all()
    # A table that never doubled, wide enough for no two keys to share a block, answers exactly.
    blocks = {int(_slot(product, fixed[0]._shift, 0)) >> _BLOCK_BITS for product in every * KeySources._MIX}
    if len(blocks) == len(every):
        assert fixed[0].held(every).tolist() == [len(holders[k]) >= 2 for k in every.tolist()]
    # A table kept small by its byte budget (slots merged when they widen) still misses no key.
    small = noted(KeySources(bits=bits, max_bits=bits + more, max_bytes=1 << bits), shuffled, 2)
    assert small.table.nbytes <= 1 << bits or small.bits == 6  # (one block at least)
    for key, h in zip(every.tolist(), small.held(every).tolist(), strict=True):
        assert h or len(holders[key]) < 2


def test_key_sources_check_their_parameters() -> None:
    from dedup.boilerplate import KeySources
    from dedup.errors import ParameterError

    with pytest.raises(ParameterError, match="bits and max_bits"):
        KeySources(bits=10, max_bits=8)
    with pytest.raises(ParameterError, match="bits and max_bits"):
        KeySources(bits=5)
    with pytest.raises(ParameterError, match="labels"):
        KeySources().add(np.array([1], np.uint64), np.array([0, 1]), np.array([-1]))
    with pytest.raises(ParameterError, match="probes"):
        KeySources(probes=0)
    with pytest.raises(ParameterError, match="max_bytes"):
        KeySources(bits=16, max_bytes=1000)


def test_leaving_out_keys_of_one_source_changes_no_passage(monkeypatch: pytest.MonkeyPatch) -> None:
    # The key filter only saves work: a scan whose prepared documents keep every key finds the same.
    from dedup import boilerplate

    scan_module = importlib.import_module("dedup.scan")
    docs = _corpus(90)
    cfg = ScanConfig(source_df=0.5)  # the planted wire text is in a third of each source's documents
    filtered = scan_module.scan(docs, cfg)
    index_keys = []
    original = boilerplate.KeySources.held

    def keep_all(self: boilerplate.KeySources, keys: np.ndarray) -> np.ndarray:
        index_keys.append(int(original(self, keys).sum()) < len(keys))
        return np.ones(len(keys), dtype=np.bool_)

    monkeypatch.setattr(boilerplate.KeySources, "held", keep_all)
    unfiltered = scan_module.scan(docs, cfg)
    assert any(index_keys)  # the filter does leave keys out of this corpus
    assert filtered.passages and filtered.passages == unfiltered.passages
    assert filtered.pairs == unfiltered.pairs


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1, 100, 4095, 4096, 9000]), st.sampled_from([2, 64, 128, 4096]))
def test_count_min_rows_hold_every_increment(seed: int, n: int, width: int) -> None:
    """Counted directly or partitioned first (from 4,096 keys), each row is the plain count of its slots."""
    from dedup.boilerplate import ROW_MULTIPLIERS, DocumentFrequency

    keys = np.random.default_rng(seed).integers(0, 2**64, n, dtype=np.uint64)
    keys[: n // 3] = keys[0]  # repeated keys hit one counter many times
    df = DocumentFrequency(width)
    df.add(keys[: n // 2])
    df.add(keys[n // 2 :])
    for row, multiplier in enumerate(ROW_MULTIPLIERS):
        expected = np.zeros(width, dtype=np.int64)
        np.add.at(expected, (keys * multiplier) >> df.shift, 1)
        assert df.table[row].tolist() == expected.tolist()


def _prepared_documents(count: int) -> tuple[Any, _Index, Any]:
    """The scan module, an index of ``count`` documents of :func:`_corpus`, and its cache of prepared documents."""
    scan_module = importlib.import_module("dedup.scan")  # the package's `scan` is the function
    index = _Index(ScanConfig(), threads=1)
    for doc in _corpus(count):
        index.add(doc)
    index.finish()
    return scan_module, index, scan_module._Prepared(index)


def test_prepared_documents_are_prepared_once_however_many_threads_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neighbouring chunks share documents: a document another thread is preparing is waited for."""
    scan_module, index, prepared = _prepared_documents(12)
    made: list[str] = []
    real = scan_module.prepare_text

    def slow(text: str, *args: object) -> object:
        made.append(text)
        time.sleep(0.05)  # long enough for the other threads to ask for the same documents meanwhile
        return real(text, *args)

    monkeypatch.setattr(scan_module, "prepare_text", slow)
    asks = [[0, 1, 2, 3], [2, 3, 4, 5], [5, 1, 6, 0], [7, 3, 2]]
    got: dict[int, list[object]] = {}
    start = threading.Barrier(len(asks))

    def ask(k: int) -> None:
        start.wait()
        got[k] = prepared.handles(asks[k])

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(len(asks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == len(set(made)) == 8  # each of documents 0-7 once
    for k, ids in enumerate(asks):
        assert [h.prepared.normalized.text for h in got[k]] == [
            normalize(index.documents.text(i), profile=index.config.profile).text for i in ids
        ]
        assert all(got[k][n] is prepared[i] for n, i in enumerate(ids))  # the cached handle


def test_a_failed_preparation_leaves_no_thread_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    scan_module, _, prepared = _prepared_documents(4)
    real = scan_module.prepare_text
    calls = []

    def failing(text: str, *args: object) -> object:
        calls.append(text)
        if len(calls) == 2:
            raise RuntimeError("disk gone")
        return real(text, *args)

    monkeypatch.setattr(scan_module, "prepare_text", failing)
    with pytest.raises(RuntimeError, match="disk gone"):
        prepared.handles([0, 1, 2])
    assert prepared.pending == {}
    assert [h.prepared is not None for h in prepared.handles([0, 1, 2, 3])] == [True] * 4


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=40),
    st.integers(1, 7),
)
def test_next_chunks_name_the_first_later_chunk_holding_the_document(pairs: list[tuple[int, int]], size: int) -> None:
    """Each side's next use, against a plain search of the later chunks."""
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)
    after_left, after_right = next_chunks(left, right, size)
    chunks = [set(left[k : k + size].tolist()) | set(right[k : k + size].tolist()) for k in range(0, len(left), size)]
    for side, after in ((left, after_left), (right, after_right)):
        for k, document in enumerate(side.tolist()):
            later = [c for c in range(k // size + 1, len(chunks)) if document in chunks[c]]
            assert int(after[k]) == (later[0] if later else NEVER)


def test_the_full_cache_drops_the_document_needed_last() -> None:
    """Belady's rule: a document no chunk needs again goes first, then the one needed furthest ahead."""
    scan_module = importlib.import_module("dedup.scan")
    index = _Index(ScanConfig(), threads=1)
    for i in range(6):  # one text six times: every prepared document takes the same bytes
        index.add(Document(f"d{i}", _corpus(1)[0].text, source=f"s{i}"))
    index.finish()
    size = scan_module._Prepared(index)[0].prepared.nbytes
    prepared = scan_module._Prepared(index, capacity=3 * size)
    never = NEVER
    kept = prepared.kept
    prepared.handles([0, 1, 2], {0: 9, 1: never, 2: 4})
    assert set(kept.cache) == {0, 1, 2} and kept.heap is None  # (kept once the cache is full)
    prepared.handles([3], {3: 5})  # one over: 1 is never needed again
    assert set(kept.cache) == {0, 2, 3}
    prepared.handles([2, 4], {2: 7, 4: 6})  # 2 is needed at 7 now, 0 at 9 is the furthest
    assert set(kept.cache) == {2, 3, 4}
    prepared.handles([5, 3], {5: 1, 3: 8})  # 3 at 8 is now the furthest (5 was asked for first)
    assert set(kept.cache) == {2, 4, 5}
    assert kept.held == 3 * size and kept.heap is not None
    assert [kept.next_use[i] for i in (2, 4, 5)] == [7, 6, 1]


def test_a_scan_with_a_small_cache_finds_what_a_large_one_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropping and preparing documents again changes when work is done, never what is found."""
    scan_module = importlib.import_module("dedup.scan")
    docs = _corpus(12)  # (the wire copy in one document of each source: not boilerplate)
    large = scan_module.scan(docs, threads=2)
    made: list[int] = []
    real = scan_module._Prepared._prepare

    def counted(self: Any, i: int, when: int) -> Any:
        made.append(i)
        return real(self, i, when)

    monkeypatch.setattr(scan_module._Prepared.__init__, "__defaults__", (1,))  # one document at a time
    monkeypatch.setattr(scan_module._Prepared, "_prepare", counted)
    monkeypatch.setattr(schedule_module, "CHUNK", 1)
    small = scan_module.scan(docs, threads=2)
    assert len(made) > len(set(made))  # documents were prepared again
    assert large.pairs and large.passages
    assert small.pairs == large.pairs and small.passages == large.passages


@given(
    x=st.integers(1, 300), y=st.integers(1, 300), more=st.integers(0, 300),
    short_windows=st.integers(0, 64), min_bands=st.integers(1, 16),
)  # fmt: skip
def test_more_windows_never_need_fewer_bands(x: int, y: int, more: int, short_windows: int, min_bands: int) -> None:
    # Chance collisions only grow with the window pairs: so must the evidence asked for, never past min_bands.
    config = ScanConfig(short_windows=short_windows, min_bands=min_bands)
    needed = needed_bands(np.array([x, x + more, y]), np.array([y, y, x + more]), config).tolist()
    assert needed[0] <= needed[1] == needed[2] <= min_bands
    assert needed[0] >= least_bands(config)


@pytest.mark.parametrize("min_bands", [4, 8])
def test_briefs_cut_from_short_stories_are_candidates_on_fewer_bands(min_bands: int) -> None:
    # Two short stories (7 and 16-18 windows) have few window pairs: one band in common (a quarter
    # of min_bands) makes them candidates, and every brief is found with its story.
    docs = agency_briefs(20, seed=38)
    config = ScanConfig(min_bands=min_bands)
    kept, below_half = rule_candidates(docs, config)
    assert below_half > 0  # the quarter of min_bands is what keeps some of them
    assert rule_candidates(docs, config, every_band=False)[0] < kept  # and a short story's further bands some
    result = dedup.scan(docs, config)
    assert result.candidates == kept
    if min_bands == 4:
        assert sorted((p.a, p.b) for p in result.pairs) == [(f"agency{i:02d}", f"brief{i:02d}") for i in range(20)]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, 2_500), min_size=1, max_size=6),
    st.sampled_from([0, 4, 32]),
    st.integers(1, 3),
)
def test_short_documents_windows_have_every_band(lengths: list[int], short_windows: int, seed: int) -> None:
    """A document of at most short_windows windows has keys in every band of its signatures, the others in the first."""
    rng = np.random.default_rng(seed)
    texts = ["".join(rng.choice(list("abcdefgh "), n)) for n in lengths]
    config = ScanConfig(short_windows=short_windows, seed=seed)
    bands, rows = config.bands_rows
    batch, _, _ = _sketch_batch(texts, config, bands, rows, seed_keys=False)
    windows = np.concatenate([[0], np.cumsum(batch.counts)])
    short = [t for t, n in enumerate(batch.counts.tolist()) if n <= short_windows]
    expected = np.concatenate([np.arange(windows[t], windows[t + 1]) for t in short] + [np.zeros(0, np.int64)])
    assert batch.extra_windows.tolist() == expected.tolist()
    assert batch.extra.shape == (config.short_bands - bands, len(expected))
    assert config.short_bands == (64 if short_windows else 28)
    for t in short:
        sig = window_signatures(
            shingle(texts[t], config.ngram).hashes,
            window=config.window, stride=config.stride, num_perm=config.num_perm, seed=config.seed,
        ).signatures  # fmt: skip
        every = band_keys32(sig, config.short_bands, rows)
        mine = np.flatnonzero(np.isin(batch.extra_windows, np.arange(windows[t], windows[t + 1])))
        assert (batch.extra[:, mine] == every[bands:]).all()
        assert (batch.keys[:, windows[t] : windows[t + 1]] == band_keys32(sig, bands, rows)).all()


def _edited_copies(seed: int) -> list[Document]:
    """Outlets carrying lightly edited copies of two wire stories among text of their own (some sourceless)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"))

    def words(n: int) -> list[str]:
        return ["".join(rng.choice(letters, int(rng.integers(2, 8)))) for _ in range(n)]

    wires = [words(120), words(60)]
    docs = []
    for i in range(14):
        parts = words(int(rng.integers(20, 120)))
        for wire in wires:
            if i < 3 or rng.random() < 0.6:  # (the first three outlets carry both)
                copy = [w if rng.random() > 0.06 else words(1)[0] for w in wire if rng.random() > 0.03]
                parts += copy + words(int(rng.integers(0, 60)))
        source = None if i % 5 == 4 else f"outlet{i % 4}"
        docs.append(Document(f"d{i}", " ".join(parts), source=source))
    return docs


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**16), st.randoms(use_true_random=False))
def test_the_input_order_changes_no_passage_and_no_count(seed: int, order: Any) -> None:
    """The same documents in any order: the same seed counts, pairs and passages (a is the earlier, as given)."""
    docs = _edited_copies(seed)
    shuffled = list(docs)
    order.shuffle(shuffled)
    indexes = []
    for listed in (docs, shuffled):
        index = _Index(ScanConfig(), threads=1)
        for doc in listed:
            index.add(doc)
        index.finish()
        index.close_keys()
        indexes.append(index)
    # Seeds are counted per source under a salt of the source's name, not of its number (the order
    # sources come in), so the per-source counts, and what is boilerplate, are the same.
    first, second = (index.seed_counts for index in indexes)
    assert (first.within.table == second.within.table).all() and (first.corpus.table == second.corpus.table).all()
    names = [{name: index.seed_counts.documents_of(n) for name, n in index.sources.items()} for index in indexes]
    assert names[0] == names[1]

    def found(listed: list[Document]) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
        result = dedup.scan(listed)
        place = {d.id: k for k, d in enumerate(listed)}
        assert all(place[p.a] < place[p.b] for p in result.pairs)  # a: the earlier as given
        assert all(place[x.a.doc] < place[x.b.doc] for x in result.passages)
        pairs = {(*sorted((p.a, p.b)), round(p.score, 12), p.passages) for p in result.pairs}
        spans = {tuple(sorted([(x.a.doc, x.a.start, x.a.end), (x.b.doc, x.b.start, x.b.end)])) for x in result.passages}
        return pairs, spans

    assert found(docs) == found(shuffled)
    assert found(docs)[1]  # (the copies are found)
