"""Compile the engine's kernels once, before the test workers start.

With ``-n auto`` every worker would otherwise compile every kernel it calls, each on its own
core, at the same time (a minute or two of each core on a fresh machine): the kernels are compiled
here instead, two processes at once (:func:`dedup._compile.compile_kernels`), and the workers load
them from numba's cache. A no-op when they are cached already.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller compiled them
        return
    from dedup._compile import compile_kernels

    compile_kernels()
