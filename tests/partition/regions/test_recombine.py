"""Recombination's vectorised scoring gives what scoring each pick alone gave, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from eapart.partition.regions.band import Band
from eapart.partition.regions.recombine import _padded, _scores

BAND = Band(64.0, 96.0)


def _one(weights: np.ndarray) -> tuple[int, float]:
    """(parts outside the band, total distance outside it) of one pick's parts."""
    return int((~BAND.inside(weights)).sum()), float(BAND.excess(weights).sum())


@pytest.mark.parametrize("seed", range(4))
def test_scores_match_one_pick_at_a_time(seed):
    """Rows of 1 to 11 weights (np.sum adds 8 or more pairwise), fractional weights."""
    rng = np.random.default_rng(seed)
    rows = [rng.random(int(size)) * 160 for size in rng.integers(1, 12, 300)]
    weights, mask = _padded(rows)
    outside, excess = _scores(weights, mask, BAND)
    want = [_one(r) for r in rows]
    assert outside.tolist() == [w[0] for w in want]
    assert excess.tolist() == [w[1] for w in want]
