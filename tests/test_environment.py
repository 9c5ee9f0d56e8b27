"""environment.yml (conda + pip) and constraints.txt must pin the same versions."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_name(name)] = version
    return pins


def _environment() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dependency in spec["dependencies"]:
        entries = dependency["pip"] if isinstance(dependency, dict) else [dependency]
        for entry in entries:
            match = re.match(r"^([A-Za-z0-9_.\-]+)\s*==?\s*([^\s,;]+)$", entry)
            if match and match.group(1) != "python":
                pins[_name(match.group(1))] = match.group(2)
    return pins


def test_environment_yml_pins_the_constraint_versions():
    constraints, environment = _constraints(), _environment()
    disagreements = {n: (v, constraints.get(n)) for n, v in environment.items() if constraints.get(n) != v}
    assert not disagreements, f"environment.yml vs constraints.txt: {disagreements}"


def test_every_direct_dependency_is_pinned_in_both():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    names = {_name(re.split(r"[<>=!~\[ ]", d, maxsplit=1)[0]) for d in direct}
    constraints, environment = _constraints(), _environment()
    assert names - set(constraints) == set()
    assert names - set(environment) == set()


def test_torch_is_pinned_exactly_everywhere():
    assert _constraints()["torch"] == "2.13.0"
    assert _environment()["torch"] == "2.13.0"
    assert '"torch==2.13.0"' in (ROOT / "pyproject.toml").read_text()


def test_a_missing_chromium_stops_make_test_in_seconds_with_the_command_to_run(tmp_path):
    """With no Chromium on PATH and installing forbidden, the check fails at once and says what to run."""
    import subprocess
    import time

    env = {"PATH": str(tmp_path), "LSLIB_INSTALL_CHROMIUM": "0", "HOME": str(tmp_path)}
    started = time.monotonic()
    result = subprocess.run(
        ["/bin/bash", str(ROOT / "tools" / "ensure-chromium")], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert time.monotonic() - started < 5
    assert "sudo apt-get install chromium" in result.stderr


def test_chromium_named_by_lslib_chromium_is_used(tmp_path):
    import subprocess

    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    env = {"PATH": "/nonexistent", "LSLIB_CHROMIUM": str(fake), "LSLIB_INSTALL_CHROMIUM": "0"}
    result = subprocess.run(
        ["/bin/bash", str(ROOT / "tools" / "ensure-chromium")], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and str(fake) in result.stdout


def test_every_data_source_is_credited_in_the_readme_and_the_citation():
    sources = (
        "Global Landslide Catalog",
        "India Meteorological Department",
        "eo-learn",
        "PrecLand",
        "Planetary Computer",
        "Landsat 8 OLI Level-1",
        "Open-Meteo",
    )
    readme = (ROOT / "README.md").read_text()
    titles = " ".join(str(r) for r in yaml.safe_load((ROOT / "CITATION.cff").read_text())["references"])
    for source in sources:
        assert source.lower() in readme.lower(), f"README's data table misses {source}"
        assert source.lower() in titles.lower(), f"CITATION.cff references miss {source}"
