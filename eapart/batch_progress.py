"""One line for a nation: counties done, running, failed and left, throughput and ETA.

A line is printed each time a county ends, so a log of a 12-hour run reads as a
history. ``quiet`` silences the progress lines but never a failed county's
warning: warnings always reach the stream (stderr).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class NationalProgress:
    """Counts a batch's counties and prints the national progress line."""

    def __init__(self, total: int, quiet: bool = False, stream: TextIO | None = None,
                 slots: int = 1) -> None:
        self.total = total
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        #: How many counties can run at once (a cluster's worker threads).
        self.slots = slots
        self.in_flight: set[int] = set()
        self.done = self.skipped = self.failed = 0
        self.start = time.perf_counter()

    def started(self, index: int) -> None:
        """County ``index`` was started (or handed to the scheduler)."""
        self.in_flight.add(index)

    def finished(self, index: int, row: dict) -> None:
        """County ``index`` ended with the summary ``row``: count it, warn if failed, print."""
        self.in_flight.discard(index)
        status = row["status"]
        if status == "failed":
            self.failed += 1
            print(f"{row['county_code'] or row['input']}: failed: {row['message']}",
                  file=self.stream, flush=True)
        elif status.startswith("skipped"):
            self.skipped += 1
        else:
            self.done += 1
        if not self.quiet:
            print(self.line(), file=self.stream, flush=True)

    @property
    def running(self) -> int:
        """Counties being cut now (handed-over ones beyond the slots wait in a queue)."""
        return min(len(self.in_flight), self.slots)

    def line(self) -> str:
        """``counties 5/12 done (1 skipped), 2 running, 0 failed, 5 left; 3.1/min; ETA 1m40s``."""
        finished = self.done + self.skipped + self.failed
        left = self.total - finished - self.running
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        cut = self.done + self.failed
        rate = cut / elapsed * 60
        remaining = self.total - finished
        eta = _duration(remaining / rate * 60) if rate > 0 and remaining else "-"
        skipped = f" ({self.skipped} skipped)" if self.skipped else ""
        return (f"counties {self.done + self.skipped}/{self.total} done{skipped}, "
                f"{self.running} running, {self.failed} failed, {left} left; "
                f"{rate:.1f}/min; ETA {eta}")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
