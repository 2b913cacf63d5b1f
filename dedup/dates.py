"""Document dates: the few forms news data carries, read into comparable periods.

Dates order documents: which of two articles came first (the likely origin of a reuse cluster,
the likely copy of a pair). A date that cannot be read is ``None``, never a guess: a slashed
``01/02/2024`` is day-first in one country and month-first in another, so it is not read.

A date with a time is an instant; a date without one is its whole day, not the day's first
instant (and a year or a month alone, ``1877`` or ``1950-05``, the whole year or month: a work's
date in a library's catalogue): outlets' pages scraped with the day alone are not known to come before an agency story
timestamped that day, so neither is taken for the other's copy on the date (:func:`precedes`).
A day has no zone: it is held as the UTC day, which orders two days, and compared with a time as
that day in any zone (a New York page dated by its day is not before AP's 9 p.m. story, 02:00 UTC
the next day).
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from datetime import UTC, datetime, timedelta

from .errors import ParameterError

__all__ = ["parse_date", "period", "precedes", "read_date", "read_period"]

# Day-first with dots (``22.01.2024``, ``22.01.24``): the German, Russian, South Asian... form.
# Nobody writes month-first with dots, so it is unambiguous. Two-digit years are 1969-2068, as
# strptime's %y and POSIX read them (2000-2099 put an archive's 1990s after this century).
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})", re.ASCII)

# ISO 8601 as Python reads it, held to a whole day (``2024-01-22``, ``20240122``, a week's day
# ``2024-W04-1``), then, after ``T`` or a space, a time. Python takes any one character between
# the two and a week without its day: ``2024-01-22+02:00`` (a day in its zone) would be 02:00 UTC,
# ``2024-W04`` its Monday; neither is the date given, so neither is read.
_ISO = re.compile(r"(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}-W\d{2}-\d|\d{4}W\d{3})(?:[T ](.+))?", re.ASCII)

# ISO 8601's reduced precision: a year (``1877``) or a month (``1950-05``), each its whole period.
_REDUCED = re.compile(r"(\d{4})(?:-(\d{2}))?", re.ASCII)


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time, or a dotted day-first date, as an aware datetime (UTC if no zone), or None.

    An ISO 8601 date is a whole day (``2024-01-22``, ``20240122``, ``2024-W04-1``), alone or with a
    time after ``T`` or a space, or a year or a month alone (``1877``, ``1950-05``: its first
    instant here, its whole period in :func:`period`); digits of any script (Arabic-Indic ones)
    are read as ASCII ones.

    Example:
        >>> parse_date("2024-01-22")
        datetime.datetime(2024, 1, 22, 0, 0, tzinfo=datetime.timezone.utc)
        >>> parse_date("22.01.24") == parse_date("2024-01-22"), parse_date("22/01/2024")
        (True, None)
        >>> parse_date("2024-01-22+02:00"), parse_date("2024-W04")  # a day in its zone, a week: not read
        (None, None)
        >>> parse_date("1950-05")
        datetime.datetime(1950, 5, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if value is not None and not isinstance(value, str):
        # (The rule a document's date is held to, in the same words.)
        raise ParameterError(f"value must be a string or None, got {type(value).__name__}")
    if not value:
        return None
    value = _ascii_digits(value.strip())
    dotted = _DOTTED.fullmatch(value)
    if dotted:
        day, month, year = (int(x) for x in dotted.groups())
        try:
            full = year if len(dotted[3]) == 4 else year + (1900 if year >= 69 else 2000)
            return datetime(full, month, day, tzinfo=UTC)
        except ValueError:
            return None
    reduced = _REDUCED.fullmatch(value)
    if reduced:
        month = int(reduced[2] or 1)
        return datetime(int(reduced[1]), month, 1, tzinfo=UTC) if 1 <= month <= 12 and int(reduced[1]) else None
    if not _ISO.fullmatch(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def read_date(value: str | None) -> tuple[datetime | None, str | None]:
    """A document's date read (:func:`parse_date`), and why it was not when one was given (else ``None``).

    Example:
        >>> read_date("2024-01-31")[1], read_date(None), read_date(" ")
        (None, (None, None), (None, None))
        >>> when, reason = read_date("01/02/2024")
        >>> when, reason.removesuffix(_EXPECTED), _EXPECTED[:44]
        (None, "date '01/02/2024' cannot be read: ", 'expected an ISO 8601 day or time (2024-01-31')
    """
    when = parse_date(value)
    if when is not None or value is None or not value.strip():
        return when, None
    # A date field holding a text (columns mixed up) is shown by its start: the reason is one line.
    shown = repr(value) if len(value) <= _SHOWN else f"{value[:_SHOWN] + '…'!r} ({len(value):,} characters)"
    return None, f"date {shown} cannot be read: {_EXPECTED}"


# (A week, 2024-W05, is ISO 8601 too, and is no day, month or year: said so.)
_EXPECTED = (
    "expected an ISO 8601 day or time (2024-01-31, 2024-01-31T14:30:00+02:00), year or month (1877, 1950-05),"
    " or day.month.year (31.01.2024)"
)


# The characters of a date not read that its reason quotes (a date is at most 35 or so).
_SHOWN = 40


_DAY = timedelta(days=1)


def period(value: str | None) -> tuple[float, float]:
    """A date's period as timestamps, as the engines hold it: its start and its end (NaN, NaN when none or not read).

    The end is NaN for a time (an instant) and the next day's first instant for a day (a day
    without a time is the whole day, dotted or ISO 8601), likewise the next month's or year's for a
    month or a year alone; :func:`precedes` orders two periods.

    Example:
        >>> period("1970-01-02"), period("1970-01-01T00:01:00Z"), period("yesterday")
        ((86400.0, 172800.0), (60.0, nan), (nan, nan))
        >>> period("02.01.70") == period("1970-01-02"), period("1970-02") == (2678400.0, 5097600.0)
        (True, True)
        >>> period("9999")[1] == period("9999-12-31")[1]
        True
    """
    start = parse_date(value)
    if start is None or value is None:
        return math.nan, math.nan
    value = _ascii_digits(value.strip())
    reduced = _REDUCED.fullmatch(value)
    if reduced:  # (to the end of its last day: the next year's first would be past 9999 for 9999)
        month = 12 if reduced[2] is None else start.month
        last = datetime(start.year, month, calendar.monthrange(start.year, month)[1], tzinfo=UTC)
        return start.timestamp(), last.timestamp() + _DAY.total_seconds()
    # (the end as a timestamp, not a datetime: 9999-12-31's next day is past the last datetime)
    return start.timestamp(), start.timestamp() + _DAY.total_seconds() if _is_day(value) else math.nan


def read_period(value: str | None) -> tuple[float, float, str | None]:
    """A document's date as the engines hold it (:func:`period`), and why it was not read when one was given.

    The date is parsed once; the reason (:func:`read_date`) is worded only for a date given and
    not read.

    Example:
        >>> read_period("1970-01-02"), read_period(None)
        ((86400.0, 172800.0, None), (nan, nan, None))
        >>> read_period("01/02/2024")[2].startswith("date '01/02/2024' cannot be read")
        True
    """
    start, until = period(value)
    return start, until, read_date(value)[1] if math.isnan(start) else None


def _is_day(value: str) -> bool:
    """Whether a readable date names a day without a time (``2024-01-22``, ``20240122``, ``22.01.24``)."""
    value = _ascii_digits(value)
    if _DOTTED.fullmatch(value):
        return True
    iso = _ISO.fullmatch(value)
    return iso is not None and iso.group(1) is None


def _ascii_digits(value: str) -> str:
    """``value`` with its digits of other scripts as ASCII ones (Arabic-Indic ``٢٠٢٤`` is ``2024``)."""
    if value.isascii():
        return value
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in value)


def precedes(time_a: float, until_a: float, time_b: float, until_b: float) -> bool:
    """Whether the date of a (``time_a`` to ``until_a``, as timestamps) is wholly before b's (likewise).

    A period ends where ``until`` says (exclusive; NaN: it is the instant ``time``); a missing
    date (``time`` NaN) precedes nothing and follows nothing. Two days are ordered as days; a day
    and a time only when the time is outside that day in every zone (a day given without a zone
    may be New York's or Auckland's: from ``_EAST`` before its UTC start to ``_WEST`` after its
    UTC end); a time within a day, or two equal times, are not.

    Example:
        >>> day, next_day = period("2024-01-22"), period("2024-01-23")
        >>> morning, late = period("2024-01-22T06:10"), period("2024-01-22T21:00:00-05:00")  # 23T02:00Z
        >>> precedes(*day, *morning), precedes(*morning, *day), precedes(*day, *late)
        (False, False, False)
        >>> precedes(1.0, math.nan, 2.0, math.nan), precedes(*day, *next_day)
        (True, True)
        >>> precedes(*day, *period("2024-01-23T12:00Z")), precedes(*day, *period("2024-01-23T11:59Z"))
        (True, False)
    """
    a_day, b_day = not math.isnan(until_a), not math.isnan(until_b)
    if a_day:  # (its end is exclusive; NaN compares false: a missing date is never after)
        return until_a <= time_b if b_day else until_a + _WEST <= time_b
    return time_a < time_b - _EAST if b_day else time_a < time_b


# How far the world's zones run east and west of UTC (Kiribati's UTC+14, Baker Island's UTC-12):
# a day given without a zone begins that long before its UTC start, and ends that long after its end.
_EAST = 14 * 3600.0
_WEST = 12 * 3600.0
