"""A newsroom's everyday use of the archive index from the command line: what it prints and refuses."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from test_index import DOCS

from dedup import Document
from dedup.cli import main


def _jsonl(path: Path, docs: list[Document]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d.id, "text": d.text, "source": d.source}, ensure_ascii=False) + "\n")
    return path


def test_query_add_of_an_edited_story_names_the_command_that_replaces_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`index query --add` has no --replace: its line names the command that has one."""
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(_jsonl(tmp_path / "a.jsonl", DOCS[:27])), "-q"]) == 0
    edited = _jsonl(tmp_path / "e.jsonl", [replace(DOCS[1], text=DOCS[1].text + " A correction was appended.")])
    capsys.readouterr()
    assert main(["index", "query", ix, str(edited), "--add", "-o", str(tmp_path / "q.txt")]) == 0
    line = capsys.readouterr().err.splitlines()[-1]
    assert line == (
        "added 0 documents; 1 already in the index (1 with another text, kept as stored: "
        f"`dedup index add {ix} INPUT... --replace` replaces them), 0 skipped; the index holds 27"
    )
