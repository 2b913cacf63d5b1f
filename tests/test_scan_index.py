"""The scan's index stage: batched, threaded sketching gives the candidates of a plain per-document loop."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.lsh import band_keys, candidate_pairs, candidate_pairs_banded
from dedup.minhash import window_signatures
from dedup.normalize import normalize
from dedup.records import Document
from dedup.scan import ScanConfig, _Index
from dedup.shingle import shingle


def _corpus(n: int) -> list[Document]:
    rng = np.random.default_rng(11)
    letters = np.array(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"))
    wire = " ".join("".join(rng.choice(letters, 6)) for _ in range(80))
    docs = []
    for i in range(n):
        own = " ".join("".join(rng.choice(letters, int(rng.integers(2, 8)))) for _ in range(150))
        text = own[:400] + " " + wire + " " + own[400:] if i % 3 == 0 else own
        docs.append(Document(f"d{i}", text, source=f"s{i % 4}"))
    return docs


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch", [1, 7, 256])
def test_index_equals_per_document_loop(threads: int, batch: int) -> None:
    cfg = ScanConfig()
    bands, rows = cfg.bands_rows
    docs = _corpus(40)
    keys, sigs, doc_of, source = [], [], [], []
    for d, doc in enumerate(docs):
        text = normalize(doc.text, profile=cfg.profile).text
        w = window_signatures(
            shingle(text, cfg.ngram).hashes, window=cfg.window, stride=cfg.stride, num_perm=cfg.num_perm
        )
        keys.append(band_keys(w.signatures, bands, rows))
        sigs.append(w.document)
        doc_of += [d] * len(w.signatures)
        source += [int(doc.source[1:])] * len(w.signatures)
    expected = candidate_pairs(np.concatenate(keys), np.array(doc_of), np.array(source))

    index = _Index(cfg, threads=threads, batch=batch)
    for doc in docs:
        index.add(doc)
    window_doc, windows = index.finish()
    assert windows == len(doc_of) and window_doc.tolist() == doc_of
    assert (index.doc_signatures == np.stack(sigs)).all()
    got = candidate_pairs_banded(
        index.column, index.bands, window_doc, np.asarray(index.doc_source)[window_doc]
    )
    assert got.left.tolist() == expected.left.tolist()
    assert got.right.tolist() == expected.right.tolist()
    assert got.shared_bands.tolist() == expected.shared_bands.tolist()
    assert len(expected.left) > 0


@pytest.mark.parametrize(("capacity", "max_df"), [(7, 0.2), (16, 0.05), (1000, 0.05)])
def test_suppress_common_in_chunks_equals_common_keys(capacity: int, max_df: float) -> None:
    from dedup.boilerplate import common_keys
    from dedup.scan import _Prepared

    cfg = ScanConfig(max_df=max_df)
    index = _Index(cfg)
    for doc in _corpus(60):
        index.add(doc)
    index.finish()
    everything = _Prepared(index, capacity=10**6)
    keys = []
    for i in range(len(index.order)):
        keys.extend((everything[i].seed_keys, everything[i].word_keys))
    expected = common_keys(keys, len(index.order), max_df)
    chunked = _Prepared(index, capacity=capacity)
    chunked.suppress_common(list(range(len(index.order))))
    assert chunked.common is not None
    assert chunked.common.tolist() == expected.tolist()
