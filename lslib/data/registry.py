"""Real files the study reads, with their upstream source and checksum, resolved without surprises.

Every real file the book uses (the NASA Global Landslide Catalog, IMD rainfall, the eo-learn Sentinel-2 patch,
PrecLand Mud Creek, real STAC items, real Landsat 8 Level-1 crops) has one entry in ``registry.csv`` beside
this module: its key (the path inside the mirror), the sha256 of the version the study was written against,
the upstream URL (empty when no byte-identical upstream file exists) and its licence.

:func:`fetch` resolves a key in this order and never silently uses a file whose checksum differs:

1. the local cache (``LSLIB_CACHE_DIR``, default ``~/.cache/lslib``);
2. the mirror directory (``LSLIB_DATA_MIRROR``; ``make test`` and CI point it at ``../shared/data``);
3. a download from upstream with pooch, checksummed, into the cache;
4. otherwise :class:`~lslib.errors.DataUnavailable`, saying what is missing and how to provide it.

Examples
--------
>>> entry = REGISTRY["glc/nasa_glc_export_2018.csv"]
>>> entry.license
'NASA open data (US Government work)'
>>> len(entry.sha256)
64
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from lslib.errors import ChecksumError, DataUnavailable

__all__ = ["RealFile", "REGISTRY", "fetch", "mirror_dir", "cache_dir", "sha256sum"]

MIRROR_ENV = "LSLIB_DATA_MIRROR"
CACHE_ENV = "LSLIB_CACHE_DIR"
_REGISTRY_FILE = Path(__file__).with_name("registry.csv")


@dataclass(frozen=True)
class RealFile:
    """One real file of the study.

    Parameters
    ----------
    key : str
        Path of the file inside the mirror directory, e.g. ``"glc/nasa_glc_export_2018.csv"``.
    sha256 : str
        Hex digest of the version the study was written against.
    url : str
        Upstream URL that serves exactly these bytes, or ``""`` when there is none.
    source : str
        Who publishes the data, in words.
    license : str
        The licence under which it is used.
    """

    key: str
    sha256: str
    url: str
    source: str
    license: str


def _load_registry(path: Path = _REGISTRY_FILE) -> dict[str, RealFile]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["key"]: RealFile(**row) for row in csv.DictReader(handle)}


REGISTRY: dict[str, RealFile] = _load_registry()


def mirror_dir() -> Path | None:
    """The mirror directory from ``LSLIB_DATA_MIRROR``, or None when it is unset or empty."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


def cache_dir() -> Path:
    """The local download cache: ``LSLIB_CACHE_DIR`` or the platform cache folder for lslib."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value:
        return Path(value).expanduser().resolve()
    import pooch

    return Path(pooch.os_cache("lslib"))


_HASH_MEMO: dict[tuple[str, int, int], str] = {}


def sha256sum(path: Path) -> str:
    """Hex sha256 of a file, memoised on (path, size, mtime) so repeated fetches stay cheap."""
    stat = path.stat()
    memo_key = (str(path), stat.st_size, stat.st_mtime_ns)
    if memo_key not in _HASH_MEMO:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _HASH_MEMO[memo_key] = digest.hexdigest()
    return _HASH_MEMO[memo_key]


def _verified(path: Path, entry: RealFile, where: str) -> Path:
    actual = sha256sum(path)
    if actual != entry.sha256:
        raise ChecksumError(
            f"Checksum mismatch for {entry.key!r} in the {where} ({path}): expected sha256 "
            f"{entry.sha256}, found {actual}. The file is not used; replace it with the "
            f"registered version from {entry.url or entry.source}."
        )
    return path


def _download(entry: RealFile, destination: Path, retries: int) -> Path:
    import pooch

    fetcher = pooch.create(
        path=destination.parent,
        base_url="",
        registry={destination.name: f"sha256:{entry.sha256}"},
        urls={destination.name: entry.url},
        retry_if_failed=retries,
    )
    try:
        return Path(fetcher.fetch(destination.name, progressbar=False))
    except ValueError as error:  # pooch reports a hash mismatch as ValueError
        if "hash" in str(error).lower():
            raise ChecksumError(f"Downloaded {entry.key!r} from {entry.url} but {error}") from error
        raise


def fetch(
    key: str,
    *,
    mirror: Path | str | None = None,
    cache: Path | str | None = None,
    download: bool = True,
    retries: int = 2,
) -> Path:
    """Return a local path to the registered real file ``key``, verified against its sha256.

    Parameters
    ----------
    key : str
        A key of :data:`REGISTRY`, e.g. ``"imd_rainfall/imd_district_rainfall_normals.csv"``.
    mirror : path-like, optional
        Mirror directory; defaults to ``LSLIB_DATA_MIRROR``.
    cache : path-like, optional
        Download cache; defaults to :func:`cache_dir`.
    download : bool, default True
        Whether to try the upstream URL when the cache and the mirror lack the file.
    retries : int, default 2
        Extra download attempts after a failed one.

    Returns
    -------
    pathlib.Path
        Path of the verified file (inside the cache or the mirror; never modify it).

    Raises
    ------
    KeyError
        ``key`` is not registered; the message lists close keys.
    ChecksumError
        A candidate file exists but differs from the registered version.
    DataUnavailable
        The file is in neither the cache nor the mirror and could not be downloaded.
    """
    if key not in REGISTRY:
        close = [k for k in REGISTRY if k.split("/")[0] == key.split("/")[0]] or sorted(REGISTRY)[:5]
        raise KeyError(f"{key!r} is not a registered real file; registered keys include {close}")
    entry = REGISTRY[key]
    cache_root = Path(cache).expanduser().resolve() if cache is not None else cache_dir()
    mirror_root = Path(mirror).expanduser().resolve() if mirror is not None else mirror_dir()

    cached = cache_root / key
    if cached.is_file():
        return _verified(cached, entry, "cache")
    if mirror_root is not None and (mirror_root / key).is_file():
        return _verified(mirror_root / key, entry, "mirror")

    if mirror_root is None:
        mirror_note = f"{MIRROR_ENV} is not set"
    else:
        mirror_note = f"it is not in the mirror {mirror_root}"
    if download and entry.url:
        try:
            return _download(entry, cached, retries)
        except ChecksumError:
            raise
        except Exception as error:  # network errors come in many types (requests, OSError, ...)
            reason = f"the download from {entry.url} failed ({type(error).__name__}: {error})"
    elif not entry.url:
        reason = "it has no byte-identical upstream download"
    else:
        reason = "downloading was not allowed (download=False)"
    raise DataUnavailable(
        f"Real file {key!r} is unavailable: it is not in the cache {cache_root}, {mirror_note}, and "
        f"{reason}. Provide it by setting {MIRROR_ENV} to a folder that holds {key} (the study's "
        f"mirror, e.g. ../shared/data), or place the file at {cached}. Source: {entry.source}."
    )
