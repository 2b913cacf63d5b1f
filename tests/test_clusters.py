"""Tests for dedup.clusters: reuse clusters over a scan's passages, and their likely origin."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from references import linked_components

from dedup import Document, ScanResult, scan
from dedup.clusters import Cluster, find_clusters, parse_date, passage_clusters, wire_agency
from dedup.dates import period, precedes, read_date
from dedup.errors import ParameterError
from dedup.records import Passage, Span

WIRE = (
    "قالت وزارة الدفاع الأمريكية يوم الاثنين إنها لا تخطط حاليا لسحب قواتها البالغ عددها نحو 2500 جندي من "
    "العراق، على الرغم من إعلان بغداد الأسبوع الماضي أنها بدأت عملية تهدف إلى إنهاء مهمة التحالف العسكري "
    "الدولي الذي تقوده الولايات المتحدة في البلاد. وقال المتحدث باسم الوزارة للصحفيين إنه ليس لديه علم بأي "
    "خطط للانسحاب، وإن القوات موجودة في العراق بدعوة من الحكومة لمواصلة مهمة هزيمة تنظيم داعش."
)


def filler(seed: int, words: int = 60) -> str:
    """Arabic-looking text that no other document shares."""
    rng = random.Random(seed)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    return " ".join("".join(rng.choice(letters) for _ in range(rng.randint(3, 7))) for _ in range(words)) + ". "


def corpus(dates: bool = True, wire_source: str = "Reuters") -> list[Document]:
    """Four outlets: one paragraph travels from the wire copy through three others, lightly edited;
    and 36 unrelated articles."""
    rows = [
        ("wire", WIRE, wire_source, "2024-01-22T08:00:00Z"),
        ("first", WIRE.replace("يوم الاثنين", "الاثنين"), "outlet-a", "2024-01-22T10:00:00+00:00"),
        ("second", WIRE[:300], "outlet-b", "2024-01-23"),
        ("third", WIRE.replace("للصحفيين", "لوسائل الإعلام"), "outlet-c", "2024-01-24"),
    ]
    travelling = [
        Document(doc_id, filler(2 * k) + text + " " + filler(2 * k + 1), source, date if dates else None)
        for k, (doc_id, text, source, date) in enumerate(rows)
    ]
    # Unrelated articles around them.
    others = [Document(f"other-{k:02d}", filler(100 + k, 90), f"site-{k}") for k in range(36)]
    return travelling + others


@pytest.fixture(scope="module")
def dated() -> ScanResult:
    return scan(corpus())


def test_one_cluster_through_four_documents(dated: ScanResult) -> None:
    clusters = find_clusters(dated)
    assert len(clusters) == 1
    cluster = clusters[0]
    assert cluster.id == 1
    assert cluster.documents == 4
    assert [m.doc for m in cluster.members] == ["first", "second", "third", "wire"]
    for member in cluster.members:
        text = member.slice(dated.documents[member.doc].text)
        assert "2500" in text  # each member is the travelling paragraph, not filler


def test_origin_is_the_earliest_date(dated: ScanResult) -> None:
    cluster = find_clusters(dated)[0]
    assert cluster.origin is not None and cluster.origin.doc == "wire"
    assert cluster.origin_reason.startswith("earliest date (2024-01-22T08:00:00Z)")


def test_origin_without_dates_is_the_wire_agency() -> None:
    cluster = find_clusters(scan(corpus(dates=False, wire_source="وكالة رويترز")))[0]
    assert cluster.origin is not None and cluster.origin.doc == "wire"
    assert "wire agency" in cluster.origin_reason and "Reuters" in cluster.origin_reason


def test_origin_without_dates_or_agency_is_the_most_containing_copy() -> None:
    # "second" holds only the first 300 characters: it is contained in the others, not they in it.
    cluster = find_clusters(scan(corpus(dates=False, wire_source="outlet-w")))[0]
    assert cluster.origin is not None and cluster.origin.doc != "second"
    assert cluster.origin_reason.startswith("most contained")


def test_min_documents(dated: ScanResult) -> None:
    assert find_clusters(dated, min_documents=5) == []
    assert len(find_clusters(dated, min_documents=2)) == 1
    with pytest.raises(ParameterError):
        find_clusters(dated, min_documents=1)
    with pytest.raises(ParameterError):
        find_clusters(dated, min_overlap=0.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_documents": None}, "^min_documents must be an integer of at least 2, got None$"),  # (was: TypeError)
        ({"min_documents": 2.5}, r"^min_documents must be an integer of at least 2, got 2\.5$"),  # (was: accepted)
        ({"min_documents": True}, "^min_documents must be an integer of at least 2, got True$"),
        ({"min_documents": 1}, "^min_documents must be an integer of at least 2, got 1$"),
        ({"min_overlap": 0.0}, r"^min_overlap must be greater than 0 and at most 1, got 0\.0$"),
        ({"min_overlap": 1.5}, r"^min_overlap must be greater than 0 and at most 1, got 1\.5$"),
        ({"min_overlap": float("nan")}, "^min_overlap must be a finite number, got nan$"),  # (was: accepted)
        ({"min_overlap": "0.5"}, "^min_overlap must be a finite number, got '0.5'$"),
    ],
)
def test_bad_parameters_are_named(dated: ScanResult, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        find_clusters(dated, **kwargs)  # type: ignore[arg-type]


def test_numpy_integers_are_integers(dated: ScanResult) -> None:
    import numpy as np

    assert find_clusters(dated, min_documents=np.int64(2)) == find_clusters(dated, min_documents=2)  # type: ignore[arg-type]


def test_every_passage_of_the_corpus_is_in_the_cluster(dated: ScanResult) -> None:
    clusters = find_clusters(dated)
    assert passage_clusters(dated.passages, clusters) == [1] * len(dated.passages)


def docs(*ids: str, date: str | None = None) -> dict[str, Document]:
    return {d: Document(d, "x" * 1000, source=d, date=date) for d in ids}


def passage(a: Span, b: Span, ca: float = 1.0, cb: float = 1.0) -> Passage:
    return Passage(a, b, 0.9, ca, cb, 5)


def test_small_overlap_keeps_members_apart() -> None:
    # b[0:100] and b[90:190] overlap by 10 characters, far less than half: two separate passages.
    result = ScanResult(
        [passage(Span("a", 0, 100), Span("b", 0, 100)), passage(Span("b", 90, 190), Span("c", 0, 100))],
        [],
        docs("a", "b", "c"),
        [],
        2,
        0,
    )
    assert find_clusters(result) == []
    joined = ScanResult(
        [passage(Span("a", 0, 100), Span("b", 0, 100)), passage(Span("b", 40, 140), Span("c", 0, 100))],
        [],
        docs("a", "b", "c"),
        [],
        2,
        0,
    )
    (cluster,) = find_clusters(joined)
    assert cluster.members == [Span("a", 0, 100), Span("b", 0, 140), Span("c", 0, 100)]


def test_identical_copies_have_no_origin() -> None:
    a, b, c = Span("a", 0, 100), Span("b", 0, 100), Span("c", 0, 100)
    result = ScanResult([passage(a, b), passage(b, c), passage(a, c)], [], docs("a", "b", "c"), [], 3, 0)
    (cluster,) = find_clusters(result)
    assert cluster.origin is None and cluster.origin_reason.startswith("undetermined")


def test_ordering_is_deterministic() -> None:
    spans = [Span(d, s, s + 100) for d in "abcd" for s in (0, 500)]
    found = [passage(spans[i], spans[j]) for i in range(len(spans)) for j in range(i + 1, len(spans))]
    found = [p for p in found if p.a.start == p.b.start and p.a.doc != p.b.doc]
    small = [passage(Span("e", 0, 100), Span("f", 0, 100)), passage(Span("f", 0, 100), Span("g", 0, 100))]
    result = ScanResult(found + small, [], docs(*"abcdefg"), [], 0, 0)
    first = find_clusters(result)
    shuffled = ScanResult(list(reversed(found + small)), [], docs(*"abcdefg"), [], 0, 0)
    assert find_clusters(shuffled) == first
    assert [(c.id, c.documents) for c in first] == [(1, 4), (2, 4), (3, 3)]
    assert first[0].members[0] == Span("a", 0, 100)


def test_wire_agency_names() -> None:
    assert wire_agency("RTRS") == "Reuters"
    assert wire_agency("أ ف ب") == "AFP"
    assert wire_agency("Agence France-Presse") == "AFP"
    assert wire_agency("AP News") == "AP"
    assert wire_agency("Japan Times") is None  # "ap" only as a whole word
    assert wire_agency("") is None


def test_parse_date() -> None:
    assert parse_date("2024-01-22") is not None
    assert parse_date("2024-01-22T08:00:00+03:00") < parse_date("2024-01-22T06:00:00Z")  # type: ignore[operator]
    assert parse_date("yesterday") is None
    assert parse_date(None) is None


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-22+02:00",  # a day with a zone (XML Schema's xs:date): was 02:00 UTC
        "2024-01-22-05:00",  # was 05:00 UTC
        "20240122+0200",
        "2024-01-22x06:10",  # Python takes any one character between the day and the time
        "2024-W04",  # a week: was read as its Monday
        "2024W04",
        "2024-W04T06:10",  # a time in a week: was Monday 06:10
        "2024-13",  # no month
        "0000",  # no year
    ],
)
def test_a_date_that_names_no_day_or_no_time_of_a_day_is_not_read(value: str) -> None:
    # Each was read as a day or an instant it does not name, and ordered documents by it unsaid.
    assert parse_date(value) is None and math.isnan(period(value)[0])
    # (A week is ISO 8601 too, and no day, month or year: the reason says what is read.)
    assert read_date(value)[1] == (
        f"date {value!r} cannot be read: expected an ISO 8601 day or time (2024-01-31, 2024-01-31T14:30:00+02:00),"
        " year or month (1877, 1950-05), or day.month.year (31.01.2024)"
    )


def test_a_year_or_a_month_alone_is_its_whole_period() -> None:
    """A work dated by its year (a library's catalogue: 1877) or its month (1950-05) was not read, and a literary
    corpus had no origin by date: each is now its whole year or month, ordered against periods it does not overlap
    (as a day is its whole day). The last day a datetime holds (9999-12-31) was an OverflowError in every scan."""
    assert parse_date("1877") == parse_date("1877-01-01") and parse_date("1950-05") == parse_date("1950-05-01")
    assert period("1877") == (period("1877-01-01")[0], period("1878-01-01")[0])
    assert period("1950-02") == (period("1950-02-01")[0], period("1950-03-01")[0])
    assert period("٢٠٢٤-٠٢") == period("2024-02")  # (digits of any script)
    assert precedes(*period("1877"), *period("1878-01-01")) and not precedes(*period("1877"), *period("1877-12-31"))
    assert not precedes(*period("1950-05"), *period("1950-05-31T23:00Z"))
    assert precedes(*period("1950-04"), *period("1950-05"))
    assert period("9999")[1] == period("9999-12-31")[1] == period("9999-12-31")[0] + 86400
    quote = "Sing, O goddess, the anger of Achilles son of Peleus, that brought countless ills upon the Achaeans. " * 2
    docs = [
        Document("commentary", "A later reading. " + quote + "So the poem begins.", source="c", date="1890"),
        Document("iliad", quote + "Many a brave soul did it send hurrying down to Hades.", source="i", date="1877"),
        Document("notes", "Notes on the opening. " + quote, source="n", date="9999-12-31"),
    ]
    [cluster] = find_clusters(scan(docs))
    assert cluster.origin is not None and cluster.origin.doc == "iliad" and cluster.origin_reason.startswith("earliest")


_ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x660 + d) for d in range(10)))


@pytest.mark.parametrize(
    ("value", "read", "day"),
    [
        ("2024-01-22", "2024-01-22T00:00:00+00:00", True),
        ("20240122", "2024-01-22T00:00:00+00:00", True),
        ("2024-W04-1", "2024-01-22T00:00:00+00:00", True),
        ("2024W041", "2024-01-22T00:00:00+00:00", True),
        ("22.01.24", "2024-01-22T00:00:00+00:00", True),
        ("2024-01-22T06:10", "2024-01-22T06:10:00+00:00", False),
        ("2024-01-22 06:10:00.5Z", "2024-01-22T06:10:00.500000+00:00", False),
        ("20240122T0610+0200", "2024-01-22T06:10:00+02:00", False),
        ("2024-W04-1T06:10Z", "2024-01-22T06:10:00+00:00", False),
        # Arabic-Indic digits, in ISO 8601 as in the dotted form
        ("2024-01-22".translate(_ARABIC_INDIC), "2024-01-22T00:00:00+00:00", True),
        ("22.01.2024".translate(_ARABIC_INDIC), "2024-01-22T00:00:00+00:00", True),
        ("2024-01-22T06:10Z".translate(_ARABIC_INDIC), "2024-01-22T06:10:00+00:00", False),
    ],
)
def test_the_forms_of_a_day_and_of_a_time_read(value: str, read: str, day: bool) -> None:
    assert str(parse_date(value).isoformat()) == read  # type: ignore[union-attr]
    assert math.isnan(period(value)[1]) is not day


def test_a_dotted_date_with_two_digits_of_year_is_in_the_century_strptime_gives() -> None:
    # '22.01.99' was 2099: a 1999 archive story came after every story of this century. Two digits
    # of year are 1969-2068, as Python's strptime("%y") and POSIX read them.
    assert [parse_date(v).year for v in ("22.01.99", "22.01.69", "22.01.68", "01.12.14", "1.1.00")] == [  # type: ignore[union-attr]
        1999,
        1969,
        2068,
        2014,
        2000,
    ]
    assert precedes(*period("22.01.99"), *period("2024-01-22T06:10Z"))


_DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
_DATES = st.one_of(
    _DAYS.map(date.isoformat),
    _DAYS.map(lambda d: d.strftime("%d.%m.%Y")),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)).map(
        datetime.isoformat
    ),
    st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2060, 12, 30)).map(datetime.isoformat),
)


@given(_DATES, _DATES)
def test_dates_order_as_periods(x: str, y: str) -> None:
    # Never both ways; a day and a time within it (or two equal instants) neither way; otherwise
    # the one whose period ends first, wholly before the other's start: two days as UTC days, a
    # day against a time as that day in any zone (from 14 hours before its UTC start, UTC+14, to
    # 12 hours after its UTC end, UTC-12).
    (xs, xu), (ys, yu) = period(x), period(y)
    x_first, y_first = precedes(xs, xu, ys, yu), precedes(ys, yu, xs, xu)
    assert not (x_first and y_first)
    days = not math.isnan(xu) and not math.isnan(yu)

    def span(start: float, until: float) -> tuple[float, float]:
        if math.isnan(until):
            return start, start
        return (start, until) if days else (start - 14 * 3600, until + 12 * 3600)

    (x0, x1), (y0, y1) = span(xs, xu), span(ys, yu)
    # (A day's end is exclusive; an instant at another period's start is within it.)
    assert x_first == (x1 <= y0 if not math.isnan(xu) else x0 < y0)
    assert y_first == (y1 <= x0 if not math.isnan(yu) else y0 < x0)
    assert (x_first or y_first) != (x0 <= y0 < x1 or y0 <= x0 < y1 or x0 == y0)  # unordered: they overlap
    # A day ends at the next day's first instant; a time (after "T") is an instant.
    assert xs == parse_date(x).timestamp()  # type: ignore[union-attr]
    assert math.isnan(xu) == ("T" in x)
    assert math.isnan(xu) or xu == (parse_date(x) + timedelta(days=1)).timestamp()  # type: ignore[operator]


def test_a_day_holds_the_times_within_it_in_any_zone() -> None:
    day, morning = period("2024-01-22"), period("2024-01-22T06:10:00+02:00")  # 04:10 UTC, within the day
    assert not precedes(*day, *morning) and not precedes(*morning, *day)
    assert not precedes(*period("2024-01-22T08:00:00+03:00"), *day)  # 05:00 UTC: within it
    # New York's evening is the next day in UTC, and still the day given there; Auckland's
    # morning is the day before in UTC, and the day given there.
    assert not precedes(*day, *period("2024-01-22T21:00:00-05:00"))
    assert not precedes(*period("2024-01-22T07:00:00+13:00"), *day)
    # Past it in every zone (UTC-12 ends it at 12:00 UTC the next day; UTC+14 starts it 14 hours early).
    assert precedes(*day, *period("2024-01-23T12:00:00Z")) and not precedes(*day, *period("2024-01-23T11:59:59Z"))
    assert precedes(*period("2024-01-21T09:59:59Z"), *day) and not precedes(*period("2024-01-21T10:00:00Z"), *day)
    # Two days are ordered as days.
    assert precedes(*period("2024-01-21"), *day) and precedes(*day, *period("23.01.24"))
    assert not precedes(*day, *period("22.01.24")) and not precedes(*period("22.01.24"), *day)


@pytest.mark.parametrize("value", [5, 0, b"2024-01-22", 20240122.0, ["2024-01-22"]])
def test_a_date_that_is_not_a_string_is_a_parameter_error(value: object) -> None:
    # (Was a raw AttributeError, or, for a falsy value such as 0, None as if no date were given.)
    message = f"^value must be a string or None, got {type(value).__name__}$"
    with pytest.raises(ParameterError, match=message):
        parse_date(value)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=message):
        read_date(value)  # type: ignore[arg-type]


def test_cluster_is_a_frozen_record() -> None:
    cluster = Cluster(1, [Span("a", 0, 1)], None, "r", 1)
    with pytest.raises(AttributeError):
        cluster.id = 2  # type: ignore[misc]


def test_copies_that_differ_only_in_spacing_have_no_origin() -> None:
    """Three copies of one paragraph, one with a space before each "،", one with doubled spaces
    after each ". ": none holds more text, so none is the origin (not the one with most spaces)."""
    paragraph = WIRE + " " + WIRE[:280] + "."
    copies = [
        ("plain", paragraph),
        ("spaced", paragraph.replace("،", " ،")),
        ("doubled", paragraph.replace(". ", ".  ")),
    ]
    assert all(text != paragraph for _, text in copies[1:])
    docs = [
        Document(doc_id, filler(2 * k) + text + " " + filler(2 * k + 1), f"outlet-{k}")
        for k, (doc_id, text) in enumerate(copies)
    ]
    docs += [Document(f"other-{k:02d}", filler(100 + k, 90), f"site-{k}") for k in range(12)]
    (cluster,) = find_clusters(scan(docs))
    assert cluster.documents == 3
    assert cluster.origin is None and cluster.origin_reason.startswith("undetermined"), cluster


def test_a_copy_holding_more_than_the_others_is_still_the_origin() -> None:
    """Containment evidence more than TIE apart still decides: the full text over two parts of it."""
    b, c = Span("b", 0, 120), Span("c", 0, 140)
    found = [
        passage(Span("a", 0, 120), b),
        passage(Span("a", 60, 200), c),
        passage(Span("b", 60, 120), Span("c", 0, 60)),
    ]
    (cluster,) = find_clusters(ScanResult(found, [], docs("a", "b", "c"), [], 3, 0))
    assert cluster.origin == Span("a", 0, 200) and cluster.origin_reason.startswith("most contained")


class _CountingDocuments(dict[str, Document]):
    """A scan's documents that count how often each is looked up (a DocumentStore reads its text back each time)."""

    def __init__(self, documents: dict[str, Document]) -> None:
        super().__init__(documents)
        self.lookups: dict[str, int] = {}

    def __getitem__(self, doc: str) -> Document:
        self.lookups[doc] = self.lookups.get(doc, 0) + 1
        return super().__getitem__(doc)


@pytest.mark.parametrize("dates", [True, False])
def test_origins_look_each_document_up_at_most_twice(dates: bool) -> None:
    """Each document of a cluster is read once for its date and source, and once more for the text
    of its members' spans (the letters rule 3 weighs), however many clusters and passages hold it:
    a scan's documents read each text back from a temporary file."""
    documents = {f"d{k}": Document(f"d{k}", "x" * 2000, source=f"s{k}", date=f"2024-01-0{1 + k % 2}" if dates else None)
                 for k in range(6)}  # fmt: skip
    passages = [
        Passage(Span(f"d{i}", 100 * n, 100 * n + 90), Span(f"d{j}", 100 * n, 100 * n + 90), 0.9, 0.9, 0.9, 5)
        for n in range(8)
        for i in range(6)
        for j in range(i + 1, 6)
    ]
    counting = _CountingDocuments(documents)
    clusters = find_clusters(ScanResult(passages, [], counting, [], len(passages), 0))
    assert len(clusters) == 8 and all(c.documents == 6 for c in clusters)
    assert counting.lookups and max(counting.lookups.values()) <= 2, counting.lookups
    # The same clusters and origins as with the documents looked up freely.
    assert clusters == find_clusters(ScanResult(passages, [], documents, [], len(passages), 0))


@given(
    spans=st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 60), st.integers(1, 40)), min_size=1, max_size=60),
    copies=st.lists(st.integers(0, 59), max_size=40),
    min_overlap=st.sampled_from([0.01, 0.3, 0.5, 0.9, 1.0]),
)
def test_members_are_the_components_of_every_overlap(
    spans: list[tuple[str, int, int]], copies: list[int], min_overlap: float
) -> None:
    """Sides that are the same span count once in the sweep: the members are still the connected
    components of every pair of sides of one document that overlap by ``min_overlap``, each
    numbered by its first side."""
    from dedup.clusters import _members, _same_member

    sides = [Span(doc, start, start + length) for doc, start, length in spans]
    sides += [sides[k % len(sides)] for k in copies]  # (a document carrying one span for many outlets)
    # (the later side first, as the sweep compares them)
    roots = linked_components(
        len(sides), lambda i, j: sides[j].doc == sides[i].doc and _same_member(sides[j], sides[i], min_overlap)
    )
    assert _members(sides, min_overlap) == roots
