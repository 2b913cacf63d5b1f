"""Tests for dedup.batch: a chunk of pairs aligned in one kernel call gives what align gives pair by pair."""

from __future__ import annotations

import random
from dataclasses import replace
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dedup import seeds
from dedup.align import AlignParams, Prepared, align, prepare
from dedup.batch import Handle, align_batch, handle
from dedup.errors import ParameterError
from dedup.normalize import normalize
from dedup.shingle import shingle

LATIN = "abcdefghijklmnopqrstuvwxyz"
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
CHINESE = "".join(chr(0x4E00 + k) for k in range(0, 3000, 7))  # written without spaces: lengths in letters
PARAMS = AlignParams(min_length=60, min_exact=30)


def _words(rng: random.Random, alphabet: str, count: int) -> list[str]:
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(3, 8))) for _ in range(count)]


def _documents(seed: int, alphabet: str, count: int) -> list[str]:
    """``count`` texts of their own words, some carrying a long and a short passage (some printed twice)."""
    rng = random.Random(seed)
    joiner = "" if alphabet == CHINESE else " "
    # A long passage and a short one (between min_exact and min_length: it counts near the other).
    passages = [joiner.join(_words(rng, alphabet, 30)), joiner.join(_words(rng, alphabet, 7))]
    texts = []
    for _ in range(count):
        parts = [joiner.join(_words(rng, alphabet, rng.randint(5, 40)))]
        for passage in passages:
            if rng.random() < 0.6:
                parts.append(passage)
                parts.append(joiner.join(_words(rng, alphabet, rng.randint(0, 20))))
                if rng.random() < 0.2:  # a page that prints the passage again
                    parts.append(passage)
        rng.shuffle(parts)
        texts.append(" ".join(parts))
    return texts


def _prepared(texts: list[str], wide: bool = False) -> list[Prepared]:
    with mock.patch.object(seeds, "_NARROW_LIMIT", 0 if wide else seeds._NARROW_LIMIT):
        return [prepare(n, shingle(n.text, PARAMS.ngram), PARAMS) for n in map(normalize, texts)]


def _batch_equals_pairwise(seed: int, alphabet: str, count: int, data: st.DataObject, wide: bool) -> None:
    documents = _prepared(_documents(seed, alphabet, count))
    chosen = documents
    if wide:
        # Some documents with positions in int64 (texts of 2^31 code points), which are aligned a
        # pair at a time; the others go through the kernel together.
        widened = _prepared(_documents(seed, alphabet, count), wide=True)
        chosen = [widened[k] if data.draw(st.booleans()) else documents[k] for k in range(count)]
    pair = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)).filter(lambda p: p[0] != p[1])
    pairs = data.draw(st.lists(pair, min_size=1, max_size=40))
    left, right = [i for i, _ in pairs], [j for _, j in pairs]
    found = align_batch([handle(d) for d in chosen], left, right, PARAMS)
    assert found == [align(chosen[i], chosen[j], PARAMS) for i, j in pairs]


_BATCHES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_DRAWN = {
    "seed": st.integers(0, 2**32 - 1),
    "alphabet": st.sampled_from([LATIN, ARABIC, CHINESE]),
    "count": st.integers(2, 6),
    "data": st.data(),
}


@_BATCHES
@given(**_DRAWN)
def test_a_batch_finds_what_align_finds_pair_by_pair(seed: int, alphabet: str, count: int, data: st.DataObject) -> None:
    _batch_equals_pairwise(seed, alphabet, count, data, wide=False)


# (Slow: int64 positions compile every alignment kernel again, a minute of a fresh machine's CPU;
# only texts of 2^31 code points take them.)
@pytest.mark.slow
@_BATCHES
@given(**_DRAWN)
def test_a_batch_with_wide_documents_finds_what_align_finds(
    seed: int, alphabet: str, count: int, data: st.DataObject
) -> None:
    _batch_equals_pairwise(seed, alphabet, count, data, wide=True)


def test_a_chunk_of_many_passages_keeps_each_pairs_own() -> None:
    # More rows than the kernel's first output holds (16): each pair's rows stay its own.
    rng = random.Random(7)
    passages = [" ".join(_words(rng, LATIN, 30)) for _ in range(2)]
    own = [[" ".join(_words(rng, LATIN, 20)) for _ in range(3)] for _ in range(4)]
    documents = _prepared([f"{x} {passages[0]} {y} {passages[1]} {z}" for x, y, z in own])
    pairs = [(i, j) for i in range(4) for j in range(4) if i != j] * 3
    expected = [align(documents[i], documents[j], PARAMS) for i, j in pairs]
    assert sum(len(x) for x in expected) > 16
    found = align_batch([handle(d) for d in documents], [i for i, _ in pairs], [j for _, j in pairs], PARAMS)
    assert found == expected


def test_a_batch_of_mixed_widths_equal_lengths_and_documents_aligned_apart_finds_what_align_finds() -> None:
    # One batch holding pairs of different widths (some pairs' lengths scaled to letters), pairs
    # of two texts of the same length (which goes first is settled by the texts, both ways round
    # here) and documents aligned a pair at a time (no row): each pair as align() has it.
    texts = _documents(11, LATIN, 3) + _documents(13, CHINESE, 3) + _documents(13, ARABIC, 2)
    first, rest = texts[0].split(" ", 1)
    texts.append("q" * len(first) + " " + rest)  # as long as texts[0], another text
    documents = _prepared(texts)
    handles = [handle(d) for d in documents]
    handles[1], handles[5] = Handle(documents[1], None), Handle(documents[5], None)
    pairs = [(i, j) for i in range(len(texts)) for j in range(len(texts)) if i != j]
    found = align_batch(handles, [i for i, _ in pairs], [j for _, j in pairs], PARAMS)
    assert found == [align(documents[i], documents[j], PARAMS) for i, j in pairs]
    assert len(documents[0].normalized.text) == len(documents[-1].normalized.text)
    assert found[pairs.index((0, len(texts) - 1))] and found[pairs.index((len(texts) - 1, 0))]
    assert len({d.width for d in documents}) > 1
    assert any(found[pairs.index((i, j))] for i in (3, 4, 5) for j in (3, 4, 5) if i != j)  # (lengths in letters)


def test_handles_read_each_array_where_it_lies() -> None:
    (document,) = _prepared(_documents(3, LATIN, 1))
    row = handle(document).row
    assert row is not None and int(row[-1]) == len(document.normalized.text)
    assert int(row[0]) == document.seed_keys.ctypes.data and int(row[1]) == len(document.seed_keys)
    assert handle(_prepared(_documents(3, LATIN, 1), wide=True)[0]).row is None


def test_bad_batches_are_refused() -> None:
    documents = _prepared(_documents(5, LATIN, 2))
    handles = [handle(d) for d in documents]
    with pytest.raises(ParameterError, match="left and right must be as long as each other, got 2 and 1"):
        align_batch(handles, [0, 1], [1], PARAMS)
    strided = np.zeros(2 * len(documents[0].seed_keys), dtype=np.uint64)[::2]
    with pytest.raises(
        ParameterError, match=r"prepared.seed_keys must be a C-contiguous array, got one with strides \(16,\)"
    ):
        handle(replace(documents[0], seed_keys=strided))


def _edited(rng: random.Random, words: list[str], alphabet: str) -> list[str]:
    """A copy of ``words`` lightly edited: words replaced, dropped, added, and neighbours swapped."""
    out: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < 0.08:
            out += _words(rng, alphabet, 1)
        elif roll < 0.12:
            continue
        elif roll < 0.18:
            out += [word, *_words(rng, alphabet, rng.randint(1, 3))]
        else:
            out.append(word)
    for _ in range(len(out) // 10):
        k = rng.randrange(len(out) - 1)
        out[k], out[k + 1] = out[k + 1], out[k]
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), alphabet=st.sampled_from([LATIN, ARABIC]))
@example(seed=92, alphabet=ARABIC)  # (two of the 4 in 600 drawn pairs whose passages differed by
@example(seed=109, alphabet=LATIN)  # the document aligned first, before the shorter came first)
def test_alignment_does_not_depend_on_which_document_comes_first(seed: int, alphabet: str) -> None:
    """align(a, b) is align(b, a) turned round, in a batch too: input order does not choose passages."""
    rng = random.Random(seed)
    wire = [_words(rng, alphabet, rng.randint(25, 60)) for _ in range(3)]
    texts = []
    for _ in range(2):
        parts = [_words(rng, alphabet, rng.randint(5, 30))]
        for piece in wire:
            parts += [_edited(rng, piece, alphabet), _words(rng, alphabet, rng.randint(0, 25))]
        texts.append(" ".join(w for part in parts for w in part))
    documents = _prepared(texts)
    found = align_batch([handle(d) for d in documents], [0, 1], [1, 0], PARAMS)
    one, other = align(documents[0], documents[1], PARAMS), align(documents[1], documents[0], PARAMS)
    turned = sorted((x.b_start, x.b_end, x.a_start, x.a_end, x.seeds) for x in other)
    assert one and sorted((x.a_start, x.a_end, x.b_start, x.b_end, x.seeds) for x in one) == turned
    assert found == [one, other]
