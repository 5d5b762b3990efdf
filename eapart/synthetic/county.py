"""A deterministic synthetic county in the input contract, for tests, demos and benchmarks.

:func:`make_county` draws a Hubei-like county-level city in CGCS2000 / 3-degree
Gauss-Kruger CM 114E (EPSG:4547): an irregular outline, a river with a city astride
it, a lake, a stream, a railway, arterial roads between the seats, street grids in
the cores and lanes in the villages; townships and village-level units that tile the
county exactly; and exactly ``n_buildings`` footprints that never overlap, never sit
in water and keep clear of roads and boundaries. The default is the size of a
typical county: 61,310 buildings, 20 townships, about 440 villages and about 263,000
households. The same arguments always give the same layers, to the bit.

>>> layers = make_county(n_buildings=1_000, n_townships=3)
>>> len(layers["buildings"]), sorted(layers)[:3]
(1000, ['buildings', 'county', 'rail'])

The bundled sample (``eapart/data/sample.gpkg``, see :func:`sample_path`) is rebuilt by
``python -m eapart.synthetic.county`` (which calls :func:`build_bundled_sample`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.domain.codes import is_code
from eapart.errors import OutputError, UsageError
from eapart.synthetic import names as nm
from eapart.synthetic.divisions import (
    VILLAGES_PER_BUILDING,
    Divisions,
    make_divisions,
    township_codes,
    village_codes,
)
from eapart.synthetic.footprints import GROUP_CODE, TYPES, Candidates, polygons
from eapart.synthetic.landscape import CRS, Landscape, make_landscape
from eapart.synthetic.network import arterials, concat_streets, village_roads
from eapart.synthetic.occupancy import mark_extremes, occupancy
from eapart.synthetic.placement import (
    clear_of,
    drop_overlaps,
    locate,
    quotas,
    segments,
    select,
)
from eapart.synthetic.settlements import Street, compound, core, village_clusters

LAYERS = ("buildings", "townships", "villages", "roads", "rail", "water", "county")
#: Shares of the buildings by group; rural houses take the rest.
SHARES = {"apartments": 0.12, "urban_low": 0.10, "urban_other": 0.085,
          "industrial": 0.012, "rural_aux": 0.10}
#: Where a group short of candidates sends its shortfall, in order.
SPILL = ("house", "urban_low", "rural_aux", "urban_other")
#: Set-backs (metres) of footprints from centre lines and boundaries (river: from its bank).
SETBACK = {"major": 12.0, "minor": 4.0, "track": 3.0, "rail": 15.0, "stream": 6.0,
           "river": 5.0, "lake": 5.0, "boundary": 1.0}
TOWN_RADIUS = 350.0
MIN_BUILDINGS = 200
SAMPLE_ARGS = {"n_buildings": 3_000, "n_townships": 4, "seed": 1}


def make_county(
    n_buildings: int = 61_310, n_townships: int = 20, seed: int = 0,
    county_code: str = "420117",
) -> dict[str, gpd.GeoDataFrame]:
    """Draw a synthetic county: one GeoDataFrame per input layer, in EPSG:4547.

    Keys (layer names): ``buildings``, ``townships``, ``villages``, ``roads``, ``rail``,
    ``water``, ``county``. ``n_buildings`` is exact; villages scale with it (about 440
    for the default). Raises :class:`~eapart.errors.UsageError` for arguments that
    cannot make a county.
    """
    _check_arguments(n_buildings, n_townships, county_code)
    rng = np.random.default_rng(seed)
    n_cities = 2 if n_townships >= 6 and n_buildings >= 10_000 else 1
    land = make_landscape(rng, n_buildings, n_cities)
    n_villages = max(3 * n_townships, round(VILLAGES_PER_BUILDING * n_buildings))
    div = make_divisions(rng, land, n_villages, n_townships)
    t_codes = township_codes(county_code, div)
    _check_village_numbers(div, t_codes)
    v_codes = village_codes(t_codes, div)

    oversupply = 1.6
    for _ in range(5):
        cands, roads = _lay_out(rng, land, div, n_buildings, oversupply)
        geoms = polygons(cands)
        ok, village = _standing(cands, geoms, roads, land, div)
        try:
            chosen = select(cands.take(ok), quotas(n_buildings, SHARES), SPILL)
            break
        except LookupError:
            oversupply *= 1.4
    else:  # pragma: no cover - the county is drawn with ample room
        raise RuntimeError("could not place the buildings: the county is too crowded")
    placed = np.flatnonzero(ok)[chosen]
    buildings = _buildings(rng, cands.take(placed), geoms[placed], village[placed], div, v_codes)
    return _layers(rng, land, div, roads, buildings, t_codes, v_codes, county_code)


def _check_arguments(n_buildings: int, n_townships: int, county_code: str) -> None:
    """Raise UsageError, naming the option, for arguments that cannot make a county."""
    if not isinstance(n_buildings, (int, np.integer)) or n_buildings < MIN_BUILDINGS:
        raise UsageError(f"the number of buildings (--buildings) must be a whole number of "
                         f"at least {MIN_BUILDINGS}, got {n_buildings!r}")
    if not isinstance(n_townships, (int, np.integer)) or not 1 <= n_townships <= 200:
        raise UsageError(f"the number of townships (--townships) must be between 1 and 200, "
                         f"got {n_townships!r}")
    if n_townships * 40 > n_buildings:
        raise UsageError(f"{n_townships} townships is too many for {n_buildings} buildings: "
                         "ask for at least 40 buildings per township")
    if not is_code(county_code, 6):
        raise UsageError(f"the county code (--county-code) must be a string of 6 digits such "
                         f"as '420117', got {county_code!r}")


def _check_village_numbers(div: Divisions, t_codes: np.ndarray) -> None:
    """Village numbers must fit their ranges (001-199 communities, 201-399 villages)."""
    for t, code in enumerate(t_codes):
        for urban in (True, False):
            count = int(((div.township_of == t) & (div.urban == urban)).sum())
            if count > 199:
                raise UsageError(f"township {code} would hold {count} village-level units, more "
                                 "than the 199 its codes allow: ask for more townships")


def _lay_out(
    rng: np.random.Generator, land: Landscape, div: Divisions, n: int, oversupply: float
) -> tuple[Candidates, Street]:
    """All candidate footprints and all roads, before any conflict is resolved."""
    parts, streets = [], []
    for k, (centre, radius) in enumerate(zip(land.cities, land.city_radius, strict=True)):
        c, s = core(rng, centre, radius, city=True, main=k == 0, angle=land.city_angle[k])
        parts.append(c)
        streets.append(s)
    rural_seats = div.seats[~div.urban[div.seats]]
    for seat in rural_seats:
        c, s = core(rng, div.seeds[seat], TOWN_RADIUS * max(land.scale, 0.5), city=False,
                    main=False)
        parts.append(c)
        streets.append(s)

    centres, sizes, main_cluster = _village_plan(rng, land, div, n, oversupply)
    c, lanes = village_clusters(rng, centres, sizes)
    parts.append(c)
    streets.append(lanes)
    hamlet = _across_river(land, div, rural_seats)
    if hamlet is not None:
        c, lane = village_clusters(rng, hamlet[None, :], np.array([10]), keep=True)
        parts.append(c)
        streets.append(lane)
    if n >= 5_000:
        parts.append(compound(rng, _barracks_site(land, div, rural_seats), "barracks"))

    hubs = np.vstack([land.cities, div.seeds[rural_seats]])
    major = arterials(rng, land.county, hubs, land.cities[0])
    links = village_roads(rng, centres[main_cluster], hubs)
    roads = concat_streets([major, *streets, links])
    return Candidates.concat(parts), roads


def _village_plan(
    rng: np.random.Generator, land: Landscape, div: Divisions, n: int, oversupply: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cluster centres and candidate counts of the rural villages.

    Each inhabited village gets a main cluster at its seed and up to three hamlets
    nearby; a few villages (about one in sixty) are left empty, as farmland is.
    Returns centres, sizes and which clusters are main ones.
    """
    rural = np.setdiff1d(np.flatnonzero(~div.urban), div.seats)
    empty = rng.choice(rural, size=len(rural) // 60, replace=False)
    rural = np.setdiff1d(rural, empty)
    n_hamlets = np.minimum(rng.poisson(1.0, len(rural)), 3)
    village = np.repeat(rural, 1 + n_hamlets)
    first = np.r_[0, np.cumsum(1 + n_hamlets)[:-1]]
    main = np.zeros(len(village), bool)
    main[first] = True
    spacing = np.sqrt(land.county.area / len(div.villages))
    dist = np.where(main, 0.0, rng.uniform(0.25, 0.45, len(village)) * spacing)
    bearing = rng.uniform(0, 2 * np.pi, len(village))
    centres = div.seeds[village] + dist[:, None] * np.column_stack([np.cos(bearing),
                                                                    np.sin(bearing)])
    weight = np.where(main, 1.0, rng.uniform(0.2, 0.6, len(village)))
    weight *= np.exp(rng.normal(0, 0.5, len(rural)))[np.repeat(np.arange(len(rural)),
                                                              1 + n_hamlets)]
    rural_total = n * (1 - sum(SHARES.values()) + SHARES["rural_aux"])
    sizes = np.ceil(oversupply * rural_total * weight / weight.sum()).astype(int)
    return centres, sizes, main


def _across_river(land: Landscape, div: Divisions, seats: np.ndarray) -> np.ndarray | None:
    """Centre of a hamlet cut off from the rest of its village by the river, or None.

    Among rural villages that the river crosses, the one whose seed lies nearest the
    river (but at least 300 m off it, and away from the cities) gets a hamlet on the
    far bank, inside its own polygon: an island an enumerator reaches by a bridge.
    """
    rural = np.setdiff1d(np.flatnonzero(~div.urban), seats)
    pts = shapely.points(div.seeds[rural])
    d = shapely.distance(pts, land.river)
    bank = shapely.get_coordinates(shapely.line_interpolate_point(
        land.river, shapely.line_locate_point(land.river, pts)))
    away = bank - div.seeds[rural]
    away /= np.maximum(np.hypot(*away.T), 1e-9)[:, None]
    hamlet = bank + away * (land.river_width / 2 + 90.0)
    in_own = shapely.contains_xy(div.villages[rural], hamlet[:, 0], hamlet[:, 1])
    from_city = np.min([np.hypot(*(hamlet - c).T) / r
                        for c, r in zip(land.cities, land.city_radius, strict=True)], axis=0)
    fits = in_own & (d > land.river_width / 2 + 300) & (from_city > 1.5)
    if not fits.any():
        return None
    return hamlet[np.flatnonzero(fits)[np.argmin(d[fits])]]


def _barracks_site(land: Landscape, div: Divisions, seats: np.ndarray) -> np.ndarray:
    """A spot 400 m off the rural village farthest from the main city."""
    rural = np.setdiff1d(np.flatnonzero(~div.urban), seats)
    far = rural[np.argmax(np.hypot(*(div.seeds[rural] - land.cities[0]).T))]
    return div.seeds[far] + np.array([0.0, 400.0]) * min(1.0, land.scale * 2)


def _standing(
    cands: Candidates, geoms: np.ndarray, roads: Street, land: Landscape, div: Divisions
) -> tuple[np.ndarray, np.ndarray]:
    """Which candidates can stand (clear of every barrier and of each other), and the
    village each lies in."""
    road_setback = np.where(roads.cls == "major", SETBACK["major"],
                            np.where(roads.highway == "track", SETBACK["track"],
                                     SETBACK["minor"]))
    lines = [(roads.geometry, road_setback),
             (np.array([land.rail]), np.array([SETBACK["rail"]])),
             (np.array([land.stream]), np.array([SETBACK["stream"]])),
             (np.array([land.river]), np.array([SETBACK["river"] + land.river_width / 2])),
             (shapely.boundary(div.villages), np.full(len(div.villages), SETBACK["boundary"]))]
    segs, dist = [], []
    for geom, setback in lines:
        s, of = segments(geom)
        segs.append(s)
        dist.append(setback[of])
    barriers = np.concatenate([*segs, [land.lake]])
    distance = np.concatenate([*dist, [SETBACK["lake"]]])
    ok = clear_of(geoms, barriers, distance)
    # The centre of a rectangle or of our L lies inside it: it locates the building.
    village = locate(shapely.points(cands.x, cands.y), div.villages)
    ok &= village >= 0
    idx = np.flatnonzero(ok)
    rank = np.lexsort((cands.score[idx], cands.group[idx] != GROUP_CODE["keep"]))
    order = np.empty(len(idx), dtype=np.int64)
    order[rank] = np.arange(len(idx))
    ok[idx[~drop_overlaps(geoms[idx], order)]] = False
    return ok, village


def _buildings(
    rng: np.random.Generator, c: Candidates, geoms: np.ndarray, village: np.ndarray,
    div: Divisions, v_codes: np.ndarray,
) -> gpd.GeoDataFrame:
    """The buildings layer, with the village and township of each kept aside."""
    area = shapely.area(geoms)
    mark_extremes(c, area)
    hh, persons, floors = occupancy(rng, c, area)
    width = max(6, len(str(len(c))))
    frame = gpd.GeoDataFrame({
        "id": pd.array([f"B{k:0{width}d}" for k in range(1, len(c) + 1)], dtype="str"),
        "households": hh, "persons": persons, "floors": floors,
        "type": pd.array(np.array(TYPES, dtype=object)[c.type_code], dtype="str"),
    }, geometry=geoms, crs=CRS)
    frame.attrs["village"] = village
    return frame


def _layers(
    rng: np.random.Generator, land: Landscape, div: Divisions, roads: Street,
    buildings: gpd.GeoDataFrame, t_codes: np.ndarray, v_codes: np.ndarray, county_code: str,
) -> dict[str, gpd.GeoDataFrame]:
    """Assemble the seven layers, with names and totals."""
    village = buildings.attrs.pop("village")
    v_hh = np.bincount(village, buildings["households"], minlength=len(div.villages))
    v_pop = np.bincount(village, buildings["persons"], minlength=len(div.villages))
    t_hh = np.bincount(div.township_of, v_hh, minlength=len(div.townships))
    t_pop = np.bincount(div.township_of, v_pop, minlength=len(div.townships))
    t_names, v_names = _division_names(rng, div)
    feature = nm.draw_names(rng, 4, "")
    townships = gpd.GeoDataFrame({
        "code": _str(t_codes), "name": _str(t_names),
        "population": t_pop.astype(np.int64), "households": t_hh.astype(np.int64),
    }, geometry=div.townships, crs=CRS)
    villages = gpd.GeoDataFrame({
        "code": _str(v_codes), "name": _str(v_names),
        "population": v_pop.astype(np.int64), "households": v_hh.astype(np.int64),
    }, geometry=div.villages, crs=CRS)
    river = shapely.intersection(land.river.buffer(land.river_width / 2), div.county)
    water = gpd.GeoDataFrame({
        "class": _str(["river", "lake", "stream"]),
        "name": _str([feature[0] + "河", feature[1] + "湖", feature[2] + "港"]),
    }, geometry=[river, shapely.intersection(land.lake, div.county), land.stream], crs=CRS)
    return {
        "buildings": _sorted_columns(buildings),
        "townships": townships.sort_values("code", ignore_index=True),
        "villages": villages.sort_values("code", ignore_index=True),
        "roads": gpd.GeoDataFrame({"class": _str(roads.cls), "name": _str(roads.name),
                                   "highway": _str(roads.highway)},
                                  geometry=roads.geometry, crs=CRS),
        "rail": gpd.GeoDataFrame({"class": _str(["rail"]), "name": _str([feature[3] + "铁路"])},
                                 geometry=[land.rail], crs=CRS),
        "water": water,
        "county": gpd.GeoDataFrame({"code": _str([county_code]),
                                    "name": _str([nm.draw_names(rng, 1, "市")[0]])},
                                   geometry=[div.county], crs=CRS),
    }


def _sorted_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame[["id", "households", "persons", "floors", "type", "geometry"]]


def _str(values) -> pd.arrays.ArrowStringArray:
    """Strings in pandas' string dtype, as a GeoPackage reads them back."""
    return pd.array([str(v) for v in values], dtype="str")


def _division_names(rng: np.random.Generator, div: Divisions) -> tuple[list[str], list[str]]:
    """Chinese names: townships by kind, communities and villages, all distinct."""
    suffix = {"street": "街道", "town": "镇", "township": "乡"}
    t_names = [""] * len(div.kind)
    for kind, end in suffix.items():
        idx = np.flatnonzero(div.kind == kind)
        drawn = nm.draw_names(rng, len(idx), end, urban=kind == "street")
        for t, name in zip(idx, drawn, strict=True):
            t_names[t] = name
    urban = np.flatnonzero(div.urban)
    rural = np.flatnonzero(~div.urban)
    v_names = [""] * len(div.villages)
    for v, name in zip(urban, nm.draw_names(rng, len(urban), "社区", urban=True), strict=False):
        v_names[v] = name
    for v, name in zip(rural, nm.village_names(rng, len(rural)), strict=False):
        v_names[v] = name
    return t_names, v_names


def write_county(path: str | os.PathLike, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write ``layers`` to one GeoPackage at ``path``, one layer per key, atomically.

    The file is written beside ``path`` under a temporary name and moved into place
    only when every layer is written, so readers never see half a county.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {path.parent} does not exist; "
                          "create it first")
    fd, tmp = tempfile.mkstemp(suffix=".gpkg", prefix=f".{path.stem}-", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL must create the GeoPackage itself
    try:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sample_path() -> Path:
    """The small county bundled with the package (``eapart/data/sample.gpkg``)."""
    return Path(__file__).resolve().parents[1] / "data" / "sample.gpkg"


def build_bundled_sample(path: str | os.PathLike | None = None) -> Path:
    """Regenerate the bundled sample county: 3,000 buildings in 4 townships (seed 1)."""
    target = Path(path) if path is not None else sample_path()
    write_county(target, make_county(**SAMPLE_ARGS))
    return target


if __name__ == "__main__":
    print(build_bundled_sample())
