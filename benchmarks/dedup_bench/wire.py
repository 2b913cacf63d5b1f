"""Wire copy among chance matches: drawn corpora of outlets that write in one shared vocabulary.

Each corpus has k outlets; each writes 120 words of its own around the same 487-character wire
paragraph, all words drawn from one vocabulary of 3,000 made-up words, so that some of them match by
chance near the copy. A scan should pair every two carriers, and each passage should be the
paragraph, not reach over the outlets' own text (docs/quality.md, "Words shared by chance"). With
``edit``, each outlet runs the paragraph edited in its own way: that share of its words replaced by
a word of the vocabulary, or followed by one (docs/quality.md, "Edited copies many outlets carry").
"""

from __future__ import annotations

import random
from typing import Any

from dedup import Document, scan

WIRE = (
    "The defence ministry said on Monday it had no plans to withdraw its 2,500 troops from the country, "
    "despite the announcement last week that talks on ending the coalition mission would begin soon. "
    "A spokesman told reporters the forces remained at the invitation of the government and would keep "
    "their focus on the mission against the militant group, which once held wide areas of the north. "
    "Officials in the capital did not respond to a request for comment on the timing of any withdrawal."
)
SPILL = 30  # characters past the paragraph a passage may reach before it counts as a spill
EDIT = 0.15  # the share of the paragraph's words each outlet edits in the edited draws


def _vocabulary() -> list[str]:
    spelling = random.Random(2026)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(spelling.choice(letters) for _ in range(spelling.randint(3, 9))) for _ in range(3000)]


def edited(wire: str, rng: random.Random, share: float, vocabulary: list[str]) -> str:
    """The wire as one outlet ran it: about ``share`` of its words replaced by another, or followed by one."""
    out = []
    for word in wire.split(" "):
        roll = rng.random()
        if roll < share / 2:
            out.append(rng.choice(vocabulary))
        elif roll < share:
            out.extend((word, rng.choice(vocabulary)))
        else:
            out.append(word)
    return " ".join(out)


def _corpus(k: int, seed: int, words: int, edit: float) -> tuple[list[Document], list[str]]:
    """The documents of :func:`wire_corpus`, and the copy of the paragraph each carries."""
    vocabulary = _vocabulary()

    def own(at: int) -> str:
        rng = random.Random(at)
        return " ".join(rng.choice(vocabulary) for _ in range(words))

    copies = [edited(WIRE, random.Random(seed * 1_000 + 500 + i), edit, vocabulary) if edit else WIRE for i in range(k)]
    docs = [
        Document(f"d{i}", f"{own(seed + i)} {copies[i]} {own(seed + 100 + i)}", source=f"outlet{i}") for i in range(k)
    ]
    return docs, copies


def wire_corpus(k: int, seed: int, words: int = 120, edit: float = 0.0) -> list[Document]:
    """k outlets, each its own words (from the shared vocabulary), the wire paragraph (``edit``), own words again."""
    return _corpus(k, seed, words, edit)[0]


def wire_draws(
    outlets: tuple[int, ...] = (3, 7, 12), draws: int = 42, step: int = 97, first: int = 0, edit: float = 0.0
) -> dict[str, Any]:
    """Scan ``draws`` corpora for each count of outlets (seeds first, first + step, ...): pairs lost, spills.

    A corpus loses pairs when some two carriers share no passage; it spills when a passage reaches
    more than ``SPILL`` characters past the copy it lies in (or misses more than that of it, less
    the words its outlet added: what a copy edited on both sides shares is less than either copy).
    """
    rows = []
    for k in outlets:
        for seed in range(first, first + draws * step, step):
            docs, copies = _corpus(k, seed, 120, edit)
            result = scan(docs)
            found = {frozenset((p.a.doc, p.b.doc)) for p in result.passages}
            reach = 0
            for p in result.passages:
                for span in (p.a, p.b):
                    i = int(span.doc[1:])
                    start = docs[i].text.index(copies[i])
                    inside = min(span.end, start + len(copies[i])) - max(span.start, start)
                    missed = len(copies[i]) - inside - (len(copies[i]) - len(WIRE) if edit else 0)
                    reach = max(reach, len(span) - inside, missed)
            rows.append({"outlets": k, "seed": seed, "pairs": len(found), "carrier_pairs": k * (k - 1) // 2,
                         "reach": reach})  # fmt: skip
    return {
        "edit": edit,
        "corpora": len(rows),
        "lost_pairs": sum(r["pairs"] < r["carrier_pairs"] for r in rows),
        "spills": sum(r["reach"] > SPILL for r in rows),
        "rows": rows,
    }


def format_wire(found: dict[str, Any]) -> str:
    """Two lines: the corpora that lost carrier pairs, and those with a passage reaching past the paragraph."""
    worst = max((r["reach"] for r in found["rows"]), default=0)
    what = f"wire edited by each outlet ({found['edit']:.0%} of words)" if found.get("edit") else "wire"
    return (
        f"{what} among chance matches: {found['corpora']} corpora, {found['lost_pairs']} lost carrier pairs\n"
        f"{what} among chance matches: {found['spills']} with a passage more than {SPILL} characters off the"
        f" copy (the most: {worst})"
    )
