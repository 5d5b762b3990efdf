"""Values from the data as the sheets and forms print them: one rule for both."""

from __future__ import annotations

import math


def printed_count(value, missing: str = "") -> str:
    """A count as printed on a sheet or form: whole numbers as such, fractions given in
    the data kept, ``missing`` where there is none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return missing
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0")


def printed_text(value) -> str:
    """A name from the data as printable text (missing names print as nothing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)
