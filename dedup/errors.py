"""The exceptions dedup raises.

Every error is a :class:`DedupError`; each subclass also subclasses the builtin
it refines, so ``except ValueError`` keeps working for callers who do not know
dedup's hierarchy.
"""

from __future__ import annotations

__all__ = ["DedupError", "DependencyError", "InputError", "ParameterError", "ReadError"]


class DedupError(Exception):
    """Root of every error raised by dedup.

    Example:
        >>> import dedup
        >>> try:
        ...     dedup.ScanConfig(threshold=2)
        ... except dedup.DedupError as error:
        ...     print(type(error).__name__, "-", error)
        ParameterError - threshold must be strictly between 0 and 1, got 2.0
    """


class ParameterError(DedupError, ValueError):
    """A parameter is outside its allowed range (the message names it, the rule and the value).

    Example:
        >>> import dedup
        >>> try:
        ...     dedup.scan([], threads=0)
        ... except ValueError as error:  # a ParameterError is a ValueError too
        ...     print(type(error).__name__, "-", error)
        ParameterError - threads must be an integer from 1 to 256, got 0
    """


class InputError(DedupError, ValueError):
    """An input document is malformed (the message names the file, line and field).

    ``document`` is the id of the offending document when it is known and ``reason`` the bare
    reason, so that a caller who knows where the document came from can say so. ``skippable`` is
    true when the problem is one document's, which ``skip_bad`` would have skipped. ``kind`` is the
    kind of problem when a document is refused (the ``Skipped.kind`` it would have been counted
    under without ``strict``: ``"too short"``, ``"unread date"``, ...). ``occurrence`` says which
    of the documents given under that id it is (1 for the first, in the order given), so that a
    caller who read several under one id can name the place of the one refused.

    Example:
        >>> import dedup
        >>> text = "Wording long enough to be scanned, and given twice under one id. " * 3
        >>> try:
        ...     dedup.scan([dedup.Document("a", text), dedup.Document("a", text)])
        ... except dedup.InputError as error:
        ...     print(error.document, "-", error.kind, "-", error.skippable, "-", error.occurrence)
        a - duplicate id - True - 2
    """

    def __init__(
        self,
        message: str,
        *,
        document: str | None = None,
        reason: str | None = None,
        skippable: bool = False,
        kind: str | None = None,
        occurrence: int | None = None,
    ) -> None:
        super().__init__(message)
        self.document = document
        self.reason = reason if reason is not None else message
        self.skippable = skippable
        self.kind = kind
        self.occurrence = occurrence


class ReadError(DedupError, OSError):
    """An input file cannot be read.

    ``skippable`` is true when the file (or folder) is one that ``skip_bad`` would have skipped and
    counted: one found unreadable, not a path that names nothing.

    Example:
        >>> import dedup
        >>> try:
        ...     list(dedup.read_documents(["no-such-file.jsonl"]))
        ... except OSError as error:  # a ReadError is an OSError too
        ...     print(type(error).__name__, "-", error, "-", error.skippable)
        ReadError - no-such-file.jsonl: cannot read: no such file or directory - False
    """

    def __init__(self, message: str, *, skippable: bool = False) -> None:
        super().__init__(message)
        self.skippable = skippable


class DependencyError(DedupError, ImportError):
    """An optional dependency that the request needs is not installed (the message says how to install it).

    Example:
        >>> issubclass(DependencyError, ImportError)  # ``except ImportError`` catches it
        True
    """
