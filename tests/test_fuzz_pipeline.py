"""Property tests: random valid counties through the whole pipeline, every hard invariant.

Hypothesis draws 1-3 townships (strips with crooked shared boundaries), up to 60
buildings (rectangles or points, households often 0, a few outside every
township) and up to 3 roads; the county is written as a real GeoPackage and run
through :func:`eapart.api.run`. Each output must keep the hard rules:

- every building is in exactly one small area, or listed as unassigned;
- codes are well formed (9 / 12 / 15 digits) and nested, small areas numbered
  from 001 and below 900;
- small areas and census areas are single Polygons that tile their township;
- the same input and seed give the same files.

The default run is small (``EAPART_FUZZ_EXAMPLES``, 8 by default) so that
``make test`` stays fast; ``bench/fuzz_long.py`` runs many more.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eapart.api import run
from eapart.config import RunConfig

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 3_380_000.0
EXAMPLES = int(os.environ.get("EAPART_FUZZ_EXAMPLES", "8"))
#: Relative tolerance for "the small areas cover their township" (float noise of overlay).
AREA_TOLERANCE = 1e-6

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- random counties -------------------------------------------------------------------

@st.composite
def county_specs(draw) -> dict:
    """A random county as plain numbers (fractions of the county's width and height)."""
    n_townships = draw(st.integers(1, 3))
    cuts = [[draw(st.floats(-0.3, 0.3)) for _ in range(3)] for _ in range(n_townships - 1)]
    unit = st.floats(0.01, 0.99)
    buildings = draw(st.lists(st.fixed_dictionaries({
        "x": unit, "y": unit,
        "w": st.floats(4.0, 60.0), "h": st.floats(4.0, 40.0),
        "point": st.booleans(),
        "households": st.one_of(st.just(0), st.integers(0, 5), st.integers(0, 150)),
    }), min_size=1, max_size=60))
    outside = draw(st.integers(0, 2))
    roads = draw(st.lists(st.fixed_dictionaries({
        "a": unit, "b": unit, "vertical": st.booleans(),
        "major": st.booleans(),
    }), max_size=3))
    return {
        "width": draw(st.floats(300.0, 3000.0)), "height": draw(st.floats(300.0, 3000.0)),
        "cuts": cuts, "buildings": buildings, "outside": outside, "roads": roads,
        "target": draw(st.sampled_from([20.0, 80.0, 150.0])),
        "seed": draw(st.integers(0, 2**16)),
    }


def build_county(spec: dict) -> dict[str, gpd.GeoDataFrame]:
    """The GeoDataFrames of a county drawn by :func:`county_specs`."""
    w, h = spec["width"], spec["height"]
    k = len(spec["cuts"]) + 1
    lines = [[(X0, Y0), (X0, Y0 + h / 2), (X0, Y0 + h)]]
    for i, jitter in enumerate(spec["cuts"], start=1):
        xs = [X0 + w * (i + j) / k for j in jitter]
        lines.append([(xs[0], Y0), (xs[1], Y0 + h / 2), (xs[2], Y0 + h)])
    lines.append([(X0 + w, Y0), (X0 + w, Y0 + h / 2), (X0 + w, Y0 + h)])
    strips = [shapely.Polygon(left + right[::-1]) for left, right in zip(lines, lines[1:],
                                                                            strict=False)]
    townships = gpd.GeoDataFrame(
        {"code": [f"420117{100 + i:03d}" for i in range(k)],
         "name": [f"乡镇{i}" for i in range(k)]},
        geometry=strips, crs=CRS)
    rows = []
    for i, b in enumerate(spec["buildings"]):
        # Footprints lie wholly inside the county; the ones outside are drawn apart below.
        bw, bh = min(b["w"], w * 0.05), min(b["h"], h * 0.05)
        x, y = X0 + b["x"] * (w - bw), Y0 + b["y"] * (h - bh)
        geom = shapely.Point(x, y) if b["point"] else shapely.box(x, y, x + bw, y + bh)
        rows.append({"id": f"B{i:03d}", "households": b["households"], "geometry": geom})
    for j in range(spec["outside"]):
        rows.append({"id": f"OUT{j}", "households": 1,
                     "geometry": shapely.box(X0 - 100 - 50 * j, Y0, X0 - 80 - 50 * j, Y0 + 10)})
    buildings = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    layers = {"buildings": buildings, "townships": townships}
    if spec["roads"]:
        geoms, classes = [], []
        for r in spec["roads"]:
            if r["vertical"]:
                ends = [(X0 + r["a"] * w, Y0 - 10), (X0 + r["b"] * w, Y0 + h + 10)]
            else:
                ends = [(X0 - 10, Y0 + r["a"] * h), (X0 + w + 10, Y0 + r["b"] * h)]
            geoms.append(shapely.LineString(ends))
            classes.append("major" if r["major"] else "minor")
        layers["roads"] = gpd.GeoDataFrame({"class": classes}, geometry=geoms, crs=CRS)
    return layers


def run_county(spec: dict, folder: Path, name: str = "out") -> Path:
    """Write the county as a GeoPackage, run the pipeline on it, return the output."""
    source = folder / "county.gpkg"
    if not source.exists():
        for layer, frame in build_county(spec).items():
            frame.to_file(source, layer=layer, driver="GPKG", engine="pyogrio")
    cfg = RunConfig(input=source, out=folder / name, jobs=1, maps=False)
    cfg.partition.target = spec["target"]
    cfg.partition.seed = spec["seed"]
    run(cfg)
    return folder / name


# --- the invariants --------------------------------------------------------------------

def check_invariants(spec: dict, out: Path) -> None:
    """Every hard rule of the output contract, read back from the files."""
    gpkg = out / "eapart.gpkg"
    layers = {n: gpd.read_file(gpkg, layer=n) for n, _ in pyogrio.list_layers(gpkg)}
    b, sa, ca, tw = (layers[k] for k in ("buildings", "small_areas", "census_areas",
                                         "townships"))
    unassigned = layers["unassigned"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    check_buildings_accounted(spec, b, unassigned, report)
    check_codes(b, sa, ca, tw)
    for code, township in zip(tw["township_code"], tw.geometry.array, strict=True):
        check_tiling(sa[sa["township_code"] == code], township, f"small areas of {code}")
        check_tiling(ca[ca["township_code"] == code], township, f"census areas of {code}")
    per_sa = b.groupby("small_area_code").size().reindex(sa["small_area_code"]).fillna(0)
    assert (per_sa.to_numpy() == sa["buildings"].to_numpy()).all()
    assert (b.groupby("small_area_code")["households"].sum().reindex(sa["small_area_code"])
            .fillna(0).to_numpy() == sa["households"].to_numpy()).all()


def check_buildings_accounted(spec, buildings, unassigned, report) -> None:
    expected = {f"B{i:03d}" for i in range(len(spec["buildings"]))} | \
        {f"OUT{j}" for j in range(spec["outside"])}
    placed = list(buildings["building_id"])
    left = list(unassigned["building_id"])
    assert len(set(placed)) == len(placed) and not set(placed) & set(left)
    assert set(placed) | set(left) == expected
    assert {f"OUT{j}" for j in range(spec["outside"])} <= set(left)
    assert buildings["small_area_code"].notna().all()
    assert report["buildings_assigned"] + report["buildings_unassigned"] == \
        report["buildings_in"] == len(expected)


def check_codes(b, sa, ca, tw) -> None:
    assert tw["township_code"].str.fullmatch(r"\d{9}").all()
    assert ca["census_area_code"].str.fullmatch(r"\d{12}").all()
    assert sa["small_area_code"].str.fullmatch(r"\d{15}").all()
    assert sa["small_area_code"].is_unique and ca["census_area_code"].is_unique
    assert (sa["small_area_code"].str[:12] == sa["census_area_code"]).all()
    assert (sa["census_area_code"].str[:9] == sa["township_code"]).all()
    assert (ca["census_area_code"].str[:9] == ca["township_code"]).all()
    assert set(sa["census_area_code"]) == set(ca["census_area_code"])
    assert set(ca["township_code"]) == set(tw["township_code"])
    numbers = sa["small_area_code"].str[12:].astype(int)
    assert ((numbers >= 1) & (numbers < 900)).all()
    for _, group in sa.groupby("census_area_code"):
        assert sorted(group["small_area_code"].str[12:].astype(int)) == \
            list(range(1, len(group) + 1))
    assert (b["small_area_code"].str[:12] == b["census_area_code"]).all()
    assert (b["census_area_code"].str[:9] == b["township_code"]).all()
    assert set(b["small_area_code"]) <= set(sa["small_area_code"])


def check_tiling(parts: gpd.GeoDataFrame, township, what: str) -> None:
    """``parts`` are single Polygons with no overlap whose union is the township."""
    geoms = parts.geometry.array
    assert len(parts) >= 1, f"{what}: none"
    assert (shapely.get_type_id(geoms) == 3).all(), f"{what}: not all single Polygons"
    assert shapely.is_valid(geoms).all(), f"{what}: invalid polygon"
    union = shapely.union_all(geoms)
    total = float(shapely.area(geoms).sum())
    scale = float(shapely.area(township))
    assert abs(total - shapely.area(union)) <= AREA_TOLERANCE * scale, f"{what}: overlap"
    assert shapely.area(shapely.symmetric_difference(union, township)) <= \
        AREA_TOLERANCE * scale, f"{what}: do not cover the township"


def digests(out: Path) -> dict[str, str]:
    return {f: hashlib.sha256((out / f).read_bytes()).hexdigest()
            for f in ("eapart.gpkg", "report.json", "summary.csv")}


# --- the properties --------------------------------------------------------------------

@FUZZ
@given(county_specs())
def test_random_counties_keep_every_invariant(spec):
    with tempfile.TemporaryDirectory(prefix="eapart-fuzz-") as folder:
        check_invariants(spec, run_county(spec, Path(folder)))


@settings(FUZZ, max_examples=max(2, EXAMPLES // 3))
@given(county_specs())
def test_same_input_and_seed_give_the_same_files(spec):
    with tempfile.TemporaryDirectory(prefix="eapart-fuzz-") as folder:
        first = digests(run_county(spec, Path(folder), "a"))
        assert digests(run_county(spec, Path(folder), "b")) == first


def test_build_county_tiles_the_rectangle():
    """The generator itself: townships tile the county, buildings keep their ids."""
    spec = {"width": 1000.0, "height": 800.0, "cuts": [[0.2, -0.2, 0.1], [0.0, 0.3, -0.3]],
            "buildings": [{"x": 0.5, "y": 0.5, "w": 10.0, "h": 10.0, "point": False,
                           "households": 3}],
            "outside": 1, "roads": [], "target": 80.0, "seed": 0}
    layers = build_county(spec)
    tw = layers["townships"].geometry.array
    assert np.isclose(shapely.area(tw).sum(), 800_000.0)
    assert np.isclose(shapely.area(shapely.union_all(tw)), 800_000.0)
    assert list(layers["buildings"]["id"]) == ["B000", "OUT0"]
