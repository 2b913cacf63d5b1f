"""The scan as a library call: configuration checks, accounting of documents, source rules, scores."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

import dedup
from dedup import Document, ScanConfig, scan
from dedup.errors import InputError, ParameterError
from dedup.pairs import pair_rank
from dedup.score import span_scores

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

WIRE = (
    "The defence ministry said on Monday it had no plans to withdraw its 2,500 troops from the country, "
    "despite the announcement last week that talks on ending the coalition mission would begin soon. "
    "A spokesman told reporters the forces remained at the invitation of the government and would keep "
    "their focus on the mission against the militant group."
)


def filler(seed: int, words: int = 60) -> str:
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(400)
    ]
    return " ".join(rng.choice(vocabulary) for _ in range(words)) + ". "


def test_config_checks_name_parameter_rule_and_value() -> None:
    with pytest.raises(ParameterError, match=r"window \(100\) must be a multiple of stride \(32\)"):
        ScanConfig(window=100, stride=32)
    with pytest.raises(ParameterError, match="ngram must be a positive integer, got 0"):
        ScanConfig(ngram=0)
    with pytest.raises(ParameterError, match=r"threshold must be strictly between 0 and 1, got 1\.2"):
        ScanConfig(threshold=1.2)
    with pytest.raises(ParameterError, match="profile must be one of"):
        ScanConfig(profile="klingon")
    with pytest.raises(ParameterError, match="unknown scan parameter"):
        ScanConfig().replace(bogus=1)


def test_shared_passage_found_at_raw_offsets_across_sources() -> None:
    a = filler(1) + WIRE + " " + filler(2)
    b = filler(3) + WIRE.replace("Monday", "MONDAY,") + " " + filler(4)
    result = scan([Document("a", a, source="x"), Document("b", b, source="y")])
    assert len(result.passages) == 1
    p = result.passages[0]
    # Spans run from the first word's first letter to the last word's last letter: the full stop
    # after "group" is punctuation outside the words and stays out.
    assert (p.a.start, p.a.end) == (a.index(WIRE), a.index(WIRE) + len(WIRE) - 1)
    assert p.b.slice(b).startswith("The defence ministry") and p.b.slice(b).endswith("militant group")
    assert p.similarity > 0.9
    pair = result.pairs[0]
    assert (pair.a, pair.b, pair.passages) == ("a", "b", 1)
    assert pair.coverage_a == pytest.approx((len(WIRE) - 1) / len(a))
    assert 0 < pair.jaccard < 0.5 and abs(pair.jaccard - pair.jaccard_estimate) < 0.15


def test_same_source_pairs_are_compared_only_when_asked() -> None:
    docs = [
        Document("a", filler(1) + WIRE + " " + filler(2), source="reuters"),
        Document("b", filler(3) + WIRE + " " + filler(4), source="reuters"),
    ]
    assert scan(docs).passages == []
    assert len(scan(docs, ScanConfig(same_source=True)).passages) == 1


def test_documents_without_source_are_their_own_source() -> None:
    docs = [Document("a", filler(1) + WIRE), Document("b", WIRE + " " + filler(4))]
    assert len(scan(docs).pairs) == 1


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_source_is_no_source(blank: str, tmp_path: Path) -> None:
    # JSONL's "source": "" means what a CSV's empty cell means: no source (before: every document
    # with "" was of one outlet "", and their pairs were never compared).
    docs = [Document("a", filler(1) + WIRE, source=blank), Document("b", WIRE + " " + filler(4), source=blank)]
    assert docs[0].source is None and docs[0].outlet != docs[1].outlet
    assert len(scan(docs).pairs) == 1
    jsonl, csv = tmp_path / "docs.jsonl", tmp_path / "docs.csv"
    jsonl.write_text("".join(json.dumps({"id": d.id, "text": d.text, "source": blank}) + "\n" for d in docs), "utf-8")
    csv.write_text("id,text,source\n" + "".join(f'{d.id},"{d.text}",{blank}\n' for d in docs), "utf-8")
    assert [len(scan(dedup.read_documents([path])).pairs) for path in (jsonl, csv)] == [1, 1]


def test_unrelated_documents_share_nothing() -> None:
    docs = [Document(str(i), filler(i, 200), source=str(i)) for i in range(6)]
    result = scan(docs)
    assert result.passages == [] and result.pairs == []
    assert len(result.documents) == 6 and result.read == 6


def test_bad_documents_raise_or_are_accounted_for() -> None:
    docs = [
        Document("ok", filler(1) + WIRE),
        Document("short", "too short"),
        Document("empty", "  \u200f "),
        Document("ok", "duplicate id " + WIRE),
    ]
    with pytest.raises(InputError, match=r"document 'ok': duplicate id"):
        scan(docs)  # malformed: an error unless skip_bad
    with pytest.raises(InputError, match=r"document 'short': too short \(9 normalised characters\)"):
        scan(docs, ScanConfig(strict=True))  # too short: skipped unless strict
    result = scan(docs[:3])
    assert list(result.documents) == ["ok"]
    assert [(s.id, s.kind) for s in result.skipped] == [("short", "too short"), ("empty", "empty")]
    result = scan(docs, ScanConfig(skip_bad=True))
    assert list(result.documents) == ["ok"]
    assert [(s.id, s.reason.split(":")[0].split(" (")[0]) for s in result.skipped] == [
        ("short", "too short"),
        ("empty", "empty"),
        ("ok", "duplicate id"),
    ]
    assert result.read == len(docs)


def test_sketch_and_jaccard_from_the_top_level() -> None:
    sigs = dedup.sketch([WIRE, WIRE.upper(), filler(9)])
    assert sigs.shape == (3, 128)
    assert dedup.jaccard(sigs[0], sigs[1]) == 1.0  # case folding makes them the same text
    assert dedup.jaccard(sigs[0], sigs[2]) < 0.1


def _crowded(n: int = 8) -> list[Document]:
    """Documents of different outlets that all share one wire story: every pair is a candidate."""
    return [Document(f"d{i}", filler(i) + WIRE + " " + filler(100 + i), source=f"s{i}") for i in range(n)]


@pytest.mark.parametrize("budget", [1, 2, 3])
def test_budget_every_candidate_is_aligned_or_counted(budget: int) -> None:
    docs = _crowded()
    totals: list[int] = []

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "alignments" and total is not None:
            totals.append(total)

    full = scan(docs, ScanConfig(max_candidates=0))
    assert full.unaligned == 0 and full.aligned == full.candidates == 28
    limited = scan(docs, ScanConfig(max_candidates=budget), progress=progress)
    assert limited.candidates == full.candidates
    assert limited.unaligned > 0
    assert limited.aligned + limited.unaligned == limited.candidates
    assert totals and totals[-1] == limited.aligned <= budget * len(docs)
    # What was aligned is what the full scan found on those pairs: no passage is changed, only skipped.
    found = {(p.a, p.b) for p in limited.pairs}
    assert found <= {(p.a, p.b) for p in full.pairs}
    assert [p for p in full.passages if (p.a.doc, p.b.doc) in found] == limited.passages


def test_budget_is_reported_in_the_summaries() -> None:
    import io

    from dedup.report import format_summary, summary_record, write_jsonl

    result = scan(_crowded(), ScanConfig(max_candidates=1))
    record = summary_record(result)
    assert record["unaligned"] == result.unaligned > 0
    assert record["candidates"] == result.candidates
    assert f"{result.unaligned} left unaligned by the per-document budget" in format_summary(result)
    out = io.StringIO()
    write_jsonl(result, out)
    assert f'"unaligned": {result.unaligned}' in out.getvalue().splitlines()[-1]


def test_budget_larger_than_every_degree_changes_nothing() -> None:
    docs = _crowded()
    assert scan(docs, ScanConfig(max_candidates=7)).passages == scan(docs, ScanConfig(max_candidates=0)).passages
    assert scan(docs, ScanConfig(max_candidates=7)).unaligned == 0


@pytest.mark.parametrize("value", [-1, 1.5, True, "4"])
def test_max_candidates_is_checked(value: object) -> None:
    with pytest.raises(ParameterError, match=r"max_candidates must be (an integer|at least 0)"):
        ScanConfig(max_candidates=value)  # type: ignore[arg-type]


def test_jaccard_estimate_is_the_minhash_estimate_of_the_two_whole_documents() -> None:
    texts = {p.name[:3]: p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    result = scan([Document(k, v) for k, v in texts.items()])
    cfg = result.config
    top = result.pairs[0]
    assert (top.a, top.b) == ("000", "001")
    # Golden (docs/jsonl.md shows it): the estimate, not the exact Jaccard (0.16296953564034308).
    assert top.jaccard_estimate == 0.1484375
    assert top.jaccard == pytest.approx(0.16296953564034308)
    # Every reported pair's estimate is dedup.jaccard of the two documents' signatures, computed apart.
    ids = list(texts)
    signatures = dedup.sketch(
        [texts[i] for i in ids], ngram=cfg.ngram, num_perm=cfg.num_perm, seed=cfg.seed, profile=cfg.profile
    )
    for pair in result.pairs:
        want = dedup.jaccard(signatures[ids.index(pair.a)], signatures[ids.index(pair.b)])
        assert pair.jaccard_estimate == want, (pair.a, pair.b)


def _normalized_span(text: str, start: int, end: int, profile: str) -> tuple[dedup.Normalized, int, int]:
    """The normalised text and the normalised span of the raw span [start, end)."""
    n = dedup.normalize(text, profile=profile)
    return n, int(np.searchsorted(n.offsets, start)), int(np.searchsorted(n.offsets, end))


def test_passage_containments_are_each_sides_share_of_its_span() -> None:
    # A brief ran the agency's paragraph with every sixth word cut: the agency's span holds n-grams
    # the brief's lacks, so the agency side is contained far less (containment_a) than the brief's.
    agency = filler(1, 300) + WIRE + " " + filler(2, 300)
    words = WIRE.split(" ")
    brief = filler(3, 20) + " ".join(w for k, w in enumerate(words) if k % 6 != 5) + " " + filler(4, 10)
    docs = [Document("agency", agency, source="wire"), Document("brief", brief, source="paper")]
    result = scan(docs)
    cfg = result.config
    (p,) = result.passages
    assert (p.a.doc, p.b.doc) == ("agency", "brief")
    na, a0, a1 = _normalized_span(agency, p.a.start, p.a.end, cfg.profile)
    nb, b0, b1 = _normalized_span(brief, p.b.start, p.b.end, cfg.profile)
    shingled_a, shingled_b = dedup.shingle(na.text, cfg.ngram), dedup.shingle(nb.text, cfg.ngram)
    similarity, in_a, in_b = span_scores(shingled_a, a0, a1, shingled_b, b0, b1)
    assert in_b - in_a > 0.1  # the asymmetric case: a swap of the two would show
    assert (p.similarity, p.containment_a, p.containment_b) == pytest.approx((similarity, in_a, in_b), abs=1e-12)
    (pair,) = result.pairs
    assert pair.containment_b - pair.containment_a > 0.1  # and so is the whole pair's


def test_pairs_are_ranked_by_score_then_ids() -> None:
    # Outlets carry the wire with more or less of their own text around it: pairs of different
    # scores. "t2" and "t1" hold one text, "k9" and "k8" another: each two are a pair of score 1,
    # and their pairs with each other and with the rest tie. Ids run against input order, so the
    # ranking is neither input order nor id order.
    def carrying(k: int, words: int) -> str:
        return filler(10 + k, words) + WIRE + " " + filler(20 + k, words)

    docs = [
        Document("z5", carrying(5, 20), source="s5"),
        Document("t2", carrying(2, 150), source="s2"),
        Document("t1", carrying(2, 150), source="s1"),
        Document("k9", carrying(3, 60), source="s3"),
        Document("k8", carrying(3, 60), source="s6"),
        Document("b4", carrying(4, 300), source="s4"),
    ]
    result = scan(docs)
    got = [(p.a, p.b) for p in result.pairs]
    assert len(got) == 15
    assert [pair_rank(p) for p in result.pairs] == [(-p.score, p.a, p.b) for p in result.pairs]
    assert result.pairs == sorted(result.pairs, key=lambda p: (-p.score, p.a, p.b))
    assert len({p.score for p in result.pairs}) >= 6  # different overlaps
    assert got[:2] == [("k9", "k8"), ("t2", "t1")]  # score 1 both: a tie, broken by a
    ties = [(a, b) for a, b in got if a in ("t2", "t1") and b in ("k9", "k8")]
    assert ties == [("t1", "k8"), ("t1", "k9"), ("t2", "k8"), ("t2", "k9")]  # by a, then by b
    assert len({p.score for p in result.pairs if (p.a, p.b) in ties}) == 1
    assert [(a, b) for a, b in got if a == "z5" and b in ("t2", "t1")] == [("z5", "t1"), ("z5", "t2")]
    order = {d.id: k for k, d in enumerate(docs)}
    assert got != sorted(got, key=lambda ab: (order[ab[0]], order[ab[1]]))
