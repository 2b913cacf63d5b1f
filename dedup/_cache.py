"""Where numba caches the compiled kernels, and whether they are compiled yet.

Imported first by ``dedup/__init__.py``, before any module defines a kernel. numba's default is a
``__pycache__`` folder beside the source, which for an installed copy is inside site-packages:
uninstalling the copy leaves that folder behind, and an empty ``dedup/`` holding only
``__pycache__`` then shadows an editable install of the same package (``cannot import name
'__version__' from 'dedup' (unknown location)``). So, unless the user chose a folder with
``NUMBA_CACHE_DIR``, the kernels go to a per-user cache folder instead. numba keeps one
subfolder per source folder there, so an installed copy and a checkout never share entries.
Other computed tables (the normaliser's) are kept beside it, under :func:`user_cache_dir`.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

__all__ = ["KERNEL_MODULES", "cache_dir", "kernels_cached", "user_cache_dir"]

KERNEL_MODULES = (
    "_arrays", "_matching", "align", "batch", "boilerplate", "bound", "budget", "candidates", "chain", "copies",
    "edges", "group", "join", "lsh", "minhash", "pairs", "schedule", "score", "scripts", "seeds", "shingle",
)  # fmt: skip
"""The modules that define cached numba kernels (``@njit(cache=True)``)."""

_PACKAGE = Path(__file__).resolve().parent


def user_cache_dir() -> Path:
    """dedup's folder in the user's cache (``$XDG_CACHE_HOME/dedup``, else ``~/.cache/dedup``).

    Example:
        >>> user_cache_dir().name
        'dedup'
    """
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "dedup"


def _sources_digest() -> str:
    """A digest of every kernel module's source: the cache subfolder for this exact code.

    numba checks a cached kernel against its own module's source only, while a kernel compiles in
    the kernels it calls from other modules (``align`` calls ``chain`` and ``seeds``): a changed
    ``chain.py`` would leave ``align``'s stale kernel in use. Kernels of other sources go to
    another subfolder instead.
    """
    digest = hashlib.sha1()
    for module in KERNEL_MODULES:
        try:
            digest.update((_PACKAGE / f"{module}.py").read_bytes())
        except OSError:
            digest.update(module.encode())
    return digest.hexdigest()[:16]


def _choose() -> str:
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen:
        return chosen
    fallback = Path(tempfile.gettempdir()) / f"dedup-numba-{getattr(os, 'getuid', lambda: 0)()}"
    digest = _sources_digest()  # read once: every kernel module's source
    for candidate in (user_cache_dir() / "numba" / digest, fallback / digest):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            break
    else:
        return ""  # nowhere writable: numba falls back to its own choice
    os.environ["NUMBA_CACHE_DIR"] = str(candidate)
    config = sys.modules.get("numba.core.config")
    if config is not None:
        # numba was imported before dedup and read the environment already; the kernels defined
        # from here on look the folder up in its config when they are decorated.
        config.CACHE_DIR = str(candidate)  # type: ignore[attr-defined]
    return str(candidate)


_DIR = _choose()


def cache_dir() -> Path | None:
    """The folder holding dedup's compiled kernels (None when numba chooses on its own).

    Example:
        >>> import os
        >>> str(cache_dir()) == os.environ["NUMBA_CACHE_DIR"]
        True
    """
    return Path(_DIR) if _DIR else None


def _numba_subfolder(folder: Path) -> str:
    # numba's UserProvidedCacheLocator.get_suitable_cache_subpath: the folder's name and a hash of its path.
    return f"{folder.name}_{hashlib.sha1(str(folder).encode()).hexdigest()}"


def kernels_cached() -> bool:
    """Whether every kernel module has compiled kernels in the cache, current for its source.

    Cheap (a directory listing and a few small reads): :func:`dedup._compile.compile_kernels` asks
    it before a command runs, to compile ahead (and say so) only after an install. It reads the
    same index files numba does and applies numba's own freshness test (the numba version, and the
    source file's modification time and size).

    Example:
        >>> isinstance(kernels_cached(), bool)
        True
    """
    if not _DIR:
        return True  # numba's own choice of folder: nothing to check cheaply
    folder = Path(_DIR) / _numba_subfolder(_PACKAGE)
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    numba = sys.modules.get("numba")
    version = getattr(numba, "__version__", None)
    tag = ".py{}{}.nbi".format(*sys.version_info[:2])
    for module in KERNEL_MODULES:
        indexes = [n for n in names if n.startswith(module + ".") and n.endswith(tag)]
        if not indexes:
            return False
        stamp = _source_stamp(_PACKAGE / f"{module}.py")
        # One current index a module is enough: a kernel that no scan calls keeps a stale one.
        if not any(_current(folder / name, version, stamp) for name in indexes):
            return False
    return True


def _current(index: Path, version: str | None, stamp: object | None) -> bool:
    try:
        with open(index, "rb") as stream:
            if pickle.load(stream) != version:
                return False
            return stamp is None or bool(pickle.loads(stream.read())[0] == stamp)
    except Exception:  # an unreadable or partly written index: numba will recompile
        return False


def _source_stamp(path: Path) -> object | None:
    """numba's freshness stamp of a source file, computed by numba itself (its form varies by version)."""
    try:
        from numba.core import caching

        # Named without the underscore since numba 0.59.
        names = ("UserProvidedCacheLocator", "_UserProvidedCacheLocator")
        locator = next(getattr(caching, n) for n in names if hasattr(caching, n))
        stamp: object = locator(_source_stamp, str(path)).get_source_stamp()
        return stamp
    except Exception:  # another numba layout: the version check alone
        return None
