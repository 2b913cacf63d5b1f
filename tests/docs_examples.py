"""Run the examples of README.md and docs/*.md and compare what they print with what the page shows.

    python tests/docs_examples.py            # check every page, list the differences
    python tests/docs_examples.py --update   # rewrite the shown output of every example that changed
    python tests/docs_examples.py --update docs/getting-started.md   # one page

``tests/test_docs.py`` runs the check. After a change to what dedup prints (a new engine, a new
column), run ``--update``, read the diff of the pages, and commit it.

What runs, by the fenced block's language:

- ``console``: each ``$ command`` (a trailing backslash continues it on the next line) is run with
  bash and what it prints, standard output and standard error together as a terminal shows them,
  must match the lines that follow it, up to the next ``$``;
- ``python`` with ``>>>`` prompts: a doctest;
- ``sh``: every line that is not a comment is a command that must succeed (nothing is shown);
- ``python`` without prompts: run, must not raise.

In shown output, ``...`` stands for any text (doctest's ELLIPSIS), a line of its own for any
number of lines; ``--update`` keeps such a line and as many lines before and after it as the page
shows. A block right after a line ``<!-- not run: REASON -->`` is left alone (an install, a long
benchmark, a corpus that is not in the repository). Each page runs in a scratch folder of its own
holding a copy of ``seeds/``, its blocks in page order (a block can read what an earlier one wrote),
its Python blocks in one namespace. ``dedup`` and ``python`` are this interpreter's, the checkout's
package first on the path, the terminal 100 columns wide.
"""

from __future__ import annotations

import argparse
import contextlib
import doctest
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
SKIP = re.compile(r"^\s*<!-- not run: .+-->\s*$")
# The first scan after an install compiles numba's kernels and says so: not part of any example.
COMPILING = "dedup: compiling the engine's kernels"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass
class Block:
    """One fenced block of a page: its language, its lines (fence indent removed) and place."""

    lang: str
    first: int  # index in the page's lines of the block's first content line
    lines: list[str]
    indent: str
    skipped: bool


@dataclass
class Result:
    """What running a page found: its differences, and its blocks' lines as they should read."""

    problems: list[str] = field(default_factory=list)
    updated: dict[int, list[str]] = field(default_factory=dict)  # block.first -> new content lines


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown page."""
    lines = text.splitlines()
    found: list[Block] = []
    k = 0
    while k < len(lines):
        opening = FENCE.match(lines[k])
        if not opening:
            k += 1
            continue
        indent, lang = opening.group(1), opening.group(2)
        end = k + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        before = next((lines[j] for j in range(k - 1, -1, -1) if lines[j].strip()), "")
        content = [line[len(indent) :] if line.startswith(indent) else line for line in lines[k + 1 : end]]
        found.append(Block(lang, k + 1, content, indent, bool(SKIP.match(before))))
        k = end + 1
    return found


def matches(want: str, got: str) -> bool:
    return doctest.OutputChecker().check_output(want, got, doctest.ELLIPSIS)


def refreshed(want: str, got: str) -> str:
    """The output to show instead of ``want``: ``got``, with the page's elisions kept."""
    if matches(want, got):
        return want
    wanted, lines = want.splitlines(), got.splitlines()
    dots = [k for k, line in enumerate(wanted) if line.strip() == "..."]
    if not dots:
        return got
    head, tail = dots[0], len(wanted) - dots[-1] - 1
    if head + tail >= len(lines):
        return got
    return "\n".join([*lines[:head], "...", *(lines[len(lines) - tail :] if tail else [])]) + "\n"


def _clean(output: str) -> str:
    lines = [line.rstrip() for line in output.splitlines() if not line.startswith(COMPILING)]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


@contextlib.contextmanager
def scratch() -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder holding a copy of seeds/, and the environment the examples run in."""
    folder = Path(tempfile.mkdtemp(prefix="dedup-docs-"))
    try:
        shutil.copytree(ROOT / "seeds", folder / "seeds")
        bin_dir = folder / ".bin"
        bin_dir.mkdir()
        for name, command in (("dedup", f'"{sys.executable}" -m dedup'), ("python", f'"{sys.executable}"')):
            script = bin_dir / name
            script.write_text(f'#!/bin/sh\nexec {command} "$@"\n', encoding="utf-8")
            script.chmod(0o755)
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",  # stdout and stderr interleaved as on a terminal
            "COLUMNS": "100",
            "LINES": "40",
        }
        yield folder, env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _console(block: Block, where: str, cwd: Path, env: dict[str, str], result: Result) -> None:
    commands: list[tuple[list[str], list[str]]] = []  # (command lines, shown output lines)
    for line in block.lines:
        continued = commands and commands[-1][0][-1].endswith("\\") and not commands[-1][1]
        if continued:
            commands[-1][0].append(line)
        elif line.startswith("$ "):
            commands.append(([line], []))
        elif commands:
            commands[-1][1].append(line)
        else:
            result.problems.append(f"{where}: a console block must start with a '$ command' line")
            return
    new: list[str] = []
    for command_lines, shown in commands:
        command = "\n".join(command_lines)[2:]
        done = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600
        )
        got = _clean(done.stdout.decode("utf-8", "replace"))
        want = _clean("\n".join(shown))
        if not matches(want, got):
            result.problems.append(f"{where}: `{command}` printed\n{got}\nwhere the page shows\n{want}")
        new += command_lines + refreshed(want, got).splitlines()
    result.updated[block.first] = new


def _sh(block: Block, where: str, cwd: Path, env: dict[str, str], result: Result) -> None:
    for line in block.lines:
        command = line.split("  #", 1)[0].strip()  # a comment after two spaces explains the command
        if not command or command.startswith("#"):
            continue
        done = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600
        )
        if done.returncode != 0:
            output = done.stdout.decode("utf-8", "replace")[-2000:]
            result.problems.append(f"{where}: `{command}` exited with status {done.returncode}:\n{output}")


class _Recorder(doctest.DocTestRunner):
    def __init__(self) -> None:
        super().__init__(optionflags=FLAGS)
        self.got: dict[int, str] = {}  # example index -> what it printed instead
        self.failures_seen: list[str] = []

    def report_failure(self, out, test, example, got):  # type: ignore[no-untyped-def]
        self.got[test.examples.index(example)] = got
        self.failures_seen.append(f"line {example.lineno + 1}: {example.source.strip()}\nprinted\n{got}")

    def report_unexpected_exception(self, out, test, example, exc_info):  # type: ignore[no-untyped-def]
        text = "".join(traceback.format_exception_only(*exc_info[:2]))
        self.failures_seen.append(f"line {example.lineno + 1}: {example.source.strip()}\nraised\n{text}")


def _python(block: Block, where: str, cwd: Path, namespace: dict[str, object], result: Result) -> None:
    text = "\n".join(block.lines) + "\n"
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        if ">>>" not in text:
            try:
                exec(compile(text, where, "exec"), namespace)
            except Exception:
                result.problems.append(f"{where}: raised\n{traceback.format_exc(limit=3)}")
            return
        test = doctest.DocTestParser().get_doctest(text, namespace, where, where, 0)
        runner = _Recorder()
        runner.run(test, out=lambda _: None, clear_globs=False)
    finally:
        os.chdir(previous)
    result.problems += [f"{where}, {failure}" for failure in runner.failures_seen]
    lines = list(block.lines)
    # Rewrite from the last example up, so that earlier line numbers stay right.
    for k in sorted(runner.got, reverse=True):
        example = test.examples[k]
        start = example.lineno + example.source.count("\n")
        stop = start + example.want.count("\n")
        pad = " " * example.indent
        lines[start:stop] = [pad + line for line in refreshed(example.want, runner.got[k]).splitlines()]
    result.updated[block.first] = lines


def run_page(page: Path) -> Result:
    """Run every example of one page; the differences, and the page's blocks as they should read."""
    result = Result()
    namespace: dict[str, object] = {"__name__": "__docs__"}
    name = page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name
    with scratch() as (cwd, env):
        for block in blocks(page.read_text("utf-8")):
            where = f"{name}:{block.first}"
            if block.skipped:
                continue
            if block.lang == "console":
                _console(block, where, cwd, env, result)
            elif block.lang == "sh":
                _sh(block, where, cwd, env, result)
            elif block.lang in ("python", "pycon"):
                _python(block, where, cwd, namespace, result)
    return result


def update_page(page: Path, result: Result) -> bool:
    """Write the blocks' new lines into the page; whether anything changed."""
    text = page.read_text("utf-8")
    lines = text.splitlines()
    for block in sorted(blocks(text), key=lambda b: -b.first):
        new = result.updated.get(block.first)
        if new is not None:
            lines[block.first : block.first + len(block.lines)] = [
                (block.indent + line) if line else line for line in new
            ]
    updated = "\n".join(lines) + ("\n" if text.endswith("\n") else "")
    if updated != text:
        page.write_text(updated, encoding="utf-8")
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("pages", nargs="*", type=Path, help="pages to run (default: README.md and docs/*.md)")
    parser.add_argument("--update", action="store_true", help="rewrite the shown output that differs")
    args = parser.parse_args(argv)
    pages = [p.resolve() for p in args.pages] or PAGES
    failed = 0
    for page in pages:
        result = run_page(page)
        if args.update:
            if update_page(page, result):
                print(f"updated {page}")
            left = [p for p in result.problems if "printed\n" not in p]  # what rewriting cannot fix
            for problem in left:
                print(problem, file=sys.stderr)
            failed += len(left)
        else:
            for problem in result.problems:
                print(problem + "\n", file=sys.stderr)
            failed += len(result.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
