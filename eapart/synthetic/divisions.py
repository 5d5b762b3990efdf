"""Villages and townships that tile the synthetic county exactly, with their codes.

Rural village-level units are Voronoi cells of seed points; urban communities are
unions of street blocks, so their edges follow streets. Both are noded together with
the county outline and polygonized, so neighbouring villages share the very same
edges. Townships are grown over the village adjacency graph from their seats (a
multi-source shortest-path forest), so each township is one connected union of whole
villages: townships tile the county and villages nest in townships by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from eapart.domain.codes import format_code, serpentine_order
from eapart.synthetic.landscape import Landscape
from eapart.synthetic.placement import locate
from eapart.synthetic.settlements import block_boxes, block_grid

#: Average villages per building of the default county (about 440 for 61,310).
VILLAGES_PER_BUILDING = 440 / 61_310
#: Share of village-level units that are urban residents' committees.
URBAN_VILLAGE_SHARE = 0.28


@dataclass
class Divisions:
    """Village polygons, their township and the township seats (metres)."""

    villages: np.ndarray  # shapely polygons, one per village
    seeds: np.ndarray  # (n, 2) seed point of each village
    urban: np.ndarray  # bool: residents' committee (community) rather than village
    township_of: np.ndarray  # int township index of each village
    seats: np.ndarray  # village index of each township's seat
    kind: np.ndarray  # per township: "street", "town" or "township"
    townships: np.ndarray  # shapely polygons, one per township
    county: shapely.Polygon  # the union of townships (the exact outer boundary)


def jittered_grid(
    rng: np.random.Generator, bounds: tuple[float, float, float, float], spacing: float
) -> np.ndarray:
    """Points on a square grid of ``spacing`` inside ``bounds``, each moved up to 30% of a
    cell: evenly spread, never duplicate or collinear (safe for Voronoi)."""
    x0, y0, x1, y1 = bounds
    xs = np.arange(x0 + spacing / 2, x1, spacing)
    ys = np.arange(y0 + spacing / 2, y1, spacing)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    return pts + rng.uniform(-0.3, 0.3, size=pts.shape) * spacing


@dataclass
class CityBlocks:
    """The street blocks urban communities are made of (world polygons and centres)."""

    boxes: np.ndarray
    centres: np.ndarray
    city: np.ndarray  # index of the city each block belongs to


def city_blocks(land: Landscape) -> CityBlocks:
    """Blocks of each city's street grid out to 1.2 radii, in the grid's own rotation."""
    boxes, centres, city = [], [], []
    for k, (centre, radius, angle) in enumerate(
            zip(land.cities, land.city_radius, land.city_angle, strict=True)):
        uv = block_grid(radius)
        uv = uv[np.hypot(*uv.T) < 1.2 * radius]
        boxes.append(block_boxes(uv, centre, angle))
        c, s = np.cos(angle), np.sin(angle)
        centres.append(centre + uv @ np.array([[c, s], [-s, c]]))
        city.append(np.full(len(uv), k))
    return CityBlocks(np.concatenate(boxes), np.vstack(centres), np.concatenate(city))


def village_seeds(
    rng: np.random.Generator, land: Landscape, blocks: CityBlocks, n_villages: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seed points of urban communities (block centres in the cores) and rural villages.

    Community seeds are a jittered grid snapped to distinct block centres, so each
    community owns at least its own block. Returns the points and which are urban.
    """
    n_urban = max(len(land.cities), round(URBAN_VILLAGE_SHARE * n_villages))
    city_area = np.pi * (1.1 * land.city_radius) ** 2
    share = city_area / city_area.sum()
    urban_pts = []
    for k, ((cx, cy), r, sh) in enumerate(
            zip(land.cities, land.city_radius, share, strict=True)):
        disk = shapely.Point(cx, cy).buffer(1.1 * r)
        spacing = np.sqrt(disk.area / max(1, round(n_urban * sh)))
        pts = jittered_grid(rng, disk.bounds, spacing)
        pts = pts[shapely.contains_xy(disk, pts[:, 0], pts[:, 1])]
        mine = np.flatnonzero(blocks.city == k)
        nearest = np.argmin(np.hypot(*(pts[:, None, :] - blocks.centres[mine][None]).T), axis=0)
        urban_pts.append(blocks.centres[mine[np.unique(nearest)]])
    urban_pts = np.vstack(urban_pts)

    zone = shapely.union_all(blocks.boxes).buffer(250.0)
    rural_zone = land.county.buffer(-150.0).difference(zone)
    n_rural = max(2, n_villages - len(urban_pts))
    spacing = np.sqrt(rural_zone.area / n_rural)
    pts = jittered_grid(rng, land.county.bounds, spacing)
    rural_pts = pts[shapely.contains_xy(rural_zone, pts[:, 0], pts[:, 1])]
    seeds = np.vstack([urban_pts, rural_pts])
    urban = np.r_[np.ones(len(urban_pts), bool), np.zeros(len(rural_pts), bool)]
    return seeds, urban


def tile(
    county: shapely.Polygon, seeds: np.ndarray, urban: np.ndarray, blocks: CityBlocks
) -> np.ndarray:
    """Village polygons, in seed order, tiling ``county`` exactly.

    Rural villages are Voronoi cells of the rural seeds; communities are unions of
    city blocks (each block to the nearest community of its city), so their edges run
    along street centre lines. All edges are noded together and polygonized, so
    neighbours share the very same vertices. Pieces cut off from their seed go to the
    neighbour they share the longest edge with, so every village is one piece.
    """
    rural = np.flatnonzero(~urban)
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(seeds[rural]), extend_to=county.buffer(1000.0), ordered=True))
    boxes = shapely.intersection(blocks.boxes, county)
    lines = shapely.union_all(np.r_[shapely.boundary(cells), shapely.boundary(boxes),
                                    [county.boundary]])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.contains_properly(county, shapely.point_on_surface(faces))]

    owner = np.full(len(faces), -1)
    in_block = locate(shapely.point_on_surface(faces), blocks.boxes)
    owner[in_block >= 0] = _block_owner(seeds, urban, blocks)[in_block[in_block >= 0]]
    seeded, k = locate(shapely.points(seeds[rural]), faces), np.arange(len(rural))
    owner[seeded[(seeded >= 0) & (owner[seeded] < 0)]] = rural[k[(seeded >= 0)
                                                                   & (owner[seeded] < 0)]]
    villages = _dissolve(faces, _adopt_orphans(faces, owner), len(seeds))
    for _ in range(5):  # hand on any piece cut off from its seed
        parts, of = shapely.get_parts(villages, return_index=True)
        if len(parts) == len(villages):
            break
        home = shapely.contains_xy(parts, seeds[of, 0], seeds[of, 1])
        where = locate(shapely.point_on_surface(faces), parts[~home])
        owner[where >= 0] = -1
        villages = _dissolve(faces, _adopt_orphans(faces, owner), len(seeds))
    return villages


def _block_owner(seeds: np.ndarray, urban: np.ndarray, blocks: CityBlocks) -> np.ndarray:
    """The community (seed index) owning each block: the nearest of its own city."""
    owner = np.empty(len(blocks.boxes), dtype=np.int64)
    for k in np.unique(blocks.city):
        mine = np.flatnonzero(blocks.city == k)
        cand = np.flatnonzero(urban)
        cand = cand[locate(shapely.points(seeds[cand]), blocks.boxes[mine]) >= 0]
        d = np.hypot(*(blocks.centres[mine][:, None, :] - seeds[cand][None]).transpose(2, 0, 1))
        owner[mine] = cand[np.argmin(d, axis=1)]
    return owner


def _dissolve(faces: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """One polygon per owner: the exact union of its faces (they share noded edges)."""
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(n + 1))
    return np.array([shapely.coverage_union_all(faces[order[bounds[k]:bounds[k + 1]]])
                     for k in range(n)])


def _adopt_orphans(faces: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Give each face with no owner to the owned neighbour sharing its longest edge."""
    owner = owner.copy()
    i, j, shared = shared_edges(faces)
    order = np.argsort(-shared, kind="stable")
    i, j = i[order], j[order]
    while (owner < 0).any():
        before = int((owner < 0).sum())
        for a, b in zip(i, j, strict=True):  # longest shared edges first
            if owner[a] < 0 <= owner[b]:
                owner[a] = owner[b]
            elif owner[b] < 0 <= owner[a]:
                owner[b] = owner[a]
        if int((owner < 0).sum()) == before:
            raise RuntimeError("faces with no owned neighbour")
    return owner


def shared_edges(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of polygons sharing a boundary of positive length, and that length."""
    tree = shapely.STRtree(polygons)
    i, j = tree.query(polygons, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    length = shapely.length(shapely.intersection(shapely.boundary(polygons[i]),
                                                 shapely.boundary(polygons[j])))
    keep = length > 1e-6
    return i[keep], j[keep], length[keep]


def choose_seats(
    land: Landscape, seeds: np.ndarray, urban: np.ndarray, n_townships: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pick township seats among village seeds and say what each township is.

    Street offices share the main city in wedges; the second city, if any, is a town's seat;
    the remaining towns and townships are spread over the countryside by
    farthest-point sampling. Returns seat indices and kinds.
    """
    main = land.cities[0]
    n_street = 1 if n_townships < 3 else max(1, round(0.25 * n_townships))
    n_town = max(0, round(0.35 * n_townships)) if n_townships >= 3 else n_townships - 1
    d_main = np.hypot(*(seeds - main).T)
    in_main = np.flatnonzero(urban & (d_main < 1.2 * land.city_radius[0]))
    seats = _street_seats(seeds, in_main, main, land.city_radius[0], n_street)
    kinds = ["street"] * len(seats)
    if len(land.cities) > 1 and len(seats) < n_townships:
        d2 = np.hypot(*(seeds - land.cities[1]).T)
        seats.append(int(np.argmin(np.where(urban, d2, np.inf))))
        kinds.append("town")
    rural = np.flatnonzero(~urban)
    seats = _farthest_points(seeds, rural, seats, n_townships)
    n_more_towns = max(0, n_town - kinds.count("town"))
    extra = len(seats) - len(kinds)
    kinds += ["town"] * min(n_more_towns, extra) + ["township"] * max(0, extra - n_more_towns)
    return np.array(seats), np.array(kinds)


def _street_seats(
    seeds: np.ndarray, pool: np.ndarray, centre: np.ndarray, radius: float, n: int
) -> list[int]:
    """Seats of ``n`` street offices sharing a city like slices of a cake.

    One street office takes the centre; two or more sit on a ring at half the radius,
    so that each grows a wedge of about the same size.
    """
    n = min(n, len(pool))
    if n == 1:
        targets = centre[None, :]
    else:
        angle = 2 * np.pi * np.arange(n) / n + 0.3
        targets = centre + 0.5 * radius * np.column_stack([np.cos(angle), np.sin(angle)])
    seats: list[int] = []
    for target in targets:
        d = np.hypot(*(seeds[pool] - target).T)
        d[np.isin(pool, seats)] = np.inf
        seats.append(int(pool[np.argmin(d)]))
    return seats


def _farthest_points(points: np.ndarray, pool: np.ndarray, chosen: list[int], n: int) -> list[int]:
    """Extend ``chosen`` to ``n`` indices from ``pool``, each the farthest from those chosen."""
    chosen = list(chosen)
    diff = points[pool][:, None, :] - points[chosen][None, :, :]
    d = np.hypot(diff[..., 0], diff[..., 1]).min(axis=1)
    while len(chosen) < n:
        k = int(np.argmax(d))
        if d[k] <= 0:
            break
        chosen.append(int(pool[k]))
        d = np.minimum(d, np.hypot(*(points[pool] - points[pool[k]]).T))
    return chosen


def grow_townships(villages: np.ndarray, seeds: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """Township index of each village: the seat nearest along the village adjacency graph.

    A multi-source Dijkstra over villages that share an edge (weight: distance between
    seeds) makes each township a connected set of whole villages.
    """
    i, j, _ = shared_edges(villages)
    w = np.hypot(*(seeds[i] - seeds[j]).T)
    n = len(villages)
    graph = sparse.coo_matrix((w, (i, j)), shape=(n, n)).tocsr()
    _, _, sources = csgraph.dijkstra(graph, directed=False, indices=seats,
                                     min_only=True, return_predecessors=True)
    return _index_of(seats, sources)


def _index_of(seats: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Position in ``seats`` of each source village index."""
    lookup = np.full(max(seats.max(), sources.max()) + 1, -1)
    lookup[seats] = np.arange(len(seats))
    return lookup[sources]


def make_divisions(
    rng: np.random.Generator, land: Landscape, n_villages: int, n_townships: int
) -> Divisions:
    """Seeds, villages, seats and townships of the county, all tiling exactly."""
    blocks = city_blocks(land)
    seeds, urban = village_seeds(rng, land, blocks, n_villages)
    villages = tile(land.county, seeds, urban, blocks)
    seats, kinds = choose_seats(land, seeds, urban, n_townships)
    township_of = grow_townships(villages, seeds, seats)
    townships = np.array([shapely.coverage_union_all(villages[township_of == t])
                          for t in range(len(seats))])
    county = shapely.coverage_union_all(townships)
    return Divisions(villages, seeds, urban, township_of, seats, kinds, townships, county)


#: First code of each kind of township (docs/domain.md): street offices 001-099,
#: towns 100-199, townships 200-399.
TOWNSHIP_CODE_START = {"street": 1, "town": 101, "township": 201}
#: Residents' committees 001-199, village committees 200-399.
VILLAGE_CODE_START = {True: 1, False: 201}


def township_codes(county_code: str, div: Divisions) -> np.ndarray:
    """Nine-digit codes, numbered per kind in serpentine order from the north-west."""
    pts = shapely.get_coordinates(shapely.point_on_surface(div.townships))
    codes = np.empty(len(div.townships), dtype=object)
    for kind, start in TOWNSHIP_CODE_START.items():
        idx = np.flatnonzero(div.kind == kind)
        order = idx[serpentine_order(pts[idx, 0], pts[idx, 1])]
        for rank, t in enumerate(order):
            codes[t] = format_code(county_code, start + rank)
    return codes


def village_codes(t_codes: np.ndarray, div: Divisions) -> np.ndarray:
    """Twelve-digit codes: township code + community (001-) or village (201-) number."""
    pts = shapely.get_coordinates(shapely.point_on_surface(div.villages))
    codes = np.empty(len(div.villages), dtype=object)
    for t, t_code in enumerate(t_codes):
        for is_urban, start in VILLAGE_CODE_START.items():
            idx = np.flatnonzero((div.township_of == t) & (div.urban == is_urban))
            order = idx[serpentine_order(pts[idx, 0], pts[idx, 1])]
            for rank, v in enumerate(order):
                codes[v] = format_code(t_code, start + rank)
    return codes
