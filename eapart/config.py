"""Every parameter of a run, with defaults, and the TOML file that can hold them.

A run is described by one :class:`RunConfig`. The command line builds it from its
options; ``--config FILE`` reads a TOML file first and options given on the command
line win. The file uses the same names as the long options, grouped in tables::

    [input]
    path = "county.gpkg"          # one GeoPackage with the contract's layers
    encoding = "GBK"              # for Shapefiles without a .cpg
    county_code = "420117"

    [input.layers]                # separate files (or layers) per contract layer
    buildings = "buildings.shp"
    roads = "roads.gpkg:road_lines"   # FILE:LAYER picks a layer in a multi-layer file

    [columns]                     # map your column names to the contract's
    building_id = "BLDG_ID"
    households = "HU"
    township_name = "XZMC"

    [households]
    dwelling_size = 90.0          # m2 of floor area per household
    persons_per_household = 2.62

    [partition]
    target_households = 80
    min_households = 64
    max_households = 96

    [staff]                       # eapart assign: enumerators and supervisors
    households_per_enumerator = 80
    enumerators_per_supervisor = 5

    [output]
    formats = ["gpkg", "shp"]
    basemap = "none"
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eapart.domain.rules import DEFAULT_TARGET, DEFAULT_TOLERANCE, SizeBand
from eapart.domain.schema import INPUT_LAYERS, MEASURES, TOML, Parameter, parameters
from eapart.domain.vocabulary import (
    DEFAULT_FLOORS_BY_TYPE,
    DEFAULT_INSTITUTION_TYPES,
    DEFAULT_NON_RESIDENTIAL_TYPES,
    DEFAULT_SINGLE_DWELLING_TYPES,
    GENERIC_RESIDENTIAL_TYPES,
)
from eapart.errors import UsageError
from eapart.options import Where, check, check_like, key_lines
from eapart.staff.norms import StaffNorms

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass
class Columns:
    """Names of the input columns the tool uses; ``None`` means "find it".

    When a name is ``None`` the reader looks for the usual spellings (for
    example ``id``, ``building_id``, ``osm_id`` for the building id) and says in
    the report which column it took.
    """

    building_id: str | None = None
    households: str | None = None
    persons: str | None = None
    floors: str | None = None
    building_type: str | None = None
    building_name: str | None = None
    township_code: str | None = None
    township_name: str | None = None
    township_population: str | None = None
    township_households: str | None = None
    village_code: str | None = None
    village_name: str | None = None
    barrier_class: str | None = None
    barrier_name: str | None = None
    csv_x: str | None = None
    csv_y: str | None = None
    csv_wkt: str | None = None


@dataclass
class HouseholdParams:
    """How households are estimated when the buildings carry no count.

    households = footprint area x storeys / ``dwelling_size``, as a fraction, at
    least one for a residential building; one for a low-rise building of a
    ``single_dwelling_types`` type and for an untyped (or only generically
    residential) low-rise footprint up to ``small_untyped_footprint`` m2; 0 for a
    ``non_residential_types`` type, a name that says so, an untyped footprint under
    ``min_dwelling_footprint`` m2, beside a larger typed dwelling (within
    ``outbuilding_distance`` m) or over ``large_untyped_footprint`` m2 with no
    storeys (see :mod:`eapart.io.households`).
    Persons = households x ``persons_per_household``. When the townships layer
    carries a population or households total, each township's estimate is scaled
    to match it (``scale_to_townships``); ``total_households`` or ``total_persons``
    is a county total shared by the townships that have none.
    """

    dwelling_size: float = 90.0
    persons_per_household: float = 2.62
    min_dwelling_footprint: float = 30.0
    small_untyped_footprint: float = 150.0
    large_untyped_footprint: float = 3000.0
    low_rise_storeys: float = 2.0
    outbuilding_distance: float = 20.0
    floors_by_type: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FLOORS_BY_TYPE))
    non_residential_types: tuple[str, ...] = DEFAULT_NON_RESIDENTIAL_TYPES
    single_dwelling_types: tuple[str, ...] = DEFAULT_SINGLE_DWELLING_TYPES
    generic_residential_types: tuple[str, ...] = GENERIC_RESIDENTIAL_TYPES
    scale_to_townships: bool = True
    total_households: float | None = None
    total_persons: float | None = None


@dataclass
class PartitionConfig:
    """Targets for census areas and small areas, for the whole county, as the user set them.

    ``min_size`` and ``max_size`` are ``None`` when not given; :meth:`band` fills
    them from ``tolerance``. The band a run uses is derived from this, never
    written back (:func:`eapart.pipeline.derive_band`).
    """

    measure: str = "households"
    target: float = DEFAULT_TARGET
    min_size: float | None = None
    max_size: float | None = None
    tolerance: float = DEFAULT_TOLERANCE
    small_areas: int | None = None
    census_areas: int | None = None
    census_area_target: float | None = None
    allow_barrier_crossing: bool = False
    #: A group cut off by barriers lighter than this share of the minimum joins its
    #: cheapest neighbour across the barrier (flagged); 0 keeps every such group apart.
    join_isolated_below: float = 0.0
    institution_types: tuple[str, ...] = DEFAULT_INSTITUTION_TYPES
    seed: int = 0

    def band(self) -> SizeBand:
        """The size band as given: the minimum and maximum, else target -/+ tolerance."""
        low = self.min_size if self.min_size is not None else self.target * (1 - self.tolerance)
        high = self.max_size if self.max_size is not None else self.target * (1 + self.tolerance)
        return SizeBand(self.measure, self.target, low, high)


@dataclass
class RunConfig:
    """One run: where the inputs are, how to read them, what to make, where to put it."""

    input: Path | None = None
    layers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    csv_crs: str | None = None
    county_code: str | None = None
    columns: Columns = field(default_factory=Columns)
    households: HouseholdParams = field(default_factory=HouseholdParams)
    partition: PartitionConfig = field(default_factory=PartitionConfig)
    staff: StaffNorms = field(default_factory=StaffNorms)
    out: Path | None = None
    formats: tuple[str, ...] = ()
    language: str = "zh"
    gpkg_version: str = "1.2"
    basemap: str | None = None
    attribution: str | None = None
    maps: bool = True
    force: bool = False
    strict: bool = False
    #: Flags that make ``strict`` exit 3; empty: every flag of severity ``problem``.
    strict_flags: tuple[str, ...] = ()
    jobs: int | None = None
    scheduler: str | None = None
    keep_codes_from: Path | None = None
    #: An earlier output to re-run on: only small areas whose buildings changed are
    #: redrawn, every other area is kept as it was (``--previous``).
    previous: Path | None = None
    #: An edits file applied on top of ``previous`` (``--edits``).
    edits: Path | None = None
    config_file: Path | None = None
    config_text: str | None = None
    #: A run that places fewer than this share of the buildings in a township is an
    #: error (and one that places none always is): most likely the CRS or the axes are wrong.
    min_placed_share: float = 0.01
    #: User names of the options given (command line, run file or manifest), not
    #: defaulted: :meth:`validate` refuses options that contradict each other.
    given: set[str] = field(default_factory=set)

    def section(self, name: str) -> object:
        """The object that holds the parameters of a :data:`~eapart.domain.schema.PARAMETERS`
        section: ``partition`` and ``households`` have their own, ``input`` and
        ``output`` are fields of the run itself."""
        return {"partition": self.partition, "households": self.households}.get(name, self)

    def set_parameter(self, parameter: Parameter, value: object) -> None:
        """Set one parameter by its table entry (and the measure its name selects)."""
        setattr(self.section(parameter.section), parameter.name, value)
        if parameter.measure:
            self.partition.measure = parameter.measure

    def validate(self) -> None:
        """Raise :class:`UsageError` for parameters that cannot work together."""
        p = self.partition
        _refuse_conflicts(self.given)
        if p.measure not in MEASURES:
            raise UsageError(f"measure must be 'households' or 'persons', not {p.measure!r}")
        if p.target <= 0:
            raise UsageError(f"the target size must be positive, not {p.target}")
        band = p.band()
        if band.min_size > p.target or band.max_size < p.target:
            raise UsageError(
                f"need min <= target <= max; got min {band.min_size:g}, target {p.target:g}, "
                f"max {band.max_size:g}: adjust --min-households / --max-households"
            )
        if not 0 <= p.join_isolated_below <= 1:
            raise UsageError(f"--join-isolated-below is a share of the minimum between 0 and 1, "
                             f"not {p.join_isolated_below:g}")
        for name in ("small_areas", "census_areas"):
            value = getattr(p, name)
            if value is not None and value < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
        if self.county_code is not None and not (
            len(self.county_code) == 6 and self.county_code.isdigit()
        ):
            raise UsageError(
                f"--county-code must be 6 digits (province+prefecture+county), "
                f"not {self.county_code!r}"
            )
        if self.households.dwelling_size <= 0:
            raise UsageError("households.dwelling_size must be positive")
        self._validate_county_total()
        if self.jobs is not None and self.jobs < 1:
            raise UsageError(f"--jobs must be at least 1, not {self.jobs}")
        unknown = set(self.layers) - set(INPUT_LAYERS)
        if unknown:
            raise UsageError(
                f"unknown layer name(s) {sorted(unknown)}; the layers are {', '.join(INPUT_LAYERS)}"
            )

    def _validate_county_total(self) -> None:
        h = self.households
        if h.total_households is not None and h.total_persons is not None:
            raise UsageError("give --total-households or --total-persons, not both")
        for name in ("total_households", "total_persons"):
            value = getattr(h, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value <= 0:
                raise UsageError(
                    f"--{name.replace('_', '-')} (households.{name} in a run file) must be "
                    f"a positive number, not {value!r}"
                )

    def parameters(self, band: SizeBand | None = None) -> dict[str, Any]:
        """The parameters that shape the result, as plain JSON-ready values.

        ``band`` is the band the run derived (:func:`eapart.pipeline.derive_band`);
        without it, the band as given.
        """
        p = self.partition
        band = band or p.band()
        return {
            "measure": band.measure,
            "target": band.target,
            "min_size": band.min_size,
            "max_size": band.max_size,
            "small_areas": p.small_areas,
            "census_areas": p.census_areas,
            "census_area_target": p.census_area_target,
            "allow_barrier_crossing": p.allow_barrier_crossing,
            "join_isolated_below": p.join_isolated_below,
            "institution_types": list(p.institution_types),
            "seed": p.seed,
            "county_code": self.county_code,
            "households": {
                k: (list(v) if isinstance(v, tuple) else v)
                for k, v in dataclasses.asdict(self.households).items()
            },
            "columns": {k: v for k, v in dataclasses.asdict(self.columns).items() if v},
            "encoding": self.encoding,
        }


#: Options that cannot be given together: (one, the others, why).
CONFLICTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("small_areas", ("target_households", "target_persons", "target"),
     "a county total of small areas sets the target itself (the county's mean size)"),
    ("census_areas", ("census_area_households", "census_area_target"),
     "a county total of census areas sets their size itself"),
    ("target_households", ("target_persons", "min_persons", "max_persons"),
     "a run balances households or persons, not both"),
    ("target_persons", ("min_households", "max_households"),
     "a run balances households or persons, not both"),
)


def _refuse_conflicts(given: set[str]) -> None:
    """Raise :class:`UsageError` for options given together that contradict each other."""
    for one, others, why in CONFLICTS:
        clash = [o for o in others if o in given]
        if one in given and clash:
            names = " and ".join(f"--{n.replace('_', '-')}" for n in (one, clash[0]))
            raise UsageError(f"{names} cannot be given together: {why}. Drop one of them.")


# --- the TOML file -------------------------------------------------------------------

_SECTION_FIELDS = {
    "columns": Columns,
    "households": HouseholdParams,
    "staff": StaffNorms,
}

#: The keys of the TOML tables that hold run parameters (docs/contract.md).
_PARTITION_KEYS = parameters(TOML, "partition")
_INPUT_KEYS = parameters(TOML, "input")
_OUTPUT_KEYS = parameters(TOML, "output")


def load_config(path: Path) -> RunConfig:
    """Read a TOML run file into a :class:`RunConfig`.

    Unknown tables or keys are errors that name the key, so a typo never passes
    silently; every value is checked by :mod:`eapart.options`, and an error names
    the file, the line and the key. Relative paths inside the file are taken
    relative to the file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read the config file {path.name}: {why}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path.name} is not valid TOML: {exc}") from exc
    cfg = RunConfig(config_file=path, config_text=text)
    lines = key_lines(text)

    def where(table: str, key: str) -> Where:
        return Where.run_file(path, lines.get((table, key)), table, key)

    base = path.parent
    for section, values in data.items():
        if not isinstance(values, dict):
            raise UsageError(f"{where('', section).label}: '{section}' must be a table like "
                             f"[{section}]")
        if section == "input":
            _apply_input(cfg, values, base, where)
        elif section in _SECTION_FIELDS:
            _apply_fields(cfg, section, values, where)
        elif section == "partition":
            _apply_partition(cfg, values, where)
        elif section == "output":
            _apply_output(cfg, values, where)
        else:
            raise UsageError(
                f"{where('', section).label}: unknown table [{section}]; use [input], "
                "[columns], [households], [partition], [staff] or [output]"
            )
    return cfg


def _apply_input(cfg: RunConfig, values: dict, base: Path, where) -> None:
    for key, value in values.items():
        if key not in _INPUT_KEYS:
            raise UsageError(f"{where('input', key).label}: unknown key '{key}' "
                             f"(known: {sorted(_INPUT_KEYS)})")
        value = check(key, value, where("input", key))
        name = _INPUT_KEYS[key].name
        if name == "input":
            cfg.input = base / value
        elif name == "layers":
            cfg.layers = {k: _relative_source(base, v) for k, v in value.items()}
        else:
            setattr(cfg, name, value)
        cfg.given.add(key)


def _relative_source(base: Path, source: str) -> str:
    """Resolve ``FILE`` or ``FILE:LAYER`` against the config file's folder."""
    file_part, sep, layer = source.partition(":") if ":" in source[2:] else (source, "", "")
    resolved = base / file_part
    return f"{resolved}{sep}{layer}" if sep else str(resolved)


def _apply_fields(cfg: RunConfig, section: str, values: dict, where) -> None:
    """A table whose keys are the fields of one part of the run ([columns], [staff], ...).

    Keys that are run options (:data:`eapart.options.SPECS`) are checked by their rule,
    the others by the type of their default (a column name is text, a count a number).
    """
    target = getattr(cfg, section)
    names = {f.name: f for f in dataclasses.fields(target)}
    for key, value in values.items():
        if key not in names:
            raise UsageError(f"{where(section, key).label}: unknown key '{key}' "
                             f"(known: {sorted(names)})")
        current = getattr(target, key)
        if section == "households":
            value = check(key, value, where(section, key))
        else:
            value = check_like(current if current is not None else "", value,
                               where(section, key))
        if isinstance(current, tuple):
            value = tuple(value)
        setattr(target, key, value)
        if section == "households":
            cfg.given.add(key)


def _apply_partition(cfg: RunConfig, values: dict, where) -> None:
    part = cfg.partition
    for key, value in values.items():
        if key not in _PARTITION_KEYS:
            raise UsageError(f"{where('partition', key).label}: unknown key '{key}' "
                             f"(known: {sorted(_PARTITION_KEYS)})")
        value = check(key, value, where("partition", key))
        parameter = _PARTITION_KEYS[key]
        if parameter.measure:
            part.measure = parameter.measure
        if isinstance(getattr(part, parameter.name), tuple):
            value = tuple(value)
        setattr(part, parameter.name, value)
        cfg.given.add(key)


def _apply_output(cfg: RunConfig, values: dict, where) -> None:
    for key, value in values.items():
        if key not in _OUTPUT_KEYS:
            known = sorted(_OUTPUT_KEYS)
            raise UsageError(f"{where('output', key).label}: unknown key '{key}' "
                             f"(known: {known})")
        if key in ("formats", "strict_flags") and isinstance(value, str):
            value = value.split(",")
        value = check(key, value, where("output", key))
        if key == "formats":
            value = tuple(v.strip().lower() for v in value)
        elif key == "strict_flags":
            value = tuple(v.strip() for v in value if v.strip())
        setattr(cfg, _OUTPUT_KEYS[key].name, value)
        cfg.given.add(key)
