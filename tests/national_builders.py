"""Builders for national batches: a few tiny counties, a manifest, outputs to compare."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
from tiny_county import tiny_county, write_gpkg

#: Columns of the national table that do not depend on where or when a county ran.
STABLE_COLUMNS = ["county_code", "input", "out", "buildings_in", "buildings_assigned",
                  "buildings_unassigned", "townships", "census_areas", "small_areas",
                  "households", "within_tolerance_share", "flagged_small_areas"]


def write_counties(folder: Path, n: int) -> list[Path]:
    """``n`` tiny counties (the tiny county moved 5 km north each time) as GeoPackages.

    County ``i`` has the code ``420100 + i`` (as :func:`manifest_text` writes it),
    and its townships' codes nest in it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        layers = {k: v.set_geometry(v.geometry.translate(0, 5000 * i))
                  for k, v in tiny_county().items()}
        codes = layers["townships"]["code"].str[6:]
        layers["townships"]["code"] = f"{420100 + i}" + codes
        path = folder / f"c{i}.gpkg"
        write_gpkg(layers, path)
        paths.append(path)
    return paths


def manifest_text(inputs: list[str], outs: list[str], extra: str = "") -> str:
    """A manifest of one row per county, codes 420100, 420101, ...; ``extra`` rows appended."""
    rows = [f"{i},{420100 + n},{o}" for n, (i, o) in enumerate(zip(inputs, outs, strict=True))]
    return "input,county_code,out\n" + "\n".join(rows) + "\n" + extra


def stable(table: pd.DataFrame) -> pd.DataFrame:
    """The national table without its run-dependent columns (status, seconds, message)."""
    return table[STABLE_COLUMNS].astype(str).reset_index(drop=True)


def file_digests(out: Path) -> dict[str, str]:
    """Every file of an output directory, by relative path, as a SHA-256."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(out).rglob("*")) if p.is_file()}


def hidden_leftovers(folder: Path) -> list[Path]:
    """Temporary or set-aside directories a killed run could leave beside outputs."""
    return [p for p in Path(folder).rglob(".eapart-*")]
