"""Whole household and person counts for reporting, from the fractions the partition used.

Estimated households are fractions (:mod:`eapart.io.households`): the partition
balances their sums. People read whole numbers, so the reported counts are made
whole by largest-remainder rounding down the hierarchy: the county's total is
rounded once, shared among townships, each township's among its census areas,
each census area's among its small areas and each small area's among its
buildings. So the levels add up exactly, the county total is the rounded county
sum, a township whose total was given keeps it, and every area's reported total
is its share of its parent's whole total rounded up or down (within a household
or so of its fractional total).
Inside a small area every inhabited building gets at least one household when
the area's total allows it. Values given in the data are never rounded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def largest_remainder(values: np.ndarray, groups: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Whole numbers for ``values`` that add up to ``totals[g]`` within each group ``g``.

    Each value is scaled to its group's total, floored, and the units still missing
    go to the largest remainders (ties by position). ``groups`` are labels
    ``0..len(totals)-1``; ``totals`` are whole and each group with a positive total
    has a positive sum of values.

    >>> largest_remainder(np.array([0.4, 0.4, 1.2, 2.5]), np.array([0, 0, 0, 1]),
    ...                   np.array([2, 3])).tolist()
    [1, 0, 1, 3]
    """
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups, dtype=np.int64)
    totals = np.asarray(totals, dtype=np.int64)
    sums = np.bincount(groups, values, minlength=len(totals))
    scale = np.divide(totals, sums, out=np.zeros(len(totals)), where=sums > 0)
    quota = values * scale[groups]
    base = np.floor(quota + 1e-9)
    short = totals - np.bincount(groups, base, minlength=len(totals)).round().astype(np.int64)
    remainder = quota - base
    # Largest remainder first; ties to the larger value, then by position, so that a
    # value of 0 gets a unit only when its group has nothing else to take it.
    order = np.lexsort((np.arange(len(values)), -values, -remainder, groups))
    sorted_groups = groups[order]
    starts = np.searchsorted(sorted_groups, sorted_groups, side="left")
    rank = np.arange(len(values)) - starts
    base[order[rank < short[sorted_groups]]] += 1
    return base.astype(np.int64)


def at_least_one(values: np.ndarray, groups: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """:func:`largest_remainder`, giving every positive value at least 1 where it fits.

    In a group whose total covers its positive values, each gets 1 and the rest is
    shared by the largest remainders of what lies above 1; elsewhere plain largest
    remainder.

    >>> at_least_one(np.array([0.3, 0.3, 2.4]), np.array([0, 0, 0]), np.array([3])).tolist()
    [1, 1, 1]
    """
    values = np.asarray(values, dtype=float)
    totals = np.asarray(totals, dtype=np.int64)
    inhabited = values > 0
    count = np.bincount(groups, inhabited, minlength=len(totals)).astype(np.int64)
    fits = (totals >= count)[groups]
    plain = largest_remainder(np.where(fits, 0.0, values), groups,
                              np.where(totals >= count, 0, totals))
    above = np.where(fits & inhabited, np.maximum(values - 1.0, 0.0), 0.0)
    left = np.where(totals >= count, totals - count, 0)
    # A group with nothing above 1 and units left over cannot occur (its total is
    # at most the rounded-up sum of values <= 1, so at most its count).
    lifted = largest_remainder(above, groups, left) + (fits & inhabited)
    return np.where(fits, lifted, plain)


def nested_whole(values: np.ndarray, levels: list[np.ndarray]) -> np.ndarray:
    """Whole numbers per item, rounded down the nested ``levels`` (outermost first).

    ``levels`` hold each item's key at every level (township, census area, small
    area); the last step shares each innermost group's total among its items with
    :func:`at_least_one`.

    >>> nested_whole(np.array([0.5, 0.5, 0.5, 1.5]), [np.array(["a", "a", "b", "b"])]).tolist()
    [1, 0, 1, 1]
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    parent = np.zeros(n, dtype=np.int64)
    parent_total = np.array([int(round(values.sum()))], dtype=np.int64)
    for key in levels:
        child = pd.factorize(pd.MultiIndex.from_arrays([parent, np.asarray(key, dtype=object)]),
                             sort=True)[0].astype(np.int64)
        n_child = int(child.max()) + 1
        child_sum = np.bincount(child, values, minlength=n_child)
        child_parent = np.zeros(n_child, dtype=np.int64)
        child_parent[child] = parent
        parent_total = largest_remainder(child_sum, child_parent, parent_total)
        parent = child
    return at_least_one(values, parent, parent_total)


def whole_counts(values: np.ndarray, estimated: np.ndarray,
                 levels: list[np.ndarray]) -> np.ndarray:
    """Reported counts: given values as they are, estimated ones rounded by :func:`nested_whole`.

    The result is whole-numbered (int64) unless a given value has a fraction, in
    which case it stays float so that the given value is shown exactly.
    """
    values = np.asarray(values, dtype=float)
    estimated = np.asarray(estimated, dtype=bool)
    out = np.where(estimated, 0.0, values)
    if estimated.any():
        out = out + nested_whole(np.where(estimated, values, 0.0), levels)
    whole = np.all(np.mod(out[~estimated], 1.0) == 0) if (~estimated).any() else True
    return out.astype(np.int64) if whole else out


def count_column(values: np.ndarray) -> np.ndarray:
    """Counts as int64 when all are whole, else as floats (fractions given in the data)."""
    values = np.asarray(values, dtype=float)
    return values.astype(np.int64) if np.all(np.mod(values, 1.0) == 0) else values


def count_value(value) -> int | float:
    """One count for a report or a page: an int when whole, else the float as given.

    >>> count_value(12.0), count_value(10.5)
    (12, 10.5)
    """
    value = float(value)
    return int(value) if value.is_integer() else value
