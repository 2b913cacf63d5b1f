"""Tests for dedup.report: JSONL records and their round trip, CSV, the table, the tune table."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Document, Pair, Passage, ScanResult, Span, scan
from dedup.clusters import Cluster, find_clusters
from dedup.errors import InputError
from dedup.io import Reader
from dedup.records import Skipped
from dedup.report import (
    CSV_COLUMNS,
    _json_line,
    excerpt,
    format_summary,
    format_table,
    format_tune,
    parse_records,
    records,
    tune_record,
    write_csv,
    write_jsonl,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def seeds() -> ScanResult:
    return scan(Reader().read([SEEDS]))


def small_result() -> ScanResult:
    """Three documents sharing one passage (so one cluster), with awkward text in it."""
    shared = '=SUM(A1) "quoted", comma\nnew line <b>bold</b> مرحبا'
    docs = {
        "x": Document("x", "head " + shared + " tail", "s1", "2024-01-01"),
        "y": Document("y", shared, "s2", "2024-01-02"),
        "z": Document("z", "zz " + shared, None, None),
    }
    n = len(shared)
    passages = [
        Passage(Span("x", 5, 5 + n), Span("y", 0, n), 1.0, 1.0, 1.0, 7),
        Passage(Span("x", 5, 5 + n), Span("z", 3, 3 + n), 0.9, 0.95, 0.95, 6),
    ]
    pairs = [
        Pair("x", "y", 0.8, 1.0, 0.8, 1.0, 0.8, 0.75, 1, n, 0.9),
        Pair("x", "z", 0.8, 0.9, 0.8, 0.9, 0.7, 0.7, 1, n, 0.85),
    ]
    return ScanResult(passages, pairs, docs, [Skipped("in.jsonl:4", "empty", "w")], 3, 0)


def test_jsonl_records_in_order_and_texts_are_slices(seeds: ScanResult) -> None:
    out = io.StringIO()
    write_jsonl(seeds, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    kinds = [r["type"] for r in lines]
    assert kinds[0] == "pair" and kinds[-1] == "summary"
    if "cluster" in kinds:  # clusters come after every pair and passage
        assert kinds.index("cluster") > max(i for i, k in enumerate(kinds) if k in ("pair", "passage"))
    for record in lines:
        if record["type"] == "passage":
            for side in ("a", "b"):
                s = record[side]
                assert s["text"] == seeds.documents[s["doc"]].text[s["start"] : s["end"]]
        if record["type"] == "cluster":
            for m in record["members"]:
                assert m["text"] == seeds.documents[m["doc"]].text[m["start"] : m["end"]]
                assert set(m) == {"doc", "source", "date", "start", "end", "text"}
    summary = lines[-1]
    assert summary["clusters"] == kinds.count("cluster")
    assert summary["passages"] == kinds.count("passage")


def test_round_trip_of_a_real_scan(seeds: ScanResult) -> None:
    out = io.StringIO()
    write_jsonl(seeds, out)
    back = parse_records(io.StringIO(out.getvalue()))
    assert back.pairs == seeds.pairs
    assert sorted(back.passages, key=repr) == sorted(seeds.passages, key=repr)
    assert back.clusters == find_clusters(seeds)
    assert back.summary is not None and back.summary["documents_read"] == 5
    assert back.other == []


def test_round_trip_keeps_unknown_records() -> None:
    back = parse_records(['{"type": "future", "x": 1}', "", '{"type": "summary", "pairs": 0}'])
    assert back.other == [{"type": "future", "x": 1}]
    assert back.summary == {"type": "summary", "pairs": 0}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "x.jsonl:1: not valid JSON"),
        ('{"type": "pair", "a": "x"}', "x.jsonl:1: field 'b' is missing"),
        (
            '{"type": "cluster", "id": 1, "members": [{"doc": 3, "start": 0, "end": 1}], "origin": null, '
            '"origin_reason": "", "documents": 1}',
            "x.jsonl:1: a field of a scan record is malformed",
        ),
        # A line that is no object read as "field list indices must be integers ... is missing":
        ("[1]", r"x\.jsonl:1: expected a JSON object \(a scan record\), got an array"),
        ('{"type": "passage", "a": [1]}', r'x\.jsonl:1: .*\(a span must be an object \{"doc", "start", "end"\}, got'),
        ("9" * 5000, r"x\.jsonl:1: not valid JSON \(a number of more than 4,300 digits\)"),
        # A value of the wrong type is no record: read silently, it would fail later (a sort, a sum), far from its line.
        (
            '{"type": "pair", "a": "x", "b": "y", "coverage_a": "high", "coverage_b": 0.5, "containment_a": 1.0, '
            '"containment_b": 0.5, "jaccard": 0.5, "jaccard_estimate": 0.5, "passages": 1, "longest": 10, '
            '"score": 0.7}',
            r"x\.jsonl:1: .*'coverage_a' must be a number, got a string",
        ),
        (
            '{"type": "pair", "a": "x", "b": "y", "coverage_a": 1.0, "coverage_b": 0.5, "containment_a": 1.0, '
            '"containment_b": 0.5, "jaccard": 0.5, "jaccard_estimate": 0.5, "passages": 1.5, "longest": 10, '
            '"score": 0.7}',
            r"x\.jsonl:1: .*'passages' must be an integer, got 1\.5",
        ),
        (
            '{"type": "pair", "a": 1, "b": "y", "coverage_a": 1.0, "coverage_b": 0.5, "containment_a": 1.0, '
            '"containment_b": 0.5, "jaccard": 0.5, "jaccard_estimate": 0.5, "passages": 1, "longest": 10, '
            '"score": 0.7}',
            r"x\.jsonl:1: .*'a' must be a string, got 1",
        ),
        (
            '{"type": "passage", "a": {"doc": "x", "start": 0, "end": 5}, "b": {"doc": "y", "start": 0, "end": 5}, '
            '"similarity": null, "containment_a": 1, "containment_b": 1, "seeds": 3}',
            r"x\.jsonl:1: .*'similarity' must be a number, got null",
        ),
        (
            '{"type": "cluster", "id": "1", "members": [], "origin": null, "origin_reason": "", "documents": 1}',
            r"x\.jsonl:1: .*'id' must be an integer, got a string",
        ),
        (
            '{"type": "cluster", "id": 1, "members": [], "origin": null, "origin_reason": "", "documents": 2.5}',
            r"x\.jsonl:1: .*'documents' must be an integer, got 2\.5",
        ),
    ],
)
def test_parse_records_errors_name_the_line(line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_records([line], "x.jsonl")


ids = st.sampled_from(["a", "b", "c", "d", "وكالة", 'q"<>'])
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def results(draw: st.DrawFn) -> ScanResult:
    """Random but consistent results: spans inside their texts, passages grouped under their pair."""
    names = draw(st.lists(ids, min_size=2, max_size=5, unique=True))
    texts = {n: draw(st.text(min_size=1, max_size=60)) for n in names}
    docs = {
        n: Document(n, texts[n], draw(st.none() | st.text(max_size=5)), draw(st.none() | st.just("2024-01-02")))
        for n in names
    }

    def span(doc: str) -> Span:
        start = draw(st.integers(0, len(texts[doc]) - 1))
        return Span(doc, start, draw(st.integers(start + 1, len(texts[doc]))))

    pair_keys = draw(
        st.lists(
            st.tuples(st.sampled_from(names), st.sampled_from(names)).filter(lambda t: t[0] != t[1]),
            max_size=4,
            unique=True,
        )
    )
    passages: list[Passage] = []
    pairs: list[Pair] = []
    for a, b in pair_keys:
        found = [
            Passage(span(a), span(b), draw(unit), draw(unit), draw(unit), draw(st.integers(0, 99)))
            for _ in range(draw(st.integers(1, 3)))
        ]
        passages += found
        floats = [draw(unit) for _ in range(6)]
        pairs.append(Pair(a, b, *floats, len(found), max(p.length for p in found), floats[0]))
    return ScanResult(passages, pairs, docs, [], len(pairs), 0)


@settings(max_examples=60, deadline=None)
@given(results())
def test_write_then_parse_gives_back_the_records(result: ScanResult) -> None:
    out = io.StringIO()
    write_jsonl(result, out)
    back = parse_records(out.getvalue().splitlines())
    assert back.passages == result.passages
    assert back.pairs == result.pairs
    assert back.clusters == find_clusters(result)
    assert back.summary is not None and back.summary["pairs"] == len(result.pairs)


def test_clusters_of_the_small_result() -> None:
    result = small_result()
    kinds = [r["type"] for r in records(result)]
    assert kinds == ["pair", "passage", "pair", "passage", "cluster", "summary"]
    (cluster,) = find_clusters(result)
    assert cluster.origin == Span("x", 5, 5 + len(result.documents["y"].text))
    (record,) = [r for r in records(result) if r["type"] == "cluster"]
    assert record["origin_reason"].startswith("earliest date")


def test_csv_rows_quoting_bom_and_formulas() -> None:
    result = small_result()
    out = io.StringIO()
    write_csv(result, out)
    data = out.getvalue()
    assert data.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(data.removeprefix("\ufeff"))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == len(result.passages)
    shared = result.documents["y"].text
    first = rows[0]
    assert (first["pair"], first["passage"], first["cluster"]) == ("1", "1", "1")
    assert (first["doc_a"], first["source_a"], first["date_a"]) == ("x", "s1", "2024-01-01")
    assert first["start_a"] == "5"
    assert first["text_b"] == "'" + shared  # a leading '=' would be a formula in a spreadsheet
    assert float(first["similarity"]) == 1.0
    assert rows[1]["source_b"] == ""  # None is an empty cell
    no_bom = io.StringIO()
    write_csv(result, no_bom, bom=False)
    assert no_bom.getvalue() == data.removeprefix("\ufeff")


def test_csv_of_seeds_holds_full_passage_texts(seeds: ScanResult) -> None:
    out = io.StringIO()
    write_csv(seeds, out, bom=False)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    # One row a passage, and one for each pair reported on its score alone (passage columns empty).
    assert len(rows) == len(seeds.passages) + sum(1 for p in seeds.pairs if not p.passages)
    for row in rows:
        if not row["passage"]:
            assert not row["text_a"] and float(row["score"]) >= seeds.config.min_score
            continue
        text = seeds.documents[row["doc_a"]].text
        assert row["text_a"] == text[int(row["start_a"]) : int(row["end_a"])]


def test_table_lists_pairs_passages_and_clusters(seeds: ScanResult) -> None:
    table = format_table(seeds, width=100)
    pairs, passages = len(seeds.pairs), len(seeds.passages)
    verb = "shares" if pairs == 1 else "share"
    assert f"{pairs} document pair{'s' * (pairs != 1)} {verb} {passages} passage{'s' * (passages != 1)}" in table
    assert not find_clusters(seeds) and "cluster" not in table  # (two documents share the Reuters pieces)
    assert "5 documents read, 5 scanned, 0 skipped" in format_summary(seeds)
    # A paragraph that travels through four outlets: the table says so, with its likely origin.
    from test_clusters import corpus

    travelling = scan(corpus())
    (cluster,) = find_clusters(travelling)
    table = format_table(travelling, width=100)
    assert "reuse cluster" in table and "cluster 1:" in table and cluster.origin is not None
    assert cluster.origin.doc in table.split("cluster 1:", 1)[1]


def test_table_with_nothing_found() -> None:
    empty = ScanResult([], [], {"a": Document("a", "text")}, [], 0, 0)
    assert format_table(empty) == "No shared passages among 1 document.\n"


def test_summary_lists_skipped() -> None:
    assert "skipped in.jsonl:4: empty" in format_summary(small_result())


@given(st.text(max_size=300), st.integers(min_value=5, max_value=120))
def test_excerpt_is_at_most_width(text: str, width: int) -> None:
    short = excerpt(text, width)
    assert len(short) <= width
    assert "\n" not in short


def test_tune_record_and_table() -> None:
    record = tune_record(0.35, 128)
    sims = [p["similarity"] for p in record["curve"]]
    assert sims == sorted(sims) and 0.35 in sims and len(sims) == 12
    probs = [p["probability"] for p in record["curve"]]
    assert probs == sorted(probs) and probs[0] == 0.0 and probs[-1] == 1.0
    table = format_tune(record)
    assert f"{record['bands']} bands of {record['rows']} rows" in table
    assert "<- threshold" in table
    # 0.35 uses every slot (32 x 4); at 0.2 a short document's windows have the bands of the slots
    # left over: a curve above the first at every similarity.
    assert record["short_bands"] == record["bands"] == 32 and "short" not in table
    low = tune_record(0.2, 128)
    assert (low["bands"], low["rows"], low["short_bands"]) == (28, 2, 64)
    assert "a short document's windows (--short-windows): 64 bands of 2 rows" in format_tune(low)
    longs, shorts = ([p[k] for p in low["curve"]] for k in ("probability", "short_probability"))
    assert all(s >= p for s, p in zip(shorts, longs, strict=True)) and shorts[1] > longs[1]
    on_grid = tune_record(0.5, 128)
    assert len(on_grid["curve"]) == 11  # the threshold is one of the grid points


def test_cluster_record_round_trip() -> None:
    result = small_result()
    cluster = Cluster(7, [Span("x", 0, 3), Span("y", 0, 2), Span("z", 1, 4)], None, "undetermined", 3)
    out = io.StringIO()
    write_jsonl(result, out, clusters=[cluster])
    assert parse_records(out.getvalue().splitlines()).clusters == [cluster]


@given(text=st.text(alphabet=st.sampled_from(["a", "ب", "\x85", "\u2028", "\u2029", "\n", '"']), max_size=30))
def test_a_json_line_is_one_line_for_every_reader(text: str) -> None:
    line = _json_line({"text": text})
    assert line.endswith("\n") and len(line.splitlines()) == 1
    assert json.loads(line) == {"text": text}


def test_control_characters_reach_no_terminal() -> None:
    """An id or a text holding an escape sequence, a bell or a line break would drive the terminal
    or break the table: the table and the summary show them as escapes."""
    from dedup import Document, scan
    from dedup.report import format_summary, format_table

    seeds = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
    a, b = (p.read_text("utf-8") for p in seeds[:2])
    docs = [Document("x\x1b[31m\nfake", a, "s1"), Document("y", "\x1b]0;title\x07" + b, "s2"), Document("z\x07", "")]
    result = scan(docs)
    shown = format_table(result) + format_summary(result)
    assert not any((ord(c) < 32 and c != "\n") or 127 <= ord(c) < 160 for c in shown)
    assert "x\\x1b[31m\\x0afake  ~  y" in shown and "skipped z\\x07" in shown
    table = format_table(result).splitlines()
    assert len({len(line) for line in table[2:5]}) == 1  # the columns still line up


def _two_documents(id_a: str, id_b: str) -> ScanResult:
    from dedup import Document

    docs = {id_a: Document(id_a, "the wire copy, then more", "s1"), id_b: Document(id_b, "more; the wire copy", "s2")}
    p = Passage(Span(id_a, 0, 13), Span(id_b, 6, 19), 1.0, 1.0, 1.0, 9)
    return ScanResult([p], [Pair(id_a, id_b, 0.54, 0.68, 1.0, 1.0, 0.3, 0.3, 1, 13, 0.6)], docs, [], 1, 0)


def test_bidi_controls_in_an_id_are_escaped() -> None:
    """A right-to-left override in an id would show the rest of its row reversed (the scores after
    it read backwards): it is shown as an escape, as the C0 and C1 controls are."""
    from dedup.report import format_table

    shown = format_table(_two_documents("a\u202eevil", "b\u2067x\u2069"), width=100)
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in shown)
    assert "a\\u202eevil" in shown and "b\\u2067x\\u2069" in shown


@pytest.mark.parametrize("width", [80, 100, 120])
def test_long_ids_are_elided_to_the_terminal_width(width: int) -> None:
    """Ids of 150 characters made every row wider than the terminal: elided in the middle, the
    columns lined up by what a terminal shows (a wide character takes two columns)."""
    from dedup.report import format_table

    def _width(line: str) -> int:  # what a terminal shows: wide characters two columns
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    long_a, long_b = "a" * 140 + "-end-000001", "北京" * 70 + "-000002"
    table = format_table(_two_documents(long_a, long_b), width=width).splitlines()
    rows = table[2:5]
    assert all(_width(line) <= width for line in table), [(_width(line), line) for line in table]
    assert len({_width(line) for line in rows}) == 1  # the columns still line up
    assert "…" in rows[2] and rows[2].split("  ")[0].endswith("01")
    assert format_table(_two_documents("x", "y"), width=width).splitlines()[4].startswith("x  y  ")


def test_the_writers_check_what_they_are_given() -> None:
    # (before: a BytesIO failed with a TypeError after the first write, bom="no" wrote a mark,
    # width=-3 was taken, and cluster_documents=0 was worded as find_clusters' min_documents)
    import io

    from dedup.errors import InputError, ParameterError

    empty = scan([])
    for call, message in (
        (
            lambda: write_jsonl(empty, io.BytesIO()),
            r"stream must be a text stream \(open the file with 'w'\), got BytesIO",
        ),  # type: ignore[arg-type]
        (lambda: write_csv(empty, io.StringIO(), bom="no"), "bom must be True or False, got 'no'"),  # type: ignore[arg-type]
        (lambda: excerpt("abc", -3), "width must be a positive integer, got -3"),
        (lambda: format_table(empty, cluster_documents=0), "cluster_documents must be an integer of at least 2, got 0"),
        (lambda: format_table(empty, width=-1), "width must be a positive integer, got -1"),
        (lambda: format_table(empty, width="80"), "width must be a positive integer, got '80'"),  # type: ignore[arg-type]
        (lambda: format_table(empty, excerpt_width=0), "excerpt_width must be a positive integer, got 0"),
    ):
        with pytest.raises(ParameterError, match=message):
            call()
    line = (
        '{"type": "passage", "a": {"doc": "x", "start": 5, "end": 2}, "b": {"doc": "y", "start": 0, "end": 3}, '
        '"similarity": 1, "containment_a": 1, "containment_b": 1, "seeds": 1}'
    )
    with pytest.raises(InputError, match=r"f.jsonl:1: a field of a scan record is malformed \(a span needs 0 <= start"):
        parse_records([line], "f.jsonl")


def test_common_text_lines_show_controls_as_escapes() -> None:
    """The "too common" lines go to standard error in every format (not only after the table, which
    escaped them): an id or page chrome holding an escape sequence (clear screen) or a bidi override
    would drive or reorder the analyst's terminal."""
    from dedup.records import CommonText
    from dedup.report import common_lines

    common = [CommonText(Span("d0\u202e", 1, 40), 33, 2, "\u202efollow us\x1b[2J on X\u202c")]
    lines = common_lines(ScanResult([], [], {}, [], 0, 2, common=common))
    assert lines == ["  too common: d0\\u202e [1:40], 33 windows: «\\u202efollow us\\x1b[2J on X\\u202c»"]


@pytest.mark.parametrize("width", [60, 80, 100])
def test_excerpts_of_wide_characters_fit_the_terminal(width: int) -> None:
    """Excerpts were cut to a number of characters: a Chinese passage's took twice the columns, and
    its lines ran past the terminal's width and wrapped. They are cut to columns, as ids are."""
    comma = "\uff0c"  # (a full-width comma)
    text = f"国防部星期一表示{comma}目前没有从伊拉克撤出约两千五百名士兵的计划{comma}"
    text += "尽管巴格达上周宣布已开始结束联军任务的进程。"
    docs = {d: Document(d, text * 2, "新华社") for d in "xyz"}
    n = 2 * len(text)
    passages = [Passage(Span("x", 0, n), Span(d, 0, n), 1.0, 1.0, 1.0, 9) for d in "yz"]
    pairs = [Pair("x", d, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1, n, 1.0) for d in "yz"]
    table = format_table(ScanResult(passages, pairs, docs, [], 2, 0), width=width).splitlines()

    def columns(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    shown = [line for line in table if "国防部" in line]  # the passages' excerpts and the cluster members'
    assert len(shown) == 2 * 2 + 3
    assert all(columns(line) <= width and "…" in line for line in shown), max(shown, key=columns)
    # (an excerpt of narrow text keeps the room it had)
    latin = format_table(_two_documents("x", "y"), width=width, excerpt_width=40)
    assert "     a: the wire copy" in latin


@pytest.mark.parametrize("target", ["found.jsonl", Path("found.jsonl"), b"found.jsonl", 3])
def test_the_writers_refuse_a_path_or_a_non_stream_before_writing(target: object) -> None:
    """write_jsonl(result, "found.jsonl") and write_csv(..., Path(...)) failed with "'str' object has no attribute
    'write'" (write_csv after find_clusters had run), and write_html, which checked nothing, with the same after
    rendering the whole page, or with a TypeError on a binary stream."""
    from dedup.errors import ParameterError
    from dedup.html import write_html

    empty = scan([])
    said = r"^stream must be a text stream \(open the file with 'w'\), got "
    said += r"a path, 'found.jsonl': open\(path, \"w\", encoding=\"utf-8\"\)$" if target != 3 else "int$"
    for write in (write_jsonl, write_csv, write_html):
        with pytest.raises(ParameterError, match=said):
            write(empty, target)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"got BytesIO$"):
        write_html(empty, io.BytesIO())  # type: ignore[arg-type]


def test_parse_records_refuses_a_path_bytes_and_numbers_that_are_not_finite(tmp_path: Path) -> None:
    """parse_records("found.jsonl") iterated the path's characters and said line 1 was not valid JSON; a file opened
    "rb" failed with a bare TypeError; a NaN score (which json reads and write_jsonl never writes) was taken."""
    from dedup.errors import ParameterError

    path = tmp_path / "found.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        write_jsonl(_two_documents("x", "y"), stream)
    for target in (str(path), path):
        with pytest.raises(ParameterError, match=r"^lines must be the lines of a scan output .*got a path, '.*found"):
            parse_records(target)  # type: ignore[arg-type]
    with path.open("rb") as binary, pytest.raises(ParameterError, match=r"got bytes at <input>:1: open the file as"):
        parse_records(binary)  # type: ignore[arg-type]
    with path.open(encoding="utf-8") as stream:
        lines = stream.readlines()
    assert len(parse_records(lines).pairs) == 1
    for bad in ("NaN", "Infinity"):
        line = lines[0].replace('"score": ', f'"score": {bad}, "was": ')
        with pytest.raises(
            InputError,
            match=rf"^f:1: a field of a scan record is malformed \('score' must be a finite number, got {bad}\)$",
        ):
            parse_records([line], "f")


def test_the_reports_name_a_result_that_is_not_one() -> None:
    """find_clusters(result.passages), write_jsonl(pairs, ...) and the other reports failed with "'list' object has
    no attribute 'passages'" from inside them, naming neither the argument nor what it takes."""
    from dedup.errors import ParameterError
    from dedup.html import render_html, write_html
    from dedup.tables import to_arrow

    said = r"^result must be a dedup\.ScanResult \(what dedup\.scan returns\), got list$"
    for call in (
        lambda: find_clusters([]),  # type: ignore[arg-type]
        lambda: write_jsonl([], io.StringIO()),  # type: ignore[arg-type]
        lambda: write_csv([], io.StringIO()),  # type: ignore[arg-type]
        lambda: format_table([]),  # type: ignore[arg-type]
        lambda: render_html([]),  # type: ignore[arg-type]
        lambda: write_html([], io.StringIO()),  # type: ignore[arg-type]
        lambda: to_arrow([]),  # type: ignore[arg-type]
    ):
        with pytest.raises(ParameterError, match=said):
            call()


@settings(max_examples=200)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=8),
    st.lists(st.integers(0, 7), max_size=40),
    st.integers(0, 100),
)
def test_recent_documents_are_the_documents_within_their_budget(
    lengths: list[int], lookups: list[int], chars: int
) -> None:
    """A report's cache of documents answers every lookup as the documents do, keeps the last one
    looked up, and holds no more than its budget of characters beyond that one."""
    from dedup.report import _Recent

    docs = {f"d{k}": Document(f"d{k}", "x" * n) for k, n in enumerate(lengths)}
    recent = _Recent(docs, chars=chars)
    for k in lookups:
        doc_id = f"d{k % len(lengths)}"
        assert recent[doc_id] == docs[doc_id]
        assert doc_id in recent.kept
        assert recent.held == sum(len(d.text) for d in recent.kept.values())
        assert recent.held <= chars or len(recent.kept) == 1
    assert len(recent) == len(docs) and list(recent) == list(docs)
