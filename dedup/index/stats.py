"""The corpus statistics an archive keeps so that a query decides boilerplate and rarity as a scan would.

The scan leaves out alignment seeds that are a source's boilerplate (repeated in more than a
share of that source's documents) and calls a short passage's seeds rare by how many documents of
the corpus hold them (:mod:`dedup.boilerplate`). Both rules read a
:class:`~dedup.boilerplate.SeedCounts`: count-min sketches of seed keys over the corpus and of
seed keys salted with their document's source name (``boilerplate.source_salt``), and the documents
of each source id. An archive
keeps those counts, adds a query's own counts to a copy of them, and hands the scan's alignment
code an index-like object carrying them (``.seed_counts``), so that the rules it applies are the
scan's own. Everything that knows what the rules count is in this module: a different rule
changes this file and the format version, nothing else.

Counts are sums over documents, so adding a batch, taking a removed document's counts away, and
adding a query's give exactly the sketches a scan of the same documents would count, in any order
(the salt is the name's), provided each source keeps one id for its document count (the archive
stores the source -> id mapping: :mod:`dedup.index.store`).
"""

from __future__ import annotations

import json
import zlib

import numpy as np

from ..boilerplate import SeedCounts
from ..scan import ScanConfig, _Index

__all__ = ["Statistics"]


def _copy(counts: SeedCounts) -> SeedCounts:
    out = SeedCounts(counts.corpus.width)
    out.merge(counts)
    return out


class Statistics:
    """The corpus statistics of an archive (or of a query batch), mergeable and serialisable."""

    def __init__(self, config: ScanConfig, counts: SeedCounts) -> None:
        self.config = config
        self.counts = counts

    @classmethod
    def empty(cls, config: ScanConfig) -> Statistics:
        """No documents counted."""
        return cls(config, SeedCounts())

    @classmethod
    def of_batch(cls, batch: _Index) -> Statistics:
        """The statistics the scan's own index counted over a batch of documents (after ``finish``)."""
        return cls(batch.config, batch.seed_counts)

    @classmethod
    def of_texts(cls, config: ScanConfig, documents: list[tuple[str, str]], sources: dict[str, int]) -> Statistics:
        """The statistics of documents given as (text, outlet), counted by the scan's index under ``sources``' ids."""
        from ..records import Document

        batch = _Index(config.replace(skip_bad=True, strict=False), threads=1, note_sources=False)
        batch.sources = dict(sources)
        for k, (text, outlet) in enumerate(documents):
            batch.add(Document(f"{k}", text, source=outlet))
        batch.finish()
        batch.close_keys()
        batch.documents.close()
        return cls.of_batch(batch)

    def copy(self) -> Statistics:
        """An independent copy."""
        return Statistics(self.config, _copy(self.counts))

    def combined(self, other: Statistics, out: Statistics | None = None) -> Statistics:
        """These statistics plus ``other``'s, written into ``out`` (reused between queries) when given."""
        mine, theirs = self.counts, other.counts
        if out is None or out.counts.corpus.width != mine.corpus.width:
            out = Statistics(self.config, SeedCounts(mine.corpus.width))
        # One pass over each 8 MB sketch into the kept buffer: a query pays no allocation for it.
        for a, b, into in (
            (mine.corpus, theirs.corpus, out.counts.corpus),
            (mine.within, theirs.within, out.counts.within),
        ):
            np.add(a.table, b.table, out=into.table)
            into.documents = a.documents + b.documents
        per_source = dict(mine.per_source)
        for s, n in theirs.per_source.items():
            per_source[s] = per_source.get(s, 0) + n
        out.counts.per_source = per_source
        return out

    def add(self, other: Statistics) -> None:
        """Count ``other``'s documents too."""
        self.counts.merge(other.counts)

    def subtract(self, other: Statistics) -> None:
        """Stop counting ``other``'s documents (which must have been counted)."""
        mine, theirs = self.counts, other.counts
        for a, b in ((mine.corpus, theirs.corpus), (mine.within, theirs.within)):
            a.table -= b.table
            a.documents -= b.documents
        for s, n in theirs.per_source.items():
            left = mine.per_source.get(s, 0) - n
            if left > 0:
                mine.per_source[s] = left
            else:
                mine.per_source.pop(s, None)

    def to_bytes(self) -> bytes:
        """The statistics as stored in the index (see docs/archive-index.md).

        A JSON header line (width, documents, documents of each source id), then the corpus and
        the within-source tables (u32 little-endian, row-major), zlib level 1: the sketches of a
        small archive are mostly zeros (16 MB -> a few kB), and a commit rewrites them whole.
        """
        c = self.counts
        header = {
            "width": c.corpus.width,
            "documents": c.corpus.documents,
            "per_source": sorted([int(s), int(n)] for s, n in c.per_source.items()),
        }
        tables = np.concatenate([c.corpus.table, c.within.table]).astype("<u4", copy=False)
        return json.dumps(header).encode() + b"\n" + zlib.compress(tables.tobytes(), 1)

    @classmethod
    def from_bytes(cls, config: ScanConfig, data: bytes) -> Statistics:
        """Read what :meth:`to_bytes` wrote."""
        line, _, body = data.partition(b"\n")
        header = json.loads(line)
        counts = SeedCounts(int(header["width"]))
        rows = counts.corpus.table.shape[0]
        tables = np.frombuffer(zlib.decompress(body), dtype="<u4").reshape(2 * rows, counts.corpus.width)
        counts.corpus.table[:] = tables[:rows]
        counts.within.table[:] = tables[rows:]
        counts.corpus.documents = counts.within.documents = int(header["documents"])
        counts.per_source = {int(s): int(n) for s, n in header["per_source"]}
        return cls(config, counts)
