"""How the archive stores a document's text: a zstandard frame of its UTF-8 bytes (level 1).

zstandard at level 1 compresses news text faster than zlib level 1, and a little smaller (the
figures: docs/performance.md). Python 3.14 has zstandard in the standard library
(``compression.zstd``); before, the ``zstandard`` package (a dependency of dedup for ``.zst``
input) provides it. Both write and read the same frames.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["DecompressError", "compressor", "decompress"]

_LEVEL = 1

try:  # Python 3.14 and later
    from compression import zstd as _zstd  # type: ignore[import-not-found,unused-ignore]

    DecompressError: type[Exception] = _zstd.ZstdError
    """What :func:`decompress` raises for bytes that are not a zstandard frame."""

    def compressor() -> Callable[[bytes], bytes]:
        """A function compressing one text's bytes (use one per thread).

        Example:
            >>> len(compressor()(b"the same words " * 100)) < 100
            True
        """
        options = _zstd.ZstdCompressor(level=_LEVEL)

        def compress(data: bytes) -> bytes:
            return bytes(options.compress(data, mode=_zstd.ZstdCompressor.FLUSH_FRAME))

        return compress

    def decompress(data: bytes) -> bytes:
        """The bytes of one stored text.

        Example:
            >>> decompress(compressor()(b"text")) == b"text"
            True
        """
        return bytes(_zstd.decompress(data))

except ImportError:
    import zstandard as _zstandard

    DecompressError = _zstandard.ZstdError

    def compressor() -> Callable[[bytes], bytes]:
        """A function compressing one text's bytes (use one per thread).

        Example:
            >>> len(compressor()(b"the same words " * 100)) < 100
            True
        """
        compress: Callable[[bytes], bytes] = _zstandard.ZstdCompressor(level=_LEVEL).compress
        return compress

    _LOCAL = threading.local()  # a ZstdDecompressor is not safe to share between threads (measured)

    def decompress(data: bytes) -> bytes:
        """The bytes of one stored text.

        Example:
            >>> decompress(compressor()(b"text")) == b"text"
            True
        """
        mine = getattr(_LOCAL, "decompressor", None)
        if mine is None:
            mine = _LOCAL.decompressor = _zstandard.ZstdDecompressor()
        return bytes(mine.decompress(data))
