"""Size and render time of every review page.

Usage: python bench/map_pages.py [OUTDIR]

Without OUTDIR, runs the pipeline (maps off) on the default synthetic county of
61,310 buildings in 20 townships into bench/out/map_county first. Prints, for each
page, its size and its time to first full render in headless Chromium (navigation
start to the map drawn: data parsed, layers built, two frames painted).
Targets: index under 10 MB and 3 s; largest township page under 15 MB and 5 s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import browser  # noqa: E402
from browser import open_page as _open_page  # noqa: E402

from eapart.api import run  # noqa: E402
from eapart.config import RunConfig  # noqa: E402
from eapart.review.pages import build_review_maps  # noqa: E402
from eapart.synthetic.county import make_county, write_county  # noqa: E402

RENDERED = """new Promise(r => requestAnimationFrame(() => requestAnimationFrame(
    () => r(performance.now()))))"""


def synthetic_county(outdir: Path) -> Path:
    """The pipeline's output for the default synthetic county (made once, then reused)."""
    if not (outdir / "eapart.gpkg").exists():
        source = outdir.parent / "map_county.gpkg"
        write_county(source, make_county())
        run(RunConfig(input=source, out=outdir, maps=False, force=True))
    return outdir


def render_ms(instance, page_path: Path) -> float:
    """Milliseconds from navigation start until the map has been drawn."""
    page, log = _open_page(instance, page_path.resolve().as_uri(), wait_ready=True,
                            settle_ms=0)
    done = page.evaluate(RENDERED)
    if log.page_errors or log.console_errors:
        raise RuntimeError(f"{page_path}: {log.page_errors + log.console_errors}")
    page.context.close()
    return done


def main(argv: list[str]) -> None:
    outdir = Path(argv[1]) if len(argv) > 1 else synthetic_county(ROOT / "bench" / "out" /
                                                                 "map_county")
    start = time.perf_counter()
    pages = build_review_maps(outdir)
    build_s = time.perf_counter() - start
    print(f"built {len(pages)} pages in {build_s:.1f} s from {outdir}")
    print(f"{'page':<34}{'MB':>8}{'render s':>10}")
    rows = []
    with browser() as instance:
        for path in pages:
            ms = render_ms(instance, path)
            size = path.stat().st_size / 1e6
            rows.append((path, size, ms / 1000))
            print(f"{path.relative_to(outdir).as_posix():<34}{size:>8.2f}{ms / 1000:>10.2f}")
    index = rows[0]
    towns = rows[1:]
    if towns:
        biggest = max(towns, key=lambda r: r[1])
        slowest = max(towns, key=lambda r: r[2])
        print(f"index: {index[1]:.2f} MB, {index[2]:.2f} s (targets 10 MB, 3 s)")
        print(f"largest township page: {biggest[1]:.2f} MB; slowest: {slowest[2]:.2f} s "
              "(targets 15 MB, 5 s)")


if __name__ == "__main__":
    main(sys.argv)
