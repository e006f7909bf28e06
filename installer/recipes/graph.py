"""Dependency graphs of steps and recipes: cycles (for validation) and a stable order."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

N = TypeVar("N", bound=Hashable)


def cycles(nodes: Sequence[N], edges: Mapping[N, Sequence[N]]) -> list[list[N]]:
    """Groups of nodes that require each other (Tarjan's strongly connected components,
    iterative so a long chain cannot exhaust the stack). Each group is in `nodes` order; a
    node requiring itself is a group of one."""
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    on_stack: set[N] = set()
    stack: list[N] = []
    groups: list[list[N]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[N, int]] = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, ())
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in edges.get(node, ()):
                    position = {n: k for k, n in enumerate(nodes)}
                    groups.append(sorted(group, key=lambda n: position.get(n, len(nodes))))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return groups


def stable_order(nodes: Sequence[N], edges: Mapping[N, Sequence[N]]) -> list[N]:
    """Topological order (requirements first) that otherwise keeps `nodes` order.
    Edges to nodes outside `nodes` are ignored; the graph must be acyclic."""
    position = {n: k for k, n in enumerate(nodes)}
    waiting = {n: {t for t in edges.get(n, ()) if t in position and t != n} for n in nodes}
    dependents: dict[N, list[N]] = {n: [] for n in nodes}
    for n, targets in waiting.items():
        for t in targets:
            dependents[t].append(n)
    ready = [position[n] for n in nodes if not waiting[n]]
    heapq.heapify(ready)
    order: list[N] = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        order.append(node)
        for dependent in dependents[node]:
            waiting[dependent].discard(node)
            if not waiting[dependent]:
                heapq.heappush(ready, position[dependent])
    if len(order) != len(nodes):
        raise ValueError("requires cycle")  # validation reports cycles before planning
    return order
