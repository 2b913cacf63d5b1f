"""Slow, plain references the tests hold faster code to."""

from __future__ import annotations

from collections.abc import Callable


def linked_components(count: int, linked: Callable[[int, int], bool]) -> list[int]:
    """The least index of each item's component, items ``i < j`` joined where ``linked(i, j)`` (every pair tried).

    >>> linked_components(4, lambda i, j: j - i == 2)
    [0, 1, 0, 1]
    """
    label = list(range(count))

    def find(i: int) -> int:
        while label[i] != i:
            i = label[i]
        return i

    for i in range(count):
        for j in range(i + 1, count):
            if linked(i, j):
                ri, rj = find(i), find(j)
                label[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(count)]
