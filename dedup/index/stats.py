"""The corpus statistics an archive keeps so that a query decides boilerplate as a scan of the whole corpus would.

The scan drops alignment seeds that are boilerplate by a corpus-wide rule (:mod:`dedup.boilerplate`:
seeds in more than ``max_df`` of the documents). An archive keeps the counts that rule needs,
adds a query's own counts to a copy of them, and hands the scan's alignment code an index-like
object carrying them (``.df``), so that the rule it applies is the scan's own. Everything that
knows what the rule counts is in this module: a different rule changes this file and the format
version, nothing else.

The counts of the rule today are a :class:`~dedup.boilerplate.DocumentFrequency` sketch. Counts
are sums over documents, so adding a batch, taking a removed document's counts away, and adding a
query's give exactly the sketch a scan of the same documents would count.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..boilerplate import DocumentFrequency
from ..scan import ScanConfig, _Index

__all__ = ["Statistics"]


class Statistics:
    """The corpus statistics of an archive (or of a query batch), mergeable and serialisable."""

    def __init__(self, config: ScanConfig, df: DocumentFrequency | None) -> None:
        self.config = config
        self.df = df

    @classmethod
    def empty(cls, config: ScanConfig) -> Statistics:
        """No documents counted."""
        return cls(config, DocumentFrequency() if config.max_df < 1.0 else None)

    @classmethod
    def of_batch(cls, batch: _Index) -> Statistics:
        """The statistics the scan's own index counted over a batch of documents (after ``finish``)."""
        return cls(batch.config, batch.df)

    @classmethod
    def of_texts(cls, config: ScanConfig, documents: list[tuple[str, str]]) -> Statistics:
        """The statistics of documents given as (text, outlet), counted by the scan's index."""
        from ..records import Document

        batch = _Index(config.replace(skip_bad=True), threads=1)
        for k, (text, outlet) in enumerate(documents):
            batch.add(Document(f"{k}", text, source=outlet))
        batch.finish()
        batch.keys.close()
        batch.documents.close()
        return cls.of_batch(batch)

    def copy(self) -> Statistics:
        """An independent copy."""
        if self.df is None:
            return Statistics(self.config, None)
        df = DocumentFrequency(self.df.width)
        df.table[:] = self.df.table
        df.documents = self.df.documents
        return Statistics(self.config, df)

    def combined(self, other: Statistics, out: Statistics | None = None) -> Statistics:
        """These statistics plus ``other``'s, written into ``out`` (reused between queries) when given."""
        if self.df is None or other.df is None:
            return Statistics(self.config, None)
        if out is None or out.df is None or out.df.width != self.df.width:
            out = Statistics(self.config, DocumentFrequency(self.df.width))
        assert out.df is not None
        np.add(self.df.table, other.df.table, out=out.df.table)
        out.df.documents = self.df.documents + other.df.documents
        return out

    def add(self, other: Statistics) -> None:
        """Count ``other``'s documents too."""
        if self.df is not None and other.df is not None:
            self.df.merge(other.df)

    def subtract(self, other: Statistics) -> None:
        """Stop counting ``other``'s documents (which must have been counted)."""
        if self.df is not None and other.df is not None:
            self.df.table -= other.df.table
            self.df.documents -= other.df.documents

    def to_bytes(self) -> bytes:
        """The statistics as stored in the index (see docs/archive-index.md)."""
        if self.df is None:
            return b""
        header = np.array([self.df.width, self.df.documents], dtype="<u8").tobytes()
        # Level 1: the sketch of a small archive is mostly zeros (8 MB -> a few kB), and a commit
        # rewrites it whole.
        return header + zlib.compress(self.df.table.astype("<u4", copy=False).tobytes(), 1)

    @classmethod
    def from_bytes(cls, config: ScanConfig, data: bytes) -> Statistics:
        """Read what :meth:`to_bytes` wrote."""
        if config.max_df >= 1.0:
            return cls(config, None)
        width, documents = (int(x) for x in np.frombuffer(data, dtype="<u8", count=2))
        df = DocumentFrequency(width)
        df.table[:] = np.frombuffer(zlib.decompress(data[16:]), dtype="<u4").reshape(df.table.shape)
        df.documents = documents
        return cls(config, df)
