"""Sentinel-1 SAFE products as a RadarScene (gfjax.io.s1_catalog, gfjax.io.s1_scene), on the real Terceira
crop: its product, and a copy 12 days later (times and absolute orbit moved by one repeat cycle, so the
same orbit geometry and pixels) — a pair whose geometric offsets are zero and whose images are equal.
Variants of the copy (HH only; IW2 only; metadata only) give the bad-input errors.
"""
import warnings

import numpy as np
import pytest

from gfjax.io.dem import DemSource
from gfjax.io.safe import Sentinel1Error
from gfjax.io.safe_write import REP_ANNOTATION, REP_MEASUREMENT, write_manifest, write_sparse_measurement

AOI = (-27.238, 38.642, -27.214, 38.662)     # ~2 × 2 km inside the crop (burst 6)


def _shift_times(text, seconds):
    """Annotation text with every UTC time outside the orbit list, and each azimuthAnxTime, moved by ``seconds``."""
    import re

    def move(m):
        t = np.datetime64(m.group(0), "ns") + np.timedelta64(int(round(seconds * 1e9)), "ns")
        return str(t)[:26]

    def anx(m):
        return f"<azimuthAnxTime>{float(m.group(1)) + seconds:.15e}<"

    head, rest = text.split("<orbitList", 1)
    orbits, tail = rest.split("</orbitList>", 1)
    time = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+"
    tail = re.sub(r"<azimuthAnxTime>([^<]+)<", anx, re.sub(time, move, tail))
    return re.sub(time, move, head) + "<orbitList" + orbits + "</orbitList>" + tail


def _product(shared_data, dest, day="18", pol="VV", swath="IW3", orbit=45056, measurement=True, shift_s=0.0):
    from terceira import CROP_LINE, CROP_SAMPLE, SWATH_SHAPE, read_crop, terceira_dir

    folder = terceira_dir(shared_data)
    ann = next(folder.glob("s1a-iw3-slc-vv-*.xml"))
    text = ann.read_text().replace("2022-09-18", f"2022-09-{day}")
    if shift_s:                           # the next slice of the same pass (its orbit list unchanged)
        text = _shift_times(text, shift_s)
    text = text.replace("<absoluteOrbitNumber>45056<", f"<absoluteOrbitNumber>{orbit}<")
    text = text.replace("<polarisation>VV</polarisation>", f"<polarisation>{pol}</polarisation>")
    text = text.replace("<swath>IW3</swath>", f"<swath>{swath}</swath>")
    stem = ann.stem.replace("20220918", f"202209{day}").replace("-vv-", f"-{pol.lower()}-").replace(
        "-iw3-", f"-{swath.lower()}-").replace("-006", "-006" if not shift_s else "-007")
    start = np.datetime64(f"2022-09-{day}T07:49:21.513561", "us") + np.timedelta64(int(shift_s * 1e6), "us")
    stop = np.datetime64(f"2022-09-{day}T07:49:46.683848", "us") + np.timedelta64(int(shift_s * 1e6), "us")
    name = (f"S1A_IW_SLC__1SDV_{str(start)[:19].replace('-', '').replace(':', '')}_"
            f"{str(stop)[:19].replace('-', '').replace(':', '')}_{orbit:06d}_056232_0000")
    root = dest / f"{name}.SAFE"
    (root / "annotation").mkdir(parents=True)
    (root / "annotation" / f"{stem}.xml").write_text(text)
    files = [(f"annotation/{stem}.xml", REP_ANNOTATION)]
    if measurement:
        (root / "measurement").mkdir()
        write_sparse_measurement(root / f"measurement/{stem}.tiff", SWATH_SHAPE,
                                 [(CROP_LINE, CROP_SAMPLE, read_crop(folder))])
        files.append((f"measurement/{stem}.tiff", REP_MEASUREMENT))
    write_manifest(root / "manifest.safe", mission="S1A", mode="IW", swaths=[swath], pass_direction="DESCENDING",
                   absolute_orbit=orbit, relative_orbit=9, ascending_node_time=f"2022-09-{day}T07:10:45.409934",
                   data_take_id=352818, polarisations=[pol], start_time=str(start), stop_time=str(stop), files=files)
    return root


@pytest.fixture(scope="module")
def products(shared_data, tmp_path_factory):
    dest = tmp_path_factory.mktemp("s1")
    _product(shared_data, dest)
    _product(shared_data, dest, day="30", orbit=45056 + 175)
    return dest


def _open(shared_data, folder, aoi):
    from gfjax.io.s1_scene import open_s1_scene

    dem = shared_data / "dem" / "N38W028.SRTMGL3.hgt.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the SRTM heights taken as ellipsoidal here: no geoid grid on CI (gfjax.io.geoid)
        return open_s1_scene(folder, aoi, DemSource(str(dem), "ellipsoid"), spacing_m=100.0, margin_m=300.0,
                             orbit_dirs=[folder])


@pytest.fixture(scope="module")
def scene(shared_data, products):
    return _open(shared_data, products, AOI)


@pytest.mark.shared
def test_terceira_pair_as_a_radar_scene(scene):
    from gfjax.geometry.projection import projection_vectors
    from gfjax.protocols import RadarScene, Track

    assert isinstance(scene, RadarScene) and list(scene.tracks) == ["T009"]
    trk = scene.tracks["T009"]
    assert isinstance(trk, Track) and trk.direction == "descending" and trk.swath == "IW3"
    assert trk.pairs == [(0, 1)] and str(trk.times[0]) == "2022-09-18T07:49:21"
    # one burst covers the AOI; only its lines and samples over the AOI ± 300 m are read
    assert [p[:2] for p in trk.acqs[0].layout.pieces] == [(0, 6)] and trk.shape == (227, 970)
    assert 40 < trk.incidence_deg < 46 and -172 < trk.heading_deg < -168
    los, flight, inc = trk.look_vectors()
    rg_vec, az_vec = projection_vectors(trk.heading_deg, inc)          # MSBAS convention, per cell
    assert np.abs(los - np.moveaxis(rg_vec, -1, 0)).max() < 3e-3 and np.abs(flight - np.moveaxis(az_vec, -1, 0)).max() < 3e-3
    az, rg = trk.map_to_radar()
    assert np.isfinite(az).all() and np.isfinite(rg).all()
    assert 0 <= az.min() and az.max() <= trk.shape[0] - 1 and 0 <= rg.min() and rg.max() <= trk.shape[1] - 1
    ref, sec = scene.slc_pair("T009", 0)
    assert ref.shape == trk.shape and np.array_equal(ref, sec)
    raw, _ = scene.slc_pair("T009", 0, deramp=False)
    assert np.allclose(np.abs(raw), np.abs(ref), rtol=1e-5) and not np.allclose(raw, ref)
    # deramped: the azimuth spectral centroid (correlation estimator) of the land image is near 0 Hz
    prf = 1.0 / trk.acqs[0].swaths[0].azimuth_time_interval_s
    centroid = [prf / (2 * np.pi) * np.angle(np.sum(x[1:] * np.conj(x[:-1]))) for x in (raw[:64], ref[:64])]
    assert abs(centroid[1]) < 12 and abs(centroid[0]) > 50, centroid
    # every AOI cell's radar position holds crop data, and image row 0 is the burst line the layout says
    assert np.all(np.abs(ref[np.round(az).astype(int), np.round(rg).astype(int)]) > 0)
    d_az, d_rg = scene.geometric_offsets("T009", 0)
    assert np.nanmax(np.abs(d_az)) < 1e-6 and np.nanmax(np.abs(d_rg)) < 1e-6
    assert scene.pair_times("T009", 0)[1] - scene.pair_times("T009", 0)[0] == pytest.approx(12 / 365, abs=1e-4)
    assert scene.dem.shape == scene.grid.shape and scene.ice_mask.all()


@pytest.mark.shared
@pytest.mark.slow            # ~4 s: a second scene (its own lookup-table compilation)
def test_an_aoi_across_a_burst_overlap_is_debursted_without_gap(shared_data, products):
    scene = _open(shared_data, products, (-27.24, 38.585, -27.20, 38.61))
    trk = scene.tracks["T009"]
    acq = trk.acqs[0]
    (k6, b6, lo6, hi6), (k7, b7, lo7, hi7) = acq.layout.pieces
    assert (b6, b7) == (6, 7) and hi6 - lo6 > 20 and hi7 - lo7 > 20
    sw = acq.swaths[0]
    t_last = (sw.bursts[6].azimuth_time - sw.first_line_time) / np.timedelta64(1, "ns") * 1e-9 + (hi6 - 1) * 2.0555563e-3
    t_next = (sw.bursts[7].azimuth_time - sw.first_line_time) / np.timedelta64(1, "ns") * 1e-9 + lo7 * 2.0555563e-3
    assert abs((t_next - t_last) / sw.azimuth_time_interval_s - 1.0) < 1.0      # consecutive lines, ≤ 1 line off
    az, rg = trk.map_to_radar()
    assert np.isfinite(az).all() and az.max() <= trk.shape[0] - 1
    # down each map column (north → south = along the descending track) the rows only increase
    assert np.all(np.diff(az, axis=0) > 0)


@pytest.mark.shared
def test_mixed_polarisations_and_swaths_name_the_file(shared_data, tmp_path):
    from gfjax.io.s1_catalog import catalog, choose_swath

    a = tmp_path / "a"
    a.mkdir()
    _product(shared_data, a, measurement=False)
    hh = _product(shared_data, a, day="30", orbit=45056 + 175, pol="HH", measurement=False)
    with pytest.raises(Sentinel1Error, match=f"{hh.name}: no VV annotation"):
        catalog(a)
    b = tmp_path / "b"
    b.mkdir()
    _product(shared_data, b, measurement=False)
    iw2 = _product(shared_data, b, day="30", orbit=45056 + 175, swath="IW2", measurement=False)
    acqs = catalog(b)["T009"]
    assert [str(x.time) for x in acqs] == ["2022-09-18T07:49:21", "2022-09-30T07:49:21"]
    lat, lon = np.array([38.65]), np.array([-27.226])
    assert choose_swath(acqs[0], lat, lon) == "IW3"
    with pytest.raises(Sentinel1Error, match=f"{iw2.name}: no IW3 VV annotation"):
        acqs[1].swaths("IW3")
    with pytest.raises(Sentinel1Error, match="no Sentinel-1 product"):
        catalog(tmp_path)


@pytest.mark.shared
@pytest.mark.slow            # ~3 s: another scene
def test_a_lonlat_geojson_outline_gives_the_utm_grid_and_ice_mask(shared_data, products, tmp_path):
    import json

    ring = [[-27.238, 38.642], [-27.214, 38.645], [-27.22, 38.662], [-27.238, 38.642]]
    (tmp_path / "aoi.geojson").write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))   # RFC 7946
    scene = _open(shared_data, products, tmp_path / "aoi.geojson")
    assert scene.grid.epsg == 32626 and 0.2 < scene.ice_mask.mean() < 0.6
    assert scene.outline_xy.min() > 4e5                      # the ring in UTM metres
    (tmp_path / "bad.geojson").write_text(json.dumps({"type": "Polygon", "coordinates": [[[479e3, 4277e3],
                                                      [481e3, 4277e3], [480e3, 4279e3]]]}))
    with pytest.raises(ValueError, match="no 'crs' member"):
        _open(shared_data, products, tmp_path / "bad.geojson")


@pytest.mark.shared
@pytest.mark.slow            # ~8 s: four annotations read (xarray-sentinel's decoders)
def test_adjacent_slices_of_a_pass_are_joined_along_azimuth(shared_data, tmp_path):
    """The Terceira annotation and a copy moved by 9 burst cycles (24.8 s: the next slice of the same
    datatake, same absolute orbit) join into one acquisition; an AOI at the slice boundary takes the
    last burst of the first and the first of the second, debursted without a gap. A copy moved by 8
    cycles repeats a burst: it is taken once. An AOI outside the swath is an error naming the product."""
    from gfjax.io.s1_catalog import catalog, choose_swath, select_bursts
    from gfjax.io.s1_scene import _deburst

    cycle = 2.758556
    lat = np.array([38.28, 38.29, 38.28, 38.29])
    lon = np.array([-27.5, -27.5, -27.45, -27.45])
    for shift, expected in ((9, ((0, 8), (1, 0))), (8, ((0, 8), (1, 1)))):
        folder = tmp_path / f"shift{shift}"
        folder.mkdir()
        first = _product(shared_data, folder, measurement=False)
        _product(shared_data, folder, measurement=False, shift_s=shift * cycle)
        acqs = catalog(folder)["T009"]
        assert len(acqs) == 1 and [p.path.name for p in acqs[0].products][0] == first.name
        swaths = acqs[0].swaths("IW3")
        sel = select_bursts(swaths, lat, lon, np.zeros(4), 500.0)
        assert sel.bursts == expected, sel
        (k0, b0, _, hi0), (k1, b1, lo1, _) = _deburst(swaths, sel.bursts, sel.lines, sel.samples).pieces
        t_last = swaths[k0].bursts[b0].azimuth_time + np.timedelta64(int((hi0 - 1) * 2055556.3), "ns")
        t_next = swaths[k1].bursts[b1].azimuth_time + np.timedelta64(int(lo1 * 2055556.3), "ns")
        assert abs((t_next - t_last) / np.timedelta64(1, "ns") * 1e-9 / swaths[0].azimuth_time_interval_s - 1) <= 0.5
    with pytest.raises(Sentinel1Error, match=f"{first.name}.*the AOI is in none of the swaths"):
        choose_swath(acqs[0], np.array([45.0]), np.array([-20.0]))


@pytest.mark.shared
def test_chip_pairs_cut_each_burst_without_resampling(scene):
    from gfjax.io.s1_chips import chip_pairs

    rows, cols = np.meshgrid(np.arange(0, scene.grid.ny, 5), np.arange(0, scene.grid.nx, 5), indexing="ij")
    out = chip_pairs(scene, "T009", 0, rows.ravel(), cols.ravel(), chip=(32, 64), search=(8, 16))
    assert out["ref"].shape == (rows.size, 32, 64) and out["sec"].shape == (rows.size, 48, 96)
    assert out["ok"].all() and set(out["ref_burst"]) == {6} and set(out["sec_burst"]) == {6}
    # the 12-day copy has the same orbit geometry: nothing predicted, the search area's centre is the chip
    assert np.abs(out["predicted"]).max() < 1e-6
    assert np.array_equal(out["sec"][:, 8:40, 16:80], out["ref"]) and np.all(np.abs(out["ref"]).mean(axis=(1, 2)) > 0)
    # a cell whose window would cross the burst's last valid line is flagged, its arrays zero
    trk = scene.tracks["T009"]
    far = chip_pairs(scene, "T009", 0, [0], [0], chip=(4000, 8))
    assert not far["ok"][0] and not far["ref"].any() and far["ref_burst"][0] == -1 and trk.pairs == [(0, 1)]
    with pytest.raises(ValueError, match="rows and cols must be 1-D"):
        chip_pairs(scene, "T009", 0, [[0]], [[0]])
