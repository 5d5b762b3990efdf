"""Balance again after an enclave's corridor has pushed areas out of the band.

:func:`eapart.partition.regions.labels.open_enclaves` gives an enclosed small area a
corridor of its host's cells out to a third area. Where every way out runs through
households (a ring of village houses round a hamlet), the cheapest corridor can still
carry dozens of them: on the bundled sample one took 33 households from a host of 73,
leaving it at 39 and the former enclave at 106, two areas out of the band where there
were none. The two share a long boundary, so single boundary moves between them
(:func:`eapart.partition.regions.band_repair.repair_band`) bring both back, with the
corridor's own cells held where they are so the way out stays open.

The result is kept only when more of the areas concerned lie inside the band and no
area is left enclosed that was not before; otherwise the corridor stands as it was.
"""

from __future__ import annotations

import numpy as np

from eapart.partition.cells.graph import CellGraph, major_edges_among
from eapart.partition.regions.band import Band
from eapart.partition.regions.band_repair import repair_band
from eapart.partition.regions.labels import enclaves


def rebalance_corridors(
    graph: CellGraph,
    before: np.ndarray,
    after: np.ndarray,
    weight: np.ndarray,
    band: Band,
    part_group: np.ndarray,
    frozen: np.ndarray,
) -> np.ndarray:
    """Labels ``after`` corridors were opened, with the areas they unbalanced repaired.

    ``before``/``after``: per cell, the small area before and after
    :func:`open_enclaves`; ``part_group``: per small area, its census area (moves stay
    inside it, and never cross a major barrier); ``frozen``: per small area, True for
    areas that must not change (institutions, isolated groups). Returns ``after``
    unchanged when no corridor cost a small area its place in the band, or when the
    repair does not win one back.
    """
    moved = before != after
    if not moved.any():
        return after
    parts = np.unique(np.r_[before[moved], after[moved]])
    inside_after = _inside(after, weight, band, parts)
    if frozen[parts].any() or inside_after >= _inside(before, weight, band, parts):
        return after
    cells = np.flatnonzero(np.isin(after, parts))
    local = np.searchsorted(parts, after[cells])
    repaired = repair_band(
        graph.adjacency[cells][:, cells], weight[cells], local, band.lo, band.hi,
        movable=~moved[cells], blocked=major_edges_among(graph, cells),
        group=part_group[parts][local], recombine_rounds=0,
    )
    trial = after.copy()
    trial[cells] = parts[repaired]
    if _inside(trial, weight, band, parts) <= inside_after:
        return after
    n_labels = int(after.max()) + 1
    if (enclaves(graph.edges, trial, graph.outer_length, n_labels).sum()
            > enclaves(graph.edges, after, graph.outer_length, n_labels).sum()):
        return after
    return trial


def _inside(labels: np.ndarray, weight: np.ndarray, band: Band, parts: np.ndarray) -> int:
    """How many of ``parts`` have a weight inside the band."""
    part_weight = np.bincount(labels, weight, minlength=int(parts.max()) + 1)
    return int(band.inside(part_weight[parts]).sum())

