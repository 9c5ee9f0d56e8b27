"""Build the HTML book from a run with Jupyter Book 1.

The book renders what papermill executed (``execute_notebooks: off``). :func:`build` stages a
copy of the book's sources in ``_build/book-src``: ``_config.yml``, ``_toc.yml``, the prose pages
of ``book/``, the executed notebooks of the run under ``notebooks/`` (where ``_toc.yml`` expects
them, so launch buttons point at the committed source notebooks) and the run report rendered as
a Markdown table. It then runs ``jupyter-book build -W -n --keep-going``: warnings are errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


from lslib.book.pipeline import Project

__all__ = ["latest_run_dir", "render_run_report", "stage", "build"]


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


