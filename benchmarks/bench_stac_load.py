"""Throughput of ``lslib.data.stac.load`` against a plain rasterio windowed read of the same bytes.

Both read the same loopback COGs (a STAC API from ``rustac serve`` and a range-capable file server)
for the same site and bands, in the same run; the result is MB of pixels per second for each and
their ratio (goal: load at least 0.8 x the plain read).

Usage: ``.venv/bin/python benchmarks/bench_stac_load.py [--scenes 12]`` (needs ../shared/data).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lslib.data import stac  # noqa: E402
from lslib.data.schema import LANDSAT_BANDS  # noqa: E402
from tests.stac_servers import Scene, free_port, rustac_executable, serve, write_catalogue  # noqa: E402


def plain_read(items, site) -> int:
    """Read the site's window of every band of every item with rasterio; return the bytes read."""
    import rasterio
    from rasterio.windows import from_bounds

    total = 0
    for item in items:
        for band in (*LANDSAT_BANDS, "qa_pixel"):
            with rasterio.open(item.assets[band].href) as source:
                window = from_bounds(*site.bounds_utm(), transform=source.transform)
                total += source.read(1, window=window).nbytes
    return total


def main(scenes: int = 12, repeats: int = 3) -> dict[str, float]:
    shared = ROOT.parent / "shared" / "data"
    site = stac.Site(name="bench", lat=19.162, lon=73.6873, size=64)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        file_port, api_port = free_port(), free_port()
        files_url, api_url = f"http://127.0.0.1:{file_port}", f"http://127.0.0.1:{api_port}"
        dates = [f"2014-{1 + i // 2:02d}-{1 + 14 * (i % 2):02d}" for i in range(scenes)]
        items_file = write_catalogue(
            folder, shared, files_url, site.centre_utm, site.epsg, [Scene(d, 5.0) for d in dates], [], size_px=96
        )
        with (
            serve(
                [sys.executable, "-m", "RangeHTTPServer", str(file_port), "--bind", "127.0.0.1"],
                f"{files_url}/items.json",
                cwd=folder,
            ),
            serve(
                [
                    rustac_executable(),
                    "serve",
                    "--addr",
                    f"127.0.0.1:{api_port}",
                    "--create-collections",
                    str(items_file),
                ],
                f"{api_url}/collections",
            ),
        ):
            items = stac.search(site, "2014-01-01", "2014-12-31", [stac.LANDSAT], api_url=api_url)
            plain_read(items, site)  # warm both paths (GDAL opens, imports)
            stac.load(items, site).compute()
            plain_times, load_times = [], []
            for _ in range(repeats):
                start = time.perf_counter()
                nbytes = plain_read(items, site)
                plain_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                stac.load(items, site).compute()
                load_times.append(time.perf_counter() - start)
    megabytes = nbytes / 1e6
    plain, loaded = megabytes / statistics.median(plain_times), megabytes / statistics.median(load_times)
    result = {
        "scenes": len(items),
        "megabytes": round(megabytes, 3),
        "plain_rasterio_mb_s": round(plain, 3),
        "stac_load_mb_s": round(loaded, 3),
        "ratio_load_to_plain": round(loaded / plain, 3),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=12)
    main(parser.parse_args().scenes)
