"""Tests for the documentation site: it builds strictly, and it documents every CLI option and JSONL field."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dedup import Document, Pair, Passage, ScanResult, Span
from dedup.cli import build_parser
from dedup.report import records

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def mkdocs_command() -> list[str] | None:
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "mkdocs"]


@pytest.mark.skipif(mkdocs_command() is None, reason="mkdocs is not installed (pip install -e '.[docs]')")
def test_site_builds_strictly(tmp_path: Path) -> None:
    command = mkdocs_command()
    assert command is not None
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [*command, "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for page in ("index.html", "cli/index.html", "jsonl/index.html", "api/index.html", "concepts/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
    api = (tmp_path / "site" / "api" / "index.html").read_text("utf-8")
    assert 'id="dedup.scan.scan"' in api and 'id="dedup.clusters.find_clusters"' in api
    shutil.rmtree(tmp_path / "site")


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def documented(token: str, page: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(token)}(?![\w-])", page) is not None


def test_cli_reference_names_every_command_and_option() -> None:
    page = (DOCS / "cli.md").read_text("utf-8")
    missing: list[str] = []
    top = build_parser()
    for action in top._actions:
        missing += [f"dedup {s}" for s in action.option_strings if not documented(s, page)]
    for name, parser in commands().items():
        if not re.search(rf"^## dedup {name}$", page, re.MULTILINE):
            missing.append(f"section '## dedup {name}'")
        for action in parser._actions:
            for option in action.option_strings:
                if not documented(option, page):
                    missing.append(f"dedup {name} {option}")
            if not action.option_strings and action.metavar and not documented(str(action.metavar), page):
                missing.append(f"dedup {name} {action.metavar}")
            for choice in action.choices or ():
                if isinstance(choice, str) and not documented(choice, page):
                    missing.append(f"dedup {name} {action.option_strings} choice {choice}")
    assert not missing, "not in docs/cli.md: " + ", ".join(missing)


def test_jsonl_contract_names_every_field() -> None:
    page = (DOCS / "jsonl.md").read_text("utf-8")
    text = "=" * 40 + " shared wording of some length " * 4
    docs = {d: Document(d, text, source=d, date="2024-01-01") for d in "xyz"}
    span = (0, len(text))
    passages = [
        Passage(Span("x", *span), Span("y", *span), 1.0, 1.0, 1.0, 9),
        Passage(Span("y", *span), Span("z", *span), 1.0, 1.0, 1.0, 9),
    ]
    pairs = [Pair("x", "y", 1, 1, 1, 1, 1, 1, 1, len(text)), Pair("y", "z", 1, 1, 1, 1, 1, 1, 1, len(text))]
    found = list(records(ScanResult(passages, pairs, docs, [], 2, 0)))
    assert {r["type"] for r in found} == {"pair", "passage", "cluster", "summary"}

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    fields: set[str] = set()
    for record in found:
        record = {k: v for k, v in record.items() if k != "config"}  # documented as ScanConfig's fields
        fields |= keys(record)
        assert f"## `{record['type']}`" in page
    missing = sorted(f for f in fields if f"`{f}`" not in page)
    assert not missing, f"fields not in docs/jsonl.md: {missing}"


def test_nav_lists_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert pages, "no pages"
    for page in pages:
        assert f": {page}" in config, f"{page} is not in the nav of mkdocs.yml"
