"""Tests for dedup.minhash: bit-exactness with datasketch, windows, Jaccard estimates."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import datasketch
import numpy as np
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import ParameterError
from dedup.minhash import (
    DEFAULT_NUM_PERM,
    DEFAULT_SEED,
    EMPTY,
    MAX_NUM_PERM,
    WindowSignatures,
    jaccard,
    permutations,
    signature,
    signatures,
    signatures_flat,
    text_signatures,
    to_datasketch,
    window_signatures,
    window_signatures_many,
)
from dedup.shingle import shingle, shingle_strings
from dedup.sketch import sketch

_UINT32 = st.integers(0, 2**32 - 1)
_NUM_PERM = st.sampled_from([1, 2, 7, 16, 64, 128, 200])
_SEEDS = st.one_of(st.sampled_from([0, 1, 2**32 - 1]), _UINT32)


def _datasketch(values: list[int], num_perm: int, seed: int) -> np.ndarray:
    m = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=int)
    m.update_batch(values)
    hv: np.ndarray = m.hashvalues
    return hv


def _expected_windows(n: int, window: int, stride: int) -> list[tuple[int, int]]:
    """The window definition, written the slow and obvious way."""
    spans = []
    start = 0
    while start < n:
        end = min(start + window, n)
        spans.append((start, end))
        if end == n:
            break
        start += stride
    return spans


# ---------------------------------------------------------------- datasketch bit-exactness


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_UINT32, max_size=60), num_perm=_NUM_PERM, seed=_SEEDS)
def test_signature_equals_datasketch(values: list[int], num_perm: int, seed: int) -> None:
    ours = signature(np.array(values, dtype=np.uint32), num_perm, seed=seed)
    assert ours.dtype == np.uint32
    assert ours.shape == (num_perm,)
    assert np.array_equal(ours, _datasketch(values, num_perm, seed))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=120), ngram=st.integers(1, 8))
def test_signature_from_text_equals_datasketch(text: str, ngram: int) -> None:
    m = datasketch.MinHash(
        num_perm=DEFAULT_NUM_PERM,
        seed=DEFAULT_SEED,
        scheme="affine32",
        hashfunc=lambda b: xxhash.xxh32_intdigest(b, 0),
    )
    m.update_batch([s.encode() for s in shingle_strings(text, ngram)])
    assert np.array_equal(signature(shingle(text, ngram).hashes), m.hashvalues)


def test_signature_of_seed_text_equals_datasketch() -> None:
    text = "قالت وزارة الدفاع الأمريكية (البنتاغون) أمس إنها لا تخطط حاليا لسحب قواتها " * 5
    grams = [s.encode() for s in shingle_strings(text)]
    m = datasketch.MinHash(num_perm=256, seed=42, scheme="affine32", hashfunc=xxhash.xxh32_intdigest)
    m.update_batch(grams)
    assert np.array_equal(signature(shingle(text).hashes, 256, seed=42), m.hashvalues)


@pytest.mark.parametrize(("num_perm", "seed"), [(1, 0), (128, 1), (256, 7), (MAX_NUM_PERM, 2**32 - 1)])
def test_permutations_equal_datasketch(num_perm: int, seed: int) -> None:
    p = permutations(num_perm, seed)
    m = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
    assert np.array_equal(p.a, m.permutations[0])
    assert np.array_equal(p.b, m.permutations[1])
    assert p.a.dtype == p.b.dtype == np.uint32


def test_permutations_are_cached_and_read_only() -> None:
    p = permutations(64, 5)
    assert permutations(64, 5) is p
    with pytest.raises(ValueError, match="read-only"):
        p.a[0] = 1


def test_golden_signature() -> None:
    sig = signature(shingle("الولايات المتحدة").hashes)
    assert sig[:4].tolist() == [382962373, 78236770, 876609310, 720253175]


def test_empty_set() -> None:
    sig = signature(np.array([], dtype=np.uint32))
    assert sig.shape == (DEFAULT_NUM_PERM,)
    assert (sig == EMPTY).all()
    assert np.array_equal(sig, datasketch.MinHash(scheme="affine32").hashvalues)


def test_integer_dtypes_and_lists_accepted() -> None:
    values = [0, 1, 2**32 - 1, 12345]
    expected = signature(np.array(values, dtype=np.uint32))
    assert np.array_equal(signature(np.array(values, dtype=np.int64)), expected)
    assert np.array_equal(signature(values), expected)  # type: ignore[arg-type]
    assert np.array_equal(signature(np.array(values, dtype=np.uint32)[::-1][::-1]), expected)


def test_non_contiguous_input() -> None:
    values = np.arange(40, dtype=np.uint32)
    assert np.array_equal(signature(values[::3]), signature(values[::3].copy()))


# ---------------------------------------------------------------- batches


@settings(max_examples=50, deadline=None)
@given(
    sets=st.lists(st.lists(_UINT32, max_size=30), max_size=8),
    num_perm=_NUM_PERM,
    seed=_SEEDS,
    parallel=st.booleans(),
)
def test_signatures_rows_equal_signature(sets: list[list[int]], num_perm: int, seed: int, parallel: bool) -> None:
    arrays = [np.array(s, dtype=np.uint32) for s in sets]
    result = signatures(arrays, num_perm, seed=seed, parallel=parallel)
    assert result.shape == (len(sets), num_perm)
    assert result.dtype == np.uint32
    for row, arr in zip(result, arrays, strict=True):
        assert np.array_equal(row, signature(arr, num_perm, seed=seed))


def test_kernels_are_thread_safe() -> None:
    # The kernels release the GIL (nogil); concurrent calls must not interfere.
    rng = np.random.default_rng(3)
    batches = [
        [rng.integers(0, 2**32, int(rng.integers(0, 300)), dtype=np.uint64).astype(np.uint32) for _ in range(20)]
        for _ in range(8)
    ]

    def work(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return signatures(arrays), window_signatures_many(arrays, window=64, stride=16).signatures

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, batches))
    for arrays, (sigs, windows) in zip(batches, results, strict=True):
        assert np.array_equal(sigs, signatures(arrays))
        assert np.array_equal(windows, window_signatures_many(arrays, window=64, stride=16).signatures)


def test_signatures_of_nothing() -> None:
    assert signatures([]).shape == (0, DEFAULT_NUM_PERM)


# ---------------------------------------------------------------- windows


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(0, 90),
    stride=st.integers(1, 9),
    per_window=st.integers(1, 9),
    num_perm=st.sampled_from([1, 8, 33]),
    seed=_SEEDS,
    data=st.data(),
)
def test_windows_equal_direct_signatures(
    n: int, stride: int, per_window: int, num_perm: int, seed: int, data: st.DataObject
) -> None:
    window = stride * per_window
    hashes = np.array(data.draw(st.lists(_UINT32, min_size=n, max_size=n)), dtype=np.uint32)
    ws = window_signatures(hashes, window=window, stride=stride, num_perm=num_perm, seed=seed)
    spans = _expected_windows(n, window, stride)
    assert list(zip(ws.first.tolist(), ws.last.tolist(), strict=True)) == spans
    assert ws.signatures.shape == (len(spans), num_perm)
    assert ws.signatures.dtype == np.uint32
    assert ws.first.dtype == ws.last.dtype == np.int64
    for row, (first, last) in zip(ws.signatures, spans, strict=True):
        assert np.array_equal(row, signature(hashes[first:last], num_perm, seed=seed))
    assert np.array_equal(ws.document, signature(hashes, num_perm, seed=seed))


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 70), max_size=6),
    stride=st.integers(1, 8),
    per_window=st.integers(1, 7),
    parallel=st.booleans(),
    data=st.data(),
)
def test_window_batch_equals_single_documents(
    lengths: list[int], stride: int, per_window: int, parallel: bool, data: st.DataObject
) -> None:
    window = stride * per_window
    arrays = [np.array(data.draw(st.lists(_UINT32, min_size=n, max_size=n)), dtype=np.uint32) for n in lengths]
    batch = window_signatures_many(arrays, window=window, stride=stride, num_perm=16, parallel=parallel)
    assert batch.offsets.tolist()[0] == 0
    assert batch.offsets.shape == (len(arrays) + 1,)
    assert len(batch) == batch.offsets[-1] == batch.doc.shape[0]
    assert batch.documents.shape == (len(arrays), 16)
    for d, arr in enumerate(arrays):
        one = window_signatures(arr, window=window, stride=stride, num_perm=16)
        rows = slice(batch.offsets[d], batch.offsets[d + 1])
        assert np.array_equal(batch.signatures[rows], one.signatures)
        assert np.array_equal(batch.first[rows], one.first)
        assert np.array_equal(batch.last[rows], one.last)
        assert (batch.doc[rows] == d).all()
        assert np.array_equal(batch.documents[d], one.document)


@pytest.mark.parametrize(
    ("n", "window", "stride", "spans"),
    [
        (0, 4, 2, []),
        (1, 4, 2, [(0, 1)]),
        (4, 4, 2, [(0, 4)]),
        (5, 4, 2, [(0, 4), (2, 5)]),
        (6, 4, 2, [(0, 4), (2, 6)]),
        (7, 4, 2, [(0, 4), (2, 6), (4, 7)]),
        (10, 3, 3, [(0, 3), (3, 6), (6, 9), (9, 10)]),
        (300, 128, 32, [(0, 128), (32, 160), (64, 192), (96, 224), (128, 256), (160, 288), (192, 300)]),
    ],
)
def test_window_spans(n: int, window: int, stride: int, spans: list[tuple[int, int]]) -> None:
    ws = window_signatures(np.arange(n, dtype=np.uint32), window=window, stride=stride, num_perm=4)
    assert list(zip(ws.first.tolist(), ws.last.tolist(), strict=True)) == spans


def test_empty_document_windows() -> None:
    ws = window_signatures(np.array([], dtype=np.uint32), window=128, stride=32)
    assert isinstance(ws, WindowSignatures)
    assert ws.signatures.shape == (0, DEFAULT_NUM_PERM)
    assert ws.first.shape == ws.last.shape == (0,)
    assert (ws.document == EMPTY).all()


def test_window_of_real_text() -> None:
    text = "قالت وزارة الدفاع الأمريكية (البنتاغون) أمس إنها لا تخطط حاليا لسحب قواتها البالغ عددها " * 4
    hashes = shingle(text).hashes
    ws = window_signatures(hashes, window=64, stride=16)
    assert ws.last[-1] == len(hashes)
    assert np.array_equal(ws.document, signature(hashes))
    assert np.array_equal(ws.signatures[1], signature(hashes[16:80]))


# ---------------------------------------------------------------- Jaccard


def _random_pair(rng: np.random.Generator, size: int, true_j: float) -> tuple[np.ndarray, np.ndarray]:
    """Two sets of `size` distinct uint32 values sharing round(2 * size * J / (1 + J)) of them."""
    shared = round(2 * size * true_j / (1 + true_j))
    pool = rng.choice(2**32, size=2 * size - shared, replace=False).astype(np.uint32)
    return pool[:size], pool[size - shared :]


@pytest.mark.parametrize("num_perm", [64, 128, 256])
@pytest.mark.parametrize("true_j", [0.0, 0.1, 0.3, 0.5, 0.8, 0.95, 1.0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_jaccard_estimate_within_bound(num_perm: int, true_j: float, seed: int) -> None:
    # Fixed generators make this deterministic. The bound is 4.5 standard
    # deviations of a binomial estimate (plus one slot of rounding slack), so a
    # failure means a broken estimator, not bad luck.
    rng = np.random.default_rng(1000 * seed + num_perm)
    a, b = _random_pair(rng, 2000, true_j)
    exact = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
    estimate = jaccard(signature(a, num_perm, seed=seed), signature(b, num_perm, seed=seed))
    assert abs(estimate - exact) <= 4.5 * math.sqrt(exact * (1 - exact) / num_perm) + 1 / num_perm


def test_jaccard_symmetric_and_reflexive() -> None:
    rng = np.random.default_rng(7)
    a, b = _random_pair(rng, 300, 0.4)
    sa, sb = signature(a), signature(b)
    assert jaccard(sa, sb) == jaccard(sb, sa)
    assert jaccard(sa, sa) == 1.0
    assert isinstance(jaccard(sa, sb), float)


def test_jaccard_equals_datasketch() -> None:
    rng = np.random.default_rng(8)
    a, b = _random_pair(rng, 500, 0.6)
    ma, mb = to_datasketch(signature(a)), to_datasketch(signature(b))
    assert jaccard(signature(a), signature(b)) == ma.jaccard(mb)


def test_jaccard_shape_mismatch() -> None:
    with pytest.raises(ParameterError, match=r"sig_a and sig_b must have the same shape, got \(128,\) and \(64,\)"):
        jaccard(signature(np.arange(3)), signature(np.arange(3), 64))
    with pytest.raises(ParameterError, match="empty"):
        jaccard(np.array([], np.uint32), np.array([], np.uint32))


# ---------------------------------------------------------------- datasketch interop


def test_to_datasketch_round_trip_in_lsh() -> None:
    base = "قالت وزارة الدفاع الأمريكية (البنتاغون) أمس إنها لا تخطط حاليا لسحب قواتها البالغ عددها نحو 2500 جندي"
    texts = {
        "original": base,
        "copy": base.replace("أمس", "اليوم"),
        "other": "أعلنت الحكومة المغربية عن خطة جديدة لدعم قطاع الزراعة في المناطق الريفية خلال العام المقبل",
    }
    lsh = datasketch.MinHashLSH(threshold=0.5, num_perm=128)
    sketches = {key: to_datasketch(signature(shingle(t).hashes)) for key, t in texts.items()}
    for key, m in sketches.items():
        lsh.insert(key, m)
    assert set(lsh.query(sketches["original"])) == {"original", "copy"}
    assert lsh.query(sketches["other"]) == ["other"]


def test_to_datasketch_preserves_state() -> None:
    sig = signature(np.arange(100, dtype=np.uint32), 64, seed=9)
    m = to_datasketch(sig, seed=9)
    assert m.scheme == "affine32"
    assert m.seed == 9
    assert np.array_equal(m.digest(), sig)
    direct = datasketch.MinHash(num_perm=64, seed=9, scheme="affine32", hashfunc=int)
    direct.update_batch(range(100))
    assert m == direct
    # Changing the MinHash must not write through to our signature.
    m.hashvalues[:] = 0
    assert (sig != 0).all()
    assert np.array_equal(sig, signature(np.arange(100, dtype=np.uint32), 64, seed=9))


def test_to_datasketch_rejects_non_signatures() -> None:
    with pytest.raises(ParameterError, match="sig"):
        to_datasketch(np.zeros((2, 4), np.uint32))
    with pytest.raises(ParameterError, match="sig"):
        to_datasketch(np.zeros(4, np.float64))


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize("num_perm", [0, -1, MAX_NUM_PERM + 1, 1.0, True])
def test_bad_num_perm(num_perm: object) -> None:
    with pytest.raises(ParameterError, match="num_perm"):
        signature(np.arange(3), num_perm)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="num_perm"):
        window_signatures(np.arange(3), window=2, stride=1, num_perm=num_perm)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 2**32, 0.5, None])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(ParameterError, match="seed"):
        signature(np.arange(3), seed=seed)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="seed"):
        signatures([np.arange(3)], seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("window", "stride", "message"),
    [
        (130, 64, r"window \(130\) must be a multiple of stride \(64\)"),
        (0, 1, "window must be a positive integer, got 0"),
        (4, 0, "stride must be a positive integer, got 0"),
        (-4, 2, "window must be a positive integer, got -4"),
        (4.0, 2, r"window must be a positive integer, got 4\.0"),
        (True, 1, "window must be a positive integer, got True"),
        (2, 4, r"window \(2\) must be a multiple of stride \(4\)"),
    ],
)
def test_bad_window(window: object, stride: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        window_signatures(np.arange(3), window=window, stride=stride)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=message):
        window_signatures_many([np.arange(3)], window=window, stride=stride)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hashes", "message"),
    [
        (np.zeros((2, 2), np.uint32), "hashes must be a 1-D array"),
        (np.array([1.0, 2.0]), "hashes must hold integers in .* got dtype float64"),
        (np.array([-1, 2]), r"hashes must hold integers in \[0, 2\*\*32\), got -1"),
        (np.array([2**32]), r"got 4294967296"),
    ],
)
def test_bad_hashes(hashes: np.ndarray, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        signature(hashes)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: signature([1], 0), "num_perm must be an integer from 1 to 1024, got 0"),  # type: ignore[arg-type]
        (lambda: signature([1], 2000), "num_perm must be an integer from 1 to 1024, got 2000"),  # type: ignore[arg-type]
        (lambda: permutations(8, seed=-1), r"seed must be an integer in \[0, 2\*\*32\), got -1"),
        (lambda: permutations(np.int64(0)), "num_perm must be an integer from 1 to 1024, got 0$"),  # type: ignore[arg-type]
    ],
)
def test_parameters_are_worded_as_scan_config_words_them(call: Callable[[], object], message: str) -> None:
    # (Until 2026 minhash said "num_perm (0) must be an integer in [1, 1024]" where ScanConfig and
    # dedup.lsh said "num_perm must be an integer from 1 to 1024, got 0".)
    with pytest.raises(ParameterError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: signatures(None), "hash_arrays must be a list of arrays, got None"),  # type: ignore[arg-type]  # (was: not iterable)
        (lambda: signatures(5), "hash_arrays must be a list of arrays, got 5"),  # type: ignore[arg-type]
        (lambda: signatures([np.arange(3)], parallel=1), "parallel must be True or False, got 1"),  # type: ignore[arg-type]
        (lambda: signatures_flat(np.arange(3), np.array([0.0, 3.0])), r"offsets must run from 0 to len\(hashes\)"),
        (lambda: signatures_flat(np.arange(3), None), r"offsets must run from 0 to len\(hashes\)"),  # type: ignore[arg-type]
        (
            lambda: window_signatures_many([np.arange(3)], window=2, stride=1, parallel="yes"),  # type: ignore[arg-type]
            "parallel must be True or False, got 'yes'",
        ),
        (lambda: text_signatures("abcdef", 3), "texts must be a list of str, got 'abcdef'"),
        (lambda: text_signatures(None, 3), "texts must be a list of str, got None"),  # type: ignore[arg-type]
        (lambda: text_signatures(["abc", None], 3), r"texts\[1\] must be a str; got NoneType"),  # type: ignore[list-item]
        (lambda: text_signatures(["ab\udc80cdef"], 3), r"texts\[0\] must hold no lone surrogate; got U\+DC80"),
        (lambda: text_signatures(["abc"], 3, hash_seed=-1), r"hash_seed must be an integer in \[0, 2\*\*32\), got -1"),
        (lambda: text_signatures(["abc"], 0), "ngram must be a positive integer, got 0"),
    ],
)
def test_wrong_input_is_a_parameter_error_naming_it(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        call()


def test_text_signatures_take_any_collection_of_texts() -> None:
    texts = ["قالت وزارة الدفاع", "abc def"]
    expected = text_signatures(texts, 3, 8)
    assert (text_signatures(tuple(texts), 3, 8) == expected).all()
    assert (text_signatures(iter(texts), 3, 8) == expected).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sketch(None), "texts must be a list of str, got None"),  # type: ignore[arg-type]  # (was: a raw TypeError)
        (lambda: sketch(5), "texts must be a list of str, got 5"),  # type: ignore[arg-type]
        (lambda: sketch([b"bytes"]), r"texts\[0\] must be a str; got bytes"),  # type: ignore[list-item]
        (lambda: sketch("abc", ngram=0), "ngram must be a positive integer, got 0"),
        (lambda: sketch("abc", num_perm=2000), "num_perm must be an integer from 1 to 1024, got 2000"),
        # With no text, no stage sees the parameters: they are checked where they enter.
        (lambda: sketch([], ngram=0), "ngram must be a positive integer, got 0"),
        (lambda: sketch([], profile="x"), "profile must be one of arabic, basic, got 'x'"),
        (lambda: sketch([], seed=-1), r"seed must be an integer in \[0, 2\*\*32\), got -1"),
    ],
)
def test_sketch_refuses_what_is_not_texts_or_a_parameter(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        call()


def test_bad_hashes_in_batch_named_by_index() -> None:
    with pytest.raises(ParameterError, match=r"hash_arrays\[1\]"):
        signatures([np.arange(3), np.array([-5])])


def test_results_are_frozen() -> None:
    ws = window_signatures(np.arange(3), window=2, stride=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ws.document = ws.document  # type: ignore[misc]


def test_flat_forms_equal_the_list_forms() -> None:
    from dedup.minhash import signatures_flat, window_signatures_flat

    rng = np.random.default_rng(5)
    arrays = [rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32) for n in (0, 3, 40, 129, 7)]
    offsets = np.concatenate(([0], np.cumsum([len(a) for a in arrays])))
    flat = np.concatenate(arrays)
    assert (signatures_flat(flat, offsets, 16) == signatures(arrays, 16)).all()
    a = window_signatures_flat(flat, offsets, window=8, stride=4, num_perm=16)
    b = window_signatures_many(arrays, window=8, stride=4, num_perm=16)
    for field in ("signatures", "first", "last", "doc", "offsets", "documents"):
        assert (getattr(a, field) == getattr(b, field)).all(), field
    with pytest.raises(ParameterError):
        signatures_flat(flat, offsets[:-1], 16)


@given(
    texts=st.lists(st.text(alphabet=st.sampled_from(list("بتث a7.€😀ж")), max_size=50), max_size=8),
    ngram=st.integers(1, 7),
    num_perm=st.sampled_from([1, 8, 128]),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=150, deadline=None)
def test_text_signatures_equal_datasketch_bulk(texts: list[str], ngram: int, num_perm: int, seed: int) -> None:
    from dedup.minhash import text_signatures
    from dedup.shingle import shingle_strings

    ours = text_signatures(texts, ngram, num_perm, seed=seed)
    grams = [[g.encode("utf-8") for g in shingle_strings(t, ngram)] for t in texts]
    theirs = datasketch.MinHash.bulk(
        grams, num_perm=num_perm, seed=seed, hashfunc=xxhash.xxh32_intdigest, scheme="affine32"
    ) if texts else []  # fmt: skip
    assert ours.shape == (len(texts), num_perm)
    for row, m in zip(ours, theirs, strict=True):
        assert row.tolist() == m.hashvalues.tolist()
