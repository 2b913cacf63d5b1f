"""A read-only mapping of documents whose texts wait in an anonymous temporary file, not in memory.

A scan has to give back every document it read (passages are offsets into the raw texts), but
holding a whole corpus as Python strings costs as much memory as the corpus itself. A
:class:`DocumentStore` writes each text to a temporary file (UTF-8, appended in ~1 MB chunks)
and keeps in memory only a few bytes a document: its offset, its date's length, a code for its
source, and the id-to-index map. Reading a document back is one positioned read and a decode.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from array import array
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, NoReturn

import numpy as np
import numpy.typing as npt

from ._pages import write_at
from .errors import DedupError, InputError, ParameterError, ReadError
from .records import Document

__all__ = ["BandKeyStore", "DocumentStore", "SortedRuns"]

_CHUNK = 1 << 20  # bytes gathered in memory before one write to the file
_MAX_DATE = 0x7FFF_FFFF  # a date's length must fit the int32 array that holds it
_NO_DATE = -1


def _close(file: IO[bytes] | None) -> None:
    if file is not None:
        file.close()


class DocumentStore(Mapping[str, Document]):
    """Documents by id, in insertion order, with their texts spilled to an anonymous temporary file.

    ``add`` appends a document and returns its index; ``store[id]`` reads the same
    :class:`~dedup.records.Document` back, ``text(index)`` only its text. Texts and dates go to a
    temporary file (unlinked at once; ``directory`` chooses where, by default the system's temporary
    directory) through a write buffer of about ``chunk`` bytes that reads also see; sources are few
    and stay in memory, each distinct one once. With ``memory=True`` nothing is written to disk: the
    encoded texts stay in one in-memory buffer (for tests and tiny corpora). The file is closed by
    :meth:`close`, on leaving a ``with`` block, or when the store is garbage collected.

    Example:
        >>> with DocumentStore() as store:
        ...     store.add(Document("a", "نص أول", source="wire"))
        ...     store.add(Document("b", "second text", date="2024-05-01"))
        ...     store["b"], store.text(0), list(store), len(store), "c" in store
        0
        1
        (Document(id='b', text='second text', source=None, date='2024-05-01'), 'نص أول', ['a', 'b'], 2, False)
    """

    def __init__(
        self,
        documents: Iterable[Document] = (),
        *,
        memory: bool = False,
        directory: str | os.PathLike[str] | None = None,
        chunk: int = _CHUNK,
    ) -> None:
        if chunk < 1:
            raise ParameterError(f"chunk must be at least 1 byte, got {chunk}")
        self._index: dict[str, int] = {}
        self._ids: list[str] = []
        # Record i (its text's UTF-8 bytes, then its date's) spans bytes offsets[i]:offsets[i + 1].
        self._offsets = array("q", [0])
        self._date_len = array("i")  # bytes of the date at the record's end; -1 for no date
        self._source_code = array("i")  # index into _sources
        self._sources: list[str | None] = []
        self._source_codes: dict[str | None, int] = {}
        self._buffer = bytearray()  # records not yet written; with memory=True, all of them
        self._flushed = 0  # bytes already in the file; the buffer holds the bytes after them
        self._memory = memory
        self._chunk = chunk
        self._closed = False
        self._file: IO[bytes] | None = None
        if not memory:
            try:
                self._file = tempfile.TemporaryFile(buffering=0, dir=directory)  # noqa: SIM115 - closed by close() or the finalizer
            except OSError as error:
                where = directory if directory is not None else tempfile.gettempdir()
                raise DedupError(
                    f"{where}: cannot create the document store's temporary file: {error.strerror or error}"
                ) from error
        self._fd = self._file.fileno() if self._file is not None else -1
        self._finalizer = weakref.finalize(self, _close, self._file)
        for doc in documents:
            self.add(doc)

    # ------------------------------------------------------------------ writing

    def add(self, doc: Document) -> int:
        """Append a document and return its index (0, 1, 2, ... in insertion order).

        Ids must be unique: a second document with the same id is an :class:`~dedup.errors.InputError`.

        Example:
            >>> store = DocumentStore(memory=True)
            >>> store.add(Document("x", "text")), store.add(Document("y", "more"))
            (0, 1)
        """
        self._check_open()
        n = len(self._ids)
        if self._index.setdefault(doc.id, n) != n:
            raise InputError(
                f"document {doc.id!r}: duplicate id (an earlier document has the same id)",
                document=doc.id,
                reason="duplicate id (an earlier document has the same id)",
            )
        try:
            text = doc.text.encode("utf-8", "surrogatepass")
            date = doc.date.encode("utf-8", "surrogatepass") if doc.date is not None else b""
            if len(date) > _MAX_DATE:
                raise ParameterError(f"document {doc.id!r}: date of {len(date):,} bytes is too long")
        except BaseException:
            del self._index[doc.id]
            raise
        code = self._source_codes.get(doc.source)
        if code is None:
            code = self._source_codes[doc.source] = len(self._sources)
            self._sources.append(doc.source)
        self._ids.append(doc.id)
        self._date_len.append(len(date) if doc.date is not None else _NO_DATE)
        self._source_code.append(code)
        buffer = self._buffer
        buffer += text
        buffer += date
        self._offsets.append(self._flushed + len(buffer))
        if len(buffer) >= self._chunk and not self._memory:
            self.flush()
        return n

    def flush(self) -> None:
        """Write the buffered records to the temporary file (reads see them either way).

        Example:
            >>> store = DocumentStore()
            >>> _ = store.add(Document("a", "text"))
            >>> store.flush(); store.nbytes
            4
        """
        self._check_open()
        if self._memory or not self._buffer:
            return
        try:
            if hasattr(os, "pwrite"):
                write_at(self._fd, self._buffer, self._flushed)
            else:
                assert self._file is not None
                self._file.seek(self._flushed)
                data = memoryview(self._buffer)
                done = 0
                while done < len(data):  # a raw file's write may write part of it
                    done += self._file.write(data[done:])
                data.release()
        except OSError as error:
            raise DedupError(f"cannot write the document store's temporary file: {error.strerror or error}") from error
        self._flushed += len(self._buffer)
        self._buffer = bytearray()

    # ------------------------------------------------------------------ reading

    def _read(self, start: int, end: int) -> bytes:
        """Bytes ``start:end`` of the store, from the file, the buffer or both."""
        self._check_open()
        flushed = self._flushed
        if start >= flushed:
            return bytes(self._buffer[start - flushed : end - flushed])
        parts: list[bytes] = []
        at, stop = start, min(end, flushed)
        try:
            while at < stop:
                if hasattr(os, "pread"):
                    part = os.pread(self._fd, stop - at, at)
                else:
                    assert self._file is not None
                    self._file.seek(at)
                    part = self._file.read(stop - at)
                if not part:
                    raise ReadError(f"the document store's temporary file ends at byte {at}, expected {stop}")
                parts.append(part)
                at += len(part)
        except ReadError:
            raise
        except OSError as error:
            raise ReadError(f"cannot read the document store's temporary file: {error.strerror or error}") from error
        if end > flushed:
            parts.append(bytes(self._buffer[: end - flushed]))
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _position(self, index: int) -> int:
        if not 0 <= index < len(self._ids):
            raise IndexError(f"document index {index} is out of range for {len(self._ids)} documents")
        return index

    def text(self, index: int) -> str:
        """The text of the document at ``index`` (insertion order), without building the Document.

        Example:
            >>> store = DocumentStore([Document("a", "first"), Document("b", "second", date="today")])
            >>> store.text(1)
            'second'
        """
        i = self._position(index)
        end = self._offsets[i + 1]
        date = self._date_len[i]
        if date > 0:
            end -= date
        return self._read(self._offsets[i], end).decode("utf-8", "surrogatepass")

    def document(self, index: int) -> Document:
        """The document at ``index`` (insertion order).

        Example:
            >>> DocumentStore([Document("a", "text", "wire", "2024")]).document(0)
            Document(id='a', text='text', source='wire', date='2024')
        """
        i = self._position(index)
        data = self._read(self._offsets[i], self._offsets[i + 1])
        date_len = self._date_len[i]
        if date_len == _NO_DATE:
            text, date = data.decode("utf-8", "surrogatepass"), None
        else:
            cut = len(data) - date_len
            text = data[:cut].decode("utf-8", "surrogatepass")
            date = data[cut:].decode("utf-8", "surrogatepass")
        return Document(self._ids[i], text, self._sources[self._source_code[i]], date)

    def doc_id(self, index: int) -> str:
        """The id of the document at ``index`` (insertion order).

        Example:
            >>> DocumentStore([Document("a", "x"), Document("b", "y")]).doc_id(1)
            'b'
        """
        return self._ids[self._position(index)]

    def index(self, doc_id: str) -> int:
        """The insertion index of the document ``doc_id`` (:class:`KeyError` if it is not stored).

        Example:
            >>> DocumentStore([Document("a", "x"), Document("b", "y")]).index("b")
            1
        """
        return self._index[doc_id]

    def source(self, index: int) -> str | None:
        """The source of the document at ``index``, read from memory.

        Example:
            >>> DocumentStore([Document("a", "x", source="wire")]).source(0)
            'wire'
        """
        return self._sources[self._source_code[self._position(index)]]

    @property
    def nbytes(self) -> int:
        """Bytes of text and dates stored (UTF-8), in the file and the write buffer together.

        Example:
            >>> DocumentStore([Document("a", "نص", date="1")], memory=True).nbytes
            5
        """
        return self._offsets[-1]

    # ------------------------------------------------------------------ Mapping

    def __getitem__(self, doc_id: str) -> Document:
        return self.document(self._index[doc_id])

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._index

    def __repr__(self) -> str:
        where = "memory" if self._memory else "closed" if self._closed else "temporary file"
        return f"<DocumentStore: {len(self)} documents, {self.nbytes:,} bytes in {where}>"

    # ------------------------------------------------------------------ closing

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run (ids stay readable; documents and texts do not).

        Example:
            >>> store = DocumentStore([Document("a", "x")])
            >>> store.close(); store.closed, list(store)
            (True, ['a'])
        """
        return self._closed

    def close(self) -> None:
        """Close and drop the temporary file (and the in-memory buffer); closing twice does nothing.

        Example:
            >>> store = DocumentStore([Document("a", "x")])
            >>> store.close()
            >>> store["a"]
            Traceback (most recent call last):
            ...
            dedup.errors.DedupError: the document store is closed
        """
        self._closed = True
        self._buffer = bytearray()
        self._finalizer()

    def _check_open(self) -> None:
        if self._closed:
            raise DedupError("the document store is closed")

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "a scan's documents (a DocumentStore) cannot be pickled or copied: their texts are in a temporary "
            "file of this process; pickle result.to_arrow(), or the passages, pairs and dict(result.documents)"
        )

    def __enter__(self) -> DocumentStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Spill:
    """An anonymous temporary file that numpy arrays are appended to and read back from, made on first use.

    ``what`` names the contents in error messages ("the band keys").
    """

    def __init__(self, what: str, directory: str | os.PathLike[str] | None = None) -> None:
        self.what = what
        self.directory = directory
        self.end = 0
        self._file: IO[bytes] | None = None
        self._finalizer: weakref.finalize[[IO[bytes] | None], _Spill] | None = None

    @property
    def opened(self) -> bool:
        return self._file is not None

    def append(self, array: npt.NDArray[np.generic]) -> int:
        """Write a contiguous array at the end of the file; returns the byte offset it starts at."""
        if self._file is None:
            try:
                self._file = tempfile.TemporaryFile(buffering=0, dir=self.directory)  # noqa: SIM115 - closed by close() or the finalizer
            except OSError as error:
                where = self.directory if self.directory is not None else tempfile.gettempdir()
                reason = error.strerror or error
                raise DedupError(f"{where}: cannot create the temporary file for {self.what}: {reason}") from error
            self._finalizer = weakref.finalize(self, _close, self._file)
        at = self.end
        data = array.reshape(-1).view(np.uint8).data
        try:
            write_at(self._file.fileno(), data, at)
        except OSError as error:
            raise DedupError(f"cannot write the temporary file for {self.what}: {error.strerror or error}") from error
        self.end += len(data)
        return at

    def read_into(self, out: npt.NDArray[np.generic], at: int) -> None:
        """Fill contiguous ``out`` with the bytes of the file from offset ``at``."""
        assert self._file is not None
        view = out.reshape(-1).view(np.uint8).data
        done = 0
        try:
            while done < len(view):
                got = os.preadv(self._file.fileno(), [view[done:]], at + done)
                if not got:
                    raise ReadError(f"the temporary file for {self.what} ends at byte {at + done}")
                done += got
        except ReadError:
            raise
        except OSError as error:
            raise ReadError(f"cannot read the temporary file for {self.what}: {error.strerror or error}") from error

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


_KEY_LIMIT = 256 << 20  # band keys held in memory before they go to a temporary file


class BandKeyStore:
    """The LSH band keys of every window, a block a batch, in memory up to ``limit`` bytes, then on disk.

    A block is a ``[bands, windows]`` uint32 array (band-major, as :func:`dedup.lsh.band_keys32`
    makes them); :meth:`column` gives one band's keys over every block, in order. The keys are most
    of a large scan's memory (112 bytes a window at 28 bands: 0.84 GB for 100,000 documents of
    3,000 characters) but are read only a band at a time, by the candidate search: past ``limit``
    every block is written to an anonymous temporary file and a band is read back with one
    positioned read a block. Small scans never touch the disk.

    Example:
        >>> keys = BandKeyStore(2, limit=16)
        >>> keys.add(np.array([[1, 2], [3, 4]], np.uint32))  # 16 bytes: in memory
        >>> keys.add(np.array([[5], [6]], np.uint32))  # over the limit: both blocks to the file
        >>> keys.column(0).tolist(), keys.column(1).tolist(), keys.on_disk, len(keys)
        ([1, 2, 5], [3, 4, 6], True, 3)
        >>> keys.close()
    """

    def __init__(
        self, bands: int, *, limit: int | None = None, directory: str | os.PathLike[str] | None = None
    ) -> None:
        limit = _KEY_LIMIT if limit is None else limit  # (None: the default, 256 MB)
        if bands < 1:
            raise ParameterError(f"bands must be a positive integer, got {bands}")
        if limit < 0:
            raise ParameterError(f"limit must be a non-negative number of bytes, got {limit}")
        self.bands = bands
        self.limit = limit
        self._blocks: list[npt.NDArray[np.uint32] | None] = []  # None once written to the file
        self._at: list[int] = []  # where each written block starts in the file
        self._widths: list[int] = []
        self._memory = 0
        self._file = _Spill("the band keys", directory)

    def __len__(self) -> int:
        """Windows stored."""
        return sum(self._widths)

    @property
    def on_disk(self) -> bool:
        """Whether the blocks went to the temporary file."""
        return self._file.opened

    def add(self, block: npt.NDArray[np.uint32]) -> None:
        """Append one block of keys, ``[bands, windows]``."""
        block = np.ascontiguousarray(block, dtype=np.uint32)
        if block.ndim != 2 or block.shape[0] != self.bands:
            raise ParameterError(f"a block must have shape (bands ({self.bands}), windows), got {block.shape}")
        self._widths.append(block.shape[1])
        if not self._file.opened and self._memory + block.nbytes <= self.limit:
            self._blocks.append(block)
            self._at.append(-1)
            self._memory += block.nbytes
            return
        if not self._file.opened:
            for k, held in enumerate(self._blocks):
                assert held is not None
                self._at[k] = self._file.append(held)
                self._blocks[k] = None
            self._memory = 0
        self._blocks.append(None)
        self._at.append(self._file.append(block))

    def column(self, band: int) -> npt.NDArray[np.uint32]:
        """The keys of ``band`` for every window, in the order the blocks were added."""
        if not 0 <= band < self.bands:
            raise ParameterError(f"band must be in [0, {self.bands}), got {band}")
        out = np.empty(len(self), dtype=np.uint32)
        pos = 0
        for block, at, width in zip(self._blocks, self._at, self._widths, strict=True):
            if block is not None:
                out[pos : pos + width] = block[band]
            elif width:
                self._file.read_into(out[pos : pos + width], at + band * width * 4)
            pos += width
        return out

    def close(self) -> None:
        """Drop every block and the temporary file."""
        self._blocks = []
        self._at = []
        self._widths = []
        self._memory = 0
        self._file.close()


class SortedRuns:
    """Sorted uint64 arrays ("runs") kept in an anonymous temporary file, read back a value range at a time.

    For counting, across many sorted runs, how often each value occurs when the runs together do not
    fit in memory: each run is written once, with the positions in it of a fixed grid of values
    (``grid``, sorted); :meth:`cells` gives how many values each grid cell holds over all runs, and
    :meth:`read` the values of cells ``first:last`` of every run, one positioned read a run.

    Example:
        >>> runs = SortedRuns(np.array([0, 10, 20], np.uint64))
        >>> runs.add(np.array([1, 5, 12, 25], np.uint64)); runs.add(np.array([3, 12], np.uint64))
        >>> runs.cells().tolist(), [r.tolist() for r in runs.read(2, 3)]  # cell 2: [10, 20)
        ([0, 3, 2, 1], [[12], [12]])
        >>> runs.close()
    """

    def __init__(self, grid: npt.NDArray[np.uint64], *, directory: str | os.PathLike[str] | None = None) -> None:
        self.grid = np.ascontiguousarray(grid, dtype=np.uint64)
        self._at: list[int] = []
        self._cuts: list[npt.NDArray[np.int64]] = []  # per run: where each grid value would go, and its end
        self._file = _Spill("pair lists", directory)

    def add(self, run: npt.NDArray[np.uint64]) -> None:
        """Write one sorted run."""
        run = np.ascontiguousarray(run, dtype=np.uint64)
        cuts = np.empty(len(self.grid) + 2, dtype=np.int64)
        cuts[0] = 0
        cuts[1:-1] = np.searchsorted(run, self.grid)
        cuts[-1] = len(run)
        self._at.append(self._file.append(run))
        self._cuts.append(cuts)

    def cells(self) -> npt.NDArray[np.int64]:
        """Values in each grid cell (below grid[0], between grid values, from the last on), over all runs."""
        total = np.zeros(len(self.grid) + 1, dtype=np.int64)
        for cuts in self._cuts:
            total += np.diff(cuts)
        return total

    def read(self, first: int, last: int) -> list[npt.NDArray[np.uint64]]:
        """The values of cells ``first:last`` of every run (each run's part still sorted)."""
        out = []
        for at, cuts in zip(self._at, self._cuts, strict=True):
            lo, hi = int(cuts[first]), int(cuts[last])
            part = np.empty(hi - lo, dtype=np.uint64)
            if hi > lo:
                self._file.read_into(part, at + 8 * lo)
            out.append(part)
        return out

    def close(self) -> None:
        """Drop the runs and the temporary file."""
        self._at, self._cuts = [], []
        self._file.close()
