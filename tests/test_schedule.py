"""The order townships are started in: costliest first, by buildings and households."""

from types import SimpleNamespace

import pandas as pd

from eapart.executors import _largest_first, task_cost


def task(buildings: int, households_each: float) -> SimpleNamespace:
    return SimpleNamespace(buildings=pd.DataFrame({"households": [households_each] * buildings}))


def test_a_dense_town_starts_before_a_larger_village_township():
    town, village, hamlet = task(2162, 31677 / 2162), task(4329, 3863 / 4329), task(10, 1.0)
    assert task_cost(town) > task_cost(village) > task_cost(hamlet)
    assert _largest_first([hamlet, village, town]) == [2, 1, 0]


def test_a_task_without_households_costs_its_buildings():
    assert task_cost(SimpleNamespace(buildings=pd.DataFrame({"type": ["a", "b"]}))) == 2
