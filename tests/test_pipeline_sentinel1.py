"""data.source=sentinel1 through the pipeline's scene → offsets → geocode stages, on real data: the
Terceira IW3 crop (../shared/data, tests/terceira.py) as three products of one track, 12 days apart
(times and absolute orbit moved by one repeat cycle: the same orbit geometry and pixels):

* 2022-09-06 and 2022-09-18: the crop as is — pair 0 must measure no motion;
* 2022-09-30: an acquisition whose first line is GEOMETRY[0] lines later and whose first sample is
  GEOMETRY[1] samples farther (annotation times and slant-range time moved), so the orbits alone
  put a still ground point GEOMETRY px before where the reference has it — the whole part aligned
  by the reader, the sub-pixel rest by ``geometric_offsets`` — and whose ground moved by SHIFT px:
  its measurement is the crop moved by SHIFT − GEOMETRY. Pair 1 must measure SHIFT (the motion),
  not SHIFT − GEOMETRY (what the images differ by).

The move is made on the TOPS-deramped signal (the burst's ramp at the crop's lines and samples,
gfjax.offsets.deramp) by a Fourier phase ramp — exact for the deramped, band-limited signal,
circular at the crop's edges (≥ 150 lines / 200 samples outside the AOI's windows) — and re-ramped
with the ramp the secondary's own annotation gives before writing as CInt16.

The stages read the products as the pipeline does (data.path/bbox/dem, +experiment=sentinel1);
the SRTM heights are taken as ellipsoidal (no geoid grid on CI: gfjax.io.geoid).
"""

import numpy as np
import pytest
from cli import run_pipeline_script
import xarray as xr

SHIFT = (1.25, 3.5)            # (azimuth lines, range samples): the ground's motion, 2022-09-18 → 30
GEOMETRY = (2.3, 7.4)          # the 2022-09-30 image starts this much later (lines) and farther (samples)
BBOX = [-27.238, 38.642, -27.214, 38.662]


def _later(text, lines, samples):
    """Annotation text whose image starts ``lines`` lines later (every time outside the orbit list and
    each azimuthAnxTime moved) and ``samples`` samples farther (the image's slant-range time)."""
    import re

    ati = float(re.search(r"<azimuthTimeInterval>([^<]+)<", text).group(1))
    rsf = float(re.search(r"<rangeSamplingRate>([^<]+)<", text).group(1))
    seconds = lines * ati

    def move(m):
        return str(np.datetime64(m.group(0), "ns") + np.timedelta64(int(round(seconds * 1e9)), "ns"))[:26]

    head, rest = text.split("<orbitList", 1)
    orbits, tail = rest.split("</orbitList>", 1)
    time = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+"
    tail = re.sub(r"<azimuthAnxTime>([^<]+)<", lambda m: f"<azimuthAnxTime>{float(m.group(1)) + seconds:.15e}<",
                  re.sub(time, move, tail))
    text = re.sub(time, move, head) + "<orbitList" + orbits + "</orbitList>" + tail
    # the image's first slant-range time (imageInformation, the first one in the file)
    return re.sub(r"<slantRangeTime>([^<]+)<", lambda m: f"<slantRangeTime>{float(m.group(1)) + samples / rsf:.15e}<",
                  text, count=1)


def _copy(shared_data, dest, day, orbit, crop, geometry=(0.0, 0.0)):
    """The Terceira product on 2022-09-``day`` (absolute orbit ``orbit``) holding ``crop``, its image
    starting ``geometry`` = (lines, samples) later / farther."""
    from terceira import CROP_LINE, CROP_SAMPLE, SWATH_SHAPE, terceira_dir

    from gfjax.io.safe_write import REP_ANNOTATION, REP_MEASUREMENT, write_manifest, write_sparse_measurement

    ann = next(terceira_dir(shared_data).glob("s1a-iw3-slc-vv-*.xml"))
    text = ann.read_text().replace("2022-09-18", f"2022-09-{day}")
    if any(geometry):
        text = _later(text, *geometry)
    text = text.replace("<absoluteOrbitNumber>45056<", f"<absoluteOrbitNumber>{orbit}<")
    stem = ann.stem.replace("20220918", f"202209{day}")
    name = f"S1A_IW_SLC__1SDV_202209{day}T074921_202209{day}T074946_{orbit:06d}_056232_0000"
    root = dest / f"{name}.SAFE"
    (root / "annotation").mkdir(parents=True)
    (root / "measurement").mkdir()
    (root / "annotation" / f"{stem}.xml").write_text(text)
    write_sparse_measurement(root / f"measurement/{stem}.tiff", SWATH_SHAPE, [(CROP_LINE, CROP_SAMPLE, crop)])
    write_manifest(root / "manifest.safe", mission="S1A", mode="IW", swaths=["IW3"], pass_direction="DESCENDING",
                   absolute_orbit=orbit, relative_orbit=9, ascending_node_time=f"2022-09-{day}T07:10:45.409934",
                   data_take_id=352818, polarisations=["VV"], start_time=f"2022-09-{day}T07:49:21.513561",
                   stop_time=f"2022-09-{day}T07:49:46.683848",
                   files=[(f"annotation/{stem}.xml", REP_ANNOTATION), (f"measurement/{stem}.tiff", REP_MEASUREMENT)])
    return root


def shifted_crop(root, crop, shift, samples=0.0):
    """``crop`` (its burst's lines and samples in the SAFE ``root``) moved by ``shift`` px on the deramped
    signal, re-ramped as a product whose first sample is ``samples`` farther (its ramp there)."""
    import jax.numpy as jnp
    from terceira import CROP_LINE, CROP_SAMPLE

    from gfjax.io.safe import open_safe
    from gfjax.offsets.deramp import deramp_window, reramp_window, tops_ramp

    sw = open_safe(root).swath("IW3", "VV")
    burst = CROP_LINE // sw.lines_per_burst
    line0 = jnp.float32(CROP_LINE - burst * sw.lines_per_burst)
    ramp = tops_ramp(sw, burst)
    flat = np.asarray(deramp_window(ramp, jnp.asarray(crop.astype(np.complex64)), line0, jnp.float32(CROP_SAMPLE)))
    fa = np.fft.fftfreq(crop.shape[0])[:, None]
    fr = np.fft.fftfreq(crop.shape[1])[None, :]
    moved = np.fft.ifft2(np.fft.fft2(flat) * np.exp(-2j * np.pi * (fa * shift[0] + fr * shift[1])))
    return np.asarray(reramp_window(ramp, jnp.asarray(moved.astype(np.complex64)), line0,
                                    jnp.float32(CROP_SAMPLE + samples)))


@pytest.fixture(scope="module")
def run(shared_data, tmp_path_factory):
    """The stages in a fresh process (which must not import the simulator): (workdir, report, reference SAFE)."""
    import json

    from terceira import read_crop, terceira_dir

    crop = read_crop(terceira_dir(shared_data))
    products = tmp_path_factory.mktemp("s1")
    _copy(shared_data, products, "06", 45056 - 175, crop)
    ref = _copy(shared_data, products, "18", 45056, crop)
    moved = shifted_crop(ref, crop, (SHIFT[0] - GEOMETRY[0], SHIFT[1] - GEOMETRY[1]), GEOMETRY[1])
    _copy(shared_data, products, "30", 45056 + 175, moved, GEOMETRY)
    overrides = ["+experiment=sentinel1", f"data.path={products}", f"data.bbox=[{','.join(map(str, BBOX))}]",
                 f"data.dem={shared_data / 'dem' / 'N38W028.SRTMGL3.hgt.zip'}", "data.dem_datum=ellipsoid",
                 "data.margin_m=300", "stages=[scene,offsets,geocode]", "output.keep_intermediates=true",
                 "geometry.filter_width_m=0", "products.figures=false", "parallel.mode=single"]
    workdir = tmp_path_factory.mktemp("run")
    assert run_pipeline_script(workdir, overrides) == []          # real data: the simulator is never imported
    return workdir, json.loads((workdir / "report.json").read_text()), ref


def _offsets(workdir, k):
    folder = next((workdir / "work").glob("offsets-*"))
    with xr.open_dataset(folder / f"T009_{k:03d}.nc", engine="h5netcdf") as ds:
        return ds.load()


@pytest.mark.shared
@pytest.mark.slow            # ~18 s here: three lookup tables, two pairs tracked (compilations)
def test_sentinel1_offsets_measure_the_motion_only(run):
    workdir, report, _ = run
    scene = report["stages"]["scene"]
    assert scene["tracks"]["T009"]["n_pairs"] == 2 and scene["tracks"]["T009"]["swath"] == "IW3"
    assert scene["tracks"]["T009"]["orbits"][0]["orbit_source"] == "annotation"     # no *.EOF here: reported
    assert scene["tracks"]["T009"]["orbits"][0]["orbit_warning"]
    for k, want in ((0, (0.0, 0.0)), (1, SHIFT)):
        ds = _offsets(workdir, k)
        assert ds.attrs["geometric_offsets_removed"] == 1
        a, r = ds["azimuth_offset"].values, ds["range_offset"].values
        ok = np.isfinite(a) & np.isfinite(r)
        assert ok.mean() > 0.95, ok.mean()
        # measured (2-core CPU): pair 0 median 0 / 0, max |error| 0.008 / 0.002 px (azimuth / range);
        # pair 1 median 0.0008 / -0.0019, max 0.009 / 0.004 px. Without the geometric part (search
        # centred on the whole-pixel alignment only, nothing subtracted) pair 1 is off by the
        # sub-pixel rest of GEOMETRY: -0.30 / -0.40 px.
        assert abs(np.median(a[ok]) - want[0]) < 0.005 and abs(np.median(r[ok]) - want[1]) < 0.005
        assert np.abs(a[ok] - want[0]).max() < 0.03 and np.abs(r[ok] - want[1]).max() < 0.01


@pytest.mark.shared
@pytest.mark.slow            # shares the run above
def test_sentinel1_geocoded_displacements_are_the_motion_in_metres(run):
    from gfjax.geometry.projection import offsets_to_displacement
    from gfjax.io.safe import open_safe

    workdir, report, ref = run
    geo = report["stages"]["geocode"]
    assert geo["maps"] == 4 and geo["maps_without_data"] == 0 and geo["median_ice_coverage"] == 1.0
    sw = open_safe(ref).swath("IW3", "VV")
    d_az, d_los = offsets_to_displacement(SHIFT[0], SHIFT[1], sw.azimuth_pixel_spacing_m, sw.range_pixel_spacing_m)
    with xr.open_dataset(next((workdir / "work").glob("geocode-*")) / "maps.nc", engine="h5netcdf") as ds:
        maps = ds.load()
    px = {"range": sw.range_pixel_spacing_m, "azimuth": sw.azimuth_pixel_spacing_m}
    for pair, (az, los) in ((0, (0.0, 0.0)), (1, (d_az, d_los))):
        for kind, want in (("range", los), ("azimuth", az)):
            m = maps["displacement"].values[(maps["pair"].values == pair) & (maps["kind"].values == kind)][0]
            assert np.isfinite(m).all()
            # measured: |median error| 0.0008 px (azimuth, 11 mm) / 0.0019 px (range, 4 mm); max 0.005 px
            err = np.abs(m - want) / px[kind]
            assert abs(np.median(m) - want) / px[kind] < 0.005 and err.max() < 0.01, (pair, kind, np.median(m), want)


def _settings(*overrides):
    from hydra import compose, initialize_config_dir

    from gfjax.config import CONF_DIR, register_configs
    from gfjax.config.schema import to_settings

    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return to_settings(compose(config_name="config", overrides=["+experiment=sentinel1", *overrides]))


def test_sentinel1_preflight_names_the_key_and_file(tmp_path):
    from gfjax.pipeline.data import preflight

    dem = tmp_path / "dem.tif"
    dem.write_bytes(b"")
    box = "data.bbox=[-27.24,38.64,-27.21,38.66]"
    cases = [((), "data.path: the folder of Sentinel-1 SAFE products"),
             ((f"data.path={tmp_path / 'nowhere'}",), "data.path: Sentinel-1 product folder .*nowhere not found"),
             ((f"data.path={tmp_path}", f"data.dem={dem}"), "data.aoi or data.bbox is required"),
             ((f"data.path={tmp_path}", f"data.dem={dem}", box, f"data.aoi={dem}"), "give one"),
             ((f"data.path={tmp_path}", f"data.dem={dem}", "data.bbox=[-27.2,38.64,-27.24,38.66]"), "min < max"),
             ((f"data.path={tmp_path}", f"data.aoi={tmp_path / 'aoi.geojson'}"), "data.aoi: AOI outline .*aoi.geojson"),
             ((f"data.path={tmp_path}", box), "data.dem: a DEM covering the AOI is required"),
             ((f"data.path={tmp_path}", box, f"data.dem={tmp_path / 'x.tif'}"), "data.dem: DEM .*x.tif not found"),
             ((f"data.path={tmp_path}", box, f"data.dem={dem}", "data.dem_datum=navd88"), "data.dem_datum: .*navd88"),
             ((f"data.path={tmp_path}", box, f"data.dem={dem}", "data.orbits=/no/eof"), "data.orbits: .*/no/eof"),
             ((f"data.path={tmp_path}", box, f"data.dem={dem}", "data.frames=[1]"), "data.frames: not used"),
             ((f"data.path={tmp_path}", box, f"data.dem={dem}", "data.tracks=[x9]"), "data.tracks: relative orbit"),
             ((f"data.path={tmp_path}", box, f"data.dem={dem}"), f"data.path: {tmp_path}: no Sentinel-1 product")]
    for overrides, message in cases:
        with pytest.raises(ValueError, match=message):
            preflight(_settings(*overrides))
    with pytest.raises(ValueError, match="data.dme"):
        _settings("+data.dme=x")


@pytest.mark.shared
def test_sentinel1_preflight_a_track_without_a_pair(shared_data, tmp_path):
    from terceira import read_crop, terceira_dir

    from gfjax.pipeline.data import preflight

    dem = shared_data / "dem" / "N38W028.SRTMGL3.hgt.zip"
    one = _copy(shared_data, tmp_path, "18", 45056, read_crop(terceira_dir(shared_data))[:8, :8])
    with pytest.raises(ValueError, match=f"track T009 has 1 acquisition \\({one.name}\\); a pair needs 2"):
        preflight(_settings(f"data.path={tmp_path}", f"data.dem={dem}", "data.bbox=[-27.24,38.64,-27.21,38.66]"))
    with pytest.raises(ValueError, match=r"data.tracks: \['T065'\] not among .*T009"):
        preflight(_settings(f"data.path={tmp_path}", f"data.dem={dem}", "data.bbox=[-27.24,38.64,-27.21,38.66]",
                            "data.tracks=[65]"))


@pytest.mark.shared
def test_sentinel1_dates_choose_the_acquisitions(shared_data, tmp_path):
    """data.start / data.end (inclusive days) choose the acquisitions; a span leaving one is an error
    naming it."""
    from terceira import read_crop, terceira_dir

    from gfjax.io.s1_catalog import catalog
    from gfjax.pipeline.data import preflight

    crop = read_crop(terceira_dir(shared_data))[:8, :8]
    for day, orbit in (("06", 44881), ("18", 45056), ("30", 45231)):
        _copy(shared_data, tmp_path, day, orbit, crop)
    days = lambda **kw: [str(a.time)[:10] for a in catalog(tmp_path, **kw)["T009"]]  # noqa: E731
    assert days() == ["2022-09-06", "2022-09-18", "2022-09-30"]
    assert days(start="2022-09-18") == ["2022-09-18", "2022-09-30"]
    assert days(end="2022-09-18") == ["2022-09-06", "2022-09-18"]          # inclusive
    assert days(start="2022-09-07", end="2022-09-29") == ["2022-09-18"]
    dem = shared_data / "dem" / "N38W028.SRTMGL3.hgt.zip"
    box = "data.bbox=[-27.24,38.64,-27.21,38.66]"
    preflight(_settings(f"data.path={tmp_path}", f"data.dem={dem}", box, "data.start=2022-09-10"))
    with pytest.raises(ValueError, match="track T009 has 1 acquisition between data.start=2022-09-07 and data.end=2022-09-29"):
        preflight(_settings(f"data.path={tmp_path}", f"data.dem={dem}", box, "data.start=2022-09-07", "data.end=2022-09-29"))
    with pytest.raises(ValueError, match="data.start: expected a date"):
        preflight(_settings(f"data.path={tmp_path}", f"data.dem={dem}", box, "data.start=septembre"))
