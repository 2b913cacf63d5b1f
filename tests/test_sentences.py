# ruff: noqa: RUF001
"""A passage takes the rest of a sentence that both outlets edited alike (dedup.scripts.sentence_ends, dedup.align).

A passage ends at its last seed. An outlet that rewords the last words of a wire sentence leaves
them out of the seeds, and the passage stopped short of the sentence that was copied; when the
rest of the sentence on both sides is an edit of each other (like lengths, half the words in
common), the passage now reaches the sentence's end (or start). An outlet's own words beside the
copy share no words with the other side's and stay out.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import scan
from dedup.assemble import Alignment
from dedup.edges import _to_sentence_ends
from dedup.normalize import normalize
from dedup.records import Document
from dedup.scripts import sentence_ends
from dedup.seeds import Prepared, prepare
from dedup.shingle import shingle

WIRE = (
    "The defence ministry said it had no plans to withdraw its 2,500 troops from the country, "
    "despite the announcement last week of talks on ending the international mission there. "
    "Officials from both governments will meet in the capital to set out the arrangements for the "
    "next stage of the withdrawal of the foreign troops, senior officials said."
)
LAST_WORDS = "of the withdrawal of the foreign troops, senior officials said."
OWN_A = "Local elections were held in the north of the province over the weekend. "
OWN_B = "Markets fell sharply in early trading as investors worried about rates. "


def _passages(a: str, b: str) -> list[tuple[str, str]]:
    result = scan([Document("a", a, source="one outlet"), Document("b", b, source="another")])
    return [(a[p.a.start : p.a.end], b[p.b.start : p.b.end]) for p in result.passages]


def test_sentence_ends_in_several_scripts() -> None:
    cases = {
        "He said: “It is 2.5 km.” Then he left!\n\nNext": ["he said it is 2 5 km", "then he left", "next"],
        "U.S. officials met. Talks went on": ["u s", "officials met", "talks went on"],
        "قال الوزير. ثم غادر؟ نعم": ["قال الوزير", "ثم غادر", "نعم"],
        "یہ خبر ہے۔دوسری خبر": ["يه خبر هے", "دوسري خبر"],
        "北京今天下雨。明天晴。": ["北京今天下雨", "明天晴"],
        "A line without a stop": ["a line without a stop"],
    }
    for raw, sentences in cases.items():
        n = normalize(raw)
        ends = sentence_ends(raw, n.offsets, n.text).tolist()
        starts = [0, *(e + 1 for e in ends[:-1])]
        assert [n.text[s:e] for s, e in zip(starts, ends, strict=True)] == sentences, raw
    assert sentence_ends("", np.zeros(1, np.int64), "").tolist() == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*'ab .!?۔。\n"”)2', "U.S.", "2.5", "ok. "]), max_size=40).map("".join))
def test_sentence_ends_fall_after_the_last_word_before_each_stop(raw: str) -> None:
    n = normalize(raw)
    ends = sentence_ends(raw, n.offsets, n.text).tolist()
    # A reference, one raw character at a time: a stop ends the sentence after the normalised
    # characters before it (less the space that stands for punctuation).
    expected = set()
    for r, c in enumerate(raw):
        after = raw[r + 1] if r + 1 < len(raw) else " "
        if c in "۔。\n" or (c in ".!?" and (after.isspace() or after in '"”)')):
            k = sum(1 for i in range(len(n.text)) if n.offsets[i] < r)
            k -= 1 if k and n.text[k - 1] == " " else 0
            if k:
                expected.add(k)
    if n.text:
        expected.add(len(n.text))
    assert ends == sorted(expected)
    assert all(n.text[e - 1] != " " and (e == len(n.text) or n.text[e] == " ") for e in ends)


def test_a_copy_whose_last_words_were_reworded_reaches_the_sentence_end() -> None:
    # The seeds stop at "withdrawal": the rest of the sentence is reworded, and its few shared
    # words alone would be a lone seed at the passage's end. The whole sentence was copied.
    edited = WIRE.replace(LAST_WORDS, "of the withdrawal, the senior officials told reporters.")
    [(in_a, in_b)] = _passages(OWN_A + WIRE + " Rain is expected.", OWN_B + edited + " The team won.")
    assert in_a == WIRE[:-1]
    assert in_b == edited[:-1]


def test_an_outlets_own_words_beside_the_copy_stay_out() -> None:
    # Each outlet opens the copied sentence with a clause of its own, and closes it with another:
    # no word in common, so neither is an edit of the other, and the passage is the copy alone.
    copy = WIRE[: WIRE.index(", senior officials said.")]
    a = OWN_A + "Despite the fighting in the east, " + copy[0].lower() + copy[1:] + ", its spokesman told us."
    b = OWN_B + "In a surprise move announced late, " + copy[0].lower() + copy[1:] + " as the winter began."
    [(in_a, in_b)] = _passages(a, b)
    assert in_a == in_b == copy[0].lower() + copy[1:]


_WORDS = ["the", "ministry", "said", "troops", "would", "leave", "talks", "on", "monday", "officials"]


@st.composite
def _documents_and_passages(draw: st.DrawFn) -> tuple[tuple[Prepared, Prepared], list[Alignment]]:
    def text() -> str:
        words = draw(st.lists(st.sampled_from(_WORDS), min_size=30, max_size=80))
        marks = st.sampled_from([" ", " ", " ", ". ", "? ", "\n"])
        stops = draw(st.lists(marks, min_size=len(words), max_size=len(words)))
        return "".join(w + s for w, s in zip(words, stops, strict=True)).strip()

    docs = []
    for raw in (text(), text()):
        n = normalize(raw)
        docs.append(prepare(n, shingle(n.text, 5), text=raw))
    # Passages that do not overlap on either side, in order on both (as a pair's passages are
    # after alignment; the order does not matter to the rule).
    lengths = [len(d.normalized.text) for d in docs]
    count = draw(st.integers(1, 3))
    bounds = [st.lists(st.integers(0, n), min_size=2 * count, max_size=2 * count, unique=True) for n in lengths]
    cuts = [sorted(draw(b)) for b in bounds]
    found = [Alignment(cuts[0][2 * k], cuts[0][2 * k + 1], cuts[1][2 * k], cuts[1][2 * k + 1], 3) for k in range(count)]
    return (docs[0], docs[1]), found


@settings(max_examples=300, deadline=None)
@given(_documents_and_passages(), st.integers(10, 120))
def test_an_end_moves_only_outwards_to_a_sentence_end_on_both_sides_and_into_no_other_passage(
    drawn: tuple[tuple[Prepared, Prepared], list[Alignment]], reach: int
) -> None:
    docs, found = drawn
    out = _to_sentence_ends(found, docs, reach, 0)  # (fragment 0: no edge trimming, the outward rule alone)
    assert len(out) == len(found)
    texts = [d.normalized.text for d in docs]
    ends = [set(d.sentences.tolist()) for d in docs]
    starts = [{0} | {e + 1 for e in side if e < len(t)} | side for side, t in zip(ends, texts, strict=True)]
    for x, y in zip(found, out, strict=True):
        sides = [((x.a_start, x.a_end), (y.a_start, y.a_end)), ((x.b_start, x.b_end), (y.b_start, y.b_end))]
        moved_end = [new[1] != old[1] for old, new in sides]
        moved_start = [new[0] != old[0] for old, new in sides]
        assert moved_end[0] == moved_end[1] and moved_start[0] == moved_start[1]
        for s, (old, new) in enumerate(sides):
            assert new[0] <= old[0] and old[1] <= new[1]
            assert new[1] - old[1] <= reach and old[0] - new[0] <= reach
            assert not moved_end[s] or new[1] in ends[s]
            assert not moved_start[s] or new[0] in starts[s]
    for side in ("a", "b"):
        spans = [(getattr(y, side + "_start"), getattr(y, side + "_end")) for y in out]
        for i in range(len(spans)):
            for j in range(i + 1, len(spans)):
                assert spans[i][1] <= spans[j][0] or spans[j][1] <= spans[i][0]
