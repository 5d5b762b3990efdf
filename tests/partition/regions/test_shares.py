"""Sharing a whole number of areas among parents: largest remainder (Hamilton), once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eapart.partition.regions.shares import share


def test_largest_remainder_on_the_quota_of_each_parent():
    assert share(20, [5, 1, 1]).tolist() == [14, 3, 3]
    assert share(10, [100, 300, 0]).tolist() == [2, 7, 1]
    assert share(1, [5, 5]).tolist() == [1, 1]
    assert share(5, [0, 0, 0]).tolist() == [2, 2, 1]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=400),
       st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=12))
def test_parts_add_up_each_has_one_and_none_is_a_whole_part_off_its_quota(total, weights):
    parts = share(total, weights)
    assert parts.sum() == max(total, len(weights))
    assert (parts >= 1).all()
    w = np.asarray(weights, dtype=float)
    if total >= len(weights) and w.sum() > 0:
        quota = total * w / w.sum()
        # Raising a part to its minimum of one takes from others, so a part may fall
        # below its quota by more than one only where some minimum binds.
        if (quota >= 1).all():
            assert (np.abs(parts - quota) < 1).all()
