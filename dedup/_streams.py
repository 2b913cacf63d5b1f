"""Input files as bytes: compressed (gzip, zstd), in an encoding wider than UTF-8, split into lines.

The reader (:mod:`dedup.io`) reads records from these streams; nothing here knows of documents.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import DependencyError, ReadError

__all__: list[str] = []

# The first bytes of a compressed stream: how compressed standard input is told.
MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
# The extensions that name a compressed file, and its compression: how a file's name tells it (an
# input read, an output refused for a name that says compressed).
COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}


def sniffed(head: bytes) -> str | None:
    """The compression a stream's first bytes say (``"gzip"``, ``"zstd"``), or None."""
    return next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)


# A byte-order mark names its encoding beyond doubt (no UTF-8 text starts with these bytes), so a
# file saved as "Unicode" by a Windows editor is read without being named; UTF-32's marks first,
# since UTF-32-LE's begins with UTF-16-LE's.
BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def zstd_open(path: Path | IO[bytes]) -> IO[bytes]:
    """A zstandard-compressed file or stream, decompressed (Python's own module where it has one)."""
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
    source = path.open("rb") if isinstance(path, Path) else path
    return io.BufferedReader(ZstdFrames(source, zstandard))  # iterable by lines, which zstandard's reader is not


class Converted(io.RawIOBase):
    """A byte stream made from another, chunk by chunk: subclasses say what the next chunk gives (``_more``)."""

    def __init__(self, source: IO[bytes]) -> None:
        super().__init__()
        self._source = source
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def _more(self, chunk: bytes) -> bytes:
        """The bytes a chunk of the source gives (``b""``: the source has ended)."""
        raise NotImplementedError

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            chunk = self._source.read(1 << 16)
            self._done = not chunk
            self._pending = self._more(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class ZstdFrames(Converted):
    """The frames of a zstandard stream, one after another, decompressed; a cut-off stream is an ``EOFError``.

    zstandard's own readers return what they could decompress from a truncated file without a word,
    which would drop the documents of its lost end silently.
    """

    def __init__(self, source: IO[bytes], zstandard: Any) -> None:
        super().__init__(source)
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._frame = self._new()
        self._open_frame = False  # a frame begun and not yet ended

    def _more(self, chunk: bytes) -> bytes:
        if not chunk and self._open_frame:
            raise EOFError("compressed file ended before the end-of-stream marker was reached")
        out = []
        while chunk:
            if self._frame.eof:
                self._frame = self._new()
            out.append(self._frame.decompress(chunk))
            chunk = self._frame.unused_data if self._frame.eof else b""
        self._open_frame = not self._frame.eof
        return b"".join(out)

    def close(self) -> None:
        self._source.close()
        super().close()


def decompressed(raw: IO[bytes], path: Path | IO[bytes], compression: str | None) -> IO[bytes]:
    """``raw`` decompressed as ``compression`` says (``"gzip"``, ``"zstd"``; ``None``: as it is)."""
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "zstd":
        return zstd_open(path if isinstance(path, Path) else raw)
    return raw


def bom_encoding(head: bytes) -> str | None:
    """The encoding a UTF-16 or UTF-32 byte-order mark at the start of a file names, if any."""
    return next((encoding for mark, encoding in BOMS if head.startswith(mark)), None)


def encoding_label(encoding: str) -> str:
    """An encoding's name as messages give it: ``UTF-8``, ``UTF-16``, ``CP1256``."""
    return codecs.lookup(encoding).name.upper().replace("_", "-")


class Transcoded(Converted):
    """A byte stream in another encoding, read as UTF-8.

    The readers of JSONL, CSV and TSV split lines as bytes and decode each, so that a bad byte costs
    one line; a stream in a wider encoding (UTF-16) cannot be split that way, so it is decoded as it
    is read and handed on re-encoded. Bytes the encoding does not define are kept as themselves
    (``surrogateescape``), which makes the line holding them fail to decode and be reported.
    """

    def __init__(self, raw: IO[bytes], encoding: str, name: str) -> None:
        super().__init__(raw)
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
        self._name = name
        self._label = encoding_label(encoding)
        self._consumed = 0

    def _more(self, chunk: bytes) -> bytes:
        held = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:  # bytes under 0x80 that surrogateescape cannot keep
            at = self._consumed - held + error.start
            raise ReadError(f"{self._name}: cannot read: invalid {self._label} at byte {at}") from None
        self._consumed += len(chunk)
        return text.encode("utf-8", "surrogateescape")


def keeps_ascii(encoding: str) -> bool:
    """Whether an encoding writes ASCII as ASCII (cp1256, latin-1), so a line of it splits on its bytes."""
    try:
        return bytes(range(128)).decode(encoding) == "".join(map(chr, range(128)))
    except UnicodeError:  # (not only UnicodeDecodeError: punycode raises its base class)
        return False


LINE_CHUNK = 1 << 16
BREAKS = re.compile(rb"\r\n?|\n")
CR_ALONE = re.compile(rb"\r[^\n]")


def split_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of a byte stream, each with its line break: LF or CRLF, or CR alone in a file whose lines end so.

    Classic Mac OS and some exports end lines with a CR alone: split at LF only, such a file is one
    line. A file whose first line holds a CR alone and no LF (in the stretch read to find one) is
    taken to be such a file; a CR inside a line where an LF ends the first (a space between JSON
    tokens, a line break in a quoted CSV cell) stays in its line.
    """
    head = bytearray()
    while True:
        piece = stream.readline(LINE_CHUNK)
        head += piece
        ended = head.endswith(b"\n")
        if not ended and CR_ALONE.search(head):
            break
        if ended or not piece:
            if head:
                yield bytes(head)
            yield from stream
            return
    pending = bytes(head)
    while True:
        chunk = stream.read(LINE_CHUNK)
        pending += chunk
        start = 0
        for match in BREAKS.finditer(pending):
            if chunk and match.end() == len(pending) and match.group() == b"\r":
                break  # perhaps a CRLF's first half: the next chunk says
            yield pending[start : match.end()]
            start = match.end()
        pending = pending[start:]
        if not chunk:
            if pending:
                yield pending
            return


def undecodable(raw: bytes, error: UnicodeDecodeError, label: str, what: str, *, transcoded: bool) -> str:
    """Why bytes did not decode, at the byte where they failed (the character, once transcoded)."""
    if transcoded:
        # A transcoded line's bytes are not the file's; the count of characters is the same in both.
        at = f"character {len(raw[: error.start].decode('utf-8', 'surrogateescape'))}"
    else:
        at = f"byte {error.start}"
    hint = " (or set the encoding)" if label == "UTF-8" else ""
    return f"invalid {label} at {at}{what}: expected {label} text{hint}"
