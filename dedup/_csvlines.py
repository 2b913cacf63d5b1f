"""CSV and TSV records that a misplaced quote runs over lines: where they are read again, and why.

A quote that opens a cell and is not closed on its line takes the lines after it into that cell;
:class:`Relines` lets the reader (:mod:`dedup.io`) read those lines again, each as its own record,
when they read as records (:func:`resumes`).
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator

__all__: list[str] = []


class Relines:
    """A file's lines for a CSV reader, numbered; those of the record being read are kept, to be read again."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._count = 0
        self._again: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []  # (number, line) of each line of the record being read
        self.at_end = False  # the last line asked for was past the end of the file

    def __iter__(self) -> Relines:
        return self

    def __next__(self) -> str:
        if self._again:
            taken = self._again.popleft()
        else:
            try:
                line = next(self._lines)
            except StopIteration:
                self.at_end = True
                raise
            self._count += 1
            taken = (self._count, line)
        self.at_end = False
        self.taken.append(taken)
        return taken[1]

    def begin(self) -> None:
        """A new record starts."""
        self.taken = []

    def again(self) -> None:
        """Read the lines of the record after its first again."""
        self._again.extendleft(reversed(self.taken[1:]))


def open_quote(line: str, delimiter: str) -> int | None:
    """The column (from 1) of the quote opening a cell that a line of CSV leaves open, if it leaves one open.

    Example:
        >>> open_quote('a,"He said, then,s1', ","), open_quote('a,"closed",b', ","), open_quote('a,b"c', ",")
        (3, None, None)
    """
    opened: int | None = None
    starts_cell = True
    quote_in_cell = False  # a quote seen inside the open cell: it closes the cell unless another follows
    for column, char in enumerate(line.rstrip("\r\n"), 1):
        if opened is not None:
            if quote_in_cell:
                quote_in_cell = False
                if char == '"':
                    continue  # a quote written twice: one quote in the cell
                opened, starts_cell = None, char == delimiter
            elif char == '"':
                quote_in_cell = True
            continue
        if char == '"' and starts_cell:
            opened = column
        starts_cell = char == delimiter
    return None if quote_in_cell else opened


def text_after_quote(lines: list[tuple[int, str]], delimiter: str) -> tuple[int, int, str] | None:
    """Where text follows the quote closing a quoted cell (its line number, column from 1 and character), if it does.

    Example:
        >>> text_after_quote([(2, 'b,"Quoted" he said')], ","), text_after_quote([(2, 'b,"a ""q"" b",c')], ",")
        ((2, 11, ' '), None)
        >>> text_after_quote([(2, 'a,"first line'), (3, 'He said "hi" then"')], ",")
        (3, 10, 'h')
    """
    quoted = closing = False
    starts_cell = True
    for number, line in lines:
        for column, char in enumerate(line.rstrip("\r\n"), 1):
            if closing:
                closing = False
                if char == '"':
                    continue  # a quote written twice: one quote in the cell
                if char != delimiter:
                    return number, column, char
                quoted, starts_cell = False, True
            elif quoted:
                closing = char == '"'
            elif char == '"' and starts_cell:
                quoted, starts_cell = True, False
            else:
                starts_cell = char == delimiter
    return None


def quote_problem(source: Relines, error: csv.Error, delimiter: str) -> str:
    """What a CSV error is, said of the quote that caused it: one opening a cell the file ends in, or
    one closing a cell that text follows (the csv module's ``',' expected after '"'`` names neither)."""
    column = open_quote(source.taken[0][1], delimiter) if source.taken else None
    if source.at_end and column is not None:
        return f"the quote at column {column} opens a cell that is never closed"
    after = text_after_quote(source.taken, delimiter)
    if after is not None:
        number, column, char = after
        place = f"column {column - 1}" if number == source.taken[0][0] else f"line {number}, column {column - 1}"
        separator = "a tab" if delimiter == "\t" else repr(delimiter)
        return (
            f"the quote at {place} closes its cell and {char!r} follows it: expected {separator} or the end of the "
            "line after a closing quote, or the quote written twice, a quote inside the cell"
        )
    return str(error)


def resumes(source: Relines, delimiter: str, width: int) -> str | None:
    """Why a malformed record's first line is to be read alone and the lines after it again, else ``None``.

    That is when a quote in the first line opens a cell that takes the next lines in, and those
    lines (up to the one the cell ends on, read again whatever it holds) read as records of
    ``width`` fields. A quoted cell meant to run over lines (paragraphs) holds lines that do not.
    """
    taken = source.taken
    column = open_quote(taken[0][1], delimiter) if len(taken) > 1 else None
    if column is None:
        return None
    inside = [line for _, line in (taken[1:] if source.at_end else taken[1:-1])]
    try:
        rows = [row for row in csv.reader(inside, delimiter=delimiter, strict=True) if row]
    except csv.Error:
        return None
    if not rows or any(len(row) != width for row in rows):
        return None
    if source.at_end:
        return f"the quote at column {column} opens a cell that is never closed"
    return f"the quote at column {column} opens a cell that runs on to line {taken[-1][0]}, over records of their own"
