"""Invariants of a whole scan, over drawn corpora: what a filter keeps, where spans lie, every document accounted for.

Each corpus is small (a few outlets around one wire paragraph, edited in their own ways): a scan of
one takes a few tens of milliseconds, and each property draws a dozen.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from dedup import Document, Pair, Passage, ScanConfig, normalize, scan, shingle
from dedup.minhash import window_signatures
from dedup.pairs import _RARE_SCORE
from dedup.score import coverage
from dedup_bench.wire import WIRE

_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def story(seed: int, words: int) -> str:
    """An outlet's own text: words of a vocabulary of its own (nothing shared by chance)."""
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(300)
    ]
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def edited(seed: int, share: float) -> str:
    """The wire as one outlet ran it: about ``share`` of its words replaced by one of its own, or followed by one."""
    rng = random.Random(seed)
    own = story(seed + 77, 60).split()
    out: list[str] = []
    for word in WIRE.split(" "):
        roll = rng.random()
        out.extend([rng.choice(own)] if roll < share / 2 else [word, rng.choice(own)] if roll < share else [word])
    return " ".join(out)


# An outlet: how much of the wire it edits, and how many words of its own come before and after it
# (few: a brief, at most short_windows windows; many: a long article).
outlets = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.45]), st.sampled_from([0, 10, 60, 250]), st.sampled_from([0, 30, 250])
    ),
    min_size=3,
    max_size=5,
)


def corpus(seed: int, shapes: list[tuple[float, int, int]]) -> list[Document]:
    docs = []
    for k, (share, before, after) in enumerate(shapes):
        parts = (story(seed + k, before), edited(seed + 100 + k, share), story(seed + 200 + k, after))
        text = " ".join(part for part in parts if part)
        docs.append(Document(f"d{k}", text, source=f"s{k}"))
    return docs


def windows(text: str, cfg: ScanConfig) -> int:
    """The windows a scan sketches of a text, counted here from its n-grams."""
    hashes = shingle(normalize(text, profile=cfg.profile).text, cfg.ngram).hashes
    sketch = window_signatures(hashes, window=cfg.window, stride=cfg.stride, num_perm=cfg.num_perm, seed=cfg.seed)
    return len(sketch.first)


def of_pair(passages: list[Passage], pair: Pair) -> list[Passage]:
    return [p for p in passages if (p.a.doc, p.b.doc) == (pair.a, pair.b)]


@settings(max_examples=10, **_SETTINGS)  # type: ignore[arg-type]
@given(seed=st.integers(0, 10_000), shapes=outlets, min_score=st.sampled_from([0.0, 0.15]), data=st.data())
def test_min_similarity_keeps_exactly_the_passages_at_least_that_similar(
    seed: int, shapes: list[tuple[float, int, int]], min_score: float, data: st.DataObject
) -> None:
    docs = corpus(seed, shapes)
    base = scan(docs, ScanConfig(min_score=min_score))
    # An outlet that edited 30-45% of the wire's words may share no passage with the others (a
    # rewrite, paired on its score if at all): the property needs passages to filter.
    assume(base.passages)
    # A threshold at a passage's similarity (kept: ">="), or between the least and the greatest.
    similarities = sorted({p.similarity for p in base.passages})
    x = data.draw(st.sampled_from(similarities) | st.floats(similarities[0], similarities[-1]), label="x")
    config = ScanConfig(min_similarity=x, min_score=min_score)
    got = scan(docs, config)
    assert got.passages == [p for p in base.passages if p.similarity >= x]
    texts = {d.id: d.text for d in docs}
    reported = {(p.a, p.b) for p in got.pairs}
    want = []
    for pair in base.pairs:
        kept = [p for p in of_pair(base.passages, pair) if p.similarity >= x]
        short = min(windows(texts[pair.a], config), windows(texts[pair.b], config)) <= config.short_windows
        kept_how = "all" if len(kept) == pair.passages else "some" if kept else "none"
        event(f"passages {kept_how} kept, short {short}, score {'>=' if pair.score >= min_score else '<'} min_score")
        # On its score alone: from min_score, or from two thirds of it when its rare seeds are shared
        # (test_syndication checks that part; here a pair in that band may go either way).
        band = _RARE_SCORE * config.min_score <= pair.score < config.min_score
        if not kept and not (short and (pair.score >= config.min_score or (band and (pair.a, pair.b) in reported))):
            continue  # no passage left, and not reported on its score alone
        want.append(
            Pair(
                pair.a, pair.b,
                coverage([(p.a.start, p.a.end) for p in kept], len(texts[pair.a])),
                coverage([(p.b.start, p.b.end) for p in kept], len(texts[pair.b])),
                pair.containment_a, pair.containment_b, pair.jaccard, pair.jaccard_estimate,
                passages=len(kept), longest=max((p.length for p in kept), default=0), score=pair.score,
            )
        )  # fmt: skip
    assert got.pairs == want


@settings(max_examples=10, **_SETTINGS)  # type: ignore[arg-type]
@given(
    seed=st.integers(0, 10_000), shapes=outlets, low=st.floats(0.0, 0.6), high=st.floats(0.0, 0.6),
    min_seeds=st.sampled_from([3, 100_000]),
)  # fmt: skip
def test_a_higher_min_score_keeps_a_subset_of_the_pairs(
    seed: int, shapes: list[tuple[float, int, int]], low: float, high: float, min_seeds: int
) -> None:
    low, high = min(low, high), max(low, high)
    docs = corpus(seed, shapes)
    # With passages out of reach (min_seeds), every pair is reported on its score alone, or not.
    config = ScanConfig(min_seeds=min_seeds)
    lenient, strict = scan(docs, config.replace(min_score=low)), scan(docs, config.replace(min_score=high))
    assert strict.passages == lenient.passages  # min_score decides pairs without passages only
    event(f"pairs on their score alone: {sum(not p.passages for p in lenient.pairs) > 0}")
    event(f"pairs left out by the higher min_score: {len(strict.pairs) < len(lenient.pairs)}")
    kept = {(p.a, p.b) for p in strict.pairs}
    assert strict.pairs == [p for p in lenient.pairs if (p.a, p.b) in kept]  # a subset, the same records
    # A pair on its score alone reaches min_score, or two thirds of it with its rare seeds shared
    # (which does not depend on min_score): kept from there, left out under two thirds.
    for p in lenient.pairs:
        assert p.passages or p.score >= _RARE_SCORE * low
        if p.passages or p.score >= high:
            assert (p.a, p.b) in kept
        elif p.score < _RARE_SCORE * high:
            assert (p.a, p.b) not in kept


@settings(max_examples=12, **_SETTINGS)  # type: ignore[arg-type]
@given(seed=st.integers(0, 10_000), shapes=outlets)
def test_pair_fields_agree_with_the_pairs_passages(seed: int, shapes: list[tuple[float, int, int]]) -> None:
    docs = corpus(seed, shapes)
    result = scan(docs)
    order = {d.id: k for k, d in enumerate(docs)}
    texts = {d.id: d.text for d in docs}
    reported = {(p.a, p.b) for p in result.pairs}
    assert len(reported) == len(result.pairs)
    for p in result.passages:
        assert (p.a.doc, p.b.doc) in reported  # every passage's pair is reported
        assert 0.0 <= p.similarity <= min(p.containment_a, p.containment_b) <= 1.0
    for pair in result.pairs:
        assert order[pair.a] < order[pair.b]  # a is the earlier document in input order
        found = of_pair(result.passages, pair)
        assert pair.passages == len(found)
        assert pair.longest == max((p.length for p in found), default=0)
        assert pair.coverage_a == coverage([(p.a.start, p.a.end) for p in found], len(texts[pair.a]))
        assert pair.coverage_b == coverage([(p.b.start, p.b.end) for p in found], len(texts[pair.b]))
        for value in (pair.coverage_a, pair.coverage_b, pair.containment_a, pair.containment_b, pair.jaccard,
                      pair.jaccard_estimate, pair.score):  # fmt: skip
            assert 0.0 <= value <= 1.0
        assert pair.jaccard <= min(pair.containment_a, pair.containment_b)


# Characters a text may hold: letters of several scripts, combining marks, Arabic ligatures and
# presentation forms (ﷺ, ﻻ), controls, format characters, astral characters; no lone surrogate.
_ODD = "\u0301\u064b\u0670\ufdfa\ufefb\u200f\u200d\ufeff\x00\x07\t\n\r\x85\u2028\U0001f600\U0001d400\U00020000"
unicode_text = st.text(
    st.one_of(
        st.characters(exclude_categories=["Cs"]),
        st.sampled_from(list(_ODD)),
        st.sampled_from(list("abc الولايات المتحدة 国防部 ")),
    ),
    max_size=300,
)


@settings(max_examples=25, **_SETTINGS)  # type: ignore[arg-type]
@given(parts=st.lists(unicode_text, min_size=4, max_size=4), inside=unicode_text)
def test_spans_lie_in_their_raw_texts_whatever_the_characters(parts: list[str], inside: str) -> None:
    # The same passage in two texts of arbitrary characters, some inside it too (in both copies).
    half = len(WIRE) // 2
    shared = WIRE[:half] + inside + WIRE[half:]
    texts = {"x": parts[0] + shared + parts[1], "y": parts[2] + shared + parts[3]}
    result = scan([Document(k, v, source=k) for k, v in texts.items()])
    assert result.passages, "the shared wire paragraph is found"
    for p in result.passages:
        for span in (p.a, p.b):
            assert 0 <= span.start < span.end <= len(texts[span.doc])


_GOOD, _SHORT, _EMPTY, _NO_ID, _NOT_A_DOCUMENT = "good", "short", "empty", "no id", "not a document"


@settings(max_examples=25, **_SETTINGS)  # type: ignore[arg-type]
@given(
    items=st.lists(
        st.tuples(st.sampled_from([_GOOD, _GOOD, _SHORT, _EMPTY, _NO_ID, _NOT_A_DOCUMENT]), st.integers(0, 5)),
        max_size=12,
    )
)
def test_every_input_document_is_scanned_or_skipped_once(items: list[tuple[str, int]]) -> None:
    # Ids drawn from a few, so that some repeat: a repeat of a scanned document's id is skipped.
    inputs: list[object] = []
    for k, (kind, name) in enumerate(items):
        text = {
            _GOOD: story(k, 60) + " " + WIRE,
            _SHORT: story(k, 3),
            _EMPTY: " \u200f\n ",
            _NO_ID: story(k, 60),
            _NOT_A_DOCUMENT: "",
        }[kind]
        inputs.append(
            Document("" if kind == _NO_ID else f"id{name}", text, source=f"s{k}")
            if kind != _NOT_A_DOCUMENT
            else {"id": f"id{name}", "text": story(k, 60)}
        )
    result = scan(inputs, ScanConfig(skip_bad=True))  # type: ignore[arg-type]
    scanned: list[str] = []
    skipped: list[tuple[str, str]] = []
    for k, (kind, name) in enumerate(items):
        if kind in (_NOT_A_DOCUMENT, _NO_ID):
            skipped.append((f"#{k}", "invalid record"))
        elif f"id{name}" in scanned:
            skipped.append((f"id{name}", "duplicate id"))
        elif kind == _GOOD:
            scanned.append(f"id{name}")
        else:
            skipped.append((f"id{name}", "too short" if kind == _SHORT else "empty"))
    assert list(result.documents) == scanned
    assert [(s.where, s.kind) for s in result.skipped] == skipped
    assert result.read == len(inputs) and result.scanned == len(scanned)
    assert result.read == result.scanned + len(result.skipped)
