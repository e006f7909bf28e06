"""Cycle detection and the stable dependency order."""

from __future__ import annotations

import pytest

from installer.recipes.graph import cycles, stable_order


def test_cycles_groups_self_loops_and_order() -> None:
    nodes = ["a", "b", "c", "d", "e"]
    edges = {"a": ["b"], "b": ["a"], "c": ["c"], "d": ["a"], "e": []}
    assert cycles(nodes, edges) == [["a", "b"], ["c"]]


def test_no_cycles_in_a_long_chain() -> None:
    nodes = [f"n{i}" for i in range(5000)]
    edges = {n: [nodes[i + 1]] for i, n in enumerate(nodes[:-1])}
    assert cycles(nodes, edges) == []
    assert cycles(nodes, {**edges, nodes[-1]: [nodes[0]]}) == [nodes]


def test_stable_order_keeps_given_order_when_free() -> None:
    assert stable_order(["x", "y", "z"], {}) == ["x", "y", "z"]
    assert stable_order(["x", "y", "z"], {"x": ["z"]}) == ["y", "z", "x"]
    assert stable_order(["x", "y", "z"], {"y": ["outside"]}) == ["x", "y", "z"]


def test_stable_order_refuses_a_cycle() -> None:
    with pytest.raises(ValueError, match="cycle"):
        stable_order(["x", "y"], {"x": ["y"], "y": ["x"]})
