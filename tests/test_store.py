"""DocumentStore: a read-only Mapping of documents whose texts live in a temporary file."""

from __future__ import annotations

import gc
import os
import pickle
import weakref
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import DedupError, InputError, ParameterError
from dedup.records import Document
from dedup.store import BandKeyStore, DocumentStore, SortedRuns

# Every code point, lone surrogates included (json.loads can produce them), and the empty string.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=200)
OPTIONAL = st.none() | ANY_TEXT
DOCUMENTS = st.lists(
    st.builds(Document, id=st.text(min_size=1, max_size=12), text=ANY_TEXT, source=OPTIONAL, date=OPTIONAL),
    max_size=30,
    unique_by=lambda d: d.id,
)


def arabic(n: int) -> str:
    words = ["الخبر", "وكالة", "الأنباء", "قال", "في", "بيان", "اليوم", "الرئيس"]
    out = " ".join(words[i % len(words)] for i in range(n // 4 + 1))
    return out[:n]


@settings(max_examples=60, deadline=None)
@given(docs=DOCUMENTS, memory=st.booleans(), chunk=st.sampled_from([1, 7, 64, 1 << 20]))
def test_round_trip_is_exact(docs: list[Document], memory: bool, chunk: int) -> None:
    with DocumentStore(memory=memory, chunk=chunk) as store:
        assert [store.add(d) for d in docs] == list(range(len(docs)))
        assert list(store) == [d.id for d in docs]
        for i, d in enumerate(docs):
            assert store[d.id] == d
            assert store.document(i) == d
            assert store.text(i) == d.text
            assert store.source(i) == d.source
            assert store.doc_id(i) == d.id and store.index(d.id) == i
        assert dict(store) == {d.id: d for d in docs}


@settings(max_examples=40, deadline=None)
@given(docs=DOCUMENTS, chunk=st.sampled_from([1, 5, 100]))
def test_reads_interleaved_with_writes_see_buffered_and_flushed_records(docs: list[Document], chunk: int) -> None:
    with DocumentStore(chunk=chunk) as store:
        for i, d in enumerate(docs):
            store.add(d)
            assert store.text(i) == d.text  # the newest record, maybe still in the buffer
            assert store[docs[i // 2].id] == docs[i // 2]  # an older one, maybe already in the file
            if i % 3 == 0:
                store.flush()
        assert [store[d.id] for d in docs] == docs


def test_mapping_behaviour() -> None:
    docs = [Document(f"d{i}", f"text {i}", source="s" if i % 2 else None) for i in range(5)]
    store = DocumentStore(docs)
    assert isinstance(store, Mapping)
    assert len(store) == 5
    assert list(store) == list(store.keys()) == [d.id for d in docs]
    assert list(store.values()) == docs
    assert list(store.items()) == [(d.id, d) for d in docs]
    not_a_str: object = 3
    assert "d3" in store and "zz" not in store and not_a_str not in store
    assert store.get("zz") is None and store.get("d1") == docs[1]
    assert store == {d.id: d for d in docs}
    with pytest.raises(KeyError):
        store["zz"]
    with pytest.raises(KeyError):
        store.index("zz")
    for bad in (5, -1):
        with pytest.raises(IndexError):
            store.text(bad)
        with pytest.raises(IndexError):
            store.document(bad)
    with pytest.raises(TypeError):
        store["d9"] = docs[0]  # type: ignore[index]
    assert "5 documents" in repr(store)
    store.close()


def test_insertion_order_is_kept_not_sorted() -> None:
    ids = ["z", "a", "m", "0", "b"]
    with DocumentStore(Document(i, i * 3) for i in ids) as store:
        assert list(store) == ids
        assert [store.text(k) for k in range(len(ids))] == [i * 3 for i in ids]


def test_large_texts_bigger_than_the_write_buffer() -> None:
    big = arabic(3_000_000)  # 3 M characters, ~5.5 MB of UTF-8
    docs = [Document("small", "x"), Document("big", big, date="2024-01-01"), Document("after", arabic(3000))]
    with DocumentStore(chunk=1 << 16) as store:
        for d in docs:
            store.add(d)
        assert store["big"] == docs[1]
        assert store.text(2) == docs[2].text
        assert store.nbytes == sum(len(d.text.encode()) + len((d.date or "").encode()) for d in docs)


def test_many_arabic_documents_spill_to_the_file_and_read_back() -> None:
    docs = [Document(f"doc{i:05d}", arabic(3000)[i % 50 :], f"outlet{i % 7}", f"2024-01-{i % 28 + 1:02d}")
            for i in range(2000)]  # fmt: skip
    with DocumentStore() as store:
        for d in docs:
            store.add(d)
        # ~11 MB went through a 1 MB buffer: most of it is in the file, not in memory.
        assert store.nbytes > 10 * 2**20 and len(store._buffer) < 2**20
        assert os.fstat(store._fd).st_size + len(store._buffer) == store.nbytes
        for i in (0, 1, 999, 1998, 1999):
            assert store[docs[i].id] == docs[i]
        assert all(store.text(i) == d.text for i, d in enumerate(docs))


def test_memory_store_never_writes_a_file() -> None:
    store = DocumentStore([Document("a", "x" * (3 << 20))], memory=True, chunk=1)
    assert store._file is None
    store.flush()
    assert store.text(0) == "x" * (3 << 20)
    assert "memory" in repr(store)


def test_duplicate_id_is_an_input_error_and_leaves_the_store_unchanged() -> None:
    with DocumentStore([Document("a", "first")]) as store:
        with pytest.raises(InputError) as caught:
            store.add(Document("a", "second"))
        assert caught.value.document == "a"
        assert len(store) == 1 and store["a"].text == "first"
        assert store.add(Document("b", "next")) == 1 and store.text(1) == "next"


def test_a_document_that_cannot_be_encoded_leaves_the_store_unchanged() -> None:
    store = DocumentStore(memory=True)
    with pytest.raises(AttributeError):
        store.add(Document("a", None))  # type: ignore[arg-type]
    assert len(store) == 0 and "a" not in store
    assert store.add(Document("a", "ok")) == 0


def test_bad_chunk_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="chunk"):
        DocumentStore(chunk=0)


def test_missing_directory_is_a_dedup_error(tmp_path: Path) -> None:
    with pytest.raises(DedupError, match="cannot create"):
        DocumentStore(directory=tmp_path / "missing")


def test_close_drops_the_file_and_refuses_reads_and_writes(tmp_path: Path) -> None:
    store = DocumentStore([Document("a", "text")], directory=tmp_path)
    assert list(tmp_path.iterdir()) == []  # the temporary file is anonymous (unlinked at once)
    file = store._file
    assert file is not None
    with store:
        pass
    assert store.closed and file.closed
    store.close()  # twice is fine
    assert list(store) == ["a"] and "a" in store and len(store) == 1
    for read in (lambda: store["a"], lambda: store.text(0), lambda: store.add(Document("b", "x")), store.flush):
        with pytest.raises(DedupError, match="closed"):
            read()


def test_garbage_collection_closes_the_file() -> None:
    store = DocumentStore([Document("a", "text")])
    file = store._file
    assert file is not None
    alive = weakref.ref(store)
    del store
    gc.collect()
    assert alive() is None and file.closed


def test_store_outlives_the_function_that_filled_it() -> None:
    def fill() -> DocumentStore:
        store = DocumentStore()
        for i in range(100):
            store.add(Document(str(i), arabic(500 + i)))
        return store

    store = fill()
    gc.collect()
    assert store.text(99) == arabic(599) and store["0"].text == arabic(500)
    store.close()


@pytest.mark.parametrize("memory", [False, True])
def test_store_is_not_picklable(memory: bool) -> None:
    with DocumentStore([Document("a", "x")], memory=memory) as store, pytest.raises(TypeError, match="pickled"):
        pickle.dumps(store)


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.integers(0, 20), max_size=8),
    bands=st.integers(1, 4),
    limit=st.sampled_from([0, 64, 1 << 30]),
    data=st.data(),
)
def test_band_key_store_columns_are_the_blocks_joined(
    widths: list[int], bands: int, limit: int, data: st.DataObject
) -> None:
    blocks = [
        np.array(
            data.draw(st.lists(st.integers(0, 2**32 - 1), min_size=bands * w, max_size=bands * w)), np.uint32
        ).reshape(bands, w)
        for w in widths
    ]
    store = BandKeyStore(bands, limit=limit)
    for block in blocks:
        store.add(block)
    assert len(store) == sum(widths)
    assert store.on_disk == (sum(b.nbytes for b in blocks) > limit)
    for band in range(bands):
        expected = np.concatenate([b[band] for b in blocks]) if blocks else np.zeros(0, np.uint32)
        assert store.column(band).tolist() == expected.tolist()
    store.close()


def test_band_key_store_checks_its_blocks() -> None:
    store = BandKeyStore(2)
    with pytest.raises(ParameterError, match=r"shape \(bands \(2\), windows\), got \(3, 1\)"):
        store.add(np.zeros((3, 1), np.uint32))
    with pytest.raises(ParameterError, match=r"band must be in \[0, 2\), got 2"):
        store.column(2)


@settings(max_examples=60, deadline=None)
@given(
    runs=st.lists(st.lists(st.integers(0, 1000), max_size=30), max_size=6),
    grid=st.lists(st.integers(0, 1000), max_size=8),
    cut=st.integers(0, 9),
)
def test_sorted_runs_give_back_each_run_by_cells(runs: list[list[int]], grid: list[int], cut: int) -> None:
    store = SortedRuns(np.array(sorted(set(grid)), dtype=np.uint64))
    arrays = [np.array(sorted(r), dtype=np.uint64) for r in runs]
    for array in arrays:
        store.add(array)
    cells = store.cells()
    assert len(cells) == len(set(grid)) + 1 and cells.sum() == sum(len(r) for r in runs)
    cut = min(cut, len(cells))
    low, high = store.read(0, cut), store.read(cut, len(cells))
    for array, a, b in zip(arrays, low, high, strict=True):
        assert np.concatenate([a, b]).tolist() == array.tolist()
    store.close()
