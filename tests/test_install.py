"""README's two commands, in a fresh virtual environment, in either order and repeated.

An installed copy once left numba's kernel cache in ``site-packages/dedup/__pycache__``; after
``pip install -e .`` replaced the copy, that folder shadowed the editable install and every ``dedup``
command failed (``cannot import name '__version__' from 'dedup' (unknown location)``). The tests
themselves run from the checkout, so only a real install shows it: this test makes a virtual
environment, installs a copy of the project into it the README's two ways, one after the other,
and runs dedup after each.

The dependencies are not downloaded: the new environment sees the running one's site-packages
(as a path, so that an editable dedup installed there is not loaded), and dedup itself is built
without build isolation when setuptools is at hand. A scan from a new install compiles every
kernel (a minute or more), so the default run compiles one small kernel after the first install,
enough to see where numba's cache goes, checks that the installed copy holds every module of the
checkout and imports them all, and after the later installs runs ``dedup --version``, which fails
as the old bug did when a folder shadows the package. ``-m install`` runs the long version, README's
``dedup scan seeds/`` after every install (three compilations of every kernel, minutes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPILING = "dedup: compiling the engine's kernels"


def _copy_project(target: Path) -> Path:
    """The files a fresh clone has that an install uses (no build/, no *.egg-info, no __pycache__)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.nbi", "*.nbc")
    shutil.copytree(ROOT / "dedup", target / "dedup", ignore=ignore)
    shutil.copytree(ROOT / "seeds", target / "seeds", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    return target


def _site_packages(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


@pytest.fixture()
def environment(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """A fresh virtual environment, a copy of the project, and the environment variables to run in."""
    here = {Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
    if any((p / "dedup" / "__init__.py").is_file() for p in here):
        pytest.skip("the running environment holds a non-editable dedup, which would shadow the one under test")
    base = tmp_path_factory.mktemp("install")
    project = _copy_project(base / "clone")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = _site_packages(python)
    # Appended to sys.path after the environment's own site-packages: what is installed here wins.
    (site / "_dependencies_of_the_tests.pth").write_text("\n".join(map(str, sorted(here))) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "PYTHON", "VIRTUAL_ENV"))}
    env["XDG_CACHE_HOME"] = str(base / "cache")  # the user's cache folder, fresh
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return python, project, env


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def _install(python: Path, project: Path, env: dict[str, str], *, editable: bool) -> None:
    # setuptools 70.1 and later build wheels on their own; older ones need the wheel package.
    probe = "import setuptools\ntry:\n import setuptools.command.bdist_wheel\nexcept ImportError:\n import wheel"
    can_build = subprocess.run([str(python), "-c", probe], env=env, check=False).returncode == 0
    command = [str(python), "-m", "pip", "install", "-q", "--no-deps"]
    command += ["--no-build-isolation"] if can_build else []  # else pip fetches the build tools
    command += ["-e", "."] if editable else ["."]
    _run(command, project, env)


def _scan(project: Path, env: dict[str, str]) -> bool:
    """Run ``dedup scan seeds/``; whether it said it compiles the kernels."""
    done = _run(["dedup", "scan", "seeds/"], project, env)
    assert "000_acb56ec733aba13b.txt  ~  001_c434531e6e6100b5.txt" in done.stdout
    assert "5 documents read, 5 scanned, 0 skipped" in done.stderr
    return COMPILING in done.stderr


def _version(project: Path, env: dict[str, str]) -> None:
    done = _run(["dedup", "--version"], project, env)
    assert done.stdout.startswith("dedup "), done.stdout


def _sources(package: Path) -> list[str]:
    return sorted(str(p.relative_to(package)) for p in package.rglob("*.py"))


def _importable(package: Path) -> list[str]:
    """The package's modules by name (``__main__`` left out: importing it runs the command line)."""
    names = (".".join(Path(package.name, source).with_suffix("").parts) for source in _sources(package))
    return [n.removesuffix(".__init__") for n in names if not n.endswith(".__main__")]


# Every module imported (none compiles a kernel: numba compiles on a kernel's first call), then one
# small kernel called, so that numba writes its cache.
_IMPORT_ALL = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
import dedup
assert len(dedup.shingle("one small text", ngram=3)) == 10
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the paths below are POSIX ones")
def test_readme_commands_in_either_order(environment: tuple[Path, Path, dict[str, str]]) -> None:
    python, project, env = environment
    site = _site_packages(python)
    cache = Path(env["XDG_CACHE_HOME"]) / "dedup" / "numba"

    # 1. python -m pip install . : every module of the checkout installed and importable, and a
    # compiled kernel cached in the user's cache folder, not in the installed package
    _install(python, project, env, editable=False)
    assert (site / "dedup" / "__init__.py").is_file() and (site / "dedup" / "py.typed").is_file()
    assert _sources(site / "dedup") == _sources(project / "dedup")
    _run([str(python), "-c", _IMPORT_ALL, *_importable(project / "dedup")], project, env)
    assert not list((site / "dedup").rglob("*.nb[ic]")), "numba's cache is inside the installed package"
    assert list(cache.rglob("*.nbi")), "the kernels are cached in the user's cache folder"
    _version(project, env)

    # 2. python -m pip install -e . (the README's second command) over it: nothing left behind
    _install(python, project, env, editable=True)
    assert not (site / "dedup").exists(), "the installed copy left a folder behind that shadows the editable one"
    _version(project, env)

    # 3. the other order: the installed copy over the editable one
    _install(python, project, env, editable=False)
    assert (site / "dedup" / "__init__.py").is_file()
    _version(project, env)
    assert not list(project.rglob("*.nb[ic]"))


@pytest.mark.install
@pytest.mark.skipif(sys.platform == "win32", reason="the paths below are POSIX ones")
def test_readme_commands_scan_after_every_install(environment: tuple[Path, Path, dict[str, str]]) -> None:
    python, project, env = environment
    site = _site_packages(python)
    cache = Path(env["XDG_CACHE_HOME"]) / "dedup" / "numba"

    # 1. python -m pip install . && dedup scan seeds/ (the first run compiles, and says so)
    _install(python, project, env, editable=False)
    assert (site / "dedup" / "__init__.py").is_file()
    said = _scan(project, env)
    assert not list((site / "dedup").rglob("*.nb[ic]")), "numba's cache is inside the installed package"
    assert list(cache.rglob("*.nbi")), "the kernels are cached in the user's cache folder"
    assert said, "the first run did not say that it compiles"

    # 2. python -m pip install -e . over it, then dedup again, twice
    _install(python, project, env, editable=True)
    assert not (site / "dedup").exists(), "the installed copy left a folder behind that shadows the editable one"
    assert _scan(project, env)  # another folder of sources: compiled for it once
    assert not _scan(project, env)
    assert not list(project.rglob("*.nb[ic]"))

    # 3. the other order: the installed copy over the editable one
    _install(python, project, env, editable=False)
    assert (site / "dedup" / "__init__.py").is_file()
    done = _run(["dedup", "scan", "seeds/", "--format", "jsonl", "-q"], project, env)
    assert '"documents_scanned": 5' in done.stdout.splitlines()[-1]
    assert not list((site / "dedup").rglob("*.nb[ic]"))
