"""Execute the book's chapters with papermill, one kernel at a time, and write the run report.

The chapter order is the book's order: the notebooks under ``notebooks/`` that ``_toc.yml`` lists.
A run

1. loads a profile (:mod:`lslib.book.profiles`) and the ``--param`` overrides;
2. validates every parameter against each selected notebook's ``parameters`` cell, before
   anything executes (an unknown name or a wrongly typed value raises
   :class:`~lslib.errors.ParameterError` naming the chapter and the parameter);
3. executes each chapter with the current interpreter as kernel, with the run directory as its
   working directory and a wall-clock timeout, printing ``ok/FAIL  seconds  path``;
4. writes ``<run_dir>/report.json`` after every chapter: status, seconds, peak memory, seed and
   the metrics the chapter recorded through :func:`lslib.book.report.record`.

A failing chapter stops the run; its partial notebook is kept in the run directory.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lslib.book.parameters import Bound, read_bounds
from lslib.book.profiles import Profile, load_profile
from lslib.book.report import METRICS_ENV, write_json_atomic
from lslib.errors import ChapterFailed, ParameterError, RunInterrupted

__all__ = [
    "Chapter",
    "Project",
    "ChapterResult",
    "find_project",
    "notebook_parameters",
    "resolve_parameters",
    "parse_param",
    "notebook_bounds",
    "run",
]

KERNEL_NAME = "python3"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_YAML11_WORDS = {"yes", "no", "on", "off", "y", "n"}
_FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


@dataclass(frozen=True)
class Chapter:
    """A chapter of the book: its name (``01_data_acquisition``) and source notebook."""

    name: str
    source: Path


@dataclass(frozen=True)
class Project:
    """Where the book lives: the folder holding ``_toc.yml``, ``_config.yml`` and ``notebooks/``."""

    root: Path

    @property
    def toc(self) -> Path:
        return self.root / "_toc.yml"

    def chapters(self) -> list[Chapter]:
        """Chapters in book order: the ``notebooks/*`` entries of ``_toc.yml``."""
        if not self.toc.is_file():
            raise FileNotFoundError(f"No _toc.yml in {self.root}: is this the study's root folder?")
        files = _toc_files(yaml.safe_load(self.toc.read_text(encoding="utf-8")))
        chapters = []
        for entry in files:
            path = Path(entry)
            if path.parts and path.parts[0] == "notebooks":
                source = self.root / path.with_suffix(".ipynb")
                if not source.is_file():
                    raise FileNotFoundError(f"_toc.yml lists {entry}, but {source} does not exist")
                chapters.append(Chapter(name=path.stem, source=source))
        return chapters

    def default_run_dir(self, profile: str) -> Path:
        return self.root / "_build" / "run" / profile


def _toc_files(node: Any) -> list[str]:
    """All ``file`` entries of a sphinx-external-toc structure, in order."""
    found: list[str] = []
    if isinstance(node, dict):
        if "root" in node:
            found.append(str(node["root"]))
        if "file" in node:
            found.append(str(node["file"]))
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []) or []:
                found.extend(_toc_files(child))
    elif isinstance(node, list):
        for child in node:
            found.extend(_toc_files(child))
    return found


def find_project(start: Path | None = None) -> Project:
    """The nearest folder at or above ``start`` (default: the working directory) with ``_toc.yml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file() and (folder / "notebooks").is_dir():
            return Project(folder)
    raise FileNotFoundError(f"No _toc.yml with a notebooks/ folder at or above {here}")


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------

_TYPE_NAMES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


@dataclass(frozen=True)
class NotebookParameter:
    """A parameter declared in a notebook's ``parameters`` cell."""

    name: str
    default: Any
    type: type | None  # None: any value is accepted (the default is None or not a literal)


def notebook_parameters(path: Path) -> dict[str, NotebookParameter]:
    """Read the ``parameters`` cell of a notebook with papermill, without executing it.

    Raises
    ------
    ParameterError
        The notebook has no cell tagged ``parameters``.
    """
    import papermill

    declared = papermill.inspect_notebook(str(path))
    if not declared:
        raise ParameterError(f"{path.name} has no cell tagged 'parameters'; every chapter needs one")
    parameters = {}
    for name, spec in declared.items():
        annotated = _TYPE_NAMES.get(str(spec.get("inferred_type_name", "None")))
        try:
            default = ast.literal_eval(str(spec.get("default")))
        except (ValueError, SyntaxError):
            default = None
        kind = annotated or (type(default) if default is not None else None)
        parameters[name] = NotebookParameter(name=name, default=default, type=kind)
    return parameters


def _type_ok(value: Any, expected: type | None) -> bool:
    if expected is None:
        return True
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def parse_param(text: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE`` from the command line; VALUE is read as YAML 1.2 (``5``, ``0.1``, ``1e-3``,
    ``true``, ``[1, 2]``): ``yes``, ``no``, ``on`` and ``off`` stay text (a country code ``NO`` is not False).

    Examples
    --------
    >>> parse_param("epochs=5")
    ('epochs', 5)
    >>> parse_param("source=stac")
    ('source', 'stac')
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"--param expects KEY=VALUE, got {text!r}")
    if raw.strip().lower() in _YAML11_WORDS:  # YAML 1.1 reads yes/no/on/off as booleans; YAML 1.2 and we do not
        return key.strip(), raw.strip()
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as error:
        raise ParameterError(f"--param {text!r}: cannot read the value ({error})") from error
    if isinstance(value, str):  # YAML 1.1 reads 1e-3 as text; a number is meant
        with contextlib.suppress(ValueError):
            value = float(value) if _FLOAT.match(value.strip()) else value
    return key.strip(), value


BOUNDS_TAG = "parameter-bounds"


def notebook_bounds(path: Path) -> dict[str, Bound]:
    """The ``BOUNDS`` table of a notebook's cell tagged ``parameter-bounds``, read without executing it.

    Raises
    ------
    ParameterError
        The notebook has no such cell, or its table is not made of literal ``Bound(...)`` entries.
    """
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "code" and BOUNDS_TAG in cell.get("metadata", {}).get("tags", []):
            return read_bounds("".join(cell["source"]), where=f"{path.name}, cell tagged {BOUNDS_TAG!r}")
    raise ParameterError(f"{path.name} has no code cell tagged {BOUNDS_TAG!r} declaring its parameters' bounds")


def _given_values(
    chapter: Chapter,
    declared: dict[str, NotebookParameter],
    profile: Profile,
    overrides: dict[str, Any],
    injected: dict[str, Any],
    problems: list[str],
) -> dict[str, Any]:
    """The values a chapter receives (profile, then ``--param``, then the pipeline's), type-checked."""
    values = {name: value for name, value in injected.items() if name in declared}
    for origin, given in (
        (f"profile {profile.name!r}", profile.parameters_for(chapter.name, declared)),
        ("--param", overrides),
    ):
        for name, value in given.items():
            if name not in declared:
                if origin != "--param":
                    problems.append(f"{chapter.name}: {origin} sets unknown parameter {name!r}")
                continue
            expected = declared[name].type
            if not _type_ok(value, expected):
                problems.append(
                    f"{chapter.name}: parameter {name!r} expects {expected.__name__} "
                    f"(default {declared[name].default!r}), got {value!r} from {origin}"
                )
            values[name] = value
    return values


def _bound_problems(chapter: Chapter, declared: dict[str, NotebookParameter], values: dict[str, Any]) -> list[str]:
    """Each parameter outside the bounds its chapter declares, given the defaults and the values it receives."""
    bounds = notebook_bounds(chapter.source)
    problems = [f"{chapter.name}: parameter {name!r} has no entry in BOUNDS" for name in declared if name not in bounds]
    namespace = {**{name: p.default for name, p in declared.items()}, **values}
    for name, bound in bounds.items():
        if name not in declared:
            problems.append(f"{chapter.name}: BOUNDS names {name!r}, which is not a parameter")
            continue
        try:
            bound.check(name, namespace[name], namespace)
        except ParameterError as error:
            allowed = [
                f"{side} {getattr(bound, side)}" for side in ("minimum", "maximum") if getattr(bound, side) is not None
            ]
            allowed += [f"one of {bound.choices}"] if bound.choices is not None else []
            problems.append(f"{chapter.name}: {error}" + (f" (allowed: {', '.join(allowed)})" if allowed else ""))
    return problems


def resolve_parameters(
    chapters: Sequence[Chapter],
    profile: Profile,
    overrides: dict[str, Any] | None = None,
    injected: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Merge profile values and overrides per chapter and validate them against each notebook.

    Every value is checked twice before any kernel starts: its type against the notebook's
    ``parameters`` cell, and its range against the chapter's ``BOUNDS`` table (the cell tagged
    ``parameter-bounds``, which the notebook itself also runs).

    Parameters
    ----------
    chapters : sequence of Chapter
        The chapters that will run.
    profile : Profile
        Its ``stack`` and ``chapters`` sections give each chapter's values.
    overrides : dict, optional
        ``--param`` values; each applies to every selected chapter that declares it, and must
        be declared by at least one of them.
    injected : dict, optional
        Values the pipeline passes to chapters that declare them (for example ``profile``).

    Returns
    -------
    dict
        Chapter name -> parameters to pass to papermill.

    Raises
    ------
    ParameterError
        "nothing was executed", naming the chapter and the parameter, for an unknown name, a wrongly
        typed value or a value outside its bounds (with the allowed range).
    """
    overrides, injected = dict(overrides or {}), dict(injected or {})
    resolved: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    claimed: set[str] = set()
    for chapter in chapters:
        declared = notebook_parameters(chapter.source)
        typed = len(problems)
        values = _given_values(chapter, declared, profile, overrides, injected, problems)
        claimed.update(name for name in overrides if name in declared)
        if len(problems) == typed:  # ranges are checked on well-typed values only
            problems += _bound_problems(chapter, declared, values)
        resolved[chapter.name] = values
    for name in overrides:
        if name in injected:
            problems.append(f"--param {name!r} is set by the pipeline (from --profile), not by --param")
        elif name not in claimed:
            names = ", ".join(c.name for c in chapters)
            problems.append(f"--param {name!r} is not a parameter of any selected chapter ({names})")
    if problems:
        raise ParameterError("Invalid parameters, nothing was executed:\n  " + "\n  ".join(problems))
    return resolved


# --------------------------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------------------------


@dataclass
class ChapterResult:
    """One chapter's line in ``report.json``."""

    name: str
    status: str  # "ok", "failed" or "timeout"
    seconds: float
    peak_rss_mb: float
    seed: int | None
    metrics: dict[str, Any] = field(default_factory=dict)
    notebook: str = ""
    git_commit: str = ""
    started: str = ""
    error: str | None = None
    input_key: str = ""
    reused: bool = False

    def as_json(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "seed": self.seed,
            "metrics": self.metrics,
            "notebook": self.notebook,
            "git_commit": self.git_commit,
            "started": self.started,
            "input_key": self.input_key,
            "reused": self.reused,
        }
        if self.error:
            data["error"] = self.error
        return data


def git_commit(root: Path) -> str:
    """The checked-out commit, with ``-dirty`` when tracked files differ; ``unknown`` outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def _write_kernelspec(folder: Path) -> None:
    """A kernelspec named ``python3`` that runs *this* interpreter, found first via JUPYTER_PATH."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")


class _KernelWatch(threading.Thread):
    """Samples the memory of this process's children (the kernel) and enforces the timeout."""

    def __init__(self, timeout_s: float, interval_s: float = 0.25) -> None:
        super().__init__(daemon=True)
        import psutil

        self._psutil = psutil
        self._me = psutil.Process()
        self._known = {child.pid for child in self._me.children(recursive=True)}
        self.timeout_s = timeout_s
        self.interval_s = interval_s
        self.peak_bytes = 0
        self.timed_out = False
        self._halt = threading.Event()
        self._start_time = time.monotonic()

    def _kernel_processes(self) -> list[Any]:
        return [p for p in self._me.children(recursive=True) if p.pid not in self._known]

    def run(self) -> None:
        while not self._halt.wait(self.interval_s):
            total = 0
            processes = self._kernel_processes()
            for process in processes:
                with contextlib.suppress(self._psutil.NoSuchProcess, self._psutil.AccessDenied):
                    total += process.memory_info().rss
            self.peak_bytes = max(self.peak_bytes, total)
            if time.monotonic() - self._start_time > self.timeout_s:
                self.timed_out = True
                for process in processes:
                    with contextlib.suppress(self._psutil.NoSuchProcess):
                        process.kill()
                return

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def collapse_carriage_returns(text: str) -> str:
    r"""What a terminal would show: on each line, only the text after its last carriage return.

    Examples
    --------
    >>> collapse_carriage_returns("epoch 1/3\repoch 2/3\repoch 3/3\ndone\n")
    'epoch 3/3\ndone\n'
    """
    lines = []
    for line in text.split("\n"):
        parts = [part for part in line.split("\r") if part.strip()]
        lines.append(parts[-1] if parts else "")
    return "\n".join(lines)


def tidy_progress_output(notebook_path: Path) -> None:
    """Merge consecutive stream outputs of each cell and keep only the last state of progress bars,
    so a trained model shows one finished bar in the book instead of one line per update."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        merged: list = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
            else:
                merged.append(output)
        for output in merged:
            if output.output_type == "stream":
                output.text = collapse_carriage_returns(output.text)
        cell.outputs = merged
    nbformat.write(notebook, notebook_path)


def _failing_cell(notebook_path: Path) -> str:
    """Describe the cell papermill marked as failed in a partial output notebook."""
    try:
        import nbformat

        notebook = nbformat.read(notebook_path, as_version=4)
    except Exception:  # a notebook killed mid-write may not parse
        return "the failing cell could not be read from the partial notebook"
    for index, cell in enumerate(notebook.cells):
        if cell.get("metadata", {}).get("papermill", {}).get("exception"):
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            return f"cell {index} (first line: {first[:80]!r})"
    return "no cell was marked as failed"


def _stop_processes(processes: list[Any], grace_s: float = 1.5) -> None:
    """SIGTERM, then SIGKILL after ``grace_s``, for every process in ``processes`` still alive."""
    import psutil

    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=grace_s)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=grace_s)


class _Stop(BaseException):
    """Raised in the main thread by a stop signal; a BaseException, so no ``except Exception`` in
    papermill, nbclient or here mistakes it for a failing cell."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


class _Interruption:
    """While active, SIGINT and SIGTERM stop the kernel and everything it started (pool workers
    included), then raise :class:`_Stop` in the main thread.

    The process tree is collected before anything is killed, so workers whose kernel dies first
    are not orphaned.
    """

    def __init__(self) -> None:
        self.signal_number: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Interruption:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, frame: Any) -> None:
        import psutil

        if self.signal_number is not None:
            return  # the first signal is already being handled
        self.signal_number = number
        _stop_processes(psutil.Process().children(recursive=True))
        raise _Stop(number)


def _execute_chapter(
    chapter: Chapter,
    parameters: dict[str, Any],
    run_dir: Path,
    timeout_s: float,
    progress: bool,
) -> tuple[str, float, float, str | None]:
    """Run one notebook; return (status, seconds, peak RSS in MB, error text or None)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output = partial_notebook(run_dir, chapter)
    output.parent.mkdir(parents=True, exist_ok=True)
    (run_dir / f"{chapter.name}.ipynb").unlink(missing_ok=True)  # never leave an older run's notebook
    watch = _KernelWatch(timeout_s)
    started = time.monotonic()
    error: str | None = None
    status = "ok"
    watch.start()
    try:
        papermill.execute_notebook(
            str(chapter.source),
            str(output),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            cwd=str(run_dir),
            progress_bar=progress,
            execution_timeout=int(timeout_s) + 1,
            request_save_on_cell_execute=True,
        )
    except PapermillExecutionError as failure:
        status = "failed"
        trace = _ANSI.sub("", "\n".join(failure.traceback[-12:]))
        first_line = (failure.source or "").strip().splitlines()[0][:80] if (failure.source or "").strip() else ""
        error = (
            f"cell {failure.cell_index} of the source (In [{failure.exec_count}], starting "
            f"{first_line!r}) raised {failure.ename}: {failure.evalue}\n{trace}"
        )
    except Exception as failure:  # dead kernel (timeout), missing kernel, unreadable notebook
        status = "timeout" if watch.timed_out else "failed"
        where = _failing_cell(output) if output.exists() else "before the first cell"
        reason = (
            f"ran past the {timeout_s:.0f} s timeout and was stopped"
            if watch.timed_out
            else f"{type(failure).__name__}: {failure}"
        )
        error = f"{reason}; {where}"
    finally:
        watch.stop()
    if watch.timed_out and status == "ok":  # the kernel died between cells
        status, error = "timeout", f"ran past the {timeout_s:.0f} s timeout and was stopped"
    if status == "ok":
        tidy_progress_output(output)
        os.replace(output, run_dir / f"{chapter.name}.ipynb")  # only a finished notebook is where the book looks
    return status, time.monotonic() - started, watch.peak_bytes / 2**20, error


def partial_notebook(run_dir: Path, chapter: Chapter) -> Path:
    """Where a chapter executes, and where a failed or interrupted chapter's notebook stays: a folder
    the book build never reads."""
    return run_dir / "partial" / f"{chapter.name}.ipynb"


def select_chapters(chapters: Sequence[Chapter], only: Iterable[str] | None) -> list[Chapter]:
    """Chapters named in ``only`` (by full name or number prefix, e.g. ``03``), in book order."""
    if not only:
        return list(chapters)
    wanted = []
    for token in only:
        matches = [c for c in chapters if c.name == token or c.name.split("_", 1)[0] == token]
        if not matches:
            names = ", ".join(c.name for c in chapters)
            raise ParameterError(f"--only {token!r} names no chapter of the book; chapters: {names}")
        wanted.extend(m for m in matches if m not in wanted)
    return [c for c in chapters if c in wanted]


def _load_report(path: Path) -> dict[str, Any]:
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            pass
    return {}


def _prepare_kernels(run_dir: Path) -> None:
    """Kernels inherit the environment: this interpreter as kernel, absolute data paths."""
    kernels_home = run_dir / ".jupyter"
    _write_kernelspec(kernels_home)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(kernels_home)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    )
    if os.environ.get("LSLIB_DATA_MIRROR"):
        os.environ["LSLIB_DATA_MIRROR"] = str(Path(os.environ["LSLIB_DATA_MIRROR"]).expanduser().resolve())


REPORTED_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "xarray",
    "dask",
    "zarr",
    "torch",
    "scikit-learn",
    "papermill",
    "jupyter-book",
    "odc-stac",
    "matplotlib",
)


def environment_info() -> dict[str, Any]:
    """Where the run executed: platform, CPU count, the compute device with torch and CUDA versions, and
    the versions of the packages the numbers depend on."""
    import platform
    from importlib import metadata

    import torch

    versions = {}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    cuda = torch.cuda.is_available()
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "torch": torch.__version__,
        "cuda": torch.version.cuda if cuda else None,
        "packages": versions,
    }


class _RunReport:
    """The run report: one entry per chapter, in book order, rewritten atomically after each chapter."""

    def __init__(self, project: Project, profile: str, run_dir: Path) -> None:
        self.project, self.path = project, run_dir / "report.json"
        self.commit = git_commit(project.root)
        # The last report's chapters stay until this run replaces them (reused or executed again).
        previous = (
            _load_report(self.path).get("chapters", []) if profile == _load_report(self.path).get("profile") else []
        )
        self.results: dict[str, dict[str, Any]] = {c["name"]: c for c in previous}
        self.data: dict[str, Any] = {
            "profile": profile,
            "git_commit": self.commit,
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "environment": environment_info(),
            "chapters": [],
        }

    def add(self, result: ChapterResult) -> None:
        self.results[result.name] = result.as_json()
        order = [c.name for c in self.project.chapters()]
        self.data["chapters"] = [self.results[name] for name in order if name in self.results]
        write_json_atomic(self.path, self.data)


def code_fingerprint(project: Project) -> str:
    """sha256 of everything a chapter's result depends on besides its notebook and parameters: the
    lslib package (code, profiles, registry) and the pinned environment."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]  # the lslib package folder
    files = sorted(p for p in package.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml", ".csv"))
    entries = [(path.relative_to(package.parent).as_posix(), path) for path in files]
    if (project.root / "constraints.txt").is_file():
        entries.append(("constraints.txt", project.root / "constraints.txt"))
    for name, path in entries:
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def input_key(chapter: Chapter, parameters: dict[str, Any], code: str, earlier: Sequence[str]) -> str:
    """The content hash that decides whether a finished chapter can be reused (as jupyter-cache does):
    its notebook source, its parameters, :func:`code_fingerprint` and the keys of the chapters before it
    (whose artifacts it may read)."""
    digest = hashlib.sha256()
    digest.update(chapter.source.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    digest.update(code.encode())
    for key in earlier:
        digest.update(key.encode())
    return digest.hexdigest()[:32]


def _reusable(previous: dict[str, Any] | None, key: str, run_dir: Path, chapter: Chapter) -> bool:
    return bool(
        previous
        and previous.get("status") == "ok"
        and previous.get("input_key") == key
        and (run_dir / f"{chapter.name}.ipynb").is_file()
    )


def _run_chapter(
    chapter: Chapter, parameters: dict[str, Any], run_dir: Path, limit: float, progress: bool, commit: str
) -> ChapterResult:
    """Execute one chapter with its metrics file set, and collect what it recorded."""
    metrics_file = run_dir / "metrics" / f"{chapter.name}.json"
    metrics_file.unlink(missing_ok=True)
    os.environ[METRICS_ENV] = str(metrics_file)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    try:
        status, seconds, peak_mb, error = _execute_chapter(chapter, parameters, run_dir, limit, progress)
    except _Stop as stop:
        status, seconds, peak_mb = "interrupted", time.monotonic() - clock, 0.0
        error = (
            f"interrupted by {signal.Signals(stop.signal_number).name}; its kernel and workers were stopped; "
            f"the partial notebook is in {partial_notebook(run_dir, chapter).parent}"
        )
    finally:
        os.environ.pop(METRICS_ENV, None)
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    declared = notebook_parameters(chapter.source)
    seed = parameters.get("seed", declared["seed"].default if "seed" in declared else None)
    return ChapterResult(
        name=chapter.name,
        status=status,
        seconds=seconds,
        peak_rss_mb=peak_mb,
        seed=seed,
        metrics=metrics,
        notebook=str(run_dir / f"{chapter.name}.ipynb" if status == "ok" else partial_notebook(run_dir, chapter)),
        git_commit=commit,
        started=started,
        error=error,
    )


def _earlier_keys(project: Project, report: _RunReport, chapter: Chapter) -> list[str]:
    """The input keys, as the report now holds them, of the book's chapters before ``chapter``."""
    names = [c.name for c in project.chapters()]
    return [report.results.get(name, {}).get("input_key", "absent") for name in names[: names.index(chapter.name)]]


def _result_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """A report entry back as :class:`ChapterResult` keyword arguments."""
    names = set(ChapterResult.__dataclass_fields__)
    return {k: v for k, v in entry.items() if k in names}


def _echo_result(result: ChapterResult, chapter: Chapter, echo: Any) -> str | None:
    """Print a chapter's line; return the failure summary when it did not finish."""
    shown = os.path.relpath(chapter.source, Path.cwd())
    echo(
        f"{'ok' if result.status == 'ok' else 'FAIL':<6} {result.seconds:7.1f} s  {result.peak_rss_mb:7.0f} MB  {shown}"
    )
    if result.status == "ok":
        return None
    echo(f"       {chapter.name} {result.status}: {result.error}")
    echo(f"       partial notebook kept at {result.notebook}")
    return f"{chapter.name} {result.status}: {(result.error or '').splitlines()[0]}"


def _run_chapters(
    project: Project,
    chapters: Sequence[Chapter],
    parameters: dict[str, dict[str, Any]],
    report: _RunReport,
    run_dir: Path,
    limit: float,
    progress: bool,
    force: bool,
    echo: Any,
) -> str | None:
    """Reuse or execute each chapter in order; stop at the first that does not finish and return why."""
    code = code_fingerprint(project)
    for chapter in chapters:
        key = input_key(chapter, parameters[chapter.name], code, _earlier_keys(project, report, chapter))
        previous = report.results.get(chapter.name)
        if not force and _reusable(previous, key, run_dir, chapter):
            report.add(ChapterResult(**{**_result_fields(previous), "reused": True}))
            echo(f"{'reused':<6} {'':>9}  {'':>10}  {os.path.relpath(chapter.source, Path.cwd())}")
            continue
        result = _run_chapter(chapter, parameters[chapter.name], run_dir, limit, progress, report.commit)
        result.input_key = key
        report.add(result)
        failure = _echo_result(result, chapter, echo)
        if failure:
            return failure
    return None


def run(
    project: Project,
    profile: str | Profile = "quick",
    *,
    only: Iterable[str] | None = None,
    overrides: dict[str, Any] | None = None,
    run_dir: Path | None = None,
    timeout_s: float | None = None,
    progress: bool = False,
    force: bool = False,
    echo: Any = print,
) -> dict[str, Any]:
    """Execute chapters in order and return the run report (also written to ``report.json``).

    A chapter that finished in an earlier run into the same directory, with the same
    :func:`input_key` (notebook, parameters, lslib code, pinned environment and the chapters before
    it), is reused instead of executed again; its report entry says ``"reused": true``. SIGINT
    (Ctrl-C) and SIGTERM stop the kernel and every process it started within seconds, mark the
    chapter ``interrupted`` and raise :class:`~lslib.errors.RunInterrupted`; a failed or interrupted
    chapter's notebook stays in ``partial/``, where the book build never looks.

    Parameters
    ----------
    project : Project
        The study's root.
    profile : str or Profile
        ``smoke``, ``quick``, ``full``, a YAML path, or a loaded profile.
    only : iterable of str, optional
        Chapter names or number prefixes; default all chapters of ``_toc.yml``.
    overrides : dict, optional
        Parameter values that override the profile (``--param``).
    run_dir : Path, optional
        Working directory of the kernels and home of the outputs; default ``_build/run/<profile>``.
    timeout_s : float, optional
        Per-chapter wall-clock limit; default the profile's ``timeout_s``.
    progress : bool
        Show papermill's per-cell progress bar.
    force : bool
        Execute every selected chapter, even those that could be reused.
    echo : callable
        Receives one line per chapter (``ok  12.3 s  path``) and the failure details.

    Raises
    ------
    ParameterError
        Before executing anything, for an invalid parameter (type or bounds) or chapter selection.
    ChapterFailed
        After writing the report, when a chapter failed or timed out.
    RunInterrupted
        After writing the report, when the run received SIGINT or SIGTERM.
    """
    loaded = profile if isinstance(profile, Profile) else load_profile(profile)
    chapters = select_chapters(project.chapters(), only)
    parameters = resolve_parameters(chapters, loaded, overrides, injected={"profile": loaded.name})
    run_dir = (run_dir or project.default_run_dir(loaded.name)).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    limit = float(timeout_s or loaded.timeout_s)
    _prepare_kernels(run_dir)
    report = _RunReport(project, loaded.name, run_dir)
    with _Interruption() as interruption:
        try:
            failure = _run_chapters(project, chapters, parameters, report, run_dir, limit, progress, force, echo)
        except _Stop:  # a signal between two chapters: nothing was executing
            failure = "the run was interrupted between chapters"
    echo(f"report: {report.path}")
    if interruption.signal_number is not None:
        raise RunInterrupted(failure or "interrupted", interruption.signal_number)
    if failure:
        raise ChapterFailed(failure)
    return report.data
