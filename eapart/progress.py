"""Progress a person can watch: one bar per stage on a terminal, plain lines elsewhere.

On a terminal each stage gets a tqdm bar; in a script or a log (not a TTY) each
stage prints one line when it ends, with its time; ``quiet`` prints nothing. Stage
times are kept so the run's summary and ``bench/`` can show them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

Advance = Callable[[int], None]


class Progress:
    """Reports the stages of a run and remembers how long each took."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.timings: dict[str, float] = {}

    @property
    def interactive(self) -> bool:
        """True when bars can be drawn (a terminal, and not quiet)."""
        return not self.quiet and hasattr(self.stream, "isatty") and self.stream.isatty()

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Advance]:
        """Run one stage; the body calls the yielded function to advance its bar."""
        start = time.perf_counter()
        bar = None
        if self.interactive:
            bar = tqdm(total=total, desc=f"{name:<14}", file=self.stream, leave=True,
                       unit="", dynamic_ncols=True, bar_format=_BAR if total else _SPINNER)

        def advance(n: int = 1) -> None:
            if bar is not None:
                bar.update(n)

        try:
            yield advance
        finally:
            elapsed = time.perf_counter() - start
            self.timings[name] = self.timings.get(name, 0.0) + elapsed
            if bar is not None:
                if total:
                    bar.n = total
                bar.set_postfix_str(f"{elapsed:.1f} s")
                bar.close()
            elif not self.quiet:
                print(f"{name:<14} done in {elapsed:6.1f} s", file=self.stream, flush=True)

    def message(self, text: str) -> None:
        """Print a line (unless quiet)."""
        if not self.quiet:
            print(text, file=self.stream, flush=True)


_BAR = "{desc} {percentage:3.0f}%|{bar:30}| {n_fmt}/{total_fmt} {postfix}"
_SPINNER = "{desc} {elapsed} {postfix}"


def display_path(path: Path) -> str:
    """``path`` for messages: relative to the working directory, else just its name.

    Logs of a national run are shared; they hold no absolute path of the machine.
    """
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return path.name
