"""Where buildings could stand: urban cores on a street grid, and villages along lanes.

Each settlement lays out candidate footprints on a lattice in its own rotated frame,
one footprint per lattice cell and small enough to fit its cell even when turned a
little, so candidates of one settlement never overlap. The generator later drops
candidates that clash with roads, water, boundaries or other settlements, and keeps a
quota of each kind, nearest the settlement centres first.

- Cores: blocks of 220 m by 180 m between local streets; apartment blocks in the
  centre, mixed low-rise (houses, shops, garages, offices) around them, an industrial
  zone in one sector of the city edge, school and hospital blocks, a few parks.
- Villages: houses and farm outbuildings in six rows along a lane crossed by
  another, 18 m apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from eapart.synthetic.footprints import GROUP_CODE, TYPE_CODE, Candidates
from eapart.synthetic.names import road_names

BLOCK = np.array([220.0, 180.0])
#: Buildings keep this far from the street at the edge of their block.
BLOCK_SETBACK = 9.0
HOUSE_PITCH = 18.0
#: Offsets of the six rows of a village from its lane.
VILLAGE_ROWS = np.array([-47.0, -30.0, -13.0, 13.0, 30.0, 47.0])


@dataclass(frozen=True)
class Layout:
    """How a block of one kind is filled: ``cols`` by ``rows`` cells of ``cell`` metres."""

    cols: int
    rows: int
    cell: tuple[float, float]


LAYOUTS = {
    "apartments": Layout(5, 4, (40.0, 40.0)),
    "mixed": Layout(8, 8, (25.0, 20.0)),
    "industrial": Layout(3, 3, (66.0, 53.0)),
    "school": Layout(2, 3, (100.0, 53.0)),
    "hospital": Layout(2, 3, (100.0, 53.0)),
    "barracks": Layout(2, 3, (100.0, 53.0)),
}

#: Types of the six buildings of an institutional compound, cell by cell.
COMPOUNDS = {
    "school": ("dormitory", "school", "school", "school", "school", "school"),
    "hospital": ("hospital", "hospital", "hospital", "dormitory", "hospital", "office"),
    "barracks": ("barracks", "barracks", "barracks", "barracks", "office", "barracks"),
}

#: Mixed blocks: types and their chances.
MIXED_TYPES = ("residential", "retail", "garage", "office", "warehouse")
MIXED_P = (0.62, 0.14, 0.12, 0.05, 0.07)
MIXED_GROUP = ("urban_low", "urban_other", "urban_other", "urban_other", "urban_other")


@dataclass
class Street:
    """Lines for the roads layer, with their ``class``, ``highway`` tag and ``name``."""

    geometry: np.ndarray
    cls: np.ndarray
    highway: np.ndarray
    name: np.ndarray


def to_world(geoms: np.ndarray, centre: np.ndarray, angle: float) -> np.ndarray:
    """Geometries drawn in a local frame, turned by ``angle`` and moved to ``centre``."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, s], [-s, c]])
    return shapely.transform(geoms, lambda xy: xy @ rot + centre)


def _cells(layout: Layout) -> np.ndarray:
    """Centres of a layout's cells relative to the block centre, row-major."""
    cu = (np.arange(layout.cols) - (layout.cols - 1) / 2) * layout.cell[0]
    cv = (np.arange(layout.rows) - (layout.rows - 1) / 2) * layout.cell[1]
    gu, gv = np.meshgrid(cu, cv)
    return np.column_stack([gu.ravel(), gv.ravel()])


def _spin(rng: np.random.Generator, n: int, share: float, limit: float) -> np.ndarray:
    """Small rotations for a ``share`` of ``n`` footprints, up to ``limit`` radians."""
    return np.where(rng.random(n) < share, rng.uniform(-limit, limit, n), 0.0)


def block_grid(radius: float, reach: float = 1.3) -> np.ndarray:
    """Centres (local frame) of the street blocks of a core, out to ``reach`` radii.

    Blocks sit at half-integer multiples of :data:`BLOCK` whatever the radius, so the
    grid of a core and the blocks its communities are made of line up exactly.
    """
    m = int(np.ceil(reach * radius / BLOCK.min())) + 1
    idx = np.arange(-m, m) + 0.5
    gu, gv = np.meshgrid(idx * BLOCK[0], idx * BLOCK[1])
    return np.column_stack([gu.ravel(), gv.ravel()])


def block_boxes(uv: np.ndarray, centre: np.ndarray, angle: float) -> np.ndarray:
    """World polygons of the blocks centred at local ``uv`` of a core's frame."""
    return to_world(_local_boxes(uv), centre, angle)


def _local_boxes(uv: np.ndarray) -> np.ndarray:
    """Rectangles of the blocks centred at ``uv``, in the core's own frame."""
    half = BLOCK / 2
    return shapely.box(uv[:, 0] - half[0], uv[:, 1] - half[1], uv[:, 0] + half[0],
                       uv[:, 1] + half[1])


def zone_blocks(
    rng: np.random.Generator, radius: float, city: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Block centres (local frame), their zone and their distance score.

    Zones: ``apartments`` near the centre, ``mixed`` around them, ``industrial`` in
    one sector of a city's edge, then a few blocks turned into schools, a hospital and
    parks. The edge is ragged: a noisy radius, not a circle.
    """
    uv = block_grid(radius)
    bearing = np.arctan2(uv[:, 1], uv[:, 0])
    p1, p2, ind = rng.uniform(0, 2 * np.pi, 3)
    d = np.hypot(*uv.T) / radius * (1 + 0.12 * np.sin(3 * bearing + p1)
                                    + 0.06 * np.sin(5 * bearing + p2))
    zone = np.full(len(uv), "", dtype=object)
    zone[d < 1.0] = "mixed"
    zone[d < (0.8 if city else 0.35)] = "apartments"
    if city:
        sector = np.abs(np.angle(np.exp(1j * (bearing - ind)))) < 0.6
        zone[sector & (d >= 0.75) & (d < 1.25)] = "industrial"
    built = np.flatnonzero(np.isin(zone, ("mixed", "apartments")))
    n_school = max(1, round(0.035 * len(built))) if city else int(len(built) >= 6)
    n_hospital = (1 + len(built) // 150) if city else 0
    n_park = round(0.05 * len(built))
    picks = rng.choice(built, size=min(len(built), n_school + n_hospital + n_park), replace=False)
    # The school nearest the centre comes first: its dormitory is the giant one.
    schools = picks[:n_school][np.argsort(d[picks[:n_school]])]
    zone[schools] = "school"
    zone[picks[n_school:n_school + n_hospital]] = "hospital"
    zone[picks[n_school + n_hospital:]] = ""
    keep = zone != ""
    order = np.argsort(d[keep], kind="stable")
    return uv[keep][order], zone[keep][order], d[keep][order]


def core(
    rng: np.random.Generator, centre: np.ndarray, radius: float, city: bool, main: bool,
    angle: float | None = None, tower_share: float = 0.004,
) -> tuple[Candidates, Street]:
    """Candidates and local streets of one urban core (a city or a town seat).

    ``angle`` turns the street grid (drawn at random when not given).
    """
    drawn = rng.uniform(-0.5, 0.5)
    angle = drawn if angle is None else angle
    uv, zone, dist = zone_blocks(rng, radius, city)
    parts = []
    for kind, layout in LAYOUTS.items():
        blocks = np.flatnonzero(zone == kind)
        if len(blocks) == 0:
            continue
        cells = _cells(layout)
        u = (uv[blocks, 0][:, None] + cells[None, :, 0]).ravel()
        v = (uv[blocks, 1][:, None] + cells[None, :, 1]).ravel()
        n = len(u)
        score = np.repeat(dist[blocks], len(cells)) + rng.uniform(0, 0.05, n)
        part = _fill(rng, kind, layout, n, len(cells))
        if kind == "school" and main and city:
            part["giant"] = np.zeros(n, bool)
            part["giant"][0] = True  # the first school's dormitory: a college hall
        if kind == "apartments":
            part["tower"] = rng.random(n) < tower_share
            if main:
                part["tower"][np.argmin(score)] = True
            part["group"] = np.where(part["tower"], GROUP_CODE["keep"], part["group"])
            part["length"] = np.where(part["tower"], part["depth"] + 8, part["length"])
            part["depth"] = np.where(part["tower"], part["depth"] + 8, part["depth"])
            part["lshape"] &= ~part["tower"]
        parts.append(Candidates.local(
            u, v, origin=np.broadcast_to(centre, (n, 2)), angle=np.full(n, angle),
            score=score, **part))
    return Candidates.concat(parts), _street_grid(rng, centre, angle, uv)


def _fill(rng: np.random.Generator, kind: str, layout: Layout, n: int, per_block: int) -> dict:
    """Footprint sizes, types and groups for ``n`` cells of blocks of ``kind``."""
    cu, cv = layout.cell
    if kind == "apartments":
        length, depth = rng.uniform(28, 44, n), rng.uniform(12, 16, n)
        lshape = rng.random(n) < 0.08
        depth = np.where(lshape, rng.uniform(22, 30, n), depth)
        types, groups = np.full(n, TYPE_CODE["apartments"]), np.full(n, GROUP_CODE["apartments"])
        spin = _spin(rng, n, 0.3, 0.1)
    elif kind == "mixed":
        t = rng.choice(len(MIXED_TYPES), size=n, p=MIXED_P)
        types = np.array([TYPE_CODE[k] for k in MIXED_TYPES])[t]
        groups = np.array([GROUP_CODE[g] for g in MIXED_GROUP])[t]
        small = np.where(types == TYPE_CODE["garage"], 0.55, 1.0)
        length, depth = rng.uniform(10, 20, n) * small, rng.uniform(8, 15, n) * small
        lshape = (rng.random(n) < 0.1) & (types == TYPE_CODE["residential"])
        spin = _spin(rng, n, 0.2, 0.085)
    elif kind == "industrial":
        types = np.where(rng.random(n) < 0.75, TYPE_CODE["industrial"], TYPE_CODE["warehouse"])
        groups = np.full(n, GROUP_CODE["industrial"])
        length, depth = rng.uniform(30, cu - 10, n), rng.uniform(20, cv - 11, n)
        lshape = rng.random(n) < 0.15
        spin = np.zeros(n)
    else:  # institutional compounds: six buildings each, all kept
        pattern = np.array([TYPE_CODE[k] for k in COMPOUNDS[kind]])
        types = np.tile(pattern, n // per_block)
        groups = np.full(n, GROUP_CODE["keep"])
        length, depth = rng.uniform(50, 80, n), rng.uniform(14, 22, n)
        lshape = rng.random(n) < 0.2
        depth = np.where(lshape, rng.uniform(30, 40, n), depth)
        spin = np.zeros(n)
    return dict(length=length, depth=depth, spin=spin, lshape=lshape,
                type_code=types, group=groups)


def _street_grid(
    rng: np.random.Generator, centre: np.ndarray, angle: float, uv: np.ndarray
) -> Street:
    """Local streets along the edges of the built blocks, clipped to them."""
    half = BLOCK / 2
    extent = shapely.union_all(_local_boxes(uv)).buffer(1.0, join_style="mitre")
    lo, hi = uv.min(axis=0) - half, uv.max(axis=0) + half
    us = np.arange(lo[0], hi[0] + 1, BLOCK[0])
    vs = np.arange(lo[1], hi[1] + 1, BLOCK[1])
    segs = np.concatenate([
        np.stack([np.column_stack([us, np.full_like(us, lo[1])]),
                  np.column_stack([us, np.full_like(us, hi[1])])], axis=1),
        np.stack([np.column_stack([np.full_like(vs, lo[0]), vs]),
                  np.column_stack([np.full_like(vs, hi[0]), vs])], axis=1),
    ])
    local = shapely.intersection(shapely.linestrings(segs), extent)
    world_lines = to_world(local[~shapely.is_empty(local)], centre, angle)
    n = len(world_lines)
    named = rng.random(n) < 0.5
    names = np.where(named, np.array(road_names(rng, n), dtype=object), "")
    return Street(world_lines, np.full(n, "minor", dtype=object),
                  np.full(n, "residential", dtype=object), names)


def village_clusters(
    rng: np.random.Generator, centres: np.ndarray, houses: np.ndarray, keep: bool = False
) -> tuple[Candidates, Street]:
    """Houses and outbuildings in six rows along a main lane, crossed by a side lane.

    ``houses[k]`` is the number of candidate cells wanted at ``centres[k]``; ``keep``
    puts every candidate in the kept group (the hamlet across the river).
    """
    per_row = np.maximum(2, np.ceil(houses / len(VILLAGE_ROWS))).astype(int)
    angle = rng.uniform(0, np.pi, len(centres))
    cluster = np.repeat(np.arange(len(centres)), per_row * len(VILLAGE_ROWS))
    start = np.repeat(np.cumsum(per_row * len(VILLAGE_ROWS)) - per_row * len(VILLAGE_ROWS),
                      per_row * len(VILLAGE_ROWS))
    k = np.arange(len(cluster)) - start
    m = per_row[cluster]
    col, row = k % m, k // m
    n = len(cluster)
    u = (col - (m - 1) / 2) * HOUSE_PITCH + rng.uniform(-1.2, 1.2, n)
    v = VILLAGE_ROWS[row]
    aux = (rng.random(n) < 0.15) & (not keep)
    aux_type = rng.choice([TYPE_CODE["shed"], TYPE_CODE["farm_auxiliary"], TYPE_CODE["garage"]], n)
    types = np.where(aux, aux_type, TYPE_CODE["house"])
    groups = np.where(aux, GROUP_CODE["rural_aux"], GROUP_CODE["keep" if keep else "house"])
    length = np.where(aux, rng.uniform(4, 8, n), rng.uniform(9, 13, n))
    depth = np.where(aux, rng.uniform(3, 6, n), rng.uniform(7, 10, n))
    lshape = ~aux & (rng.random(n) < 0.1)
    outer = np.abs(v) / VILLAGE_ROWS.max()
    score = (0.7 * np.abs(col - (m - 1) / 2) / (m / 2) + 0.3 * outer
             + 0.1 * rng.random(n))
    cands = Candidates.local(u, v, length, depth, _spin(rng, n, 0.4, 0.17),
                             origin=centres[cluster], angle=angle[cluster], lshape=lshape,
                             type_code=types, group=groups, score=score)
    half = (per_row / 2) * HOUSE_PITCH + 10
    zero = np.zeros_like(half)
    across = np.full_like(half, VILLAGE_ROWS.max() + 15)
    ends = np.concatenate([  # the main lane, then the side lane across it
        np.stack([np.column_stack([-half, zero]), np.column_stack([half, zero])], axis=1),
        np.stack([np.column_stack([zero, -across]), np.column_stack([zero, across])], axis=1)])
    c, s = np.tile(np.cos(angle), 2)[:, None], np.tile(np.sin(angle), 2)[:, None]
    origin = np.tile(centres, (2, 1))
    lanes = np.stack([origin[:, None, 0] + ends[..., 0] * c - ends[..., 1] * s,
                      origin[:, None, 1] + ends[..., 0] * s + ends[..., 1] * c], axis=-1)
    nl = len(lanes)
    return cands, Street(shapely.linestrings(lanes), np.full(nl, "minor", dtype=object),
                         np.full(nl, "track", dtype=object), np.full(nl, "", dtype=object))


def compound(
    rng: np.random.Generator, centre: np.ndarray, kind: str
) -> Candidates:
    """One institutional compound (e.g. barracks) of six buildings at ``centre``, all kept."""
    layout = LAYOUTS[kind]
    cells = _cells(layout)
    n = len(cells)
    part = _fill(rng, kind, layout, n, n)
    return Candidates.local(cells[:, 0], cells[:, 1], origin=np.broadcast_to(centre, (n, 2)),
                            angle=np.full(n, rng.uniform(0, np.pi)), score=np.zeros(n), **part)
