"""Band repair and the choice of part counts: more small areas inside [min, max]."""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

from eapart.partition.model import PartitionParams
from eapart.partition.regions.band import Band
from eapart.partition.regions.band_repair import repair_band
from eapart.partition.regions.exact import exact_round
from eapart.partition.regions.small_areas import band_score, best_cut, part_counts
from eapart.partition.regions.split import partition_groups

PARAMS = PartitionParams(target=80, min_size=64, max_size=96)


def path_graph(n: int) -> sp.csr_array:
    """Cells 0-1-2-...-(n-1) in a row, cut cost 1 on each edge."""
    return sp.csr_array(sp.diags([1.0, 1.0], [-1, 1], shape=(n, n)))


def grid(rows: int, cols: int) -> sp.csr_array:
    """4-neighbour grid of cells, cut cost 1 on each edge."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    a = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    b = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    n = rows * cols
    return sp.csr_array((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n))


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def inside(labels: np.ndarray, weight: np.ndarray) -> int:
    """Parts whose weight lies in [64, 96]."""
    w = np.bincount(labels, weight)
    return int(((w >= 64) & (w <= 96)).sum())


def connected_parts(adj: sp.csr_array, labels: np.ndarray) -> bool:
    """Every part is one connected piece of the graph."""
    for p in np.unique(labels):
        nodes = np.flatnonzero(labels == p)
        if csgraph.connected_components(adj[nodes][:, nodes], directed=False)[0] != 1:
            return False
    return True


def test_a_boundary_cell_moves_to_bring_both_parts_inside():
    adj = path_graph(6)
    weight = np.array([30.0, 30, 30, 30, 30, 10])
    labels = np.array([0, 0, 0, 0, 1, 1])  # 120 and 40: both outside
    out = repair_band(adj, weight, labels, 64, 96)
    assert inside(out, weight) == 2 > inside(labels, weight)
    assert connected_parts(adj, out) and len(np.unique(out)) == 2


def test_no_move_across_a_major_barrier():
    adj = path_graph(6)
    weight = np.array([30.0, 30, 30, 30, 30, 10])
    labels = np.array([0, 0, 0, 0, 1, 1])
    blocked = sp.csr_array(([1.0, 1.0], ([3, 4], [4, 3])), shape=(6, 6))
    out = repair_band(adj, weight, labels, 64, 96, blocked=blocked)
    # The only helpful move takes cell 3 across the barrier between 3 and 4.
    assert out.tolist() == labels.tolist()


def test_a_move_never_splits_the_part_it_leaves():
    # A star: centre 0 holds parts 0's leaves together; moving it would split part 0.
    rows = [0, 0, 0, 1, 2, 3, 3, 4]
    cols = [1, 2, 3, 0, 0, 0, 4, 3]
    adj = sp.csr_array((np.ones(8), (rows, cols)), shape=(5, 5))
    weight = np.array([40.0, 40, 40, 5, 60])
    labels = np.array([0, 0, 0, 1, 1])
    out = repair_band(adj, weight, labels, 64, 96)
    assert connected_parts(adj, out)
    assert inside(out, weight) >= inside(labels, weight)


def test_immovable_cells_stay_put():
    adj = path_graph(6)
    weight = np.array([30.0, 30, 30, 30, 30, 10])
    labels = np.array([0, 0, 0, 0, 1, 1])
    movable = np.array([True, True, True, False, True, True])
    out = repair_band(adj, weight, labels, 64, 96, movable=movable)
    assert out[3] == 0


def test_part_counts_and_the_band_score():
    weight = np.array([50.0] * 10 + [200.0])
    group = np.zeros(11, dtype=np.int64)
    assert part_counts(weight, group, 1, PARAMS).tolist() == [1 + round(500 / 80)]
    labels = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5])
    # Five pairs of 100 (outside), one lone heavy cell (counts as inside).
    assert band_score(labels, weight, PARAMS) == (1, -20.0)


def test_best_cut_retries_groups_off_the_band():
    # Two rows: 10 cells of 35 (350: 4 parts of 70 or 105, or 5 parts of 70) and
    # 4 cells of 40 (2 parts of 80).
    adj = sp.block_diag([path_graph(10), path_graph(4)], format="csr")
    weight = np.r_[np.full(10, 35.0), np.full(4, 40.0)]
    group = np.r_[np.zeros(10, dtype=np.int64), np.ones(4, dtype=np.int64)]
    guess = part_counts(weight, group, 2, PARAMS)
    assert guess.tolist() == [4, 2]
    labels = best_cut(sp.csr_array(adj), weight, group, guess, PARAMS, free_count=True)
    assert len(np.unique(labels[group == 0])) == 5 and inside(labels, weight) == 7
    assert not set(labels[group == 0]) & set(labels[group == 1])
    assert inside(labels, weight) >= inside(
        best_cut(sp.csr_array(adj), weight, group, guess, PARAMS, free_count=False), weight
    )
    assert connected_parts(sp.csr_array(adj), labels)
    fixed = best_cut(sp.csr_array(adj), weight, group, np.array([3, 1]), PARAMS, False)
    assert len(np.unique(fixed)) == 4 and inside(fixed, weight) == 0


def cycle_graph(n: int) -> sp.csr_array:
    """Cells 0-1-...-(n-1)-0 in a ring, cut cost 1 on each edge."""
    a = np.arange(n)
    b = (a + 1) % n
    return sp.csr_array((np.ones(2 * n), (np.r_[a, b], np.r_[b, a])), shape=(n, n))


def test_two_parts_are_cut_again_together_when_no_single_move_helps():
    # A ring 0-1-2-3-0 of 60, 40, 40, 20: parts {0, 1} = 100 and {2, 3} = 60.
    # Every single move leaves both outside; {0, 3} and {1, 2} (80 each) fit.
    adj = cycle_graph(4)
    weight = np.array([60.0, 40, 40, 20])
    labels = np.array([0, 0, 1, 1])
    assert inside(repair_band(adj, weight, labels, 64, 96, recombine_rounds=0), weight) == 0
    out = repair_band(adj, weight, labels, 64, 96)
    assert inside(out, weight) == 2 and connected_parts(adj, out)
    assert out[0] == out[3] != out[1] == out[2]


def test_undersize_neighbours_merge_and_a_part_worth_two_splits_when_counts_are_free():
    # Two census areas in a row: 30 | 40 in the first, 160 (4 x 40) in the second.
    adj = path_graph(6)
    weight = np.array([30.0, 40, 40, 40, 40, 40])
    group = np.array([0, 0, 1, 1, 1, 1])
    labels = np.array([0, 1, 2, 2, 2, 2])
    out = repair_band(adj, weight, labels, 64, 96, group=group, resize=True)
    # 70 | 80 | 80: all inside.
    assert out[0] == out[1] != out[2] == out[3] != out[4] == out[5] != out[0]
    fixed = repair_band(adj, weight, labels, 64, 96, group=group)
    assert fixed.tolist() == labels.tolist()  # the count kept: none can fit


def test_a_cell_above_the_maximum_stays_alone():
    adj = path_graph(5)
    weight = np.array([200.0, 30, 30, 40, 10])
    labels = np.array([0, 1, 1, 1, 1])  # 200 alone, then 110: giving a 30 to it would fit
    out = repair_band(adj, weight, labels, 64, 96)
    assert np.sum(out == out[0]) == 1
    assert connected_parts(adj, out)


def test_recombination_never_puts_a_major_barrier_inside_an_area():
    adj = cycle_graph(4)
    weight = np.array([60.0, 40, 40, 20])
    labels = np.array([0, 0, 1, 1])
    blocked = sp.csr_array(([1.0, 1.0], ([0, 3], [3, 0])), shape=(4, 4))
    out = repair_band(adj, weight, labels, 64, 96, blocked=blocked)
    assert out[0] != out[3]  # the only fitting cut joins 0 and 3 across the barrier


@FAST
@given(rows=st.integers(2, 9), cols=st.integers(2, 9), seed=st.integers(0, 10_000),
       resize=st.booleans(), n_groups=st.integers(1, 3))
def test_repair_keeps_hard_constraints_and_never_loses_parts_inside(rows, cols, seed, resize,
                                                                     n_groups):
    rng = np.random.default_rng(seed)
    n = rows * cols
    adj = grid(rows, cols)
    weight = rng.choice([0.0, 5, 20, 35, 50, 70, 150], size=n, p=[.1, .2, .2, .2, .15, .1, .05])
    group = np.sort(rng.integers(0, n_groups, n))
    n_parts = np.maximum(1, np.bincount(group, weight, n_groups) // 80).astype(np.int64)
    present = np.unique(group)
    local = np.searchsorted(present, group)
    labels = partition_groups(adj, weight, local, n_parts[present], max_weight=96, seed=seed)
    out = repair_band(adj, weight, labels, 64, 96, group=local, resize=resize, seed=seed)
    assert out.dtype == np.int64 and np.array_equal(np.unique(out), np.arange(out.max() + 1))
    assert connected_parts(adj, out)
    for p in np.unique(out):  # no part spans two groups
        assert len(np.unique(local[out == p])) == 1
    for v in np.flatnonzero(weight > 96):
        assert np.sum(out == out[v]) == 1, "a cell above the maximum stands alone"
    assert band_score(out, weight, PARAMS)[0] >= band_score(labels, weight, PARAMS)[0] - (
        len(np.unique(labels)) - len(np.unique(out)) if resize else 0)
    if not resize:
        assert len(np.unique(out)) == len(np.unique(labels))
    again = repair_band(adj, weight, labels, 64, 96, group=local, resize=resize, seed=seed)
    assert np.array_equal(out, again), "same inputs, same labels"


def test_a_neighbourhood_is_regrouped_when_no_recut_of_two_parts_fits():
    # 30 | 60 + 50 | 40 + 40 + 40 on a path: re-cutting two neighbours leaves one
    # part outside [64, 96] whatever the cut; all three together make 90, 90, 80.
    adj = path_graph(6)
    weight = np.array([30.0, 60, 50, 40, 40, 40])
    labels = np.array([0, 1, 1, 2, 2, 2])
    out, kept = exact_round(adj, weight, labels, Band(64, 96),
                            frozen_cell=np.zeros(6, dtype=bool), blocked_edges=None)
    assert kept == 1 and inside(out, weight) == 3 and connected_parts(adj, out)
    assert sorted(np.unique(out).tolist()) == [0, 1, 2], "labels keep their numbers"
    assert inside(repair_band(adj, weight, labels, 64, 96), weight) == 3


def test_regrouping_keeps_major_barriers_between_areas():
    adj = path_graph(6)
    weight = np.array([30.0, 60, 50, 40, 40, 40])
    labels = np.array([0, 1, 1, 2, 2, 2])
    # The only grouping that fits is 30+60 | 50+40 | 40+40; a major road between
    # cells 0 and 1 forbids it, so the parts stay as they are.
    blocked = (np.array([0, 1]), np.array([1, 0]))
    out, kept = exact_round(adj, weight, labels, Band(64, 96),
                            frozen_cell=np.zeros(6, dtype=bool), blocked_edges=blocked)
    assert kept == 0 and out.tolist() == labels.tolist()


def fitting_groupings(adj: sp.csr_array, weight: np.ndarray, k: int, lo: float, hi: float,
                      blocked: set):
    """Every grouping into k connected parts in [lo, hi], no blocked edge inside."""
    n = len(weight)
    coo = adj.tocoo()
    for combo in itertools.product(range(k), repeat=n):
        labels = np.array(combo)
        if len(np.unique(labels)) != k or labels[0] != 0:
            continue
        w = np.bincount(labels, weight, k)
        if not ((w >= lo) & (w <= hi)).all():
            continue
        if any(labels[a] == labels[b] for a, b in blocked):
            continue
        same = labels[coo.row] == labels[coo.col]
        m = sp.csr_array((np.ones(same.sum()), (coo.row[same], coo.col[same])), shape=(n, n))
        if csgraph.connected_components(m, directed=False)[0] == k:
            yield labels


def brute_force_fits(adj: sp.csr_array, weight: np.ndarray, k: int, lo: float, hi: float,
                     blocked: set) -> bool:
    """True when some grouping into k connected parts, no blocked edge inside, fits."""
    return next(fitting_groupings(adj, weight, k, lo, hi, blocked), None) is not None


def small_window(rows: int, cols: int, k: int, seed: int, n_blocked: int, choices):
    """A grid (or path) of cells weighing ``choices``, cut into k parts, with a few
    blocked edges: (adj, weight, labels, blocked pairs, blocked_edges), or None when
    the cut did not make k parts."""
    rng = np.random.default_rng(seed)
    n = rows * cols
    adj = grid(rows, cols) if rows > 1 else path_graph(cols)
    weight = rng.choice(choices, size=n)
    labels = partition_groups(adj, weight, np.zeros(n, dtype=np.int64), [k], seed=seed)
    if len(np.unique(labels)) != k:
        return None
    coo = adj.tocoo()
    pick = rng.choice(len(coo.row), size=min(n_blocked, len(coo.row)), replace=False)
    blocked = {(int(coo.row[i]), int(coo.col[i])) for i in pick}
    blocked |= {(b, a) for a, b in blocked}
    rows_b = np.array([a for a, _ in sorted(blocked)], dtype=np.int64)
    cols_b = np.array([b for _, b in sorted(blocked)], dtype=np.int64)
    return adj, weight, labels, blocked, (rows_b, cols_b) if blocked else None


@FAST
@given(rows=st.integers(1, 2), cols=st.integers(2, 4), k=st.integers(2, 3),
       seed=st.integers(0, 10_000), n_blocked=st.integers(0, 2))
def test_regrouping_finds_a_grouping_whenever_one_exists(rows, cols, k, seed, n_blocked):
    """On windows small enough to try every grouping, exact_round misses none."""
    case = small_window(rows, cols, k, seed, n_blocked, [0.0, 10, 20, 30, 40, 50, 60, 70])
    if case is None:
        return
    adj, weight, labels, blocked, blocked_edges = case
    out, kept = exact_round(adj, weight, labels, Band(64, 96),
                            frozen_cell=np.zeros(len(weight), dtype=bool),
                            blocked_edges=blocked_edges)
    assert connected_parts(adj, out) and len(np.unique(out)) == k
    assert inside(out, weight) >= inside(labels, weight)
    if kept:
        assert inside(out, weight) == k
        assert all(out[a] != out[b] for a, b in blocked), "no major barrier inside"
    elif inside(labels, weight) < k:
        assert not brute_force_fits(adj, weight, k, 64, 96, blocked)


def test_a_tight_band_draws_parts_to_the_target_and_keeps_them_in_the_band():
    """Both parts lie in [64, 96] (94 and 66); with a tight band [72, 88] one cell of 14
    moves so that both sit at 80, and none leaves the band."""
    adj = path_graph(6)
    labels = np.array([0, 0, 0, 0, 0, 1])
    weight = np.array([20.0, 20, 20, 20, 14, 66])
    plain = repair_band(adj, weight, labels, 64, 96)
    assert plain.tolist() == labels.tolist()  # the band alone is content
    tight = repair_band(adj, weight, labels, 64, 96, tight=(72, 88))
    assert np.bincount(tight, weight).tolist() == [80.0, 80.0]
    assert connected_parts(adj, tight)


@FAST
@given(st.lists(st.integers(1, 40), min_size=4, max_size=24), st.integers(0, 2**16))
def test_a_tight_band_never_loses_a_part_from_the_band(weights, seed):
    """Whatever the cells, the tight band's moves keep every small area the band
    holds without them, and every part stays connected."""
    n = len(weights)
    adj = path_graph(n)
    weight = np.asarray(weights, dtype=float)
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, max(2, n // 3)))
    cuts = np.sort(rng.choice(np.arange(1, n), size=min(k, n - 1), replace=False))
    labels = np.searchsorted(cuts, np.arange(n), side="right").astype(np.int64)
    plain = repair_band(adj, weight, labels, 64, 96)
    tight = repair_band(adj, weight, labels, 64, 96, tight=(72, 88))
    assert inside(tight, weight) >= inside(plain, weight)
    assert connected_parts(adj, tight)
    assert len(np.unique(tight)) == len(np.unique(labels))


def tight_count(labels: np.ndarray, weight: np.ndarray, lo: float = 72, hi: float = 88) -> int:
    """Parts whose weight lies in the tight band [lo, hi]."""
    w = np.bincount(labels, weight)
    return int(((w >= lo) & (w <= hi)).sum())


def test_a_tight_band_regroups_a_neighbourhood_no_single_move_fixes():
    """40 30 50 / 35 45 40 on a 2 x 3 grid, parts 40+30 | 50+40 | 35+45 (70, 90, 80):
    all in [64, 96], one in [72, 88], and every single move leaves the band. Grouped
    again as 40+35 | 30+50 | 45+40 (75, 80, 85) all three are in the tight band."""
    adj = grid(2, 3)
    weight = np.array([40.0, 30, 50, 35, 45, 40])
    labels = np.array([0, 0, 1, 2, 2, 1])
    out, kept = exact_round(adj, weight, labels, Band(64, 96),
                            frozen_cell=np.zeros(6, dtype=bool), blocked_edges=None,
                            tight=Band(72, 88))
    assert kept == 1 and tight_count(out, weight) == 3 and connected_parts(adj, out)
    full = repair_band(adj, weight, labels, 64, 96, tight=(72, 88))
    assert sorted(np.bincount(full, weight).tolist()) == [75.0, 80.0, 85.0]
    # A major road between cells 0 and 3 forbids the grouping: nothing changes.
    blocked = (np.array([0, 3]), np.array([3, 0]))
    out, kept = exact_round(adj, weight, labels, Band(64, 96),
                            frozen_cell=np.zeros(6, dtype=bool), blocked_edges=blocked,
                            tight=Band(72, 88))
    assert kept == 0 and out.tolist() == labels.tolist()


def best_tight_grouping(adj: sp.csr_array, weight: np.ndarray, k: int, blocked: set) -> int:
    """Most parts in [72, 88] over groupings into k connected parts all in [64, 96]
    with no blocked edge inside (-1: none)."""
    return max((tight_count(labels, weight)
                for labels in fitting_groupings(adj, weight, k, 64, 96, blocked)), default=-1)


@FAST
@given(rows=st.integers(1, 2), cols=st.integers(2, 4), k=st.integers(2, 3),
       seed=st.integers(0, 10_000), n_blocked=st.integers(0, 2))
def test_tight_regrouping_keeps_the_band_and_finds_the_most_tight_parts(rows, cols, k, seed,
                                                                       n_blocked):
    """On windows small enough to try every grouping: a regrouping towards the tight band
    keeps every part connected and in the band, holds no major barrier, brings more
    parts into the tight band, and is the best there is (when it finds none, none exists)."""
    case = small_window(rows, cols, k, seed, n_blocked, [10.0, 20, 25, 30, 35, 40, 45, 50, 60])
    if case is None:
        return
    adj, weight, labels, blocked, blocked_edges = case
    args = dict(frozen_cell=np.zeros(len(weight), dtype=bool), tight=Band(72, 88),
                blocked_edges=blocked_edges)
    out, kept = exact_round(adj, weight, labels, Band(64, 96), **args)
    assert connected_parts(adj, out) and len(np.unique(out)) == k
    assert inside(out, weight) >= inside(labels, weight)
    best = best_tight_grouping(adj, weight, k, blocked)
    if kept:
        assert inside(out, weight) == k
        assert tight_count(out, weight) == best > tight_count(labels, weight)
        assert all(out[a] != out[b] for a, b in blocked), "no major barrier inside"
    else:
        assert out.tolist() == labels.tolist()
        if tight_count(labels, weight) < k and inside(labels, weight) == k:
            assert best <= tight_count(labels, weight)
    again, _ = exact_round(adj, weight, labels, Band(64, 96), **args)
    assert np.array_equal(out, again), "same inputs, same labels"
