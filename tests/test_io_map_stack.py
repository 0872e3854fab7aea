"""The geocoded map stack on disk (gfjax.io.map_stack, issue 13 item 5): written one map at a
time it reads back (xarray, and by bands of rows) as the whole stack written at once; the MSBAS
stage's band-by-band selection and temporal screening give the whole-stack results."""
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

from gfjax.io.map_stack import map_stack_shape, read_map_rows, write_map_stack


def _stack(m=24, ny=37, nx=29, seed=0):
    rng = np.random.default_rng(seed)
    t0 = np.repeat(2020.0 + np.arange(m // 2) * 12 / 365.25, 2)
    disp = (rng.normal(size=(m, ny, nx)) * 0.1 + 0.5).astype(np.float32)
    disp[rng.random(disp.shape) < 0.2] = np.nan
    disp[3, 5:9, 4:20] = 40.0  # temporal outliers
    disp[5] = np.nan  # a map without data
    disp[7, :30] = np.nan  # little coverage
    meta = xr.Dataset(coords={"set_index": ("map", np.tile([0, 1], m // 2).astype(np.int32)),
                              "t_master": ("map", t0), "t_slave": ("map", t0 + 12 / 365.25),
                              "y": ("y", np.arange(ny, dtype=float)), "x": ("x", np.arange(nx, dtype=float))},
                      attrs={"grid_spacing_m": 200.0})
    return meta, disp


def test_written_map_by_map_reads_back_as_the_whole_stack(tmp_path):
    meta, disp = _stack()
    attrs = {"units": "m", "long_name": "displacement"}
    whole = meta.assign(displacement=(("map", "y", "x"), disp, attrs))
    whole.to_netcdf(tmp_path / "whole.nc", engine="h5netcdf")
    assert write_map_stack(tmp_path / "maps.nc", meta, iter(disp), attrs) == disp.shape[0]
    assert map_stack_shape(tmp_path / "maps.nc") == disp.shape
    with xr.open_dataset(tmp_path / "whole.nc", engine="h5netcdf") as a, \
            xr.open_dataset(tmp_path / "maps.nc", engine="h5netcdf") as b:
        assert set(a.variables) == set(b.variables)
        for v in a.variables:
            np.testing.assert_array_equal(a[v].values, b[v].values)
            assert a[v].attrs == b[v].attrs, v
    import h5py

    with h5py.File(tmp_path / "maps.nc", "r") as f:
        assert f["displacement"].chunks == (1, 37, 29)
    for r0, r1 in [(0, 5), (5, 37), (36, 37), (10, 10)]:
        np.testing.assert_array_equal(read_map_rows(tmp_path / "maps.nc", r0, r1), disp[:, r0:r1])
    np.testing.assert_array_equal(read_map_rows(tmp_path / "maps.nc", 2, 9, np.array([4, 1, 20])),
                                  disp[[4, 1, 20], 2:9])


def test_a_stack_of_other_maps_is_named(tmp_path):
    meta, disp = _stack()
    with pytest.raises(ValueError, match="maps.nc: 23 maps written"):
        write_map_stack(tmp_path / "maps.nc", meta, iter(disp[:-1]), {})
    with pytest.raises(ValueError, match=r"maps.nc: map 0 of shape \(37, 28\)"):
        write_map_stack(tmp_path / "maps.nc", meta, iter(disp[:, :, :-1]), {})


@pytest.mark.parametrize("budget_mb", [1024.0, 0.05])
def test_msbas_bands_equal_the_whole_stack(tmp_path, budget_mb):
    from gfjax.pipeline.stages.msbas import band_rows, in_memory, screen_stack, select_maps, streamed_stack

    meta, disp = _stack()
    path = tmp_path / "work" / "geocode-x" / "maps.nc"
    path.parent.mkdir(parents=True)
    write_map_stack(path, meta, iter(disp), {"units": "m"})
    ice = np.ones(disp.shape[1:], bool)
    ice[:, :3] = False
    opts = SimpleNamespace(min_coverage=0.5, outlier_window=2, outlier_max_deviation=4.0,
                           outlier_min_deviation_m=0.5, memory_budget_mb=budget_mb)
    assert (band_rows(disp.shape[0], disp.shape[2], opts) < disp.shape[1]) == (budget_mb < 1)
    ctx = SimpleNamespace(workdir=tmp_path, fingerprints={"geocode": "x"}, scene=SimpleNamespace(ice_mask=ice),
                          stage_dir=lambda name: tmp_path)
    got_meta, bands, dropped, screened = streamed_stack(ctx, opts)

    whole = meta.assign(displacement=(("map", "y", "x"), disp.copy()))
    want, want_dropped = select_maps(whole, opts.min_coverage, ice)
    want_screened = screen_stack(want, opts)
    assert want_screened["values"] > 0 and want_dropped == 2  # outliers removed, maps 5 and 7 dropped
    assert (dropped, screened) == (want_dropped, want_screened)
    np.testing.assert_array_equal(got_meta["t_master"].values, want["t_master"].values)
    spans = bands.spans()
    assert len(spans) > 1 if budget_mb < 1 else len(spans) == 1
    got = np.concatenate([bands.read(r0, r1) for r0, r1 in spans], axis=1)
    np.testing.assert_array_equal(got, in_memory(want).read(0, disp.shape[1]))
