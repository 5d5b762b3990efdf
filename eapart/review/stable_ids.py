"""Element ids on the review pages numbered in order, so the same output gives the same page.

folium (through branca) names every map element with 16 random bytes, which made
two runs on the same input write different HTML. While a function decorated with
:func:`numbered_element_ids` runs, ids are the 1st, 2nd, ... element of that
page instead (32 hex digits, as before); elsewhere branca's random ids are kept.
The count is per thread, so pages built at once on several threads do not mix.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TypeVar

from branca.element import Element

F = TypeVar("F", bound=Callable)

_state = threading.local()
_random_id = Element._generate_id


def _next_id(cls) -> str:
    counter = getattr(_state, "counter", None)
    if counter is None:
        return _random_id()
    _state.counter = counter + 1
    return f"{counter:032x}"


Element._generate_id = classmethod(_next_id)


def numbered_element_ids(func: F) -> F:
    """Run ``func`` with page element ids counted from 0 (the ids restart on each call)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        previous = getattr(_state, "counter", None)
        _state.counter = 0
        try:
            return func(*args, **kwargs)
        finally:
            _state.counter = previous

    return wrapper  # type: ignore[return-value]
