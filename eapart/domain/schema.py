"""Names of the contract: layers, files, columns, and the parameters users set.

docs/contract.md describes what goes in and what comes out; this module is that
description as data, so code never types a layer, file or column name again.
:data:`PARAMETERS` is the one table of the names a user gives a parameter on the
command line, in a TOML run file and in a batch manifest, each mapped to the one
internal name the code uses.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- files ---------------------------------------------------------------------------

GPKG_NAME = "eapart.gpkg"
REPORT_NAME = "report.json"
SUMMARY_NAME = "summary.csv"
MAP_DIR = "map"
EXPORT_DIR = "export"
SHEETS_DIR = "sheets"

# --- layers --------------------------------------------------------------------------

#: Input layers, in the order they are read.
INPUT_LAYERS: tuple[str, ...] = ("buildings", "townships", "villages", "roads", "rail", "water",
                                 "county")
REQUIRED_INPUT_LAYERS: tuple[str, ...] = ("buildings", "townships")

#: Roads, rail and water: read from the input and copied into the output as read.
FEATURE_LAYERS: tuple[str, ...] = ("roads", "rail", "water")

#: Layers of ``eapart.gpkg``, in the order they are written.
OUTPUT_LAYERS: tuple[str, ...] = ("townships", "census_areas", "small_areas", "buildings",
                                  "unassigned", *FEATURE_LAYERS)

#: The result layers every output has, coarse to fine; the others may be absent.
RESULT_LAYERS: tuple[str, ...] = OUTPUT_LAYERS[:4]

# --- columns -------------------------------------------------------------------------

TOWNSHIP_CODE = "township_code"
CENSUS_AREA_CODE = "census_area_code"
SMALL_AREA_CODE = "small_area_code"
BUILDING_ID = "building_id"
#: A building's place (1, 2, ...) on the walking route of its small area
#: (:mod:`eapart.partition.walk`): the number on the sheets' maps and building lists.
WALK_NUMBER = "walk_number"
FLAGS_COLUMN = "flags"

#: Columns that hold codes: always strings, leading zeros kept.
CODE_COLUMNS: tuple[str, ...] = (TOWNSHIP_CODE, CENSUS_AREA_CODE, SMALL_AREA_CODE, BUILDING_ID)

#: The columns of each output layer, in the order they are written (geometry last).
OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "townships": (TOWNSHIP_CODE, "name", "households", "persons", "census_areas",
                  "small_areas", "buildings"),
    "census_areas": (CENSUS_AREA_CODE, TOWNSHIP_CODE, "name", "households", "persons",
                     "small_areas", "buildings", "township_name"),
    "small_areas": (SMALL_AREA_CODE, CENSUS_AREA_CODE, TOWNSHIP_CODE, "households", "persons",
                    "buildings", FLAGS_COLUMN, "township_name", "census_area_name"),
    "buildings": (BUILDING_ID, TOWNSHIP_CODE, CENSUS_AREA_CODE, SMALL_AREA_CODE, "households",
                  "persons", "type", "name", "floors", WALK_NUMBER),
    "unassigned": (BUILDING_ID, "reason"),
    **{layer: ("class", "name") for layer in FEATURE_LAYERS},
}

#: Written after ``households`` in the buildings layer when households were
#: estimated: the fraction each building was balanced with (``households`` is whole).
HOUSEHOLDS_ESTIMATE = "households_estimate"

#: Each area layer's own code column.
CODE_OF_LAYER: dict[str, str] = {
    "townships": TOWNSHIP_CODE, "census_areas": CENSUS_AREA_CODE,
    "small_areas": SMALL_AREA_CODE, "buildings": BUILDING_ID,
}

#: Columns of ``summary.csv``, one row per small area.
SUMMARY_COLUMNS: tuple[str, ...] = (
    SMALL_AREA_CODE, CENSUS_AREA_CODE, TOWNSHIP_CODE, "township_name", "census_area_name",
    "households", "persons", "buildings", FLAGS_COLUMN,
)

#: The size measures a run can balance.
MEASURES: tuple[str, ...] = ("households", "persons")

# --- parameters ----------------------------------------------------------------------

CLI = "cli"
TOML = "toml"
MANIFEST = "manifest"


@dataclass(frozen=True)
class Parameter:
    """One user name of a run parameter, and the internal name it sets.

    ``user`` is the name in a TOML file and a manifest column; on the command line
    it is ``--`` + ``user`` with dashes (``min_households`` -> ``--min-households``).
    ``section`` is the part of the run it belongs to (the TOML table and the
    :class:`~eapart.config.RunConfig` part: ``partition``, ``households``, ``input``
    or ``output``),
    ``name`` the field it sets there, ``kind`` the Python type of its value,
    ``sources`` where the name is accepted (:data:`CLI`, :data:`TOML`,
    :data:`MANIFEST`), and ``measure`` the size measure the name selects, if any.
    """

    user: str
    section: str
    name: str
    kind: type
    sources: frozenset[str]
    measure: str | None = None

    @property
    def option(self) -> str:
        """The command-line option: ``--min-households``."""
        return "--" + self.user.replace("_", "-")


_ALL = frozenset({CLI, TOML, MANIFEST})
_FILES = frozenset({CLI, TOML})


def _sized(bound: str, name: str) -> tuple[Parameter, ...]:
    return tuple(Parameter(f"{bound}_{measure}", "partition", name, float, _ALL, measure)
                 for measure in MEASURES)


#: Every parameter's user names, each mapped to one internal name.
PARAMETERS: tuple[Parameter, ...] = (
    *_sized("target", "target"),
    *_sized("min", "min_size"),
    *_sized("max", "max_size"),
    Parameter("target", "partition", "target", float, frozenset({TOML})),
    Parameter("min_size", "partition", "min_size", float, frozenset({TOML})),
    Parameter("max_size", "partition", "max_size", float, frozenset({TOML})),
    Parameter("measure", "partition", "measure", str, frozenset({TOML})),
    Parameter("tolerance", "partition", "tolerance", float, frozenset({TOML})),
    Parameter("small_areas", "partition", "small_areas", int, _ALL),
    Parameter("census_areas", "partition", "census_areas", int, _ALL),
    Parameter("census_area_households", "partition", "census_area_target", float, _ALL),
    Parameter("census_area_target", "partition", "census_area_target", float, frozenset({TOML})),
    Parameter("allow_barrier_crossing", "partition", "allow_barrier_crossing", bool, _FILES),
    Parameter("join_isolated_below", "partition", "join_isolated_below", float, _FILES),
    Parameter("institution_types", "partition", "institution_types", tuple, _FILES),
    Parameter("seed", "partition", "seed", int, _ALL),
    Parameter("total_households", "households", "total_households", float, _ALL),
    Parameter("total_persons", "households", "total_persons", float, _ALL),
    Parameter("path", "input", "input", str, frozenset({TOML})),
    Parameter("input", "input", "input", str, frozenset({MANIFEST})),
    Parameter("layers", "input", "layers", dict, frozenset({TOML})),
    Parameter("config", "input", "config_file", str, frozenset({CLI, MANIFEST})),
    Parameter("encoding", "input", "encoding", str, _FILES),
    Parameter("csv_crs", "input", "csv_crs", str, _FILES),
    Parameter("county_code", "input", "county_code", str, _ALL),
    Parameter("basemap", "output", "basemap", str, _FILES),
    Parameter("attribution", "output", "attribution", str, _FILES),
    Parameter("jobs", "output", "jobs", int, _FILES),
    Parameter("scheduler", "output", "scheduler", str, _FILES),
    Parameter("strict", "output", "strict", bool, _FILES),
    Parameter("strict_flags", "output", "strict_flags", tuple, _FILES),
    Parameter("formats", "output", "formats", tuple, _FILES),
    Parameter("language", "output", "language", str, _FILES),
    Parameter("gpkg_version", "output", "gpkg_version", str, _FILES),
    Parameter("maps", "output", "maps", bool, frozenset({TOML})),
    Parameter("out", "output", "out", str, frozenset({CLI, MANIFEST})),
    Parameter("force", "output", "force", bool, frozenset({CLI})),
    Parameter("keep_codes_from", "output", "keep_codes_from", str, frozenset({CLI})),
    Parameter("previous", "output", "previous", str, frozenset({CLI})),
    Parameter("edits", "output", "edits", str, frozenset({CLI})),
)


def parameters(source: str, section: str | None = None) -> dict[str, Parameter]:
    """The parameters ``source`` accepts (optionally of one ``section``), by user name.

    >>> parameters(MANIFEST, "partition")["min_households"].name
    'min_size'
    """
    return {p.user: p for p in PARAMETERS
            if source in p.sources and (section is None or p.section == section)}
