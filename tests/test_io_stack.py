"""Stack folders (gfjax.io.stack): a simulated stack reads back as the scene it was written from,
the date / pair / offsets layouts, and a clear error naming file and field for bad stacks."""
import shutil

import numpy as np
import pytest

from gfjax.io.gamma import read_slc_par, write_slc
from gfjax.io.stack import StackError, load_stack
from gfjax.io.stack_write import day_name, write_stack
from gfjax.sim import SceneSpec, build_scene

SMALL = SceneSpec(bbox=[612000.0, 7008000.0, 622000.0, 7016000.0], pixel_scale=8.0, grid_spacing_m=400.0,
                  start="2017-06-01", end="2017-08-15", date_step=2)


@pytest.fixture(scope="module")
def scene():
    return build_scene(SMALL)


@pytest.fixture(scope="module")
def pair_stack(scene, tmp_path_factory):
    return write_stack(scene, tmp_path_factory.mktemp("stack") / "pairs")


@pytest.fixture
def date_stack(scene, tmp_path):
    return write_stack(scene, tmp_path / "dates", images="dates")


def test_stack_reads_back_as_the_scene(scene, pair_stack):
    st = load_stack(pair_stack)
    assert not st.has_truth and scene.has_truth
    assert st.grid == scene.grid
    np.testing.assert_array_equal(st.dem, scene.dem)
    np.testing.assert_array_equal(st.ice_mask, scene.ice_mask)
    np.testing.assert_allclose(st.flowline.distance_m[-1], scene.flowline.distance_m[-1], rtol=1e-3)
    assert list(st.tracks) == list(scene.tracks)
    for name, trk in scene.tracks.items():
        got = st.tracks[name]
        assert (got.direction, got.heading_deg, got.incidence_deg) == (trk.direction, trk.heading_deg,
                                                                       trk.incidence_deg)
        assert (got.azimuth_spacing_m, got.range_spacing_m, got.shape) == (trk.azimuth_spacing_m,
                                                                           trk.range_spacing_m, trk.shape)
        np.testing.assert_array_equal(got.times, trk.times)
        np.testing.assert_array_equal(got.decimal_years, trk.decimal_years)
        assert got.pairs == trk.pairs
        for a, b in zip(got.map_to_radar(), trk.map_to_radar()):
            np.testing.assert_array_equal(a, b)
        for k in range(len(trk.pairs)):
            assert st.pair_times(name, k) == scene.pair_times(name, k)
            for a, b in zip(st.slc_pair(name, k), scene.slc_pair(name, k)):
                np.testing.assert_array_equal(a, b)
        assert st.precomputed_offsets(name, 0) is None


def test_dated_images_selection_and_tracks(scene, date_stack):
    st = load_stack(date_stack, tracks=["T131"])
    assert list(st.tracks) == ["T131"]
    trk = st.tracks["T131"]
    assert trk.pairs == [(0, 1), (1, 2)]
    ref, sec = st.slc_pair("T131", 1)
    np.testing.assert_array_equal(ref, st.slc_pair("T131", 0)[1])  # one image per date
    np.testing.assert_array_equal(ref, scene.slc_pair("T131", 1)[0])
    later = load_stack(date_stack, start="2017-07-01")
    assert all(len(t.times) == 2 and t.pairs == [(0, 1)] for t in later.tracks.values())
    with pytest.raises(StackError, match=r"track\(s\) \['T999'\] not found"):
        load_stack(date_stack, tracks=["T999"])


def test_a_track_with_one_image(date_stack):
    with pytest.raises(StackError) as err:
        load_stack(date_stack, start="2017-07-20")
    msg = str(err.value)
    assert "track T065" in msg and "1 acquisition(s)" in msg and "at least 2" in msg and "20170726.rslc.par" in msg


def test_name_and_par_dates_disagree(date_stack):
    par = sorted((date_stack / "T065").glob("*.rslc.par"))[0]
    par.rename(par.with_name("20170609.rslc.par"))
    with pytest.raises(ValueError, match=r"20170609\.rslc\.par: the file name says 2017-06-09 .*'date'"):
        load_stack(date_stack)


def test_bad_date_field_in_a_stack(date_stack):
    par = sorted((date_stack / "T131").glob("*.rslc.par"))[1]
    par.write_text(par.read_text().replace("date:", "date:   2017 02 30  #", 1))
    with pytest.raises(ValueError, match=rf"{par.name}: field 'date'"):
        load_stack(date_stack)


def test_slc_of_another_shape_in_a_track(date_stack):
    pars = sorted((date_stack / "T065").glob("*.rslc.par"))
    p = read_slc_par(pars[1])
    write_slc(pars[1].with_suffix(""), np.ones((p.azimuth_lines, p.range_samples - 1), np.complex64), p)
    with pytest.raises(StackError, match=rf"{pars[1].name}: shape .* differs"):
        load_stack(date_stack)


def test_truncated_slc_in_a_stack(date_stack):
    rslc = sorted((date_stack / "T131").glob("*.rslc"))[0]
    rslc.write_bytes(rslc.read_bytes()[:1000])
    with pytest.raises(ValueError, match=rf"{rslc.name}: 1000 bytes, but .*implies"):
        load_stack(date_stack)


def test_missing_and_bad_lookup_table(date_stack):
    (date_stack / "T065" / "lut.tif").unlink()
    with pytest.raises(StackError, match=r"T065: map → radar lookup table missing"):
        load_stack(date_stack)
    shutil.copy(date_stack / "dem.tif", date_stack / "T065" / "lut.tif")
    with pytest.raises(StackError, match=r"lut.tif: expected 2 bands"):
        load_stack(date_stack)


def test_track_yaml_is_checked(date_stack):
    (date_stack / "T065" / "track.yaml").write_text("direction: sideways\n")
    with pytest.raises(StackError, match=r"track.yaml: field 'direction'"):
        load_stack(date_stack)
    (date_stack / "T065" / "track.yaml").write_text("heading: 12\n")
    with pytest.raises(StackError, match=r"unknown field\(s\) \['heading'\]"):
        load_stack(date_stack)


def test_grid_and_map_inputs(date_stack):
    (date_stack / "grid.yaml").write_text("epsg: 32605\nbounds: [612000, 7008000, 622000, 7016000]\nspacing: 200\n")
    with pytest.raises(StackError, match=r"dem.tif: the DEM is not on the map grid"):
        load_stack(date_stack)
    (date_stack / "grid.yaml").write_text("epsg: 32605\nspacing: 400\n")
    with pytest.raises(StackError, match=r"grid.yaml: field\(s\) \['bounds'\] missing"):
        load_stack(date_stack)
    (date_stack / "grid.yaml").unlink()
    assert load_stack(date_stack).grid.spacing == 400.0  # the grid of dem.tif
    (date_stack / "ice_mask.tif").unlink()
    assert load_stack(date_stack).ice_mask.all()  # no mask: every cell counts


def test_precomputed_offsets_layout(scene, tmp_path):
    """A stack of SLC parameter files and GAMMA offsets: pairs come from offsets/, no images."""
    import xarray as xr

    from gfjax.io.gamma_offsets import write_offsets_dataset

    root = write_stack(scene, tmp_path / "offs", images="params")
    days = [day_name(t) for t in scene.tracks["T065"].times]
    rng = np.random.default_rng(0)
    dims = ("azimuth", "range")
    ds = xr.Dataset({v: (dims, rng.normal(size=(4, 6)).astype(np.float32)) for v in ("azimuth_offset", "range_offset")},
                    coords={"azimuth": 7.5 + 8.0 * np.arange(4), "range": 23.5 + 16.0 * np.arange(6)},
                    attrs={"window": [16, 48]})
    write_offsets_dataset(ds, root / "T065" / "offsets" / f"{days[0]}_{days[2]}")
    write_offsets_dataset(ds, root / "T065" / "offsets" / f"{days[0]}_{days[1]}")
    st = load_stack(root, tracks=["T065"])
    assert st.tracks["T065"].pairs == [(0, 1), (0, 2)]
    got = st.precomputed_offsets("T065", 1)
    np.testing.assert_array_equal(got["range_offset"].values, ds["range_offset"].values)
    with pytest.raises(StackError, match="no SLC images"):
        st.slc_pair("T065", 0)
    with pytest.raises(StackError, match=r"T131 .*0 pair\(s\)|SLC image missing"):
        load_stack(root)  # T131: parameter files only, no offsets, no images
    write_offsets_dataset(ds, root / "T065" / "offsets" / "20170101_20170102")
    with pytest.raises(StackError, match=r"20170101_20170102.offs: date 2017-01-01 has no SLC parameter file"):
        load_stack(root, tracks=["T065"])


def test_precomputed_ampcor_offsets_layout(scene, tmp_path):
    """PyCuAmpcor dense offsets (offsets/YYYYMMDD_YYYYMMDD/dense_offsets …) next to GAMMA ones."""
    import xarray as xr

    from gfjax.io.ampcor import write_dense_offsets
    from gfjax.io.gamma_offsets import write_offsets_dataset

    root = write_stack(scene, tmp_path / "offs", images="params")
    days = [day_name(t) for t in scene.tracks["T065"].times]
    rng = np.random.default_rng(0)
    dims = ("azimuth", "range")
    ds = xr.Dataset({v: (dims, rng.normal(size=(4, 6)).astype(np.float32))
                     for v in ("azimuth_offset", "range_offset", "snr")},
                    coords={"azimuth": 7.5 + 8.0 * np.arange(4), "range": 23.5 + 16.0 * np.arange(6)},
                    attrs={"window": [16, 48], "step": [8, 16], "first_window": [0, 0]})
    ds["azimuth_offset"][0, 0] = np.nan
    offsets = root / "T065" / "offsets"
    write_dense_offsets(ds, offsets / f"{days[0]}_{days[2]}")
    write_offsets_dataset(ds, offsets / f"{days[0]}_{days[1]}")
    st = load_stack(root, tracks=["T065"])
    assert st.tracks["T065"].pairs == [(0, 1), (0, 2)]
    got = st.precomputed_offsets("T065", 1)
    for v in ("azimuth_offset", "range_offset", "snr"):
        np.testing.assert_array_equal(got[v].values, ds[v].values)
    np.testing.assert_array_equal(got["range"].values, ds["range"].values)
    assert got.attrs["window"] == [16, 48] and got.attrs["step"] == [8, 16]
    assert got["reason"].values[0, 0] == 4 and got["reason"].values[1, 1] == 0
    assert np.isnan(got["cov_range"].values).all() and "valid" not in got
    assert set(got.data_vars) == set(st.precomputed_offsets("T065", 0).data_vars)
    write_dense_offsets(ds, offsets / f"{days[0]}_{days[1]}")
    with pytest.raises(StackError, match="also has offsets"):
        load_stack(root, tracks=["T065"])


def test_geotiff_slcs_and_outline(scene, date_stack):
    """Another registered format (GeoTIFF SLCs) and an ice outline instead of a mask raster."""
    from gfjax.io.gamma import read_slc
    from gfjax.io.slc_formats import write_slc_geotiff
    from gfjax.sim.outline import write_outline

    folder = date_stack / "T065"
    for rslc in sorted(folder.glob("*.rslc")):
        data, p = read_slc(rslc)
        write_slc_geotiff(folder / rslc.name.replace(".rslc", ".slc.tif"), data, p.time, p.azimuth_pixel_spacing,
                          p.range_pixel_spacing, p.heading, p.incidence_angle)
        rslc.unlink()
        rslc.with_name(rslc.name + ".par").unlink()
    (date_stack / "ice_mask.tif").unlink()
    write_outline(date_stack / "ice_outline.geojson", scene.outline_xy, scene.grid.epsg)
    st = load_stack(date_stack)
    assert st.tracks["T065"].acquisitions[0].format == "geotiff"
    np.testing.assert_array_equal(st.slc_pair("T065", 0)[0], scene.slc_pair("T065", 0)[0])
    np.testing.assert_array_equal(st.tracks["T065"].times, scene.tracks["T065"].times)
    from gfjax.sim.terrain import rasterize_polygon

    np.testing.assert_array_equal(st.ice_mask, rasterize_polygon(scene.grid, scene.outline_xy, []))
    assert st.ice_mask.any() and not st.ice_mask.all() and st.outline_xy is not None


def test_a_plugged_in_multi_date_format(scene, date_stack):
    """A format registered from outside (here a NumPy cube of all dates in one file, like an
    HDF5 stack) is found and read through the registry."""
    from gfjax.io.gamma import read_slc
    from gfjax.io.slc_formats import SLC_FORMATS, SlcFormat, SlcMeta, register_slc_format

    def read_meta(path):
        with np.load(path) as z:
            times, shape = z["times"], z["slc"].shape[1:]
        return [SlcMeta(path, path, t, shape, "npcube", 59.6 * 2, 9.2 * 2, 341.0, 39.0, index=i)
                for i, t in enumerate(times.astype("datetime64[s]"))]

    def read_data(meta):
        with np.load(meta.data_path) as z:
            return z["slc"][meta.index]

    folder = date_stack / "T065"
    rslcs = sorted(folder.glob("*.rslc"))
    images = [read_slc(p) for p in rslcs]
    np.savez(folder / "all.cube.npz", slc=np.stack([d for d, _ in images]),
             times=np.array([p.time for _, p in images]))
    for p in rslcs:
        p.unlink()
        p.with_name(p.name + ".par").unlink()
    register_slc_format(SlcFormat("npcube", ("*.cube.npz",), read_meta, read_data))
    try:
        st = load_stack(date_stack, tracks=["T065"])
        assert [m.index for m in st.tracks["T065"].acquisitions] == [0, 1, 2]
        np.testing.assert_array_equal(st.slc_pair("T065", 1)[1], images[2][0])
    finally:
        SLC_FORMATS.pop("npcube")


# --- the other built-in SLC formats: ISCE2/3 raw (.vrt/.xml), ENVI (.hdr), HDF5 cubes ---------
def _convert(folder, fmt):
    """Rewrite the GAMMA SLCs of a track folder in ``fmt`` (metadata kept in the files)."""
    from gfjax.io.gamma import read_slc
    from gfjax.io.hdf5_stack import write_slc_stack
    from gfjax.io.slc_formats import write_slc_raw

    rslcs = sorted(folder.glob("*.rslc"))
    images = [read_slc(p) for p in rslcs]
    if fmt.startswith("hdf5"):
        p = images[0][1]
        write_slc_stack(folder / f"{folder.name}.slc.h5", np.stack([d for d, _ in images]), [q.time for _, q in images],
                        layout=fmt.split("_", 1)[1], attrs={"azimuth_pixel_spacing": p.azimuth_pixel_spacing,
                                                            "RANGE_PIXEL_SPACING": p.range_pixel_spacing,
                                                            "heading": p.heading, "incidence angle": p.incidence_angle})
    else:
        descriptors = {"isce2": (".vrt", ".xml", ".hdr"), "vrt": (".vrt",), "isce_xml": (".xml",),
                       "envi": (".hdr",)}[fmt]
        for rslc, (data, p) in zip(rslcs, images):
            write_slc_raw(folder / rslc.name.replace(".rslc", ".slc"), data, p.time, p.azimuth_pixel_spacing,
                          p.range_pixel_spacing, p.heading, p.incidence_angle, descriptors=descriptors)
    for p in rslcs:
        p.unlink()
        p.with_name(p.name + ".par").unlink()


@pytest.mark.parametrize("fmt", ["isce2", "vrt", "isce_xml", "envi", "hdf5_cube", "hdf5_per_date"])
def test_slc_formats_read_back_as_the_gamma_stack(date_stack, tmp_path, fmt):
    shutil.copytree(date_stack, tmp_path / "gamma")
    want = load_stack(tmp_path / "gamma")
    for name in want.tracks:
        _convert(date_stack / name, fmt)
    got = load_stack(date_stack)
    expect = {"isce2": "isce", "vrt": "isce", "isce_xml": "isce"}.get(fmt, fmt.split("_")[0])
    assert list(got.tracks) == list(want.tracks)
    for name, trk in want.tracks.items():
        g = got.tracks[name]
        assert {m.format for m in g.acquisitions} == {expect}
        assert (g.direction, g.heading_deg, g.incidence_deg, g.azimuth_spacing_m, g.range_spacing_m, g.shape) == \
            (trk.direction, trk.heading_deg, trk.incidence_deg, trk.azimuth_spacing_m, trk.range_spacing_m, trk.shape)
        np.testing.assert_array_equal(g.times, trk.times)
        np.testing.assert_array_equal(g.decimal_years, trk.decimal_years)
        assert g.pairs == trk.pairs
        for k in range(len(trk.pairs)):
            for a, b in zip(got.slc_pair(name, k), want.slc_pair(name, k)):
                assert a.dtype == np.complex64 and a.dtype.isnative
                np.testing.assert_array_equal(a, b)


def test_isce_slcs_without_metadata_take_name_dates_and_track_yaml(scene, date_stack):
    """ISCE2 stacks keep no time or geometry beside the images: dates from the file names
    (00:00 UTC), geometry from track.yaml; a non-SLC descriptor and a wrong date are named."""
    from gfjax.io.gamma import read_slc
    from gfjax.io.slc_formats import write_slc_raw

    folder = date_stack / "T065"
    trk = scene.tracks["T065"]
    for rslc in sorted(folder.glob("*.rslc")):
        write_slc_raw(folder / rslc.name.replace(".rslc", ".slc.full"), read_slc(rslc)[0])  # .vrt + .xml, no metadata
        rslc.unlink()
        rslc.with_name(rslc.name + ".par").unlink()
    with pytest.raises(StackError, match=r"T065: heading_deg unknown.*lack it; give heading_deg in .*track.yaml"):
        load_stack(date_stack, tracks=["T065"])
    (folder / "track.yaml").write_text(f"direction: {trk.direction}\nheading_deg: {trk.heading_deg}\n"
                                       f"incidence_deg: {trk.incidence_deg}\nazimuth_spacing_m: {trk.azimuth_spacing_m}\n"
                                       f"range_spacing_m: {trk.range_spacing_m}\n")
    st = load_stack(date_stack, tracks=["T065"])
    got = st.tracks["T065"]
    assert [m.path.suffix for m in got.acquisitions] == [".vrt"] * 3  # one image each, not .vrt and .xml
    np.testing.assert_array_equal(got.times, trk.times.astype("datetime64[D]").astype("datetime64[s]"))
    np.testing.assert_array_equal(st.slc_pair("T065", 0)[0], scene.slc_pair("T065", 0)[0])

    vrt = sorted(folder.glob("*.vrt"))[0]
    vrt.write_text(vrt.read_text().replace("CFloat32", "Float64"))
    with pytest.raises(ValueError, match=rf"{vrt.name}: an SLC must be one complex band"):
        load_stack(date_stack, tracks=["T065"])
    vrt.write_text(vrt.read_text().replace("Float64", "CFloat32").replace(
        "<VRTRasterBand", '<Metadata><MDI key="ACQUISITION_TIME">2017-06-09T04:10:27</MDI></Metadata>\n<VRTRasterBand', 1))
    with pytest.raises(ValueError, match=rf"{vrt.name}: the file name says 2017-06-08 but the metadata say 2017-06-09"):
        load_stack(date_stack, tracks=["T065"])
