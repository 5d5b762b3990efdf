"""Drive Debian's headless Chromium with Playwright, recording every request,
console error and dialog a page makes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the python package playwright is not installed"
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    return None


def uri(path: Path) -> str:
    """The ``file:`` URL of a page on disk."""
    return path.resolve().as_uri()


@dataclass
class PageLog:
    """What a page did: requests (URLs), console errors, page errors and dialogs."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextmanager
def browser() -> Iterator[object]:
    """A headless Chromium browser (Playwright ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        instance = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def open_page(instance, url: str, *, size=(1400, 900), block_network: bool = True,
              wait_ready: bool = True, settle_ms: int = 300):
    """Open ``url`` in a new page; return ``(page, log)``.

    Every request is recorded; with ``block_network`` any request that is not
    ``file:`` or ``data:`` is aborted (recorded all the same), so a test never
    depends on the network.
    """
    log = PageLog()
    context = instance.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()

    def on_route(route):
        url = route.request.url
        if block_network and not url.startswith(("file:", "data:")):
            route.abort()
        else:
            route.continue_()

    page.route("**/*", on_route)
    page.on("request", lambda r: log.requests.append(r.url))
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))

    def on_dialog(dialog):
        log.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url, wait_until="load")
    if wait_ready:
        page.wait_for_function("window.eapart && window.eapart.ready", timeout=30000)
        # let Leaflet finish its first frames (canvas drawing, fitBounds)
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.wait_for_timeout(settle_ms)
    return page, log
