"""Whole-text MinHash in one call: normalise, shingle and sign many texts."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from .checks import check_choice, check_texts
from .minhash import _check_num_perm, signatures
from .normalize import PROFILES, normalize
from .shingle import _check_ngram, _check_seed, shingle

__all__ = ["sketch"]


def sketch(
    texts: str | Iterable[str],
    *,
    ngram: int = 5,
    num_perm: int = 128,
    seed: int = 1,
    profile: str = "arabic",
) -> npt.NDArray[np.uint32]:
    """MinHash signatures of whole texts (or of one), one row a text (``uint32[len(texts), num_perm]``).

    Each text is normalised with ``profile`` and shingled into character ``ngram``-grams; the rows
    equal datasketch's ``MinHash(num_perm, seed, scheme="affine32")`` over the same n-grams hashed
    with xxh32, and :func:`dedup.jaccard` of two rows estimates their Jaccard similarity.

    A text of fewer than ``ngram`` non-space characters (after normalising) has no n-gram: its row is
    all ``0xFFFFFFFF``, datasketch's empty MinHash, and two such rows are equal whatever the texts
    (``jaccard`` 1.0): filter short texts (headlines, captions) out first, or lower ``ngram``.

    Example:
        >>> from dedup.minhash import jaccard
        >>> sigs = sketch(["وقال المتحدث باسم الوزارة", "وقال المتحدث باسم الوزاره", "a different text"])
        >>> sigs.shape, jaccard(sigs[0], sigs[1]), jaccard(sigs[0], sigs[2])
        ((3, 128), 1.0, 0.0)
        >>> sketch("one text").shape
        (1, 128)
        >>> empty = sketch(["Oil", "Gas"])  # no 5-gram in either
        >>> jaccard(empty[0], empty[1]), int(empty[0].min())
        (1.0, 4294967295)
    """
    # Checked here, where they enter: with no text, no later stage would see them.
    _check_ngram(ngram)
    _check_num_perm(num_perm)
    _check_seed(seed)
    check_choice("profile", profile, PROFILES)
    # One text is one row, not a row for each of its characters.
    texts = [texts] if isinstance(texts, str) else check_texts("texts", texts)
    hashes = [shingle(normalize(text, profile=profile).text, ngram).hashes for text in texts]
    return signatures(hashes, num_perm, seed=seed)
