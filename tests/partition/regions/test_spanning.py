"""The spanning-tree level's shortcuts give what the plain computations give, bit for bit.

A level of :mod:`eapart.partition.regions.spanning` sorts its edges by piece instead of
by ``row * n + column`` and leaves out each triangle's dearest edge before scipy draws
the minimum spanning tree. Each is checked here against the computation it replaces on
random graphs, ties of tree weight included (weights drawn from a few values), so the
bisection's labels cannot move; the lowest common ancestors, against a walk up the tree.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse import csgraph

from eapart.partition.regions.spanning import (
    _depths,
    _Edges,
    _level_graph,
    _level_triangles,
    _lowest_common_ancestors,
    _piece_order,
    _preorder,
    _subtree_sums,
    _triangle_tops,
    _triangles,
    _upper_edges,
    recursive_tree_bisection,
)


def _grid_graph(rng: np.random.Generator, side: int, holes: bool = True) -> sparse.csr_array:
    """A ``side x side`` grid with a random diagonal in most squares (many triangles),
    some edges removed (``holes``; the grid may then fall apart), as a symmetric
    canonical csr matrix of random costs."""
    idx = np.arange(side * side).reshape(side, side)
    pairs = [np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()]),
             np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])]
    down, up = idx[:-1, :-1].ravel(), idx[1:, 1:].ravel()
    left, right = idx[:-1, 1:].ravel(), idx[1:, :-1].ravel()
    flip = rng.random(len(down)) < 0.5
    diag = np.column_stack([np.where(flip, down, left), np.where(flip, up, right)])
    pairs.append(diag[rng.random(len(diag)) < 0.8])
    e = np.concatenate(pairs)
    if holes:
        e = e[rng.random(len(e)) < 0.9]
    cost = rng.integers(1, 4, len(e)).astype(float)
    n = side * side
    a = sparse.csr_array((np.r_[cost, cost], (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])),
                         shape=(n, n))
    a.sum_duplicates()
    return a


def _brute_triangles(rows, cols) -> set[tuple[int, int, int]]:
    index = {(a, b): i for i, (a, b) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True))}
    out = set()
    for (a, b), i in index.items():
        for (b2, c), j in index.items():
            if b2 == b and (a, c) in index:
                out.add((i, j, index[a, c]))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_triangles_are_every_triangle_once(seed):
    edges = _upper_edges(_grid_graph(np.random.default_rng(seed), 6), 1.0)
    tri = _triangles(edges.rows, edges.cols, 36)
    found = {tuple(t) for t in tri.tolist()}
    assert len(found) == len(tri)
    assert found == _brute_triangles(edges.rows, edges.cols)


@pytest.mark.parametrize("seed", range(4))
def test_edges_within_keep_their_order_and_triangles(seed):
    """A subset of the edges (what later levels read) holds the same edges in the same
    order, and exactly the triangles of those edges, renumbered."""
    rng = np.random.default_rng(seed)
    edges = _upper_edges(_grid_graph(rng, 7), 1.0)
    _level_triangles(edges, np.ones(len(edges.rows), dtype=bool))  # worked out once
    keep = rng.random(len(edges.rows)) < 0.8
    sub = edges.within(keep)
    for attr in ("rows", "cols", "cost", "tree_cost"):
        assert np.array_equal(getattr(sub, attr), getattr(edges, attr)[keep])
    assert sub.ordered == edges.ordered
    want = {tuple(t) for t in _triangles(sub.rows, sub.cols, 49).tolist()}
    assert {tuple(t) for t in sub.triangles.tolist()} == want


def _level(rng: np.random.Generator, side: int, n_pieces: int, trees: int,
           holes: bool = True):
    """A level as :func:`_split_level` builds it: the edges kept inside random pieces
    (bands of rows), renumbered piece by piece, with tree weights of a few values;
    without ``holes`` every piece is connected (the tree spans the level)."""
    adjacency = _grid_graph(rng, side, holes)
    edges = _upper_edges(adjacency, 1.0)
    n = side * side
    piece = np.minimum(np.arange(n) // side * n_pieces // side, n_pieces - 1)
    piece = rng.permutation(n_pieces)[piece]
    nodes = np.argsort(piece, kind="stable")
    loc = np.empty(n, dtype=np.int64)
    loc[nodes] = np.arange(n)
    keep = piece[edges.rows] == piece[edges.cols]
    er, ec = loc[edges.rows[keep]], loc[edges.cols[keep]]
    tree_w = rng.integers(1, 4, (trees, len(er))).astype(float)  # many ties
    counts = np.bincount(piece, minlength=n_pieces)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    roots = (starts[None, :] + (np.arange(trees) * n)[:, None]).ravel()
    return edges, piece, keep, er, ec, tree_w, roots, n


@pytest.mark.parametrize("seed", range(6))
def test_piece_order_sorts_the_level_edges(seed):
    edges, piece, keep, er, ec, _, _, n = _level(np.random.default_rng(seed), 9, 3, 2)
    perm = _piece_order(piece[edges.rows[keep]], 3)
    assert np.array_equal(perm, np.argsort(er * n + ec, kind="stable"))


@pytest.mark.parametrize("seed", range(8))
def test_triangle_filter_keeps_the_minimum_spanning_tree(seed):
    """Same tree matrix, entry for entry, with and without the dearest triangle edges,
    tree weights tied everywhere."""
    rng = np.random.default_rng(seed)
    edges, piece, keep, er, ec, tree_w, roots, n = _level(rng, 12, 2, 3)
    perm = _piece_order(piece[edges.rows[keep]], 2)
    drop = _triangle_tops(_level_triangles(edges, keep), tree_w)
    assert drop.any()
    plain = csgraph.minimum_spanning_tree(_level_graph(er, ec, tree_w, roots, n))
    thin = csgraph.minimum_spanning_tree(_level_graph(er, ec, tree_w, roots, n, perm, drop))
    for attr in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(plain, attr), getattr(thin, attr))


def _naive_lca(a: int, b: int, parent: np.ndarray, depth: np.ndarray) -> int:
    while a != b:
        if depth[a] < depth[b]:
            a, b = b, a
        a = parent[a]
    return a


@pytest.mark.parametrize("seed", range(5))
def test_lowest_common_ancestors_match_a_walk_up_the_tree(seed):
    rng = np.random.default_rng(seed)
    edges, _, _, er, ec, tree_w, roots, n = _level(rng, 10, 1, 1, holes=False)
    tree = csgraph.minimum_spanning_tree(_level_graph(er, ec, tree_w, roots, n))
    pre, parent = _preorder(tree, n)
    depth = _depths(parent, n)
    at = np.empty(n + 1, dtype=np.int64)
    at[pre] = np.arange(n + 1)
    a, b = rng.integers(0, n, 300), rng.integers(0, n, 300)
    a, b = a[a != b], b[a != b]
    got = _lowest_common_ancestors(a, b, pre, at, parent, depth)
    assert got.tolist() == [_naive_lca(x, y, parent, depth) for x, y in zip(a, b, strict=True)]


def test_edges_record_their_order():
    path = sparse.csr_array(sparse.diags([1.0, 1.0], [-1, 1], shape=(4, 4)))
    assert _upper_edges(path, 1.0).ordered
    unsorted = sparse.csr_array((np.ones(2), np.array([2, 1]), np.array([0, 2, 2, 2])),
                                shape=(3, 3))
    assert not _upper_edges(unsorted, 1.0).ordered
    assert isinstance(_upper_edges(path, 1.0), _Edges)


def _folded_sums(columns, pre, parent, depth):
    """Each node's own row plus its children's sums, one child at a time in
    breadth-first order (deepest level first), in Python floats."""
    order = pre[np.argsort(depth[pre], kind="stable")].tolist()
    out = {v: [float(x) for x in columns[v]] for v in order}
    # Deepest level first, each level's nodes in breadth-first order (a stable sort).
    for v in sorted(order, key=lambda v: -depth[v]):
        if depth[v] < 2:  # the root's own sum is left out
            continue
        p = int(parent[v])
        out[p] = [a + b for a, b in zip(out[p], out[v], strict=True)]
    return np.array([out[v] for v in range(len(columns))])


@pytest.mark.parametrize("seed", range(4))
def test_subtree_sums_fold_children_in_breadth_first_order(seed):
    """Bit for bit the sums of a plain fold over the tree (float order included)."""
    rng = np.random.default_rng(seed)
    _, _, _, er, ec, tree_w, roots, n = _level(rng, 9, 2, 2, holes=False)
    tree = csgraph.minimum_spanning_tree(_level_graph(er, ec, tree_w, roots, n))
    pre, parent = _preorder(tree, 2 * n)
    depth = _depths(parent, 2 * n)
    columns = rng.random((2 * n + 1, 5)) * 10.0 ** rng.integers(-3, 4, (2 * n + 1, 5))
    got = _subtree_sums(columns, pre, parent, depth)
    want = _folded_sums(columns, pre, parent, depth)
    below_top = depth >= 1
    assert np.array_equal(got[below_top], want[below_top])


def _rows_shuffled(a: sparse.csr_array, rng: np.random.Generator) -> sparse.csr_array:
    """The same matrix with each row's entries stored in a random order."""
    indices, data = a.indices.copy(), a.data.copy()
    for i in range(a.shape[0]):
        lo, hi = a.indptr[i], a.indptr[i + 1]
        order = lo + rng.permutation(hi - lo)
        indices[lo:hi], data[lo:hi] = a.indices[order], a.data[order]
    out = sparse.csr_array((data, indices, a.indptr.copy()), shape=a.shape)
    out.has_sorted_indices = False
    return out


@pytest.mark.parametrize("seed", range(4))
def test_bisection_of_a_matrix_stored_out_of_order(seed):
    """Rows stored out of order take the sorting path: every part is connected."""
    rng = np.random.default_rng(seed)
    adjacency = _rows_shuffled(_grid_graph(rng, 14, holes=False), rng)
    assert not _upper_edges(adjacency, 1.0).ordered
    weights = rng.integers(1, 30, adjacency.shape[0]).astype(float)
    labels = recursive_tree_bisection(adjacency, weights, 9, rng=np.random.default_rng(seed))
    assert sorted(set(labels.tolist())) == list(range(9))
    for part in range(9):
        mine = np.flatnonzero(labels == part)
        inner = sparse.csr_array(adjacency.toarray()[np.ix_(mine, mine)])
        assert csgraph.connected_components(inner, directed=False)[0] == 1
