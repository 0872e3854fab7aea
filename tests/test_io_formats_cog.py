"""write_geotiff(cog=True) writes a valid Cloud-Optimized GeoTIFF, checked by rio-cogeo's
validator (IFDs before data, tiling, overviews, ghost header) and by rasterio (512 tiles,
overviews 2/4, deflate); band units and descriptions travel in the band metadata."""
import numpy as np
import pytest
import rasterio

from gfjax.geometry import MapGrid
from gfjax.io import read_geotiff, write_geotiff

cogeo = pytest.importorskip("rio_cogeo.cogeo", reason="rio-cogeo (test extra) validates COGs")

GRID = MapGrid(32605, 600000.0, 7040000.0, 10.0, 1300, 1100)


@pytest.mark.parametrize("bands", [1, 2])
def test_cog_is_valid(tmp_path, bands):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(bands,) + GRID.shape).astype(np.float32)
    data[:, :20, :20] = np.nan
    path = write_geotiff(tmp_path / "c.tif", data if bands > 1 else data[0], GRID, cog=True,
                         units=["m/yr"] * bands, band_names=[f"b{i}" for i in range(bands)])
    valid, errors, warnings = cogeo.cog_validate(path)
    assert valid and not errors and not warnings, (errors, warnings)
    with rasterio.open(path) as src:
        assert src.profile["tiled"] and set(src.block_shapes) == {(512, 512)}
        assert src.overviews(1) == [2, 4]
        assert src.compression.name.lower() == "deflate"
        assert src.units == ("m/yr",) * bands and src.tags(1)["units"] == "m/yr"
        assert src.descriptions == tuple(f"b{i}" for i in range(bands))
    back, grid = read_geotiff(path)
    assert grid == GRID
    np.testing.assert_array_equal(back, data if bands > 1 else data[0])


def test_plain_geotiff_is_not_a_full_cog(tmp_path):
    # the check above is not vacuous: a plain tiled GeoTIFF of this size lacks the overviews
    path = write_geotiff(tmp_path / "p.tif", np.ones(GRID.shape, np.float32), GRID, cog=False)
    valid, errors, warnings = cogeo.cog_validate(path)
    assert errors or warnings


def test_small_and_integer_cogs(tmp_path):
    grid = MapGrid(32605, 600000.0, 7040000.0, 100.0, 70, 50)
    path = write_geotiff(tmp_path / "rank.tif", np.arange(grid.nx * grid.ny).reshape(grid.shape), grid, cog=True,
                         dtype="int32", nodata=None, units="1")
    assert cogeo.cog_validate(path)[0]
    with rasterio.open(path) as src:
        assert src.dtypes == ("int32",) and src.nodata is None and src.overviews(1) == []
