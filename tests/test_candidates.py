"""Candidate pairs: every band counted, the rules for buckets and briefs, any threads and buffers."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from unittest import mock

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from references import linked_components

from dedup import candidates
from dedup.candidates import candidate_pairs, candidate_pairs_banded, chained_pairs
from dedup.errors import ParameterError


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5)), min_size=1, max_size=40))
def test_candidates_match_brute_force(items: list[tuple[int, int]]) -> None:
    """Every pair of documents with a shared key and different sources, and nothing else."""
    rng = np.random.default_rng(len(items))
    keys = rng.integers(0, 4, size=(len(items), 3)).astype(np.uint64)
    groups = np.array([g for g, _ in items], dtype=np.int64)
    sources = groups % 2  # documents 0 and 2 share a source, as do 1 and 3
    found = candidate_pairs(keys, groups, sources)
    expected: dict[tuple[int, int], int] = {}
    for band in range(keys.shape[1]):
        pairs_in_band = set()
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                if keys[i, band] == keys[j, band] and groups[i] != groups[j] and sources[i] != sources[j]:
                    pairs_in_band.add((min(groups[i], groups[j]), max(groups[i], groups[j])))
        for pair in pairs_in_band:
            expected[pair] = expected.get(pair, 0) + 1
    got = {(int(a), int(b)): int(n) for a, b, n in zip(found.left, found.right, found.shared_bands, strict=True)}
    assert got == expected


def test_same_source_pairs_only_when_asked() -> None:
    keys = np.array([[5], [5]], dtype=np.uint64)
    groups = np.array([0, 1])
    sources = np.array([7, 7])
    assert len(candidate_pairs(keys, groups, sources).left) == 0
    assert len(candidate_pairs(keys, groups, sources, same_source=True).left) == 1


def test_oversized_buckets_are_suppressed_counted_and_chained() -> None:
    """A bucket over max_bucket pairs each document with the next in the chain order only."""
    keys = np.full((10, 1), 9, dtype=np.uint64)
    found = candidate_pairs(keys, np.arange(10), np.arange(10), max_bucket=5)
    assert found.suppressed == 1
    assert list(zip(found.left.tolist(), found.right.tolist(), strict=True)) == [(i, i + 1) for i in range(9)]
    backwards = candidate_pairs(keys, np.arange(10), np.arange(10), max_bucket=5, chain=np.arange(10)[::-1].copy())
    assert backwards.left.tolist() == found.left.tolist() and backwards.right.tolist() == found.right.tolist()
    odd_first = np.argsort(np.r_[np.arange(1, 10, 2), np.arange(0, 10, 2)])  # chain 1 3 5 7 9 0 2 4 6 8
    shuffled = candidate_pairs(keys, np.arange(10), np.arange(10), max_bucket=5, chain=odd_first)
    assert sorted(zip(shuffled.left.tolist(), shuffled.right.tolist(), strict=True)) == sorted(
        [(1, 3), (3, 5), (5, 7), (7, 9), (0, 9), (0, 2), (2, 4), (4, 6), (6, 8)]
    )
    one_outlet = candidate_pairs(keys, np.arange(10), np.zeros(10, dtype=np.int64), max_bucket=5)
    assert len(one_outlet.left) == 0 and one_outlet.suppressed == 1  # (an outlet's own text links nothing)


def _chain_reference(docs: dict[int, int], order: list[int], same_source: bool) -> set[tuple[int, int]]:
    """The pairs of a chained bucket, plainly: each document (``docs``: its source) in ``order`` with
    the first later one of another source, else the last earlier one."""
    pairs = set()
    for j, g in enumerate(order):
        later = [h for h in order[j + 1 :] if same_source or docs[h] != docs[g]]
        earlier = [h for h in order[:j] if same_source or docs[h] != docs[g]]
        partner = later[0] if later else earlier[-1] if earlier else None
        if partner is not None:
            pairs.add((min(g, partner), max(g, partner)))
    return pairs


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3)), min_size=1, max_size=40),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_a_chain_links_every_document_of_a_bucket_of_two_sources(
    members: list[tuple[int, int]], same_source: bool, random: object
) -> None:
    """At most one pair fewer than the documents, each across sources (unless same_source), the
    reference's pairs, and one component holding every document when the bucket has two sources."""
    source_of = {doc: source for doc, source in reversed(members)}  # (a document's first member names its source)
    docs = sorted(source_of)
    keys = list(range(len(docs)))
    random.shuffle(keys)  # type: ignore[attr-defined]
    key = dict(zip(docs, keys, strict=True))
    lo, hi = chained_pairs(
        np.array([key[d] for d, _ in members], dtype=np.int64),
        np.array([d for d, _ in members], dtype=np.int64),
        np.array([s for _, s in members], dtype=np.int64),
        same_source,
    )
    pairs = list(zip(lo.tolist(), hi.tolist(), strict=True))
    assert len(set(pairs)) == len(pairs) <= max(len(docs) - 1, 0)
    assert set(pairs) == _chain_reference(source_of, sorted(docs, key=key.__getitem__), same_source)
    assert all(a < b and (same_source or source_of[a] != source_of[b]) for a, b in pairs)
    if same_source or len(set(source_of.values())) > 1:
        labels = linked_components(len(docs), lambda i, j: (docs[i], docs[j]) in set(pairs))
        assert set(labels) == {0}


def _skipped_reference(keys: npt.NDArray[np.uint64], groups: npt.NDArray[np.int64], max_bucket: int) -> list[list[int]]:
    """Rows (band, key, first group, next other group or -1, items) of the buckets over max_bucket, plainly."""
    rows = []
    for band in range(keys.shape[1]):
        for key in sorted(set(keys[:, band].tolist())):
            members = [int(g) for k, g in zip(keys[:, band].tolist(), groups.tolist(), strict=True) if k == key]
            if len(members) > max_bucket:
                other = next((g for g in members if g != members[0]), -1)
                rows.append([band, key, members[0], other, len(members)])
    return rows


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 6)), min_size=1, max_size=60),
    st.integers(2, 6),
)
def test_skipped_buckets_name_their_first_two_groups(items: list[tuple[int, int, int]], max_bucket: int) -> None:
    """Each skipped bucket is one row: its band and key, its first item's group in input order, the
    next group among its items, and its size; the same from every path through the kernel."""
    keys = np.array([[k0, k1] for k0, k1, _ in items], dtype=np.uint64)
    groups = np.sort(np.array([g for _, _, g in items], dtype=np.int64))  # items in group order, as windows are
    want = _skipped_reference(keys, groups, max_bucket)
    cols = [keys[:, 0].astype(np.uint32), keys[:, 1].astype(np.uint32)]
    # Sources by group (keys packed with the group) or by item (packed with the item).
    for sources in (groups, groups % 2, np.arange(len(groups)) % 3):
        whole = candidate_pairs(keys, groups, sources, max_bucket=max_bucket, same_source=True)
        banded = candidate_pairs_banded(cols.__getitem__, 2, groups, sources, max_bucket=max_bucket, same_source=True)
        for found in (whole, banded):
            assert found.buckets.tolist() == want and found.suppressed == len(want)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=40))
def test_candidate_pairs_banded_equals_candidate_pairs(items: list[tuple[int, int, int]]) -> None:
    keys = np.array([[k0, k1] for k0, k1, _ in items], dtype=np.uint64)
    groups = np.arange(len(items)) // 2
    sources = np.array([s for _, _, s in items])
    a = candidate_pairs(keys, groups, sources, max_bucket=4)
    cols = [keys[:, 0].astype(np.uint32), keys[:, 1].astype(np.uint32)]
    b = candidate_pairs_banded(cols.__getitem__, 2, groups, sources, max_bucket=4)
    assert a.left.tolist() == b.left.tolist() and a.right.tolist() == b.right.tolist()
    assert a.shared_bands.tolist() == b.shared_bands.tolist() and a.suppressed == b.suppressed


@pytest.mark.parametrize("min_shared", [1, 2, 3])
def test_candidate_pairs_banded_slices_and_min_shared(min_shared: int) -> None:
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 30, (400, 6)).astype(np.uint32)
    groups = np.arange(400) // 4
    sources = groups % 7
    whole = candidate_pairs(keys.astype(np.uint64), groups, sources, max_bucket=40)
    keep = whole.shared_bands >= min_shared
    cols = [np.ascontiguousarray(keys[:, b]) for b in range(6)]
    for budget in (4000, 1 << 30):
        got = candidate_pairs_banded(
            cols.__getitem__, 6, groups, sources, max_bucket=40, min_shared=min_shared, budget=budget
        )
        assert got.left.tolist() == whole.left[keep].tolist()
        assert got.right.tolist() == whole.right[keep].tolist()
        assert got.shared_bands.tolist() == whole.shared_bands[keep].tolist()
        assert got.suppressed == whole.suppressed


def _brute_force(
    cols: list[npt.NDArray[np.generic]],
    groups: npt.NDArray[np.int64],
    sources: npt.NDArray[np.int64],
    same_source: bool,
    max_bucket: int,
    min_shared: int,
    chain: npt.NDArray[np.int64] | None = None,
) -> tuple[list[int], list[int], list[int], int]:
    """The candidates by their definition: every item pair of every bucket, a band counted once per
    pair; a bucket over max_bucket, the pairs of its chain in the order of ``chain`` (default: group numbers)."""
    counts: Counter[tuple[int, int]] = Counter()
    suppressed = 0
    for keys in cols:
        buckets: defaultdict[object, list[int]] = defaultdict(list)
        for i, key in enumerate(keys.tolist()):
            buckets[key].append(i)
        in_band = set()
        for members in buckets.values():
            if len(members) > max_bucket:
                suppressed += 1
                first_source: dict[int, int] = {}
                for i in members:
                    first_source.setdefault(int(groups[i]), int(sources[i]))
                order = sorted(first_source, key=lambda g: g if chain is None else int(chain[g]))
                in_band |= _chain_reference(first_source, order, same_source)
                continue
            for a, b in itertools.combinations(members, 2):
                ga, gb = int(groups[a]), int(groups[b])
                if ga != gb and (same_source or sources[a] != sources[b]):
                    in_band.add((min(ga, gb), max(ga, gb)))
        counts.update(in_band)
    kept = sorted((pair, n) for pair, n in counts.items() if n >= min_shared)
    return [a for (a, _), _ in kept], [b for (_, b), _ in kept], [n for _, n in kept], suppressed


@settings(max_examples=150, deadline=None)
@given(
    items=st.integers(0, 60),
    bands=st.integers(1, 4),
    distinct_keys=st.integers(1, 8),
    layout=st.sampled_from(["scan", "shuffled", "sparse"]),
    dtype=st.sampled_from([np.uint32, np.uint16, np.uint64]),
    same_source=st.booleans(),
    max_bucket=st.integers(2, 12),
    min_shared=st.integers(1, 3),
    budget=st.sampled_from([8, 64, 1 << 30]),
    threads=st.sampled_from([1, 2]),
    small_buffers=st.booleans(),
    table_from_first_band=st.booleans(),
    filtered=st.booleans(),
    partial=st.booleans(),
    chained=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_candidate_pairs_banded_match_brute_force(
    items: int,
    bands: int,
    distinct_keys: int,
    layout: str,
    dtype: type[np.unsignedinteger],
    same_source: bool,
    max_bucket: int,
    min_shared: int,
    budget: int,
    threads: int,
    small_buffers: bool,
    table_from_first_band: bool,
    filtered: bool,
    partial: bool,
    chained: bool,
    seed: int,
) -> None:
    """Every path of the fast search (per document or per item, sliced, threaded, buffers grown or
    flushed, pair counts split between threads, a pair table taking over the counts after the
    first band or when they outgrow it, read a few rows at a time; a stricter rule applied as the
    pairs come; a last band holding some items only; skipped buckets chained in any order) gives
    the pairs the definition gives."""

    def rule(left: np.ndarray, right: np.ndarray, shared: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = ((left + right) % 3 != 0) | (shared >= 2)
        return left[keep], right[keep], shared[keep]

    rng = np.random.default_rng(seed)
    cols = [rng.integers(0, distinct_keys, items).astype(dtype) for _ in range(bands)]
    if layout == "scan":  # windows in document order, one source per document
        groups = np.sort(rng.integers(0, max(1, items // 3), items))
        sources = (groups * 7 + seed) % 3
    elif layout == "shuffled":  # any order, sources per window
        groups = rng.integers(0, 8, items)
        sources = rng.integers(0, 3, items)
    else:  # document numbers far apart
        groups = rng.integers(0, 5, items) * 100_003
        sources = groups % 2
    first, step, split = (
        (2, 4, 1) if small_buffers else (candidates._FIRST_PAIRS, candidates._STEP_PAIRS, candidates._SPLIT)
    )
    # A last band of some items only: the definition sees a key of its own (none other equals it) for the rest.
    held = np.flatnonzero(rng.random(items) < 0.5) if partial else None
    given = list(cols)
    if held is not None:
        outside = np.setdiff1d(np.arange(items), held)
        cols[-1] = cols[-1].copy()
        cols[-1][outside] = distinct_keys + 1 + outside
        given[-1] = cols[-1][held]
    members = [None] * (bands - 1) + [held]
    chain = rng.permutation(int(groups.max(initial=0)) + 1) if chained else None
    table_bytes = candidates._PairTable.nbytes_for
    if table_from_first_band and layout != "sparse":  # (a table of 500,000 groups would not fit)
        table_bytes = staticmethod(lambda top, bands: 0)  # type: ignore[assignment]
    with (
        mock.patch.multiple(candidates, _threads=lambda: threads, _FIRST_PAIRS=first, _STEP_PAIRS=step, _SPLIT=split),
        mock.patch.object(candidates._PairTable, "nbytes_for", table_bytes),
    ):
        got = candidate_pairs_banded(
            given.__getitem__, bands, groups, sources, same_source=same_source, max_bucket=max_bucket,
            min_shared=min_shared, budget=budget, accept=rule if filtered else None, members=members.__getitem__,
            chain=chain,
        )  # fmt: skip
    left, right, shared, suppressed = _brute_force(cols, groups, sources, same_source, max_bucket, min_shared, chain)
    if filtered:
        kept = rule(np.array(left, dtype=np.int64), np.array(right, dtype=np.int64), np.array(shared, dtype=np.int64))
        left, right, shared = (part.tolist() for part in kept)
    assert got.left.tolist() == left and got.right.tolist() == right and got.shared_bands.tolist() == shared
    assert got.suppressed == suppressed
    assert got.left.dtype == got.right.dtype == got.shared_bands.dtype == np.int64


@pytest.mark.parametrize("path", ["counts", "table", "spilled"])
def test_a_stricter_rule_applied_as_pairs_come_keeps_what_it_keeps_afterwards(path: str) -> None:
    """``accept`` on each part of the counted pairs (runs merged, the pair table a few rows at a
    time, the spilled runs a range at a time) gives the pairs of the rule applied to the result."""
    rng = np.random.default_rng(3)
    windows = 3_000
    groups = np.sort(rng.integers(0, 300, windows))
    cols = [rng.integers(0, 400, windows).astype(np.uint32) for _ in range(5)]
    calls = []

    def rule(left: np.ndarray, right: np.ndarray, shared: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        calls.append(len(left))
        keep = ((left + right) % 3 != 0) | (shared >= 2)
        return left[keep], right[keep], shared[keep]

    table_bytes = staticmethod(lambda top, bands: 0 if path == "table" else 1 << 40)
    budget = 1 << 30 if path == "counts" else 1 << 12  # (the table read budget / 16 cells at a time)
    with mock.patch.object(candidates._PairTable, "nbytes_for", table_bytes):
        plain = candidate_pairs_banded(cols.__getitem__, 5, groups, groups, max_bucket=64, budget=budget)
        got = candidate_pairs_banded(
            cols.__getitem__, 5, groups, groups, max_bucket=64, budget=budget, accept=rule
        )  # fmt: skip
    parts = len(calls)
    want = rule(plain.left, plain.right, plain.shared_bands)
    assert len(want[0]) < len(plain.left)  # (the rule drops some)
    assert got.left.tolist() == want[0].tolist() and got.right.tolist() == want[1].tolist()
    assert got.shared_bands.tolist() == want[2].tolist()
    assert parts > 2 if path != "counts" else parts >= 1  # (a part at a time on the table and spilled paths)


def test_candidate_pairs_banded_same_with_any_threads() -> None:
    """Threads change neither the pairs nor their order, on a corpus large enough to split the count."""
    rng = np.random.default_rng(7)
    windows = 60_000
    groups = np.sort(rng.integers(0, 3_000, windows))
    sources = groups % 40
    cols = [rng.integers(0, 20_000, windows).astype(np.uint32) for _ in range(6)]
    results = []
    for threads in (1, 2):
        with mock.patch.object(candidates, "_threads", lambda threads=threads: threads):
            results.append(candidate_pairs_banded(cols.__getitem__, 6, groups, sources, max_bucket=64))
    one, two = results
    assert len(one.left) > candidates._SPLIT  # the two-thread count splits the pairs
    assert np.array_equal(one.left, two.left) and np.array_equal(one.right, two.right)
    assert np.array_equal(one.shared_bands, two.shared_bands) and one.suppressed == two.suppressed
    assert np.all(np.diff((one.left << 32) | one.right) > 0)


def test_band_larger_than_the_pair_buffer() -> None:
    """A bucket with more pairs than the first buffer holds grows it and loses none."""
    keys = np.zeros(600, dtype=np.uint32)
    groups = np.arange(600)
    got = candidate_pairs_banded([keys].__getitem__, 1, groups, groups, max_bucket=1_000)
    assert len(got.left) == 600 * 599 // 2 > candidates._FIRST_PAIRS
    assert got.left.tolist() == [a for a in range(600) for _ in range(a + 1, 600)]
    assert got.right.tolist() == [b for a in range(600) for b in range(a + 1, 600)]


def test_candidate_pairs_banded_rejects_a_wrong_column() -> None:
    cols = [np.zeros(4, np.uint32), np.zeros(3, np.uint32)]
    with pytest.raises(ParameterError, match=r"band 1 has 3 keys, expected 4 \(one for each item\)"):
        candidate_pairs_banded(cols.__getitem__, 2, np.arange(4), np.arange(4))
    members = [None, np.array([0, 2])]
    with pytest.raises(ParameterError, match=r"band 1 has 3 keys, expected 2 \(one for each of its members\)"):
        candidate_pairs_banded(cols.__getitem__, 2, np.arange(4), np.arange(4), members=members.__getitem__)
    members = [None, np.array([2, 1, 3])]
    with pytest.raises(ParameterError, match="band 1's members must be ascending item indices below 4, got 2, 1, 3"):
        candidate_pairs_banded(cols.__getitem__, 2, np.arange(4), np.arange(4), members=members.__getitem__)
    with pytest.raises(ParameterError, match=r"groups \(4\) and sources \(3\) must have one value for each item"):
        candidate_pairs_banded(cols.__getitem__, 2, np.arange(4), np.arange(3))


@pytest.mark.parametrize("seed", [0, 1])
def test_buckets_across_the_kernel_blocks(seed: int) -> None:
    """Buckets that straddle the kernel's blocks of sorted keys are still seen whole, once."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 10, 2_500)
    keys = np.repeat(rng.permutation(len(sizes)), sizes).astype(np.uint32)
    groups = rng.integers(0, 400, len(keys))
    sources = groups % 9
    got = candidate_pairs_banded([keys].__getitem__, 1, groups, sources, max_bucket=6)
    left, right, shared, suppressed = _brute_force([keys], groups, sources, False, 6, 1)
    assert len(keys) > 3 * candidates._BLOCK
    assert got.left.tolist() == left and got.right.tolist() == right and got.shared_bands.tolist() == shared
    assert got.suppressed == suppressed


_runs = st.lists(st.sets(st.integers(0, 60), max_size=25).map(sorted), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(_runs, st.integers(0, 12), st.integers(1, 3), st.booleans())
def test_pair_counts_equal_counting_every_band(
    bands: list[list[int]], spill_at: int, min_shared: int, split: bool
) -> None:
    """Merged as they come, spilled at any point, split over two threads: the counts of a plain count."""
    from dedup.store import SortedRuns

    expected = Counter(value for band in bands for value in band)
    counts = candidates._PairCounts(len(bands))
    runs = None
    for at, band in enumerate(bands):
        values = np.array(band, dtype=np.uint64) + (np.array(band, dtype=np.uint64) << np.uint64(32))
        if runs is None:
            counts.add(values)
            assert len(counts.runs) <= 1 + int(np.log2(at + 1)) + 1
            if at == spill_at:
                runs = SortedRuns(np.array([20, 40], dtype=np.uint64) * ((1 << 32) + 1))
                counts.spill(runs)
                assert counts.runs == [] and counts.nbytes == 0
        else:
            runs.add(values)
    if runs is None:
        with mock.patch.object(candidates, "_SPLIT", 1 if split else 1 << 30):
            got = counts.candidates(min_shared, threads=2)
    else:
        got = candidates._count_runs(runs, min_shared, 10)
        runs.close()
    kept = sorted((v, n) for v, n in expected.items() if n >= min_shared)
    assert got.left.tolist() == [v for v, _ in kept] and got.right.tolist() == [v for v, _ in kept]
    assert got.shared_bands.tolist() == [n for _, n in kept] and got.suppressed == 0


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, 2**64 - 1)), st.sets(st.integers(0, 2**64 - 1)), st.integers(1, 200))
def test_merge_counts_is_the_counted_union(x: set[int], y: set[int], count: int) -> None:
    from dedup._arrays import merge_counts

    xs, ys = sorted(x), sorted(y)
    values, counts = merge_counts(
        np.array(xs, dtype=np.uint64), np.full(len(xs), count, dtype=np.uint16),
        np.array(ys, dtype=np.uint64), np.ones(len(ys), dtype=np.uint16),
    )  # fmt: skip
    assert values.tolist() == sorted(x | y) and counts.dtype == np.uint16
    assert counts.tolist() == [(count if v in x else 0) + (v in y) for v in sorted(x | y)]


def test_candidate_pairs_refuses_a_truthy_same_source() -> None:
    # ("no" is truthy: before, it compared an outlet's documents with each other)
    keys = np.array([[1, 7], [1, 7]], dtype=np.uint64)
    with pytest.raises(ParameterError, match="same_source must be True or False, got 'no'"):
        candidate_pairs(keys, np.array([0, 1]), np.array([0, 0]), same_source="no")  # type: ignore[arg-type]
    assert len(candidate_pairs(keys, np.array([0, 1]), np.array([0, 0])).left) == 0


def test_chain_ranks_order_by_key_then_by_id() -> None:
    """The chain order is the documents' keys', and their ids' where two keys are one."""
    from dedup.candidates import chain_ranks, document_key

    ids = ["d3", "a", "d10", "b"]
    by_key = sorted(range(len(ids)), key=lambda i: document_key(ids[i]))
    assert np.argsort(chain_ranks(ids)).tolist() == by_key
    with mock.patch.object(candidates.xxhash, "xxh64_intdigest", lambda data: 7):  # every key one
        assert np.argsort(chain_ranks(ids)).tolist() == [1, 3, 2, 0]
