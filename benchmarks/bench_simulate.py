"""Throughput and scaling of LandslideSim, measured side by side with baselines.

1. Sites per second at quick-profile sizes (16 Landsat frames, 32 x 32 px), one process.
2. Scaling in ``n_sites`` (should be linear: the time per site stays flat).
3. Two dask workers against one, in the same run, beside the same ratio for a pure-NumPy
   CPU-bound loop: the machine's own parallel ceiling (2 vCPUs are not always 2 full cores).
4. The current simulator (LandslideSim v2, this working tree) against the previous one (v1, the code
   at ``--baseline-ref``, checked out in a temporary git worktree): each runs in its own long-lived
   subprocess whose ``sys.path`` starts with its tree, and the two are timed in turn, alternating
   which goes first, so the machine's load falls on both alike. Reported are the median seconds of
   each and the ratio v2/v1 at 16 frames (1 and 2 workers), v2 at 24 frames (the quick profile's
   new length) and, from v2's time per site at 24 frames on 2 workers, the projected time of the
   quick stack (the quick profile's sites and frames) against its 60 s goal.

Usage: ``.venv/bin/python benchmarks/bench_simulate.py [--sites 120] [--repeats 3] [--baseline-ref 6467ca6]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

import lslib
from lslib.book.profiles import load_profile
from lslib.data.sim import simulate

BASELINE_REF = "6467ca6"
"""The simulator before the v2 physics (LandslideSim v1)."""

_QUICK = load_profile("quick").stack
QUICK_SITES, QUICK_TIMES, QUICK_WORKERS, QUICK_GOAL_S = _QUICK["n_sites"], _QUICK["n_times"], _QUICK["n_workers"], 60.0
"""The quick profile's stack (sites, Landsat frames, workers) and the time it should take to simulate."""

SIZE = 32
"""Pixels per side in every measurement (the quick profile's patch)."""

_WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever simulate prints goes to stderr, never into the protocol
    import lslib
    from lslib.data.sim import simulate
    protocol.write(json.dumps({"lslib": lslib.__file__}) + "\\n")
    protocol.flush()
    for line in sys.stdin:
        kwargs = json.loads(line)
        start = time.perf_counter()
        simulate(**kwargs)
        protocol.write(json.dumps({"seconds": time.perf_counter() - start}) + "\\n")
        protocol.flush()
    """
)


class BaselineUnavailable(RuntimeError):
    """The baseline simulator cannot be checked out: no git, no repository, or an unknown ref."""


def _burn(_: int) -> float:
    start = time.perf_counter()
    values = np.random.default_rng(0).random(1024)
    for _ in range(150_000):
        values = np.sqrt(values * values + 1.0) - 0.5
    return time.perf_counter() - start


def cpu_ceiling() -> float:
    """Speed-up of 2 processes over 1 on a CPU-bound NumPy loop (the best any code can do here).

    Returns
    -------
    float
        Serial time of two loops over their time in a 2-process pool (2.0 on two full cores).
    """
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    _burn(0), _burn(1)
    serial = time.perf_counter() - start
    with context.Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_burn, [0, 1])
        parallel = time.perf_counter() - start
    return serial / parallel


def timed(n_times: int = 16, **kwargs) -> float:
    """Seconds one :func:`lslib.data.sim.simulate` call takes in this process (the current simulator).

    Parameters
    ----------
    n_times : int
        Landsat frames per site.
    **kwargs
        Further arguments of ``simulate`` (``n_sites``, ``n_workers``); size 32 and seed 0 are fixed.

    Returns
    -------
    float
        Wall-clock seconds.
    """
    start = time.perf_counter()
    simulate(n_times=n_times, size=SIZE, seed=0, **kwargs)
    return time.perf_counter() - start


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


@contextmanager
def baseline_worktree(ref: str, root: Path) -> Iterator[Path]:
    """Check out ``ref`` in a temporary, detached git worktree, removed again on exit.

    Parameters
    ----------
    ref : str
        A commit, tag or branch of the repository at ``root``.
    root : Path
        Any directory inside the git repository.

    Yields
    ------
    Path
        The worktree's root (it holds the ``lslib`` package as it was at ``ref``).

    Raises
    ------
    BaselineUnavailable
        When git is not installed, ``root`` is not in a git repository, or ``ref`` names no commit.
    """
    if shutil.which("git") is None:
        raise BaselineUnavailable("git is not installed (it checks out the baseline simulator)")
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BaselineUnavailable(f"{root} is not in a git repository: {top.stderr.strip()}")
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0:
        raise BaselineUnavailable(f"git ref {ref!r} names no commit in {top.stdout.strip()} (is the history fetched?)")
    scratch = Path(tempfile.mkdtemp(prefix="bench_simulate_"))
    tree = scratch / "baseline"
    added = _git(root, "worktree", "add", "--detach", str(tree), commit.stdout.strip())
    if added.returncode != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        raise BaselineUnavailable(f"git worktree add {ref} failed: {added.stderr.strip()}")
    try:
        yield tree
    finally:
        if _git(root, "worktree", "remove", "--force", str(tree)).returncode != 0:
            shutil.rmtree(tree, ignore_errors=True)
            _git(root, "worktree", "prune")
        shutil.rmtree(scratch, ignore_errors=True)


class SimulatorProcess:
    """A long-lived Python subprocess that imports ``lslib`` from one source tree and times ``simulate``.

    The tree comes first on the subprocess's ``sys.path`` (``PYTHONPATH``, with ``-P`` so that the
    working directory is not searched before it), ahead of the editable install of the current tree;
    the package it really imported is checked on start. Imports are paid once, not in every timing.

    Parameters
    ----------
    tree : Path
        Directory that holds the ``lslib`` package to measure.
    label : str
        Name in error messages (``"v1"``, ``"v2"``).

    Raises
    ------
    RuntimeError
        On start, when the subprocess fails or imports ``lslib`` from elsewhere than ``tree``.
    """

    def __init__(self, tree: Path, label: str):
        self.tree, self.label = Path(tree).resolve(), label
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives as long as the process; close())
        path = [str(self.tree), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-c", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=self.tree,
            env=environment,
        )
        imported = Path(self._reply()["lslib"]).resolve()
        if not imported.is_relative_to(self.tree):
            self.close()
            raise RuntimeError(f"{label}: the subprocess imported {imported}, not the lslib of {self.tree}")

    def _reply(self) -> dict:
        line = self._process.stdout.readline()
        if not line:
            self._process.wait()
            self._stderr.seek(0)
            tail = self._stderr.read()[-3000:]
            raise RuntimeError(f"{self.label} simulator subprocess ({self.tree}) failed:\n{tail}")
        return json.loads(line)

    def time(self, **kwargs) -> float:
        """Seconds one ``simulate(**kwargs)`` call takes in the subprocess.

        Parameters
        ----------
        **kwargs
            Arguments of ``simulate``, JSON-serialisable.

        Returns
        -------
        float
            Wall-clock seconds, measured inside the subprocess.
        """
        self._process.stdin.write(json.dumps(kwargs) + "\n")
        self._process.stdin.flush()
        return float(self._reply()["seconds"])

    def close(self) -> None:
        """End the subprocess (it exits when its input closes)."""
        if self._process.stdin and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stderr.close()

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *_) -> None:
        self.close()


def compare_versions(current: Path, baseline: Path, sites: int, repeats: int) -> dict:
    """Median seconds of v1 and v2 at the same sizes, timed alternately, and the quick-stack projection.

    Parameters
    ----------
    current : Path
        Tree of the current simulator (v2).
    baseline : Path
        Tree of the previous simulator (v1).
    sites : int
        Sites per timed call.
    repeats : int
        Timings of each version at each size; the order of v1 and v2 swaps every repeat.

    Returns
    -------
    dict
        ``"runs"``: per size (``"16_frames_1_worker"``, ...) the median seconds of each version
        measured there, the ratio ``v2_over_v1`` (> 1: v2 is slower) and, at 24 frames, v2 against
        v1 at 16 frames (the quick profile's cost before and after it moved to 24 frames);
        ``"quick_stack_projection"``: v2's time for the quick profile's stack (sites, frames, workers)
        projected from its time per site, against the 60 s goal.
    """
    sizes = [(16, 1, ("v1", "v2")), (16, 2, ("v1", "v2")), (24, 1, ("v2",)), (24, 2, ("v2",))]
    seconds: dict[tuple[int, int, str], list[float]] = {}
    with SimulatorProcess(baseline, "v1") as v1, SimulatorProcess(current, "v2") as v2:
        processes = {"v1": v1, "v2": v2}
        for process in processes.values():  # warm imports and caches in each
            process.time(n_sites=3, n_times=16, size=SIZE, seed=0)
        for repeat in range(repeats):
            for n_times, n_workers, versions in sizes:
                for version in versions if repeat % 2 == 0 else versions[::-1]:
                    elapsed = processes[version].time(
                        n_sites=sites, n_times=n_times, size=SIZE, seed=0, n_workers=n_workers
                    )
                    seconds.setdefault((n_times, n_workers, version), []).append(elapsed)
    median = {key: statistics.median(values) for key, values in seconds.items()}
    runs = {}
    for n_times, n_workers, versions in sizes:
        run = {f"{version}_s": round(median[n_times, n_workers, version], 3) for version in versions}
        if "v1" in versions:
            run["v2_over_v1"] = round(median[n_times, n_workers, "v2"] / median[n_times, n_workers, "v1"], 3)
        else:
            run["v2_over_v1_at_16_frames"] = round(median[n_times, n_workers, "v2"] / median[16, n_workers, "v1"], 3)
        run["all_s"] = {version: [round(s, 3) for s in seconds[n_times, n_workers, version]] for version in versions}
        runs[f"{n_times}_frames_{n_workers}_worker{'s' if n_workers > 1 else ''}"] = run
    per_site = median[QUICK_TIMES, QUICK_WORKERS, "v2"] / sites
    projected = per_site * QUICK_SITES
    return {
        "sites": sites,
        "repeats": repeats,
        "runs": runs,
        "quick_stack_projection": {
            "stack": f"{QUICK_SITES} sites, {QUICK_TIMES} frames, {QUICK_WORKERS} workers, v2",
            "v2_seconds_per_site": round(per_site, 4),
            "projected_s": round(projected, 1),
            "goal_s": QUICK_GOAL_S,
            "fraction_of_goal": round(projected / QUICK_GOAL_S, 3),
            "within_goal": projected <= QUICK_GOAL_S,
            "v1_16_frames_projected_s": round(median[16, QUICK_WORKERS, "v1"] / sites * QUICK_SITES, 1),
        },
    }


def main(
    sites: int = 120, repeats: int = 3, baseline_ref: str | None = BASELINE_REF, *, stream=sys.stdout
) -> dict[str, object]:
    """Run every measurement and print the results as JSON.

    Parameters
    ----------
    sites : int
        Largest stack of the scaling and worker measurements (``sites // 4`` and ``sites // 2`` too)
        and the stack of the v1/v2 comparison.
    repeats : int
        Timings of each version at each size in the comparison (their median is reported).
    baseline_ref : str or None
        Git ref of the previous simulator (v1); None skips the comparison.
    stream : file, optional
        Where the JSON goes.

    Returns
    -------
    dict
        The printed results; ``"v2_against_v1"`` holds :func:`compare_versions`'s when a baseline is given.

    Raises
    ------
    BaselineUnavailable
        Before any timing, when ``baseline_ref`` cannot be checked out.
    """
    current = Path(lslib.__file__).resolve().parent.parent
    checkout = baseline_worktree(baseline_ref, current) if baseline_ref else nullcontext()
    with checkout as baseline:
        timed(n_sites=3)  # warm imports and caches
        scaling = {n: timed(n_sites=n) for n in (sites // 4, sites // 2, sites)}
        per_site = {n: t / n for n, t in scaling.items()}
        one, two = timed(n_sites=sites, n_workers=1), timed(n_sites=sites, n_workers=2)
        ceiling = cpu_ceiling()
        result: dict[str, object] = {
            "sites_per_second_1_worker": sites / one,
            "seconds_per_site": {str(n): round(v, 4) for n, v in per_site.items()},
            "scaling_ratio_largest_to_smallest_per_site": per_site[sites] / per_site[sites // 4],
            "speedup_2_workers": one / two,
            "cpu_ceiling_2_processes": ceiling,
            "parallel_efficiency_vs_ceiling": (one / two) / ceiling,
            "quick_profile_estimate_s_2_workers_16_frames": two / sites * QUICK_SITES,
        }
        if baseline is not None:
            comparison = compare_versions(current, baseline, sites, repeats)
            result["v2_against_v1"] = {"baseline_ref": baseline_ref, **comparison}
    print(json.dumps(result, indent=2), file=stream)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=120, help="sites per stack (default 120)")
    parser.add_argument("--repeats", type=int, default=3, help="timings of v1 and v2 at each size (default 3)")
    parser.add_argument(
        "--baseline-ref",
        default=BASELINE_REF,
        help=f"git ref of the previous simulator, v1 (default {BASELINE_REF}); 'none' skips the comparison",
    )
    args = parser.parse_args()
    if args.sites < 4 or args.repeats < 1:
        parser.error("--sites must be at least 4 and --repeats at least 1")
    try:
        main(args.sites, args.repeats, None if args.baseline_ref.lower() == "none" else args.baseline_ref)
    except BaselineUnavailable as error:
        parser.error(f"the baseline simulator is unavailable: {error}")
