"""A synthetic eapart output directory (eapart.gpkg + report.json) for map tests and benches.

Townships, census areas and small areas are nested grids whose shared edges are
densified and bent by one smooth field, so they tile exactly but look like real
boundaries; buildings are small rotated footprints spread unevenly over the small
areas. Names can be hostile HTML and Chinese, to test escaping.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(1)>'
FLAG_DESCRIPTIONS = {
    "too_large": "More households than the maximum: split it or accept it.",
    "too_small": "Fewer households than the minimum: merge it with a neighbour.",
}


def _bend(geoms: np.ndarray, amplitude: float = 12.0, wavelength: float = 90.0) -> np.ndarray:
    """Move every vertex by the same smooth field, so shared edges stay shared."""

    def field(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        dx = amplitude * np.sin(y / wavelength) * np.cos(x / (1.7 * wavelength))
        dy = amplitude * np.sin(x / wavelength) * np.cos(y / (1.3 * wavelength))
        return np.column_stack([x + dx, y + dy])

    return shapely.transform(geoms, field)


def _grid(x0, y0, cols, rows, width, height):
    """Boxes of a grid, north-west first, and their (col, row)."""
    col, row = np.meshgrid(np.arange(cols), np.arange(rows))
    col, row = col.ravel(), row.ravel()
    xmin = x0 + col * width
    ymax = y0 - row * height
    return shapely.box(xmin, ymax - height, xmin + width, ymax), col, row


def write_sample_output(outdir: str | Path, *, crs: str = "EPSG:32631",
                        townships: tuple[int, int] = (2, 1),
                        census: tuple[int, int] = (2, 2), small: tuple[int, int] = (2, 2),
                        buildings: int = 300, cell: tuple[float, float] = (200.0, 160.0),
                        hostile: bool = True, seed: int = 0) -> Path:
    """Write ``outdir/eapart.gpkg`` and ``outdir/report.json``; return ``outdir``."""
    rng = np.random.default_rng(seed)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    x0, y0 = 380000.0, 4712000.0
    sw, sh = cell
    cw, ch = sw * small[0], sh * small[1]
    tw, th = cw * census[0], ch * census[1]
    t_boxes, t_col, t_row = _grid(x0, y0, townships[0], townships[1], tw, th)
    t_codes = [f"110101{k + 1:03d}" for k in range(len(t_boxes))]
    t_names = [f"城关街道 {k + 1}" for k in range(len(t_boxes))]
    if hostile:
        t_names[0] = HOSTILE_SCRIPT
    ca_rows, sa_rows = [], []
    for t, (tx, ty) in enumerate(zip(t_col, t_row, strict=True)):
        boxes, cc, cr = _grid(x0 + tx * tw, y0 - ty * th, census[0], census[1], cw, ch)
        for c, (cx, cy) in enumerate(zip(cc, cr, strict=True)):
            ca_code = f"{t_codes[t]}{c + 1:03d}"
            name = HOSTILE_IMG if hostile and t == 0 and c == 0 else f"和平社区 {c + 1}"
            ca_rows.append((ca_code, t_codes[t], name, t_names[t], boxes[c]))
            sboxes, _, _ = _grid(x0 + tx * tw + cx * cw, y0 - ty * th - cy * ch,
                                 small[0], small[1], sw, sh)
            for s, sbox in enumerate(sboxes):
                sa_rows.append((f"{ca_code}{s + 1:03d}", ca_code, t_codes[t], name,
                                t_names[t], sbox))
    sa = pd.DataFrame(sa_rows, columns=["small_area_code", "census_area_code",
                                        "township_code", "census_area_name",
                                        "township_name", "box"])
    # Buildings: uneven counts per small area, every small area gets at least one.
    weights = rng.lognormal(0.0, 0.8, len(sa))
    counts = 1 + rng.multinomial(max(0, buildings - len(sa)), weights / weights.sum())
    owner = np.repeat(np.arange(len(sa)), counts)
    bounds = shapely.bounds(np.asarray(sa["box"].values))[owner]
    margin = 12.0
    cx = rng.uniform(bounds[:, 0] + margin, bounds[:, 2] - margin)
    cy = rng.uniform(bounds[:, 1] + margin, bounds[:, 3] - margin)
    half_w = rng.uniform(4, 9, len(owner))
    half_h = rng.uniform(3, 7, len(owner))
    footprints = shapely.box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    households = rng.integers(0, 30, len(owner))
    b = gpd.GeoDataFrame({
        "building_id": [f"b{k:06d}" for k in range(len(owner))],
        "township_code": sa["township_code"].to_numpy()[owner],
        "census_area_code": sa["census_area_code"].to_numpy()[owner],
        "small_area_code": sa["small_area_code"].to_numpy()[owner],
        "households": households.astype("int64"),
        "persons": np.round(households * 2.6, 1),
        "type": np.where(households > 0, "house", "shed"),
        "name": [None] * len(owner),
    }, geometry=_bend(footprints), crs=crs)
    if hostile:
        b.loc[0, "name"] = HOSTILE_SCRIPT
        b.loc[1, "name"] = HOSTILE_IMG

    sums = b.groupby("small_area_code").agg(households=("households", "sum"),
                                            persons=("persons", "sum"),
                                            buildings=("building_id", "size"))
    sa = sa.join(sums, on="small_area_code")
    target, low, high = 80, 64, 96
    sa["flags"] = np.where(sa["households"] > high, "too_large",
                           np.where(sa["households"] < low, "too_small", ""))
    dense = shapely.segmentize(np.asarray(sa["box"].values), 20.0)
    small_areas = gpd.GeoDataFrame(sa.drop(columns="box"), geometry=_bend(dense), crs=crs)

    ca = pd.DataFrame(ca_rows, columns=["census_area_code", "township_code", "name",
                                        "township_name", "box"])
    ca_sums = small_areas.groupby("census_area_code").agg(
        households=("households", "sum"), persons=("persons", "sum"),
        small_areas=("small_area_code", "size"), buildings=("buildings", "sum"))
    ca = ca.join(ca_sums, on="census_area_code")
    census_areas = gpd.GeoDataFrame(
        ca.drop(columns="box"),
        geometry=_bend(shapely.segmentize(np.asarray(ca["box"].values), 20.0)), crs=crs)

    t_sums = census_areas.groupby("township_code").agg(
        households=("households", "sum"), persons=("persons", "sum"),
        census_areas=("census_area_code", "size"), small_areas=("small_areas", "sum"),
        buildings=("buildings", "sum"))
    t = pd.DataFrame({"township_code": t_codes, "name": t_names}).join(t_sums,
                                                                        on="township_code")
    township_frame = gpd.GeoDataFrame(t, geometry=_bend(shapely.segmentize(t_boxes, 20.0)),
                                      crs=crs)
    # One unassigned building just outside the county, one major road across it.
    west, south, east, north = township_frame.total_bounds
    unassigned = gpd.GeoDataFrame(
        {"building_id": ["outside-1"], "reason": ["outside every township"]},
        geometry=[shapely.box(west - 60, north + 20, west - 40, north + 35)], crs=crs)
    roads = gpd.GeoDataFrame({"class": ["major", "minor"], "name": [HOSTILE_SCRIPT, None]},
                             geometry=[shapely.LineString([(west, south + 5), (east, north - 5)]),
                                       shapely.LineString([(west, north - 5), (east, south + 5)])],
                             crs=crs)

    gpkg = outdir / "eapart.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    layers = {"buildings": b, "small_areas": small_areas, "census_areas": census_areas,
              "townships": township_frame, "unassigned": unassigned, "roads": roads}
    out_crs = crs
    for name, frame in layers.items():
        frame.to_crs(out_crs).to_file(gpkg, layer=name, engine="pyogrio")

    flags = {name: int((small_areas["flags"] == name).sum()) for name in FLAG_DESCRIPTIONS}
    size = small_areas["households"]
    within = float(((size >= low) & (size <= high)).mean())
    report = {
        "software": "eapart", "version": "0.1.0", "engine": "sample",
        "buildings_in": len(b) + 1, "buildings_assigned": len(b), "buildings_unassigned": 1,
        "townships": len(township_frame), "census_areas": len(census_areas),
        "small_areas": len(small_areas), "measure": "households",
        "target_households": target, "min_households": low, "max_households": high,
        "within_tolerance_share": within, "flags": flags,
        "band": {"measure": "households", "target": target, "min_size": low, "max_size": high},
        "flag_descriptions": FLAG_DESCRIPTIONS | ({"odd<b>flag</b>": HOSTILE_IMG}
                                                  if hostile else {}),
        "size_distribution": [], "per_township": [], "parameters": {"seed": seed},
        "households_method": {}, "warnings": [HOSTILE_SCRIPT] if hostile else [],
    }
    (outdir / "report.json").write_text(json.dumps(report, ensure_ascii=False), "utf-8")
    return outdir
