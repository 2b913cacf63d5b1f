"""Compile the engine's kernels once, before the test workers start; no hypothesis deadline.

With ``-n auto`` every worker would otherwise compile every kernel it calls, each on its own
core, at the same time (a minute or two of each core on a fresh machine): the kernels are compiled
here instead, two processes at once (:func:`dedup._compile.compile_kernels`), and the workers load
them from numba's cache. A no-op when they are cached already.

Hypothesis fails an example that takes longer than 200 ms by default: a wall-clock limit, which
on a shared, busy machine fails at random (``test_idempotent`` took 307 ms in a CI run). The
tests check what the code computes; speed is the benchmarks' business.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

settings.register_profile("dedup", deadline=None)
settings.load_profile("dedup")


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller compiled them
        return
    from dedup._compile import compile_kernels

    compile_kernels()
