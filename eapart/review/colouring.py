"""Colour areas so that no two neighbours share a colour.

Neighbours are areas whose polygons touch (an edge or a corner) or come within a
small tolerance of each other, found in one vectorised STRtree query; the colouring
is networkx's greedy colouring of that graph (largest degree first), which needs
few colours on the near-planar graphs that tilings give.
"""

from __future__ import annotations

import colorsys

import networkx as nx
import numpy as np
import shapely

#: Fill colours for small areas: light, distinct, none of them the red used for flags.
PALETTE: tuple[str, ...] = (
    "#8dd3c7", "#ffed6f", "#bebada", "#80b1d3", "#fdb462", "#b3de69",
    "#fccde5", "#bc80bd", "#ccebc5", "#d9d9d9", "#a6cee3", "#e5c494",
)


def touching_pairs(geoms: np.ndarray, tolerance: float = 0.0) -> np.ndarray:
    """Index pairs ``(i, j)``, ``i < j``, of geometries within ``tolerance`` of each other.

    ``geoms`` should be in a metric CRS when ``tolerance`` is positive. Returns an
    integer array of shape ``(n_pairs, 2)``.
    """
    geoms = np.asarray(geoms, dtype=object)
    tree = shapely.STRtree(geoms)
    if tolerance > 0:
        pairs = tree.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        pairs = tree.query(geoms, predicate="intersects")
    left, right = pairs
    keep = left < right
    return np.column_stack([left[keep], right[keep]])


def neighbour_graph(geoms: np.ndarray, tolerance: float = 0.0) -> nx.Graph:
    """Graph with one node per geometry (its position) and an edge per touching pair."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    graph.add_edges_from(touching_pairs(geoms, tolerance).tolist())
    return graph


def colour_indices(geoms: np.ndarray, tolerance: float = 0.0) -> np.ndarray:
    """A colour number per geometry such that no two touching geometries share one.

    >>> import shapely
    >>> squares = [shapely.box(x, 0, x + 1, 1) for x in range(3)]
    >>> colour_indices(squares).tolist()
    [1, 0, 1]
    """
    if len(geoms) == 0:
        return np.zeros(0, dtype=np.int64)
    colours = nx.greedy_color(neighbour_graph(geoms, tolerance), strategy="largest_first")
    return np.array([colours[i] for i in range(len(geoms))], dtype=np.int64)


def palette_for(n_colours: int) -> list[str]:
    """At least ``n_colours`` distinct fill colours, :data:`PALETTE` first."""
    colours = list(PALETTE)
    extra = n_colours - len(colours)
    for k in range(max(0, extra)):
        hue = (k * 0.618034) % 1.0
        r, g, b = _hsv_to_rgb(hue, 0.35, 0.95)
        colours.append(f"#{r:02x}{g:02x}{b:02x}")
    return colours


def _hsv_to_rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    return tuple(int(round(c * 255)) for c in colorsys.hsv_to_rgb(h, s, v))
