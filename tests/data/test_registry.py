"""The real-data registry: cache -> mirror -> download -> DataUnavailable, and never a wrong checksum."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import shutil
import socket
import threading
from pathlib import Path

import pytest

from lslib.data import registry
from lslib.errors import ChecksumError, DataUnavailable

KEY = "imd_rainfall/imd_district_rainfall_normals.csv"


def test_every_mirrored_file_is_registered_with_its_checksum(mirror):
    on_disk = {p.relative_to(mirror).as_posix() for p in mirror.rglob("*") if p.is_file() and p.name != "README.md"}
    assert on_disk == set(registry.REGISTRY)
    for key, entry in registry.REGISTRY.items():
        assert registry.sha256sum(mirror / key) == entry.sha256, key
        assert entry.source and entry.license, key


def test_resolves_from_the_mirror_when_the_cache_is_empty(mirror, tmp_path):
    path = registry.fetch(KEY, mirror=mirror, cache=tmp_path / "cache", download=False)
    assert path == mirror / KEY


def test_the_environment_variable_sets_the_mirror(mirror, monkeypatch):
    monkeypatch.setenv(registry.MIRROR_ENV, str(mirror))
    assert registry.fetch(KEY, download=False) == mirror / KEY


def test_the_cache_comes_before_the_mirror(mirror, tmp_path):
    cache = tmp_path / "cache"
    (cache / KEY).parent.mkdir(parents=True)
    shutil.copy(mirror / KEY, cache / KEY)
    assert registry.fetch(KEY, mirror=mirror, cache=cache) == cache / KEY


def test_a_checksum_mismatch_is_an_error_never_a_silent_use(mirror, tmp_path):
    fake_mirror = tmp_path / "mirror"
    (fake_mirror / KEY).parent.mkdir(parents=True)
    data = (mirror / KEY).read_bytes()
    (fake_mirror / KEY).write_bytes(data.replace(b"312.9", b"999.9", 1))
    with pytest.raises(ChecksumError, match=r"Checksum mismatch for 'imd_rainfall/.*' in the mirror"):
        registry.fetch(KEY, mirror=fake_mirror, cache=tmp_path / "cache", download=False)


def test_missing_everywhere_says_what_and_how(tmp_path, monkeypatch):
    monkeypatch.delenv(registry.MIRROR_ENV, raising=False)
    with pytest.raises(DataUnavailable) as caught:
        registry.fetch(KEY, cache=tmp_path / "cache", download=False)
    message = str(caught.value)
    assert KEY in message and "LSLIB_DATA_MIRROR is not set" in message
    assert "setting LSLIB_DATA_MIRROR" in message


def test_unknown_key_lists_registered_neighbours():
    with pytest.raises(KeyError, match="imd_rainfall/imd_district_rainfall_normals.csv"):
        registry.fetch("imd_rainfall/nope.csv")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def local_upstream(tmp_path):
    """A static HTTP server on 127.0.0.1 standing in for the upstream host."""
    root = tmp_path / "upstream"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _point_at(monkeypatch, url: str) -> None:
    entry = dataclasses.replace(registry.REGISTRY[KEY], url=url)
    monkeypatch.setitem(registry.REGISTRY, KEY, entry)


def test_downloads_from_upstream_into_the_cache_and_verifies(mirror, local_upstream, tmp_path, monkeypatch):
    root, base = local_upstream
    shutil.copy(mirror / KEY, root / "normals.csv")
    _point_at(monkeypatch, f"{base}/normals.csv")
    monkeypatch.delenv(registry.MIRROR_ENV, raising=False)
    cache = tmp_path / "cache"
    path = registry.fetch(KEY, cache=cache)
    assert path == cache / KEY
    assert registry.sha256sum(path) == registry.REGISTRY[KEY].sha256
    # A second call is a cache hit: it works with the server gone.
    (root / "normals.csv").unlink()
    assert registry.fetch(KEY, cache=cache, download=False) == path


def test_a_download_with_the_wrong_bytes_is_refused(local_upstream, tmp_path, monkeypatch):
    root, base = local_upstream
    (root / "normals.csv").write_text("not the registered file\n")
    _point_at(monkeypatch, f"{base}/normals.csv")
    monkeypatch.delenv(registry.MIRROR_ENV, raising=False)
    with pytest.raises(ChecksumError, match="hash"):
        registry.fetch(KEY, cache=tmp_path / "cache", retries=0)
    assert not (tmp_path / "cache" / KEY).exists()


def test_an_unreachable_upstream_is_retried_then_unavailable(tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _point_at(monkeypatch, f"http://127.0.0.1:{port}/normals.csv")
    monkeypatch.delenv(registry.MIRROR_ENV, raising=False)
    with pytest.raises(DataUnavailable, match="the download from http://127.0.0.1"):
        registry.fetch(KEY, cache=tmp_path / "cache", retries=1)


def test_a_file_without_upstream_says_so(tmp_path, monkeypatch):
    key = "precland/precipitation/ghcnd_USC00040790_daily_2015-2017.csv"
    monkeypatch.delenv(registry.MIRROR_ENV, raising=False)
    with pytest.raises(DataUnavailable, match="no byte-identical upstream download"):
        registry.fetch(key, cache=Path(tmp_path) / "cache")
