"""Wire copy traced the way a media researcher does: outlets with their own template running a
Reuters story whole, reordered, cut, or scraped twice. Written by the news probe of 6 December
2026; what it found and is not mended is marked xfail (docs/quality.md, "What the method cannot
find").
"""

from __future__ import annotations

import json
import random
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Document, scan
from dedup.cli import main
from dedup.edges import (
    _apart_at_templates,
    _covered_letters,
    _edge_words,
    _first_words_alike,
    _lone_cut,
    _may_hold_lone_words,
    _off_a_partial_word,
    _off_boilerplate,
    _off_lone_words,
)
from dedup.normalize import normalize
from dedup.seeds import Prepared, prepare
from dedup.shingle import shingle

WIRE = [
    "BAGHDAD (Reuters) - Flash floods swept through villages in Iraq's northern Dohuk province on Tuesday, "
    "killing at least 14 people and forcing hundreds of families from their homes, the provincial health "
    "directorate said.",
    "Torrential rain that began late on Monday turned dry riverbeds into torrents within hours, carrying away "
    "cars, livestock and several mud-brick houses near the town of Zakho, local officials told Reuters. Rescue "
    "teams were still searching for at least nine people reported missing by relatives.",
    '"The water came down the valley like a wall, we had less than ten minutes to get the children out," said '
    "Hassan Mirza, a 52-year-old farmer from the village of Batifa, who lost his orchard and two cows.",
    "Kurdistan Regional Government spokesman Peshawa Hawramani said the government had declared a state of "
    "emergency in three districts and sent helicopters to evacuate residents stranded on rooftops. He said about "
    "1,200 families had been moved to schools and mosques converted into temporary shelters.",
    "Iraq's federal Ministry of Migration said it was dispatching 40 trucks of tents, blankets and food to the "
    "province, and the United Nations refugee agency said it was ready to help the authorities with emergency "
    "supplies.",
    "Scientists say Iraq is among the countries most exposed to climate change, with years of drought followed "
    "by short bursts of extreme rainfall that the parched ground cannot absorb. Similar floods killed 21 people "
    "in the neighbouring province of Erbil in December 2021.",
    "The Iraqi Meteorological Organization forecast more heavy rain across the north through Thursday and urged "
    "residents of low-lying areas near the Khabur river to move to higher ground.",
]


def paragraphs(*texts: str) -> str:
    return "\n\n".join(texts)


def footer(handle: str) -> str:
    return f"\n\nFollow us on Twitter @{handle} and Facebook for the latest news and analysis."


def own_story(seed: int, words: int = 200) -> str:
    """An unrelated story of an outlet's own: words of a vocabulary nothing else uses."""
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(300)
    ]
    return " ".join(" ".join(rng.choice(vocabulary) for _ in range(12)).capitalize() + "." for _ in range(words // 12))


def scan_jsonl(tmp_path: Path, docs: list[dict[str, str]]) -> list[dict[str, Any]]:
    corpus = tmp_path / "news.jsonl"
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    out = tmp_path / "found.jsonl"
    assert main(["scan", str(corpus), "--format", "jsonl", "-o", str(out), "-q"]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    summary = records[-1]
    assert summary["type"] == "summary" and summary["documents_read"] == len(docs)
    return [r for r in records if r["type"] == "passage"]


def outlets(stories: dict[str, str], others: int = 4) -> list[dict[str, str]]:
    """Each outlet's story and `others` unrelated stories of its own, all under its footer template."""
    docs = []
    for i, (outlet, text) in enumerate(stories.items()):
        docs.append({"id": outlet, "source": outlet, "text": text + footer(outlet)})
        for j in range(others):
            docs.append({"id": f"{outlet}-{j}", "source": outlet, "text": own_story(100 * i + j) + footer(outlet)})
    return docs


def between(passages: list[dict[str, Any]], x: str, y: str) -> list[dict[str, Any]]:
    return [p for p in passages if {p["a"]["doc"], p["b"]["doc"]} == {x, y}]


def test_wire_copy_is_found_between_every_pair_of_carriers(tmp_path: Path) -> None:
    """What works: Reuters and two outlets running the story whole, each in its own template: one
    passage a pair, the story from its dateline to its last sentence."""
    story = paragraphs(*WIRE)
    passages = scan_jsonl(tmp_path, outlets({"reuters": story, "herald": story, "online": story}))
    for x, y in (("reuters", "herald"), ("reuters", "online"), ("herald", "online")):
        found = between(passages, x, y)
        assert len(found) == 1, found
        assert found[0]["a"]["text"].startswith("BAGHDAD (Reuters) - Flash floods")
        assert "move to higher ground" in found[0]["a"]["text"]


def test_an_outlets_footer_template_stays_out_of_the_passage_above_it(tmp_path: Path) -> None:
    """Each outlet prints "Follow us on Twitter @HANDLE and Facebook ..." under every story (five of
    five: its template, which a passage leaves out); two outlets run the Reuters story whole. The
    passage is the story, not the story and the footer."""
    story = paragraphs(*WIRE)
    passages = scan_jsonl(tmp_path, outlets({"herald": story, "online": story}))
    found = between(passages, "herald", "online")
    assert found
    assert all("Follow us" not in p[side]["text"] for p in found for side in ("a", "b")), found


LINKED = (
    "Oil prices edge up on supply worries",
    "Kuwait names new oil minister",
    "Turkey shells Kurdish positions in north Iraq",
    "UN envoy meets Iraqi premier on elections",
    "Basra port reopens after sandstorm",
    "Iraq central bank holds rates",
)


@pytest.mark.parametrize("links", [1, 2, 3, 4, 6])
def test_links_to_the_same_headlines_under_the_sign_off_stay_out_of_the_passage(tmp_path: Path, links: int) -> None:
    """Under each outlet's sign-off, "Related:" lines link to other stories, and two outlets carrying
    the same wire link to the same headlines: the story's passage is the story, not the story, the
    sign-off and the links, however many links there are. Links too few to be a passage of their own
    are in none; more, shared text too, are their own passage, apart from the story."""
    story = paragraphs(*WIRE)
    docs = outlets({"herald": story, "online": story})
    for k, doc in enumerate(docs):  # each page its own links; the two copies of the wire story, the same ones
        headlines = LINKED[:links]
        if doc["id"] not in ("herald", "online"):
            headlines = tuple(own_story(500 + 100 * n + k, 12)[:40] for n in range(links))
        doc["text"] += "".join(f"\nRelated: {headline} - {doc['source']}" for headline in headlines)
    found = between(scan_jsonl(tmp_path, docs), "herald", "online")
    stories = [p for p in found if "Flash floods" in p["a"]["text"]]
    assert len(stories) == 1, found
    for side in ("a", "b"):
        assert stories[0][side]["text"].startswith("BAGHDAD (Reuters)")
        assert stories[0][side]["text"].endswith("move to higher ground"), stories[0][side]["text"][-120:]
    for p in found:
        for side in ("a", "b"):
            assert "Follow us" not in p[side]["text"], p[side]["text"]
            if p is not stories[0]:
                assert p[side]["text"].startswith("Related: ") and "floods" not in p[side]["text"]
    assert len(found) <= 2 and (links > 1 or len(found) == 1), found


SHORT_LAST = (
    "The Iraqi Meteorological Organization forecast more heavy rain across the north through Thursday "
    "and urged residents to stay away."
)


@pytest.mark.parametrize("after", [4, 6])
def test_a_promotional_line_two_outlets_print_inside_the_story_parts_the_passage(tmp_path: Path, after: int) -> None:
    """Two sites of one group print the group's promotional line after a paragraph of every story
    they run: inside the wire copy, their template, not the copy. The passage is the copy above it
    and the copy below it, two passages, neither holding the line: below it, four paragraphs, or
    a last sentence too short to be a passage alone (130 characters) but beside the copy above."""
    promo = "Follow us on Twitter @{} and Facebook for the latest news and analysis."
    wire = [*WIRE[:6], SHORT_LAST] if after == 6 else WIRE
    docs = []
    for i, outlet in enumerate(("herald", "online")):
        text = paragraphs(*wire[:after], promo.format(outlet), *wire[after:])
        docs.append({"id": outlet, "source": outlet, "text": text})
        for j in range(4):
            parts = own_story(100 * i + j).split(". ")
            half = len(parts) // 2
            text = paragraphs(". ".join(parts[:half]) + ".", promo.format(outlet), ". ".join(parts[half:]))
            docs.append({"id": f"{outlet}-{j}", "source": outlet, "text": text})
    found = between(scan_jsonl(tmp_path, docs), "herald", "online")
    assert len(found) == 2, found
    above, below = sorted(found, key=lambda p: p["a"]["start"])
    for side in ("a", "b"):
        assert above[side]["text"].startswith("BAGHDAD (Reuters)")
        assert above[side]["text"].rstrip(".").endswith(wire[after - 1].rstrip("."))
        assert below[side]["text"].startswith(wire[after][:30])
        assert below[side]["text"].rstrip(".").endswith(wire[-1].rstrip("."))


def test_template_lines_at_two_places_of_the_copy_pair_no_piece_with_another(tmp_path: Path) -> None:
    """Two sites of one group: one prints the group's line under the story, the other inside it
    after the third paragraph, and both the same "Related:" links below. The two lines are not at
    one place of the copy: no passage pairs the one's links with the other's story, or the one's
    whole story with the other's first paragraphs."""
    promo = "Follow us on Twitter @{} and Facebook for the latest news and analysis."
    links = "".join(f"\nRelated: {headline}" for headline in LINKED)
    texts = {
        "herald": paragraphs(*WIRE, promo.format("herald")) + links,
        "online": paragraphs(*WIRE[:3], promo.format("online"), *WIRE[3:]) + links,
    }
    docs = []
    for i, (outlet, text) in enumerate(texts.items()):
        docs.append({"id": outlet, "source": outlet, "text": text})
        for j in range(4):
            docs.append(
                {
                    "id": f"{outlet}-{j}",
                    "source": outlet,
                    "text": own_story(100 * i + j) + "\n\n" + promo.format(outlet),
                }
            )
    found = between(scan_jsonl(tmp_path, docs), "herald", "online")
    assert found
    for p in found:
        for marker in ("Related", "Flash floods", "move to higher ground"):
            assert (marker in p["a"]["text"]) == (marker in p["b"]["text"]), (marker, p)


def test_a_quote_the_copy_dropped_is_in_no_passage_when_the_copy_also_moved_a_paragraph(tmp_path: Path) -> None:
    """Metro runs the story with its quote cut and the spokesman's paragraph moved up under the lead:
    the quote is not shared text. (With the quote cut and nothing moved the scan parts the passage
    at it, as it should.)"""
    wire = paragraphs(*WIRE)
    metro = paragraphs(WIRE[0], WIRE[3], WIRE[1], WIRE[4], WIRE[5], WIRE[6])
    passages = scan_jsonl(
        tmp_path,
        [{"id": "reuters", "source": "Reuters", "text": wire}, {"id": "metro", "source": "Metro", "text": metro}],
    )
    assert all("Hassan Mirza" not in p["a"]["text"] for p in passages), [
        (p["a"]["start"], p["a"]["end"]) for p in passages
    ]
    # Every paragraph Metro ran is in a passage (the last words' full stop aside).
    for paragraph in (WIRE[0], WIRE[1], WIRE[3], WIRE[4], WIRE[5], WIRE[6]):
        assert any(paragraph.rstrip(".") in p["a"]["text"] for p in passages), paragraph[:40]


def test_a_page_scraped_twice_is_reported_once_when_a_footer_follows_it(tmp_path: Path) -> None:
    """An aggregator's page holds the story twice (the scrape caught it twice) and then its footer;
    the outlet prints the story and the same footer with its own handle. A page printed again is
    reported once, at its first printing (docs/quality.md, A page printed again). The footers,
    one template under two handles, match as they do when the page holds the story once (there
    within the story's passage; here a passage of their own, as the two outlets have no other
    stories to tell their template from copy)."""
    story = paragraphs(*WIRE)
    scraped = story + "\n\nShare this article\n\n" + story + footer("NewsNowAgg")
    herald = story + footer("DailyHerald")
    passages = scan_jsonl(
        tmp_path,
        [{"id": "herald", "source": "Herald", "text": herald}, {"id": "scrape", "source": "NewsNow", "text": scraped}],
    )
    spans = [(p["a"]["start"], p["a"]["end"], p["b"]["start"], p["b"]["end"]) for p in passages]
    over_story = [x for x in spans if x[0] < len(story) - 2]
    assert len(over_story) == 1 and over_story[0][2] < len(story) < over_story[0][3] + 2, spans
    assert all(herald[x[0] : x[1]].strip().startswith("Follow us") for x in spans if x not in over_story), spans


def test_an_outlets_header_line_stays_out_of_the_passage_below_it(tmp_path: Path) -> None:
    """Each outlet heads every story with its name and "Updated H:MM GMT" (five of five: its
    template); two outlets run the Reuters story whole. The passage starts at the dateline."""
    docs = []
    for i, outlet in enumerate(("herald", "online")):
        for j in range(5):
            body = paragraphs(*WIRE) if j == 0 else own_story(100 * i + j)
            header = f"{outlet.title()} | World | Middle East\nUpdated {i + 1}:{j}5 GMT\n\n"
            docs.append({"id": f"{outlet}{j}", "source": outlet, "text": header + body})
    found = between(scan_jsonl(tmp_path, docs), "herald0", "online0")
    assert found
    assert all(p[side]["text"].startswith("BAGHDAD (Reuters)") for p in found for side in ("a", "b")), found


def test_a_copy_cut_where_its_sign_off_and_the_next_wire_paragraph_start_alike_ends_alike_on_both_sides(
    tmp_path: Path,
) -> None:
    """The outlet runs the wire story up to its last paragraph, which starts "The Iraqi ...", and
    signs off under every story with "The Online app is available ..." (its template): a seed runs
    over the paragraph break on both sides ("ground. The" / "2021. The"), and the outlet's side,
    its sign-off left out, ended at the copy's last words while Reuters' side went on to "The"
    (until 6 December 2026, found by the news probe)."""
    sign_off = "\n\nThe Online app is available on iOS and Android. Follow us on Instagram and Twitter."
    docs = [{"id": "reuters", "source": "Reuters", "text": paragraphs(*WIRE)}]
    docs += [{"id": f"reuters{j}", "source": "Reuters", "text": own_story(j)} for j in range(4)]
    docs.append({"id": "online", "source": "online", "text": paragraphs(*WIRE[:6]) + sign_off})
    docs += [{"id": f"online{j}", "source": "online", "text": own_story(50 + j) + sign_off} for j in range(4)]
    [found] = between(scan_jsonl(tmp_path, docs), "reuters", "online")
    for side in ("a", "b"):
        assert found[side]["text"].startswith("BAGHDAD (Reuters)")
        assert found[side]["text"].rstrip(".").endswith("in December 2021"), found[side]["text"][-40:]


def test_an_unrelated_paragraph_between_a_long_and_a_short_wire_paragraph_is_in_no_passage(tmp_path: Path) -> None:
    """The outlet runs the lead, a paragraph of other news, then the wire's one-sentence paragraph
    on the missing. The other news is not shared text; the lead and the short paragraph (verbatim,
    next to the lead) are: the short paragraph is a piece of its own beside the lead's passage."""
    other = (
        "In other news, the national football federation postponed league matches for two weeks because the "
        "national team will hold a training camp in Qatar ahead of the World Cup qualifiers."
    )
    rescue = "Rescue teams were still searching for at least nine people reported missing by relatives."
    wire = paragraphs(WIRE[0], rescue)
    outlet = paragraphs(WIRE[0], other, rescue)
    passages = scan_jsonl(
        tmp_path,
        [{"id": "wire", "source": "Reuters", "text": wire}, {"id": "outlet", "source": "Daily", "text": outlet}],
    )
    assert all("football" not in p["b"]["text"] for p in passages), [(p["b"]["start"], p["b"]["end"]) for p in passages]
    sides = sorted(p["b"]["text"] for p in passages)
    assert len(sides) == 2 and sides[0].startswith("BAGHDAD (Reuters)"), sides  # the lead,
    assert sides[1].startswith("Rescue teams") and "reported missing by relatives" in sides[1], (
        sides
    )  # and the paragraph


def _prepared(raw: str, boilerplate: str) -> tuple[Prepared, str]:
    """``raw`` prepared with the character seeds lying inside each occurrence of ``boilerplate`` left out."""
    n = normalize(raw)
    plain = prepare(n, shingle(n.text, 5))
    target = normalize(boilerplate).text.strip()
    inside = np.zeros(len(plain.seed_index), dtype=np.bool_)
    at = n.text.find(target)
    while at >= 0:
        seed_starts = plain.starts[plain.seed_index]
        inside |= (seed_starts >= at) & (seed_starts + 10 <= at + len(target))
        at = n.text.find(target, at + 1)
    doc = prepare(n, shingle(n.text, 5), common=np.sort(plain.seed_keys[inside]), text=raw)
    return doc, n.text


def test_a_sign_off_at_the_end_of_a_page_is_cut_off_a_passage_reaching_into_it() -> None:
    """The passage's last sentence is the outlet's sign-off, and nothing but it follows: cut."""
    story = paragraphs(*WIRE[:2])
    sign_off = "Follow us on Twitter and Facebook for the latest news and analysis."
    doc, text = _prepared(story + "\n\n" + sign_off, sign_off)
    start, end = _off_boilerplate((0, len(text)), doc, 10, 100)
    assert text[start:end].endswith("reported missing by relatives")


def test_a_sources_frequent_phrase_inside_its_text_stays_in_the_passage() -> None:
    """The same sentence, its words the source's boilerplate (a phrase it prints often), but with the
    story going on below it: no template, and the passage keeps it."""
    phrase = "Follow us on Twitter and Facebook for the latest news and analysis."
    story = paragraphs(WIRE[0], phrase, *WIRE[1:3])
    doc, text = _prepared(story, phrase)
    end = text.index("rescue teams")  # the passage ends on the phrase, the story goes on
    assert _off_boilerplate((0, end), doc, 10, 100) == (0, end)
    start = text.index("follow us")  # and one starting on it, with the lead above
    assert _off_boilerplate((start, len(text)), doc, 10, 100) == (start, len(text))


def test_a_header_line_at_the_top_of_a_page_is_cut_off_a_passage_starting_in_it() -> None:
    header = "Herald | World | Middle East"
    doc, text = _prepared(header + "\n\n" + paragraphs(*WIRE[:2]), header)
    start, end = _off_boilerplate((0, len(text)), doc, 10, 100)
    assert text[start:].startswith("baghdad reuters") and end == len(text)


def _write_folders(root: Path, docs: list[dict[str, str]], level: int) -> None:
    """Each document a text file in its outlet's folder (under a date folder when ``level`` is 2)."""
    for doc in docs:
        folder = root / ("2026-12-01" if level == 2 else "") / doc["source"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{doc['id']}.txt").write_text(doc["text"], encoding="utf-8")


@pytest.mark.parametrize("level", [1, 2])
def test_a_folder_of_outlets_folders_has_their_templates_as_boilerplate_with_source_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], level: int
) -> None:
    """The same two outlets as files, one folder an outlet: each file its own source, the sign-off
    they both print is shared text and in the passage; with --source-level each folder is an
    outlet, and the sign-off its boilerplate."""
    story = paragraphs(*WIRE)
    _write_folders(tmp_path / "crawl", outlets({"herald": story, "online": story}), level)
    for options, signed in (([], True), (["--source-level", str(level)], False)):
        out = tmp_path / "found.jsonl"
        assert main(["scan", str(tmp_path / "crawl"), "--format", "jsonl", "-o", str(out), "-q", *options]) == 0
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        ids = {"herald": f"{'2026-12-01/' if level == 2 else ''}herald/herald.txt"}
        ids["online"] = ids["herald"].replace("herald", "online")
        found = [r for r in records if r["type"] == "passage" and {r["a"]["doc"], r["b"]["doc"]} == set(ids.values())]
        assert found, records[-1]
        assert any("Follow us" in p["a"]["text"] for p in found) == signed, [p["a"]["text"][-90:] for p in found]
        pairs = [r for r in records if r["type"] == "pair"]
        assert {(r["source_a"], r["source_b"]) for r in pairs} == (
            {(None, None)} if not options else {("herald", "online")}
        ), pairs


def test_source_level_without_a_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.txt"
    path.write_text("text", encoding="utf-8")
    assert main(["scan", str(path), "--source-level", "1"]) == 2
    assert "--source-level names the sources of text files below a folder INPUT" in capsys.readouterr().err


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="ab ", min_size=1, max_size=60),
    left=st.lists(st.booleans(), min_size=60, max_size=60),
    bounds=st.tuples(st.integers(0, 60), st.integers(0, 60)),
)
def test_boilerplate_letters_count_the_letters_of_left_out_ngrams(
    text: str, left: list[bool], bounds: tuple[int, int]
) -> None:
    """The compiled count equals the plain one: letters of [start, end) inside an n-gram left out."""
    n = len(text)
    starts = np.arange(max(0, n - 2), dtype=np.int32)  # 3-grams at every position
    ends = starts + 3
    ranks = np.arange(len(starts), dtype=np.int32)
    scored = ~np.array(left[: len(starts)], dtype=np.bool_)
    spaces = np.array([i for i, c in enumerate(text) if c == " "], dtype=np.int32)
    start, end = sorted((min(bounds[0], n), min(bounds[1], n)))
    inside = [any(not scored[i] and starts[i] <= p < ends[i] for i in range(len(starts))) for p in range(n)]
    letters = [p for p in range(start, end) if text[p] != " "]
    want = (sum(inside[p] for p in letters), len(letters))
    assert _covered_letters((starts, ends, ranks, scored, spaces), start, end) == want


@settings(max_examples=40, deadline=None)
@given(
    place_a=st.integers(0, len(WIRE)),
    place_b=st.integers(0, len(WIRE)),
    links_a=st.integers(0, 6),
    links_b=st.integers(0, 6),
)
def test_pieces_parted_at_template_lines_lie_in_order_inside_the_passage_and_off_the_lines(
    place_a: int, place_b: int, links_a: int, links_b: int
) -> None:
    """Whatever the places of two outlets' template lines in the wire copy and the links under it,
    the pieces a passage is parted into lie inside its two spans, in order on both sides, none
    holding a template line; at one place on both sides, the copy is parted there."""
    promo = "Follow us on Twitter and Facebook for the latest news and analysis."

    def page(place: int, links: int) -> tuple[Prepared, str]:
        raw = paragraphs(*WIRE[:place], promo, *WIRE[place:]) + "".join(f"\nRelated: {h}" for h in LINKED[:links])
        return _prepared(raw, promo)

    (doc_a, text_a), (doc_b, text_b) = page(place_a, links_a), page(place_b, links_b)
    spans = [(0, len(text_a)), (0, len(text_b))]
    pieces = _apart_at_templates(spans, (doc_a, doc_b), 10, 150, 40)
    lines = [text.index(normalize(promo).text.strip()) for text in (text_a, text_b)]
    for side in (0, 1):
        bounds = [piece[side] for piece in pieces]
        assert all(spans[side][0] <= s < e <= spans[side][1] for s, e in bounds), bounds
        assert all(e <= s for (_, e), (s, _) in pairwise(bounds)), bounds
    if len(pieces) > 1:
        assert all(not (s <= lines[side] < e) for piece in pieces for side, (s, e) in enumerate(piece)), pieces
    if place_a == place_b and 0 < place_a < len(WIRE) and not links_a and not links_b:
        assert len(pieces) == 2, pieces


# The wire story without its dateline, and an Arabic and an Urdu story, for outlets that keep the
# dateline's city and drop the agency's credit.
STORY = paragraphs(WIRE[0].split(" - ", 1)[1], *WIRE[1:3])
ARABIC = (
    "قال الجيش العراقي يوم الخميس إن قواته قتلت ما لا يقل عن أربعة عشر مسلحا في غارة ليلية على مخبأ في "
    "جبال محافظة الأنبار قرب الحدود مع سوريا. وأضاف بيان عسكري أن قوات الأمن تحركت بناء على معلومات "
    "استخباراتية وضبطت أسلحة ومتفجرات في المجمع. وأصيب جنديان في تبادل لإطلاق النار وقال البيان إن عملية "
    "تفتيش ما زالت مستمرة في المنطقة."
)
URDU = (  # (its full stops are Urdu's, no hyphens)
    "پاک فوج نے جمعرات کو بتایا ہے کہ بلوچستان کے پہاڑی علاقے میں ایک خفیہ ٹھکانے پر رات گئے کارروائی میں کم از کم "
    "چودہ شدت پسند مارے گئے۔ فوجی بیان کے مطابق سیکیورٹی فورسز نے خفیہ اطلاعات پر کارروائی کی اور کمپاؤنڈ سے اسلحہ اور "  # noqa: RUF001
    "دھماکہ خیز مواد برآمد کیا۔ فائرنگ کے تبادلے میں دو فوجی زخمی ہوئے جبکہ علاقے میں سرچ آپریشن جاری ہے۔"  # noqa: RUF001
)
# (the agency's text, the outlet's, what only the agency's holds at the passage's edge)
CREDITS = {
    "english dateline": (f"BAGHDAD, Jun 18 (Reuters) - {STORY}", f"BAGHDAD: {STORY}", "Jun 18"),
    "arabic dateline": (f"بغداد (رويترز) - {ARABIC}", f"بغداد - {ARABIC}", "رويترز"),
    "urdu dateline": (f"کوئٹہ (اے پی پی) {URDU}", f"کوئٹہ {URDU}", "اے پی پی"),
    "arabic sign-off": (f"{ARABIC} (تحرير سها جادو) رويترز", f"{ARABIC} رويترز", "تحرير"),
}


@pytest.mark.parametrize("case", sorted(CREDITS))
def test_a_city_kept_beyond_the_agencys_credit_is_left_out_of_the_passage(case: str) -> None:
    """An outlet keeps the dateline's city and drops the agency's credit ("BAGHDAD: ..." against
    "BAGHDAD, Jun 18 (Reuters) - ..."), or prints the agency's name where the agency's copy has its
    sign-off and then its name: the city (the name) is all the passage gained at that edge, and it
    took in the credit (the sign-off) on the agency's side. The passage is the story on both sides."""
    agency, outlet, credit = CREDITS[case]
    texts = {"agency": agency, "outlet": outlet}
    [found] = scan([Document(k, v) for k, v in texts.items()]).passages
    sides = {found.a.doc: found.a.slice(texts[found.a.doc]), found.b.doc: found.b.slice(texts[found.b.doc])}
    assert credit not in sides["agency"], sides
    assert normalize(sides["agency"]).text == normalize(sides["outlet"]).text, sides


def test_a_city_parted_from_the_copy_by_an_edit_on_both_sides_stays_in_the_passage() -> None:
    """The datelines "Sylhet, December 19:" and "SYLHET, Dec 19 (Reuters) -" are an edit of each other
    (each side its own date), not text one side added, and the passage keeps the city."""
    texts = {"agency": f"SYLHET, Dec 19 (Reuters) - {STORY}", "outlet": f"Sylhet, December 19: {STORY}"}
    [found] = scan([Document(k, v) for k, v in texts.items()]).passages
    assert found.a.slice(texts[found.a.doc]).lower().startswith("sylhet")
    assert found.b.slice(texts[found.b.doc]).lower().startswith("sylhet")


def _whole(*raw: str) -> tuple[tuple[Any, Any], list[tuple[int, int]]]:
    normalized = (normalize(raw[0]), normalize(raw[1]))
    return normalized, [(0, len(normalized[0].text)), (0, len(normalized[1].text))]


def test_words_one_side_inserted_into_a_sentence_leave_the_word_before_them_in_the_passage() -> None:
    """A word inserted into a sentence ("search operations continued" against "search continued") is an
    edit of it, not a credit set off by punctuation, and "search" stays; set off ("search (operations) -
    continued"), it goes."""
    copy = "continued at the rubble where troops had been sent to help rescue teams"
    normalized, spans = _whole(f"Search operations {copy}", f"Search {copy}")
    assert _off_lone_words(spans, normalized, 100, 10) == spans
    normalized, spans = _whole(f"Search (operations) - {copy}", f"Search {copy}")
    (a0, a1), (b0, b1) = _off_lone_words(spans, normalized, 100, 10)
    assert normalized[0].text[a0:a1] == normalized[1].text[b0:b1] == copy


def test_a_headlines_words_the_lead_repeats_below_a_dateline_leave_the_other_side_as_it_is() -> None:
    """The agency's headline starts with the lead's first words and its dateline follows; the outlet ran
    the lead alone. The agency's side starts at the lead below the dateline, the outlet's where it did."""
    copy = "Australia and Pakistan cricket teams will meet in two Tests in the Gulf"
    normalized, spans = _whole(f"Australia and Pakistan to tour next week\n\nDUBAI (APP) - {copy}", copy)
    (a0, a1), (b0, b1) = _off_lone_words(spans, normalized, 100, 10)
    assert (b0, b1) == spans[1]
    assert normalized[0].text[a0:a1] == normalized[1].text[b0:b1]


_LOWER = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9)


@settings(max_examples=200, deadline=None)
@given(
    lone=st.lists(_LOWER.map(lambda w: "q" + w), min_size=1, max_size=3),
    credit=st.lists(_LOWER.map(lambda w: "x" + w), min_size=1, max_size=6),
    body=st.lists(_LOWER.map(lambda w: "b" + w), min_size=4, max_size=30),
    at_end=st.booleans(),
    set_off=st.booleans(),
)
def test_lone_words_beyond_a_credit_one_side_set_off_are_cut_and_nothing_else(
    lone: list[str], credit: list[str], body: list[str], at_end: bool, set_off: bool
) -> None:
    """Words of a city (q...), the agency's credit (x...) on one side only, and the copy (b...): at
    either edge, the spans lose the city exactly when the credit is set off by punctuation and longer
    than the city, and then are the copy on both sides; the spans only ever shrink."""
    city, added, copy = " ".join(lone), " ".join(credit), " ".join(body)
    credited = f"({added}) -" if set_off else added
    if at_end:
        raw = (f"{copy}. {credited} {city}", f"{copy}. {city}")
    else:
        raw = (f"{city} {credited} {copy}", f"{city} {copy}")
    normalized, spans = _whole(*raw)
    out = _off_lone_words(spans, normalized, 100, 10)
    assert all(s0 <= s1 < e1 <= e0 for (s0, e0), (s1, e1) in zip(spans, out, strict=True)), out
    cut = set_off and len(added) > len(city) and len(copy) >= 10 and len(added) <= 100
    if cut:
        assert [normalized[s].text[slice(*out[s])] for s in (0, 1)] == [copy, copy], out
    else:
        assert out == spans


@settings(max_examples=300, deadline=None)
@given(
    copy=st.lists(_LOWER.map(lambda w: "c" + w), min_size=2, max_size=8, unique=True),
    alike=st.text(alphabet="klmn", max_size=5),
    tails=st.tuples(_LOWER.map(lambda w: "x" + w), _LOWER.map(lambda w: "y" + w)),
    took=st.tuples(st.booleans(), st.booleans()),
    at_end=st.booleans(),
)
def test_words_past_the_copy_that_it_ended_inside_of_are_left_out_and_nothing_else(
    copy: list[str], alike: str, tails: tuple[str, str], took: tuple[bool, bool], at_end: bool
) -> None:
    """The copy (c...), then on each side a word beginning with the same letters (``z`` and
    ``alike``) and going on differently (x... / y...), taken into the passage on one side, both or
    neither, at either edge. The spans lose those words exactly when they are alike for less than
    half the longer, and then are the copy on both sides; else they stay as they were."""
    text = " ".join(copy)
    beyond = ["z" + alike + tail for tail in tails] if at_end else [tail[::-1] + alike + "z" for tail in tails]
    raw = [f"{text} {beyond[s]} pqr" if at_end else f"pqr {beyond[s]} {text}" for s in (0, 1)]
    spans = []
    for s, t in enumerate(raw):
        held = f"{text} {beyond[s]}" if at_end else f"{beyond[s]} {text}"
        if not took[s]:
            held = text
        start = t.index(held)
        spans.append((start, start + len(held)))
    out = _off_a_partial_word(spans, (raw[0], raw[1]), start=not at_end, end=at_end)
    if any(took) and 1 + len(alike) < max(map(len, beyond)) / 2:
        assert [raw[s][slice(*out[s])] for s in (0, 1)] == [text, text], out
    else:
        assert out == spans


_TOKENS = st.sampled_from(["a", "bb", "ccc", "dd d", "e  e", "ff,", "g\nh", "a."])


@settings(max_examples=300, deadline=None)
@given(
    shared=st.lists(_TOKENS, max_size=7),
    own=st.lists(st.lists(_TOKENS, max_size=6), min_size=2, max_size=2),
    trim=st.lists(st.integers(0, 3), min_size=2, max_size=2),
    reach=st.integers(1, 30),
    at_end=st.booleans(),
)
def test_the_bound_on_lone_words_at_an_edge_passes_every_edge_that_holds_them(
    shared: list[str], own: list[list[str]], trim: list[int], reach: int, at_end: bool
) -> None:
    """Both sides start (or end) with the same words, then each goes its own way: the cheap bound
    passes over an edge exactly when the full look finds no lone piece's words there (the first
    word differs, or more words are alike than a lone piece holds, or one side holds no more)."""
    sides = [own[s] + shared if at_end else shared + own[s] for s in (0, 1)]
    normalized = (normalize(" ".join(sides[0])), normalize(" ".join(sides[1])))
    plain = (normalized[0].text, normalized[1].text)
    spans = [(0, len(t) - trim[s]) if at_end else (trim[s], len(t)) for s, t in enumerate(plain)]
    spans = [(s, e) if s < e else (0, len(t)) for (s, e), t in zip(spans, plain, strict=True)]
    if not all(plain):
        return
    found = [_edge_words(plain[s], *spans[s], reach, at_end=at_end) for s in (0, 1)]
    k = 0
    while k < min(len(found[0]), len(found[1])) and found[0][k][0] == found[1][k][0]:
        k += 1
    lone = 0 < k <= 3 and k < min(len(found[0]), len(found[1]))
    assert _may_hold_lone_words(plain, spans, reach, at_end=at_end) == lone
    if not lone:
        assert _lone_cut(found, normalized, 1, reach, at_end=at_end) is None


def test_a_table_of_figures_copied_with_a_few_changed_is_left_as_found_without_matching_its_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Matching the words of ten digits each hundreds of times took 15 s for one passage under the
    length cap (a results table, a price list copied with a figure changed every fifty): such a
    passage holds no outlet's own paragraph, and is left as found without matching its words."""
    from dedup import _matching, assemble

    rng = random.Random(0)
    figures = [str(rng.randint(0, 9)) for _ in range(5_000)]
    a = " ".join(figures)
    b = " ".join("x" if k % 50 == 49 else f for k, f in enumerate(figures))
    x = assemble.Alignment(0, len(a), 0, len(b), 40)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the words of a table of figures were matched")

    monkeypatch.setattr(_matching, "_blocks_kernel", refused)
    assert assemble._apart_at_own_text(x, (a, b), 150, 60, 0.8, 400) == [x]


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.text(alphabet="ab\u0627\u0644", min_size=1, max_size=60), min_size=1, max_size=30),
    cut=st.lists(st.integers(0, 40), min_size=2, max_size=2),
    reach=st.integers(0, 80),
    at_end=st.booleans(),
    most=st.integers(1, 4),
)
def test_an_edges_first_words_are_those_of_the_whole_window(
    words: list[str], cut: list[int], reach: int, at_end: bool, most: int
) -> None:
    """The first ``most`` words from an edge, read from a stretch near the edge only, are the first
    ``most`` of every word in the edge's window: a word the stretch's start cuts is never one of them."""
    text = " ".join(words)
    start = min(cut[0], len(text))
    end = max(start, len(text) - cut[1])
    every = _edge_words(text, start, end, reach, at_end=at_end)
    assert _edge_words(text, start, end, reach, at_end=at_end, most=most) == every[:most]


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.lists(
            st.sampled_from(["copy", "copies", "x", "said", "a" * 70, "\u0642\u0627\u0644"]), min_size=0, max_size=6
        ),
        min_size=2,
        max_size=2,
    ),
    cut=st.lists(st.integers(0, 20), min_size=4, max_size=4),
    at_end=st.booleans(),
)
def test_an_edges_first_word_is_looked_at_as_edge_words_finds_it(
    words: list[list[str]], cut: list[int], at_end: bool
) -> None:
    """The cheap look at an edge's first word on both sides agrees with :func:`_edge_words`: alike,
    or missing on a side, exactly when the first words it finds are."""
    texts = (" ".join(words[0]), " ".join(words[1]))
    spans = [(min(cut[2 * s], len(texts[s])), max(min(cut[2 * s], len(texts[s])), len(texts[s]) - cut[2 * s + 1]))
             for s in (0, 1)]  # fmt: skip
    found = [_edge_words(texts[s], *spans[s], 60, at_end=at_end, most=1) for s in (0, 1)]
    alike = not found[0] or not found[1] or found[0][0][0] == found[1][0][0]
    assert _first_words_alike(texts, spans, at_end=at_end) == alike
