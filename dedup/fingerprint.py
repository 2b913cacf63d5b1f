"""The engine digest: what this dedup's normalisation, hashing and sketching make of a fixed sample.

Stored work that holds keys or signatures (an archive index, a Spark work directory) records the
digest of the dedup that made it and is refused by a dedup whose digest differs: its stages would
make other keys of the same text, and answers would be wrong, not an error.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .normalize import _ARABIC_MAP, _FOLD_MAP, normalize
from .scan import ScanConfig, _sketch_batch

__all__ = ["engine_fingerprint"]

_SAMPLE = (
    "قالت وزارة الدفاع يوم الإثنين إنها لا تعتزم سحب قواتها البالغ عددها 2500 جندي من البلاد، رغم الإعلان "
    "الأسبوع الماضي عن محادثات لإنهاء المهمة. The ministry said on Monday it had no plans to withdraw its "
    "troops, despite last week's announcement of talks — «\uff26\uff55\uff4c\uff4c» ﻻ ﷺ 1٢3 café naïve. "
    "AT&amp;T said &quot;caf&eacute;&quot;&nbsp;&#1604;&#x627; \u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd "
) * 3


# A spacing clone of a diacritic (the Greek koronis, an elision mark): NFKC makes it a space and a
# combining mark, which normalisation leaves out (a mark of no letter).
_BARE_MARK = " \u03b4\u1fbd \u03b1"


def _fingerprint_sample() -> str:
    """The text the engine digest is taken of: every letter the Arabic profile unifies, every
    letter folded otherwise than Unicode's full case folding does, and a mark of no letter, are
    in it, so that a change to what they become changes the digest."""
    return _SAMPLE + " ".join(sorted(_ARABIC_MAP)) + " " + " ".join(sorted(_FOLD_MAP)) + _BARE_MARK


def engine_fingerprint(config: ScanConfig) -> str:
    """A digest of what this dedup's stages make of a fixed sample: keys, signatures and seed keys.

    Stored when an index is made and checked before it is used: an index built by a dedup whose
    normalisation, hashing or sketching differs would otherwise give wrong answers, not an error.

    Example:
        >>> len(engine_fingerprint(ScanConfig()))
        16
    """
    text = normalize(_fingerprint_sample(), profile=config.profile).text
    bands, rows = config.bands_rows
    batch, keys, offsets = _sketch_batch([text], config, bands, rows)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass"))
    for array in (batch.keys, batch.counts, batch.documents, batch.extra, batch.extra_windows, keys, offsets):
        if array is not None:
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]
