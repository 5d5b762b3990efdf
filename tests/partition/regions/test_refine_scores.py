"""The move loop's one-move score and the vectorised score over many moves agree exactly.

Boundary refinement ranks its candidate moves with numpy (``_balance_delta``) and then
re-scores each move as it goes on Python floats (``_balance_delta_one``, for speed).
The two are written separately, so this holds them equal, bit for bit: the same move
must win on either path.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from eapart.partition.regions.refine import _balance_delta, _balance_delta_one

weights = st.floats(0, 500, allow_nan=False)
targets = st.just(0.0) | st.floats(0.5, 200)  # a part's target: none, or a workload


@given(
    part_weight=st.lists(weights, min_size=2, max_size=6),
    target=st.lists(targets, min_size=6, max_size=6),
    moves=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), weights), min_size=1,
                   max_size=8),
    tolerance=st.floats(0, 0.5),
    inner=st.floats(0, 0.5),
    absolute=st.none() | st.tuples(st.floats(0, 100), st.floats(100, 300)),
)
def test_one_move_scores_as_the_vectorised_score(part_weight, target, moves, tolerance,
                                                 inner, absolute):
    pw = np.asarray(part_weight, dtype=float)
    t = np.asarray(target[: len(pw)], dtype=float)
    a = np.array([m[0] % len(pw) for m in moves])
    b = np.array([m[1] % len(pw) for m in moves])
    w = np.array([m[2] for m in moves])
    bands = (tolerance, inner, absolute)
    count, exc, quad = _balance_delta(pw, t, bands, a, b, w)
    for k in range(len(moves)):
        one = _balance_delta_one(float(pw[a[k]]), float(pw[b[k]]), float(t[a[k]]),
                                 float(t[b[k]]), bands, float(w[k]))
        assert one == (int(count[k]), float(exc[k]), float(quad[k]))
