"""numba's kernel cache: a user folder, never the package's, and a cheap test of whether it is warm."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dedup
from dedup import _cache

PACKAGE = Path(dedup.__file__).resolve().parent


def test_kernel_modules_are_those_with_cached_kernels() -> None:
    kernel = re.compile(r"^@njit\(.*cache=True", re.MULTILINE)
    defining = {p.stem for p in PACKAGE.glob("*.py") if kernel.search(p.read_text("utf-8"))}
    assert set(_cache.KERNEL_MODULES) == defining


def test_cache_is_outside_the_package_and_warm_after_a_scan() -> None:
    folder = _cache.cache_dir()
    assert folder is not None and PACKAGE not in folder.resolve().parents
    dedup.scan(dedup.read_documents([PACKAGE.parent / "seeds"]))
    assert _cache.kernels_cached()
    assert not list(PACKAGE.rglob("*.nb[ic]"))


def where(env: dict[str, str], code: str = "") -> list[str]:
    program = code + "import dedup\nfrom dedup import _cache\nprint(_cache.cache_dir()); print(_cache.kernels_cached())"
    if "numba" in code:
        program += "\nfrom numba.core import config; print(config.CACHE_DIR)"
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    return done.stdout.split("\n")[:-1]


def test_kernels_of_other_sources_go_to_another_folder(tmp_path: Path) -> None:
    # numba checks a kernel against its own module only; align's kernel compiles in chain's.
    (tmp_path / "dedup").mkdir()
    for module in _cache.KERNEL_MODULES:
        (tmp_path / "dedup" / f"{module}.py").write_bytes((PACKAGE / f"{module}.py").read_bytes())
    original = _cache._PACKAGE
    try:
        _cache._PACKAGE = tmp_path / "dedup"
        same = _cache._sources_digest()
        (tmp_path / "dedup" / "chain.py").write_text("# changed\n", encoding="utf-8")
        changed = _cache._sources_digest()
    finally:
        _cache._PACKAGE = original
    assert same == _cache._sources_digest()
    assert changed != same


def test_the_folder_follows_xdg_and_numba_cache_dir(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    folder = tmp_path / "xdg" / "dedup" / "numba" / _cache._sources_digest()
    assert where(env) == [str(folder), "False"]  # a new folder: nothing compiled yet
    assert folder.is_dir()
    # numba imported first has read the environment already: its config is pointed there too.
    assert where(env, "import numba\n") == [str(folder), "False", str(folder)]
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "mine")
    assert where(env) == [str(tmp_path / "mine"), "False"]  # the user's choice is kept
