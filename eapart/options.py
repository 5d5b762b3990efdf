"""One check for every run option, wherever it was given.

An option reaches a run from the command line (``--target-households 80``), from
the TOML run file (``[partition] target_households = 80``) or from a column of a
batch manifest (``target_households`` in row 3). Each one is checked here, by the
same rule, and an error names the key and where it was given: the option, or the
file and its line. :data:`SPECS` is the table of rules, keyed by the option's
name (the long option with ``_`` for ``-``, which is also the run file's and the
manifest's key).

>>> check("jobs", 2, Where.option("jobs"))
2
>>> check("target_households", "80", Where.manifest("m.csv", 2))
80.0
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eapart.errors import UsageError


@dataclass(frozen=True)
class Where:
    """Where an option was given, as messages name it."""

    label: str
    #: Values came as text (command line, manifest) rather than typed (TOML).
    textual: bool = False

    @classmethod
    def option(cls, name: str) -> Where:
        """The command line's ``--name``."""
        return cls(f"--{name.replace('_', '-')}", textual=True)

    @classmethod
    def run_file(cls, path: Path | str, line: int | None, table: str, key: str) -> Where:
        """A key of a TOML run file, with its line when it can be found."""
        at = f" line {line}" if line else ""
        return cls(f"{Path(path).name}{at}: [{table}] {key}")

    @classmethod
    def manifest(cls, path: Path | str, line: int, column: str | None = None) -> Where:
        """A cell of a batch manifest (``line`` counts the header as line 1)."""
        col = f", column {column}" if column else ""
        return cls(f"{Path(path).name} line {line}{col}", textual=True)


@dataclass(frozen=True)
class Spec:
    """The rule of one option: its kind, and the range or choices it may take."""

    kind: str  # "int", "float", "text", "bool", "texts" (a list of texts), "numbers" (a table)
    low: float | None = None
    high: float | None = None
    #: The low end itself is not allowed (a target must be above 0).
    above: bool = False
    check: Callable[[Any], str | None] | None = None
    help: str = ""


def _county_code(value: str) -> str | None:
    if len(value) == 6 and value.isdigit():
        return None
    return "must be 6 digits (province + prefecture + county), e.g. 420117"


_HOST = r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+)"
_ADDRESS = re.compile(rf"^((tcp|tls|ucx|ws|wss)://)?{_HOST}:(\d{{1,5}})$")


def _scheduler(value: str) -> str | None:
    match = _ADDRESS.match(value)
    if match and 0 < int(match.group(4)) < 65536:
        return None
    return ("must be a Dask scheduler address like tcp://HOST:8786 "
            "(an IPv6 host in brackets: tcp://[::1]:8786)")


def _encoding(value: str) -> str | None:
    import codecs

    try:
        codecs.lookup(value)
    except LookupError:
        return "is not a known text encoding (try UTF-8 or GBK)"
    return None


def _formats(values: list[str]) -> str | None:
    from eapart.io.export import FORMATS

    unknown = sorted({v.strip().lower() for v in values} - set(FORMATS))
    if unknown:
        return f"has unknown format(s) {', '.join(unknown)}; choose from {','.join(FORMATS)}"
    return None


def _measure(value: str) -> str | None:
    return None if value in ("households", "persons") else "must be households or persons"


_COUNT = Spec("float", low=0, high=1e9)
_TARGET = Spec("float", low=0, above=True, high=1e9)

#: Every option a run takes, by name (CLI, run file and manifest use the same names).
SPECS: dict[str, Spec] = {
    "target_households": _TARGET,
    "min_households": _COUNT,
    "max_households": _TARGET,
    "target_persons": _TARGET,
    "min_persons": _COUNT,
    "max_persons": _TARGET,
    "target": _TARGET,
    "min_size": _COUNT,
    "max_size": _TARGET,
    "tolerance": Spec("float", low=0, high=1),
    "measure": Spec("text", check=_measure),
    "small_areas": Spec("int", low=1, high=10_000_000),
    "census_areas": Spec("int", low=1, high=10_000_000),
    "census_area_households": _TARGET,
    "census_area_target": _TARGET,
    "allow_barrier_crossing": Spec("bool"),
    "join_isolated_below": Spec("float", low=0, high=1),
    "institution_types": Spec("texts"),
    "seed": Spec("int", low=0, high=2**32 - 1),
    "jobs": Spec("int", low=1, high=4096),
    "scheduler": Spec("text", check=_scheduler),
    "county_code": Spec("text", check=_county_code),
    "encoding": Spec("text", check=_encoding),
    "csv_crs": Spec("text"),
    "column": Spec("text"),
    "path": Spec("text"),
    "keep_codes_from": Spec("path"),
    "previous": Spec("path"),
    "edits": Spec("path"),
    "language": Spec("text"),
    "gpkg_version": Spec("text"),
    "layers": Spec("table"),
    "formats": Spec("texts", check=_formats),
    "basemap": Spec("text"),
    "attribution": Spec("text"),
    "maps": Spec("bool"),
    "strict": Spec("bool"),
    "strict_flags": Spec("texts"),
    "force": Spec("bool"),
    "min_placed_share": Spec("float", low=0, high=1),
    "total_households": Spec("float", low=0, above=True, high=1e10),
    "total_persons": Spec("float", low=0, above=True, high=1e10),
    # [households]
    "dwelling_size": Spec("float", low=0, above=True, high=1e6),
    "persons_per_household": Spec("float", low=0, above=True, high=1000),
    "min_dwelling_footprint": Spec("float", low=0, high=1e6),
    "floors_by_type": Spec("numbers", low=0, above=True, high=1000),
    "non_residential_types": Spec("texts"),
    "scale_to_townships": Spec("bool"),
}


def _fail(where: Where, value: Any, why: str) -> UsageError:
    return UsageError(f"{where.label} = {_show(value)}: {why}")


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value: Any, kind: str, where: Where, positive: bool = False) -> float | int:
    noun = "a whole number" if kind == "int" else "a number"
    if positive:
        noun = f"a positive {noun.split(' ', 1)[1]}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _fail(where, value, f"must be {noun}")
    if isinstance(value, str):
        if not where.textual:
            raise _fail(where, value, f"must be {noun}, not text (drop the quotes)")
        try:
            value = float(value.strip())
        except ValueError:
            raise _fail(where, value, f"must be {noun}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(where, value, f"must be a finite {noun.split(' ', 1)[1]}")
    if kind == "int":
        if isinstance(value, float):
            if value != int(value):
                raise _fail(where, value, "must be a whole number")
            value = int(value)
        return value
    return float(value)


def _in_range(value: float, spec: Spec, where: Where) -> None:
    if spec.low is not None and (value < spec.low or (spec.above and value == spec.low)):
        bound = f"at least {spec.low:g}"
        if spec.above:
            bound = "positive (above 0)" if spec.low == 0 else f"above {spec.low:g}"
        raise _fail(where, value, f"out of range: must be {bound}")
    if spec.high is not None and value > spec.high:
        raise _fail(where, value, f"out of range: must be at most {spec.high:g}")


def _texts(value: Any, where: Where) -> list[str]:
    if isinstance(value, str) and where.textual:
        value = [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise _fail(where, value, 'must be a list of texts, e.g. ["a", "b"]')


def check(name: str, value: Any, where: Where) -> Any:
    """``value`` of option ``name`` converted to its kind, or a :class:`UsageError`.

    Text given on the command line or in a manifest is parsed; a TOML value must
    already have the right type (``jobs = "2"`` is refused: drop the quotes).
    """
    spec = SPECS.get(name)
    if spec is None:
        raise UsageError(f"{where.label}: unknown option {name!r}")
    return _check(spec, value, where)


def _check(spec: Spec, value: Any, where: Where) -> Any:
    if spec.kind in ("int", "float"):
        number = _number(value, spec.kind, where, positive=spec.above and spec.low == 0)
        _in_range(number, spec, where)
        return number
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if where.textual and isinstance(value, str) and value.lower() in _BOOLEANS:
            return _BOOLEANS[value.lower()]
        raise _fail(where, value, "must be true or false")
    if spec.kind == "texts":
        texts = _texts(value, where)
        problem = spec.check(texts) if spec.check else None
        if problem:
            raise _fail(where, value, problem)
        return texts
    if spec.kind == "table":
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return dict(value)
        raise _fail(where, value, 'must be a table of layer = "FILE[:LAYER]", e.g. '
                    '[input.layers] buildings = "b.shp"')
    if spec.kind == "numbers":
        if not isinstance(value, dict):
            raise _fail(where, value, "must be a table of name = number")
        out = {}
        for key, item in value.items():
            inner = Where(f"{where.label}.{key}", where.textual)
            out[str(key)] = _number(item, "float", inner)
            _in_range(out[str(key)], spec, inner)
        return out
    if spec.kind == "path":
        if isinstance(value, (str, Path)) and str(value):
            return Path(value)
        raise _fail(where, value, "must be a path (in quotes)")
    if not isinstance(value, str):
        raise _fail(where, value, "must be text (in quotes)")
    problem = spec.check(value.strip()) if spec.check else None
    if problem:
        raise _fail(where, value, problem)
    return value.strip()


def check_like(default: Any, value: Any, where: Where) -> Any:
    """``value`` checked to be of the kind of ``default`` (for keys with no rule of their own).

    A ``[columns]`` name must be text, a ``[staff]`` count a number, and so on.
    """
    if isinstance(default, bool):
        spec = Spec("bool")
    elif isinstance(default, int):
        spec = Spec("int")
    elif isinstance(default, float):
        spec = Spec("float")
    elif isinstance(default, (tuple, list)):
        spec = Spec("texts")
    elif isinstance(default, dict):
        spec = Spec("numbers") if all(isinstance(v, (int, float)) for v in default.values()) \
            else Spec("table")
    else:
        spec = Spec("text")
    return _check(spec, value, where)


_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


# --- lines of a TOML file ---------------------------------------------------------------

_TABLE = re.compile(r"^\s*\[\s*([^\]\[]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-.]+)\s*=""")


def key_lines(text: str) -> dict[tuple[str, str], int]:
    """``{(table, key): line}`` for the keys of a TOML text (1-based lines).

    Dotted keys are split (``layers.roads = ...`` in ``[input]`` is the key
    ``roads`` of the table ``input.layers``, and also the key ``layers`` of ``input``).
    """
    lines: dict[tuple[str, str], int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TABLE.match(line)
        if match:
            table = match.group(1).replace(" ", "")
            head, _, last = table.rpartition(".")
            lines.setdefault((head, last), number)
            continue
        match = _KEY.match(line)
        if match:
            parts = [p.strip("\"'") for p in match.group(1).split(".")]
            scope = table
            for part in parts:
                lines.setdefault((scope, part), number)
                scope = f"{scope}.{part}" if scope else part
    return lines
