"""Griffe extension for the docs build: read dedup's ``Example:`` docstring sections as examples.

dedup's docstrings head their doctests ``Example:`` (singular). Griffe's Google-style parser only
knows ``Examples:`` as a code section and would render the singular as a Markdown admonition, in
which doctest output such as ``[(True, 'x')]`` reads as a broken link. Renaming the heading before
parsing keeps the docstrings as they are and makes the examples render as code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_HEADING = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class SingularExamples(griffe.Extension):
    """Rename ``Example:`` section headings to ``Examples:`` in every loaded docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _HEADING.sub(r"\1Examples:", obj.docstring.value)
