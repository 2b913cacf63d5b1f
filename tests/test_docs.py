"""Tests for the documentation: the site builds strictly (links and anchors too), the pages' examples print what
they show, and the docs name every CLI option with its default, every JSONL field and every public name."""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import docs_examples
import pytest

import dedup
from dedup import CommonText, Document, Pair, Passage, ScanResult, Span, read_documents, scan
from dedup.cli import build_parser
from dedup.clusters import find_clusters
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
    # Every class and function of the packages' __all__ has an entry, in the module that defines it
    # or under the package that exports it (dedup.spark's come from private modules).
    ids = set(re.findall(r'id="([\w.]+)"', api))
    missing = [
        f"{package}.{name}"
        for package, name, obj in public_names()
        if not {f"{package}.{name}", f"{obj.__module__}.{name}"} & ids
    ]
    assert not missing, f"not in the API reference: {missing}"
    shutil.rmtree(tmp_path / "site")


PACKAGES = ("dedup", "dedup.index", "dedup.spark")  # the packages whose __all__ is the public API


def public_names() -> list[tuple[str, str, Any]]:
    """(package, name, object) for each class and function in the __all__ of :data:`PACKAGES`."""
    found = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found.append((package, name, obj))
    return found


def test_public_names_have_a_one_line_summary_and_an_example() -> None:
    """Each has a docstring: a summary line, and an example that the doctests run (dedup.spark's need
    a Spark session, which doctests do not start: theirs are shown, not run)."""
    problems = []
    for package, name, obj in public_names():
        doc = inspect.getdoc(obj) or ""
        summary = doc.split("\n\n", 1)[0]
        if not summary or "\n" in summary:
            problems.append(f"{package}.{name}: the docstring does not open with a one-line summary")
        examples = [line for line in doc.splitlines() if line.lstrip().startswith(">>>")]
        run = [line for line in examples if "doctest: +SKIP" not in line]
        if not (run if package != "dedup.spark" else examples):
            problems.append(f"{package}.{name}: no example" + (" that runs" if examples else ""))
    assert not problems, "\n".join(problems)


def test_api_reference_has_every_public_module() -> None:
    page = (DOCS / "api.md").read_text("utf-8")
    modules = [m.name for m in pkgutil.iter_modules(dedup.__path__) if not m.name.startswith("_")]
    assert "scan" in modules and "index" in modules and "spark" in modules
    missing = [m for m in modules if m != "cli" and f"::: dedup.{m}\n" not in page]  # cli: docs/cli.md
    assert not missing, f"modules not in docs/api.md: {missing}"


def test_readme_layout_names_every_module() -> None:
    """README.md's Layout says what each module of the package is for: a new one is named there too."""
    layout = (ROOT / "README.md").read_text("utf-8").split("## Layout", 1)[1]
    modules = [m.name for m in pkgutil.iter_modules(dedup.__path__) if not m.name.startswith("_")]
    missing = [m for m in modules if f"`{m}`" not in layout and f"`dedup/{m}/`" not in layout]
    assert not missing, f"modules not in README.md's Layout: {missing}"


def test_readme_links_to_files_that_exist() -> None:
    """README.md is not part of the site, whose strict build checks the links of docs/."""
    text = (ROOT / "README.md").read_text("utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    assert "docs/jsonl.md" in links
    missing = [link for link in links if "://" not in link and not (ROOT / link).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


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


# The pages about the dedup command (the others also show the options of benchmark scripts, pytest, spark-submit).
COMMAND_PAGES = (
    "cli.md",
    "getting-started.md",
    "concepts.md",
    "jsonl.md",
    "reports.md",
    "archive-index.md",
    "index.md",
)


def test_docs_name_no_option_the_command_lacks() -> None:
    """Every `--option` the command's pages name is an option of some dedup command: a renamed or
    dropped option does not live on in the docs (the test above checks the other way)."""
    options = {option for parser in _parsers(build_parser()) for a in parser._actions for option in a.option_strings}
    unknown = [
        f"{name}: {token}"
        for name in COMMAND_PAGES
        for token in sorted(set(re.findall(r"(?<![\w-])--[a-z][\w-]*", (DOCS / name).read_text("utf-8"))))
        if token not in options
    ]
    assert not unknown, "options the docs name that no dedup command has: " + ", ".join(unknown)


def test_cli_reference_names_every_file_extension_read() -> None:
    """A folder is read by extension: docs/cli.md names every extension that makes a file read (a `.text`
    or `.tab` file in a folder is read too), and every compression suffix."""
    from dedup._streams import COMPRESSIONS
    from dedup.io import _EXTENSIONS

    page = (DOCS / "cli.md").read_text("utf-8")
    missing = [e for e in (*_EXTENSIONS, *COMPRESSIONS) if not re.search(rf"`[^`\s]*{re.escape(e)}`", page)]
    assert not missing, f"extensions read but not in docs/cli.md: {missing}"


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_cli_reference_shows_each_value_as_the_help_does() -> None:
    """The value an option takes is named alike in docs/cli.md's tables and in ``--help`` (`--ngram N`,
    not `--ngram NGRAM` in one and `N` in the other)."""
    helped: dict[str, set[str]] = {}
    for parser in _parsers(build_parser()):
        for action in parser._actions:
            if action.option_strings and action.nargs != 0 and not action.choices:
                shown = action.metavar or action.dest.upper()
                for option in action.option_strings:
                    helped.setdefault(option, set()).add(str(shown))
    documented: dict[str, set[str]] = {}
    for head in re.findall(r"^\| (`-.*?) \|", (DOCS / "cli.md").read_text("utf-8"), flags=re.MULTILINE):
        for option, value in re.findall(r"`(--?[\w-]+) ([A-Z]+)`", head):
            documented.setdefault(option, set()).add(value)
    assert len(documented) >= 40
    differ = [
        f"{o}: docs {sorted(documented.get(o, ()))}, --help {sorted(v)}"
        for o, v in helped.items()
        if v != documented.get(o)
    ]
    assert not differ, "\n".join(differ)


def _shows(shown: str, default: object) -> bool:
    if isinstance(default, bool):
        return shown == ("on" if default else "off")
    if isinstance(default, int | float):
        try:
            return float(shown) == float(default)
        except ValueError:
            return False
    return shown == str(default)


def test_documented_defaults_are_the_parsers() -> None:
    """A default the docs state (docs/cli.md's option tables, "`--option` (default V" in any page's
    prose) is the one the parser has."""
    defaults: dict[str, set[object]] = {}
    for parser in _parsers(build_parser()):
        for action in parser._actions:
            if action.default not in (None, argparse.SUPPRESS) and action.dest != "help":
                for option in action.option_strings:
                    defaults.setdefault(option, set()).add(action.default)
    checked, wrong = 0, []
    row = re.compile(r"^\| (`-.*?) \| (.*) \|$", re.MULTILINE)
    for head, text in row.findall((DOCS / "cli.md").read_text("utf-8")):
        said = re.search(r"\(default(?::? `?([\w.]+)`?)?[,;:)]", text)
        for option, value in re.findall(r"`(--?[\w-]+)(?: ([^`]*))?`", head) if said else ():
            shown = said.group(1) if said.group(1) is not None else value  # "| `--format table` | (default) ..."
            if option in defaults and shown and "\\|" not in shown:
                checked += 1
                if not any(_shows(shown, d) for d in defaults[option]):
                    wrong.append(
                        f"cli.md: {option} (default {shown}), the parser's {sorted(map(str, defaults[option]))}"
                    )
    for page in docs_examples.PAGES:
        prose = "\n".join(line for line in page.read_text("utf-8").splitlines() if not line.startswith("|"))
        for option, shown in re.findall(r"`(--[\w-]+)` \(default `?([\w.]+)`?", prose):
            if option in defaults:
                checked += 1
                if not any(_shows(shown, d) for d in defaults[option]):
                    wrong.append(
                        f"{page.name}: {option} (default {shown}), the parser's {sorted(map(str, defaults[option]))}"
                    )
    assert checked >= 40 and not wrong, "\n".join(wrong) or f"only {checked} defaults found"


def test_jsonl_contract_shows_the_records_a_scan_writes() -> None:
    """The pair and passage records docs/jsonl.md shows are those of `dedup scan seeds/ --format jsonl`."""
    page = (DOCS / "jsonl.md").read_text("utf-8")
    shown = {}
    for block in docs_examples.blocks(page):
        if block.lang == "json":
            record = json.loads("\n".join(block.lines))
            shown[record["type"]] = record
    result = scan(read_documents([ROOT / "seeds"]))
    written: dict[str, dict[str, Any]] = {}
    for record in records(result, find_clusters(result, min_documents=2)):  # seeds/ has clusters of 2
        written.setdefault(record["type"], record)
    assert set(shown) == {"pair", "passage", "cluster"}
    assert shown["pair"] == written["pair"]
    assert shown["passage"] == written["passage"]
    # The cluster example is made up (seeds/ has none of three documents): its fields are a cluster's.
    cluster = written["cluster"]
    assert list(shown["cluster"]) == list(cluster)
    assert list(shown["cluster"]["members"][0]) == list(cluster["members"][0])
    assert list(shown["cluster"]["origin"]) == list(cluster["origin"])


def test_the_pandas_call_jsonl_md_gives_keeps_ids_as_written(tmp_path: Path) -> None:
    """Read as docs/jsonl.md says, a report whose ids are all digits keeps them: pandas left to guess
    types once read "0001" and "1" both as 1.0, so that a pair looked like one document twice (in a
    report of pairs without passages, whose records hold no side object in the same column)."""
    pandas = pytest.importorskip("pandas")
    from dedup.report import write_jsonl

    page = (DOCS / "jsonl.md").read_text("utf-8")
    call = re.search(r'`pandas\.read_json\("found\.jsonl"((?:, \w+=\w+)*)\)`', page)
    assert call is not None, "docs/jsonl.md names no pandas.read_json call"
    options = {}
    for option in call.group(1).split(", ")[1:]:
        name, value = option.split("=")
        options[name] = {"True": True, "False": False}[value]
    # A page of one line printed ten times: its pairs are reported on their score alone.
    text = "alpha beta gamma delta " * 10
    ids = ["0001", "1", "20240131000000000017"]
    result = scan([Document(doc_id, text) for doc_id in ids])
    assert not result.passages and len(result.pairs) == 3
    found = tmp_path / "found.jsonl"
    with found.open("w", encoding="utf-8") as stream:
        write_jsonl(result, stream, find_clusters(result))
    table = pandas.read_json(found, **options)
    pairs = table[table["type"] == "pair"]
    assert sorted(zip(pairs["a"], pairs["b"], strict=True)) == sorted((p.a, p.b) for p in result.pairs)


def _three_outlets(common: list[CommonText] | None = None) -> ScanResult:
    """A scan result of one wording carried by three documents: a cluster, two pairs, two passages."""
    text = "=" * 40 + " shared wording of some length " * 4
    docs = {d: Document(d, text, source=d, date="2024-01-01") for d in "xyz"}
    span = (0, len(text))
    passages = [
        Passage(Span("x", *span), Span("y", *span), 1.0, 1.0, 1.0, 9),
        Passage(Span("y", *span), Span("z", *span), 1.0, 1.0, 1.0, 9),
    ]
    pairs = [Pair("x", "y", 1, 1, 1, 1, 1, 1, 1, len(text), 1.0), Pair("y", "z", 1, 1, 1, 1, 1, 1, 1, len(text), 1.0)]
    return ScanResult(passages, pairs, docs, [], 2, 2 if common else 0, common=common or [])


def test_jsonl_contract_names_every_field() -> None:
    page = (DOCS / "jsonl.md").read_text("utf-8")
    text = "=" * 40 + " shared wording of some length " * 4
    common = [CommonText(Span("x", 0, 40), 300, 2, text[:40])]  # the text of skipped buckets
    found = list(records(_three_outlets(common)))
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


def _table_fields(section: str) -> list[list[str]]:
    """The field names of each table of a docs/jsonl.md section: the backticked names of its rows' first cells."""
    tables: list[list[str]] = []
    previous = ""
    for line in section.splitlines():
        if line.startswith("|") and not previous.startswith("|"):
            tables.append([])
        cell = re.match(r"^\| (`[^|]*) \|", line)
        if cell:
            tables[-1] += re.findall(r"`(\w+)`", cell.group(1))
        previous = line
    return tables


def _section(page: str, record_type: str) -> str:
    return page.split(f"## `{record_type}`", 1)[1].split("\n## ", 1)[0]


def test_jsonl_tables_list_exactly_the_fields_each_record_has() -> None:
    """Each record type's table in docs/jsonl.md names the fields that record has, no more and no fewer: a
    field moved, renamed or dropped shows (the test above only checks that a field is named somewhere)."""
    page = (DOCS / "jsonl.md").read_text("utf-8")
    written: dict[str, dict[str, Any]] = {}
    for record in records(_three_outlets()):
        written.setdefault(record["type"], record)
    (pair,) = _table_fields(_section(page, "pair"))
    assert sorted(pair) == sorted(written["pair"])
    passage, side = _table_fields(_section(page, "passage"))
    assert sorted(passage) == sorted(written["passage"])
    assert sorted(side) == sorted(written["passage"]["a"]) == sorted(written["passage"]["b"])
    (cluster,) = _table_fields(_section(page, "cluster"))
    assert sorted(cluster) == sorted(written["cluster"])
    # "each side as in `passage` plus `date`"; the origin "`{"doc", "start", "end"}`"
    assert sorted([*side, "date"]) == sorted(written["cluster"]["members"][0])
    assert list(written["cluster"]["origin"]) == ["doc", "start", "end"]
    (summary,) = _table_fields(_section(page, "summary"))
    assert summary == list(written["summary"])


def _has_type(value: Any, said: str) -> bool:
    """Whether a JSON value is of the type a docs/jsonl.md table's type column says."""
    if said.startswith('`"'):
        return bool(value == said.strip('`"'))
    if said.endswith(" or null") and value is None:
        return True
    kind = said.removesuffix(" or null")
    if kind == "number 0\u20131":  # (an en dash, as the page writes ranges)
        return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
    checks = {"string": str, "integer": int, "object": dict, "array": list, "array of sides": list}
    return isinstance(value, checks[kind]) and not isinstance(value, bool)


def test_jsonl_tables_give_each_field_its_type() -> None:
    """The type column of docs/jsonl.md's tables is the type of the value a scan writes."""
    page = (DOCS / "jsonl.md").read_text("utf-8")

    def types(record_type: str) -> list[dict[str, str]]:
        tables: list[dict[str, str]] = []
        previous = ""
        for line in _section(page, record_type).splitlines():
            if line.startswith("|") and not previous.startswith("|"):
                tables.append({})
            row = re.match(r"^\| (`[^|]*) \| ([^|]*) \|", line)
            if row:
                tables[-1].update(dict.fromkeys(re.findall(r"`(\w+)`", row.group(1)), row.group(2).strip()))
            previous = line
        return tables

    (pair,), (passage, side), (cluster,), (summary,) = (types(t) for t in ("pair", "passage", "cluster", "summary"))
    said = {"pair": pair, "passage": passage, "cluster": cluster, "summary": summary}
    result = scan(read_documents([ROOT / "seeds"]))
    wrong = []
    for record in records(result, find_clusters(result, min_documents=2)):
        kinds = said[record["type"]]
        wrong += [
            f"{record['type']}.{n} = {v!r}: not {kinds[n]}" for n, v in record.items() if not _has_type(v, kinds[n])
        ]
        for copy in (record["a"], record["b"]) if record["type"] == "passage" else ():
            wrong += [f"side.{n} = {v!r}: not {side[n]}" for n, v in copy.items() if not _has_type(v, side[n])]
    assert not wrong, "\n".join(wrong)


def test_jsonl_summary_fields_are_listed_in_the_order_written() -> None:
    """docs/jsonl.md's summary table lists the record's fields in the order a reader sees them."""
    page = (DOCS / "jsonl.md").read_text("utf-8")
    section = page.split("## `summary`", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
    summary = list(records(ScanResult([], [], {}, [], 0, 0)))[-1]
    assert listed == list(summary)


def test_reports_page_lists_the_columns_each_table_has_in_order() -> None:
    """docs/reports.md's CSV column table and its table of ``to_arrow()``/``to_pandas()`` tables name the
    columns those outputs have, in their order."""
    pytest.importorskip("pyarrow")
    import io

    from dedup.report import write_csv

    page = (DOCS / "reports.md").read_text("utf-8")
    result = scan(read_documents([ROOT / "seeds"]))
    csv_section = page.split("## CSV for spreadsheets", 1)[1].split("\n## ", 1)[0]
    (listed,) = _table_fields(csv_section)
    stream = io.StringIO()
    write_csv(result, stream, bom=False)
    assert listed == stream.getvalue().splitlines()[0].split(",")

    tables = result.to_arrow()
    rows = dict(re.findall(r"^\| `(\w+)` \| [^|]* \| (.*) \|$", page, flags=re.MULTILINE))
    assert set(rows) == {"passages", "pairs", "clusters", "skipped"}
    for name, cell in rows.items():
        cell = re.sub(r"\[[^]]*\]\([^)]*\)", "", cell.split(" (`coverage_a`", 1)[0])  # (pairs: the record's fields)
        shown = [n for n in re.findall(r"`(\w+)`(?! record)", cell)]
        if "the same for `b`" in cell:  # passages: doc_a ... length_a, then the same for b
            at = shown.index("b")
            a_side = shown[shown.index("doc_a") : at]
            shown = shown[:at] + [n[:-2] + "_b" for n in a_side] + shown[at + 1 :]
        if "every other field of the" in cell:  # pairs: rank, ids and sources, then the pair record's fields
            shown += [f for f in Pair.__dataclass_fields__ if f not in shown]
        assert shown == getattr(tables, name).column_names, name


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
