"""Whole counts for reporting: totals kept at every level, no inhabited building lost."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eapart.rounding import nested_whole, whole_counts


@st.composite
def nested_values(draw):
    """Fractional households of buildings nested in townships and small areas."""
    n = draw(st.integers(1, 60))
    values = draw(st.lists(st.one_of(st.just(0.0), st.floats(0.01, 40.0)), min_size=n,
                           max_size=n))
    townships = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    areas = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    return (np.array(values), np.array([f"t{t}" for t in townships], dtype=object),
            np.array([f"t{t}a{a}" for t, a in zip(townships, areas, strict=True)],
                     dtype=object))


@settings(max_examples=300, deadline=None)
@given(nested_values())
def test_nested_rounding_keeps_every_total(case):
    values, townships, areas = case
    whole = nested_whole(values, [townships, areas])
    assert whole.dtype == np.int64 and (whole >= 0).all()
    assert whole.sum() == round(values.sum())
    for keys in (townships, areas):
        for key in np.unique(keys):
            inside = keys == key
            assert abs(whole[inside].sum() - values[inside].sum()) < 2
    assert (whole[values == 0] == 0).all() or (values > 0).sum() == 0
    for key in np.unique(areas):
        inside = areas == key
        if whole[inside].sum() >= (values[inside] > 0).sum():
            assert (whole[inside & (values > 0)] >= 1).all()


def test_township_totals_given_are_kept_exactly():
    # Two townships scaled to 100 and 37 households over many small fractions.
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.random(300), rng.random(90)])
    values[:300] *= 100 / values[:300].sum()
    values[300:] *= 37 / values[300:].sum()
    townships = np.array(["a"] * 300 + ["b"] * 90, dtype=object)
    areas = np.array([f"{t}{i % 7}" for i, t in enumerate(townships)], dtype=object)
    whole = nested_whole(values, [townships, areas])
    assert whole[:300].sum() == 100 and whole[300:].sum() == 37


def test_given_values_are_never_rounded():
    values = np.array([2.5, 1.0, 0.4, 0.4])
    estimated = np.array([False, False, True, True])
    keys = [np.array(["t"] * 4, dtype=object)]
    out = whole_counts(values, estimated, keys)
    assert out.dtype == float and out[0] == 2.5 and out[1] == 1.0
    assert out[2:].sum() == 1
    whole = whole_counts(np.array([2.0, 0.6, 0.6]), np.array([False, True, True]),
                         [np.array(["t"] * 3, dtype=object)])
    assert whole.dtype == np.int64 and whole.tolist()[0] == 2 and whole.sum() == 3
