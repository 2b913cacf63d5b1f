"""Compile the engine's kernels once, before the test workers start; no hypothesis deadline; long suites on request.

With ``-n auto`` every worker would otherwise compile every kernel it calls, each on its own
core, at the same time (a minute or two of each core on a fresh machine): the kernels are compiled
here instead, two processes at once (:func:`dedup._compile.compile_kernels`), and the workers load
them from numba's cache. A no-op when they are cached already.

Hypothesis fails an example that takes longer than 200 ms by default: a wall-clock limit, which
on a shared, busy machine fails at random (``test_idempotent`` took 307 ms in a CI run). The
tests check what the code computes; speed is the benchmarks' business.

The default run draws the same examples every time (``derandomize``): a run says whether the code
changed what it computes, not whether that day's draw found a new corner (a clean-clone CI run of
7 December 2026 failed on a case of a new test that its runs before had not drawn). ``pytest
--hypothesis-profile explore`` draws new examples each run, for hunting; pin what it finds with
``@example``.

Tests marked ``slow`` or ``install`` run only when the marker expression names them (``-m slow``,
``-m install``): they are skipped at collection otherwise, so their fixtures (a virtual
environment, a Spark session) are never made.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("dedup", deadline=None, derandomize=True, database=None)
settings.register_profile("explore", deadline=None)
settings.load_profile("dedup")


# Test modules whose tests run on one pytest-xdist worker, by group: the Spark tests share one
# JVM (a SparkSession a process), not one a worker, which on a many-core machine would start a JVM
# on every core, each taking gigabytes and compiling Spark's code anew.
ONE_WORKER = {"tests/test_spark.py": "spark"}


class ModuleGroups:
    """``--dist loadgroup`` grouping the modules of ``ONE_WORKER`` by their node ids (a pytest-xdist plugin).

    xdist groups ``xdist_group``-marked tests by a suffix it writes into their node ids on the
    workers, which pytest 9.2 no longer lets it change (pytest-xdist issue 1386): the Spark tests
    went to every worker, a JVM each. The controller knows the node ids alone, so the group is
    told by the module a test is in; the rest are scheduled one test at a time, as by ``--dist load``.
    """

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
        if config.getoption("dist") != "loadgroup":
            return None
        from xdist.scheduler import LoadScopeScheduling

        class Scheduling(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                return ONE_WORKER.get(nodeid.split("::", 1)[0], nodeid)

        return Scheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):  # (a hook of its own: unknown without it, -p no:xdist)
        config.pluginmanager.register(ModuleGroups(), "dedup-module-groups")
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller compiled them
        return
    from dedup._compile import compile_kernels

    compile_kernels()


_ON_REQUEST = {
    "slow": "a long run: select it with -m slow",
    "install": "a long run (three compilations of the kernels): select it with -m install",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    expression = config.getoption("markexpr") or ""
    for item in items:
        for marker, reason in _ON_REQUEST.items():
            if marker not in expression and item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=reason))
