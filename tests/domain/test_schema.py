"""The contract's names and the one table of parameter names."""

from __future__ import annotations

import subprocess
import sys

from eapart.domain import schema
from eapart.domain.schema import CLI, MANIFEST, TOML, parameters

EAPART = [sys.executable, "-m", "eapart.cli"]


def test_every_cli_parameter_is_an_option_of_eapart_run():
    help_text = subprocess.run([*EAPART, "run", "--help"], capture_output=True, text=True,
                               check=True).stdout
    for parameter in parameters(CLI).values():
        assert parameter.option in help_text, parameter.option


def test_one_internal_name_per_bound_whatever_the_unit():
    for source in (CLI, TOML, MANIFEST):
        table = parameters(source, "partition")
        assert table["min_households"].name == table["min_persons"].name == "min_size"
        assert table["max_households"].name == table["max_persons"].name == "max_size"
        assert table["target_persons"].measure == "persons"


def test_user_names_are_unique_per_source():
    for source in (CLI, TOML, MANIFEST):
        names = [(p.section, p.user) for p in schema.PARAMETERS if source in p.sources]
        assert len(names) == len(set(names))


def test_result_layers_are_the_first_output_layers():
    assert schema.RESULT_LAYERS == ("townships", "census_areas", "small_areas", "buildings")
    assert set(schema.OUTPUT_COLUMNS) == set(schema.OUTPUT_LAYERS)
