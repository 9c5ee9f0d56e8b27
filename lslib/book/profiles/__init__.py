"""Run profiles: the single source of sizes, epochs and timeouts for every chapter.

A profile is a YAML file in this folder:

``smoke``
    For tests: every chapter in seconds, on tiny data.
``quick``
    The default book: minutes on 2 CPU cores. Each notebook's ``parameters`` cell holds exactly
    these values, so a notebook run on its own is a quick run (a test checks it).
``full``
    For a GPU machine: the sizes the study's conclusions should rest on.

Each file has ``description``, ``timeout_s`` (per chapter), ``stack`` and ``chapters``. ``stack``
holds the sizes that several chapters share, written once: the chapter-1 stack (``n_sites``,
``n_times``, ``size``, ``n_workers``) and the ``seed``; every chapter that declares one of these
parameters receives it, so all chapters read the same simulated stack. ``chapters`` maps a chapter
name (``01_data_acquisition``) to the parameters of that chapter alone; it may not repeat a
``stack`` key.

Examples
--------
>>> profile = load_profile("smoke")
>>> profile.name, profile.timeout_s > 0
('smoke', True)
>>> profile.parameters_for("05_cgan_scenarios", declared={"seed", "size", "epochs"})["size"]
32
>>> sorted(PROFILE_NAMES)
['full', 'quick', 'smoke']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Profile", "load_profile", "PROFILE_NAMES", "PROFILES_DIR"]

PROFILES_DIR = Path(__file__).parent
PROFILE_NAMES = ("smoke", "quick", "full")


@dataclass(frozen=True)
class Profile:
    """A parsed profile file.

    Parameters
    ----------
    name : str
        ``smoke``, ``quick`` or ``full`` (or a custom file's stem).
    timeout_s : float
        Wall-clock limit for one chapter, in seconds.
    chapters : dict
        Chapter name -> {parameter name -> value}.
    description : str
        One line saying what the profile is for.
    stack : dict
        Parameter name -> value, shared by every chapter that declares the parameter.
    """

    name: str
    timeout_s: float
    chapters: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""
    stack: dict[str, Any] = field(default_factory=dict)

    def parameters_for(self, chapter: str, declared: Iterable[str] | None = None) -> dict[str, Any]:
        """The parameters this profile sets for ``chapter``: the ``stack`` values of the names the
        chapter declares (all of them when ``declared`` is None), then its own section."""
        names = None if declared is None else set(declared)
        shared = {k: v for k, v in self.stack.items() if names is None or k in names}
        return {**shared, **(self.chapters.get(chapter) or {})}


def load_profile(name_or_path: str | Path, profiles_dir: Path | None = None) -> Profile:
    """Load a profile by name (``smoke``, ``quick``, ``full``) or from a YAML path.

    Raises
    ------
    ValueError
        The profile does not exist or is malformed; the message names the file and the problem.
    """
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        path = candidate
    else:
        path = (profiles_dir or PROFILES_DIR) / f"{name_or_path}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in (profiles_dir or PROFILES_DIR).glob("*.yaml"))
            raise ValueError(f"Unknown profile {str(name_or_path)!r}; known profiles: {', '.join(known)}")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = set(data) - {"description", "timeout_s", "stack", "chapters"}
    if unknown:
        raise ValueError(f"Profile {path} has unknown keys {sorted(unknown)}")
    chapters = data.get("chapters") or {}
    if not isinstance(chapters, dict) or not all(isinstance(v, (dict, type(None))) for v in chapters.values()):
        raise ValueError(f"Profile {path}: 'chapters' must map chapter names to parameter mappings")
    stack = data.get("stack") or {}
    if not isinstance(stack, dict):
        raise ValueError(f"Profile {path}: 'stack' must map parameter names to values")
    for chapter, values in chapters.items():
        repeated = sorted(set(values or {}) & set(stack))
        if repeated:
            raise ValueError(f"Profile {path}: chapter {chapter} repeats {repeated}, which 'stack' sets once for all")
    timeout = data.get("timeout_s", 900)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"Profile {path}: timeout_s must be a positive number of seconds, got {timeout!r}")
    return Profile(
        name=path.stem,
        timeout_s=float(timeout),
        chapters={str(k): dict(v or {}) for k, v in chapters.items()},
        description=str(data.get("description", "")),
        stack=dict(stack),
    )
