"""gfjax.geometry.outline: GeoJSON outline rings and their rasterisation (rasterio, cell centres
inside), checked against matplotlib.path point-in-polygon (the former rasteriser) on Muldrow."""
import numpy as np
import pytest
from matplotlib.path import Path as MplPath

from gfjax.geometry.grid import MapGrid
from gfjax.geometry.outline import load_outline_rings, packaged_outline_path, rasterize_polygon


def oracle(grid, exterior, holes):
    x, y = grid.meshgrid()
    pts = np.column_stack([x.ravel(), y.ravel()])
    inside = MplPath(exterior).contains_points(pts)
    for hole in holes:
        inside &= ~MplPath(hole).contains_points(pts)
    return inside.reshape(grid.shape)


@pytest.mark.parametrize("spacing", [50.0, 100.0, 200.0, 300.0, 400.0, 500.0, 800.0])
@pytest.mark.parametrize("margin", [0.0, 1000.0, 2000.0])
def test_muldrow_mask_equals_point_in_polygon(spacing, margin):
    exterior, holes, epsg = load_outline_rings(packaged_outline_path())
    assert len(holes) > 0
    (xmin, ymin), (xmax, ymax) = exterior.min(0), exterior.max(0)
    grid = MapGrid.from_bounds(epsg, xmin - margin, ymin - margin, xmax + margin, ymax + margin, spacing)
    mask = rasterize_polygon(grid, exterior, holes)
    assert mask.dtype == bool and mask.shape == grid.shape and mask.any()
    np.testing.assert_array_equal(mask, oracle(grid, exterior, holes))


def test_a_hole_is_not_ice():
    grid = MapGrid(32605, 0.0, 1000.0, 100.0, 10, 10)
    square = np.array([[10.0, 10.0], [990.0, 10.0], [990.0, 990.0], [10.0, 990.0]])
    hole = np.array([[320.0, 320.0], [680.0, 320.0], [680.0, 680.0], [320.0, 680.0]])
    mask = rasterize_polygon(grid, square, [hole])
    assert mask.sum() == 100 - 16 and not mask[3:7, 3:7].any()
    np.testing.assert_array_equal(mask, oracle(grid, square, [hole]))
