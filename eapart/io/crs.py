"""Coordinate reference systems: checking them and choosing a metric one to work in.

Results keep the input's CRS; the work (areas, lengths, Voronoi cells) happens in
metres. A projected input in metres is worked in as it is. A geographic input is
projected to the zone that holds its centre: a CGCS2000 3-degree Gauss-Kruger zone
for CGCS2000 data (EPSG:4534-4554, central meridians 75E-135E), else the UTM zone
of the WGS 84 datum.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import shapely

from eapart.errors import InputError, list_ids

#: EPSG code of "CGCS2000 / 3-degree Gauss-Kruger CM 75E"; the zones to CM 135E follow.
_CGCS2000_GK3_FIRST = 4534
_CGCS2000_GK3_FIRST_MERIDIAN = 75


def require_crs(crs: pyproj.CRS | None, where: str) -> pyproj.CRS:
    """Return ``crs`` as a :class:`pyproj.CRS`, or raise naming the layer that lacks one."""
    if crs is None:
        raise InputError(
            f"{where} has no coordinate reference system. eapart never guesses one: "
            "add a .prj (Shapefile) or set the CRS in your GIS, e.g. EPSG:4490 for "
            "CGCS2000 longitude/latitude, then run again."
        )
    return pyproj.CRS.from_user_input(crs)


def is_metric(crs: pyproj.CRS) -> bool:
    """True for a projected CRS whose axes are in metres."""
    if not crs.is_projected:
        return False
    return all(
        (axis.unit_name or "").lower() in ("metre", "meter", "m") for axis in crs.axis_info[:2]
    )


def metric_crs(frame) -> pyproj.CRS:
    """A metric CRS for a GeoDataFrame: its own when projected in metres, else the
    UTM zone of its data (for drawing pages and sheets in metres, north up)."""
    crs = pyproj.CRS.from_user_input(frame.crs)
    if is_metric(crs):
        return crs
    return frame.estimate_utm_crs()


def metric_crs_for(crs: pyproj.CRS, lon: float, lat: float) -> pyproj.CRS:
    """Choose the CRS to work in for data in ``crs`` centred at ``lon``, ``lat`` (degrees).

    >>> metric_crs_for(pyproj.CRS("EPSG:4490"), 114.3, 30.6).to_epsg()  # CM 114E
    4547
    >>> metric_crs_for(pyproj.CRS("EPSG:4326"), 1.55, 42.55).to_epsg()
    32631
    """
    if is_metric(crs):
        return crs
    if _is_cgcs2000(crs) and 73.5 <= lon <= 136.5:
        zone = int(round(lon / 3.0)) * 3
        zone = min(max(zone, _CGCS2000_GK3_FIRST_MERIDIAN), 135)
        offset = (zone - _CGCS2000_GK3_FIRST_MERIDIAN) // 3
        return pyproj.CRS.from_epsg(_CGCS2000_GK3_FIRST + offset)
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _is_cgcs2000(crs: pyproj.CRS) -> bool:
    datum = crs.datum.name if crs.datum is not None else ""
    return "China" in datum or "CGCS" in datum.upper() or crs.to_epsg() == 4490


#: No projected coordinate in metres lies farther than this from its origin: the
#: Earth's circumference is about 4e7 m, so beyond it a value is a unit or CRS mistake.
MAX_PROJECTED_METRES = 1e8


def check_coordinates(geoms: np.ndarray, crs: pyproj.CRS, where: str, labels) -> None:
    """Refuse coordinates that cannot be in ``crs``, naming the features at fault.

    Catches non-finite coordinates (NaN, infinity), longitudes/latitudes out of range
    in a geographic layer, and in a projected layer values beyond any place on Earth
    or a whole layer of degree-sized values under a CRS in metres. ``labels`` names
    each feature (its id, or its row) in messages: a sequence, or a function that
    makes one, called only when there is something to report.
    """
    geoms = np.asarray(geoms)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return
    bounds = shapely.bounds(geoms)
    nonfinite = present & ~np.isfinite(bounds).all(axis=1)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    nonfinite[owner[~np.isfinite(coords).all(axis=1)]] = True
    if nonfinite.any():
        raise InputError(
            f"{where}: features {_named(labels, nonfinite)} have coordinates that are not "
            "numbers (NaN or infinity). Redraw or delete them, then run again."
        )
    minx, miny, maxx, maxy = (bounds[present, i] for i in range(4))
    if crs.is_geographic:
        _check_geographic(bounds, present, crs, where, labels)
        return
    far = present & (np.abs(bounds) > MAX_PROJECTED_METRES).any(axis=1)
    if far.any():
        raise InputError(
            f"{where}: features {_named(labels, far)} have coordinates beyond any place on "
            f"Earth in {crs.name} (for example {_corner(bounds[far][0])}). Fix or delete them, "
            "or set the layer's real CRS, then run again."
        )
    lo_x, lo_y, hi_x, hi_y = minx.min(), miny.min(), maxx.max(), maxy.max()
    in_degree_range = -180 <= lo_x <= hi_x <= 180 and -90 <= lo_y <= hi_y <= 90
    if is_metric(crs) and in_degree_range and (hi_x - lo_x) < 5 and (hi_y - lo_y) < 5:
        raise InputError(
            f"{where}: coordinates ({lo_x:.4f}, {lo_y:.4f}) .. ({hi_x:.4f}, {hi_y:.4f}) look "
            f"like degrees, but the layer's CRS {crs.name} is in metres. Set the layer's CRS "
            "to a geographic one (EPSG:4490 or EPSG:4326) and run again."
        )
    _check_projected_on_earth(bounds, present, crs, where, labels)


def _named(labels, mask: np.ndarray) -> str:
    """The labels of the features in ``mask``, listed for a message.

    ``labels`` may be a function making them: naming every feature of a large layer
    costs time that a layer without faults need not spend.
    """
    return list_ids(np.asarray(labels() if callable(labels) else labels, dtype=object)[mask])


def _check_geographic(bounds, present, crs: pyproj.CRS, where: str, labels) -> None:
    out = present & ((bounds[:, 0] < -180.5) | (bounds[:, 2] > 360.5)
                     | (bounds[:, 1] < -90.5) | (bounds[:, 3] > 90.5))
    if out.any():
        raise InputError(
            f"{where}: features {_named(labels, out)} have coordinates out of range for the "
            f"geographic CRS {crs.name} (for example {_corner(bounds[out][0])}; longitude "
            "must lie in -180..360 and latitude in -90..90). If the layer is projected, set "
            "its real CRS (for example a Gauss-Kruger zone); else fix those features."
            + _swapped_hint(bounds, present)
        )


def _swapped_hint(bounds: np.ndarray, present: np.ndarray) -> str:
    """A hint when every feature would be in range with longitude and latitude exchanged."""
    b = bounds[present]
    if ((b[:, 1] >= -180) & (b[:, 3] <= 360) & (b[:, 0] >= -90) & (b[:, 2] <= 90)).all():
        return (" With x and y exchanged every feature would be in range: longitude and "
                "latitude look swapped (map them with --column csv_x=... --column csv_y=..., "
                "or fix the file).")
    return ""


def _check_projected_on_earth(bounds, present, crs: pyproj.CRS, where: str, labels) -> None:
    """Refuse features whose centre does not map back to a longitude and latitude."""
    try:
        to_geo = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    except pyproj.exceptions.ProjError:
        return
    x = (bounds[:, 0] + bounds[:, 2]) / 2
    y = (bounds[:, 1] + bounds[:, 3]) / 2
    with np.errstate(all="ignore"):
        lon, lat = to_geo.transform(np.where(present, x, 0.0), np.where(present, y, 0.0),
                                    errcheck=False)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bad = present & ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90))
    if bad.any():
        raise InputError(
            f"{where}: features {_named(labels, bad)} have coordinates that do not map to "
            f"any place on Earth in {crs.name} (for example around "
            f"({x[bad][0]:.0f}, {y[bad][0]:.0f})). Check the layer's CRS, or fix those "
            "features, then run again."
        )


def _corner(row) -> str:
    return f"({row[0]:.6g}, {row[1]:.6g}) .. ({row[2]:.6g}, {row[3]:.6g})"


def crs_label(crs: pyproj.CRS) -> str:
    """A short name for messages: ``EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)``."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name
