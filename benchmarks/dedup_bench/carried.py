"""The carried corpus: one wire story that every outlet of the corpus ran, each amid its own text.

Syndication at its widest: an agency's paragraphs (the Reuters pieces of ``seeds/000``) that ``n``
outlets each printed verbatim, put in at a word boundary of a fresh text of their own (the
synthetic corpus's words, :func:`dedup_bench.corpora.synthetic_corpus`). Every pair of documents
shares the paragraphs, so a scan aligns each document's candidates up to its budget and reports
each of them: the cost is the passages found, not the candidates rejected, and the reuse cluster
holds every document. Deterministic for a ``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .corpora import ROOT, synthetic_corpus

# The wire copy of seeds/000 that seeds/001 also ran (the lead and the Rayder paragraphs; see
# seeds/README.md): some 500 characters, as an agency's paragraph or two.
_WIRE = (135, 631)


def wire_copy() -> str:
    """The agency's paragraphs every document of the carried corpus prints."""
    text = sorted((ROOT / "seeds").glob("000_*.txt"))[0].read_text(encoding="utf-8")
    return text[_WIRE[0] : _WIRE[1]]


def carried_corpus(n: int, *, seed: int = 0, chars: int = 3000) -> list[Any]:
    """``n`` documents of about ``chars`` characters, each its own outlet's, each carrying :func:`wire_copy`.

    >>> docs = carried_corpus(3, chars=800)
    >>> all(wire_copy() in d.text for d in docs), len({d.source for d in docs})
    (True, 3)
    """
    from dedup.records import Document

    wire = wire_copy()
    rng = np.random.default_rng(seed)
    own = synthetic_corpus(n, seed=seed, chars=max(1, chars - len(wire)), sources=max(1, n), share=0.0)
    docs = []
    for i, doc in enumerate(own):
        spaces = [k for k, c in enumerate(doc.text) if c == " "]
        at = spaces[int(rng.integers(len(spaces)))] + 1 if spaces else 0
        text = f"{doc.text[:at]}{wire}\n\n{doc.text[at:]}".strip()
        docs.append(Document(f"carried{i:07d}", text, source=f"outlet{i:05d}"))
    return docs
