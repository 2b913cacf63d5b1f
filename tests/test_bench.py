"""The benchmark script runs end to end on a tiny synthetic corpus and writes every field."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def run_bench(*argv: str, timeout: int = 600, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``benchmarks/bench.py`` run with ``argv`` in a fresh process, its output captured."""
    command = [sys.executable, str(BENCH), *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)


def test_bench_tiny_corpus_writes_every_stage_and_ratio(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = run_bench(
        "--synthetic",
        "50",
        "--repeats",
        "1",
        "--no-memory",
        "--json",
        str(out),
        "--scaling",
        "20,40",
        "--signature-rounds",
        "1",
        "--threads",
        "1",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"cpu", "cores", "memory_bytes", "vector", "llvm_cpu"} <= set(data["machine"])
    assert data["versions"]["datasketch"] and data["versions"]["numba"]
    table = data["table"]
    assert table["documents"] == 50
    assert set(table["stages"]) == {"normalise", "shingle", "sketch", "lsh", "align", "score", "write"}
    for row in table["rows"]:
        assert row["seconds"] > 0 and row["docs_per_s"] > 0
    assert {
        "signature_text_vs_bulk_sha1",
        "signature_text_vs_bulk_xxh32",
        "lsh_documents_vs_minhashlsh",
        "scan_vs_datasketch_pipeline",
    } <= set(table["ratios"])
    assert table["bit_exact_with_datasketch"] is True
    assert {"hashing_floor_vs_bulk_xxh32", "signature_over_hashing_floor", "signature_over_scalar_floor"} <= set(
        table["ratios"]
    )
    rounds = data["signatures"]
    assert rounds["documents"] == 50 and len(rounds["rounds"]) == 1
    assert rounds["signature_vs_bulk_xxh32"]["median"] > 1  # datasketch builds a Python object per n-gram
    points = data["scaling"]["points"]
    assert [p["documents"] for p in points] == [20, 40]
    assert all(p["peak_rss_bytes"] > 0 for p in points)
    assert "| normalise" in run.stdout
    # When, where and on what: a maintainer's figures name the commit, the time and the load.
    assert {"started", "finished", "load_average", "load_average_after", "checkout"} <= set(data)
    assert data["started"] <= data["finished"] and len(data["load_average"]) == 3
    assert len(data["checkout"]["commit"]) == 40 and isinstance(data["checkout"]["changed"], bool)
    assert data["parameters"]["ds_repeats"] == 1 and data["parameters"]["threads"] == 1
    # --threads reaches the threaded row (named by its count) and every fresh process's scan.
    assert any(r["name"] == "dedup: normalised text -> signature, 1 thread" for r in table["rows"])
    assert all(p["threads"] == 1 for p in points)
    # Each ratio says which time is over which, and which way is better.
    assert (
        "scan_vs_datasketch_pipeline: " in run.stdout
        and "(datasketch document-level pipeline time / whole dedup scan time: above 1, dedup is faster)" in run.stdout
    )
    words = " ".join(run.stdout.split())  # (the legend is wrapped)
    assert "x datasketch: the seconds of datasketch MinHash.bulk (xxh32) from normalised text over the row's" in words
    assert "A_vs_B: B's time over A's, above 1 A is faster" in run.stdout  # (the signature rounds' ratios)


def test_bench_align_row_aligns_the_pairs_the_scan_aligns(tmp_path: Path) -> None:
    """The align row took every candidate pair, where the scan aligns a document's strongest
    ``max_candidates`` and counts the rest: on the dense corpus of 200 documents it took 10.4 s for a
    6.2 s scan, and the documented --dense 2000 run would have aligned 1.87 million pairs, not 315,000."""
    out = tmp_path / "dense.json"
    run = run_bench("--dense", "30", "--chars", "1500", "--max-candidates", "2", "--repeats", "1", "--no-memory",
                "--json", str(out))  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    table = json.loads(out.read_text(encoding="utf-8"))["table"]
    found = table["scan_result"]
    assert found["unaligned"] > 0  # (the budget left pairs out: the check below means something)
    assert found["table_candidates"] == found["candidates"]
    assert found["table_aligned"] == found["aligned"] == found["candidates"] - found["unaligned"]
    assert table["stages"]["align"]["name"] == f"align ({found['aligned']:,} candidate pairs, prepare incl.)"
    assert json.loads(out.read_text(encoding="utf-8"))["parameters"]["max_candidates"] == 2


def test_synthetic_corpus_is_deterministic() -> None:
    sys.path.insert(0, str(BENCH.parent))
    try:
        import bench
    finally:
        sys.path.remove(str(BENCH.parent))
    a = bench.synthetic_corpus(30, seed=3, chars=800)
    b = bench.synthetic_corpus(30, seed=3, chars=800)
    assert [(d.id, d.text, d.source) for d in a] == [(d.id, d.text, d.source) for d in b]
    assert 600 < sum(len(d.text) for d in a) / 30 < 1000


def _bench_module():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH.parent))
    try:
        import bench
    finally:
        sys.path.remove(str(BENCH.parent))
    return bench


def test_dense_corpus_is_deterministic_and_carries_passages_of_other_documents() -> None:
    bench = _bench_module()
    a = bench.dense_corpus(60, seed=7, chars=1500)
    b = bench.dense_corpus(60, seed=7, chars=1500)
    assert [(d.id, d.text, d.source) for d in a] == [(d.id, d.text, d.source) for d in b]
    assert [d.text for d in bench.dense_corpus(60, seed=8, chars=1500)] != [d.text for d in a]
    seed_words = {w for p in (BENCH.parent.parent / "seeds").glob("*.txt") for w in p.read_text("utf-8").split()}
    for d in a:
        assert set(d.text.split()) <= seed_words  # nothing but words of seeds/
        assert 1500 <= len(d.text) <= 1500 + 1000 + 200
    # A 1,000-character passage of another document: 500 characters of it occur verbatim in both.
    # Short runs of seeds/ words are shared by every pair; 500 characters in a row never by chance.
    carriers = {
        i
        for i, x in enumerate(a)
        for j, y in enumerate(a)
        if i != j and any(y.text[k : k + 500] in x.text for k in range(0, len(y.text) - 500, 100))
    }
    assert 1 <= len(carriers) <= 2 * 0.1 * 60 + 2  # each planted pair counts both its documents
    dense = bench.dense_corpus(40, seed=1, chars=1500, share=0.5)
    plain = bench.dense_corpus(40, seed=1, chars=1500, share=0.0)
    grew = [len(x.text) - len(y.text) for x, y in zip(dense, plain, strict=True) if x.text != y.text]
    assert 10 <= len(grew) <= 30 and all(900 <= g <= 1002 for g in grew)


def test_carried_corpus_prints_one_wire_copy_in_every_outlet() -> None:
    bench = _bench_module()
    from dedup_bench.carried import wire_copy  # (importable once the script's module is loaded)

    docs = bench.carried_corpus(8, seed=3, chars=900)
    assert [d.text for d in docs] == [d.text for d in bench.carried_corpus(8, seed=3, chars=900)]
    assert len({d.source for d in docs}) == 8 and len({d.text for d in docs}) == 8
    assert len(wire_copy()) > 400 and all(d.text.count(wire_copy()) == 1 for d in docs)
    assert all(700 <= len(d.text) <= 1300 for d in docs)


def test_bench_scans_side_by_side(tmp_path: Path) -> None:
    bench = _bench_module()
    folder = tmp_path / "evalish"
    bench.write_jsonl_corpus(bench.synthetic_corpus(30, seed=2, chars=800), folder / "docs.jsonl")
    out = tmp_path / "scans.json"
    run = run_bench("--no-table", "--chars", "800", "--cache-dir", str(tmp_path / "cache"),
                "--scans", f"dense:20,dense:40,{folder},carried:12", "--json", str(out))  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["parameters"]["num_perm"] == 128 and data["parameters"]["corpus"] is None  # (the scans' own)
    scans = data["scans"]
    assert [p["label"] for p in scans["points"]] == ["dense:20", "dense:40", "evalish", "carried:12"]
    assert [p["documents"] for p in scans["points"]] == [20, 40, 30, 12]
    for p in scans["points"]:
        assert p["aligned"] + p["unaligned"] == p["candidates"]
    assert set(scans["time_ratios"]) == {"dense:40 / dense:20"}
    # Twelve outlets that each ran the same wire paragraph: every pair shares it, as one passage,
    # and one reuse cluster holds them all.
    assert scans["points"][3]["pairs"] == scans["points"][3]["passages"] == 12 * 11 // 2
    assert scans["points"][3]["largest_cluster"] == 12 and scans["points"][3]["suppressed_buckets"] == 0
    assert "| evalish | 30 |" in run.stdout
    assert "targets of issue 14" not in run.stdout  # (neither pan13-train nor dense:2000: no empty heading)


def test_bench_scans_a_folder_of_text_files(tmp_path: Path) -> None:
    """A folder of .txt files, as ``dedup scan FOLDER`` reads it, is a corpus (it was refused as having
    no docs.jsonl); a CSV file too."""
    bench = _bench_module()
    docs = bench.dense_corpus(6, seed=2, chars=600)
    folder = tmp_path / "articles"
    folder.mkdir()
    for d in docs:
        (folder / f"{d.id}.txt").write_text(d.text, encoding="utf-8")
    table = tmp_path / "articles.csv"
    with table.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([("id", "text"), *((d.id, d.text) for d in docs)])
    out = tmp_path / "scans.json"
    run = run_bench("--no-table", "--repeats", "1", "--scans", f"{folder},{table}", "--json", str(out))
    assert run.returncode == 0, run.stderr[-2000:]
    points = json.loads(out.read_text(encoding="utf-8"))["scans"]["points"]
    assert [(p["label"], p["documents"]) for p in points] == [("articles", 6), ("articles.csv", 6)]


def test_wire_draws_count_lost_pairs_and_spills() -> None:
    """The wire check scans each drawn corpus and counts what it should find: every carrier pair, and
    passages no further off the paragraph than SPILL."""
    bench = _bench_module()
    wire = sys.modules["dedup_bench.wire"].WIRE
    docs = bench.wire_corpus(4, seed=5)
    assert len(docs) == 4 and all(d.text.count(wire) == 1 for d in docs)
    found = bench.wire_draws(outlets=(2, 4), draws=2, step=13)
    assert found["corpora"] == 4 and [r["carrier_pairs"] for r in found["rows"]] == [1, 1, 6, 6]
    assert found["lost_pairs"] == sum(r["pairs"] < r["carrier_pairs"] for r in found["rows"]) == 0
    assert found["spills"] == 0 and all(0 <= r["reach"] <= 30 for r in found["rows"])


def test_script_draws_find_the_wire_in_every_script() -> None:
    """The eight translations, whole and halved, are each found in every carrier pair, as the copy
    to within its full stop (before lengths counted letters, Chinese and Japanese were not found)."""
    import dedup_bench.scripts as module

    found = module.script_draws()
    assert len(found["rows"]) == 2 * len(module.TRANSLATIONS) == 16
    assert all(r["carrier_pairs"] == found["of"] == 3 and r["other_pairs"] == 0 for r in found["rows"])
    assert all(0 <= r["reach"] <= 1 for r in found["rows"])
    assert len(module.format_scripts(found).splitlines()) == 16


@pytest.fixture
def bench_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., str]:
    """``main(argv)`` of bench.py with bad arguments: a usage error (status 2) ending in one error line.

    Run in this process, from ``tmp_path`` (a checkout without ../shared, the documented paths
    missing); a traceback would fail the test. bench.py's own process is run by the tests above.
    """
    bench = _bench_module()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["bench.py"])  # (argparse names the program after it)

    def error(*argv: str) -> str:
        with pytest.raises(SystemExit) as stopped:
            # (a --json of the test's own comes later and wins)
            bench.main(["--json", str(tmp_path / "out.json"), *argv])
        err = capsys.readouterr().err
        assert stopped.value.code == 2, err[-2000:]
        assert err.strip().splitlines()[-1].startswith("bench.py: error: "), err
        return err

    return error


def test_bench_refuses_bad_arguments_before_running_anything(tmp_path: Path, bench_error: Callable[..., str]) -> None:
    """A missing corpus path (the documented ../shared/evaldata/... from a checkout without it), a
    size that is no number or no document: a traceback after the warm-up, or, in --scans, after every
    earlier scan had run (their figures lost)."""
    err = bench_error("--corpus", "../shared/evaldata/arabic-plag-dev")
    assert "argument --corpus: ../shared/evaldata/arabic-plag-dev: no such file or folder; expected a file" in err
    err = bench_error("--no-table", "--scans", "synthetic:20,../shared/evaldata/pan13-train")
    assert "scan: synthetic:20" not in err
    assert "argument --scans: ../shared/evaldata/pan13-train: no such file or folder; expected a file" in err
    assert "--scaling" in bench_error("--no-table", "--scaling", "10,x")
    assert "--synthetic" in bench_error("--synthetic", "0")
    assert not (tmp_path / "out.json").exists()


def test_bench_a_malformed_corpus_is_one_error_line(tmp_path: Path, bench_error: Callable[..., str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "hello"}\nnot json\n', encoding="utf-8")
    err = bench_error("--corpus", str(bad), "--repeats", "1", "--no-memory")
    assert "bad.jsonl:2: not valid JSON" in err.strip().splitlines()[-1]
    # Scanned in a fresh process (--scans), the child's reason was lost behind CalledProcessError.
    err = bench_error("--no-table", "--repeats", "1", "--scans", str(bad))
    assert "bad.jsonl:2: not valid JSON" in err.strip().splitlines()[-1]


def _write_jsonl(path: Path, count: int) -> Path:
    bench = _bench_module()
    bench.write_jsonl_corpus(bench.dense_corpus(count, seed=3, chars=600), path)
    return path


def test_bench_refuses_bad_option_values_before_running_anything(
    tmp_path: Path, bench_error: Callable[..., str]
) -> None:
    """Each bad value is one line naming the option, the rule and the value, before any warm-up or
    scan (a traceback at the end of the run, its figures lost, or a value silently ignored)."""
    corpus = _write_jsonl(tmp_path / "c.jsonl", 4)
    cases = [
        (["--corpus", str(corpus), "--limit", "-3"], "argument --limit: must be at least 1, got -3"),
        (["--synthetic", "20", "--limit", "5"], "argument --limit: only with --corpus"),
        (["--synthetic", "20", "--threads", "0"], "argument --threads: must be at least 1, got 0"),
        (["--no-table", "--signature-rounds", "-1"], "argument --signature-rounds: must be at least 0, got -1"),
        (["--no-table", "--num-perm", "-1", "--scans", "synthetic:20"], "argument --num-perm: "),
        (["--synthetic", "20", "--threshold", "1.5"], "argument --threshold: "),
        (
            ["--no-table", "--scans", "synthetic:0"],
            "argument --scans: synthetic:0: expected synthetic:N with N a number",
        ),
        (["--no-table", "--scans", ","], "argument --scans: expected comma-separated"),
        (["--corpus", str(tmp_path / "missing.jsonl")], "argument --corpus: "),
        (["--no-table"], "argument --no-table: nothing else to run"),
        (["--no-table", "--scans", "dense:20", "--cache-dir", str(corpus / "sub")], "argument --cache-dir: "),
        (["--no-table", "--plot", str(tmp_path / "p.png"), "--scans", "synthetic:20"], "argument --plot: only with"),
    ]
    for argv, said in cases:
        err = bench_error(*argv)
        last = err.strip().splitlines()[-1]
        assert said in last, (argv, err)
        assert "scan: " not in err and "warm-up" not in err, (argv, err)
    assert not (tmp_path / "out.json").exists()


def test_bench_refuses_a_json_path_it_cannot_write_before_running(
    tmp_path: Path, bench_error: Callable[..., str]
) -> None:
    """The JSON was written after every figure was timed: a folder that does not exist or a
    directory cost the whole run and ended in a traceback."""
    missing = str(tmp_path / "no" / "x.json")
    lasts = []
    for argv in (
        ["--no-table", "--scans", "synthetic:20", "--json", missing],
        ["--no-table", "--scans", "synthetic:20", "--json", str(tmp_path)],
        ["--synthetic", "20", "--json", ""],
    ):
        err = bench_error(*argv)
        assert "warm-up" not in err and "scan: " not in err, err  # refused before the work
        lasts.append(err.strip().splitlines()[-1])
    assert "no/x.json: cannot write" in lasts[0]
    assert f"{tmp_path}: cannot write: it is a directory" in lasts[1]
    assert lasts[2] == "bench.py: error: argument --json: an empty path: expected a file name"
    assert [p.name for p in tmp_path.iterdir()] == ["no"] or not list(tmp_path.iterdir())  # no temporary left


def test_bench_an_empty_corpus_is_one_error_line(tmp_path: Path, bench_error: Callable[..., str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    err = bench_error("--corpus", str(empty), "--repeats", "1", "--no-memory")
    assert "empty.jsonl: no documents" in err.strip().splitlines()[-1]
