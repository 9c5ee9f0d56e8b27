"""Real acquisition through STAC: the real client libraries against a real STAC API on 127.0.0.1.

``rustac serve`` answers pystac-client; ``RangeHTTPServer`` serves the COGs with HTTP Range, as
cloud storage does. Nothing is monkeypatched on the client side.
"""

from __future__ import annotations

import socket
import sys

import numpy as np
import pytest

from lslib.data import stac
from lslib.data.schema import validate
from lslib.errors import DataUnavailable
from tests.stac_servers import Scene, free_port, rustac_executable, serve, write_catalogue

MALIN = stac.Site(
    name="malin",
    lat=19.162,
    lon=73.6873,
    size=32,
    region="india",
    country="India",
    event_time=np.datetime64("2014-07-30"),
    cause=3,
)
SCENES = [
    Scene("2014-03-02", 5.0),
    Scene("2014-03-18", 60.0, cloudy_quadrant=True),
    Scene("2014-04-03", 95.0),
    Scene("2014-04-19", 2.0),
    Scene("2014-04-19", 30.0, hour="05:11:00", path="p148"),  # same day, two paths
    Scene("2013-12-14", 1.0),
    Scene("2014-06-08", 3.0),
    Scene("2015-01-08", 2.0),
]  # the seed's Figure 1 dates
S1_DATES = ["2014-03-10", "2014-03-22", "2014-04-15"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory, mirror):
    """(api_url, files_url, folder): a STAC API and a range-capable file server over COGs of Malin."""
    folder = tmp_path_factory.mktemp("stac")
    file_port, api_port = free_port(), free_port()
    files_url, api_url = f"http://127.0.0.1:{file_port}", f"http://127.0.0.1:{api_port}"
    items = write_catalogue(folder, mirror, files_url, MALIN.centre_utm, MALIN.epsg, SCENES, S1_DATES)
    with (
        serve(
            [sys.executable, "-m", "RangeHTTPServer", str(file_port), "--bind", "127.0.0.1"],
            f"{files_url}/items.json",
            cwd=folder,
        ),
        serve(
            [rustac_executable(), "serve", "--addr", f"127.0.0.1:{api_port}", "--create-collections", str(items)],
            f"{api_url}/collections",
        ),
    ):
        yield api_url, files_url, folder


def test_the_file_server_honours_range_requests(servers):
    import urllib.request

    _, files_url, folder = servers
    name = next(folder.glob("*_red.tif")).name
    with urllib.request.urlopen(
        urllib.request.Request(f"{files_url}/{name}", headers={"Range": "bytes=0-9"})
    ) as response:
        assert response.status == 206 and len(response.read()) == 10


def test_search_filters_by_bbox_datetime_and_cloud_and_keeps_one_item_a_day(servers):
    api_url = servers[0]
    items = stac.search(MALIN, "2014-03-01", "2014-04-30", [stac.LANDSAT], api_url=api_url, max_cloud=70)
    days = [item.datetime.strftime("%Y-%m-%d") for item in items]
    assert days == ["2014-03-02", "2014-03-18", "2014-04-19"]  # 95 % cloud dropped, overlap de-duplicated, sorted
    assert [i.id for i in items][-1] == "LC08_TEST_20140419"  # the less cloudy of the two paths
    assert len(stac.search(MALIN, "2014-03-15", "2014-03-31", [stac.LANDSAT], api_url=api_url)) == 1
    elsewhere = stac.Site(name="oso", lat=48.28, lon=-121.85)
    with pytest.raises(stac.EmptySearch, match=r"no item: api=http://127.0.0.1:\d+ collections=\['landsat-c2-l2'\]"):
        stac.search(elsewhere, "2014-03-01", "2014-04-30", [stac.LANDSAT], api_url=api_url)


def test_load_gives_the_layout_with_scaled_masked_reflectance_and_sar_in_db(servers):
    api_url = servers[0]
    items = stac.search(MALIN, "2014-03-01", "2014-04-30", [stac.LANDSAT], api_url=api_url, max_cloud=99)
    items += stac.search(MALIN, "2014-03-01", "2014-04-30", [stac.SENTINEL1], api_url=api_url)
    ds = stac.load(items, MALIN).compute()
    validate(ds)
    assert ds.sizes["time"] == 4 and ds.sizes["sar_time"] == 3 and (ds.sizes["y"], ds.sizes["x"]) == (32, 32)
    assert np.all(np.diff(ds["date"].values[0]).astype(int) > 0)
    red = ds["reflectance"].sel(band="red").values[0]
    assert np.nanmax(np.abs(red[0] - 0.075)) < 1e-6  # DN 10000 * 2.75e-5 - 0.2
    cloudy = red[1]  # 2014-03-18: the top-left quadrant is flagged cloud
    assert np.isnan(cloudy[:8, :8]).all() and np.isfinite(cloudy[24:, 24:]).all()
    assert 0.05 < float(ds["cloud_fraction"].values[0, 1]) < 0.45 and float(ds["cloud_fraction"].values[0, 0]) == 0.0
    assert ds["qa_pixel"].dtype == np.uint16
    vv, vh = ds["sar"].sel(pol="vv").values[0], ds["sar"].sel(pol="vh").values[0]
    assert np.nanmax(np.abs(vv + 10.0)) < 1e-4 and np.nanmax(np.abs(vh[:, 1:, 1:] + 20.0)) < 1e-4
    assert np.isnan(vh[:, 0, 0]).all()  # nodata stays missing, not -inf or a huge negative dB
    assert ds.attrs["source"] == "stac:landsat-c2-l2,sentinel-1-rtc"
    assert "LC08_TEST_20140302" in ds.attrs["provenance"]


def test_the_grid_is_the_sites_utm_grid(servers):
    import rioxarray  # noqa: F401

    from lslib.data.schema import georeference

    api_url = servers[0]
    ds = stac.load(stac.search(MALIN, "2014-03-01", "2014-03-05", [stac.LANDSAT], api_url=api_url), MALIN).compute()
    site = georeference(ds.isel(site=0))
    assert site.rio.crs.to_epsg() == 32643
    west, south, east, north = MALIN.bounds_utm()
    assert float(site.x.min()) == west + 15 and float(site.y.max()) == north - 15
    assert west % 30 == 15 and north % 30 == 15  # Landsat C2 pixel edges, e.g. a scene origin of 520185 m


def test_acquire_caches_and_a_second_call_makes_no_request(servers, tmp_path, monkeypatch):
    api_url = servers[0]
    first, hit = stac.acquire(MALIN, "2014-03-01", "2014-04-30", api_url=api_url, cache_dir=str(tmp_path))
    assert not hit and first.sizes["time"] == 4 and first.sizes["sar_time"] == 3
    stores = sorted(p.name for p in tmp_path.iterdir())

    def no_request(*args, **kwargs):
        raise AssertionError("the second call must not search the API")

    monkeypatch.setattr(stac, "search", no_request)
    second, hit_again = stac.acquire(MALIN, "2014-03-01", "2014-04-30", api_url=api_url, cache_dir=str(tmp_path))
    assert hit_again and sorted(p.name for p in tmp_path.iterdir()) == stores
    np.testing.assert_array_equal(second["qa_pixel"].values, first["qa_pixel"].values)


def test_an_unreachable_api_is_retried_then_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DataUnavailable, match="STAC API unreachable"):
        stac.search(MALIN, "2014-03-01", "2014-04-30", api_url=f"http://127.0.0.1:{port}", retries=1, timeout=2)


def test_a_corrupt_cog_names_the_asset(servers):
    api_url, files_url, folder = servers
    items = stac.search(MALIN, "2014-03-15", "2014-03-20", [stac.LANDSAT], api_url=api_url)
    (folder / "corrupt_red.tif").write_bytes(b"this is not a GeoTIFF" * 100)
    items[0].assets["red"].href = f"{files_url}/corrupt_red.tif"
    with pytest.raises(DataUnavailable, match=r"Asset 'red' of item 'LC08_TEST_20140318' cannot be read"):
        stac.load(items, MALIN)


def test_a_site_in_degrees_where_metres_are_expected_is_rejected():
    with pytest.raises(ValueError, match="looks like degrees, not metres"):
        stac.Site.from_metres("malin", 19.162, 73.6873, width_m=0.01)
    with pytest.raises(ValueError, match="are not degrees"):
        stac.Site(name="metres", lat=2_120_000.0, lon=300_000.0)


def test_sites_from_the_catalog_and_negatives_away_from_events(mirror, monkeypatch):
    from lslib.data.catalog import load_glc
    from lslib.data.sites import km_between, negative_sites, sites_from_events, time_window

    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))
    glc = load_glc()
    (malin,) = sites_from_events(glc, [6186])
    assert (malin.lat, malin.lon, malin.cause, malin.region) == (19.162, 73.6873, 3, "india")
    assert str(malin.event_time)[:10] == "2014-07-30"
    assert time_window(malin.event_time, 365, 60) == ("2013-07-30", "2014-09-28")
    negatives = negative_sites(glc, "india", 3, seed=1)
    for site in negatives:
        assert not site.event_time and site.cause == 6 and site.region == "india"
        assert km_between(site.lat, site.lon, glc["lat"].to_numpy(), glc["lon"].to_numpy()).min() >= 25.0
    with pytest.raises(KeyError, match="not in the catalog"):
        sites_from_events(glc, [-1])


def test_daily_weather_through_a_retrying_caching_client(tmp_path):
    import json
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from lslib.data.rainfall import daily_weather

    root = tmp_path / "www"
    (root / "v1").mkdir(parents=True)
    days = [f"2014-07-{d:02d}" for d in range(1, 31)]
    payload = {
        "daily": {
            "time": days,
            "precipitation_sum": [10.0 * (d % 3) for d in range(30)],
            "temperature_2m_mean": [24.0] * 30,
        }
    }
    (root / "v1" / "archive").write_text(json.dumps(payload))

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/archive"
    try:
        frame = daily_weather(19.16, 73.69, "2014-07-01", "2014-07-30", url=url, cache_dir=tmp_path / "cache")
    finally:
        server.shutdown()
    assert len(frame) == 30 and frame["precipitation_mm"].sum() == 300.0
    again = daily_weather(19.16, 73.69, "2014-07-01", "2014-07-30", url=url, cache_dir=tmp_path / "cache")
    assert again.equals(frame)  # served from the cache: the server is gone
    with pytest.raises(DataUnavailable, match="Daily weather unavailable"):
        daily_weather(
            19.16, 73.69, "2014-07-01", "2014-07-30", url=url, cache_dir=tmp_path / "other", retries=0, timeout=2
        )


def test_weather_and_several_sites_join_into_one_stack(servers, tmp_path):
    import pandas as pd

    api_url = servers[0]
    rain = pd.DataFrame(
        {"precipitation_mm": 5.0, "temperature_c": 25.0}, index=pd.date_range("2014-01-01", "2014-05-31", freq="D")
    )
    one, _ = stac.acquire(MALIN, "2014-03-01", "2014-04-30", api_url=api_url, rain=rain, cache_dir=str(tmp_path))
    assert float(one["rain_7d"].values[0, 0]) == 35.0 and float(one["rain_30d"].values[0, 0]) == 150.0
    short, _ = stac.acquire(MALIN, "2014-03-01", "2014-03-20", api_url=api_url, cache_dir=str(tmp_path))
    joined = stac.stack_sites([one.load(), short.load()])
    assert joined.sizes["site"] == 2 and joined.sizes["time"] == 4
    assert np.isnat(joined["date"].values[1, -1]) and joined["qa_pixel"].values[1, -1].max() == 1


def test_chapter_one_runs_on_real_imagery_from_the_loopback_api(servers, project, mirror, tmp_path, monkeypatch):
    import json

    import pandas as pd

    from lslib.book import pipeline
    from lslib.data.store import open_store

    api_url, files_url, folder = servers
    days = pd.date_range("2013-07-01", "2014-10-31", freq="D")
    (folder / "v1").mkdir(exist_ok=True)
    (folder / "v1" / "archive").write_text(
        json.dumps(
            {
                "daily": {
                    "time": [d.strftime("%Y-%m-%d") for d in days],
                    "precipitation_sum": [3.0] * len(days),
                    "temperature_2m_mean": [25.0] * len(days),
                }
            }
        )
    )
    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))
    run_dir = tmp_path / "run"
    report = pipeline.run(
        project,
        "smoke",
        only=["01"],
        run_dir=run_dir,
        echo=lambda *_: None,
        overrides={
            "source": "stac",
            "stac_api": api_url,
            "weather_api": f"{files_url}/v1/archive",
            "stac_event_ids": [6186],
        },
    )
    (chapter,) = report["chapters"]
    assert chapter["status"] == "ok"
    assert chapter["metrics"]["imagery_source"] == "stac:landsat-c2-l2,sentinel-1-rtc"
    assert chapter["metrics"]["imagery_landsat_frames"] == 6 and chapter["metrics"]["imagery_sentinel1_frames"] == 3
    real = open_store(run_dir / "data" / "real_stack.zarr").load()
    assert real.sizes["site"] == 1 and bool(real["landslide"][0]) and float(real["rain_30d"][0, 0]) == 90.0


def test_chapter_two_draws_figure_one_from_the_loopback_api(servers, project, mirror, tmp_path, monkeypatch):
    from lslib.book import pipeline

    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))
    report = pipeline.run(
        project,
        "smoke",
        only=["02"],
        run_dir=tmp_path / "run",
        echo=lambda *_: None,
        overrides={"source": "stac", "stac_api": servers[0]},
    )
    (chapter,) = report["chapters"]
    assert chapter["status"] == "ok"
    assert chapter["metrics"]["malin_imagery_source"].startswith("stac:landsat-c2-l2")  # real, not the fallback


def test_events_read_together_on_a_two_worker_local_cluster_give_the_arrays_of_one_process(servers, tmp_path):
    from distributed import LocalCluster

    requests = [stac.Request(MALIN, "2014-03-01", "2014-04-30"), stac.Request(MALIN, "2013-12-01", "2014-06-30")]
    alone = stac.acquire_many(requests, api_url=servers[0], cache_dir=str(tmp_path / "alone"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        clustered = stac.acquire_many(
            requests, api_url=servers[0], cache_dir=str(tmp_path / "cluster"), scheduler=cluster.scheduler_address
        )
        assert len(cluster.workers) == 2
    assert [hit for _, hit in clustered] == [False, False]
    for (one, _), (other, _) in zip(alone, clustered):
        assert other.attrs["loaded_together"] == 2
        assert set(one.data_vars) == set(other.data_vars)
        for name in one.data_vars:
            np.testing.assert_array_equal(other[name].values, one[name].values, err_msg=name)
    assert clustered[0][0].sizes["time"] < clustered[1][0].sizes["time"]
    again = stac.acquire_many(requests, api_url=servers[0], cache_dir=str(tmp_path / "cluster"))
    assert [hit for _, hit in again] == [True, True]


def test_a_request_without_imagery_is_skipped_only_when_asked(servers, tmp_path):
    empty = stac.Request(MALIN, "2019-01-01", "2019-02-01")
    with pytest.raises(stac.EmptySearch):
        stac.acquire_many([empty], api_url=servers[0], cache_dir=str(tmp_path))
    found, skipped = stac.acquire_many(
        [stac.Request(MALIN, "2014-03-01", "2014-04-30"), empty], api_url=servers[0], cache_dir=str(tmp_path),
        skip_empty=True,
    )  # fmt: skip
    assert found[0].sizes["site"] == 1 and isinstance(skipped, stac.EmptySearch)


def test_of_several_corrupt_cogs_the_first_in_item_and_band_order_is_named(servers, monkeypatch):
    """The headers open concurrently; which failure is reported must not depend on which thread finished first."""
    api_url, files_url, folder = servers
    items = stac.search(MALIN, "2014-03-01", "2014-04-30", [stac.LANDSAT], api_url=api_url)
    assert len(items) >= 3
    (folder / "corrupt.tif").write_bytes(b"this is not a GeoTIFF" * 100)
    for item in items[1:]:
        for band in ("nir08", "green"):
            item.assets[band].href = f"{files_url}/corrupt.tif"
    monkeypatch.setattr(stac, "HEADER_THREADS", 8)
    for _ in range(3):
        with pytest.raises(DataUnavailable, match=f"Asset 'green' of item '{items[1].id}' cannot be read"):
            stac._check_assets(items, ["red", "green", "nir08"])
