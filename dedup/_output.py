"""Where a command's output goes, and what ends a command: a file written whole or not at all, SIGTERM as Ctrl-C.

The command line (:mod:`dedup.cli`) writes every report through :class:`Output` and runs every
command under :func:`terminated_as_interrupt`: a command stopped by a signal or an error leaves
no partial output file behind, and an existing file as it was.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._streams import COMPRESSIONS
from .errors import DedupError

__all__: list[str] = []


class Output:
    """Where a command's output goes: standard output, or a file written whole or not at all.

    Made before the work starts, so that an output path that cannot be written is reported at once,
    not after a long scan: the file's temporary sibling is created then. Its content replaces the
    file (``os.replace``, atomic) only when everything was written; on an error or an interrupt
    the temporary file is removed and an existing file is left as it was. A command killed outright
    (SIGKILL: ``timeout -s KILL``, the out-of-memory killer) cannot remove its temporary file, so the
    file is locked (``flock``) while its command lives, and the next command writing the same file
    removes the temporary files whose lock it can take. A symbolic link's file is the one replaced;
    a pipe or a device (``/dev/stdout``, a FIFO) is written to as it is. An input of the command is
    never the output.
    """

    def __init__(self, path: str | None, *, binary: bool = False, reads: Callable[[Path], bool] | None = None) -> None:
        if path == "":  # (Path("") is ".", the current folder: said as what it is, not as a directory)
            raise DedupError("--output: an empty path: expected a file name, or - (standard output)")
        self.path = None if path is None or path == "-" else Path(path)
        self.shown = shown_output(self.path)  # (as given: self.path becomes a link's file)
        self.binary = binary
        self.temporary: Path | None = None
        self._lock: int | None = None  # the temporary file's descriptor, flock()ed until it is committed or removed
        self.direct = False  # a pipe or a device: written as it is, there is no file to replace
        if self.path is None:
            if sys.stdout is None:  # started with it closed (`>&-`): said before the work, not after
                raise DedupError("<stdout>: cannot write: standard output is closed (give -o FILE)")
            return
        try:
            folder = self.path.is_dir()
        except OSError as error:  # (a name too long: pathlib says only a missing file)
            raise DedupError(f"{self.path}: cannot write: {error.strerror or error}") from None
        if folder:
            raise DedupError(f"{self.path}: cannot write: it is a directory")
        compression = COMPRESSIONS.get(self.path.suffix.lower())  # (the program that writes it has its name)
        if compression is not None and not (self.path.exists() and not self.path.is_file()):
            # The name says compressed and the report would not be: a reader going by the name
            # (dedup's own, pandas) fails on it, and without --format .jsonl.gz named no format,
            # so the table was written there.
            raise DedupError(
                f"{self.path}: cannot write: its name says {compression}, and reports are written "
                f"uncompressed: name it without {self.path.suffix}, or compress standard output "
                f"(... | {compression} > {self.path})"
            )
        if reads is not None and reads(self.path):
            if os.path.exists(os.path.realpath(self.path)):  # (docs/sub/../1.txt is docs/1.txt, sub or not)
                raise DedupError(f"{self.path}: cannot write: it is an input of this command, which would be lost")
            raise DedupError(
                f"{self.path}: cannot write: it is in a folder this command reads, and of a format read there: "
                "a scan of these inputs would read the report as documents (write it elsewhere)"
            )
        if self.path.exists() and not self.path.is_file():
            self.direct = True
            return
        shown, self.path = self.path, Path(os.path.realpath(self.path))  # a link's file is written, not the link
        with _signals_held():  # a signal now would leave a file nobody knows the name of
            try:
                handle, name = _locked_temporary(self.path)
            except OSError as error:
                raise DedupError(_not_made(shown, self.path, error)) from error
            self._lock = handle
            self.temporary = Path(name)
            if _unfinished is not None:
                _unfinished.add(self.temporary)
        _remove_abandoned(self.path, self.temporary.name)

    @contextlib.contextmanager
    def open(self) -> Iterator[Any]:
        """The stream to write to (text, or bytes when ``binary``), committed when the block ends without error.

        A write that fails (a full disk) is an error naming the output, standard output included,
        whose last bytes are written (flushed) here, not at exit, where the failure would be no error
        of the command's.
        """
        name = self.shown
        try:
            with self._opened() as stream:
                yield stream
                if self.temporary is None and not self.direct:
                    stream.flush()
        except OSError as error:
            if isinstance(error, DedupError | BrokenPipeError):  # (said already; the reader gone)
                raise
            raise DedupError(f"{name}: cannot write: {error.strerror or error}") from error

    @contextlib.contextmanager
    def _opened(self) -> Iterator[Any]:
        if self.direct:
            assert self.path is not None
            try:
                stream = self.path.open("wb") if self.binary else self.path.open("w", encoding="utf-8", newline="\n")
            except OSError as error:
                raise DedupError(f"{self.path}: cannot write: {error.strerror or error}") from error
            with stream:
                yield stream
            return
        if self.temporary is None:
            yield sys.stdout.buffer if self.binary else sys.stdout
            return
        try:
            if self.binary:
                with self.temporary.open("wb") as stream:
                    yield stream
            else:
                with self.temporary.open("w", encoding="utf-8", newline="\n") as stream:
                    yield stream
            self._commit()
        except BaseException:
            self.discard()
            raise

    def _commit(self) -> None:
        assert self.path is not None and self.temporary is not None
        try:
            mode = self.path.stat().st_mode & 0o7777  # an existing file keeps its permissions
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # mkstemp made the file private; a new output gets the usual mode
        os.chmod(self.temporary, mode)
        os.replace(self.temporary, self.path)
        self._done()

    def discard(self) -> None:
        """Remove the temporary file (when nothing is to be written after all)."""
        if self.temporary is not None:
            with contextlib.suppress(OSError):
                self.temporary.unlink()
            self._done()

    def _done(self) -> None:
        if _unfinished is not None and self.temporary is not None:
            _unfinished.discard(self.temporary)
        self.temporary = None
        if self._lock is not None:
            os.close(self._lock)  # (the lock goes with it)
            self._lock = None


def _not_made(shown: Path, path: Path, error: OSError) -> str:
    """Why the output ``shown`` (whose file is ``path``) cannot be written, its temporary sibling not made.

    The file itself may be there and writable: what fails is a new file in its folder, which the
    system's own answer does not say (``/proc/version``: "No such file or directory", /proc being
    there and making no files).
    """
    why = error.strerror or str(error)
    if not path.parent.is_dir():  # (a missing folder: the system's answer says it)
        return f"{shown}: cannot write: {why}"
    if error.errno == errno.ENOENT:
        why = "the system makes none there"
    return (
        f"{shown}: cannot write: no new file can be made in its folder {path.parent} ({why}): "
        "the report is written to one first, then renamed to its name"
    )


def shown_output(path: Path | None) -> str:
    """An output as messages name it: its path, or ``<stdout>``."""
    return "<stdout>" if path is None else str(path)


def _locked_temporary(path: Path) -> tuple[int, str]:
    """A new temporary sibling of ``path``, open and ``flock``ed: the lock says its command is alive.

    Another command removing abandoned files (:func:`_remove_abandoned`) may take a new file's lock
    before its maker does, and removes it: the maker then makes another. On a filesystem without
    locks the file is used unlocked (and what a killed command leaves there stays).
    """
    while True:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)  # (being removed as abandoned)
            continue
        except OSError:
            return handle, name
        try:
            named = os.stat(name, follow_symlinks=False)
        except FileNotFoundError:
            named = None
        held = os.fstat(handle)
        if named is not None and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
            return handle, name
        os.close(handle)  # (removed as abandoned between its making and its lock)


def _remove_abandoned(path: Path, own: str) -> None:
    """Remove the temporary siblings of ``path`` (but ``own``) that no living command holds: left by a killed one."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}\.tmp")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if name == own or not pattern.fullmatch(name):
            continue
        left = path.parent / name
        try:
            handle = os.open(left, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            held = os.fstat(handle)
            if not stat.S_ISREG(held.st_mode):
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # its command is alive and writing it (or locks are not to be had here)
            with contextlib.suppress(OSError):
                named = os.stat(left, follow_symlinks=False)
                if (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):  # (not committed meanwhile)
                    os.unlink(left)
        finally:
            os.close(handle)


# While a command runs on the main thread: the temporary output files not yet committed or removed
# (whatever ends the command removes them, even a signal that came before their owner could), and
# whether a signal is held off, with those that came meanwhile.
_unfinished: set[Path] | None = None
_holding = False
_held: list[int] = []
_ctrl_c: Any = None  # the Ctrl-C handler the command found (Python's, or a host's such as a test runner's)


@contextlib.contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``) ends the command as Ctrl-C does: partial output files removed, status 143."""
    global _unfinished, _ctrl_c

    def stop(signum: int, frame: object) -> None:
        if _holding:
            _held.append(signum)
        else:
            _end(signum)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {signal.SIGTERM: signal.signal(signal.SIGTERM, stop)}
    if callable(signal.getsignal(signal.SIGINT)):  # (not when Ctrl-C is ignored, or left to the system)
        _ctrl_c = handlers[signal.SIGINT] = signal.signal(signal.SIGINT, stop)
    _unfinished = set()
    try:
        yield
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        for path in _unfinished:
            with contextlib.suppress(OSError):
                path.unlink()
        _unfinished = _ctrl_c = None
        _held.clear()


def _end(signum: int) -> None:
    """End the command for a signal: Ctrl-C as the handler found there does, any other as ``SystemExit`` with the
    shell's status."""
    if signum == signal.SIGINT:
        if callable(_ctrl_c):
            _ctrl_c(signum, None)  # (Python's raises KeyboardInterrupt; a host's may do what it does)
            return
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold off SIGTERM and Ctrl-C (on the main thread, under :func:`terminated_as_interrupt`) until the block ends."""
    global _holding
    if _holding:
        yield
        return
    _holding = True
    try:
        yield
    finally:
        _holding = False
        if _held:
            _end(_held.pop(0))
