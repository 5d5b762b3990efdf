"""Coordinate reference systems: checking them and choosing a metric one to work in.

Results keep the input's CRS; the work (areas, lengths, Voronoi cells) happens in
metres. A projected input in metres is worked in as it is. A geographic input is
projected to the zone that holds its centre: a CGCS2000 3-degree Gauss-Kruger zone
for CGCS2000 data (EPSG:4534-4554, central meridians 75E-135E), else the UTM zone
of the WGS 84 datum.
"""

from __future__ import annotations

import math

import pyproj

from eapart.errors import InputError

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


def metric_crs_for(crs: pyproj.CRS, lon: float, lat: float) -> pyproj.CRS:
    """Choose the CRS to work in for data in ``crs`` centred at ``lon``, ``lat`` (degrees).

    >>> metric_crs_for(pyproj.CRS("EPSG:4490"), 114.3, 30.6).to_epsg()
    4548
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


def check_coordinates(
    bounds: tuple[float, float, float, float], crs: pyproj.CRS, where: str
) -> None:
    """Catch coordinates that cannot be in ``crs``: degrees in a projected layer, or
    longitudes/latitudes out of range in a geographic one.
    """
    minx, miny, maxx, maxy = bounds
    if any(not math.isfinite(v) for v in bounds):
        return
    if crs.is_geographic:
        if minx < -180.5 or maxx > 360.5 or miny < -90.5 or maxy > 90.5:
            raise InputError(
                f"{where}: coordinates ({minx:.1f}, {miny:.1f}) .. ({maxx:.1f}, {maxy:.1f}) are "
                f"out of range for the geographic CRS {crs.name}. The layer is probably "
                "projected: set its real CRS (for example a Gauss-Kruger zone) and run again."
            )
        return
    in_degree_range = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    if is_metric(crs) and in_degree_range and (maxx - minx) < 5 and (maxy - miny) < 5:
        raise InputError(
            f"{where}: coordinates ({minx:.4f}, {miny:.4f}) .. ({maxx:.4f}, {maxy:.4f}) look "
            f"like degrees, but the layer's CRS {crs.name} is in metres. Set the layer's CRS "
            "to a geographic one (EPSG:4490 or EPSG:4326) and run again."
        )
    area_of_use = crs.area_of_use
    if area_of_use is not None and crs.is_projected:
        try:
            to_geo = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
            lon, lat = to_geo.transform((minx + maxx) / 2, (miny + maxy) / 2)
        except pyproj.exceptions.ProjError:
            return
        if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90:
            raise InputError(
                f"{where}: coordinates around ({(minx + maxx) / 2:.0f}, {(miny + maxy) / 2:.0f}) "
                f"do not map to any place on Earth in {crs.name}. Check the layer's CRS."
            )


def crs_label(crs: pyproj.CRS) -> str:
    """A short name for messages: ``EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)``."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name
