"""Reading documents: directories, text files, JSONL, CSV and TSV, Parquet, gzip- or zstd-compressed.

Every document read is either yielded or recorded in :attr:`Reader.skipped` with its reason; a
problem is an error naming the file, line and field unless ``skip_bad`` is set. A file's format is
told by its extension (``.txt``, ``.jsonl``, ``.csv``, ``.tsv``, ``.parquet``, each optionally
followed by ``.gz`` or ``.zst``); a file whose extension says nothing is an error, never read as
one big document.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gc
import gzip
import io
import json
import os
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from os import PathLike
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ._csvlines import Relines, quote_problem, resumes
from ._streams import (
    COMPRESSIONS,
    Transcoded,
    bom_encoding,
    decompressed,
    encoding_label,
    keeps_ascii,
    sniffed,
    split_lines,
    undecodable,
)
from .checks import check_bool, check_int
from .errors import DependencyError, InputError, ParameterError, ReadError
from .records import Document, Skipped
from .scripts import lone_surrogate

if TYPE_CHECKING:  # (a result is only passed through: the reader stays below the scan)
    from .scan import ScanResult

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
_EXPECTED = ".txt, .jsonl, .csv, .tsv or .parquet, optionally followed by .gz or .zst"


def file_format(path: str | Path) -> tuple[str | None, str | None]:
    """The format and compression a file's name says it holds, ``None`` for what it does not say.

    Example:
        >>> file_format("corpus/docs.jsonl.gz"), file_format("a.TXT"), file_format("notes.md")
        (('jsonl', 'gzip'), ('txt', None), (None, None))
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression is not None:
        suffixes.pop()
    return (_EXTENSIONS.get(suffixes[-1]) if suffixes else None), compression


def shown_path(path: str | PathLike[str]) -> str:
    r"""A path as text any output can hold: the bytes of a name that is not UTF-8 as escapes (``\xe3``).

    Python keeps such bytes as lone surrogates, which no output can encode; escaped, the name still
    says which file it is.

    Example:
        >>> import os
        >>> shown_path(os.fsdecode(b"archive/\xe3\xd5\xd1.txt")), shown_path("news/مصر.txt")
        ('archive/\\xe3\\xd5\\xd1.txt', 'news/مصر.txt')
    """
    text = os.fspath(path)
    if lone_surrogate(text) < 0:
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no byte stands for (a str made in Python, not a name read)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_type(value: object) -> str:
    """What a JSON value is, as JSON names it (``null``, ``an array``), for messages.

    Example:
        >>> json_type(None), json_type([1]), json_type(True), json_type(2.5), json_type("x")
        ('null', 'an array', 'true', 'a number', 'a string')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    for kind, name in ((dict, "an object"), (list, "an array"), (str, "a string"), ((int, float), "a number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__  # (a Parquet value JSON has no name for: bytes, Decimal)


def parse_json(line: str) -> tuple[Any, str | None]:
    """A JSON line's value, else ``None`` and why it cannot be read (``"not valid JSON (...)"``).

    Besides malformed JSON, a number of more digits than Python converts and nesting deeper than its
    parser recurses are reasons, not crashes: they are one bad line's. The line's break is no part of
    it: a line cut off inside a string is "unterminated", not "an invalid control character" (the
    break read as in the string), and one cut off after a value is said at its own column, not at
    column 1 of a line 2.

    Example:
        >>> parse_json('{"id": 1}')
        ({'id': 1}, None)
        >>> parse_json('{"id": 1')[1]
        "not valid JSON (Expecting ',' delimiter at column 9)"
        >>> parse_json('{"text": "cut\\n')[1]
        'not valid JSON (Unterminated string starting at column 10)'
        >>> parse_json("[" * 100_000 + "]" * 100_000)[1]
        'not valid JSON (arrays or objects nested too deeply to read)'
    """
    # Nesting deep enough takes the parser to the interpreter's recursion limit, where a finalizer
    # the garbage collector happens to run then has no stack left and fails, printed as "Exception
    # ignored in ...": no collection while such a line is parsed (a cheap count spares the others).
    pause = line.count("[") + line.count("{") > _NESTING and gc.isenabled()
    if pause:
        gc.disable()
    try:
        return json.loads(line.rstrip("\r\n")), None
    except json.JSONDecodeError as error:
        # json's messages may end in "at" ("Invalid control character at"): say it once.
        return None, f"not valid JSON ({error.msg.removesuffix(' at')} at column {error.colno})"
    except RecursionError:
        return None, "not valid JSON (arrays or objects nested too deeply to read)"
    except ValueError:  # an integer longer than int's string conversion limit
        return None, f"not valid JSON (a number of more than {sys.get_int_max_str_digits():,} digits)"
    finally:
        if pause:
            gc.enable()


# Lines with more opening brackets than this may nest deeply (the recursion limit is 1,000 by default).
_NESTING = 256


def _bad_file(where: str, reason: str) -> InputError:
    """A file whose documents cannot be told apart (its CSV header, its Parquet columns): skipped whole by skip_bad."""
    return InputError(f"{where}: {reason}", reason=reason, kind=_BAD_FILE)


_BAD_FILE = "unreadable file"


def _read_failure(name: str, error: BaseException, skippable: bool = True) -> ReadError:
    detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
    # Some libraries' messages run over lines (pyarrow's about a damaged page): one line here.
    return ReadError(f"{name}: cannot read: {' '.join(detail.split())}", skippable=skippable)


# What a bad byte, line or file costs: the decompressors' own errors name no file, so they are
# caught around every read and reported with the file's name.
_DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, gzip.BadGzipFile, zlib.error)
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
    whose extension names a format, or of every file matching ``glob`` when it is set (a pattern, or
    a list of them: a file matching any is taken). A text file
    is one document, its id the file's name (its path relative to the directory it was found in),
    with no source, or, with ``source_level`` K, the name of the folder K levels below that
    directory on its path (1: ``crawl/reuters/a.txt`` is from ``reuters``; 2:
    ``crawl/2026-12-01/reuters/a.txt``), so that a folder of outlets' pages has its boilerplate.
    JSONL, CSV, TSV (with a header line) and Parquet files hold one document a record, from the
    fields named by ``id_field``, ``text_field``, ``source_field`` and ``date_field``. Any of them
    may be compressed with gzip (``.gz``) or zstandard (``.zst``). ``input_format`` overrides what
    the extensions say (``-``, standard input, is JSONL unless it is set). Text, JSONL, CSV and TSV
    are read as UTF-8, or as UTF-16 or UTF-32 when the file starts with that encoding's byte-order
    mark; ``encoding`` names another (``cp1256`` for older Arabic archives, ``latin-1``: any that
    Python knows), for every such file read. Parquet holds UTF-8 by definition. ``where`` maps
    each id to the place it was first read from, for messages. With ``skip_bad``, a file that
    cannot be read (damaged, cut short, refused) or a folder that cannot be listed is recorded in
    ``skipped`` as one document (``unreadable file``, ``unreadable folder``), the documents read
    from it before it failed kept.

    A repeated id is refused here (the first document read keeps it) unless ``check_ids`` is false:
    then every document is yielded and the scan decides, as :func:`dedup.scan` decides (a document
    skipped as too short or empty leaves its id to a later one); ``repeats`` then holds every place
    of each id read more than once, and ``last`` the id and place of the document yielded last.

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
    glob: str | Sequence[str] | None = None
    input_format: str | None = None
    skip_bad: bool = False
    encoding: str | None = None
    check_ids: bool = True
    source_level: int = 0
    # What a reading leaves: state, not settings (no argument of the constructor).
    where: dict[str, str] = field(default_factory=dict, init=False)
    skipped: list[Skipped] = field(default_factory=list, init=False)
    repeats: dict[str, list[str]] = field(default_factory=dict, init=False)
    last: tuple[str, str] | None = field(default=None, init=False)
    # How many documents read gave a source and a date (a field named that no record holds gives none).
    given: Counter[str] = field(default_factory=Counter, init=False)
    # The most folders a text file read below a folder input lies in (None: no such file was read): a
    # source_level past it gave no file a source, which the command says (a slip, 5 for 1).
    deepest: int | None = field(default=None, init=False)
    # The files (and standard input) read whole that held no record: an empty file reads as no documents.
    empty: list[str] = field(default_factory=list, init=False)
    # The place of each document yielded, in input order; for each of `skipped`, how many were before it.
    _places: list[str] = field(default_factory=list, repr=False, init=False)
    _read_before: list[int] = field(default_factory=list, repr=False, init=False)
    # The four field names as a JSON line spells them, for the cheap look at every line for a repeat.
    _quoted: tuple[str, ...] = field(default=(), repr=False, init=False)
    # The glob's patterns (none: no glob), without a leading ``**/``, which adds nothing (every folder is searched).
    _patterns: tuple[str, ...] = field(default=(), repr=False, init=False)

    def __post_init__(self) -> None:
        # Options are checked here, not at the first record: a wrong one is the caller's, not a file's.
        for name in ("id_field", "text_field", "source_field", "date_field"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ParameterError(f"{name} must be a non-empty string (a field or column name), got {value!r}")
        # One field for two roles is a slip: ids that are whole texts, every text a source of its own.
        roles = ("id_field", "text_field", "source_field", "date_field")
        for k, name in enumerate(roles):
            first = next((other for other in roles[:k] if getattr(self, other) == getattr(self, name)), None)
            if first is not None:
                raise ParameterError(
                    f"{name} names the same field as {first} ({getattr(self, name)!r}): "
                    "expected one field a role (id, text, source, date)"
                )
        if self.glob is not None:
            patterns = [self.glob] if isinstance(self.glob, str) else self.glob
            if not isinstance(patterns, Sequence) or not patterns:
                raise ParameterError(f"glob must be a non-empty pattern, or a list of them, got {self.glob!r}")
            for pattern in patterns:
                if not isinstance(pattern, str) or not pattern:
                    raise ParameterError(f"glob must be a non-empty pattern, got {pattern!r}")
            self._patterns = tuple(dict.fromkeys(_without_leading_stars(pattern) for pattern in patterns))
        for name in ("skip_bad", "check_ids"):
            check_bool(name, getattr(self, name))  # ("no" is truthy)
        check_int("source_level", self.source_level, 0, 64)
        self._quoted = tuple(json.dumps(getattr(self, name), ensure_ascii=False) for name in roles)
        if self.input_format is not None and self.input_format not in FORMATS:
            raise ParameterError(f"input_format must be one of {', '.join(FORMATS)}, got {self.input_format!r}")
        if self.encoding is not None:
            try:
                "".encode(self.encoding)  # LookupError for unknown names and for bytes codecs (base64)
                # Files are decoded keeping bad bytes (surrogateescape), which punycode and idna,
                # codecs of domain names, do not support: they read no file.
                codecs.getincrementaldecoder(self.encoding)(errors="surrogateescape").decode(b"a")
            except (LookupError, TypeError, UnicodeError):
                raise ParameterError(
                    f"encoding must name a text encoding Python knows (utf-8, cp1256, utf-16, ...), "
                    f"got {self.encoding!r}"
                ) from None

    def _bad(self, where: str, reason: str, doc_id: str | None = None, kind: str = "invalid record") -> None:
        if not self.skip_bad:
            raise InputError(f"{where}: {reason}", document=doc_id, reason=reason, skippable=True, kind=kind)
        self.skipped.append(Skipped(where, reason, doc_id, kind=kind))
        self._read_before.append(len(self._places))

    def in_input_order(self, later: Sequence[Skipped]) -> list[Skipped]:
        """This reader's skipped documents and ``later`` ones (documents it read, skipped after, by id), in input order.

        Example:
            >>> import json, tempfile
            >>> folder = Path(tempfile.mkdtemp())
            >>> rows = [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}, {"id": "b", "text": "z"}]
            >>> _ = (folder / "d.jsonl").write_text("\\n".join(map(json.dumps, rows)), encoding="utf-8")
            >>> reader = Reader(skip_bad=True)
            >>> [d.id for d in reader.read([folder / "d.jsonl"])]
            ['a', 'b']
            >>> short = [Skipped("d.jsonl:1", "too short", "a", kind="too short")]
            >>> [(s.where.rsplit("/", 1)[-1], s.kind) for s in reader.in_input_order(short)]
            [('d.jsonl:1', 'too short'), ('d.jsonl:2', 'duplicate id')]
        """
        at_place = {place: k for k, place in enumerate(self._places)} if later else {}
        at_id = {doc_id: at_place[place] for doc_id, place in self.where.items()} if later else {}
        end = len(self._places)
        read_before = self._read_before + [end] * (len(self.skipped) - len(self._read_before))
        keyed = [((at, 0, k), s) for k, (at, s) in enumerate(zip(read_before, self.skipped, strict=False))]
        # A document the library skipped sorts where the reader read it (its place, as Reader.placed
        # gives it; else its id's first), after the reader's skips before it.
        keyed += [
            ((at_place.get(s.where, at_id.get(s.id or "", end)), 1, k), s) for k, s in enumerate(later)
        ]  # fmt: skip
        return [s for _, s in sorted(keyed, key=lambda x: x[0])]

    def _accept(self, doc: Document, where: str) -> Document | None:
        first = self.where.get(doc.id)
        if first is not None and self.check_ids:
            self._bad(where, duplicate_reason(doc.id, first, where), doc.id, "duplicate id")
            return None
        if first is not None:
            self.repeats.setdefault(doc.id, [first]).append(where)
        else:
            self.where[doc.id] = where
        self.last = (doc.id, where)
        self._places.append(where)
        return doc

    def placed(self, records: Sequence[Skipped]) -> list[Skipped]:
        """The scan's records of the documents read (skipped, or dates not read), each at its document's place.

        An id read more than once (``repeats``, with ``check_ids`` false) names several places: the
        scan, going in input order, skips the documents of that id before the one it scans for
        their length (or a problem of their own) and those after it as duplicates, so the records
        of that id fall on its places in order, around the scanned one.

        Example:
            >>> import tempfile, pathlib, dedup
            >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
            >>> _ = f.write_text('{"id": "1", "text": "short"}\\n{"id": "2", "text": "brief"}\\n', encoding="utf-8")
            >>> reader = Reader()
            >>> result = dedup.scan(reader.read([f]))
            >>> [(s.where, s.kind) for s in result.skipped], [s.where[-9:] for s in reader.placed(result.skipped)]
            ([('1', 'too short'), ('2', 'too short')], ['a.jsonl:1', 'a.jsonl:2'])
        """
        placed = [Skipped(self.where.get(r.id or "", r.where), r.reason, r.id, kind=r.kind) for r in records]
        of_id: dict[str, list[int]] = {}
        for k, r in enumerate(records):
            if r.id in self.repeats and r.kind != "unread date":
                of_id.setdefault(r.id, []).append(k)
        for doc_id, ks in of_id.items():
            places = self.repeats[doc_id]
            kinds = [records[k].kind for k in ks]
            scanned = kinds.index("duplicate id") if "duplicate id" in kinds else len(ks)
            for n, k in enumerate(ks):
                placed[k] = replace(placed[k], where=places[n if n < scanned else n + 1])
        for k, r in enumerate(records):  # a date not read is the scanned document's
            if r.id in self.repeats and r.kind == "unread date":
                skipped = {placed[j].where for j in of_id.get(r.id, [])}
                placed[k] = replace(placed[k], where=next(p for p in self.repeats[r.id] if p not in skipped))
        return self.reworded(placed)

    def located(self, result: ScanResult) -> ScanResult:
        """A scan's result of the documents this reader read, as ``dedup scan`` reports it: every skip at its place.

        The scan names a document it skipped by its id (it never saw the file); this puts each
        skipped document and each date not read at its file and line (:meth:`placed`), and adds
        the documents the reader itself skipped (``skip_bad``), all in input order. Written with
        :func:`dedup.report.write_jsonl`, the result is what ``dedup scan --format jsonl`` writes.

        Example:
            >>> import tempfile, pathlib, dedup
            >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
            >>> _ = f.write_text('{"id": "1", "text": "short"}\\n{bad\\n', encoding="utf-8")
            >>> reader = Reader(skip_bad=True)
            >>> result = dedup.scan(reader.read([f]))
            >>> [(s.where, s.kind) for s in result.skipped]
            [('1', 'too short')]
            >>> [(s.where[-9:], s.kind) for s in reader.located(result).skipped]
            [('a.jsonl:1', 'too short'), ('a.jsonl:2', 'invalid JSON')]
            >>> reader.located(reader.located(result)) == reader.located(result)
            True
        """
        own = set(self.skipped)  # (a result located already holds them: calling it again changes nothing)
        return replace(
            result,
            skipped=self.in_input_order(self.placed([s for s in result.skipped if s not in own])),
            unread_dates=self.placed(result.unread_dates),
        )

    def reworded(self, records: Sequence[Skipped]) -> list[Skipped]:
        """The records, each duplicate's reason naming the place of the document scanned under its id.

        Example:
            >>> import tempfile, pathlib, dedup
            >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
            >>> _ = f.write_text('{"id": "1", "text": "%s"}\\n' % ("wording " * 30) * 2, encoding="utf-8")
            >>> reader = Reader(check_ids=False)
            >>> result = dedup.scan(reader.read([f]), dedup.ScanConfig(skip_bad=True))
            >>> [s.reason[:21] for s in result.skipped], [s.reason[-30:] for s in reader.reworded(result.skipped)]
            (['duplicate id (an earl'], ['a.jsonl:1); ids must be unique'])
        """
        skipped: dict[str, Counter[str]] = {}
        for r in records:
            if r.id in self.repeats:
                skipped.setdefault(r.id, Counter())[r.where] += 1
        out = []
        for r in records:
            if r.kind == "duplicate id" and r.id in self.repeats:
                # Counted, not compared: one file given twice has its place twice, once scanned, once skipped.
                left = Counter(self.repeats[r.id]) - skipped[r.id]
                holder = next((p for p in self.repeats[r.id] if left[p] > 0), None)
                if holder is not None:
                    r = replace(r, reason=duplicate_reason(r.id, holder, r.where))
            out.append(r)
        return out

    def holder(self, doc_id: str, where: str) -> str | None:
        """Where the document read before the one at ``where`` with the same id was read (None when none was).

        A scan that stops at the first duplicate stops at a document whose id the one read just
        before it holds (any other before were skipped for their length, or the scan would have stopped).

        Example:
            >>> import tempfile, pathlib
            >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
            >>> _ = f.write_text('{"id": "1", "text": "x"}\\n{"id": "1", "text": "y"}\\n', encoding="utf-8")
            >>> reader = Reader(check_ids=False)
            >>> _ = list(reader.read([f]))
            >>> reader.holder("1", f"{f}:2")[-9:], reader.holder("1", f"{f}:1")
            ('a.jsonl:1', None)
        """
        places = self.repeats.get(doc_id, [])
        # The last reading at ``where``: one file given twice (a folder and a file in it) has one place twice.
        at = len(places) - 1 - places[::-1].index(where) if where in places else 0
        return places[at - 1] if at > 0 else None

    def read(self, inputs: str | Path | Sequence[str | Path]) -> Iterator[Document]:
        """Yield the documents of every input in turn (one path, or several).

        Example:
            >>> list(Reader().read(["/no/such/file.jsonl"]))
            Traceback (most recent call last):
            ...
            dedup.errors.ReadError: /no/such/file.jsonl: cannot read: no such file or directory
        """
        # One path is one input, not a string of one-character inputs ("/" first: the whole disk).
        if isinstance(inputs, bytes):
            inputs = os.fsdecode(inputs)
        if not isinstance(inputs, (str, PathLike, Iterable)):
            raise ParameterError(_not_paths(inputs))
        stdin = False
        for item in [inputs] if isinstance(inputs, (str, PathLike)) else inputs:
            if not isinstance(item, (str, bytes, PathLike)):
                raise ParameterError(_not_paths(item))
            if str(item) == "-":
                if stdin:  # (read whole the first time: the second would be empty, without a word)
                    raise ReadError("<stdin>: given twice: standard input (-) can be read once")
                stdin = True
                yield from self._stdin()
                continue
            if isinstance(item, bytes):
                item = os.fsdecode(item)
            if str(item) == "":  # (Path("") is ".": the whole current folder, read by a slip)
                raise ReadError("an empty path: expected a file, a directory or - (standard input)")
            path = Path(item)
            try:
                folder, found = path.is_dir(), path.exists()
            except OSError as error:  # (a name too long, a loop of links: pathlib says only a missing file)
                raise ReadError(f"{shown_path(path)}: cannot read: {error.strerror or error}") from None
            if folder:
                yield from self._directory(path)
            elif not found:
                raise ReadError(f"{shown_path(path)}: cannot read: no such file or directory")
            else:
                yield from self._file(path, shown_path(path.name), self._format(path))

    def would_read(self, inputs: str | Path | Sequence[str | Path], path: str | Path) -> bool:
        """Whether reading ``inputs`` would read the file ``path`` (named directly, or found in a directory).

        Example:
            >>> import tempfile, pathlib
            >>> folder = pathlib.Path(tempfile.mkdtemp())
            >>> reader = Reader()
            >>> reader.would_read([folder], folder / "sub" / "a.jsonl"), reader.would_read([folder], folder / "a.md")
            (True, False)
        """
        target = Path(os.path.realpath(path))
        for item in [inputs] if isinstance(inputs, (str, PathLike)) else inputs:
            if str(item) == "-":
                continue
            given = Path(os.path.realpath(item))
            if given == target:
                return True
            try:
                folder = given.is_dir()
            except OSError:  # (a name too long: said when the input is read)
                folder = False
            if folder and target.is_relative_to(given):
                relative = target.relative_to(given)
                if self._taken(relative) and self._matches(relative):
                    return True
        return False

    def _taken(self, relative: Path) -> bool:
        """Whether reading a directory takes the file at ``relative`` below it (the glob, when set, aside):
        not hidden, and without a glob, of a format its name says."""
        hidden = any(part.startswith(".") for part in relative.parts)
        return not hidden and (bool(self._patterns) or file_format(relative)[0] is not None)

    def _matches(self, relative: Path) -> bool:
        """Whether the file at ``relative`` below a directory matches a pattern of the glob (any: there is none)."""
        return not self._patterns or any(relative.match(pattern) for pattern in self._patterns)

    def _format(self, path: Path) -> tuple[str, str | None]:
        form, compression = file_format(path)
        if self.input_format is not None:
            return self.input_format, compression
        if form is None:
            raise InputError(
                f"{shown_path(path)}: cannot tell the format from the file name: expected {_EXPECTED} "
                "(or set the input format)"
            )
        return form, compression

    def _stdin(self) -> Iterator[Document]:
        # Started with standard input closed (`<&-`, some daemons), Python has no sys.stdin at all.
        if sys.stdin is None or sys.stdin.closed:
            raise ReadError("<stdin>: cannot read: standard input is closed")
        stream = sys.stdin.buffer
        peek = getattr(stream, "peek", None)
        head = peek(4)[:4] if peek is not None else b""
        compression = sniffed(head)
        form = self.input_format or "jsonl"
        yield from self._counted(self._stream(stream, Path("-"), "<stdin>", "<stdin>", form, compression), "<stdin>")

    def _directory(self, folder: Path) -> Iterator[Document]:
        found = self._listing(folder)
        if not found:
            what = (
                f"matching {' or '.join(map(repr, self._patterns))}"
                if self._patterns
                else f"with a known extension ({_EXPECTED})"
            )
            raise InputError(f"{shown_path(folder)}: no files {what} below this directory")
        # What cannot be read stops the reading before a document is read, unless it is to be skipped.
        problem = next((error for _, error in found if error is not None), None)
        if problem is not None and not self.skip_bad:
            raise problem
        for path, error in found:
            relative = path.relative_to(folder)
            doc_id = shown_path(relative.as_posix())
            if error is None:
                # (the folder source_level levels down names a text file's outlet: crawl/reuters/a.txt)
                folders = relative.parts[:-1]
                source = shown_path(folders[self.source_level - 1]) if 0 < self.source_level <= len(folders) else None
                kind = self._format(path)
                if kind[0] == "txt":
                    self.deepest = max(self.deepest or 0, len(folders))
                yield from self._file(path, doc_id, kind, source)
            elif path.is_dir() and not path.is_symlink():
                self._unreadable(error, shown_path(path), None, "folder")
            else:
                form = self.input_format or file_format(path)[0]
                self._unreadable(error, shown_path(path), doc_id if form == "txt" else None, form)

    def _listing(self, folder: Path) -> list[tuple[Path, ReadError | None]]:
        """The files below a folder that the reader takes, in name order, each with why it cannot be read (if so).

        A folder that cannot be listed is one of them, with its error (``Path.rglob`` passes over
        it without a word, and the documents below it would be lost silently); hidden folders are
        not entered.
        """
        found: list[tuple[Path, ReadError | None]] = []
        folders = [folder]
        while folders:
            current = folders.pop()
            try:
                with os.scandir(current) as listed:
                    entries = list(listed)
            except OSError as error:
                message = f"{shown_path(current)}: cannot read the folder: {error.strerror or error}"
                found.append((current, ReadError(message, skippable=True)))
                continue
            for entry in entries:
                path = Path(entry.path)
                relative = path.relative_to(folder)
                if entry.name.startswith("."):
                    continue  # hidden: left out
                try:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(path)
                        continue
                    if not self._taken(relative) or not self._matches(relative):
                        continue
                    # A link to nothing is a file the folder names and nobody can read: said, not passed over.
                    if entry.is_symlink() and not path.exists():
                        reason = f"cannot read: a symbolic link to nothing ({shown_path(os.readlink(path))})"
                        found.append((path, ReadError(f"{shown_path(path)}: {reason}", skippable=True)))
                    elif entry.is_file():  # (a link to a folder is not followed)
                        found.append((path, None))
                    elif not entry.is_dir():
                        # A named pipe, a device or a socket (or a link to one): reading it would wait for
                        # a writer, or never end (/dev/zero); said, not passed over without a word.
                        reason = "cannot read: not a regular file (a named pipe, a device or a socket)"
                        found.append((path, ReadError(f"{shown_path(path)}: {reason}", skippable=True)))
                except OSError as error:
                    found.append((path, _read_failure(shown_path(path), error)))
        return sorted(found, key=lambda item: item[0])

    def _file(
        self, path: Path, doc_id: str, kind: tuple[str, str | None], source: str | None = None
    ) -> Iterator[Document]:
        form, compression = kind
        name = shown_path(path)
        try:
            raw = path.open("rb")
        except OSError as error:
            self._unreadable(_read_failure(name, error), name, doc_id if form == "txt" else None, form)
            return
        with raw:
            documents = self._stream(raw, path, name, doc_id, form, compression, source)
            yield from self._counted(documents, name, doc_id, form)

    def _counted(
        self, documents: Iterator[Document], name: str, doc_id: str | None = None, form: str | None = None
    ) -> Iterator[Document]:
        """The documents of one file; failing to read it is counted under ``skip_bad`` (the documents before kept)."""
        before = len(self._places) + len(self.skipped)
        try:
            yield from documents
        except (ReadError, InputError) as error:
            if isinstance(error, InputError) and error.kind != _BAD_FILE:
                raise
            read = len(self._places) + len(self.skipped) - before
            self._unreadable(error, name, doc_id if form == "txt" else None, form, read)
            return
        if form != "txt" and len(self._places) + len(self.skipped) == before:  # (an empty text file is a document)
            self.empty.append(name)

    def _unreadable(
        self, error: ReadError | InputError, where: str, doc_id: str | None, form: str | None, read: int = 0
    ) -> None:
        """A file (of format ``form``) or a folder (``"folder"``) that cannot be read: an error, or under
        ``skip_bad`` skipped and counted as one document."""
        if not self.skip_bad:
            error.skippable = True
            raise error
        if isinstance(error, InputError):  # (where in the file: its header line)
            where, reason = error.args[0].removesuffix(f": {error.reason}"), error.reason
        else:
            reason = error.args[0].removeprefix(f"{where}: ")
        if form == "folder":
            reason += " (the documents below it could not be counted)"
        elif form != "txt":
            # Its documents are not known one by one: the file is counted as one, and said to be.
            if read:
                reason += f" (after its first {read:,} records, which were read: the rest of it is counted as one)"
            else:
                reason += " (its records cannot be counted one by one: the file is counted as one)"
        kind = "unreadable folder" if form == "folder" else "unreadable file"
        self.skipped.append(Skipped(where, reason, doc_id, kind=kind))
        self._read_before.append(len(self._places))

    def _stream(
        self,
        raw: IO[bytes],
        path: Path,
        name: str,
        doc_id: str,
        form: str,
        compression: str | None,
        source: str | None = None,
    ) -> Iterator[Document]:
        try:
            stream = decompressed(raw, path if str(path) != "-" else raw, compression)
            if form == "txt":
                doc = self._text(stream.read(), name, doc_id, source)
                if doc is not None:
                    yield doc
            elif form == "parquet":
                yield from self._parquet(stream, name)
            else:
                peek = getattr(stream, "peek", None)
                wide = self._wide(peek(4)[:4] if peek is not None else b"", name)
                if wide is not None:
                    stream = io.BufferedReader(Transcoded(stream, wide, name))
                if form == "jsonl":
                    yield from self._jsonl(stream, name, wide)
                else:
                    yield from self._csv(stream, name, "\t" if form == "tsv" else ",", wide)
        except _DECOMPRESSION_ERRORS as error:
            if isinstance(error, ReadError):
                raise
            raise _read_failure(name, error) from error

    def _wide(self, head: bytes, name: str) -> str | None:
        """The encoding a whole file must be decoded in (a byte-order mark's, or one that is not ASCII's).

        UTF-16 and UTF-32 named without a byte order (``utf-16``, not ``utf-16-le``) take it from the
        mark: a file without one is refused, not read in this machine's order (Python's decoder of a
        whole text guesses it, its decoder of a stream refuses with no file named).
        """
        marked = bom_encoding(head)
        if marked is not None or self.encoding is None or keeps_ascii(self.encoding):
            return marked
        label = encoding_label(self.encoding)
        if head and label in ("UTF-16", "UTF-32"):
            order = f"{label.lower()}-le or {label.lower()}-be"
            reason = f"no byte-order mark, which {label} needs to tell its byte order: set the encoding {order}"
            raise ReadError(f"{name}: cannot read: {reason}", skippable=True)
        return self.encoding

    def _decode(self, raw: bytes, what: str, transcoded_from: str | None = None) -> tuple[str | None, str, str]:
        """The text of a file or line, else ``None``, why, and the kind of failure.

        UTF-8 first, then the encoding named: bytes in an encoding that keeps ASCII as ASCII are
        practically never valid UTF-8 (an Arabic word in cp1256 is a run of bytes over 0x80), so a
        directory or JSONL file mixing UTF-8 with the named encoding is read right, a file or line
        at a time. ``transcoded_from`` names the encoding a line was read in before being made UTF-8.
        """
        if transcoded_from is None and 0 in raw:
            # No text holds NUL; UTF-16 without its byte-order mark does, one a space (ASCII, Arabic),
            # and would otherwise pass for UTF-8 punctuation and control characters. Said before any
            # decoding: one Latin letter (é, 0xE9 0x00) makes it invalid UTF-8 too, which named no cause.
            reason = (
                f"a NUL byte at byte {raw.index(0)}{what}: expected text (UTF-16 or UTF-32 without a "
                "byte-order mark? set the encoding)"
            )
            return None, reason, "not text"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            if transcoded_from is not None or self.encoding is None:
                label = encoding_label(transcoded_from or "utf-8")
                reason = undecodable(raw, error, label, what, transcoded=transcoded_from is not None)
                return None, reason, f"invalid {label}"
            label = encoding_label(self.encoding)
            try:
                text = raw.decode(self.encoding)
            except UnicodeDecodeError as error:
                reason = f"neither UTF-8 nor {label} at byte {error.start}{what}: expected text in either"
                return None, reason, f"invalid {label}"
        return text, "", ""

    def _text(self, data: bytes, name: str, doc_id: str, source: str | None = None) -> Document | None:
        wide = self._wide(data[:4], name)
        if wide is None:
            text, reason, kind = self._decode(data, "")
        else:
            try:
                text, reason, kind = data.decode(wide), "", ""
            except UnicodeDecodeError as error:
                label = encoding_label(wide)
                text, reason, kind = None, undecodable(data, error, label, "", transcoded=False), f"invalid {label}"
        if text is None:
            self._bad(name, reason, doc_id, kind)
            return None
        # A byte-order mark is an encoding artefact, not text: offsets count from after it.
        return self._accept(Document(doc_id, text.removeprefix("\ufeff"), source), name)

    def _jsonl(self, stream: IO[bytes], name: str, wide: str | None = None) -> Iterator[Document]:
        # Lines are decoded one by one so that a bad byte is reported at its own line and,
        # with skip_bad, costs only that line.
        for line_no, raw in enumerate(split_lines(stream), 1):
            where = f"{name}:{line_no}"
            line, reason, kind = self._decode(raw, " of the line", wide)
            if line is None:
                self._bad(where, reason, kind=kind)
                continue
            if not line.strip():
                continue
            doc = self._parse(line.removeprefix("\ufeff") if line_no == 1 else line, where)
            if doc is not None and self._accept(doc, where) is not None:
                yield doc

    def _parse(self, line: str, where: str) -> Document | None:
        record, reason = parse_json(line)
        if reason is not None:
            self._bad(where, f"{reason}: expected one object a line", kind="invalid JSON")
            return None
        if not isinstance(record, dict):
            self._bad(where, f"expected a JSON object, got {json_type(record)}", kind="invalid JSON")
            return None
        for name, count in self._repeated_fields(line):
            reason = f"field {name!r} is given {count} times in the object: expected each field once"
            self._bad(where, reason, self._id_of(record) if name != self.id_field else None)
            return None
        return self._document(record, where)

    def _repeated_fields(self, line: str) -> list[tuple[str, int]]:
        """The fields read whose name the line's object holds more than once, each with how many times.

        JSON leaves a repeated name to the reader and Python's keeps the last value: the others would
        be dropped without a word. Names the reader does not use may repeat. Only a line holding one
        of its names twice, quoted, is parsed again to look.
        """
        if not any(line.count(quoted) > 1 for quoted in self._quoted):
            return []
        names = (self.id_field, self.text_field, self.source_field, self.date_field)
        objects: list[list[tuple[str, Any]]] = []

        def kept(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            objects.append(pairs)
            return dict(pairs)

        json.loads(line.rstrip("\r\n"), object_pairs_hook=kept)  # (the line was read once already)
        given = Counter(name for name, _ in objects[-1])  # the outermost object is the last made
        return [(name, given[name]) for name in names if given[name] > 1]

    def _id_of(self, record: Mapping[str, Any]) -> str | None:
        """The record's id when it is one the reader takes (a string, or an integer as its digits), else None.

        A record refused for another field is recorded with it, so that the user can tell which
        document it was; one whose id is the problem (missing, null, empty, blank, of another type,
        holding a lone surrogate) has none.

        Example:
            >>> [Reader()._id_of(r) for r in ({"id": "a"}, {"id": 7}, {"id": " "}, {"id": True}, {"text": "x"})]
            ['a', '7', None, None, None]
        """
        value = record.get(self.id_field)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value.strip() or lone_surrogate(value) >= 0:
            return None
        return value

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
                    held = "is null" if name in record else "is missing"
                    other_case = None if name in record else self._other_case([str(key) for key in record])
                    hint = f": {other_case}" if other_case else ""
                    reason = f"field {name!r} {held}: expected a string{_fields_held(record)}{hint}"
                    self._bad(where, reason, self._id_of(record))  # (None when the id is the problem)
                    return None
            elif role == "id" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # numeric ids are common in exported corpora
            elif role == "date" and isinstance(value, datetime.date):
                if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                    # A Parquet timestamp stores the UTC instant (its zone is the writer's display
                    # hint): written in UTC, as the Spark engine, which never sees the zone, writes it.
                    value = value.astimezone(datetime.UTC)
                value = value.isoformat()  # a Parquet date or timestamp column
            elif not isinstance(value, str):
                expected = "a string or an integer" if role == "id" else "a string"
                self._bad(where, f"field {name!r} must be {expected}, got {json_type(value)}", self._id_of(record))
                return None
            at = lone_surrogate(value) if value is not None else -1
            if at >= 0:
                assert value is not None
                reason = f"field {name!r} must hold no lone surrogate (a JSON escape such as \\ud800 without its pair)"
                self._bad(where, f"{reason}; got U+{ord(value[at]):04X} at character {at}", self._id_of(record))
                return None
            values[role] = value
        doc_id = values["id"]
        if not doc_id:
            self._bad(where, f"field {self.id_field!r} is empty: expected a non-empty string")
            return None
        if not doc_id.strip():  # (shown as a blank in every report)
            self._bad(where, f"field {self.id_field!r} is blank (spaces only): expected an id")
            return None
        assert doc_id is not None and values["text"] is not None
        self.given.update(role for role in ("source", "date") if values.get(role) is not None)
        return Document(doc_id, values["text"], values.get("source"), values.get("date"))

    def _csv(self, stream: IO[bytes], name: str, delimiter: str, wide: str | None = None) -> Iterator[Document]:
        # Lines are decoded one by one, bad bytes kept as lone surrogates, so that a bad byte is
        # reported at the record holding it (a quoted field may span lines) and costs only that one.
        bad: dict[int, tuple[str, str]] = {}

        def decoded() -> Iterator[str]:
            for line_no, raw in enumerate(split_lines(stream), 1):
                line, reason, kind = self._decode(raw, " of the header line" if line_no == 1 else " of the line", wide)
                if line is None:
                    bad.setdefault(line_no, (reason, kind))
                    line = raw.decode("utf-8", "surrogateescape")
                # A byte-order mark is no part of the first cell: left on, a quoted first cell
                # ('\ufeff"id"') is read as unquoted, its quotes kept.
                yield line.removeprefix("\ufeff") if line_no == 1 else line

        # Articles are longer than the csv module's default cell limit (128 KiB).
        csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
        source = Relines(decoded())
        # strict: a quote out of place (a cell opened with a quote and never closed, text after a
        # closing quote) is an error at its record, not rows swallowed into one cell, or quotes lost.
        rows = csv.reader(source, delimiter=delimiter, strict=True)
        kind = "TSV" if delimiter == "\t" else "CSV"
        try:
            header = next(rows)
        except StopIteration:
            raise _bad_file(name, "empty file: expected a header line naming the columns") from None
        except csv.Error as error:
            # Undecodable bytes come first: they are what made the line unreadable as CSV.
            expected = ": expected a closing quote" if source.at_end else ""
            why = bad[1][0] if 1 in bad else f"not valid {kind} ({quote_problem(source, error, delimiter)}){expected}"
            raise _bad_file(f"{name}:1", why) from None
        if bad.get(1) is not None:
            raise _bad_file(f"{name}:1", bad[1][0])
        header = [h.strip() for h in header]
        twice = sorted({h for h in header if header.count(h) > 1})
        if twice:
            names = ", ".join(map(repr, twice))
            raise _bad_file(
                f"{name}:1", f"column {names} appears more than once in the header: expected each column once"
            )
        missing = [f for f in (self.id_field, self.text_field) if f not in header]
        if missing:
            names = " and ".join(repr(m) for m in missing)
            raise _bad_file(
                f"{name}:1",
                f"no column {names} in the header ({_names(header)}): "
                + (
                    self._separated_otherwise(header, delimiter)
                    or self._other_case(header)
                    or "expected a header line naming the id and text columns"
                ),
            )
        while True:
            source.begin()
            try:
                row: list[str] | None = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                row, problem = None, quote_problem(source, error, delimiter)
            start, end = source.taken[0][0], source.taken[-1][0]
            where = f"{name}:{start}"
            if row is not None and not row:
                continue  # a blank line
            # A quote that opens a cell in one line and is not closed there takes the lines after it
            # into that cell. When they read as records of their own, that quote is the one out of
            # place: its line is skipped and they are read again, each on its own.
            resumed = resumes(source, delimiter, len(header)) if row is None or len(row) != len(header) else None
            if resumed is not None:
                reason = f"not valid {kind} ({resumed}): expected a closing quote on the same line"
                self._bad(where, reason, kind=f"invalid {kind}")
                source.again()
                continue
            lines_over = f"the record runs over lines {start}-{end}" if end > start else ""
            if row is None:
                expected = ": expected a closing quote" if source.at_end else ""  # (the file ended inside a cell)
                reason = f"not valid {kind} ({'; '.join(filter(None, (problem, lines_over)))}){expected}"
                self._bad(where, reason, kind=f"invalid {kind}")
                continue
            broken = next((line for line in range(start, end + 1) if line in bad), None)
            if broken is not None:
                reason, failure = bad[broken]
                self._bad(f"{name}:{broken}", reason, kind=failure)
                continue
            if len(row) != len(header):
                over = f" ({lines_over})" if lines_over else ""
                fields_ = f"{len(row)} field{'' if len(row) == 1 else 's'}"
                reason = f"{fields_} where the header has {len(header)}{over}: expected one per column"
                self._bad(where, reason, kind=f"invalid {kind}")
                continue
            doc = self._document(dict(zip(header, row, strict=True)), where, blank_is_missing=True)
            if doc is not None and self._accept(doc, where) is not None:
                yield doc

    def _other_case(self, columns: Sequence[str]) -> str | None:
        """What to set when the id or text column missing is there in another case (``ID``, ``Text``: a
        spreadsheet's header), else None.

        Example:
            >>> Reader()._other_case(["ID", "text", "source"]), Reader()._other_case(["Id", "ID", "Text"])
            ("'ID' differs from 'id' only in case: set the id field to 'ID'", None)
        """
        found = []
        for role, wanted in (("id", self.id_field), ("text", self.text_field)):
            if wanted in columns:
                continue
            alike = [column for column in columns if column.casefold() == wanted.casefold()]
            if len(alike) != 1:  # (none, or two to choose from: no hint would be right)
                return None
            found.append((role, wanted, alike[0]))
        if not found:
            return None
        verb = "differs" if len(found) == 1 else "differ"
        return (
            f"{' and '.join(repr(column) for _, _, column in found)} {verb} from "
            f"{' and '.join(repr(wanted) for _, wanted, _ in found)} only in case: "
            + "set the "
            + " and the ".join(f"{role} field to {column!r}" for role, _, column in found)
        )

    def _separated_otherwise(self, header: list[str], delimiter: str) -> str | None:
        """What to do with a header of one column that another separator would split into the id and text
        columns (a spreadsheet's "CSV" with semicolons, a TSV file named .csv), else None."""
        if len(header) != 1:
            return None
        for separator in (";", "\t", ",", "|"):
            names = [part.strip().strip('"') for part in header[0].split(separator)]
            if separator == delimiter or not {self.id_field, self.text_field} <= set(names):
                continue
            if separator == "\t":
                return "its names are separated by tabs: name it .tsv (or set the input format: tsv)"
            if separator == ",":
                return "its names are separated by ',': name it .csv (or set the input format: csv)"
            return f"its names are separated by {separator!r}, and CSV's by ',': save it with commas or tabs"
        return None

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
            # (pyarrow's message may run over lines: one line here)
            raise ReadError(f"{name}: cannot read: not a Parquet file ({' '.join(str(error).split())})") from error
        columns = parquet.schema_arrow.names
        missing = [f for f in (self.id_field, self.text_field) if f not in columns]
        if missing:
            names = " and ".join(repr(m) for m in missing)
            other_case = self._other_case(columns)
            raise _bad_file(
                name, f"no column {names} (columns: {_names(columns)})" + (f": {other_case}" if other_case else "")
            )
        wanted = [f for f in (self.id_field, self.text_field, self.source_field, self.date_field) if f in columns]
        row = 0
        batches = parquet.iter_batches(batch_size=1024, columns=wanted)
        while True:
            try:
                batch = next(batches, None)
            except (pa.ArrowException, OSError) as error:  # a damaged page (the footer read well)
                raise _read_failure(name, error) from error
            if batch is None:
                return
            for record in self._parquet_records(batch, name, row):
                row += 1
                where = f"{name}: row {row}"
                doc = self._document(record, where) if record is not None else None
                if doc is not None and self._accept(doc, where) is not None:
                    yield doc

    def _parquet_records(self, batch: Any, name: str, before: int) -> Iterator[dict[str, Any] | None]:
        """The rows of a Parquet batch as records; ``None`` for a row skipped (a value Python cannot hold)."""
        try:
            records = batch.to_pylist()
        except (UnicodeDecodeError, OverflowError, ValueError):
            records = None  # (the batch's first bad row fails it whole: read row by row to find which)
        if records is not None:
            yield from records
            return
        for row in range(batch.num_rows):
            where = f"{name}: row {before + row + 1}"
            record: dict[str, Any] | None = {}
            for field_name, column in zip(batch.schema.names, batch.columns, strict=True):
                try:
                    value = column[row].as_py()
                except UnicodeDecodeError as error:  # Parquet says UTF-8; not every writer checks
                    reason = f"field {field_name!r} is not valid UTF-8 at byte {error.start}: expected UTF-8 text"
                    self._bad(where, reason, kind="invalid UTF-8")
                    record = None
                    break
                except (OverflowError, ValueError) as error:
                    if field_name != self.date_field or not _is_temporal(column.type):
                        self._bad(where, f"field {field_name!r} cannot be read ({error})")
                        record = None
                        break
                    # A date Python's dates cannot hold (microseconds written as milliseconds):
                    # handed on as the number stored, for the scan to count as a date not read.
                    value = _stored_date(column, row)
                assert record is not None
                record[field_name] = value
            yield record


def _without_leading_stars(pattern: str) -> str:
    """A glob pattern without its leading ``**/`` (every folder is searched: it adds nothing)."""
    while pattern.startswith("**/"):
        pattern = pattern[3:]
    return pattern


def _is_temporal(kind: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_timestamp(kind) or pa.types.is_date(kind))


def _stored_date(column: Any, row: int) -> str:
    """A Parquet date or timestamp that Python's conversion refused, as ISO 8601, or as the number stored when
    it is outside the years 1-9999 (which the scan then counts as a date not read)."""
    import pyarrow as pa

    kind = column.type
    stored = column.slice(row, 1).cast(pa.int32() if pa.types.is_date32(kind) else pa.int64())[0].as_py()
    epoch = datetime.datetime(1970, 1, 1)
    try:
        if pa.types.is_date32(kind):
            return (epoch + datetime.timedelta(days=stored)).date().isoformat()
        if pa.types.is_date64(kind):
            return (epoch + datetime.timedelta(milliseconds=stored)).date().isoformat()
        per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[kind.unit]
        moment = epoch + datetime.timedelta(microseconds=stored * 10**6 // per_second)
        return (moment.replace(tzinfo=datetime.UTC) if kind.tz is not None else moment).isoformat()
    except OverflowError:
        return f"{stored} ({kind}: outside the years 1-9999)"


# The options read_documents and read_jsonl pass on to their Reader: its settings (the constructor's
# arguments, not its state), but skip_bad, whose skipped records only a Reader the caller holds can show.
_READ_OPTIONS = tuple(f.name for f in fields(Reader) if f.init and f.name != "skip_bad")


def _reader(function: str, options: dict[str, Any]) -> Reader:
    """The Reader of ``options``, each one checked: an unknown one, or ``skip_bad``, is a ParameterError."""
    if options.get("skip_bad", False) is not False:
        raise ParameterError(
            f"{function} cannot take skip_bad: the records it skips would be dropped unseen; read with "
            "reader = dedup.Reader(skip_bad=True), reader.read(paths), and find them in reader.skipped"
        )
    for name in options:
        if name not in _READ_OPTIONS and name != "skip_bad":
            raise ParameterError(f"{function} has no option {name!r} (its options: {', '.join(_READ_OPTIONS)})")
    return Reader(**options)


def read_jsonl(path: str | Path, **options: Any) -> Iterator[Document]:
    """Yield the documents of one JSONL file (fields ``id``, ``text``, optional ``source`` and ``date``).

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.jsonl"
        >>> _ = f.write_text('{"id": "a", "text": "x", "source": "s"}\\n', encoding="utf-8")
        >>> [d.source for d in read_jsonl(f)]
        ['s']
    """
    return _reader("read_jsonl", {"input_format": "jsonl", **options}).read([path])


def _not_paths(given: object) -> str:
    return f"inputs must be paths (str, bytes or os.PathLike) or an iterable of paths, got {type(given).__name__}"


def duplicate_reason(doc_id: str, holder: str, where: str | None = None) -> str:
    """Why the scan skips a duplicate, as the commands say it: its id, and where the document scanned under it was read.

    A duplicate read at its holder's own place (``where``) is its file read a second time.

    Example:
        >>> duplicate_reason("a", "news.jsonl:3")
        "duplicate id 'a' (taken by the document at news.jsonl:3); ids must be unique"
        >>> duplicate_reason("a", "news.jsonl:3", "news.jsonl:3")
        "duplicate id 'a' (its file is read twice: given twice, or inside a folder given too); ids must be unique"
    """
    taken = "its file is read twice: given twice, or inside a folder given too" if holder == where else None
    return f"duplicate id {doc_id!r} ({taken or f'taken by the document at {holder}'}); ids must be unique"


def _fields_held(record: Mapping[str, Any]) -> str:
    """What a record holds, for the message about a field it lacks (a text under another name?)."""
    if not record:
        return " (the record has no fields)"
    return f" (the record has {_names(list(record))})"


def _names(names: Sequence[object], most: int = 6, longest: int = 30) -> str:
    """Field or column names for a one-line message: the first ``most``, each cut at ``longest`` characters.

    A CSV file without a header line has a record for header, its cells whole articles.

    Example:
        >>> _names(["id", "body"]), _names(list("abcdefgh")), _names(["x" * 40])
        ("'id', 'body'", "'a', 'b', 'c', 'd', 'e', 'f' and 2 more", "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'")
    """
    shown = [str(name) for name in names[:most]]
    cut = [repr(name if len(name) <= longest else name[:longest] + "…") for name in shown]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(cut) + more


def read_documents(paths: str | Path | Iterable[str | Path], **options: Any) -> Iterator[Document]:
    """Yield the documents of a file or directory, or of several, in any supported format (see :class:`Reader`).

    ``options`` are the Reader's settings (``id_field``, ``text_field``, ``source_field``,
    ``date_field``, ``glob``, ``input_format``, ``encoding``, ``check_ids``, ``source_level``). To skip bad records
    rather than stop at the first, read with ``Reader(skip_bad=True)``: its ``skipped`` lists them.

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.tsv"
        >>> _ = f.write_text('id\\ttext\\na\\tsome text\\n', encoding="utf-8")
        >>> [(d.id, d.text) for d in read_documents([f])]
        [('a', 'some text')]
        >>> [d.id for d in read_documents(str(f))]  # one path needs no list
        ['a']
    """
    if isinstance(paths, (str, bytes, PathLike)) or not isinstance(paths, Iterable):  # (the latter: said by read)
        return _reader("read_documents", options).read(paths)
    return _reader("read_documents", options).read(list(paths))
