"""The partition engine on real graphs: hard constraints, edge cases, balance, barriers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import SHARED_DATA
from scipy.sparse import csgraph
from scipy.spatial import Delaunay, QhullError

from eapart.partition.regions.refine import refine_boundaries
from eapart.partition.regions.split import allocate_parts, partition, partition_groups, parts_for

DATA = SHARED_DATA


# ---------------------------------------------------------------- graph builders


def graph_from_edges(n: int, a, b, cost) -> sp.csr_array:
    """Symmetric csr adjacency from an undirected edge list."""
    a, b, cost = np.asarray(a), np.asarray(b), np.asarray(cost, dtype=float)
    return sp.csr_array((np.r_[cost, cost], (np.r_[a, b], np.r_[b, a])), shape=(n, n))


def delaunay_graph(points: np.ndarray, cheap: np.ndarray | None = None) -> sp.csr_array:
    """Delaunay neighbours of points; cost = length (+1 so duplicates stay positive).

    Joggled input (``QJ``) keeps every point in the triangulation, so duplicate
    points become neighbours and collinear points still give a connected graph;
    when every point sits on (nearly) one spot qhull gives up, and the points are
    chained in sorted order.
    """
    n = len(points)
    if n == 1:
        return sp.csr_array((1, 1))
    try:  # qhull needs four points; two or three points are all neighbours
        s = np.array([[0, 1, n - 1]]) if n <= 3 else Delaunay(points, qhull_options="QJ").simplices
    except QhullError:  # (nearly) all points on one spot: a chain in sorted order
        order = np.lexsort((points[:, 1], points[:, 0]))
        s = np.column_stack([order[:-1], order[1:], order[1:]])
    e = np.unique(np.sort(np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]]), axis=1), axis=0)
    e = e[e[:, 0] != e[:, 1]]
    cost = 1.0 + np.linalg.norm(points[e[:, 0]] - points[e[:, 1]], axis=1)
    if cheap is not None:
        cost = np.where(cheap[e[:, 0]] != cheap[e[:, 1]], 0.05 * cost, cost)
    return graph_from_edges(n, e[:, 0], e[:, 1], cost)


def grid_graph(rows: int, cols: int, keep: np.ndarray | None = None) -> sp.csr_array:
    """4-neighbour grid, unit costs; nodes outside ``keep`` lose their edges."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    a = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    b = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    if keep is not None:
        ok = keep[a] & keep[b]
        a, b = a[ok], b[ok]
    return graph_from_edges(rows * cols, a, b, np.ones(len(a)))


# ---------------------------------------------------------------- the checks


def expected_k(adjacency, weights, n_parts, max_weight=None) -> int:
    """k as the module documents it, without pins, computed independently."""
    n = adjacency.shape[0]
    heavy = np.zeros(n, bool) if max_weight is None else weights > max_weight
    rest = np.flatnonzero(~heavy)
    if len(rest) == 0:
        return int(heavy.sum())
    n_comp, comp = csgraph.connected_components(adjacency[rest][:, rest], directed=False)
    comp_w = np.bincount(comp, weights[rest], n_comp)
    weighted = comp_w > 0
    caps = np.bincount(comp, minlength=n_comp)[weighted]
    # Weightless components take one part each, on top of the count.
    wanted = max(n_parts - int(heavy.sum()), int(weighted.sum()))
    return int(heavy.sum()) + min(wanted, int(caps.sum())) + int((~weighted).sum())


def assert_valid(adjacency, labels, n: int) -> int:
    """Every node labelled, labels 0..k-1 all used, every part connected; returns k."""
    assert labels.dtype == np.int64
    assert labels.shape == (n,)
    if n == 0:
        return 0
    k = int(labels.max()) + 1
    assert labels.min() == 0
    assert np.array_equal(np.unique(labels), np.arange(k))
    adjacency = sp.csr_array(adjacency)
    for p in range(k):
        idx = np.flatnonzero(labels == p)
        n_comp, _ = csgraph.connected_components(adjacency[idx][:, idx], directed=False)
        assert n_comp == 1, f"part {p} has {n_comp} pieces"
    return k


def within_share(weights, labels, tol=0.2) -> float:
    k = labels.max() + 1
    part = np.bincount(labels, weights, k)
    mean = weights.sum() / k
    return float(np.mean(np.abs(part - mean) <= tol * mean))


# ---------------------------------------------------------------- property tests

weights_st = st.sampled_from(["ones", "skewed", "zeros_mostly", "heavy_one"])


def make_weights(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "ones":
        return np.ones(n)
    if kind == "skewed":
        return rng.choice([0.0, 1, 2, 3, 8, 40], size=n)
    if kind == "zeros_mostly":
        return np.where(rng.random(n) < 0.8, 0.0, rng.integers(1, 10, n).astype(float))
    w = rng.integers(0, 3, n).astype(float)
    w[rng.integers(n)] = w.sum() + 10.0
    return w


@st.composite
def point_graphs(draw):
    """Random, duplicate or collinear point sets with a random cheap 'road' line."""
    n = draw(st.integers(1, 120))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    layout = draw(st.sampled_from(["random", "duplicates", "collinear"]))
    pts = rng.random((n, 2)) * 100
    if layout == "duplicates":
        pts = pts[rng.integers(0, max(1, n // 3), n)]
    elif layout == "collinear":
        t = rng.random(n) * 100
        pts = np.column_stack([t, 2 * t + 1])
    cheap = pts[:, 0] > 50
    return delaunay_graph(pts, cheap), make_weights(draw(weights_st), n, rng)


@st.composite
def grid_graphs(draw):
    """Grids with holes: often disconnected, with isolated nodes."""
    rows, cols = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    keep = rng.random(rows * cols) > draw(st.sampled_from([0.0, 0.2, 0.45]))
    n = rows * cols
    return grid_graph(rows, cols, keep), make_weights(draw(weights_st), n, rng)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(graph=st.one_of(point_graphs(), grid_graphs()), n_parts=st.integers(1, 40),
       seed=st.integers(0, 1000), use_max=st.booleans())
def test_hard_constraints_and_k(graph, n_parts, seed, use_max):
    adjacency, weights = graph
    n = len(weights)
    max_weight = float(np.percentile(weights, 95)) + 0.5 if use_max and n else None
    labels = partition(adjacency, weights, n_parts, seed=seed, max_weight=max_weight)
    k = assert_valid(adjacency, labels, n)
    assert k == expected_k(adjacency, weights, n_parts, max_weight)
    assert k <= max(n, 0)
    if max_weight is not None:
        for v in np.flatnonzero(weights > max_weight):
            assert np.sum(labels == labels[v]) == 1, "an oversize node must stand alone"
    again = partition(adjacency, weights, n_parts, seed=seed, max_weight=max_weight)
    assert np.array_equal(labels, again), "same inputs and seed must give the same labels"


@FAST
@given(graph=grid_graphs(), n_parts=st.integers(1, 20), seed=st.integers(0, 1000),
       n_pins=st.integers(1, 8), n_groups=st.integers(1, 4))
def test_pins_honoured_or_refused(graph, n_parts, seed, n_pins, n_groups):
    adjacency, weights = graph
    n = len(weights)
    rng = np.random.default_rng(seed)
    nodes = rng.choice(n, size=min(n, n_pins), replace=False)
    pins = {int(v): f"g{int(rng.integers(n_groups))}" for v in nodes}
    try:
        labels = partition(adjacency, weights, n_parts, pinned=pins, seed=seed)
    except ValueError as err:
        assert "pin group" in str(err)
        return
    k = assert_valid(adjacency, labels, n)
    groups = {}
    for v, g in pins.items():
        groups.setdefault(g, set()).add(int(labels[v]))
    assert all(len(parts) == 1 for parts in groups.values()), "one group, one part"
    used = [next(iter(parts)) for parts in groups.values()]
    assert len(set(used)) == len(used), "different groups, different parts"
    assert k >= len(groups)


@FAST
@given(graph=point_graphs(), n_parts=st.integers(2, 30), seed=st.integers(0, 1000))
def test_refinement_keeps_parts_connected_whatever_the_targets(graph, n_parts, seed):
    adjacency, weights = graph
    n = len(weights)
    start = partition(adjacency, weights, n_parts, seed=seed, refine=False)
    k = int(start.max()) + 1
    rng = np.random.default_rng(seed)
    # Targets far from the start make many moves, several per part and round.
    targets = rng.random(k) * (weights.sum() + 1) / k * 2
    labels = refine_boundaries(adjacency, weights, start, targets, tolerance=0.05)
    assert assert_valid(adjacency, labels, n) == k


@FAST
@given(graph=st.one_of(point_graphs(), grid_graphs()), n_groups=st.integers(1, 5),
       seed=st.integers(0, 1000))
def test_groups_are_cut_apart_each_into_its_own_parts(graph, n_groups, seed):
    adjacency, weights = graph
    n = len(weights)
    rng = np.random.default_rng(seed)
    groups = np.sort(rng.integers(0, n_groups, n))  # runs of node ids: often connected
    n_parts = rng.integers(1, 8, n_groups)
    labels = partition_groups(adjacency, weights, groups, n_parts, seed=seed, max_weight=30.0)
    assert_valid(adjacency, labels, n)
    for g in range(n_groups):
        mine = groups == g
        assert not set(labels[mine]) & set(labels[~mine]), "a part spans two groups"
        if mine.any():
            sub = sp.csr_array(adjacency)[mine][:, mine]
            want = expected_k(sub, weights[mine], int(n_parts[g]), 30.0)
            assert len(np.unique(labels[mine])) == want


# ---------------------------------------------------------------- edge cases


def test_empty_graph_gives_empty_labels():
    labels = partition(sp.csr_array((0, 0)), np.zeros(0), 3)
    assert labels.shape == (0,) and labels.dtype == np.int64


def test_single_node_is_one_part():
    assert partition(sp.csr_array((1, 1)), np.array([5.0]), 4).tolist() == [0]


def test_more_parts_than_nodes_gives_singletons():
    adjacency = grid_graph(2, 3)
    labels = partition(adjacency, np.ones(6), 50)
    assert sorted(labels.tolist()) == list(range(6))


def test_all_zero_weights_is_one_part_per_component():
    keep = np.ones(16, bool)
    keep[[2, 6, 10, 14]] = False  # a column of isolated nodes cuts the grid in two
    adjacency = grid_graph(4, 4, keep)
    labels = partition(adjacency, np.zeros(16), 3)
    n_comp, _ = csgraph.connected_components(adjacency, directed=False)
    assert assert_valid(adjacency, labels, 16) == n_comp == 6


def test_components_never_share_a_part_and_split_by_weight():
    # two paths of 30 nodes, weights 3:1, 8 parts -> 6 and 2
    a = np.r_[np.arange(29), 30 + np.arange(29)]
    adjacency = graph_from_edges(60, a, a + 1, np.ones(58))
    weights = np.r_[np.full(30, 3.0), np.ones(30)]
    labels = partition(adjacency, weights, 8)
    assert assert_valid(adjacency, labels, 60) == 8
    assert len(np.unique(labels[:30])) == 6 and len(np.unique(labels[30:])) == 2
    assert not set(labels[:30]) & set(labels[30:])


def test_heavy_node_heavier_than_the_rest_keeps_its_part_small():
    a = np.arange(20)
    adjacency = graph_from_edges(21, a, a + 1, np.ones(20))
    weights = np.r_[100.0, np.ones(20)]
    labels = partition(adjacency, weights, 2)
    assert assert_valid(adjacency, labels, 21) == 2
    assert np.bincount(labels, weights)[labels[0]] == 100.0


def test_max_weight_singletons_count_among_parts():
    adjacency = grid_graph(6, 6)
    weights = np.ones(36)
    weights[[0, 14]] = 50.0
    labels = partition(adjacency, weights, 5, max_weight=10)
    assert assert_valid(adjacency, labels, 36) == 5
    assert np.sum(labels == labels[0]) == 1 and np.sum(labels == labels[14]) == 1


def test_duplicate_pins_and_conflicting_pins():
    adjacency = grid_graph(3, 3)
    labels = partition(adjacency, np.ones(9), 3, pinned=[(0, "a"), (0, "a"), (8, "b")])
    assert labels[0] != labels[8]
    with pytest.raises(ValueError, match="pinned to two groups"):
        partition(adjacency, np.ones(9), 3, pinned=[(0, "a"), (0, "b")])


def test_pins_that_cannot_be_joined_are_refused():
    path = graph_from_edges(3, [0, 1], [1, 2], [1.0, 1.0])
    with pytest.raises(ValueError, match="pin group 'a' cannot be joined"):
        partition(path, np.ones(3), 2, pinned={0: "a", 2: "a", 1: "b"})
    two = graph_from_edges(4, [0, 2], [1, 3], [1.0, 1.0])
    with pytest.raises(ValueError, match="cannot be joined"):
        partition(two, np.ones(4), 2, pinned={0: "a", 3: "a"})
    with pytest.raises(ValueError, match="heavier than max_weight"):
        partition(path, np.array([1.0, 50, 1]), 2, pinned={0: "a", 1: "a"}, max_weight=10)


def test_pins_join_far_nodes_through_a_connected_part():
    adjacency = grid_graph(8, 8)
    labels = partition(adjacency, np.ones(64), 4, pinned={0: "x", 63: "x"})
    assert labels[0] == labels[63]
    assert_valid(adjacency, labels, 64)


def test_bad_inputs_are_refused_with_a_reason():
    adjacency = grid_graph(2, 2)
    with pytest.raises(ValueError, match="weights must be finite"):
        partition(adjacency, np.array([1.0, -1, 1, 1]), 2)
    with pytest.raises(ValueError, match="shape"):
        partition(adjacency, np.ones(3), 2)
    with pytest.raises(ValueError, match="symmetric"):
        partition(sp.csr_array(np.array([[0, 1.0], [2.0, 0]])), np.ones(2), 2)
    with pytest.raises(ValueError, match="n_parts"):
        partition(adjacency, np.ones(4), 0)
    with pytest.raises(ValueError, match="positions"):
        partition(adjacency, np.ones(4), 2, positions=np.zeros((3, 2)))


def test_parts_for_rounds_to_the_nearest_average():
    assert [parts_for(t, 80) for t in (0, 39, 41, 119, 121, 8000)] == [1, 1, 1, 1, 2, 100]
    with pytest.raises(ValueError):
        parts_for(100, 0)


def test_allocate_parts_respects_minimum_and_capacity():
    weights, capacity = np.array([900.0, 100, 0]), np.array([4, 50, 50])
    minimum = np.array([0, 3, 2])
    alloc = allocate_parts(weights, 10, capacity, minimum)
    # The empty component's 2 parts come on top of the 10: the weighted ones share them.
    assert alloc.tolist() == [4, 6, 2]


@given(st.lists(st.floats(0, 1000), min_size=1, max_size=12), st.integers(1, 60))
def test_empty_components_never_take_parts_from_weighted_ones(weights, n_parts):
    weights = np.array(weights)
    capacity = np.full(len(weights), 1000)
    alloc = allocate_parts(weights, n_parts, capacity)
    weighted = weights > 0
    assert (alloc[~weighted] == 1).all()
    if weighted.any():
        assert alloc[weighted].sum() == max(n_parts, int(weighted.sum()))
        # the same components without the empty ones get the same parts
        assert alloc[weighted].tolist() == allocate_parts(
            weights[weighted], n_parts, capacity[weighted]).tolist()


# ---------------------------------------------------------------- quality


def test_balance_on_a_skewed_grid():
    rng = np.random.default_rng(7)
    weights = rng.choice([0.0, 1, 2, 4, 12], size=1600, p=[0.25, 0.35, 0.2, 0.15, 0.05])
    adjacency = grid_graph(40, 40)
    n_parts = parts_for(weights.sum(), 40)
    labels = partition(adjacency, weights, n_parts, seed=3)
    assert assert_valid(adjacency, labels, 1600) == n_parts
    assert within_share(weights, labels) >= 0.9


def test_boundary_follows_a_cheap_road():
    # 20x20 grid, a road between columns 9 and 10: edges across it cost 0.05.
    adjacency = grid_graph(20, 20).tolil()
    for r in range(20):
        a, b = r * 20 + 9, r * 20 + 10
        adjacency[a, b] = adjacency[b, a] = 0.05
    adjacency = sp.csr_array(adjacency)
    labels = partition(adjacency, np.ones(400), 2, seed=1)
    cols = np.arange(400) % 20
    assert len(np.unique(labels[cols < 10])) == 1 and len(np.unique(labels[cols >= 10])) == 1


def test_refinement_does_not_lose_balance_or_raise_cut_cost():
    rng = np.random.default_rng(11)
    pts = rng.random((1500, 2)) * 1000
    adjacency = delaunay_graph(pts, (pts[:, 0] // 200 + pts[:, 1] // 200) % 2 == 0)
    weights = rng.choice([0.0, 1, 2, 5], size=1500)
    n_parts = parts_for(weights.sum(), 60)

    def cut(labels):
        coo = sp.coo_array(adjacency)
        return coo.data[labels[coo.row] != labels[coo.col]].sum()

    raw = partition(adjacency, weights, n_parts, refine=False)
    refined = partition(adjacency, weights, n_parts)
    assert_valid(adjacency, refined, 1500)
    assert within_share(weights, refined) >= within_share(weights, raw)
    assert within_share(weights, refined) >= 0.95
    assert cut(refined) <= cut(raw)


def test_andorra_buildings_partition_into_balanced_connected_parts():
    gpkg = DATA / "andorra.gpkg"
    if not gpkg.exists():
        pytest.skip(f"real data not found at {gpkg}")
    import geopandas as gpd

    buildings = gpd.read_file(gpkg, layer="buildings").to_crs(32631)
    pts = np.column_stack([buildings.centroid.x, buildings.centroid.y])
    adjacency = delaunay_graph(pts)
    weights = np.ones(len(pts))
    n_parts = parts_for(len(pts), 40)
    labels = partition(adjacency, weights, n_parts, seed=0, positions=pts)
    assert assert_valid(adjacency, labels, len(pts)) == n_parts
    assert within_share(weights, labels) >= 0.95


def test_a_heavy_hub_with_one_part_per_node_but_one_is_still_cut():
    # A star of 9 nodes whose centre outweighs the rest: 8 parts leave one pair, so
    # every cut splits off one light leaf, far below a quarter of the parts.
    a, b = np.zeros(8, dtype=np.int64), np.arange(1, 9)
    star = graph_from_edges(9, a, b, np.ones(8))
    weights = np.r_[91.0, np.ones(8)]
    labels = partition(star, weights, 8, refine=False)
    assert assert_valid(star, labels, 9) == 8


def test_refinement_with_an_absolute_band_pushes_parts_inside_it():
    # A path of six cells of 10, then 4 and 6, then six of 10 (130): two parts of
    # mean 65 next to a band of [64, 96]. 60 | 70 is within 10% of the mean, so
    # refinement around the mean leaves it; with the band the 4 moves: 64 | 66.
    weights = np.r_[np.full(6, 10.0), 4, 6, np.full(6, 10.0)]
    path = graph_from_edges(14, np.arange(13), np.arange(1, 14), np.ones(13))
    start = np.r_[np.zeros(6, dtype=np.int64), np.ones(8, dtype=np.int64)]
    targets = np.array([65.0, 65.0])
    around_mean = refine_boundaries(path, weights, start, targets)
    assert around_mean.tolist() == start.tolist()
    banded = refine_boundaries(path, weights, start, targets, band=(64, 96))
    assert np.bincount(banded, weights).tolist() == [64.0, 66.0]
    assert assert_valid(path, banded, 14) == 2


def test_partition_groups_takes_an_absolute_band_and_checks_it():
    weights = np.r_[np.full(6, 10.0), 4, 6, np.full(6, 10.0)]
    path = graph_from_edges(14, np.arange(13), np.arange(1, 14), np.ones(13))
    labels = partition_groups(path, weights, np.zeros(14, dtype=np.int64), [2], band=(64, 96))
    part = np.bincount(labels, weights)
    assert ((part >= 64) & (part <= 96)).all()
    with pytest.raises(ValueError, match="band"):
        partition(path, weights, 2, band=(96, 64))


def test_with_limits_bisection_takes_the_road_when_both_sides_stay_in_the_band():
    # 32 cells of 5 (160) in a row, a road after the 15th: 75 | 85. Two equal parts
    # want 80 | 80 (across open land); inside the band's middle [72, 88] the road wins.
    n = 32
    cost = np.ones(n - 1)
    cost[14] = 0.05
    path = graph_from_edges(n, np.arange(n - 1), np.arange(1, n), cost)
    weights = np.full(n, 5.0)
    plain = partition(path, weights, 2, refine=False)
    banded = partition(path, weights, 2, refine=False, band=(64, 96))
    assert np.bincount(plain, weights).tolist() == [80.0, 80.0]
    assert np.bincount(banded, weights).tolist() == [75.0, 85.0]
    assert assert_valid(path, banded, n) == 2
