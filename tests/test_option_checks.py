"""One check for every option, from the command line, the run file or a manifest row.

A type or range error is a usage error (exit 2) that names the key and where it
was given (the option, or the file and its line); a fuzz over the options and the
run file finds no combination that ends in a traceback.
"""

from __future__ import annotations

import string
from pathlib import Path

import pandas as pd
import pytest
from cli_run import QUICK, assert_message, invoke, tiny_gpkg
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

# --- the run file ----------------------------------------------------------------------

@pytest.mark.parametrize("text, needles", [
    ('[partition]\ntarget_households = "eighty"\n',
     ["run.toml line 2", "[partition] target_households", "'eighty'", "positive number"]),
    ('[input]\ncounty_code = "420117"\n\n[output]\njobs = "2"\n',
     ["run.toml line 5", "[output] jobs", "whole number"]),
    ('[input]\nlayers = "x"\n', ["run.toml line 2", "[input] layers", "table"]),
    ("[households]\ndwelling_size = -3\n", ["line 2", "dwelling_size", "out of range"]),
    ("[partition]\nseed = 1.5\n", ["line 2", "seed", "whole number"]),
    ("[partition]\nsmall_areas = true\n", ["line 2", "small_areas", "whole number"]),
    ('[output]\nformats = ["shp", "docx"]\n', ["line 2", "formats", "docx"]),
    ("[columns]\nhouseholds = 3\n", ["line 2", "[columns] households", "text"]),
    ("[input]\nscheduler = 1\n", ["line 2", "unknown key 'scheduler'"]),
    ('[output]\nscheduler = "tcp://:::bad"\n', ["line 2", "scheduler", "address"]),
    ("[partition]\ntarget_households = nan\n", ["line 2", "finite"]),
    ("[households.floors_by_type]\nhouse = \"two\"\n", ["floors_by_type.house", "number"]),
])
def test_a_wrong_value_in_the_run_file_names_the_file_line_and_key(tmp_path, text, needles):
    (tmp_path / "run.toml").write_text(text, encoding="utf-8")
    proc = invoke("run", tiny_gpkg(tmp_path), "--config", "run.toml", "--out", "out", *QUICK,
                  cwd=tmp_path)
    assert_message(proc, 2, *needles)
    assert not (tmp_path / "out").exists()


# --- the command line -----------------------------------------------------------------

@pytest.mark.parametrize("args, needles", [
    (["--target-households", "nan"], ["--target-households", "finite positive number"]),
    (["--target-households", "inf"], ["--target-households", "finite"]),
    (["--target-households", "-5"], ["--target-households", "out of range"]),
    (["--max-households", "0"], ["--max-households", "positive (above 0)"]),
    (["--jobs", "0"], ["--jobs", "at least 1"]),
    (["--seed", "-1"], ["--seed", "out of range"]),
    (["--scheduler", "tcp://:::bad"], ["--scheduler", "tcp://HOST:8786"]),
    (["--scheduler", "nowhere"], ["--scheduler", "address"]),
    (["--county-code", "4201"], ["--county-code", "6 digits"]),
    (["--encoding", "klingon"], ["--encoding", "not a known text encoding"]),
    (["--min-placed-share", "2"], ["--min-placed-share", "at most 1"]),
])
def test_a_wrong_option_value_is_a_usage_error_naming_the_option(tmp_path, args, needles):
    proc = invoke("run", tiny_gpkg(tmp_path), "--out", "out", *QUICK, *args, cwd=tmp_path)
    assert_message(proc, 2, *needles)


# --- manifest rows ----------------------------------------------------------------------

@pytest.mark.parametrize("column, value, needle", [
    ("target_households", "eighty", "must be a positive number"),
    ("small_areas", "2.5", "whole number"),
    ("seed", "-3", "out of range"),
    ("county_code", "42O117", "6 digits"),
])
def test_a_wrong_manifest_value_names_the_file_line_and_column(tmp_path, column, value, needle):
    tiny_gpkg(tmp_path)
    rows = pd.DataFrame({"input": ["c.gpkg", "c.gpkg"], "out": ["r/a", "r/b"],
                         column: ["", value]})
    rows.to_csv(tmp_path / "m.csv", index=False)
    proc = invoke("batch", "m.csv", "--no-maps", "--jobs", "1", cwd=tmp_path)
    assert proc.returncode == 1
    table = pd.read_csv(tmp_path / "national_summary.csv", dtype=str, encoding="utf-8-sig",
                        keep_default_na=False)
    assert list(table["status"]) == ["done", "failed"]
    message = table["message"][1]
    for part in ("m.csv line 3", f"column {column}", needle):
        assert part in message, message


# --- fuzz ----------------------------------------------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.sampled_from(["", " ", "nan", "inf", "-inf", "-1", "0", "1e400", "1e19", "eighty",
                     "'", '"', "=1+1", "tcp://", "../..", "城关镇", "\t", "2.5", "3"]),
    st.text(string.printable, max_size=8),
)
NUMBER_TEXT = st.one_of(HOSTILE_TEXT, st.integers(-5, 500).map(str),
                        st.floats(allow_nan=True, allow_infinity=True).map(repr))
OPTIONS = {
    "--target-households": NUMBER_TEXT, "--min-households": NUMBER_TEXT,
    "--max-households": NUMBER_TEXT, "--target-persons": NUMBER_TEXT,
    "--small-areas": NUMBER_TEXT, "--census-areas": NUMBER_TEXT,
    "--census-area-households": NUMBER_TEXT, "--seed": NUMBER_TEXT, "--jobs": NUMBER_TEXT,
    "--county-code": st.one_of(HOSTILE_TEXT, st.just("420117")),
    "--scheduler": HOSTILE_TEXT, "--encoding": st.one_of(HOSTILE_TEXT, st.just("GBK")),
    "--csv-crs": HOSTILE_TEXT, "--formats": st.one_of(HOSTILE_TEXT, st.just("csv,xlsx")),
    "--institution-types": HOSTILE_TEXT, "--min-placed-share": NUMBER_TEXT,
    "--column": st.one_of(HOSTILE_TEXT, st.just("households=households"),
                          st.just("township_name=nope")),
    "--keep-codes-from": st.sampled_from([".", "c.gpkg", "missing"]),
}
FLAGS = ["--allow-barrier-crossing", "--strict", "--force", "--quiet"]
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])


def assert_no_traceback(proc) -> None:
    assert proc.returncode in (0, 1, 2, 3), (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    if proc.returncode in (1, 2):
        assert proc.stderr.strip(), "an error says what is wrong"


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    return tiny_gpkg(tmp_path_factory.mktemp("fuzz"))


@FUZZ
@example(chosen={"--target-households": "nan"}, flags=[])
@example(chosen={"--scheduler": "tcp://:::bad"}, flags=[])
@given(chosen=st.dictionaries(st.sampled_from(sorted(OPTIONS)), st.none(), max_size=4)
       .flatmap(lambda keys: st.fixed_dictionaries({k: OPTIONS[k] for k in keys})),
       flags=st.lists(st.sampled_from(FLAGS), unique=True, max_size=2))
def test_fuzz_command_line_options_never_end_in_a_traceback(county, tmp_path_factory,
                                                           chosen, flags):
    cwd = county.parent
    args = [item for option, value in chosen.items() for item in (option, value)]
    out = tmp_path_factory.mktemp("o") / "out"
    assert_no_traceback(invoke("run", county.name, "--out", out, *QUICK, *args, *flags,
                               cwd=cwd))


TOML_VALUES = st.one_of(
    st.integers(-10, 10**20), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    HOSTILE_TEXT, st.lists(HOSTILE_TEXT, max_size=3),
    st.dictionaries(st.sampled_from(["buildings", "roads", "house", "x"]), HOSTILE_TEXT,
                    max_size=2),
)
TOML_KEYS = {
    "input": ["path", "encoding", "csv_crs", "county_code", "layers", "nope"],
    "columns": ["households", "township_name", "nope"],
    "households": ["dwelling_size", "persons_per_household", "floors_by_type",
                   "non_residential_types", "scale_to_townships"],
    "partition": ["target_households", "min_households", "max_households", "small_areas",
                  "census_areas", "seed", "tolerance", "measure", "allow_barrier_crossing",
                  "institution_types"],
    "output": ["formats", "basemap", "maps", "jobs", "scheduler", "strict"],
    "nope": ["x"],
}


def toml_value(value) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value > 0 else "-inf") \
            if abs(value) == float("inf") else repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


@FUZZ
@given(entries=st.lists(st.sampled_from(sorted(TOML_KEYS)).flatmap(
    lambda table: st.tuples(st.just(table), st.sampled_from(TOML_KEYS[table]), TOML_VALUES)),
    max_size=4, unique_by=lambda e: (e[0], e[1])))
def test_fuzz_the_run_file_never_ends_in_a_traceback(county, tmp_path_factory, entries):
    folder = tmp_path_factory.mktemp("t")
    lines = []
    for table in sorted({t for t, _, _ in entries}):
        lines.append(f"[{table}]")
        lines += [f"{key} = {toml_value(value)}" for t, key, value in entries if t == table]
    (folder / "run.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = invoke("run", county, "--config", folder / "run.toml", "--out", folder / "out",
                  *QUICK, cwd=folder)
    assert_no_traceback(proc)
