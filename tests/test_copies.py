"""Copies: a document's exact reprints of its own text (dedup.copies), and how seeds count them."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.copies import MAX_COPIES, MAX_PRINTINGS, _copies, _echoes, _reprints
from dedup.normalize import normalize
from dedup.seeds import AlignParams, document_keys, prepare
from dedup.shingle import hash_many, shingle

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _text(rng: random.Random, words: int) -> str:
    return " ".join("".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 9))) for _ in range(words))


def _check_rows(hashes: np.ndarray, rows: np.ndarray, min_run: int) -> None:
    """What every answer of _copies must satisfy, whatever the text."""
    assert len(rows) <= MAX_COPIES
    for s, e, d in rows.tolist():
        assert e - s >= min_run and 0 < e - s <= d <= s  # a run of min_run, after its whole source
        assert (hashes[s:e] == hashes[s - d : e - d]).all()  # equal to its source, n-gram for n-gram
    starts = rows[:, 0].tolist()
    assert starts == sorted(starts)
    assert all(e0 <= s1 for (_, e0, _), (s1, _, _) in zip(rows.tolist(), rows.tolist()[1:], strict=False))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), printings=st.integers(1, 4), between=st.integers(0, 30))
def test_each_later_printing_of_a_text_is_a_copy_of_the_first(seed: int, printings: int, between: int) -> None:
    rng = random.Random(seed)
    text = _text(rng, 60)
    parts = [_text(rng, 20)]
    for _ in range(printings):
        parts += [text, _text(rng, between)] if between else [text]
    page = " ".join(p for p in parts if p)
    hashes = shingle(page, 5).hashes
    rows = _copies(hashes, 0, len(hashes), 150)
    _check_rows(hashes, rows, 150)
    assert len(rows) == printings - 1
    # Each copy starts where its printing starts (its source, the first printing, k deltas back).
    first = len(shingle(page[: page.index(text)], 5).hashes) + 4 if page.index(text) else 0
    for s, e, d in rows.tolist():
        assert s - d <= first + 4 and e - d >= first + len(shingle(text, 5).hashes) - 8


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    times=st.integers(1, 5),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 300)), max_size=4),
    min_run=st.integers(1, 60),
    values=st.sampled_from([300, 10**6]),  # few values (chance runs everywhere) or many
)  # fmt: skip
def test_copies_are_runs_equal_to_their_source_whatever_the_text(
    data: st.DataObject, times: int, edits: list[tuple[int, int]], min_run: int, values: int
) -> None:
    block = data.draw(st.lists(st.integers(0, values), min_size=1, max_size=80))
    before = data.draw(st.lists(st.integers(0, values), max_size=40))
    between = data.draw(st.lists(st.integers(0, values), max_size=10))
    # A block printed again and again, with text between and a few n-grams changed; every hash a
    # multiple of 16, so that every n-gram is an anchor.
    text = before + [v for _ in range(times) for v in block + between]
    for at, v in edits:
        if text:
            text[at % len(text)] = v
    hashes = np.array(text, dtype=np.uint32) * np.uint32(16)
    rows = _copies(hashes, 0, len(hashes), min_run)
    _check_rows(hashes, rows, min_run)
    # Where every value is distinct but for the printings, these are all that repeats: each later
    # printing is one copy (more than MAX_COPIES short chance runs give none at all).
    distinct = len(set(before + block + between)) == len(before) + len(block) + len(between)
    if not edits and distinct and len(block) + len(between) >= min_run:
        assert len(rows) == times - 1, rows


def test_text_without_a_long_repeat_has_no_copy() -> None:
    rng = random.Random(7)
    line = _text(rng, 8)  # a short line printed over and over is a phrase, not a printing
    page = _text(rng, 200) + " " + " ".join([line] * 30) + " " + _text(rng, 200)
    hashes = shingle(page, 5).hashes
    assert len(_copies(hashes, 0, len(hashes), 150)) == 0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), printings=st.integers(1, 4), max_repeat=st.integers(1, 3))
def test_a_copied_key_counts_once_and_the_counts_agree(seed: int, printings: int, max_repeat: int) -> None:
    """A text printed k times keeps the seeds it has when printed once (each occurrence of them),
    and document_keys (the corpus counts) offers the same keys as prepare (the alignment)."""
    rng = random.Random(seed)
    text = " ".join([_text(rng, 25), *[_text(rng, 2)] * 2, _text(rng, 25)])  # a phrase printed twice in it
    params = AlignParams(max_repeat=max_repeat)
    once, many = normalize(text), normalize(" ".join([text] * printings))
    p1, pk = (prepare(n, shingle(n.text, 5), params) for n in (once, many))
    # Every seed and word of the text printed once, in every printing (and the seeds over the seams
    # between two printings, which the text printed once does not have).
    seeds_1, seeds_k = Counter(p1.seed_keys.tolist()), Counter(pk.seed_keys.tolist())
    assert all(seeds_k[k] == printings * n for k, n in seeds_1.items())
    words_1, words_k = Counter(p1.word_keys.tolist()), Counter(pk.word_keys.tolist())
    assert words_k == Counter({k: printings * n for k, n in words_1.items()})
    assert len(pk.copies) == printings - 1
    texts = [once.text, many.text]
    keys, offsets = document_keys(texts, *hash_many(texts, 5), params)
    for t, p in enumerate((p1, pk)):
        assert set(keys[offsets[t] : offsets[t + 1]].tolist()) == set(p.seed_keys.tolist() + p.word_keys.tolist())


def test_a_paragraph_printed_again_in_a_longer_text_is_no_reprint() -> None:
    """Only a page that is mostly its text again (a third or more) is aligned a printing at a time;
    a paragraph printed twice in a long story is left to the repeated seeds."""
    rng = random.Random(3)
    paragraph = _text(rng, 40)
    page = " ".join([_text(rng, 150), paragraph, _text(rng, 150), paragraph, _text(rng, 150)])
    hashes = shingle(page, 5).hashes
    assert len(_copies(hashes, 0, len(hashes), 150)) == 1
    assert len(_reprints(hashes, 0, len(hashes), 150)) == 0
    scraped = " ".join([_text(rng, 5), paragraph, _text(rng, 5), paragraph])
    hashes = shingle(scraped, 5).hashes
    assert len(_reprints(hashes, 0, len(hashes), 150)) == 1


@settings(max_examples=200, deadline=None)
@given(hashes=st.lists(st.integers(0, 5), max_size=120), min_run=st.integers(1, 12))
def test_echoes_are_runs_printed_before_whatever_the_text(hashes: list[int], min_run: int) -> None:
    """Few distinct n-grams, so that chance repeats and periodic text are common."""
    h = np.array(hashes, dtype=np.uint32) * np.uint32(0x9E3779B1)
    reach = 0
    for s, e in _echoes(h, 0, len(h), min_run).tolist():
        assert e - s >= min_run and s >= reach  # runs of min_run, in order, apart
        reach = e
        # the same n-grams, the same distance before (at least min_run: no periodic line)
        assert any((h[s - d : e - d] == h[s:e]).all() for d in range(min_run, s + 1))


@settings(max_examples=100, deadline=None)
@given(
    printings=st.integers(2, MAX_PRINTINGS + 2),
    length=st.integers(6, 40),
    gaps=st.lists(st.integers(0, 20), min_size=MAX_PRINTINGS + 3, max_size=MAX_PRINTINGS + 3),
    min_run=st.integers(1, 6),
)
def test_each_printing_of_a_short_text_after_the_first_is_an_echo_up_to_max_printings(
    printings: int, length: int, gaps: list[int], min_run: int
) -> None:
    """A text (n-grams found nowhere else) printed k times between other text: printings 2 to k
    are echoes, each whole, up to MAX_PRINTINGS; later ones are a line printed over and over."""
    fresh = iter(range(1, 10**6))
    printed = [next(fresh) for _ in range(length)]
    values: list[int] = []
    at = []
    for k in range(printings):
        values += [next(fresh) for _ in range(gaps[k])]
        at.append(len(values))
        values += printed
    values += [next(fresh) for _ in range(gaps[-1])]
    h = np.array(values, dtype=np.uint32)
    covered = {i for s, e in _echoes(h, 0, len(h), min_run).tolist() for i in range(s, e)}
    assert covered == {i for s in at[1:MAX_PRINTINGS] for i in range(s, s + length)}


@settings(max_examples=100, deadline=None)
@given(
    printings=st.integers(2, MAX_PRINTINGS),
    length=st.integers(40, 90),
    gaps=st.lists(st.integers(0, 20), min_size=MAX_PRINTINGS + 1, max_size=MAX_PRINTINGS + 1),
    common=st.floats(0.0, 0.6),
    data=st.data(),
)
def test_an_echo_is_whole_however_common_a_few_of_its_ngrams_and_a_list_of_repeated_terms_is_none(
    printings: int, length: int, gaps: list[int], common: float, data: st.DataObject
) -> None:
    """A lead's common n-grams (" the ") are printed many times in any story: the lead printed
    again is still an echo, whole (before: its run broke at each of them, and the printings lost
    their seeds). A text made mostly of n-grams printed over and over (a list of search terms
    repeating its words) is no echo at all."""
    the, fresh = 7, iter(range(100, 10**6))
    places = data.draw(st.sets(st.integers(1, length - 1), max_size=int(common * length)))
    printed = [the if k in places else next(fresh) for k in range(length)]
    values = [v for _ in range(12) for v in (next(fresh), the)]  # the story's common n-gram, before
    at = []
    for k in range(printings):
        values += [v for _ in range(gaps[k]) for v in (next(fresh), the)]
        at.append(len(values))
        values += printed
    values += [next(fresh) for _ in range(gaps[-1])]
    h = np.array(values, dtype=np.uint32)
    covered = {i for s, e in _echoes(h, 0, len(h), 20).tolist() for i in range(s, e)}
    if len(places) <= 0.1 * length:
        whole = {i for s in at[1:] for i in range(s, s + length)}
        # (a run may begin with the common n-gram just before a printing, as it did before the first)
        assert whole <= covered and all(h[i] == the for i in covered - whole)
    elif len(places) > 0.1 * (length + max(gaps)):  # (a run may reach into a gap of new n-grams)
        assert not covered


def test_a_lead_printed_as_headline_summary_and_body_keeps_its_seeds() -> None:
    """A sentence printed three times in a long story (headline, summary, the lead of the body)
    keeps its seeds (before: more than max_repeat occurrences, left out); a phrase of it that the
    story also uses elsewhere still goes, and the counts of document_keys agree."""
    rng = random.Random(5)
    lead, phrase = _text(rng, 14), _text(rng, 2)
    body = " ".join([_text(rng, 200), phrase, _text(rng, 100), phrase, _text(rng, 100)])
    story = " ".join([lead, lead, lead, phrase, body])
    params = AlignParams()
    n = normalize(story)
    p = prepare(n, shingle(n.text, 5), params)
    lead_keys = set(prepare(normalize(lead), shingle(normalize(lead).text, 5), params).seed_keys.tolist())
    kept = Counter(p.seed_keys.tolist())
    assert lead_keys and all(kept[k] == 3 for k in lead_keys)
    phrase_words = set(prepare(normalize(phrase), shingle(normalize(phrase).text, 5), params).word_keys.tolist())
    assert phrase_words and not phrase_words & set(p.word_keys.tolist())  # in the lead's line and twice more
    keys, _ = document_keys([n.text], *hash_many([n.text], 5), params)
    assert set(keys.tolist()) == set(p.seed_keys.tolist() + p.word_keys.tolist())
