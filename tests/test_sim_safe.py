"""gfjax.sim.safe_scene: the synthetic Muldrow scene written as Sentinel-1 IW SLC SAFE zips (+ POEORB
orbit files + the DEM), read back by gfjax.io, by xarray-sentinel, and tracked through the pipeline's
Sentinel-1 route.

A 12 × 12 km piece of the scene (200 m grid, ×4 radar pixels), June 2017: two acquisitions of
T065 (ascending) for the fast tests (~6 s to write); both tracks (T131 descending too) for the
slow end-to-end test.
"""
import warnings

import numpy as np
import pytest
from cli import run_pipeline_script

BBOX = [610000.0, 7005000.0, 622000.0, 7017000.0]        # EPSG:32605, inside the Muldrow scene
LONLAT = [-150.785, 63.171, -150.600, 63.248]             # 1.5 km inside BBOX


def _write(tmp_path_factory, tracks):
    from gfjax.core.scene_spec import SceneSpec
    from gfjax.sim.safe_scene import write_safe_scene
    from gfjax.sim.scene import build_scene

    scene = build_scene(SceneSpec(pixel_scale=4, grid_spacing_m=200, start="2017-06-01", end="2017-06-25",
                                  bbox=BBOX, tracks=tracks))
    folder = tmp_path_factory.mktemp("safe")
    return scene, folder, write_safe_scene(scene, folder)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Written by the command line (``python -m gfjax.sim.safe_scene OUT key=value …``)."""
    from gfjax.sim.safe_scene import main

    folder = tmp_path_factory.mktemp("safe")
    out = main([str(folder), "pixel_scale=4", "grid_spacing_m=200", "start=2017-06-01", "end=2017-06-25",
                f"bbox=[{','.join(str(v) for v in BBOX)}]", "tracks=[T065]"])
    return out["scene"], folder, out


def test_command_line_writes_the_set(written):
    scene, folder, out = written
    assert scene.spec.bbox == BBOX and list(scene.tracks) == ["T065"] and scene.spec.pixel_scale == 4.0
    assert sorted(p.name for p in folder.glob("*.zip")) == sorted(p.name for p in out["products"]["T065"])
    assert len(list(folder.glob("S1A_OPER_AUX_POEORB_OPOD_*.EOF"))) == 2 and (folder / "dem.tif").is_file()
    # 12 days of 2017 are too few for a reference product of 2017 (≥ 0.08 yr): none written, none promised
    assert out["references"] == {} and not list(folder.glob("reference_velocity_*"))


def test_products_tracks_orbits_and_timing(written):
    from gfjax.io.orbit import choose_orbit
    from gfjax.io.s1_catalog import catalog
    from gfjax.sim.acquisitions import CALENDARS

    scene, folder, out = written
    tracks = catalog(folder)
    assert sorted(tracks) == sorted(scene.tracks) == sorted(out["products"])
    for name, acqs in tracks.items():
        assert [str(a.time)[:10] for a in acqs] == [str(t)[:10] for t in scene.tracks[name].times]
        for a in acqs:
            sw = a.swath_of(0, "IW2")
            cal = CALENDARS[name]
            assert sw.pass_direction == cal.direction.upper() and sw.relative_orbit == int(name[1:])
            # ESA's platformHeading (at the satellite's nadir) is the track's heading within 1.5°
            assert abs((sw.platform_heading_deg - cal.heading_deg + 180) % 360 - 180) < 1.5
            assert abs(sw.incidence_mid_deg - cal.incidence_deg) < 0.5
            assert len(sw.bursts) == 9 and sw.number_of_lines == 9 * sw.lines_per_burst
            assert sw.azimuth_time_interval_s == pytest.approx(4 * 2.0555563e-3)
            # consecutive bursts overlap, and their valid lines too
            step = (sw.bursts[1].azimuth_time - sw.bursts[0].azimuth_time) / np.timedelta64(1, "ns") * 1e-9
            first, last = sw.bursts[0].valid_lines
            assert step < (last - first) * sw.azimuth_time_interval_s < sw.lines_per_burst * sw.azimuth_time_interval_s
            choice = choose_orbit(sw.orbit, sw.mission, sw.first_line_time, sw.last_line_time, [folder])
            assert choice.source == "POEORB" and not choice.fallback
            radius = np.linalg.norm(choice.vectors.position, axis=1)
            assert np.all(np.abs(radius - 7_071_000.0) < 1.0)                  # ~693 km above the equator
            # ECEF speed of a 7,071 km circular orbit, with the Earth's rotation removed
            assert np.all(np.abs(np.linalg.norm(choice.vectors.velocity, axis=1) - 7_500) < 120)


def test_geolocation_grid_matches_the_geometry(written):
    """The writer's geolocation grid (its own NumPy inversion on the ellipsoid) against gfjax.geometry's
    range–Doppler solution of the grid's points with the annotation's orbit: measured 2.5e-4 lines and
    2.5e-5 samples at most."""
    from gfjax.geometry.s1_geometry import radar_coordinates_llh
    from gfjax.io.safe import open_safe

    _, _, out = written
    for zips in out["products"].values():
        sw = open_safe(zips[0]).swath()
        g = sw.geolocation
        lat, lon, h = g.latitude.values, g.longitude.values, g.height.values
        rc = radar_coordinates_llh(sw, lat, lon, h)
        t_line = rc["azimuth_seconds"] - 0.5 * (rc["slant_range_time_s"] - sw.slant_range_time_s)
        t_grid = (g.azimuth_time.values - sw.first_line_time) / np.timedelta64(1, "ns") * 1e-9
        d_line = (t_line - t_grid[:, None]) / sw.azimuth_time_interval_s
        d_sample = rc["sample"] - g.pixel.values[None, :]
        assert np.abs(d_line).max() < 0.01 and np.abs(d_sample).max() < 0.01, (np.abs(d_line).max(),
                                                                                np.abs(d_sample).max())


def test_xarray_sentinel_reads_the_product(written, tmp_path):
    import zipfile

    import xarray as xr
    import xarray_sentinel

    _, _, out = written
    with zipfile.ZipFile(out["products"]["T065"][1]) as z:
        z.extractall(tmp_path)
    safe = next(tmp_path.glob("*.SAFE"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = xr.open_dataset(safe, engine="sentinel-1", group="IW2/VV")
        sizes = {g: dict(xr.open_dataset(safe, engine="sentinel-1", group=f"IW2/VV/{g}").sizes)
                 for g in ("orbit", "gcp", "dc_estimate", "azimuth_fm_rate")}
        bursts = [xarray_sentinel.crop_burst_dataset(ds, burst_index=i) for i in range(9)]
        filled = [float((np.abs(b.measurement.values) > 0).mean()) for b in bursts]
    assert ds.sizes["line"] == 9 * bursts[0].sizes["azimuth_time"]
    assert sizes["gcp"] == {"azimuth_time": 10, "slant_range_time": 21}
    assert sizes["dc_estimate"]["azimuth_time"] == sizes["azimuth_fm_rate"]["azimuth_time"] == 9
    # sparse: data only over the 12 km scene (a few bursts, a small part of the swath)
    assert 1 <= sum(f > 0 for f in filled) <= 3 and 0 < max(filled) < 0.2


def test_data_lies_where_the_geometry_puts_the_scene(written):
    """Read back through gfjax.io with the orbit files: every map cell of the scene falls on data, and the
    deramped amplitude there follows the scene's backscatter (the simulator's σ⁰ sampled at the cells)."""
    from scipy.ndimage import map_coordinates, uniform_filter

    from gfjax.io.dem import DemSource
    from gfjax.io.s1_scene import open_s1_scene
    from gfjax.sim.slc import backscatter_map

    scene, folder, _ = written
    s1 = open_s1_scene(folder, tuple(LONLAT), DemSource(str(folder / "dem.tif"), "ellipsoid"), spacing_m=200.0,
                       margin_m=300.0)
    for name, trk in s1.tracks.items():
        acq = trk.acqs[0]
        assert acq.orbit_report[0]["orbit_source"] == "POEORB"
        row, col = acq.image_position()
        ok = np.isfinite(row)
        assert ok.mean() > 0.99
        amp = uniform_filter(np.abs(acq.read()) ** 2, (3, 15))
        seen = amp[np.round(row[ok]).astype(int), np.round(col[ok]).astype(int)]
        assert np.all(seen > 0)
        x, y = s1.grid.meshgrid()
        r, c = scene.grid.fractional_index(x, y)
        sigma0 = map_coordinates(backscatter_map(scene, scene.tracks[name]), [r, c], order=1)[ok]
        assert np.corrcoef(np.log(seen), np.log(sigma0))[0, 1] > 0.5


@pytest.mark.slow            # ~40 s: four products written, scene -> offsets -> geocode in a fresh process
def test_pairs_tracked_through_the_sentinel1_route_recover_the_truth(tmp_path_factory):
    """+experiment=sentinel1 on the written zips (POEORB files found in data.path, the DEM GeoTIFF as
    ellipsoidal heights): each track's geocoded LOS and azimuth displacements of its one pair against the
    scene's true displacement between the two dates projected on the track's vectors."""
    import json

    import xarray as xr
    from scipy.ndimage import map_coordinates

    scene, folder, _ = _write(tmp_path_factory, ["T065", "T131"])
    overrides = ["+experiment=sentinel1", f"data.path={folder}", f"data.bbox=[{','.join(map(str, LONLAT))}]",
                 f"data.dem={folder / 'dem.tif'}", "data.dem_datum=ellipsoid", "data.margin_m=300",
                 "stages=[scene,offsets,geocode]", "output.keep_intermediates=true", "geometry.grid_spacing_m=200",
                 "geometry.filter_width_m=0", "products.figures=false", "parallel.mode=single",
                 "offsets.window=[16,48]", "offsets.step=[8,32]", "offsets.search=[4,12]"]
    workdir = tmp_path_factory.mktemp("run")
    assert run_pipeline_script(workdir, overrides) == []          # the products alone: no simulator
    report = json.loads((workdir / "report.json").read_text())
    assert all(o["orbit_source"] == "POEORB" for t in report["stages"]["scene"]["tracks"].values()
               for o in t["orbits"])
    with xr.open_dataset(next((workdir / "work").glob("geocode-*")) / "maps.nc", engine="h5netcdf") as ds:
        maps = ds.load()
    x, y = np.meshgrid(maps.x.values, maps.y.values)
    r, c = scene.grid.fractional_index(x, y)
    spacing = {"range": 9.32, "azimuth": 56.3}          # slant range and azimuth pixel spacings, m
    for m in range(maps.sizes["map"]):
        track, kind = str(maps.track.values[m]), str(maps.kind.values[m])
        d = scene.displacement(*scene.pair_times(track, 0))
        d = np.stack([map_coordinates(d[k], [r, c], order=1) for k in range(4)])
        truth = np.tensordot(maps.set_vector.values[int(maps["set_index"].values[m])],
                             np.stack([d[0], d[1], d[2] + d[3]]), 1)
        meas = maps.displacement.values[m]
        ok = np.isfinite(meas)
        err = (meas[ok] - truth[ok]) / spacing[kind]
        assert ok.mean() > 0.9, (track, kind, ok.mean())
        # measured (2-core CPU): range r 0.972 / 0.971 (T065 / T131), RMSE 0.049 / 0.043 px, median error
        # 0.006 / -0.002 px; azimuth (0.1 px of motion at most) RMSE 0.021 / 0.019 px, median 0.001 / 0.002 px
        assert abs(np.median(err)) < 0.02 and np.sqrt(np.mean(err ** 2)) < 0.1, (track, kind, np.median(err))
        if kind == "range":
            assert np.corrcoef(meas[ok], truth[ok])[0, 1] > 0.9, (track, kind)
