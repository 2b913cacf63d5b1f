"""An archive index: check new documents against everything added before, without rescanning.

:class:`Index` keeps, in a directory, every document added (its text zstandard-compressed), the LSH
band keys of its windows (sorted, immutable segment files) and the corpus statistics the
boilerplate rule needs. A query sketches only the new documents, looks their band keys up, and
aligns the candidates exactly with the scan's own code: the passages between a query document and
an archive document are those ``dedup.scan`` of the archive and the query together reports.

Writes are crash-safe (one SQLite commit per batch, naming only fsynced segment files), one
writer at a time holds a lock, and readers see the last commit. See docs/archive-index.md.

Example:
    >>> import tempfile
    >>> wire = ("The defence ministry said on Monday it had no plans to withdraw its 2,500 troops "
    ...         "from the country, despite the announcement last week of talks on ending the mission. ")
    >>> old = Document("x", "Local news first. " * 5 + wire + "Weather later. " * 5, source="x")
    >>> new = Document("y", "Other lead here. " * 5 + wire + "Sport after. " * 5, source="y")
    >>> with Index.open(tempfile.mkdtemp() + "/archive") as index:
    ...     added = index.add([old])
    ...     result = index.query([new])
    ...     len(index), [(p.a.doc, p.b.doc) for p in result.passages]
    (1, [('x', 'y')])
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

import numpy as np

from .._pages import small_pages
from ..candidates import _threads
from ..checks import check_bool, check_path
from ..config import _config_of
from ..errors import DedupError, InputError, ParameterError
from ..normalize import normalize
from ..pairs import too_short
from ..records import Document, Skipped
from ..scan import ScanConfig, ScanResult, _check_documents, _check_progress, _Index
from ..scripts import lone_surrogate
from ..store import DocumentStore
from .codec import compressor
from .query import run_query
from .segments import merge_segments, write_segment
from .stats import Statistics
from .store import FORMAT_VERSION, Row, Store

__all__ = ["FORMAT_VERSION", "AddResult", "Index"]

_BATCH = 16384  # documents a commit holds (and a new segment file)
_FAN_IN = 4  # segments of one size class merged together
_TEXT_CHUNK = 512  # documents compressed by one task
_READ_CHUNK = 1024  # documents read (and their ids looked up) at a time while a batch is sketched


@dataclass(frozen=True, slots=True)
class AddResult:
    """What an add did with each document it read.

    ``added`` counts the documents stored; ``existing`` the ids already in the index and skipped,
    and of those ``changed`` the ones whose text, source or date is not the stored one: an edited
    story re-added under its id, which stays as stored unless replaced; ``replaced`` the edited
    ones stored instead, with ``replace=True`` (a document added again as it is stored is
    ``existing`` either way); ``skipped`` the bad documents
    left out with their reasons (with ``skip_bad``); ``unread_dates`` the documents stored without
    the date they gave, which could not be read (as :attr:`dedup.ScanResult.unread_dates`).

    Example:
        >>> import tempfile
        >>> text = "Wording long enough to be stored in the archive, and added twice. " * 3
        >>> with Index.open(tempfile.mkdtemp() + "/archive") as index:
        ...     first = index.add([Document("a", text)])
        ...     again = index.add([Document("a", text), Document("b", "A caption.")])
        ...     edited = index.add([Document("a", text + "Corrected.")])
        >>> first.added, again.added, again.existing, [(s.id, s.kind) for s in again.skipped]
        (1, 0, ['a'], [('b', 'too short')])
        >>> edited.existing, edited.changed, again.changed
        (['a'], ['a'], [])
    """

    added: int = 0
    existing: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unread_dates: list[Skipped] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Taken:
    """The ids an add has taken: those kept (stored, or already in the index), and the documents refused under each.

    Together they say which document of its id an add refuses (``InputError.occurrence``): one
    kept at most, the refused ones, then this one. Ids repeat rarely: a document kept adds no count.
    """

    kept: set[str] = field(default_factory=set)
    refused: dict[str, int] = field(default_factory=dict)

    def refuse(self, doc_id: str) -> None:
        self.refused[doc_id] = self.refused.get(doc_id, 0) + 1

    def occurrence(self, doc_id: str) -> int:
        return self.refused.get(doc_id, 0) + (doc_id in self.kept) + 1


@dataclass(slots=True)
class _Batch:
    """A batch of an add, sketched and waiting for its commit: the scan's index of it and what it replaces."""

    index: _Index
    kept: list[Document]  # the documents the index holds, in its order
    replaced: dict[str, int]  # id -> archive number of the stored version it replaces
    window_doc: Any = None

    def close(self) -> None:
        self.index.close_keys()
        self.index.documents.close()


class _Columns(Sequence[np.ndarray]):
    """The band keys of a finished batch as a sequence of bands, each gathered when asked for."""

    def __init__(self, batch: _Index) -> None:
        self.batch = batch

    def __len__(self) -> int:
        return int(self.batch.all_bands)

    @overload
    def __getitem__(self, band: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, band: slice) -> Sequence[np.ndarray]: ...
    def __getitem__(self, band: int | slice) -> np.ndarray | Sequence[np.ndarray]:
        if isinstance(band, slice):
            return [self.batch.column(b) for b in range(self.batch.all_bands)[band]]
        return self.batch.column(band)


_T = TypeVar("_T")
_P = ParamSpec("_P")


def _serialized(method: Callable[Concatenate[Index, _P], _T]) -> Callable[Concatenate[Index, _P], _T]:
    """Run the method holding the Index object's lock (its signature kept for type checkers)."""

    @functools.wraps(method)
    def run(self: Index, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with self._lock:
            if self._closed:
                raise DedupError(f"{self.path}: the index is closed (open it again with Index.open)")
            return method(self, *args, **kwargs)

    return run


class Index:
    """A persistent archive of documents, queried for the passages new documents share with it.

    Use :meth:`open`; an Index is a context manager that closes it.

    Example:
        >>> import tempfile
        >>> wire = ("The defence ministry said on Monday it had no plans to withdraw its 2,500 troops "
        ...         "from the country, despite the announcement last week of talks on ending the mission. ")
        >>> with Index.open(tempfile.mkdtemp() + "/archive") as index:
        ...     added = index.add([Document("x", "Local news first. " * 5 + wire, source="x")])
        ...     found = index.query([Document("y", wire + "Sport after. " * 5, source="y")])
        ...     len(index), [(p.a, p.b) for p in found.pairs]
        (1, [('x', 'y')])
    """

    def __init__(self, store: Store) -> None:
        if not isinstance(store, Store):  # (Index(path) is the natural slip: sqlite3.connect(path) reads so)
            raise ParameterError(
                f"Index() takes an opened store, got {type(store).__name__}: open an index with "
                "dedup.Index.open(path) (with dedup.Index.open(path) as index: ...)"
            )
        self._store = store
        self._work: Statistics | None = None
        # One operation at a time per Index object (they share a SQLite connection and buffers);
        # other processes and other Index objects go on in parallel.
        self._lock = threading.RLock()
        self._closed = False

    @classmethod
    def open(
        cls, path: str | Path, config: ScanConfig | None = None, *, create: bool = True, timeout: float = 10.0
    ) -> Index:
        """Open the index at ``path`` (a directory), creating it with ``config`` when it does not exist.

        An existing index keeps the configuration it was built with: a ``config`` that differs from
        it (in anything but ``skip_bad`` and ``strict``) is a :class:`~dedup.errors.ParameterError`. A writer waits
        up to ``timeout`` seconds for another writer to finish. An index this call created is
        removed again when the ``with`` block of the Index ends on an exception before anything was
        committed to it (a first add that failed): it would keep the configuration of an attempt
        that stored nothing.

        Example:
            >>> import tempfile
            >>> with Index.open(tempfile.mkdtemp() + "/a", ScanConfig(ngram=6)) as index:
            ...     index.config.ngram, len(index)
            (6, 0)
        """
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout <= 1e6:
            raise ParameterError(f"timeout must be a number of seconds from 0 to 1e6 (11 days), got {timeout!r}")
        check_bool("create", create)  # ("no" is truthy: it would create)
        check_path("path", path, "the index's directory")  # (pathlib's TypeError named none; "" is the current folder)
        if config is not None:
            _config_of(config)  # (None stays None: the stored configuration, or the defaults for a new index)
        return cls(Store(Path(path), config, timeout=timeout, create=create))

    @property
    def config(self) -> ScanConfig:
        """The configuration the index was built with.

        Example:
            >>> import tempfile
            >>> with Index.open(tempfile.mkdtemp() + "/a", ScanConfig(ngram=6)) as index:
            ...     index.config.ngram
            6
        """
        return self._store.config

    @property
    def path(self) -> Path:
        """The index directory.

        Example:
            >>> import tempfile
            >>> with Index.open(tempfile.mkdtemp() + "/a") as index:
            ...     index.path.name
            'a'
        """
        return self._store.path

    @_serialized
    def __len__(self) -> int:
        return self._store.count()

    @_serialized
    def __contains__(self, doc_id: object) -> bool:
        return _valid_id(doc_id) and bool(self._store.numbers([doc_id]))  # type: ignore[list-item]

    @_serialized
    def __enter__(self) -> Index:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        if kind is not None:
            with self._lock:
                if not self._closed and self._store.remove_if_unused():
                    self._closed = True  # (the failed first add of a new index leaves no index behind)
        self.close()

    def close(self) -> None:
        """Close the catalogue and the segment files; closing again does nothing, any other use is an error.

        Example:
            >>> import tempfile
            >>> index = Index.open(tempfile.mkdtemp() + "/a")
            >>> index.close(); index.close()
            >>> len(index)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            dedup.errors.DedupError: .../a: the index is closed (open it again with Index.open)
        """
        with self._lock:  # not while another thread's operation holds the store
            if not self._closed:
                self._closed = True
                self._store.close()

    def __repr__(self) -> str:
        return f"<Index {str(self.path)!r}>"

    # ------------------------------------------------------------------ reading

    @_serialized
    def get(self, doc_id: str) -> Document | None:
        """The stored document ``doc_id``, or None (an id no document can have, not valid text: ParameterError).

        Example:
            >>> import tempfile
            >>> with Index.open(tempfile.mkdtemp() + "/a") as index:
            ...     _ = index.add([Document("d", "word " * 40, source="s")])
            ...     index.get("d").source, index.get("nope")
            ('s', None)
        """
        _check_id(doc_id)
        nums = self._store.numbers([doc_id])
        if not nums:
            return None
        rows = self._store.documents(list(nums.values()))
        if not rows:
            return None
        _, i, source, date, _, _, _ = rows[0]
        return Document(i, self._store.text(rows[0]), source, date)

    @_serialized
    def info(self) -> dict[str, Any]:
        """Documents, configuration, size on disk, format version and the store's state.

        Example:
            >>> import tempfile
            >>> with Index.open(tempfile.mkdtemp() + "/a") as index:
            ...     info = index.info()
            >>> info["documents"], info["format_version"]
            (0, 5)
        """
        return self._store.info()

    @_serialized
    @small_pages()
    def query(self, documents: Iterable[Document], add: bool = False) -> ScanResult:
        """The passages and pairs between ``documents`` and the archive, and among ``documents``.

        The answer is the one ``dedup.scan`` of the archive followed by ``documents`` gives for
        the pairs involving a query document (the documents of one query are one batch: each counts
        in the others' statistics). A query document whose id is in the archive is compared with
        the archive without its stored copy. With ``add``, the documents are added afterwards, by
        one :meth:`add` once the result is built (those already in the index are skipped); an add
        that fails (another writer holding the lock past the timeout, a full disk) raises its error
        and the result is not returned. To keep the result whatever the add does, and to know what
        it did, call :meth:`query`, then :meth:`add` (as ``dedup index query --add`` does).

        Example:
            >>> import tempfile
            >>> with Index.open(tempfile.mkdtemp() + "/a") as index:
            ...     index.query([Document("q", "nothing like it " * 20)], add=True).passages, len(index)
            ([], 1)
        """
        _check_documents(documents)
        check_bool("add", add)
        store, config = self._store, self.config
        docs = list(documents)
        store.check_engine()
        result = None
        for attempt in range(5):
            # The query's new sources take the ids after the archive's, as in a scan of the archive
            # and the query (their documents are counted under those ids; their seeds under a salt
            # of their name, whatever the id).
            sources = store.sources()
            # A thread pool pays for itself from a full sketching batch (256 documents) on.
            batch = _Index(config, threads=None if len(docs) >= 256 else 1, note_sources=False)
            batch.sources = dict(sources)
            for doc in docs:
                batch.add(doc)
            window_doc, _ = batch.finish()
            try:
                with store.reading() as snap:
                    if attempt < 4 and len(store.sources()) != len(sources):
                        continue  # a writer added sources meanwhile: their ids may be the ones given here
                    ids = [batch.documents.doc_id(q) for q in range(len(batch.documents))]
                    present = store.numbers(ids)
                    archive = store.statistics(snap)
                    removed = snap.removed
                    if present:
                        # The stored copy of a query document steps aside: the query's is the one compared.
                        nums = sorted(present.values())
                        removed = np.union1d(removed, np.array(nums, dtype=np.uint32)).astype(np.uint32)
                        archive = archive.copy()
                        archive.subtract(_stats_of(store, store.documents(nums), batch.sources))
                    # One pass into a buffer kept between queries (the sketches are 16 MB).
                    self._work = stats = archive.combined(Statistics.of_batch(batch), self._work)
                    segments = store.segments(snap)
                    result = run_query(
                        config, batch, window_doc, segments, removed, stats, store.documents, store.windows, store.text,
                        store.outlets, store.source_numbers, store.source_problem,
                    )  # fmt: skip
            finally:
                batch.close_keys()
            if result is not None:
                break
        assert result is not None
        if add:
            self.add([d for d in docs if isinstance(d, Document)])
        return result

    # ------------------------------------------------------------------ writing

    @_serialized
    @small_pages()
    def add(
        self,
        documents: Iterable[Document],
        *,
        replace: bool = False,
        batch: int = _BATCH,
        progress: Callable[[str, int, int | None], None] | None = None,
    ) -> AddResult:
        """Add documents; an id already in the index is skipped (counted), or replaced with ``replace``.

        Documents are committed ``batch`` at a time: after a crash, each is in the index whole or
        not at all, and the same add run again completes it.

        Example:
            >>> import tempfile
            >>> with Index.open(tempfile.mkdtemp() + "/a") as index:
            ...     first = index.add([Document("d", "word " * 40)])
            ...     again = index.add([Document("d", "word " * 40), Document("e", "other " * 40)])
            ...     first.added, again.added, again.existing, len(index)
            (1, 1, ['d'], 2)
        """
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise ParameterError(f"batch must be a positive integer, got {batch!r}")
        _check_documents(documents)
        check_bool("replace", replace)
        _check_progress(progress)
        result = AddResult()
        done = 0
        with self._store.writing():
            batches = self._prepared(documents, batch, replace, result)
            try:
                for prepared in batches:
                    done += self._commit(prepared, result)
                    if progress is not None:
                        progress("documents", done, None)
            finally:
                batches.close()  # stops the reading thread at once if a commit failed
            self._merge_small()
        return AddResult(done, result.existing, result.replaced, result.skipped, result.unread_dates, result.changed)

    def _prepared(
        self, documents: Iterable[Document], size: int, replace: bool, result: AddResult
    ) -> Generator[_Batch, None, None]:
        """The documents read and sketched ``size`` at a time, the next batch on a thread while the caller commits one.

        The thread reads the catalogue on a connection of its own, which sees commits only: the
        ids an add has already taken are in ``seen``. At most two batches are in memory.
        """
        store = self._store
        handoff: Queue[_Batch | BaseException | None] = Queue()
        slots = threading.Semaphore(2)
        stop = threading.Event()

        def wait_slot() -> bool:
            while not slots.acquire(timeout=0.1):
                if stop.is_set():
                    return False
            return True

        def produce() -> None:
            reader = store.reader()
            try:
                seen = _Taken()
                sources = store.sources(reader)
                iterator = iter(documents)
                read = 0

                def chunks() -> Iterator[list[Document]]:
                    # A batch is read a chunk at a time as it is sketched: the sketching threads
                    # work on one chunk while this thread reads and normalises the next.
                    nonlocal read
                    while read < size and not stop.is_set():
                        chunk = list(itertools.islice(iterator, min(_READ_CHUNK, size - read)))
                        if not chunk:
                            return
                        read += len(chunk)
                        yield chunk

                while True:
                    if not wait_slot():
                        return
                    read = 0
                    prepared = self._prepare(chunks(), replace, seen, sources, reader, result)
                    if stop.is_set() or not read:
                        prepared.close()
                        if stop.is_set():
                            return
                        break
                    # The next batch's new sources take the ids after this one's.
                    sources = dict(prepared.index.sources)
                    handoff.put(prepared)
                    if read < size:  # the documents ran out
                        break
                handoff.put(None)
            except BaseException as error:  # handed to the caller's thread, raised there
                handoff.put(error)
            finally:
                reader.close()

        thread = threading.Thread(target=produce, name="dedup-index-read", daemon=True)
        thread.start()
        try:
            while True:
                item = handoff.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                try:
                    yield item
                finally:
                    item.close()
                    slots.release()
        finally:
            stop.set()
            thread.join()
            while not handoff.empty():
                left = handoff.get()
                if isinstance(left, _Batch):
                    left.close()

    def _prepare(
        self,
        chunks: Iterable[list[Document]],
        replace: bool,
        seen: _Taken,
        sources: dict[str, int],
        reader: Any,
        result: AddResult,
    ) -> _Batch:
        """Sketch one batch of documents, given in chunks (those not in the index, or all of them with ``replace``)."""
        config = self.config
        index = _Index(config, note_sources=False)
        # The texts are stored compressed from `kept`: the batch need not spill them to a file.
        index.documents = DocumentStore(memory=True)
        # Each source keeps the id it was first given (its documents are counted under it).
        index.sources = dict(sources)
        prepared = _Batch(index, [], {})
        try:
            for docs in chunks:
                # (An id that is not valid text is never stored: the batch skips it, or refuses it.)
                ids = [d.id for d in docs if isinstance(d, Document) and _valid_id(d.id)]
                present = self._store.numbers(ids, reader)
                # What is stored under the ids: an edited story is said to be one (kept as stored),
                # and with ``replace`` only an edited one is replaced (the same day added again is
                # already in the index, not stored again and renumbered as added last).
                stored = self._stored(present, reader)
                for doc in docs:
                    self._take(doc, present, replace, seen, index, prepared, result, stored)
            prepared.window_doc, _ = index.finish()
            result.skipped.extend(index.skipped)
            result.unread_dates.extend(index.unread_dates)
        except BaseException:
            prepared.close()
            raise
        return prepared

    def _take(
        self,
        doc: Document,
        present: dict[str, int],
        replace: bool,
        seen: _Taken,
        index: _Index,
        prepared: _Batch,
        result: AddResult,
        stored: dict[str, tuple[str, str | None, str | None]],
    ) -> None:
        """Add one document to the batch being sketched, or count it as existing or skipped.

        ``stored`` holds the text, source and date stored under each id present.
        """
        doc_id = doc.id if isinstance(doc, Document) else None
        if isinstance(doc_id, str) and doc_id in seen.kept:
            reason = "duplicate id (an earlier document of this add has the same id)"
            if not self.config.skip_bad:
                raise InputError(
                    f"document {doc_id!r}: {reason}",
                    document=doc_id,
                    reason=reason,
                    skippable=True,
                    kind="duplicate id",
                    occurrence=seen.occurrence(doc_id),
                )
            seen.refuse(doc_id)
            # (counted with the batch's own skips, in the order given: the reader places the
            # skipped documents of one id on its places in that order)
            index.skipped.append(Skipped(doc_id, reason, doc_id, kind="duplicate id"))
            return
        if isinstance(doc_id, str) and doc_id in present:
            edited = doc_id not in stored or stored[doc_id] != (doc.text, doc.source, doc.date)
            # A document too short, empty or malformed under a stored id is no edit of it: the batch
            # refuses it, and the id goes to the next document, as in a scan (the stored one stays).
            if not (edited and self._text_refused(doc)):
                if not (replace and edited):
                    seen.kept.add(doc_id)
                    result.existing.append(doc_id)
                    if edited and doc_id in stored:
                        result.changed.append(doc_id)
                    return
                prepared.replaced[doc_id] = present[doc_id]
        before = len(index.documents)
        try:
            index.add(doc)
        except InputError as error:
            # (the batch counts the documents of an id it was given; the add counts them all)
            error.occurrence = seen.occurrence(doc_id) if isinstance(doc_id, str) else None
            raise
        if len(index.documents) > before:
            seen.kept.add(doc.id)
            prepared.kept.append(doc)
        else:
            if isinstance(doc_id, str):
                seen.refuse(doc_id)
            if doc_id in prepared.replaced:
                del prepared.replaced[doc_id]  # the new version is bad: the old one stays

    def _text_refused(self, doc: Document) -> bool:
        """Whether a scan would refuse ``doc`` for its text: not a string, or too short or empty (``too_short``)."""
        if not isinstance(doc.text, str):
            return True
        return too_short(normalize(doc.text, profile=self.config.profile).text, self.config.min_exact) is not None

    def _stored(self, present: dict[str, int], reader: Any) -> dict[str, tuple[str, str | None, str | None]]:
        """The stored text, source and date of the ``present`` ids (id -> archive number), read on ``reader``."""
        if not present:
            return {}
        rows = self._store.documents(list(present.values()), reader)
        return {row[1]: (self._store.text(row), row[2], row[3]) for row in rows}

    def _commit(self, prepared: _Batch, result: AddResult) -> int:
        """Commit one sketched batch; returns how many documents were stored."""
        store = self._store
        batch, kept, replaced, window_doc = prepared.index, prepared.kept, prepared.replaced, prepared.window_doc
        n = len(batch.documents)
        if n == 0:
            return 0
        sources = store.sources()
        first = store.next_num()
        keys = _Columns(batch)  # each band's keys gathered by the thread that sorts them
        path = store.new_segment_path()
        try:
            # The segment's bands are sorted and the texts compressed on two threads: the sort
            # kernel and zstandard release the GIL.
            with ThreadPoolExecutor(max(1, batch.threads)) as pool:
                compressing = [
                    pool.submit(_compressed, batch, kept, first, k, _TEXT_CHUNK) for k in range(0, n, _TEXT_CHUNK)
                ]
                window_docs = (window_doc + first).astype(np.uint32)
                entries, size = write_segment(path, keys, window_docs, n, pool, batch.members)
                del keys
                rows = [row for f in compressing for row in f.result()]
            with store.reading() as snap:
                store_stats = store.statistics(snap).copy()
                old = store.documents(sorted(replaced.values())) if replaced else []
            store_stats.add(Statistics.of_batch(batch))
            if old:
                store_stats.subtract(_stats_of(store, old, batch.sources))
            new_sources = [(name, k) for name, k in batch.sources.items() if name not in sources]
            with store.transaction() as db:
                if replaced:
                    olds = [(num,) for num in replaced.values()]
                    db.executemany("DELETE FROM documents WHERE num = ?", olds)
                    db.executemany("INSERT OR IGNORE INTO removed VALUES (?)", olds)
                db.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                db.executemany("INSERT INTO sources VALUES (?, ?)", new_sources)
                db.execute("INSERT INTO segments VALUES (?, ?, ?, ?)", (path.name, entries, n, size))
                db.execute("UPDATE statistics SET value = ? WHERE name = 'boilerplate'", (store_stats.to_bytes(),))
                db.execute("UPDATE meta SET value = ? WHERE key = 'next_num'", (str(first + n),))
        except BaseException:
            store.discard_segment(path)  # (a full disk: the half-written file is not left for the next writer)
            raise
        result.replaced.extend(replaced)
        return n

    @_serialized
    def remove(self, ids: str | Iterable[str]) -> list[str]:
        """Remove documents by id (one, or several); returns the ids removed (ids not in the index are left out).

        An id that no document can have (not a non-empty str of valid text) is a ParameterError, and nothing is removed.

        The answer of every later query is the one the index would give had they never been added.

        Example:
            >>> import tempfile
            >>> with Index.open(tempfile.mkdtemp() + "/a") as index:
            ...     _ = index.add([Document("d", "word " * 40)])
            ...     index.remove(["d", "nope"]), index.remove("d"), len(index)
            (['d'], [], 0)
        """
        # One id is one id, not a string of one-character ids.
        if not isinstance(ids, str) and not isinstance(ids, Iterable):
            raise ParameterError(f"ids must be an id or an iterable of ids, got {type(ids).__name__}")
        wanted = list(dict.fromkeys([ids] if isinstance(ids, str) else ids))
        for doc_id in wanted:
            _check_id(doc_id)
        store = self._store
        with store.writing():
            present = store.numbers(wanted)
            if not present:
                return []
            nums = sorted(present.values())
            with store.reading() as snap:
                stats = store.statistics(snap).copy()
                stats.subtract(_stats_of(store, store.documents(nums), store.sources()))
            with store.transaction() as db:
                db.executemany("DELETE FROM documents WHERE num = ?", [(n,) for n in nums])
                db.executemany("INSERT OR IGNORE INTO removed VALUES (?)", [(n,) for n in nums])
                db.execute("UPDATE statistics SET value = ? WHERE name = 'boilerplate'", (stats.to_bytes(),))
        return [i for i in wanted if i in present]

    @_serialized
    @small_pages()
    def compact(self) -> dict[str, int]:
        """Merge the segments and rebuild the catalogue without removed documents; returns bytes before and after.

        Every segment becomes one without the removed documents' keys, and the catalogue is rebuilt
        without the space of removed and replaced documents (SQLite's VACUUM).

        Example:
            >>> import tempfile
            >>> with Index.open(tempfile.mkdtemp() + "/a") as index:
            ...     _ = index.add([Document("d", "word " * 40)], batch=1)
            ...     _ = index.add([Document("e", "other " * 40)], batch=1)
            ...     before = index.info()["segments"]
            ...     _ = index.compact()
            ...     before, index.info()["segments"]
            (2, 1)
        """
        with self._store.writing():
            # Sizes without the write-ahead log of earlier writes: it is emptied at every write's end.
            self._store.checkpoint()
            before = self._store.info()["bytes"]
            rows = self._store.segment_rows()
            if rows:
                self._merge([name for name, _, _ in rows], clear_removed=True)
            self._store.vacuum()
        return {"bytes_before": before, "bytes_after": self._store.info()["bytes"]}

    def _merge(self, names: list[str], *, clear_removed: bool) -> None:
        """Replace segments by one (inside writing()); with ``clear_removed``, all of them, forgetting tombstones."""
        store = self._store
        with store.reading() as snap:
            removed = snap.removed
        segments = [store.open_segment(n) for n in names]
        path = store.new_segment_path()
        try:
            try:
                documents = sum(s.documents for s in segments)
                # Bands are merged and written on the pool's threads (the merge kernel releases the GIL).
                with ThreadPoolExecutor(_threads(), thread_name_prefix="dedup-index-merge") as pool:
                    entries, size = merge_segments(path, segments, store.bands, removed, documents, pool)
            finally:
                for s in segments:
                    s.close()
            with store.transaction() as db:
                db.executemany("DELETE FROM segments WHERE file = ?", [(n,) for n in names])
                db.execute("INSERT INTO segments VALUES (?, ?, ?, ?)", (path.name, entries, documents, size))
                if clear_removed:
                    db.execute("DELETE FROM removed")
        except BaseException:
            store.discard_segment(path)
            raise
        store.delete_segment_files(names)

    def _merge_small(self) -> None:
        """Merge segments of a similar size, ``_FAN_IN`` at a time, so that a query reads few of them."""
        while True:
            rows = self._store.segment_rows()
            tiers: dict[int, list[str]] = {}
            for name, entries, _ in rows:
                tiers.setdefault(max(0, int(entries).bit_length() // 2), []).append(name)
            full = [names for _, names in sorted(tiers.items()) if len(names) >= _FAN_IN]
            if not full:
                return
            self._merge(full[0], clear_removed=len(full[0]) == len(rows))


def _id_problem(doc_id: object) -> str | None:
    """Why ``doc_id`` cannot be a stored document's id (not a non-empty str of valid text), or None."""
    if not isinstance(doc_id, str) or not doc_id:
        return f"a document id must be a non-empty str, got {doc_id!r}"
    at = lone_surrogate(doc_id)
    if at >= 0:
        return (
            f"document id {doc_id!r} holds a lone surrogate (U+{ord(doc_id[at]):04X} at character {at}): "
            "no stored document has such an id"
        )
    return None


def _valid_id(doc_id: object) -> bool:
    """Whether ``doc_id`` can be a stored document's id."""
    return _id_problem(doc_id) is None


def _check_id(doc_id: object) -> None:
    """Raise :class:`~dedup.errors.ParameterError` unless ``doc_id`` can be a stored document's id."""
    problem = _id_problem(doc_id)
    if problem is not None:
        raise ParameterError(problem)


def _stats_of(store: Store, rows: list[Row], sources: dict[str, int]) -> Statistics:
    """The statistics of stored documents, counted again from their texts under their sources' ids."""
    texts = [(store.text(row), row[2] if row[2] is not None else "\x00" + row[1]) for row in rows]
    return Statistics.of_texts(store.config, texts, sources)


def _compressed(
    batch: _Index, docs: list[Document], first: int, start: int, count: int
) -> list[tuple[int, str, str | None, str | None, int, bytes, bytes, int]]:
    """Catalogue rows of documents ``start:start + count`` of a finished batch holding ``docs``, texts compressed."""
    compress = compressor()
    rows = []
    for i in range(start, min(start + count, len(docs))):
        doc = docs[i]
        text = compress(doc.text.encode("utf-8", "surrogatepass"))
        signature = np.ascontiguousarray(batch.doc_signatures[i], dtype="<u4").tobytes()
        windows = int(batch.window_counts[i])
        rows.append((first + i, doc.id, doc.source, doc.date, len(doc.text), text, signature, windows))
    return rows
