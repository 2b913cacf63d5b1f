"""Corpora of the benchmark: the synthetic news corpus, JSONL files and evaluation folders, cached files.

The synthetic corpus is deterministic (``seed``): Arabic-like words drawn from a letter model of
``seeds/*.txt``, from several outlets, with wire passages planted in a share of the documents and
lightly edited. Real corpora are read from a ``docs.jsonl`` file or an evaluation folder holding one
(never copied into the repository).
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
ARABIC_SPACE = " "


def _letter_model(
    rng: np.random.Generator, zipf: float = 0.5, size: int = 100_000, common_n: int = 0
) -> tuple[list[str], np.ndarray]:
    """A lexicon of Arabic-like words (letter bigrams and word lengths of seeds/) and Zipf weights."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    words = [w for w in text.split() if all("\u0621" <= c <= "\u064a" for c in w)]
    letters = sorted({c for w in words for c in w})
    index = {c: i for i, c in enumerate(letters)}
    k = len(letters)
    start = np.ones(k)
    trans = np.ones((k, k))
    for w in words:
        start[index[w[0]]] += 1
        for x, y in itertools.pairwise(w):
            trans[index[x], index[y]] += 1
    start /= start.sum()
    trans /= trans.sum(axis=1, keepdims=True)
    lengths = np.array([len(w) for w in words])
    word_len = rng.choice(lengths, size=size)
    cum = np.cumsum(trans, axis=1)
    lexicon: list[str] = []
    firsts = rng.choice(k, size=size, p=start)
    draws = rng.random((size, int(lengths.max())))
    for i in range(size):
        c = int(firsts[i])
        chars = [letters[c]]
        for j in range(1, int(word_len[i])):
            c = min(int(np.searchsorted(cum[c], draws[i, j])), k - 1)
            chars.append(letters[c])
        lexicon.append("".join(chars))
    # Real function words keep the text looking like Arabic; the rest follow Zipf's law.
    common = [w for w, _ in sorted(_counts(words).items(), key=lambda kv: -kv[1])[:common_n]]
    lexicon = common + lexicon
    weights = 1.0 / np.arange(1, len(lexicon) + 1) ** zipf
    return lexicon, weights / weights.sum()


def _counts(words: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for w in words:
        out[w] = out.get(w, 0) + 1
    return out


def synthetic_corpus(
    n: int, *, seed: int = 0, chars: int = 3000, sources: int = 40, share: float = 0.3, stories: int = 0
) -> list[Any]:
    """``n`` deterministic Arabic-like documents of about ``chars`` characters from ``sources`` outlets.

    A share ``share`` of the documents carries one or two wire passages (300-1,200 characters) drawn
    from a pool of ``stories`` (default n / 10), with 3% of their words replaced; the rest is fresh text.
    """
    from dedup.records import Document

    rng = np.random.default_rng(seed)
    lexicon, weights = _letter_model(rng)
    lex = np.array(lexicon, dtype=object)
    mean_word = float(np.dot([len(w) + 1 for w in lexicon], weights))
    words_per_doc = max(1, round(chars / mean_word))
    stories = stories or max(1, n // 10)
    story_words = [lex[rng.choice(len(lex), size=int(rng.integers(60, 220)), p=weights)] for _ in range(stories)]
    total = n * words_per_doc
    body = lex[rng.choice(len(lex), size=total, p=weights)].reshape(n, words_per_doc)
    docs = []
    planted = rng.random(n) < share
    for i in range(n):
        words = body[i]
        if planted[i]:
            parts = []
            for _ in range(int(rng.integers(1, 3))):
                s = story_words[int(rng.integers(stories))].copy()
                edits = rng.random(len(s)) < 0.03
                s[edits] = lex[rng.choice(len(lex), size=int(edits.sum()), p=weights)]
                parts.append(s)
            planted_words = np.concatenate(parts)
            at = int(rng.integers(0, max(1, words_per_doc - len(planted_words))))
            words = np.concatenate((words[:at], planted_words, words[at + len(planted_words) :]))
        docs.append(Document(f"doc{i:07d}", ARABIC_SPACE.join(words.tolist()), source=f"outlet{i % sources:03d}"))
    return docs


def read_corpus(path: str, limit: int | None = None) -> list[Any]:
    """Documents of a JSONL file (``id``, ``text``, ``source``); up to ``limit`` of them, copied round if needed."""
    return list(stream_corpus(path, limit))


def stream_corpus(path: str | Path, limit: int | None = None) -> Iterator[Any]:
    """The documents of :func:`read_corpus`, read lazily from the file (re-read for every round of copies).

    The file is read by ``dedup.io.Reader`` with the defaults of ``dedup scan`` (a fresh reader each
    pass), so that at most one document's text is held here at a time.
    """
    from dedup.io import Reader
    from dedup.records import Document

    if not limit:  # None or 0: every document once
        yield from Reader().read([path])
        return
    done = 0
    for k in itertools.count():
        before = done
        for d in Reader().read([path]):
            if done >= limit:
                return
            if k == 1 and done == before:
                print(f"  {path}: {before:,} documents, copied round (each copy rotated, under a new id and outlet)"
                      f" to make {limit:,}", file=sys.stderr, flush=True)  # fmt: skip
            if k:
                # A rotated copy (start moved by k * 97 characters) under a new id and outlet.
                cut = (k * 97) % max(1, len(d.text))
                d = Document(f"{d.id}~{k}", d.text[cut:] + " " + d.text[:cut], source=f"{d.source}~{k}")
            yield d
            done += 1
        if done == before:  # an empty file: nothing to copy round
            return


def write_jsonl_corpus(docs: Iterable[Any], path: Path) -> tuple[int, int]:
    """Write documents to a JSONL file (``id``, ``text``, ``source``; UTF-8), atomically; (documents, bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            for d in docs:
                out.write(json.dumps({"id": d.id, "text": d.text, "source": d.source}, ensure_ascii=False) + "\n")
                count += 1
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count, path.stat().st_size


def _generator_digest(kind: str = "synthetic") -> str:
    """A short digest of a generator and the seed texts: a cached corpus is stale when either changes."""
    import hashlib
    import inspect

    from . import carried, dense

    h = hashlib.sha256()
    fns: tuple[Callable[..., Any], ...] = (_letter_model, _counts, synthetic_corpus)
    if kind == "dense":
        fns = (dense._seed_words, dense.dense_corpus)
    elif kind == "carried":
        fns = (*fns, carried.wire_copy, carried.carried_corpus)
    for fn in fns:
        h.update(inspect.getsource(fn).encode("utf-8"))
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        h.update(seed.name.encode("utf-8") + b"\0" + seed.read_bytes())
    return h.hexdigest()[:12]


def default_cache_dir() -> Path:
    """Where generated corpora are cached: ``dedup-bench-corpora`` in the system's temporary directory."""
    return Path(tempfile.gettempdir()) / "dedup-bench-corpora"


GENERATORS = ("synthetic", "dense", "carried")


def corpus_file(kind: str, n: int, *, seed: int = 0, chars: int = 3000, cache_dir: Path | None = None) -> Path:
    """The JSONL file of a generated corpus (``kind`` "synthetic", "dense" or "carried"), written once and then reused.

    The path is keyed by the kind, ``n``, ``seed``, ``chars`` and a digest of the generator, in
    ``cache_dir`` (default: :func:`default_cache_dir`).
    """
    from .carried import carried_corpus
    from .dense import dense_corpus

    if kind not in GENERATORS:
        raise ValueError(f"corpus kind must be one of {', '.join(GENERATORS)}, got {kind!r}")
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    path = folder / f"{kind}-n{n}-seed{seed}-chars{chars}-{_generator_digest(kind)}.jsonl"
    if not path.exists():
        t = time.perf_counter()
        makers: dict[str, Callable[..., list[Any]]] = {
            "synthetic": synthetic_corpus, "dense": dense_corpus, "carried": carried_corpus,
        }  # fmt: skip
        make = makers[kind]
        docs = make(n, seed=seed, chars=chars)
        _, size = write_jsonl_corpus(docs, path)
        del docs
        gc.collect()
        print(f"  wrote {path} ({size / 1e6:,.0f} MB) in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    return path


def synthetic_corpus_file(n: int, *, seed: int = 0, chars: int = 3000, cache_dir: Path | None = None) -> Path:
    """The JSONL file of ``synthetic_corpus(n, seed=seed, chars=chars)`` (see :func:`corpus_file`)."""
    return corpus_file("synthetic", n, seed=seed, chars=chars, cache_dir=cache_dir)


CORPUS_EXPECTED = (
    "expected a file of documents as dedup scan reads them (.jsonl, .csv, .tsv, .parquet, .txt), a folder of"
    " them, or an evaluation folder holding docs.jsonl"
)


def corpus_path(path: str | Path) -> Path:
    """The documents of ``path``: the file itself, ``docs.jsonl`` in an evaluation folder, or a folder of
    documents (read as ``dedup scan FOLDER`` reads it)."""
    p = Path(path)
    if p.is_dir():
        return p / "docs.jsonl" if (p / "docs.jsonl").is_file() else p
    if not p.is_file():
        raise FileNotFoundError(f"{path}: no such file or folder; {CORPUS_EXPECTED}")
    return p
