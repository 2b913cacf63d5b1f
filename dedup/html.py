"""The HTML report: one self-contained page to read a scan side by side.

The page has an overview of the document pairs ranked by how much they share, the reuse clusters,
and, for each pair, the two texts side by side with every shared passage highlighted and numbered;
clicking a passage (or its number) in one text scrolls to its counterpart in the other and flashes
it. Everything is inline (no fonts, scripts or styles fetched from anywhere) and a
Content-Security-Policy lets only the page's own script run. Every piece of input text is escaped,
and each text is shown in its own direction (right-to-left for Arabic), detected from its letters.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import html
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import TextIO

from . import __version__
from .checks import check_int
from .clusters import Cluster, find_clusters, passage_clusters
from .records import Document, Pair, Passage, Span
from .report import _check_text_stream, excerpt, one_source_note, plural, suppressed_note
from .scan import ScanResult, check_result

__all__ = ["render_html", "segments", "text_direction", "write_html"]

_PALETTE = 8  # passage colours cycle through this many CSS classes

# A side-by-side view shows a text whole up to this many characters. A longer one (a book, a
# whole newspaper page) shows its passages with CONTEXT characters either side, the text between
# left out and counted: each view repeats both texts, and two hundred pairs of books made a page
# no browser opens.
WHOLE = 20_000
CONTEXT = 400

_CSS = """
:root { --fg: #1d2026; --muted: #5f6670; --line: #d9dde3; --bg: #fff; --panel: #f6f7f9; --accent: #2457c5; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans",
  "Noto Sans Arabic", "Noto Naskh Arabic", Tahoma, Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 1400px; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
h1 { font-size: 1.5rem; margin: .5rem 0; } h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .3rem; }
a { color: var(--accent); }
.muted, .stats { color: var(--muted); }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .6rem; text-align: start;
  vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num { text-align: end; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; width: 60px; height: .6em; background: var(--line); margin-inline-start: .4em; }
.bar > span { display: block; height: 100%; background: var(--accent); }
section.pair { border-top: 2px solid var(--line); margin-top: 2rem; }
ol.plist { padding-inline-start: 1.5rem; margin: .3rem 0 .8rem; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media (max-width: 800px) { .sides { grid-template-columns: 1fr; } }
article.doc { border: 1px solid var(--line); border-radius: 6px; background: var(--bg); min-width: 0; }
article.doc > header { background: var(--panel); padding: .4rem .7rem; border-bottom: 1px solid var(--line);
  border-radius: 6px 6px 0 0; overflow-wrap: anywhere; }
.text { position: relative; white-space: pre-wrap; overflow-wrap: anywhere; padding: .6rem .8rem; max-height: 75vh;
  overflow: auto; font-size: 1.05rem; line-height: 1.9; }
.text[dir=rtl] { font-size: 1.15rem; }
.gap { display: block; margin: .3rem 0; color: var(--muted); font-style: italic; }
mark { color: inherit; border-radius: 2px; cursor: pointer; padding: .1em 0; }
mark.multi { outline: 1px dashed #333; }
.c0 { background: #ffe08a; } .c1 { background: #b9e4c9; } .c2 { background: #c6dbff; }
.c3 { background: #ffc9c9; } .c4 { background: #e2cfff; } .c5 { background: #ffd8b0; }
.c6 { background: #bdeef0; } .c7 { background: #f0d3e6; }
a.n { display: inline-block; min-width: 1.4em; padding: 0 .25em; margin: 0 .15em; border-radius: 1em;
  background: #333; color: #fff; font: bold .72rem/1.5 system-ui, sans-serif; text-align: center;
  text-decoration: none; vertical-align: super; direction: ltr; unicode-bidi: isolate; }
mark.flash, a.n.flash { animation: flash 1.6s ease-out; }
:target { outline: 3px solid var(--accent); }
@keyframes flash { 0%, 40% { box-shadow: 0 0 0 4px #ff5a1f; background: #ffb199; }
  100% { box-shadow: none; } }
.cluster { border: 1px solid var(--line); border-radius: 6px; padding: .3rem .8rem .6rem; margin: .8rem 0; }
.origin { background: #fff6d6; }
.badge { display: inline-block; background: #333; color: #fff; border-radius: 3px; padding: 0 .35em;
  font-size: .75rem; }
details > summary { cursor: pointer; color: var(--muted); }
.excerpt { overflow-wrap: anywhere; }
.excerpt > details { white-space: pre-wrap; }
"""

# Clicking a passage (or its number) scrolls the other text to the same passage number and
# flashes it. Overlapping passages list the shortest first in data-p, so a click picks the most
# specific one.
_JS = """
document.addEventListener("click", function (event) {
  var el = event.target.closest("mark[data-p], a.n[data-p]");
  if (!el) return;
  var side = el.closest("[data-side]"), pair = el.closest("section.pair");
  if (!side || !pair) return;
  event.preventDefault();
  var k = el.getAttribute("data-p").split(" ")[0];
  var other = side.getAttribute("data-side") === "a" ? "b" : "a";
  var panel = pair.querySelector('[data-side="' + other + '"]');
  var label = panel.querySelector('a.n[data-p="' + k + '"]');
  if (!label) return;
  // Scroll the other text's own panel to centre the passage; move the page only when that
  // panel is off screen (stacked layout on a narrow window), so a click never jumps the page.
  var text = label.closest(".text");
  text.scrollTo({top: label.offsetTop - text.clientHeight / 2, behavior: "smooth"});
  var box = text.getBoundingClientRect();
  if (box.bottom < 0 || box.top > window.innerHeight) text.scrollIntoView({block: "nearest", behavior: "smooth"});
  var hits = panel.querySelectorAll('mark[data-p~="' + k + '"]');
  [label].concat(Array.prototype.slice.call(hits)).forEach(function (m) {
    m.classList.remove("flash"); void m.offsetWidth; m.classList.add("flash");
  });
  history.replaceState(null, "", "#" + label.id);
});
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def text_direction(text: str, *, sample: int = 4000) -> str:
    """``"rtl"`` when most strongly directional letters of the text are right-to-left, else ``"ltr"``.

    Unlike the first-letter rule of ``dir="auto"``, a majority vote is not fooled by an Arabic
    article that starts with a Latin byline or page chrome.

    Example:
        >>> text_direction("time reading icon قالت وزارة الدفاع الأمريكية"), text_direction("Hello, عالم")
        ('rtl', 'ltr')
    """
    rtl = ltr = 0
    for ch in text[:sample]:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            rtl += 1
        elif kind == "L":
            ltr += 1
    return "rtl" if rtl > ltr else "ltr"


def segments(length: int, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int, tuple[int, ...]]]:
    """Cut ``[0, length)`` at every span boundary; each piece lists the indices of the spans covering it.

    Overlapping and nested spans are what make this necessary: HTML elements cannot overlap, so a
    text is rendered as these pieces, each marked with every passage that covers it.

    Example:
        >>> segments(10, [(2, 6), (4, 8)])
        [(0, 2, ()), (2, 4, (0,)), (4, 6, (0, 1)), (6, 8, (1,)), (8, 10, ())]
    """
    cuts = sorted({0, length, *(max(0, min(length, x)) for span in spans for x in span)})
    out = []
    for start, end in itertools.pairwise(cuts):
        if start < end:
            covering = tuple(i for i, (s, e) in enumerate(spans) if s <= start and end <= e)
            out.append((start, end, covering))
    return out


_STRONG = frozenset({"L", "R", "AL"})
# A browser breaks a line at a line feed, a carriage return, or both (HTML reads the three alike).
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _turned_paragraphs(text: str, direction: str) -> list[tuple[int, int, str]]:
    """The lines of ``text`` written in the other direction than ``direction``: ``(start, end, dir)``.

    Each line keeps its line break; a line without a letter of either direction follows the text.
    """
    turned = []
    start = 0
    for found in _LINE.finditer(text):
        end = found.end()
        line = found.group()
        if any(unicodedata.bidirectional(ch) in _STRONG for ch in line):
            own = text_direction(line)
            if own != direction:
                turned.append((start, end, own))
        start = end
    return turned


def _cut(pieces: list[tuple[int, int, tuple[int, ...]]], cuts: list[int]) -> Iterator[tuple[int, int, tuple[int, ...]]]:
    """The pieces of :func:`segments` cut again at ``cuts`` (sorted offsets), each part keeping its covering."""
    for start, end, covering in pieces:
        at = start
        for cut in cuts[bisect.bisect_right(cuts, start) : bisect.bisect_left(cuts, end)]:
            yield at, cut, covering
            at = cut
        yield at, end, covering


def _render_text(
    text: str, spans: Sequence[Span], prefix: str, other: str, titles: Sequence[str], direction: str = "ltr"
) -> str:
    """The text with passages marked: numbered labels at each passage start, one mark per segment.

    A line written in the other direction than the text's (an English paragraph quoted in an
    Arabic story) is a block of its own direction, so that it reads and aligns as written.
    """
    bounds = [(s.start, s.end) for s in spans]
    lengths = [len(s) for s in spans]
    starts: dict[int, list[int]] = defaultdict(list)
    for k, s in enumerate(spans):
        starts[s.start].append(k)
    # (A text shown in part, past WHOLE characters, is shown in its own direction throughout: its
    # left-out stretches are cut at passages, not at lines.)
    turned = _turned_paragraphs(text, direction) if len(text) <= WHOLE else []
    opens = {s: d for s, _, d in turned}
    closes = {e for _, e, _ in turned}
    out: list[str] = []
    for start, end, covering in _cut(segments(len(text), bounds), sorted({*opens, *closes})):
        if start in opens:
            out.append(f'<div dir="{opens[start]}">')
        for k in starts.pop(start, []):
            number = k + 1
            out.append(
                f'<a class="n" id="{prefix}-{number}" href="#{other}-{number}" data-p="{number}" '
                f'title="passage {number}: go to its copy in the other text">{number}</a>'
            )
        if not covering:
            out.append(_unshared(text, start, end))
        else:
            piece = _esc(text[start:end])
            # Shortest first: the most specific passage is the one a click on this piece follows.
            ordered = sorted(covering, key=lambda k: (lengths[k], k))
            numbers = " ".join(str(k + 1) for k in ordered)
            classes = f"c{ordered[0] % _PALETTE}" + (" multi" if len(ordered) > 1 else "")
            title = _esc("; ".join(titles[k] for k in ordered))
            out.append(f'<mark class="{classes}" data-p="{numbers}" title="{title}">{piece}</mark>')
        if end in closes:
            out.append("</div>")
    return "".join(out)


def _unshared(text: str, start: int, end: int) -> str:
    """``text[start:end]``, outside every passage, escaped; in a text longer than ``WHOLE``, only
    ``CONTEXT`` characters next to the passages either side, and how many are left out.

    Example:
        >>> piece = _unshared("x" * 30_000, 1000, 3000)  # between two passages of a long text
        >>> piece.count("x"), piece[CONTEXT:-CONTEXT]
        (800, '<span class="gap">[1,200 characters left out, 1400:2600]</span>')
        >>> _unshared("x" * 300, 100, 200).count("x")
        100
    """
    if len(text) <= WHOLE:
        return _esc(text[start:end])
    head = CONTEXT if start > 0 else 0  # (no passage before the first piece, none after the last)
    tail = CONTEXT if end < len(text) else 0
    if end - start <= head + tail + CONTEXT:
        return _esc(text[start:end])
    left = end - start - head - tail
    gap = f'<span class="gap">[{left:,} characters left out, {start + head}:{end - tail}]</span>'
    return _esc(text[start : start + head]) + gap + _esc(text[end - tail : end])


def _doc_header(doc: Document) -> str:
    # Each isolated: an Arabic source would otherwise pull the date after it into its right-to-left run.
    about = " · ".join(f"<bdi>{_esc(x)}</bdi>" for x in (doc.source, doc.date) if x)
    return f"<bdi>{_esc(doc.id)}</bdi>" + (f' <span class="muted">({about})</span>' if about else "")


def _bar(value: float) -> str:
    width = max(0.0, min(1.0, value)) * 100
    return f'<span class="bar" aria-hidden="true"><span style="width:{width:.0f}%"></span></span>'


def _passage_title(number: int, p: Passage, cluster: int | None) -> str:
    text = (
        f"passage {number}: similarity {p.similarity:.2f}, containment {p.containment_a:.2f} / "
        f"{p.containment_b:.2f}, a[{p.a.start}:{p.a.end}] b[{p.b.start}:{p.b.end}]"
    )
    return text + (f", cluster {cluster}" if cluster is not None else "")


def _pair_section(
    rank: int, pair: Pair, found: Sequence[Passage], result: ScanResult, cluster_of: dict[int, int | None]
) -> str:
    doc_a, doc_b = result.documents[pair.a], result.documents[pair.b]
    sid = f"pair-{rank}"
    titles = [_passage_title(k, p, cluster_of.get(id(p))) for k, p in enumerate(found, 1)]
    items = []
    for k, p in enumerate(found, 1):
        cluster = cluster_of.get(id(p))
        link = f' · <a href="#cluster-{cluster}">cluster {cluster}</a>' if cluster is not None else ""
        items.append(
            f'<li><a href="#{sid}-a-{k}">a[{p.a.start}:{p.a.end}]</a> ↔ '
            f'<a href="#{sid}-b-{k}">b[{p.b.start}:{p.b.end}]</a> · similarity {p.similarity:.2f} · '
            f"containment {p.containment_a:.2f} / {p.containment_b:.2f} · length a {len(p.a)}, b {len(p.b)}{link}</li>"
        )
    sides = []
    for side, doc, spans in (("a", doc_a, [p.a for p in found]), ("b", doc_b, [p.b for p in found])):
        other = "b" if side == "a" else "a"
        direction = text_direction(doc.text)
        body = _render_text(doc.text, spans, f"{sid}-{side}", f"{sid}-{other}", titles, direction)
        sides.append(
            f'<article class="doc" data-side="{side}"><header>{side}: {_doc_header(doc)}</header>'
            f'<div class="text" dir="{direction}">{body}</div></article>'
        )
    return (
        f'<section class="pair" id="{sid}">'
        f"<h2>{rank}. <bdi>{_esc(pair.a)}</bdi> ~ <bdi>{_esc(pair.b)}</bdi></h2>"
        f'<p class="stats">score {pair.score:.2f} · '
        f"coverage a {pair.coverage_a:.2f} · coverage b {pair.coverage_b:.2f} · "
        f"containment {pair.containment_a:.2f} / {pair.containment_b:.2f} · jaccard {pair.jaccard:.2f} · "
        f"{pair.passages} passage{'s' if pair.passages != 1 else ''} · longest {pair.longest}"
        f' · <a href="#overview">overview</a></p>'
        f'<ol class="plist">{"".join(items)}</ol><div class="sides">{"".join(sides)}</div></section>'
    )


def _overview(result: ScanResult, shown: int) -> str:
    if not result.pairs:
        return f"<p>No shared passages among {plural(result.scanned, 'document')}.</p>"
    rows = []
    for rank, pair in enumerate(result.pairs, 1):
        label = f'<a href="#pair-{rank}">{rank}</a>' if rank <= shown else str(rank)
        rows.append(
            f'<tr><td class="num">{label}</td><td>{_doc_header(result.documents[pair.a])}</td>'
            f"<td>{_doc_header(result.documents[pair.b])}</td>"
            f'<td class="num">{pair.score:.2f}{_bar(pair.score)}</td>'
            f'<td class="num">{pair.coverage_a:.2f}{_bar(pair.coverage_a)}</td>'
            f'<td class="num">{pair.coverage_b:.2f}{_bar(pair.coverage_b)}</td>'
            f'<td class="num">{pair.passages}</td><td class="num">{pair.longest}</td>'
            f'<td class="num">{pair.jaccard:.2f}</td></tr>'
        )
    note = ""
    if shown < len(result.pairs):
        if shown == 0:  # (max_pairs 0: a page of the overview alone, for a scan of many pairs)
            said = "Side-by-side views are not included in this report."
        elif shown == 1:
            said = "A side-by-side view is shown for the first pair only."
        else:
            said = f"Side-by-side views are shown for the first {shown:,} pairs only."
        note = f'<p class="muted">{said}</p>'
    return (
        "<table><thead><tr><th>#</th><th>document a</th><th>document b</th><th>score</th><th>coverage a</th>"
        "<th>coverage b</th><th>passages</th><th>longest</th><th>jaccard</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{note}"
    )


def _clusters(clusters: Sequence[Cluster], result: ScanResult, anchors: dict[Span, str], cluster_documents: int) -> str:
    if not clusters:
        return f'<p class="muted">No passage was found in {cluster_documents} or more documents.</p>'
    out = []
    for c in clusters:
        origin = c.origin
        where = "unknown" if origin is None else f"<bdi>{_esc(origin.doc)}</bdi> [{origin.start}:{origin.end}]"
        rows = []
        for m in c.members:
            doc = result.documents[m.doc]
            text = m.slice(doc.text)
            direction = text_direction(text)
            anchor = anchors.get(m)
            doc_cell = _doc_header(doc)
            if anchor is not None:
                doc_cell += f' <a href="#{anchor}">show</a>'
            badge = ' <span class="badge">origin</span>' if m == origin else ""
            rows.append(
                f"<tr{' class=origin' if m == origin else ''}><td>{doc_cell}{badge}</td>"
                f'<td class="num">{m.start}:{m.end}</td><td class="excerpt" dir="{direction}">'
                f"<details><summary>{_esc(excerpt(text, 160))}</summary>{_esc(text)}</details></td></tr>"
            )
        out.append(
            f'<div class="cluster" id="cluster-{c.id}"><h3>Cluster {c.id}: {c.documents} documents</h3>'
            f'<p>Likely origin: {where} <span class="muted">({_esc(c.origin_reason)})</span></p>'
            "<table><thead><tr><th>document</th><th>span</th><th>text</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )
    return "".join(out)


def _summary(result: ScanResult, clusters: Sequence[Cluster]) -> str:
    share = "shares" if len(result.pairs) == 1 else "share"
    text = (
        f"{plural(result.read, 'document')} read, {result.scanned:,} scanned, "
        f"{len(result.skipped):,} skipped; {plural(result.candidates, 'candidate pair')}"
        + (f" ({result.unaligned:,} left unaligned by the per-document budget)" if result.unaligned else "")
        + f"; {plural(len(result.pairs), 'pair')} {share} {plural(len(result.passages), 'passage')}; "
        f"{plural(len(clusters), 'reuse cluster')}."
    )
    skipped = "".join(f"<li><bdi>{_esc(s.where)}</bdi>: {_esc(s.reason)}</li>" for s in result.skipped)
    # (Scanned without their dates, which then order no copy: said here, as the report may travel alone.)
    undated = "".join(f"<li><bdi>{_esc(s.where)}</bdi>: {_esc(s.reason)}</li>" for s in result.unread_dates)
    undated_title = f"{plural(len(result.unread_dates), 'document')} scanned without a date that could not be read"
    config = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in result.config.to_dict().items())
    suppressed = suppressed_note(result)
    alone = one_source_note(result)
    common = "".join(
        f"<li><bdi>{_esc(c.span.doc)}</bdi> [{c.span.start}:{c.span.end}], {_esc(plural(c.windows, 'window'))}:"
        f' <q dir="{text_direction(c.text)}">{_esc(excerpt(c.text, 120))}</q></li>'
        for c in result.common
    )
    return (
        f"<p>{_esc(text)}</p>"
        + (f"<p><strong>{_esc(alone[0].upper() + alone[1:])}.</strong></p>" if alone else "")
        + (f"<p>{_esc(suppressed)}.</p>" if suppressed else "")
        + (f"<details><summary>Text too common to compare</summary><ul>{common}</ul></details>" if common else "")
        + (f"<details><summary>Skipped documents</summary><ul>{skipped}</ul></details>" if skipped else "")
        + (f"<details><summary>{_esc(undated_title)}</summary><ul>{undated}</ul></details>" if undated else "")
        + f"<details><summary>Scan parameters</summary><table>{config}</table></details>"
    )


def render_html(
    result: ScanResult,
    *,
    clusters: Sequence[Cluster] | None = None,
    max_pairs: int = 200,
    title: str = "dedup report",
    cluster_documents: int = 3,
) -> str:
    """The whole report as one self-contained HTML page (inline CSS and script, nothing fetched).

    ``max_pairs`` bounds the side-by-side views (each repeats both texts, a text longer than
    ``WHOLE`` characters only around its passages: :func:`_unshared`); the overview lists
    every pair. ``clusters`` defaults to :func:`dedup.clusters.find_clusters` with
    ``min_documents=cluster_documents`` (the page says what a cluster needs).

    Example:
        >>> from dedup.records import Document
        >>> docs = {"x": Document("x", "<script>alert(1)</script> shared words", "s1"),
        ...         "y": Document("y", "shared words", "s2")}
        >>> p = Passage(Span("x", 27, 39), Span("y", 0, 12), 1.0, 1.0, 1.0, 3)
        >>> pair = Pair("x", "y", 0.3, 1.0, 0.3, 1.0, 0.3, 0.3, 1, 12, 1.0)
        >>> page = render_html(ScanResult([p], [pair], docs, [], 1, 0))
        >>> "&lt;script&gt;alert(1)&lt;/script&gt;" in page, page.count("<script")
        (True, 1)
    """
    check_result(result)
    check_int("max_pairs", max_pairs, 0)
    check_int("cluster_documents", cluster_documents, 2)
    if clusters is None:
        clusters = find_clusters(result, min_documents=cluster_documents)
    ids = passage_clusters(result.passages, clusters)
    cluster_of = {id(p): c for p, c in zip(result.passages, ids, strict=True)}
    by_pair: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    for passage in result.passages:
        by_pair[(passage.a.doc, passage.b.doc)].append(passage)
    shown = min(max_pairs, len(result.pairs))
    sections = []
    # Where each cluster member can be seen: the first shown passage side that lies inside it.
    anchors: dict[Span, str] = {}
    members_by_doc: dict[str, list[Span]] = defaultdict(list)
    for c in clusters:
        for m in c.members:
            members_by_doc[m.doc].append(m)
    for rank, pair in enumerate(result.pairs[:shown], 1):
        found = by_pair.get((pair.a, pair.b), [])
        sections.append(_pair_section(rank, pair, found, result, cluster_of))
        for k, p in enumerate(found, 1):
            for side, span in (("a", p.a), ("b", p.b)):
                for m in members_by_doc.get(span.doc, ()):
                    if m not in anchors and m.start <= span.start and span.end <= m.end:
                        anchors[m] = f"pair-{rank}-{side}-{k}"
    script_hash = base64.b64encode(hashlib.sha256(_JS.encode("utf-8")).digest()).decode("ascii")
    csp = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en" dir="ltr"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="dedup {_esc(__version__)}">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body><main>"
        f'<h1>{_esc(title)}</h1>{_summary(result, clusters)}<h2 id="overview">Document pairs</h2>'
        f"{_overview(result, shown)}"
        f'<h2 id="clusters">Reuse clusters</h2>{_clusters(clusters, result, anchors, cluster_documents)}'
        f"{''.join(sections)}</main><script>{_JS}</script></body></html>\n"
    )


def write_html(
    result: ScanResult,
    stream: TextIO,
    *,
    clusters: Sequence[Cluster] | None = None,
    max_pairs: int = 200,
    cluster_documents: int = 3,
) -> None:
    """Write :func:`render_html` of a result to a text stream.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> write_html(ScanResult([], [], {}, [], 0, 0), out)
        >>> out.getvalue().startswith("<!DOCTYPE html>"), "</html>" in out.getvalue()
        (True, True)
    """
    check_result(result)
    _check_text_stream(stream)  # (before the page is rendered: a large result takes a while)
    stream.write(render_html(result, clusters=clusters, max_pairs=max_pairs, cluster_documents=cluster_documents))
