"""Tests for dedup.html: the self-contained side-by-side report, in Python and in headless Chromium."""

from __future__ import annotations

import html
import itertools
import json
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dedup
from dedup import Document, Pair, Passage, ScanResult, Span
from dedup.cli import main
from dedup.errors import ParameterError
from dedup.html import render_html, segments, text_direction

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

INJECTION = (
    "<script>document.documentElement.setAttribute('data-pwned', 'script')</script>"
    "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned', 'img')\"> & \"quotes\" "
)
SHARED = (
    "The defence ministry said on Monday it had no plans to withdraw its 2,500 troops from the "
    "country, despite the announcement last week of talks on ending the mission. "
)


def result_with(docs: dict[str, Document], passages: list[Passage]) -> ScanResult:
    pairs = {(p.a.doc, p.b.doc) for p in passages}
    return ScanResult(
        passages,
        [Pair(a, b, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 10, 0.5) for a, b in sorted(pairs)],
        docs,
        [],
        len(pairs),
        0,
    )


def injected() -> ScanResult:
    """Two documents sharing a passage that itself contains markup, and markup outside it."""
    a_text = INJECTION + "Lead. " + SHARED + INJECTION
    b_text = "Other lead <b>not bold</b>. " + SHARED + INJECTION + "end"
    a0, b0 = a_text.index(SHARED), b_text.index(SHARED)
    docs = {"<a id>": Document("<a id>", a_text, "<src>"), "b": Document("b", b_text, "s2")}
    p = Passage(
        Span("<a id>", a0, a0 + len(SHARED) + len(INJECTION)),
        Span("b", b0, b0 + len(SHARED) + 30),
        1,
        1,
        1,
        9,
    )
    return result_with(docs, [p])


def text_panels(page: str) -> list[str]:
    """The raw text shown in each side panel: labels and marks removed, entities decoded."""
    bodies = re.findall(r'<div class="text" dir="(?:rtl|ltr)">(.*?)</div></article>', page, re.S)
    plain = []
    for body in bodies:
        body = re.sub(r'<a class="n"[^>]*>\d+</a>', "", body)
        body = re.sub(r"</?mark[^>]*>", "", body)
        body = re.sub(r'<div dir="(?:rtl|ltr)">|</div>', "", body)  # lines in the other direction
        plain.append(html.unescape(body))
    return plain


# --------------------------------------------------------------------------------------------------
# pure rendering


@given(
    st.integers(0, 60).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n), st.integers(0, n)).map(lambda t: (min(t), max(t))), max_size=6),
        )
    )
)
def test_segments_partition_the_text(case: tuple[int, list[tuple[int, int]]]) -> None:
    length, spans = case
    pieces = segments(length, spans)
    assert [p[0] for p in pieces[:1]] == ([0] if length else [])
    for (_, end, _), (start, _, _) in itertools.pairwise(pieces):
        assert end == start
    assert sum(e - s for s, e, _ in pieces) == length
    for start, end, covering in pieces:
        assert start < end
        assert covering == tuple(i for i, (s, e) in enumerate(spans) if s <= start and end <= e)
        # No span boundary falls strictly inside a piece.
        assert not any(start < x < end for span in spans for x in span)


def test_every_character_is_shown_once_and_escaped() -> None:
    result = injected()
    page = render_html(result)
    assert text_panels(page) == [result.documents["<a id>"].text, result.documents["b"].text]
    assert page.count("<script") == 1  # the page's own
    assert "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;document.documentElement" in page
    assert "<bdi>&lt;a id&gt;</bdi>" in page


def test_overlapping_passages_render_as_segments_with_both_numbers() -> None:
    text = "x" * 50 + SHARED * 2 + "y" * 50
    other = "z" * 30 + SHARED * 2
    n = len(SHARED)
    docs = {"a": Document("a", text, "s1"), "b": Document("b", other, "s2")}
    passages = [
        Passage(Span("a", 50, 50 + n + 40), Span("b", 30, 30 + n + 40), 1, 1, 1, 5),
        Passage(Span("a", 50 + n - 20, 50 + 2 * n), Span("b", 30 + n - 20, 30 + 2 * n), 1, 1, 1, 5),
        Passage(Span("a", 60, 70), Span("b", 40, 50), 1, 1, 1, 5),  # nested in the first
    ]
    page = render_html(result_with(docs, passages))
    assert text_panels(page) == [text, other]
    for side in "ab":
        for k in (1, 2, 3):
            assert page.count(f'id="pair-1-{side}-{k}"') == 1
    assert 'data-p="1 2"' in page or 'data-p="2 1"' in page  # the overlap carries both passages
    assert 'data-p="3 1"' in page  # nested: the shorter (more specific) passage first
    assert 'class="c0 multi"' in page or 'class="c1 multi"' in page


def test_direction_is_detected_per_document() -> None:
    assert text_direction("time reading icon " + "قالت وزارة الدفاع " * 3) == "rtl"
    assert text_direction("Le ministère a dit لا") == "ltr"
    assert text_direction("2024 - 15") == "ltr"


def test_self_contained() -> None:
    page = render_html(injected())
    assert re.search(r"""<[^>]*\b(?:src|href)\s*=\s*(?!["']?#)""", page) is None  # only in-page links
    assert "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_empty_result() -> None:
    page = render_html(ScanResult([], [], {"a": Document("a", "t")}, [], 0, 0))
    assert "No shared passages among 1 document." in page
    assert "No passage was found in 3 or more documents." in page


def test_no_cluster_says_how_many_documents_a_cluster_needs(tmp_path: Path) -> None:
    """With --cluster-documents 5, "no passage in three or more documents" was wrong (the seeds'
    passages are each in two documents)."""
    out = tmp_path / "r.html"
    assert main(["scan", str(SEEDS), "--format", "html", "-o", str(out), "-q", "--cluster-documents", "5"]) == 0
    assert "No passage was found in 5 or more documents." in out.read_text("utf-8")


# --------------------------------------------------------------------------------------------------
# in a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(url: Path, *extra: str) -> str:
    """Run headless Chromium on a local file, with no network and a throwaway profile; return stdout."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                *extra,
                url.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


@pytest.fixture(scope="module")
def seeds_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("html") / "report.html"
    assert main(["scan", str(SEEDS), "--format", "html", "-o", str(target), "--quiet"]) == 0
    return target


@pytest.mark.browser
@browser
def test_browser_renders_the_seeds_report(seeds_report: Path) -> None:
    dom = chromium(seeds_report, "--dump-dom")
    assert dom.count('<section class="pair"') >= 1
    assert len(re.findall(r"<mark class=", dom)) >= 2
    assert re.search(r'<div class="text" dir="rtl">', dom)
    assert 'id="pair-1-a-1"' in dom and 'id="pair-1-b-1"' in dom
    shot = seeds_report.with_suffix(".png")
    chromium(seeds_report, f"--screenshot={shot}", "--window-size=1400,1800", "--hide-scrollbars")
    assert shot.stat().st_size > 20_000  # a page of text, not a blank image


@pytest.mark.browser
@browser
def test_browser_runs_no_injected_script(tmp_path: Path) -> None:
    target = tmp_path / "injected.html"
    target.write_text(render_html(injected()), "utf-8")
    dom = chromium(target, "--dump-dom")
    assert re.search(r"<html[^>]*data-pwned", dom) is None  # neither injected script nor handler ran
    assert dom.count("<script") == 1
    assert "<img" not in dom
    assert "&lt;script&gt;document.documentElement.setAttribute('data-pwned', 'script')&lt;/script&gt;" in dom


@pytest.mark.browser
@browser
def test_browser_click_flashes_the_counterpart(seeds_report: Path, tmp_path: Path) -> None:
    # The page's policy admits only its own script, so the probe goes into a copy without it.
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", seeds_report.read_text("utf-8"))
    probe = """<script>
    var label = document.querySelector('#pair-1 [data-side="a"] a.n[data-p="1"]');
    label.click();
    var flashed = document.querySelectorAll('#pair-1 [data-side="b"] .flash').length;
    var wrong = document.querySelectorAll('#pair-1 [data-side="a"] .flash').length;
    var first = location.hash;
    var mark = document.querySelector('#pair-1 [data-side="a"] mark');
    mark.click();  // a marked piece follows the first (shortest) passage it lists
    var expected = "#pair-1-b-" + mark.getAttribute("data-p").split(" ")[0];
    document.body.setAttribute("data-probe", [flashed, wrong, first, location.hash === expected].join("/"));
    </script></body>"""
    copy = tmp_path / "probe.html"
    copy.write_text(page.replace("</body>", probe), "utf-8")
    dom = chromium(copy, "--dump-dom")
    found = re.search(r'data-probe="(\d+)/(\d+)/([^/"]*)/(true|false)"', dom)
    assert found is not None, "the probe did not run"
    flashed, wrong, where, mark_ok = int(found[1]), int(found[2]), found[3], found[4]
    assert flashed >= 2 and wrong == 0  # the number label and the marked text of passage 1 in b
    assert where == "#pair-1-b-1"
    assert mark_ok == "true"


def test_the_report_options_are_checked_where_they_enter() -> None:
    # (before: max_pairs=-1 dropped the last pair's view, and cluster_documents=0 was reported as
    # find_clusters' min_documents)
    result = dedup.scan([])
    with pytest.raises(ParameterError, match="max_pairs must be a non-negative integer, got -1"):
        render_html(result, max_pairs=-1)
    with pytest.raises(ParameterError, match="cluster_documents must be an integer of at least 2, got 0"):
        render_html(result, cluster_documents=0)


def test_sources_and_dates_are_isolated_from_the_text_around_them() -> None:
    """An Arabic source before a date ("الجزيرة · 2024-01-13") in the left-to-right headers and
    tables formed one right-to-left run: the date was shown before the source, reversed
    (13-01-2024). Each is isolated, as the ids are."""
    docs = {
        "x": Document("x", "head " + SHARED, "الجزيرة", "2024-01-13"),
        "y": Document("y", SHARED + " tail", "صحيفة الشرق", "2024-01-14"),
        "z": Document("z", "zz " + SHARED, "Le Monde", None),
    }
    n = len(SHARED)
    passages = [
        Passage(Span("x", 5, 5 + n), Span("y", 0, n), 1.0, 1.0, 1.0, 7),
        Passage(Span("x", 5, 5 + n), Span("z", 3, 3 + n), 1.0, 1.0, 1.0, 7),
    ]
    page = render_html(result_with(docs, passages))
    for shown in ("الجزيرة", "صحيفة الشرق", "Le Monde"):
        assert page.count(shown) > 0 and page.count(shown) == page.count(f"<bdi>{shown}</bdi>"), shown
    # (in both rows of the overview, both pair views and the cluster's table)
    assert page.count("<bdi>الجزيرة</bdi> · <bdi>2024-01-13</bdi>") == 5


def test_common_text_is_shown_in_its_own_direction() -> None:
    """The texts too common to compare follow the majority rule of every other text: page chrome
    that starts with a Latin word is still Arabic, right to left (dir="auto" made it left to right)."""
    from dedup.records import CommonText

    chrome = "CNN عربية — تابعونا على تويتر وفيسبوك وانستغرام للمزيد من الأخبار"
    result = ScanResult([], [], {}, [], 0, 3, common=[CommonText(Span("d0", 0, len(chrome)), 30, 3, chrome)])
    page = render_html(result)
    assert f'<q dir="rtl">{chrome}</q>' in page


@pytest.mark.browser
@browser
def test_browser_shows_a_cluster_text_with_its_line_breaks(tmp_path: Path) -> None:
    """A cluster member's full text (opened under its excerpt) ran its paragraphs together into one
    line, where the pair views keep the text's line breaks."""
    shared = "First paragraph of the wire copy, long enough.\n\nSecond paragraph after a blank line."
    docs = {d: Document(d, "lead " + shared + " tail", d) for d in "xyz"}
    n = len(shared)
    passages = [Passage(Span("x", 5, 5 + n), Span(d, 5, 5 + n), 1, 1, 1, 3) for d in "yz"]
    page = render_html(result_with(docs, passages))
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    probe = """<script>
    var details = document.querySelector(".cluster details");
    details.open = true;
    var side = document.querySelector('#pair-1 [data-side="a"] .text');
    var kept = [details.innerText, side.innerText].map(function (t) { return t.indexOf("\\n\\n") >= 0; });
    document.body.setAttribute("data-probe", kept.join("/"));
    </script></body>"""
    copy = tmp_path / "probe.html"
    copy.write_text(page.replace("</body>", probe), "utf-8")
    found = re.search(r'data-probe="([^"]*)"', chromium(copy, "--dump-dom"))
    assert found is not None, "the probe did not run"
    assert found[1] == "true/true"  # the cluster's text and the pair view's


def test_a_passage_is_listed_with_the_length_of_each_copy() -> None:
    """The pair view listed a passage's mean length (``length``, kept for older JSONL readers):
    a 40-character brief of a 120-character paragraph read as 80 characters on both sides. The
    table and CSV give each copy's length."""
    docs = {"x": Document("x", "w" * 200), "y": Document("y", "v" * 200)}
    page = render_html(result_with(docs, [Passage(Span("x", 10, 130), Span("y", 0, 40), 0.3, 0.3, 1.0, 4)]))
    assert "length a 120, b 40" in page and "length 80" not in page


def test_a_line_in_the_other_direction_is_shown_in_its_own() -> None:
    """An English paragraph quoted in an Arabic story was laid out right to left with the story
    (its full stop at the wrong end, the line aligned right); each line now takes its own
    direction when most of its letters are of the other one, marks running across it intact."""
    arabic = "قالت وزارة الخارجية في بيان صدر اليوم إن المحادثات ستستأنف\n"
    english = "The ministry said in a statement that the talks would resume on Monday.\r\n"
    text = arabic[:-1] + "\r" + english + "2024\n" + arabic  # (a lone \r breaks a line in a browser too)
    docs = {"x": Document("x", text), "y": Document("y", english + arabic)}
    copy = Passage(Span("x", 20, len(arabic) + 30), Span("y", 0, 80), 1.0, 1.0, 1.0, 9)  # across the turn
    page = render_html(result_with(docs, [copy]))
    panel_a, panel_b = re.findall(r'<div class="text" dir="(rtl|ltr)">(.*?)</div></article>', page, re.S)
    assert panel_a[0] == "rtl" and panel_b[0] == "ltr"
    turned = re.findall(r'<div dir="(rtl|ltr)">(.*?)</div>', panel_a[1], re.S)
    assert [d for d, _ in turned] == ["ltr"]  # the English line; the line of digits follows the story
    assert re.sub(r"<[^>]+>", "", turned[0][1]) == english
    assert re.findall(r'<div dir="(rtl|ltr)">', panel_b[1]) == ["rtl"]  # and the other way round
    assert text_panels(page) == [text, english + arabic]


class _Marks(HTMLParser):
    """Where each passage's marks and number label fall in each text panel of a pair view, in characters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.side: str | None = None
        self.article = ""
        self.pos = 0
        self.in_label = False
        self.depth = 0  # blocks of a line in the other direction, inside a text panel
        self.covering: list[str] = []
        self.marks: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.labels: dict[tuple[str, str], int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "article":
            self.article = found["data-side"] or ""
        elif tag == "div" and found.get("class") == "text":
            self.side, self.pos = self.article, 0
        elif tag == "div" and self.side is not None:
            self.depth += 1
        elif tag == "a" and found.get("class") == "n" and self.side is not None:
            self.labels[(self.side, found["data-p"] or "")] = self.pos
            self.in_label = True
        elif tag == "mark":
            self.covering = (found["data-p"] or "").split()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.in_label = False
        elif tag == "mark":
            self.covering = []
        elif tag == "div" and self.depth:
            self.depth -= 1
        elif tag == "div":
            self.side = None

    def handle_data(self, data: str) -> None:
        if self.side is None or self.in_label:
            return
        for k in self.covering:
            pieces = self.marks.setdefault((self.side, k), [])
            if pieces and pieces[-1][1] == self.pos:  # (adjacent pieces of one passage: one run)
                pieces[-1] = (pieces[-1][0], self.pos + len(data))
            else:
                pieces.append((self.pos, self.pos + len(data)))
        self.pos += len(data)


_CHARS = st.sampled_from(["a", " ", "\n", "\r\n", "<", "&", '"', "ب", "\u064e", "😀", "北", "\u202e"])


@given(
    st.lists(_CHARS, min_size=1, max_size=40).map("".join),
    st.lists(_CHARS, min_size=1, max_size=40).map("".join),
    st.lists(st.tuples(*(st.integers(0, 40),) * 4), min_size=1, max_size=5),
)
def test_each_passage_is_marked_exactly_at_its_offsets(text_a: str, text_b: str, cuts: list[tuple[int, ...]]) -> None:
    """In a pair view, the marks carrying a passage's number cover exactly its code-point offsets in
    each text, and its number label stands at its start, however passages overlap or nest."""
    docs = {"x": Document("x", text_a), "y": Document("y", text_b)}

    def span(doc: str, i: int, j: int) -> Span:
        n = len(docs[doc].text)
        start, end = sorted((min(i, n - 1), min(j, n)))
        return Span(doc, start, max(end, start + 1))

    passages = [Passage(span("x", i, j), span("y", k, m), 1.0, 1.0, 1.0, 3) for i, j, k, m in cuts]
    parsed = _Marks()
    parsed.feed(render_html(result_with(docs, passages)))
    for number, p in enumerate(passages, 1):
        for side, where in (("a", p.a), ("b", p.b)):
            assert parsed.marks[(side, str(number))] == [(where.start, where.end)], (side, number)
            assert parsed.labels[(side, str(number))] == where.start


def test_the_report_lists_the_dates_it_could_not_read(tmp_path: Path) -> None:
    # A cluster's origin is decided by the dates read; a report mailed on its own said nothing of
    # those that were not, while its members showed them ("01/22/2024") and its reasons counted
    # their documents as undated. Only standard error said so.
    text = (SEEDS / sorted(p.name for p in SEEDS.glob("*.txt"))[0]).read_text("utf-8")
    corpus = tmp_path / "d.jsonl"
    rows = [("a", "2024-01-22"), ("b", "01/22/2024"), ("c", "yesterday")]
    corpus.write_text("".join(json.dumps({"id": i, "text": text, "date": d}) + "\n" for i, d in rows), "utf-8")
    out = tmp_path / "r.html"
    assert main(["scan", str(corpus), "--format", "html", "-o", str(out), "-q"]) == 0
    page = html.unescape(re.sub(r"<[^>]+>", "", out.read_text("utf-8")))
    assert "2 documents scanned without a date that could not be read" in page
    for line, value in ((2, "01/22/2024"), (3, "yesterday")):
        assert f"d.jsonl:{line}: date '{value}' cannot be read: expected an ISO 8601 day or time" in page, value
