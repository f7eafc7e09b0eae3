"""Graphs: the strongly connected components of a directed graph (Tarjan's algorithm, iteratively, so a long
chain needs no recursion limit). Used for the service catalog's dependency cycles and the import-cycle check
of tests/test_architecture.py."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def cyclic_components(graph: Mapping[T, Iterable[T]]) -> list[list[T]]:
    """The strongly connected components of `graph` (node -> the nodes it points at) that hold two or more
    nodes, i.e. the cycles (a node pointing at itself is not counted), each in the order the search closed
    it; nodes are visited in the mapping's order and each node's successors in the order given.

    Source: R. Tarjan, "Depth-first search and linear graph algorithms", SIAM J. Computing 1(2), 1972."""
    successors = {node: list(targets) for node, targets in graph.items()}
    index: dict[T, int] = {}
    low: dict[T, int] = {}
    stack: list[T] = []
    on_stack: set[T] = set()
    found: list[list[T]] = []
    for root in successors:
        if root in index:
            continue
        work: list[tuple[T, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            children = successors.get(node, [])
            if child < len(children):
                work.append((node, child + 1))
                nxt = children[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found
