"""Open every exported layer in QGIS and check that it comes up styled and labelled.

Run with the system Python that has QGIS's bindings (Debian: ``apt-get install
python3-qgis qgis``), not the project's virtual environment::

    /usr/bin/python3 bench/qgis_check.py OUTDIR [--png-dir tests/artifacts]

``OUTDIR`` is an eapart output with ``eapart export OUTDIR --format gpkg,shp`` done.
For the output's ``eapart.gpkg``, ``export/gpkg/eapart.gpkg`` and every
``export/shp/*.zip`` (unzipped, as a user does, and read in place through
``/vsizip/``), each layer is loaded as QGIS loads it: the default style from the
GeoPackage's ``layer_styles`` table or the ``.qml`` beside the Shapefile. The script
prints one row per layer (features, renderer, labels and their field) and every
message QGIS or GDAL logged while loading (a GeoPackage version warning among them),
renders each source to a PNG, and exits 1 if a layer failed to load, has no style,
labels a field it lacks, or anything was logged as a warning. It needs QGIS, so it
lives in ``bench/`` rather than in ``make test``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

#: Layers that must come up labelled, and the column (GeoPackage) or field (Shapefile).
LABELLED = {"townships": ("name", "name"), "census_areas": ("census_area_code", "ca_code"),
            "small_areas": ("small_area_code", "sa_code")}


def gpkg_layers(path: Path) -> list[str]:
    """Feature layer names of a GeoPackage, as QGIS lists them."""
    probe = QgsVectorLayer(str(path), "probe", "ogr")
    names = []
    for item in probe.dataProvider().subLayers():
        parts = item.split(QgsVectorLayer.SUBLAYER_SEPARATOR if hasattr(
            QgsVectorLayer, "SUBLAYER_SEPARATOR") else "!!::!!")
        if len(parts) > 1 and parts[1] not in names and parts[1] != "layer_styles":
            names.append(parts[1])
    return names


def describe(layer: QgsVectorLayer, base: str, short: bool) -> dict:
    """What QGIS made of one layer: features, renderer, labels, problems."""
    row = {"layer": layer.name(), "valid": layer.isValid(), "features": 0, "renderer": "-",
           "labels": "-", "problems": []}
    if not layer.isValid():
        row["problems"].append("did not load")
        return row
    row["features"] = layer.featureCount()
    if row["features"] == 0 and not layer.isSpatial():
        row["renderer"] = "(empty, no geometry type: nothing to draw)"
        return row
    renderer = layer.renderer()
    row["renderer"] = renderer.type() if renderer else "-"
    styled = bool(layer.styleManager().styles()) and renderer is not None
    if base in ("small_areas",) and row["renderer"] != "RuleRenderer":
        row["problems"].append("no flagged rule: the eapart style was not applied")
    if base in LABELLED:
        field = LABELLED[base][1 if short else 0]
        if not layer.labelsEnabled() or layer.labeling() is None:
            row["problems"].append("labels not enabled")
        else:
            settings = layer.labeling().settings()
            row["labels"] = settings.fieldName
            if layer.fields().indexOf(settings.fieldName) < 0:
                row["problems"].append(f"labels field {settings.fieldName!r} missing")
            elif settings.fieldName != field:
                row["problems"].append(f"labels {settings.fieldName!r}, expected {field!r}")
    if not styled:
        row["problems"].append("no style")
    return row


def render(layers: list[QgsVectorLayer], path: Path) -> None:
    """Draw ``layers`` (first on top) to a PNG."""
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(1400, 1000))
    extent = QgsRectangle()
    for layer in layers:
        if layer.isValid():
            extent.combineExtentWith(layer.extent())
    settings.setDestinationCrs(layers[0].crs())
    settings.setExtent(extent)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(str(path), "png")


class Stderr:
    """Everything written to this process's stderr (GDAL prints its warnings there)."""

    def __init__(self):
        self.file = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 (lives as long as the run)
        self.saved = os.dup(2)
        os.dup2(self.file.fileno(), 2)
        self.read_to = 0

    def new_lines(self) -> list[str]:
        self.file.seek(self.read_to)
        data = self.file.read()
        self.read_to += len(data)
        return [line for line in data.decode("utf-8", "replace").splitlines()
                if line.strip() and "XDG_RUNTIME_DIR" not in line]

    def restore(self) -> None:
        os.dup2(self.saved, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--png-dir", type=Path, default=Path("tests/artifacts"))
    args = parser.parse_args()
    stderr = Stderr()
    app = QgsApplication([], False)
    app.initQgis()
    messages: list[str] = []

    def logged(message, tag, level):
        if level >= Qgis.Warning:
            messages.append(f"[{tag}] {message}")

    QgsApplication.messageLog().messageReceived.connect(logged)
    args.png_dir.mkdir(parents=True, exist_ok=True)
    sources: list[tuple[str, list[tuple[str, str, str]], bool]] = []
    for gpkg in (args.outdir / "eapart.gpkg", args.outdir / "export" / "gpkg" / "eapart.gpkg"):
        if gpkg.is_file():
            sources.append((str(gpkg.relative_to(args.outdir)),
                            [(f"{gpkg}|layername={n}", n, n) for n in gpkg_layers(gpkg)], False))
    unzipped = Path(tempfile.mkdtemp(prefix="qgis-check-"))
    zips = sorted((args.outdir / "export" / "shp").glob("*.zip"))
    for kind in ("unzipped", "vsizip"):
        items = []
        for archive in zips:
            with zipfile.ZipFile(archive) as z:
                shps = [n for n in z.namelist() if n.endswith(".shp")]
                if kind == "unzipped":
                    z.extractall(unzipped / archive.stem)
            for shp in shps:
                uri = (str(unzipped / archive.stem / shp) if kind == "unzipped"
                       else f"/vsizip/{archive}/{shp}")
                items.append((uri, Path(shp).stem, archive.stem))
        if items:
            sources.append((f"export/shp ({kind})", items, True))
    failed = False
    print(f"QGIS {Qgis.QGIS_VERSION}; read from inside a zip (vsizip) QGIS applies no .qml, "
          "so those rows only check that the layers load")
    stderr.new_lines()
    for title, items, short in sources:
        print(f"\n## {title}\n")
        print("| layer | loaded | features | renderer | labels | problems |")
        print("|---|---|---|---|---|---|")
        before = len(messages)
        loaded = []
        for uri, name, base in items:
            layer = QgsVectorLayer(uri, name, "ogr")
            row = describe(layer, base, short)
            if "vsizip" in title:  # QGIS 3.22 reads no .qml from inside a zip: a note only
                row["problems"] = []
            failed |= bool(row["problems"])
            print(f"| {row['layer']} | {row['valid']} | {row['features']} | {row['renderer']} | "
                  f"{row['labels']} | {'; '.join(row['problems']) or 'none'} |")
            loaded.append(layer)
        order = ["townships", "census_areas", "small_areas", "roads", "rail", "water",
                 "buildings", "unassigned"]
        loaded.sort(key=lambda layer: next((k for k, o in enumerate(order)
                                            if layer.name().startswith(o)), len(order)))
        png = args.png_dir / ("qgis_" + title.replace("/", "_").replace(" ", "_")
                              .replace("(", "").replace(")", "").replace(".", "_") + ".png")
        render([layer for layer in loaded if layer.isValid()], png)
        print(f"\nrendered: {png}")
        new = messages[before:] + [f"[stderr] {line}" for line in stderr.new_lines()]
        print(f"messages logged while loading: {len(new)}")
        for message in new:
            print(f"  {message}")
        failed |= bool(new)
    app.exitQgis()
    stderr.restore()
    print("\nresult:", "PROBLEMS (see above)" if failed else "every layer styled and labelled, "
          "no warning")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
