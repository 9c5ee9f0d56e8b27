"""Check every page of the built book in headless Chromium.

:func:`check_pages` opens every page of ``_toc.yml`` and reports pages that are blank, show a
Python traceback, raise a JavaScript error, or show fewer figures than their executed notebook
produced.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from lslib.book.pipeline import Project, _toc_files

__all__ = [
    "CHROMIUM_ENV",
    "STATIC_FIGURE_MIMES",
    "INTERACTIVE_FIGURE_MIMES",
    "expected_figures",
    "chromium_path",
    "check_pages",
]


CHROMIUM_ENV = "LSLIB_CHROMIUM"


STATIC_FIGURE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")


INTERACTIVE_FIGURE_MIMES = ("application/vnd.holoviews_exec.v0+json", "application/vnd.bokehjs_exec.v0+json")


# The setup output of hv.extension() carries the same mimetypes; only outputs that embed a Bokeh
# figure model are figures.
_BOKEH_FIGURE = '"name":"Figure"'


def expected_figures(notebook: Path) -> tuple[int, int]:
    """(static, interactive) figure outputs of an executed notebook."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    static = interactive = 0
    for cell in cells:
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {}) or {}
            if any(m in data for m in STATIC_FIGURE_MIMES):
                static += 1
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if any(m in data for m in INTERACTIVE_FIGURE_MIMES) and _BOKEH_FIGURE in html:
                interactive += 1
    return static, interactive


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def chromium_path() -> str:
    """The Chromium binary: ``$LSLIB_CHROMIUM`` or Debian's ``/usr/bin/chromium``."""
    candidates = [os.environ.get(CHROMIUM_ENV, ""), "/usr/bin/chromium", shutil.which("chromium") or ""]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise FileNotFoundError(
        "Chromium is needed to check the book: install Debian's package (`apt-get install chromium`) "
        f"or set {CHROMIUM_ENV} to a Chromium binary"
    )


def check_pages(project: Project, html_dir: Path, run_dir: Path | None = None, min_text_chars: int = 200) -> list[str]:
    """Open every page of ``_toc.yml`` in headless Chromium; return the problems found (empty if none).

    Parameters
    ----------
    project : Project
        Gives the page list (``_toc.yml``).
    html_dir : Path
        The built book (holding ``index.html``).
    run_dir : Path, optional
        The run whose executed notebooks give each chapter's expected figure count.
    min_text_chars : int
        A page whose article holds less text than this is reported as blank.
    """
    from playwright.sync_api import sync_playwright

    toc = yaml.safe_load(project.toc.read_text(encoding="utf-8"))
    pages = _toc_files(toc)
    problems: list[str] = []
    with _serve(html_dir) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            for page_name in pages:
                page_file = Path(page_name).with_suffix("").as_posix() + ".html"
                if not (html_dir / page_file).is_file():
                    problems.append(f"{page_name}: {page_file} was not built")
                    continue
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                response = page.goto(f"{base}/{page_file}", wait_until="load")
                page.wait_for_timeout(1500 if "data-root-id" in (html_dir / page_file).read_text() else 200)
                probe = page.evaluate(_PAGE_PROBE)
                page.close()
                if response is None or response.status != 200:
                    problems.append(f"{page_name}: HTTP status {getattr(response, 'status', None)}")
                if len(probe["text"]) < min_text_chars:
                    problems.append(f"{page_name}: the page is blank ({len(probe['text'])} characters of text)")
                if "Traceback (most recent call last)" in probe["text"] or probe["tracebacks"]:
                    problems.append(f"{page_name}: the page shows a Python traceback or error output")
                if errors:
                    problems.append(f"{page_name}: JavaScript errors: {errors[:3]}")
                if probe["broken_images"]:
                    problems.append(f"{page_name}: images that failed to load: {probe['broken_images'][:5]}")
                executed = (run_dir / f"{Path(page_name).stem}.ipynb") if run_dir else None
                if executed is not None and Path(page_name).parts[0] == "notebooks" and executed.is_file():
                    static, interactive = expected_figures(executed)
                    if probe["loaded_images"] < static:
                        problems.append(
                            f"{page_name}: shows {probe['loaded_images']} of the {static} figures its notebook produced"
                        )
                    if probe["interactive"] < interactive:
                        problems.append(
                            f"{page_name}: renders {probe['interactive']} of the {interactive} "
                            "interactive (hvplot) figures its notebook produced"
                        )
        finally:
            browser.close()
    return problems


_PAGE_PROBE = """
() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const images = Array.from(article.querySelectorAll('img'));
  // Bokeh renders each embedded document into the parent of its [data-root-id] placeholder.
  const roots = Array.from(article.querySelectorAll('[data-root-id]')).map(r => r.parentElement);
  const drawn = roots.filter(r => {
    const box = r.getBoundingClientRect();
    return box.width > 50 && box.height > 50;
  });
  return {
    text: (article.innerText || '').trim(),
    tracebacks: article.querySelectorAll('.output.traceback, .output.error').length,
    loaded_images: images.filter(i => i.complete && i.naturalWidth > 0).length,
    broken_images: images.filter(i => i.complete && i.naturalWidth === 0).map(i => i.getAttribute('src')),
    interactive: drawn.length,
  };
}
"""
