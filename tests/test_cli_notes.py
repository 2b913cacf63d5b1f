"""The `dedup` command's everyday options and notes: what a user typing it is told, and what each option takes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dedup.cli import main
from dedup.io import Reader

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_TEXTS = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _mixed_folder(tmp_path: Path) -> Path:
    """A folder of one text file, one JSONL and one CSV file, each holding one short document."""
    folder = tmp_path / "in"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "x.txt").write_text("a text file", encoding="utf-8")
    (folder / "a" / "y.jsonl").write_text('{"id": "j", "text": "a jsonl record"}\n', encoding="utf-8")
    (folder / "z.csv").write_text("id,text\nc,a csv record\n", encoding="utf-8")
    return folder


def test_glob_given_again_takes_a_file_matching_any(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before, the last --glob won without a word: `--glob '*.txt' --glob '*.csv'` read the CSV file alone."""
    folder = _mixed_folder(tmp_path)
    assert sorted(d.id for d in Reader(glob=["*.txt", "**/*.csv"]).read([folder])) == ["a/x.txt", "c"]
    globs = ["--glob", "*.txt", "--glob", "*.csv"]
    status, out, _ = run(["scan", str(folder), *globs, "--format", "jsonl", "-q"], capsys)
    read = json.loads(out.splitlines()[-1])
    assert status == 0 and sorted(s["id"] for s in read["skipped"]) == ["a/x.txt", "c"]  # (too short, each)
    index = str(tmp_path / "index")
    status, out, _ = run(["index", "add", index, str(folder), *globs, "-q"], capsys)
    assert status == 0 and out.startswith("added 0 documents; 0 already in the index, 2 skipped, 2 too short;")
    status, out, _ = run(["index", "query", index, str(folder), *globs, "--format", "jsonl", "-q"], capsys)
    assert status == 0 and json.loads(out.splitlines()[-1])["documents_read"] == 2
    status, _, err = run(["scan", str(folder), "--glob", "*.md", "--glob", "*.html"], capsys)
    assert (status, err) == (2, f"dedup: error: {folder}: no files matching '*.md' or '*.html' below this directory\n")
    for patterns, message in ((["*.txt", ""], "got ''"), ([], "or a list of them, got []")):
        with pytest.raises(ValueError, match=f"glob must be a non-empty pattern.*{re.escape(message)}"):
            Reader(glob=patterns)
