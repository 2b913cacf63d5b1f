"""Signatures against datasketch and the hashing floor, interleaved round by round.

On a shared machine the load changes between the rows of the stage table, and a ratio of two rows
timed a minute apart moves with it. Here every round times each contender back to back (ours the
best of three runs, datasketch one run), and the ratios are taken within the round; the median
over the rounds is reported with its range.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from .table import TARGETS_14, _scalar_floor


def signature_rounds(texts: list[str], cfg: Any, rounds: int) -> dict[str, Any]:
    """Time signatures, the two hashing floors and datasketch ``MinHash.bulk`` (xxh32) on normalised ``texts``."""
    import datasketch
    import xxhash

    from dedup.minhash import _hashing_floor, signatures_flat, text_signatures
    from dedup.shingle import hash_many, shingle_strings

    def ds() -> Any:
        grams = [[g.encode("utf-8") for g in shingle_strings(t, cfg.ngram)] for t in texts]
        return datasketch.MinHash.bulk(
            grams, num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=xxhash.xxh32_intdigest, scheme="affine32"
        )

    contenders: dict[str, Callable[[], Any]] = {
        "text_signatures": lambda: text_signatures(texts, cfg.ngram, cfg.num_perm, seed=cfg.seed),
        "hash_many + signatures_flat": lambda: signatures_flat(*hash_many(texts, cfg.ngram), cfg.num_perm,
                                                               seed=cfg.seed),
        "hashing floor": lambda: _hashing_floor(texts, cfg.ngram),
        "scalar floor": lambda: _scalar_floor(texts, cfg.ngram),
        "datasketch MinHash.bulk (xxh32)": ds,
    }  # fmt: skip
    for fn in contenders.values():
        fn()  # warm-up (compilation or cache load)
    ngrams = len(hash_many(texts, cfg.ngram)[0])
    runs: list[dict[str, float]] = []
    cpu_runs: list[dict[str, float]] = []
    for r in range(rounds):
        times, cpu_times = {}, {}
        for name, fn in contenders.items():
            best = best_cpu = float("inf")
            for _ in range(1 if name.startswith("datasketch") else 3):
                t, cpu = time.perf_counter(), time.thread_time()
                fn()
                best = min(best, time.perf_counter() - t)
                best_cpu = min(best_cpu, time.thread_time() - cpu)
            times[name], cpu_times[name] = best, best_cpu
        runs.append(times)
        cpu_runs.append(cpu_times)
        print(f"  signature round {r + 1}: " + ", ".join(f"{k} {v * 1e9 / ngrams:.1f} ns" for k, v in times.items()),
              file=sys.stderr, flush=True)  # fmt: skip

    def per_round(f: Callable[[dict[str, float]], float], of: list[dict[str, float]]) -> dict[str, float]:
        values = [f(t) for t in of]
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}

    sig, ds_name = "text_signatures", "datasketch MinHash.bulk (xxh32)"
    ratios: dict[str, Callable[[dict[str, float]], float]] = {
        "signature_vs_bulk_xxh32": lambda t: t[ds_name] / t[sig],
        "signature_over_hashing_floor": lambda t: t[sig] / t["hashing floor"],
        "signature_over_scalar_floor": lambda t: t[sig] / t["scalar floor"],
        "hashing_floor_vs_bulk_xxh32": lambda t: t[ds_name] / t["hashing floor"],
    }
    return {
        "documents": len(texts),
        "ngrams": ngrams,
        "rounds": runs,
        "cpu_rounds": cpu_runs,
        "ns_per_ngram": {k: statistics.median(t[k] for t in runs) * 1e9 / ngrams for k in contenders},
        "cpu_ns_per_ngram": {k: statistics.median(t[k] for t in cpu_runs) * 1e9 / ngrams for k in contenders},
        **{key: per_round(f, runs) for key, f in ratios.items()},
        # The same ratios in the thread's CPU time (every contender runs on one thread): on a machine
        # other sessions load, wall times include the time the thread waited for a core.
        "cpu": {key: per_round(f, cpu_runs) for key, f in ratios.items()},
    }


def format_rounds(result: dict[str, Any]) -> str:
    lines = [f"signatures, {result['documents']:,} documents, {result['ngrams']:,} n-grams, "
             f"{len(result['rounds'])} interleaved rounds (median ns an n-gram):"]  # fmt: skip
    cpu_ns = result.get("cpu_ns_per_ngram", {})
    lines += [f"  {k:34s} {v:9.2f}" + (f"  (CPU {cpu_ns[k]:.2f})" if k in cpu_ns else "")
              for k, v in result["ns_per_ngram"].items()]  # fmt: skip
    lines.append("  ratios (A_vs_B: B's time over A's, above 1 A is faster; A_over_B: A's time over B's, lower is"
                 " better):")  # fmt: skip
    # Issue 14's targets, as the stage table judges them (table.TARGETS_14): a "_vs_bulk_xxh32" ratio at
    # least its target, the others at most.
    targets = {key.replace("signature_text_", "signature_"): target for _, key, target in TARGETS_14}
    for key in ("signature_vs_bulk_xxh32", "signature_over_hashing_floor", "signature_over_scalar_floor",
                "hashing_floor_vs_bulk_xxh32"):  # fmt: skip
        target = targets.get(key) if key != "hashing_floor_vs_bulk_xxh32" else None
        better = "higher" if key.endswith("_vs_bulk_xxh32") else "lower"
        v = result[key]
        verdict = ""
        if target is not None:
            ok = v["median"] >= target if better == "higher" else v["median"] <= target
            verdict = f"  target {'>=' if better == 'higher' else '<='} {target:g}x: {'met' if ok else 'NOT MET'}"
        cpu = result.get("cpu", {}).get(key)
        in_cpu = f"; CPU time {cpu['median']:.2f}x ({cpu['min']:.2f}-{cpu['max']:.2f})" if cpu else ""
        lines.append(f"  {key:34s} {v['median']:7.2f}x (rounds {v['min']:.2f}-{v['max']:.2f}){in_cpu}{verdict}")
    return "\n".join(lines)
