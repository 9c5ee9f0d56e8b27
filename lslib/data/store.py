"""Zarr storage of stacks: atomic writes, and a cache keyed by the parameters that made a stack.

A killed run must never leave a half-written store that looks complete: :func:`write_atomic`
writes into a temporary folder beside the target and renames it into place only when the write
has finished. :func:`cached` names a store by a hash of its parameters, so the same simulation is
computed once per run directory (or shared cache) and read back afterwards.

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
from pathlib import Path
from typing import Any, Callable

import xarray as xr

from lslib import __version__

__all__ = ["write_atomic", "open_store", "cache_key", "cached"]


def _encoding(ds: xr.Dataset) -> dict[str, dict[str, Any]]:
    """Reflectance is stored like Landsat C2 L2 (uint16 DN, scale 2.75e-5, offset -0.2, fill 0)."""
    encoding: dict[str, dict[str, Any]] = {}
    if "reflectance" in ds and ds["reflectance"].dtype.kind == "f":
        encoding["reflectance"] = {"dtype": "uint16", "scale_factor": 2.75e-05, "add_offset": -0.2, "_FillValue": 0}
    return encoding


def write_atomic(ds: xr.Dataset, path: Path | str) -> Path:
    """Write ``ds`` to the Zarr store ``path`` through a temporary folder and a rename.

    An existing store at ``path`` is replaced only after the new one is complete.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        ds.to_zarr(temporary, mode="w", zarr_format=2, consolidated=True, encoding=_encoding(ds))
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


def open_store(path: Path | str) -> xr.Dataset:
    """Open a store written by :func:`write_atomic` (lazily, backed by dask)."""
    store = Path(path)
    if not store.is_dir():
        raise FileNotFoundError(f"No Zarr store at {store}")
    return xr.open_zarr(store, consolidated=True)


def cache_key(parameters: dict[str, Any]) -> str:
    """A short, stable hash of JSON-serialisable parameters (order-independent) and lslib's version."""
    text = json.dumps({"parameters": parameters, "lslib": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached(name: str, parameters: dict[str, Any], build: Callable[[], xr.Dataset], directory: Path | str) -> tuple[xr.Dataset, Path, bool]:
    """Open ``<directory>/<name>-<hash>.zarr`` if it exists, else build, write atomically and open it.

    Returns
    -------
    (dataset, path, hit)
        ``hit`` is True when the store already existed and nothing was built.
    """
    path = Path(directory) / f"{name}-{cache_key(parameters)}.zarr"
    if path.is_dir():
        return open_store(path), path, True
    write_atomic(build(), path)
    return open_store(path), path, False
