"""-o writes what it names and nothing else; a compressed input cut short is an error, not fewer documents."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from dedup.cli import main

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TEXTS = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def corpus(folder: Path) -> Path:
    folder.mkdir()
    for k, text in enumerate(TEXTS[:2]):
        (folder / f"{k}.txt").write_text(text, "utf-8")
    return folder


def test_a_link_is_followed_not_replaced(tmp_path: Path) -> None:
    docs = corpus(tmp_path / "docs")
    target, link = tmp_path / "target.jsonl", tmp_path / "link.jsonl"
    target.write_text("old\n", "utf-8")
    link.symlink_to(target)
    assert main(["scan", str(docs), "--format", "jsonl", "-q", "-o", str(link)]) == 0
    assert link.is_symlink() and '"type": "passage"' in target.read_text("utf-8")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_written_to_as_it_is(tmp_path: Path) -> None:
    docs = corpus(tmp_path / "docs")
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text("utf-8")))
    reader.start()
    assert main(["scan", str(docs), "--format", "jsonl", "-q", "-o", str(fifo)]) == 0
    reader.join(30)
    assert fifo.is_fifo() and got and got[0].count('"type": "passage"') == 4


def test_an_input_is_never_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = corpus(tmp_path / "docs")
    named = tmp_path / "docs.jsonl"
    named.write_text("".join(json.dumps({"id": str(k), "text": t}) + "\n" for k, t in enumerate(TEXTS[:2])), "utf-8")
    before = named.read_bytes(), (docs / "0.txt").read_bytes()
    for inputs, output in (([named], named), ([docs], docs / "0.txt"), ([docs], docs / "sub" / ".." / "1.txt")):
        assert main(["scan", *map(str, inputs), "-o", str(output)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "cannot write: it is an input of this command" in err
    assert (named.read_bytes(), (docs / "0.txt").read_bytes()) == before
    # A file the folder's reading leaves out (hidden, or of no known format) may be written there.
    assert main(["scan", str(docs), "-q", "-o", str(docs / "found.md")]) == 0


@pytest.mark.parametrize(
    ("command", "name"),
    [(["scan", "DOCS", "-q"], "found.jsonl.gz"), (["scan", "DOCS", "-q", "--format", "jsonl"], "found.jsonl.GZ"),
     (["scan", "DOCS", "-q", "--format", "csv"], "found.csv.zst"), (["tune"], "tune.json.gz")],
)  # fmt: skip
def test_a_compressed_name_is_an_error_not_an_uncompressed_file(
    command: list[str], name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o found.jsonl.gz` wrote the table (.gz names no format), uncompressed, under a name saying gzip."""
    docs = corpus(tmp_path / "docs")
    argv = [str(docs) if part == "DOCS" else part for part in command]
    output = tmp_path / name
    assert main([*argv, "-o", str(output)]) == 2
    err = capsys.readouterr().err
    program = "zstd" if name.endswith(".zst") else "gzip"
    assert err.count("\n") == 1 and err.startswith(f"dedup: error: {output}: cannot write: its name says {program}")
    assert f"| {program} > {output})" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]  # (nothing written, no temporary file left)


@pytest.mark.parametrize("command", [["scan", "DOCS"], ["tune"]])
def test_an_empty_output_path_is_said_as_such(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o "$OUT"` with OUT unset was Path(""), the current folder: '.: cannot write: it is a directory'."""
    docs = corpus(tmp_path / "docs")
    argv = [str(docs) if part == "DOCS" else part for part in command]
    assert main([*argv, "-o", ""]) == 2
    assert capsys.readouterr().err == (
        "dedup: error: --output: an empty path: expected a file name, or - (standard output)\n"
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("command", [["scan", "DOCS", "--format", "jsonl", "-q"], ["scan", "DOCS", "-q"], ["tune"]])
def test_a_full_disk_is_one_line_naming_the_output(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails (a full disk: /dev/full) was a traceback and status 1, to a file or to
    standard output; standard output's last bytes failed at exit, after the status was decided."""
    docs = corpus(tmp_path / "docs")
    argv = [str(docs) if part == "DOCS" else part for part in command]
    assert main([*argv, "-o", "/dev/full"]) == 2
    assert capsys.readouterr().err == "dedup: error: /dev/full: cannot write: No space left on device\n"
    full = open("/dev/full", "w", encoding="utf-8")  # noqa: SIM115 - closed below, its failure expected
    monkeypatch.setattr(sys, "stdout", full)
    assert main(argv) == 2
    monkeypatch.undo()
    with contextlib.suppress(OSError):  # (what it still holds cannot be written either)
        full.close()
    assert capsys.readouterr().err == "dedup: error: <stdout>: cannot write: No space left on device\n"


def test_closed_standard_streams_are_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started with standard error closed (`2>&-`, some daemons), Python has no sys.stderr: a scan that
    had written its report failed at its summary (AttributeError, status 1), and an error message went
    to standard output, into the report. With standard output closed the report's write failed so."""
    docs = corpus(tmp_path / "docs")
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(sys, "stderr", None)
    assert main(["scan", str(docs), "--format", "jsonl", "-o", str(out)]) == 0
    assert '"type": "summary"' in out.read_text("utf-8")
    assert main(["scan", str(docs), "-o", str(tmp_path / "table.txt")]) == 0  # (its summary goes to stderr)
    assert main(["scan", str(tmp_path / "nothing.jsonl")]) == 2
    assert capsys.readouterr() == ("", "")  # (the message has nowhere to go; the status says it)
    monkeypatch.undo()
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["scan", str(docs), "-q"]) == 2
    monkeypatch.undo()
    assert capsys.readouterr().err == (
        "dedup: error: <stdout>: cannot write: standard output is closed (give -o FILE)\n"
    )


def test_an_output_a_folder_input_would_read_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new file in an input folder, of a format the folder's reading takes, is refused: not because it
    'is an input, which would be lost' (it does not exist), but because the next scan would read it."""
    docs = corpus(tmp_path / "docs")
    assert main(["scan", str(docs), "--format", "jsonl", "-o", str(docs / "found.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"dedup: error: {docs / 'found.jsonl'}: cannot write: it is in a folder this command reads, and of a format"
        " read there: a scan of these inputs would read the report as documents (write it elsewhere)\n"
    )
    assert not (docs / "found.jsonl").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_sigterm_removes_the_partial_output(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    # Documents on standard input, kept open: the scan waits for the rest when the signal comes.
    process = _writing(tmp_path, out)
    assert process.stdin is not None
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 128 + signal.SIGTERM
    process.stdin.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread")
@pytest.mark.parametrize(
    ("number", "host"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGINT, True)],
    ids=["SIGTERM", "Ctrl-C", "Ctrl-C, a host's handler"],
)
def test_a_signal_as_the_temporary_file_is_made_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: signal.Signals, host: bool
) -> None:
    # The worst moment: the file exists and its name is not yet returned to whoever removes it.
    docs, out = corpus(tmp_path / "docs"), tmp_path / "out.jsonl"
    made = tempfile.mkstemp

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C as a program started from a terminal has it: Python's handler, or a host's of its own
    # (a test runner's). A script's background job starts with Ctrl-C ignored, and dedup then
    # leaves it so: the whole suite run as `... &` once failed here for that alone.
    previous = signal.signal(signal.SIGINT, interrupted if host else signal.default_int_handler)

    def signalled(*args: Any, **kwargs: Any) -> tuple[int, str]:
        handle, name = made(*args, **kwargs)
        signal.raise_signal(number)  # (runs the handler at once, here)
        return handle, name

    monkeypatch.setattr(tempfile, "mkstemp", signalled)
    try:
        assert main(["scan", str(docs), "--format", "jsonl", "-q", "-o", str(out)]) == 128 + number
    finally:
        signal.signal(signal.SIGINT, previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]


def test_a_zstd_file_cut_short_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zstandard = pytest.importorskip("zstandard")
    records = "".join(json.dumps({"id": str(k), "text": TEXTS[k % 5]}) + "\n" for k in range(40)).encode()
    frames = b"".join(zstandard.ZstdCompressor().compress(records[i : i + 9000]) for i in range(0, len(records), 9000))
    whole, cut = tmp_path / "whole.jsonl.zst", tmp_path / "cut.jsonl.zst"
    whole.write_bytes(frames)
    cut.write_bytes(frames[:-9])
    assert main(["scan", str(whole), "--format", "jsonl", "-q"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["documents_read"] == 40
    assert main(["scan", str(cut), "--format", "jsonl", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cut.jsonl.zst: cannot read: compressed file ended before the end" in err


def temporary(out: Path) -> list[str]:
    """The temporary files of ``out``'s writers."""
    return sorted(
        p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.") and len(p.name) == len(out.name) + 14
    )


def _writing(tmp_path: Path, out: Path) -> subprocess.Popen[bytes]:
    """A scan writing ``out``, held open: its documents come on standard input, which is kept open."""
    before = temporary(out)
    process = subprocess.Popen(
        [sys.executable, "-m", "dedup", "scan", "-", "-o", str(out), "--format", "jsonl", "-q"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdin is not None
    process.stdin.write((json.dumps({"id": "a", "text": TEXTS[0]}) + "\n").encode())
    process.stdin.flush()
    deadline = time.monotonic() + 60
    while len(temporary(out)) <= len(before):  # its temporary file
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    return process


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_what_a_killed_command_left_is_removed_by_the_next(tmp_path: Path) -> None:
    """A daily job killed outright (``timeout -s KILL``, the out-of-memory killer) cannot remove its temporary
    file: they piled up beside the report, one a killed run, each as large as what it had written. The next
    command writing the same file removes them, and never the temporary file of a command still running."""
    docs, out = corpus(tmp_path / "docs"), tmp_path / "out.jsonl"
    alive = _writing(tmp_path, out)
    (running,) = temporary(out)
    killed = _writing(tmp_path, out)  # (it leaves the running command's file alone too)
    killed.kill()
    killed.wait(60)
    assert killed.stdin is not None
    killed.stdin.close()
    assert len(temporary(out)) == 2
    (tmp_path / ".out.jsonl.notours.tmp").write_text("a file of another name pattern\n", "utf-8")
    assert main(["scan", str(docs), "--format", "jsonl", "-q", "-o", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".out.jsonl.notours.tmp", "docs", "out.jsonl", running]
    )
    assert alive.stdin is not None
    alive.stdin.close()
    assert alive.wait(60) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.jsonl.notours.tmp", "docs", "out.jsonl"]
