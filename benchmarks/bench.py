"""Benchmark of the dedup hot path, side by side with datasketch (and rensa when installed).

Usage::

    python benchmarks/bench.py --synthetic 2000                      # table of every stage
    python benchmarks/bench.py --corpus ../shared/evaldata/arabic-plag-dev/docs.jsonl
    python benchmarks/bench.py --synthetic 2000 --json out.json --scaling 1000,10000,50000 --plot curve.png

It times every stage of a scan (normalise, shingle and hash, sketch, LSH, align, score, write) on the
same corpus, the whole ``dedup.scan``, and in the same process and run datasketch 2.0 doing the same
work: ``MinHash.bulk`` over the same character n-grams and ``num_perm`` (with datasketch's default
SHA-1 hash and with an xxh32 ``hashfunc``), ``MinHashLSH`` insert and query at the same threshold, and
a whole datasketch document-level pipeline (normalise, shingle, ``MinHash.bulk``, ``MinHashLSH``).
Every row is warmed up first (numba compilation or cache load included in the warm-up), then timed
as the median of ``--repeats`` runs. Peak memory is the tracemalloc peak of one extra run of the
stage (numpy and Python allocations; numba's scratch inside a kernel is not counted); the scaling
run reports the peak resident set size of a fresh process per corpus size. That process scans a
stream of documents read lazily from a JSONL file, as ``dedup scan corpus.jsonl`` does: the synthetic
corpus of each size is written once (``--cache-dir``, reused by later runs) before the process starts,
and ``--corpus`` is streamed from its own file.

The synthetic corpus is deterministic (``--seed``): Arabic-like words drawn from a letter model of
``seeds/*.txt``, from several outlets, with wire passages planted in a share of the documents and
lightly edited. Nothing runs at import.
"""

from __future__ import annotations

import argparse
import gc
import io
import itertools
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))


import numpy as np  # noqa: E402

STAGES = ("normalise", "shingle", "sketch", "lsh", "align", "score", "write")
ARABIC_SPACE = " "


# --------------------------------------------------------------------------- corpus


def _letter_model(
    rng: np.random.Generator, zipf: float = 0.5, size: int = 100_000, common_n: int = 0
) -> tuple[list[str], np.ndarray]:
    """A lexicon of Arabic-like words (letter bigrams and word lengths of seeds/) and Zipf weights."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    words = [w for w in text.split() if all("\u0621" <= c <= "\u064a" for c in w)]
    letters = sorted({c for w in words for c in w})
    index = {c: i for i, c in enumerate(letters)}
    k = len(letters)
    start = np.ones(k)
    trans = np.ones((k, k))
    for w in words:
        start[index[w[0]]] += 1
        for x, y in itertools.pairwise(w):
            trans[index[x], index[y]] += 1
    start /= start.sum()
    trans /= trans.sum(axis=1, keepdims=True)
    lengths = np.array([len(w) for w in words])
    word_len = rng.choice(lengths, size=size)
    cum = np.cumsum(trans, axis=1)
    lexicon: list[str] = []
    firsts = rng.choice(k, size=size, p=start)
    draws = rng.random((size, int(lengths.max())))
    for i in range(size):
        c = int(firsts[i])
        chars = [letters[c]]
        for j in range(1, int(word_len[i])):
            c = min(int(np.searchsorted(cum[c], draws[i, j])), k - 1)
            chars.append(letters[c])
        lexicon.append("".join(chars))
    # Real function words keep the text looking like Arabic; the rest follow Zipf's law.
    common = [w for w, _ in sorted(_counts(words).items(), key=lambda kv: -kv[1])[:common_n]]
    lexicon = common + lexicon
    weights = 1.0 / np.arange(1, len(lexicon) + 1) ** zipf
    return lexicon, weights / weights.sum()


def _counts(words: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for w in words:
        out[w] = out.get(w, 0) + 1
    return out


def synthetic_corpus(
    n: int, *, seed: int = 0, chars: int = 3000, sources: int = 40, share: float = 0.3, stories: int = 0
) -> list[Any]:
    """``n`` deterministic Arabic-like documents of about ``chars`` characters from ``sources`` outlets.

    A share ``share`` of the documents carries one or two wire passages (300-1,200 characters) drawn
    from a pool of ``stories`` (default n / 10), with 3% of their words replaced; the rest is fresh text.
    """
    from dedup.records import Document

    rng = np.random.default_rng(seed)
    lexicon, weights = _letter_model(rng)
    lex = np.array(lexicon, dtype=object)
    mean_word = float(np.dot([len(w) + 1 for w in lexicon], weights))
    words_per_doc = max(1, round(chars / mean_word))
    stories = stories or max(1, n // 10)
    story_words = [
        lex[rng.choice(len(lex), size=int(rng.integers(60, 220)), p=weights)] for _ in range(stories)
    ]
    total = n * words_per_doc
    body = lex[rng.choice(len(lex), size=total, p=weights)].reshape(n, words_per_doc)
    docs = []
    planted = rng.random(n) < share
    for i in range(n):
        words = body[i]
        if planted[i]:
            parts = []
            for _ in range(int(rng.integers(1, 3))):
                s = story_words[int(rng.integers(stories))].copy()
                edits = rng.random(len(s)) < 0.03
                s[edits] = lex[rng.choice(len(lex), size=int(edits.sum()), p=weights)]
                parts.append(s)
            planted_words = np.concatenate(parts)
            at = int(rng.integers(0, max(1, words_per_doc - len(planted_words))))
            words = np.concatenate((words[:at], planted_words, words[at + len(planted_words) :]))
        docs.append(Document(f"doc{i:07d}", ARABIC_SPACE.join(words.tolist()), source=f"outlet{i % sources:03d}"))
    return docs


def read_corpus(path: str, limit: int | None = None) -> list[Any]:
    """Documents of a JSONL file (``id``, ``text``, ``source``); up to ``limit`` of them, copied round if needed."""
    return list(stream_corpus(path, limit))


def stream_corpus(path: str | Path, limit: int | None = None) -> Iterator[Any]:
    """The documents of :func:`read_corpus`, read lazily from the file (re-read for every round of copies).

    The file is read by ``dedup.io.Reader`` with the defaults of ``dedup scan`` (a fresh reader each
    pass), so that at most one document's text is held here at a time.
    """
    from dedup.io import Reader
    from dedup.records import Document

    if not limit:  # None or 0: every document once
        yield from Reader().read([path])
        return
    done = 0
    for k in itertools.count():
        before = done
        for d in Reader().read([path]):
            if done >= limit:
                return
            if k:
                # A rotated copy (start moved by k * 97 characters) under a new id and outlet.
                cut = (k * 97) % max(1, len(d.text))
                d = Document(f"{d.id}~{k}", d.text[cut:] + " " + d.text[:cut], source=f"{d.source}~{k}")
            yield d
            done += 1
        if done == before:  # an empty file: nothing to copy round
            return


def write_jsonl_corpus(docs: Iterable[Any], path: Path) -> tuple[int, int]:
    """Write documents to a JSONL file (``id``, ``text``, ``source``; UTF-8), atomically; (documents, bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            for d in docs:
                out.write(json.dumps({"id": d.id, "text": d.text, "source": d.source}, ensure_ascii=False) + "\n")
                count += 1
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count, path.stat().st_size


def _generator_digest() -> str:
    """A short digest of the synthetic corpus's generator and seed texts: a cached corpus is stale when it changes."""
    import hashlib
    import inspect

    h = hashlib.sha256()
    for fn in (_letter_model, _counts, synthetic_corpus):
        h.update(inspect.getsource(fn).encode("utf-8"))
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        h.update(seed.name.encode("utf-8") + b"\0" + seed.read_bytes())
    return h.hexdigest()[:12]


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "dedup-bench-corpora"


def synthetic_corpus_file(n: int, *, seed: int = 0, chars: int = 3000, cache_dir: Path | None = None) -> Path:
    """The JSONL file of ``synthetic_corpus(n, seed=seed, chars=chars)``, written once and then reused.

    The path is keyed by ``n``, ``seed``, ``chars`` and a digest of the generator, in ``cache_dir``
    (default: ``dedup-bench-corpora`` in the system's temporary directory).
    """
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    path = folder / f"synthetic-n{n}-seed{seed}-chars{chars}-{_generator_digest()}.jsonl"
    if not path.exists():
        t = time.perf_counter()
        docs = synthetic_corpus(n, seed=seed, chars=chars)
        _, size = write_jsonl_corpus(docs, path)
        del docs
        gc.collect()
        print(f"  wrote {path} ({size / 1e6:,.0f} MB) in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    return path


# --------------------------------------------------------------------------- measuring


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


def _reset_hwm() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _hwm() is not None
    except OSError:
        return False


def _hwm() -> int | None:
    """Peak resident set size since the last reset (VmHWM), in bytes; None where unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
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
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in ("dedup", "numpy", "numba", "datasketch", "xxhash", "rensa", "matplotlib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


# --------------------------------------------------------------------------- the rows


def threaded(fn: Callable[[list[Any]], Any], items: list[Any], workers: int) -> list[Any]:
    """``fn`` over ``workers`` contiguous slices of ``items`` in a thread pool (for nogil kernels)."""
    from concurrent.futures import ThreadPoolExecutor

    size = -(-len(items) // workers)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, [items[i : i + size] for i in range(0, len(items), size)]))


class Bench:
    """Runs every row on one corpus and collects the results."""

    def __init__(self, docs: list[Any], config: Any, repeats: int, memory: bool, threads: int | None) -> None:
        self.docs = docs
        self.cfg = config
        self.repeats = repeats
        self.memory = memory
        self.threads = threads
        self.rows: list[dict[str, Any]] = []
        self.pending: list[tuple[dict[str, Any], Callable[[], Any]]] = []
        self.mb = sum(len(d.text.encode("utf-8")) for d in docs) / 1e6
        self.chars = sum(len(d.text) for d in docs)

    def row(
        self,
        name: str,
        fn: Callable[[], Any],
        *,
        group: str,
        shingles: int | None = None,
        repeats: int | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        reps = repeats or self.repeats
        median, times = timed(fn, reps)
        n = len(self.docs)
        rec: dict[str, Any] = {
            "name": name,
            "group": group,
            "seconds": median,
            "runs": times,
            "docs_per_s": n / median if median else math.inf,
            "mb_per_s": self.mb / median if median else math.inf,
            "ns_per_shingle": median * 1e9 / shingles if shingles else None,
            "peak_bytes": None,  # filled by measure_memory(), after every row is timed
            "note": note,
        }
        self.rows.append(rec)
        if self.memory:
            self.pending.append((rec, fn))
        print(f"  {name:58s} {median:9.3f} s {rec['docs_per_s']:11,.0f} docs/s", file=sys.stderr, flush=True)
        return rec

    def measure_memory(self) -> None:
        """The tracemalloc peak of one more run of every row, once all rows are timed.

        Measured apart because a tracemalloc run leaves the allocator so that the next large numpy
        arrays are fresh mappings: timed right after one, hash_many ran 42 ms instead of 27.
        """
        for rec, fn in self.pending:
            rec["peak_bytes"] = peak_memory(fn)
        self.pending.clear()


def run_table(docs: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    import datasketch
    import xxhash

    from dedup.align import align, prepare
    from dedup.lsh import band_keys, band_keys32, candidate_pairs, candidate_pairs_banded
    from dedup.minhash import signatures, signatures_flat, window_signatures_flat, window_signatures_many
    from dedup.normalize import normalize
    from dedup.report import write_jsonl
    from dedup.scan import scan
    from dedup.score import pair_scores
    from dedup.shingle import hash_many, shingle, shingle_strings

    cfg = make_config(args)
    bench = Bench(docs, cfg, args.repeats, not args.no_memory, args.threads)
    texts = [d.text for d in docs]
    prof = cfg.profile
    bands, rows = cfg.bands_rows

    # Warm-up: numba compilation (or cache load) of every kernel, on two documents.
    t0 = time.perf_counter()
    scan(docs[:2] if len(docs) >= 2 else docs, cfg)
    h2 = [shingle(normalize(t, profile=prof).text, cfg.ngram).hashes for t in texts[:2]]
    signatures(h2, cfg.num_perm)
    window_signatures_many(h2, window=cfg.window, stride=cfg.stride, num_perm=cfg.num_perm)
    warmup = time.perf_counter() - t0
    print(f"warm-up (numba compile or cache load): {warmup:.2f} s", file=sys.stderr)

    normalized = [normalize(t, profile=prof) for t in texts]
    hashes = [shingle(n.text, cfg.ngram).hashes for n in normalized]
    n_shingles = int(sum(len(h) for h in hashes))
    print(
        f"corpus: {len(docs):,} documents, {bench.mb:.1f} MB UTF-8, {bench.chars / len(docs):,.0f} characters"
        f" and {n_shingles / len(docs):,.0f} {cfg.ngram}-grams a document",
        file=sys.stderr,
    )

    # ---- our stages, one at a time (the scan runs them batch by batch, in threads; see docs/performance.md)
    bench.row("normalise", lambda: [normalize(t, profile=prof) for t in texts], group="stage", shingles=n_shingles)
    ntexts = [n.text for n in normalized]
    bench.row("shingle and hash (xxh32, hash_many)", lambda: hash_many(ntexts, cfg.ngram), group="stage",
              shingles=n_shingles)  # fmt: skip
    flat, offsets = hash_many(ntexts, cfg.ngram)

    def sketch() -> Any:
        w = window_signatures_flat(flat, offsets, window=cfg.window, stride=cfg.stride, num_perm=cfg.num_perm,
                                   seed=cfg.seed)  # fmt: skip
        return w, band_keys32(w.signatures, bands, rows)

    bench.row("sketch (window signatures + 32-bit band keys)", sketch, group="stage", shingles=n_shingles)
    windows, keys32 = sketch()
    window_doc = np.repeat(np.arange(len(docs), dtype=np.int64), np.diff(windows.offsets))
    sources = {d.outlet for d in docs}
    src_id = {s: i for i, s in enumerate(sorted(sources))}
    window_source = np.array([src_id[d.outlet] for d in docs], dtype=np.int64)[window_doc]

    def lsh() -> Any:
        c = candidate_pairs_banded(keys32.__getitem__, bands, window_doc, window_source,
                                   same_source=cfg.same_source, max_bucket=cfg.max_bucket)  # fmt: skip
        strong = c.shared_bands >= getattr(cfg, "min_bands", 1)
        return c.left[strong], c.right[strong]

    bench.row("LSH (buckets -> candidate document pairs)", lsh, group="stage", shingles=n_shingles)
    left, right = lsh()
    pairs = list(zip(left.tolist(), right.tolist(), strict=True))
    params = cfg.align_params
    involved = sorted({i for p in pairs for i in p})

    def do_prepare() -> dict[int, Any]:
        out = {}
        for i in involved:
            n = normalized[i]
            out[i] = prepare(n, shingle(n.text, cfg.ngram), params)
        return out

    prepared = do_prepare()

    def do_align() -> list[Any]:
        return [align(prepared[i], prepared[j], params) for i, j in pairs]

    bench.row(f"align ({len(pairs):,} candidate pairs, prepare incl.)", lambda: (do_prepare(), do_align()),
              group="stage", shingles=n_shingles)  # fmt: skip
    aligned = do_align()

    def do_score() -> int:
        # As the scan does: one pair_scores call a pair (every passage and the whole pair).
        count = 0
        for (i, j), found in zip(pairs, aligned, strict=True):
            if not found:
                continue
            a, b = prepared[i], prepared[j]
            spans = np.array([(x.a_start, x.a_end, x.b_start, x.b_end) for x in found], dtype=np.int64)
            pair_scores(a.shingles, a.ngrams, a.ranks, b.shingles, b.ngrams, b.ranks, spans)
            for al in found:
                a.normalized.raw_span(al.a_start, al.a_end)
                b.normalized.raw_span(al.b_start, al.b_end)
                count += 1
        return count

    bench.row("score (passages and pairs)", do_score, group="stage", shingles=n_shingles)
    result = scan(docs, cfg)
    bench.row("write (JSONL report)", lambda: write_jsonl(result, io.StringIO()), group="stage",
              shingles=n_shingles)  # fmt: skip

    # ---- the whole scan, with its own split from the progress callback
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int | None) -> None:
        marks[stage] = time.perf_counter()

    def whole() -> Any:
        marks.clear()
        marks["start"] = time.perf_counter()
        out = scan(docs, cfg, progress=progress)
        marks["end"] = time.perf_counter()
        return out

    scan_row = bench.row("dedup scan (whole: passages aligned and scored)", whole, group="scan",
                         shingles=n_shingles)  # fmt: skip
    whole()
    split = {
        "index (normalise+shingle+sketch)": marks.get("documents", marks["start"]) - marks["start"],
        "candidates (LSH)": marks.get("candidates", marks["end"]) - marks.get("documents", marks["start"]),
        "align+score": marks["end"] - marks.get("candidates", marks["end"]),
    }
    scan_row["split"] = split
    summary = {
        "passages": len(result.passages),
        "pairs": len(result.pairs),
        "candidates": result.candidates,
        "suppressed_buckets": result.suppressed_buckets,
    }
    print(f"scan found {summary}", file=sys.stderr)
    jsonl_bytes = io.StringIO()
    write_jsonl(result, jsonl_bytes)

    # ---- signatures: ours vs datasketch, from normalised text and from given n-grams
    bench.row("dedup: normalised text -> signature (hash_many + signatures)",
              lambda: signatures_flat(*hash_many(ntexts, cfg.ngram), cfg.num_perm, seed=cfg.seed), group="signature",
              shingles=n_shingles)  # fmt: skip
    bench.row("dedup: normalised text -> signature, 2 threads",
              lambda: threaded(lambda ts: signatures_flat(*hash_many(ts, cfg.ngram), cfg.num_perm, seed=cfg.seed),
                               ntexts, args.threads or 2), group="signature", shingles=n_shingles)  # fmt: skip
    bench.row("dedup: n-gram hashes -> signature (signatures, one call)",
              lambda: signatures(hashes, cfg.num_perm), group="signature", shingles=n_shingles)  # fmt: skip
    bench.row("dedup: normalised text -> window signatures",
              lambda: window_signatures_flat(*hash_many(ntexts, cfg.ngram), window=cfg.window,
                                             stride=cfg.stride, num_perm=cfg.num_perm),
              group="signature", shingles=n_shingles)  # fmt: skip
    ds_reps = max(1, min(args.repeats, args.ds_repeats))
    grams = [[g.encode("utf-8") for g in shingle_strings(t, cfg.ngram)] for t in ntexts]

    def ds_text(**kw: Any) -> Callable[[], Any]:
        def run() -> Any:
            g = [[s.encode("utf-8") for s in shingle_strings(t, cfg.ngram)] for t in ntexts]
            return datasketch.MinHash.bulk(g, num_perm=cfg.num_perm, seed=cfg.seed, **kw)

        return run

    xx = {"hashfunc": xxhash.xxh32_intdigest, "scheme": "affine32"}
    bench.row("datasketch: normalised text -> MinHash.bulk (default SHA-1)", ds_text(), group="signature",
              shingles=n_shingles, repeats=ds_reps)  # fmt: skip
    bench.row("datasketch: normalised text -> MinHash.bulk (xxh32)", ds_text(**xx), group="signature",
              shingles=n_shingles, repeats=ds_reps)  # fmt: skip
    bench.row("datasketch: n-grams -> MinHash.bulk (default SHA-1)",
              lambda: datasketch.MinHash.bulk(grams, num_perm=cfg.num_perm, seed=cfg.seed),
              group="signature", shingles=n_shingles, repeats=ds_reps)  # fmt: skip
    bench.row("datasketch: n-grams -> MinHash.bulk (xxh32)",
              lambda: datasketch.MinHash.bulk(grams, num_perm=cfg.num_perm, seed=cfg.seed, **xx),
              group="signature", shingles=n_shingles, repeats=ds_reps)  # fmt: skip
    ms = datasketch.MinHash.bulk(grams, num_perm=cfg.num_perm, seed=cfg.seed, **xx)
    exact = bool((signatures(hashes, cfg.num_perm, seed=cfg.seed) == np.stack([m.hashvalues for m in ms])).all())
    print(f"bit-exact with datasketch (xxh32, affine32): {exact}", file=sys.stderr)

    try:
        import rensa
    except ImportError:
        rensa = None
    if rensa is not None:
        def rensa_text() -> Any:
            out = []
            for t in ntexts:
                m = rensa.RMinHash(num_perm=cfg.num_perm, seed=cfg.seed)
                m.update(shingle_strings(t, cfg.ngram))
                out.append(m)
            return out

        bench.row("rensa: normalised text -> RMinHash", rensa_text, group="signature", shingles=n_shingles,
                  repeats=ds_reps)  # fmt: skip

    # ---- LSH: ours vs datasketch MinHashLSH at the same threshold
    ds_sigs = datasketch.MinHash.bulk(grams, num_perm=cfg.num_perm, seed=cfg.seed, **xx)
    ids = [d.id for d in docs]

    def ds_lsh() -> int:
        lsh_index = datasketch.MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
        for i, m in zip(ids, ds_sigs, strict=True):
            lsh_index.insert(i, m)
        found = 0
        for m in ds_sigs:
            found += len(lsh_index.query(m))
        return found

    bench.row(f"datasketch: MinHashLSH insert + query (threshold {cfg.threshold}, documents)", ds_lsh,
              group="lsh", shingles=n_shingles, repeats=ds_reps)  # fmt: skip
    doc_sigs = signatures(hashes, cfg.num_perm)

    def our_doc_lsh() -> Any:
        keys = band_keys(doc_sigs, bands, rows)
        return candidate_pairs(keys, np.arange(len(docs)), np.arange(len(docs)), max_bucket=len(docs) + 2)

    bench.row(f"dedup: band_keys + candidate_pairs (threshold {cfg.threshold}, documents)", our_doc_lsh,
              group="lsh", shingles=n_shingles)  # fmt: skip

    # ---- the whole datasketch document-level pipeline on the same corpus
    def ds_pipeline() -> int:
        g = [
            [s.encode("utf-8") for s in shingle_strings(normalize(t, profile=prof).text, cfg.ngram)]
            for t in texts
        ]
        sigs = datasketch.MinHash.bulk(g, num_perm=cfg.num_perm, seed=cfg.seed, **xx)
        lsh_index = datasketch.MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
        for i, m in zip(ids, sigs, strict=True):
            lsh_index.insert(i, m)
        return sum(len(lsh_index.query(m)) for m in sigs)

    ds_row = bench.row("datasketch pipeline (normalise, shingle, MinHash.bulk xxh32, MinHashLSH)", ds_pipeline,
                       group="scan", shingles=n_shingles, repeats=ds_reps)  # fmt: skip

    bench.measure_memory()
    by = {r["name"]: r for r in bench.rows}

    def ratio(ours: str, theirs: str) -> float:
        return by[theirs]["seconds"] / by[ours]["seconds"]

    ratios = {
        "signature_text_vs_bulk_sha1": ratio(
            "dedup: normalised text -> signature (hash_many + signatures)",
            "datasketch: normalised text -> MinHash.bulk (default SHA-1)",
        ),
        "signature_text_vs_bulk_xxh32": ratio(
            "dedup: normalised text -> signature (hash_many + signatures)",
            "datasketch: normalised text -> MinHash.bulk (xxh32)",
        ),
        "signature_text_2_threads_vs_bulk_xxh32": ratio(
            "dedup: normalised text -> signature, 2 threads",
            "datasketch: normalised text -> MinHash.bulk (xxh32)",
        ),
        "signature_ngrams_vs_bulk_xxh32": ratio(
            "dedup: n-gram hashes -> signature (signatures, one call)", "datasketch: n-grams -> MinHash.bulk (xxh32)"
        ),
        "signature_ngrams_vs_bulk_sha1": ratio(
            "dedup: n-gram hashes -> signature (signatures, one call)",
            "datasketch: n-grams -> MinHash.bulk (default SHA-1)",
        ),
        "lsh_documents_vs_minhashlsh": ratio(
            f"dedup: band_keys + candidate_pairs (threshold {cfg.threshold}, documents)",
            f"datasketch: MinHashLSH insert + query (threshold {cfg.threshold}, documents)",
        ),
        "scan_vs_datasketch_pipeline": ds_row["seconds"] / scan_row["seconds"],
    }
    base = by["datasketch: normalised text -> MinHash.bulk (xxh32)"]["seconds"]
    for r in bench.rows:
        r["x_datasketch_xxh32"] = base / r["seconds"] if r["group"] == "signature" else None
    return {
        "documents": len(docs),
        "mb": bench.mb,
        "characters": bench.chars,
        "shingles": n_shingles,
        "warmup_seconds": warmup,
        "bit_exact_with_datasketch": exact,
        "scan_result": summary,
        "report_bytes": len(jsonl_bytes.getvalue().encode("utf-8")),
        "rows": bench.rows,
        "stages": {
            key: next(r for r in bench.rows if r["group"] == "stage" and r["name"].lower().startswith(prefix))
            for key, prefix in zip(STAGES, ("normalise", "shingle", "sketch", "lsh", "align", "score", "write"),
                                   strict=True)
        },
        "ratios": ratios,
    }


# --------------------------------------------------------------------------- scaling (one process a size)


def scaling_corpus(args: argparse.Namespace, n: int) -> tuple[Path, int | None]:
    """The JSONL file a scaling point of ``n`` documents streams, and the limit to read it with."""
    if args.corpus:
        return Path(args.corpus), n
    cache = Path(args.cache_dir) if args.cache_dir else None
    return synthetic_corpus_file(n, seed=args.seed, chars=args.chars, cache_dir=cache), None


def child_scan(args: argparse.Namespace) -> dict[str, Any]:
    """Time one whole scan in this (fresh) process and report its peak memory.

    The scan reads its documents lazily from a JSONL file, as ``dedup scan corpus.jsonl`` does: the
    synthetic corpus is written to a cached file first (normally by the parent, before this process
    starts), so that neither its generation nor a list of every document counts in the peak.
    """
    from dedup.scan import scan

    cfg = make_config(args)
    small = synthetic_corpus(4, seed=args.seed + 1)
    scan(small, cfg)  # warm-up: numba cache load / compile
    del small
    path, limit = scaling_corpus(args, args.child)
    rss_before_corpus = max_rss()
    # One streamed pass to count what the scan will read (never more than one text in memory at a time).
    documents = text_utf8 = text_bytes = 0
    for d in stream_corpus(path, limit):
        documents += 1
        text_utf8 += len(d.text.encode("utf-8"))
        text_bytes += sys.getsizeof(d.text)
    rss_corpus = max_rss()
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int | None) -> None:
        marks[stage] = time.perf_counter()

    gc.collect()
    # Reset the high-water mark of resident memory (Linux: clear_refs 5), so that the scan's own
    # peak is not the warm-up's or the counting pass's.
    hwm_reset = _reset_hwm()
    times = []
    result = None
    for _ in range(args.child_repeats):
        del result
        gc.collect()
        marks.clear()
        t = time.perf_counter()
        result = scan(stream_corpus(path, limit), cfg, progress=progress)
        end = time.perf_counter()
        times.append(end - t)
    split = {
        "index": marks.get("documents", t) - t,
        "candidates": marks.get("candidates", end) - marks.get("documents", t),
        "align_score": end - marks.get("candidates", end),
    }
    assert result is not None
    return {
        "documents": documents,
        "mb": text_utf8 / 1e6,
        "seconds": statistics.median(times),
        "runs": times,
        "split": split,
        "peak_rss_bytes": max_rss(),
        "scan_peak_rss_bytes": _hwm() if hwm_reset else None,
        "rss_before_corpus_bytes": rss_before_corpus,
        "rss_after_corpus_bytes": rss_corpus,
        "text_bytes": text_bytes,
        "corpus_path": str(path),
        "corpus_bytes": path.stat().st_size,
        "streamed": True,
        "passages": len(result.passages),
        "pairs": len(result.pairs),
        "candidates": result.candidates,
    }


def run_scaling(args: argparse.Namespace, sizes: list[int]) -> dict[str, Any]:
    points = []
    for n in sizes:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(n), "--child-repeats",
               str(args.repeats if n <= 50_000 else 1)]  # fmt: skip
        for flag in ("ngram", "num_perm", "threshold", "min_bands"):
            if getattr(args, flag) is not None:
                cmd += ["--" + flag.replace("_", "-"), str(getattr(args, flag))]
        cmd += ["--seed", str(args.seed), "--chars", str(args.chars)]
        if args.corpus:
            cmd += ["--corpus", args.corpus]
        if args.cache_dir:
            cmd += ["--cache-dir", args.cache_dir]
        print(f"scaling: {n:,} documents ...", file=sys.stderr, flush=True)
        scaling_corpus(args, n)  # written here, once, so that the child only streams it
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        point = json.loads(out.stdout)
        points.append(point)
        print(
            f"  {n:>9,} docs {point['seconds']:9.2f} s {n / point['seconds']:9,.0f} docs/s"
            f"  peak RSS {point['peak_rss_bytes'] / 2**30:.2f} GiB"
            f" (scan alone {(point.get('scan_peak_rss_bytes') or 0) / 2**30:.2f} GiB)",
            file=sys.stderr,
            flush=True,
        )
    exponent = None
    big = [p for p in points if p["documents"] >= 10_000]
    if len(big) >= 2:
        a, b = big[0], big[-1]
        exponent = math.log(b["seconds"] / a["seconds"]) / math.log(b["documents"] / a["documents"])
    exponents = [
        math.log(q["seconds"] / p["seconds"]) / math.log(q["documents"] / p["documents"])
        for p, q in itertools.pairwise(points)
    ]
    return {"points": points, "exponent": exponent, "exponents_between_points": exponents}


def plot_scaling(scaling: dict[str, Any], path: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot", file=sys.stderr)
        return False
    pts = scaling["points"]
    n = np.array([p["documents"] for p in pts], dtype=float)
    t = np.array([p["seconds"] for p in pts])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(n, t, "o-", label="dedup scan (whole)")
    for key, label in (("index", "index (normalise, shingle, sketch)"), ("candidates", "LSH"),
                       ("align_score", "align + score")):  # fmt: skip
        part = np.array([max(p["split"].get(key, 0.0), 1e-3) for p in pts])
        ax.loglog(n, part, ".--", linewidth=1, label=label)
    ax.loglog(n, t[0] * n / n[0], ":", color="grey", label="linear")
    for x, y, p in zip(n, t, pts, strict=True):
        peak = p.get("scan_peak_rss_bytes") or p["peak_rss_bytes"]
        ax.annotate(f"{peak / 2**30:.2f} GiB", (x, y), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_xlabel("documents")
    ax.set_ylabel("seconds")
    exp = scaling.get("exponent")
    ax.set_title("scan cost vs corpus size" + (f" (exponent {exp:.2f})" if exp else ""))
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


# --------------------------------------------------------------------------- output


def format_table(table: dict[str, Any]) -> str:
    lines = [
        f"{table['documents']:,} documents, {table['mb']:.1f} MB, {table['shingles'] / table['documents']:,.0f}"
        " n-grams a document",
        "",
        f"| {'row':66s} | {'seconds':>8s} | {'docs/s':>9s} | {'MB/s':>7s} | {'ns/shingle':>10s} | {'peak MB':>8s}"
        f" | {'x datasketch':>12s} |",
        f"|{'-' * 68}|{'-' * 9}:|{'-' * 10}:|{'-' * 8}:|{'-' * 11}:|{'-' * 9}:|{'-' * 13}:|",
    ]
    for r in table["rows"]:
        ns = f"{r['ns_per_shingle']:.1f}" if r["ns_per_shingle"] is not None else ""
        peak = f"{r['peak_bytes'] / 1e6:.1f}" if r["peak_bytes"] is not None else ""
        x = f"{r['x_datasketch_xxh32']:.1f}" if r.get("x_datasketch_xxh32") else ""
        lines.append(
            f"| {r['name']:66s} | {r['seconds']:8.3f} | {r['docs_per_s']:9,.0f} | {r['mb_per_s']:7.2f} | {ns:>10s}"
            f" | {peak:>8s} | {x:>12s} |"
        )
    lines.append("")
    for k, v in table["ratios"].items():
        lines.append(f"{k}: {v:.1f}x")
    split = next(r for r in table["rows"] if r["group"] == "scan").get("split", {})
    if split:
        lines.append("scan split: " + ", ".join(f"{k} {v:.2f} s" for k, v in split.items()))
    lines += ["", "targets of issue 4 in this run (memory and scaling: the --scaling runs, see docs/performance.md):"]
    for name, key, target in TARGETS:
        value = table["ratios"][key]
        lines.append(f"  {name:72s} {value:6.1f}x  target >= {target:g}x  {'met' if value >= target else 'NOT MET'}")
    return "\n".join(lines)


# (what, ratio key, target) of issue 4; the datasketch side is its fastest hash (xxh32), same n-grams and num_perm
TARGETS = [
    ("signatures from normalised text vs datasketch MinHash.bulk, one thread", "signature_text_vs_bulk_xxh32", 30),
    ("signatures from normalised text vs datasketch MinHash.bulk, two threads",
     "signature_text_2_threads_vs_bulk_xxh32", 30),
    ("whole dedup scan vs datasketch document-level pipeline", "scan_vs_datasketch_pipeline", 3),
]  # fmt: skip


def make_config(args: argparse.Namespace) -> Any:
    """ScanConfig's defaults, with the parameters given on the command line."""
    from dedup.scan import ScanConfig

    given = {k: getattr(args, k) for k in ("ngram", "num_perm", "threshold", "min_bands")}
    return ScanConfig().replace(**{k: v for k, v in given.items() if v is not None})


def load(args: argparse.Namespace, n: int | None = None) -> list[Any]:
    if args.corpus:
        return read_corpus(args.corpus, n)
    return synthetic_corpus(n or args.synthetic, seed=args.seed, chars=args.chars)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument("--corpus", help="a JSONL file of documents (id, text, source)")
    src.add_argument("--synthetic", type=int, default=2000, help="documents of a synthetic corpus (default 2000)")
    p.add_argument("--limit", type=int, help="use the first LIMIT documents of --corpus")
    p.add_argument("--chars", type=int, default=3000, help="characters a synthetic document (default 3000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpus")
    p.add_argument("--ngram", type=int, help="n-gram length (default: ScanConfig's)")
    p.add_argument("--num-perm", type=int, help="permutations (default: ScanConfig's)")
    p.add_argument("--threshold", type=float, help="LSH threshold (default: ScanConfig's)")
    p.add_argument("--min-bands", type=int, help="bands a candidate pair must share (default: ScanConfig's)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs a row (the median is reported)")
    p.add_argument("--ds-repeats", type=int, default=1, help="timed runs of the slow datasketch rows")
    p.add_argument("--threads", type=int, default=None, help="threads of the sketch stage (default: all cores)")
    p.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peak-memory runs")
    p.add_argument("--no-table", action="store_true", help="skip the per-stage table (e.g. scaling only)")
    p.add_argument("--scaling", help="comma-separated corpus sizes, one fresh process each, e.g. 1000,10000,50000")
    p.add_argument(
        "--cache-dir",
        help="where the scaling run keeps its synthetic JSONL corpora, one a size, for reuse"
        " (default: dedup-bench-corpora in the system's temporary directory)",
    )
    p.add_argument("--plot", help="write the scaling curve to this image (needs matplotlib)")
    p.add_argument("--json", help="write every figure, the machine and the versions to this JSON file")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-repeats", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child is not None:
        print(json.dumps(child_scan(args)))
        return 0
    out: dict[str, Any] = {
        "machine": machine(),
        "versions": versions(),
        "parameters": {
            "corpus": args.corpus or f"synthetic({args.synthetic}, seed={args.seed}, chars={args.chars})",
            "repeats": args.repeats,
            "threads": args.threads,
        },
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
    }
    if not args.no_table:
        docs = load(args, args.limit if args.corpus else None)
        cfg = make_config(args)
        out["parameters"].update(cfg.to_dict(), bands_rows=list(cfg.bands_rows))
        out["table"] = run_table(docs, args)
        print(format_table(out["table"]))
    if args.scaling:
        sizes = [int(s) for s in args.scaling.split(",") if s.strip()]
        out["scaling"] = run_scaling(args, sizes)
        for pnt in out["scaling"]["points"]:
            print(
                f"scaling {pnt['documents']:>9,} docs {pnt['seconds']:9.2f} s"
                f" {pnt['documents'] / pnt['seconds']:9,.0f} docs/s peak RSS {pnt['peak_rss_bytes'] / 2**30:.2f} GiB"
            )
        if out["scaling"]["exponent"] is not None:
            print(f"scaling exponent (log-log slope, 10k and up): {out['scaling']['exponent']:.3f}"
                  " (target of issue 4: close to linear, reported)")  # fmt: skip
        for pnt in out["scaling"]["points"]:
            if pnt["documents"] >= 100_000:
                peak = pnt.get("scan_peak_rss_bytes") or pnt["peak_rss_bytes"]
                verdict = "met" if peak <= 2e9 else "NOT MET"
                print(f"peak memory scanning {pnt['documents']:,} documents: {peak / 1e9:.2f} GB"
                      f" ({peak / 2**30:.2f} GiB), target <= 2 GB: {verdict}")  # fmt: skip
        if args.plot:
            out["scaling"]["plot"] = args.plot if plot_scaling(out["scaling"], args.plot) else None
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
