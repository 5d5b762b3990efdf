"""Cut one township into census areas and small areas: the engine's entry point.

:func:`partition_township` takes a :class:`~eapart.partition.model.TownshipTask`
and returns a :class:`~eapart.partition.model.TownshipResult`:

1. tessellate the township into cells around buildings, clipped to blocks that
   roads, rail, water (and village boundaries) enclose (:mod:`.tessellate`);
2. build the cell graph with cut costs (:mod:`.graph`);
3. census areas: the villages when given (each a single piece; gaps between them
   go to their neighbours), else a balanced partition of the township's cells;
4. small areas inside each census area: institutions and isolated groups kept
   apart, the rest cut by :func:`eapart.partition.regions.split.partition` into parts
   near the target; land with no buildings joins a neighbour;
5. dissolve cells into polygons, number areas in serpentine order, flag what is
   wrong (:mod:`.quality`).

Cells tile the township, every area is a union of whole cells, and every area's
cells are connected through shared edges: so areas tile their parent, one piece
each, by construction. The same task and seed give the same result.
"""

from __future__ import annotations

from time import perf_counter

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from eapart.domain import flags as fl
from eapart.domain.codes import number_in_order
from eapart.domain.rules import SMALL_AREAS_PER_CENSUS_AREA
from eapart.domain.schema import (
    CENSUS_AREA_CODE,
    MEASURES,
    SMALL_AREA_CODE,
    TOWNSHIP_CODE,
    WALK_NUMBER,
)
from eapart.errors import InputError, UsageError, list_ids
from eapart.partition import quality as q
from eapart.partition.ceiling import band_ceiling
from eapart.partition.cells.dissolve import dissolve
from eapart.partition.cells.graph import (
    BARRIER_NAMES,
    MAJOR_BARRIERS,
    CellGraph,
    block_lines,
    build_graph,
)
from eapart.partition.cells.invariants import check_township
from eapart.partition.cells.tessellate import Tessellation, barrier_lines, tessellate
from eapart.partition.model import PartitionParams, TownshipResult, TownshipTask
from eapart.partition.regions import split as regions
from eapart.partition.regions.labels import (
    components,
    enclaves,
    make_one_piece,
    open_enclaves,
    pair_lengths,
    spread_labels,
)
from eapart.partition.regions.shares import share
from eapart.partition.regions.small_areas import cut_small_areas
from eapart.partition.walk import cell_walk_numbers

#: A major barrier runs through a small area when more than this (metres) of it
#: lies between two of the area's cells.
CROSSING_MIN_LENGTH = 1.0
#: A barrier closer than this (metres) to an area's outline runs along it, not through it.
RIM_WIDTH = 0.05
#: Width (metres) of the cut a major line makes through a small area when telling
#: whether households lie on two sides of it (see :func:`split_by_lines`).
SPLIT_WIDTH = 0.002


def partition_township(task: TownshipTask) -> TownshipResult:
    """Cut ``task``'s township into census areas and small areas (see module docstring)."""
    params = task.params
    values, households, persons = _building_values(task)
    seconds: dict[str, float] = {}
    clock = perf_counter()

    lines, codes = block_lines(task.barriers, task.geometry)
    village_lines = _village_lines(task.villages)
    tess = tessellate(
        task.geometry, task.buildings.geometry.to_numpy(), np.concatenate([lines, village_lines])
    )
    seconds["tessellate"], clock = perf_counter() - clock, perf_counter()
    graph = build_graph(tess, lines, codes)
    seconds["graph"], clock = perf_counter() - clock, perf_counter()

    cell_weight = np.bincount(tess.building_cell, values, minlength=tess.n_cells)
    cell_area = shapely.area(tess.cells)
    notes: list[str] = list(tess.repairs)
    inst_cell = _institution_cells(task, tess)
    if task.villages is not None:
        ca_of_cell, ca_codes, ca_names = _village_census_areas(
            task, tess, graph, cell_weight, cell_area, notes
        )
        n_ca = int(ca_of_cell.max()) + 1 if len(ca_of_cell) else 0
        sa_of_cell, sa_ca, sa_kind = _small_areas(
            graph, tess, cell_weight, cell_area, inst_cell, ca_of_cell, n_ca, params
        )
    else:
        ca_of_cell, sa_of_cell, sa_ca, sa_kind = _formed_hierarchy(
            graph, tess, cell_weight, inst_cell, params
        )
        n_ca = int(sa_ca.max()) + 1 if len(sa_ca) else 0
        ca_codes, ca_names = None, None
    seconds["partition"], clock = perf_counter() - clock, perf_counter()

    ca_geoms = dissolve(tess.cells, ca_of_cell, n_ca)
    sa_geoms = dissolve(tess.cells, sa_of_cell, len(sa_ca))
    seconds["dissolve"], clock = perf_counter() - clock, perf_counter()
    b_sa = sa_of_cell[tess.building_cell]
    check_township(
        task.township_code,
        task.buildings["building_id"].to_numpy(),
        tess.building_xy,
        {
            "cell": (tess.cells, tess.building_cell),
            "small area": (sa_geoms, b_sa),
            "census area": (ca_geoms, ca_of_cell[tess.building_cell]),
        },
        tess.cells,
        tess.outline,
    )
    seconds["check"], clock = perf_counter() - clock, perf_counter()

    if ca_codes is None:
        ca_codes = _number(task.township_code, ca_geoms)
        ca_names = [f"{task.name} 普查区 {c[-3:]}" for c in ca_codes]
    sa_codes = np.empty(len(sa_ca), dtype=object)
    for c in range(n_ca):
        members = np.flatnonzero(sa_ca == c)
        sa_codes[members] = _number(ca_codes[c], sa_geoms[members])

    n_sa = len(sa_ca)
    sa_values = np.bincount(b_sa, values, minlength=n_sa)
    sa_flags = _flags(task, tess, graph, values, sa_of_cell, sa_values, sa_kind, sa_geoms, params,
                      barrier_lines(lines[np.isin(codes, MAJOR_BARRIERS)]))
    small = gpd.GeoDataFrame(
        {
            SMALL_AREA_CODE: pd.array(sa_codes.astype(str), dtype="string"),
            CENSUS_AREA_CODE: pd.array(np.asarray(ca_codes, dtype=object)[sa_ca].astype(str),
                                         dtype="string"),
            TOWNSHIP_CODE: task.township_code,
            "households": np.bincount(b_sa, households, minlength=n_sa),
            "persons": np.bincount(b_sa, persons, minlength=n_sa),
            "buildings": np.bincount(b_sa, minlength=n_sa).astype(np.int64),
            "flags": sa_flags,
        },
        geometry=sa_geoms,
        crs=task.crs,
    )
    small = small.sort_values(SMALL_AREA_CODE, kind="stable").reset_index(drop=True)
    census = _census_table(task, ca_codes, ca_names, ca_geoms, ca_of_cell, sa_ca, tess,
                           households, persons)
    assignment = pd.DataFrame(
        {
            "building_id": task.buildings["building_id"].to_numpy(),
            CENSUS_AREA_CODE: np.asarray(ca_codes, dtype=object)[ca_of_cell[tess.building_cell]],
            SMALL_AREA_CODE: sa_codes[b_sa],
            WALK_NUMBER: _walk_numbers(tess, graph, sa_of_cell),
        }
    )
    metrics = township_metrics(small, graph, sa_of_cell, params, seconds)
    band_group = ca_of_cell if task.villages is not None else np.zeros(tess.n_cells, np.int64)
    metrics["ceiling_small_areas"] = band_ceiling(
        graph, cell_weight, band_group, sa_of_cell, sa_kind, params
    )
    metrics["cells"] = int(tess.n_cells)
    metrics["blocks"] = int(len(tess.blocks))
    return TownshipResult(
        township_code=task.township_code,
        assignment=assignment,
        small_areas=small,
        census_areas=census,
        metrics=metrics,
        notes=notes,
    )


def _walk_numbers(tess: Tessellation, graph: CellGraph, sa_of_cell: np.ndarray) -> np.ndarray:
    """Each building's place on the walking route of its small area
    (:func:`eapart.partition.walk.cell_walk_numbers`: the blocks from the cell graph,
    nothing polygonized again), from the points the cells grew from, in the work CRS.

    Done here, township by township over the workers, rather than once more for the
    whole county after assembly.
    """
    return cell_walk_numbers(tess.building_xy, tess.building_cell, graph.edges, graph.barrier,
                             sa_of_cell)


# --- inputs -------------------------------------------------------------------------------


def _building_values(task: TownshipTask) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The balanced measure, households and persons per building, checked."""
    params = task.params
    b = task.buildings
    if params.measure not in MEASURES:
        raise UsageError(
            f"measure must be one of {', '.join(MEASURES)}, got {params.measure!r}: "
            "choose households or persons"
        )
    for column in ("building_id", params.measure):
        if column not in b.columns:
            raise InputError(
                f"township {task.township_code}: buildings have no column {column!r}; "
                "map it from the input or estimate it before partitioning"
            )
    geoms = b.geometry.to_numpy()
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        raise InputError(
            f"township {task.township_code}: buildings with no geometry: "
            f"{list_ids(b['building_id'].to_numpy()[bad])}; repair or drop them"
        )
    values = np.nan_to_num(b[params.measure].to_numpy(dtype=float))
    if (values < 0).any():
        raise InputError(
            f"township {task.township_code}: negative {params.measure} in buildings "
            f"{list_ids(b['building_id'].to_numpy()[values < 0])}; fix the column"
        )
    households = (
        np.nan_to_num(b["households"].to_numpy(dtype=float)) if "households" in b else values
    )
    persons = (
        np.nan_to_num(b["persons"].to_numpy(dtype=float)) if "persons" in b
        else np.zeros(len(b))
    )
    return values, households, persons


def _village_lines(villages: gpd.GeoDataFrame | None) -> np.ndarray:
    """Village outlines, so that blocks never straddle two villages."""
    if villages is None or len(villages) == 0:
        return np.zeros(0, dtype=object)
    return shapely.boundary(villages.geometry.to_numpy())


def _institution_cells(task: TownshipTask, tess: Tessellation) -> np.ndarray:
    """Per cell, True when it holds a building whose type is an institution type."""
    types = task.params.institution_types
    if not types or "type" not in task.buildings.columns:
        return np.zeros(tess.n_cells, dtype=bool)
    is_inst = task.buildings["type"].astype("string").isin(list(types)).to_numpy(dtype=bool)
    return np.bincount(tess.building_cell, is_inst, minlength=tess.n_cells) > 0


# --- census areas -------------------------------------------------------------------------


def _village_census_areas(
    task: TownshipTask,
    tess: Tessellation,
    graph: CellGraph,
    cell_weight: np.ndarray,
    cell_area: np.ndarray,
    notes: list[str],
) -> tuple[np.ndarray, list[str], list[str]]:
    """Census areas from villages: each block goes to the village holding it.

    Gaps between villages go to the neighbour they share most boundary with; a
    village in several pieces keeps its heaviest piece and the others join their
    neighbours (noted). Villages with no land left are noted and dropped.
    """
    villages = task.villages
    v_geoms = villages.geometry.to_numpy()
    block_pt = shapely.point_on_surface(tess.blocks)
    b_idx, v_idx = shapely.STRtree(v_geoms).query(block_pt, predicate="intersects")
    block_village = np.full(len(tess.blocks), -1, dtype=np.int64)
    order = np.lexsort((v_idx, b_idx))
    first = np.r_[True, b_idx[order][1:] != b_idx[order][:-1]] if len(order) else []
    block_village[b_idx[order][first]] = v_idx[order][first]
    labels = block_village[tess.cell_block]
    labels = spread_labels(graph.edges, graph.shared_length, labels)
    if (labels < 0).any():
        # No village anywhere in reach (a separate piece of the township): nearest village.
        lost = np.flatnonzero(labels < 0)
        i_idx, v_near = shapely.STRtree(v_geoms).query_nearest(
            shapely.points(tess.cell_site[lost]), all_matches=False
        )
        labels[lost[i_idx]] = v_near
        notes.append(f"{len(lost)} cells outside every village joined the nearest village")
    before = np.bincount(labels[tess.building_cell], minlength=len(villages))
    labels = make_one_piece(graph.edges, graph.shared_length, labels, cell_weight, cell_area)
    after = np.bincount(labels[tess.building_cell], minlength=len(villages))
    codes = villages[CENSUS_AREA_CODE].astype(str).to_numpy()
    names = villages["name"].astype(str).to_numpy() if "name" in villages else codes
    for v in np.flatnonzero(after < before):
        notes.append(
            f"village {codes[v]} ({names[v]}) is in several pieces: {before[v] - after[v]} "
            "buildings of its smaller pieces joined the neighbouring census areas"
        )
    present = np.unique(labels)
    for v in np.setdiff1d(np.arange(len(villages)), present):
        notes.append(
            f"village {codes[v]} ({names[v]}) has no land of its own in township "
            f"{task.township_code} (covered by other villages): no census area"
        )
    compact = np.searchsorted(present, labels)
    return compact, list(codes[present]), list(names[present])


def census_area_count(total: float, params: PartitionParams) -> int:
    """Number of census areas the tool forms when no villages are given."""
    if params.n_census_areas:
        return int(params.n_census_areas)
    if params.census_area_target:
        return regions.parts_for(total, params.census_area_target)
    if params.n_small_areas:
        return max(1, round(params.n_small_areas / SMALL_AREAS_PER_CENSUS_AREA))
    return regions.parts_for(total, params.target * SMALL_AREAS_PER_CENSUS_AREA)


def _formed_hierarchy(
    graph: CellGraph,
    tess: Tessellation,
    cell_weight: np.ndarray,
    inst_cell: np.ndarray,
    params: PartitionParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Small areas over the whole township, then census areas as groups of them.

    Cutting small areas first balances them against the target township-wide (no
    census-area total to round to a whole number of parts); grouping them after
    into connected census areas of about equal weight, cheapest along barriers,
    keeps the nesting exact; a census area enclosed by another is opened by a
    corridor of the host's lightest small areas. Returns census area per cell,
    small area per cell, census area per small area and the kind of each small area.
    """
    has_building = np.bincount(tess.building_cell, minlength=tess.n_cells) > 0
    shares = None if params.n_small_areas is None else np.array([params.n_small_areas])
    sa_of_cell, _, kinds = cut_small_areas(
        graph, np.zeros(tess.n_cells, dtype=np.int64), cell_weight, has_building, inst_cell,
        params, shares,
    )
    n_sa = len(kinds)
    a, b, cost = pair_lengths(graph.edges, graph.cut_cost(), sa_of_cell)
    sa_adj = sparse.csr_array((cost, (a, b)), shape=(n_sa, n_sa))
    sa_weight = np.bincount(sa_of_cell, cell_weight, minlength=n_sa)
    sa_xy = np.column_stack([
        np.bincount(sa_of_cell, tess.cell_site[:, i] * shapely.area(tess.cells), minlength=n_sa)
        for i in (0, 1)
    ]) / np.bincount(sa_of_cell, shapely.area(tess.cells), minlength=n_sa)[:, None]
    k = min(census_area_count(float(cell_weight.sum()), params), n_sa)
    sa_ca = regions.partition(sa_adj, sa_weight, k, seed=params.seed, positions=sa_xy)
    # A census area wholly inside another gets a corridor of whole small areas out.
    up = a < b
    sa_ca = open_enclaves(
        np.column_stack([a[up], b[up]]), sa_ca, sa_weight,
        np.bincount(sa_of_cell, graph.outer_length, minlength=n_sa),
    )
    return sa_ca[sa_of_cell], sa_of_cell, sa_ca, kinds


# --- small areas --------------------------------------------------------------------------


def _small_areas(
    graph: CellGraph,
    tess: Tessellation,
    cell_weight: np.ndarray,
    cell_area: np.ndarray,
    inst_cell: np.ndarray,
    ca_of_cell: np.ndarray,
    n_ca: int,
    params: PartitionParams,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Small-area label per cell (township-wide), census area and kind of each label."""
    ca_totals = np.bincount(ca_of_cell, cell_weight, minlength=n_ca)
    shares = share(params.n_small_areas, ca_totals) if params.n_small_areas else None
    has_building = np.bincount(tess.building_cell, minlength=tess.n_cells) > 0
    sa_of_cell, sa_ca, kinds = cut_small_areas(
        graph, ca_of_cell, cell_weight, has_building, inst_cell, params, shares
    )
    return sa_of_cell, sa_ca, kinds


# --- numbering, flags, tables -------------------------------------------------------------


def _number(prefix: str, geoms: np.ndarray) -> list[str]:
    """Codes ``prefix + 001...`` in serpentine order of the areas' representative points."""
    if len(geoms) == 0:
        return []
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms)).reshape(-1, 2)
    return number_in_order(prefix, xy[:, 0], xy[:, 1])


def _flags(
    task: TownshipTask,
    tess: Tessellation,
    graph: CellGraph,
    values: np.ndarray,
    sa_of_cell: np.ndarray,
    sa_values: np.ndarray,
    sa_kind: list[str],
    sa_geoms: np.ndarray,
    params: PartitionParams,
    major_lines: np.ndarray,
) -> list[str]:
    """The comma-separated flags of each small area."""
    n_sa = len(sa_kind)
    b_sa = sa_of_cell[tess.building_cell]
    n_buildings = np.bincount(b_sa, minlength=n_sa)
    heavy = np.bincount(b_sa, values > params.max_size, minlength=n_sa) > 0
    enclave = enclaves(graph.edges, sa_of_cell, graph.outer_length, n_sa)
    single = shapely.get_type_id(sa_geoms) == 3
    cell_weight = np.bincount(tess.building_cell, values, minlength=tess.n_cells)
    both_sides, crossed = crossings(graph, sa_of_cell, cell_weight, n_sa)
    crossed |= line_inside(sa_geoms, major_lines) > CROSSING_MIN_LENGTH
    weighted = values > 0
    both_sides = split_by_lines(sa_geoms, major_lines, both_sides,
                                tess.building_xy[weighted], b_sa[weighted])
    out = []
    for i in range(n_sa):
        f = [sa_kind[i]] if sa_kind[i] else []
        if n_buildings[i] == 0:
            f.append(fl.NO_BUILDINGS)
        if heavy[i]:
            f.append(fl.OVERSIZE_BUILDING)
        elif sa_values[i] > params.max_size:
            f.append(fl.OVERSIZE)
        if (
            n_buildings[i] > 0
            and sa_values[i] < params.min_size
            and sa_kind[i] not in (fl.UNDERSIZE_ISOLATED, fl.INSTITUTION)
        ):
            f.append(fl.UNDERSIZE)
        if both_sides[i] and sa_kind[i] != fl.JOINED_ACROSS_BARRIER:
            f.append(fl.CROSSES_MAJOR_ROAD)
        elif crossed[i]:
            f.append(fl.LAND_ACROSS_MAJOR_ROAD)
        if enclave[i]:
            f.append(fl.ENCLAVE)
        if not single[i]:
            f.append(fl.NOT_ONE_PIECE)
        out.append(fl.join_flags(f))
    return out


def crossings(graph: CellGraph, sa_of_cell: np.ndarray, cell_weight: np.ndarray,
              n_sa: int) -> tuple[np.ndarray, np.ndarray]:
    """Per small area: households on two or more sides of a major barrier, and crossed at all.

    The sides of an area are its cells connected without crossing a major road,
    river or railway; households lie on both sides when two sides hold weight.
    Crossed: more than :data:`CROSSING_MIN_LENGTH` of a major barrier between two
    of its cells.
    """
    e = graph.edges
    inner = sa_of_cell[e[:, 0]] == sa_of_cell[e[:, 1]]
    major = np.isin(graph.barrier, MAJOR_BARRIERS)
    on_major = inner & major
    crossed = np.bincount(sa_of_cell[e[on_major, 0]], graph.shared_length[on_major],
                          minlength=n_sa) > CROSSING_MIN_LENGTH
    side = components(graph.n, e, inner & ~major)
    side_weight = np.bincount(side, cell_weight, minlength=graph.n)
    sides, first = np.unique(side, return_index=True)
    weighted = side_weight[sides] > 0
    per_sa = np.bincount(sa_of_cell[first[weighted]], minlength=n_sa)
    return (per_sa >= 2) & crossed, crossed


def split_by_lines(geoms: np.ndarray, lines: np.ndarray, candidates: np.ndarray,
                   xy: np.ndarray, area_of_point: np.ndarray) -> np.ndarray:
    """Which ``candidates`` the ``lines`` really cut into pieces holding points ``xy``.

    Cells on two sides of a road may still be one walk apart round the road's end;
    only when the major lines cut the area's polygon into two or more faces that
    each hold a household (``xy`` with its area in ``area_of_point``) are there
    households on both sides. The lines cut :data:`SPLIT_WIDTH` wide, so that a road
    meeting the outline a few micrometres short of it (or past it) splits the area
    all the same: noding the lines with the outline and polygonizing left such an
    area whole, and it was flagged as empty land across a road.
    """
    out = np.zeros(len(geoms), dtype=bool)
    tree = shapely.STRtree(lines) if len(lines) else None
    for a in np.flatnonzero(candidates).tolist():
        if tree is None:
            break
        near = tree.query(geoms[a], predicate="intersects")
        cut = shapely.buffer(shapely.union_all(shapely.intersection(lines[near], geoms[a])),
                             SPLIT_WIDTH / 2)
        faces = shapely.get_parts(shapely.difference(geoms[a], cut))
        mine = area_of_point == a
        if len(faces) < 2 or not mine.any():
            continue
        held = shapely.STRtree(faces).query(shapely.points(xy[mine]), predicate="intersects")[1]
        out[a] = len(np.unique(held)) >= 2
    return out


def line_inside(geoms: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Metres of ``lines`` inside each polygon, leaving out what runs along its outline.

    Measured from geometry, so it sees what the cell edges miss: a major road that
    ends inside an area (a dead end too far from anything to be closed).
    """
    out = np.zeros(len(geoms))
    if len(lines) == 0 or len(geoms) == 0:
        return out
    g_idx, l_idx = shapely.STRtree(lines).query(geoms, predicate="intersects")
    if len(g_idx) == 0:
        return out
    rim = shapely.buffer(shapely.boundary(geoms[g_idx]), RIM_WIDTH)
    inside = shapely.difference(shapely.intersection(lines[l_idx], geoms[g_idx]), rim)
    return np.bincount(g_idx, shapely.length(inside), minlength=len(geoms))


def _census_table(
    task: TownshipTask,
    ca_codes: list[str],
    ca_names: list[str],
    ca_geoms: np.ndarray,
    ca_of_cell: np.ndarray,
    sa_ca: np.ndarray,
    tess: Tessellation,
    households: np.ndarray,
    persons: np.ndarray,
) -> gpd.GeoDataFrame:
    """One row per census area, sorted by code."""
    n_ca = len(ca_codes)
    b_ca = ca_of_cell[tess.building_cell]
    table = gpd.GeoDataFrame(
        {
            CENSUS_AREA_CODE: pd.array(list(ca_codes), dtype="string"),
            TOWNSHIP_CODE: task.township_code,
            "name": pd.array(list(ca_names), dtype="string"),
            "households": np.bincount(b_ca, households, minlength=n_ca),
            "persons": np.bincount(b_ca, persons, minlength=n_ca),
            "small_areas": np.bincount(sa_ca, minlength=n_ca).astype(np.int64),
            "buildings": np.bincount(b_ca, minlength=n_ca).astype(np.int64),
        },
        geometry=ca_geoms,
        crs=task.crs,
    )
    return table.sort_values(CENSUS_AREA_CODE, kind="stable").reset_index(drop=True)


def township_metrics(
    small: gpd.GeoDataFrame,
    graph: CellGraph,
    sa_of_cell: np.ndarray,
    params: PartitionParams,
    seconds: dict[str, float],
) -> dict:
    """The township's section of the quality report."""
    sizes = small[params.measure].to_numpy(dtype=float)
    target = params.target
    if params.n_small_areas and len(sizes):
        target = float(sizes.sum() / len(sizes))
    pp = q.polsby_popper(small.geometry.to_numpy())
    lengths = q.boundary_lengths(
        graph.edges, graph.shared_length, graph.barrier, sa_of_cell, BARRIER_NAMES
    )
    return {
        "small_areas": int(len(small)),
        "buildings": int(small["buildings"].sum()),
        params.measure: float(sizes.sum()),
        "flags": fl.flag_counts(small["flags"].to_numpy(dtype=object)),
        "size": q.size_summary(sizes, target),
        "polsby_popper_mean": float(pp.mean()) if len(pp) else 0.0,
        "polsby_popper_median": float(np.median(pp)) if len(pp) else 0.0,
        "boundary_length_m": lengths,
        "barrier_boundary_share": q.barrier_share(lengths),
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
    }


__all__ = ["partition_township", "census_area_count", "township_metrics"]
