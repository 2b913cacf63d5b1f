"""Reading documents from directories, JSONL files and standard input.

Every document read is either yielded or recorded in :attr:`Reader.skipped` with its reason; a
problem is an error naming the file, line and field unless ``skip_bad`` is set.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import InputError, ReadError
from .records import Document, Skipped

__all__ = ["Reader", "read_jsonl"]


@dataclass
class Reader:
    """Reads documents from paths: directories of text files, ``.jsonl`` files, other files, or ``-``.

    A directory yields each file matching ``glob`` below it (recursively, hidden ones left out), with
    the path relative to the directory as its id. A JSONL file yields one document a line, from the
    fields named by ``id_field``, ``text_field``, ``source_field`` and ``date_field``. ``where`` maps
    each id to the place it was read from, for messages.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.jsonl").write_text('{"id": "1", "text": "hello"}\\n', encoding="utf-8")
        >>> reader = Reader()
        >>> [(d.id, d.text) for d in reader.read([folder / "a.jsonl"])], reader.where["1"].endswith("a.jsonl:1")
        ([('1', 'hello')], True)
    """

    id_field: str = "id"
    text_field: str = "text"
    source_field: str = "source"
    date_field: str = "date"
    glob: str = "*.txt"
    skip_bad: bool = False
    where: dict[str, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    def _bad(self, where: str, reason: str, doc_id: str | None = None) -> None:
        if not self.skip_bad:
            raise InputError(f"{where}: {reason}", document=doc_id, reason=reason)
        self.skipped.append(Skipped(where, reason, doc_id))

    def _accept(self, doc: Document, where: str) -> Document | None:
        first = self.where.get(doc.id)
        if first is not None:
            self._bad(where, f"duplicate id {doc.id!r} (first read at {first}); ids must be unique", doc.id)
            return None
        self.where[doc.id] = where
        return doc

    def read(self, inputs: Sequence[str | Path]) -> Iterator[Document]:
        """Yield the documents of every input in turn.

        Example:
            >>> list(Reader().read(["/no/such/file.jsonl"]))
            Traceback (most recent call last):
            ...
            dedup.errors.ReadError: /no/such/file.jsonl: cannot read: no such file or directory
        """
        for item in inputs:
            if str(item) == "-":
                yield from self._jsonl(sys.stdin.buffer, "<stdin>")
                continue
            path = Path(item)
            if path.is_dir():
                yield from self._directory(path)
            elif not path.exists():
                raise ReadError(f"{path}: cannot read: no such file or directory")
            elif path.suffix.lower() == ".jsonl":
                try:
                    with path.open("rb") as stream:
                        yield from self._jsonl(stream, str(path))
                except OSError as error:
                    raise ReadError(f"{path}: cannot read: {error.strerror or error}") from error
            else:
                doc = self._text_file(path, path.name)
                if doc is not None:
                    yield doc

    def _directory(self, folder: Path) -> Iterator[Document]:
        files = sorted(
            p
            for p in folder.rglob(self.glob)
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )
        if not files:
            raise InputError(f"{folder}: no files matching {self.glob!r} below this directory")
        for path in files:
            doc = self._text_file(path, path.relative_to(folder).as_posix())
            if doc is not None:
                yield doc

    def _text_file(self, path: Path, doc_id: str) -> Document | None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ReadError(f"{path}: cannot read: {error.strerror or error}") from error
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            self._bad(str(path), f"invalid UTF-8 at byte {error.start}: expected UTF-8 text", doc_id)
            return None
        # A byte-order mark is an encoding artefact, not text: offsets count from after it.
        return self._accept(Document(doc_id, text.removeprefix("\ufeff")), str(path))

    def _jsonl(self, stream: IO[bytes], name: str) -> Iterator[Document]:
        # Lines are decoded one by one so that a bad byte is reported at its own line and,
        # with skip_bad, costs only that line.
        for line_no, raw in enumerate(stream, 1):
            where = f"{name}:{line_no}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                self._bad(where, f"invalid UTF-8 at byte {error.start} of the line: expected UTF-8 text")
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
            self._bad(where, f"not valid JSON ({error.msg} at column {error.colno}): expected one object a line")
            return None
        if not isinstance(record, dict):
            self._bad(where, f"expected a JSON object, got {type(record).__name__}")
            return None
        values: dict[str, str | None] = {}
        for role, name, required in (
            ("id", self.id_field, True),
            ("text", self.text_field, True),
            ("source", self.source_field, False),
            ("date", self.date_field, False),
        ):
            value = record.get(name)
            if value is None:
                if required:
                    self._bad(where, f"field {name!r} is missing: expected a string")
                    return None
            elif role == "id" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # numeric ids are common in exported corpora
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


def read_jsonl(path: str | Path, **options: Any) -> Iterator[Document]:
    """Yield the documents of one JSONL file (fields ``id``, ``text``, optional ``source`` and ``date``).

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.jsonl"
        >>> _ = f.write_text('{"id": "a", "text": "x", "source": "s"}\\n', encoding="utf-8")
        >>> [d.source for d in read_jsonl(f)]
        ['s']
    """
    return Reader(**options).read([path])
