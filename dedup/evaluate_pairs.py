"""Score document-pair scores against a corpus labelled by pair (real reuse, no passage offsets).

Some corpora say, for each labelled document pair, whether one document was derived from the other,
not where: COUNTER (Urdu agency stories and the newspaper stories that may reuse them) labels each
pair ``WD`` (wholly derived: the agency text, cut and lightly edited), ``PD`` (partially derived:
rewritten, mixed with other sources) or ``ND`` (not derived: written independently on the same
event). What counts there is how the scan's pair ``score`` ranks derived pairs above the others,
and how many pairs of each label the scan reports at all:

* ``auc_derived``: the area under the ROC curve of ``score``, derived (``WD`` and ``PD``) against
  ``ND``: the chance that a derived pair scores above a non-derived one (ties count one half);
* ``auc_wholly``: the same, ``WD`` against every other label;
* ``reported``: for each label, the share of its pairs the scan reports (a pair not reported scores 0);
* ``unlabelled``: how many reported pairs the truth does not label (both documents may be labelled
  in other pairs: these are pairs between unrelated stories, or related stories nobody paired).

A corpus directory holds ``docs.jsonl`` and ``truth.jsonl`` with one labelled pair a line,
``{"a", "b", "label"}``; :func:`is_pair_labelled` tells such a corpus from a PAN-style one.

Example:
    >>> auc([0.9, 0.5], [0.5, 0.1])
    0.875
"""

from __future__ import annotations

import math
import os
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .checks import check_number
from .errors import InputError, ParameterError
from .evaluate import _check_named, _get, _json_objects, _read_once, _show, _text_field, corpus_folder, scan_records
from .io import read_jsonl
from .records import Document

if TYPE_CHECKING:
    from .scan import ScanConfig

__all__ = [
    "DERIVED",
    "LabelledPair",
    "PairEvaluation",
    "auc",
    "evaluate_labelled_corpus",
    "evaluate_pair_scores",
    "evaluate_scored_pairs",
    "format_pair_table",
    "is_pair_labelled",
    "load_labelled_pairs",
    "load_scored_pairs",
]

DERIVED = frozenset({"WD", "PD"})
"""The labels of pairs in which one document derives from the other."""

_PathArg = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """A labelled document pair of the truth: ``label`` is ``WD``, ``PD``, ``ND`` or another name.

    ``where`` is the place it was read from (``truth.jsonl:4``), for messages; it takes no part in
    comparisons.

    Example:
        >>> LabelledPair("0003", "0003p", "WD").derived
        True
    """

    a: str
    b: str
    label: str
    where: str = field(default="", compare=False, repr=False)

    @property
    def derived(self) -> bool:
        """Whether the label says one document derives from the other (``WD`` or ``PD``).

        Example:
            >>> LabelledPair("0003", "0003p", "PD").derived, LabelledPair("0003", "0004", "ND").derived
            (True, False)
        """
        return self.label in DERIVED


@dataclass(frozen=True, slots=True)
class PairEvaluation:
    """How a scan's pair scores rank the labelled pairs (see the module's documentation).

    ``reported`` and ``pairs`` hold, for each label, the share of its pairs the scan reported and
    how many pairs the truth gives it; ``unlabelled`` counts the reported pairs the truth does not label.

    Example:
        >>> e = evaluate_pair_scores([LabelledPair("a", "ap", "WD"), LabelledPair("c", "cp", "ND")], {})
        >>> e.auc_derived, e.reported, e.pairs, e.unlabelled  # nothing reported: every pair scores 0
        (0.5, {'ND': 0.0, 'WD': 0.0}, {'ND': 1, 'WD': 1}, 0)
    """

    auc_derived: float
    auc_wholly: float
    reported: dict[str, float]
    pairs: dict[str, int]
    unlabelled: int
    corpus: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The evaluation as a JSON-ready dict.

        Example:
            >>> sorted(PairEvaluation(1.0, 1.0, {"WD": 1.0}, {"WD": 1}, 0).to_dict())
            ['auc_derived', 'auc_wholly', 'corpus', 'pairs', 'reported', 'unlabelled']
            >>> PairEvaluation(float("nan"), 1.0, {"WD": 1.0}, {"WD": 1}, 0).to_dict()["auc_derived"] is None
            True
        """
        # An AUC with no pair on one side is undefined: null, as JSON has no NaN (json.dumps would
        # write NaN, which strict readers refuse).
        return {
            "corpus": self.corpus,
            "auc_derived": None if math.isnan(self.auc_derived) else self.auc_derived,
            "auc_wholly": None if math.isnan(self.auc_wholly) else self.auc_wholly,
            "reported": dict(self.reported),
            "pairs": dict(self.pairs),
            "unlabelled": self.unlabelled,
        }


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """The area under the ROC curve: the chance a positive scores above a negative, ties counting one half.

    Computed from ranks (Mann-Whitney U), so it takes ``O(n log n)``; NaN when either side is empty.

    Example:
        >>> auc([3, 2], [1, 2]), auc([1], [1])
        (0.875, 0.5)
    """
    for name, scores in (("positive", positive), ("negative", negative)):
        for i, v in enumerate(scores):
            # (a NaN is no rank: NaN != NaN would keep the tie loop below from moving on)
            check_number(f"{name}[{i}]", v)
    if not positive or not negative:
        return float("nan")
    values = sorted([(v, 1) for v in positive] + [(v, 0) for v in negative])
    rank_sum = 0.0
    k = 0
    while k < len(values):
        j = k
        while j < len(values) and values[j][0] == values[k][0]:
            j += 1
        mean_rank = (k + 1 + j) / 2  # 1-based ranks k+1 .. j share their mean
        rank_sum += mean_rank * sum(flag for _, flag in values[k:j])
        k = j
    n_pos, n_neg = len(positive), len(negative)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def is_pair_labelled(corpus_dir: _PathArg) -> bool:
    """Whether a corpus's ``truth.jsonl`` labels pairs (``label``, no offsets) rather than passages.

    Example:
        >>> import pathlib, tempfile
        >>> corpus = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (corpus / "truth.jsonl").write_text('{"a": "x", "b": "y", "label": "WD"}\\n')
        >>> is_pair_labelled(corpus)
        True
    """
    for _, record in _json_objects(corpus_folder(corpus_dir) / "truth.jsonl"):
        return "label" in record and "a_start" not in record
    return False


def load_labelled_pairs(path: _PathArg) -> list[LabelledPair]:
    """Read a pair-labelled ``truth.jsonl``: one ``{"a", "b", "label"}`` a line.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "truth.jsonl"
        >>> _ = path.write_text('{"a": "1", "b": "1p", "label": "PD"}\\n')
        >>> load_labelled_pairs(path)
        [LabelledPair(a='1', b='1p', label='PD')]
    """
    pairs = []
    seen: set[frozenset[str]] = set()
    for where, record in _json_objects(path):
        a, b = _text_field(record, "a", where), _text_field(record, "b", where)
        label = _get(record, "label", where, "label", 'a label such as "WD", "PD" or "ND"')
        if not isinstance(label, str) or not label:
            raise InputError(f'{where}: field "label" must be a non-empty string, got {_show(label)}')
        key = frozenset((a, b))
        if key in seen:
            raise InputError(f"{where}: the pair ({a!r}, {b!r}) is labelled twice")
        seen.add(key)
        pairs.append(LabelledPair(a, b, label, where))
    return pairs


def load_scored_pairs(path: _PathArg, ids: Container[str] | None = None) -> dict[frozenset[str], float]:
    """The pair records of a dedup scan's JSONL output: each reported pair's ``score``.

    With ``ids`` (those of the corpus's documents), a pair naming another document is an error: the
    scan was of another corpus.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "scan.jsonl"
        >>> _ = path.write_text('{"type": "pair", "a": "x", "b": "y", "score": 0.5}\\n{"type": "summary"}\\n')
        >>> load_scored_pairs(path) == {frozenset(("x", "y")): 0.5}
        True
    """
    scores: dict[frozenset[str], float] = {}
    first: dict[frozenset[str], str] = {}
    for where, record in scan_records(path):
        if _get(record, "type", where, "type", 'a record type such as "pair"') != "pair":
            continue
        a, b = _text_field(record, "a", where), _text_field(record, "b", where)
        for doc in (a, b):
            if ids is not None and doc not in ids:
                raise InputError(
                    f"{where}: pair names document {doc!r}, which is not in the corpus's docs.jsonl: "
                    "expected the output of a scan of that corpus"
                )
        score = _get(record, "score", where, "score", "a number between 0 and 1")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
            raise InputError(f'{where}: field "score" must be a number between 0 and 1, got {_show(score)}')
        # (two scan outputs joined: the last score would silently win, the AUC hang on line order)
        _read_once(first, a, b, where, "reported")
        scores[frozenset((a, b))] = float(score)
    return scores


def evaluate_pair_scores(
    labelled: Iterable[LabelledPair], scores: Mapping[frozenset[str], float], *, corpus: str = ""
) -> PairEvaluation:
    """Measure reported pair scores (``{frozenset((a, b)): score}``) against labelled pairs.

    Example:
        >>> truth = [LabelledPair("a", "ap", "WD"), LabelledPair("b", "bp", "PD"), LabelledPair("c", "cp", "ND")]
        >>> e = evaluate_pair_scores(truth, {frozenset(("a", "ap")): 0.9, frozenset(("x", "y")): 0.2})
        >>> e.auc_derived, e.auc_wholly, e.reported, e.unlabelled
        (0.75, 1.0, {'ND': 0.0, 'PD': 0.0, 'WD': 1.0}, 1)
    """
    truth = list(labelled)
    if not truth:
        raise ParameterError("labelled pairs must not be empty")
    keys = {frozenset((p.a, p.b)) for p in truth}
    score = {frozenset((p.a, p.b)): scores.get(frozenset((p.a, p.b)), 0.0) for p in truth}
    labels = sorted({p.label for p in truth})
    counts = {label: sum(p.label == label for p in truth) for label in labels}
    reported = {
        label: sum(frozenset((p.a, p.b)) in scores for p in truth if p.label == label) / counts[label]
        for label in labels
    }
    derived = [score[frozenset((p.a, p.b))] for p in truth if p.derived]
    other = [score[frozenset((p.a, p.b))] for p in truth if p.label == "ND"]
    wholly = [score[frozenset((p.a, p.b))] for p in truth if p.label == "WD"]
    rest = [score[frozenset((p.a, p.b))] for p in truth if p.label != "WD"]
    return PairEvaluation(
        auc_derived=auc(derived, other),
        auc_wholly=auc(wholly, rest),
        reported=reported,
        pairs=counts,
        unlabelled=sum(key not in keys for key in scores),
        corpus=corpus,
    )


def evaluate_labelled_corpus(corpus_dir: _PathArg, config: ScanConfig | None = None) -> PairEvaluation:
    """Scan a pair-labelled corpus with dedup's scanner and measure its pair scores.

    Example:
        >>> import json, pathlib, tempfile
        >>> corpus = pathlib.Path(tempfile.mkdtemp())
        >>> wire = "the minister said on monday that the new law on water rights would pass next week " * 3
        >>> rows = [{"id": "1", "source": "agency", "text": wire + "and more from the agency."},
        ...         {"id": "1p", "source": "paper", "text": "Local lead. " + wire}]
        >>> _ = (corpus / "docs.jsonl").write_text("".join(json.dumps(r) + "\\n" for r in rows))
        >>> _ = (corpus / "truth.jsonl").write_text('{"a": "1", "b": "1p", "label": "WD"}\\n')
        >>> evaluate_labelled_corpus(corpus).reported
        {'WD': 1.0}
    """
    from .scan import ScanConfig, scan  # imported here: the scanner is heavy, the measures are not

    truth, docs = _labelled_corpus(corpus_dir)
    result = scan(docs, config or ScanConfig())
    scores = {frozenset((p.a, p.b)): p.score for p in result.pairs}
    return evaluate_pair_scores(truth, scores, corpus=os.fspath(corpus_dir))


def evaluate_scored_pairs(corpus_dir: _PathArg, path: _PathArg) -> PairEvaluation:
    """Measure the pair scores of a saved scan output (``dedup scan --format jsonl``) against a pair-labelled corpus.

    The truth and the scan's pairs are checked against the corpus's ``docs.jsonl``, as when scanning.

    Example:
        >>> import json, pathlib, tempfile
        >>> corpus = pathlib.Path(tempfile.mkdtemp())
        >>> docs = [{"id": i, "source": "x", "text": "some text"} for i in ("1", "1p", "2", "2p")]
        >>> _ = (corpus / "docs.jsonl").write_text("".join(json.dumps(r) + "\\n" for r in docs))
        >>> _ = (corpus / "truth.jsonl").write_text(
        ...     '{"a": "1", "b": "1p", "label": "WD"}\\n{"a": "2", "b": "2p", "label": "ND"}\\n')
        >>> _ = (corpus / "scan.jsonl").write_text('{"type": "pair", "a": "1p", "b": "1", "score": 0.7}\\n')
        >>> evaluate_scored_pairs(corpus, corpus / "scan.jsonl").auc_derived
        1.0
    """
    truth, docs = _labelled_corpus(corpus_dir)
    scores = load_scored_pairs(path, {d.id for d in docs})
    return evaluate_pair_scores(truth, scores, corpus=os.fspath(corpus_dir))


def _labelled_corpus(corpus_dir: _PathArg) -> tuple[list[LabelledPair], list[Document]]:
    """A pair-labelled corpus's truth and documents (read as the scan reads them), the pairs' documents checked."""
    corpus = corpus_folder(corpus_dir)
    truth = load_labelled_pairs(corpus / "truth.jsonl")
    docs = list(read_jsonl(corpus / "docs.jsonl"))
    _check_named(corpus, "pair", [(p.where, p.a, p.b) for p in truth], {d.id for d in docs})
    return truth, docs


def format_pair_table(evaluation: PairEvaluation) -> str:
    """A text table of a pair evaluation: the two AUCs, then each label's pairs and the share reported.

    Example:
        >>> print(format_pair_table(PairEvaluation(0.9, 0.95, {"ND": 0.2, "WD": 1.0}, {"ND": 5, "WD": 2}, 3)))
        AUC of score, derived (WD+PD) vs ND  0.9000
        AUC of score, WD vs the rest         0.9500
        label  pairs  reported
        ND         5    20.0 %
        WD         2   100.0 %
        reported pairs not in the truth: 3
    """
    counts = evaluation.pairs
    derived = sum(n for label, n in counts.items() if label in DERIVED)
    lines = [
        "AUC of score, derived (WD+PD) vs ND  "
        + _auc_cell(evaluation.auc_derived, derived, counts.get("ND", 0), "WD or PD pair", "ND pair"),
        "AUC of score, WD vs the rest         "
        + _auc_cell(
            evaluation.auc_wholly,
            counts.get("WD", 0),
            sum(counts.values()) - counts.get("WD", 0),
            "WD pair",
            "pair of another label",
        ),
    ]
    width = max([5, *(len(label) for label in evaluation.reported)])  # (a corpus's own labels may be longer)
    lines.append(f"{'label':<{width}}  pairs  reported")
    for label, share in evaluation.reported.items():
        lines.append(f"{label:<{width}}  {evaluation.pairs[label]:>5}  {100 * share:>6.1f} %")
    lines.append(f"reported pairs not in the truth: {evaluation.unlabelled}")
    others = sorted(label for label in counts if label not in {*DERIVED, "ND"})
    if others:
        # A corpus labelled in its own words would otherwise see one AUC undefined, or both, with no
        # hint that only the COUNTER names carry a meaning.
        named = ", ".join(others)
        lines.append(f"labels other than WD, PD and ND ({named}) count only as 'the rest' of WD vs the rest")
    return "\n".join(lines)


def _auc_cell(value: float, positives: int, negatives: int, positive: str, negative: str) -> str:
    """An AUC to four places, or why it is not defined (one side has no pair)."""
    if not math.isnan(value):
        return f"{value:.4f}"
    missing = [what for what, n in ((positive, positives), (negative, negatives)) if n == 0]
    return "not defined: the truth labels no " + " and no ".join(missing)
