"""Block I/O (gfjax.io.blocks, issue 13 item 5): every SLC format's window reader gives the
windows of the whole image it reads; the tracker on images read by windows (row strips for the
no-data test and the coarse pass, batch crops for the windows) gives the offsets of the whole
arrays bit for bit."""
import numpy as np
import pytest

from gfjax.io.blocks import H5Blocks, MemmapBlocks, RasterioBlocks, raw_pairs
from gfjax.io.slc_formats import SLC_FORMATS, find_acquisitions, open_blocks
from gfjax.offsets.quality import NODATA

WINDOWS = [(slice(0, 37), slice(0, 53)), (slice(20, 71), slice(5, 6)), (slice(60, None), slice(None, 10)),
           (slice(None), slice(None)), (slice(70, 500), slice(90, 300)), (slice(3, 3), slice(0, 5))]
DAYS = ["2020-01-01", "2020-01-13"]


def _images(shape=(73, 97)):
    rng = np.random.default_rng(1)
    out = [(rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(np.complex64) for _ in DAYS]
    out[1][5:9, 40:60] = 0
    return out


def _write(fmt: str, folder, images):
    from gfjax.io.gamma import SlcParams, write_slc
    from gfjax.io.hdf5_stack import write_slc_stack
    from gfjax.io.slc_formats import write_slc_geotiff, write_slc_raw

    for day, img in zip(DAYS, images):
        name = day.replace("-", "")
        t = np.datetime64(day, "s")
        if fmt in ("FCOMPLEX", "SCOMPLEX"):
            write_slc(folder / f"{name}.rslc", img, SlcParams(t, img.shape[1], img.shape[0], 2.3, 14.9, fmt, 10.0, 35.0))
        elif fmt == "geotiff":
            write_slc_geotiff(folder / f"{name}.slc.tif", img, t, 14.9, 2.3, 10.0, 35.0)
        elif fmt in ("isce", "envi"):
            write_slc_raw(folder / f"{name}.slc", img, t, 14.9, 2.3, 10.0, 35.0,
                          descriptors=(".vrt",) if fmt == "isce" else (".hdr",))
    if fmt.startswith("hdf5"):
        write_slc_stack(folder / "stack.slc.h5", np.stack(images), DAYS, layout=fmt.split("_", 1)[1],
                        attrs={"azimuth_pixel_spacing": 14.9, "range_pixel_spacing": 2.3, "heading": 10.0,
                               "incidence_angle": 35.0})


@pytest.mark.parametrize("fmt", ["FCOMPLEX", "SCOMPLEX", "geotiff", "isce", "envi", "hdf5_cube", "hdf5_per_date"])
def test_every_format_reads_windows_of_the_whole_image(tmp_path, fmt):
    images = _images()
    if fmt == "SCOMPLEX":
        images = [np.rint(x * 100).astype(np.complex64) for x in images]
    _write(fmt, tmp_path, images)
    metas = find_acquisitions(tmp_path)
    assert len(metas) == 2
    kind = {"FCOMPLEX": "gamma", "SCOMPLEX": "gamma"}.get(fmt, fmt.split("_")[0])
    expect = {"gamma": MemmapBlocks, "geotiff": RasterioBlocks, "isce": MemmapBlocks, "envi": MemmapBlocks,
              "hdf5": H5Blocks}[kind]
    for meta, img in zip(metas, images):
        assert meta.format == kind
        whole = SLC_FORMATS[kind].read_data(meta)
        np.testing.assert_array_equal(whole, img)
        blocks = open_blocks(meta)
        assert isinstance(blocks, expect) and tuple(blocks.shape) == img.shape and blocks.dtype == np.complex64
        for key in WINDOWS:
            got = blocks[key]
            assert got.dtype == np.complex64 and got.dtype.isnative
            np.testing.assert_array_equal(got, whole[key], err_msg=str(key))


def test_a_block_is_two_slices_of_step_one(tmp_path):
    img = _images()[0]
    path = tmp_path / "x.raw"
    np.stack([img.real, img.imag], -1).astype(">f4").tofile(path)
    blocks = raw_pairs(path, img.shape, ">f4")
    for key in [(slice(0, 4, 2), slice(None)), (3, slice(None)), slice(0, 4)]:
        with pytest.raises(IndexError, match="x.raw"):
            blocks[key]


def test_stack_pairs_by_windows_equal_the_whole_pair(tmp_path):
    from gfjax.io.stack import load_stack
    from gfjax.io.stack_write import write_stack
    from gfjax.sim import SceneSpec, build_scene

    scene = build_scene(SceneSpec(bbox=[612000.0, 7008000.0, 622000.0, 7016000.0], pixel_scale=8.0,
                                  grid_spacing_m=400.0, start="2017-06-01", end="2017-07-15", date_step=2,
                                  tracks=["T065"]))
    st = load_stack(write_stack(scene, tmp_path / "stack"))
    ref, sec = st.slc_blocks("T065", 0)
    a, b = st.slc_pair("T065", 0)
    assert isinstance(ref, MemmapBlocks)
    for key in WINDOWS:
        np.testing.assert_array_equal(ref[key], a[key])
        np.testing.assert_array_equal(sec[key], b[key])


@pytest.mark.parametrize("options", [
    dict(window=(16, 48), step=(8, 32), search=(8, 8), oversample=2, weight_sigma=0.2),
    dict(window=(32, 32), step=(16, 16), search=(6, 6), coarse_factor=2, coarse_decimate=2, coarse_search=(8, 8),
         max_nodata_fraction=0.1),
    dict(window=(32, 32), step=(16, 16), search=(6, 6), method="fast", retry_window_scales=[2])])
def test_tracking_by_windows_equals_tracking_whole_arrays(tmp_path, monkeypatch, options):
    import gfjax.offsets.tracker as tracker

    rng = np.random.default_rng(0)
    n = (200, 400)
    ref = (rng.normal(size=n) + 1j * rng.normal(size=n)).astype(np.complex64)
    sec = (np.roll(ref, (2, 3), (0, 1)) + 0.3 * (rng.normal(size=n) + 1j * rng.normal(size=n))).astype(np.complex64)
    sec[100:140, 200:260] = 0
    ref[10:20, 300:350] = np.nan
    whole = tracker.track_offsets(ref, sec, **options)
    paths = []
    for name, img in (("ref", ref), ("sec", sec)):
        paths.append(tmp_path / f"{name}.raw")
        np.stack([img.real, img.imag], -1).astype(">f4").tofile(paths[-1])
    monkeypatch.setattr(tracker, "STRIP_MB", 0.05)  # strips of a few dozen rows: many strips
    assert tracker.strip_rows(n, 13, 16) < 30
    got = tracker.track_offsets(*(raw_pairs(p, n, ">f4") for p in paths), **options)
    assert (whole["reason"].values == NODATA).any() and whole["valid"].any()  # no-data windows and kept ones
    assert set(got.data_vars) == set(whole.data_vars)
    for v in whole.data_vars:
        np.testing.assert_array_equal(got[v].values, whole[v].values, err_msg=v)


def test_nodata_counts_by_strips_equal_the_whole_image(monkeypatch):
    import gfjax.offsets.tracker as tracker

    rng = np.random.default_rng(3)
    img = rng.normal(size=(300, 120)).astype(np.float32)
    img[rng.random(img.shape) < 0.05] = 0
    img[50:60, 10:30] = np.nan
    tl = np.stack([rng.integers(0, 300 - 20, 500), rng.integers(0, 120 - 30, 500)], 1)
    bad = (~np.isfinite(img)) | (img == 0)
    want = np.array([bad[a:a + 20, r:r + 30].sum() for a, r in tl])
    monkeypatch.setattr(tracker, "STRIP_MB", 0.01)
    np.testing.assert_array_equal(tracker._nodata_counts(img, tl, (20, 30)), want)
    assert tracker._nodata_counts(img, tl[:0], (20, 30)).shape == (0,)
