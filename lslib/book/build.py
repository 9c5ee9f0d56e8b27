"""Build the HTML book from a run with Jupyter Book 1.

The book renders what papermill executed (``execute_notebooks: off``). :func:`build` stages a
copy of the book's sources in ``_build/book-src``: ``_config.yml``, ``_toc.yml``, the prose pages
of ``book/``, the executed notebooks of the run under ``notebooks/`` (where ``_toc.yml`` expects
them, so launch buttons point at the committed source notebooks), the run report rendered as
a Markdown table, and the findings of every chapter (its ``summary`` entry) as the table the
introduction opens with. It then runs ``jupyter-book build -W -n --keep-going``: warnings are errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lslib.book.pipeline import Project
from lslib.book.report import Finding

__all__ = ["latest_run_dir", "render_run_report", "render_findings", "stage", "build"]


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
        metrics = {k: v for k, v in (chapter.get("metrics") or {}).items() if k != "summary"}  # see render_findings
        if not metrics:
            continue
        lines += ["", f"**{chapter['name']}** recorded:", "", "| metric | value |", "| --- | ---: |"]
        for name, value in metrics.items():
            shown = f"{value:.4g}" if isinstance(value, float) else json.dumps(value)
            lines.append(f"| `{name}` | {shown} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text that is safe inside a Markdown table cell (no pipe, no line break)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def render_findings(report: dict[str, Any], chapters: Sequence[str] | None = None) -> str:
    """The findings of a run as one Markdown table: chapter, question, answer, key number with its
    95 % interval, and whether it rests on real or simulated data.

    Each chapter's rows come from the ``summary`` entry of its metrics (a list of
    :meth:`lslib.book.report.Finding.as_json`). A chapter that failed, recorded no summary or (when
    ``chapters`` names every chapter of the book) did not run at all gets one row saying so.

    Parameters
    ----------
    report : dict
        The run's ``report.json``.
    chapters : sequence of str, optional
        The chapters the book has, in order (default: those of the report).

    Examples
    --------
    >>> finding = {"question": "Beats chance?", "answer": "Yes.", "key_number": 0.81,
    ...            "interval": [0.7, 0.9], "provenance": "simulated", "metric": "AUROC"}
    >>> text = render_findings({"profile": "smoke", "chapters": [
    ...     {"name": "04_x", "status": "ok", "metrics": {"summary": [finding]}},
    ...     {"name": "05_y", "status": "failed", "metrics": {}}]}, ["04_x", "05_y", "06_z"])
    >>> "| 04_x | Beats chance? | Yes. | AUROC 0.81 [0.7, 0.9] | simulated |" in text
    True
    >>> "| 05_y | (no findings) | The chapter failed in this run, so it has no summary. | | |" in text
    True
    >>> "| 06_z | (no findings) | The chapter was not part of this run, so it has no summary. | | |" in text
    True
    """
    ran = {chapter["name"]: chapter for chapter in report.get("chapters", [])}
    names = list(chapters) if chapters is not None else list(ran)
    lines = [
        f"Findings of the run of profile **{report.get('profile', '?')}**, generated from its numbers "
        "(the run report is on the reproducibility page).",
        "",
        "| chapter | question | answer | key number [95 % interval] | data |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in names:
        chapter = ran.get(name)
        summary = (chapter.get("metrics") or {}).get("summary") if chapter else None
        if chapter is None or chapter.get("status") != "ok" or not summary:
            why = (
                "was not part of this run"
                if chapter is None
                else "failed in this run"
                if chapter.get("status") != "ok"
                else "recorded no findings"
            )
            lines.append(f"| {name} | (no findings) | The chapter {why}, so it has no summary. | | |")
            continue
        for entry in summary:
            finding = Finding.from_json(entry)
            lines.append(
                f"| {name} | {_cell(finding.question)} | {_cell(finding.answer)} | "
                f"{_cell(finding.key_text())} | {finding.provenance} |"
            )
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
    shutil.copytree(
        project.root / "book", destination / "book", ignore=shutil.ignore_patterns("_generated", ".ipynb_checkpoints")
    )
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
    findings = render_findings(report, [chapter.name for chapter in project.chapters()])
    (generated / "findings.md").write_text(findings, encoding="utf-8")
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
    command = [
        str(executable) if executable.exists() else "jupyter-book",
        "build",
        str(source),
        "--path-output",
        str(work),
        "--all",
        "-W",
        "-n",
        "--keep-going",
    ]
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
