"""The floors of the house: domain imports nothing of eapart but errors; the engine
imports no io, review, sheets, command line or run configuration."""

from __future__ import annotations

import ast
from pathlib import Path

from paths import REPO

PACKAGE = REPO / "eapart"


def module_imports(path: Path) -> set[str]:
    """Modules of eapart imported at the top level of ``path``: not inside functions
    (lazy imports) nor under ``if TYPE_CHECKING:``."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("eapart"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("eapart"))
    return found


def test_domain_imports_only_itself_and_errors():
    for path in (PACKAGE / "domain").glob("*.py"):
        bad = {m for m in module_imports(path)
               if not (m.startswith("eapart.domain") or m == "eapart.errors")}
        assert not bad, f"{path.name} imports {bad}"


def test_engine_stays_on_the_ground_floor():
    above = ("eapart.io", "eapart.review", "eapart.sheets", "eapart.cli", "eapart.config",
             "eapart.api", "eapart.pipeline", "eapart.report", "eapart.stages", "eapart.staff")
    for path in (PACKAGE / "partition").rglob("*.py"):
        bad = {m for m in module_imports(path) if m.startswith(above)}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"
    config = module_imports(PACKAGE / "config.py")
    assert not {m for m in config if m.startswith("eapart.partition")}
