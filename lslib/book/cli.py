"""Command line of the study.

``python -m lslib run [--profile smoke|quick|full] [--only NAME ...] [--param KEY=VALUE ...] [--run-dir DIR]``
    Execute the chapters with papermill and write ``<run_dir>/report.json``. Chapters that finished
    before with the same notebook, parameters, code and inputs are reused (``--force`` executes them
    again). Ctrl-C or SIGTERM stops the run, its kernel and workers; exit status 130 or 143.
``python -m lslib book [--profile NAME] [--out DIR]``
    Build the HTML book from the last run (of that profile) with Jupyter Book 1.
``python -m lslib check-book [--html DIR]``
    Open every page of the built book in headless Chromium and fail on blank or broken pages.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lslib.book.profiles import PROFILE_NAMES
from lslib.errors import ChapterFailed, LslibError, RunInterrupted

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lslib", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root", type=Path, default=None, help="the study's root folder (default: found from the working directory)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute the chapters with papermill")
    run.add_argument(
        "--profile", default="quick", help=f"one of {', '.join(PROFILE_NAMES)} or a profile YAML file (default: quick)"
    )
    run.add_argument("--only", nargs="+", metavar="NAME", help="chapters to run, e.g. 01_data_acquisition or 01")
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a notebook parameter (repeatable); VALUE is read as YAML",
    )
    run.add_argument("--run-dir", type=Path, help="run directory (default: _build/run/<profile>)")
    run.add_argument("--timeout", type=float, help="per-chapter timeout in seconds (default: the profile's)")
    run.add_argument("--progress", action="store_true", help="show papermill's per-cell progress bar")
    run.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild any cached store that turns out damaged (simulator caches are always rebuilt)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="execute every selected chapter, even those a previous run can lend unchanged",
    )

    book = commands.add_parser("book", help="build the HTML book from the last run")
    book.add_argument("--profile", help="build from this profile's run (default: the most recent run)")
    book.add_argument("--run-dir", type=Path, help="build from this run directory")
    book.add_argument("--out", type=Path, help="output folder holding html/ (default: _build)")

    check = commands.add_parser("check-book", help="check every page of the built book in headless Chromium")
    check.add_argument("--html", type=Path, help="the built HTML folder (default: _build/html)")
    check.add_argument("--run-dir", type=Path, help="run whose notebooks the pages must show (default: latest)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lslib.book import build, check, pipeline

    try:
        project = pipeline.Project(args.root.resolve()) if args.root else pipeline.find_project()
        if args.command == "run":
            if args.rebuild:
                os.environ["LSLIB_REBUILD_CACHE"] = "1"  # read by lslib.data.store.cached, in every kernel
            overrides = dict(pipeline.parse_param(p) for p in args.param)
            pipeline.run(
                project,
                args.profile,
                only=args.only,
                overrides=overrides,
                run_dir=args.run_dir,
                timeout_s=args.timeout,
                progress=args.progress,
                force=args.force,
            )
        elif args.command == "book":
            run_dir = args.run_dir or build.latest_run_dir(project, args.profile)
            html = build.build(project, run_dir, out_dir=args.out)
            print(f"The book is ready: open {html / 'index.html'}")
        elif args.command == "check-book":
            html = args.html or project.root / "_build" / "html"
            run_dir = args.run_dir or build.latest_run_dir(project, None)
            problems = check.check_pages(project, html, run_dir)
            if problems:
                print("Book check FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
                return 1
            print(f"Book check ok: every page of {html} rendered with its figures")
    except RunInterrupted as error:
        print(f"interrupted: {error}", file=sys.stderr)
        return 128 + error.signal_number
    except ChapterFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (LslibError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
