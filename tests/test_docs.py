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

import docs_examples
import pytest

from dedup import CommonText, Document, Pair, Passage, ScanResult, Span
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
    pairs = [Pair("x", "y", 1, 1, 1, 1, 1, 1, 1, len(text), 1.0), Pair("y", "z", 1, 1, 1, 1, 1, 1, 1, len(text), 1.0)]
    common = [CommonText(Span("x", 0, 40), 300, 2, text[:40])]  # the text of skipped buckets
    found = list(records(ScanResult(passages, pairs, docs, [], 2, 2, common=common)))
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


def test_jsonl_summary_fields_are_listed_in_the_order_written() -> None:
    """docs/jsonl.md's summary table lists the record's fields in the order a reader sees them."""
    page = (DOCS / "jsonl.md").read_text("utf-8")
    section = page.split("## `summary`", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
    summary = list(records(ScanResult([], [], {}, [], 0, 0)))[-1]
    assert listed == list(summary)


def test_nav_lists_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert pages, "no pages"
    for page in pages:
        assert f": {page}" in config, f"{page} is not in the nav of mkdocs.yml"


@pytest.mark.parametrize("page", docs_examples.PAGES, ids=lambda p: p.name)
def test_examples_print_what_the_page_shows(page: Path) -> None:
    result = docs_examples.run_page(page)
    assert not result.problems, (
        "\n\n".join(result.problems)
        + "\n\nIf the new output is right: python tests/docs_examples.py --update, then read the diff"
    )


def test_every_page_example_is_run_or_says_why_not() -> None:
    for page in docs_examples.PAGES:
        for block in docs_examples.blocks(page.read_text("utf-8")):
            runnable = block.lang in ("console", "sh", "python", "pycon")
            assert runnable or block.lang in ("text", "json"), f"{page.name}:{block.first}: ```{block.lang}"
            if block.lang == "python" and not block.skipped:
                assert any(line.startswith(">>>") for line in block.lines), (
                    f"{page.name}:{block.first}: a Python example shows its output as a doctest (>>>)"
                )


def test_the_docs_checker_finds_differences_and_update_rewrites_them(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Intro.\n\n```console\n$ echo one; echo two; echo three; echo four\none\n...\nfour\n$ echo new\nold\n```\n\n"
        "```python\n>>> print(1 + 1)\n3\n>>> x = 5\n```\n\n<!-- not run: an example -->\n```sh\nfalse\n```\n\n"
        "```sh\ntrue  # fine\nexit 3\n```\n",
        encoding="utf-8",
    )
    result = docs_examples.run_page(page)
    assert len(result.problems) == 3, result.problems
    assert "`echo new` printed\nnew\n" in result.problems[0]
    assert "print(1 + 1)" in result.problems[1] and "`exit 3` exited with status 3" in result.problems[2]
    assert docs_examples.update_page(page, result)
    assert page.read_text("utf-8") == (
        "Intro.\n\n```console\n$ echo one; echo two; echo three; echo four\none\n...\nfour\n$ echo new\nnew\n```\n\n"
        "```python\n>>> print(1 + 1)\n2\n>>> x = 5\n```\n\n<!-- not run: an example -->\n```sh\nfalse\n```\n\n"
        "```sh\ntrue  # fine\nexit 3\n```\n"
    )
    assert [p for p in docs_examples.run_page(page).problems if "exit 3" not in p] == []
