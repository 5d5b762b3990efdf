"""docs/contract.md lists every name the code defines for the contract."""

from __future__ import annotations

from paths import REPO

from eapart.domain import flags, schema

CONTRACT = (REPO / "docs" / "contract.md").read_text(encoding="utf-8")


def named(name: str) -> bool:
    return f"`{name}`" in CONTRACT


def test_every_layer_file_and_column_is_listed():
    missing = [n for n in (*schema.OUTPUT_LAYERS, *schema.INPUT_LAYERS, schema.GPKG_NAME,
                           schema.REPORT_NAME, schema.SUMMARY_NAME) if not named(n)]
    missing += [c for columns in schema.OUTPUT_COLUMNS.values() for c in columns if not named(c)]
    missing += [c for c in schema.SUMMARY_COLUMNS if not named(c)]
    assert not missing


def test_every_flag_is_listed_with_its_severity():
    for flag in flags.FLAGS:
        assert f"| `{flag.name}` | {flag.severity} |" in CONTRACT


def test_every_parameter_name_is_listed():
    assert not [p.user for p in schema.PARAMETERS if not named(p.user)]
