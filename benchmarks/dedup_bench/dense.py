"""The dense corpus: every document recombines short runs of words from the same five articles.

A story every outlet covers, pushed to the extreme: each document is made of runs of 3-12
consecutive words cut from the articles of ``seeds/`` and put together in a random order, so that
every pair of documents shares short phrases and the LSH pair graph is dense. A share of the
documents (10% by default) also carries a 1,000-character passage of another document: the
reuse a scan must still find among all that shared phrasing. Deterministic for a ``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .corpora import ROOT


def _seed_words() -> list[list[str]]:
    """The words of each article of ``seeds/``, in file order."""
    return [p.read_text(encoding="utf-8").split() for p in sorted((ROOT / "seeds").glob("*.txt"))]


def dense_corpus(
    n: int,
    *,
    seed: int = 0,
    chars: int = 3000,
    sources: int = 40,
    share: float = 0.1,
    passage: int = 1000,
    shortest: int = 3,
    longest: int = 12,
) -> list[Any]:
    """``n`` documents of about ``chars`` characters made of word runs from ``seeds/``, from ``sources`` outlets.

    Each run is ``shortest``-``longest`` consecutive words of one article, starting anywhere in it.
    A share ``share`` of the documents then gets a ``passage``-character passage (cut at word
    boundaries) of another document, drawn from that document's own text before any passage was
    inserted, put in at a word boundary. The ids are ``dense0000000`` ...

    >>> a = dense_corpus(20, seed=5, chars=600)
    >>> [d.text for d in a] == [d.text for d in dense_corpus(20, seed=5, chars=600)]
    True
    """
    from dedup.records import Document

    rng = np.random.default_rng(seed)
    articles = [w for w in _seed_words() if len(w) > longest]
    if not articles:
        raise ValueError(f"seeds/ has no article of more than {longest} words")
    texts = []
    for _ in range(n):
        runs: list[str] = []
        size = -1  # the length of the runs joined by spaces
        while size < chars:
            words = articles[int(rng.integers(len(articles)))]
            k = int(rng.integers(shortest, longest + 1))
            at = int(rng.integers(0, len(words) - k + 1))
            run = " ".join(words[at : at + k])
            runs.append(run)
            size += len(run) + 1
        texts.append(" ".join(runs))
    originals = list(texts)
    if n > 1:
        for i in np.flatnonzero(rng.random(n) < share).tolist():
            j = int(rng.integers(n - 1))
            j += j >= i  # another document
            donor = originals[j]
            cut = _word_start(donor, int(rng.integers(0, max(1, len(donor) - passage))))
            piece = donor[cut : cut + passage].rsplit(" ", 1)[0] if len(donor) > cut + passage else donor[cut:]
            text = texts[i]
            at = _word_start(text, int(rng.integers(0, len(text))))
            texts[i] = f"{text[:at]}{piece} {text[at:]}".strip()
    return [Document(f"dense{i:07d}", t, source=f"outlet{i % sources:03d}") for i, t in enumerate(texts)]


def _word_start(text: str, at: int) -> int:
    """The start of the word at or after ``at`` (or the end of ``text``)."""
    if at <= 0:
        return 0
    space = text.find(" ", at - 1)
    return len(text) if space < 0 else space + 1
