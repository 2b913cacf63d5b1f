"""Exact boilerplate of the sources whose limit the seed-count sketch cannot be trusted with.

The per-source counts (:class:`dedup.boilerplate.SeedCounts`) are a count-min sketch of fixed
size: every key's counters also carry the counts of the keys that share them, about
``sketch_load`` of them, and an estimate is never below the true count. That is harmless where a
source's limit is far above the load (a source of thousands of documents), and ruinous where it is
not: a corpus of a few thousand web pages or stories loads each counter with tens of counts, and
in a source of fifty documents (limit 7) every seed then read as boilerplate, so that documents
spread over many outlets shared no passage at all. For those sources the boilerplate is counted
exactly instead, from their documents' seed keys, a source at a time on each thread (memory: the
keys of a few sources): :func:`exact_sources` says which, :func:`source_boilerplate` counts one.

Example:
    >>> from dedup.scan import ScanConfig
    >>> config = ScanConfig()
    >>> template = "Follow us on the wire for more news every single day of the week. "
    >>> texts = [template + f"Story number {n} tells of {n * 7} boats in the harbour today." for n in range(6)]
    >>> keys = source_boilerplate(texts, config, limit=2)
    >>> from dedup.normalize import normalize
    >>> from dedup.seeds import document_keys
    >>> from dedup.shingle import hash_many
    >>> own = [normalize("Follow us on the wire for more news", profile=config.profile).text]
    >>> seeds, _ = document_keys(own, *hash_many(own, config.ngram), config.align_params)
    >>> bool(np.isin(seeds, keys).all())  # the template's seeds are in all six stories
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .boilerplate import SeedCounts, boilerplate_limit
from .checks import check_int
from .normalize import normalize
from .seeds import document_keys
from .shingle import hash_many

if TYPE_CHECKING:
    from .config import ScanConfig

__all__ = ["exact_boilerplate", "exact_sources", "sketch_load", "source_boilerplate", "text_keys", "trusted_limit"]

_BATCH = 256  # documents whose keys are computed in one call


def sketch_load(counts: SeedCounts) -> float:
    """The mean count of a per-source counter: how many foreign counts a key's estimate may carry.

    Example:
        >>> counts = SeedCounts(width=1 << 4)
        >>> counts.add(np.arange(32, dtype=np.uint64), np.array([0, 32]), np.array([0]), np.array([0], np.uint64))
        >>> sketch_load(counts)  # 32 keys over 16 counters a row
        2.0
    """
    table = counts.within.table
    return float(table[0].sum()) / table.shape[1] if table.size else 0.0


def trusted_limit(load: float) -> int:
    """The smallest boilerplate limit the sketch is trusted with at this load (lower ones are counted exactly).

    A key in one or two of a source's documents reads as boilerplate when both its counters carry
    nearly ``limit`` foreign counts. Their number is about Poisson of mean ``load``; the limit is
    trusted when half of it lies beyond that mean by four standard deviations and four counts.

    Example:
        >>> trusted_limit(0.0), trusted_limit(0.5), trusted_limit(22.5)
        (8, 15, 91)
    """
    return math.ceil(2 * (load + 4 * math.sqrt(load) + 4))


def exact_sources(counts: SeedCounts, share: float) -> list[int]:
    """The sources whose boilerplate is counted exactly: those that may have some, under a :func:`trusted_limit`.

    A source of at most its limit's documents has no boilerplate at all (no seed can be in more
    of its documents than it has), and needs no count.

    Example:
        >>> counts = SeedCounts(width=1 << 4)
        >>> for source, n in ((0, 1), (1, 5)):
        ...     for _ in range(n):
        ...         counts.add(np.zeros(0, np.uint64), np.array([0, 0]), np.array([source]), np.array([0], np.uint64))
        >>> exact_sources(counts, 0.1)  # source 0 has one document (limit 2): nothing to count
        [1]
    """
    trusted = trusted_limit(sketch_load(counts))
    out = []
    for source, documents in sorted(counts.per_source.items()):
        limit = boilerplate_limit(documents, share)
        if limit < documents and limit < trusted:
            out.append(source)
    return out


def text_keys(texts: Sequence[str], config: ScanConfig) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The distinct seed keys of each raw text, as the seed counts count them: ``keys, offsets``.

    The texts normalised, hashed and given to :func:`dedup.seeds.document_keys`: text t's keys are
    ``keys[offsets[t]:offsets[t + 1]]``.

    Example:
        >>> from dedup.scan import ScanConfig
        >>> keys, offsets = text_keys(["One story about the harbour boats.", "Another one."], ScanConfig())
        >>> len(offsets), bool(offsets[1] > 0)
        (3, True)
    """
    normalized = [normalize(t, profile=config.profile).text for t in texts]
    hashes, offsets = hash_many(normalized, config.ngram)
    return document_keys(normalized, hashes, offsets, config.align_params)


def source_boilerplate(texts: Iterable[str], config: ScanConfig, limit: int) -> npt.NDArray[np.uint64]:
    """The seed keys (character seeds and words) in more than ``limit`` of ``texts``, sorted: one source's boilerplate.

    ``texts`` are the raw texts of one source's documents. A key counts once a document, as
    :class:`~dedup.boilerplate.SeedCounts` counts it.

    Example:
        >>> from dedup.scan import ScanConfig
        >>> source_boilerplate(["one story about the harbour boats"] * 2, ScanConfig(), limit=2).size
        0
    """
    parts: list[npt.NDArray[np.uint64]] = []
    batch: list[str] = []

    def flush() -> None:
        parts.append(text_keys(batch, config)[0])  # (each document's keys distinct: one count a document)
        batch.clear()

    for text in texts:
        batch.append(text)
        if len(batch) >= _BATCH:
            flush()
    if batch:
        flush()
    if not parts:
        return np.zeros(0, dtype=np.uint64)
    keys, counts = np.unique(np.concatenate(parts), return_counts=True)
    return keys[counts > limit]


def exact_boilerplate(
    counts: SeedCounts,
    share: float,
    texts_of: Callable[[int], Iterable[str]],
    config: ScanConfig,
    sources: Container[int] | None = None,
    *,
    threads: int = 1,
) -> dict[int, npt.NDArray[np.uint64]]:
    """Each source of :func:`exact_sources` (of ``sources``, if given) and its exact boilerplate.

    ``texts_of(source)`` gives the raw texts of the source's documents; it is called in this
    thread, one source after another, while up to ``threads`` sources are counted at once (the
    kernels run without the GIL).

    Example:
        >>> from dedup.scan import ScanConfig
        >>> counts = SeedCounts(width=1 << 4)
        >>> story = "Follow us for more. A story of the harbour and its boats, told in full. "
        >>> for n in range(4):
        ...     counts.add(np.zeros(0, np.uint64), np.array([0, 0]), np.array([0]), np.array([0], np.uint64))
        >>> found = exact_boilerplate(counts, 0.1, lambda source: [story] * 4, ScanConfig())
        >>> list(found), found[0].size > 0  # four documents, limit 2: all the story's seeds
        ([0], True)
    """
    check_int("threads", threads, 1)
    wanted = [s for s in exact_sources(counts, share) if sources is None or s in sources]

    def count(source: int, texts: list[str]) -> npt.NDArray[np.uint64]:
        return source_boilerplate(texts, config, boilerplate_limit(counts.documents_of(source), share))

    if threads == 1 or len(wanted) < 2:
        return {source: count(source, list(texts_of(source))) for source in wanted}
    out: dict[int, npt.NDArray[np.uint64]] = {}
    with ThreadPoolExecutor(threads, thread_name_prefix="dedup-recount") as pool:
        running: list[tuple[int, Future[npt.NDArray[np.uint64]]]] = []
        for source in wanted:
            running.append((source, pool.submit(count, source, list(texts_of(source)))))
            while len(running) > threads:  # (texts of at most threads + 1 sources held at once)
                done, future = running.pop(0)
                out[done] = future.result()
        for done, future in running:
            out[done] = future.result()
    return out
