"""Labelled cell graphs: enclaves get a corridor out, and every area stays one piece."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eapart.partition.regions.labels import detach_empty_sides, enclaves, open_enclaves, pieces


def grid(rows: int, cols: int) -> np.ndarray:
    """Edges of a rows x cols grid of cells, numbered row by row."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    right = np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    down = np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])
    return np.vstack([right, down])


def border(rows: int, cols: int) -> np.ndarray:
    """Outer boundary length per cell of the grid (1 on the edge, else 0)."""
    out = np.zeros((rows, cols))
    out[0, :] = out[-1, :] = out[:, 0] = out[:, -1] = 1.0
    return out.ravel()


def grown_labels(edges: np.ndarray, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """k connected labels over n cells: seeds grown by a random flood fill."""
    labels = np.full(n, -1, dtype=np.int64)
    labels[rng.choice(n, size=min(k, n), replace=False)] = np.arange(min(k, n))
    while (labels < 0).any():
        for a, b in edges[rng.permutation(len(edges))]:
            if labels[a] >= 0 > labels[b]:
                labels[b] = labels[a]
            elif labels[b] >= 0 > labels[a]:
                labels[a] = labels[b]
    return labels


def one_piece_each(edges: np.ndarray, labels: np.ndarray) -> bool:
    """True when every label is one connected piece."""
    piece = pieces(len(labels), edges, labels)
    return all(len(np.unique(piece[labels == lab])) == 1 for lab in np.unique(labels))


def test_enclave_in_the_middle_of_a_grid_gets_a_corridor_over_empty_land():
    # 5 x 5 grid, label 1 is the centre cell; households only on the top row,
    # so the corridor must leave through the empty cells below or beside it.
    edges = grid(5, 5)
    labels = np.zeros(25, dtype=np.int64)
    labels[12] = 1
    weight = np.zeros(25)
    weight[:5] = 10
    outer = border(5, 5)
    assert enclaves(edges, labels, outer, 2).tolist() == [False, True]
    out = open_enclaves(edges, labels, weight, outer)
    assert not enclaves(edges, out, outer, 2).any()
    assert one_piece_each(edges, out)
    moved = np.flatnonzero(out != labels)
    assert len(moved) == 2 and weight[moved].sum() == 0  # two empty cells to the edge
    assert (out[:5] == 0).all()


def test_pieces_a_corridor_cuts_off_go_with_it():
    # Enclave (label 1) = cell 0, inside a C of host cells 1-2-3 (label 0).
    # Cell 2, the middle of the C, lies on the township edge; cell 1 touches a
    # third label (cell 4). A corridor through cell 1 carries 50 households; one
    # through cell 2 splits the host into {1} (50) and {3} (1): the host keeps its
    # heavy piece and the enclave takes cells 2 and 3, 1 household in all.
    edges = np.array([[0, 1], [0, 2], [0, 3], [1, 2], [2, 3], [1, 4]])
    labels = np.array([1, 0, 0, 0, 2])
    weight = np.array([60.0, 50, 0, 1, 70])
    outer = np.array([0.0, 0, 1, 0, 1])
    assert enclaves(edges, labels, outer, 3).tolist() == [False, True, False]
    out = open_enclaves(edges, labels, weight, outer)
    assert out.tolist() == [1, 0, 1, 1, 2]
    assert not enclaves(edges, out, outer, 3).any()
    assert one_piece_each(edges, out)


def test_institution_enclave_takes_no_households():
    edges = grid(5, 5)
    labels = np.zeros(25, dtype=np.int64)
    labels[12] = 1
    outer = border(5, 5)
    weight = np.full(25, 5.0)  # every host cell houses someone
    out = open_enclaves(edges, labels, weight, outer, empty_only=np.array([False, True]))
    assert (out == labels).all(), "no empty corridor: the enclave stays (and stays flagged)"
    weight[[7, 2]] = 0  # an empty lane north to the edge
    out = open_enclaves(edges, labels, weight, outer, empty_only=np.array([False, True]))
    assert sorted(np.flatnonzero(out == 1).tolist()) == [2, 7, 12]


def test_enclave_in_another_census_area_is_left_alone():
    edges = grid(5, 5)
    labels = np.zeros(25, dtype=np.int64)
    labels[12] = 1
    outer = border(5, 5)
    out = open_enclaves(edges, labels, np.zeros(25), outer, group=np.array([0, 1]))
    assert (out == labels).all()


def test_major_barrier_is_taken_only_where_nothing_else_reaches_out():
    edges = grid(5, 5)
    labels = np.zeros(25, dtype=np.int64)
    labels[12] = 1
    outer = border(5, 5)
    major = np.zeros(len(edges), dtype=bool)
    # A major road all round the centre cell's north, west and east sides.
    for a, b in ((7, 12), (11, 12), (12, 13)):
        major[((edges[:, 0] == min(a, b)) & (edges[:, 1] == max(a, b)))] = True
    out = open_enclaves(edges, labels, np.zeros(25), outer, major=major)
    assert sorted(np.flatnonzero(out == 1).tolist()) == [12, 17, 22], "south, over no road"


@st.composite
def labelled_grids(draw):
    """A grid of 3-9 x 3-9 cells grown into 2-6 connected labels, and a generator."""
    rows, cols = draw(st.integers(3, 9)), draw(st.integers(3, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    edges = grid(rows, cols)
    return rows, cols, edges, grown_labels(edges, rows * cols, draw(st.integers(2, 6)), rng), rng


@settings(max_examples=60, deadline=None)
@given(labelled_grids())
def test_random_labellings_lose_their_enclaves_and_stay_whole(case):
    """Grow k connected labels on a grid; after opening, no enclave, all one piece."""
    rows, cols, edges, labels, rng = case
    n = rows * cols
    outer = border(rows, cols)
    weight = rng.integers(0, 3, n).astype(float)
    out = open_enclaves(edges, labels, weight, outer)
    n_labels = int(labels.max()) + 1
    assert not enclaves(edges, out, outer, n_labels).any()
    assert one_piece_each(edges, out)
    assert set(np.unique(out)) == set(np.unique(labels)), "no label vanishes"
    assert (open_enclaves(edges, labels, weight, outer) == out).all(), "deterministic"


def test_a_cluster_of_labels_inside_one_ring_is_opened_too():
    # 6 x 6 grid: label 0 is the outer ring, labels 1 and 2 the two halves of the
    # 4 x 4 core. Neither half touches the edge or a third label outside the ring,
    # so both lie inside label 0 together: one corridor opens the cluster.
    edges = grid(6, 6)
    labels = np.zeros(36, dtype=np.int64)
    core = np.arange(36).reshape(6, 6)[1:5, 1:5]
    labels[core[:, :2].ravel()] = 1
    labels[core[:, 2:].ravel()] = 2
    outer = border(6, 6)
    assert enclaves(edges, labels, outer, 3).tolist() == [False, True, True]
    out = open_enclaves(edges, labels, np.zeros(36), outer)
    assert not enclaves(edges, out, outer, 3).any()
    assert one_piece_each(edges, out)
    assert (out != labels).sum() == 1, "one ring cell opens the way out"


def road_grid() -> tuple[np.ndarray, np.ndarray]:
    """A 3 x 4 grid of cells whose edges between columns 1 and 2 run along a major road."""
    edges = grid(3, 4)
    cols = edges % 4
    major = (np.minimum(cols[:, 0], cols[:, 1]) == 1) & (cols[:, 0] != cols[:, 1])
    return edges, major


def test_empty_land_across_a_major_road_goes_to_a_neighbour_on_its_side():
    edges, major = road_grid()
    # Label 0: columns 0-1 (households) and cell 2 (empty land across the road);
    # label 1: the rest of columns 2-3.
    labels = np.array([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1])
    weight = np.array([5.0, 5, 0, 5, 5, 5, 5, 5, 5, 5, 5, 5])
    out = detach_empty_sides(edges, np.ones(len(edges)), labels, weight, major)
    assert out[2] == 1 and (out[[0, 1, 4, 5, 8, 9]] == 0).all()
    assert not (major & (out[edges[:, 0]] == out[edges[:, 1]])).any(), "no road inside"
    assert one_piece_each(edges, out)
    # Land with households across the road stays: that crossing buys balance.
    weight[2] = 5
    same = detach_empty_sides(edges, np.ones(len(edges)), labels, weight, major)
    assert (same == labels).all()


def test_empty_land_stays_when_its_neighbours_are_in_another_census_area():
    edges, major = road_grid()
    labels = np.array([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1])
    weight = np.array([5.0, 5, 0, 5, 5, 5, 5, 5, 5, 5, 5, 5])
    out = detach_empty_sides(edges, np.ones(len(edges)), labels, weight, major,
                             group=np.array([0, 1]))
    assert (out == labels).all()


def test_a_label_of_no_weight_keeps_its_land():
    edges, major = road_grid()
    labels = np.array([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1])
    weight = np.array([0.0, 0, 0, 5, 0, 0, 5, 5, 0, 0, 5, 5])  # label 0: an institution
    out = detach_empty_sides(edges, np.ones(len(edges)), labels, weight, major)
    assert (out == labels).all()


@settings(max_examples=60, deadline=None)
@given(labelled_grids())
def test_detaching_keeps_labels_whole_and_weights_unchanged(case):
    rows, cols, edges, labels, rng = case
    n = rows * cols
    major = rng.random(len(edges)) < 0.3
    weight = np.where(rng.random(n) < 0.5, 0.0, rng.integers(1, 9, n).astype(float))
    out = detach_empty_sides(edges, np.ones(len(edges)), labels, weight, major)
    assert one_piece_each(edges, out)
    assert set(np.unique(out)) == set(np.unique(labels))
    k_max = int(labels.max()) + 1
    assert np.allclose(np.bincount(out, weight, k_max), np.bincount(labels, weight, k_max))
    def inner(lab: np.ndarray) -> int:
        return int((major & (lab[edges[:, 0]] == lab[edges[:, 1]])).sum())

    assert inner(out) <= inner(labels), "never more road inside areas"
