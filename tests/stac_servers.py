"""A real STAC API and a real range-capable file server on 127.0.0.1, with COGs the tests write.

Items are built from the real Planetary Computer items in ``../shared/data/stac_items`` (asset keys,
``raster:bands``, ``classification:bitfields``, projection and SAR fields kept); only hrefs, ids,
dates, bbox, geometry and ``proj:*`` are rewritten to match the small COGs written here.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr
from pyproj import Transformer

from lslib.data.registry import fetch
from lslib.data.schema import LANDSAT_BANDS

CLEAR, CLOUD = 21824, 22280
LANDSAT_DN = {"blue": 8000, "green": 9000, "red": 10000, "nir08": 20000, "swir16": 15000, "swir22": 12000}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_ready(url: str, process: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server for {url} did not answer within {seconds} s")


@contextlib.contextmanager
def serve(command: list[str], ready_url: str, cwd: Path | None = None) -> Iterator[subprocess.Popen]:
    """Start a server process, wait until ``ready_url`` answers, and kill it (by PID) afterwards."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        _wait_until_ready(ready_url, process)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def rustac_executable() -> str:
    candidate = Path(sys.executable).with_name("rustac")
    found = str(candidate) if candidate.exists() else shutil.which("rustac")
    if not found:
        raise RuntimeError("the rustac command is missing: pip install rustac (a test dependency)")
    return found


@dataclass
class Scene:
    """One acquisition to write: its date, cloud cover and whether the top-left quadrant is cloudy."""

    date: str
    cloud_cover: float
    cloudy_quadrant: bool = False
    hour: str = "05:10:00"
    path: str = ""  # a second WRS path on the same day gets its own id


def _cog(values: np.ndarray, x0: float, y0: float, resolution: float, epsg: int, nodata, path: Path) -> None:
    rows, cols = values.shape
    x = x0 + resolution * (np.arange(cols) + 0.5)
    y = y0 - resolution * (np.arange(rows) + 0.5)
    array = xr.DataArray(values, dims=("y", "x"), coords={"y": y, "x": x})
    array = array.rio.write_crs(f"EPSG:{epsg}").rio.write_nodata(nodata)
    array.rio.to_raster(path, driver="COG")


def _footprint(x0: float, y0: float, width: float, height: float, epsg: int) -> tuple[list, dict]:
    to_lonlat = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
    xs = [x0, x0 + width, x0 + width, x0, x0]
    ys = [y0, y0, y0 - height, y0 - height, y0]
    lons, lats = to_lonlat.transform(xs, ys)
    ring = [[lon, lat] for lon, lat in zip(lons, lats)]
    return [min(lons), min(lats), max(lons), max(lats)], {"type": "Polygon", "coordinates": [ring]}


def write_catalogue(
    folder: Path,
    shared_data: Path,
    base_url: str,
    centre: tuple[float, float],
    epsg: int,
    landsat: list[Scene],
    sentinel1_dates: list[str],
    size_px: int = 48,
) -> Path:
    """Write Landsat COGs (30 m) and Sentinel-1 COGs (10 m) around ``centre`` (UTM metres) and an
    item collection for them; return the items file."""
    folder.mkdir(parents=True, exist_ok=True)
    templates = {  # the real items, read through the registry (checksummed) from the mirror
        "landsat": json.loads(
            fetch(
                "stac_items/planetary_computer_landsat-c2-l2_items.json", mirror=shared_data, download=False
            ).read_text()
        )[0],
        "sentinel": json.loads(
            fetch(
                "stac_items/planetary_computer_sentinel-1-rtc_items.json", mirror=shared_data, download=False
            ).read_text()
        )[0],
    }
    x0 = centre[0] - size_px * 15  # a real Landsat-style origin (30 k + 15 m) when the centre is a site's
    y0 = centre[1] + size_px * 15
    width = size_px * 30.0
    bbox, geometry = _footprint(x0, y0, width, width, epsg)
    features = []
    for scene in landsat:
        stem = f"LC08_TEST_{scene.date.replace('-', '')}" + (f"_{scene.path}" if scene.path else "")
        item = copy.deepcopy(templates["landsat"])
        for band, dn in LANDSAT_DN.items():
            _cog(np.full((size_px, size_px), dn, np.uint16), x0, y0, 30.0, epsg, 0, folder / f"{stem}_{band}.tif")
        qa = np.full((size_px, size_px), CLEAR, np.uint16)
        if scene.cloudy_quadrant:
            qa[: size_px // 2, : size_px // 2] = CLOUD
        _cog(qa, x0, y0, 30.0, epsg, 1, folder / f"{stem}_qa_pixel.tif")
        item["id"] = stem
        item["bbox"], item["geometry"], item["links"] = bbox, geometry, []
        item["properties"].update(
            {
                "datetime": f"{scene.date}T{scene.hour}Z",
                "platform": "landsat-8",
                "eo:cloud_cover": scene.cloud_cover,
                "proj:epsg": epsg,
                "proj:shape": [size_px, size_px],
                "proj:transform": [30.0, 0.0, x0, 0.0, -30.0, y0],
            }
        )
        item["assets"] = {
            key: {**templates["landsat"]["assets"][key], "href": f"{base_url}/{stem}_{key}.tif"}
            for key in (*LANDSAT_BANDS, "qa_pixel")
        }
        features.append(item)
    s1_px = size_px * 3
    for date in sentinel1_dates:
        stem = f"S1A_TEST_{date.replace('-', '')}"
        item = copy.deepcopy(templates["sentinel"])
        vv = np.full((s1_px, s1_px), 0.1, np.float32)  # -10 dB
        vh = np.full((s1_px, s1_px), 0.01, np.float32)  # -20 dB
        corner = (size_px - 32) // 2 * 3  # the 10 m pixels under the site's first 30 m pixel (32 px site)
        vh[corner : corner + 3, corner : corner + 3] = -32768
        _cog(vv, x0, y0, 10.0, epsg, -32768, folder / f"{stem}_vv.tif")
        _cog(vh, x0, y0, 10.0, epsg, -32768, folder / f"{stem}_vh.tif")
        item["id"] = stem
        item["bbox"], item["geometry"], item["links"] = bbox, geometry, []
        item["properties"].update(
            {
                "datetime": f"{date}T04:59:10Z",
                "start_datetime": f"{date}T04:59:04Z",
                "end_datetime": f"{date}T04:59:16Z",
                "proj:epsg": epsg,
                "proj:shape": [s1_px, s1_px],
                "proj:transform": [10.0, 0.0, x0, 0.0, -10.0, y0],
            }
        )
        item["properties"].pop("proj:bbox", None)
        item["assets"] = {
            key: {**templates["sentinel"]["assets"][key], "href": f"{base_url}/{stem}_{key}.tif"}
            for key in ("vv", "vh")
        }
        features.append(item)
    path = folder / "items.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path
