"""The benchmark script runs end to end on a tiny synthetic corpus and writes every field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def test_bench_tiny_corpus_writes_every_stage_and_ratio(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, str(BENCH), "--synthetic", "50", "--repeats", "1", "--no-memory", "--json", str(out),
         "--scaling", "20,40"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"cpu", "cores", "memory_bytes"} <= set(data["machine"])
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
    points = data["scaling"]["points"]
    assert [p["documents"] for p in points] == [20, 40]
    assert all(p["peak_rss_bytes"] > 0 for p in points)
    assert "| normalise" in run.stdout


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
