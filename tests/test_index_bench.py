"""The index benchmark runs end to end on a tiny synthetic corpus and reports every measure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_index_benchmark_tiny_corpus(tmp_path: Path) -> None:
    out = tmp_path / "index.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.dedup_bench.index", "--synthetic", "60", "--queries", "6",
         "--json", str(out), "--cache-dir", str(tmp_path / "corpora")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "query median" in run.stdout and "datasketch MinHashLSH" in run.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["add"]["documents"] == 60 and data["add"]["add_docs_per_s"] > 0
    assert data["add"]["size_ratio"] > 0 and data["add"]["cpu_seconds"] > 0 and data["add"]["warmup_seconds"] > 0
    assert "warm-up" in run.stdout
    query = data["query"]
    assert query["queries"] == 6 and 0 < query["query_median_ms"] <= query["query_p99_ms"]
    assert query["open_s"] > 0 and query["query_rss_mb"] > 0
    assert data["datasketch"]["build_s"] > 0 and data["datasketch"]["query_median_ms"] > 0
