"""Roads between settlements: arterials joining the cores and seats, spurs to villages.

Arterials (``class`` major) form a minimum spanning tree over the urban cores and the
township seats, plus a national and a provincial road running right across the
county through the main city. Every village cluster is joined to the nearest
other clusters and to the seats by a spanning tree of minor roads. All lines gently meander.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import Delaunay, distance_matrix

from eapart.synthetic.landscape import meander
from eapart.synthetic.settlements import Street


def _wavy(rng: np.random.Generator, a: np.ndarray, b: np.ndarray, share: float) -> np.ndarray:
    """LineStrings from ``a[k]`` to ``b[k]`` bending sideways by up to ``share`` of their length."""
    if len(a) == 0:
        return np.empty(0, dtype=object)
    lines = []
    for p, q in zip(a, b, strict=True):
        amp = share * np.hypot(*(q - p)) * rng.uniform(-1, 1)
        lines.append(meander(rng, p, q, amplitude=amp, n=24, waves=(0.3, 0.6)))
    return shapely.linestrings(np.array(lines))


def arterials(
    rng: np.random.Generator, county: shapely.Polygon, hubs: np.ndarray, main: np.ndarray
) -> Street:
    """Major roads: a spanning tree over ``hubs`` and two through roads via ``main``."""
    tree = csgraph.minimum_spanning_tree(distance_matrix(hubs, hubs)).tocoo()
    tree_lines = _wavy(rng, hubs[tree.row], hubs[tree.col], 0.04)
    span = 3 * np.hypot(*(np.array(county.bounds[2:]) - county.bounds[:2]))
    bearings = rng.uniform(0, np.pi) + np.array([0.0, rng.uniform(0.35, 0.65) * np.pi])
    d = np.column_stack([np.cos(bearings), np.sin(bearings)])
    through = _wavy(rng, main - span / 2 * d, main + span / 2 * d, 0.01)
    through = shapely.intersection(through, county)
    n_tree = len(tree_lines)
    numbers = rng.choice(np.arange(100, 400), size=2 + n_tree, replace=False)
    named = rng.random(n_tree) < 0.6
    names = [f"G{numbers[0]}国道", f"S{numbers[1]}省道"] + [
        f"X{n:03d}县道" if keep else "" for n, keep in zip(numbers[2:], named, strict=True)]
    highway = ["trunk", "primary"] + ["secondary"] * n_tree
    geoms = np.r_[through, tree_lines]
    return Street(geoms, np.full(len(geoms), "major", dtype=object),
                  np.array(highway, dtype=object), np.array(names, dtype=object))


def village_roads(
    rng: np.random.Generator, villages: np.ndarray, hubs: np.ndarray
) -> Street:
    """Minor roads: a minimum spanning tree over village clusters and the seats.

    Built over the Delaunay graph of the points (so it stays near-linear in size);
    links between two seats are left out, as arterials already join them.
    """
    pts = np.vstack([hubs, villages])
    n = len(pts)
    if n < 4:  # too few for a triangulation: every pair is a candidate link
        a, b = np.triu_indices(n, k=1)
    else:
        tri = Delaunay(pts)
        a = tri.simplices[:, [0, 1, 2]].ravel()
        b = tri.simplices[:, [1, 2, 0]].ravel()
    a, b = np.unique(np.column_stack([np.minimum(a, b), np.maximum(a, b)]), axis=0).T
    weight = np.hypot(*(pts[a] - pts[b]).T)
    graph = sparse.coo_matrix((weight, (a, b)), shape=(n, n))
    tree = csgraph.minimum_spanning_tree(graph.tocsr()).tocoo()
    local = (tree.row >= len(hubs)) | (tree.col >= len(hubs))
    lines = _wavy(rng, pts[tree.row[local]], pts[tree.col[local]], 0.03)
    k = len(lines)
    return Street(lines, np.full(k, "minor", dtype=object),
                  np.full(k, "unclassified", dtype=object), np.full(k, "", dtype=object))


def concat_streets(parts: list[Street]) -> Street:
    """One :class:`Street` of all ``parts``, multi-part lines split into LineStrings."""
    geoms = np.concatenate([p.geometry for p in parts])
    cols = [np.concatenate([getattr(p, c) for p in parts]) for c in ("cls", "highway", "name")]
    parts_, index = shapely.get_parts(geoms, return_index=True)
    keep = shapely.length(parts_) > 1.0
    return Street(parts_[keep], *(c[index][keep] for c in cols))
