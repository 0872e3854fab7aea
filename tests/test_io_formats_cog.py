"""write_geotiff(cog=True) writes a valid Cloud-Optimized GeoTIFF: tiled, internal overviews, and
the COG byte layout (all IFDs before the image data, smallest overview's tiles first)."""
import struct

import numpy as np
import pytest
import rasterio

from gfjax.geometry import MapGrid
from gfjax.io import read_geotiff, write_geotiff

GRID = MapGrid(32605, 600000.0, 7040000.0, 10.0, 1300, 1100)
TYPES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8, 17: 8, 18: 8}


def tiff_ifds(path):
    """[(ifd offset, {tag: values})] of a classic or Big TIFF, in file chain order."""
    raw = path.read_bytes()
    bo = {b"II": "<", b"MM": ">"}[raw[:2]]
    big = struct.unpack(bo + "H", raw[2:4])[0] == 43
    cnt, off_fmt, entry, inline = ("Q", "Q", 20, 8) if big else ("H", "I", 12, 4)
    offset = struct.unpack(bo + off_fmt, raw[8:16] if big else raw[4:8])[0]
    ifds = []
    while offset:
        n = struct.unpack_from(bo + cnt, raw, offset)[0]
        pos, tags = offset + struct.calcsize(cnt), {}
        for _ in range(n):
            tag, typ = struct.unpack_from(bo + "HH", raw, pos)
            count = struct.unpack_from(bo + off_fmt, raw, pos + 4)[0]
            size = TYPES[typ] * count
            where = pos + 4 + struct.calcsize(off_fmt) if size <= inline else \
                struct.unpack_from(bo + off_fmt, raw, pos + 4 + struct.calcsize(off_fmt))[0]
            fmt = {1: "B", 2: "s", 3: "H", 4: "I", 16: "Q"}.get(typ)
            if fmt and fmt != "s":
                tags[tag] = struct.unpack_from(bo + fmt * count, raw, where)
            pos += entry
        ifds.append((offset, tags))
        offset = struct.unpack_from(bo + off_fmt, raw, pos)[0]
    return ifds, raw


@pytest.mark.parametrize("bands", [1, 2])
def test_cog_layout(tmp_path, bands):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(bands,) + GRID.shape).astype(np.float32)
    data[:, :20, :20] = np.nan
    path = write_geotiff(tmp_path / "c.tif", data if bands > 1 else data[0], GRID, cog=True)
    with rasterio.open(path) as src:
        assert src.driver == "GTiff" and src.profile["tiled"]
        assert set(src.block_shapes) == {(512, 512)}
        assert src.overviews(1) == [2, 4]
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.compression.name.lower() == "deflate"
        per_tile = bands if src.tags(ns="IMAGE_STRUCTURE")["INTERLEAVE"] == "BAND" else 1
    back, grid = read_geotiff(path)
    assert grid == GRID
    np.testing.assert_array_equal(back, data if bands > 1 else data[0])
    ifds, raw = tiff_ifds(path)
    # GDAL's COG ghost header: layout promises a reader can rely on
    ghost = raw[8:400].decode("latin-1")
    assert "GDAL_STRUCTURAL_METADATA_SIZE" in ghost and "LAYOUT=IFDS_BEFORE_DATA" in ghost
    assert "BLOCK_ORDER=ROW_MAJOR" in ghost and "KNOWN_INCOMPATIBLE_EDITION=NO" in ghost
    # full resolution first, then the overviews (reduced-resolution flag), halving each time
    widths = [tags[256][0] for _, tags in ifds]
    assert widths == [1300, 650, 325]
    assert ifds[0][1].get(254, (0,))[0] == 0 and all(tags[254][0] & 1 for _, tags in ifds[1:])
    assert all(tags[322][0] == 512 and tags[323][0] == 512 for _, tags in ifds)   # tiled everywhere
    n_tiles = [len(tags[324]) for _, tags in ifds]
    assert n_tiles == [per_tile * 3 * 3, per_tile * 2 * 2, per_tile * 1 * 1]   # ceil(1300/512) x ceil(1100/512) …
    # every IFD before every tile, and the smallest overview's tiles before the larger ones
    first_data = [min(o for o in tags[324] if o) for _, tags in ifds]
    assert max(off for off, _ in ifds) < min(first_data)
    assert first_data[2] < first_data[1] < first_data[0]


def test_small_cog_is_tiled(tmp_path):
    grid = MapGrid(32605, 600000.0, 7040000.0, 100.0, 70, 50)
    path = write_geotiff(tmp_path / "s.tif", np.ones(grid.shape), grid, cog=True)
    ifds, _ = tiff_ifds(path)
    assert len(ifds) == 1 and 322 in ifds[0][1]           # no overview needed below one tile
