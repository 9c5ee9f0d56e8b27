"""How much does cleaning the Global Landslide Catalog cost over reading its CSV?

Runs ``load_glc`` (registry resolution with sha256 check, parsing, cause and region mapping) and a
plain ``pandas.read_csv`` of the same file alternately, and prints the median time of each and
their ratio.
"""

from __future__ import annotations

import statistics
import time

import pandas as pd

from lslib.data import registry
from lslib.data.catalog import GLC_KEY, load_glc


def _median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeats: int = 7) -> dict[str, float]:
    path = registry.fetch(GLC_KEY)
    registry._HASH_MEMO.clear()
    baseline = _median_seconds(lambda: pd.read_csv(path, dtype=str, keep_default_na=False), repeats)

    def cold_load():
        registry._HASH_MEMO.clear()  # include the checksum every time
        load_glc()

    measured = _median_seconds(cold_load, repeats)
    result = {"read_csv_s": baseline, "load_glc_s": measured, "ratio": measured / baseline}
    print(f"pandas.read_csv  {baseline * 1e3:8.1f} ms (baseline)")
    print(f"load_glc         {measured * 1e3:8.1f} ms")
    print(f"ratio            {result['ratio']:8.2f} x the baseline")
    return result


if __name__ == "__main__":
    main()
