"""Document dates: the few forms news data carries, read into comparable instants.

Dates order documents: which of two articles came first (the likely origin of a reuse cluster,
the likely copy of a pair). A date that cannot be read is ``None``, never a guess: a slashed
``01/02/2024`` is day-first in one country and month-first in another, so it is not read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import ParameterError

__all__ = ["parse_date", "read_date"]

# Day-first with dots (``22.01.2024``, ``22.01.24``): the German, Russian, South Asian... form.
# Nobody writes month-first with dots, so it is unambiguous. Two-digit years are 2000-2099.
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time, or a dotted day-first date, as an aware datetime (UTC if no zone), or None.

    Example:
        >>> parse_date("2024-01-22")
        datetime.datetime(2024, 1, 22, 0, 0, tzinfo=datetime.timezone.utc)
        >>> parse_date("22.01.24") == parse_date("2024-01-22"), parse_date("22/01/2024")
        (True, None)
    """
    if value is not None and not isinstance(value, str):
        # (The rule a document's date is held to, in the same words.)
        raise ParameterError(f"value must be a string or None, got {type(value).__name__}")
    if not value:
        return None
    value = value.strip()
    dotted = _DOTTED.fullmatch(value)
    if dotted:
        day, month, year = (int(x) for x in dotted.groups())
        try:
            return datetime(year + 2000 if year < 100 else year, month, day, tzinfo=UTC)
        except ValueError:
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
        >>> read_date("01/02/2024")
        (None, "date '01/02/2024' cannot be read: expected ISO 8601 (2024-01-31) or day.month.year (31.01.2024)")
    """
    when = parse_date(value)
    if when is not None or value is None or not value.strip():
        return when, None
    # A date field holding a text (columns mixed up) is shown by its start: the reason is one line.
    shown = repr(value) if len(value) <= _SHOWN else f"{value[:_SHOWN] + '…'!r} ({len(value):,} characters)"
    return None, f"date {shown} cannot be read: expected ISO 8601 (2024-01-31) or day.month.year (31.01.2024)"


# The characters of a date not read that its reason quotes (a date is at most 35 or so).
_SHOWN = 40
