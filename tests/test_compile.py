"""The kernels compiled ahead, two processes at once: their workloads reach every kernel a scan calls."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from dedup import _compile

ROOT = Path(__file__).resolve().parent.parent

# In a fresh process (the cache is warm: loading is cheap): the signatures of every kernel of dedup
# after the two workloads, then after a scan that aligns, scores and clusters; the scan must call
# no kernel with types the workloads did not (each new one is a compilation after an install).
_PROBE = """
import json, sys
import numba.core.registry
import dedup
from dedup import _compile
from dedup.clusters import find_clusters
from dedup.records import Document

def signatures():
    found = {}
    for name, module in list(sys.modules.items()):
        if name == "dedup" or name.startswith("dedup."):
            for attribute, value in vars(module).items():
                if isinstance(value, numba.core.registry.CPUDispatcher):
                    found[f"{name}.{attribute}"] = sorted(map(str, value.signatures))
    return found

for part in _compile.PARTS:
    _compile.warm_up(part)
before = signatures()
docs = list(dedup.read_documents([sys.argv[1]]))
lead = docs[0].text
docs += [Document("brief", lead[:300], source="agency"), Document("twice", lead + " " + lead, source="twice")]
result = dedup.scan(docs)
assert result.passages and result.pairs and find_clusters(result)
after = signatures()
print(json.dumps({k: v for k, v in after.items() if v != before.get(k)}))
"""


def test_the_workloads_leave_no_kernel_for_a_scan_to_compile() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT / "seeds")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    new = json.loads(done.stdout.splitlines()[-1])
    assert new == {}, f"kernels a scan compiles that neither workload reaches: {new}"


def test_a_part_that_fails_is_left_to_the_caller() -> None:
    with mock.patch.object(_compile, "kernels_cached", return_value=False):
        assert _compile.compile_kernels(("sketch",)) is True
        assert _compile.compile_kernels(("no-such-part", "sketch")) is False


def test_an_unknown_part_is_refused() -> None:
    with pytest.raises(ValueError, match="part must be one of"):
        _compile.warm_up("everything")


def test_starting_is_called_only_when_there_is_something_to_compile() -> None:
    calls: list[str] = []
    with mock.patch.object(_compile, "kernels_cached", return_value=True):
        assert _compile.compile_kernels((), starting=lambda: calls.append("cached"))
    with (
        mock.patch.object(_compile, "kernels_cached", return_value=False),
        mock.patch.object(_compile, "_jit_disabled", return_value=True),
    ):
        assert _compile.compile_kernels((), starting=lambda: calls.append("no JIT"))
    with mock.patch.object(_compile, "kernels_cached", return_value=False):
        assert _compile.compile_kernels((), starting=lambda: calls.append("compiling"))
    assert calls == ["compiling"]
