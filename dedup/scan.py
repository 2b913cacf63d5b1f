"""The scan: documents in, shared passages and document-pair scores out.

normalise -> shingle -> MinHash of passage windows -> LSH over windows -> align candidate document
pairs exactly -> score. The sketch stage only proposes document pairs; every reported passage is
verified on the exact n-grams of both texts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from .align import AlignParams, Alignment, Prepared, align, prepare
from .errors import InputError, ParameterError
from .lsh import band_keys, candidate_pairs, optimal_params
from .minhash import jaccard, window_signatures
from .normalize import PROFILES, normalize
from .records import Document, Pair, Passage, Skipped, Span
from .score import coverage, ngram_set, set_scores
from .shingle import shingle

__all__ = ["Progress", "ScanConfig", "ScanResult", "scan"]

Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(stage, done, total)``; ``total`` is None while it is unknown."""


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """Every parameter of a scan, checked when it is made.

    Lengths (``min_length``, ``gap``, ``seed_length``) count normalised characters; ``window`` and
    ``stride`` count shingles.

    Example:
        >>> ScanConfig(threshold=0.5).bands_rows
        (25, 5)
        >>> ScanConfig(window=100, stride=32)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: window (100) must be a multiple of stride (32)
    """

    ngram: int = 5
    num_perm: int = 128
    threshold: float = 0.3
    window: int = 128
    stride: int = 32
    seed: int = 1
    profile: str = "arabic"
    min_length: int = 100
    seed_length: int = 10
    gap: int = 200
    min_seeds: int = 3
    min_density: float = 0.25
    min_similarity: float = 0.0
    same_source: bool = False
    max_bucket: int = 256
    skip_bad: bool = False

    def __post_init__(self) -> None:
        for name in ("ngram", "num_perm", "window", "stride", "min_length", "max_bucket"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ParameterError(f"{name} must be a positive integer, got {value!r}")
        if self.window % self.stride:
            raise ParameterError(f"window ({self.window}) must be a multiple of stride ({self.stride})")
        if self.profile not in PROFILES:
            raise ParameterError(f"profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        if not 0.0 <= self.min_similarity <= 1.0:
            raise ParameterError(f"min_similarity must be between 0 and 1, got {self.min_similarity!r}")
        optimal_params(self.threshold, self.num_perm)  # checks threshold and num_perm
        self.align_params  # noqa: B018 - builds AlignParams, which checks its own fields

    @property
    def bands_rows(self) -> tuple[int, int]:
        """The LSH bands and rows chosen for ``threshold`` and ``num_perm``."""
        return optimal_params(self.threshold, self.num_perm)

    @property
    def align_params(self) -> AlignParams:
        """The alignment parameters carried by this configuration."""
        return AlignParams(
            ngram=self.ngram,
            seed_length=self.seed_length,
            gap=self.gap,
            min_length=self.min_length,
            min_seeds=self.min_seeds,
            min_density=self.min_density,
        )

    def replace(self, **changes: Any) -> ScanConfig:
        """A copy with some fields changed (and checked).

        Example:
            >>> ScanConfig().replace(ngram=4).ngram
            4
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ParameterError(f"unknown scan parameter(s): {', '.join(unknown)}")
        return ScanConfig(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a plain dict (for reports)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan found, and an account of every input document."""

    passages: list[Passage]
    pairs: list[Pair]
    documents: Mapping[str, Document]
    skipped: list[Skipped]
    candidates: int
    suppressed_buckets: int
    config: ScanConfig = field(default_factory=ScanConfig)

    @property
    def read(self) -> int:
        """Documents read: the scanned ones plus the skipped ones."""
        return len(self.documents) + len(self.skipped)


class _Index:
    """Band keys of every window, and per-document state, gathered while documents stream in."""

    def __init__(self, config: ScanConfig) -> None:
        self.config = config
        self.bands, self.rows = config.bands_rows
        self.documents: dict[str, Document] = {}
        self.order: list[str] = []
        self.sources: dict[str, int] = {}
        self.doc_source: list[int] = []
        self.doc_signatures: list[npt.NDArray[np.uint32]] = []
        self.keys: list[npt.NDArray[np.uint64]] = []
        self.skipped: list[Skipped] = []

    def reject(self, doc_id: str | None, reason: str) -> None:
        if not self.config.skip_bad:
            raise InputError(f"document {doc_id!r}: {reason}", document=doc_id, reason=reason)
        self.skipped.append(Skipped(doc_id if doc_id is not None else "?", reason, doc_id))

    def add(self, doc: Document) -> None:
        if not isinstance(doc.id, str) or not doc.id:
            self.reject(None, f"id must be a non-empty string, got {doc.id!r}")
            return
        if not isinstance(doc.text, str):
            self.reject(doc.id, f"text must be a string, got {type(doc.text).__name__}")
            return
        if doc.id in self.documents:
            self.reject(doc.id, "duplicate id (an earlier document has the same id)")
            return
        cfg = self.config
        normalized = normalize(doc.text, profile=cfg.profile)
        if len(normalized.text) < cfg.min_length:
            what = "empty" if not normalized.text else f"too short ({len(normalized.text)} normalised characters)"
            self.reject(doc.id, f"{what}: a passage needs at least min_length ({cfg.min_length}) characters")
            return
        hashes = shingle(normalized.text, cfg.ngram).hashes
        windows = window_signatures(
            hashes, window=cfg.window, stride=cfg.stride, num_perm=cfg.num_perm, seed=cfg.seed
        )
        self.documents[doc.id] = doc
        self.order.append(doc.id)
        self.doc_source.append(self.sources.setdefault(doc.outlet, len(self.sources)))
        self.doc_signatures.append(windows.document)
        self.keys.append(band_keys(windows.signatures, self.bands, self.rows))


class _Prepared:
    """Normalised and shingled documents for alignment, recomputed on demand within a bounded cache.

    Keeping every document's shingles for the whole scan would grow memory with the text; the
    LSH stage needs only band keys, and alignment touches each candidate document a few times.
    """

    def __init__(self, index: _Index, capacity: int = 2048) -> None:
        self.index = index
        self.capacity = capacity
        self.cache: OrderedDict[int, Prepared] = OrderedDict()

    def __getitem__(self, i: int) -> Prepared:
        found = self.cache.get(i)
        if found is not None:
            self.cache.move_to_end(i)
            return found
        cfg = self.index.config
        normalized = normalize(self.index.documents[self.index.order[i]].text, profile=cfg.profile)
        prepared = prepare(normalized, shingle(normalized.text, cfg.ngram), cfg.align_params)
        self.cache[i] = prepared
        if len(self.cache) > self.capacity:
            self.cache.popitem(last=False)
        return prepared


def _passage(a_id: str, b_id: str, a: Prepared, b: Prepared, al: Alignment) -> Passage:
    similarity, cont_a, cont_b = set_scores(
        ngram_set(a.shingles, al.a_start, al.a_end), ngram_set(b.shingles, al.b_start, al.b_end)
    )
    a0, a1 = a.normalized.raw_span(al.a_start, al.a_end)
    b0, b1 = b.normalized.raw_span(al.b_start, al.b_end)
    return Passage(Span(a_id, a0, a1), Span(b_id, b0, b1), similarity, cont_a, cont_b, al.seeds)


def scan(
    documents: Iterable[Document],
    config: ScanConfig | None = None,
    *,
    progress: Progress | None = None,
) -> ScanResult:
    """Find the passages that documents of different sources share, and score each document pair.

    Example:
        >>> wire = ("The defence ministry said on Monday it had no plans to withdraw its 2,500 troops "
        ...         "from the country, despite the announcement last week of talks on ending the mission. ")
        >>> docs = [Document("x", "Local news first. " * 5 + wire + "Weather later. " * 5, source="x"),
        ...         Document("y", "Other lead here. " * 5 + wire + "Sport after. " * 5, source="y")]
        >>> result = scan(docs)
        >>> [(p.a.slice(docs[0].text) == p.b.slice(docs[1].text), p.a.doc, p.b.doc) for p in result.passages]
        [(True, 'x', 'y')]
    """
    cfg = config or ScanConfig()
    index = _Index(cfg)
    for count, doc in enumerate(documents, 1):
        index.add(doc)
        if progress is not None:
            progress("documents", count, None)
    n = len(index.order)
    if n:
        window_doc = np.concatenate(
            [np.full(len(k), d, dtype=np.int64) for d, k in enumerate(index.keys)]
        )
        window_source = np.asarray(index.doc_source, dtype=np.int64)[window_doc]
        keys = np.concatenate(index.keys)
    else:
        window_doc = window_source = np.zeros(0, dtype=np.int64)
        keys = np.zeros((0, index.bands), dtype=np.uint64)
    index.keys.clear()  # the candidate search below is their last use
    candidates = candidate_pairs(
        keys, window_doc, window_source, same_source=cfg.same_source, max_bucket=cfg.max_bucket
    )
    del keys, window_doc, window_source
    if progress is not None:
        progress("candidates", len(candidates.left), len(candidates.left))

    prepared = _Prepared(index)
    params = cfg.align_params
    passages: list[Passage] = []
    pairs: list[Pair] = []
    total = len(candidates.left)
    for done, (i, j) in enumerate(zip(candidates.left.tolist(), candidates.right.tolist(), strict=True), 1):
        a, b = prepared[i], prepared[j]
        a_id, b_id = index.order[i], index.order[j]
        found = [_passage(a_id, b_id, a, b, al) for al in align(a, b, params)]
        found = [p for p in found if p.similarity >= cfg.min_similarity]
        if progress is not None:
            progress("alignments", done, total)
        if not found:
            continue
        passages.extend(found)
        jac, cont_a, cont_b = set_scores(ngram_set(a.shingles), ngram_set(b.shingles))
        text_a, text_b = index.documents[a_id].text, index.documents[b_id].text
        pairs.append(
            Pair(
                a=a_id,
                b=b_id,
                coverage_a=coverage([(p.a.start, p.a.end) for p in found], len(text_a)),
                coverage_b=coverage([(p.b.start, p.b.end) for p in found], len(text_b)),
                containment_a=cont_a,
                containment_b=cont_b,
                jaccard=jac,
                jaccard_estimate=jaccard(index.doc_signatures[i], index.doc_signatures[j]),
                passages=len(found),
                longest=max(p.length for p in found),
            )
        )
    pairs.sort(key=lambda p: (-max(p.coverage_a, p.coverage_b), p.a, p.b))
    return ScanResult(
        passages=passages,
        pairs=pairs,
        documents=index.documents,
        skipped=index.skipped,
        candidates=total,
        suppressed_buckets=candidates.suppressed,
        config=cfg,
    )
