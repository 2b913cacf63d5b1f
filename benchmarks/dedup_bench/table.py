"""The stage table: every stage of a scan timed on one corpus, side by side with datasketch (and rensa)."""

from __future__ import annotations

import argparse
import io
import math
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .measure import make_config, peak_memory, threaded, timed

STAGES = ("normalise", "shingle", "sketch", "lsh", "align", "score", "write")


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

    from dedup.align import prepare
    from dedup.batch import align_batch, handle
    from dedup.budget import per_document_budget
    from dedup.candidates import candidate_pairs, candidate_pairs_banded
    from dedup.lsh import band_keys, band_keys32
    from dedup.minhash import (
        _hashing_floor,
        signatures,
        signatures_flat,
        text_signatures,
        window_signatures_flat,
        window_signatures_many,
    )
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
    threads = args.threads  # (None: the scan's default, every core)
    workers = args.threads or 2  # the threaded signature row
    scan(docs[:2] if len(docs) >= 2 else docs, cfg, threads=threads)
    h2 = [shingle(normalize(t, profile=prof).text, cfg.ngram).hashes for t in texts[:2]]
    signatures(h2, cfg.num_perm)
    text_signatures(texts[:2], cfg.ngram, cfg.num_perm, seed=cfg.seed)
    _hashing_floor(texts[:2], cfg.ngram)
    _scalar_floor(texts[:2], cfg.ngram)
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

    whole_signatures = signatures(hashes, cfg.num_perm, seed=cfg.seed)  # (the budget's tie-break, as the scan's)

    def lsh() -> Any:
        c = candidate_pairs_banded(keys32.__getitem__, bands, window_doc, window_source,
                                   same_source=cfg.same_source, max_bucket=cfg.max_bucket)  # fmt: skip
        strong = c.shared_bands >= getattr(cfg, "min_bands", 1)
        left, right, shared = c.left[strong], c.right[strong], c.shared_bands[strong]
        # As the scan: each document's strongest candidates are aligned, the rest counted, not aligned
        # (on a dense corpus, aligning every candidate took ~6x the time of the whole scan).
        keep = per_document_budget(left, right, shared, len(docs), cfg.max_candidates, whole_signatures)
        return left[keep], right[keep], len(left)

    bench.row("LSH (buckets -> candidate document pairs)", lsh, group="stage", shingles=n_shingles)
    left, right, found = lsh()
    pairs = list(zip(left.tolist(), right.tolist(), strict=True))
    print(f"LSH: {found:,} candidate pairs, {len(pairs):,} within the budget of {cfg.max_candidates} a document",
          file=sys.stderr)  # fmt: skip
    params = cfg.align_params
    involved = sorted({i for p in pairs for i in p})

    slot = {k: n for n, k in enumerate(involved)}
    lefts, rights = [slot[i] for i, _ in pairs], [slot[j] for _, j in pairs]

    # Each source's boilerplate, counted as the scan counts it (its index over the corpus), so that
    # the documents are prepared as the scan prepares them: without those seeds, with their raw
    # text (sentence ends for the passages' edges).
    from dedup.scan import _Index, _Prepared

    index = _Index(cfg, threads=1)
    for d in docs:
        index.add(d)
    index.finish()
    index.close_keys()
    filters = _Prepared(index).filters
    common = [filters[index.sources[d.outlet]] if d.outlet in index.sources else None for d in docs]
    del index

    def do_prepare() -> list[Any]:
        # Each document once, as a handle of its arrays, as the scan hands them to the batch kernel.
        out = []
        for i in involved:
            n = normalized[i]
            out.append(handle(prepare(n, shingle(n.text, cfg.ngram), params, common[i], text=texts[i])))
        return out

    handles = do_prepare()
    prepared = {i: handles[slot[i]].prepared for i in involved}

    def do_align() -> list[Any]:
        # The scan's kernel (dedup.batch): the pairs in one call, on this thread.
        return align_batch(handles, lefts, rights, params)

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
            pair_scores(a, a.ngrams, a.ranks, b, b.ngrams, b.ranks, spans)
            for al in found:
                a.normalized.raw_span(al.a_start, al.a_end)
                b.normalized.raw_span(al.b_start, al.b_end)
                count += 1
        return count

    bench.row("score (passages and pairs)", do_score, group="stage", shingles=n_shingles)
    result = scan(docs, cfg, threads=threads)
    bench.row("write (JSONL report)", lambda: write_jsonl(result, io.StringIO()), group="stage",
              shingles=n_shingles)  # fmt: skip

    # ---- the whole scan, with its own split from the progress callback
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int | None) -> None:
        marks[stage] = time.perf_counter()

    def whole() -> Any:
        marks.clear()
        marks["start"] = time.perf_counter()
        out = scan(docs, cfg, progress=progress, threads=threads)
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
        "aligned": result.aligned,
        "unaligned": result.unaligned,
        "table_candidates": found,  # (the LSH row's, before the budget; the align row aligns table_aligned)
        "table_aligned": len(pairs),
        "suppressed_buckets": result.suppressed_buckets,
    }
    print(f"scan found {summary}", file=sys.stderr)
    jsonl_bytes = io.StringIO()
    write_jsonl(result, jsonl_bytes)

    # ---- signatures: ours vs datasketch, from normalised text and from given n-grams
    # The hashing floor: every n-gram of the same texts hashed with xxh32 by the kernel the signatures
    # use, with no MinHash (one thread); and the same done one n-gram at a time from UTF-8 bytes.
    bench.row("hashing floor: xxh32 of every n-gram, the signature's hashing alone",
              lambda: _hashing_floor(ntexts, cfg.ngram), group="signature", shingles=n_shingles)  # fmt: skip
    bench.row("hashing floor, one n-gram at a time (scalar xxh32 of UTF-8)", lambda: _scalar_floor(ntexts, cfg.ngram),
              group="signature", shingles=n_shingles)  # fmt: skip
    bench.row("dedup: normalised text -> signature (text_signatures)",
              lambda: text_signatures(ntexts, cfg.ngram, cfg.num_perm, seed=cfg.seed), group="signature",
              shingles=n_shingles)  # fmt: skip
    bench.row("dedup: normalised text -> signature (hash_many + signatures)",
              lambda: signatures_flat(*hash_many(ntexts, cfg.ngram), cfg.num_perm, seed=cfg.seed), group="signature",
              shingles=n_shingles)  # fmt: skip
    threaded_row = f"dedup: normalised text -> signature, {workers} thread{'s' if workers > 1 else ''}"
    bench.row(threaded_row,
              lambda: threaded(lambda ts: signatures_flat(*hash_many(ts, cfg.ngram), cfg.num_perm, seed=cfg.seed),
                               ntexts, workers), group="signature", shingles=n_shingles)  # fmt: skip
    bench.row("dedup: n-gram hashes -> signature (signatures, one call)",
              lambda: signatures(hashes, cfg.num_perm), group="signature", shingles=n_shingles)  # fmt: skip
    bench.row("dedup: normalised text -> window signatures",
              lambda: window_signatures_flat(*hash_many(ntexts, cfg.ngram), window=cfg.window,
                                             stride=cfg.stride, num_perm=cfg.num_perm),
              group="signature", shingles=n_shingles)  # fmt: skip
    ds_reps = args.ds_repeats
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
    theirs = np.stack([m.hashvalues for m in ms])
    exact = bool((signatures(hashes, cfg.num_perm, seed=cfg.seed) == theirs).all())
    exact &= bool((text_signatures(ntexts, cfg.ngram, cfg.num_perm, seed=cfg.seed) == theirs).all())
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
        g = [[s.encode("utf-8") for s in shingle_strings(normalize(t, profile=prof).text, cfg.ngram)] for t in texts]
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
            "dedup: normalised text -> signature (text_signatures)",
            "datasketch: normalised text -> MinHash.bulk (xxh32)",
        ),
        "signature_hash_many_vs_bulk_xxh32": ratio(
            "dedup: normalised text -> signature (hash_many + signatures)",
            "datasketch: normalised text -> MinHash.bulk (xxh32)",
        ),
        "hashing_floor_vs_bulk_xxh32": ratio(
            "hashing floor: xxh32 of every n-gram, the signature's hashing alone",
            "datasketch: normalised text -> MinHash.bulk (xxh32)",
        ),
        "scalar_floor_vs_bulk_xxh32": ratio(
            "hashing floor, one n-gram at a time (scalar xxh32 of UTF-8)",
            "datasketch: normalised text -> MinHash.bulk (xxh32)",
        ),
        # Times the floor: how much the 128 permutations add to hashing (lower is better).
        "signature_over_hashing_floor": 1
        / ratio(
            "dedup: normalised text -> signature (text_signatures)",
            "hashing floor: xxh32 of every n-gram, the signature's hashing alone",
        ),
        "signature_over_scalar_floor": 1
        / ratio(
            "dedup: normalised text -> signature (text_signatures)",
            "hashing floor, one n-gram at a time (scalar xxh32 of UTF-8)",
        ),
        "signature_text_2_threads_vs_bulk_xxh32": ratio(
            threaded_row,
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
            for key, prefix in zip(
                STAGES, ("normalise", "shingle", "sketch", "lsh", "align", "score", "write"), strict=True
            )
        },
        "ratios": ratios,
    }


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
    lines += ["", *textwrap.wrap(LEGEND[0], 110), "", "ratios (one time over another, as said after each):"]
    for k, v in table["ratios"].items():
        lines.append(f"{k}: {v:.1f}x  ({RATIO_MEANINGS.get(k, '')})")
    split = next(r for r in table["rows"] if r["group"] == "scan").get("split", {})
    if split:
        lines.append("scan split: " + ", ".join(f"{k} {v:.2f} s" for k, v in split.items()))
    lines += ["", "targets of issue 4 in this run (memory and scaling: the --scaling runs, see docs/performance.md):"]
    for name, key, target in TARGETS:
        value = table["ratios"][key]
        lines.append(f"  {name:72s} {value:6.1f}x  target >= {target:g}x  {'met' if value >= target else 'NOT MET'}")
    lines += ["", "targets of issue 14 in this run (signatures; the scans: --scans):"]
    for name, key, target in TARGETS_14:
        value = table["ratios"][key]
        ok = value >= target if key.endswith("_vs_bulk_xxh32") else value <= target
        sign = ">=" if key.endswith("_vs_bulk_xxh32") else "<="
        lines.append(f"  {name:72s} {value:6.2f}x  target {sign} {target:g}x  {'met' if ok else 'NOT MET'}")
    return "\n".join(lines)


# What the table's columns are (printed under it, and in --help).
LEGEND = (
    "seconds: median wall time of --repeats runs of the row over the whole corpus (datasketch and rensa rows:"
    " --ds-repeats); docs/s, MB/s: the corpus (MB of UTF-8 text, 10^6 bytes) over that time; ns/shingle: that"
    " time over every n-gram of the corpus; peak MB: tracemalloc peak of one more run (10^6 bytes; blank with"
    " --no-memory); x datasketch: the seconds of datasketch MinHash.bulk (xxh32) from normalised text over the"
    " row's (above 1: the row is faster).",
)

# How each ratio of the table is taken: which time over which, and which way is better.
RATIO_MEANINGS = {
    "signature_text_vs_bulk_sha1": "datasketch MinHash.bulk (SHA-1) time / dedup hash_many + signatures time:"
    " above 1, dedup is faster",
    "signature_text_vs_bulk_xxh32": "datasketch MinHash.bulk (xxh32) time / dedup text_signatures time:"
    " above 1, dedup is faster",
    "signature_hash_many_vs_bulk_xxh32": "datasketch MinHash.bulk (xxh32) time / dedup hash_many + signatures time:"
    " above 1, dedup is faster",
    "hashing_floor_vs_bulk_xxh32": "datasketch MinHash.bulk (xxh32) time / hashing floor time",
    "scalar_floor_vs_bulk_xxh32": "datasketch MinHash.bulk (xxh32) time / scalar hashing floor time",
    "signature_over_hashing_floor": "dedup text_signatures time / hashing floor time: what the permutations add,"
    " lower is better",
    "signature_over_scalar_floor": "dedup text_signatures time / scalar hashing floor time: lower is better",
    "signature_text_2_threads_vs_bulk_xxh32": "datasketch MinHash.bulk (xxh32) time / dedup signatures on --threads"
    " threads (default 2) time: above 1, dedup is faster",
    "signature_ngrams_vs_bulk_xxh32": "datasketch MinHash.bulk (xxh32) time / dedup signatures time, both from"
    " n-grams: above 1, dedup is faster",
    "signature_ngrams_vs_bulk_sha1": "datasketch MinHash.bulk (SHA-1) time / dedup signatures time, both from"
    " n-grams: above 1, dedup is faster",
    "lsh_documents_vs_minhashlsh": "datasketch MinHashLSH time / dedup band_keys + candidate_pairs time:"
    " above 1, dedup is faster",
    "scan_vs_datasketch_pipeline": "datasketch document-level pipeline time / whole dedup scan time:"
    " above 1, dedup is faster",
}


# (what, ratio key, target) of issue 4; the datasketch side is its fastest hash (xxh32), same n-grams and num_perm
TARGETS = [
    ("signatures from normalised text vs datasketch MinHash.bulk, one thread", "signature_text_vs_bulk_xxh32", 30),
    ("signatures from normalised text vs datasketch MinHash.bulk, two threads",
     "signature_text_2_threads_vs_bulk_xxh32", 30),
    ("whole dedup scan vs datasketch document-level pipeline", "scan_vs_datasketch_pipeline", 3),
]  # fmt: skip


# (what, ratio key, target) of issue 14: "_vs_bulk_xxh32" ratios at least the target, the others at most.
TARGETS_14 = [
    ("signatures from normalised text vs datasketch MinHash.bulk (xxh32), one thread", "signature_text_vs_bulk_xxh32",
     50),
    ("signatures / hashing floor (the same kernel's hashing alone)", "signature_over_hashing_floor", 1.5),
    ("signatures / hashing floor one n-gram at a time (scalar xxh32)", "signature_over_scalar_floor", 1.5),
]  # fmt: skip


_SCALAR: Any = None


def _scalar_floor(texts: list[str], ngram: int) -> int:
    """xxh32 of every n-gram of the texts one at a time from their UTF-8 bytes (numba; no MinHash), XOR-folded.

    The reference floor: the xxh32 algorithm as written (as the xxhash package runs it), one
    n-gram after another, with no vectorisation across n-grams and no length specialised.
    """
    global _SCALAR
    if _SCALAR is None:
        from numba import njit

        from dedup.shingle import _xxh32

        @njit(nogil=True)
        def kernel(data: Any, offsets: Any, ngram: int) -> Any:
            folded = np.uint32(0)
            starts = np.empty(data.shape[0] + 1, np.int64)
            for d in range(offsets.shape[0] - 1):
                chars = 0
                for i in range(offsets[d], offsets[d + 1]):
                    if data[i] & 0xC0 != 0x80:  # the first byte of a character
                        starts[chars] = i
                        chars += 1
                starts[chars] = offsets[d + 1]
                for j in range(chars - ngram + 1):
                    folded ^= _xxh32(data, starts[j], starts[j + ngram], np.uint32(0))
            return folded

        _SCALAR = kernel
    folded = 0
    for first in range(0, len(texts), 256):
        encoded = [t.replace(" ", "").encode("utf-8") for t in texts[first : first + 256]]
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        folded ^= int(_SCALAR(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets, ngram))
    return folded
