"""The archive's files: a SQLite catalogue in WAL mode, immutable segment files, and a writer's lock.

Layout of an index directory (format version :data:`FORMAT_VERSION`, described in
docs/archive-index.md)::

    INDEX/catalogue.sqlite   meta, documents (zstandard texts), segments, removed, statistics
    INDEX/segments/*.seg     band keys (dedup.index.segments), named by the catalogue
    INDEX/lock               flock()ed by the one writer

A write commits in one SQLite transaction, after the segment files it names are written and
fsynced: a crash at any moment leaves the catalogue at its last commit, naming only whole files.
Files no commit names (a crash between writing and committing) are deleted by the next writer.
Readers use SQLite's snapshot isolation: a read transaction sees the last commit made before it
began, whatever a writer does meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import os
import secrets
import sqlite3
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import DedupError, ParameterError
from ..fingerprint import engine_fingerprint
from ..records import outlet
from ..scan import ScanConfig
from .codec import DecompressError, decompress
from .segments import Segment
from .stats import Statistics

__all__ = ["FORMAT_VERSION", "Row", "Snapshot", "Store", "engine_fingerprint"]

FORMAT_VERSION = 5
_CATALOGUE = "catalogue.sqlite"
Row = tuple[int, str, "str | None", "str | None", bytes, bytes, int]
"""A stored document: num, id, source, date, zstandard frame of the text's UTF-8, the whole-document MinHash signature
(u32 LE), its window count."""
_ROW_COLUMNS = "num, id, source, date, text, signature, windows"
_SEGMENTS = "segments"
_LOCK = "lock"
_LARGEST = (1 << 63) - 1  # the largest whole number SQLite stores as one
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT, date TEXT,
    length INTEGER NOT NULL, text BLOB NOT NULL, signature BLOB NOT NULL, windows INTEGER NOT NULL
);
CREATE TABLE sources (name TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE);
CREATE TABLE segments (
    file TEXT PRIMARY KEY, entries INTEGER NOT NULL, documents INTEGER NOT NULL, bytes INTEGER NOT NULL
);
CREATE TABLE removed (num INTEGER PRIMARY KEY);
CREATE TABLE statistics (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""
# Configuration fields that decide what is stored or found; skip_bad only says how input is read.
_NOT_STORED = ("skip_bad", "strict")


def check_not_a_file(path: Path) -> None:
    """Refuse an index path that names something other than a directory (a file, a link to one)."""
    if path.exists() and not path.is_dir():
        raise DedupError(f"{path}: exists and is not a directory (an index is a directory)")


def config_to_json(config: ScanConfig) -> str:
    """The stored form of a configuration."""
    stored = {k: v for k, v in config.to_dict().items() if k not in _NOT_STORED}
    return json.dumps(stored, sort_keys=True)


def config_from_json(where: Path, text: str) -> ScanConfig:
    """Read a stored configuration (an unknown parameter means another dedup wrote it)."""
    try:
        stored = json.loads(text)
    except (ValueError, TypeError) as error:  # (not JSON: no dedup wrote it so)
        stored = error
    if not isinstance(stored, dict):
        got = f"not JSON ({stored})" if isinstance(stored, Exception) else json.dumps(stored)[:60]
        raise DedupError(
            f"{where}: meta.config is damaged: expected a JSON object of parameters, got {got} "
            "(the index is damaged: rebuild it, or restore a copy)"
        )
    try:
        return ScanConfig().replace(**stored)
    except (ParameterError, ValueError, TypeError) as error:
        message = f"{where}: meta.config, the stored configuration, cannot be read by this dedup: {error}"
        raise DedupError(message) from error


def differences(stored: ScanConfig, given: ScanConfig) -> list[str]:
    """The parameters (but skip_bad) on which two configurations differ, as 'name stored -> given'."""
    a, b = stored.to_dict(), given.to_dict()
    return [f"{k} {a[k]!r} (index) != {b[k]!r}" for k in a if k not in _NOT_STORED and a[k] != b[k]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a read transaction sees: the generation, segment files and removed documents."""

    generation: int
    files: tuple[str, ...]
    removed: npt.NDArray[np.uint32]


class Store:
    """An open index directory: its catalogue connection, open segments and cached statistics."""

    def __init__(self, path: Path, config: ScanConfig | None, *, timeout: float = 10.0, create: bool = True) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._segments: dict[str, Segment] = {}
        self._stats: tuple[int, Statistics] | None = None
        # Window counts read so far, by document number (-1: not read). A number is never given to
        # another document (next_num only grows), so a count read once holds for good.
        self._windows = np.full(0, -1, dtype=np.int32)
        self._lock_fd: int | None = None
        self._in_read = False
        self.created = False  # whether this Store made the catalogue (see remove_if_unused)
        self._made_directory = False
        catalogue = self.path / _CATALOGUE
        if not catalogue.exists():
            check_not_a_file(self.path)
            if not create:
                raise DedupError(f"{self.path}: no index here (no {_CATALOGUE})")
            # (What a crash while creating an index can leave is not "another" folder's content.)
            ours = (_SEGMENTS, _LOCK)
            if self.path.is_dir() and any(
                p.name not in ours and not p.name.startswith(_CATALOGUE) for p in self.path.iterdir()
            ):
                # Most likely the arguments are swapped (a folder of documents given as the index).
                raise DedupError(f"{self.path}: is a directory that is not an index (an index is made in a new one)")
            self._made_directory = not self.path.exists()
            try:
                (self.path / _SEGMENTS).mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise DedupError(f"{self.path}: cannot create the index: {error.strerror or error}") from error
            with self._writer():
                if not catalogue.exists() or not self._has_meta(catalogue):
                    self._create(catalogue, config or ScanConfig())
                    self.created = True
        self.db = self._connect(catalogue)
        try:
            self._read_meta(catalogue, config)
        except BaseException:
            self.db.close()  # (a connection is not left open by an error)
            raise

    def _read_meta(self, catalogue: Path, config: ScanConfig | None) -> None:
        """Check the catalogue's format version and read its configuration and engine digest."""
        # The catalogue connected to: a writer checks that it is still the index's (see remove_if_unused).
        self._identity = _identity(catalogue)
        try:
            meta = self._meta()
        except sqlite3.DatabaseError as error:  # another program's SQLite file under the name
            raise DedupError(f"{catalogue}: not a dedup index catalogue ({error})") from error
        version = self._whole("format", self._field(meta, "format"))
        if version != FORMAT_VERSION:
            newer = version > FORMAT_VERSION
            raise DedupError(
                f"{self.path}: index format version {version}, this dedup reads version {FORMAT_VERSION}; "
                + (
                    "it was made by a newer dedup: upgrade dedup to read it"
                    if newer
                    else "rebuild it: add the documents to a new directory (`dedup index add NEW_INDEX FILES...`)"
                )
            )
        self._check_tables()
        self.config = config_from_json(catalogue, self._field(meta, "config"))
        if config is not None:
            diff = differences(self.config, config)
            if diff:
                raise ParameterError(
                    f"{self.path}: the configuration differs from the index's: {'; '.join(diff)} "
                    "(an index answers with the configuration it was built with)"
                )
            self.config = self.config.replace(skip_bad=config.skip_bad, strict=config.strict)
        self.fingerprint = self._field(meta, "engine")
        self.bands = self.config.short_bands  # (the bands of a short document's windows: every band)
        self._engine_checked = False

    # ------------------------------------------------------------------ connection

    def _connect(self, catalogue: Path) -> sqlite3.Connection:
        if not (os.access(self.path, os.W_OK) and os.access(catalogue, os.W_OK)):
            return self._connect_read_only(catalogue)
        try:
            db = sqlite3.connect(catalogue, isolation_level=None, check_same_thread=False, timeout=self.timeout)
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk when COMMIT returns (NORMAL could lose the last commits on power loss).
            db.execute("PRAGMA synchronous=FULL")
        except sqlite3.DatabaseError as error:
            raise DedupError(f"{catalogue}: cannot open the index catalogue: {_reason(error, self.path)}") from error
        return db

    def _connect_read_only(self, catalogue: Path) -> sqlite3.Connection:
        """The catalogue of an index this process cannot write (a read-only mount, a snapshot, another user's).

        A reader of a WAL database needs its shared-memory file (``-shm``), which SQLite cannot
        create in a directory it may not write. On a read-only filesystem with no write-ahead log
        left (a closed index: the last connection checkpoints it and removes both files) nothing
        can change the catalogue while it is read, and it is opened immutable; otherwise (a log
        left, or a directory another user may be writing) read-only, which needs both files in
        place, so that a writer's commits are seen as they come. Writes are refused when they take
        the writer's lock.
        """
        wal = catalogue.with_name(catalogue.name + "-wal")
        quiet = not wal.exists() or wal.stat().st_size == 0
        frozen = quiet and _read_only_filesystem(self.path)
        uri = catalogue.resolve().as_uri() + ("?immutable=1" if frozen else "?mode=ro")
        try:
            db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=self.timeout)
            db.execute("SELECT 1 FROM sqlite_master").fetchone()  # (sqlite3 opens lazily: fail here, said)
        except sqlite3.DatabaseError as error:
            if _read_only_filesystem(self.path):  # (a log left: read once where it can be written, it is gone)
                why = (
                    "it holds a write-ahead log (-wal) this process cannot read without write access to the "
                    "directory; open it once where it can be written (any dedup index info does), then again here"
                )
            else:  # Another user's directory: closing the index there removes the log again, so say what helps.
                files = (
                    "it holds a write-ahead log (-wal), which SQLite reads with a -shm file beside it"
                    if not quiet
                    else "SQLite reads it with the -wal and -shm files of its log beside it"
                )
                why = (
                    f"{files}, which this process may not create in {self.path}; query it as a user who may "
                    "write there, or be given write access to it"
                )
            raise DedupError(f"{catalogue}: cannot open the index catalogue read-only ({error}): {why}") from error
        return db

    @staticmethod
    def _has_meta(catalogue: Path) -> bool:
        db = sqlite3.connect(catalogue)
        try:
            return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is not None
        except sqlite3.DatabaseError:
            return False
        finally:
            db.close()

    def _create(self, catalogue: Path, config: ScanConfig) -> None:
        # Made under another name and renamed: a crash while creating leaves no half-made catalogue.
        partial = catalogue.with_name(catalogue.name + ".partial")
        try:
            self._write_catalogue(partial, config)
            with open(partial, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(partial, catalogue)
        except (OSError, sqlite3.Error) as error:  # a full disk: nothing is left half made
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            raise DedupError(f"{catalogue}: cannot create the index catalogue: {reason}") from error
        _fsync_dir(self.path)

    @staticmethod
    def _write_catalogue(partial: Path, config: ScanConfig) -> None:
        partial.unlink(missing_ok=True)
        db = sqlite3.connect(partial, isolation_level=None)
        try:
            # A document's row (~2.5 KB of compressed text and its 512-byte signature) is too big for
            # two to share a 4 KB page: 16 KB pages hold five, and the catalogue is a fifth smaller.
            db.execute("PRAGMA page_size = 16384")
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("BEGIN")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            meta = {
                "format": str(FORMAT_VERSION),
                "config": config_to_json(config),
                "engine": engine_fingerprint(config),
                "generation": "0",
                "next_num": "0",
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            db.execute("INSERT INTO statistics VALUES ('boilerplate', ?)", (Statistics.empty(config).to_bytes(),))
            db.execute("COMMIT")
        finally:
            db.close()

    def _check_tables(self) -> None:
        """A damaged-index error naming the first table or column of the schema the catalogue lacks."""
        for table, columns in _schema_columns().items():
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if not have:
                raise self._damaged(f"table {table} is missing")
            for column in columns:
                if column not in have:
                    raise self._damaged(f"table {table} has no column {column}")

    def _meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta").fetchall())

    def _damaged(self, what: str) -> DedupError:
        """The error for a field of the catalogue that is missing or cannot be read: ``what`` says which, and how."""
        return DedupError(f"{self.path / _CATALOGUE}: {what} (the index is damaged: rebuild it, or restore a copy)")

    def _field(self, meta: dict[str, str], key: str) -> str:
        """``meta[key]``, a damaged-index error when it is missing."""
        value = meta.get(key)
        if not isinstance(value, str):
            raise self._damaged(f"meta.{key} is missing")
        return value

    def _number(self, key: str) -> int:
        """The whole number stored as ``meta[key]`` (``generation``, ``next_num``), read now."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return self._whole(key, self._field({} if row is None else {key: row[0]}, key))

    def _whole(self, key: str, value: str) -> int:
        """``meta[key]``'s ``value`` as a whole number, a damaged-index error when it is not one."""
        # (SQLite's integers stop at 2**63 - 1: past it, the commit's increment of the generation
        # writes a float, and the damage the message should have named is done and harder to read)
        if not value.isdigit() or not value.isascii() or len(value) > len(str(_LARGEST)) or int(value) > _LARGEST:
            shown = repr(value) if len(value) <= 40 else f"{value[:20]!r}... ({len(value)} characters)"
            raise self._damaged(f"meta.{key} is damaged: expected a whole number, got {shown}")
        return int(value)

    def text(self, row: Row) -> str:
        """The text of a stored document (:data:`Row`)."""
        try:
            return decompress(row[4]).decode("utf-8", "surrogatepass")
        except (DecompressError, UnicodeDecodeError, TypeError) as error:
            raise self._damaged(f"document {row[1]!r}: stored text is damaged ({error})") from error

    def close(self) -> None:
        """Close the catalogue and the segment files."""
        for seg in self._segments.values():
            seg.close()
        self._segments.clear()
        self._stats = None
        with contextlib.suppress(sqlite3.Error):
            self.db.close()

    # ------------------------------------------------------------------ reading

    @contextlib.contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """A read transaction: everything read inside sees the same commit.

        Segment files named by that commit are opened; if one was deleted meanwhile (a merge
        committed after the transaction began), the transaction starts again on the newer commit.
        """
        if self._in_read:
            raise DedupError("nested read of an index (one query at a time per Index object)")
        for attempt in range(5):
            self.db.execute("BEGIN")
            self._in_read = True
            try:
                snapshot = self._snapshot()
                try:
                    self._open_segments(snapshot.files)
                except FileNotFoundError as error:
                    if attempt == 4:  # not a merge racing this read: the file is gone
                        raise DedupError(
                            f"{error.filename}: a segment file the index's catalogue names is missing; "
                            "the index is damaged (rebuild it, or restore the file)"
                        ) from error
                    continue
                yield snapshot
                return
            finally:
                self._in_read = False
                if self.db.in_transaction:
                    self.db.execute("COMMIT")
        raise AssertionError("unreachable")  # pragma: no cover

    def _snapshot(self) -> Snapshot:
        generation = self._number("generation")
        files = tuple(f for (f,) in self.db.execute("SELECT file FROM segments ORDER BY file"))
        for name in files:
            if not isinstance(name, str) or not name or name != Path(name).name:
                raise self._damaged(f"segments.file is damaged: expected a file name, got {name!r}")
        nums = [n for (n,) in self.db.execute("SELECT num FROM removed")]
        for num in nums:
            if not isinstance(num, int) or not 0 <= num < 1 << 32:
                raise self._damaged(f"removed.num is damaged: expected a document number, got {num!r}")
        return Snapshot(generation, files, np.array(nums, dtype=np.uint32))

    def _open_segments(self, files: tuple[str, ...]) -> None:
        for name in list(self._segments):
            if name not in files:
                self._segments.pop(name).close()
        for name in files:
            if name not in self._segments:
                self._segments[name] = Segment(self.path / _SEGMENTS / name, self.bands)

    def segments(self, snapshot: Snapshot) -> list[Segment]:
        """The open segments of a snapshot (inside its read transaction)."""
        return [self._segments[f] for f in snapshot.files]

    def statistics(self, snapshot: Snapshot) -> Statistics:
        """The archive's statistics at the snapshot (cached until the next commit)."""
        if self._stats is None or self._stats[0] != snapshot.generation:
            row = self.db.execute("SELECT value FROM statistics WHERE name = 'boilerplate'").fetchone()
            if row is None:
                raise self._damaged("statistics.boilerplate is missing")
            try:
                stats = Statistics.from_bytes(self.config, row[0])
            except (ValueError, TypeError, KeyError, IndexError, zlib.error) as error:
                raise self._damaged(f"statistics.boilerplate is damaged ({error})") from error
            self._stats = (snapshot.generation, stats)
        return self._stats[1]

    def numbers(self, ids: list[str], db: sqlite3.Connection | None = None) -> dict[str, int]:
        """The archive numbers of those ``ids`` that are in the index (read on ``db``, by default the catalogue's)."""
        db = db or self.db
        found: dict[str, int] = {}
        for k in range(0, len(ids), 500):
            chunk = ids[k : k + 500]
            marks = ",".join("?" * len(chunk))
            found.update(db.execute(f"SELECT id, num FROM documents WHERE id IN ({marks})", chunk).fetchall())
        return found

    def reader(self) -> sqlite3.Connection:
        """Another connection to the catalogue, for a thread that reads while this one writes (it sees commits only)."""
        return self._connect(self.path / _CATALOGUE)

    def documents(self, nums: list[int], db: sqlite3.Connection | None = None) -> list[Row]:
        """The rows (:data:`Row`) of the documents numbered ``nums`` that exist, by num (read on ``db`` if given)."""
        db = db or self.db
        rows: list[Row] = []
        for k in range(0, len(nums), 500):
            chunk = nums[k : k + 500]
            marks = ",".join("?" * len(chunk))
            rows.extend(db.execute(f"SELECT {_ROW_COLUMNS} FROM documents WHERE num IN ({marks})", chunk))
        rows.sort()
        size = 4 * self.config.num_perm  # (a signature: num_perm little-endian uint32)
        for row in rows:
            self._window_count(row[1], row[6])
            for name, value in (("source", row[2]), ("date", row[3])):
                if value is not None and not isinstance(value, str):
                    got = type(value).__name__
                    raise self._damaged(f"document {row[1]!r}: documents.{name} is damaged: expected text, got {got}")
            if not isinstance(row[5], bytes) or len(row[5]) != size:
                got = f"{len(row[5])} bytes" if isinstance(row[5], bytes) else type(row[5]).__name__
                raise self._damaged(f"document {row[1]!r}: stored signature is damaged ({got}, expected {size} bytes)")
        return rows

    def outlets(self, nums: list[int]) -> dict[int, tuple[str, str]]:
        """The id and outlet (:func:`dedup.records.outlet`) of the documents numbered ``nums`` that exist, by num.

        What a query reads of the archive documents of a bucket too common to compare every pair of:
        it chains them in the order of their ids' keys (:func:`dedup.candidates.chained_pairs`).
        """
        found: dict[int, tuple[str, str]] = {}
        for k in range(0, len(nums), 500):
            chunk = nums[k : k + 500]
            marks = ",".join("?" * len(chunk))
            for num, doc_id, source in self.db.execute(
                f"SELECT num, id, source FROM documents WHERE num IN ({marks})", chunk
            ):
                if not isinstance(doc_id, str) or (source is not None and not isinstance(source, str)):
                    raise self._damaged(f"document number {num}: documents.id or documents.source is damaged")
                found[num] = (doc_id, outlet(source, doc_id))
        return found

    def source_numbers(self, names: Sequence[str]) -> dict[str, list[int]]:
        """The numbers of every stored document of the sources ``names``, by source, ascending.

        What the exact count of a source's boilerplate reads (:mod:`dedup.recount`), when the
        statistics' sketch is too full for the source's limit: it then reads their texts a source
        at a time (:meth:`documents`), not every source's at once.
        """
        out: dict[str, list[int]] = {}
        for k in range(0, len(names), 500):
            chunk = list(names[k : k + 500])
            marks = ",".join("?" * len(chunk))
            for num, source in self.db.execute(f"SELECT num, source FROM documents WHERE source IN ({marks})", chunk):
                out.setdefault(source, []).append(num)
        for nums in out.values():
            nums.sort()
        return out

    def windows(self, nums: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The window counts of the documents numbered ``nums``, -1 for a number with no document.

        What a query's band rule reads of the archive documents before their rows; remembered once
        read, as successive queries meet many of the same documents in the pairs that share a band
        or two by chance.
        """
        wanted = np.asarray(nums, dtype=np.int64)
        if not len(wanted):
            return np.zeros(0, dtype=np.int64)
        top = int(wanted.max()) + 1
        if top > len(self._windows):
            grown = np.full(max(top, 2 * len(self._windows)), -1, dtype=np.int32)
            grown[: len(self._windows)] = self._windows
            self._windows = grown
        missing = np.unique(wanted[self._windows[wanted] < 0]).tolist()
        for k in range(0, len(missing), 500):
            chunk = missing[k : k + 500]
            marks = ",".join("?" * len(chunk))
            for num, doc_id, count in self.db.execute(
                f"SELECT num, id, windows FROM documents WHERE num IN ({marks})", chunk
            ):
                self._windows[num] = self._window_count(doc_id, count)
        return self._windows[wanted].astype(np.int64)

    def _window_count(self, doc_id: str, count: object) -> int:
        """A stored window count, a damaged-index error unless it is a whole number (SQLite keeps any value)."""
        if not isinstance(count, int) or not 0 <= count < 1 << 31:
            raise self._damaged(
                f"document {doc_id!r}: documents.windows is damaged: expected a window count, got {count!r}"
            )
        return count

    def sources(self, db: sqlite3.Connection | None = None) -> dict[str, int]:
        """The id of every source (a document's outlet) ever stored: kept for good (its documents are counted by id).

        Read on ``db``, by default the catalogue's connection.
        """
        out = {}
        for name, k in (db or self.db).execute("SELECT name, id FROM sources"):
            if not isinstance(name, str):
                raise self._damaged(f"sources.name is damaged: expected a source's name, got {name!r}")
            if not isinstance(k, int) or not 0 <= k < 1 << 32:
                raise self._damaged(f"sources.id is damaged: expected a source's number, got {k!r} for {name!r}")
            out[name] = k
        return out

    def source_problem(self, doc_id: str, source: str | None) -> DedupError:
        """The damaged-index error for a stored document whose source has no row in ``sources`` (no id)."""
        what = f"its source {source!r}" if source is not None else "its row as a document without a source"
        return self._damaged(f"document {doc_id!r}: documents.source is damaged: {what} is not in table sources")

    def count(self) -> int:
        """Documents in the index (at the last commit)."""
        return int(self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def info(self) -> dict[str, Any]:
        """What ``dedup index info`` reports."""
        with self.reading() as snap:
            documents, chars = self.db.execute("SELECT COUNT(*), COALESCE(SUM(length), 0) FROM documents").fetchone()
            damaged = self.db.execute(
                "SELECT id, length FROM documents WHERE typeof(length) != 'integer' OR length < 0 LIMIT 1"
            ).fetchone()
            if damaged is not None:
                doc_id, length = damaged
                what = f"documents.length is damaged: expected a length, got {length!r}"
                raise self._damaged(f"document {doc_id!r}: {what}")
            segments = self.db.execute("SELECT COUNT(*), COALESCE(SUM(entries), 0) FROM segments").fetchone()
            meta = self._meta()
            removed = len(snap.removed)
        size = sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
        return {
            "path": str(self.path),
            "format_version": FORMAT_VERSION,
            "documents": documents,
            "characters": chars,
            "bytes": size,
            "segments": segments[0],
            "entries": segments[1],
            "removed_pending": removed,
            "generation": snap.generation,
            "created": meta.get("created"),
            "engine": self.fingerprint,
            # What is stored: skip_bad and strict say how this session reads input, not the index.
            "config": {k: v for k, v in self.config.to_dict().items() if k not in _NOT_STORED},
        }

    def check_engine(self) -> None:
        """Fail if this dedup's stages make other keys than the ones the index was built with."""
        if self._engine_checked:
            return
        mine = engine_fingerprint(self.config)
        if mine != self.fingerprint:
            raise DedupError(
                f"{self.path}: this index was built by a dedup whose normalisation or sketching differs "
                f"(engine {self.fingerprint}, this dedup {mine}); rebuild it with `dedup index add`"
            )
        self._engine_checked = True

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _writer(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the index's write lock (waiting up to ``timeout`` seconds, the Store's by default, for a writer)."""
        if self._lock_fd is not None:
            yield
            return
        timeout = self.timeout if timeout is None else timeout
        lock = self.path / _LOCK
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError as error:
            if not self.path.exists():
                raise self._removed() from error
            raise DedupError(f"{lock}: cannot open the index's lock file: {error.strerror or error}") from error
        except OSError as error:
            raise DedupError(f"{lock}: cannot open the index's lock file: {error.strerror or error}") from error
        deadline = time.monotonic() + timeout

        def take(target: int) -> None:  # (waiting for another writer until the deadline)
            while True:
                try:
                    fcntl.flock(target, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except OSError as error:
                    if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise DedupError(f"{lock}: cannot lock the index: {error.strerror or error}") from error
                    if time.monotonic() >= deadline:
                        raise self._busy(fd, timeout) from None
                    time.sleep(0.05)

        folder = -1
        try:
            # The lock file, then the directory: a lock file deleted under a writer (taken for a
            # stale lock) is made again by the next writer, who would lock a file of its own and
            # delete the first writer's segment not yet committed; the directory cannot be deleted
            # so. (The lock file stays the lock of writers of earlier releases, and holds the pid.)
            take(fd)
            try:
                folder = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            except FileNotFoundError as error:
                raise self._removed() from error
            except OSError as error:
                raise DedupError(f"{lock}: cannot lock the index: {error.strerror or error}") from error
            take(folder)
            # Who writes, for the message of a writer that waits: never a reason not to write (a full disk).
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"process {os.getpid()}".encode(), 0)
            self._lock_fd = fd
            try:
                yield
            finally:
                self._lock_fd = None
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            if folder >= 0:
                os.close(folder)  # (closing releases its lock)
            os.close(fd)

    def _busy(self, fd: int, timeout: float) -> DedupError:
        """The error of a writer that waited ``timeout`` seconds for another (``fd``: the lock file, naming it)."""
        try:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
        except OSError:
            holder = "another process"
        return DedupError(
            f"{self.path}: the index is being written by {holder}; waited {timeout:g} s "
            "(only one writer at a time; try again when it has finished)"
        )

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock for a whole operation; files no commit names are deleted first."""
        with self._writer():
            if _identity(self.path / _CATALOGUE) != self._identity:
                raise self._removed()
            self.check_engine()
            self._collect_garbage()
            yield
            self.checkpoint()

    def _removed(self) -> DedupError:
        return DedupError(
            f"{self.path}: the index was removed since it was opened here (its first add failed); open it again"
        )

    def remove_if_unused(self) -> bool:
        """Delete the index this Store created if nothing was ever committed to it; closes the Store.

        Returns whether it was deleted. The directory goes too when this Store made it. An index
        another writer committed to meanwhile, or whose lock another writer holds, is kept; a
        process that opened it meanwhile is told it was removed when it writes.
        """
        if not self.created:
            return False
        try:
            with self._writer(timeout=0):
                (generation,) = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                if generation != "0":
                    return False
                self.close()
                for name in (_CATALOGUE, f"{_CATALOGUE}-wal", f"{_CATALOGUE}-shm", f"{_CATALOGUE}.partial"):
                    (self.path / name).unlink(missing_ok=True)
                for path in (self.path / _SEGMENTS).iterdir():  # (files of a write that failed, if any)
                    path.unlink(missing_ok=True)
                (self.path / _SEGMENTS).rmdir()
                (self.path / _LOCK).unlink(missing_ok=True)
            if self._made_directory:
                self.path.rmdir()
        except (DedupError, OSError, sqlite3.Error):
            return False  # (a best effort, after another error: what is left is an empty index)
        return True

    def vacuum(self) -> None:
        """Rebuild the catalogue without its free pages (the rows of removed and replaced documents); inside writing().

        SQLite's VACUUM runs outside a transaction and writes a copy of the catalogue: it needs as
        much free space again, and a failure leaves the catalogue as it was.
        """
        assert self._lock_fd is not None, "vacuum outside writing()"
        try:
            self.db.execute("VACUUM")
        except sqlite3.Error as error:
            reason = _reason(error, self.path)
            raise DedupError(f"{self.path / _CATALOGUE}: cannot compact the index catalogue: {reason}") from error

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the catalogue and empty it, unless a reader holds it.

        Without it the log stays as large as the largest write was. A reader in a transaction
        keeps the log from being emptied: then it is left for the next writer (no waiting).
        """
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.OperationalError:
            pass
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")

    def _collect_garbage(self) -> None:
        named = {f for (f,) in self.db.execute("SELECT file FROM segments")}
        folder = self.path / _SEGMENTS
        if not folder.is_dir():
            # (An index copied by a tool that skips empty folders; the files it names, if any, are
            # missing, which the write's first read of them says.)
            try:
                folder.mkdir()
            except OSError as error:
                raise DedupError(
                    f"{folder}: cannot create the index's segment folder: {error.strerror or error}"
                ) from error
            return
        for path in folder.iterdir():
            if path.name not in named:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def new_segment_path(self) -> Path:
        """A fresh file name for a segment (written before the commit that names it)."""
        return self.path / _SEGMENTS / f"{time.time_ns():x}-{secrets.token_hex(4)}.seg"

    def next_num(self) -> int:
        """The number the next document added gets."""
        return self._number("next_num")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (inside :meth:`writing`); commits at the end, rolls back on error."""
        assert self._lock_fd is not None, "write outside writing()"
        catalogue = self.path / _CATALOGUE
        _fsync_dir(self.path / _SEGMENTS)  # the files this commit names are in the directory for good
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # (the error to say is the first one)
                        self.db.execute("ROLLBACK")
                raise
        except sqlite3.IntegrityError as error:  # (dedup's own writes keep the catalogue's constraints)
            raise self._damaged(f"a write broke a constraint of the catalogue: {error}") from error
        except sqlite3.Error as error:  # "database or disk is full", an I/O error: nothing of this write is kept
            raise DedupError(f"{catalogue}: cannot write the index catalogue: {_reason(error, self.path)}") from error

    def discard_segment(self, path: Path) -> None:
        """Delete a segment file of this writer that no commit names (its commit failed, or never came).

        When the catalogue cannot be read, the file is left to the next writer's garbage collection.
        """
        try:
            named = self.db.execute("SELECT 1 FROM segments WHERE file = ?", (path.name,)).fetchone()
        except sqlite3.Error:
            return
        if named is None:
            with contextlib.suppress(OSError):
                path.unlink()

    def segment_rows(self) -> list[tuple[str, int, int]]:
        """(file, entries, documents) of every segment, at the last commit."""
        rows = list(self.db.execute("SELECT file, entries, documents FROM segments ORDER BY file"))
        for name, entries, documents in rows:
            if not all(isinstance(n, int) and n >= 0 for n in (entries, documents)):
                raise self._damaged(
                    f"segments.entries is damaged: expected whole numbers of entries and documents for {name!r}, "
                    f"got {entries!r}, {documents!r}"
                )
        return rows

    def open_segment(self, name: str) -> Segment:
        """Map one segment file (for a merge)."""
        return Segment(self.path / _SEGMENTS / name, self.bands)

    def delete_segment_files(self, names: list[str]) -> None:
        """Delete files no commit names any more (readers that opened them keep reading them)."""
        for name in names:
            seg = self._segments.pop(name, None)
            if seg is not None:
                seg.close()
            with contextlib.suppress(FileNotFoundError):
                (self.path / _SEGMENTS / name).unlink()


@functools.cache
def _schema_columns() -> dict[str, tuple[str, ...]]:
    """The columns of each table of the catalogue's schema (:data:`_SCHEMA`), in order."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(_SCHEMA)
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
        return {t: tuple(row[1] for row in db.execute(f"PRAGMA table_info({t})")) for t in tables}
    finally:
        db.close()


def _identity(path: Path) -> tuple[int, int] | None:
    """The device and inode of a file, None when there is none."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise DedupError(f"{path}: cannot read the index catalogue: {error.strerror or error}") from error
    return info.st_dev, info.st_ino


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        raise DedupError(f"{path}: cannot sync the directory: {error.strerror or error}") from error


# Less free space than this and SQLite's I/O errors are put down to a full disk: it needs 32 KB
# for the shared-memory file (-shm) of its write-ahead log, even to read the catalogue.
_ROOM = 64 << 10


def _reason(error: sqlite3.Error, path: Path) -> str:
    """What an SQLite error on the catalogue in ``path`` means: a full disk said as such.

    SQLite reports a full disk where it maps its shared-memory file as "disk I/O error", which
    says nothing of the cause; a write's "database or disk is full" stays as it is.
    """
    if "full" not in str(error):
        try:
            info = os.statvfs(path)
        except OSError:
            return str(error)
        if (info.f_bfree if os.geteuid() == 0 else info.f_bavail) * info.f_frsize < _ROOM:
            return f"No space left on device ({error})"
    return str(error)


def _read_only_filesystem(path: Path) -> bool:
    """Whether ``path`` lies on a filesystem mounted read-only (nothing there can change)."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False
