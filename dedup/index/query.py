"""A query against the archive: the scan's candidate rule on the archive's stored band keys, then the scan's alignment.

The query documents are sketched by the scan's own index (:class:`dedup.scan._Index`). For every
(band, key) of their windows, the archive's entries with that key are looked up in the segments;
a bucket holding more than ``max_bucket`` windows (archive and query together, as in a scan of
both) is suppressed; pairs of documents sharing a key in at least ``min_bands`` bands become
candidates, counted by the LSH stage's own counter. The candidates are aligned and scored by the
scan's per-pair code (:class:`dedup.scan._AlignChunk`) over a small index-like object holding the
query documents and the archive documents they collide with, with the archive's statistics plus
the query's: a scan of the archive and the query together would find the same passages.
"""

from __future__ import annotations

import itertools
from collections.abc import Container, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._arrays import distinct, distinct_counts
from ..agencies import wire_agency
from ..boilerplate import Boilerplate, source_salt
from ..budget import per_document_budget
from ..candidates import _count_shared, chain_ranks, chained_pairs
from ..common import common_texts
from ..config import ScanConfig
from ..dates import period
from ..errors import ParameterError
from ..pairs import least_bands, needed_bands
from ..records import CommonText, Document, Pair, Passage
from ..recount import exact_boilerplate, exact_sources
from ..scan import ScanResult, _AlignChunk, _Index, _Prepared
from ..schedule import chunks
from ..store import DocumentStore
from .segments import Segment
from .stats import Statistics

__all__ = ["QueryKeys", "run_query"]

_LOW32 = np.uint64(0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class QueryKeys:
    """The query's band keys: distinct (band, key) buckets, and the query documents in each.

    ``bucket_band``/``bucket_key``/``bucket_windows``: one row per distinct (band, key) with the
    query windows in it. ``entry_bucket``/``entry_doc``: one row per (bucket, query document),
    sorted by bucket then document.
    """

    bucket_band: npt.NDArray[np.int64]
    bucket_key: npt.NDArray[np.uint32]
    bucket_windows: npt.NDArray[np.int64]
    entry_bucket: npt.NDArray[np.int64]
    entry_doc: npt.NDArray[np.int64]

    @classmethod
    def of(cls, batch: _Index, window_doc: npt.NDArray[np.int64]) -> QueryKeys:
        """The keys of a finished scan index of the query documents."""
        n = len(batch.documents)
        # (band, key, document) packed in one number: the band's bits (up to 10: num_perm 1,024 in
        # bands of one row), 32 of key, the rest (22 to 31) for the document; one sort for every band.
        doc_bits = 32 - max(1, (batch.all_bands - 1).bit_length())
        if n >= 1 << doc_bits:
            raise ParameterError(
                f"a query of an index of {batch.all_bands} bands holds at most {1 << doc_bits:,} documents, got {n:,}"
            )
        shift, mask = np.uint64(doc_bits), np.uint64((1 << doc_bits) - 1)
        rows = []
        for b in range(batch.all_bands):
            held = batch.members(b)
            docs = window_doc if held is None else window_doc[held]
            rows.append((np.uint64(b) << np.uint64(32 + doc_bits)) | (batch.column(b).astype(np.uint64) << shift))
            rows[-1] |= docs.astype(np.uint64)
        packed = np.concatenate(rows) if rows else np.zeros(0, np.uint64)
        values, counts = distinct_counts(packed)
        bucket_of = values >> shift
        new = np.ones(len(values), dtype=np.bool_)
        new[1:] = bucket_of[1:] != bucket_of[:-1]
        starts = np.flatnonzero(new)
        first = bucket_of[starts]
        return cls(
            (first >> np.uint64(32)).astype(np.int64),
            (first & _LOW32).astype(np.uint32),
            np.add.reduceat(counts, starts).astype(np.int64) if len(starts) else np.zeros(0, np.int64),
            np.cumsum(new) - 1,
            (values & mask).astype(np.int64),
        )


class _Corpus:
    """The scan's index as far as its alignment code reads it: configuration, documents, signatures, statistics.

    Per document: its source id (the archive's ids, stable across adds), its date's period as
    timestamps (:func:`dedup.dates.period`: NaN when it has none), whether its source names a wire
    agency (:func:`dedup.agencies.wire_agency`) and its window count, read by the pair score and the
    short-document rules.
    """

    def __init__(
        self,
        config: ScanConfig,
        documents: DocumentStore,
        signatures: Any,
        stats: Statistics,
        doc_source: list[int],
        doc_time: list[float],
        doc_until: list[float],
        doc_agency: list[bool],
        window_counts: npt.NDArray[np.int64],
    ) -> None:
        self.config = config
        self.documents = documents
        self.doc_signatures = signatures
        self.seed_counts = stats.counts
        self.doc_source = doc_source
        self.doc_time = doc_time
        self.doc_until = doc_until
        self.doc_agency = doc_agency
        self.window_counts = window_counts
        # _Prepared makes a filter for every source id below len(sources); the query sets the
        # filters of its own documents' sources instead (an archive of sourceless documents has
        # as many sources as documents).
        self.sources: dict[str, int] = {}
        # Which keys two sources hold is not stored (an archive would have to keep it exact across
        # removals): prepared documents keep every key, which gives the same seeds, at a slower join.
        self.key_sources = None
        self.threads = 1  # (no source's boilerplate is counted exactly for _Prepared: the query counts them)


def _exact_boilerplate(
    config: ScanConfig,
    batch: _Index,
    stats: Statistics,
    names: dict[int, str],
    removed: npt.NDArray[np.uint32],
    source_numbers: Any,
    fetch: Any,
    text_of: Any,
    wanted: Container[int],
) -> dict[int, npt.NDArray[np.uint64]]:
    """The exact boilerplate of the sources the statistics' sketch is too full for: their archive
    documents (less ``removed``) and query documents, as the statistics count them.

    A source's texts are read when its count starts (:func:`dedup.recount.exact_boilerplate` holds
    those of a few sources at once): an archive's small outlets are most of its documents, and
    reading every one's texts first held the archive's text in memory for each query.
    """
    share = config.source_df
    exact = [s for s in exact_sources(stats.counts, share) if s in wanted]
    if not exact or source_numbers is None:
        return {}
    gone = set(removed.tolist())
    stored = source_numbers([names[s] for s in exact])
    queried: dict[int, list[int]] = {}
    for q in range(len(batch.documents)):
        queried.setdefault(batch.doc_source[q], []).append(q)

    def texts_of(source: int) -> Iterator[str]:
        nums = [num for num in stored.get(names[source], ()) if num not in gone]
        for k in range(0, len(nums), 500):
            for row in fetch(nums[k : k + 500]):
                yield text_of(row)
        for q in queried.get(source, ()):
            yield batch.documents.document(q).text

    return exact_boilerplate(stats.counts, share, texts_of, config, set(exact), threads=batch.threads)


def _ranges(lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], ...]:
    """For ranges [lo[i], hi[i]): each range's index i repeated, and every position, flattened."""
    lengths = np.maximum(hi - lo, 0)
    total = int(lengths.sum())
    owner = np.repeat(np.arange(len(lo), dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    return owner, np.arange(total, dtype=np.int64) + np.repeat(lo - starts, lengths)


def _band_ranges(bands: npt.NDArray[np.int64], count: int) -> list[tuple[int, int]]:
    """Where each band's entries lie in entries sorted by bucket, when a bucket's band grows with it.

    Buckets are numbered band by band (:class:`QueryKeys`), so entries sorted by bucket are sorted
    by band too, and each band's are one range.
    """
    bounds = np.searchsorted(bands, np.arange(count + 1), "left").tolist()
    return list(itertools.pairwise(bounds))


def _band_pairs(
    a_bucket: npt.NDArray[np.int64],
    a_local: npt.NDArray[np.int64],
    q_bucket: npt.NDArray[np.int64],
    q_local: npt.NDArray[np.int64],
    chained: npt.NDArray[np.uint64],
) -> npt.NDArray[np.uint64]:
    """The distinct (archive or query, query) pairs of one band's buckets, packed low << 32 | high, with
    the band's ``chained`` pairs (of its suppressed buckets, packed alike)."""
    q_owner, at = _ranges(np.searchsorted(a_bucket, q_bucket, "left"), np.searchsorted(a_bucket, q_bucket, "right"))
    low, high = [a_local[at]], [q_local[q_owner]]
    q_owner, at = _ranges(np.arange(len(q_bucket), dtype=np.int64) + 1, np.searchsorted(q_bucket, q_bucket, "right"))
    low.append(q_local[q_owner])
    high.append(q_local[at])
    packed = (np.concatenate(low).astype(np.uint64) << np.uint64(32)) | np.concatenate(high).astype(np.uint64)
    return distinct(np.concatenate([packed, chained]))


def run_query(
    config: ScanConfig,
    batch: _Index,
    window_doc: npt.NDArray[np.int64],
    segments: list[Segment],
    removed: npt.NDArray[np.uint32],
    stats: Statistics,
    fetch: Any,
    windows_of: Any,
    text_of: Any,
    outlets: Any,
    source_numbers: Any = None,
    source_problem: Any = None,
) -> ScanResult:
    """Passages and pairs between the finished query batch and the archive (and among the batch).

    ``removed`` are archive numbers to leave out (removed documents, archive copies of query
    documents); ``stats`` the statistics of the archive without them plus the batch's;
    ``fetch(nums)`` returns the stored rows (:data:`dedup.index.store.Row`) of archive documents,
    ``windows_of(nums)`` their window counts (-1 for a number with no document), ``text_of(row)`` a
    row's text; ``outlets(nums)`` the id and outlet of archive documents by number (those that
    exist), for the buckets a scan would chain (:func:`_chains`); ``source_numbers(names)`` gives
    the numbers of the archive documents of each source named, for the sources whose boilerplate is
    counted exactly (:mod:`dedup.recount`); ``source_problem(id, source)`` the error for an archive
    document whose source has no id (a damaged catalogue).
    """
    qk = QueryKeys.of(batch, window_doc)
    buckets = len(qk.bucket_key)
    cap = config.max_bucket if len(removed) == 0 else None
    which, docs, counts, overflow = [], [], [], []
    for seg in segments:
        m = seg.lookup(qk.bucket_band, qk.bucket_key, cap)
        which.append(m.which)
        docs.append(m.docs)
        counts.append(m.counts)
        overflow.append(m.overflow)
    a_bucket = np.concatenate(which) if which else np.zeros(0, np.int64)
    a_doc = np.concatenate(docs) if docs else np.zeros(0, np.uint32)
    a_count = np.concatenate(counts).astype(np.int64) if counts else np.zeros(0, np.int64)
    if len(removed):
        keep = ~np.isin(a_doc, removed)
        a_bucket, a_doc, a_count = a_bucket[keep], a_doc[keep], a_count[keep]
    # A bucket of more than max_bucket windows (the archive's and the query's) is boilerplate, as in the scan.
    windows = qk.bucket_windows + np.bincount(a_bucket, weights=a_count, minlength=buckets).astype(np.int64)
    suppressed = windows > config.max_bucket
    for o in overflow:
        suppressed[o] = True
    # Every archive entry of the suppressed buckets (the lookup above stopped at the cap): what
    # they hold names their text, and their documents are chained.
    entries = _entries(qk, np.flatnonzero(suppressed), segments, removed)
    common = _common(qk, suppressed, batch, config, entries, fetch, text_of)
    chain_band, chain_x, chain_y = _chains(qk, suppressed, batch, config, entries, outlets)
    keep = ~suppressed[a_bucket]
    a_bucket, a_doc = a_bucket[keep], a_doc[keep]
    keep = ~suppressed[qk.entry_bucket]
    q_bucket, q_doc = qk.entry_bucket[keep], qk.entry_doc[keep]

    # Local numbers: the archive documents met, in archive order, then the query documents in input order.
    chain_ends = np.concatenate([chain_x, chain_y])
    archive = distinct(np.concatenate([a_doc.astype(np.int64), chain_ends[chain_ends >= 0]]))
    na = len(archive)
    a_local = np.searchsorted(archive, a_doc.astype(np.int64))
    q_local = q_doc + na
    # A chain's ends: archive numbers, and -1 - q for query document q.
    chain_x, chain_y = (np.where(v < 0, na - 1 - v, np.searchsorted(archive, v)) for v in (chain_x, chain_y))
    chained = (np.minimum(chain_x, chain_y).astype(np.uint64) << np.uint64(32)) | np.maximum(chain_x, chain_y).astype(
        np.uint64
    )
    chain_bounds = np.searchsorted(chain_band, np.arange(batch.all_bands + 1)).tolist()
    order = np.argsort(a_bucket, kind="stable")
    a_bucket, a_local = a_bucket[order], a_local[order]

    # The distinct pairs of each band: archive x query pairs of each bucket, then query x query
    # pairs (entries are sorted by bucket, then document). One band at a time: the window pairs of
    # all bands at once, before they are made distinct, are many times the pairs, and were the
    # query's peak memory (docs/performance.md, "The archive index").
    per_band = [
        _band_pairs(
            a_bucket[a_lo:a_hi], a_local[a_lo:a_hi], q_bucket[q_lo:q_hi], q_local[q_lo:q_hi],
            chained[chain_bounds[band] : chain_bounds[band + 1]],
        )
        for band, ((a_lo, a_hi), (q_lo, q_hi)) in enumerate(zip(
            _band_ranges(qk.bucket_band[a_bucket], batch.all_bands),
            _band_ranges(qk.bucket_band[q_bucket], batch.all_bands),
            strict=True,
        ))
    ]  # fmt: skip
    # The scan's candidate rule (dedup.scan._candidates): min_bands shared bands, fewer for a brief
    # and a story with few window pairs between them (pairs.needed_bands).
    lowest = least_bands(config)
    none = np.zeros(0, np.int64)
    left, right, shared = _count_shared(per_band, lowest) if any(len(x) for x in per_band) else (none, none, none)
    if lowest < config.min_bands:
        # Pairs on fewer than min_bands bands are kept by both documents' window counts: read for
        # their archive documents alone before any row is fetched, so that the texts and
        # signatures read below are those of pairs that may be compared (most pairs sharing a band
        # or two are chance, and are not).
        unsure = shared < config.min_bands
        asked = np.unique(left[unsure & (left < na)])
        known = np.zeros(na + len(batch.documents), dtype=np.int64)  # (0 for those not read: not needed)
        known[asked] = np.maximum(windows_of(archive[asked]), 0)
        known[na:] = batch.window_counts
        keep = ~unsure | (shared >= needed_bands(known[left], known[right], config))
        left, right, shared = left[keep], right[keep], shared[keep]

    # Archive documents of the candidates, and the outlets that decide which pairs are compared.
    needed = sorted(set(archive[left[left < na]].tolist()))
    rows = fetch(needed)
    fetched = {row[0]: row for row in rows}
    present = np.zeros(na + len(batch.documents), dtype=np.bool_)
    windows_all = np.zeros(na + len(batch.documents), dtype=np.int64)
    outlet = {}
    for i, num in enumerate(archive.tolist()):
        if num in fetched:
            _, doc_id, source, _, _, _, windows = fetched[num]
            outlet[i] = source if source is not None else "\x00" + doc_id
            present[i] = True
            windows_all[i] = windows
    for q in range(len(batch.documents)):
        outlet[na + q] = batch.documents.document(q).outlet
    present[na:] = True
    keep = present[left] & present[right]
    if not config.same_source:
        keep &= np.array([outlet.get(i) != outlet.get(j) for i, j in zip(left.tolist(), right.tolist(), strict=True)],
                         dtype=np.bool_)  # fmt: skip
    left, right, shared = left[keep], right[keep], shared[keep]
    candidates = len(left)

    # The corpus the alignment sees: those archive documents (archive order), then every query document.
    used = sorted({i for i in left.tolist() if i < na})
    local = np.full(na + len(batch.documents), -1, dtype=np.int64)
    local[used] = np.arange(len(used))
    local[na:] = len(used) + np.arange(len(batch.documents))
    store = DocumentStore(memory=True)
    signatures = np.empty((len(used) + len(batch.documents), config.num_perm), dtype=np.uint32)
    doc_source: list[int] = []
    doc_time: list[float] = []
    doc_until: list[float] = []
    doc_agency: list[bool] = []
    for k, i in enumerate(used):
        row = fetched[int(archive[i])]
        _, doc_id, source, date, _, signature, _ = row
        store.add(Document(doc_id, text_of(row), source=source, date=date))
        signatures[k] = np.frombuffer(signature, dtype="<u4")
        if outlet[i] not in batch.sources:
            raise source_problem(doc_id, source) if source_problem else KeyError(outlet[i])
        doc_source.append(batch.sources[outlet[i]])
        start, until = period(date)
        doc_time.append(start)
        doc_until.append(until)
        doc_agency.append(wire_agency(source) is not None)
    for q in range(len(batch.documents)):
        store.add(batch.documents.document(q))
    signatures[len(used) :] = batch.doc_signatures
    doc_source.extend(batch.doc_source)
    doc_time.extend(batch.doc_time)
    doc_until.extend(batch.doc_until)
    doc_agency.extend(batch.doc_agency)
    window_counts = np.concatenate([windows_all[used], batch.window_counts]).astype(np.int64)
    corpus = _Corpus(config, store, signatures, stats, doc_source, doc_time, doc_until, doc_agency, window_counts)
    # Local numbers keep the scan's (archive, then query) order, so the budget's ties fall as there.
    # The budget sees the query's candidates only: an archive document's pairs with other archive
    # documents are not counted against its budget (docs/archive-index.md).
    left, right = local[left], local[right]
    budget = per_document_budget(left, right, shared, len(store), config.max_candidates, signatures)
    left, right = left[budget], right[budget]
    unaligned = candidates - len(left)
    prepared = _Prepared(corpus)  # type: ignore[arg-type]
    # Archive sources have numbers here but no document in the batch: their salts from their names.
    names = {number: name for name, number in batch.sources.items()}
    salts = {s: source_salt(names[s]) for s in set(doc_source)}
    share = config.source_df
    exact = _exact_boilerplate(config, batch, stats, names, removed, source_numbers, fetch, text_of, salts)
    prepared.filters = {s: Boilerplate(stats.counts, s, salts[s], share, exact=exact.get(s)) for s in sorted(salts)}
    work = _AlignChunk(corpus, prepared)  # type: ignore[arg-type]
    pair_chunks = chunks(left, right)
    if batch.threads > 1 and len(pair_chunks) > 1:
        with ThreadPoolExecutor(batch.threads, thread_name_prefix="dedup-index-align") as pool:
            results = [r for chunk in pool.map(work, pair_chunks) for r in chunk]
    else:
        results = [r for chunk in map(work, pair_chunks) for r in chunk]
    passages: list[Passage] = []
    pairs: list[Pair] = []
    for found, pair in results:
        passages.extend(found)
        if pair is not None:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return ScanResult(
        passages=passages,
        pairs=pairs,
        documents=store,
        skipped=list(batch.skipped),
        candidates=candidates,
        suppressed_buckets=int(suppressed.sum()),
        config=config,
        unaligned=unaligned,
        common=common,
        scanned_documents=len(batch.documents),
        unread_dates=list(batch.unread_dates),
    )


# A suppressed bucket's archive entries: for each, the bucket (its place among the suppressed
# buckets), the archive document and that document's windows in it.
_Entries = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def _entries(
    qk: QueryKeys, skipped: npt.NDArray[np.int64], segments: list[Segment], removed: npt.NDArray[np.uint32]
) -> _Entries:
    """Every archive entry of the buckets ``skipped`` (indices of the query's buckets), less ``removed``."""
    which, docs, counts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    if len(skipped):
        for seg in segments:
            m = seg.lookup(qk.bucket_band[skipped], qk.bucket_key[skipped])
            which.append(m.which)
            docs.append(m.docs.astype(np.int64))
            counts.append(m.counts.astype(np.int64))
    a_which, a_doc, a_count = np.concatenate(which), np.concatenate(docs), np.concatenate(counts)
    if len(removed):
        keep = ~np.isin(a_doc, removed.astype(np.int64))
        a_which, a_doc, a_count = a_which[keep], a_doc[keep], a_count[keep]
    return a_which, a_doc, a_count


def _chains(
    qk: QueryKeys,
    suppressed: npt.NDArray[np.bool_],
    batch: _Index,
    config: ScanConfig,
    entries: _Entries,
    outlets: Any,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The pairs with a query document that the suppressed buckets chain (:func:`dedup.candidates.chained_pairs`).

    A scan of the archive and the query chains every document of such a bucket in the order of
    their ids' keys (:func:`dedup.candidates.chain_ranks`): the documents of the buckets' archive
    ``entries`` (:func:`_entries`) have their ids and outlets read (``outlets(nums)``). Returns rows
    (band, x, y) sorted by band, each end an archive number or ``-1 - q`` for query document q.
    """
    none = np.zeros(0, dtype=np.int64)
    skipped = np.flatnonzero(suppressed)
    if not len(skipped):
        return none, none, none
    a_which, a_doc, _ = entries
    found = outlets(np.unique(a_doc).tolist())
    nums = np.array(sorted(found), dtype=np.int64)
    keep = np.isin(a_doc, nums)
    a_which, a_doc = a_which[keep], a_doc[keep]
    at = np.searchsorted(qk.entry_bucket, skipped, "left")
    owner, held = _ranges(at, np.searchsorted(qk.entry_bucket, skipped, "right"))
    q_doc = qk.entry_doc[held]
    queried = np.unique(q_doc)
    # Every document met, placed: the archive's (by number), then the query's; one chain key each.
    ids = [found[num][0] for num in nums.tolist()] + [batch.documents.doc_id(q) for q in queried.tolist()]
    names = [found[num][1] for num in nums.tolist()] + [batch.documents.document(q).outlet for q in queried.tolist()]
    number: dict[str, int] = {}
    source = np.array([number.setdefault(name, len(number)) for name in names], dtype=np.int64)
    ranks = chain_ranks(ids)
    bucket = np.concatenate([a_which, owner])
    member = np.concatenate([a_doc, -1 - q_doc])
    placed = np.concatenate([np.searchsorted(nums, a_doc), len(nums) + np.searchsorted(queried, q_doc)])
    order = np.argsort(bucket, kind="stable")
    bucket, member, placed = bucket[order], member[order], placed[order]
    bounds = np.searchsorted(bucket, np.arange(len(skipped) + 1)).tolist()
    band, x, y = [none], [none], [none]
    for j in range(len(skipped)):
        lo, hi = bounds[j], bounds[j + 1]
        if hi - lo < 2:
            continue
        first, second = chained_pairs(ranks[placed[lo:hi]], member[lo:hi], source[placed[lo:hi]], config.same_source)
        ours = first < 0  # (query documents are the negative ends: a pair with one has one below zero)
        band.append(np.full(int(ours.sum()), qk.bucket_band[skipped[j]], dtype=np.int64))
        x.append(first[ours])
        y.append(second[ours])
    bands = np.concatenate(band)
    order = np.argsort(bands, kind="stable")
    return bands[order], np.concatenate(x)[order], np.concatenate(y)[order]


def _common(
    qk: QueryKeys,
    suppressed: npt.NDArray[np.bool_],
    batch: _Index,
    config: ScanConfig,
    entries: _Entries,
    fetch: Any,
    text_of: Any,
) -> list[CommonText]:
    """The text of the suppressed buckets, named in their query document of smallest id (every bucket has one).

    What it shares with a second document of the bucket (the query document of next smallest id,
    else the archive document numbered first) is the text named. The buckets rank by the windows
    they hold, the archive's counted from their ``entries`` (:func:`_entries`); only the archive
    documents of the texts named are read.
    """
    skipped = np.flatnonzero(suppressed)
    if not len(skipped):
        return []
    bands, keys = qk.bucket_band[skipped], qk.bucket_key[skipped]
    which, docs, counts = entries
    held = qk.bucket_windows[skipped].astype(np.int64) + np.bincount(which, counts, len(skipped)).astype(np.int64)
    none = np.iinfo(np.int64).max
    archived = np.full(len(skipped), none, dtype=np.int64)  # each bucket's archive document numbered first
    np.minimum.at(archived, which, docs)
    archived[archived == none] = -1
    # Each bucket's query documents (its entries: sorted by bucket, then document), those of
    # smallest id first, as the scan names its buckets: the input's order changes nothing.
    queried = len(batch.documents)
    ids = [batch.documents.doc_id(i) for i in range(queried)]
    rank = np.empty(queried, dtype=np.int64)
    rank[sorted(range(queried), key=ids.__getitem__)] = np.arange(queried)
    first = np.searchsorted(qk.entry_bucket, skipped, "left")
    ends = np.searchsorted(qk.entry_bucket, skipped, "right")
    owner, at = _ranges(first, ends)
    by_rank = at[np.lexsort((rank[qk.entry_doc[at]], owner))]
    start = np.searchsorted(owner, np.arange(len(skipped)), "left")  # (owner is sorted: ranges in order)
    second = np.minimum(start + 1, len(by_rank) - 1)
    numbers = sorted(set(archived[archived >= 0].tolist()))
    local = {num: queried + k for k, num in enumerate(numbers)}  # archive documents after the query's
    rows = np.empty((len(skipped), 5), dtype=np.int64)
    rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 4] = bands, keys, qk.entry_doc[by_rank[start]], held
    other = [local.get(a, -1) for a in archived.tolist()]
    rows[:, 3] = np.where(ends - first >= 2, qk.entry_doc[by_rank[second]], other)
    read: dict[int, tuple[str, str]] = {}

    def document(i: int) -> tuple[str, str]:
        """The id and text of local document i: a query document, or an archive one read once."""
        if i < queried:
            return batch.documents.doc_id(i), batch.documents.text(i)
        if i not in read:
            row = fetch([numbers[i - queried]])[0]
            read[i] = (row[1], text_of(row))
        return read[i]

    return common_texts(rows, lambda i: document(i)[1], lambda i: document(i)[0], config)
