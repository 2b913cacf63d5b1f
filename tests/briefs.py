"""Agency briefs cut from short stories, and the LSH bands each pair of documents shares.

The engines count band pairs with sorted runs, tables of every pair and Spark shuffles, and
apply the candidate rule (:func:`dedup.pairs.needed_bands`) on the way; :func:`shared_bands`
counts them with :func:`dedup.candidates.candidate_pairs`, one band at a time and every pair kept
(the reference the banded search is tested against), so that tests can check which pairs each
engine keeps. :func:`agency_briefs` makes the pairs that rule is for: two short stories whose shared
pieces are a few words each, shorter than a window, so that some collide in one band only.
"""

from __future__ import annotations

import numpy as np

from dedup.candidates import candidate_pairs
from dedup.config import ScanConfig
from dedup.normalize import normalize
from dedup.pairs import needed_bands
from dedup.records import Document
from dedup.scan import _sketch_batch

LETTERS = np.array(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"))


def agency_briefs(n: int, seed: int) -> list[Document]:
    """``n`` agency stories (140 words) and, for each, a newspaper brief of about 360 characters.

    A brief alternates runs of 3 to 6 words copied from its story (anywhere in it, in any order)
    with 2 to 4 words of its own; briefs come from three newspapers. Story ``agencyNN`` and brief
    ``briefNN`` are the derived pairs.
    """
    rng = np.random.default_rng(seed)

    def word() -> str:
        return "".join(rng.choice(LETTERS, int(rng.integers(2, 8))))

    docs = []
    for i in range(n):
        story = [word() for _ in range(140)]
        brief: list[str] = []
        while len(" ".join(brief)) < 360:
            if rng.random() < 0.5:
                k = int(rng.integers(3, 7))
                start = int(rng.integers(0, len(story) - k))
                brief += story[start : start + k]
            else:
                brief += [word() for _ in range(int(rng.integers(2, 5)))]
        docs.append(Document(f"agency{i:02d}", " ".join(story), source="agency"))
        docs.append(Document(f"brief{i:02d}", " ".join(brief), source=f"paper{i % 3}"))
    return docs


def shared_bands(
    docs: list[Document], config: ScanConfig, *, every_band: bool = True
) -> tuple[dict[tuple[int, int], int], list[int]]:
    """Bands shared by each pair (i, j), i < j in input order, of different outlets; and each document's windows.

    ``every_band`` false: of the first ``bands_rows[0]`` bands only, the bands every window has.

    A bucket of more than ``max_bucket`` windows is skipped, as the engines skip it. A short
    document's windows have ``short_bands`` bands, the others' the first ``bands_rows[0]``: a long
    document's window has, in each further band, a 64-bit key of its own that no 32-bit key equals.
    """
    texts = [normalize(d.text, profile=config.profile).text for d in docs]
    bands, rows = config.bands_rows
    batch, _, _ = _sketch_batch(texts, config, bands, rows, seed_keys=False)
    windows = int(batch.counts.sum())
    keys = np.empty((windows, config.short_bands), dtype=np.uint64)
    keys[:, :bands] = batch.keys.T
    keys[:, bands:] = (np.uint64(1) << np.uint64(32)) + np.arange(windows, dtype=np.uint64)[:, None]
    keys[batch.extra_windows, bands:] = batch.extra.T
    if not every_band:
        keys = keys[:, :bands]
    owner = np.repeat(np.arange(len(texts)), batch.counts)
    outlets: dict[str, int] = {}
    outlet = np.array([outlets.setdefault(d.outlet, len(outlets)) for d in docs], dtype=np.int64)
    found = candidate_pairs(keys, owner, outlet[owner], max_bucket=config.max_bucket)
    pairs = zip(found.left.tolist(), found.right.tolist(), strict=True)
    shared = dict(zip(pairs, found.shared_bands.tolist(), strict=True))
    return shared, batch.counts.tolist()


def rule_candidates(docs: list[Document], config: ScanConfig, *, every_band: bool = True) -> tuple[int, int]:
    """How many pairs the candidate rule keeps, and how many of them share fewer than half of ``min_bands``.

    ``every_band`` false: counting the first ``bands_rows[0]`` bands only (see :func:`shared_bands`).
    """
    shared, windows = shared_bands(docs, config, every_band=every_band)
    pairs = list(shared)
    if not pairs:
        return 0, 0
    count = np.array([shared[p] for p in pairs])
    needed = needed_bands(np.array([windows[i] for i, _ in pairs]), np.array([windows[j] for _, j in pairs]), config)
    kept = count >= needed
    return int(kept.sum()), int((kept & (count < max(1, config.min_bands // 2))).sum())
