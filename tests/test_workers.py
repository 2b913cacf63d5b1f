"""The test run's own arrangement: the modules that must share one pytest-xdist worker do."""

from __future__ import annotations

import pytest
from conftest import ONE_WORKER, ModuleGroups


def test_loadgroup_keeps_each_one_worker_module_in_one_scope(
    pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under ``--dist loadgroup`` every test of a module of ``ONE_WORKER`` is one unit of work (one
    worker, one JVM for the Spark tests), whatever its parameters; any other test is a unit of its own."""
    from xdist.scheduler import LoadScopeScheduling

    monkeypatch.setattr(pytestconfig.option, "dist", "loadgroup", raising=False)  # (none with -p no:xdist)
    monkeypatch.setattr(pytestconfig.option, "tx", ["2*popen"], raising=False)
    scheduling = ModuleGroups.pytest_xdist_make_scheduler(pytestconfig, None)
    assert isinstance(scheduling, LoadScopeScheduling)
    assert ONE_WORKER["tests/test_spark.py"] == "spark"
    for nodeid in ("tests/test_spark.py::test_seeds", "tests/test_spark.py::test_options[--glob::x@y]"):
        assert scheduling._split_scope(nodeid) == "spark"
    for nodeid in (
        "tests/test_scan.py::test_seeds",
        "tests/test_spark_io.py::test_x",
        "dedup/scan.py::dedup.scan.scan",
    ):
        assert scheduling._split_scope(nodeid) == nodeid
    monkeypatch.setattr(pytestconfig.option, "dist", "load")
    assert ModuleGroups.pytest_xdist_make_scheduler(pytestconfig, None) is None
