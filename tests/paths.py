"""Where the tests find the repository, the shared real data, fixtures and artifacts."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
#: ``../shared/data`` lies beside CI checkouts, not beside a user's clone.
SHARED_DATA = REPO.parent / "shared" / "data"
ANDORRA = SHARED_DATA / "andorra.gpkg"
KOTKA = SHARED_DATA / "kotka.gpkg"
FIXTURES = TESTS / "fixtures"
#: Screenshots and renders a person looks at after a run (not committed).
ARTIFACTS = TESTS / "artifacts"
README = REPO / "README.md"

#: The county code the shared real runs (conftest's ``andorra_run`` ...) number under.
REAL_COUNTY_CODE = "990100"
