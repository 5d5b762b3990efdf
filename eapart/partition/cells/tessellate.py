"""Blocks and cells: the pieces a township is cut from.

Blocks ("enclosures") are the faces that the township boundary and the barrier
lines (roads, rail, water, and village boundaries when given) enclose: they tile
the township exactly. Cells are a Voronoi diagram of one point per building,
computed block by block, so that every cell lies inside one block and the cells
of a block tile it. Where a footprint pokes out of its cell (a long terrace, a
hall beside small houses), it is seeded along its outline too, so that cells, and
the areas drawn along them, go round footprints instead of through them
(:func:`follow_footprints`). A block that holds no building is a cell of its own,
with no building, and so is any piece of a Voronoi cell cut off from its building
by a concave block outline; so the cells tile the township whole (no gap, no
overlap) and land with no buildings can be absorbed into whichever area is next
to it.

Buildings whose points coincide (to the centimetre) share one cell: a Voronoi
diagram cannot separate them, and nothing on the ground would either.

Robust by construction, so that no GEOS topology error reaches a user: blocks are
noded by snap-rounding on a fixed grid (:mod:`.precision`), and blocks thinner
than :data:`SLIVER_WIDTH` (a village edge drawn a hair off its road) join a
neighbour; Voronoi cells are replaced by their convex hull before clipping (the
same convex cell, minus the self-crossing hairs that cocircular sites leave);
the cells are then rounded onto the grid and their edges matched up in numpy
(:mod:`.grid_coverage`) so that neighbours share vertices, and every piece left is
kept. Only where that does not give a clean coverage are the cells cleaned by GEOS
coverage cleaning, and only if GEOS still rejected them would they be snapped to a
coarser grid (:data:`FALLBACK_GRIDS`), and the township's notes say so.
``bench/robustness.py`` runs every township of many counties to check it.

Example::

    tess = tessellate(task.geometry, task.buildings.geometry.values, lines)
    tess.cells[tess.building_cell[0]]   # the cell of the first building
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.errors import GEOSException

from eapart.partition.cells.boxes import points_in_boxes
from eapart.partition.cells.convex import plainly_convex
from eapart.partition.cells.dissolve import dissolve
from eapart.partition.cells.grid_coverage import snap_coverage
from eapart.partition.cells.precision import GRID, linework, polygon_parts
from eapart.partition.cells.shared_edges import cell_segments, match_segments
from eapart.partition.regions.labels import absorb_empty

#: Barrier ranks whose lines enclose blocks. Paths and tracks do not: people
#: cross them without noticing, and they would shatter blocks into slivers.
BLOCK_RANKS: tuple[str, ...] = ("major", "minor")

#: Points closer than this (metres) are one Voronoi site.
SITE_GRID = 0.01

#: Blocks thinner than this (metres; twice the area over the perimeter, which is the
#: width of a strip) are slivers between lines drawn almost on top of each other.
#: Equal to the graph's tolerance for a boundary running along a barrier, so a
#: sliver merged into its neighbour leaves a block edge that still counts as the barrier.
SLIVER_WIDTH = 0.01

#: Coarser grids (metres) that cells are snapped to, in turn, in the rare township
#: whose cells GEOS coverage cleaning still rejects (see :func:`clean_coverage`).
FALLBACK_GRIDS: tuple[float, ...] = (GRID, 0.001, 0.01)

#: A footprint with more than this share of its area outside its one-point Voronoi
#: cell (a long terrace, a factory hall next to small houses) gets a cell that
#: follows its outline: the areas' boundaries would otherwise cut through it.
POKE_SHARE = 0.01
#: Spacing (metres) of the extra sites along such a footprint's outline, widened so
#: that no footprint gets more than :data:`MAX_OUTLINE_SITES` of them.
OUTLINE_SPACING = 2.0
MAX_OUTLINE_SITES = 256
#: How far (metres) inside the outline the extra sites sit, so that the cell
#: boundary between two footprints sharing a wall runs along the wall.
OUTLINE_INSET = 0.2
#: Largest shift (metres) that breaks the cocircular ties of evenly spaced outline sites.
OUTLINE_JITTER = 0.001

#: Largest relative shortfall of a block's clipped cells against the block's area
#: before the block is clipped again on the grid (see :func:`_clip`).
CLIP_TOLERANCE = 1e-9

#: How the township's notes begin when :data:`FALLBACK_GRIDS` had to be used.
FALLBACK_NOTE = "cells snapped to a"


@dataclass
class Tessellation:
    """Cells tiling one township, and how buildings map onto them.

    - ``blocks``: block polygons (faces enclosed by boundary and barriers).
    - ``cells``: cell polygons; each lies in one block and the cells tile the township.
    - ``cell_block``: block index of each cell.
    - ``cell_site``: the point (x, y) each cell grew from; for a block with no
      building, a point on its surface.
    - ``cell_has_building``: True when at least one building lies in the cell.
    - ``building_cell``: cell index of each building, in input order.
    - ``building_xy``: the point of each building the cells grew from, (n, 2).
    - ``outline``: the township polygon the cells tile, on the :data:`GRID`
      (``None`` when unknown).
    - ``repairs``: what had to be done beyond the usual to make the cells tile
      (empty almost always); the engine reports it in the township's notes.
    """

    blocks: np.ndarray
    cells: np.ndarray
    cell_block: np.ndarray
    cell_site: np.ndarray
    cell_has_building: np.ndarray
    building_cell: np.ndarray
    building_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    outline: object = None
    repairs: list[str] = field(default_factory=list)

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return len(self.cells)


def barrier_lines(geoms: np.ndarray) -> np.ndarray:
    """Line geometries of barriers: polygons (lakes, wide rivers) give their outlines."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return geoms
    geoms = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    dim = shapely.get_dimensions(geoms)
    return np.where(dim == 2, shapely.boundary(geoms), geoms)


def snap_outline(boundary: object) -> object:
    """The township polygon on the :data:`GRID`: what its blocks and cells tile exactly."""
    return shapely.make_valid(shapely.set_precision(boundary, GRID))


def make_blocks(boundary: object, lines: np.ndarray) -> np.ndarray:
    """Faces that the township ``boundary`` and the barrier ``lines`` enclose.

    Only faces inside the township are kept; together they tile it. ``lines`` may
    run outside the township (faces outside it are dropped), may dangle (dead ends enclose
    nothing and are ignored) and may be of any type (polygons give their rings).
    All lines are noded by snap-rounding onto the :data:`GRID`: robust whatever
    the input, and lines that run within a hair of each other (a village boundary
    along a road) merge instead of enclosing zero-area slivers. The faces are
    returned on the grid; pass the same ``boundary`` through :func:`snap_outline`
    to get the polygon they tile.
    """
    outline = snap_outline(boundary)
    # No need to clip the lines first: the outline's rings are noded with them, so
    # every face lies wholly inside or wholly outside the township.
    noded = shapely.union_all(
        np.concatenate([linework([outline]), linework(lines)]), grid_size=GRID
    )
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    if len(faces) == 0:
        return polygon_parts([outline])
    # Prepared once: unprepared, GEOS would walk the whole outline for every face.
    shapely.prepare(outline)
    inside = shapely.contains_properly(outline, shapely.point_on_surface(faces))
    faces = faces[inside & (shapely.area(faces) > 0)]
    if len(faces) == 0:
        return polygon_parts([outline])
    return merge_slivers(faces)


def merge_slivers(blocks: np.ndarray) -> np.ndarray:
    """Merge every block thinner than :data:`SLIVER_WIDTH` into a neighbouring block.

    A village boundary digitised a few micrometres off the road it follows encloses
    a strip of nothing between them; the grid keeps it (it is wider than a grid
    step), but its cells come out a hair wide and GEOS coverage cleaning rejects
    them. Each sliver joins the block it shares the longest boundary with (lower
    index on a tie), so the result is deterministic and still tiles the township.
    ``blocks`` must share identical edges (faces of one polygonize do).
    """
    thin = 2.0 * shapely.area(blocks) < SLIVER_WIDTH * shapely.length(blocks)
    if not thin.any() or thin.all():
        return blocks
    match = match_segments(cell_segments(blocks), len(blocks))
    labels = absorb_empty(match.edges, match.shared_length, np.arange(len(blocks)), ~thin)
    used, labels = np.unique(labels, return_inverse=True)
    return dissolve(blocks, labels.reshape(-1), len(used))


def building_points(geoms: np.ndarray) -> np.ndarray:
    """One (x, y) point per building: a point on its footprint (or the point itself)."""
    pts = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    return shapely.get_coordinates(pts).reshape(-1, 2)


def locate_points(xy: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """Index of the block holding each point; a point outside all blocks goes to the nearest.

    A point on the line between two blocks goes to the block with the lower index,
    so the answer is deterministic. Each block, prepared once, tests the points in
    its bounding box (:func:`.boxes.points_in_boxes`) as plain coordinates: no
    Point geometry is made for a point that lies in a block.
    """
    n = len(xy)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return out
    block_idx, point_idx = points_in_boxes(xy, shapely.bounds(blocks))
    shapely.prepare(blocks)
    hit = shapely.intersects_xy(blocks[block_idx], xy[point_idx, 0], xy[point_idx, 1])
    # The pairs come block by block: a point's first is its lowest block.
    located, first = np.unique(point_idx[hit], return_index=True)
    out[located] = block_idx[hit][first]
    missing = np.flatnonzero(out < 0)
    if len(missing):
        q_idx, nb_idx = shapely.STRtree(blocks).query_nearest(
            shapely.points(xy[missing]), all_matches=False
        )
        out[missing[q_idx]] = nb_idx
    return out


def merge_sites(xy: np.ndarray, block: np.ndarray, grid: float = SITE_GRID):
    """Merge points that coincide on a ``grid`` (metres) within a block into one site.

    Returns ``(site_xy, site_block, point_site)``: the site coordinates (the first
    point of each group), the block of each site, and the site of each point. Sites
    are ordered by block, then by position, so the result does not depend on the
    input order of coinciding points beyond which one gives the coordinates.
    """
    if len(xy) == 0:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first, inverse = _first_of_each_site(xy, block, grid)
    return xy[first], block[first], inverse


def _first_of_each_site(xy: np.ndarray, block: np.ndarray, grid: float = SITE_GRID):
    """Index of the first point of each site (ordered by block, then position), and
    the site of every point: points within ``grid`` of each other in a block are one."""
    key = np.column_stack([block, np.round(xy / grid).astype(np.int64)])
    # A stable lexicographic sort of the rows: what np.unique(axis=0) does, without
    # its slow structured-array path (several times faster on 10,000s of points).
    order = np.lexsort(key.T[::-1])
    ordered = key[order]
    new = np.ones(len(key), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(key), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def _voronoi_in_blocks(site_xy: np.ndarray, site_block: np.ndarray, blocks: np.ndarray):
    """Voronoi cells of the sites, one diagram per block, each cell clipped to its block.

    Sites on a regular grid are cocircular: GEOS then puts Voronoi vertices a
    floating-point hair apart, and a cell's ring may cross itself within that hair
    (an invalid polygon that makes the clipping overlay raise "side location
    conflict"). A Voronoi cell is convex, so its convex hull is the same cell with
    those hairs removed: valid by construction, at the cost of one cheap
    vectorised call, before it is clipped.
    """
    cells, multi = _raw_cells(site_xy, site_block, blocks)
    cells[multi] = _clip(cells[multi], blocks[site_block[multi]], site_block[multi])
    return cells


def _raw_cells(site_xy: np.ndarray, site_block: np.ndarray, blocks: np.ndarray,
               hull: bool = True):
    """Unclipped Voronoi cells per block, and which sites share their block.

    The only site of a block gets the block itself. Sites must be sorted by block
    (:func:`merge_sites` does it), so each block's sites are contiguous and the
    diagrams' cells (``ordered=True``) come back in site order. ``hull``: replace
    each cell by its convex hull (see :func:`_voronoi_in_blocks`); without it the
    cells keep the diagram's shared vertices, which a coverage union needs.
    """
    n = len(site_xy)
    cells = np.empty(n, dtype=object)
    counts = np.bincount(site_block, minlength=len(blocks))
    multi = counts[site_block] > 1
    cells[~multi] = blocks[site_block[~multi]]
    multi_blocks = np.flatnonzero(counts > 1)
    if len(multi_blocks) == 0:
        return cells, multi
    multi_sites = np.flatnonzero(multi)
    _, group = np.unique(site_block[multi_sites], return_inverse=True)
    # Each block's sites as one LineString (2+ sites): GEOS takes a diagram's sites
    # and their order from its coordinates alike, so the diagram is the same as of
    # a MultiPoint, built without a Point geometry per site.
    site_lines = shapely.linestrings(site_xy[multi_sites], indices=group)
    env = shapely.envelope(blocks[multi_blocks])
    size = np.sqrt(np.maximum(shapely.area(env), 1.0))
    extend = shapely.buffer(env, size, join_style="mitre")
    diagrams = shapely.voronoi_polygons(site_lines, extend_to=extend, ordered=True)
    raw = shapely.get_parts(diagrams)
    if hull:
        raw = shapely.convex_hull(raw)
    else:  # only the cells that came out crossed: their hull is the same cell
        # Nearly all are plainly convex, which numpy tells for less than GEOS's check.
        bad = np.flatnonzero(~plainly_convex(raw))
        bad = bad[~shapely.is_valid(raw[bad])]
        raw[bad] = shapely.convex_hull(raw[bad])
    cells[multi_sites] = raw
    return cells, multi


def _clip(cells: np.ndarray, block_of_cell: np.ndarray, block_id: np.ndarray) -> np.ndarray:
    """Each cell intersected with its block; cells wholly inside it are kept as they are.

    The containment test runs on prepared blocks and is far cheaper than the
    overlay, which only the cells crossing a block's outline need. ``block_id``
    names each cell's block: the cells of one block must tile it, so their areas
    must add up to the block's. GEOS's floating-point overlay now and then returns a
    hair where a whole piece belongs (measured on a real town: 530 m2 around a
    building came back as 6e-10 m2, a gap holding the building); the cells of a
    block whose areas fall short are clipped again snap-rounded onto the
    :data:`GRID`, which is robust.
    """
    shapely.prepare(block_of_cell)
    inside = shapely.contains_properly(block_of_cell, cells)
    out = cells.copy()
    cross = ~inside
    out[cross] = shapely.intersection(cells[cross], block_of_cell[cross])
    ids, first, local = np.unique(block_id, return_index=True, return_inverse=True)
    local = local.reshape(-1)
    got = np.bincount(local, shapely.area(out), minlength=len(ids))
    want = shapely.area(block_of_cell[first])
    short = np.flatnonzero(got < want * (1 - CLIP_TOLERANCE))
    if len(short):
        again = np.flatnonzero(np.isin(local, short) & cross)
        out[again] = shapely.intersection(cells[again], block_of_cell[again], grid_size=GRID)
    return out


def follow_footprints(
    cells: np.ndarray,
    site_xy: np.ndarray,
    site_block: np.ndarray,
    footprints: np.ndarray,
    footprint_site: np.ndarray,
) -> np.ndarray:
    """Recut the cells around footprints that poke out of their site's cell.

    One point per building gives each building the land nearest that point, so a
    long or large footprint beside small ones pokes into its neighbours' cells and
    an area boundary drawn along the cells would cut it. Such a footprint is seeded
    along its outline too (morphological tessellation, as momepy does, but only
    where needed), and so are the footprints of the cells it reaches into: left with
    one point each, they would lose land to the new outline sites and poke out in
    turn (on the generated county every one of them does, on Kotka two in five).
    The land of all those cells is shared again among their seeds, each site's
    pieces dissolved into its cell, in one pass: the cells of no other site change,
    so no other footprint can start to poke out. Returns the new cells.
    """
    polygonal = np.isin(shapely.get_type_id(footprints), (3, 6)) & (shapely.area(footprints) > 0)
    footprints, footprint_site = footprints[polygonal], footprint_site[polygonal]
    if len(footprints) == 0:
        return cells
    poking = _poking_sites(cells, footprints, footprint_site, len(site_xy))
    if not poking.any():
        return cells
    redo = _touched_sites(cells, site_block, footprints, footprint_site, poking)
    cells = cells.copy()
    cells[redo] = _outline_cells(cells, site_xy, site_block, footprints, footprint_site, redo)
    return cells


def _touched_sites(cells, site_block, footprints, footprint_site, poking) -> np.ndarray:
    """Sites whose cells the footprints of ``poking`` sites reach into, and those sites."""
    mine = np.flatnonzero(poking[footprint_site])
    fp, cell = shapely.STRtree(cells).query(footprints[mine], predicate="intersects")
    same_block = site_block[cell] == site_block[footprint_site[mine[fp]]]
    redo = poking.copy()
    redo[cell[same_block]] = True
    return redo


def _poking_sites(cells, footprints, footprint_site, n_sites: int) -> np.ndarray:
    """Per site, True when one of its footprints lies partly (over POKE_SHARE)
    outside its cell."""
    own = cells[footprint_site]
    check = np.flatnonzero(~(shapely.is_missing(own) | shapely.is_empty(own)))
    # Nearly every footprint lies properly inside its cell, which GEOS tells faster
    # than whether the cell covers it; only the rest need the full test.
    check = check[~shapely.contains_properly(own[check], footprints[check])]
    check = check[~shapely.covers(own[check], footprints[check])]
    out = np.zeros(n_sites, dtype=bool)
    if len(check) == 0:
        return out
    area = shapely.area(footprints[check])
    own = cells[footprint_site[check]]
    outside = area - shapely.area(shapely.intersection(footprints[check], own))
    out[footprint_site[check[outside > POKE_SHARE * area]]] = True
    return out


def _outline_cells(cells, site_xy, site_block, footprints, footprint_site, redo):
    """New cells of the sites ``redo``, over the land their cells cover now.

    Seeds: every such site's point, and points along the outlines of its
    footprints. The new cells are drawn over the union of the old ones, block by
    block, so the cells of other sites do not change and the tiling holds.
    """
    sites = np.flatnonzero(redo)
    mine = redo[footprint_site]
    seed_xy, seed_fp = _outline_points(footprints[mine])
    seed_site = footprint_site[mine][seed_fp]
    hole_id, site_hole = np.unique(site_block[sites], return_inverse=True)
    holes = dissolve(cells[sites], site_hole.reshape(-1), len(hole_id))
    local = np.searchsorted(sites, seed_site)
    # Each hole is tested against hundreds of seeds: prepared once, not once a seed.
    shapely.prepare(holes)
    inside = shapely.contains_xy(holes[site_hole[local]], seed_xy[:, 0], seed_xy[:, 1])
    # Each site's own point first, so that it is kept where an outline point coincides.
    xy = np.concatenate([site_xy[sites], seed_xy[inside]])
    owner = np.concatenate([np.arange(len(sites)), local[inside]])
    order, _ = _first_of_each_site(xy, site_hole[owner])
    raw, _ = _raw_cells(xy[order], site_hole[owner][order], holes, hull=False)
    # One union per site of its pieces, then one clip per site, not one per point.
    merged = dissolve(raw, owner[order], len(sites))
    return _clip(merged, holes[site_hole], site_hole)


def _outline_points(footprints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points along each footprint's outer rings, a little inside; (xy, footprint index)."""
    inset = shapely.buffer(footprints, -OUTLINE_INSET)
    gone = shapely.is_empty(inset) | (shapely.area(inset) <= 0)
    shapes = np.where(gone, footprints, inset)
    parts, part_of = polygon_parts(shapes, return_index=True)
    rings = shapely.get_exterior_ring(parts)
    spacing = np.maximum(OUTLINE_SPACING, shapely.length(rings) / MAX_OUTLINE_SITES)
    dense = shapely.segmentize(rings, spacing)
    xy, ring = shapely.get_coordinates(dense, return_index=True)
    # A ring's last point repeats its first.
    last = np.r_[ring[1:] != ring[:-1], True]
    xy, ring = xy[~last], ring[~last]
    return xy + _jitter(xy), part_of[ring]


def _jitter(xy: np.ndarray) -> np.ndarray:
    """A shift of at most :data:`OUTLINE_JITTER` per point, a function of the point alone.

    Points spaced evenly along straight walls are cocircular by the hundred, and
    GEOS then leaves Voronoi cells whose rings cross themselves within a hair; a
    millimetre's deterministic shake breaks the ties. The shift is an integer hash
    (splitmix64) of the point on a 0.1 mm grid: same point, same shift, in any order
    and on any machine (no floating-point library call in between).
    """
    key = np.round(xy / 1e-4).astype(np.int64).view(np.uint64)
    with np.errstate(over="ignore"):
        z = key[:, 0] * np.uint64(0x9E3779B97F4A7C15) + key[:, 1]
        out = np.empty_like(xy)
        for axis in (0, 1):
            z = z + np.uint64(0x9E3779B97F4A7C15)
            h = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            h = h ^ (h >> np.uint64(31))
            out[:, axis] = (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return (out - 0.5) * 2.0 * OUTLINE_JITTER


def _split_pieces(cells: np.ndarray, cell_xy: np.ndarray):
    """Split clipped cells into the piece that holds each site and the pieces left over.

    Clipping a Voronoi cell to a concave block can leave it in several pieces. The
    piece nearest the site (the one holding it) stays the site's cell; the others
    are returned as ``(orphans, orphan_owner)``: land with no building, which the
    caller keeps as cells of their own so that the tiling stays whole and every
    cell is one polygon. A cell with no polygon left becomes ``None``. Whole
    single polygons, nearly all cells, pass through untouched.
    """
    if len(cells) == 0:
        return cells, cells, np.zeros(0, dtype=np.int64)
    whole = (shapely.get_type_id(cells) == 3) & (shapely.area(cells) > 0)
    if whole.all():
        return cells, cells[:0], np.zeros(0, dtype=np.int64)
    main = np.where(whole, cells, None)
    split = np.flatnonzero(~whole)
    parts, owner = polygon_parts(cells[split], return_index=True)
    if len(parts) == 0:
        return main, parts, np.zeros(0, dtype=np.int64)
    owner = split[owner]
    dist = shapely.distance(parts, shapely.points(cell_xy[owner]))
    order = np.lexsort((dist, owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]]
    keep = np.zeros(len(parts), dtype=bool)
    keep[order[first]] = True
    main[owner[keep]] = parts[keep]
    return main, parts[~keep], owner[~keep]


def clean_coverage(cells: np.ndarray, outline: object = None) -> tuple[np.ndarray, str | None]:
    """Make neighbouring cells share identical vertices along their common edges.

    Given the ``outline`` the cells tile, they are first rounded onto the
    :data:`GRID` and matched up in numpy (:func:`.grid_coverage.snap_coverage`),
    several times faster than GEOS; only when that does not give a clean coverage
    of the outline are they cleaned by GEOS as follows.

    Cells clipped from different blocks meet along the same line but carry
    different vertices on it; GEOS coverage cleaning snaps them together (moving
    nothing by more than a hair), so that shared boundaries measure exactly and
    :func:`shapely.coverage_union` can dissolve cells quickly and safely. Slivers
    thinner than the snapping distance come back empty (their hair of area went to
    a neighbour); a cell whose narrow neck closed comes back as a MultiPolygon,
    which the caller splits (:func:`_split_pieces`).

    Returns ``(cells, repair)``. Should GEOS still reject the cells (it has not on
    any county measured by ``bench/robustness.py``), they are snapped to the grids
    of :data:`FALLBACK_GRIDS` in turn and cleaned again; ``repair`` then says which
    grid it took (else ``None``). Cells that a coarse grid collapses come back
    empty, and their buildings go to the nearest cell (:func:`_drop_empty`).
    """
    cells = np.asarray(cells, dtype=object)
    present = np.flatnonzero(~(shapely.is_missing(cells) | shapely.is_empty(cells)))
    if len(present) < 2:
        return cells, None
    if outline is not None:
        snapped = snap_coverage(cells[present], outline)
        if snapped is not None:
            return _put_back(cells, present, snapped), None
    try:
        return _put_back(cells, present, shapely.coverage_clean(cells[present])), None
    except GEOSException as error:
        last = error
    for grid in FALLBACK_GRIDS:
        try:
            cleaned = shapely.coverage_clean(shapely.set_precision(cells[present], grid))
        except GEOSException as error:
            last = error
            continue
        note = f"{FALLBACK_NOTE} {grid * 1000:g} mm grid before coverage cleaning ({last})"
        return _put_back(cells, present, cleaned), note
    raise last


def _put_back(cells: np.ndarray, present: np.ndarray, cleaned: np.ndarray) -> np.ndarray:
    """``cells`` with the cleaned polygons written back at the indices they came from.

    GEOS coverage cleaning (shapely 2.2 / GEOS 3.14) drops missing entries and
    shifts every later polygon up by one, so it is only ever given present
    polygons, and its answer is put back by index: a missing or empty cell stays
    missing, and no cell ever takes its neighbour's polygon.
    """
    if len(cleaned) != len(present):
        raise AssertionError(
            f"coverage cleaning returned {len(cleaned)} polygons for {len(present)} cells"
        )
    out = cells.copy()
    out[present] = cleaned
    return out


def _surface_xy(geoms: np.ndarray) -> np.ndarray:
    """(n, 2) coordinates of a point on the surface of each geometry."""
    return shapely.get_coordinates(shapely.point_on_surface(geoms)).reshape(-1, 2)


def _drop_empty(
    cells: np.ndarray, building_cell: np.ndarray, xy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Remove empty cells; buildings of a removed cell go to the nearest remaining cell.

    Returns the mask of kept cells and the new cell index of each building.
    """
    keep = ~(shapely.is_empty(cells) | shapely.is_missing(cells))
    new_index = np.cumsum(keep) - 1
    out = new_index[building_cell]
    lost = np.flatnonzero(~keep[building_cell])
    if len(lost):
        kept = np.flatnonzero(keep)
        q_idx, c_idx = shapely.STRtree(cells[kept]).query_nearest(
            shapely.points(xy[lost]), all_matches=False
        )
        out[lost[q_idx]] = c_idx
    return keep, out


def tessellate(
    boundary: object,
    building_geoms: np.ndarray,
    lines: np.ndarray | None = None,
) -> Tessellation:
    """Cut the township ``boundary`` into blocks and cells around the buildings.

    ``building_geoms``: footprints (Polygon/MultiPolygon) or points, in input order.
    ``lines``: barrier lines (and village boundaries) that enclose blocks; choose
    which ranks to pass with :data:`BLOCK_RANKS`.
    """
    lines = np.zeros(0, dtype=object) if lines is None else np.asarray(lines, dtype=object)
    outline = snap_outline(boundary)
    blocks = make_blocks(outline, lines)
    xy = building_points(building_geoms)
    point_block = locate_points(xy, blocks)
    site_xy, site_block, building_site = merge_sites(xy, point_block)
    site_cells = _voronoi_in_blocks(site_xy, site_block, blocks)
    geoms = np.asarray(building_geoms, dtype=object)
    site_cells = follow_footprints(site_cells, site_xy, site_block, geoms, building_site)
    site_cells, orphans, orphan_owner = _split_pieces(site_cells, site_xy)
    empty_blocks = np.setdiff1d(np.arange(len(blocks)), site_block)
    empty = np.concatenate([orphans, blocks[empty_blocks]])
    cell_xy = np.concatenate([site_xy, _surface_xy(empty)])
    cell_block = np.concatenate([site_block, site_block[orphan_owner], empty_blocks])
    cells, repair = clean_coverage(np.concatenate([site_cells, empty]), outline)
    # Cleaning may close a narrow neck and leave a cell in pieces: the piece by its
    # site stays the cell, the others become cells of their own (no area is lost).
    cells, crumbs, crumb_owner = _split_pieces(cells, cell_xy)
    cells = np.concatenate([cells, crumbs])
    cell_xy = np.concatenate([cell_xy, _surface_xy(crumbs)])
    cell_block = np.concatenate([cell_block, cell_block[crumb_owner]])
    keep, building_cell = _drop_empty(cells, building_site, xy)
    has_building = np.zeros(len(cells), dtype=bool)
    has_building[np.flatnonzero(keep)[building_cell]] = True
    return Tessellation(
        blocks=blocks,
        cells=cells[keep],
        cell_block=cell_block[keep].astype(np.int64),
        cell_site=cell_xy[keep],
        cell_has_building=has_building[keep],
        building_cell=building_cell.astype(np.int64),
        building_xy=xy,
        outline=outline,
        repairs=[] if repair is None else [repair],
    )
