"""Measuring: timing, peak memory (tracemalloc and resident set), the machine and the versions."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall time of ``repeats`` runs after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def peak_memory(fn: Callable[[], Any]) -> int:
    """tracemalloc peak (bytes) of one run of ``fn`` above what was allocated before it."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def max_rss() -> int:
    """Peak resident set size of this process, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak_rss() -> bool:
    """Count this process's peak resident set anew (Linux); whether :func:`peak_rss_since_reset` reads it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return peak_rss_since_reset() is not None
    except OSError:
        return False


def peak_rss_since_reset() -> int | None:
    """Peak resident set size since the last reset (VmHWM), in bytes; None where unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# The signature kernels run 16 permutation slots a vector with 512-bit vectors and 8 with 256-bit ones,
# so that the signature-to-floor ratios of two runs compare only on machines with the same extension
# and the same LLVM CPU name: LLVM's tuning for Intel's AVX-512 cores prefers 256-bit vectors, for
# AMD's 512-bit ones (docs/performance.md, "An Intel machine with AVX-512, again").
_VECTOR_FLAGS = (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("sse4_2", "SSE4.2"))


def _llvm_cpu() -> str:
    """The CPU name LLVM compiles the kernels for (numba's host CPU), which sets its vector width."""
    try:
        from llvmlite import binding

        return str(binding.get_host_cpu_name())
    except Exception:  # (a benchmark's machine record, never a reason to stop)
        return "unknown"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    flags: set[str] = set()
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    # Every core is listed alike: the first core's lines say it.
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), cpu)
    flags = next((set(line.split(":", 1)[1].split()) for line in lines if line.startswith("flags")), flags)
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_bytes": mem,
        "vector": next((name for flag, name in _VECTOR_FLAGS if flag in flags), "unknown"),
        "llvm_cpu": _llvm_cpu(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def now() -> str:
    """The time now, UTC, ISO 8601 to the second (when a run started and finished)."""
    import datetime

    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def load_average() -> list[float] | None:
    """The machine's load over 1, 5 and 15 minutes (other work on a shared machine slows every row)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def checkout() -> dict[str, Any] | None:
    """The commit of the checkout the engine was imported from, and whether it had changes; None outside git."""
    import subprocess

    import dedup

    where = Path(dedup.__file__).resolve().parent.parent

    def git(*argv: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(where), *argv], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"path": str(where), "commit": commit, "changed": bool(status) if status is not None else None}


def versions() -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in ("dedup", "numpy", "numba", "datasketch", "xxhash", "rensa", "matplotlib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def threaded(fn: Callable[[list[Any]], Any], items: list[Any], workers: int) -> list[Any]:
    """``fn`` over ``workers`` contiguous slices of ``items`` in a thread pool (for nogil kernels)."""
    from concurrent.futures import ThreadPoolExecutor

    size = -(-len(items) // workers)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, [items[i : i + size] for i in range(0, len(items), size)]))


# The ScanConfig fields the command line sets (--ngram ...), passed on to every fresh process.
SCAN_OPTIONS = ("ngram", "num_perm", "threshold", "min_bands", "max_candidates")


def make_config(args: argparse.Namespace) -> Any:
    """ScanConfig's defaults, with the parameters given on the command line."""
    from dedup.scan import ScanConfig

    given = {k: getattr(args, k, None) for k in SCAN_OPTIONS}
    return ScanConfig().replace(**{k: v for k, v in given.items() if v is not None})
