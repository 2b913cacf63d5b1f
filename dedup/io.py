"""Reading documents: directories, text files, JSONL, CSV and TSV, Parquet, gzip- or zstd-compressed.

Every document read is either yielded or recorded in :attr:`Reader.skipped` with its reason; a
problem is an error naming the file, line and field unless ``skip_bad`` is set. A file's format is
told by its extension (``.txt``, ``.jsonl``, ``.csv``, ``.tsv``, ``.parquet``, each optionally
followed by ``.gz`` or ``.zst``); a file whose extension says nothing is an error, never read as
one big document.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import IO, Any

from .errors import DependencyError, InputError, ReadError
from .records import Document, Skipped

__all__ = ["FORMATS", "Reader", "file_format", "read_documents", "read_jsonl"]

FORMATS = ("txt", "jsonl", "csv", "tsv", "parquet")
"""The input formats: a text file is one document; the others hold one document a record."""

_EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
_EXPECTED = ".txt, .jsonl, .csv, .tsv or .parquet, optionally followed by .gz or .zst"


def file_format(path: str | Path) -> tuple[str | None, str | None]:
    """The format and compression a file's name says it holds, ``None`` for what it does not say.

    Example:
        >>> file_format("corpus/docs.jsonl.gz"), file_format("a.TXT"), file_format("notes.md")
        (('jsonl', 'gzip'), ('txt', None), (None, None))
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = _COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression is not None:
        suffixes.pop()
    return (_EXTENSIONS.get(suffixes[-1]) if suffixes else None), compression


def _zstd_open(path: Path | IO[bytes]) -> IO[bytes]:
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]  # Python 3.14 and later

        return zstd.open(path, "rb")  # type: ignore[no-any-return]
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError as error:  # pragma: no cover - a core dependency before Python 3.14
        raise DependencyError(
            f"{path}: reading zstandard-compressed input needs the zstandard package: pip install zstandard"
        ) from error
    reader = zstandard.open(path, "rb") if isinstance(path, Path) else zstandard.ZstdDecompressor().stream_reader(path)
    return io.BufferedReader(reader)  # iterable by lines, which zstandard's reader is not


def _decompressed(raw: IO[bytes], path: Path | IO[bytes], compression: str | None) -> IO[bytes]:
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "zstd":
        return _zstd_open(path if isinstance(path, Path) else raw)
    return raw


def _read_failure(name: str, error: BaseException) -> ReadError:
    detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return ReadError(f"{name}: cannot read: {detail}")


# What a bad byte, line or file costs: the decompressors' own errors name no file, so they are
# caught around every read and reported with the file's name.
_DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, gzip.BadGzipFile)
try:
    import zstandard as _zstandard

    _DECOMPRESSION_ERRORS += (_zstandard.ZstdError,)
except ImportError:  # pragma: no cover
    pass
try:
    from compression import zstd as _zstd  # type: ignore[import-not-found,unused-ignore]

    _DECOMPRESSION_ERRORS += (_zstd.ZstdError,)
except ImportError:
    pass


@dataclass
class Reader:
    """Reads documents from paths: directories, text, JSONL, CSV, TSV and Parquet files, or ``-``.

    A directory yields the documents of every file below it (recursively, hidden ones left out)
    whose extension names a format, or of every file matching ``glob`` when it is set. A text file
    is one document, its id the file's name (its path relative to the directory it was found in).
    JSONL, CSV, TSV (with a header line) and Parquet files hold one document a record, from the
    fields named by ``id_field``, ``text_field``, ``source_field`` and ``date_field``. Any of them
    may be compressed with gzip (``.gz``) or zstandard (``.zst``). ``input_format`` overrides what
    the extensions say (``-``, standard input, is JSONL unless it is set). ``where`` maps each id to
    the place it was read from, for messages.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.jsonl").write_text('{"id": "1", "text": "hello"}\\n', encoding="utf-8")
        >>> _ = (folder / "b.csv").write_text('id,text,source\\n2,"hi, there",AFP\\n', encoding="utf-8")
        >>> reader = Reader()
        >>> [(d.id, d.text, d.source) for d in reader.read([folder])], reader.where["2"].endswith("b.csv:2")
        ([('1', 'hello', None), ('2', 'hi, there', 'AFP')], True)
    """

    id_field: str = "id"
    text_field: str = "text"
    source_field: str = "source"
    date_field: str = "date"
    glob: str | None = None
    input_format: str | None = None
    skip_bad: bool = False
    where: dict[str, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.input_format is not None and self.input_format not in FORMATS:
            raise InputError(f"input_format must be one of {', '.join(FORMATS)}, got {self.input_format!r}")

    def _bad(self, where: str, reason: str, doc_id: str | None = None, kind: str = "invalid record") -> None:
        if not self.skip_bad:
            raise InputError(f"{where}: {reason}", document=doc_id, reason=reason, skippable=True)
        self.skipped.append(Skipped(where, reason, doc_id, kind=kind))

    def _accept(self, doc: Document, where: str) -> Document | None:
        first = self.where.get(doc.id)
        if first is not None:
            reason = f"duplicate id {doc.id!r} (first read at {first}); ids must be unique"
            self._bad(where, reason, doc.id, "duplicate id")
            return None
        self.where[doc.id] = where
        return doc

    def read(self, inputs: str | Path | Sequence[str | Path]) -> Iterator[Document]:
        """Yield the documents of every input in turn (one path, or several).

        Example:
            >>> list(Reader().read(["/no/such/file.jsonl"]))
            Traceback (most recent call last):
            ...
            dedup.errors.ReadError: /no/such/file.jsonl: cannot read: no such file or directory
        """
        # One path is one input, not a string of one-character inputs ("/" first: the whole disk).
        for item in [inputs] if isinstance(inputs, (str, PathLike)) else inputs:
            if str(item) == "-":
                yield from self._stdin()
                continue
            path = Path(item)
            if path.is_dir():
                yield from self._directory(path)
            elif not path.exists():
                raise ReadError(f"{path}: cannot read: no such file or directory")
            else:
                yield from self._file(path, path.name, self._format(path))

    def _format(self, path: Path) -> tuple[str, str | None]:
        form, compression = file_format(path)
        if self.input_format is not None:
            return self.input_format, compression
        if form is None:
            raise InputError(
                f"{path}: cannot tell the format from the file name: expected {_EXPECTED} (or set the input format)"
            )
        return form, compression

    def _stdin(self) -> Iterator[Document]:
        stream = sys.stdin.buffer
        peek = getattr(stream, "peek", None)
        head = peek(4)[:4] if peek is not None else b""
        compression = next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)
        yield from self._stream(stream, Path("-"), "<stdin>", "<stdin>", self.input_format or "jsonl", compression)

    def _directory(self, folder: Path) -> Iterator[Document]:
        files = sorted(
            p
            for p in folder.rglob(self.glob or "*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )
        if self.glob is None:
            files = [p for p in files if file_format(p)[0] is not None]
        if not files:
            what = f"matching {self.glob!r}" if self.glob else f"with a known extension ({_EXPECTED})"
            raise InputError(f"{folder}: no files {what} below this directory")
        for path in files:
            yield from self._file(path, path.relative_to(folder).as_posix(), self._format(path))

    def _file(self, path: Path, doc_id: str, kind: tuple[str, str | None]) -> Iterator[Document]:
        form, compression = kind
        try:
            raw = path.open("rb")
        except OSError as error:
            raise _read_failure(str(path), error) from error
        with raw:
            yield from self._stream(raw, path, str(path), doc_id, form, compression)

    def _stream(
        self, raw: IO[bytes], path: Path, name: str, doc_id: str, form: str, compression: str | None
    ) -> Iterator[Document]:
        try:
            stream = _decompressed(raw, path if str(path) != "-" else raw, compression)
            if form == "txt":
                doc = self._text(stream.read(), name, doc_id)
                if doc is not None:
                    yield doc
            elif form == "jsonl":
                yield from self._jsonl(stream, name)
            elif form in ("csv", "tsv"):
                yield from self._csv(stream, name, "\t" if form == "tsv" else ",")
            else:
                yield from self._parquet(stream, name)
        except _DECOMPRESSION_ERRORS as error:
            if isinstance(error, ReadError):
                raise
            raise _read_failure(name, error) from error

    def _text(self, data: bytes, name: str, doc_id: str) -> Document | None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            self._bad(name, f"invalid UTF-8 at byte {error.start}: expected UTF-8 text", doc_id, "invalid UTF-8")
            return None
        # A byte-order mark is an encoding artefact, not text: offsets count from after it.
        return self._accept(Document(doc_id, text.removeprefix("\ufeff")), name)

    def _jsonl(self, stream: IO[bytes], name: str) -> Iterator[Document]:
        # Lines are decoded one by one so that a bad byte is reported at its own line and,
        # with skip_bad, costs only that line.
        for line_no, raw in enumerate(stream, 1):
            where = f"{name}:{line_no}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                reason = f"invalid UTF-8 at byte {error.start} of the line: expected UTF-8 text"
                self._bad(where, reason, kind="invalid UTF-8")
                continue
            if not line.strip():
                continue
            doc = self._parse(line.removeprefix("\ufeff") if line_no == 1 else line, where)
            if doc is not None and self._accept(doc, where) is not None:
                yield doc

    def _parse(self, line: str, where: str) -> Document | None:
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError as error:
            # json's messages may end in "at" ("Invalid control character at"): say it once.
            message = error.msg.removesuffix(" at")
            reason = f"not valid JSON ({message} at column {error.colno}): expected one object a line"
            self._bad(where, reason, kind="invalid JSON")
            return None
        if not isinstance(record, dict):
            self._bad(where, f"expected a JSON object, got {type(record).__name__}", kind="invalid JSON")
            return None
        return self._document(record, where)

    def _document(self, record: Mapping[str, Any], where: str, *, blank_is_missing: bool = False) -> Document | None:
        """The document of one record (a JSON object, a CSV row by column name, a Parquet row)."""
        values: dict[str, str | None] = {}
        for role, name, required in (
            ("id", self.id_field, True),
            ("text", self.text_field, True),
            ("source", self.source_field, False),
            ("date", self.date_field, False),
        ):
            value = record.get(name)
            if blank_is_missing and value == "" and role in ("source", "date"):
                value = None  # an empty cell of an optional column: not given
            if value is None:
                if required:
                    self._bad(where, f"field {name!r} is missing: expected a string{_fields_held(record)}")
                    return None
            elif role == "id" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # numeric ids are common in exported corpora
            elif role == "date" and isinstance(value, datetime.date):
                value = value.isoformat()  # a Parquet date or timestamp column
            elif not isinstance(value, str):
                self._bad(where, f"field {name!r} must be a string, got {type(value).__name__}")
                return None
            values[role] = value
        doc_id = values["id"]
        if not doc_id:
            self._bad(where, f"field {self.id_field!r} is empty: expected a non-empty string")
            return None
        assert doc_id is not None and values["text"] is not None
        return Document(doc_id, values["text"], values.get("source"), values.get("date"))

    def _csv(self, stream: IO[bytes], name: str, delimiter: str) -> Iterator[Document]:
        # Lines are decoded one by one, bad bytes kept as lone surrogates, so that a bad byte is
        # reported at the record holding it (a quoted field may span lines) and costs only that one.
        bad: dict[int, int] = {}

        def lines() -> Iterator[str]:
            for line_no, raw in enumerate(stream, 1):
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    bad.setdefault(line_no, error.start)
                    yield raw.decode("utf-8", "surrogateescape")

        # Articles are longer than the csv module's default cell limit (128 KiB).
        csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
        rows = csv.reader(lines(), delimiter=delimiter)
        kind = "TSV" if delimiter == "\t" else "CSV"
        try:
            header = next(rows)
        except StopIteration:
            raise InputError(f"{name}: empty file: expected a header line naming the columns") from None
        except csv.Error as error:
            raise InputError(f"{name}:1: not valid {kind} ({error})") from None
        if bad.get(1) is not None:
            raise InputError(f"{name}:1: invalid UTF-8 at byte {bad[1]} of the header line: expected UTF-8 text")
        header = [h.removeprefix("\ufeff").strip() if k == 0 else h.strip() for k, h in enumerate(header)]
        missing = [f for f in (self.id_field, self.text_field) if f not in header]
        if missing:
            names = " and ".join(repr(m) for m in missing)
            raise InputError(
                f"{name}:1: no column {names} in the header ({', '.join(map(repr, header))}): "
                "expected a header line naming the id and text columns"
            )
        end = 1
        while True:
            start = end + 1
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                end = rows.line_num
                self._bad(f"{name}:{start}", f"not valid {kind} ({error})", kind=f"invalid {kind}")
                continue
            end = rows.line_num
            where = f"{name}:{start}"
            if not row:
                continue  # a blank line
            broken = next((line for line in range(start, end + 1) if line in bad), None)
            if broken is not None:
                self._bad(
                    f"{name}:{broken}", f"invalid UTF-8 at byte {bad[broken]} of the line: expected UTF-8 text",
                    kind="invalid UTF-8",
                )  # fmt: skip
                continue
            if len(row) != len(header):
                self._bad(
                    where, f"{len(row)} fields where the header has {len(header)}: expected one per column",
                    kind=f"invalid {kind}",
                )  # fmt: skip
                continue
            doc = self._document(dict(zip(header, row, strict=True)), where, blank_is_missing=True)
            if doc is not None and self._accept(doc, where) is not None:
                yield doc

    def _parquet(self, stream: IO[bytes], name: str) -> Iterator[Document]:
        try:
            import pyarrow.parquet as pq
        except ImportError as error:
            raise DependencyError(
                f"{name}: reading Parquet needs pyarrow: pip install 'dedup[parquet]' (or pip install pyarrow)"
            ) from error
        import pyarrow as pa

        if not stream.seekable():  # compressed or standard input: Parquet's footer is read first
            stream = io.BytesIO(stream.read())
        try:
            parquet = pq.ParquetFile(stream)
        except (pa.ArrowException, OSError) as error:
            raise ReadError(f"{name}: cannot read: not a Parquet file ({error})") from error
        columns = parquet.schema_arrow.names
        missing = [f for f in (self.id_field, self.text_field) if f not in columns]
        if missing:
            names = " and ".join(repr(m) for m in missing)
            raise InputError(f"{name}: no column {names} (columns: {', '.join(map(repr, columns))})")
        wanted = [f for f in (self.id_field, self.text_field, self.source_field, self.date_field) if f in columns]
        row = 0
        for batch in parquet.iter_batches(batch_size=1024, columns=wanted):
            for record in batch.to_pylist():
                row += 1
                where = f"{name}: row {row}"
                doc = self._document(record, where)
                if doc is not None and self._accept(doc, where) is not None:
                    yield doc


def read_jsonl(path: str | Path, **options: Any) -> Iterator[Document]:
    """Yield the documents of one JSONL file (fields ``id``, ``text``, optional ``source`` and ``date``).

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.jsonl"
        >>> _ = f.write_text('{"id": "a", "text": "x", "source": "s"}\\n', encoding="utf-8")
        >>> [d.source for d in read_jsonl(f)]
        ['s']
    """
    return Reader(**{"input_format": "jsonl", **options}).read([path])


def _fields_held(record: Mapping[str, Any]) -> str:
    """What a record holds, for the message about a field it lacks (a text under another name?)."""
    names = [repr(str(k)) for k in list(record)[:6]]
    if not names:
        return " (the record has no fields)"
    more = f" and {len(record) - 6} more" if len(record) > 6 else ""
    return f" (the record has {', '.join(names)}{more})"


def read_documents(paths: str | Path | Iterable[str | Path], **options: Any) -> Iterator[Document]:
    """Yield the documents of a file or directory, or of several, in any supported format (see :class:`Reader`).

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.tsv"
        >>> _ = f.write_text('id\\ttext\\na\\tsome text\\n', encoding="utf-8")
        >>> [(d.id, d.text) for d in read_documents([f])]
        [('a', 'some text')]
        >>> [d.id for d in read_documents(str(f))]  # one path needs no list
        ['a']
    """
    return Reader(**options).read(paths if isinstance(paths, (str, PathLike)) else list(paths))
