"""incidents.graphs: the cycles of a directed graph, as the catalog and the import check read them."""

from __future__ import annotations

from incidents.graphs import cyclic_components


def test_cycles_are_the_components_of_two_or_more_and_a_self_loop_is_none():
    graph = {1: [2], 2: [3], 3: [1], 4: [5], 5: [4, 6], 6: [], 7: [7]}
    assert sorted(sorted(c) for c in cyclic_components(graph)) == [[1, 2, 3], [4, 5]]


def test_a_chain_of_twenty_thousand_needs_no_recursion_and_closing_it_makes_one_cycle():
    chain = {n: [n + 1] for n in range(20_000)}
    assert cyclic_components(chain) == []
    chain[20_000] = [0]
    assert [len(c) for c in cyclic_components(chain)] == [20_001]
