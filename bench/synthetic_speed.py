"""Time the synthetic county generator at three sizes and print a table.

Run: ``.venv/bin/python bench/synthetic_speed.py [--sizes 10000,61310,250000] [--write]``.
``--write`` also times writing the GeoPackage (to a temporary folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from eapart.synthetic.county import make_county, write_county

TOWNSHIPS = {10_000: 8, 61_310: 20, 250_000: 60}


def measure(n: int, write: bool) -> dict:
    """Generate (and optionally write) one county of ``n`` buildings; return its figures."""
    townships = TOWNSHIPS.get(n, max(1, round(20 * n / 61_310)))
    start = time.perf_counter()
    layers = make_county(n_buildings=n, n_townships=townships)
    made = time.perf_counter() - start
    written = float("nan")
    if write:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            write_county(Path(tmp) / "county.gpkg", layers)
            written = time.perf_counter() - start
    b = layers["buildings"]
    return {"buildings": len(b), "townships": len(layers["townships"]),
            "villages": len(layers["villages"]), "households": int(b["households"].sum()),
            "roads": len(layers["roads"]), "generate_s": made, "write_s": written}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,61310,250000")
    parser.add_argument("--write", action="store_true", help="also time the GeoPackage")
    args = parser.parse_args()
    rows = [measure(int(n), args.write) for n in args.sizes.split(",")]
    header = ("buildings", "townships", "villages", "households", "roads", "generate_s",
              "write_s")
    print(" | ".join(f"{h:>10}" for h in header))
    for row in rows:
        print(" | ".join(f"{row[h]:>10.2f}" if isinstance(row[h], float) else f"{row[h]:>10}"
                         for h in header))


if __name__ == "__main__":
    main()
