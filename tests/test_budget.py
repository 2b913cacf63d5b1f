"""The per-document budget keeps each document's strongest candidates, ranked as documented."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import budget as budget_module
from dedup.errors import ParameterError

_PAIRS = st.integers(2, 12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 28)), max_size=60),
    )
)


@given(graph=_PAIRS, budget=st.integers(0, 6))
@settings(max_examples=300, deadline=None)  # the first call may load or compile the kernel
def test_per_document_budget_keeps_each_documents_strongest(graph: tuple[int, list[tuple[int, int, int]]],
                                                            budget: int) -> None:  # fmt: skip
    n, raw = graph
    distinct = sorted({(min(a, b), max(a, b)): s for a, b, s in raw if a != b}.items())
    left = np.array([p[0] for p, _ in distinct], dtype=np.int64)
    right = np.array([p[1] for p, _ in distinct], dtype=np.int64)
    shared = np.array([s for _, s in distinct], dtype=np.int64)
    keep = budget_module.per_document_budget(left, right, shared, n, budget)
    assert keep.shape == left.shape and keep.dtype == np.bool_
    if budget == 0:
        assert keep.all()
        return
    assert keep.sum() <= n * budget
    for k in range(len(left)):
        # Kept: among the `budget` strongest of one of its documents (ties may go either way);
        # dropped: at least `budget` pairs of each of its documents at least as strong.
        def stronger(d: int, strict: bool, k: int = k) -> int:
            mine = (left == d) | (right == d)
            return int((shared[mine] > shared[k]).sum() if strict else (shared[mine] >= shared[k]).sum() - 1)

        if keep[k]:
            assert min(stronger(left[k], True), stronger(right[k], True)) < budget
        else:
            assert min(stronger(left[k], False), stronger(right[k], False)) >= budget
    degree = np.bincount(np.concatenate((left, right)), minlength=n)
    for k in range(len(left)):
        if min(degree[left[k]], degree[right[k]]) <= budget:
            assert keep[k]
    bigger = budget_module.per_document_budget(left, right, shared, n, budget + 1)
    assert (bigger | ~keep).all()  # a larger budget keeps every pair a smaller one keeps


def test_per_document_budget_breaks_ties_by_signature_agreement() -> None:
    sigs = np.array([[1, 2, 3, 4], [1, 2, 3, 4], [1, 0, 0, 0], [9, 9, 9, 9]], dtype=np.uint32)
    left, right, shared = np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([5, 5, 5])
    keep = budget_module.per_document_budget(left, right, shared, 4, 1, sigs)
    # Document 0's strongest is 1 (4 equal slots); 2 and 3 each have only that pair and keep it.
    assert keep.tolist() == [True, True, True]
    keep = budget_module.per_document_budget(np.array([0, 0]), np.array([2, 1]), np.array([5, 5]), 4, 1, sigs)
    assert keep.tolist() == [True, True]  # each is its partner's only pair
    # 0 agrees with 1 in 3 slots and with 2 in 2; 2 agrees with 1 in 3.
    three = np.array([[1, 2, 3, 4], [1, 2, 3, 5], [0, 2, 3, 5]], dtype=np.uint32)
    many = budget_module.per_document_budget(np.array([0, 0, 1]), np.array([2, 1, 2]), np.array([5, 5, 5]), 3, 1, three)
    assert many.tolist() == [False, True, True]  # (0, 2) is neither 0's nor 2's strongest


def _budget_by_sorting(
    left: np.ndarray, right: np.ndarray, shared: np.ndarray, n: int, budget: int, sigs: np.ndarray
) -> list[bool]:
    """The documented ranking, spelled out: each document sorts all its pairs and keeps its first ``budget``."""
    keep = [False] * len(left)
    for d in range(n):
        mine = [k for k in range(len(left)) if d in (left[k], right[k])]
        mine.sort(key=lambda k: (-int(shared[k]), -int((sigs[left[k]] == sigs[right[k]]).sum()), k))
        for k in mine[:budget]:
            keep[k] = True
    return keep


@given(graph=_PAIRS, budget=st.integers(1, 6), slots=st.integers(1, 4), data=st.data())
@settings(max_examples=300, deadline=None)
def test_per_document_budget_is_each_documents_sorted_ranking(
    graph: tuple[int, list[tuple[int, int, int]]], budget: int, slots: int, data: st.DataObject
) -> None:
    # Only the pairs at a document's boundary band count are ranked by signatures: the choice must
    # still be exactly the full sort's (bands, then slots agreeing, then the earlier pair).
    n, raw = graph
    distinct = sorted({(min(a, b), max(a, b)): s % 6 + 1 for a, b, s in raw if a != b}.items())
    left = np.array([p[0] for p, _ in distinct], dtype=np.int64)
    right = np.array([p[1] for p, _ in distinct], dtype=np.int64)
    shared = np.array([s for _, s in distinct], dtype=np.int64)
    values = data.draw(st.lists(st.integers(0, 2), min_size=n * slots, max_size=n * slots))
    sigs = np.array(values, dtype=np.uint32).reshape(n, slots)
    keep = budget_module.per_document_budget(left, right, shared, n, budget, sigs)
    assert keep.tolist() == _budget_by_sorting(left, right, shared, n, budget, sigs)


@pytest.mark.parametrize("budget", [-1, 1.5, True, "2"])
def test_per_document_budget_rejects_bad_budget(budget: object) -> None:
    with pytest.raises(ParameterError, match="budget must be an integer >= 0"):
        budget_module.per_document_budget(np.array([0]), np.array([1]), np.array([4]), 2, budget)  # type: ignore[arg-type]


def test_per_document_budget_rejects_negative_band_counts() -> None:
    with pytest.raises(ParameterError, match=r"shared must count bands \(>= 0\), got -1"):
        budget_module.per_document_budget(np.array([0]), np.array([1]), np.array([-1]), 2, 1)


def test_per_document_budget_rejects_pairs_outside_the_documents() -> None:
    with pytest.raises(ParameterError, match=r"pairs must name documents in \[0, documents\)"):
        budget_module.per_document_budget(np.array([0]), np.array([5]), np.array([4]), 3, 1)
