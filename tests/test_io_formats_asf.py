"""ASF search parameters and download plans: no asf_search package and no network needed."""
import datetime as dt
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from gfjax.geometry import MapGrid
from gfjax.io.asf import NoNetworkError, download_plan, execute_plan, plan_download, search_params


def test_search_params():
    p = search_params(tracks=[64, 71, 64], frames=121, start="2022-10-01", end=dt.date(2022, 12, 31),
                      flight_direction="ascending", polarization="vv", max_results=50)
    assert p == {"platform": ["SENTINEL-1"], "processingLevel": ["SLC"], "beamMode": ["IW"],
                 "relativeOrbit": [64, 71], "frame": [121], "start": "2022-10-01T00:00:00Z",
                 "end": "2022-12-31T00:00:00Z", "polarization": ["VV"], "flightDirection": "ASCENDING",
                 "maxResults": 50}
    t = dt.datetime(2022, 10, 1, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert search_params(tracks=1, start=t, platform="S1A")["start"] == "2022-10-01T01:00:00Z"
    assert search_params(tracks=1, platform="S1A")["platform"] == ["SENTINEL-1A"]


def test_search_area():
    wkt = search_params(intersects_with=(-151.0, 63.0, -150.0, 63.5))["intersectsWith"]
    assert wkt.startswith("POLYGON((-151.000000 63.000000, -150.000000 63.000000")
    grid = MapGrid(32605, 610000.0, 7040000.0, 1000.0, 40, 30)      # around Muldrow Glacier, UTM 5N
    wkt = search_params(intersects_with=grid)["intersectsWith"]
    lons = [float(v.split()[0]) for v in wkt[9:-2].split(", ")]
    lats = [float(v.split()[1]) for v in wkt[9:-2].split(", ")]
    assert min(lons) < -150.413 < max(lons) and min(lats) < 63.351 < max(lats)     # glacier centre
    assert max(lons) - min(lons) < 1.0 and max(lats) - min(lats) < 0.4


@pytest.mark.parametrize("kwargs, match", [
    (dict(tracks=[0]), r"tracks must be integers in \[1, 175\]"),
    (dict(tracks=[176]), r"tracks must be integers in \[1, 175\]"),
    (dict(tracks=[1.5]), "tracks must be integers"),
    (dict(), "give tracks, frames or intersects_with"),
    (dict(tracks=1, start="2022-10-01", end="2022-09-01"), "end 2022-09-01T00:00:00Z must be after start"),
    (dict(tracks=1, start="2022-13-01"), "start must be a date"),
    (dict(tracks=1, platform="ALOS"), "platform must be one of"),
    (dict(tracks=1, flight_direction="north"), "flight_direction must be one of"),
    (dict(intersects_with=(10, 0, 5, 1)), "is not \\(lon_min, lat_min, lon_max, lat_max\\)"),
    (dict(intersects_with="BOX(1 2)"), "intersects_with must be WKT"),
])
def test_search_params_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        search_params(**kwargs)


def _result(name, start, size=4_500_000_000, **extra):
    props = dict(fileName=f"{name}.zip", sceneName=name, url=f"https://datapool.asf.alaska.edu/SLC/SA/{name}.zip",
                 bytes=size, md5sum="0" * 32, startTime=start, pathNumber=64, frameNumber=121, **extra)
    return SimpleNamespace(properties=props)


def test_download_plan(tmp_path):
    a = _result("S1A_IW_SLC__1SDV_20221028T015043_X", "2022-10-28T01:50:43Z")
    b = _result("S1A_IW_SLC__1SDV_20221016T015043_Y", "2022-10-16T01:50:43.635Z", size=10)
    feature = {"type": "Feature", "properties": dict(a.properties)}           # duplicate, GeoJSON form
    plan = download_plan([a, b, feature], tmp_path / "slc")
    assert [d.scene for d in plan] == ["S1A_IW_SLC__1SDV_20221016T015043_Y", "S1A_IW_SLC__1SDV_20221028T015043_X"]
    assert plan[0].target == tmp_path / "slc" / "S1A_IW_SLC__1SDV_20221016T015043_Y.zip"
    assert plan[0].start_time == np.datetime64("2022-10-16T01:50:43")
    assert (plan[1].size_bytes, plan[1].track, plan[1].frame) == (4_500_000_000, 64, 121)
    assert not plan[0].done
    plan[0].target.parent.mkdir(parents=True)
    plan[0].target.write_bytes(b"x" * 10)
    assert plan[0].done and not plan[1].done
    with pytest.raises(ValueError, match=r"result 0 \(S\) has no 'url'"):
        download_plan([{"sceneName": "S", "fileName": "S.zip"}], tmp_path)
    with pytest.raises(ValueError, match="bad size -1 bytes"):
        download_plan([_result("S", "2022-10-16T00:00:00Z", size=-1)], tmp_path)
    with pytest.raises(ValueError, match="has no properties dict"):
        download_plan([42], tmp_path)


def test_no_network_fails_first(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "asf_search", None)        # an import would fail differently
    with pytest.raises(NoNetworkError, match=r"no network: cannot reach ASF .*gfjax\[asf\]"):
        plan_download(tmp_path, tracks=[0], check_network=lambda: False)   # even bad args: network first
    with pytest.raises(ConnectionError):
        execute_plan([], session=None, check_network=lambda: False)
    with pytest.raises(ImportError, match=r"pip install 'gfjax\[asf\]'"):
        plan_download(tmp_path, tracks=[64], check_network=lambda: True)


def test_plan_download_with_fake_asf_search(tmp_path, monkeypatch):
    calls = []

    def search(**kw):
        calls.append(kw)
        return [_result("S1A_IW_SLC__1SDV_20221016T015043_Y", "2022-10-16T01:50:43Z")]

    monkeypatch.setitem(sys.modules, "asf_search", SimpleNamespace(search=search))
    plan = plan_download(tmp_path, tracks=[64], start="2022-10-01", end="2022-11-01", check_network=lambda: True)
    assert calls[0]["relativeOrbit"] == [64] and calls[0]["processingLevel"] == ["SLC"]
    assert len(plan) == 1 and plan[0].target.parent == tmp_path
