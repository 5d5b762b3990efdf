"""Redraw the small areas an edit touches, and nothing else.

The engine works township by township on cells (:mod:`eapart.partition.cells`);
an edit needs only the land of the small areas it touches. That land, the union of
their old polygons, is tessellated again around its buildings (the same blocks,
roads and footprints as the first run, and the old boundaries as block edges, so
that cells never straddle two old areas), each cell takes the area its buildings are
pinned to (an empty cell stays with the area it lay in), and only what an
edit asks to be cut again (a split, a new count for a census area) goes through
the partitioner, with pinned groups (the ``pinned`` argument of
:func:`eapart.partition.regions.split.partition`).
Everything outside the region is never touched: its polygons and codes come back
as they were, byte for byte. The region's outer boundary is the old one, and the
new polygons are snapped onto the old vertices along it, so the areas still tile.

Example::

    region = Region(township="200001001", codes=["200001001001001", ...],
                    polygons=..., buildings=frame_with_label_column)
    drawn = redraw(region, jobs, barriers, work_crs, band, seed)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import sparse

from eapart.domain import flags as q
from eapart.domain.rules import SizeBand
from eapart.partition.cells.dissolve import dissolve
from eapart.partition.cells.graph import MAJOR_BARRIERS, block_lines, build_graph
from eapart.partition.cells.tessellate import tessellate
from eapart.partition.regions.labels import make_one_piece, spread_labels
from eapart.partition.regions.split import partition
from eapart.partition.walk import cell_walk_numbers

#: Snap tolerance, in metres, that puts the new polygons' vertices back on the old
#: ones along the region's edge (reprojection and the engine's 10-micrometre grid
#: move them by far less).
SNAP_METRES = 1e-3

#: A major barrier runs through an area when more than this (metres) of it lies
#: between two of its cells (as in :mod:`eapart.partition.township`).
CROSSING_MIN_LENGTH = 1.0


@dataclass
class Job:
    """A re-cut the partitioner does inside the region.

    ``labels``: the current labels whose cells are cut again; ``k``: into how many
    parts; ``groups``: building-id groups pinned one to a part (split along groups);
    ``edit``: the id of the edit that asked for it. The parts get labels
    ``f"{edit}#{i}"``.
    """

    edit: str
    labels: list[str]
    k: int
    groups: list[list[str]] = field(default_factory=list)


@dataclass
class Drawn:
    """The region redrawn: labels, their polygons (output CRS) and what went wrong.

    ``label_of``: final label per building id of the region; ``polygons``:
    ``{label: Polygon}``; ``in_pieces``: labels whose buildings lie in several
    pieces (an edit that must be refused); ``crossed``: labels a major barrier
    runs through; ``cell_ca_moved``: census areas whose land changed;
    ``walk_number``: per building id, its place on the walk of its new area (as a
    run numbers it, through the redrawn cells).
    """

    label_of: pd.Series
    polygons: dict[str, object]
    in_pieces: list[str]
    crossed: set[str]
    job_parts: dict[str, list[str]] = field(default_factory=dict)
    job_errors: dict[str, str] = field(default_factory=dict)
    walk_number: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64))


@dataclass
class Region:
    """The land of one township that is redrawn.

    ``codes``: the old small areas whose land it is; ``polygons``: their polygons
    (output CRS), same order; ``buildings``: ``building_id``, ``label`` (where
    each building goes), the measure column and geometry (output CRS).
    """

    township: str
    codes: list[str]
    polygons: np.ndarray
    buildings: gpd.GeoDataFrame


def redraw(region: Region, jobs: list[Job], barriers: gpd.GeoDataFrame,
           work_crs: pyproj.CRS, band: SizeBand, seed: int = 0) -> Drawn:
    """Tessellate the region, pin its buildings, run the jobs, dissolve and snap."""
    out_crs = region.buildings.crs
    old = gpd.GeoSeries(region.polygons, crs=out_crs).to_crs(work_crs).to_numpy()
    outline = shapely.union_all(old)
    b = region.buildings.reset_index(drop=True)
    geoms = b.geometry.to_crs(work_crs).to_numpy()
    near = barriers[barriers.intersects(shapely.buffer(outline, 1.0))]
    lines, codes = block_lines(near)
    # The old boundaries enclose blocks too: land stays with its area unless a
    # building pinned elsewhere takes its own cell across.
    old_edges = shapely.boundary(old)
    tess = tessellate(outline, geoms, np.concatenate([lines, old_edges]))
    graph = build_graph(tess, lines, codes)
    values = np.nan_to_num(b[band.measure].to_numpy(dtype=float))
    weight = np.bincount(tess.building_cell, values, minlength=tess.n_cells)

    names = sorted(set(b["label"]) | set(region.codes))
    index = {n: i for i, n in enumerate(names)}
    successor = b.groupby("old")["label"].agg(lambda s: s.value_counts().index[0])
    heir = [index[successor.get(c, c)] for c in region.codes]
    cell_label = _pin_cells(tess, b["label"].map(index).to_numpy(), old, heir, graph)
    job_parts: dict[str, list[str]] = {}
    job_errors: dict[str, str] = {}
    for job in jobs:
        try:
            cell_label, names, parts = _run_job(job, cell_label, names, tess, graph, weight,
                                                b, band, seed)
        except ValueError as exc:
            job_errors[job.edit] = f"cannot cut it so: {exc}"
            continue
        job_parts[job.edit] = parts
    area = shapely.area(tess.cells)
    has_b = np.bincount(tess.building_cell, minlength=tess.n_cells) > 0
    # Stray pieces of empty land join a neighbour; cells with buildings keep their pin.
    joined = make_one_piece(graph.edges, graph.shared_length, cell_label,
                            has_b.astype(float) + weight, area)
    cell_label = np.where(has_b, cell_label, joined)
    used = np.unique(cell_label)
    geoms_work = dissolve(tess.cells, np.searchsorted(used, cell_label), len(used))
    in_pieces = _labels_in_pieces(geoms_work, used, tess.building_xy,
                                  cell_label[tess.building_cell], names)
    back = gpd.GeoSeries(geoms_work, crs=work_crs).to_crs(out_crs).to_numpy()
    back = _snap(back, region.polygons, out_crs)
    polygons = {names[u]: g for u, g in zip(used, back, strict=True)}
    label_of = pd.Series([names[i] for i in cell_label[tess.building_cell]],
                         index=b["building_id"].to_numpy())
    walk = cell_walk_numbers(tess.building_xy, tess.building_cell, graph.edges, graph.barrier,
                             cell_label)
    return Drawn(label_of=label_of, polygons=polygons, in_pieces=in_pieces,
                 crossed=_crossed(graph, cell_label, names), job_parts=job_parts,
                 job_errors=job_errors,
                 walk_number=pd.Series(walk, index=b["building_id"].to_numpy()))


def _pin_cells(tess, building_label: np.ndarray, old: np.ndarray, old_label: list[int],
               graph) -> np.ndarray:
    """Label per cell: its buildings' label; an empty cell goes with its old area.

    ``old_label``: per old polygon, the label that took most of its buildings (its
    own while it keeps any); land of an area whose buildings all left the map
    goes to the neighbour it shares most boundary with.
    """
    n = tess.n_cells
    cell = np.full(n, -1, dtype=np.int64)
    # Buildings sharing a cell (coincident points): the highest label wins, deterministically.
    order = np.lexsort((building_label, tess.building_cell))
    cell[tess.building_cell[order]] = building_label[order]
    alive = np.unique(building_label)
    empty = np.flatnonzero(cell < 0)
    if len(empty):
        sites = shapely.points(tess.cell_site[empty])
        tree = shapely.STRtree(old)
        pt, poly = tree.query(sites, predicate="within")
        lab = np.asarray(old_label, dtype=np.int64)[poly]
        ok = np.isin(lab, alive)
        cell[empty[pt[ok]]] = lab[ok]
    filled = spread_labels(graph.edges, graph.shared_length, cell)
    return np.where(filled < 0, 0, filled)


def _run_job(job: Job, cell_label, names, tess, graph, weight, b, band: SizeBand, seed: int):
    """Cut the cells of ``job.labels`` into ``job.k`` parts; returns new labels and names."""
    ids = [names.index(lab) for lab in job.labels if lab in names]
    cells = np.flatnonzero(np.isin(cell_label, ids))
    if len(cells) == 0:
        return cell_label, names, []
    local = {c: i for i, c in enumerate(cells)}
    e = graph.edges
    inside = np.isin(e[:, 0], cells) & np.isin(e[:, 1], cells)
    a = np.array([local[x] for x in e[inside, 0]], dtype=np.int64)
    c = np.array([local[x] for x in e[inside, 1]], dtype=np.int64)
    cost = graph.cut_cost()[inside]
    adj = sparse.csr_array((np.r_[cost, cost], (np.r_[a, c], np.r_[c, a])),
                           shape=(len(cells), len(cells)))
    pinned = {}
    if job.groups:
        cell_of = dict(zip(b["building_id"], tess.building_cell, strict=True))
        for g, group in enumerate(job.groups):
            for bid in group:
                if cell_of.get(bid) in local:
                    pinned[local[cell_of[bid]]] = g
    k = min(job.k, len(cells))
    labels = partition(adj, weight[cells], k, pinned=pinned or None, seed=seed,
                       band=(band.min_size, band.max_size))
    # The partitioner may make more parts than asked (a building above the maximum
    # stands alone): one label each.
    parts = [f"{job.edit}#{i + 1}" for i in range(int(labels.max()) + 1)]
    first = len(names)
    out = cell_label.copy()
    out[cells] = first + labels
    return out, names + parts, parts


def _labels_in_pieces(geoms, used, building_xy, building_label, names) -> list[str]:
    """Labels whose polygon is in several parts with buildings in more than one."""
    out = []
    for g, lab in zip(geoms, used, strict=True):
        if shapely.get_type_id(g) != 6:
            continue
        parts = shapely.get_parts(g)
        points = shapely.points(building_xy[building_label == lab])
        holding = [shapely.intersects(p, points).any() for p in parts]
        if sum(holding) > 1:
            out.append(names[lab])
    return out


def _crossed(graph, cell_label, names) -> set[str]:
    """Labels that a major road, river or railway runs through."""
    e = graph.edges
    inner = cell_label[e[:, 0]] == cell_label[e[:, 1]]
    major = inner & np.isin(graph.barrier, MAJOR_BARRIERS)
    length = np.bincount(cell_label[e[major, 0]], graph.shared_length[major],
                         minlength=len(names))
    return {names[i] for i in np.flatnonzero(length > CROSSING_MIN_LENGTH)}


def _snap(geoms: np.ndarray, old: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Snap the new polygons onto the old polygons' vertices along the region's edge."""
    tolerance = SNAP_METRES if not crs.is_geographic else SNAP_METRES / 111_000.0
    reference = shapely.union_all(shapely.boundary(np.asarray(old, dtype=object)))
    snapped = shapely.snap(np.asarray(geoms, dtype=object), reference, tolerance)
    bad = ~shapely.is_valid(snapped)
    snapped[bad] = shapely.make_valid(snapped[bad])
    return snapped


def area_flags(sizes: float, n_buildings: int, heaviest: float, band: SizeBand,
               crossed: bool, kept: str, one_piece: bool) -> str:
    """The flags of a redrawn small area (``kept``: flags of its own kind it had before)."""
    flags = [f for f in kept.split(",") if f in (q.INSTITUTION, q.UNDERSIZE_ISOLATED)]
    if n_buildings == 0:
        flags.append(q.NO_BUILDINGS)
    if heaviest > band.max_size:
        flags.append(q.OVERSIZE_BUILDING)
    elif sizes > band.max_size:
        flags.append(q.OVERSIZE)
    if n_buildings and sizes < band.min_size and q.UNDERSIZE_ISOLATED not in flags \
            and q.INSTITUTION not in flags:
        flags.append(q.UNDERSIZE)
    if crossed:
        flags.append(q.CROSSES_MAJOR_ROAD)
    if not one_piece:
        flags.append(q.NOT_ONE_PIECE)
    return q.join_flags(flags)
