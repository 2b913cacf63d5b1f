"""The stage modules' public names, with their public methods and properties, each open with a one-line
summary and show a runnable example (the doctests run it), as the package's own names do (test_docs.py)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

MODULES = (
    "dedup.checks",
    "dedup.lsh",
    "dedup.minhash",
    "dedup.sketch",
    "dedup.shingle",
    "dedup.dates",
    "dedup.clusters",
    "dedup.candidates",
    "dedup.schedule",
    "dedup.evaluate_pairs",
)


def _problems(qualname: str, obj: Any) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    found = []
    if not doc.split("\n\n", 1)[0].strip() or "\n" in doc.split("\n\n", 1)[0].strip():
        found.append(f"{qualname}: the docstring does not open with a one-line summary")
    if ">>>" not in doc:
        found.append(f"{qualname}: no example")
    return found


@pytest.mark.parametrize("name", MODULES)
def test_public_names_have_a_summary_and_an_example(name: str) -> None:
    module = importlib.import_module(name)
    problems = []
    for public in module.__all__:
        obj = getattr(module, public)
        if getattr(obj, "__module__", name) != name or not callable(obj):
            continue  # (re-exported, or a constant)
        problems += _problems(f"{name}.{public}", obj)
        if inspect.isclass(obj):
            for attribute, value in vars(obj).items():
                if attribute.startswith("_"):
                    continue
                if isinstance(value, staticmethod | classmethod):
                    value = value.__func__
                if isinstance(value, property) or inspect.isfunction(value):
                    problems += _problems(f"{name}.{public}.{attribute}", value)
    assert not problems, "\n".join(problems)
