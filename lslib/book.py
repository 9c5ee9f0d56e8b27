"""Build the HTML book from a run with Jupyter Book 1, and check every page in a headless browser.

The book renders what papermill executed (``execute_notebooks: off``). :func:`build` stages a
copy of the book's sources in ``_build/book-src``: ``_config.yml``, ``_toc.yml``, the prose pages
of ``book/``, the executed notebooks of the run under ``notebooks/`` (where ``_toc.yml`` expects
them, so launch buttons point at the committed source notebooks) and the run report rendered as
a Markdown table. It then runs ``jupyter-book build -W -n --keep-going``: warnings are errors.

:func:`check_pages` opens every page of ``_toc.yml`` in headless Chromium and reports pages that
are blank, show a Python traceback, raise a JavaScript error, or show fewer figures than their
executed notebook produced.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import yaml

from lslib.pipeline import Project, _toc_files

__all__ = ["build", "stage", "render_run_report", "check_pages", "latest_run_dir", "CHROMIUM_ENV"]

CHROMIUM_ENV = "LSLIB_CHROMIUM"
STATIC_FIGURE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
INTERACTIVE_FIGURE_MIMES = ("application/vnd.holoviews_exec.v0+json", "application/vnd.bokehjs_exec.v0+json")
# The setup output of hv.extension() carries the same mimetypes; only outputs that embed a Bokeh
# figure model are figures.
_BOKEH_FIGURE = '"name":"Figure"'


def latest_run_dir(project: Project, profile: str | None) -> Path:
    """The run directory of ``profile``, or of the most recent run when ``profile`` is None."""
    runs = project.root / "_build" / "run"
    if profile:
        candidate = runs / profile
        if not (candidate / "report.json").is_file():
            raise FileNotFoundError(
                f"No run of profile {profile!r} in {runs}; run `python -m lslib run --profile {profile}` first"
            )
        return candidate
    reports = sorted(runs.glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    if not reports:
        raise FileNotFoundError(f"No run in {runs}; run `python -m lslib run` first")
    return reports[-1].parent


def render_run_report(report: dict[str, Any]) -> str:
    """The run report as Markdown: one table of chapters, then each chapter's recorded metrics.

    Examples
    --------
    >>> text = render_run_report({"profile": "smoke", "git_commit": "abc", "started": "2026",
    ...     "chapters": [{"name": "01_x", "status": "ok", "seconds": 1.0, "peak_rss_mb": 90.0,
    ...                   "seed": 0, "metrics": {"n": 3}, "git_commit": "abc"}]})
    >>> "| 01_x | smoke | ok | 1.0 | 90 | 0 | `abc` |" in text
    True
    """
    lines = [
        f"Run of profile **{report.get('profile', '?')}**, started {report.get('started', '?')} "
        f"with Python {report.get('python', '?')}, at commit `{str(report.get('git_commit', '?'))[:12]}`.",
        "",
        "| chapter | profile | status | seconds | peak memory (MB) | seed | commit |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for chapter in report.get("chapters", []):
        lines.append(
            f"| {chapter['name']} | {report.get('profile', '?')} | {chapter['status']} | "
            f"{chapter['seconds']:.1f} | {chapter['peak_rss_mb']:.0f} | {chapter.get('seed')} | "
            f"`{str(chapter.get('git_commit', ''))[:12]}` |"
        )
    for chapter in report.get("chapters", []):
        metrics = chapter.get("metrics") or {}
        if not metrics:
            continue
        lines += ["", f"**{chapter['name']}** recorded:", "", "| metric | value |", "| --- | ---: |"]
        for name, value in metrics.items():
            shown = f"{value:.4g}" if isinstance(value, float) else json.dumps(value)
            lines.append(f"| `{name}` | {shown} |")
    return "\n".join(lines) + "\n"


def stage(project: Project, run_dir: Path, destination: Path) -> Path:
    """Assemble the book's sources with the executed notebooks of ``run_dir`` in ``destination``.

    Raises
    ------
    FileNotFoundError
        A chapter of ``_toc.yml`` has no executed notebook in ``run_dir``, or the run has no report.
    """
    report_path = run_dir / "report.json"
    if not report_path.is_file():
        raise FileNotFoundError(f"{run_dir} has no report.json: run `python -m lslib run` first")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    failed = [c["name"] for c in report.get("chapters", []) if c.get("status") != "ok"]
    if failed:
        raise FileNotFoundError(f"The run in {run_dir} has failed chapters {failed}; fix them before building")
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(project.root / name, destination / name)
    shutil.copytree(project.root / "book", destination / "book",
                    ignore=shutil.ignore_patterns("_generated", ".ipynb_checkpoints"))
    (destination / "notebooks").mkdir()
    for chapter in project.chapters():
        executed = run_dir / f"{chapter.name}.ipynb"
        if not executed.is_file():
            raise FileNotFoundError(
                f"Chapter {chapter.name} has no executed notebook in {run_dir}; run "
                f"`python -m lslib run --profile {report.get('profile', 'quick')} --only {chapter.name}`"
            )
        shutil.copy2(executed, destination / "notebooks" / executed.name)
    generated = destination / "book" / "_generated"
    generated.mkdir(parents=True, exist_ok=True)
    (generated / "run_report.md").write_text(render_run_report(report), encoding="utf-8")
    return destination


def build(project: Project, run_dir: Path, out_dir: Path | None = None) -> Path:
    """Build the HTML book of ``run_dir`` into ``<out_dir>/html`` (default ``_build/html``).

    Returns
    -------
    pathlib.Path
        The folder holding ``index.html``.

    Raises
    ------
    RuntimeError
        Jupyter Book reported a warning or an error (``-W``); its output is in the message.
    """
    out_dir = (out_dir or project.root / "_build").resolve()
    source = stage(project, run_dir.resolve(), out_dir / "book-src")
    work = out_dir / "jupyter-book"
    executable = Path(sys.executable).with_name("jupyter-book")
    command = [str(executable) if executable.exists() else "jupyter-book", "build", str(source),
               "--path-output", str(work), "--all", "-W", "-n", "--keep-going"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            "jupyter-book build failed (warnings are errors):\n" + result.stdout[-6000:] + result.stderr[-4000:]
        )
    html = out_dir / "html"
    if html.exists():
        shutil.rmtree(html)
    shutil.move(str(work / "_build" / "html"), str(html))
    return html


# --------------------------------------------------------------------------------------------
# Browser check
# --------------------------------------------------------------------------------------------


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
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
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


def check_pages(project: Project, html_dir: Path, run_dir: Path | None = None,
                min_text_chars: int = 200) -> list[str]:
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
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
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
                        problems.append(f"{page_name}: shows {probe['loaded_images']} of the {static} "
                                        "figures its notebook produced")
                    if probe["interactive"] < interactive:
                        problems.append(f"{page_name}: renders {probe['interactive']} of the {interactive} "
                                        "interactive (hvplot) figures its notebook produced")
        finally:
            browser.close()
    return problems
