"""Compile the engine's kernels in two processes at once, the first time a command needs them.

numba compiles one kernel at a time, in the process that first calls it: after an install, a
scan's first minute or two goes to compiling, on one core. The kernels fall into two groups that
share little: those of alignment (preparing a pair of documents, aligning and scoring it), the
larger part, and those of the stages before it (hashing, sketching, banding, counting). Each
group is reached on its own by a small workload: a pair of texts aligned and scored as the scan
does, and a scan of texts that share nothing, so that no pair reaches alignment. Two processes
run them side by side and write numba's cache (:mod:`dedup._cache`), where the command's own
process then finds the kernels. Whatever they did not compile (a process that could not start, a
kernel only another input reaches) the command compiles itself, as it would have anyway.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._cache import kernels_cached

if TYPE_CHECKING:  # (scan sits above this module's import time: it is imported where it is run)
    from .scan import ScanConfig

__all__ = ["PARTS", "compile_kernels", "warm_up"]

PARTS = ("align", "sketch")
"""The workloads run side by side, the costlier first (each in a process of its own)."""


def _text(seed: int, words: int = 160) -> str:
    """Made-up words, a different vocabulary for each seed: texts of different seeds share no passage."""
    state = seed * 2654435761 + 12345
    out = []
    for _ in range(words):
        letters = []
        for _ in range(3 + state % 6):
            state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            letters.append(chr(0x61 + (state >> 33) % 26))
        out.append("".join(letters) + "abcdefghij"[seed % 10])
    return " ".join(out) + "."


def warm_up(part: str, config: ScanConfig | None = None) -> None:
    """Run ``part``'s workload in this process, compiling (or loading) the kernels it reaches.

    ``config`` (the defaults when None) is the scan configuration the workload runs with: a
    benchmark warms up with the one it times.

    Example:
        >>> warm_up("sketch")
        >>> warm_up("other")
        Traceback (most recent call last):
        ...
        ValueError: part must be one of ('align', 'sketch'), got 'other'
    """
    if part == "align":
        from .batch import align_batch, handle
        from .config import ScanConfig
        from .pairs import align_pair, prepare_text, reaches_min_score

        config = config or ScanConfig()
        shared = _text(1)
        b = prepare_text(f"{shared} {_text(3)}", config, None)
        signature = np.zeros(config.num_perm, np.uint32)
        # The second text prints its text twice (a page scraped twice), aligned a printing at a time.
        for text in (f"{_text(2)} {shared}", f"{shared} {shared}"):
            a = prepare_text(text, config, None)
            found, _ = align_pair(
                a, b, ("a", "b"), (len(a.normalized.text), len(b.normalized.text)), (signature, signature),
                (math.nan, math.nan), (1, 1), config,
            )  # fmt: skip
            if not found:
                raise RuntimeError("the warm-up pair shares a passage, and none was found")
            # The scan aligns its candidates a chunk at a time (dedup.batch), in one kernel.
            if not align_batch([handle(a), handle(b)], [0], [1], config.align_params)[0]:
                raise RuntimeError("the warm-up pair shares a passage, and the batch found none")
            # A pair of a brief and no passage is decided on the two n-gram sets alone.
            reaches_min_score(a, b, (math.nan, math.nan), config)
        # The edges of a passage measured against its source's boilerplate, which documents
        # prepared without a source's boilerplate (as here) do not reach.
        from .edges import _covered_letters

        ranks = np.zeros(1, np.int32)
        for starts in (ranks, ranks.astype(np.int64)):  # (positions of int32, and of int64 for long texts)
            _covered_letters((starts, starts + 5, ranks, np.zeros(1, np.bool_), starts), 0, 5)
        # A passage whose two sides differ is matched word by word (the copies above are verbatim).
        from ._matching import matching_blocks, word_spans

        matching_blocks(["a"], ["a"])
        word_spans("a")
    elif part == "sketch":
        from ._arrays import merge_counts
        from .budget import per_document_budget
        from .config import ScanConfig
        from .pairs import _kept_pairs, needed_bands
        from .records import Document
        from .scan import scan
        from .schedule import locality_order

        docs = [Document(f"warm-up-{k}", _text(10 + k), source=f"warm-up-{k}") for k in range(3)]
        scan(docs, config, threads=1)
        # Two small kernels of the candidate search that only documents sharing text reach (the
        # counts of a band's pairs are uint8 below 256 bands); sharing would take this part to the
        # alignment, the other part's work.
        ones = np.ones(1, np.uint8)
        merge_counts(np.zeros(1, np.uint64), ones, np.ones(1, np.uint64), ones)
        locality_order(np.zeros(1, np.int64), np.ones(1, np.int64), 2)
        locality_order(np.zeros(1, np.int64), np.ones(1, np.int64), 2, np.full(2, 2, np.int64), 1)  # (a full cache)
        needed_bands(np.ones(1, np.int64), np.ones(1, np.int64), config or ScanConfig())  # (an index query's rule)
        per_document_budget(np.zeros(2, np.int64), np.arange(1, 3), np.ones(2, np.int64), 3, 1)  # (a dense corpus)
        none = np.zeros(0, np.int64)
        _kept_pairs(none, none.copy(), none.copy(), np.ones(1, np.int64), 4, 32)  # (the scan's, on counted pairs)
        # The table of every document pair that takes over the counts where most pairs share a
        # band (any small corpus whose documents share text): filled, added to and read.
        from .candidates import _PairCounts, _PairTable

        bands = (config or ScanConfig()).bands_rows[0]
        pair = np.ones(1, np.uint64)  # documents 0 and 1
        counts = _PairCounts(bands)
        counts.add(pair)
        table = _PairTable(2, bands, counts)
        table.add(pair, 1)
        table.candidates(1)
        # The table of keys two sources hold, in each of its slot types (one byte up to 254 sources,
        # two up to 65,534, four beyond: a folder of many files), and its lookup, which only the
        # preparation of a candidate's document reaches.
        from .boilerplate import KeySources

        spread, keys, offsets = KeySources(), np.ones(1, np.uint64), np.array([0, 1])
        for source in (0, 300, 70_000):
            spread.add(keys, offsets, np.array([source]))
            spread.held(keys)
    else:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")


def _jit_disabled() -> bool:
    from numba.core import config

    return bool(getattr(config, "DISABLE_JIT", False))  # nothing to compile: the kernels run as Python


def compile_kernels(parts: tuple[str, ...] = PARTS, *, starting: Callable[[], object] | None = None) -> bool:
    """Compile the kernels not cached yet, each part of :data:`PARTS` in a process of its own; whether all finished.

    Returns at once when every kernel module is cached, or when numba's JIT is off (nothing to
    compile). Otherwise ``starting`` is called first (the command line says there why it sits
    still). A part that fails (a process that cannot start or exits with an error) is left to the
    caller's own process, which compiles what it calls: never an error, only time.

    Example:
        >>> compile_kernels(starting=lambda: print("compiling"))  # cached already (the examples ran a scan)
        True
    """
    if kernels_cached() or _jit_disabled():
        return True
    if starting is not None:
        starting()
    # The children import this very dedup (not another one their working folder might hold).
    path = str(Path(__file__).resolve().parents[1])
    running: list[subprocess.Popen[bytes]] = []
    try:
        for part in parts:
            code = f"import sys; sys.path.insert(0, {path!r}); import dedup._compile as m; m.warm_up({part!r})"
            running.append(
                subprocess.Popen(
                    [sys.executable, "-c", code],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        codes = [process.wait() for process in running]  # every part, even after one failed
        return all(code == 0 for code in codes)
    except OSError:
        return False
    finally:
        for process in running:  # interrupted (Ctrl-C): no compiler left running behind the command
            if process.poll() is None:
                process.kill()
                process.wait()
