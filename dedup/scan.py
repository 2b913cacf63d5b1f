"""The scan: documents in, shared passages and document-pair scores out.

normalise -> shingle -> MinHash of passage windows -> LSH over windows -> align candidate document
pairs exactly -> score. The sketch stage only proposes document pairs; every reported passage is
verified on the exact n-grams of both texts.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Queue
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._pages import give_back_free_memory, heap_pages, small_pages
from .agencies import wire_agency
from .align import Alignment, Prepared, document_keys
from .batch import Handle, align_documents, handle
from .boilerplate import Boilerplate, KeySources, SeedCounts, source_salt
from .budget import per_document_budget
from .candidates import Candidates, candidate_pairs_banded, chain_ranks
from .candidates import _threads as _default_threads  # the same two-core default for every stage
from .checks import check_int
from .common import common_texts
from .config import _MAX_THREADS, ScanConfig, _config_of
from .dates import read_period
from .errors import InputError, ParameterError
from .lsh import band_keys32, extra_band_keys32
from .minhash import window_signatures_flat
from .normalize import normalize
from .pairs import (
    _kept_pairs,
    align_pair,
    least_bands,
    pair_rank,
    prepare_text,
    reaches_min_score,
    too_short,
)
from .records import CommonText, Document, Pair, Passage, Skipped
from .recount import exact_boilerplate
from .schedule import CACHE_BYTES, Kept, PairChunk, chunks, locality_order, next_uses
from .scripts import lone_surrogate, surrogate_reason
from .shingle import hash_many
from .store import BandKeyStore, DocumentStore

if TYPE_CHECKING:  # (tables imports this module; pyarrow is optional)
    from .tables import Tables

__all__ = ["Progress", "ScanConfig", "ScanResult", "check_result", "scan"]

Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(stage, done, total)``; ``total`` is None while it is unknown."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan found, and an account of every input document.

    Example:
        >>> wire = ("The defence ministry said on Monday it had no plans to withdraw its 2,500 troops "
        ...         "from the country, despite the announcement last week of talks on ending the mission. ")
        >>> result = scan([
        ...     Document("x", "Local news first. " * 5 + wire + "Weather later. " * 5, source="x"),
        ...     Document("y", "Other lead here. " * 5 + wire + "Sport after. " * 5, source="y"),
        ...     Document("z", "A caption."),
        ... ])
        >>> [(p.a.doc, p.b.doc) for p in result.passages], [(p.a, p.b) for p in result.pairs]
        ([('x', 'y')], [('x', 'y')])
        >>> result.scanned, [(s.id, s.kind) for s in result.skipped]
        (2, [('z', 'too short')])
    """

    passages: list[Passage]
    pairs: list[Pair]
    documents: Mapping[str, Document]
    skipped: list[Skipped]
    candidates: int
    suppressed_buckets: int
    config: ScanConfig = field(default_factory=ScanConfig)
    unaligned: int = 0
    """Candidate pairs left unaligned by the per-document budget (``ScanConfig.max_candidates``)."""
    common: list[CommonText] = field(default_factory=list)
    """The text of the ``suppressed_buckets``: the texts their buckets held most windows of (:mod:`dedup.common`)."""
    unread_dates: list[Skipped] = field(default_factory=list)
    """Documents scanned without their date, which :func:`dedup.dates.parse_date` could not read
    (``01/02/2024``, ``yesterday``): each with its place and value (an error instead with ``strict``)."""
    scanned_documents: int | None = None
    """How many documents were scanned when ``documents`` is not all of them and only them: an archive
    query's (``documents`` also holds the archive documents its pairs name), the Spark engine's
    (``documents`` holds those of its pairs); ``None``: every one of ``documents``."""
    one_source: str | None = None
    """The source every scanned document has, when two or more were scanned and all have the same one
    (a crawl whose records all say ``"source": "crawl"``): without ``same_source`` none of them was
    compared, which the report says (:func:`dedup.report.one_source_note`). ``None`` otherwise, and
    from an archive query."""

    def __repr__(self) -> str:
        # (the dataclass's own repr printed every passage and pair: megabytes in a notebook for a corpus)
        return (
            f"ScanResult(passages={len(self.passages)}, pairs={len(self.pairs)}, scanned={self.scanned}, "
            f"skipped={len(self.skipped)}, candidates={self.candidates}, unaligned={self.unaligned}, "
            f"suppressed_buckets={self.suppressed_buckets})"
        )

    @property
    def aligned(self) -> int:
        """Candidate pairs aligned: every candidate is either aligned or counted in ``unaligned``.

        Example:
            >>> text = "the same wording " * 20
            >>> result = scan([Document("a", text, "x"), Document("b", text, "y")])
            >>> result.candidates, result.unaligned, result.aligned
            (1, 0, 1)
        """
        return self.candidates - self.unaligned

    @property
    def scanned(self) -> int:
        """Documents scanned: read and not skipped.

        Example:
            >>> scan([Document("a", "long enough to scan " * 10), Document("b", "too short")]).scanned
            1
        """
        return len(self.documents) if self.scanned_documents is None else self.scanned_documents

    @property
    def read(self) -> int:
        """Documents read: the scanned ones plus the skipped ones.

        Example:
            >>> scan([Document("a", "long enough to scan " * 10), Document("b", "too short")]).read
            2
        """
        return self.scanned + len(self.skipped)

    def to_arrow(self, *, cluster_documents: int = 3) -> Tables[Any]:
        """The result as pyarrow tables: passages, pairs, clusters and skipped documents (:mod:`dedup.tables`).

        Needs pyarrow (``pip install 'dedup[parquet]'``).

        Example:
            >>> scan([Document("a", "a caption")]).to_arrow().skipped.column("kind").to_pylist()
            ['too short']
        """
        from .tables import to_arrow  # pyarrow is optional: imported only when asked for

        return to_arrow(self, cluster_documents=cluster_documents)

    def to_pandas(self, *, cluster_documents: int = 3) -> Tables[Any]:
        """The result as pandas DataFrames: passages, pairs, clusters and skipped documents (:mod:`dedup.tables`).

        Needs pandas and pyarrow (``pip install 'dedup[pandas]'``).

        Example:
            >>> frames = scan([Document("a", "a caption")]).to_pandas()
            >>> len(frames.passages), list(frames.skipped["id"])
            (0, ['a'])
        """
        from .tables import to_pandas

        return to_pandas(self, cluster_documents=cluster_documents)


def check_result(result: object) -> None:
    """The reports take a :class:`ScanResult`: anything else (its passages, a list of pairs) is said as such.

    Example:
        >>> check_result([])
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: result must be a dedup.ScanResult (what dedup.scan returns), got list
    """
    if not isinstance(result, ScanResult):
        raise ParameterError(
            f"result must be a dedup.ScanResult (what dedup.scan returns), got {type(result).__name__}"
        )


class _Index:
    """Band keys of every window, and per-document state, gathered while documents stream in."""

    def __init__(
        self,
        config: ScanConfig,
        *,
        threads: int | None = None,
        batch: int = 256,
        key_limit: int | None = None,
        note_sources: bool = True,
    ) -> None:
        self.config = config
        self.bands, self.rows = config.bands_rows
        # Every document read, its text spilled to a temporary file: memory grows with the index,
        # not with the text (alignment reads back the texts of candidate documents only).
        self.documents = DocumentStore()
        self.sources: dict[str, int] = {}
        self.salts: dict[int, np.uint64] = {}  # source number -> boilerplate.source_salt of its name
        self.doc_source: list[int] = []
        # Each document's date as timestamps (dedup.dates.period): its start, NaN when it has none,
        # and where a date without a time (its whole day) ends, NaN for a time.
        self.doc_time: list[float] = []
        self.doc_until: list[float] = []
        self.doc_agency: list[bool] = []  # whether its source names a wire agency (dedup.agencies)
        self.doc_length: list[int] = []  # each document's normalised length (for the alignment order)
        # Per-document signatures; one uint32[n, num_perm] array once finish() has run.
        self.doc_signatures: Any = []
        self.skipped: list[Skipped] = []
        self.unread_dates: list[Skipped] = []  # documents scanned without the date they gave
        # Documents wait in `pending` (normalised text) until a batch is full; a batch is shingled,
        # sketched and banded in a worker thread (numba kernels that release the GIL) while this
        # thread normalises the next one. A batch's result is 32-bit band keys, band-major.
        self.threads = threads if threads is not None else _default_threads()
        self.batch = batch
        self.pending: list[str] = []
        self.pending_sources: list[int] = []
        self.futures: list[Future[_Batch]] = []
        # A batch's band keys go to `keys` (spilled to a temporary file past 256 MB: they are most
        # of a large scan's memory); its window counts and document signatures stay here.
        self.keys = BandKeyStore(self.bands, limit=key_limit)
        # A short document's windows are banded on config.short_bands bands: the first `bands`,
        # every window's, in `keys`; the rest in `extra`, with the numbers of those windows.
        self.all_bands = config.short_bands
        extra = self.all_bands - self.bands
        self.extra = BandKeyStore(extra, limit=key_limit) if extra else None
        self.extra_windows: list[npt.NDArray[np.int64]] = []  # each batch's, numbered in the whole index
        self.extra_members = np.zeros(0, np.int64)  # all of them, once finish() has run
        self.counts: list[npt.NDArray[np.int64]] = []
        self.signatures: list[npt.NDArray[np.uint32]] = []
        self.pool: ThreadPoolExecutor | None = None
        # Document frequencies of seed keys in the corpus and within each source
        # (dedup.boilerplate), counted by the workers, each into counts of its own taken from
        # `tallies`, and summed at the end: counts are sums, so the total never depends on which
        # worker counted which batch.
        self.seed_counts = SeedCounts()
        self.tallies: Queue[SeedCounts] = Queue()
        # Which keys two or more sources hold (within a source too, with same_source: then each
        # document counts as its own): prepared documents keep only those, the ones a pair can share.
        # The archive index sketches batches with this class and has no use for it (note_sources).
        self.key_sources = KeySources() if note_sources else None
        self.key_lock = threading.Lock()
        self.submitted = 0  # documents sent to be sketched
        self.taken = 0  # documents given to add, good or bad
        # Documents refused (skipped) under each id: with the one kept, what an error counts to say
        # which document of its id it refuses (InputError.occurrence). Ids repeat rarely: no entry
        # for a document kept.
        self.refused: dict[str, int] = {}

    def salt_of(self, sources: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
        """The salts of an array of source numbers (each set by add before its documents are sketched)."""
        return np.array([self.salts[s] for s in sources.tolist()], dtype=np.uint64)

    def reject(self, doc_id: str | None, reason: str, kind: str = "invalid record") -> None:
        # Too short and empty documents are part of real corpora (captions, one-line briefs, empty
        # pages): skipped unless strict. Malformed ones are errors unless skip_bad.
        short = kind in ("empty", "too short")
        fatal = self.config.strict if short else not self.config.skip_bad
        # A document without a usable id is named by its place in the input.
        name = repr(doc_id) if doc_id is not None else f"#{self.taken - 1} (counting from 0)"
        if fatal:
            raise InputError(
                f"document {name}: {reason}", document=doc_id, reason=reason, skippable=not short, kind=kind,
                occurrence=self._occurrence(doc_id),
            )  # fmt: skip
        if doc_id is not None:
            self.refused[doc_id] = self.refused.get(doc_id, 0) + 1
        self.skipped.append(Skipped(doc_id if doc_id is not None else f"#{self.taken - 1}", reason, doc_id, kind=kind))

    def _occurrence(self, doc_id: str | None) -> int | None:
        """Which document given under ``doc_id`` the one being added is (1 for the first)."""
        if doc_id is None:
            return None
        return self.refused.get(doc_id, 0) + (doc_id in self.documents) + 1

    def add(self, doc: Document) -> None:
        self.taken += 1
        if not isinstance(doc, Document):
            # (a record read as JSON, or a row of a frame's to_dict: said how it becomes one)
            hint = ": make each record dedup.Document(**record)" if isinstance(doc, Mapping) else ""
            self.reject(None, f"expected a dedup.Document, got {type(doc).__name__}{hint}")
            return
        if not isinstance(doc.id, str) or not doc.id:
            self.reject(None, f"id must be a non-empty string, got {doc.id!r}")
            return
        if not isinstance(doc.text, str):
            self.reject(doc.id, f"text must be a string, got {type(doc.text).__name__}")
            return
        for name, value in (("source", doc.source), ("date", doc.date)):
            if value is not None and not isinstance(value, str):
                got = type(value).__name__
                if isinstance(value, float) and math.isnan(value):  # (how pandas gives a missing value)
                    got = "nan (a float: a missing value in a pandas frame? pass None)"
                self.reject(doc.id, f"{name} must be a string or None, got {got}")
                return
        for name, value in (("id", doc.id), ("text", doc.text), ("source", doc.source), ("date", doc.date)):
            at = lone_surrogate(value) if value is not None else -1
            if at >= 0:
                assert value is not None
                reason = surrogate_reason(name, value, at)
                self.reject(doc.id if name != "id" else None, reason)
                return
        if doc.id in self.documents:
            self.reject(doc.id, "duplicate id (an earlier document has the same id)", "duplicate id")
            return
        cfg = self.config
        normalized = normalize(doc.text, profile=cfg.profile)
        short = too_short(normalized.text, cfg.min_exact)
        if short is not None:
            self.reject(doc.id, short[1], short[0])
            return
        start, until, unread = read_period(doc.date)  # (NaN, NaN and why, for a date given and not read)
        if unread is not None:
            # Never a guess (dedup.dates), never silent: the document is scanned without it, and said.
            if cfg.strict:
                raise InputError(
                    f"document {doc.id!r}: {unread}", document=doc.id, reason=unread, kind="unread date",
                    occurrence=self._occurrence(doc.id),
                )  # fmt: skip
            self.unread_dates.append(Skipped(doc.id, unread, doc.id, kind="unread date"))
        self.documents.add(doc)
        self.doc_time.append(start)
        self.doc_until.append(until)
        self.doc_agency.append(wire_agency(doc.source) is not None)
        self.doc_length.append(len(normalized.text))
        number = self.sources.setdefault(doc.outlet, len(self.sources))
        if number not in self.salts:
            self.salts[number] = source_salt(doc.outlet)
        self.doc_source.append(number)
        self.pending.append(normalized.text)
        self.pending_sources.append(self.doc_source[-1])
        if len(self.pending) >= self.batch:
            self._submit()

    def _submit(self) -> None:
        texts, self.pending = self.pending, []
        sources, self.pending_sources = np.asarray(self.pending_sources, dtype=np.int64), []
        first, self.submitted = self.submitted, self.submitted + len(texts)
        labels = np.arange(first, self.submitted, dtype=np.int64) if self.config.same_source else sources
        if self.threads <= 1:
            self._collect(self._batch(texts, sources, labels))
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="dedup-sketch")
            for _ in range(self.threads):
                self.tallies.put(SeedCounts())
        self.futures.append(self.pool.submit(self._batch, texts, sources, labels))
        # A few batches in flight keep every worker busy; more would only hold text in memory.
        while len(self.futures) > 2 * self.threads:
            self._collect(self.futures.pop(0).result())

    def _batch(self, texts: list[str], sources: npt.NDArray[np.int64], labels: npt.NDArray[np.int64]) -> _Batch:
        batch, keys, offsets = _sketch_batch(texts, self.config, self.bands, self.rows)
        if self.key_sources is not None:
            with self.key_lock:
                self.key_sources.add(keys, offsets, labels)
        if self.threads <= 1:
            self.seed_counts.add(keys, offsets, sources, self.salt_of(sources))
        else:
            tally = self.tallies.get()
            try:
                tally.add(keys, offsets, sources, self.salt_of(sources))
            finally:
                self.tallies.put(tally)
        return batch

    def finish(self) -> tuple[npt.NDArray[np.int64], int]:
        """Sketch what is pending and wait for the workers; return each window's document and the window count."""
        if self.pending:
            self._submit()
        try:
            for f in self.futures:
                self._collect(f.result())
        finally:
            self.futures.clear()
            if self.pool is not None:
                self.pool.shutdown()
                self.pool = None
        while not self.tallies.empty():
            self.seed_counts.merge(self.tallies.get())
        counts = np.concatenate(self.counts) if self.counts else np.zeros(0, np.int64)
        num_perm = self.config.num_perm
        self.doc_signatures = np.concatenate(self.signatures) if self.signatures else np.zeros((0, num_perm), np.uint32)
        self.window_counts, self.signatures = counts, []
        if self.extra_windows:  # (every further band holds the same windows)
            self.extra_members, self.extra_windows = np.concatenate(self.extra_windows), []
        window_doc = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        return window_doc, int(counts.sum())

    def column(self, band: int) -> npt.NDArray[np.uint32]:
        """The keys of one band (of ``all_bands``) for the windows it holds (:meth:`members`), in document order."""
        if band < self.bands:
            return self.keys.column(band)
        assert self.extra is not None
        return self.extra.column(band - self.bands)

    def close_keys(self) -> None:
        """Drop the band keys (their last use is the candidate search)."""
        self.keys.close()
        if self.extra is not None:
            self.extra.close()
        self.extra_windows, self.extra_members = [], np.zeros(0, np.int64)

    def members(self, band: int) -> npt.NDArray[np.int64] | None:
        """The windows (numbers in document order) that ``band`` holds: None for every window's bands (after finish)."""
        return None if band < self.bands else self.extra_members

    def _collect(self, batch: _Batch) -> None:
        """Keep a finished batch (batches are collected in the order they were submitted)."""
        if self.extra is not None:
            self.extra.add(batch.extra)
            self.extra_windows.append(batch.extra_windows + len(self.keys))  # (windows before this batch's)
        self.keys.add(batch.keys)
        self.counts.append(batch.counts)
        self.signatures.append(batch.documents)


@dataclass(frozen=True, slots=True)
class _Batch:
    keys: npt.NDArray[np.uint32]  # [bands, windows]: high 32 bits of lsh.band_keys
    counts: npt.NDArray[np.int64]  # windows of each document
    documents: npt.NDArray[np.uint32]  # [documents, num_perm]: whole-document signatures
    # [short_bands - bands, short documents' windows]: the further bands of short documents' windows
    # (lsh.extra_band_keys32), and those windows' numbers in the batch.
    extra: npt.NDArray[np.uint32]
    extra_windows: npt.NDArray[np.int64]


def _sketch_batch(
    texts: list[str], cfg: ScanConfig, bands: int, rows: int, *, seed_keys: bool = True
) -> tuple[_Batch, npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Shingle, sketch and band a batch of normalised texts (numba kernels, no per-document object).

    Also returns the distinct seed keys each text offers, with their offsets, for the seed counts
    (none with ``seed_keys`` false: the Spark engine counts them in a later pass).
    """
    hashes, offsets = hash_many(texts, cfg.ngram)
    windows = window_signatures_flat(
        hashes, offsets, window=cfg.window, stride=cfg.stride, num_perm=cfg.num_perm, seed=cfg.seed
    )
    if seed_keys:
        keys, key_offsets = document_keys(texts, hashes, offsets, cfg.align_params)
    else:
        keys, key_offsets = np.zeros(0, dtype=np.uint64), np.zeros(len(texts) + 1, dtype=np.int64)
    del hashes
    bands_keys = band_keys32(windows.signatures, bands, rows)
    counts = np.diff(windows.offsets)
    extra, short = extra_band_keys32(windows.signatures, counts, bands, rows, cfg.short_bands, cfg.short_windows)
    return _Batch(bands_keys, counts, windows.documents, extra, short), keys, key_offsets


class _Prepared:
    """Normalised and shingled documents for alignment, recomputed on demand within a bounded cache (:class:`Kept`).

    Keeping every document's shingles for the whole scan would grow memory with the text; the
    LSH stage needs only band keys, and alignment touches each candidate document a few times.
    Seeds that are boilerplate of the document's source (dedup.boilerplate, by the index's counts)
    are left out.
    """

    def __init__(self, index: _Index, capacity: int = CACHE_BYTES) -> None:
        self.index = index
        # The band keys and the candidate search's arrays are gone by now. A cache that holds most
        # of a corpus of web pages like pan13 prepares its documents little more than once in the
        # locality order below; a larger one saves little time and adds its size to the scan's peak
        # (docs/performance.md, Memory).
        self.kept = Kept(capacity)
        self.lengths: dict[int, int] = {}
        self.lock = threading.Lock()
        self.pending: dict[int, threading.Event] = {}  # documents a thread is preparing
        counts, share = index.seed_counts, index.config.source_df
        spread = index.key_sources
        members: dict[int, list[int]] = {}
        for i, source in enumerate(index.doc_source):
            members.setdefault(source, []).append(i)
        exact = exact_boilerplate(
            counts,
            share,
            lambda source: (index.documents.text(i) for i in members.get(source, ())),
            index.config,
            range(len(index.sources)),
            threads=index.threads,
        )
        self.filters = {
            source: Boilerplate(counts, source, index.salts[source], share, spread, exact.get(source))
            for source in range(len(index.sources))
        }

    def __getitem__(self, i: int) -> Handle:
        return self.handles([i])[0]

    def handles(self, ids: list[int], next_use: Mapping[int, int] | None = None) -> list[Handle]:
        """The prepared documents ``ids`` (distinct), each prepared once however many threads ask for it.

        ``next_use[i]`` is the next chunk that needs document ``i`` after this one (``NEVER``:
        none); without it, a document is kept as if needed soonest.

        The two alignment threads take neighbouring chunks of pairs, which share documents: each
        prepared them both (a sixth more preparations on pan13). A document another thread is
        preparing is waited for, after this thread has prepared the rest of its own.
        """
        found: dict[int, Handle] = {}
        mine: list[int] = []
        theirs: list[tuple[int, threading.Event]] = []
        with self.lock:
            for i in ids:
                cached = self.kept.get(i)
                if cached is not None:
                    found[i] = cached
                elif i in self.pending:
                    theirs.append((i, self.pending[i]))
                else:
                    self.pending[i] = threading.Event()
                    mine.append(i)
            self.kept.note(dict.fromkeys(found, 0) if next_use is None else {i: next_use[i] for i in found})
        try:
            for i in mine:
                found[i] = self._prepare(i, 0 if next_use is None else next_use[i])
                self._release(i)
        finally:
            for i in mine:  # (after an error too: no thread waits for ever)
                self._release(i)
        for i, event in theirs:
            event.wait()
            # Cached by now (or dropped since, and prepared again).
            found[i] = self.handles([i], next_use)[0]
        return [found[i] for i in ids]

    def _prepare(self, i: int, when: int) -> Handle:
        with self.lock:
            text = self.index.documents.text(i)
            self.lengths[i] = len(text)
        prepared = handle(prepare_text(text, self.index.config, self.filters[self.index.doc_source[i]]))
        with self.lock:
            self.kept.put(i, prepared, when)
        return prepared

    def _release(self, i: int) -> None:
        with self.lock:
            event = self.pending.pop(i, None)
        if event is not None:
            event.set()

    def length(self, i: int) -> int:
        """Length of document i's raw text (known once it has been prepared)."""
        return self.lengths[i]


class _AlignChunk:
    """Align and score a chunk of candidate pairs: the passages of each and its Pair (or None)."""

    def __init__(self, index: _Index, prepared: _Prepared) -> None:
        self.index = index
        self.prepared = prepared
        self.params = index.config.align_params

    def __call__(self, chunk: PairChunk) -> list[tuple[list[Passage], Pair | None]]:
        left, right = chunk[0].tolist(), chunk[1].tolist()
        # Each document of the chunk once, held until its pairs are aligned, in one kernel call
        # (dedup.batch).
        documents = functools.partial(self.prepared.handles, next_use=next_uses(chunk))
        aligned = align_documents(chunk[0], chunk[1], documents, self.params)
        # Most candidates of long documents (98% on pan13) share no passage and are not scored, and
        # most of a brief's candidates without a passage fall short of min_score: nothing else of
        # such a pair is looked up (align_pair would return the same, by the same tests). The test
        # of a short document is short_pair's, made for the whole chunk at once.
        config = self.index.config
        counts, least = self.index.window_counts, config.short_windows
        shorts = ((counts[chunk[0]] <= least) | (counts[chunk[1]] <= least)).tolist()
        return [
            self.pair(i, j, a.prepared, b.prepared, alignments)
            if alignments or (short and self.reaches_min_score(i, j, a.prepared, b.prepared))
            else _NOTHING
            for i, j, (a, b, alignments), short in zip(left, right, aligned, shorts, strict=True)
        ]

    def reaches_min_score(self, i: int, j: int, a: Prepared, b: Prepared) -> bool:
        """Whether the pair of documents i and j (prepared: a, b) scores ``min_score`` (:func:`reaches_min_score`)."""
        return reaches_min_score(
            a, b, self.times(i, j), self.index.config, until=self.until(i, j), agencies=self.agencies(i, j)
        )

    def times(self, i: int, j: int) -> tuple[float, float]:
        """The dates of documents i and j as timestamps (NaN when none)."""
        return self.index.doc_time[i], self.index.doc_time[j]

    def until(self, i: int, j: int) -> tuple[float, float]:
        """Where the dates of documents i and j end when they name a day (NaN for a time or none)."""
        return self.index.doc_until[i], self.index.doc_until[j]

    def agencies(self, i: int, j: int) -> tuple[bool, bool]:
        """Whether the sources of documents i and j name wire agencies (:func:`dedup.agencies.wire_agency`)."""
        return self.index.doc_agency[i], self.index.doc_agency[j]

    def pair(
        self, i: int, j: int, a: Prepared, b: Prepared, alignments: list[Alignment]
    ) -> tuple[list[Passage], Pair | None]:
        """The passages and Pair of a pair that holds alignments or has a short document (see __call__)."""
        index, prepared = self.index, self.prepared
        windows = (int(index.window_counts[i]), int(index.window_counts[j]))
        found, pair = align_pair(
            a, b, (index.documents.doc_id(i), index.documents.doc_id(j)), (prepared.length(i), prepared.length(j)),
            (index.doc_signatures[i], index.doc_signatures[j]), self.times(i, j), windows,
            index.config, alignments=alignments, until=self.until(i, j), agencies=self.agencies(i, j),
        )  # fmt: skip
        return (found, pair) if found or pair is not None else _NOTHING


# The result of a pair that yields nothing, one object for all of them (read, never changed): a
# new empty list and tuple for each of a corpus's candidate pairs were held until the scan ended.
_NOTHING: tuple[list[Passage], Pair | None] = ([], None)


def _candidates(index: _Index, window_doc: npt.NDArray[np.int64], window_source: npt.NDArray[np.int64]) -> Candidates:
    """Document pairs whose windows collide in enough LSH bands.

    A pair must collide in ``min_bands`` bands, or in fewer when one of its documents is short and
    the two have few window pairs (:func:`dedup.pairs.needed_bands`): a brief of a few hundred
    characters has a handful of windows and so a handful of chances to collide, where a chance
    collision of two long documents, or of a brief and a long document, has hundreds.
    """
    cfg = index.config
    least = least_bands(cfg)
    windows = np.asarray(index.window_counts, dtype=np.int64)

    # needed_bands' rule in one pass, on each part of the counted pairs as it comes: on a dense
    # corpus most pairs share a few bands, and all of them held at once were the scan's peak.
    def needed_rule(
        left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], shared: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        return _kept_pairs(left, right, shared, windows, cfg.min_bands, cfg.short_windows)

    accept = needed_rule if least < cfg.min_bands else None
    # A skipped bucket is named by its documents of smallest id (dedup.common): the same whatever the input order.
    ids = list(index.documents)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    return candidate_pairs_banded(
        index.column, index.all_bands, window_doc, window_source, same_source=cfg.same_source,
        max_bucket=cfg.max_bucket, min_shared=least, threads=index.threads, accept=accept, members=index.members,
        rank=rank, chain=chain_ranks(ids),
    )  # fmt: skip


def _check_documents(documents: object) -> None:
    """Documents must come as an iterable of :class:`Document`: one text, or one document, is no corpus."""
    if isinstance(documents, str | bytes | Document) or not isinstance(documents, Iterable):
        raise ParameterError(f"documents must be an iterable of dedup.Document, got {type(documents).__name__}")
    # A mapping iterates over its keys, a data frame over its column names: each would be refused as
    # "document #0: expected a dedup.Document, got str", about a key or a column's name.
    if isinstance(documents, Mapping):
        raise ParameterError(
            f"documents must be an iterable of dedup.Document, got a {type(documents).__name__}: "
            "pass its values() if they are the documents"
        )
    if hasattr(documents, "columns") and hasattr(documents, "to_dict"):
        raise ParameterError(
            f"documents must be an iterable of dedup.Document, got a {type(documents).__name__}: make one Document "
            "a row, e.g. (dedup.Document(**row) for row in frame.to_dict('records'))"
        )


def _check_progress(progress: object) -> None:
    if progress is not None and not callable(progress):
        raise ParameterError(f"progress must be a callable or None, got {type(progress).__name__}")


@small_pages()
@heap_pages()
def scan(
    documents: Iterable[Document],
    config: ScanConfig | None = None,
    *,
    progress: Progress | None = None,
    threads: int | None = None,
) -> ScanResult:
    """Find the passages that documents of different sources share, and score each document pair.

    ``threads`` is how many threads sketch, search and align at once (default: the cores this
    process may use, two at most); the result never depends on it.

    Example:
        >>> wire = ("The defence ministry said on Monday it had no plans to withdraw its 2,500 troops "
        ...         "from the country, despite the announcement last week of talks on ending the mission. ")
        >>> docs = [Document("x", "Local news first. " * 5 + wire + "Weather later. " * 5, source="x"),
        ...         Document("y", "Other lead here. " * 5 + wire + "Sport after. " * 5, source="y")]
        >>> result = scan(docs)
        >>> [(p.a.slice(docs[0].text) == p.b.slice(docs[1].text), p.a.doc, p.b.doc) for p in result.passages]
        [(True, 'x', 'y')]
    """
    cfg = _config_of(config)
    if threads is not None:  # (each thread holds a tally of seed counts and two batches of texts in flight)
        check_int("threads", threads, 1, _MAX_THREADS)
    _check_progress(progress)
    _check_documents(documents)
    index = _Index(cfg, threads=threads)
    for count, doc in enumerate(documents, 1):
        index.add(doc)
        if progress is not None:
            progress("documents", count, None)
    window_doc, _ = index.finish()
    window_source = np.asarray(index.doc_source, dtype=np.int64)[window_doc]
    # A low threshold keeps reworded and word-shuffled copies among the candidates; a true pair
    # collides in several bands, a chance one in one or two: the band count is the cheap check.
    candidates = _candidates(index, window_doc, window_source)
    index.close_keys()  # the candidate search above was their last use
    # What the buckets skipped as too common held, named (never a silent drop of wire copy).
    common = common_texts(candidates.buckets, index.documents.text, index.documents.doc_id, cfg)
    del window_doc, window_source
    found_pairs = len(candidates.left)
    if progress is not None:
        progress("candidates", found_pairs, found_pairs)
    # Bounded work a document: where the pair graph is dense (one story every outlet covers), each
    # document's strongest candidates are aligned and the rest counted, not aligned.
    keep = per_document_budget(
        candidates.left, candidates.right, candidates.shared_bands, len(index.documents), cfg.max_candidates,
        index.doc_signatures,
    )  # fmt: skip
    kept_left, kept_right = candidates.left[keep], candidates.right[keep]
    unaligned = found_pairs - len(kept_left)
    suppressed = candidates.suppressed
    del candidates, keep
    give_back_free_memory()  # what the candidate search freed, before the alignment cache fills

    prepared = _Prepared(index)
    total = len(kept_left)
    # Pairs are aligned in an order that keeps each document's pairs close together, so that it is
    # prepared once while in the cache (in (left, right) order, a document's pairs as `right` are
    # scattered over the whole run). Results are put back in (left, right) order.
    lengths = np.asarray(index.doc_length, dtype=np.int64)
    order = locality_order(kept_left, kept_right, len(index.documents), lengths, prepared.kept.capacity)
    pair_chunks = chunks(kept_left[order], kept_right[order])
    del kept_left, kept_right
    results: list[tuple[list[Passage], Pair | None]] = []
    done = 0

    def take(chunked: Iterable[list[tuple[list[Passage], Pair | None]]]) -> None:
        nonlocal done
        for chunk in chunked:
            results.extend(chunk)
            done += len(chunk)
            if progress is not None:
                progress("alignments", done, total)

    # Chunks of pairs are aligned on the index's threads (the kernels release the GIL); results
    # are taken in chunk order, so the output never depends on thread timing.
    work = _AlignChunk(index, prepared)
    if index.threads > 1 and len(pair_chunks) > 1:
        with ThreadPoolExecutor(index.threads, thread_name_prefix="dedup-align") as pool:
            take(pool.map(work, pair_chunks))
    else:
        take(map(work, pair_chunks))
    del work, prepared  # the cache of prepared documents, before the results are put together
    give_back_free_memory()
    passages: list[Passage] = []
    pairs: list[Pair] = []
    for k in np.argsort(order, kind="stable").tolist():
        found, pair = results[k]
        passages.extend(found)
        if pair is not None:
            pairs.append(pair)
    pairs.sort(key=pair_rank)
    return ScanResult(
        passages=passages,
        pairs=pairs,
        documents=index.documents,
        skipped=index.skipped,
        candidates=found_pairs,
        suppressed_buckets=suppressed,
        config=cfg,
        unaligned=unaligned,
        common=common,
        unread_dates=index.unread_dates,
        # (A document without a source is its own: one source among two documents is a real one.)
        one_source=next(iter(index.sources)) if len(index.sources) == 1 and len(index.documents) > 1 else None,
    )
