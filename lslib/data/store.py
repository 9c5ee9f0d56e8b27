"""Zarr storage of stacks: atomic writes, and a cache keyed by the parameters that made a stack.

A killed run must never leave a half-written store that looks complete: :func:`write_atomic`
writes into a temporary folder beside the target and renames it into place only when the write
has finished. :func:`cached` names a store by a hash of its parameters, so the same simulation is
computed once per run directory (or shared cache) and read back afterwards.

Every store carries a manifest (``lslib-manifest.json``: the sha256 of each of its files), so a
damaged chunk or metadata file is found when the store is opened, before any kernel decompresses it:
:class:`~lslib.errors.CorruptStore` names the store and the fix, and :func:`cached` rebuilds a store it
may rebuild (a simulator cache, or any cache when ``LSLIB_REBUILD_CACHE=1``, which ``--rebuild`` sets).

Examples
--------
>>> key = cache_key({"n_sites": 4, "seed": 0})
>>> key == cache_key({"seed": 0, "n_sites": 4}), len(key)
(True, 16)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xarray as xr

from lslib import __version__
from lslib.errors import CorruptStore

__all__ = [
    "write_atomic",
    "store_encoding",
    "open_store",
    "cache_key",
    "cached",
    "verify_store",
    "MANIFEST",
    "REBUILD_ENV",
]

MANIFEST = "lslib-manifest.json"
REBUILD_ENV = "LSLIB_REBUILD_CACHE"


def _file_digests(store: Path) -> dict[str, str]:
    digests = {}
    for path in sorted(p for p in store.rglob("*") if p.is_file() and p.name != MANIFEST):
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digests[path.relative_to(store).as_posix()] = digest.hexdigest()
    return digests


def verify_store(path: Path | str) -> None:
    """Check every file of a store against its manifest.

    Raises
    ------
    CorruptStore
        A file is missing, added or changed since the store was written, or the manifest is unreadable;
        the message names the store, the first damaged file and the fix. Stores written before manifests
        existed (no manifest) are not checked.
    """
    store = Path(path)
    manifest = store / MANIFEST
    if not manifest.is_file():
        return
    fix = f"delete it (rm -r {store}), or run with --rebuild"
    try:
        expected = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError) as error:
        raise CorruptStore(f"The cached store {store} has an unreadable manifest ({error}): {fix}") from None
    actual = _file_digests(store)
    damaged = sorted(set(expected) ^ set(actual) | {k for k in expected if actual.get(k, expected[k]) != expected[k]})
    if damaged:
        raise CorruptStore(
            f"The cached store {store} is damaged ({len(damaged)} file(s) differ from what was "
            f"written, first {damaged[0]}): {fix}"
        )


def store_encoding(ds: xr.Dataset) -> dict[str, dict[str, Any]]:
    """Reflectance (and the simulator's cloud-free ``surface_reflectance``) is stored like Landsat C2 L2
    (uint16 DN, scale 2.75e-5, offset -0.2, fill 0)."""
    encoding: dict[str, dict[str, Any]] = {}
    for name in ("reflectance", "surface_reflectance"):
        if name in ds and ds[name].dtype.kind == "f":
            encoding[name] = {"dtype": "uint16", "scale_factor": 2.75e-05, "add_offset": -0.2, "_FillValue": 0}
    return encoding


def write_atomic(ds: xr.Dataset | Callable[[Path], Any], path: Path | str) -> Path:
    """Write ``ds`` to the Zarr store ``path`` through a temporary folder and a rename.

    ``ds`` may also be a function that writes the store itself into the temporary folder it is given
    (e.g. block by block from worker processes, :func:`lslib.data.sim.simulate_to_store`). An existing
    store at ``path`` is replaced only after the new one is complete.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        if callable(ds):
            ds(temporary)
        else:
            ds.to_zarr(temporary, mode="w", zarr_format=2, consolidated=True, encoding=store_encoding(ds))
        manifest = {"lslib": __version__, "files": _file_digests(temporary)}
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if target.exists():
            retired = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(target, retired)
            os.replace(temporary, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(temporary, target)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
    return target


def open_store(path: Path | str, verify: bool = True) -> xr.Dataset:
    """Open a store written by :func:`write_atomic` (lazily, backed by dask).

    Raises
    ------
    FileNotFoundError
        There is no store at ``path``.
    CorruptStore
        With ``verify``, a file of the store differs from its manifest, or its metadata cannot be read.
    """
    store = Path(path)
    if not store.is_dir():
        raise FileNotFoundError(f"No Zarr store at {store}")
    if verify:
        verify_store(store)
    try:
        return xr.open_zarr(store, consolidated=True)
    except (ValueError, KeyError, OSError) as error:  # zarr reports broken metadata in these types
        raise CorruptStore(
            f"The cached store {store} cannot be opened ({type(error).__name__}: {error}): "
            f"delete it (rm -r {store}), or run with --rebuild"
        ) from error


def cache_key(parameters: dict[str, Any]) -> str:
    """A short, stable hash of JSON-serialisable parameters (order-independent) and lslib's version."""
    text = json.dumps({"parameters": parameters, "lslib": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached(
    name: str,
    parameters: dict[str, Any],
    build: Callable[[], xr.Dataset | Callable[[Path], Any]],
    directory: Path | str,
    rebuild_corrupt: bool = False,
) -> tuple[xr.Dataset, Path, bool]:
    """Open ``<directory>/<name>-<hash>.zarr`` if it exists, else build, write atomically and open it.

    Parameters
    ----------
    build : callable
        Makes the dataset to store, or a function that writes the store into the folder it is given
        (see :func:`write_atomic`).
    rebuild_corrupt : bool
        Rebuild a store that exists but is damaged (right for caches that ``build`` recomputes offline,
        such as the simulator's). Otherwise :class:`~lslib.errors.CorruptStore` is raised, unless the
        environment sets ``LSLIB_REBUILD_CACHE=1``.

    Returns
    -------
    (dataset, path, hit)
        ``hit`` is True when the store already existed and nothing was built.
    """
    path = Path(directory) / f"{name}-{cache_key(parameters)}.zarr"
    if path.is_dir():
        try:
            return open_store(path), path, True
        except CorruptStore as error:
            if not (rebuild_corrupt or os.environ.get(REBUILD_ENV) == "1"):
                raise
            warnings.warn(f"{error}; rebuilding it", stacklevel=2)
            shutil.rmtree(path)
    write_atomic(build(), path)
    return open_store(path), path, False
