"""Book-length documents: what the seed counts, the LSH buckets and the reports do with a few long texts."""

from __future__ import annotations

import random

import numpy as np

from dedup import Document, ScanConfig, common, scan
from dedup.align import align, document_keys, prepare
from dedup.boilerplate import Boilerplate, SeedCounts, source_salt
from dedup.html import CONTEXT, render_html
from dedup.normalize import normalize
from dedup.shingle import hash_many, shingle


def words(seed: int, count: int) -> str:
    """``count`` random made-up words: text that shares no wording with another seed's."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return " ".join("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(count))


def test_a_full_seed_sketch_does_not_make_a_lone_documents_seeds_boilerplate_or_common() -> None:
    # The seed counts are a sketch of fixed size whose counts only err upwards. Book-length
    # documents fill it (here a sketch of 16 counters a row stands for one filled by two 5 MB
    # texts): every seed's count then reads above the boilerplate limit of a source of one
    # document (2) and above the rarity limit of a corpus of two, and the copy was lost. No seed
    # can be in more documents than the source or the corpus holds: such limits need no sketch.
    copy = words(3, 60)
    texts = [words(1, 300) + " " + copy + " " + words(2, 300), words(4, 200) + " " + copy + " " + words(5, 200)]
    config = ScanConfig()
    params = config.align_params
    counts = SeedCounts(width=16)
    normalized = [normalize(t) for t in texts]
    hashes, offsets = hash_many([n.text for n in normalized], config.ngram)
    keys, key_offsets = document_keys([n.text for n in normalized], hashes, offsets, params)
    salts = [source_salt("\0a"), source_salt("\0b")]
    counts.add(keys, key_offsets, np.array([0, 1]), np.array(salts, dtype=np.uint64))
    prepared = [
        prepare(n, shingle(n.text, config.ngram), params, Boilerplate(counts, s, salts[s], config.source_df), text=t)
        for s, (n, t) in enumerate(zip(normalized, texts, strict=True))
    ]
    assert not Boilerplate(counts, 0, salts[0], config.source_df).of(keys[: key_offsets[1]]).any()
    assert prepared[0].seed_rare.all() and prepared[0].word_rare.all()
    found = align(prepared[0], prepared[1], params)
    assert len(found) == 1
    at = normalized[0].text.index(copy)
    assert abs(found[0].a_start - at) <= 1 and abs(found[0].a_end - (at + len(copy))) <= 1


def test_a_bucket_a_long_documents_own_windows_fill_is_named_by_the_text_they_all_hold() -> None:
    # In a long text, frequent wording holds a band's minimum in hundreds of the text's own
    # windows: the bucket is skipped as too common although no other document is in it. What
    # one of its windows shares with the other document's windows in it was the text named: a
    # whole window (any text, or a real copy between the two) instead of what the windows share.
    rng = random.Random(7)
    vocabulary = words(11, 20).split()
    texts = [" ".join(rng.choice(vocabulary) for _ in range(6000)) for _ in range(2)]
    config = ScanConfig()
    sketches = [common._sketch(t, config) for t in texts]
    band, key, held = max(
        ((b, int(k), int((sketches[0].keys[b] == k).sum())) for b in range(config.bands_rows[0]) for k in
         np.unique(sketches[0].keys[b])),
        key=lambda x: x[2],
    )  # fmt: skip
    theirs = int((sketches[1].keys[band] == np.uint32(key)).sum())
    assert held > 256 and theirs > 0
    rows = np.array([[band, key, 0, 1, held + theirs]])
    (named,) = common.common_texts(rows, texts.__getitem__, ["a", "b"].__getitem__, config)
    assert 0 < len(named.text.split()) <= 3
    mine = sketches[0]
    for w in mine.windows(band, key).tolist():
        start, end = mine.normalized.raw_span(
            int(mine.shingles.starts[mine.first[w]]), int(mine.shingles.ends[mine.last[w] - 1])
        )
        assert named.text in texts[0][start:end]


def test_the_html_view_of_two_books_shows_their_passages_not_the_books_whole() -> None:
    # Each side-by-side view repeated both texts whole: 200 pairs of 5 MB books made a report of
    # 2 GB. A long text is shown around its passages, the rest left out and counted.
    copy = words(3, 60)
    texts = [words(1, 12_000) + " " + copy + " " + words(2, 12_000), words(4, 12_000) + " " + copy]
    result = scan([Document("a", texts[0]), Document("b", texts[1])])
    assert len(result.passages) == 1
    page = render_html(result)
    assert copy in page and page.count("characters left out") == 3  # before a, after a, before b
    assert len(page) < 2 * len(copy) + 4 * CONTEXT + 30_000 < len(texts[0])
