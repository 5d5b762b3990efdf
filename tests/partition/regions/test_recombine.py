"""Recombination's vectorised scoring gives what scoring each pick alone gave, bit for bit;
rounds that keep parts' options in a cache do what rounds without it do."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from eapart.partition.regions.band import Band
from eapart.partition.regions.recombine import OptionCache, _padded, _scores, recombine_round

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


def _grid(side: int):
    """A ``side x side`` grid graph (csr) with unit cut costs."""
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    n = side * side
    return sparse.csr_array((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n))


@pytest.mark.parametrize("seed", range(3))
def test_option_cache_gives_the_same_rounds(seed):
    """Rounds that read parts' options from the cache pick, cut and keep what rounds
    that work every option out again do."""
    side = 16
    adjacency = _grid(side)
    rng = np.random.default_rng(seed)
    weight = rng.integers(20, 70, side * side).astype(float)
    start = (np.arange(side * side) // 2).astype(np.int64)  # dominoes along the rows
    frozen = np.zeros(side * side, dtype=bool)
    runs = {}
    served = 0
    for cached in (False, True):
        labels, refused, cache = start.copy(), {}, OptionCache() if cached else None
        draw = np.random.default_rng(7)
        history = []
        for _ in range(12):
            if cache is not None:
                served += len(cache.options)
            labels, tried, kept = recombine_round(
                adjacency, weight, labels, BAND, frozen_cell=frozen, blocked_edges=None,
                resize=False, refused=refused, rng=draw, cache=cache)
            history.append((labels.tobytes(), tried, kept))
        runs[cached] = history
    assert runs[True] == runs[False]
    assert served > 0
